//! A probe names a port its container does not declare.
//!
//! Docs: `rules/probe-port-unresolved.md`.

use crate::pod::{Container, PodSpec, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::finding::{Finding, Severity};
use crate::rule::{InstanceRule, One, RuleMeta, Scope};
use crate::source::Span;

use super::{describe_port, key_span_at, protocol, serving_containers, span_at};

pub struct ProbePortUnresolved;

static META: RuleMeta = RuleMeta {
    id: "probe-port-unresolved",
    severity: Severity::Error,
    summary: "A probe names a port its container does not declare.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

/// A probe's target port and where it is written, relative to the container.
struct ProbePort {
    /// `Liveness`, as the kubelet names the probe in events.
    kind: &'static str,
    port: IntOrString,
    path: String,
}

impl InstanceRule for ProbePortUnresolved {
    fn rule_meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_instance(&self, one: &One<'_, '_, '_>, out: &mut Vec<Finding>) {
        let Some((template, path)) = one.template() else {
            return;
        };
        let Some(spec) = template.spec.as_ref() else {
            return;
        };
        if one.opaque() {
            return;
        }
        for (c, cpath) in serving_containers(spec, path) {
            for p in probe_ports(c) {
                let f = match &p.port {
                    IntOrString::String(name) => named(one, c, &cpath, &p, name),
                    IntOrString::Int(n) => numbered(one, spec, c, &cpath, &p, *n),
                };
                out.extend(f);
            }
        }
    }
}

fn probe_ports(c: &Container) -> Vec<ProbePort> {
    let probes: [(&str, &str, &Option<Box<Probe>>); 3] = [
        ("Liveness", "livenessProbe", &c.liveness_probe),
        ("Readiness", "readinessProbe", &c.readiness_probe),
        ("Startup", "startupProbe", &c.startup_probe),
    ];
    let mut out = Vec::new();
    for (kind, field, probe) in probes {
        let Some(probe) = probe else { continue };
        let mut add = |port: IntOrString, handler: &str| {
            out.push(ProbePort {
                kind,
                port,
                path: format!("{field}.{handler}.port"),
            });
        };
        if let Some(port) = &probe.http_get_port {
            add(port.clone(), "httpGet");
        }
        if let Some(port) = &probe.tcp_socket_port {
            add(port.clone(), "tcpSocket");
        }
        if let Some(port) = probe.grpc_port {
            add(IntOrString::Int(port), "grpc");
        }
    }
    out
}

fn ports(c: &Container) -> &[crate::pod::ContainerPort] {
    c.ports.as_deref().unwrap_or(&[])
}

/// The container's `ports` (or its name when it has none), with what it declares.
fn declared(one: &One<'_, '_, '_>, c: &Container, cpath: &str) -> (Span, String) {
    let root = one.root();
    let listed: Vec<String> = ports(c)
        .iter()
        .map(|p| {
            describe_port(
                p.container_port,
                p.name.as_deref(),
                protocol(p.protocol.as_deref()),
            )
        })
        .collect();
    match key_span_at(root, &format!("{cpath}.ports")) {
        Some(at) if !listed.is_empty() => (
            at,
            format!("container `{}` declares {}", c.name, listed.join(", ")),
        ),
        _ => (
            span_at(root, &format!("{cpath}.name")),
            format!("container `{}` declares no ports", c.name),
        ),
    }
}

fn named(
    one: &One<'_, '_, '_>,
    c: &Container,
    cpath: &str,
    p: &ProbePort,
    name: &str,
) -> Option<Finding> {
    // The kubelet falls back to reading a digits-only name as a number.
    if name.is_empty()
        || name.bytes().all(|b| b.is_ascii_digit())
        || ports(c).iter().any(|cp| cp.name.as_deref() == Some(name))
    {
        return None;
    }
    let effect = match p.kind {
        "Liveness" => "the container is restarted over and over",
        "Readiness" => "the pod never becomes Ready and receives no Service traffic",
        _ => "the container is killed and restarted, and its other probes never start",
    };
    let (at, what) = declared(one, c, cpath);
    let names: Vec<&str> = ports(c)
        .iter()
        .filter_map(|cp| cp.name.as_deref())
        .collect();
    let help = if names.is_empty() {
        format!("give the port a `name: {name}` under the container's `ports`, or probe the port number")
    } else {
        format!(
            "use one of the container's port names ({}) or a port number; a probe looks names up in its own container only",
            names.join(", ")
        )
    };
    Some(
        Finding::new(
            &META,
            span_at(one.root(), &format!("{cpath}.{}", p.path)),
            format!(
                "{} probe of container `{}` in {} uses undeclared port name `{name}`",
                p.kind,
                c.name,
                one.describe()
            ),
        )
        .label("no container port has this name")
        .note(format!(
            "the kubelet reports `{} probe errored: port {name} not found` and {effect}",
            p.kind
        ))
        .related(at, what)
        .help(help),
    )
}

fn numbered(
    one: &One<'_, '_, '_>,
    spec: &PodSpec,
    c: &Container,
    cpath: &str,
    p: &ProbePort,
    n: i32,
) -> Option<Finding> {
    // Containers of a pod share its network: a port any of them declares is a fine target.
    let pod_ports = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .flat_map(ports);
    if ports(c).is_empty() || pod_ports.clone().any(|cp| cp.container_port == n) {
        return None;
    }
    let (at, what) = declared(one, c, cpath);
    Some(
        Finding::new(
            &META,
            span_at(one.root(), &format!("{cpath}.{}", p.path)),
            format!(
                "{} probe of container `{}` in {} targets undeclared port {n}",
                p.kind,
                c.name,
                one.describe()
            ),
        )
        .severity(Severity::Info)
        .label("not a declared container port")
        .note(format!(
            "the probe still works if the process listens on {n}, since `containerPort` is informational"
        ))
        .related(at, what)
        .help("check that the process listens on this port; probe a declared port, or declare this one under `ports`"),
    )
}
