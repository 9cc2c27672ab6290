//! One authority per contract that crosses from the library to the module. The module's
//! `powershell/src/Generated/Contracts.cs` is generated from the Rust tables here (like the
//! C header and `ErrorKinds.cs`) and must match what this test generates:
//!
//! - `ErrorKindRecords`: the ErrorId and PowerShell category of each error kind, from
//!   `ErrorKind` in `ffi/src/envelope.rs` (one ErrorId per kind, none shared);
//! - `BuiltInClouds`: the names, accepted aliases and ARM endpoints of
//!   `AzureEnvironment` in `src/cloud.rs`;
//! - `EventTypes`: the progress event types of `EventType` in `ffi/src/events.rs`;
//! - `LibraryEnvironmentVariables`: `TRANSPORT_VARIABLES` and `CREDENTIAL_CHAIN_VARIABLES`
//!   of `src/options.rs`.
//!
//! The tables of `ffi/CONTRACT.md` that list clouds, event types and variables are checked
//! against the same sources, and so is the code: a name read from the environment anywhere
//! under `src/` or `ffi/src/` must be in one of the two variable lists, and every listed
//! name must be read somewhere.
//!
//! Regenerate: `BASTION_UPDATE_CONTRACTS=1 cargo test -p bastion_session_ffi --test contracts_drift`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use bastion_session::AzureEnvironment;
use bastion_session::options::{CREDENTIAL_CHAIN_VARIABLES, TRANSPORT_VARIABLES};
use bastion_session_ffi::envelope::ErrorKind;
use bastion_session_ffi::events::EventType;

/// Where the generated file lives, from the repository root.
const GENERATED: &str = "powershell/src/Generated/Contracts.cs";

fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo_file(relative)).unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

/// `invalidResponse` -> `InvalidResponse`.
fn pascal(name: &str) -> String {
    let mut chars = name.chars();
    let first = chars.next().expect("names are not empty");
    first.to_ascii_uppercase().to_string() + chars.as_str()
}

/// A C# string literal of `s` (the tables hold plain ASCII names and URLs; anything else
/// would need escaping, so it is refused here rather than generated wrongly).
fn literal(s: &str) -> String {
    assert!(
        s.chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\'),
        "{s:?} needs escaping in C#"
    );
    format!("\"{s}\"")
}

