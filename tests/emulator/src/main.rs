//! The `bastion-emulator` binary: parses flags, prints `listening on URL` first, and runs
//! until its standard input closes or it gets SIGTERM/SIGINT.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use bastion_emulator::{
    EmulatorConfig, FaultKind, FinalBodyShape, HostBehaviour, Scenario, ScriptedFault, Settings,
};
use clap::Parser;

/// An Azure Resource Manager stand-in for Bastion session operations, on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "bastion-emulator", version)]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The bearer token accepted [default: emulator-token].
    #[arg(long)]
    token: Option<String>,
    /// Hosts and sessions (and settings) as JSON; see the crate docs for the format.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Generated scenario: number of hosts (in subscription 00000000-0000-0000-0000-000000000001).
    #[arg(long)]
    hosts: Option<usize>,
    /// Generated scenario: sessions per host.
    #[arg(long, default_value_t = 5)]
    sessions_per_host: usize,
    /// Generated scenario: hosts per resource group (rg-0, rg-1, ...).
    #[arg(long, default_value_t = 10)]
    hosts_per_group: usize,
    /// Generated scenario: resource groups are spread over this many subscriptions.
    #[arg(long, default_value_t = 1)]
    subscriptions: usize,
    /// Milliseconds added to every ARM response.
    #[arg(long)]
    latency_ms: Option<u64>,
    /// 202 answers before the 200 of getActiveSessions [default: 1].
    #[arg(long)]
    polls: Option<u32>,
    /// Retry-After seconds on 202 and 429 answers [default: 1].
    #[arg(long)]
    retry_after: Option<u64>,
    /// Items per page [default: 100].
    #[arg(long)]
    page_size: Option<usize>,
    /// Share of ARM requests answered with an injected fault (429, 500, 503, dropped
    /// connection); a host scripted to fail (alwaysFail500, forbidden) answers its own failure.
    #[arg(long)]
    fault_rate: Option<f64>,
    /// Seed of the fault dice.
    #[arg(long)]
    fault_seed: Option<u64>,
    /// ARM-like per-subscription token buckets (reads 250 + 25/s, writes 200 + 10/s).
    #[arg(long)]
    throttle: bool,
    /// Read (GET) bucket size per subscription with --throttle [default: 250].
    #[arg(long)]
    throttle_read_capacity: Option<f64>,
    /// Read tokens added per second with --throttle [default: 25].
    #[arg(long)]
    throttle_read_refill: Option<f64>,
    /// Write (POST) bucket size per subscription with --throttle [default: 200].
    #[arg(long)]
    throttle_write_capacity: Option<f64>,
    /// Write tokens added per second with --throttle [default: 10].
    #[arg(long)]
    throttle_write_refill: Option<f64>,
    /// Scripted fault for the next matching requests: OPERATION=FAULT[xCOUNT], FAULT one of
    /// 429, 500, 503, drop; OPERATION as named in /_emulator/stats or `*` (repeatable).
    #[arg(long = "fault", value_name = "OP=FAULT[xN]", value_parser = parse_fault)]
    faults: Vec<ScriptedFault>,
    /// Make the named host misbehave: NAME=BEHAVIOUR with BEHAVIOUR one of normal,
    /// alwaysFail500, forbidden, lroNeverCompletes, noPollingHeaders, nextLinkLoop,
    /// bareArray, malformedBody; NAME matches host names in every group,
    /// case-insensitively (repeatable).
    #[arg(long = "host-behaviour", value_name = "NAME=BEHAVIOUR", value_parser = parse_host_behaviour)]
    host_behaviours: Vec<(String, HostBehaviour)>,
    /// Final getActiveSessions body is a bare JSON array.
    #[arg(long)]
    bare_array: bool,
    /// Send Azure-AsyncOperation beside Location.
    #[arg(long)]
    async_operation: bool,
    /// Send 202s without any polling header (clients must POST again).
    #[arg(long)]
    no_polling_headers: bool,
    /// The secret the managed-identity endpoint wants in X-IDENTITY-HEADER.
    #[arg(long)]
    identity_header: Option<String>,
    /// Lifetime of managed-identity tokens in seconds (0: they never expire).
    #[arg(long)]
    token_ttl_sec: Option<u64>,
    /// The managed-identity endpoint writes expires_on as a number.
    #[arg(long)]
    msi_expires_on_number: bool,
    /// HTTPS with a generated self-signed certificate (its PEM path is printed second).
    #[arg(long)]
    tls: bool,
    /// Where --tls writes the certificate [default: a file in the temp directory].
    #[arg(long, value_name = "FILE")]
    cert_file: Option<PathBuf>,
    /// Keep running when standard input closes (stop with SIGTERM).
    #[arg(long)]
    ignore_stdin: bool,
}

fn parse_fault(text: &str) -> Result<ScriptedFault, String> {
    let (operation, rest) = text
        .split_once('=')
        .ok_or_else(|| format!("expected OPERATION=FAULT[xCOUNT], got '{text}'"))?;
    let (fault, count) = match rest.split_once('x') {
        Some((fault, count)) => (
            fault,
            count
                .parse::<u32>()
                .map_err(|_| format!("the count in '{text}' is not a number"))?,
        ),
        None => (rest, 1),
    };
    let fault: FaultKind = serde_json::from_value(serde_json::Value::String(fault.to_string()))
        .map_err(|_| format!("unknown fault '{fault}': use 429, 500, 503 or drop"))?;
    Ok(ScriptedFault {
        operation: Some(operation.to_string()),
        fault,
        count: count.max(1),
    })
}

