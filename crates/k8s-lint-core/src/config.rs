//! `.k8s-lint.yaml`: what the repository cannot say about itself (objects that live elsewhere,
//! the target Kubernetes version, rule levels, paths to skip). Parsed with the spanned YAML
//! tree so that every mistake is reported at its line and column; nothing is silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};

use crate::finding::Severity;
use crate::rules::{by_id, closest, RULES};
use crate::settings::{External, ExternalSelector, KubeVersion, RuleLevel};
use crate::source::FileId;
use crate::yaml::{self, Node, Problem, Value, ValueRef};

pub const CONFIG_FILE_NAME: &str = ".k8s-lint.yaml";

/// The JSON Schema of the config file, for yaml-language-server completion.
pub const SCHEMA: &str = include_str!("../k8s-lint.schema.json");

const KEYS: [&str; 12] = [
    "include",
    "exclude",
    "select",
    "ignore",
    "rules",
    "failOn",
    "defaultNamespace",
    "kubernetesVersion",
    "tailscaleIngressClass",
    "external",
    "externalSelectors",
    "$schema",
];

/// A config file, as read.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub path: PathBuf,
    /// Globs are relative to this directory (the config file's).
    pub base: PathBuf,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Rule ids or globs: exactly the rules that run (see `Options::select`).
    pub select: Vec<String>,
    /// Rule ids or globs that never run.
    pub ignore: Vec<String>,
    pub rules: BTreeMap<String, RuleLevel>,
    pub fail_on: Option<Option<Severity>>,
    pub default_namespace: Option<String>,
    pub kubernetes_version: Option<KubeVersion>,
    pub tailscale_ingress_class: Option<String>,
    pub external: Vec<External>,
    pub external_selectors: Vec<ExternalSelector>,
}

impl Config {
    /// Set what the file says on `options` (command-line flags are applied after this).
    pub fn apply(&self, options: &mut crate::Options) {
        options.default_namespace = self.default_namespace.clone();
        options.include = self.include.clone();
        options.exclude = self.exclude.clone();
        options.select = self.select.clone();
        options.ignore = self.ignore.clone();
        options.globs_base = Some(self.base.clone());
        let s = &mut options.settings;
        s.kubernetes_version = self.kubernetes_version;
        if let Some(class) = &self.tailscale_ingress_class {
            s.tailscale_ingress_class = class.clone();
        }
        s.rule_levels = self.rules.clone();
        s.external = self.external.clone();
        s.external_selectors = self.external_selectors.clone();
    }
}