fn string_array(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| literal(s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn error_kind_records() -> String {
    let mut out = String::from(
        "    /// <summary>The ErrorId and ErrorCategory of each envelope error kind.</summary>\n    \
         public static class ErrorKindRecords\n    {\n        \
         /// <summary>True and the kind's ErrorId and category for a known kind; false otherwise.</summary>\n        \
         /// <param name=\"kind\">An envelope error kind such as \"notFound\" (ErrorKinds).</param>\n        \
         /// <param name=\"errorId\">The kind's ErrorId, or null for an unknown kind.</param>\n        \
         /// <param name=\"category\">The kind's category, or NotSpecified for an unknown kind.</param>\n        \
         /// <returns>Whether the kind is known.</returns>\n        \
         public static bool TryGet(string kind, out string errorId, out ErrorCategory category)\n        {\n            \
         switch (kind)\n            {\n",
    );
    for kind in ErrorKind::ALL {
        out.push_str(&format!(
            "                case ErrorKinds.{}:\n                    errorId = {};\n                    \
             category = ErrorCategory.{};\n                    return true;\n",
            pascal(kind.name()),
            literal(kind.error_id()),
            kind.category(),
        ));
    }
    out.push_str(
        "                default:\n                    errorId = null;\n                    \
         category = ErrorCategory.NotSpecified;\n                    return false;\n            \
         }\n        }\n    }\n",
    );
    out
}

fn built_in_clouds() -> String {
    let names: Vec<&str> = AzureEnvironment::ALL.iter().map(|c| c.as_str()).collect();
    let mut out = format!(
        "    /// <summary>The built-in Azure clouds of the native library (src/cloud.rs).</summary>\n    \
         public static class BuiltInClouds\n    {{\n        \
         /// <summary>The canonical names, in the library's order: {}.</summary>\n        \
         public static readonly string[] Names = {{ {} }};\n\n        \
         /// <summary>The canonical name for a name in any case (also the library's accepted aliases), or null.</summary>\n        \
         /// <param name=\"name\">A cloud name or alias, in any case, blanks around it allowed.</param>\n        \
         /// <returns>The canonical name, or null when the library knows no such cloud.</returns>\n        \
         public static string CanonicalName(string name)\n        {{\n            \
         if (name == null)\n            {{\n                return null;\n            }}\n            \
         switch (AsciiLower(name.Trim()))\n            {{\n",
        names.join(", "),
        string_array(&names),
    );
    for cloud in AzureEnvironment::ALL {
        let mut spellings = vec![cloud.as_str()];
        spellings.extend(cloud.aliases());
        for s in spellings {
            out.push_str(&format!(
                "                case {}:\n",
                literal(&s.to_ascii_lowercase())
            ));
        }
        out.push_str(&format!(
            "                    return {};\n",
            literal(cloud.as_str())
        ));
    }
    out.push_str(
        "                default:\n                    return null;\n            }\n        }\n\n        \
         /// <summary>The Resource Manager endpoint of a canonical name, without a trailing slash, or null.</summary>\n        \
         /// <param name=\"canonicalName\">A canonical name from Names (exact case).</param>\n        \
         /// <returns>The endpoint, or null for any other name.</returns>\n        \
         public static string ArmEndpoint(string canonicalName)\n        {\n            \
         switch (canonicalName)\n            {\n",
    );
    for cloud in AzureEnvironment::ALL {
        out.push_str(&format!(
            "                case {}:\n                    return {};\n",
            literal(cloud.as_str()),
            literal(cloud.arm_endpoint().as_str().trim_end_matches('/')),
        ));
    }
    out.push_str(
        "                default:\n                    return null;\n            }\n        }\n\n        \
         // The library compares names ASCII-case-insensitively; culture rules (a Turkish\n        \
         // dotless i) must not make a name match here that the library would refuse.\n        \
         private static string AsciiLower(string s)\n        {\n            \
         char[] chars = s.ToCharArray();\n            \
         for (int i = 0; i < chars.Length; i++)\n            {\n                \
         if (chars[i] >= 'A' && chars[i] <= 'Z')\n                {\n                    \
         chars[i] = (char)(chars[i] + ('a' - 'A'));\n                }\n            }\n            \
         return new string(chars);\n        }\n    }\n",
    );
    out
}

fn event_types() -> String {
    let mut out = String::from(
        "    /// <summary>The progress event types of bastion_poll_progress (ffi/CONTRACT.md).</summary>\n    \
         public static class EventTypes\n    {\n",
    );
    for (i, t) in EventType::ALL.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "        /// <summary>The \"{name}\" event.</summary>\n        \
             public const string {pascal} = {literal};\n",
            name = t.name(),
            pascal = pascal(t.name()),
            literal = literal(t.name()),
        ));
    }
    out.push_str("    }\n");
    out
}

fn environment_variables() -> String {
    format!(
        "    /// <summary>The environment variables the native library reads, by what reads them.</summary>\n    \
         public static class LibraryEnvironmentVariables\n    {{\n        \
         /// <summary>Read by the HTTP transport for every credential: proxy and CA settings (HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE ...).</summary>\n        \
         public static readonly string[] Transport = {{ {} }};\n\n        \
         /// <summary>Read by the native credential chain (credential type \"default\"): service principal, workload identity, managed identity, Azure CLI, AZURE_TOKEN_CREDENTIALS ...</summary>\n        \
         public static readonly string[] CredentialChain = {{ {} }};\n    }}\n",
        string_array(TRANSPORT_VARIABLES),
        string_array(CREDENTIAL_CHAIN_VARIABLES),
    )
}

