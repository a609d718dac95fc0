//! `malt`: the server (`malt serve`) and its admin CLI, in one binary. This crate is wiring only:
//! configuration, opening the storage, and one module per CLI command under `cli/`.

mod cli;
mod context;
mod logging;
mod serve;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("malt: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("malt: {e:#}");
            ExitCode::FAILURE
        }
    }
}
