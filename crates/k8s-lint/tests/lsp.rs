//! `k8s-lint lsp` end to end: the built binary driven as an editor drives it, over JSON-RPC
//! on stdio. Diagnostics at exact UTF-16 ranges with related information, refreshed across
//! files from unsaved buffers; code actions; a clean shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Every URI diagnostics were published for.
    published: std::cell::RefCell<Vec<String>>,
}

impl Client {
    fn start(root: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_k8s-lint"))
            .arg("lsp")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary runs");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (send, messages) = channel();
        std::thread::spawn(move || loop {
            let mut length = 0;
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(n) = line.strip_prefix("Content-Length: ") {
                    length = n.parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            stdout.read_exact(&mut body).unwrap();
            if send.send(serde_json::from_slice(&body).unwrap()).is_err() {
                return;
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages,
            next_id: 1,
            published: Default::default(),
        };
        let uri = uri(root);
        let id = client.request(
            "initialize",
            json!({"processId": null, "rootUri": uri, "capabilities": {}}),
        );
        let reply = client.response(id);
        assert_eq!(reply["result"]["capabilities"]["codeActionProvider"], true);
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next(&self) -> Value {
        let m = self
            .messages
            .recv_timeout(Duration::from_secs(20))
            .expect("the server answers");
        if m["method"] == "textDocument/publishDiagnostics" {
            let uri = m["params"]["uri"].as_str().unwrap_or_default().to_owned();
            self.published.borrow_mut().push(uri);
        }
        m
    }

    fn response(&self, id: i64) -> Value {
        loop {
            let m = self.next();
            if m["id"] == id {
                return m;
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&self, uri: &str) -> Vec<Value> {
        loop {
            let m = self.next();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

const INGRESS: &str = "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {note: \"é😀\"}
spec:
  defaultBackend:
    service:
      name: api
      port: {\"é😀\": \"x\", number: 80}
";

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/example/api:1
          ports: [{containerPort: 8080}]
";

fn service(name: &str, port: u16) -> String {
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: shop
spec:
  selector: {{app: api}}
  ports:
    - port: {port}
      targetPort: 8080
"
    )
}

#[test]
fn diagnostics_follow_unsaved_edits_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir(root.join(".git")).unwrap();
    std::fs::write(
        root.join("kustomization.yaml"),
        "resources: [deployment.yaml, service.yaml, ingress.yaml]\n",
    )
    .unwrap();
    std::fs::write(root.join("deployment.yaml"), DEPLOYMENT).unwrap();
    std::fs::write(root.join("ingress.yaml"), INGRESS).unwrap();
    // On disk the Service has another name: the Ingress routes to nothing.
    std::fs::write(root.join("service.yaml"), service("other", 80)).unwrap();
    let ingress = uri(&root.join("ingress.yaml"));
    let service_uri = uri(&root.join("service.yaml"));

    let mut client = Client::start(&root);
    let found = client.diagnostics(&ingress);
    assert_eq!(found.len(), 1, "{found:?}");
    let d = &found[0];
    assert_eq!(d["code"], "ingress-service-missing");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "k8s-lint");
    // `api` on line 10 (0-based 9), after 6 spaces and `name: `.
    assert_eq!(
        d["range"],
        json!({"start": {"line": 9, "character": 12}, "end": {"line": 9, "character": 15}})
    );
    assert!(d["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .ends_with("rules/ingress-service-missing.md"));

    // The Service renamed in the editor, unsaved, with the wrong port: another finding, with
    // the Service's port as related information.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": service_uri, "languageId": "yaml", "version": 1, "text": service("api", 8080)}}),
    );
    let found = client.diagnostics(&ingress);
    assert_eq!(found.len(), 1, "{found:?}");
    let d = &found[0];
    assert_eq!(d["code"], "ingress-service-port-missing");
    // UTF-16: `é` is one code unit, `😀` two (in characters the column would be one less).
    assert_eq!(
        d["range"],
        json!({"start": {"line": 10, "character": 33}, "end": {"line": 10, "character": 35}})
    );
    let related = &d["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], service_uri.as_str());
    assert_eq!(
        related["location"]["range"]["start"],
        json!({"line": 7, "character": 2})
    );

    // A code action suppresses it on its own line, with a reason to write.
    let id = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": ingress}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let actions = client.response(id)["result"].as_array().unwrap().clone();
    let suppress = actions
        .iter()
        .find(|a| a["title"] == "Suppress ingress-service-port-missing here, with a reason")
        .expect("a suppression action");
    assert_eq!(
        suppress["edit"]["changes"][ingress.as_str()][0],
        json!({
            "range": {"start": {"line": 10, "character": 0}, "end": {"line": 10, "character": 0}},
            "newText": "      # k8s-lint-ignore ingress-service-port-missing -- \n"
        })
    );

    // Go to definition from the backend's Service name: the Service's name in the buffer.
    let on_name =
        json!({"textDocument": {"uri": ingress}, "position": {"line": 9, "character": 13}});
    let id = client.request("textDocument/definition", on_name.clone());
    assert_eq!(
        client.response(id)["result"],
        json!([{"uri": service_uri, "range": {"start": {"line": 3, "character": 8}, "end": {"line": 3, "character": 11}}}])
    );
    let id = client.request("textDocument/hover", on_name);
    assert_eq!(
        client.response(id)["result"]["contents"]["value"],
        "Service `shop/api`"
    );
    // From the kustomization entry to its file.
    let kustomization = uri(&root.join("kustomization.yaml"));
    let id = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": kustomization}, "position": {"line": 0, "character": 30}}),
    );
    assert_eq!(
        client.response(id)["result"][0]["uri"],
        service_uri.as_str()
    );
    // From the Service selector to the pod template.
    let id = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": service_uri}, "position": {"line": 6, "character": 4}}),
    );
    let templates = client.response(id)["result"].clone();
    assert_eq!(templates[0]["uri"], uri(&root.join("deployment.yaml")));
    assert_eq!(templates[0]["range"]["start"]["line"], 10);

    // From the targetPort to the container port it names.
    let id = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": service_uri}, "position": {"line": 9, "character": 20}}),
    );
    assert_eq!(
        client.response(id)["result"],
        json!([{"uri": uri(&root.join("deployment.yaml")), "range": {"start": {"line": 15, "character": 18}, "end": {"line": 15, "character": 39}}}])
    );

    // Fixed in the buffer: the Ingress in the other file is clean.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": service_uri, "version": 2}, "contentChanges": [{"text": service("api", 80)}]}),
    );
    assert_eq!(client.diagnostics(&ingress), Vec::<Value>::new());

    // Broken YAML mid-typing is a finding, not a crash.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": service_uri, "version": 3}, "contentChanges": [{"text": "kind: [Service\n"}]}),
    );
    let broken = client.diagnostics(&service_uri);
    assert!(
        broken.iter().any(|d| d["code"] == "yaml-syntax"),
        "{broken:?}"
    );

    let id = client.request("shutdown", Value::Null);
    assert_eq!(client.response(id)["result"], Value::Null);
    client.notify("exit", Value::Null);
    let status = client.child.wait().unwrap();
    assert!(status.success());
    // Nothing was written.
    assert_eq!(
        std::fs::read_to_string(root.join("service.yaml")).unwrap(),
        service("other", 80)
    );
}

/// `:e service.yaml` in Neovim or Helix: a buffer whose file is not on disk yet. It counts as
/// the file it will be once saved, until it is closed unsaved.
#[test]
fn a_new_buffer_not_saved_yet_counts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir(root.join(".git")).unwrap();
    std::fs::write(root.join("ingress.yaml"), INGRESS).unwrap();
    let ingress = uri(&root.join("ingress.yaml"));
    let service_uri = uri(&root.join("service.yaml"));

    let mut client = Client::start(&root);
    let found = client.diagnostics(&ingress);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "ingress-service-missing");

    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": service_uri, "languageId": "yaml", "version": 1, "text": service("api", 80)}}),
    );
    assert_eq!(client.diagnostics(&ingress), Vec::<Value>::new());

    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": service_uri}}),
    );
    let found = client.diagnostics(&ingress);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "ingress-service-missing");

    let id = client.request("shutdown", Value::Null);
    assert_eq!(client.response(id)["result"], Value::Null);
    client.notify("exit", Value::Null);
    assert!(client.child.wait().unwrap().success());
    assert!(!root.join("service.yaml").exists(), "nothing was written");
}

