//! The Service and Ingress views rules read: their spec, kept from the full k8s-openapi decode.
//!
//! The index decodes every Service and Ingress through k8s-openapi, so a field of any type is
//! checked (`manifest-field-type`), and then keeps only this, as `pod` does for pod templates.
//! Rules take names, namespaces and labels from the instance (what a build made of them) and
//! annotations from its tree, never from the view, so `metadata` and `status` are dropped: a
//! full `Service` is 824 bytes and an `Ingress` 584 before any field is set, and their
//! `metadata` maps cost about as much again. An Ingress keeps its spec with the default backend
//! boxed ([`IngressSpec`]: 72 bytes, not 200) and of each path the fields rules read
//! ([`IngressPath`]: 88 bytes, not 176); a Service keeps the six fields of its spec that rules
//! read ([`ServiceSpec`]: 128 bytes, not 416, and its selector in one allocation, not a
//! 540-byte B-tree node) and of each port four fields ([`ServicePort`]: 64 bytes, not 112).
//! Of the annotations a view keeps only whether the tree has the ones rules look up, so that
//! rules walk the tree to them only where they are (the view is decoded from the same tree).

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::networking::v1 as networking;

pub use k8s_openapi::api::networking::v1::IngressServiceBackend;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::selector::Labels;

/// The deprecated annotation that names an Ingress's class.
pub const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

#[derive(Clone, Debug, Default)]
pub struct Service {
    pub spec: Option<ServiceSpec>,
    /// `metadata.annotations` has an entry (most Services have none).
    pub annotated: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Ingress {
    pub spec: Option<IngressSpec>,
    /// `metadata.annotations` has [`INGRESS_CLASS_ANNOTATION`] (most Ingresses have other
    /// annotations, and not this one).
    pub class_annotation: bool,
}

pub fn is_external_name(svc: &Service) -> bool {
    svc.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("ExternalName")
}

pub fn is_headless(svc: &Service) -> bool {
    svc.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None")
}

/// The fields of a Service's spec that rules read, as k8s-openapi decodes them.
#[derive(Clone, Debug, Default)]
pub struct ServiceSpec {
    pub ports: Option<Box<[ServicePort]>>,
    pub selector: Option<Labels>,
    pub type_: Option<String>,
    pub cluster_ip: Option<String>,
    pub external_name: Option<String>,
    pub load_balancer_class: Option<String>,
}

impl From<core::ServiceSpec> for ServiceSpec {
    fn from(s: core::ServiceSpec) -> ServiceSpec {
        ServiceSpec {
            ports: s
                .ports
                .map(|p| p.into_iter().map(ServicePort::from).collect()),
            selector: s.selector.map(Labels::from),
            type_: s.type_,
            cluster_ip: s.cluster_ip,
            external_name: s.external_name,
            load_balancer_class: s.load_balancer_class,
        }
    }
}

/// A Service's port: the fields the port chain reads (a k8s-openapi `ServicePort` is 112
/// bytes, with `appProtocol` and `nodePort`, which no rule reads).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServicePort {
    pub port: i32,
    pub name: Option<Box<str>>,
    pub protocol: Option<Box<str>>,
    pub target_port: Option<IntOrString>,
}

impl From<core::ServicePort> for ServicePort {
    fn from(p: core::ServicePort) -> ServicePort {
        ServicePort {
            port: p.port,
            name: p.name.map(String::into_boxed_str),
            protocol: p.protocol.map(String::into_boxed_str),
            target_port: p.target_port,
        }
    }
}

impl From<core::Service> for Service {
    fn from(s: core::Service) -> Service {
        let annotated = s.metadata.annotations.is_some_and(|a| !a.is_empty());
        Service {
            spec: s.spec.map(ServiceSpec::from),
            annotated,
        }
    }
}

