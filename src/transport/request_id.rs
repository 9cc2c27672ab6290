//! The `x-ms-client-request-id` every request carries, so an administrator can hand ARM
//! support the id of a failed call. Auth uses it too (as a client assertion's `jti`).

/// A random client request id (UUID v4 shape) for `x-ms-client-request-id`.
pub(crate) fn new_client_request_id() -> String {
    let a = fastrand::u128(..);
    let b = (a & !(0xF000u128 << 64)) | (0x4000u128 << 64);
    let b = (b & !(0xC000u128 << 48)) | (0x8000u128 << 48);
    let h = format!("{b:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_request_ids_look_like_uuids() {
        let id = new_client_request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, new_client_request_id());
    }
}
