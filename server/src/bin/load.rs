//! `scale-jobs-load`: many clients polling a running development server
//! (loopback only) for a bounded time; prints requests/s and p50/p99, and
//! exits non-zero if any request failed. `cargo xtask soak` runs it.

use clap::Parser;
use scale_jobs_server::load::{self, LoadConfig};
use std::process::ExitCode;
use std::time::Duration;

/// Poll a running scale-jobs-server's list and detail endpoints with many
/// concurrent clients. Only loopback addresses are accepted.
#[derive(Debug, Parser)]
#[command(name = "scale-jobs-load", version, about)]
struct Cli {
    /// The server (the API at /api/v5 below it) or an API base.
    #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
    url: String,
    /// Concurrent clients, each making one request at a time.
    #[arg(long, default_value_t = 50, value_name = "N")]
    clients: usize,
    /// How long to run.
    #[arg(long, default_value_t = 60, value_name = "N")]
    seconds: u64,
    /// Seed of the clients' request choices.
    #[arg(long, default_value_t = 1, value_name = "N")]
    seed: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scale-jobs-load: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cfg = LoadConfig {
        url: cli.url,
        clients: cli.clients,
        duration: Duration::from_secs(cli.seconds),
        seed: cli.seed,
    };
    match runtime.block_on(load::run(&cfg)) {
        Ok(report) => {
            println!("{}", report.summary());
            for e in &report.first_errors {
                eprintln!("scale-jobs-load: {e}");
            }
            if report.errors == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("scale-jobs-load: error: {e}");
            ExitCode::FAILURE
        }
    }
}
