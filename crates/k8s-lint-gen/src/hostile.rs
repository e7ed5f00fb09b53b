//! Hostile repositories: one directory per case of what a pull request from a fork can put in
//! front of k8s-lint in CI. Large and odd files are generated rather than committed; the
//! tests lint each case end to end in every format, and `scripts/bench.sh hostile` times them
//! at two scales to show the growth.

use std::fs;
use std::io;
use std::path::Path;

/// The cases, by directory name.
pub const CASES: &[&str] = &[
    "long-line",
    "big-configmap",
    "nested-anchors",
    "alias-bomb",
    "lattice",
    "chain",
    "tailnet-claimants",
    "missing-entries",
    "missing-accounts",
    "suppressions",
    "shown-examples",
    "odd-names",
    "symlinks",
    "special-files",
];

/// A secret outside every case's repository: no output may ever contain it.
pub const SECRET: &str = "TOKEN-d0-not-leak-9f1c";

/// Write every case under `out` (each a repository: it holds `.git`), with sizes multiplied
/// by `scale` where the point is the growth, and `out/outside` holding [`SECRET`].
pub fn write_all(out: &Path, scale: usize) -> io::Result<()> {
    let scale = scale.max(1);
    let outside = out.join("outside");
    fs::create_dir_all(&outside)?;
    fs::write(
        outside.join("secret.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {SECRET}}}\n"),
    )?;
    fs::write(outside.join("environ"), format!("GITHUB_TOKEN={SECRET}\n"))?;
    for case in CASES {
        let dir = out.join(case);
        fs::create_dir_all(dir.join(".git"))?;
        write_case(&dir, case, scale, &outside)?;
    }
    Ok(())
}

fn put(dir: &Path, name: &str, text: &str) -> io::Result<()> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, text)
}

