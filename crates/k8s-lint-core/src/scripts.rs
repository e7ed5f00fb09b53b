//! What the repository's own scripts and docs do to a cluster: the shell commands in `*.sh`
//! files, Makefiles, justfiles and the shell blocks of Markdown pages. A tutorial that says
//! `helm install argocd argo/argo-cd -n argocd` before `kubectl apply -f ingress.yaml`, or a
//! script that writes `manifest.yaml` with `helm template` before `kustomize build`, makes
//! objects and files that no manifest shows. [`crate::resolve`] treats them as sources of what
//! the repository cannot show; nothing here runs anything.
//!
//! Only a few commands are understood, each for one effect: `kubectl`/`oc` `apply|create|replace
//! -f|-k` (a URL, or a file of the repository applied by hand, also as `cat FILE | envsubst |
//! kubectl apply -f -`), `kubectl create secret|configmap|serviceaccount|namespace NAME`, `helm
//! install|upgrade RELEASE CHART`, and files a command writes (`> file`, `tee`, `kustomize
//! build -o`, `curl -o`) or reads (`< file`, and the directory `kustomize build DIR`, `kubectl
//! kustomize DIR` or `kubectl apply -k DIR` builds). Doc pages also show files: the manifest
//! paths they write outside commands ([`Scripts::shows`]).
//! Variables assigned earlier in the same script are expanded; others stay unknown, and a path
//! is then matched by what follows them.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::source::{line_from, normalize, FileId, SourceFile, Span};

/// Whether `path` is a file whose shell commands are read: scripts, Makefiles, Markdown.
pub fn is_script(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    matches!(
        name,
        "Makefile" | "makefile" | "GNUmakefile" | "justfile" | "Justfile"
    ) || [".sh", ".bash", ".mk", ".md"]
        .iter()
        .any(|ext| name.len() > ext.len() && name.ends_with(ext))
}

/// One command of a script, with what it does.
#[derive(Clone, Debug)]
pub struct Command {
    /// The line it is written on (the first, for a continued line).
    pub span: Span,
    /// The directory of the script or page.
    pub dir: PathBuf,
    /// `path:line` of the command, for messages.
    pub shown: String,
    pub effect: Effect,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// `helm install|upgrade RELEASE CHART [-n NS]`.
    Helm {
        release: String,
        chart: String,
        namespace: Option<String>,
    },
    /// `kubectl apply|create -f https://…`: manifests from outside the repository.
    Remote {
        url: String,
        namespace: Option<String>,
    },
    /// `kubectl apply|create -f|-k PATH` of a path that may be in the repository.
    /// A file, or the files of a directory (below it too with `-R`). A local `-k DIR` is a
    /// build ([`Effect::Reads`] of the directory): it applies what the kustomization lists.
    Applies {
        path: String,
        namespace: Option<String>,
        recursive: bool,
        /// The kube context it applies to (`--context k3d-lab`), when it names one.
        context: Option<String>,
    },
    /// `k3d cluster create NAME`, `kind create cluster --name NAME`, `minikube start -p NAME`:
    /// a local cluster the page makes, with the kube context that reaches it.
    LocalCluster { context: String },
    /// `kubectl create secret generic NAME`, `kubectl create configmap NAME`, ...
    Creates {
        kind: &'static str,
        name: String,
        namespace: Option<String>,
    },
    /// A file the command writes (`> PATH`, `tee PATH`, `-o PATH`).
    Writes { path: String },
    /// A file the command reads as its input (`< PATH`), or the directory a build reads
    /// (`kustomize build DIR`, `kubectl kustomize DIR`, `kubectl apply -k DIR`).
    Reads { path: String },
}

impl Effect {
    /// What a command does with a file it names, for messages: "applies it by hand".
    pub fn verb(&self) -> &'static str {
        match self {
            Effect::Reads { .. } => "feeds it to a command",
            Effect::Writes { .. } => "writes it",
            _ => "applies it by hand",
        }
    }

    /// The path an effect names, for the ones about files.
    fn path(&self) -> Option<&str> {
        match self {
            Effect::Applies { path, .. } | Effect::Writes { path } | Effect::Reads { path } => {
                Some(path)
            }
            _ => None,
        }
    }
}

/// Every command of every script, found once per run.
#[derive(Debug, Default)]
pub struct Scripts {
    pub commands: Vec<Command>,
    /// The repository top: paths in commands are relative to it or to the script.
    pub top: PathBuf,
    /// Commands about files, by the last component of the path they name: a lookup compares
    /// only the commands that can name it.
    by_name: HashMap<String, Vec<usize>>,
    /// Manifest paths the doc pages write anywhere (`::yaml{file="manifests/a.yaml"}`, a
    /// link, a list), by file name, for [`Scripts::shows`].
    mentioned: HashMap<String, Vec<Mention>>,
    /// The directories of the pages, which mentions point into.
    pages: Vec<PathBuf>,
    /// The local clusters the scripts create, by kube context: the first command creating each.
    clusters: HashMap<String, usize>,
    /// The file names of manifest paths any shell line writes, understood or not (`sed s/x/y/
    /// a.yaml | kubectl apply -f -`): used in some way.
    in_commands: HashSet<String>,
}

/// A manifest path written on a doc page.
#[derive(Debug)]
struct Mention {
    /// The line it is on.
    span: Span,
    /// The page's directory, in `Scripts::pages`.
    page: u32,
    path: Box<str>,
}

/// Mentions kept of one page. A page that names more manifests than this is no tutorial, and
/// dropping mentions only keeps more findings (a file not shown is never folded).
const MAX_MENTIONS: usize = 4096;

