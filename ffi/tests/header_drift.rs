//! The committed `include/bastion_session.h` must be what cbindgen (pinned 0.29.4)
//! generates from `ffi/src` with `ffi/cbindgen.toml`, and `bastion_version` must report the
//! crate and schema versions.
//!
//! Regenerate the header: `BASTION_UPDATE_HEADER=1 cargo test -p bastion_session_ffi --test header_drift`.

use std::path::PathBuf;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generate() -> String {
    let dir = crate_dir();
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("ffi/cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_src(dir.join("src/lib.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn header_matches_the_sources() {
    let path = crate_dir().join("../include/bastion_session.h");
    let generated = generate();
    if std::env::var_os("BASTION_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write include/bastion_session.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/bastion_session.h is stale (or missing): it differs from what cbindgen \
         generates from ffi/src.\nRegenerate it with:\n  \
         BASTION_UPDATE_HEADER=1 cargo test -p bastion_session_ffi --test header_drift\n\
         and commit the result."
    );
}

#[test]
fn header_declares_every_export() {
    let generated = generate();
    for name in [
        "bastion_get_sessions",
        "bastion_disconnect_sessions",
        "bastion_list_hosts",
        "bastion_poll_progress",
        "bastion_cancel",
        "bastion_string_free",
        "bastion_version",
    ] {
        assert!(
            generated.contains(&format!("{name}(")),
            "{name} missing from the header"
        );
    }
}

#[test]
fn version_reports_crate_and_schema() {
    let v = bastion_session_ffi::version::version_str();
    let cargo = std::fs::read_to_string(crate_dir().join("../Cargo.toml")).unwrap();
    let workspace_version = cargo
        .lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .find_map(|l| l.trim().strip_prefix("version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .expect("workspace.package version");
    assert_eq!(workspace_version, env!("CARGO_PKG_VERSION"));
    assert!(v.contains(&format!(" {workspace_version} ")), "{v}");
    assert!(
        v.contains(&format!(
            "(schema {})",
            bastion_session_ffi::envelope::SCHEMA_VERSION
        )),
        "{v}"
    );
    let c = unsafe { std::ffi::CStr::from_ptr(bastion_session_ffi::version::bastion_version()) };
    assert_eq!(c.to_str().unwrap(), v);
}

/// The version is typed once, in `Cargo.toml`: the module's csproj reads it from there and
/// `powershell/build-module.ps1` stamps it into the built manifest (checked against the built
/// module by `tests/pester/Module.Tests.ps1`). A version typed back into either source file
/// would be a second source that can drift, so it fails here.
#[test]
fn version_is_typed_only_in_cargo_toml() {
    let csproj =
        std::fs::read_to_string(crate_dir().join("../powershell/src/BastionSession.csproj"))
            .expect("read the module csproj");
    let version_line = csproj
        .lines()
        .find(|l| l.trim_start().starts_with("<Version>"))
        .expect("the csproj sets <Version>");
    assert!(
        version_line.contains("Cargo.toml") || version_line.contains("CargoManifestText"),
        "the csproj must read its <Version> from Cargo.toml, not type it: {version_line}"
    );
    let manifest = std::fs::read_to_string(
        crate_dir().join("../powershell/BastionSession/BastionSession.psd1"),
    )
    .expect("read the module manifest");
    let module_version = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("ModuleVersion"))
        .expect("the manifest has ModuleVersion");
    assert!(
        module_version.contains("'0.0.0'"),
        "the source manifest's ModuleVersion must stay the placeholder '0.0.0' that \
         build-module.ps1 replaces with Cargo.toml's version, got {module_version}"
    );
}
