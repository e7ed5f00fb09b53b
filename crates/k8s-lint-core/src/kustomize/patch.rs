//! Strategic-merge patches applied to spanned trees. Patched values keep the spans of the patch
//! file, so a port added by an overlay is reported where the overlay adds it.
//!
//! Only the merge semantics the rules depend on are modelled: map merge, `null` deletion,
//! `$patch: replace|delete`, and keyed list merge for the lists Kubernetes declares with a
//! `patchMergeKey`. Anything else (`$retainKeys`, `$deleteFromPrimitiveList`, an item without
//! its merge key) is [`Unsupported`]: the caller then stays silent on the patched object.

use crate::yaml::{Entry, Node, Value, ValueRef};

#[derive(Debug, PartialEq, Eq)]
pub struct Unsupported;

/// Merge `patch` into `base` as `kubectl patch --type strategic` and kustomize do.
pub fn strategic_merge<'s>(base: &mut Node<'s>, patch: &Node<'s>) -> Result<(), Unsupported> {
    match (base.as_map().is_some(), patch.value()) {
        (true, ValueRef::Map(p)) if directive(p) == Some("replace") => {
            *base = cleaned(patch);
            Ok(())
        }
        (true, ValueRef::Map(p)) => base.map_mut(|b| merge_map(b, p)).unwrap_or(Ok(())),
        _ => {
            *base = cleaned(patch);
            Ok(())
        }
    }
}

fn directive<'a>(entries: &'a [Entry<'_>]) -> Option<&'a str> {
    entries
        .iter()
        .find(|e| e.key_text() == Some("$patch"))
        .and_then(|e| e.value().scalar_text())
}

fn merge_map<'s>(base: &mut Vec<Entry<'s>>, patch: &[Entry<'s>]) -> Result<(), Unsupported> {
    let mut slots = Slots::new(base.iter().map(|e| e.key_text()), patch.len());
    for pe in patch {
        let Some(key) = pe.key_text() else {
            return Err(Unsupported);
        };
        if let Some(d) = key.strip_prefix('$') {
            // Ordering hints change nothing we read; other directives change content.
            if d == "patch" || d.starts_with("setElementOrder/") {
                continue;
            }
            return Err(Unsupported);
        }
        let existing = slots.find(key, || base.iter().position(|e| e.key_text() == Some(key)));
        match (existing, pe.value().value()) {
            (Some(i), _) if pe.value().is_null() => slots.remove(base, i, key),
            (None, _) if pe.value().is_null() => {}
            (Some(i), ValueRef::Map(p)) if directive(p) == Some("delete") => {
                slots.remove(base, i, key)
            }
            (Some(i), ValueRef::Seq(items)) => {
                let mut target = base[i].value_mut();
                match target.seq_mut(|existing| merge_list(existing, items, key)) {
                    Some(merged) => merged?,
                    None => *target = cleaned(pe.value()),
                }
            }
            (Some(i), _) => strategic_merge(&mut base[i].value_mut(), pe.value())?,
            (None, _) => {
                slots.added(key, base.len());
                base.push(Entry::new(pe.key().clone(), cleaned(pe.value())));
            }
        }
    }
    slots.compact(base);
    Ok(())
}

/// Where each key (or merge-key value) of a large map or list is: a patch of n entries onto
/// m would otherwise cost n·m lookups and removals. Small ones are searched directly.
struct Slots {
    /// Each key's items, first first: a list may hold one merge key twice (port 53 over UDP
    /// and TCP), and a patch item merges into the first that is left, as a direct search does.
    index: Option<std::collections::HashMap<String, std::collections::VecDeque<usize>>>,
    removed: Vec<usize>,
}

impl Slots {
    fn new<'k>(keys: impl Iterator<Item = Option<&'k str>>, patch_len: usize) -> Slots {
        let keys: Vec<Option<&str>> = keys.collect();
        let large = keys.len() > 16 && patch_len > 16;
        let index = large.then(|| {
            let mut map: std::collections::HashMap<String, std::collections::VecDeque<usize>> =
                std::collections::HashMap::new();
            for (i, k) in keys.iter().enumerate() {
                if let Some(k) = k {
                    map.entry(k.to_string()).or_default().push_back(i);
                }
            }
            map
        });
        Slots {
            index,
            removed: Vec::new(),
        }
    }

    fn find(&self, key: &str, scan: impl FnOnce() -> Option<usize>) -> Option<usize> {
        match &self.index {
            Some(map) => map.get(key).and_then(|q| q.front().copied()),
            None => scan(),
        }
    }

    fn added(&mut self, key: &str, at: usize) {
        if let Some(map) = &mut self.index {
            map.entry(key.to_string()).or_default().push_back(at);
        }
    }

    /// Remove item `i` (the first of `key`): at once when searching directly, else at the end
    /// (indices stay valid).
    fn remove<T>(&mut self, items: &mut Vec<T>, i: usize, key: &str) {
        match &mut self.index {
            Some(map) => {
                if let Some(q) = map.get_mut(key) {
                    q.pop_front();
                }
                self.removed.push(i);
            }
            None => {
                items.remove(i);
            }
        }
    }

    fn compact<T>(mut self, items: &mut Vec<T>) {
        if self.removed.is_empty() {
            return;
        }
        self.removed.sort_unstable();
        let mut next = self.removed.iter().peekable();
        let mut i = 0;
        items.retain(|_| {
            let keep = next.peek() != Some(&&i);
            if !keep {
                next.next();
            }
            i += 1;
            keep
        });
    }
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
    let value_of = |n: &Node<'s>| n.get(key).and_then(Node::scalar_text).map(String::from);
    let values: Vec<Option<String>> = base.iter().map(value_of).collect();
    let mut slots = Slots::new(values.iter().map(Option::as_deref), patch.len());
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
        let existing = slots.find(value, || {
            base.iter()
                .position(|b| b.get(key).and_then(Node::scalar_text) == Some(value))
        });
        match existing {
            Some(i) if directive(entries) == Some("delete") => slots.remove(base, i, value),
            Some(i) => strategic_merge(&mut base[i], item)?,
            None if directive(entries) == Some("delete") => {}
            None => {
                slots.added(value, base.len());
                base.push(cleaned(item));
            }
        }
    }
    slots.compact(base);
    Ok(())
}