/// What an editor may throw at the server: a 20 MB buffer, a file outside the workspace, a
/// frame that is not JSON-RPC. Each is answered, and the server goes on.
#[test]
fn hostile_input_is_answered_without_a_crash_or_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join(".git")).unwrap();
    let root = root.canonicalize().unwrap();
    std::fs::write(
        root.join("kustomization.yaml"),
        "resources: [ingress.yaml]\n",
    )
    .unwrap();
    std::fs::write(root.join("ingress.yaml"), INGRESS).unwrap();
    let outside = dir.path().canonicalize().unwrap().join("elsewhere.yaml");
    std::fs::write(&outside, "kind: [broken\n").unwrap();
    let ingress = uri(&root.join("ingress.yaml"));

    let mut client = Client::start(&root);
    assert_eq!(
        client.diagnostics(&ingress)[0]["code"],
        "ingress-service-missing"
    );

    // A buffer past the 16 MiB file-size limit: reported, not parsed.
    let huge = format!("{INGRESS}# {}\n", "x".repeat(20 << 20));
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": ingress, "version": 2}, "contentChanges": [{"text": huge}]}),
    );
    let found = client.diagnostics(&ingress);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "file-unreadable");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains("exceeds the 16777216-byte limit"),
        "{message}"
    );

    // A file outside the workspace: not linted, nothing published for it, nothing shown.
    let elsewhere = uri(&outside);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": elsewhere, "languageId": "yaml", "version": 1, "text": "kind: [broken\n"}}),
    );
    let id = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": elsewhere}, "position": {"line": 0, "character": 1}}),
    );
    assert_eq!(client.response(id)["result"], Value::Null);

    // A frame that is not a message: an error for its id, and the next request is answered.
    let bad = r#"{"jsonrpc": "2.0", "id": 99, "method": 5}"#;
    write!(client.stdin, "Content-Length: {}\r\n\r\n{bad}", bad.len()).unwrap();
    assert_eq!(client.response(99)["error"]["code"], -32600);
    let bad = "{not json";
    write!(client.stdin, "Content-Length: {}\r\n\r\n{bad}", bad.len()).unwrap();

    // The buffer back to its text: the first finding again, from the same server.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": ingress, "version": 3}, "contentChanges": [{"text": INGRESS}]}),
    );
    let found = client.diagnostics(&ingress);
    assert_eq!(found[0]["code"], "ingress-service-missing");
    let id = client.request("shutdown", Value::Null);
    assert_eq!(client.response(id)["result"], Value::Null);
    client.notify("exit", Value::Null);
    assert!(client.child.wait().unwrap().success());
    assert!(!client.published.borrow().contains(&elsewhere));
}
