//! The `k8s-lint` command: arguments, output formats and exit codes. Rule logic lives in
//! `k8s-lint-core`.

use k8s_lint::{docs, output};

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use k8s_lint_core::config::{Config, ConfigError};
use k8s_lint_core::rules::{by_id, closest};
use k8s_lint_core::{lint, KubeVersion, Options, Report, RuleLevel, Severity, RULES};

/// Lint a Kubernetes GitOps repository: kustomization membership and the
/// Ingress → Service → port → targetPort → containerPort chain, with exact line:column spans.
#[derive(Parser, Debug)]
#[command(
    name = "k8s-lint",
    version = env!("K8S_LINT_VERSION"),
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    lint: LintArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List every rule with its default severity and summary.
    Rules,
    /// Print the documentation of a rule.
    Explain {
        /// A rule id, e.g. `ingress-service-missing`.
        rule: String,
    },
    /// Print the JSON Schema of `.k8s-lint.yaml` (for yaml-language-server).
    ConfigSchema,
}

#[derive(Args, Debug)]
struct LintArgs {
    /// Files or directories to lint; references resolve across all of them.
    /// (To lint a directory named like a subcommand, write `./rules`.)
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Also write a SARIF report to FILE (one run, two reports).
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,

    /// Append `errors=N`, `warnings=N` and `infos=N` lines to FILE once the run is linted (the
    /// format of GitHub Actions' `$GITHUB_OUTPUT`); nothing when the run stops earlier.
    #[arg(long, value_name = "FILE")]
    counts: Option<PathBuf>,

    /// Lowest severity that makes the exit code 1 [default: warning, or the config's failOn].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,

    /// Configuration file [default: the nearest .k8s-lint.yaml at or above the first path,
    /// up to the repository top].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Ignore every suppression (annotations and comments), for audits.
    #[arg(long)]
    no_suppressions: bool,

    /// Keep suppressed findings in the output, marked as such (they never fail the run).
    #[arg(long)]
    show_suppressed: bool,

    /// Namespace of objects that set none (what `kubectl apply` or the GitOps app would use).
    /// Without it an unset namespace matches any namespace.
    #[arg(long, value_name = "NAME")]
    default_namespace: Option<String>,

    /// The oldest Kubernetes version the manifests must work on (e.g. `1.26`); rules whose
    /// verdict depends on the version use it.
    #[arg(long, value_name = "VERSION")]
    kubernetes_version: Option<KubeVersion>,

    /// The IngressClass name the Tailscale operator watches [default: tailscale].
    #[arg(long, value_name = "NAME")]
    tailscale_ingress_class: Option<String>,

    /// Report the URL each Tailscale-exposed Service and Ingress really serves (the same as
    /// `--rule tailscale-endpoint=info`).
    #[arg(long)]
    explain_endpoints: bool,

    /// Set a rule's level: `--rule ID=off|info|warning|error` (repeatable).
    #[arg(long = "rule", value_name = "ID=LEVEL", value_parser = parse_rule_level)]
    rules: Vec<(String, RuleLevel)>,

    /// When to use colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,

    /// Skip files larger than this many bytes (reported, never read); at most 1073741824 (1 GiB).
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = k8s_lint_core::load::DEFAULT_MAX_FILE_SIZE,
        value_parser = parse_max_file_size
    )]
    max_file_size: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Rich reports with source snippets, then a summary line.
    Human,
    /// One JSON document (schema version 1).
    Json,
    /// `path:line:column: severity[rule-id]: message`, one line per finding.
    Compact,
    /// SARIF 2.1.0, as GitHub code scanning reads it.
    Sarif,
    /// GitHub Actions workflow commands (annotations), plus a step summary table.
    Github,
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
    match cli.command {
        Some(Command::Rules) => emit(&docs::list(), None),
        Some(Command::Explain { rule }) => match docs::explain(&rule) {
            Ok(text) => emit(text, None),
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
        },
        Some(Command::ConfigSchema) => emit(k8s_lint_core::config::SCHEMA, None),
        None => run(&cli.lint),
    }
}

