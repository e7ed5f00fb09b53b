//! Telling a typo from another word: the "did you mean" of every message.

/// The closest candidate by edit distance, if it is close enough to be a typo: one edit in
/// three characters, where swapping two neighbours (`wbe` for `web`) is one edit.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // A prefix (`warn` for `warning`) counts as one edit.
    let prefix =
        |c: &str| word.len() >= 3 && c != word && (c.starts_with(word) || word.starts_with(c));
    candidates
        .map(|c| {
            (
                if prefix(c) {
                    1
                } else {
                    strsim::osa_distance(word, c)
                },
                c,
            )
        })
        .filter(|(d, c)| *d > 0 && *d <= (word.len().max(c.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn closest_finds_typos_only() {
        let c = ["service.yaml", "deployment.yaml", "ingress.yaml"];
        assert_eq!(
            closest("servce.yaml", c.iter().copied()),
            Some("service.yaml")
        );
        assert_eq!(closest("configmap.yaml", c.iter().copied()), None);
        assert_eq!(closest("wbe", ["web", "api"].into_iter()), Some("web"));
        assert_eq!(closest("ab", ["xy"].into_iter()), None);
    }
}
