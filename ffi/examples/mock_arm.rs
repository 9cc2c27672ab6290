//! A stand-alone ARM mock for `tests/c/run.sh` when the `bastion-emulator` binary is not
//! built: prints `listening on http://127.0.0.1:PORT` and exits when standard input closes.
//!
//! Usage: `mock_arm [TOKEN] [HOSTS] [SESSIONS_PER_HOST]` (defaults `emulator-token`, 3, 5).

#[path = "../tests/support/arm_mock.rs"]
mod arm_mock;

use std::io::Read;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let token = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "emulator-token".into());
    let hosts: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let per_host: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
    let names: Vec<String> = (0..hosts).map(|i| format!("bh-{i}")).collect();
    let spec: Vec<(&str, usize)> = names.iter().map(|n| (n.as_str(), per_host)).collect();
    let url = arm_mock::spawn(arm_mock::Mock::new(&token, &spec));
    println!("listening on {url}");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}
