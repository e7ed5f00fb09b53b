//! Synthetic GitOps repositories for k8s-lint's benchmarks and scale tests.
//!
//! Each app is a kustomize directory with a Namespace, a Deployment, a Service, an Ingress and
//! a ConfigMap, in mixed styles so the loader sees what real repositories hold: one file per
//! object or one multi-document file, block or flow style, named or numeric ports, explicit
//! namespaces or the kustomization's `namespace:`. Its layout is one of four: the app's own
//! directory; a `base/` with an `overlays/prod/` that patches it; a Flux `ks.yaml` whose
//! Kustomization deploys the app's `app/` directory; or its own directory with a Flux
//! HelmRelease beside the objects. Without defects the repository is clean.
//! With defects, chosen apps get one known bug each, and the exact findings k8s-lint must
//! report are returned (and written to `expected-findings.txt`).

pub mod fuzz;
pub mod hostile;

use std::fmt::Write as _;
use std::path::Path;

/// The bugs the generator can plant, each with the rule that must report it.
pub const DEFECTS: [(&str, &str); 5] = [
    ("port", "ingress-service-port-missing"),
    ("target", "service-target-port-unresolved"),
    ("selector", "service-selector-unmatched"),
    ("orphan", "kustomize-orphan-manifest"),
    ("service", "ingress-service-missing"),
];

pub struct Generated {
    pub objects: usize,
    /// `rule path:line:column`, sorted.
    pub expected: Vec<String>,
}

/// Write `n` apps under `out/apps`, planting `defects` bugs of each kind.
pub fn write_repo(out: &Path, n: usize, defects: usize) -> std::io::Result<Generated> {
    let apps = out.join("apps");
    let mut top = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    let plan = plan(n, defects);
    let mut expected = Vec::new();
    let mut objects = 0;
    for (i, defect) in plan.iter().enumerate() {
        let name = format!("app-{i:05}");
        let app = write_app(&apps.join(&name), &name, i, *defect)?;
        expected.extend(
            app.found
                .map(|(rule, file, line, col)| format!("{rule} apps/{name}/{file}:{line}:{col}")),
        );
        objects += app.objects;
        let _ = writeln!(top, "  - {name}{}", app.listed);
    }
    std::fs::write(apps.join("kustomization.yaml"), top)?;
    expected.sort();
    std::fs::write(
        out.join("expected-findings.txt"),
        expected.join("\n") + "\n",
    )?;
    Ok(Generated { objects, expected })
}

/// Which apps get which defect: round-robin over the apps that can carry it.
fn plan(n: usize, defects: usize) -> Vec<Option<usize>> {
    let mut plan = vec![None; n];
    let mut next = 0;
    for (d, (kind, _)) in DEFECTS.iter().enumerate() {
        let mut planted = 0;
        while planted < defects && next < n {
            // An orphan needs a file of its own: not the single-file apps.
            if !(*kind == "orphan" && single_file(next)) {
                plan[next] = Some(d);
                planted += 1;
            }
            next += 1;
        }
    }
    plan
}

fn single_file(i: usize) -> bool {
    i.is_multiple_of(4)
}

/// 1-based line and character column of the first `needle` in `text`, just after `after`.
fn locate(text: &str, after: &str, needle: &str) -> (usize, usize) {
    let from = text.find(after).unwrap_or(0);
    let at = from + text[from..].find(needle).unwrap_or(0);
    let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
    (
        text[..at].matches('\n').count() + 1,
        text[line_start..at].chars().count() + 1,
    )
}

type Expected = Option<(&'static str, String, usize, usize)>;

/// How an app's files are laid out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// The app's directory holds its kustomization and objects.
    Own,
    /// `base/` holds them, and `overlays/prod/` patches the Deployment's replicas.
    Overlay,
    /// `app/` holds them, deployed by the Flux Kustomization in `ks.yaml`.
    Flux,
    /// As `Own`, with a Flux HelmRelease beside the objects.
    Helm,
}

