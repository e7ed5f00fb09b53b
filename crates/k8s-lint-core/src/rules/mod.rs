//! Every rule, one file each, and the small typed helpers they share (backends, ports).

mod config_ref_missing;
mod file_unreadable;
mod gitops_path_missing;
pub(crate) mod hpa_target_missing;
mod ingress_class_both_set;
mod ingress_class_mismatch;
mod ingress_service_missing;
mod ingress_service_port_missing;
mod ingress_spec_invalid;
mod kustomize_component_kind;
mod kustomize_deprecated_field;
mod kustomize_duplicate_object;
mod kustomize_file_outside_root;
mod kustomize_multiple_files;
mod kustomize_orphan_manifest;
mod kustomize_resource_missing;
mod manifest_field_type;
mod network_policy_selector_unmatched;
mod pdb_selector_unmatched;
mod probe_port_unresolved;
mod service_account_missing;
mod service_selector_unmatched;
mod service_target_port_undeclared;
mod service_target_port_unresolved;
mod suppression_unknown_rule;
mod tailscale;
mod tailscale_backend_not_clusterip;
mod tailscale_class_annotation_only;
mod tailscale_endpoint;
mod tailscale_exact_path_type;
mod tailscale_expose_not_true;
mod tailscale_hostname_collision;
mod tailscale_hostname_invalid;
mod tailscale_no_valid_backends;
mod tailscale_rule_host_ignored;
mod tailscale_tls_shape;
mod unused_suppression;
mod workload_selector_mismatch;
mod yaml_duplicate_key;
mod yaml_syntax;

pub use crate::spelling::closest;

use crate::pod::{Container, PodSpec};

use crate::network::{Service, ServicePort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::finding::Finding;
use crate::index::{labels, InstId, View};
use crate::kustomize::Kustomization;
use crate::resolve::Resolution;
use crate::rule::{Ctx, Rule};
use crate::selector::Selector;
use crate::source::{FileId, Span};
use crate::yaml::{Entry, Node};

/// Every rule, sorted by id.
pub static RULES: &[&dyn Rule] = &[
    &config_ref_missing::ConfigRefMissing,
    &file_unreadable::FileUnreadable,
    &gitops_path_missing::GitopsPathMissing,
    &hpa_target_missing::HpaTargetMissing,
    &ingress_class_both_set::IngressClassBothSet,
    &ingress_class_mismatch::IngressClassMismatch,
    &ingress_service_missing::IngressServiceMissing,
    &ingress_service_port_missing::IngressServicePortMissing,
    &ingress_spec_invalid::IngressSpecInvalid,
    &kustomize_component_kind::KustomizeComponentKind,
    &kustomize_deprecated_field::KustomizeDeprecatedField,
    &kustomize_duplicate_object::KustomizeDuplicateObject,
    &kustomize_file_outside_root::KustomizeFileOutsideRoot,
    &kustomize_multiple_files::KustomizeMultipleFiles,
    &kustomize_orphan_manifest::KustomizeOrphanManifest,
    &kustomize_resource_missing::KustomizeResourceMissing,
    &manifest_field_type::ManifestFieldType,
    &network_policy_selector_unmatched::NetworkPolicySelectorUnmatched,
    &pdb_selector_unmatched::PdbSelectorUnmatched,
    &probe_port_unresolved::ProbePortUnresolved,
    &service_account_missing::ServiceAccountMissing,
    &service_selector_unmatched::ServiceSelectorUnmatched,
    &service_target_port_undeclared::ServiceTargetPortUndeclared,
    &service_target_port_unresolved::ServiceTargetPortUnresolved,
    &suppression_unknown_rule::SuppressionUnknownRule,
    &tailscale_backend_not_clusterip::TailscaleBackendNotClusterip,
    &tailscale_class_annotation_only::TailscaleClassAnnotationOnly,
    &tailscale_endpoint::TailscaleEndpoint,
    &tailscale_exact_path_type::TailscaleExactPathType,
    &tailscale_expose_not_true::TailscaleExposeNotTrue,
    &tailscale_hostname_collision::TailscaleHostnameCollision,
    &tailscale_hostname_invalid::TailscaleHostnameInvalid,
    &tailscale_no_valid_backends::TailscaleNoValidBackends,
    &tailscale_rule_host_ignored::TailscaleRuleHostIgnored,
    &tailscale_tls_shape::TailscaleTlsShape,
    &unused_suppression::UnusedSuppression,
    &workload_selector_mismatch::WorkloadSelectorMismatch,
    &yaml_duplicate_key::YamlDuplicateKey,
    &yaml_syntax::YamlSyntax,
];

pub fn by_id(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().id == id)
}

