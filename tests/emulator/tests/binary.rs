//! The `bastion-emulator` binary: first line, flags, TLS certificate line, and shutdown on
//! stdin EOF and SIGTERM, so no test leaves it running.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

fn start(args: &[&str]) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bastion-emulator"))
        .args(["--port", "0"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start bastion-emulator");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    (child, stdout, line.trim().to_string())
}

fn exits_within(child: &mut Child, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    false
}

fn get(url: &str, ca: Option<&str>) -> reqwest::Result<reqwest::blocking::Response> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::blocking::Client::builder().no_proxy();
    if let Some(pem) = ca {
        builder = builder.tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()]);
    }
    builder
        .build()
        .unwrap()
        .get(url)
        .bearer_auth("t0ken")
        .send()
}

#[test]
fn prints_its_address_first_and_exits_when_stdin_closes() {
    let (mut child, _out, line) = start(&["--hosts", "3", "--token", "t0ken", "--latency-ms", "1"]);
    let url = line.strip_prefix("listening on ").expect(&line);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let hosts: serde_json::Value = get(
        &format!("{url}/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Network/bastionHosts?api-version=1"),
        None,
    )
    .unwrap()
    .json()
    .unwrap();
    assert_eq!(hosts["value"].as_array().unwrap().len(), 3);
    drop(child.stdin.take());
    assert!(
        exits_within(&mut child, Duration::from_secs(5)),
        "still running after stdin closed"
    );
}

#[test]
fn exits_on_sigterm() {
    let (mut child, _out, _) = start(&["--ignore-stdin"]);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        exits_within(&mut child, Duration::from_secs(5)),
        "still running after SIGTERM"
    );
}

#[test]
fn tls_names_its_certificate_on_the_second_line_and_is_trusted_only_with_it() {
    let (mut child, mut out, line) = start(&["--tls", "--token", "t0ken"]);
    let url = line.strip_prefix("listening on ").expect(&line).to_string();
    assert!(url.starts_with("https://"), "{url}");
    let mut second = String::new();
    out.read_line(&mut second).unwrap();
    let path = second
        .trim()
        .strip_prefix("certificate ")
        .expect(&second)
        .to_string();
    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let probe = format!("{url}/_emulator/stats");
    assert!(
        get(&probe, None).is_err(),
        "an untrusted self-signed certificate must be refused"
    );
    assert_eq!(get(&probe, Some(&pem)).unwrap().status(), 200);
    drop(child.stdin.take());
    assert!(exits_within(&mut child, Duration::from_secs(5)));
}

#[test]
fn refuses_bad_flags_with_a_clear_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_bastion-emulator"))
        .args(["--fault-rate", "3"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--fault-rate"));
}

fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
}

#[test]
fn scenario_file_settings_are_overridden_by_flags_and_hosts_scripted_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("bastion-emulator-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scenario.json");
    let scenario = serde_json::json!({
        "settings": { "token": "file-token", "polls": 2, "pageSize": 1,
                      "faults": [{ "operation": "getHost", "fault": "503", "count": 1 }] },
        "subscriptions": [{ "subscriptionId": "11111111-2222-3333-4444-555555555555",
            "resourceGroups": [{ "name": "rg-file", "hosts": [
                { "name": "bh-a", "sessions": [
                    { "sessionId": "s-1", "userName": "", "startTime": "2019-1-1T12:00:00.0000Z" },
                    { "sessionId": "s-2", "userName": "alice@contoso.com", "startedMinutesAgo": 5 } ] },
                { "name": "bh-b", "sessions": [] } ] }] }]
    });
    std::fs::write(&path, scenario.to_string()).unwrap();
    let (mut child, _out, line) = start(&[
        "--scenario",
        path.to_str().unwrap(),
        "--polls",
        "0",
        "--host-behaviour",
        "BH-B=forbidden",
        "--fault",
        "getActiveSessions=429x2",
        "--throttle",
        "--throttle-write-capacity",
        "5",
    ]);
    let base = line.strip_prefix("listening on ").expect(&line).to_string();
    let host = |name: &str| {
        format!(
            "{base}/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-file/providers/Microsoft.Network/bastionHosts/{name}"
        )
    };
    let c = client();
    // The file's scripted fault, then the host itself with the file's token.
    let get_host = || {
        c.get(format!("{}?api-version=1", host("bh-a")))
            .bearer_auth("file-token")
            .send()
            .unwrap()
    };
    assert_eq!(get_host().status(), 503);
    assert_eq!(get_host().status(), 200);
    // Two 429s from --fault, then --polls 0 (beating the file's 2) answers 200 at once.
    let post = || {
        c.post(format!("{}/getActiveSessions?api-version=1", host("bh-a")))
            .bearer_auth("file-token")
            .send()
            .unwrap()
    };
    assert_eq!(post().status(), 429);
    assert_eq!(post().status(), 429);
    let done = post();
    assert_eq!(done.status(), 200);
    assert_eq!(
        done.headers()["x-ms-ratelimit-remaining-subscription-writes"],
        "4",
        "a bucket of 5 after one write: injected faults are answered before the bucket is charged"
    );
    let page: serde_json::Value = done.json().unwrap();
    assert_eq!(page["value"][0]["startTime"], "2019-1-1T12:00:00.0000Z");
    assert_eq!(page["value"][0]["userName"], "");
    assert!(page["nextLink"].is_string(), "pageSize 1 from the file");
    let denied = c
        .post(format!("{}/getActiveSessions?api-version=1", host("bh-b")))
        .bearer_auth("file-token")
        .send()
        .unwrap();
    assert_eq!(denied.status(), 403);
    drop(child.stdin.take());
    assert!(exits_within(&mut child, Duration::from_secs(5)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_host_behaviour_target_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_bastion-emulator"))
        .args(["--hosts", "2", "--host-behaviour", "bh-9=forbidden"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("bh-9"));
}