impl Scripts {
    /// `files` are the scripts, whose ids start at `first`.
    pub fn new(files: &[SourceFile], first: u32, top: &Path) -> Scripts {
        // Each file read once: its commands, the names they write, and a page's mentions.
        let read: Vec<Read> = files
            .par_iter()
            .enumerate()
            .map(|(i, f)| {
                let id = FileId(first + i as u32);
                let mut names = Vec::new();
                let commands = read_commands(id, f, &mut names);
                (commands, names, mentions_of(id, f))
            })
            .collect();
        let mut commands = Vec::new();
        let mut found = Vec::with_capacity(read.len());
        for (c, names, mentions) in read {
            commands.extend(c);
            found.push((mentions, names));
        }
        let mut scripts = Scripts::of(commands, top);
        for (i, (mentions, names)) in found.into_iter().enumerate() {
            let page = scripts.pages.len() as u32;
            if !mentions.is_empty() {
                scripts.pages.push(files[i].dir().to_path_buf());
            }
            for (span, path) in mentions {
                let name = path.rsplit('/').next().unwrap_or_default().to_string();
                let m = Mention { span, page, path };
                scripts.mentioned.entry(name).or_default().push(m);
            }
            scripts.in_commands.extend(names);
        }
        scripts
    }

    /// Where a doc page writes the path of `target` while no shell line of any script or page
    /// uses its name: the page shows the file (as an example, or a listing) and never runs
    /// anything on it.
    pub fn shows(&self, target: &Path) -> Option<Span> {
        let name = target.file_name()?.to_str()?;
        if self.in_commands.contains(name) {
            return None;
        }
        // As for commands, the first few mentions of a name are compared, not all of them.
        self.mentioned
            .get(name)?
            .iter()
            .take(MAX_CANDIDATES)
            .find(|m| names(&m.path, &self.pages[m.page as usize], &self.top, target))
            .map(|m| m.span)
    }

    /// The command that applies `target` by hand to a local cluster a script or page creates
    /// (`kubectl --context k3d-lab apply -f lab/ingress.yaml` after `k3d cluster create lab`),
    /// and the command creating that cluster: a throwaway cluster of its own.
    pub fn local_cluster(&self, target: &Path) -> Option<(&Command, &Command)> {
        let i = self.naming(target, |e| {
            matches!(e, Effect::Applies { context: Some(c), .. } if self.clusters.contains_key(c))
        })?;
        let apply = &self.commands[i];
        let Effect::Applies {
            context: Some(c), ..
        } = &apply.effect
        else {
            return None;
        };
        Some((apply, &self.commands[*self.clusters.get(c)?]))
    }

    /// The scripts' commands, indexed for [`Scripts::naming`].
    fn of(commands: Vec<Command>, top: &Path) -> Scripts {
        let mut clusters: HashMap<String, usize> = HashMap::new();
        for (i, c) in commands.iter().enumerate() {
            if let Effect::LocalCluster { context } = &c.effect {
                clusters.entry(context.clone()).or_insert(i);
            }
        }
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in commands.iter().enumerate() {
            if let Some(last) = c
                .effect
                .path()
                .and_then(|p| known_tail(p).0.last().copied())
            {
                by_name.entry(last.to_string()).or_default().push(i);
            }
        }
        Scripts {
            commands,
            top: top.to_path_buf(),
            by_name,
            clusters,
            ..Scripts::default()
        }
    }

    /// The first command (its index in `commands`) whose effect `wanted` accepts and whose
    /// path names `target` (for `Applies`, a directory above it counts too: `kubectl apply -f
    /// dir/`).
    pub fn naming(&self, target: &Path, wanted: impl Fn(&Effect) -> bool) -> Option<usize> {
        let mut found: Option<usize> = None;
        for (depth, ancestor) in target
            .ancestors()
            .take_while(|p| *p != self.top)
            .enumerate()
        {
            let Some(name) = ancestor.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            // The first commands naming it, in order: a script of a million writes to
            // `*/a.yaml` must not make every lookup of an `a.yaml` scan them all.
            let candidates = self
                .by_name
                .get(name)
                .into_iter()
                .flatten()
                .take(MAX_CANDIDATES);
            for &i in candidates {
                if found.is_some_and(|f| f < i) {
                    break;
                }
                let c = &self.commands[i];
                // A directory: `-f dir/` applies the files in it, `-R` those below too.
                let reaches = match c.effect {
                    Effect::Applies { recursive, .. } => depth <= 1 || recursive,
                    _ => depth == 0,
                };
                if reaches
                    && wanted(&c.effect)
                    && c.effect
                        .path()
                        .is_some_and(|p| names(p, &c.dir, &self.top, ancestor))
                {
                    found = Some(i);
                    break;
                }
            }
        }
        found
    }
}

/// Whether the path `written` in a script in `dir` names `target`. A fully known relative
/// path names exactly one place (relative to the script, or to the repository top). One whose
/// start is unknown (`$DIR/common/manifest.yaml`, `~/env/…`, `/home/…`) names any place its
/// known tail ends, when that tail has two components or more; or when three trailing
/// components agree.
fn names(written: &str, dir: &Path, top: &Path, target: &Path) -> bool {
    let (tail, anchored) = known_tail(written);
    if tail.is_empty() {
        return false;
    }
    // Most candidates differ in the last two components: decided without building a path
    // (a page applying `labs/l1/step.yaml` ... `labs/l2000/step.yaml` has 2,000 candidates
    // for each `step.yaml`).
    let parent_name = target.parent().and_then(Path::file_name);
    match tail.as_slice() {
        [.., up, last]
            if *up != ".." && *last != ".." && parent_name != Some(std::ffi::OsStr::new(up)) =>
        {
            return false;
        }
        [last] if anchored && *last != ".." => {
            return target.file_name() == Some(std::ffi::OsStr::new(last))
                && (target.parent() == Some(dir) || target.parent() == Some(top))
                && target.starts_with(top);
        }
        [_] if !anchored => return false,
        _ => {}
    }
    if !target.starts_with(top) {
        return false;
    }
    let rel: PathBuf = tail.iter().collect();
    if anchored {
        return normalize(&dir.join(&rel)) == target || normalize(&top.join(&rel)) == target;
    }
    let have: Vec<&std::ffi::OsStr> = target
        .strip_prefix(top)
        .map_or(Vec::new(), |r| r.iter().collect());
    let common = tail
        .iter()
        .rev()
        .zip(have.iter().rev())
        .take_while(|(a, b)| std::ffi::OsStr::new(a) == **b)
        .count();
    (common >= 2 && common == tail.len()) || common >= 3
}

