//! The `k8s-lint` command: arguments, output formats and exit codes. Rule logic lives in
//! `k8s-lint-core`.

use k8s_lint::{baseline, docs, output};

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use k8s_lint_core::config::{Config, ConfigError};
use k8s_lint_core::rules::{by_id, closest};
use k8s_lint_core::{lint, KubeVersion, Options, Report, RuleLevel, Severity, RULES};

/// jemalloc instead of the system allocator: a run makes millions of small allocations on
/// every core (YAML trees, typed views), where glibc's arenas contend and free slowly (see the
/// dependency's comment in Cargo.toml for the figures).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// One jemalloc arena per CPU, each thread allocating from the arena of the CPU it runs on,
/// instead of four arenas per CPU shared out among threads: the phases run one rayon thread
/// per CPU, so the extra arenas only held freed pages apart (each arena keeps its own), and
/// peak RSS at 20,000 apps fell by about 12 MB at the same wall time (README, "Speed").
/// jemalloc reads this string once, at its start; the symbol carries the prefix
/// tikv-jemalloc-sys builds jemalloc with (`_RJEM_MALLOC_CONF` still overrides it). Linux
/// only: elsewhere jemalloc cannot ask which CPU a thread is on and would warn.
#[cfg(all(target_os = "linux", not(target_env = "msvc")))]
#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: Option<&'static std::ffi::CStr> = Some(c"percpu_arena:percpu");

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
    Rules {
        /// `text`: one rule per line; `json`: an array of `{id, severity, enabledByDefault,
        /// summary}` for tools.
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print the documentation of a rule.
    Explain {
        /// A rule id, e.g. `ingress-service-missing`.
        rule: String,
    },
    /// Print the JSON Schema of `.k8s-lint.yaml` (for yaml-language-server).
    ConfigSchema,
    /// Print a shell completion script: `k8s-lint completions bash > /etc/bash_completion.d/k8s-lint`.
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff): `k8s-lint man > k8s-lint.1`.
    Man,
    /// Run the language server on stdin/stdout (diagnostics across files, code actions).
    Lsp,
}

#[derive(Args, Debug)]
struct LintArgs {
    /// Files or directories to lint; references resolve across all of them. `-` reads one
    /// manifest stream from standard input (`helm template … | k8s-lint -`).
    /// (To lint a directory named like a subcommand, write `./rules`.)
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// With `-`: the file name findings are reported at [default: stdin.yaml].
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,

    /// Pass when the paths hold no manifest at all (by default that is exit 2: a mistyped
    /// path in CI must not pass).
    #[arg(long)]
    allow_empty: bool,

    /// Print the number of findings per rule instead of the findings.
    #[arg(long)]
    statistics: bool,

    /// Print the findings only: no summary line, no notes on stderr.
    #[arg(long, short)]
    quiet: bool,

    /// Print the wall time of each phase of the run, and of the slowest rules, on stderr (for
    /// speed work and bug reports).
    #[arg(long)]
    timings: bool,

    /// Apply the safe fixes (they keep what is deployed as the author evidently meant), lint
    /// again, and report what remains.
    #[arg(long)]
    fix: bool,

    /// With --fix or --diff, also apply the unsafe fixes: they change what is deployed, or
    /// make one of several choices.
    #[arg(long)]
    unsafe_fixes: bool,

    /// Print a unified diff of what --fix would change, and write nothing; exit 1 when there
    /// is a diff.
    #[arg(long)]
    diff: bool,

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

    /// Report only findings that FILE (written by --write-baseline) does not record, and list
    /// its entries that no longer occur.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// Record today's findings in FILE, to adopt k8s-lint with --baseline FILE, and pass.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,

    /// Print the config file used and the effective settings (rules that run, and at which
    /// severity), then exit without linting.
    #[arg(long)]
    show_config: bool,

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

    /// Run exactly these rules (ids or globs, comma-separated: `tailscale-*,ingress-*`, `*`),
    /// also those off by default; replaces the config's `select`.
    #[arg(long, value_name = "RULES", value_delimiter = ',', value_parser = parse_pattern)]
    select: Vec<String>,