/// A copy of patch content without `$` directives.
fn cleaned<'s>(node: &Node<'s>) -> Node<'s> {
    match node.value() {
        ValueRef::Map(entries) => Node::new(
            node.span,
            Value::Map(
                entries
                    .iter()
                    .filter(|e| !e.key_text().is_some_and(|k| k.starts_with('$')))
                    .map(|e| Entry::new(e.key().clone(), cleaned(e.value())))
                    .collect(),
            ),
        ),
        ValueRef::Seq(items) => {
            Node::new(node.span, Value::Seq(items.iter().map(cleaned).collect()))
        }
        ValueRef::Scalar(_) => node.clone(),
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
        match node.value() {
            ValueRef::Scalar(s) => s.text().to_string(),
            ValueRef::Seq(items) => format!(
                "[{}]",
                items.iter().map(render).collect::<Vec<_>>().join(", ")
            ),
            ValueRef::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|e| format!("{}: {}", render(&e.key()), render(e.value())))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    #[test]
    fn large_maps_and_lists_merge_as_small_ones_do() {
        // Above the size where keys are indexed: the result must be the one a direct search
        // gives (deletes keep the order of what stays, additions go last).
        let keys = |r: std::ops::Range<usize>| {
            r.map(|i| format!("k{i}: {i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let base = format!("data: {{{}}}", keys(0..40));
        let patch = format!(
            "data: {{k3: null, k5: five, {}, k39: null, k50: new}}",
            keys(10..30)
        );
        let out = merged(&base, &patch).unwrap();
        let mut want: Vec<String> = (0..40)
            .filter(|i| ![3, 39].contains(i))
            .map(|i| match i {
                5 => "k5: five".to_string(),
                _ => format!("k{i}: {i}"),
            })
            .collect();
        want.push("k50: new".into());
        assert_eq!(out, format!("{{data: {{{}}}}}", want.join(", ")));
        let env = |r: std::ops::Range<usize>| {
            r.map(|i| format!("{{name: e{i}, value: v{i}}}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let out = merged(
            &format!("env: [{}]", env(0..20)),
            &format!(
                "env: [{}, {{name: e1, $patch: delete}}, {{name: e99, value: x}}]",
                env(2..20)
            ),
        )
        .unwrap();
        assert_eq!(
            out,
            format!(
                "{{env: [{{name: e0, value: v0}}, {}, {{name: e99, value: x}}]}}",
                env(2..20)
            )
        );
    }

    #[test]
    fn a_merge_key_held_twice_merges_as_a_direct_search_does() {
        // Port 53 twice (UDP and TCP), in a list large enough to be indexed: a delete takes
        // the first, the next item with that key merges into the one left.
        let ports = |r: std::ops::Range<usize>| {
            r.map(|i| format!("{{port: {}}}", 1000 + i))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let base = format!(
            "ports: [{}, {{port: 53, protocol: UDP}}, {{port: 53, protocol: TCP}}]",
            ports(0..20)
        );
        let patch = format!(
            "ports: [{}, {{port: 53, $patch: delete}}, {{port: 53, name: dns}}]",
            ports(0..20)
        );
        assert_eq!(
            merged(&base, &patch).unwrap(),
            format!(
                "{{ports: [{}, {{port: 53, protocol: TCP, name: dns}}]}}",
                ports(0..20)
            )
        );
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