fn write_case(dir: &Path, case: &str, scale: usize, outside: &Path) -> io::Result<()> {
    match case {
        // A minified manifest: findings past column 65,535.
        "long-line" => {
            let pad = "x".repeat(70_000);
            put(
                dir,
                "service.json",
                &format!(
                    r#"{{"apiVersion":"v1","kind":"Service","metadata":{{"name":"lost","namespace":"a","annotations":{{"pad":"{pad}"}}}},"spec":{{"selector":{{"app":"nothing"}},"ports":[{{"port":80}}]}}}}"#
                ),
            )?;
            put(
                dir,
                "configmap.json",
                &format!(
                    r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c"}},"data":{{"pad":"{pad}","pad":"again"}}}}"#
                ),
            )?;
            put(dir, "deployment.yaml", DEPLOYMENT)
        }
        // A ConfigMap of many keys (duplicate detection), patched by a kustomization with as
        // many (strategic-merge lookups).
        "big-configmap" => {
            let n = 50_000 * scale;
            let data = |from: usize| -> String {
                (from..from + n)
                    .map(|i| format!("  key-{i}: value-{i}\n"))
                    .collect()
            };
            put(
                dir,
                "configmap.yaml",
                &format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n{}",
                    data(0)
                ),
            )?;
            put(
                dir,
                "patch.yaml",
                &format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n{}",
                    data(n / 2)
                ),
            )?;
            put(
                dir,
                "kustomization.yaml",
                "resources:\n- configmap.yaml\npatches:\n- path: patch.yaml\n",
            )
        }
        // Anchors inside anchors: copying each when defined is quadratic.
        "nested-anchors" => {
            let items = vec!["x"; 1_000 * scale].join(", ");
            let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: anchors\ndata:\n  nested: |\n    see below\nextra:\n");
            for level in 0..100 {
                let indent = "  ".repeat(level + 1);
                text.push_str(&format!(
                    "{indent}l{level}: &a{level}\n{indent}  items: [{items}]\n"
                ));
            }
            text.push_str("again: *a99\n");
            put(dir, "anchors.yaml", &text)
        }
        "alias-bomb" => {
            let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
            for i in 1..12u8 {
                let (c, p) = ((b'a' + i) as char, (b'a' + i - 1) as char);
                text.push_str(&format!(
                    "{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                ));
            }
            put(dir, "bomb.yaml", &text)?;
            put(dir, "deployment.yaml", DEPLOYMENT)
        }
        // Shared bases reached by 2^40 paths.
        "lattice" => {
            let levels = 40;
            for level in 0..levels {
                for side in ["a", "b"] {
                    let body = if level + 1 < levels {
                        format!("resources:\n- ../l{}a\n- ../l{}b\n", level + 1, level + 1)
                    } else {
                        "resources:\n- cm.yaml\n".into()
                    };
                    put(dir, &format!("l{level}{side}/kustomization.yaml"), &body)?;
                }
            }
            for side in ["a", "b"] {
                put(
                    dir,
                    &format!("l{}{side}/cm.yaml", levels - 1),
                    &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{side}\n"),
                )?;
            }
            put(
                dir,
                "root/kustomization.yaml",
                "resources:\n- ../l0a\n- ../l0b\n",
            )
        }
        // A chain of kustomizations deep enough to overflow a recursive build.
        "chain" => {
            let n = 3_000 * scale;
            for i in 0..n {
                let next = if i + 1 < n {
                    format!("../k{}", i + 1)
                } else {
                    "cm.yaml".into()
                };
                put(
                    dir,
                    &format!("k{i}/kustomization.yaml"),
                    &format!("resources:\n- {next}\n"),
                )?;
            }
            put(
                dir,
                &format!("k{}/cm.yaml", n - 1),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: end\n",
            )
        }
        // Thousands of objects asking for one tailnet name.
        "tailnet-claimants" => {
            let docs: Vec<String> = (0..2_000 * scale)
                .map(|i| format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: s{i}\n  namespace: ns{i}\n  annotations:\n    tailscale.com/expose: \"true\"\n    tailscale.com/hostname: same\nspec:\n  ports:\n  - port: 80\n"))
                .collect();
            put(dir, "services.yaml", &docs.join("---\n"))
        }
        // A kustomization listing thousands of files that do not exist, among thousands that
        // do: each missing entry looks for a similar name and a template, once (a scan of
        // every file per entry cost entries x files).
        "missing-entries" => {
            let n = 2_000 * scale;
            for i in 0..n {
                put(
                    dir,
                    &format!("apps/a{i}.yaml"),
                    &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a{i}\n"),
                )?;
            }
            let entries: String = (0..n).map(|i| format!("- missing-{i}.yaml\n")).collect();
            put(dir, "kustomization.yaml", &format!("resources:\n{entries}"))
        }
        // Thousands of pods running as ServiceAccounts that do not exist, among thousands
        // that do, with long names: each missing one is compared with those of its namespace
        // for a "did you mean", within a budget, and where the repository deploys that kind
        // is gathered once (every pair would cost their product).
        "missing-accounts" => {
            let n = 2_000 * scale;
            let pad = "x".repeat(200);
            let accounts: Vec<String> = (0..n)
                .map(|i| format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: defined-{i}-{pad}\n  namespace: a\n"))
                .collect();
            put(dir, "accounts.yaml", &accounts.join("---\n"))?;
            put(
                dir,
                "namespace.yaml",
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n",
            )?;
            let pods: Vec<String> = (0..n)
                .map(|i| format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: a\nspec:\n  serviceAccountName: wanted-{i}-{pad}\n  containers: [{{name: c, image: x}}]\n"))
                .collect();
            put(dir, "pods.yaml", &pods.join("---\n"))?;
            // And as many pods each in a namespace of its own, which holds no ServiceAccount:
            // each asks whether the repository manages ServiceAccounts there.
            let alone: Vec<String> = (0..n)
                .map(|i| format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: q{i}\n  namespace: n{i}\nspec:\n  serviceAccountName: wanted-{i}\n  containers: [{{name: c, image: x}}]\n"))
                .collect();
            put(dir, "alone.yaml", &alone.join("---\n"))
        }
        // A run of suppression comments above one line.
        "suppressions" => {
            let mut text: String = (0..10_000 * scale)
                .map(|i| format!("# k8s-lint-ignore rule-{i}\n"))
                .collect();
            text.push_str(
                "apiVersion: v1\nkind: Service\nmetadata: {name: lost, namespace: a}\nspec:\n  selector: {app: nothing}\n  ports: [{port: 80}]\n",
            );
            put(dir, "service.yaml", &text)?;
            put(dir, "deployment.yaml", DEPLOYMENT)
        }
        // A tutorial page that applies a file of each of thousands of directories and shows
        // the other, all named alike: each shown file is looked up among the page's mentions
        // of its name, a bounded few of them (every pair would cost their product).
        "shown-examples" => {
            let n = 2_000 * scale;
            let mut page = String::from("# Labs\n\n```sh\n");
            for i in 0..n {
                for name in ["step", "example"] {
                    put(
                        dir,
                        &format!("labs/l{i}/{name}.yaml"),
                        &format!(
                            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-{i}\n"
                        ),
                    )?;
                }
                page.push_str(&format!("kubectl apply -f labs/l{i}/step.yaml\n"));
            }
            page.push_str("```\n\n");
            for i in 0..n {
                page.push_str(&format!("::yaml{{file=\"labs/l{i}/example.yaml\"}}\n"));
            }
            put(dir, "README.md", &page)
        }
        // File names and values that would drive a terminal or forge CI workflow commands.
        "odd-names" => {
            let service = "apiVersion: v1\nkind: Service\nmetadata: {name: \"x\\e]0;owned\\a\\e[2J\", namespace: a}\nspec:\n  selector: {app: \"\\u202enothing\"}\n  ports: [{port: 80}]\n";
            put(dir, "deployment.yaml", DEPLOYMENT)?;
            put(dir, "co:lon.yaml", service)?;
            put(dir, "esc\u{1b}[31mred.yaml", service)?;
            put(dir, "new\n::error file=forged.yaml::forged.yaml", service)?;
            put(dir, "percent%0A::warning::x.yaml", service)?;
            #[cfg(unix)]
            {
                use std::os::unix::ffi::OsStrExt;
                fs::write(
                    dir.join(std::ffi::OsStr::from_bytes(b"latin1-\xe9.yaml")),
                    service,
                )?;
            }
            Ok(())
        }
        // Symlinks that lead out of the repository: the config, a manifest, a directory, a
        // kustomization entry; and a loop.
        "symlinks" => {
            put(dir, "deployment.yaml", DEPLOYMENT)?;
            put(
                dir,
                "kustomization.yaml",
                "resources:\n- deployment.yaml\n- ext/secret.yaml\n",
            )?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::symlink;
                symlink(outside.join("environ"), dir.join(".k8s-lint.yaml"))?;
                symlink(outside.join("secret.yaml"), dir.join("leak.yaml"))?;
                symlink(outside, dir.join("ext"))?;
                fs::create_dir_all(dir.join("a"))?;
                symlink("..", dir.join("a/loop"))?;
                symlink("nowhere.yaml", dir.join("dangling.yaml"))?;
            }
            #[cfg(not(unix))]
            let _ = outside;
            Ok(())
        }
        // Files that are not regular files, and a binary file named like a manifest.
        "special-files" => {
            put(dir, "deployment.yaml", DEPLOYMENT)?;
            let bytes: Vec<u8> = (0..=255u8).cycle().take(8192).collect();
            fs::write(dir.join("blob.yaml"), bytes)?;
            #[cfg(unix)]
            {
                // mkfifo(1), as the FIFO test of the library does: no unsafe code for one call.
                let status = std::process::Command::new("mkfifo")
                    .arg(dir.join("pipe.yaml"))
                    .status()?;
                if !status.success() {
                    return Err(io::Error::other("mkfifo failed"));
                }
            }
            Ok(())
        }
        _ => Err(io::Error::other(format!("no hostile case `{case}`"))),
    }
}

/// A workload in namespace `a`, so that the repository manages pods there.
const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: x}]\n";
