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
