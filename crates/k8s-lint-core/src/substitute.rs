//! Flux `postBuild` substitution: what kustomize-controller does to a Kustomization's output
//! before it applies it. `${VAR}` takes the variable's value, and `${VAR:=default}` and
//! `${VAR:-default}` take the default when the variable is unset or empty. The variables come
//! from `postBuild.substitute`, from the in-repository ConfigMaps (`data`) and Secrets
//! (`stringData`) named by `postBuild.substituteFrom`, and from what a parent Kustomization
//! patches into the Kustomizations it deploys. A variable that stays unknown stays as written:
//! rules treat it as a placeholder (`placeholder`), never as a wrong value.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::gitops::{App, GitOps, Substitution, Tool};
use crate::kustomize::build::Instance;
use crate::kustomize::Model;
use crate::object::Object;
use crate::source::SourceFile;
use crate::yaml::{Node, Parsed, Scalar, Value, ValueMut, ValueRef};

/// Substitute every instance a Flux Kustomization deploys, in place.
pub fn apply<'s>(
    instances: &mut [Instance<'s>],
    gitops: &GitOps,
    model: &Model,
    files: &[SourceFile],
    objects: &[Object],
    parsed: &[Parsed<'s>],
) {
    let flux: Vec<&App> = gitops
        .apps
        .iter()
        .filter(|a| a.tool == Tool::Flux)
        .collect();
    let substitutes = |s: &Substitution| !s.vars.is_empty() || !s.from.is_empty();
    let any = flux
        .iter()
        .any(|a| substitutes(&a.substitution) || substitutes(&a.child_substitution));
    if !any {
        return;
    }
    // Variables of each app, by its index in `gitops.apps`.
    let vars: Vec<HashMap<String, String>> = gitops
        .apps
        .iter()
        .map(|app| match app.tool {
            Tool::Flux => variables(app, gitops, objects, files, parsed),
            Tool::ArgoCd => HashMap::new(),
        })
        .collect();
    // Most files hold no variable: one look at each file's text spares the tree walks.
    let has_var: Vec<bool> = files.iter().map(|f| f.text.contains("${")).collect();
    for inst in instances {
        let o = &objects[inst.object.0 as usize];
        if !has_var[o.file.0 as usize] {
            continue;
        }
        let dir = match inst.build {
            Some(k) => model.get(k).dir.as_ref(),
            None => files[o.file.0 as usize].dir(),
        };
        let Some(i) = gitops.app_index_for(dir) else {
            continue;
        };
        let vars = &vars[i];
        if vars.is_empty() {
            continue;
        }
        if let Some(name) = substituted(&inst.name, vars) {
            inst.name = Cow::Owned(name);
        }
        if let Some(ns) = inst.namespace.as_deref().and_then(|n| substituted(n, vars)) {
            inst.namespace = Some(Cow::Owned(ns));
        }
        let root = inst.root(objects, parsed);
        if needs(root, vars) {
            let mut copy = root.clone();
            replace(&mut copy, vars);
            inst.patched = Some(Box::new(copy));
        }
    }
}

/// The variables of one Flux app: its own `postBuild`, and what the apps that deploy its
/// declaring file patch in (kustomize-controller applies the parent's patches first, so the
/// child's own values come last and win).
fn variables(
    app: &App,
    gitops: &GitOps,
    objects: &[Object],
    files: &[SourceFile],
    parsed: &[Parsed<'_>],
) -> HashMap<String, String> {
    let declared = files[objects[app.declared_in.0 as usize].file.0 as usize].dir();
    let mut subs: Vec<&Substitution> = gitops
        .apps_above(declared)
        .into_iter()
        .filter(|p| p.tool == Tool::Flux && !std::ptr::eq(*p, app))
        .map(|p| &p.child_substitution)
        .collect();
    subs.push(&app.substitution);
    let mut out = HashMap::new();
    for sub in subs {
        for (kind, name) in &sub.from {
            for (k, v) in data_of(kind, name, declared, objects, files, parsed) {
                out.insert(k, v);
            }
        }
        for (k, v) in &sub.vars {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// The key-value pairs of an in-repository ConfigMap (`data`) or Secret (`stringData`) of that
/// name; of several (one per cluster, say), the one nearest to `near`, the directory of the
/// Kustomization that names it. Encrypted values (SOPS) are unknown and left out.
fn data_of(
    kind: &str,
    name: &str,
    near: &std::path::Path,
    objects: &[Object],
    files: &[SourceFile],
    parsed: &[Parsed<'_>],
) -> Vec<(String, String)> {
    let field = match kind {
        "ConfigMap" => "data",
        "Secret" => "stringData",
        _ => return Vec::new(),
    };
    let shared = |o: &&Object| {
        let dir = files[o.file.0 as usize].dir();
        dir.components()
            .zip(near.components())
            .take_while(|(a, b)| a == b)
            .count()
    };
    let nearest = objects
        .iter()
        .filter(|o| o.is("", kind) && o.name() == name)
        .max_by_key(shared);
    let mut out = Vec::new();
    if let Some(o) = nearest {
        for e in o
            .root(parsed)
            .get(field)
            .and_then(Node::as_map)
            .unwrap_or(&[])
        {
            if let (Some(k), Some(v)) = (e.key_str(), e.value().scalar_text()) {
                if !v.starts_with("ENC[") {
                    out.push((k.to_string(), v.to_string()));
                }
            }
        }
    }
    out
}

fn needs(node: &Node<'_>, vars: &HashMap<String, String>) -> bool {
    match node.value() {
        ValueRef::Scalar(s) => s.text().contains("${") && substituted(s.text(), vars).is_some(),
        ValueRef::Seq(items) => items.iter().any(|i| needs(i, vars)),
        ValueRef::Map(entries) => entries.iter().any(|e| needs(e.value(), vars)),
    }
}

fn replace(node: &mut Node<'_>, vars: &HashMap<String, String>) {
    if let Some(s) = node.as_scalar() {
        if let Some(text) = substituted(s.text(), vars) {
            node.set_value(Value::Scalar(Scalar::new(
                Cow::Owned(text),
                s.style(),
                s.tag(),
            )));
        }
        return;
    }
    match node.value_mut() {
        ValueMut::Scalar => {}
        ValueMut::Seq(items) => items.iter_mut().for_each(|i| replace(i, vars)),
        ValueMut::Map(entries) => entries
            .iter_mut()
            .for_each(|e| replace(&mut e.value_mut(), vars)),
    }
}

/// `text` with every resolvable `${VAR}`, `${VAR:=default}` and `${VAR:-default}` replaced;
/// `None` when nothing changes. An unknown variable without a default stays as written.
pub fn substituted(text: &str, vars: &HashMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let expr = &after[..end];
        let (name, default) = match expr.find([':']) {
            Some(i) if expr[i..].starts_with(":=") || expr[i..].starts_with(":-") => {
                (&expr[..i], Some(&expr[i + 2..]))
            }
            _ => (expr, None),
        };
        let value = vars
            .get(name)
            .filter(|v| !v.is_empty() || default.is_none())
            .map(String::as_str)
            .or(default);
        match value {
            Some(v) if is_identifier(name) => {
                out.push_str(v);
                changed = true;
            }
            _ => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// Where the first `${NAME}` of `text` is (`NAME` an identifier not starting with a digit, no
/// default): the mark of a template that `envsubst` or Flux fills in.
pub fn first_variable(text: &str) -> Option<std::ops::Range<usize>> {
    text.match_indices("${").find_map(|(i, _)| {
        let end = text[i + 2..].find('}')?;
        let name = &text[i + 2..i + 2 + end];
        (is_identifier(name) && !name.starts_with(|c: char| c.is_ascii_digit()))
            .then_some(i..i + end + 3)
    })
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_variable_is_an_identifier_in_braces() {
        assert_eq!(first_variable("image: ${IMAGE_URI}"), Some(7..19));
        assert_eq!(first_variable("a: ${1X} ${ok}"), Some(9..14));
        assert_eq!(first_variable("a: ${} ${x y} $PLAIN"), None);
    }

    #[test]
    fn substitutes_like_flux() {
        let vars: HashMap<String, String> = [("DOMAIN", "example.com"), ("EMPTY", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let s = |t: &str| substituted(t, &vars);
        assert_eq!(s("web.${DOMAIN}").as_deref(), Some("web.example.com"));
        assert_eq!(s("${PORT:=8080}").as_deref(), Some("8080"));
        assert_eq!(s("${PORT:-80}").as_deref(), Some("80"));
        assert_eq!(s("${EMPTY:=fallback}").as_deref(), Some("fallback"));
        assert_eq!(s("${UNKNOWN}"), None, "unknown stays a placeholder");
        assert_eq!(
            s("${UNKNOWN}.${DOMAIN}").as_deref(),
            Some("${UNKNOWN}.example.com")
        );
        assert_eq!(s("no variables"), None);
        assert_eq!(s("${unclosed"), None);
    }
}