pub(crate) use crate::network::{backends, Backend};

/// The Services of `ids` that rules can read: typed, and not changed in ways we do not model.
pub(crate) fn readable_services<'a>(
    cx: &Ctx<'a, '_>,
    ids: &[InstId],
) -> Option<Vec<(InstId, &'a Service)>> {
    ids.iter()
        .map(|&id| match cx.index.view(id) {
            View::Service(svc) if !cx.index.inst(id).opaque => Some((id, &**svc)),
            _ => None,
        })
        .collect()
}

pub(crate) fn service_ports(svc: &Service) -> &[ServicePort] {
    svc.spec
        .as_ref()
        .and_then(|s| s.ports.as_deref())
        .unwrap_or(&[])
}

pub(crate) use crate::network::{is_external_name, is_headless};

/// The Service port's target: `targetPort`, defaulting to `port` as the API server does.
pub(crate) fn target_port(p: &ServicePort) -> IntOrString {
    match &p.target_port {
        Some(IntOrString::String(s)) if !s.is_empty() => IntOrString::String(s.clone()),
        Some(IntOrString::Int(n)) if *n != 0 => IntOrString::Int(*n),
        _ => IntOrString::Int(p.port),
    }
}

pub(crate) fn protocol(p: Option<&str>) -> &str {
    p.unwrap_or("TCP")
}

/// Containers whose ports can serve a Service: regular containers and restartable init
/// containers (native sidecars), with the tree path of each.
pub(crate) fn serving_containers<'a>(
    spec: &'a PodSpec,
    template_path: &str,
) -> Vec<(&'a Container, String)> {
    let prefix = if template_path.is_empty() {
        "spec".to_string()
    } else {
        format!("{template_path}.spec")
    };
    let mut out: Vec<(&Container, String)> = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| (c, format!("{prefix}.containers[{i}]")))
        .collect();
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        if c.restart_policy.as_deref() == Some("Always") {
            out.push((c, format!("{prefix}.initContainers[{i}]")));
        }
    }
    out
}

/// The ServiceAccount a pod runs as, and the field that names it: `serviceAccount` is the
/// deprecated alias, read only when `serviceAccountName` is unset.
pub(crate) fn service_account(spec: &PodSpec) -> Option<(&'static str, &str)> {
    match (&spec.service_account_name, &spec.service_account) {
        (Some(n), _) if !n.is_empty() => Some(("serviceAccountName", n)),
        (_, Some(n)) if !n.is_empty() => Some(("serviceAccount", n)),
        _ => None,
    }
}

/// The pod templates a Service routes to, when its ports can be checked against them: it has a
/// selector and a ClusterIP (headless Services ignore targetPort), selects something, and
/// neither it nor a selected workload was changed in ways we do not model.
pub(crate) fn selected_pods<'c>(
    cx: &'c Ctx<'_, '_>,
    id: InstId,
    svc: &Service,
) -> Option<&'c [InstId]> {
    if is_headless(svc) {
        return None;
    }
    let Resolution::Found(selected) = cx.service_pods(id)? else {
        return None;
    };
    let readable = !selected.is_empty() && selected.iter().all(|&t| !cx.index.inst(t).opaque);
    readable.then_some(selected)
}

