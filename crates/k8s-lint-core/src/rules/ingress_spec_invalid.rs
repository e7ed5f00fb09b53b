//! An Ingress spec breaks a rule the API server checks on create, so the Ingress is rejected.
//!
//! Docs: `rules/ingress-spec-invalid.md`.

use crate::finding::{Finding, Severity};
use crate::index::View;
use crate::rule::{InstanceRule, One, RuleMeta, Scope};
use crate::source::Span;
use crate::yaml::{Node, Resolved};

use super::{key_span_at, span_at};

pub struct IngressSpecInvalid;

static META: RuleMeta = RuleMeta {
    id: "ingress-spec-invalid",
    severity: Severity::Error,
    summary:
        "An Ingress spec breaks a rule the API server checks on create, so the Ingress is rejected.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

// apimachinery's messages (`k8s.io/apimachinery/pkg/util/validation`), verbatim.
const SUBDOMAIN: &str = r"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const WILDCARD: &str = r"a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const TOO_LONG: &str = "must be no more than 253 characters";
const NOT_IP: &str = "must be a DNS name, not an IP address";
const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";

/// One API validation error: where, the field and a short kind of problem (the headline), the
/// `field.Error` text (a note), and how to fix it.
struct Problem {
    span: Span,
    field: String,
    short: String,
    error: String,
    help: &'static str,
    label: &'static str,
}

const REJECTED: &str = "rejected by the API server";

impl InstanceRule for IngressSpecInvalid {
    fn rule_meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_instance(&self, one: &One<'_, '_, '_>, out: &mut Vec<Finding>) {
        // A wrong field type is `manifest-field-type`'s; a patch we cannot model may fix it.
        if !matches!(one.view(), View::Ingress(_)) || one.opaque() {
            return;
        }
        let mut problems = Vec::new();
        check_spec(one.root(), &mut problems);
        for p in problems {
            out.push(
                Finding::new(
                    &META,
                    p.span,
                    format!("{} is invalid: `{}`: {}", one.describe(), p.field, p.short),
                )
                .note(format!("the API server rejects the create: {}", p.error))
                .label(p.label)
                .help(p.help),
            );
        }
    }
}

fn present<'a, 's>(node: &'a Node<'s>, key: &str) -> Option<&'a Node<'s>> {
    node.get(key).filter(|n| !n.is_null())
}

/// The first key of a mapping: where a finding about a field it lacks points.
fn anchor(node: &Node<'_>) -> Span {
    node.as_map()
        .and_then(|m| m.first())
        .map_or(node.span, |e| e.key_span())
}

/// A field's path, written out only for a problem: most Ingresses have none, and a `format!`
/// per level for each of them was most of this rule's time.
#[derive(Clone, Copy)]
enum Field<'p> {
    Root(&'static str),
    /// `parent.key`
    Key(&'p Field<'p>, &'static str),
    /// `parent[i]`
    Item(&'p Field<'p>, usize),
}

impl std::fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Field::Root(name) => f.write_str(name),
            Field::Key(parent, key) => write!(f, "{parent}.{key}"),
            Field::Item(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

fn invalid(path: impl std::fmt::Display, value: &str, detail: &str) -> String {
    format!("{path}: Invalid value: {value}: {detail}")
}

/// A DNS name's problem in a few words, for the headline (the `field.Error` text is the note).
fn name_short(detail: &str, value: &str) -> String {
    match detail {
        TOO_LONG => "longer than 253 characters".into(),
        NOT_IP => format!("{value:?} is an IP address, not a DNS name"),
        WILDCARD => format!("{value:?} is not a valid wildcard DNS subdomain"),
        _ => format!("{value:?} is not a lowercase DNS subdomain"),
    }
}

fn check_spec(root: &Node<'_>, out: &mut Vec<Problem>) {
    let spec = present(root, "spec");
    let rules = spec.and_then(|s| present(s, "rules"));
    let default = spec.and_then(|s| present(s, "defaultBackend"));
    let rule_items = rules.and_then(Node::as_seq).unwrap_or(&[]);
    if rule_items.is_empty() && default.is_none() {
        let span = key_span_at(root, "spec.rules")
            .or_else(|| key_span_at(root, "spec"))
            .unwrap_or_else(|| span_at(root, "metadata.name"));
        let value = if rules.is_some() { "[]" } else { "null" };
        out.push(Problem {
            span,
            field: "spec".into(),
            short: "no rules and no defaultBackend".into(),
            error: invalid(
                "spec",
                value,
                "either `defaultBackend` or `rules` must be specified",
            ),
            help: "add `rules` (a host and/or http paths) or a `defaultBackend`",
            label: "neither rules nor defaultBackend",
        });
    }
    let Some(spec) = spec else {
        return;
    };
    if let Some(d) = default {
        let key = key_span_at(spec, "defaultBackend").unwrap_or(d.span);
        check_backend(d, key, Field::Root("spec.defaultBackend"), out);
    }
    for (i, rule) in rule_items.iter().enumerate() {
        check_rule(rule, Field::Item(&Field::Root("spec.rules"), i), out);
    }
    let tls = present(spec, "tls").and_then(Node::as_seq).unwrap_or(&[]);
    for (t, entry) in tls.iter().enumerate() {
        let hosts = present(entry, "hosts")
            .and_then(Node::as_seq)
            .unwrap_or(&[]);
        for (k, host) in hosts.iter().enumerate() {
            if let Some(h) = host.as_str() {
                let tls = Field::Item(&Field::Root("spec.tls"), t);
                check_host(
                    host,
                    h,
                    Field::Item(&Field::Key(&tls, "hosts"), k),
                    false,
                    out,
                );
            }
        }
    }
    if let Some(class) = present(spec, "ingressClassName") {
        if let Some(c) = class.as_str() {
            for detail in subdomain_problems(c, false) {
                out.push(Problem {
                    span: class.span,
                    field: "spec.ingressClassName".into(),
                    short: name_short(detail, c),
                    error: invalid("spec.ingressClassName", &format!("{c:?}"), detail),
                    help: "use the name of an IngressClass (a lowercase DNS subdomain)",
                    label: REJECTED,
                });
            }
        }
    }
}

fn check_rule(rule: &Node<'_>, path: Field<'_>, out: &mut Vec<Problem>) {
    if let Some(host) = present(rule, "host") {
        if let Some(h) = host.as_str().filter(|h| !h.is_empty()) {
            check_host(host, h, Field::Key(&path, "host"), true, out);
        }
    }
    let Some(http) = present(rule, "http") else {
        return;
    };
    let paths = present(http, "paths").and_then(Node::as_seq).unwrap_or(&[]);
    if paths.is_empty() {
        let span = key_span_at(http, "paths")
            .unwrap_or_else(|| key_span_at(rule, "http").unwrap_or(http.span));
        out.push(Problem {
            span,
            field: format!("{path}.http.paths"),
            short: "no paths".into(),
            error: format!("{path}.http.paths: Required value"),
            help: "list at least one path under `http.paths`, or remove `http` from the rule",
            label: "no paths",
        });
    }
    for (j, p) in paths.iter().enumerate() {
        check_path(p, Field::Item(&Field::Key(&path, "http.paths"), j), out);
    }
}

fn check_path(item: &Node<'_>, path: Field<'_>, out: &mut Vec<Problem>) {
    let Some(path_type) = present(item, "pathType") else {
        // The API server stops at this error and checks nothing else of the path.
        out.push(Problem {
            span: anchor(item),
            field: format!("{path}.pathType"),
            short: "missing".into(),
            error: format!("{path}.pathType: Required value: pathType must be specified"),
            help: "add `pathType: Prefix` (or `Exact`, or `ImplementationSpecific`): networking.k8s.io/v1 has no default",
            label: "this path has no pathType",
        });
        return;
    };
    let value = present(item, "path");
    let text = value.and_then(Node::as_str).unwrap_or("");
    let absolute = match path_type.as_str() {
        Some("Exact" | "Prefix") => text.starts_with('/'),
        Some("ImplementationSpecific") => text.is_empty() || text.starts_with('/'),
        Some(other) => {
            out.push(Problem {
                span: path_type.span,
                field: format!("{path}.pathType"),
                short: format!("unsupported value {other:?}"),
                error: format!("{path}.pathType: Unsupported value: {other:?}: supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\""),
                help: "use `Prefix`, `Exact` or `ImplementationSpecific` (the values are case-sensitive)",
                label: REJECTED,
            });
            true
        }
        None => true,
    };
    if !absolute {
        out.push(Problem {
            span: value.map_or_else(|| anchor(item), |v| v.span),
            field: format!("{path}.path"),
            short: format!("{text:?} is not an absolute path"),
            error: invalid(
                Field::Key(&path, "path"),
                &format!("{text:?}"),
                "must be an absolute path",
            ),
            help: "start the path with `/`",
            label: REJECTED,
        });
    }
    match present(item, "backend") {
        Some(b) => {
            let key = key_span_at(item, "backend").unwrap_or(b.span);
            check_backend(b, key, Field::Key(&path, "backend"), out);
        }
        None => out.push(Problem {
            span: anchor(item),
            field: format!("{path}.backend"),
            short: "missing".into(),
            error: invalid(
                Field::Key(&path, "backend"),
                "\"\"",
                "resource or service backend is required",
            ),
            help: "add a `backend` with a `service` (name and port)",
            label: "this path has no backend",
        }),
    }
}

fn check_backend(backend: &Node<'_>, key: Span, path: Field<'_>, out: &mut Vec<Problem>) {
    let service = present(backend, "service");
    let (service, resource) = (service, present(backend, "resource"));
    let service = match (service, resource) {
        (Some(_), Some(_)) => {
            out.push(Problem {
                span: key,
                field: path.to_string(),
                short: "both service and resource".into(),
                error: invalid(
                    path,
                    "\"\"",
                    "cannot set both resource and service backends",
                ),
                help: "keep either `service` or `resource` in the backend",
                label: "both service and resource",
            });
            return;
        }
        (None, None) => {
            out.push(Problem {
                span: key,
                field: path.to_string(),
                short: "neither service nor resource".into(),
                error: invalid(path, "\"\"", "resource or service backend is required"),
                help: "add a `service` (name and port) to the backend",
                label: "neither service nor resource",
            });
            return;
        }
        (None, Some(_)) => return,
        (Some(s), None) => s,
    };
    let service_key = key_span_at(backend, "service").unwrap_or(service.span);
    let name = present(service, "name");
    if name.and_then(Node::as_str).is_none_or(str::is_empty) {
        out.push(Problem {
            span: name.map_or(service_key, |n| n.span),
            field: format!("{path}.service.name"),
            short: "missing or empty".into(),
            error: format!("{path}.service.name: Required value"),
            help: "name the Service the backend routes to",
            label: "no Service name",
        });
    }
    check_port(service, service_key, path, out);
}

fn check_port(service: &Node<'_>, service_key: Span, path: Field<'_>, out: &mut Vec<Problem>) {
    let port = present(service, "port");
    let port_key = key_span_at(service, "port").unwrap_or(service_key);
    let name = port
        .and_then(|p| present(p, "name"))
        .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()));
    let number =
        port.and_then(|p| present(p, "number"))
            .and_then(|n| match n.as_scalar()?.resolve() {
                Resolved::Int(i) if i != 0 => Some((n, i)),
                _ => None,
            });
    match (name, number) {
        (Some(_), Some(_)) => out.push(Problem {
            span: port_key,
            field: path.to_string(),
            short: "both port.name and port.number".into(),
            error: invalid(path, "\"\"", "cannot set both port name & port number"),
            help: "keep either `port.name` or `port.number`",
            label: "both port.name and port.number",
        }),
        (Some(n), None) => {
            let text = n.as_str().unwrap_or("");
            for detail in port_name_problems(text) {
                out.push(Problem {
                    span: n.span,
                    field: format!("{path}.service.port.name"),
                    short: port_name_short(detail, text),
                    error: invalid(Field::Key(&path, "service.port.name"), &format!("{text:?}"), detail),
                    help: "use the `name` of one of the Service's ports (lowercase letters, digits and `-`, at most 15 characters)",
                    label: REJECTED,
                });
            }
        }
        (None, Some((n, i))) if !(1..=65535).contains(&i) => out.push(Problem {
            span: n.span,
            field: format!("{path}.service.port.number"),
            short: format!("{i} is not between 1 and 65535"),
            error: invalid(
                Field::Key(&path, "service.port.number"),
                &i.to_string(),
                PORT_RANGE,
            ),
            help: "use the `port` of one of the Service's ports",
            label: REJECTED,
        }),
        (None, Some(_)) => {}
        (None, None) => out.push(Problem {
            span: port_key,
            field: path.to_string(),
            short: "no port.name or port.number".into(),
            error: format!("{path}: Required value: port name or number is required"),
            help: "add `port.number` (a Service `port`) or `port.name` (a Service port's name)",
            label: "neither port.name nor port.number",
        }),
    }
}

fn check_host(node: &Node<'_>, host: &str, path: Field<'_>, rule: bool, out: &mut Vec<Problem>) {
    // Filled in before it reaches the API server (Flux substitution, a sample's marker).
    if crate::placeholder::is_placeholder(host) {
        return;
    }
    let mut details = Vec::new();
    // Only rule hosts are checked for IP addresses; TLS hosts are not.
    if rule && is_ip(host) {
        details.push(NOT_IP);
    }
    details.extend(subdomain_problems(host, host.contains('*')));
    for detail in details {
        out.push(Problem {
            span: node.span,
            field: path.to_string(),
            short: name_short(detail, host),
            error: invalid(path, &format!("{host:?}"), detail),
            help: "use a lowercase DNS name (`*` only as the whole first label, e.g. `*.example.com`); an IP address cannot be a host",
            label: REJECTED,
        });
    }
}

/// `IsDNS1123Subdomain`, or `IsWildcardDNS1123Subdomain` for hosts that contain `*`.
fn subdomain_problems(name: &str, wildcard: bool) -> Vec<&'static str> {
    let mut out = Vec::new();
    if name.len() > 253 {
        out.push(TOO_LONG);
    }
    let ok = if wildcard {
        name.strip_prefix("*.").is_some_and(is_subdomain)
    } else {
        is_subdomain(name)
    };
    if !ok {
        out.push(if wildcard { WILDCARD } else { SUBDOMAIN });
    }
    out
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`
fn is_subdomain(name: &str) -> bool {
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    name.split('.').all(|label| {
        let b = label.as_bytes();
        match (b.first(), b.last()) {
            (Some(&f), Some(&l)) => {
                alnum(f) && alnum(l) && b.iter().all(|&c| alnum(c) || c == b'-')
            }
            _ => false,
        }
    })
}

/// `netutils.ParseIPSloppy`: IPv6, or IPv4 whose parts may carry leading zeros.
fn is_ip(host: &str) -> bool {
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        return true;
    }
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|c| c.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

// `IsValidPortName`'s messages, verbatim.
const PORT_TOO_LONG: &str = "must be no more than 15 characters";
const PORT_CHARACTERS: &str =
    "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
const PORT_LETTER: &str = "must contain at least one letter (a-z)";
const PORT_HYPHENS: &str = "must not contain consecutive hyphens";
const PORT_EDGE: &str = "must not begin or end with a hyphen";

/// `IsValidPortName`.
fn port_name_problems(name: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if name.len() > 15 {
        out.push(PORT_TOO_LONG);
    }
    if !name
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        out.push(PORT_CHARACTERS);
    }
    if !name.bytes().any(|c| c.is_ascii_lowercase()) {
        out.push(PORT_LETTER);
    }
    if name.contains("--") {
        out.push(PORT_HYPHENS);
    }
    if name.starts_with('-') || name.ends_with('-') {
        out.push(PORT_EDGE);
    }
    out
}

/// A port name's problem in a few words: the field path leaves little room in the headline.
fn port_name_short(detail: &str, name: &str) -> String {
    match detail {
        PORT_TOO_LONG => format!("{name:?} is longer than 15 characters"),
        PORT_CHARACTERS => format!("{name:?} has characters other than a-z, 0-9 and -"),
        PORT_LETTER => format!("{name:?} has no lowercase letter"),
        PORT_HYPHENS => format!("{name:?} has consecutive hyphens"),
        _ => format!("{name:?} begins or ends with a hyphen"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_follow_apimachinery() {
        assert!(subdomain_problems("anthropic-oauth-proxy", false).is_empty());
        assert!(subdomain_problems("shop.example.com", false).is_empty());
        assert_eq!(
            subdomain_problems("Shop.example.com", false),
            vec![SUBDOMAIN]
        );
        assert_eq!(subdomain_problems("a..b", false), vec![SUBDOMAIN]);
        assert!(subdomain_problems("*.example.com", true).is_empty());
        assert_eq!(subdomain_problems("*", true), vec![WILDCARD]);
        assert_eq!(subdomain_problems("foo.*.com", true), vec![WILDCARD]);
        assert_eq!(subdomain_problems("*.*.com", true), vec![WILDCARD]);
        assert!(is_ip("10.0.0.1") && is_ip("010.0.0.1") && is_ip("::1"));
        assert!(!is_ip("10.0.0") && !is_ip("1.2.3.256") && !is_ip("example.com"));
    }

    #[test]
    fn port_names_follow_apimachinery() {
        assert!(port_name_problems("http").is_empty());
        assert!(port_name_problems("web-2").is_empty());
        assert_eq!(
            port_name_problems("8080"),
            vec!["must contain at least one letter (a-z)"]
        );
        assert_eq!(
            port_name_problems("a--b"),
            vec!["must not contain consecutive hyphens"]
        );
        assert_eq!(port_name_problems("HTTP").len(), 2);
    }
}
