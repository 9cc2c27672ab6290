//! Lists the sessions of every Bastion host of a subscription at once and prints how
//! long it took: the fan-out measurement.
//!
//! ```text
//! bastion-emulator --port 0 --hosts 200 --sessions-per-host 5 --latency-ms 50 --polls 1 --retry-after 1 &
//! cargo run --release --example list_many -- --endpoint http://127.0.0.1:PORT [--concurrency 16]
//! ```
//!
//! Or in one command, `--self-hosted N` runs the same emulator in this process, with the
//! same knobs (50 ms latency on every answer, one 202 poll per host with `Retry-After: 1`,
//! 5 sessions per host):
//!
//! ```text
//! cargo run --release --example list_many -- --self-hosted 200
//! ```
//!
//! Flags: `--endpoint URL` or `--self-hosted N`, `--token T` (default `emulator-token`),
//! `--subscription ID` (default the emulator's generated one), `--concurrency N`
//! (default `DEFAULT_CONCURRENCY`), `--resource-group RG` (optional).

use std::time::Instant;

use bastion_session::{
    BastionClient, ClientOptions, CredentialSpec, DEFAULT_CONCURRENCY, HostScope, OperationContext,
};
use futures::StreamExt;

/// `--self-hosted N`: the ARM emulator itself, in this process (its own thread and
/// runtime), with the issue's shape: 50 ms latency on every answer, one 202 poll per host
/// with `Retry-After: 1`, 5 sessions per host.
fn self_hosted(hosts: usize) -> bastion_emulator::EmulatorHandle {
    let mut config = bastion_emulator::EmulatorConfig::generated(hosts, 5);
    config.settings.latency_ms = 50;
    config.settings.polls = 1;
    config.settings.retry_after = 1;
    bastion_emulator::spawn(config)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut endpoint = None;
    let mut server = None;
    let mut token = "emulator-token".to_string();
    let mut subscription = "00000000-0000-0000-0000-000000000001".to_string();
    let mut resource_group = None;
    let mut concurrency = DEFAULT_CONCURRENCY;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--endpoint" => endpoint = Some(value()?),
            "--self-hosted" => {
                let s = self_hosted(value()?.parse()?);
                endpoint = Some(s.base_url());
                server = Some(s);
            }
            "--token" => token = value()?,
            "--subscription" => subscription = value()?,
            "--resource-group" => resource_group = Some(value()?),
            "--concurrency" => concurrency = value()?.parse()?,
            other => return Err(format!("unknown argument '{other}'").into()),
        }
    }
    let endpoint = endpoint.ok_or("--endpoint URL or --self-hosted N is required")?;
    let mut options = ClientOptions::default();
    options.arm_endpoint = Some(endpoint.parse()?);
    options.credential = CredentialSpec::AccessToken(token.into());
    let client = BastionClient::new(options)?;
    let ctx = OperationContext::new();

    let started = Instant::now();
    let scope = HostScope {
        subscription_ids: vec![subscription],
        resource_group_name: resource_group,
    };
    let hosts = client.list_hosts(&scope, &ctx).await?;
    let discovered = started.elapsed();

    let fan_out = Instant::now();
    let (mut ok, mut failed, mut sessions) = (0usize, 0usize, 0usize);
    let mut stream = client.list_sessions_many(hosts.clone(), concurrency, &ctx);
    while let Some(outcome) = stream.next().await {
        match outcome.result {
            Ok(s) => {
                ok += 1;
                sessions += s.len();
            }
            Err(e) => {
                failed += 1;
                eprintln!("{}: {e}", outcome.host.name);
            }
        }
    }
    let listed = fan_out.elapsed();
    println!(
        "hosts={} ok={ok} failed={failed} sessions={sessions} concurrency={concurrency} \
         discovery_ms={} fan_out_ms={} total_ms={} requests={} retries={}",
        hosts.len(),
        discovered.as_millis(),
        listed.as_millis(),
        started.elapsed().as_millis(),
        ctx.stats.requests(),
        ctx.stats.retries()
    );
    drop(server);
    Ok(())
}