    /// Never run these rules (ids or globs, comma-separated); adds to the config's `ignore`.
    #[arg(long, value_name = "RULES", value_delimiter = ',', value_parser = parse_pattern)]
    ignore: Vec<String>,

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
enum RulesFormat {
    Text,
    Json,
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
        Some(Command::Rules { format }) => match format {
            RulesFormat::Text => emit(&docs::list(), None),
            RulesFormat::Json => emit(&docs::list_json(), None),
        },
        Some(Command::Explain { rule }) => match docs::explain(&rule) {
            Ok(text) => emit(text, None),
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
        },
        Some(Command::ConfigSchema) => emit(k8s_lint_core::config::SCHEMA, None),
        Some(Command::Completions { shell }) => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "k8s-lint", &mut out);
            emit(&String::from_utf8_lossy(&out), None)
        }
        Some(Command::Man) => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut out) {
                Ok(()) => emit(&String::from_utf8_lossy(&out), None),
                Err(e) => {
                    eprintln!("error: cannot render the manual page: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Some(Command::Lsp) => match k8s_lint::lsp::run_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: language server: {e}");
                ExitCode::from(2)
            }
        },
        None => run(&cli.lint),
    }
}

/// The baseline file `--baseline` names, read and parsed.
fn read_baseline(path: &Path) -> Result<baseline::Baseline, String> {
    let read = std::fs::File::open(path).and_then(|f| {
        use std::io::Read;
        let mut text = String::new();
        f.take(baseline::MAX_BYTES).read_to_string(&mut text)?;
        Ok(text)
    });
    read.map_err(|e| e.to_string())
        .and_then(|t| baseline::parse(&t))
        .map_err(|e| format!("cannot use the baseline {}: {e}", path.display()))
}