/// The config file to use: `--config`, else the nearest one above the first path.
fn config(args: &LintArgs) -> Result<Option<Config>, Box<ConfigError>> {
    use k8s_lint_core::fence::Fence;
    let first = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    let start = k8s_lint_core::source::normalize(
        &std::path::absolute(first).unwrap_or_else(|_| first.to_path_buf()),
    );
    // Only the repository is read: discovery stops at its top, and a config that is a symlink
    // leading out of it (to `/proc/self/environ`, a credentials file) is refused unread.
    let top = k8s_lint_core::gitops::repo_top(&start);
    let fence = Fence::new(std::slice::from_ref(&top));
    let dir = if fence.is_dir(&start) {
        start
    } else {
        start.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    // Shown relative to the current directory, as findings are.
    let cwd = std::env::current_dir().unwrap_or_default();
    let shown = |p: PathBuf| p.strip_prefix(&cwd).map(Path::to_path_buf).unwrap_or(p);
    match &args.config {
        // Named by whoever runs the job: read where it is (`/dev/null` for none), unless it is
        // a symlink, which then must stay inside the repository.
        Some(p) => {
            let link = std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
            if link {
                k8s_lint_core::config::load(p, &fence).map(Some)
            } else {
                k8s_lint_core::config::load_named(p).map(Some)
            }
        }
        None => k8s_lint_core::config::discover(&dir, &top, &fence)
            .map(|p| k8s_lint_core::config::load(&shown(p), &fence))
            .transpose(),
    }
}

/// Options from the config file, then the command line on top.
fn options(args: &LintArgs, config: Option<&Config>) -> Options {
    let mut options = Options::new(args.paths.clone());
    if let Some(c) = config {
        c.apply(&mut options);
    }
    if args.default_namespace.is_some() {
        options.default_namespace = args.default_namespace.clone();
    }
    options.max_file_size = args.max_file_size;
    if args.kubernetes_version.is_some() {
        options.settings.kubernetes_version = args.kubernetes_version;
    }
    if let Some(class) = &args.tailscale_ingress_class {
        options.settings.tailscale_ingress_class = class.clone();
    }
    options
        .settings
        .rule_levels
        .extend(args.rules.iter().cloned());
    if args.explain_endpoints {
        // The same as `--rule tailscale-endpoint=info`, unless that rule is set explicitly.
        options
            .settings
            .rule_levels
            .entry("tailscale-endpoint".into())
            .or_insert(RuleLevel::On(Severity::Info));
    }
    options.no_suppressions = args.no_suppressions;
    options.show_suppressed = args.show_suppressed;
    options
}

fn run(args: &LintArgs) -> ExitCode {
    let config = match config(args) {
        Ok(c) => c,
        Err(e) => {
            let color = std::io::stderr().is_terminal();
            eprint!("{}", output::human::render_config_error(&e, color));
            return ExitCode::from(2);
        }
    };
    let options = options(args, config.as_ref());
    let fail_on = args
        .fail_on
        .map(FailOn::threshold)
        .or_else(|| config.as_ref().and_then(|c| c.fail_on))
        .unwrap_or(Some(Severity::Warning));
    let report = match lint(&options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}", output::escape::text(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let text = render(&report, args.format, color);
    // The human and JSON summaries say it; the line formats have no summary to say it in.
    if report.stats.omitted > 0 && matches!(args.format, Format::Compact | Format::Github) {
        eprintln!(
            "k8s-lint: {} more findings not shown (at most {} are reported)",
            report.stats.omitted,
            k8s_lint_core::MAX_FINDINGS
        );
    }
    if let Some(path) = &args.sarif {
        if let Err(message) = write_file(path, &output::sarif::render(&report)) {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    if let Some(path) = &args.counts {
        let counts = format!(
            "errors={}\nwarnings={}\ninfos={}\n",
            report.count(Severity::Error),
            report.count(Severity::Warning),
            report.count(Severity::Info)
        );
        if let Err(message) = append_file(path, &counts) {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    if args.format == Format::Github {
        if let Err(e) = output::github::write_step_summary(&report) {
            eprintln!("warning: cannot write the step summary: {e}");
        }
    }
    let code = emit(&text, args.output.as_deref());
    if code != ExitCode::SUCCESS {
        return code;
    }
    let failed = fail_on.is_some_and(|t| {
        report
            .findings
            .iter()
            .any(|f| f.severity >= t && f.suppressed.is_none())
    });
    ExitCode::from(u8::from(failed))
}

/// The largest `--max-file-size`. Files are read whole into memory and their spans are 32-bit
/// offsets, and the loader adds one to the limit.
const MAX_FILE_SIZE_LIMIT: u64 = 1 << 30;

fn parse_max_file_size(s: &str) -> Result<u64, String> {
    let n: u64 = s.parse().map_err(|e| format!("{e}"))?;
    if n > MAX_FILE_SIZE_LIMIT {
        return Err(format!(
            "at most {MAX_FILE_SIZE_LIMIT} bytes (1 GiB) can be read per file"
        ));
    }
    Ok(n)
}

/// `ID=LEVEL`, with the id checked against the registry.
fn parse_rule_level(s: &str) -> Result<(String, RuleLevel), String> {
    let (id, level) = s.split_once('=').ok_or_else(|| {
        format!("`{s}`: expected ID=LEVEL, e.g. service-target-port-undeclared=off")
    })?;
    if by_id(id).is_none() {
        let near = closest(id, RULES.iter().map(|r| r.meta().id));
        return Err(match near {
            Some(n) => format!("unknown rule `{id}`; did you mean `{n}`?"),
            None => format!("unknown rule `{id}` (`k8s-lint rules` lists them)"),
        });
    }
    Ok((id.to_string(), level.parse()?))
}

fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Human => output::human::render(report, color),
        Format::Json => output::json::render(report),
        Format::Compact => output::compact::render(report),
        Format::Sarif => output::sarif::render(report),
        Format::Github => output::github::render(report),
    }
}

/// Write to `path`, or to standard output (a closed pipe is not an error).
fn emit(text: &str, path: Option<&Path>) -> ExitCode {
    let result = match path {
        Some(p) => write_file(p, text),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write output: {e}"))
                }
                _ => Ok(()),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Append `text` to the file at `path` (created if missing), never through a symlink.
fn append_file(path: &Path, text: &str) -> Result<(), String> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!(
            "refusing to write {}: it is a symbolic link",
            path.display()
        ));
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Replace the file at `path` with `text`. The linted repository is often the working
/// directory and may hold a symlink where the report goes, so the text goes to a new file
/// (created exclusively, next to `path`) that is then renamed over `path`: a rename replaces a
/// symlink instead of writing through it. A symlink found there is refused outright, and a
/// special file such as `/dev/null` or a FIFO is written as it is.
fn write_file(path: &Path, text: &str) -> Result<(), String> {
    let cannot = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(format!(
                "refusing to write {}: it is a symbolic link",
                path.display()
            ));
        }
        Ok(m) if !m.is_file() && !m.is_dir() => {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|mut f| f.write_all(text.as_bytes()))
                .map_err(cannot);
        }
        _ => {}
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    // The mode `std::fs::write` would give a new file, not the temporary file's 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(dir).map_err(cannot)?;
    file.write_all(text.as_bytes()).map_err(cannot)?;
    file.persist(path).map_err(|e| cannot(e.error))?;
    Ok(())
}
