//! Load generator for the emulator's throughput figure: sends `requests` requests from
//! `concurrency` tasks: getActiveSessions POSTs (answered 200 at once with a page of 100
//! sessions) and host GETs, alternating. Prints requests per second.
//!
//! Without a URL it starts an emulator with 1,000 hosts x 100 sessions (100,000 sessions)
//! in-process; with one it drives a running binary started as
//! `bastion-emulator --hosts 1000 --sessions-per-host 100 --polls 0`:
//!
//! `cargo run --release -p bastion-emulator --example load -- [requests] [concurrency] [url]`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bastion_emulator::{EmulatorConfig, Settings, spawn};

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let external = args.next();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let (_emulator, base) = match external {
        Some(url) => (None, url.trim_end_matches('/').to_string()),
        None => {
            let mut config = EmulatorConfig::generated(1_000, 100);
            config.settings = Settings {
                polls: 0,
                ..Settings::default()
            };
            let emulator = spawn(config);
            let base = emulator.base_url();
            (Some(emulator), base)
        }
    };
    let truth: serde_json::Value = client
        .get(format!("{base}/_emulator/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let total_sessions = truth["total"].as_u64().unwrap_or(0);
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, base, next, failures) = (client.clone(), base.clone(), next.clone(), failures.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests {
                        break;
                    }
                    let host = format!(
                        "{base}/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-{}/providers/Microsoft.Network/bastionHosts/bh-{}",
                        (i % 1000) / 10,
                        i % 1000
                    );
                    let request = if i % 2 == 0 {
                        client.post(format!("{host}/getActiveSessions?api-version=2025-07-01"))
                    } else {
                        client.get(format!("{host}?api-version=2025-07-01"))
                    };
                    let ok = match request.bearer_auth("emulator-token").send().await {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if !ok {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("| hosts | sessions | requests | concurrency | failures | seconds | requests/s |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| 1000 | {total_sessions} | {requests} | {concurrency} | {} | {elapsed:.2} | {:.0} |",
        failures.load(Ordering::Relaxed),
        requests as f64 / elapsed
    );
}