/// The config file to use: `--config`, else the nearest one above the first path.
fn config(args: &LintArgs) -> Result<Option<Config>, Box<ConfigError>> {
    let first = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    k8s_lint::configure::find(first, args.config.as_deref())
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
    if !args.select.is_empty() {
        options.select = args.select.clone();
    }
    options.ignore.extend(args.ignore.iter().cloned());
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
            return stop(args, output::errors::RunError::config(&e));
        }
    };
    let mut options = options(args, config.as_ref());
    // With a baseline, the budget applies to what is left once the baseline is taken off
    // (else recorded findings could crowd out a new one); a baseline records every finding.
    if args.baseline.is_some() || args.write_baseline.is_some() {
        options.max_findings = usize::MAX;
    }
    let fail_on = args
        .fail_on
        .map(FailOn::threshold)
        .or_else(|| config.as_ref().and_then(|c| c.fail_on))
        .unwrap_or(Some(Severity::Warning));
    if args.show_config {
        return emit(&show_config(config.as_ref(), &options, fail_on), None);
    }
    let known = match args.baseline.as_deref().map(read_baseline).transpose() {
        Ok(b) => b,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    let mut report = if stdin {
        if args.fix || args.diff {
            let message = "--fix and --diff change files; standard input has none";
            eprintln!("error: {message}");
            return stop(args, output::errors::RunError::plain(message));
        }
        if args.paths.len() > 1 {
            let message = "`-` (standard input) cannot be combined with other paths";
            eprintln!("error: {message}");
            return stop(args, output::errors::RunError::plain(message));
        }
        match lint_stdin(args, &options) {
            Ok(r) => r,
            Err(message) => {
                eprintln!("error: {message}");
                return stop(args, output::errors::RunError::plain(message));
            }
        }
    } else if args.fix || args.diff {
        // What the baseline records is left as it is, as it is left out of the report.
        let may_fix = |r: &k8s_lint_core::Report| match &known {
            Some(b) => baseline::new_findings(r, b),
            None => vec![true; r.findings.len()],
        };
        let fixed = match k8s_lint_core::fix::lint_fixed_only(&options, args.unsafe_fixes, may_fix)
        {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {}", output::escape::text(&e.to_string()));
                return stop(args, output::errors::RunError::plain(e.to_string()));
            }
        };
        if args.diff {
            return show_diff(args, &fixed);
        }
        if let Err(message) = k8s_lint::fixes::write_all(&fixed.files) {
            // What is on disk is not what the report below describes.
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
        if !args.quiet {
            eprintln!("{}", fix_summary(&fixed, args.unsafe_fixes, "fixed"));
        }
        fixed.report
    } else {
        match lint(&options) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {}", output::escape::text(&e.to_string()));
                return stop(args, output::errors::RunError::plain(e.to_string()));
            }
        }
    };
    if let Some(path) = &args.write_baseline {
        let text = baseline::write(&report);
        if let Err(message) = write_file(path, &text) {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
        let n = report
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .count();
        eprintln!("k8s-lint: recorded {n} findings in {}", path.display());
        return ExitCode::SUCCESS;
    }
    if let (Some(path), Some(known)) = (&args.baseline, &known) {
        let stale = baseline::apply(&mut report, known);
        k8s_lint_core::apply_budget(&mut report, k8s_lint_core::MAX_FINDINGS);
        if !stale.is_empty() && !args.quiet {
            eprintln!(
                "k8s-lint: {} entries of {} no longer occur (fixed, or changed); rewrite it with --write-baseline to shrink it:",
                stale.len(),
                path.display()
            );
            for e in &stale {
                eprintln!(
                    "  {}: {}: {}",
                    output::escape::text(&e.file),
                    output::escape::text(&e.rule),
                    output::escape::text(&e.message)
                );
            }
        }
    }
    if report.stats.files == 0 && !args.allow_empty {
        let shown: Vec<String> = args
            .paths
            .iter()
            .map(|p| output::escape::text(&p.display().to_string()).into_owned())
            .collect();
        let message = format!(
            "no manifests (YAML, JSON or Kustomization files) found under {}; check the path, or pass --allow-empty",
            shown.join(", ")
        );
        eprintln!("error: {message}");
        return stop(args, output::errors::RunError::plain(message));
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let rendering = std::time::Instant::now();
    let text = if args.statistics {
        statistics(&report)
    } else if args.quiet && args.format == Format::Human {
        output::human::render_findings(&report, color)
    } else {
        render(&report, args.format, color)
    };
    // The human and JSON summaries say it; the line formats have no summary to say it in.
    if report.stats.omitted > 0
        && !args.quiet
        && matches!(args.format, Format::Compact | Format::Github)
    {
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
    if args.timings {
        eprint!("{}", timings(&report, rendering.elapsed()));
    }
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

/// `--timings`: each phase's wall time and share of the run, then the slowest rules.
fn timings(report: &Report, rendering: std::time::Duration) -> String {
    let mut phases = report.timings.clone();
    phases.push(("render and write", rendering));
    let total: f64 = phases.iter().map(|(_, d)| d.as_secs_f64()).sum();
    let mut out = String::from("phase                          seconds  share\n");
    for (name, d) in &phases {
        let s = d.as_secs_f64();
        out.push_str(&format!(
            "{name:<30} {s:>7.3} {:>5.1}%\n",
            if total > 0.0 { 100.0 * s / total } else { 0.0 }
        ));
    }
    out.push_str(&format!("{:<30} {total:>7.3}\n", "total"));
    // The slowest rules, by their own time (summed over threads, so over the phase's).
    let rules = &report.rule_timings;
    if !rules.is_empty() {
        let all: f64 = rules.iter().map(|(_, d)| d.as_secs_f64()).sum();
        out.push_str("\nrule (slowest ten)             seconds  share\n");
        for (id, d) in rules.iter().take(10) {
            let s = d.as_secs_f64();
            out.push_str(&format!(
                "{id:<30} {s:>7.3} {:>5.1}%\n",
                if all > 0.0 { 100.0 * s / all } else { 0.0 }
            ));
        }
        out.push_str(&format!("{:<30} {all:>7.3}\n", "all rules"));
    }
    out
}

/// `--diff`: the diff on stdout (or `--output`), what it would fix on stderr; exit 1 when
/// there is a diff, as `git diff --exit-code` does.
fn show_diff(args: &LintArgs, fixed: &k8s_lint_core::fix::Fixed) -> ExitCode {
    let code = emit(&k8s_lint::fixes::diff(&fixed.files), args.output.as_deref());
    if code != ExitCode::SUCCESS {
        return code;
    }
    if !args.quiet {
        eprintln!("{}", fix_summary(fixed, args.unsafe_fixes, "would fix"));
    }
    ExitCode::from(u8::from(!fixed.files.is_empty()))
}

/// `k8s-lint: fixed 3 findings in 2 files; 1 more fix with --unsafe-fixes`.
fn fix_summary(fixed: &k8s_lint_core::fix::Fixed, unsafe_fixes: bool, verb: &str) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "k8s-lint: {verb} {} in {}",
        plural(fixed.applied, "finding"),
        plural(fixed.files.len(), "file")
    );
    let waiting = fixed
        .report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .filter_map(|f| f.fixes.first())
        .filter(|fix| fix.applicability == k8s_lint_core::fix::Applicability::Unsafe)
        .count();
    if !unsafe_fixes && waiting > 0 {
        let more = match waiting {
            1 => "1 more fix".to_string(),
            n => format!("{n} more fixes"),
        };
        line.push_str(&format!("; {more} with --unsafe-fixes"));
    }
    line
}

/// Stop the run with exit code 2. Human and compact output said it on stderr already; the
/// machine formats also say it in their own form, where a tool reading them looks.
fn stop(args: &LintArgs, error: output::errors::RunError) -> ExitCode {
    let errors = [error];
    let text = match args.format {
        Format::Human | Format::Compact => return ExitCode::from(2),
        Format::Json => output::errors::json(&errors),
        Format::Github => output::errors::github(&errors),
        Format::Sarif => output::errors::sarif(&errors),
    };
    if let Some(path) = &args.sarif {
        let _ = write_file(path, &output::errors::sarif(&errors));
    }
    let _ = emit(&text, args.output.as_deref());
    ExitCode::from(2)
}

/// One manifest stream from standard input, linted as a file named `--stdin-filename` in the
/// current directory (which is then the repository top: nothing else is read).
fn lint_stdin(args: &LintArgs, options: &Options) -> Result<Report, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(options.max_file_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if bytes.len() as u64 > options.max_file_size {
        return Err(format!(
            "standard input exceeds the {}-byte limit (--max-file-size)",
            options.max_file_size
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "standard input is not valid UTF-8 at byte {}",
            e.utf8_error().valid_up_to()
        )
    })?;
    let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    let name = args
        .stdin_filename
        .clone()
        .unwrap_or_else(|| PathBuf::from("stdin.yaml"));
    let path = k8s_lint_core::source::normalize(&cwd.join(&name));
    let mut options = options.clone();
    options.base = cwd.clone();
    Ok(k8s_lint_core::lint_sources(
        &cwd,
        vec![(path, text)],
        &options,
    ))
}

/// `--statistics`: findings per rule, most first.
fn statistics(report: &Report) -> String {
    let mut counts: std::collections::BTreeMap<(&str, Severity), usize> = Default::default();
    for f in report.findings.iter().filter(|f| f.suppressed.is_none()) {
        *counts.entry((f.rule, f.severity)).or_default() += 1;
    }
    let mut rows: Vec<((&str, Severity), usize)> = counts.into_iter().collect();
    rows.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(b.0 .1.cmp(&a.0 .1))
            .then(a.0 .0.cmp(b.0 .0))
    });
    let width = rows
        .iter()
        .map(|(_, n)| n.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for ((rule, severity), n) in rows {
        out.push_str(&format!("{n:>width$}  {:<7}  {rule}\n", severity.as_str()));
    }
    out
}