/// What identifies a missing object for `one_per_object`: its namespace and name, and where the
/// namespace is unknown the build too (another build may well define it).
pub(crate) fn object_key(
    cx: &Ctx<'_, '_>,
    from: InstId,
    name: &str,
) -> (Option<String>, Option<crate::kustomize::KustId>, String) {
    let ns = cx.index.namespace(from).map(String::from);
    let build = if ns.is_none() {
        cx.index.inst(from).build
    } else {
        None
    };
    (ns, build, name.to_string())
}

/// One finding per missing object: of the findings keyed by the object they miss (namespace
/// and name), the first stays, and each later one becomes a related span of it, labelled
/// `also`. A finding's severity and message stay those of the first reference.
pub(crate) fn one_per_object<K: std::hash::Hash + Eq>(
    findings: Vec<(K, Finding)>,
    also: &str,
    out: &mut Vec<Finding>,
) {
    let mut first: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    let start = out.len();
    for (key, f) in findings {
        match first.get(&key) {
            Some(&i) => {
                let kept = &mut out[start + i];
                // The loudest reference leads: a warning is not folded into another's info.
                let f = if f.severity > kept.severity {
                    std::mem::replace(kept, f)
                } else {
                    f
                };
                let span = f.primary.span;
                if kept.primary.span != span && !kept.related.iter().any(|l| l.span == span) {
                    kept.related.push(crate::finding::Label {
                        span,
                        message: also.to_string(),
                    });
                }
            }
            None => {
                first.insert(key, out.len() - start);
                out.push(f);
            }
        }
    }
}

/// Span of the value at `path` under `root`, or of the deepest node that exists on the way.
pub(crate) fn span_at(root: &Node<'_>, path: &str) -> Span {
    if let Some(node) = root.at(path) {
        return node.span;
    }
    match path.rsplit_once('.') {
        Some((parent, _)) => span_at(root, parent),
        None => root.span,
    }
}

/// Span of the key of the entry at `path` (`spec.selector` → the `selector` key).
pub(crate) fn key_span_at(root: &Node<'_>, path: &str) -> Option<Span> {
    let (parent, key) = path
        .rsplit_once('.')
        .map_or((None, path), |(p, k)| (Some(p), k));
    let parent = match parent {
        Some(p) => root.at(p)?,
        None => root,
    };
    parent.entry(key).map(|e| e.key_span())
}

pub(crate) use crate::network::INGRESS_CLASS_ANNOTATION;

/// The `metadata.annotations` entry for `key` (annotation keys contain dots, so no path).
pub(crate) fn annotation<'a, 's>(root: &'a Node<'s>, key: &str) -> Option<&'a Entry<'s>> {
    root.at("metadata.annotations")?.entry(key)
}

