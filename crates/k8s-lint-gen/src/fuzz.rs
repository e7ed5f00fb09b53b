//! A small repository from arbitrary bytes, for the whole-lint fuzz target and its seed test:
//! the input is split at NUL bytes into files; a file's first line names it when it is a
//! plain relative path (`apps/web/kustomization.yaml`), else it is `f<N>.yaml`. A fuzzer
//! then builds kustomize trees, Flux and Argo CD apps and scripts as easily as lone manifests.

/// At most this many files, of at most this many bytes, from one input.
pub const MAX_FILES: usize = 32;
pub const MAX_FILE_BYTES: usize = 64 * 1024;

/// `(relative path, text)` of each file the input describes. Invalid UTF-8 is replaced.
pub fn files(data: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, chunk) in data.split(|&b| b == 0).take(MAX_FILES).enumerate() {
        let chunk = &chunk[..chunk.len().min(MAX_FILE_BYTES)];
        let text = String::from_utf8_lossy(chunk);
        let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
        let (name, body) = if is_name(first) {
            (first.to_string(), rest.to_string())
        } else {
            (format!("f{i}.yaml"), text.to_string())
        };
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, body));
        }
    }
    out
}

/// A relative path of plain components that the walk would read.
fn is_name(line: &str) -> bool {
    let ok_chars = line
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'));
    let ok_parts = line
        .split('/')
        .all(|p| !p.is_empty() && p != "." && p != ".." && !p.starts_with('.'));
    let known = ["Kustomization", ".yaml", ".yml", ".json", ".md", ".sh"]
        .iter()
        .any(|end| line.ends_with(end));
    !line.is_empty() && line.len() <= 80 && ok_chars && ok_parts && known
}

#[cfg(test)]
mod tests {
    use super::files;

    #[test]
    fn inputs_split_into_named_files() {
        let got = files(
            b"apps/kustomization.yaml\nresources: [a.yaml]\n\0kind: Service\n\0../up.yaml\nx\0",
        );
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["apps/kustomization.yaml", "f1.yaml", "f2.yaml", "f3.yaml"]
        );
        assert_eq!(got[0].1, "resources: [a.yaml]\n");
        assert_eq!(got[2].1, "../up.yaml\nx");
    }
}
