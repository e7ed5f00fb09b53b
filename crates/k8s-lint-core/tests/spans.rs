//! Spans are the product: the same manifest as LF, CRLF, with a BOM, with tabs, and as the 3rd
//! document of a file must point at the same value, counted in characters.

mod common;

use std::path::Path;

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations:
    note: \"héllo wörld\"
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: wëb
";

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          ports: [{name: http, containerPort: 8080}]
";

/// Lint `service` (as written) next to the Deployment; return the primary position of the
/// unresolved-targetPort finding.
fn position(service: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("service.yaml"), service).unwrap();
    std::fs::write(dir.path().join("deployment.yaml"), DEPLOYMENT).unwrap();
    let out = common::render(&common::lint_dir(dir.path()));
    let line = out
        .lines()
        .find(|l| l.contains("[service-target-port-unresolved]"))
        .unwrap_or_else(|| panic!("no finding in:\n{out}"));
    line.split(": ").next().unwrap().to_string()
}

#[test]
fn lf_crlf_bom_tabs_agree() {
    let lf = position(SERVICE);
    assert_eq!(lf, "service.yaml:13:19");
    assert_eq!(position(&SERVICE.replace('\n', "\r\n")), lf, "CRLF");
    assert_eq!(position(&format!("\u{feff}{SERVICE}")), lf, "BOM");
    assert_eq!(
        position(&format!("\u{feff}{}", SERVICE.replace('\n', "\r\n"))),
        lf,
        "BOM + CRLF"
    );
    assert_eq!(
        position(&SERVICE.replace("targetPort: ", "targetPort:\t")),
        lf,
        "tab after colon"
    );
}

#[test]
fn nth_document_counts_lines_from_the_file_start() {
    let third = format!("---\nkind: Note\n---\n# a comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\n---\n{SERVICE}");
    // Eight lines precede the Service document.
    assert_eq!(position(&third), "service.yaml:21:19");
    assert_eq!(position(&third.replace('\n', "\r\n")), "service.yaml:21:19");
}

#[test]
fn non_ascii_before_the_value_counts_as_one_column_each() {
    let text = SERVICE.replace("      targetPort: wëb", "      targetPort: \"ünïcödé\"");
    let pos = position(&text);
    assert_eq!(pos, "service.yaml:13:19");
    let flow = SERVICE.replace(
        "    - port: 80\n      targetPort: wëb\n",
        "    - {name: ä, port: 80, targetPort: wëb}\n",
    );
    // `    - {name: ä, port: 80, targetPort: ` is 38 characters (39 bytes).
    assert_eq!(position(&flow), "service.yaml:12:39");
}

#[test]
fn positions_survive_every_line_ending_in_the_library_api() {
    let dir = tempfile::tempdir().unwrap();
    let text = "a: 1\r\nb:\r\n  c: [x, y]\rd: é\n";
    std::fs::write(dir.path().join("x.yaml"), text).unwrap();
    let report = common::lint_dir(Path::new(dir.path()));
    let file = &report.files[0];
    let at = |needle: &str| {
        let p = file.position(text.find(needle).unwrap());
        (p.line, p.column)
    };
    assert_eq!(at("y]"), (3, 10));
    assert_eq!(at("d:"), (4, 1));
    assert_eq!(at("é"), (4, 4));
}
