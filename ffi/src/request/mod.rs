//! The caller's JSON request, from text to the core's types, in three steps:
//! - [`parse`]: the JSON request types and the strict parse (unknown fields refused, errors
//!   naming the JSON path, another `schemaVersion` recognised even in a request that does
//!   not parse), plus the checks on the shared fields' ranges;
//! - [`credential`]: the `credential` object, its secrets ([`credential::Secret`]) and the
//!   redaction of caller values from parse errors;
//! - [`convert`]: the parsed request into the core's options, hosts, scope and targets. Names
//!   and ids are the core's to validate: its error goes through, naming the field.
//!
//! Below all three, `fields` holds the checks they share (a required string, a URL), so
//! that they import each other in one direction only: `convert` → `parse` → `credential`.
//!
//! The request text itself is borrowed from the caller and never copied.

pub(crate) mod convert;
pub(crate) mod credential;
mod fields;
pub(crate) mod parse;

pub(crate) use convert::{CallSettings, HostSelection};
pub(crate) use parse::{Call, Request, parse};
