//! The `k8s-lint` command: arguments, output formats and exit codes. Rule logic lives in
//! `k8s-lint-core`.

mod output;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use k8s_lint_core::{lint, Options, Severity};

/// Lint a Kubernetes GitOps repository: kustomization membership and the
/// Ingress → Service → port → targetPort → containerPort chain, with exact line:column spans.
#[derive(Parser, Debug)]
#[command(name = "k8s-lint", version, about)]
struct Cli {
    /// Files or directories to lint; references resolve across all of them.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    fail_on: FailOn,

    /// Namespace of objects that set none (what `kubectl apply` or the GitOps app would use).
    /// Without it an unset namespace matches any namespace.
    #[arg(long, value_name = "NAME")]
    default_namespace: Option<String>,

    /// When to use colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,

    /// Skip files larger than this many bytes (reported, never read).
    #[arg(long, value_name = "BYTES", default_value_t = k8s_lint_core::load::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// Rich reports with source snippets, then a summary line.
    Human,
    /// One JSON document (schema version 1).
    Json,
    /// `path:line:column: severity[rule-id]: message`, one line per finding.
    Compact,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut options = Options::new(cli.paths.clone());
    options.default_namespace = cli.default_namespace.clone();
    options.max_file_size = cli.max_file_size;
    let report = match lint(&options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let text = match cli.format {
        Format::Human => output::human::render(&report, color),
        Format::Json => output::json::render(&report),
        Format::Compact => output::compact::render(&report),
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write output: {e}");
            return ExitCode::from(2);
        }
    }
    let failed = cli
        .fail_on
        .threshold()
        .is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
    ExitCode::from(u8::from(failed))
}