/// A config file that cannot be used, with the span of the culprit.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(k8s_lint::config))]
pub struct ConfigError {
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

/// The nearest `.k8s-lint.yaml` at `start` or above it, up to the repository top `top` (a
/// file above the repository is not the repository's). Looked up through `fence`.
pub fn discover(start: &Path, top: &Path, fence: &crate::fence::Fence) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir.filter(|d| d.starts_with(top)) {
        let candidate = d.join(CONFIG_FILE_NAME);
        if !matches!(fence.locate(&candidate), crate::fence::Place::Missing) {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// The largest config file read: a config is a few hundred bytes.
pub const MAX_CONFIG_SIZE: u64 = 1 << 20;

struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Reader<'_> {
    fn error(
        &self,
        node: &Node<'_>,
        message: String,
        label: &str,
        help: Option<String>,
    ) -> Box<ConfigError> {
        Box::new(ConfigError {
            message: format!("{}: {message}", self.path.display()),
            src: NamedSource::new(self.path.display().to_string(), self.text.to_string()),
            span: node.span.range().into(),
            label: label.to_string(),
            help,
        })
    }

    fn string(&self, node: &Node<'_>, what: &str) -> Result<String, Box<ConfigError>> {
        match node.as_scalar() {
            Some(s) if !node.is_null() => Ok(s.text().to_string()),
            _ => Err(self.error(
                node,
                format!("`{what}` must be a string"),
                "expected a string",
                None,
            )),
        }
    }

    fn strings(&self, node: &Node<'_>, what: &str) -> Result<Vec<String>, Box<ConfigError>> {
        let items = node.as_seq().ok_or_else(|| {
            self.error(
                node,
                format!("`{what}` must be a list"),
                "expected a list",
                None,
            )
        })?;
        items.iter().map(|i| self.string(i, what)).collect()
    }

    fn glob(&self, node: &Node<'_>, what: &str) -> Result<String, Box<ConfigError>> {
        let pattern = self.string(node, what)?;
        globset::GlobBuilder::new(&pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| {
                self.error(
                    node,
                    format!("bad glob `{pattern}`: {}", e.kind()),
                    "bad glob",
                    None,
                )
            })?;
        Ok(pattern)
    }

    fn level(&self, node: &Node<'_>) -> Result<RuleLevel, Box<ConfigError>> {
        let text = self.string(node, "level")?;
        text.parse().map_err(|e: String| {
            let help = closest(&text, ["off", "info", "warning", "error"].into_iter())
                .map(|n| format!("did you mean `{n}`?"));
            self.error(node, e, "not a level", help)
        })
    }

    fn rule_id(&self, node: &Node<'_>) -> Result<String, Box<ConfigError>> {
        let id = self.string(node, "rule id")?;
        if by_id(&id).is_some() {
            return Ok(id);
        }
        let help = closest(&id, RULES.iter().map(|r| r.meta().id))
            .map(|n| format!("did you mean `{n}`?"))
            .or(Some("`k8s-lint rules` lists the rule ids".into()));
        Err(self.error(node, format!("unknown rule `{id}`"), "no such rule", help))
    }
}

/// Read and validate a config file, through `fence`: a committed `.k8s-lint.yaml` that is a
/// symlink to `/proc/self/environ` or a credentials file is refused, never read or shown.
pub fn load(path: &Path, fence: &crate::fence::Fence) -> Result<Config, Box<ConfigError>> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    read_and_parse(path, fence.read(&abs, MAX_CONFIG_SIZE))
}

/// Read and validate a config file named on the command line by whoever runs the job (not
/// a symlink): read where it is, as it is (`--config /dev/null` for none), within the size cap.
pub fn load_named(path: &Path) -> Result<Config, Box<ConfigError>> {
    let read =
        crate::fence::read_capped(path, MAX_CONFIG_SIZE).map_err(crate::fence::ReadError::Io);
    read_and_parse(path, read)
}

fn read_and_parse(
    path: &Path,
    read: Result<Result<Vec<u8>, u64>, crate::fence::ReadError>,
) -> Result<Config, Box<ConfigError>> {
    let fail = |why: String| {
        Box::new(ConfigError {
            message: format!("cannot read {}: {why}", path.display()),
            src: NamedSource::new(path.display().to_string(), String::new()),
            span: (0, 0).into(),
            label: String::new(),
            help: None,
        })
    };
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(size)) => {
            return Err(fail(format!(
                "{size} bytes exceeds the {MAX_CONFIG_SIZE}-byte limit for a config file"
            )))
        }
        Err(e) => return Err(fail(e.to_string())),
    };
    let text = String::from_utf8(bytes).map_err(|_| fail("it is not valid UTF-8".into()))?;
    parse(path, &text)
}

