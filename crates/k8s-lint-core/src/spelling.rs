//! Telling a typo from another word: the "did you mean" of every message.

/// The closest candidate by edit distance, if it is close enough to be a typo: one edit in
/// three characters, where swapping two neighbours (`wbe` for `web`) is one edit.
///
/// The work is bounded: a candidate whose length alone rules it out costs nothing, and the
/// others are weighed until [`BUDGET`] is spent (weighing two words costs the product of their
/// lengths). A repository can hold thousands of names of one kind, each looked up for
/// thousands of references, and names of any length; weighing every pair would cost their
/// product (4,000 pods running as missing accounts among 4,000 defined ones took 20 s).
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // A prefix (`warn` for `warning`) counts as one edit.
    let prefix =
        |c: &str| word.len() >= 3 && c != word && (c.starts_with(word) || word.starts_with(c));
    let allowed = |c: &str| (word.len().max(c.len()) / 3).max(1);
    let mut budget = BUDGET;
    candidates
        .filter(|c| prefix(c) || word.len().abs_diff(c.len()) <= allowed(c))
        .take_while(|c| {
            let cost = word.len().max(1) * c.len().max(1);
            let affordable = cost <= budget;
            budget = budget.saturating_sub(cost);
            affordable
        })
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
        .filter(|(d, c)| *d > 0 && *d <= allowed(c))
        .min()
        .map(|(_, c)| c)
}

/// The most work [`closest`] does for one word, in character pairs compared: about a hundred
/// candidates of twenty characters.
pub const BUDGET: usize = 40_000;

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

    #[test]
    fn closest_stops_when_its_budget_is_spent() {
        let word = "a".repeat(1_000);
        let near = format!("{word}b");
        // One pair of these costs more than the budget: weighed, it would be found.
        assert_eq!(closest(&word, [near.as_str()].into_iter()), None);
        // Names far from each other; the word is one typo from the first and from the last.
        let many: Vec<String> = (0..10_000u64)
            .map(|i| format!("{:016x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
            .collect();
        let typo = |s: &str| format!("{}x", &s[..15]);
        let first = closest(&typo(&many[1]), many.iter().map(String::as_str));
        assert_eq!(first, Some(many[1].as_str()));
        let last = closest(&typo(&many[9_999]), many.iter().map(String::as_str));
        assert_eq!(last, None, "past the budget, a candidate is not weighed");
    }
}