fn layout(i: usize, defect: Option<usize>) -> Layout {
    match i % 6 {
        1 => Layout::Overlay,
        3 => Layout::Flux,
        // A HelmRelease's chart makes objects the repository cannot see, which could make a
        // planted defect uncertain: only in apps without one.
        5 if defect.is_none() => Layout::Helm,
        _ => Layout::Own,
    }
}

/// What one app wrote: the finding planted in it, what the apps' kustomization lists after
/// the app's name, and how many objects it holds.
struct App {
    found: Expected,
    listed: &'static str,
    objects: usize,
}

fn write_app(top: &Path, name: &str, i: usize, defect: Option<usize>) -> std::io::Result<App> {
    let layout = layout(i, defect);
    // Where the app's kustomization and objects are, under the app's directory.
    let sub = match layout {
        Layout::Overlay => "base/",
        Layout::Flux => "app/",
        Layout::Own | Layout::Helm => "",
    };
    let dir = &top.join(sub);
    std::fs::create_dir_all(dir)?;
    let kind = defect.map(|d| DEFECTS[d].0);
    let inherit_ns = i.is_multiple_of(2);
    let named_port = !i.is_multiple_of(3);
    let flow = i.is_multiple_of(5);
    let ns_line = if inherit_ns {
        String::new()
    } else {
        format!("  namespace: {name}\n")
    };
    let target = match (kind, named_port) {
        (Some("target"), _) => "htp",
        (_, true) => "http",
        (_, false) => "8080",
    };
    let selector = if kind == Some("selector") {
        format!("{name}-x")
    } else {
        name.to_string()
    };
    let backend = if kind == Some("service") {
        format!("{name}-svc")
    } else {
        name.to_string()
    };
    let port = match (kind, named_port) {
        (Some("port"), true) => "name: https".to_string(),
        (Some("port"), false) => "number: 8081".to_string(),
        (_, true) => "name: http".to_string(),
        (_, false) => "number: 80".to_string(),
    };
    let service = if flow {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}{}}}\nspec: {{selector: {{app: {selector}}}, ports: [{{name: http, port: 80, targetPort: {target}}}]}}\n",
            if inherit_ns { String::new() } else { format!(", namespace: {name}") }
        )
    } else {
        format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n{ns_line}  labels:\n    app: {name}\nspec:\n  selector:\n    app: {selector}\n  ports:\n    - name: http\n      port: 80\n      targetPort: {target}\n      protocol: TCP\n")
    };
    let ingress = format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n{ns_line}  annotations:\n    example.com/owner: \"team-{}\"\nspec:\n  ingressClassName: nginx\n  rules:\n    - host: {name}.example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: {backend}\n                port:\n                  {port}\n",
        i % 17
    );
    let mut docs = vec![
        ("namespace.yaml", format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n")),
        ("configmap.yaml", format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\n{ns_line}data:\n  LOG_LEVEL: info\n  GREETING: \"hello from {name}\"\n"
        )),
        ("deployment.yaml", deployment(name, &ns_line, flow)),
        ("service.yaml", service),
        ("ingress.yaml", ingress),
    ];
    if layout == Layout::Helm {
        docs.push(("helmrelease.yaml", helm_release(name, &ns_line)));
    }
    // The Flux Kustomization and the overlay's patch are documents of their own.
    let objects = docs.len() + usize::from(matches!(layout, Layout::Flux | Layout::Overlay));
    let listed = match layout {
        Layout::Overlay => {
            let overlay = top.join("overlays/prod");
            std::fs::create_dir_all(&overlay)?;
            std::fs::write(
                overlay.join("kustomization.yaml"),
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\npatches:\n  - path: replicas.yaml\n",
            )?;
            std::fs::write(
                overlay.join("replicas.yaml"),
                // kustomize matches a patch by namespace too: the Deployment's own, if it sets one.
                format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{ns_line}spec:\n  replicas: 3\n"),
            )?;
            "/overlays/prod"
        }
        Layout::Flux => {
            std::fs::write(
                top.join("ks.yaml"),
                format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/{name}/app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"),
            )?;
            "/ks.yaml"
        }
        Layout::Own | Layout::Helm => "",
    };
    let mut kust =
        String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    if inherit_ns {
        let _ = writeln!(kust, "namespace: {name}");
    }
    kust.push_str("resources:\n");
    // Where each document landed: file name and the offset of the document in it.
    let mut placed: Vec<(&str, String)> = Vec::new();
    if single_file(i) {
        let all: Vec<&str> = docs.iter().map(|(_, d)| d.as_str()).collect();
        let text = all.join("---\n");
        std::fs::write(dir.join("all.yaml"), &text)?;
        kust.push_str("  - all.yaml\n");
        placed.push(("all.yaml", text));
    } else {
        for (file, text) in &docs {
            std::fs::write(dir.join(file), text)?;
            if !(kind == Some("orphan") && *file == "ingress.yaml") {
                let _ = writeln!(kust, "  - {file}");
            }
            placed.push((file, text.clone()));
        }
    }
    std::fs::write(dir.join("kustomization.yaml"), kust)?;
    let find = |anchor: &str, needle: &str| {
        placed
            .iter()
            .find(|(_, t)| t.contains(anchor) && t[t.find(anchor).unwrap_or(0)..].contains(needle))
            .map(|(f, t)| {
                let (l, c) = locate(t, anchor, needle);
                (f.to_string(), l, c)
            })
    };
    let Some(d) = defect else {
        return Ok(App {
            found: None,
            listed,
            objects,
        });
    };
    let at = match DEFECTS[d].0 {
        "port" => find("kind: Ingress", port.split(": ").nth(1).unwrap_or_default()),
        "target" => find("kind: Service", "htp"),
        "selector" => find("kind: Service", &selector),
        "orphan" => Some(("ingress.yaml".to_string(), 1, 1)),
        _ => find("kind: Ingress", &format!("name: {backend}")).map(|(f, l, c)| (f, l, c + 6)),
    };
    Ok(App {
        found: at.map(|(file, line, col)| (DEFECTS[d].1, format!("{sub}{file}"), line, col)),
        listed,
        objects,
    })
}