/// Commands compared per name in one lookup (see [`Scripts::naming`]).
const MAX_CANDIDATES: usize = 256;

/// The components of a written path after the last one that is unknown (a variable, `~`, a
/// glob) or an absolute root, without `.`; and whether nothing was cut (the path is relative
/// and fully known).
fn known_tail(written: &str) -> (smallvec::SmallVec<[&str; 8]>, bool) {
    // On the stack for paths of up to eight components: a lookup compares hundreds.
    let mut tail: smallvec::SmallVec<[&str; 8]> = smallvec::SmallVec::new();
    let mut anchored = !written.starts_with('/');
    for part in written.split('/') {
        if part.contains(['$', '~', '*', '{', '`']) {
            tail.clear();
            anchored = false;
            continue;
        }
        match part {
            "" | "." => {}
            ".." if anchored => tail.push(part),
            ".." => tail.clear(),
            _ => tail.push(part),
        }
    }
    (tail, anchored)
}

/// What one file gives: its commands, the file names they write, and a page's mentions.
type Read = (Vec<Command>, Vec<String>, Vec<(Span, Box<str>)>);

/// The manifest paths a page writes on any line, where and as written (none for scripts).
fn mentions_of(id: FileId, file: &SourceFile) -> Vec<(Span, Box<str>)> {
    let markdown = file.path.extension().is_some_and(|e| e == "md");
    let mut mentions = Vec::new();
    if markdown {
        let mut offset = 0;
        for line in file.text.split_inclusive('\n') {
            for path in manifest_paths(line) {
                mentions.push((line_from(id, &file.text, offset), path.into()));
            }
            offset += line.len();
            if mentions.len() >= MAX_MENTIONS {
                mentions.truncate(MAX_MENTIONS);
                break;
            }
        }
    }
    mentions
}

/// The words of a line that read as paths of manifests: `a/b.yaml`, `x.yml`, `c.json`.
fn manifest_paths(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| !(c.is_alphanumeric() || "._-/~${}+@".contains(c)))
        .filter(|w| {
            [".yaml", ".yml", ".json"]
                .iter()
                .any(|x| w.len() > x.len() && w.ends_with(x))
        })
}

/// The commands of one script or page, for tests.
#[cfg(test)]
fn commands_of(id: FileId, file: &SourceFile) -> Vec<Command> {
    read_commands(id, file, &mut Vec::new())
}

/// The commands of one script or page; `names` gets the file names of the manifest paths its
/// shell lines write, understood or not (for scripts, every line is one).
fn read_commands(id: FileId, file: &SourceFile, names: &mut Vec<String>) -> Vec<Command> {
    let dir = file.dir().to_path_buf();
    let markdown = file.path.extension().is_some_and(|e| e == "md");
    let make = file
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.eq_ignore_ascii_case("makefile") || n.ends_with(".mk"));
    let mut out = Vec::new();
    let mut vars: HashMap<String, String> = HashMap::new();
    // Line numbers counted forward once: commands come in text order.
    let (mut counted, mut line_no) = (0usize, 1usize);
    for (offset, line) in shell_lines(&file.text, markdown) {
        names.extend(
            manifest_paths(&line).map(|p| p.rsplit('/').next().unwrap_or_default().to_string()),
        );
        line_no += file.text[counted..offset].matches('\n').count();
        counted = offset;
        let shown = format!("{}:{line_no}", file.display());
        let line = if make {
            if let Some((name, value)) = make_assignment(&line) {
                vars.insert(name, value);
                continue;
            }
            make_recipe(&line)
        } else {
            line
        };
        let span = line_from(id, &file.text, offset);
        for cmd in simple_commands(&tokens(&line)) {
            for effect in effects(&cmd, &mut vars) {
                out.push(Command {
                    span,
                    dir: dir.clone(),
                    shown: shown.clone(),
                    effect,
                });
            }
        }
    }
    out
}

/// `NAME := value` (also `=`, `?=`, `::=`) outside a recipe: a make variable.
fn make_assignment(line: &str) -> Option<(String, String)> {
    if line.starts_with('\t') {
        return None;
    }
    let (name, value) = line.split_once('=')?;
    let name = name.trim_end().trim_end_matches([':', '?', '+']).trim();
    let name = name.strip_prefix("export ").unwrap_or(name).trim();
    is_name(name).then(|| (name.to_string(), value.trim().to_string()))
}