/// Ingresses that set both `spec.ingressClassName` and the class annotation (and that no
/// unmodelled patch touched): the class name, and the annotation's entry.
pub(crate) fn class_set_twice<'c, 'a: 'c, 's>(
    cx: &'c Ctx<'a, 's>,
) -> impl Iterator<Item = (InstId, &'a str, &'a Entry<'s>)> + 'c {
    cx.index.ids().filter_map(move |id| {
        let (class_name, entry) = class_in_both(&crate::rule::One::new(cx, id))?;
        Some((id, class_name, entry))
    })
}

/// [`class_set_twice`] of one Ingress: the class name, and the annotation's entry.
pub(crate) fn class_in_both<'a, 's>(
    one: &crate::rule::One<'_, 'a, 's>,
) -> Option<(&'a str, &'a Entry<'s>)> {
    let View::Ingress(ingress) = one.view() else {
        return None;
    };
    let class_name = ingress.spec.as_ref()?.ingress_class_name.as_deref()?;
    if !ingress.class_annotation {
        return None;
    }
    let entry = annotation(one.root(), INGRESS_CLASS_ANNOTATION)?;
    (!one.opaque()).then_some((class_name, entry))
}

/// `80`, `80/UDP`, `http (8080)`: a port as messages show it.
pub(crate) fn describe_port(number: i32, name: Option<&str>, proto: &str) -> String {
    let mut s = match name {
        Some(n) if !n.is_empty() => format!("{number} ({n})"),
        _ => number.to_string(),
    };
    if proto != "TCP" {
        s.push('/');
        s.push_str(proto);
    }
    s
}

/// A kustomization's directory as paths are shown (`.` for the lint root itself).
pub(crate) fn kust_dir_display(cx: &Ctx<'_, '_>, k: &Kustomization) -> String {
    let shown = cx.file(k.file).display();
    match shown.rsplit_once('/') {
        Some((dir, _)) if !dir.is_empty() => dir.to_string(),
        Some(_) => "/".to_string(),
        None => ".".to_string(),
    }
}

/// The first line of a file (for findings about a whole file).
pub(crate) fn first_line(cx: &Ctx<'_, '_>, file: FileId) -> Span {
    crate::source::line_from(file, &cx.file(file).text, 0)
}

/// `dir/text` as shown, with `.` and `..` resolved where the shown path allows.
pub(crate) fn join_display(dir: &str, text: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let absolute = dir.starts_with('/') || text.starts_with('/');
    let joined = if text.starts_with('/') {
        text.to_string()
    } else {
        format!("{dir}/{text}")
    };
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match (absolute, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

/// A label selector of `id` at `path` (`spec.selector`, `spec.podSelector`) with its node, when
/// it decodes and uses only operators the API server knows.
pub(crate) fn selector_at<'a, 's>(
    cx: &Ctx<'a, 's>,
    id: InstId,
    path: &str,
) -> Option<(Selector, &'a Node<'s>)> {
    selector_in(cx.root(id), path)
}

/// [`selector_at`] in a tree.
pub(crate) fn selector_in<'a, 's>(
    root: &'a Node<'s>,
    path: &str,
) -> Option<(Selector, &'a Node<'s>)> {
    let node = root.at(path)?;
    let typed: LabelSelector = crate::de::from_node(node).ok()?;
    Some((Selector::new(&typed)?, node))
}

/// Whether a non-empty selector of `id` (a PodDisruptionBudget, a NetworkPolicy) selects no
/// pod template, as `resolve` sees it (never when the object itself was changed in ways we do
/// not model).
pub(crate) fn pods_of(cx: &Ctx<'_, '_>, id: InstId, selector: &Selector) -> Option<Resolution> {
    if selector.is_empty() || cx.index.inst(id).opaque {
        return None;
    }
    Some(cx.find_pods(id, selector))
}

/// The pod template of the namespace that meets the most requirements of `selector`, if any
/// meets or nearly meets one.
pub(crate) fn nearest_template(
    cx: &Ctx<'_, '_>,
    id: InstId,
    selector: &Selector,
) -> Option<InstId> {
    cx.index
        .templates_near(id)
        .filter_map(|t| {
            let score = selector.closeness(labels(cx.index.template(t)?.0));
            (score > 0).then_some((score, std::cmp::Reverse(t), t))
        })
        .max()
        .map(|(_, _, t)| t)
}

/// Point a finding about a selector that selects nothing at the first requirement the nearest
/// pod template fails, or at the selector's key when no template comes close, and show that
/// template's labels.
pub(crate) fn unmatched_selector(
    cx: &Ctx<'_, '_>,
    id: InstId,
    selector: &Selector,
    node: &Node<'_>,
    path: &str,
    mut f: Finding,
) -> Finding {
    let key = key_span_at(cx.root(id), path).unwrap_or(node.span);
    let nearest = nearest_template(cx, id, selector).and_then(|t| Some((t, cx.index.template(t)?)));
    let Some((t, (template, template_path))) = nearest else {
        f.primary.span = key;
        return f.label("selects nothing");
    };
    let have = labels(template);
    f.primary.span = selector
        .unsatisfied(have)
        .next()
        .and_then(|r| r.span(node, have))
        .unwrap_or(key);
    f.label("the nearest pod template does not satisfy this")
        .related(
            template_labels_span(cx, t, template_path),
            format!(
                "pod template of {} has {}",
                cx.describe(t),
                show_labels(have)
            ),
        )
}

/// `` in namespace `shop` ``, or nothing when the namespace is unknown.
pub(crate) fn in_namespace(cx: &Ctx<'_, '_>, id: InstId) -> String {
    cx.index
        .namespace(id)
        .map_or(String::new(), |ns| format!(" in namespace `{ns}`"))
}

/// Span of a pod template's labels (or of the nearest node above them), for related labels.
pub(crate) fn template_labels_span(cx: &Ctx<'_, '_>, t: InstId, template_path: &str) -> Span {
    labels_span_in(cx.root(t), template_path)
}

/// [`template_labels_span`] in a tree.
pub(crate) fn labels_span_in(root: &Node<'_>, template_path: &str) -> Span {
    let path = if template_path.is_empty() {
        "metadata.labels".to_string()
    } else {
        format!("{template_path}.metadata.labels")
    };
    key_span_at(root, &path).unwrap_or_else(|| span_at(root, &path))
}

/// `a, b, c`, or the first few and how many more.
pub(crate) fn some_of(items: &[&str]) -> String {
    const SHOWN: usize = 5;
    match items.len() {
        n if n <= SHOWN => items.join(", "),
        n => format!("{} and {} more", items[..SHOWN].join(", "), n - SHOWN),
    }
}

/// `app=web, tier=fe`, or `no labels`.
pub(crate) fn show_labels(l: &crate::selector::Labels) -> String {
    if l.is_empty() {
        return "no labels".into();
    }
    let pairs: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(", ")
}

/// Whether a rule selection pattern (`ingress-service-missing`, `tailscale-*`, `*`) matches
/// the rule id `id`. Patterns are globs (globset's syntax, on ids that hold no `/`).
pub fn pattern_matches(pattern: &str, id: &str) -> bool {
    if !pattern.contains(['*', '?', '[', '{']) {
        return pattern == id;
    }
    globset::Glob::new(pattern).is_ok_and(|g| g.compile_matcher().is_match(id))
}

/// Check a rule selection pattern: it must be a valid glob matching at least one rule; else a
/// message (with the nearest id for a typo).
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern.contains(['*', '?', '[', '{']) {
        if let Err(e) = globset::Glob::new(pattern) {
            return Err(format!("`{pattern}` is not a valid pattern: {e}"));
        }
    }
    if RULES.iter().any(|r| pattern_matches(pattern, r.meta().id)) {
        return Ok(());
    }
    Err(match closest(pattern, RULES.iter().map(|r| r.meta().id)) {
        Some(near) => format!("`{pattern}` matches no rule; did you mean `{near}`?"),
        None => format!("`{pattern}` matches no rule (`k8s-lint rules` lists them)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_unique_kebab() {
        let ids: Vec<_> = RULES.iter().map(|r| r.meta().id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        for id in ids {
            assert!(
                id.split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{id} is not kebab-case"
            );
        }
    }

    #[test]
    fn shown_paths_join() {
        assert_eq!(
            join_display("overlay", "../shared/cm.yaml"),
            "shared/cm.yaml"
        );
        assert_eq!(join_display(".", "../x.yaml"), "../x.yaml");
        assert_eq!(join_display("a", "../../b/../c.yaml"), "../c.yaml");
        assert_eq!(join_display("/r/a", "../../../x"), "/x");
        assert_eq!(join_display("a", "./b.yaml"), "a/b.yaml");
    }
}