/// Validate config text read from `path`.
pub fn parse(path: &Path, text: &str) -> Result<Config, Box<ConfigError>> {
    let r = Reader { path, text };
    let parsed = yaml::parse(FileId(0), text);
    if let Some(problem) = parsed.problems.first() {
        let (span, message) = match problem {
            Problem::Syntax { message, span } => (*span, format!("YAML syntax error: {message}")),
            Problem::DuplicateKey { key, second, .. } => {
                (*second, format!("key `{key}` is repeated"))
            }
            Problem::AliasBudget { span } | Problem::TooDeep { span } => {
                (*span, "aliases expand too far".to_string())
            }
        };
        let at = Node::new(span, Value::Seq(Box::default()));
        return Err(r.error(&at, message, "here", None));
    }
    let mut config = Config {
        path: path.to_path_buf(),
        base: path.parent().unwrap_or(Path::new("")).to_path_buf(),
        ..Config::default()
    };
    let Some(root) = parsed.docs.first().and_then(|d| d.root.as_ref()) else {
        return Ok(config);
    };
    let entries = root.as_map().ok_or_else(|| {
        r.error(
            root,
            "the config must be a mapping".into(),
            "expected keys",
            None,
        )
    })?;
    for e in entries {
        let key = r.string(&e.key(), "key")?;
        let v = e.value();
        match key.as_str() {
            "include" => {
                config.include = r.strings(v, "include")?;
                for item in v.as_seq().unwrap_or(&[]) {
                    r.glob(item, "include")?;
                }
            }
            "exclude" => {
                config.exclude = r.strings(v, "exclude")?;
                for item in v.as_seq().unwrap_or(&[]) {
                    r.glob(item, "exclude")?;
                }
            }
            "select" | "ignore" => {
                let patterns = r.strings(v, &key)?;
                for (item, pattern) in v.as_seq().unwrap_or(&[]).iter().zip(&patterns) {
                    crate::rules::check_pattern(pattern).map_err(|message| {
                        r.error(item, format!("`{key}`: {message}"), "no such rule", None)
                    })?;
                }
                if key == "select" {
                    config.select = patterns;
                } else {
                    config.ignore = patterns;
                }
            }
            "rules" => {
                let map = v.as_map().ok_or_else(|| {
                    r.error(
                        v,
                        "`rules` must map rule ids to levels".into(),
                        "expected a mapping",
                        None,
                    )
                })?;
                for entry in map {
                    let id = r.rule_id(&entry.key())?;
                    config.rules.insert(id, r.level(entry.value())?);
                }
            }
            "failOn" => {
                let text = r.string(v, "failOn")?;
                config.fail_on = Some(match text.as_str() {
                    "never" => None,
                    _ => match r.level(v)? {
                        RuleLevel::On(s) => Some(s),
                        RuleLevel::Off => {
                            return Err(r.error(
                                v,
                                "`failOn` is error, warning, info or never".into(),
                                "not a level",
                                None,
                            ))
                        }
                    },
                });
            }
            "defaultNamespace" => config.default_namespace = Some(r.string(v, "defaultNamespace")?),
            "kubernetesVersion" => {
                let text = r.string(v, "kubernetesVersion")?;
                config.kubernetes_version = Some(text.parse().map_err(|e: String| {
                    r.error(
                        v,
                        e,
                        "not a version",
                        Some("quote it: `kubernetesVersion: \"1.26\"`".into()),
                    )
                })?);
            }
            "tailscaleIngressClass" => {
                config.tailscale_ingress_class = Some(r.string(v, "tailscaleIngressClass")?)
            }
            "external" => config.external = externals(&r, v)?,
            "externalSelectors" => config.external_selectors = external_selectors(&r, v)?,
            "$schema" => {}
            other => {
                let help = closest(other, KEYS.into_iter())
                    .map(|n| format!("did you mean `{n}`?"))
                    .or_else(|| Some(format!("known keys: {}", KEYS[..9].join(", "))));
                return Err(r.error(
                    &e.key(),
                    format!("unknown key `{other}`"),
                    "unknown key",
                    help,
                ));
            }
        }
    }
    Ok(config)
}

fn externals(r: &Reader<'_>, node: &Node<'_>) -> Result<Vec<External>, Box<ConfigError>> {
    let items = node.as_seq().ok_or_else(|| {
        r.error(
            node,
            "`external` must be a list of {kind, namespace, name}".into(),
            "expected a list",
            None,
        )
    })?;
    items
        .iter()
        .map(|item| {
            let map = item.as_map().ok_or_else(|| {
                r.error(
                    item,
                    "an `external` entry is a mapping of kind, namespace, name".into(),
                    "expected a mapping",
                    None,
                )
            })?;
            let mut fields: [Option<String>; 3] = [None, None, None];
            for e in map {
                let key = r.string(&e.key(), "key")?;
                let slot = match key.as_str() {
                    "kind" => 0,
                    "namespace" => 1,
                    "name" => 2,
                    other => {
                        let help = closest(other, ["kind", "namespace", "name"].into_iter())
                            .map(|n| format!("did you mean `{n}`?"));
                        return Err(r.error(
                            &e.key(),
                            format!("unknown key `{other}` in `external`"),
                            "unknown key",
                            help,
                        ));
                    }
                };
                fields[slot] = Some(if slot == 0 {
                    r.string(e.value(), &key)?
                } else {
                    r.glob(e.value(), &key)?
                });
            }
            let [kind, namespace, name] = fields;
            External::new(kind.as_deref(), namespace.as_deref(), name.as_deref())
                .map_err(|e| r.error(item, e, "bad glob", None))
        })
        .collect()
}