/// An Ingress's spec as k8s-openapi decodes it, but for its default backend, which is boxed
/// (most Ingresses have none: the spec is 72 bytes, not 200), and its rules, which keep what
/// rules read ([`IngressRule`]).
#[derive(Clone, Debug, Default)]
pub struct IngressSpec {
    pub default_backend: Option<Box<IngressBackend>>,
    pub ingress_class_name: Option<String>,
    pub rules: Option<Box<[IngressRule]>>,
    pub tls: Option<Vec<networking::IngressTLS>>,
}

impl From<networking::IngressSpec> for IngressSpec {
    fn from(s: networking::IngressSpec) -> IngressSpec {
        IngressSpec {
            default_backend: s.default_backend.map(|b| Box::new(b.into())),
            ingress_class_name: s.ingress_class_name,
            rules: s
                .rules
                .map(|r| r.into_iter().map(IngressRule::from).collect()),
            tls: s.tls,
        }
    }
}

/// An Ingress rule: its host and HTTP paths.
#[derive(Clone, Debug, Default)]
pub struct IngressRule {
    pub host: Option<Box<str>>,
    pub http: Option<HttpIngressRule>,
}

#[derive(Clone, Debug, Default)]
pub struct HttpIngressRule {
    pub paths: Box<[IngressPath]>,
}

/// An HTTP path of an Ingress rule: its path, `pathType` and backend (a k8s-openapi
/// `HTTPIngressPath` is 176 bytes, most of them the fields of a resource backend, which no
/// rule reads; an Ingress holds one per path).
#[derive(Clone, Debug, Default)]
pub struct IngressPath {
    pub path: Option<Box<str>>,
    pub path_type: Box<str>,
    pub backend: IngressBackend,
}

/// An Ingress backend: the Service it names, if it names one (else it is a resource
/// backend, or neither, which `ingress-spec-invalid` reports from the tree).
#[derive(Clone, Debug, Default)]
pub struct IngressBackend {
    pub service: Option<IngressServiceBackend>,
}

impl From<networking::IngressRule> for IngressRule {
    fn from(r: networking::IngressRule) -> IngressRule {
        IngressRule {
            host: r.host.map(String::into_boxed_str),
            http: r.http.map(|h| HttpIngressRule {
                paths: h.paths.into_iter().map(IngressPath::from).collect(),
            }),
        }
    }
}

impl From<networking::HTTPIngressPath> for IngressPath {
    fn from(p: networking::HTTPIngressPath) -> IngressPath {
        IngressPath {
            path: p.path.map(String::into_boxed_str),
            path_type: p.path_type.into_boxed_str(),
            backend: p.backend.into(),
        }
    }
}

impl From<networking::IngressBackend> for IngressBackend {
    fn from(b: networking::IngressBackend) -> IngressBackend {
        IngressBackend { service: b.service }
    }
}

impl From<networking::Ingress> for Ingress {
    fn from(i: networking::Ingress) -> Ingress {
        let class_annotation = i
            .metadata
            .annotations
            .is_some_and(|a| a.contains_key(INGRESS_CLASS_ANNOTATION));
        Ingress {
            spec: i.spec.map(IngressSpec::from),
            class_annotation,
        }
    }
}

/// An Ingress backend that names a Service, and where it sits in the tree.
#[derive(Clone, Copy, Debug)]
pub struct Backend<'a> {
    pub service: &'a IngressServiceBackend,
    /// Where the `service` mapping is in the tree; shown as its path, e.g.
    /// `spec.rules[0].http.paths[1].backend.service`.
    pub path: BackendPath,
}

/// The tree path of an Ingress backend's `service`, written out only when a finding needs it:
/// every rule about backends walks every Ingress's, and most find nothing.
#[derive(Clone, Copy, Debug)]
pub enum BackendPath {
    Default,
    /// Rule `.0`, HTTP path `.1`.
    Rule(usize, usize),
}

impl std::fmt::Display for BackendPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendPath::Default => f.write_str("spec.defaultBackend.service"),
            BackendPath::Rule(i, j) => write!(f, "spec.rules[{i}].http.paths[{j}].backend.service"),
        }
    }
}

