//! `scale-jobs-server`: parse flags, run. Everything else is in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = scale_jobs_server::Args::parse_or_exit();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scale-jobs-server: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(scale_jobs_server::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale-jobs-server: error: {e}");
            ExitCode::FAILURE
        }
    }
}
