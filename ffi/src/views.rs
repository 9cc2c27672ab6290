//! The JSON views of one host's listing outcome: its entry in `data.hosts` and the
//! `hostResult` / `hostSessionsPage` progress events around it.
//!
//! They sit below both `calls` (whose queue keeps them typed until a poll writes them) and
//! `sessions` (which builds them), so that neither of the two imports the other's types.

use bastion_session::{BastionHost, BastionSession, HostSessionsOutcome};
use serde::Serialize;

use crate::envelope::{FfiError, from_core};
use crate::events::EventType;

/// The JSON view of the core's [`HostSessionsOutcome`]: one host's entry in `data.hosts`
/// (and the `result` of a `hostResult` event).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostSessionsOutcomeView {
    pub(crate) host: BastionHost,
    pub(crate) ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sessions: Option<Vec<BastionSession>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<FfiError>,
}

impl HostSessionsOutcomeView {
    /// How many sessions this entry carries.
    pub(crate) fn session_count(&self) -> usize {
        self.sessions.as_ref().map_or(0, Vec::len)
    }

    /// Builds the entry of one host's outcome.
    pub fn from_outcome(outcome: HostSessionsOutcome) -> Self {
        match outcome.result {
            Ok(sessions) => HostSessionsOutcomeView {
                host: outcome.host,
                ok: true,
                sessions: Some(sessions),
                error: None,
            },
            Err(e) => HostSessionsOutcomeView {
                host: outcome.host,
                ok: false,
                sessions: None,
                error: Some(from_core(&e)),
            },
        }
    }
}

/// A `hostResult` progress event around one host entry, or a `hostSessionsPage` event
/// around one page of a host's sessions.
#[derive(Serialize)]
pub(crate) struct HostResultEvent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
    result: &'a HostSessionsOutcomeView,
}

impl<'a> HostResultEvent<'a> {
    /// The event for `result`.
    pub(crate) fn new(result: &'a HostSessionsOutcomeView) -> Self {
        HostResultEvent {
            kind: EventType::HostResult.name(),
            page: None,
            result,
        }
    }

    /// The `hostSessionsPage` event of page `page`, `result` holding that page's sessions.
    pub(crate) fn page(page: u32, result: &'a HostSessionsOutcomeView) -> Self {
        HostResultEvent {
            kind: EventType::HostSessionsPage.name(),
            page: Some(page),
            result,
        }
    }
}
