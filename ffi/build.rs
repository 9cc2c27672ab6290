//! Build script of `bastion_session_ffi`: gives the Windows DLL a version resource.
//!
//! Explorer's "Details" tab, `(Get-Item bastion_session_ffi.dll).VersionInfo`, installers
//! and support engineers read a DLL's version from its `VERSIONINFO` resource, not from
//! `bastion_version()`. For Windows targets this script writes a `.rc` file whose file and
//! product version are the crate version, compiles it with the resource compiler of the
//! toolchain and links the result into the cdylib:
//!
//! - GNU targets (`*-windows-gnu`, native or cross from Linux): `windres` (the target's
//!   `x86_64-w64-mingw32-windres` when cross-compiling) writes a COFF object;
//! - MSVC targets: `rc.exe` from the Windows SDK writes a `.res`, which `link.exe` takes.
//!
//! `WINDRES` / `RC` override the tool. On other targets the script does nothing. A missing
//! resource compiler fails the build with a message saying what to install: a DLL without
//! its version would only be noticed by a user.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=WINDRES");
    println!("cargo:rerun-if-env-changed=RC");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let rc_path = out_dir.join("bastion_session_ffi.rc");
    std::fs::write(&rc_path, version_resource_script()).expect("write the .rc file into OUT_DIR");

    let compiled = if env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("msvc") {
        compile_with_rc(&rc_path, &out_dir.join("bastion_session_ffi.res"))
    } else {
        compile_with_windres(&rc_path, &out_dir.join("bastion_session_ffi_version.o"))
    };
    // Only the cdylib gets the resource: the rlib is linked into test binaries, which
    // would then carry a second VERSIONINFO.
    println!("cargo:rustc-link-arg-cdylib={}", compiled.display());
}

/// The crate's version as the four numbers of a Windows version (the fourth is 0).
fn version_numbers() -> [u16; 4] {
    let part = |name: &str| -> u16 {
        env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} is not a number below 65536"))
    };
    [
        part("CARGO_PKG_VERSION_MAJOR"),
        part("CARGO_PKG_VERSION_MINOR"),
        part("CARGO_PKG_VERSION_PATCH"),
        0,
    ]
}

/// A string literal for a `.rc` file: quotes are doubled, control characters dropped.
fn rc_string(text: &str) -> String {
    let escaped: String = text
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .replace('"', "\"\"");
    format!("\"{escaped}\"")
}

/// The `VERSIONINFO` script: language-neutral English (0x0409), Unicode code page 1200.
fn version_resource_script() -> String {
    let [major, minor, patch, build] = version_numbers();
    let version = format!("{major}.{minor}.{patch}.{build}");
    let description = env::var("CARGO_PKG_DESCRIPTION").unwrap_or_default();
    let license = env::var("CARGO_PKG_LICENSE").unwrap_or_default();
    let authors = env::var("CARGO_PKG_AUTHORS").unwrap_or_default();
    let strings = [
        ("CompanyName", authors.replace(':', ", ")),
        ("FileDescription", description),
        ("FileVersion", version.clone()),
        ("InternalName", "bastion_session_ffi".to_owned()),
        ("LegalCopyright", format!("{license} license")),
        ("OriginalFilename", "bastion_session_ffi.dll".to_owned()),
        ("ProductName", "BastionSession".to_owned()),
        ("ProductVersion", version),
    ];
    let mut script = String::new();
    script.push_str("1 VERSIONINFO\n");
    script.push_str(&format!("FILEVERSION {major},{minor},{patch},{build}\n"));
    script.push_str(&format!("PRODUCTVERSION {major},{minor},{patch},{build}\n"));
    script.push_str(
        "FILEFLAGSMASK 0x3f\nFILEFLAGS 0x0\nFILEOS 0x40004\nFILETYPE 0x2\nFILESUBTYPE 0x0\n",
    );
    script.push_str(
        "BEGIN\n  BLOCK \"StringFileInfo\"\n  BEGIN\n    BLOCK \"040904b0\"\n    BEGIN\n",
    );
    for (key, value) in strings {
        script.push_str(&format!("      VALUE \"{key}\", {}\n", rc_string(&value)));
    }
    script.push_str("    END\n  END\n  BLOCK \"VarFileInfo\"\n  BEGIN\n    VALUE \"Translation\", 0x409, 1200\n  END\nEND\n");
    script
}

/// Compiles the script to a COFF object with windres (GNU toolchains).
fn compile_with_windres(rc: &Path, object: &Path) -> PathBuf {
    let tool = env::var("WINDRES").unwrap_or_else(|_| {
        let host = env::var("HOST").unwrap_or_default();
        let target = env::var("TARGET").unwrap_or_default();
        if host == target || host.contains("windows") {
            "windres".to_owned()
        } else {
            // e.g. x86_64-pc-windows-gnu -> x86_64-w64-mingw32-windres
            let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_else(|_| "x86_64".to_owned());
            format!("{arch}-w64-mingw32-windres")
        }
    });
    run(
        Command::new(&tool)
            .arg("--input-format=rc")
            .arg("--output-format=coff")
            .arg("-i")
            .arg(rc)
            .arg("-o")
            .arg(object),
        &tool,
        "install mingw-w64 binutils (Debian: gcc-mingw-w64-x86-64), or set WINDRES",
    );
    object.to_path_buf()
}

/// Compiles the script to a `.res` with the Windows SDK's rc.exe (MSVC toolchains).
fn compile_with_rc(rc: &Path, res: &Path) -> PathBuf {
    let tool = env::var("RC")
        .ok()
        .map(PathBuf::from)
        .or_else(find_windows_sdk_rc)
        .unwrap_or_else(|| PathBuf::from("rc.exe"));
    let mut output = std::ffi::OsString::from("/fo");
    output.push(res);
    run(
        Command::new(&tool).arg("/nologo").arg(output).arg(rc),
        &tool.display().to_string(),
        "install the Windows SDK (Visual Studio Build Tools), run from a Developer prompt, or set RC",
    );
    res.to_path_buf()
}

/// The newest `rc.exe` for the host architecture under the Windows 10/11 SDK's bin folder.
fn find_windows_sdk_rc() -> Option<PathBuf> {
    let program_files = env::var_os("ProgramFiles(x86)").or_else(|| env::var_os("ProgramFiles"))?;
    let bin = PathBuf::from(program_files)
        .join("Windows Kits")
        .join("10")
        .join("bin");
    let arch = if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "x64"
    };
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&bin)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join(arch).join("rc.exe").is_file())
        .collect();
    versions.sort();
    versions.pop().map(|dir| dir.join(arch).join("rc.exe"))
}

/// Runs a resource compiler; panics with the tool, its output and what to install.
fn run(command: &mut Command, tool: &str, remedy: &str) {
    match command.output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "{tool} failed ({}) compiling the DLL's version resource:\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => {
            panic!("cannot run {tool} to compile the DLL's version resource ({error}): {remedy}")
        }
    }
}