/// The whole generated file.
fn generate_csharp() -> String {
    let classes = [
        error_kind_records(),
        built_in_clouds(),
        event_types(),
        environment_variables(),
    ];
    format!(
        "{}{}}}\n",
        "// GENERATED from ErrorKind (ffi/src/envelope.rs), AzureEnvironment (src/cloud.rs), EventType\n\
         // (ffi/src/events.rs) and the variable lists of src/options.rs by ffi/tests/contracts_drift.rs: do not edit.\n\
         // Regenerate: BASTION_UPDATE_CONTRACTS=1 cargo test -p bastion_session_ffi --test contracts_drift\n\
         using System.Management.Automation;\n\n\
         namespace BastionSession\n{\n",
        classes.join("\n")
    )
}

#[test]
fn the_module_contracts_are_generated_from_the_rust_tables() {
    let path = repo_file(GENERATED);
    let generated = generate_csharp();
    if std::env::var_os("BASTION_UPDATE_CONTRACTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create the folder");
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("write {GENERATED}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{GENERATED} is stale (or missing): it differs from what the Rust tables generate.\n\
         Regenerate it with:\n  \
         BASTION_UPDATE_CONTRACTS=1 cargo test -p bastion_session_ffi --test contracts_drift\n\
         and commit the result."
    );
}

#[test]
fn every_kind_has_an_error_id_of_its_own() {
    let mut seen = BTreeMap::new();
    for kind in ErrorKind::ALL {
        let id = kind.error_id();
        assert!(
            id.starts_with("Bastion") && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{kind:?}: ErrorId {id:?} is not a Bastion… identifier"
        );
        assert!(
            kind.category().chars().all(|c| c.is_ascii_alphabetic()),
            "{kind:?}: category {:?}",
            kind.category()
        );
        if let Some(other) = seen.insert(id, kind) {
            panic!("{kind:?} and {other:?} share the ErrorId {id}");
        }
    }
}

#[test]
fn the_alias_table_is_what_the_parser_accepts() {
    // The generated CanonicalName maps exactly these spellings; the parser must agree.
    let mut spellings = BTreeSet::new();
    for cloud in AzureEnvironment::ALL {
        for name in std::iter::once(cloud.as_str()).chain(cloud.aliases().iter().copied()) {
            assert!(
                spellings.insert(name.to_ascii_lowercase()),
                "{name} names two clouds"
            );
            for spelling in [
                name.to_string(),
                name.to_ascii_uppercase(),
                format!(" {name} "),
            ] {
                assert_eq!(spelling.parse::<AzureEnvironment>().ok(), Some(cloud));
            }
        }
        assert!(
            !cloud
                .arm_endpoint()
                .as_str()
                .trim_end_matches('/')
                .ends_with('/')
        );
    }
    assert!("AzureStack".parse::<AzureEnvironment>().is_err());
}

