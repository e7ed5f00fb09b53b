//! The pod template view rules read: the fields of a pod template that a rule follows
//! (labels, containers and their ports, probes and references, volumes, the ServiceAccount),
//! kept from the full k8s-openapi decode.
//!
//! The index decodes every workload through k8s-openapi, so a field of any type is checked
//! (`manifest-field-type`), and then keeps only this. The full types hold every optional field
//! inline: a `Container` is 2.3 kB and a `Volume` 3.3 kB before any field is set, so keeping
//! them made the typed views about a third of a whole run's memory. Field names and types are
//! those of k8s-openapi (but for a probe, of which only its handler's port is kept, and a
//! container port, without its host fields); a rarely set structure is boxed, so that its
//! absence costs a pointer.

use k8s_openapi::api::core::v1 as k8s;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::selector::Labels;
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, EnvFromSource, EnvVarSource, LocalObjectReference,
    PersistentVolumeClaimVolumeSource, ProjectedVolumeSource, SecretVolumeSource, VolumeDevice,
    VolumeMount,
};

/// A pod template: its labels and spec.
#[derive(Clone, Debug, Default)]
pub struct PodTemplateSpec {
    /// `metadata.labels` (empty when absent).
    pub labels: Labels,
    pub spec: Option<PodSpec>,
}

#[derive(Clone, Debug, Default)]
pub struct PodSpec {
    pub containers: Vec<Container>,
    pub init_containers: Option<Vec<Container>>,
    pub volumes: Option<Vec<Volume>>,
    pub service_account_name: Option<String>,
    pub service_account: Option<String>,
    pub image_pull_secrets: Option<Vec<LocalObjectReference>>,
}

#[derive(Clone, Debug, Default)]
pub struct Container {
    pub name: String,
    pub ports: Option<Box<[ContainerPort]>>,
    pub env: Option<Vec<EnvVar>>,
    pub env_from: Option<Vec<EnvFromSource>>,
    pub liveness_probe: Option<Box<Probe>>,
    pub readiness_probe: Option<Box<Probe>>,
    pub startup_probe: Option<Box<Probe>>,
    pub command: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    pub volume_mounts: Option<Vec<VolumeMount>>,
    pub volume_devices: Option<Vec<VolumeDevice>>,
    /// `Always` makes an init container a sidecar.
    pub restart_policy: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct EnvVar {
    pub name: String,
    pub value: Option<String>,
    pub value_from: Option<Box<EnvVarSource>>,
}

#[derive(Clone, Debug, Default)]
pub struct Volume {
    pub name: String,
    pub config_map: Option<Box<ConfigMapVolumeSource>>,
    pub secret: Option<Box<SecretVolumeSource>>,
    pub projected: Option<Box<ProjectedVolumeSource>>,
    pub persistent_volume_claim: Option<Box<PersistentVolumeClaimVolumeSource>>,
}

impl From<k8s::PodTemplateSpec> for PodTemplateSpec {
    fn from(t: k8s::PodTemplateSpec) -> PodTemplateSpec {
        PodTemplateSpec {
            labels: t.metadata.and_then(|m| m.labels).unwrap_or_default().into(),
            spec: t.spec.map(PodSpec::from),
        }
    }
}

impl From<k8s::PodSpec> for PodSpec {
    fn from(s: k8s::PodSpec) -> PodSpec {
        PodSpec {
            containers: lean(s.containers),
            init_containers: s.init_containers.map(lean),
            volumes: s.volumes.map(lean),
            service_account_name: s.service_account_name,
            service_account: s.service_account,
            image_pull_secrets: s.image_pull_secrets,
        }
    }
}

impl From<k8s::Container> for Container {
    fn from(c: k8s::Container) -> Container {
        Container {
            name: c.name,
            ports: c
                .ports
                .map(|p| p.into_iter().map(ContainerPort::from).collect()),
            env: c.env.map(lean),
            env_from: c.env_from,
            liveness_probe: c.liveness_probe.map(|p| Box::new(p.into())),
            readiness_probe: c.readiness_probe.map(|p| Box::new(p.into())),
            startup_probe: c.startup_probe.map(|p| Box::new(p.into())),
            command: c.command,
            args: c.args,
            volume_mounts: c.volume_mounts,
            volume_devices: c.volume_devices,
            restart_policy: c.restart_policy,
        }
    }
}

/// A container's port: what a Service's `targetPort` and a probe's port resolve against (a
/// k8s-openapi `ContainerPort` is 88 bytes, with the host fields no rule reads).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerPort {
    pub container_port: i32,
    pub name: Option<Box<str>>,
    pub protocol: Option<Box<str>>,
}

impl From<k8s::ContainerPort> for ContainerPort {
    fn from(p: k8s::ContainerPort) -> ContainerPort {
        ContainerPort {
            container_port: p.container_port,
            name: p.name.map(String::into_boxed_str),
            protocol: p.protocol.map(String::into_boxed_str),
        }
    }
}

/// The ports a probe's handler connects to (a k8s-openapi `Probe` is 280 bytes of timings and
/// commands no rule reads).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Probe {
    pub http_get_port: Option<IntOrString>,
    pub tcp_socket_port: Option<IntOrString>,
    pub grpc_port: Option<i32>,
}

impl From<k8s::Probe> for Probe {
    fn from(p: k8s::Probe) -> Probe {
        Probe {
            http_get_port: p.http_get.map(|h| h.port),
            tcp_socket_port: p.tcp_socket.map(|t| t.port),
            grpc_port: p.grpc.map(|g| g.port),
        }
    }
}

impl From<k8s::EnvVar> for EnvVar {
    fn from(e: k8s::EnvVar) -> EnvVar {
        EnvVar {
            name: e.name,
            value: e.value,
            value_from: e.value_from.map(Box::new),
        }
    }
}

impl From<k8s::Volume> for Volume {
    fn from(v: k8s::Volume) -> Volume {
        Volume {
            name: v.name,
            config_map: v.config_map.map(Box::new),
            secret: v.secret.map(Box::new),
            projected: v.projected.map(Box::new),
            persistent_volume_claim: v.persistent_volume_claim.map(Box::new),
        }
    }
}

/// The lean items in a vector of their own. `collect` would reuse the full items' buffer (an
/// in-place collect) and keep all of its memory.
fn lean<T, U: From<T>>(full: Vec<T>) -> Vec<U> {
    let mut out = Vec::with_capacity(full.len());
    out.extend(full.into_iter().map(U::from));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_keeps_the_port_of_each_handler() {
        let text = "name: web\nlivenessProbe: {httpGet: {path: /, port: http}, periodSeconds: 3}\nreadinessProbe: {tcpSocket: {port: 8080}}\nstartupProbe: {grpc: {port: 9090}}\n";
        let parsed = crate::yaml::parse(crate::source::FileId(0), text);
        let root = parsed.docs[0].root.as_ref().expect("a document");
        let full: k8s::Container = crate::de::from_node(root).expect("a Container");
        let lean = Container::from(full);
        let probe = |p: Option<Box<Probe>>| *p.expect("a probe");
        assert_eq!(
            probe(lean.liveness_probe),
            Probe {
                http_get_port: Some(IntOrString::String("http".into())),
                ..Probe::default()
            }
        );
        assert_eq!(
            probe(lean.readiness_probe),
            Probe {
                tcp_socket_port: Some(IntOrString::Int(8080)),
                ..Probe::default()
            }
        );
        assert_eq!(
            probe(lean.startup_probe),
            Probe {
                grpc_port: Some(9090),
                ..Probe::default()
            }
        );
    }
}
