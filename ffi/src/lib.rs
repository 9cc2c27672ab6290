//! C ABI (skeleton; filled in by the C ABI issue).
