//! The `type` of every progress event `bastion_poll_progress` answers with: one table, used
//! where events are queued and checked against the core's events, from which the module's
//! `EventTypes` class is generated (`ffi/tests/contracts_drift.rs`).
//!
//! The core's events ([`ProgressEvent`]) carry their `type` through serde (the variant's
//! name in camelCase); [`EventType::of`] maps each variant by an exhaustive match, so a new
//! core event does not compile until it is in this table, and a unit test checks that
//! serde writes the same name. `hostSessionsPage` and `hostResult` are the C ABI's own.

use bastion_session::ProgressEvent;

/// The type of a progress event, as it appears in its `type` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// `hostsDiscovered`: host discovery over a scope finished.
    HostsDiscovered,
    /// `hostStarted`: work on a host began.
    HostStarted,
    /// `polling`: waiting before the next poll of a long-running operation.
    Polling,
    /// `retrying`: waiting before retrying a failed request.
    Retrying,
    /// `pageRead`: a page of an answer was read.
    PageRead,
    /// `hostDone`: work on a host ended.
    HostDone,
    /// `request`: one HTTP request finished.
    Request,
    /// `hostSessionsPage`: one page of a host's sessions (`streamResults`).
    HostSessionsPage,
    /// `hostResult`: a host's final status (`streamResults`).
    HostResult,
}

impl EventType {
    /// Every event type, in the order `ffi/CONTRACT.md` shows them.
    pub const ALL: [EventType; 9] = [
        EventType::HostsDiscovered,
        EventType::HostStarted,
        EventType::Polling,
        EventType::Retrying,
        EventType::PageRead,
        EventType::HostDone,
        EventType::HostSessionsPage,
        EventType::HostResult,
        EventType::Request,
    ];

    /// The `type` string of the event.
    pub fn name(self) -> &'static str {
        match self {
            EventType::HostsDiscovered => "hostsDiscovered",
            EventType::HostStarted => "hostStarted",
            EventType::Polling => "polling",
            EventType::Retrying => "retrying",
            EventType::PageRead => "pageRead",
            EventType::HostDone => "hostDone",
            EventType::Request => "request",
            EventType::HostSessionsPage => "hostSessionsPage",
            EventType::HostResult => "hostResult",
        }
    }

    /// The type of one of the core's events.
    pub fn of(event: &ProgressEvent) -> EventType {
        match event {
            ProgressEvent::HostsDiscovered { .. } => EventType::HostsDiscovered,
            ProgressEvent::HostStarted { .. } => EventType::HostStarted,
            ProgressEvent::Polling { .. } => EventType::Polling,
            ProgressEvent::Retrying { .. } => EventType::Retrying,
            ProgressEvent::PageRead { .. } => EventType::PageRead,
            ProgressEvent::HostDone { .. } => EventType::HostDone,
            ProgressEvent::Request { .. } => EventType::Request,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One event of each of the core's kinds.
    fn core_events() -> Vec<ProgressEvent> {
        let host = || "h".to_string();
        vec![
            ProgressEvent::HostsDiscovered { count: 1 },
            ProgressEvent::HostStarted { host: host() },
            ProgressEvent::Polling {
                host: host(),
                delay_ms: 1,
                attempt: 1,
            },
            ProgressEvent::Retrying {
                host: host(),
                status: Some(429),
                delay_ms: 1,
                attempt: 1,
            },
            ProgressEvent::PageRead {
                host: host(),
                page: 1,
                items: 1,
            },
            ProgressEvent::HostDone {
                host: host(),
                ok: true,
                sessions: 1,
                done: 1,
                total: 1,
            },
            ProgressEvent::Request {
                method: "GET".into(),
                url: "u".into(),
                status: None,
                elapsed_ms: 1,
            },
        ]
    }

    #[test]
    fn the_core_writes_the_type_of_the_table() {
        for event in core_events() {
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["type"], EventType::of(&event).name(), "{event:?}");
        }
    }

    #[test]
    fn all_lists_every_type_once() {
        // The match is exhaustive: a new variant fails to compile here until it is in ALL.
        let index = |t: EventType| match t {
            EventType::HostsDiscovered => 0,
            EventType::HostStarted => 1,
            EventType::Polling => 2,
            EventType::Retrying => 3,
            EventType::PageRead => 4,
            EventType::HostDone => 5,
            EventType::HostSessionsPage => 6,
            EventType::HostResult => 7,
            EventType::Request => 8,
        };
        for (i, t) in EventType::ALL.iter().enumerate() {
            assert_eq!(index(*t), i, "{t:?} is out of place in ALL");
        }
        // Every core event's type is in ALL (the ffi's own two are by construction).
        for event in core_events() {
            assert!(EventType::ALL.contains(&EventType::of(&event)));
        }
    }
}
