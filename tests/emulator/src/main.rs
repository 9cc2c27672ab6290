//! bastion-emulator binary (skeleton).
fn main() {}
