//! Strategic-merge patches applied to spanned trees. Patched values keep the spans of the patch
//! file, so a port added by an overlay is reported where the overlay adds it.
//!
//! Only the merge semantics the rules depend on are modelled: map merge, `null` deletion,
//! `$patch: replace|delete`, and keyed list merge for the lists Kubernetes declares with a
//! `patchMergeKey`. Anything else (`$retainKeys`, `$deleteFromPrimitiveList`, an item without
//! its merge key) is [`Unsupported`]: the caller then stays silent on the patched object.

use crate::yaml::{Entry, Node, Value};

#[derive(Debug, PartialEq, Eq)]
pub struct Unsupported;

/// Merge `patch` into `base` as `kubectl patch --type strategic` and kustomize do.
pub fn strategic_merge<'s>(base: &mut Node<'s>, patch: &Node<'s>) -> Result<(), Unsupported> {
    match (&mut base.value, &patch.value) {
        (Value::Map(_), Value::Map(p)) if directive(p) == Some("replace") => {
            *base = cleaned(patch);
            Ok(())
        }
        (Value::Map(b), Value::Map(p)) => merge_map(b, p),
        _ => {
            *base = cleaned(patch);
            Ok(())
        }
    }
}

fn directive<'a>(entries: &'a [Entry<'_>]) -> Option<&'a str> {
    entries
        .iter()
        .find(|e| e.key.scalar_text() == Some("$patch"))
        .and_then(|e| e.value.scalar_text())
}

fn merge_map<'s>(base: &mut Vec<Entry<'s>>, patch: &[Entry<'s>]) -> Result<(), Unsupported> {
    for pe in patch {
        let Some(key) = pe.key.scalar_text() else {
            return Err(Unsupported);
        };
        if let Some(d) = key.strip_prefix('$') {
            // Ordering hints change nothing we read; other directives change content.
            if d == "patch" || d.starts_with("setElementOrder/") {
                continue;
            }
            return Err(Unsupported);
        }
        let existing = base.iter().position(|e| e.key.scalar_text() == Some(key));
        match (existing, &pe.value.value) {
            (Some(i), _) if pe.value.is_null() => {
                base.remove(i);
            }
            (None, _) if pe.value.is_null() => {}
            (Some(i), Value::Map(p)) if directive(p) == Some("delete") => {
                base.remove(i);
            }
            (Some(i), Value::Seq(items)) => {
                let target = &mut base[i].value;
                match &mut target.value {
                    Value::Seq(existing) => merge_list(existing, items, key)?,
                    _ => *target = cleaned(&pe.value),
                }
            }
            (Some(i), _) => strategic_merge(&mut base[i].value, &pe.value)?,
            (None, _) => base.push(Entry {
                key: pe.key.clone(),
                value: cleaned(&pe.value),
            }),
        }
    }
    Ok(())
}

/// The `patchMergeKey` Kubernetes declares for a list field; `None` means the list is replaced.
fn merge_key(field: &str, base: &[Node<'_>], patch: &[Node<'_>]) -> Option<&'static str> {
    let has = |key: &str| base.iter().chain(patch).any(|n| n.get(key).is_some());
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "hostAliases" => Some("ip"),
        // Container ports merge on containerPort, Service ports on port.
        "ports" if has("containerPort") => Some("containerPort"),
        "ports" => Some("port"),
        _ => None,
    }
}

fn merge_list<'s>(
    base: &mut Vec<Node<'s>>,
    patch: &[Node<'s>],
    field: &str,
) -> Result<(), Unsupported> {
    let Some(key) = merge_key(field, base, patch) else {
        *base = patch.iter().map(cleaned).collect();
        return Ok(());
    };
    for item in patch {
        let Some(entries) = item.as_map() else {
            return Err(Unsupported);
        };
        if directive(entries) == Some("replace") {
            *base = patch.iter().map(cleaned).collect();
            return Ok(());
        }
        let Some(value) = item.get(key).and_then(Node::scalar_text) else {
            return Err(Unsupported);
        };
        let existing = base
            .iter()
            .position(|b| b.get(key).and_then(Node::scalar_text) == Some(value));
        match existing {
            Some(i) if directive(entries) == Some("delete") => {
                base.remove(i);
            }
            Some(i) => strategic_merge(&mut base[i], item)?,
            None if directive(entries) == Some("delete") => {}
            None => base.push(cleaned(item)),
        }
    }
    Ok(())
}

/// A copy of patch content without `$` directives.
fn cleaned<'s>(node: &Node<'s>) -> Node<'s> {
    match &node.value {
        Value::Map(entries) => Node {
            span: node.span,
            value: Value::Map(
                entries
                    .iter()
                    .filter(|e| !e.key.scalar_text().is_some_and(|k| k.starts_with('$')))
                    .map(|e| Entry {
                        key: e.key.clone(),
                        value: cleaned(&e.value),
                    })
                    .collect(),
            ),
        },
        Value::Seq(items) => Node {
            span: node.span,
            value: Value::Seq(items.iter().map(cleaned).collect()),
        },
        Value::Scalar(_) => node.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::parse;

    fn merged(base: &str, patch: &str) -> Result<String, Unsupported> {
        let b = parse(FileId(0), base);
        let p = parse(FileId(1), patch);
        let mut root = b.docs[0].root.clone().unwrap();
        strategic_merge(&mut root, p.docs[0].root.as_ref().unwrap())?;
        Ok(render(&root))
    }

    /// Compact flow rendering for assertions.
    fn render(node: &Node<'_>) -> String {
        match &node.value {
            Value::Scalar(s) => s.text.to_string(),
            Value::Seq(items) => format!(
                "[{}]",
                items.iter().map(render).collect::<Vec<_>>().join(", ")
            ),
            Value::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|e| format!("{}: {}", render(&e.key), render(&e.value)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    #[test]
    fn service_port_added_by_key() {
        let out = merged(
            "spec: {ports: [{port: 80, targetPort: http}]}",
            "spec: {ports: [{port: 80, targetPort: web}, {port: 9090, name: metrics}]}",
        );
        assert_eq!(
            out.unwrap(),
            "{spec: {ports: [{port: 80, targetPort: web}, {port: 9090, name: metrics}]}}"
        );
    }

    #[test]
    fn containers_merge_by_name_and_ports_by_container_port() {
        let out = merged(
            "containers: [{name: app, ports: [{containerPort: 8080}]}, {name: side}]",
            "containers: [{name: app, ports: [{containerPort: 9090, name: metrics}]}]",
        );
        assert_eq!(
            out.unwrap(),
            "{containers: [{name: app, ports: [{containerPort: 8080}, {containerPort: 9090, name: metrics}]}, {name: side}]}"
        );
    }

    #[test]
    fn null_deletes_and_replace_directive() {
        assert_eq!(
            merged("a: {b: 1, c: 2}", "a: {b: null}").unwrap(),
            "{a: {c: 2}}"
        );
        assert_eq!(
            merged("a: {b: 1, c: 2}", "a: {$patch: replace, d: 3}").unwrap(),
            "{a: {d: 3}}"
        );
        assert_eq!(
            merged(
                "env: [{name: A}, {name: B}]",
                "env: [{name: A, $patch: delete}]"
            )
            .unwrap(),
            "{env: [{name: B}]}"
        );
    }

    #[test]
    fn unkeyed_lists_are_replaced_and_unknown_directives_refused() {
        assert_eq!(merged("args: [a, b]", "args: [c]").unwrap(), "{args: [c]}");
        assert_eq!(
            merged("a: {b: 1}", "a: {$retainKeys: [b]}"),
            Err(Unsupported)
        );
    }
}
