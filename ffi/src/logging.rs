//! Opt-in diagnostics: when `BASTION_SESSION_LOG` holds a tracing filter (e.g. `debug`),
//! the library installs a tracing subscriber on first use, writing to the file named by
//! `BASTION_SESSION_LOG_FILE` or to standard error. Nothing is installed otherwise, and
//! an application's own subscriber is left alone (installation fails quietly).
//!
//! Requests are never logged, and no log line carries a token or secret.

use std::sync::{Mutex, Once};

/// Installs the subscriber once, if asked for by the environment.
pub(crate) fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(filter) = std::env::var("BASTION_SESSION_LOG") else {
            return;
        };
        let Ok(filter) = tracing_subscriber::EnvFilter::try_new(filter) else {
            return;
        };
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_target(true);
        let _ = match std::env::var_os("BASTION_SESSION_LOG_FILE") {
            Some(path) => match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                Ok(file) => builder.with_writer(Mutex::new(file)).try_init(),
                Err(_) => return,
            },
            None => builder.with_writer(std::io::stderr).try_init(),
        };
    });
}
