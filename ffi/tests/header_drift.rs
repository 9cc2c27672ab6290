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