/// A recipe line as the shell sees it: without make's `@`/`-` prefixes, `$(NAME)` of a make
/// variable as `${NAME}`, and `$$` as the shell's `$`.
fn make_recipe(line: &str) -> String {
    let line = line.trim_start().trim_start_matches(['@', '-']);
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((name, tail)) = after
            .strip_prefix('(')
            .and_then(|a| a.split_once(')'))
            .filter(|(n, _)| is_name(n))
        {
            out.push_str(&format!("${{{name}}}"));
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Whether a Markdown fence with this info string holds shell commands.
fn is_shell_fence(info: &str) -> bool {
    let word = info
        .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
        .next()
        .unwrap_or("");
    matches!(
        word.to_ascii_lowercase().as_str(),
        "" | "sh" | "bash" | "shell" | "console" | "zsh" | "shell-session" | "terminal"
    )
}

/// Programs whose commands are recognised in Markdown prose and inline code.
const PROGRAMS: &[&str] = &["kubectl", "oc", "helm", "kustomize", "kubeseal"];

/// The logical shell lines of a text, with the offset where each starts: every line of a
/// script (continuations joined); in Markdown, the lines of shell fences, and lines or inline
/// code spans of prose that start with a recognised program.
fn shell_lines(text: &str, markdown: bool) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    // An open fence: whether it holds shell, and its marker.
    let mut fence: Option<(bool, &str)> = None;
    let mut pending: Option<(usize, String)> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        if markdown {
            let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
            match (fence, marker) {
                (None, Some(m)) => {
                    fence = Some((is_shell_fence(trimmed[m.len()..].trim()), m));
                    continue;
                }
                (Some((_, open)), Some(m)) if open == m => {
                    fence = None;
                    out.extend(pending.take());
                    continue;
                }
                (Some((false, _)), _) => continue,
                (None, None) => {
                    prose_commands(start, line, &mut out);
                    continue;
                }
                _ => {}
            }
        }
        let body = trimmed.strip_prefix("$ ").unwrap_or(trimmed);
        let (at, mut joined) = pending.take().unwrap_or((start, String::new()));
        match body.strip_suffix('\\') {
            Some(part) => {
                joined.push_str(part);
                joined.push(' ');
                pending = Some((at, joined));
            }
            None => {
                joined.push_str(body);
                out.push((at, joined));
            }
        }
    }
    out.extend(pending);
    out
}