/// The cells of the table row of `ffi/CONTRACT.md` whose first cell is `first`.
fn contract_row(contract: &str, first: &str) -> Vec<String> {
    let rows: Vec<Vec<String>> = contract
        .lines()
        .map(|l| {
            l.split('|')
                .map(|c| c.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells.len() > 2 && cells[1] == first)
        .collect();
    assert_eq!(rows.len(), 1, "ffi/CONTRACT.md has no single row `{first}`");
    rows.into_iter().next().unwrap()
}

/// The `backticked` words of a table cell.
fn ticked(cell: &str) -> BTreeSet<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn the_contract_lists_the_same_clouds_events_and_variables() {
    let contract = read("ffi/CONTRACT.md");
    let environment = contract_row(&contract, "`environment`");
    let clouds: BTreeSet<String> = AzureEnvironment::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(
        ticked(&environment[4]),
        clouds,
        "ffi/CONTRACT.md's `environment` row"
    );
    let poll_section = contract
        .split("\n## `bastion_poll_progress`")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("ffi/CONTRACT.md has a bastion_poll_progress section");
    let events: BTreeSet<String> = poll_section
        .split("\"type\": \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_string))
        .collect();
    let expected: BTreeSet<String> = EventType::ALL.iter().map(|t| t.name().into()).collect();
    assert_eq!(
        events, expected,
        "ffi/CONTRACT.md's bastion_poll_progress example"
    );
    let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
    let transport = contract_row(&contract, "transport, every credential");
    assert_eq!(
        ticked(&transport[3]),
        set(TRANSPORT_VARIABLES),
        "ffi/CONTRACT.md's transport variables"
    );
    let chain = contract_row(&contract, "credentials that read the environment");
    assert_eq!(
        ticked(&chain[3]),
        set(CREDENTIAL_CHAIN_VARIABLES),
        "ffi/CONTRACT.md's credential variables"
    );
}

/// Variables the library reads that are deliberately in neither list: its own diagnostics,
/// read from the process environment when it loads and never from `credential.environment`,
/// and `env!` at compile time.
const NOT_SENT: &[&str] = &[
    "BASTION_SESSION_LOG",
    "BASTION_SESSION_LOG_FILE",
    "CARGO_PKG_VERSION",
];

/// Every string literal in `text` before its unit tests that looks like an environment
/// variable's name (`AZURE_CLIENT_ID`, `https_proxy`, `PATH`), comment lines left out.
fn variable_literals(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut found = Vec::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (i, piece) in line.split('"').enumerate() {
            let upper = piece.contains('_')
                && piece.starts_with(|c: char| c.is_ascii_uppercase())
                && piece
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            let proxy = piece.ends_with("_proxy")
                && piece.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if i % 2 == 1 && (upper || proxy || piece == "PATH") {
                found.push(piece.to_string());
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `text` without the definition of the const `name` (its `= &[ ... ];` list).
fn without_const(text: &str, name: &str) -> String {
    let Some(start) = text.find(&format!("pub const {name}")) else {
        return text.to_string();
    };
    let end = start + text[start..].find("];").expect("the list closes") + 2;
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn every_variable_the_code_reads_is_listed_and_every_listed_one_is_read() {
    let mut files = Vec::new();
    rust_files(&repo_file("src"), &mut files);
    rust_files(&repo_file("ffi/src"), &mut files);
    let listed: BTreeSet<&str> = TRANSPORT_VARIABLES
        .iter()
        .chain(CREDENTIAL_CHAIN_VARIABLES)
        .copied()
        .collect();
    assert_eq!(
        listed.len(),
        TRANSPORT_VARIABLES.len() + CREDENTIAL_CHAIN_VARIABLES.len(),
        "a variable is listed twice"
    );
    let mut read_somewhere = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read a source file");
        let text = without_const(
            &without_const(&text, "TRANSPORT_VARIABLES"),
            "CREDENTIAL_CHAIN_VARIABLES",
        );
        for name in variable_literals(&text) {
            assert!(
                listed.contains(name.as_str()) || NOT_SENT.contains(&name.as_str()),
                "{} reads {name}, which is in neither TRANSPORT_VARIABLES nor \
                 CREDENTIAL_CHAIN_VARIABLES (src/options.rs): list it there",
                file.display()
            );
            read_somewhere.insert(name);
        }
    }
    for name in listed {
        assert!(
            read_somewhere.contains(name),
            "{name} is listed in src/options.rs but no code under src/ or ffi/src/ reads it"
        );
    }
}

#[test]
fn the_scan_sees_a_variable_that_is_read() {
    let found = variable_literals(
        "// \"AZURE_IN_A_COMMENT\"\nlet a = env(\"AZURE_X_Y\"); let b = first(&[\"no_proxy\", \"PATH\"]);\n\
         let c = \"not a name\";\n#[cfg(test)]\nmod tests { const T: &str = \"AZURE_TEST_ONLY\"; }\n",
    );
    assert_eq!(found, vec!["AZURE_X_Y", "no_proxy", "PATH"]);
}
