//! One table of error kinds and codes: `ErrorKind` in `ffi/src/envelope.rs`. Everything
//! else that names a kind is generated from it or checked against it here, so a kind or a
//! code that differs anywhere fails the build:
//!
//! - `powershell/src/ErrorKinds.cs` is generated from the table (like the C header) and
//!   must match what this test generates;
//! - the kinds of the core (`bastion_session::ErrorKind`) map onto the table by name;
//! - (one ErrorId and category per kind is the table's too, generated into the module's
//!   `Contracts.cs` by `ffi/tests/contracts_drift.rs`);
//! - the table in `ffi/CONTRACT.md` lists exactly these kinds with these codes.
//!
//! Regenerate the C# table: `BASTION_UPDATE_ERROR_KINDS=1 cargo test -p bastion_session_ffi --test error_kinds_drift`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bastion_session_ffi::envelope::{ErrorKind, from_core};

fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo_file(relative)).unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

/// The table as `name -> code`.
fn table() -> BTreeMap<&'static str, u32> {
    ErrorKind::ALL
        .iter()
        .map(|k| (k.name(), k.code()))
        .collect()
}

/// `invalidResponse` -> `InvalidResponse`.
fn pascal(name: &str) -> String {
    let mut chars = name.chars();
    let first = chars.next().expect("kind names are not empty");
    first.to_ascii_uppercase().to_string() + chars.as_str()
}

/// The C# view of the table, as committed in `powershell/src/ErrorKinds.cs`.
fn generate_csharp() -> String {
    let mut out = String::new();
    out.push_str(
        "// GENERATED from ErrorKind in ffi/src/envelope.rs by ffi/tests/error_kinds_drift.rs: do not edit.\n\
         // Regenerate: BASTION_UPDATE_ERROR_KINDS=1 cargo test -p bastion_session_ffi --test error_kinds_drift\n\
         namespace BastionSession\n{\n    \
         /// <summary>The envelope's error kinds and their stable codes (ffi/CONTRACT.md, \"Error kinds and codes\").</summary>\n    \
         public static class ErrorKinds\n    {\n",
    );
    for kind in ErrorKind::ALL {
        out.push_str(&format!(
            "        /// <summary>Kind \"{name}\", code {code}.</summary>\n        public const string {pascal} = \"{name}\";\n",
            name = kind.name(),
            code = kind.code(),
            pascal = pascal(kind.name()),
        ));
    }
    out.push_str(
        "\n        /// <summary>The stable code of a kind; an unknown kind is a library fault (internal's code).</summary>\n        \
         /// <param name=\"kind\">A kind name such as \"notFound\".</param>\n        \
         public static int CodeOf(string kind)\n        {\n            switch (kind)\n            {\n",
    );
    for kind in ErrorKind::ALL {
        out.push_str(&format!(
            "                case {}: return {};\n",
            pascal(kind.name()),
            kind.code()
        ));
    }
    out.push_str(&format!(
        "                default: return {};\n            }}\n        }}\n\n",
        ErrorKind::Internal.code()
    ));
    out.push_str(
        "        /// <summary>False only for faults of the library itself (the envelope's \"expected\").</summary>\n        \
         /// <param name=\"kind\">A kind name such as \"notFound\".</param>\n        \
         public static bool IsExpected(string kind)\n        {\n            \
         return kind != Internal && CodeOf(kind) != CodeOf(Internal);\n        }\n    }\n}\n",
    );
    out
}

#[test]
fn csharp_table_is_generated_from_the_rust_table() {
    let path = repo_file("powershell/src/ErrorKinds.cs");
    let generated = generate_csharp();
    if std::env::var_os("BASTION_UPDATE_ERROR_KINDS").is_some() {
        std::fs::write(&path, &generated).expect("write powershell/src/ErrorKinds.cs");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "powershell/src/ErrorKinds.cs is stale (or missing): it differs from what the \
         ErrorKind table in ffi/src/envelope.rs generates.\nRegenerate it with:\n  \
         BASTION_UPDATE_ERROR_KINDS=1 cargo test -p bastion_session_ffi --test error_kinds_drift\n\
         and commit the result."
    );
}

#[test]
fn the_shim_types_no_code_and_no_kind_string_of_its_own() {
    // Codes and kind names come from ErrorKinds.cs only; a literal elsewhere is a second table.
    let shim = repo_file("powershell/src");
    for entry in std::fs::read_dir(&shim).expect("read powershell/src") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "cs") || path.ends_with("ErrorKinds.cs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read a module source");
        for (name, code) in table() {
            assert!(
                !text.contains(&format!("\"{name}\"")),
                "{} types the kind \"{name}\": use ErrorKinds.{}",
                path.display(),
                pascal(name)
            );
            assert!(
                !text.contains(&code.to_string()),
                "{} types the code {code}: use ErrorKinds.CodeOf",
                path.display()
            );
        }
    }
}

#[test]
fn core_kinds_map_onto_the_table_by_name() {
    for kind in bastion_session::ErrorKind::ALL {
        let mapped = from_core(&bastion_session::Error::new(kind, "x")).kind;
        assert_eq!(
            mapped.name(),
            kind.as_str(),
            "core kind {kind:?} maps to envelope kind {mapped:?}"
        );
    }
}

#[test]
fn the_contract_documents_every_kind_with_its_code() {
    let text = read("ffi/CONTRACT.md");
    let mut documented = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | band | code | `kind` | meaning |
        if cells.len() < 5 {
            continue;
        }
        let (Ok(code), Some(kind)) = (
            cells[2].parse::<u32>(),
            cells[3].strip_prefix('`').and_then(|k| k.strip_suffix('`')),
        ) else {
            continue;
        };
        assert!(
            documented.insert(kind.to_owned(), code).is_none(),
            "ffi/CONTRACT.md lists `{kind}` twice"
        );
    }
    let expected: BTreeMap<String, u32> = table()
        .into_iter()
        .map(|(k, c)| (k.to_owned(), c))
        .collect();
    assert_eq!(
        documented, expected,
        "ffi/CONTRACT.md's error table differs from ffi/src/envelope.rs"
    );
}