/// Commands in Markdown prose: a line, or an inline code span, that starts with a recognised
/// program (an indented code block, a prompt).
fn prose_commands(start: usize, line: &str, out: &mut Vec<(usize, String)>) {
    let command = |s: &str| {
        let s = s.trim_start();
        let s = s.strip_prefix("$ ").unwrap_or(s);
        PROGRAMS
            .iter()
            .any(|p| s.strip_prefix(p).is_some_and(|r| r.starts_with(' ')))
            .then(|| s.to_string())
    };
    if let Some(c) = command(line) {
        out.push((start, c));
        return;
    }
    for (i, code) in line.split('`').enumerate() {
        if let Some(c) = command(code).filter(|_| i % 2 == 1) {
            out.push((start, c));
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(String),
    /// `|`, `||`, `&&`, `&`, `;`, `(`, `)`, `>`, `>>`, `<`, `<<`.
    Op(&'static str),
}

/// Shell words and operators of one line: quotes removed, `$(…)` and backquotes kept whole
/// inside their word (their value is unknown), a `#` comment dropped. Hand-written: we read a
/// few words of a few commands, and the shell-word crates (`shlex`) do not split operators.
fn tokens(line: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    fn flush(word: &mut String, in_word: &mut bool, out: &mut Vec<Tok>) {
        if *in_word {
            out.push(Tok::Word(std::mem::take(word)));
            *in_word = false;
        }
    }
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => flush(&mut word, &mut in_word, &mut out),
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            '$' if chars.peek() == Some(&'(') => {
                in_word = true;
                word.push('$');
                let mut depth = 0usize;
                for q in chars.by_ref() {
                    word.push(q);
                    match q {
                        '(' => depth += 1,
                        ')' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            '`' => {
                in_word = true;
                word.push_str("$()");
                for q in chars.by_ref() {
                    if q == '`' {
                        break;
                    }
                }
            }
            '|' | '&' | ';' | '(' | ')' | '<' | '>' => {
                // `2>` redirects like `>`: the descriptor is no word.
                if matches!(c, '<' | '>') && in_word && word.chars().all(|d| d.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                }
                flush(&mut word, &mut in_word, &mut out);
                let doubled = chars.peek() == Some(&c) && matches!(c, '|' | '&' | '<' | '>');
                if doubled {
                    chars.next();
                }
                let op = match (c, doubled) {
                    ('|', true) => "||",
                    ('|', false) => "|",
                    ('&', true) => "&&",
                    // `&>file`: both streams to a file.
                    ('&', false) if chars.peek() == Some(&'>') => {
                        chars.next();
                        ">"
                    }
                    ('&', false) => "&",
                    (';', _) => ";",
                    ('(', _) => "(",
                    (')', _) => ")",
                    ('<', true) => "<<",
                    ('<', false) => "<",
                    ('>', true) => ">>",
                    _ => ">",
                };
                // `>&2`, `2>&1`: a redirect to another descriptor, not to a file.
                if matches!(op, ">" | ">>") && chars.peek() == Some(&'&') {
                    chars.next();
                    while chars.next_if(|d| d.is_ascii_digit() || *d == '-').is_some() {}
                    continue;
                }
                out.push(Tok::Op(op));
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut out);
    out
}

/// A simple command: its words, and the files it redirects to and from.
#[derive(Debug, Default)]
struct Simple {
    words: Vec<String>,
    writes: Vec<String>,
    reads: Vec<String>,
    /// Its output goes to the next command (`|`).
    piped: bool,
    /// Its output reaches a `kubectl apply -f -` (directly, or through filters such as
    /// `envsubst`), with the namespace and kube context that takes: `cat gateway.yaml |
    /// envsubst | kubectl apply -f -` applies `gateway.yaml`.
    feeds_apply: Option<ApplyTarget>,
}

fn simple_commands(tokens: &[Tok]) -> Vec<Simple> {
    let mut out = Vec::new();
    let mut cur = Simple::default();
    let mut it = tokens.iter();
    while let Some(t) = it.next() {
        match t {
            Tok::Word(w) => cur.words.push(w.clone()),
            Tok::Op(">" | ">>") => {
                if let Some(Tok::Word(w)) = it.next() {
                    cur.writes.push(w.clone());
                }
            }
            Tok::Op("<") => {
                if let Some(Tok::Word(w)) = it.next() {
                    cur.reads.push(w.clone());
                }
            }
            // A here-document's delimiter is no file.
            Tok::Op("<<") => {
                it.next();
            }
            Tok::Op(op) => {
                cur.piped = *op == "|";
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    out.push(cur);
    // From the end of each pipeline back: what reaches an apply of standard input.
    let mut downstream: Option<ApplyTarget> = None;
    for s in out.iter_mut().rev() {
        let next = if s.piped { downstream.take() } else { None };
        downstream = applies_stdin(&s.words).or_else(|| next.clone());
        s.feeds_apply = next;
    }
    out.retain(|s| !s.words.is_empty() || !s.writes.is_empty() || !s.reads.is_empty());
    out
}

/// The namespace and kube context an apply of standard input names, each when given.
type ApplyTarget = (Option<String>, Option<String>);

/// The namespace and context of a `kubectl|oc apply|create|replace -f -`, or `None` when the
/// command is no such apply. Read before variables are expanded: a variable value is unknown
/// anyway.
fn applies_stdin(words: &[String]) -> Option<ApplyTarget> {
    let at = words
        .iter()
        .position(|w| matches!(w.rsplit('/').next(), Some("kubectl" | "oc")))?;
    let args = &words[at + 1..];
    let verb = positionals(args, KUBECTL_VALUED).first().copied();
    let stdin = values_of(args, &["-f", "--filename"])
        .iter()
        .any(|f| f == "-");
    (matches!(verb, Some("apply" | "create" | "replace")) && stdin && !dry_run(args)).then(|| {
        let known = |v: Option<String>| v.filter(|v| !v.contains('$'));
        (
            known(value_of(args, &["-n", "--namespace"])),
            known(value_of(args, &["--context"])),
        )
    })
}

/// `$NAME` and `${NAME}` replaced by what the script assigned them; others kept.
fn expand(word: &str, vars: &HashMap<String, String>) -> String {
    if !word.contains('$') || vars.is_empty() {
        return word.to_string();
    }
    let mut out = String::new();
    let mut rest = word;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, len) = match after.strip_prefix('{') {
            Some(inner) => match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            },
            None => {
                let n = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..n], n)
            }
        };
        match vars.get(name) {
            Some(v) if len > 0 => out.push_str(v),
            _ => out.push_str(&rest[i..i + 1 + len]),
        }
        rest = &rest[i + 1 + len..];
    }
    out.push_str(rest);
    out
}

/// The effects of one simple command; assignments are recorded in `vars`.
fn effects(cmd: &Simple, vars: &mut HashMap<String, String>) -> Vec<Effect> {
    let mut words: Vec<String> = cmd.words.iter().map(|w| expand(w, vars)).collect();
    // Leading assignments (`A=b cmd`, or a line of them), and wrappers that run the rest.
    let mut skip = 0;
    while let Some(first) = words.get(skip) {
        if let Some((name, value)) = first.split_once('=').filter(|(n, _)| is_name(n)) {
            vars.insert(name.to_string(), value.to_string());
        } else if !matches!(
            first.as_str(),
            "sudo" | "env" | "time" | "exec" | "command" | "export" | "local" | "readonly" | "$"
        ) {
            break;
        }
        skip += 1;
    }
    words.drain(..skip);
    let mut out: Vec<Effect> = Vec::new();
    out.extend(cmd.writes.iter().map(|w| Effect::Writes {
        path: expand(w, vars),
    }));
    out.extend(cmd.reads.iter().map(|r| Effect::Reads {
        path: expand(r, vars),
    }));
    let Some(program) = words.first() else {
        return out;
    };
    let program = program.rsplit('/').next().unwrap_or(program);
    let args = &words[1..];
    match program {
        "kubectl" | "oc" => kubectl(args, &mut out),
        // `cat a.yaml b.yaml | kubectl apply -f -` applies the files it prints.
        "cat" => {
            if let Some((namespace, context)) = &cmd.feeds_apply {
                out.extend(args.iter().filter(|a| !a.starts_with('-')).map(|path| {
                    Effect::Applies {
                        path: path.clone(),
                        namespace: namespace.clone(),
                        recursive: false,
                        context: context.clone(),
                    }
                }));
            }
        }
        "helm" => helm(args, &mut out),
        "k3d" | "kind" | "minikube" => out.extend(local_cluster(program, args)),
        "kustomize" => {
            out.extend(value_of(args, &["-o", "--output"]).map(|path| Effect::Writes { path }));
            out.extend(built_dir(args, "build"));
        }
        "tee" => out.extend(
            args.iter()
                .filter(|a| !a.starts_with('-'))
                .map(|a| Effect::Writes { path: a.clone() }),
        ),
        "curl" | "wget" => out.extend(
            value_of(args, &["-o", "-O", "--output", "--output-document"])
                .map(|path| Effect::Writes { path }),
        ),
        _ => {}
    }
    out
}

/// The kube context of a local cluster a command creates: `k3d cluster create [NAME]`
/// (`k3d-NAME`), `kind create cluster [--name NAME]` (`kind-NAME`), `minikube start [-p NAME]`
/// (`NAME`), with each tool's default name.
fn local_cluster(program: &str, args: &[String]) -> Option<Effect> {
    let pos = positionals(
        args,
        &["--name", "-p", "--profile", "--config", "-c", "--image"],
    );
    let context = match (program, pos.as_slice()) {
        ("k3d", ["cluster", "create", rest @ ..]) => {
            format!("k3d-{}", rest.first().copied().unwrap_or("k3s-default"))
        }
        ("kind", ["create", "cluster", ..]) => format!(
            "kind-{}",
            value_of(args, &["--name"]).unwrap_or_else(|| "kind".into())
        ),
        ("minikube", ["start", ..]) => {
            value_of(args, &["-p", "--profile"]).unwrap_or_else(|| "minikube".into())
        }
        _ => return None,
    };
    (!context.contains('$')).then_some(Effect::LocalCluster { context })
}

fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The value of the first of `flags` given (`-n x`, `-nx` for one-letter flags, `--namespace=x`).
fn value_of(args: &[String], flags: &[&str]) -> Option<String> {
    values_of(args, flags).into_iter().next()
}

fn values_of(args: &[String], flags: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        for f in flags {
            if a == f {
                out.extend(it.next().cloned());
                break;
            }
            let Some(v) = a.strip_prefix(f) else { continue };
            if let Some(v) = v.strip_prefix('=') {
                out.push(v.to_string());
                break;
            }
            if !f.starts_with("--") && !v.is_empty() {
                out.push(v.to_string());
                break;
            }
        }
    }
    out
}

/// The positional arguments, skipping flags and the values of `valued` flags.
fn positionals<'a>(args: &'a [String], valued: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a.starts_with('-') {
            if valued.contains(&a.as_str()) {
                it.next();
            }
            continue;
        }
        out.push(a.as_str());
    }
    out
}

/// Flags of `kubectl` that take a value as the next word.
const KUBECTL_VALUED: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--kubeconfig",
    "--cluster",
    "--user",
    "-f",
    "--filename",
    "-k",
    "--kustomize",
    "-o",
    "--output",
    "-l",
    "--selector",
    "--from-literal",
    "--from-file",
    "--from-env-file",
    "--type",
    "--cert",
    "--key",
    "--docker-server",
    "--docker-username",
    "--docker-password",
    "--docker-email",
    "--field-manager",
];

