//! What every token source shares: the caller's environment settings (read instead of
//! the process environment when the caller passed them) and the shape of a failed token
//! request. Kept apart from `mod.rs` so the sources below it never import their parent.

use std::sync::Arc;

use crate::error::{Error, ErrorKind};

/// The caller's environment settings (`None`: the process environment).
pub(crate) type Vars = Option<Arc<crate::options::EnvSettings>>;

/// Variable `name` from the caller's settings, or the process environment without them.
pub(crate) fn env(vars: &Vars, name: &str) -> Option<String> {
    crate::options::env_var(vars.as_deref(), name)
}

/// Maps an azure_identity / azure_core error to an [`ErrorKind::Auth`] error.
pub(crate) fn auth_error(name: &str, e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Auth,
        format!("{name} could not get a token: {e}"),
    )
}