fn helm_release(name: &str, ns_line: &str) -> String {
    format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}-cache\n{ns_line}spec:\n  interval: 30m\n  chart:\n    spec:\n      chart: redis\n      version: 19.6.4\n      sourceRef:\n        kind: HelmRepository\n        name: bitnami\n        namespace: flux-system\n  values:\n    architecture: standalone\n    auth:\n      enabled: false\n    master:\n      persistence:\n        size: 1Gi\n"
    )
}

fn deployment(name: &str, ns_line: &str, flow: bool) -> String {
    let ports = if flow {
        "          ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]\n".to_string()
    } else {
        "          ports:\n            - name: http\n              containerPort: 8080\n              protocol: TCP\n            - name: metrics\n              containerPort: 9090\n".to_string()
    };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{ns_line}  labels:\n    app: {name}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/{name}:1.0.0\n{ports}          envFrom:\n            - configMapRef:\n                name: {name}-config\n          resources:\n            requests: {{cpu: 100m, memory: 128Mi}}\n            limits: {{memory: 256Mi}}\n          readinessProbe:\n            httpGet: {{path: /healthz, port: http}}\n"
    )
}

/// The YAML files under `dir`, sorted.
pub fn yaml_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = ignore::WalkBuilder::new(dir)
        .require_git(false)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(ignore::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    paths
}

/// Read every file and run the YAML parser over it, in parallel, and nothing else: the floor a
/// whole-repository lint cannot beat. Returns the number of parser events.
pub fn parse_floor(paths: &[std::path::PathBuf]) -> usize {
    use rayon::prelude::*;
    paths
        .par_iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            granit_parser::Parser::new_from_str(&text)
                .take_while(Result::is_ok)
                .count()
        })
        .sum()
}
