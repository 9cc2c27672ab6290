//! Bastion session client (skeleton; filled in by the core issue).
