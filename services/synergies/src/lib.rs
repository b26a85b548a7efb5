//! The one binary of Synergies.
//!
//! * `synergies` — everything in one process: each service on its own SQLite file in
//!   `--data-dir`, the durable in-process bus, the gateway on `--listen` (`--ready-file`: where
//!   the bound addresses are written).
//! * `synergies serve <service>` — one service (microservices mode) on PostgreSQL and NATS.
//! * `synergies migrate` — applies every service's migrations.
//! * `synergies dead-letters list|replay` — the operator's view of events consumers gave up on.
//! * `synergies bounces ingest --tenant <slug>` — feeds a delivery report read from stdin.

mod bounces;
mod cli;
mod data_dir;
mod demo;
mod modes;
mod ready;
mod service;

use std::process::ExitCode;

use clap::Parser;

pub use cli::{Cli, Command, DeadLetterCommand};
pub use service::Service;

/// Parses the command line and runs it on a multi-threaded runtime.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("synergies: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(modes::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("synergies: {error:#}");
            ExitCode::FAILURE
        }
    }
}
