//! `lrfind`: the learning-rate range test on the command line. All logic lives in the `lrfind`
//! and `lrfind-burn` libraries; this binary parses arguments, wires them up and maps errors to
//! exit codes (0 ok, 1 other failure, 2 bad input, 130 interrupted).

mod analyze;
mod evaluate;
mod exit;
mod find;
mod flags;
mod output;
mod report;
mod resume;
mod schedule;
mod settings;
mod train;
mod train_report;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lrfind",
    version,
    about = "Find a good learning rate: the LR range test (Smith 2015, fastai lr_find)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Every command lets negative-looking values through (`--start-lr -1e-5`) so that the value
/// itself is checked and refused with a message that names the flag.
#[derive(Subcommand)]
enum Command {
    /// Run the range test on a real model and dataset (default: digits + MLP + AdamW).
    #[command(disable_help_flag = true)]
    Find(Passthrough),
    /// Analyze a range-test curve recorded by any tool (CSV or JSON with lr and loss).
    #[command(allow_negative_numbers = true)]
    Analyze(Box<analyze::Args>),
    /// Train with the found rate and a schedule; re-find as training goes on.
    #[command(disable_help_flag = true)]
    Train(Passthrough),
    /// Measure each suggestion against a grid search: final held-out loss and regret.
    #[command(allow_negative_numbers = true)]
    Evaluate(Box<evaluate::Args>),
    /// Print or plot a learning-rate schedule (PyTorch's numbers), optionally from a finder's JSON.
    #[command(disable_help_flag = true)]
    Schedule(Passthrough),
}

/// The arguments of a command whose flags depend on the schedule kind it names: parsed by the
/// command itself, with that kind's flags added (`lrfind train --schedule KIND`, `lrfind
/// schedule KIND`).
#[derive(clap::Args)]
struct Passthrough {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    args: Vec<OsString>,
}

impl Passthrough {
    /// `name` followed by the arguments, as the command's own parser expects.
    fn argv(self, name: &str) -> Vec<OsString> {
        std::iter::once(OsString::from(name))
            .chain(self.args)
            .collect()
    }
}

fn main() -> ExitCode {
    // Freed tensors stay in the process for the next step (a third of a transformer step otherwise).
    lrfind_burn::allocator::keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Find(args) => find::parse_and_find(args.argv("lrfind find")),
        Command::Analyze(args) => analyze::analyze_curve(*args),
        Command::Schedule(args) => schedule::parse_and_print(args.argv("lrfind schedule")),
        Command::Train(args) => train::parse_and_train(args.argv("lrfind train")),
        Command::Evaluate(args) => evaluate::evaluate_rules(*args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => exit::report(&e),
    }
}