/// The backends of an Ingress that name a Service: the default backend, then each rule's.
pub fn backends(ingress: &Ingress) -> Vec<Backend<'_>> {
    let mut out = Vec::new();
    let Some(spec) = &ingress.spec else {
        return out;
    };
    if let Some(service) = spec
        .default_backend
        .as_ref()
        .and_then(|b| b.service.as_ref())
    {
        out.push(Backend {
            service,
            path: BackendPath::Default,
        });
    }
    for (i, rule) in spec.rules.iter().flatten().enumerate() {
        for (j, path) in rule.http.iter().flat_map(|h| &h.paths).enumerate() {
            if let Some(service) = &path.backend.service {
                out.push(Backend {
                    service,
                    path: BackendPath::Rule(i, j),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The point of the module: the kept view is a fraction of the decoded one.
    #[test]
    fn views_are_smaller_than_the_full_types() {
        use std::mem::size_of;
        assert!(size_of::<Service>() * 3 / 2 < size_of::<core::Service>());
        assert!(size_of::<ServiceSpec>() * 3 < size_of::<core::ServiceSpec>());
        assert!(size_of::<Ingress>() * 2 < size_of::<networking::Ingress>());
        assert!(size_of::<IngressSpec>() * 2 < size_of::<networking::IngressSpec>());
        assert!(size_of::<IngressPath>() * 3 / 2 < size_of::<networking::HTTPIngressPath>());
        assert!(size_of::<ServicePort>() * 3 / 2 < size_of::<core::ServicePort>());
    }

    #[test]
    fn an_ingress_keeps_its_spec() {
        let text = "metadata: {name: web, annotations: {kubernetes.io/ingress.class: nginx}}\nspec: {ingressClassName: tailscale, defaultBackend: {service: {name: web, port: {number: 80}}}, rules: [{host: a.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}]}}], tls: [{hosts: [a]}]}\n";
        let parsed = crate::yaml::parse(crate::source::FileId(0), text);
        let root = parsed.docs[0].root.as_ref().expect("a document");
        let full: networking::Ingress = crate::de::from_node(root).expect("an Ingress");
        let lean = Ingress::from(full);
        assert!(lean.class_annotation);
        let spec = lean.spec.as_ref().expect("a spec");
        assert_eq!(spec.ingress_class_name.as_deref(), Some("tailscale"));
        assert_eq!(spec.tls.as_ref().map(Vec::len), Some(1));
        let names: Vec<(String, String)> = backends(&lean)
            .iter()
            .map(|b| (b.path.to_string(), b.service.name.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("spec.defaultBackend.service".to_string(), "web".to_string()),
                (
                    "spec.rules[0].http.paths[0].backend.service".to_string(),
                    "api".to_string()
                ),
            ]
        );
    }

    #[test]
    fn the_spec_is_kept() {
        let text = "metadata: {name: web, labels: {app: web}, annotations: {a: b}}\nspec: {selector: {app: web}, ports: [{port: 80}], type: LoadBalancer, clusterIP: None, externalName: db.example.com, loadBalancerClass: tailscale}\n";
        let parsed = crate::yaml::parse(crate::source::FileId(0), text);
        let root = parsed.docs[0].root.as_ref().expect("a document");
        let full: core::Service = crate::de::from_node(root).expect("a Service");
        let lean = Service::from(full);
        assert!(lean.annotated);
        let spec = lean.spec.expect("a spec");
        assert_eq!(spec.ports.expect("ports")[0].port, 80);
        assert_eq!(
            spec.selector
                .expect("a selector")
                .get("app")
                .map(String::as_str),
            Some("web")
        );
        assert_eq!(
            (
                spec.type_.as_deref(),
                spec.cluster_ip.as_deref(),
                spec.external_name.as_deref(),
                spec.load_balancer_class.as_deref()
            ),
            (
                Some("LoadBalancer"),
                Some("None"),
                Some("db.example.com"),
                Some("tailscale")
            )
        );
    }
}
