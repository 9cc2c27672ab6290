//! Checks of single request fields that several parts of the request share (a required
//! string, a URL). They sit below `parse`, `credential` and `convert`, so that those three
//! import each other in one direction only.

use crate::envelope::FfiError;

/// Reads a required string field, naming it when it is missing or empty.
pub(super) fn required<'a>(path: &str, value: &'a Option<String>) -> Result<&'a str, FfiError> {
    match value.as_deref() {
        Some(v) if !v.trim().is_empty() => Ok(v),
        Some(_) => Err(FfiError::invalid_request(path, "must not be empty")),
        None => Err(FfiError::invalid_request(path, "is required")),
    }
}

/// An http(s) URL without a user name or password, for the field at `path`.
pub(super) fn parse_url(path: &str, text: &str) -> Result<url::Url, FfiError> {
    let url = url::Url::parse(text)
        .map_err(|e| FfiError::invalid_request(path, format!("is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FfiError::invalid_request(
            path,
            "must be an http or https URL",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FfiError::invalid_request(
            path,
            "must not carry a user name or password",
        ));
    }
    Ok(url)
}
