//! Test support: the built `libbastion_session_ffi.so` loaded with libloading and driven
//! like a foreign caller, plus the ARM emulator set up for those tests ([`arm`]).
//!
//! The library is looked up next to the test executable's directory
//! (`target/debug/libbastion_session_ffi.so`); `cargo test -p bastion_session_ffi` builds
//! it (the crate is `cdylib` + `rlib`, and both are produced for the tests).
#![allow(dead_code)]

pub mod arm;

use std::ffi::{CStr, CString, c_char};
use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

type StrFn = unsafe extern "C" fn(*const c_char) -> *mut c_char;

/// The loaded library and its exports.
pub struct Lib {
    _lib: libloading::Library,
    pub get_sessions: StrFn,
    pub disconnect_sessions: StrFn,
    pub list_hosts: StrFn,
    pub poll_progress: StrFn,
    pub cancel: unsafe extern "C" fn(*const c_char) -> i32,
    pub string_free: unsafe extern "C" fn(*mut c_char),
    pub version: unsafe extern "C" fn() -> *const c_char,
}

/// Where the cdylib is. The test binary lives in `<target>/debug/deps/`, and
/// `cargo test -p bastion_session_ffi` builds the cdylib of the same sources right there
/// (it is uplifted to `<target>/debug/` only by `cargo build`), so `deps/` comes first:
/// the tests never run against a stale library.
pub fn library_path() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test binary directory").to_path_buf();
    let name = format!(
        "{}bastion_session_ffi{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let candidates = [deps.join(&name), deps.parent().unwrap_or(&deps).join(&name)];
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{name} not found in {} or its parent: run the tests with \
                 `cargo test -p bastion_session_ffi`, which builds it",
                deps.display()
            )
        })
}

/// The library, loaded once per test process.
pub fn lib() -> &'static Lib {
    static LIB: OnceLock<Lib> = OnceLock::new();
    LIB.get_or_init(|| unsafe {
        let lib = libloading::Library::new(library_path()).expect("load the library");
        macro_rules! sym {
            ($name:literal) => {
                *lib.get($name).expect(concat!("symbol ", stringify!($name)))
            };
        }
        Lib {
            get_sessions: sym!(b"bastion_get_sessions\0"),
            disconnect_sessions: sym!(b"bastion_disconnect_sessions\0"),
            list_hosts: sym!(b"bastion_list_hosts\0"),
            poll_progress: sym!(b"bastion_poll_progress\0"),
            cancel: sym!(b"bastion_cancel\0"),
            string_free: sym!(b"bastion_string_free\0"),
            version: sym!(b"bastion_version\0"),
            _lib: lib,
        }
    })
}

impl Lib {
    /// Calls `f` with a raw pointer, takes the envelope text and frees it.
    pub fn call_raw(&self, f: StrFn, arg: *const c_char) -> String {
        unsafe {
            let out = f(arg);
            assert!(!out.is_null(), "an export returned null");
            let text = CStr::from_ptr(out)
                .to_str()
                .expect("envelope is UTF-8")
                .to_owned();
            (self.string_free)(out);
            text
        }
    }

    /// Calls `f` with `request` and parses the envelope.
    pub fn call(&self, f: StrFn, request: &str) -> Value {
        let c = CString::new(request).unwrap();
        let text = self.call_raw(f, c.as_ptr());
        let v: Value = serde_json::from_str(&text).expect("envelope is JSON");
        assert_eq!(v["schemaVersion"], 1, "{text}");
        v
    }

    /// `bastion_cancel(id)`.
    pub fn cancel_op(&self, id: &str) -> i32 {
        let c = CString::new(id).unwrap();
        unsafe { (self.cancel)(c.as_ptr()) }
    }

    /// `bastion_poll_progress(id)`'s `data`.
    pub fn poll(&self, id: &str) -> Value {
        let v = self.call(self.poll_progress, id);
        assert_eq!(v["ok"], true, "{v}");
        v["data"].clone()
    }

    /// `bastion_version()`.
    pub fn version_string(&self) -> String {
        unsafe { CStr::from_ptr((self.version)()) }
            .to_str()
            .unwrap()
            .to_owned()
    }
}

/// Asserts `v` is an error envelope of `kind`/`code`; returns the error object.
pub fn expect_error(v: &Value, kind: &str, code: u64) -> Value {
    assert_eq!(v["ok"], false, "expected a {kind} error: {v}");
    assert_eq!(v["error"]["kind"], kind, "{v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    assert_eq!(v["error"]["expected"], kind != "internal", "{v}");
    v["error"].clone()
}

/// Asserts `v` is a success envelope; returns `data`.
pub fn expect_ok(v: &Value) -> Value {
    assert_eq!(v["ok"], true, "expected success: {v}");
    v["data"].clone()
}