fn parse_host_behaviour(text: &str) -> Result<(String, HostBehaviour), String> {
    let (name, behaviour) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=BEHAVIOUR, got '{text}'"))?;
    let behaviour: HostBehaviour =
        serde_json::from_value(serde_json::Value::String(behaviour.to_string())).map_err(|_| {
            format!(
                "unknown behaviour '{behaviour}': use normal, alwaysFail500, forbidden, lroNeverCompletes, noPollingHeaders, nextLinkLoop, bareArray, malformedBody or alwaysThrottled"
            )
        })?;
    Ok((name.to_string(), behaviour))
}

fn settings(args: &Args, base: Settings) -> Settings {
    let mut s = base;
    if let Some(v) = &args.token {
        s.token = v.clone();
    }
    if let Some(v) = args.latency_ms {
        s.latency_ms = v;
    }
    if let Some(v) = args.polls {
        s.polls = v;
    }
    if let Some(v) = args.retry_after {
        s.retry_after = v;
    }
    if let Some(v) = args.page_size {
        s.page_size = v.max(1);
    }
    if let Some(v) = args.fault_rate {
        s.fault_rate = v;
    }
    if let Some(v) = args.fault_seed {
        s.fault_seed = v;
    }
    if let Some(v) = &args.identity_header {
        s.identity_header = v.clone();
    }
    if let Some(v) = args.token_ttl_sec {
        s.token_ttl_sec = v;
    }
    if let Some(v) = args.throttle_read_capacity {
        s.throttle_settings.read_capacity = v;
    }
    if let Some(v) = args.throttle_read_refill {
        s.throttle_settings.read_refill_per_sec = v;
    }
    if let Some(v) = args.throttle_write_capacity {
        s.throttle_settings.write_capacity = v;
    }
    if let Some(v) = args.throttle_write_refill {
        s.throttle_settings.write_refill_per_sec = v;
    }
    s.faults.extend(args.faults.iter().cloned());
    s.throttle |= args.throttle;
    s.async_operation_header |= args.async_operation;
    s.no_polling_headers |= args.no_polling_headers;
    s.msi_expires_on_number |= args.msi_expires_on_number;
    if args.bare_array {
        s.final_body_shape = FinalBodyShape::BareArray;
    }
    s
}

fn config(args: &Args) -> anyhow::Result<EmulatorConfig> {
    let mut scenario = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading scenario file {}", path.display()))?;
            Scenario::from_json(&text).map_err(anyhow::Error::msg)?
        }
        None => Scenario::generated(
            args.hosts.unwrap_or(10),
            args.sessions_per_host,
            args.hosts_per_group,
            args.subscriptions,
        ),
    };
    if args.scenario.is_some() && args.hosts.is_some() {
        anyhow::bail!("--scenario and --hosts cannot be combined");
    }
    if let Some(rate) = args.fault_rate {
        anyhow::ensure!(
            (0.0..=1.0).contains(&rate),
            "--fault-rate must be between 0 and 1, got {rate}"
        );
    }
    for (name, behaviour) in &args.host_behaviours {
        anyhow::ensure!(
            scenario.set_behaviour(name, *behaviour) > 0,
            "--host-behaviour: no host named '{name}' in the scenario"
        );
    }
    let base = scenario.settings.take().unwrap_or_default();
    Ok(EmulatorConfig {
        settings: settings(args, base),
        scenario,
    })
}

async fn stop_signal(ignore_stdin: bool) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    if !ignore_stdin {
        std::thread::spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
    } else {
        std::mem::forget(tx);
    }
    tokio::select! {
        _ = rx => {}
        _ = terminate() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Resolves on SIGTERM (Unix); Windows has no SIGTERM (a stop there is Ctrl+C, Ctrl+Break
/// or closing stdin), so there it never resolves.
#[cfg(unix)]
async fn terminate() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    term.recv().await;
}

/// Resolves on SIGTERM (Unix); Windows has no SIGTERM (a stop there is Ctrl+C, Ctrl+Break
/// or closing stdin), so there it never resolves.
#[cfg(not(unix))]
async fn terminate() {
    std::future::pending::<()>().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = config(&args)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .context("binding 127.0.0.1")?;
    let port = listener.local_addr()?.port();
    let mut out = std::io::stdout().lock();
    if args.tls {
        let generated = bastion_emulator::tls::generate()?;
        let path = args.cert_file.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("bastion-emulator-{}.pem", std::process::id()))
        });
        std::fs::write(&path, &generated.certificate_pem)
            .with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "listening on https://localhost:{port}")?;
        writeln!(out, "certificate {}", path.display())?;
        out.flush()?;
        drop(out);
        bastion_emulator::serve_tls(
            listener,
            config,
            generated.acceptor,
            stop_signal(args.ignore_stdin),
        )
        .await;
        let _ = std::fs::remove_file(&path);
    } else {
        writeln!(out, "listening on http://127.0.0.1:{port}")?;
        out.flush()?;
        drop(out);
        bastion_emulator::serve(listener, config, stop_signal(args.ignore_stdin)).await;
    }
    Ok(())
}
