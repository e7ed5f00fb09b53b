//! `k8s-lint-gen OUT_DIR N`: write a synthetic GitOps repository of N apps for benchmarks.
//!
//! Each app is a kustomize directory with a namespace, a Deployment, a Service, an Ingress and
//! a ConfigMap, in mixed styles so the loader sees what real repositories hold: one file per
//! object or one multi-document file, block or flow style, named or numeric targetPorts,
//! explicit namespaces or the kustomization's `namespace:`. The repository is clean: k8s-lint
//! must report nothing on it.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(n)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: k8s-lint-gen OUT_DIR N_APPS");
        return ExitCode::from(2);
    };
    match write_repo(Path::new(out), n) {
        Ok(objects) => {
            eprintln!("wrote {n} apps ({objects} objects) to {out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn write_repo(out: &Path, n: usize) -> std::io::Result<usize> {
    let apps = out.join("apps");
    let mut top = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for i in 0..n {
        let name = format!("app-{i:05}");
        write_app(&apps.join(&name), &name, i)?;
        let _ = writeln!(top, "  - {name}");
    }
    std::fs::write(apps.join("kustomization.yaml"), top)?;
    Ok(n * 5)
}

fn write_app(dir: &Path, name: &str, i: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    // Alternate styles so every loader path is exercised.
    let inherit_ns = i.is_multiple_of(2);
    let named_port = !i.is_multiple_of(3);
    let single_file = i.is_multiple_of(4);
    let flow = i.is_multiple_of(5);
    let ns_line = if inherit_ns {
        String::new()
    } else {
        format!("  namespace: {name}\n")
    };
    let target = if named_port { "http" } else { "8080" };
    let docs = [
        ("namespace.yaml", format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n")),
        ("configmap.yaml", format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\n{ns_line}data:\n  LOG_LEVEL: info\n  GREETING: \"hello from {name}\"\n"
        )),
        ("deployment.yaml", deployment(name, &ns_line, flow)),
        ("service.yaml", if flow {
            format!("apiVersion: v1\nkind: Service\nmetadata: {{name: {name}{}}}\nspec: {{selector: {{app: {name}}}, ports: [{{name: http, port: 80, targetPort: {target}}}]}}\n",
                if inherit_ns { String::new() } else { format!(", namespace: {name}") })
        } else {
            format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n{ns_line}  labels:\n    app: {name}\nspec:\n  selector:\n    app: {name}\n  ports:\n    - name: http\n      port: 80\n      targetPort: {target}\n      protocol: TCP\n")
        }),
        ("ingress.yaml", format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n{ns_line}  annotations:\n    example.com/owner: \"team-{}\"\nspec:\n  ingressClassName: nginx\n  rules:\n    - host: {name}.example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: {name}\n                port:\n                  {}\n",
            i % 17, if named_port { "name: http".to_string() } else { "number: 80".to_string() }
        )),
    ];
    let mut kust =
        String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    if inherit_ns {
        let _ = writeln!(kust, "namespace: {name}");
    }
    kust.push_str("resources:\n");
    if single_file {
        let all: Vec<&str> = docs.iter().map(|(_, d)| d.as_str()).collect();
        std::fs::write(dir.join("all.yaml"), all.join("---\n"))?;
        kust.push_str("  - all.yaml\n");
    } else {
        for (file, text) in &docs {
            std::fs::write(dir.join(file), text)?;
            let _ = writeln!(kust, "  - {file}");
        }
    }
    std::fs::write(dir.join("kustomization.yaml"), kust)
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