/// Whether a command only prints what it would do (`--dry-run=client`): the sealed-secrets
/// recipe `kubectl create secret … --dry-run=client -o yaml | kubeseal` creates nothing.
fn dry_run(args: &[String]) -> bool {
    args.iter()
        .any(|a| a == "--dry-run" || a.strip_prefix("--dry-run=").is_some_and(|v| v != "none"))
}

/// `kustomize build DIR` and `kubectl kustomize DIR` (`subcommand`: `build`, `kustomize`) read
/// the directory's kustomization (`.` when none is named): a build a script or a doc page runs.
fn built_dir(args: &[String], subcommand: &str) -> Option<Effect> {
    let pos = positionals(
        args,
        &["-o", "--output", "--load-restrictor", "--helm-command"],
    );
    if pos.first() != Some(&subcommand) {
        return None;
    }
    let path = pos.get(1).copied().unwrap_or(".");
    let remote = path.contains("://") || path.starts_with("github.com/");
    (!remote).then(|| Effect::Reads {
        path: path.to_string(),
    })
}

fn kubectl(args: &[String], out: &mut Vec<Effect>) {
    if dry_run(args) {
        return;
    }
    out.extend(built_dir(args, "kustomize"));
    let namespace = value_of(args, &["-n", "--namespace"]).filter(|n| !n.contains('$'));
    let pos = positionals(args, KUBECTL_VALUED);
    if !matches!(pos.first(), Some(&("apply" | "create" | "replace"))) {
        return;
    }
    if pos.first() == Some(&"create") {
        // `create secret TYPE NAME`; the others `create KIND NAME`.
        let kind = match pos.get(1).copied() {
            Some("secret") => Some(("Secret", 3)),
            Some("configmap" | "cm") => Some(("ConfigMap", 2)),
            Some("serviceaccount" | "sa") => Some(("ServiceAccount", 2)),
            Some("namespace" | "ns") => Some(("Namespace", 2)),
            _ => None,
        };
        if let Some((kind, at)) = kind {
            out.extend(pos.get(at).map(|name| Effect::Creates {
                kind,
                name: name.to_string(),
                namespace: namespace.clone(),
            }));
            return;
        }
    }
    let remote = |p: &str| p.starts_with("http://") || p.starts_with("https://");
    let recursive = args.iter().any(|a| a == "-R" || a == "--recursive");
    let context = value_of(args, &["--context"]).filter(|c| !c.contains('$'));
    for path in values_of(args, &["-f", "--filename"]) {
        if path == "-" {
            continue;
        }
        let namespace = namespace.clone();
        out.push(if remote(&path) {
            Effect::Remote {
                url: path,
                namespace,
            }
        } else {
            Effect::Applies {
                path,
                namespace,
                recursive,
                context: context.clone(),
            }
        });
    }
    // `-k DIR` builds the directory's kustomization, as `kustomize build DIR` does.
    for path in values_of(args, &["-k", "--kustomize"]) {
        if remote(&path) {
            out.push(Effect::Remote {
                url: path,
                namespace: namespace.clone(),
            });
        } else if !path.contains("://") && !path.starts_with("github.com/") {
            out.push(Effect::Reads { path });
        }
    }
}

/// Flags of `helm install|upgrade` that take a value as the next word.
const HELM_VALUED: &[&str] = &[
    "-n",
    "--namespace",
    "-f",
    "--values",
    "--set",
    "--set-string",
    "--set-file",
    "--set-json",
    "--version",
    "--repo",
    "--kube-context",
    "--kubeconfig",
    "--timeout",
    "--post-renderer",
    "-o",
    "--output",
    "--description",
    "--username",
    "--password",
    "--ca-file",
    "--cert-file",
    "--key-file",
    "--history-max",
];

