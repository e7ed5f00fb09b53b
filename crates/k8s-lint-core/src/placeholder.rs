//! Values that are not yet values: text a tool or a person replaces before the manifest reaches
//! the API server. Flux `postBuild` substitution and `envsubst` (`${VAR}`, `$VAR`), Helm, Argo CD
//! ApplicationSet and Go templates (`{{ .X }}`), and the fill-in markers of samples
//! (`<your-domain>`, `__INGRESS_HOST__`). Rules never judge the format or type of such a value:
//! what it will be is unknown.

/// Whether `text` holds a placeholder anywhere.
pub fn is_placeholder(text: &str) -> bool {
    // Every marker starts with one of these bytes; most names hold none, and are decided in one
    // pass (this runs for every name a reference looks up and every selector word).
    if !text.bytes().any(|b| matches!(b, b'$' | b'{' | b'<' | b'_')) {
        return false;
    }
    text.contains("${")
        || text.contains("$(")
        || text.contains("{{")
        || has_env_var(text)
        || has_angle_marker(text)
        || has_underscore_marker(text)
}

/// `$NAME`: a dollar sign followed by an upper-case identifier (envsubst).
fn has_env_var(text: &str) -> bool {
    text.match_indices('$').any(|(i, _)| {
        let rest = &text[i + 1..];
        let len = rest
            .bytes()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
            .count();
        len >= 2 && rest.starts_with(|c: char| c.is_ascii_uppercase())
    })
}

/// `<your domain>`, `<KSA_NAME>`: angle brackets around words.
fn has_angle_marker(text: &str) -> bool {
    text.match_indices('<').any(|(i, _)| {
        let rest = &text[i + 1..];
        rest.find('>').is_some_and(|end| {
            let inner = &rest[..end];
            !inner.is_empty()
                && inner
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.'))
        })
    })
}

/// `__INGRESS_HOST__`: an upper-case word between double underscores.
fn has_underscore_marker(text: &str) -> bool {
    text.match_indices("__").any(|(i, _)| {
        let rest = &text[i + 2..];
        rest.find("__").is_some_and(|end| {
            let inner = &rest[..end];
            !inner.is_empty()
                && inner
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::is_placeholder;

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "flux-webhook.${SECRET_DOMAIN}",
            "${PORT:=8080}",
            "$PORT",
            "{{ .Values.host }}",
            "registry.<your domain>",
            "<SERVICE_NAME>",
            "__INGRESS_HOST__",
            "$(POD_NAME)",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for v in [
            "example.com",
            "a_b",
            "8080",
            "price: $5",
            "a<b",
            "__init__",
            "$x",
        ] {
            assert!(!is_placeholder(v), "{v}");
        }
    }
}
