//! `bastion_version`: a static string naming the crate version and the JSON schema version.

use std::ffi::c_char;

/// The version string, NUL-terminated, built at compile time.
pub(crate) const VERSION: &str = concat!(
    "bastion_session_ffi ",
    env!("CARGO_PKG_VERSION"),
    " (schema 1)\0"
);

/// The version string without its NUL.
pub fn version_str() -> &'static str {
    VERSION.trim_end_matches('\0')
}

/// Returns the library version and the JSON schema version, e.g.
/// `bastion_session_ffi 0.1.0 (schema 1)`.
///
/// - Ownership: a static string owned by the library; never free it.
/// - Thread safety: may be called from any thread at any time.
/// - Never fails, never unwinds.
#[unsafe(no_mangle)]
pub extern "C" fn bastion_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    #[test]
    fn schema_in_version_matches_envelope() {
        let expected = format!("(schema {})", crate::envelope::SCHEMA_VERSION);
        assert!(super::version_str().ends_with(&expected));
        assert!(super::VERSION.ends_with('\0'));
    }
}