fn helm(args: &[String], out: &mut Vec<Effect>) {
    if dry_run(args) {
        return;
    }
    let pos = positionals(args, HELM_VALUED);
    let (Some(&sub), Some(&release), Some(&chart)) = (pos.first(), pos.get(1), pos.get(2)) else {
        return;
    };
    if matches!(sub, "install" | "upgrade") {
        out.push(Effect::Helm {
            release: release.to_string(),
            chart: chart.to_string(),
            namespace: value_of(args, &["-n", "--namespace"]).filter(|n| !n.contains('$')),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effects_of(text: &str, name: &str) -> Vec<Effect> {
        let f = SourceFile::new(
            PathBuf::from(format!("/r/docs/{name}")),
            name.into(),
            text.into(),
        );
        commands_of(FileId(0), &f)
            .into_iter()
            .map(|c| c.effect)
            .collect()
    }

    #[test]
    fn commands_of_a_script() {
        let got = effects_of(
            "#!/bin/sh\nMANIFEST=\"${DIR}/common/manifest.yaml\" # intermediate\nhelm template x chart > ${MANIFEST}\nkubectl --context k3d create secret generic auth-key \\\n  --namespace argocd --from-literal=k=v\nkubectl apply -f https://example.com/a.yaml 2>&1 | tee log.txt\nhelm upgrade --install argocd argo/argo-cd --namespace argocd-system --create-namespace\n",
            "install.sh",
        );
        assert_eq!(
            got,
            vec![
                Effect::Writes {
                    path: "${DIR}/common/manifest.yaml".into()
                },
                Effect::Creates {
                    kind: "Secret",
                    name: "auth-key".into(),
                    namespace: Some("argocd".into())
                },
                Effect::Remote {
                    url: "https://example.com/a.yaml".into(),
                    namespace: None
                },
                Effect::Writes {
                    path: "log.txt".into()
                },
                Effect::Helm {
                    release: "argocd".into(),
                    chart: "argo/argo-cd".into(),
                    namespace: Some("argocd-system".into())
                },
            ]
        );
    }

    #[test]
    fn markdown_reads_shell_fences_and_commands_in_prose() {
        let got = effects_of(
            "# Title\n\n```yaml\nkubectl apply -f not-a-command.yaml\n```\n\n```bash {\"name\":\"x\"}\n$ kubeseal --format=yaml < ~/env/secret.yaml \\\n    > /tmp/sealed.yaml\n```\n\n    kubectl create -f oauth2-proxy.yaml\n\nThen run `kubectl apply -k overlays/prod` and wait.\n",
            "README.md",
        );
        assert_eq!(
            got,
            vec![
                Effect::Writes {
                    path: "/tmp/sealed.yaml".into()
                },
                Effect::Reads {
                    path: "~/env/secret.yaml".into()
                },
                Effect::Applies {
                    path: "oauth2-proxy.yaml".into(),
                    namespace: None,
                    recursive: false,
                    context: None
                },
                Effect::Reads {
                    path: "overlays/prod".into()
                },
            ]
        );
    }

    #[test]
    fn make_variables_and_recipes() {
        let got = effects_of(
            "NS := catalog\nsecrets:\n\t@kubectl create secret generic db -n $(NS) --from-literal=p=$$PW\n",
            "Makefile",
        );
        assert_eq!(
            got,
            vec![Effect::Creates {
                kind: "Secret",
                name: "db".into(),
                namespace: Some("catalog".into())
            }]
        );
    }

    #[test]
    fn paths_match_exactly_or_by_a_known_tail() {
        let top = Path::new("/r");
        let dir = Path::new("/r/docs/x");
        let t = Path::new("/r/manifests/mod/sealed/secret.yaml");
        assert!(names("~/env/mod/sealed/secret.yaml", dir, top, t));
        assert!(names("$DIR/sealed/secret.yaml", dir, top, t));
        assert!(names("manifests/mod/sealed/secret.yaml", dir, top, t));
        assert!(!names("secret.yaml", dir, top, t));
        assert!(!names("/tmp/secret.yaml", dir, top, t));
        assert!(!names("other/secret.yaml", dir, top, t));
        assert!(!names("prod/sealed/secret.yaml", dir, top, t));
        // A fully known relative path names one place: not every `*/sealed/secret.yaml`.
        assert!(!names("sealed/secret.yaml", dir, top, t));
        let ex = Path::new("/r/ex/oauth.yaml");
        assert!(names("oauth.yaml", Path::new("/r/ex"), top, ex));
        assert!(names("./oauth.yaml", Path::new("/r/ex"), top, ex));
        // One component: beside the script, or at the repository top; nowhere else.
        let at_top = Path::new("/r/oauth.yaml");
        assert!(names("oauth.yaml", Path::new("/r/docs"), top, at_top));
        assert!(!names("oauth.yaml", Path::new("/r/docs"), top, ex));
        // `..` before the last two components still resolves.
        assert!(names("../ex/oauth.yaml", Path::new("/r/docs"), top, ex));
        assert!(!names("../docs/oauth.yaml", Path::new("/r/docs"), top, ex));
    }

    #[test]
    fn applied_directories_and_dry_runs() {
        let f = SourceFile::new(
            PathBuf::from("/r/README.md"),
            "README.md".into(),
            "```sh\nkubectl apply -f apps/\nkubectl apply -R -f deep/\nkubectl apply -k overlays/prod\nkubectl create secret generic db -n b --dry-run=client -o yaml | kubeseal > s.yaml\nhelm install x y --dry-run\n```\n".into(),
        );
        let commands = commands_of(FileId(0), &f);
        let scripts = Scripts::of(commands, Path::new("/r"));
        let applied = |p: &str| scripts.naming(Path::new(p), |_| true).is_some();
        assert!(applied("/r/apps/a.yaml"));
        assert!(!applied("/r/apps/sub/b.yaml"), "-f dir/ is not recursive");
        assert!(applied("/r/deep/sub/c.yaml"), "-R is");
        assert!(
            !applied("/r/overlays/prod/extra.yaml"),
            "-k applies what is listed"
        );
        let effects: Vec<&Effect> = scripts.commands.iter().map(|c| &c.effect).collect();
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, Effect::Creates { .. } | Effect::Helm { .. })),
            "dry runs create nothing: {effects:?}"
        );
    }

    #[test]
    fn files_piped_into_an_apply_are_applied() {
        let got = effects_of(
            "cat gw.yaml \\\n  | envsubst | kubectl apply -n ui -f -\ncat notes.txt\ncat a.yaml | grep x\ncat b.yaml | kubectl apply -f - --dry-run=client\ncat c.yaml | kubectl create -f-\n",
            "run.sh",
        );
        assert_eq!(
            got,
            vec![
                Effect::Applies {
                    path: "gw.yaml".into(),
                    namespace: Some("ui".into()),
                    recursive: false,
                    context: None
                },
                Effect::Applies {
                    path: "c.yaml".into(),
                    namespace: None,
                    recursive: false,
                    context: None
                }
            ],
            "only a cat whose output reaches an apply of standard input applies"
        );
    }

    #[test]
    fn pages_show_files_that_no_command_uses() {
        let page = SourceFile::new(
            PathBuf::from("/r/docs/policies.md"),
            "docs/policies.md".into(),
            "::yaml{file=\"manifests/example.yaml\"}\n\nSee [the patch](../manifests/patch.yaml).\n\n```sh\nsed s/a/b/ manifests/patch.yaml | kubectl apply -f -\n```\n".into(),
        );
        let scripts = Scripts::new(&[page], 7, Path::new("/r"));
        let shown = scripts.shows(Path::new("/r/manifests/example.yaml"));
        assert_eq!(shown.map(|s| (s.file, s.start)), Some((FileId(7), 0)));
        assert_eq!(
            scripts.shows(Path::new("/r/manifests/patch.yaml")),
            None,
            "a shell line uses it, though no command is understood"
        );
        assert_eq!(scripts.shows(Path::new("/r/other/example.yaml")), None);
    }

    #[test]
    fn applies_to_a_cluster_the_page_creates() {
        let page = SourceFile::new(
            PathBuf::from("/r/docs/lab/README.md"),
            "docs/lab/README.md".into(),
            "```sh\nk3d cluster create management --config manifests/k3d.yaml\nkind create cluster --name apps\nkubectl --context k3d-management apply -f manifests/ingress.yaml\nkubectl --context=kind-apps apply -f manifests/app.yaml\nkubectl --context prod apply -f manifests/prod.yaml\n```\n".into(),
        );
        let scripts = Scripts::new(&[page], 0, Path::new("/r"));
        let context = |p: &str| {
            scripts
                .local_cluster(Path::new(p))
                .map(|(apply, made)| (apply.shown.clone(), made.shown.clone()))
        };
        assert_eq!(
            context("/r/docs/lab/manifests/ingress.yaml"),
            Some(("docs/lab/README.md:4".into(), "docs/lab/README.md:2".into()))
        );
        assert_eq!(
            context("/r/docs/lab/manifests/app.yaml").map(|c| c.1),
            Some("docs/lab/README.md:3".into())
        );
        assert_eq!(
            context("/r/docs/lab/manifests/prod.yaml"),
            None,
            "a context no script creates may be any cluster"
        );
    }

    #[test]
    fn builds_read_their_directory() {
        let f = SourceFile::new(
            PathBuf::from("/r/README.md"),
            "README.md".into(),
            "```sh\nkustomize build common/knative/base | kubectl apply -f -\nkubectl kustomize overlays/dev > out.yaml\n(cd apps/web && kustomize build)\nkustomize build https://github.com/x/y//deploy\nkubectl apply -k overlays/prod\nkubectl apply -k github.com/x/y//deploy?ref=v1\n```\n".into(),
        );
        let commands = commands_of(FileId(0), &f);
        let scripts = Scripts::of(commands, Path::new("/r"));
        let read = |p: &str| {
            scripts
                .naming(Path::new(p), |e| matches!(e, Effect::Reads { .. }))
                .is_some()
        };
        assert!(read("/r/common/knative/base"));
        assert!(read("/r/overlays/dev"));
        assert!(read("/r/overlays/prod"), "kubectl apply -k builds it too");
        assert!(
            !read("/r/common/knative/base/deployment.yaml"),
            "the directory, not its files"
        );
        assert!(!read("/r/common/knative"));
        let reads: Vec<&str> = scripts
            .commands
            .iter()
            .filter_map(|c| match &c.effect {
                Effect::Reads { path } => Some(path.as_str()),
                _ => None,
            })
            .collect();
        assert!(!reads.iter().any(|p| p.contains("github.com")), "{reads:?}");
    }

    #[test]
    fn tokens_keep_quotes_and_substitutions_in_words() {
        assert_eq!(
            tokens("a 'b c' \"d\\\"e\" $(x y) f#g # comment"),
            vec![
                Tok::Word("a".into()),
                Tok::Word("b c".into()),
                Tok::Word("d\"e".into()),
                Tok::Word("$(x y)".into()),
                Tok::Word("f#g".into()),
            ]
        );
        assert_eq!(
            tokens("x >&2 && y 2>/dev/null"),
            vec![
                Tok::Word("x".into()),
                Tok::Op("&&"),
                Tok::Word("y".into()),
                Tok::Op(">"),
                Tok::Word("/dev/null".into()),
            ]
        );
    }
}
