//! Command-line flags.

use clap::Parser;
use std::path::PathBuf;

/// A Scale-compatible job API for development, demos and tests: generated
/// demo data in SQLite, the built app, or a proxy to a real Scale.
#[derive(Debug, Clone, Parser)]
#[command(name = "scale-jobs-server", version, about)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port; the actual address
    /// is printed as `listening on http://...`).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub addr: String,

    /// SQLite database file. Default: in memory. A file that already holds
    /// jobs is used as it is (no new demo data).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// How many demo jobs to generate into an empty database.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    pub demo_jobs: u32,

    /// Seed of the demo data: the same seed gives the same jobs.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,

    /// Move jobs along (and add new ones) every second, so a refreshing
    /// browser sees change.
    #[arg(long)]
    pub simulate: bool,

    /// Serve this directory (a built single-page app) at `/`, with
    /// `index.html` for unknown non-API paths.
    #[arg(long, value_name = "DIR")]
    pub dist: Option<PathBuf>,

    /// `refresh_seconds` in the generated `/config.json`.
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub refresh_seconds: u32,

    /// Forward `/api/v5/<rest>` and `/api/v4/<rest>` to `<URL>/<rest>`
    /// instead of answering from SQLite (e.g. `http://scale.example/api/v5`).
    #[arg(long, value_name = "URL", conflicts_with_all = ["db", "simulate"])]
    pub upstream: Option<String>,

    /// Delay every API answer by this many milliseconds (not static files,
    /// not CORS preflights), to behave like a slow Scale.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub latency_ms: u64,

    /// Let pages on this origin (`https://portal.example:8443`) call the API
    /// with credentials (CORS). Repeatable; exact match only.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,

    /// The CSP `frame-ancestors` sources of the app's HTML: who may frame
    /// the app (its `/embed/...` routes), e.g. `'self' https://portal.example`.
    #[arg(long, default_value = "'self'", value_name = "SOURCES")]
    pub frame_ancestors: String,
}

impl Args {
    /// Parses the process arguments. A bad flag prints one line and exits
    /// with status 2; `--help` and `--version` print as usual.
    pub fn parse_or_exit() -> Args {
        match Args::try_parse() {
            Ok(a) => a,
            Err(e) => match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    e.exit()
                }
                _ => {
                    let text = e.to_string();
                    let first = text.lines().next().unwrap_or("invalid arguments");
                    let first = first.strip_prefix("error: ").unwrap_or(first);
                    eprintln!("scale-jobs-server: error: {first} (see --help)");
                    std::process::exit(2);
                }
            },
        }
    }
}