/// Entries are a label key (any value), or a mapping of keys to values (`"*"` or null: any).
fn external_selectors(
    r: &Reader<'_>,
    node: &Node<'_>,
) -> Result<Vec<ExternalSelector>, Box<ConfigError>> {
    let items = node.as_seq().ok_or_else(|| {
        r.error(
            node,
            "`externalSelectors` must be a list of label sets".into(),
            "expected a list",
            None,
        )
    })?;
    items
        .iter()
        .map(|item| {
            let mut labels = BTreeMap::new();
            match item.value() {
                ValueRef::Scalar(_) => {
                    labels.insert(r.string(item, "label")?, None);
                }
                ValueRef::Map(entries) => {
                    for e in entries {
                        let value = match e.value().as_scalar() {
                            _ if e.value().is_null() => None,
                            Some(s) if s.text() == "*" => None,
                            Some(_) => Some(r.string(e.value(), "label value")?),
                            None => {
                                return Err(r.error(
                                    e.value(),
                                    "a label value must be a string".into(),
                                    "expected a string",
                                    None,
                                ))
                            }
                        };
                        labels.insert(r.string(&e.key(), "label")?, value);
                    }
                }
                ValueRef::Seq(_) => {
                    return Err(r.error(
                        item,
                        "a label set is a label key or a mapping of labels".into(),
                        "expected a label set",
                        None,
                    ))
                }
            }
            Ok(ExternalSelector { labels })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (String, String, Option<String>) {
        let e = parse(Path::new(".k8s-lint.yaml"), text).unwrap_err();
        let at = &text[e.span.offset()..e.span.offset() + e.span.len()];
        (e.message, at.to_string(), e.help)
    }

    #[test]
    fn a_full_config_parses() {
        let c = parse(
            Path::new("/repo/.k8s-lint.yaml"),
            "include: [\"apps/**\"]\nexclude: [\"apps/legacy/**\"]\nrules:\n  service-target-port-undeclared: off\n  kustomize-orphan-manifest: error\nfailOn: error\ndefaultNamespace: default\nkubernetesVersion: \"1.26\"\nexternal:\n  - {kind: Service, namespace: media, name: \"immich-*\"}\nexternalSelectors:\n  - cnpg.io/cluster\n  - {app.kubernetes.io/managed-by: operator}\n",
        )
        .unwrap();
        assert_eq!(c.base, Path::new("/repo"));
        assert_eq!(c.rules["service-target-port-undeclared"], RuleLevel::Off);
        assert_eq!(c.fail_on, Some(Some(Severity::Error)));
        assert_eq!(c.kubernetes_version, Some(KubeVersion::new(1, 26)));
        assert!(c.external[0].matches("Service", Some("media"), "immich-web"));
        assert_eq!(c.external_selectors.len(), 2);
    }

    #[test]
    fn unknown_key_with_suggestion() {
        let (message, at, help) = err("rules: {}\nexlude: [a]\n");
        assert_eq!(message, ".k8s-lint.yaml: unknown key `exlude`");
        assert_eq!(at, "exlude");
        assert_eq!(help.as_deref(), Some("did you mean `exclude`?"));
    }

    #[test]
    fn unknown_rule_with_suggestion() {
        let (message, at, help) = err("rules:\n  ingress-service-mising: off\n");
        assert_eq!(
            message,
            ".k8s-lint.yaml: unknown rule `ingress-service-mising`"
        );
        assert_eq!(at, "ingress-service-mising");
        assert_eq!(
            help.as_deref(),
            Some("did you mean `ingress-service-missing`?")
        );
    }

    #[test]
    fn bad_level_bad_glob_bad_version() {
        let (message, at, help) = err("rules:\n  yaml-syntax: warn\n");
        assert_eq!(
            message,
            ".k8s-lint.yaml: `warn` is not a level: use off, info, warning or error"
        );
        assert_eq!(at, "warn");
        assert_eq!(help.as_deref(), Some("did you mean `warning`?"));
        let (message, at, _) = err("exclude: [\"apps/[\"]\n");
        assert!(
            message.starts_with(".k8s-lint.yaml: bad glob `apps/[`"),
            "{message}"
        );
        assert_eq!(at, "\"apps/[\"");
        let (message, at, _) = err("kubernetesVersion: 1.x\n");
        assert_eq!(
            message,
            ".k8s-lint.yaml: `1.x` is not a Kubernetes version like `1.26`"
        );
        assert_eq!(at, "1.x");
        let (message, _, _) = err("external:\n  - {kind: Service, nmae: x}\n");
        assert_eq!(message, ".k8s-lint.yaml: unknown key `nmae` in `external`");
    }

    #[test]
    fn discovery_stops_at_the_repository_top() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("apps/web")).unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "{}").unwrap();
        let fence = crate::fence::Fence::new(std::slice::from_ref(&repo));
        assert_eq!(
            discover(&repo.join("apps/web"), &repo, &fence),
            None,
            "outside the repository"
        );
        std::fs::write(repo.join(CONFIG_FILE_NAME), "{}").unwrap();
        assert_eq!(
            discover(&repo.join("apps/web"), &repo, &fence),
            Some(repo.join(CONFIG_FILE_NAME))
        );
    }
}