/// `--show-config`: what the run would use, as YAML a user can read (and paste into a config).
fn show_config(config: Option<&Config>, options: &Options, fail_on: Option<Severity>) -> String {
    use std::fmt::Write as _;
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let list = |v: &[String]| {
        let items: Vec<String> = v.iter().map(|s| quote(s)).collect();
        format!("[{}]", items.join(", "))
    };
    let mut out = String::new();
    let file = config.map_or("none".to_string(), |c| quote(&c.path.display().to_string()));
    let _ = writeln!(out, "# config file: {file}");
    for (key, value) in [
        ("include", &options.include),
        ("exclude", &options.exclude),
        ("select", &options.select),
        ("ignore", &options.ignore),
    ] {
        let _ = writeln!(out, "{key}: {}", list(value));
    }
    let _ = writeln!(out, "failOn: {}", fail_on.map_or("never", |s| s.as_str()));
    if let Some(ns) = &options.default_namespace {
        let _ = writeln!(out, "defaultNamespace: {}", quote(ns));
    }
    if let Some(v) = options.settings.kubernetes_version {
        let _ = writeln!(out, "kubernetesVersion: \"{v}\"");
    }
    let _ = writeln!(
        out,
        "tailscaleIngressClass: {}",
        quote(&options.settings.tailscale_ingress_class)
    );
    out.push_str("# every rule: the severity it reports at, or off\nrules:\n");
    let running = k8s_lint_core::effective_rules(options);
    for rule in RULES {
        let id = rule.meta().id;
        let level = running
            .iter()
            .find(|(r, _)| *r == id)
            .map_or("off", |(_, s)| s.as_str());
        let _ = writeln!(out, "  {id}: {level}");
    }
    out
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

/// A rule id or glob that matches at least one rule.
fn parse_pattern(s: &str) -> Result<String, String> {
    let s = s.trim();
    k8s_lint_core::rules::check_pattern(s)?;
    Ok(s.to_string())
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
