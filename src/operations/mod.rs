//! Layer 5, the ARM operations: one file per operation on Bastion hosts, each a function
//! over the [`ArmPipeline`](crate::pipeline::ArmPipeline) for one host or one
//! subscription. Fanning them out over many is the layer above.

pub(crate) mod disconnect_active_sessions;
pub(crate) mod get_active_sessions;
pub(crate) mod get_host;
pub(crate) mod list_hosts;
