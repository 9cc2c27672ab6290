//! ARM emulator library (skeleton).
