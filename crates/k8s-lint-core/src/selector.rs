//! Label selectors as the API server evaluates them: `matchLabels` and `matchExpressions`
//! (`In`, `NotIn`, `Exists`, `DoesNotExist`), all of which must hold; and [`Labels`], the label
//! set of a pod template that the index keeps.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::source::Span;
use crate::yaml::{Entry, Node};

/// The labels of a pod template, sorted by key, in one allocation: the index keeps one per
/// workload, and a `BTreeMap` takes a 540-byte node for a single label.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(Box<[(String, String)]>);

impl Labels {
    pub fn get(&self, key: &str) -> Option<&String> {
        let i = self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok()?;
        Some(&self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// In key order, as a `BTreeMap` iterates.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(map: BTreeMap<String, String>) -> Labels {
        // A map's keys are unique and come sorted.
        Labels(map.into_iter().collect())
    }
}

/// What a selector is evaluated against: a label's value by key.
pub trait LabelSet {
    fn label(&self, key: &str) -> Option<&str>;
}

impl LabelSet for Labels {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl LabelSet for BTreeMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// A `labels` mapping as a tree holds it (of an object that did not decode, or is not
/// deployed): a label whose key is not a string or whose value is not a scalar is absent.
pub struct TreeLabels<'a, 's>(pub &'a [Entry<'s>]);

impl TreeLabels<'_, '_> {
    /// Whether every label can be read (string key, scalar value).
    pub fn all_readable(&self) -> bool {
        self.0
            .iter()
            .all(|e| e.key_str().is_some() && e.value().scalar_text().is_some())
    }

    /// Whether at least one label can be read.
    pub fn any_readable(&self) -> bool {
        self.0
            .iter()
            .any(|e| e.key_str().is_some() && e.value().scalar_text().is_some())
    }
}

impl LabelSet for TreeLabels<'_, '_> {
    fn label(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.key_str() == Some(key))?
            .value()
            .scalar_text()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// One condition of a selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// A `matchLabels` entry.
    Equals { key: String, value: String },
    /// `matchExpressions[index]`.
    Expression {
        index: usize,
        key: String,
        operator: Operator,
        values: Vec<String>,
    },
}

impl Requirement {
    pub fn key(&self) -> &str {
        match self {
            Requirement::Equals { key, .. } | Requirement::Expression { key, .. } => key,
        }
    }

    pub fn matches(&self, labels: &impl LabelSet) -> bool {
        match self {
            Requirement::Equals { key, value } => labels.label(key) == Some(value.as_str()),
            Requirement::Expression {
                key,
                operator,
                values,
                ..
            } => {
                let have = labels.label(key);
                let listed = |v: &str| values.iter().any(|x| x == v);
                match operator {
                    Operator::In => have.is_some_and(listed),
                    Operator::NotIn => have.is_none_or(|v| !listed(v)),
                    Operator::Exists => have.is_some(),
                    Operator::DoesNotExist => have.is_none(),
                }
            }
        }
    }

    /// Where the requirement is written under the selector node (the mapping holding
    /// `matchLabels`/`matchExpressions`): a `matchLabels` value, or its key when `labels` lack
    /// the key altogether; an expression's `key` value.
    pub fn span(&self, selector: &Node<'_>, labels: &impl LabelSet) -> Option<Span> {
        match self {
            Requirement::Equals { key, .. } => {
                // Label keys often contain dots, so look the entry up by key, not by path.
                let entry = selector.get("matchLabels")?.entry(key)?;
                Some(if labels.label(key).is_some() {
                    entry.value().span
                } else {
                    entry.key_span()
                })
            }
            Requirement::Expression { index, .. } => {
                let expr = selector.get("matchExpressions")?.idx(*index)?;
                Some(expr.get("key").map_or(expr.span, |k| k.span))
            }
        }
    }
}

/// As `kubectl` prints selectors: `app=web`, `tier in (a,b)`, `tier notin (a)`, `canary`,
/// `!canary`.
impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Equals { key, value } => write!(f, "{key}={value}"),
            Requirement::Expression {
                key,
                operator,
                values,
                ..
            } => match operator {
                Operator::In => write!(f, "{key} in ({})", values.join(",")),
                Operator::NotIn => write!(f, "{key} notin ({})", values.join(",")),
                Operator::Exists => write!(f, "{key}"),
                Operator::DoesNotExist => write!(f, "!{key}"),
            },
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

impl Selector {
    /// `None` when an expression has an operator the API server does not know (it rejects
    /// the object, so there is nothing to evaluate).
    pub fn new(sel: &LabelSelector) -> Option<Selector> {
        let mut requirements: Vec<Requirement> = sel
            .match_labels
            .iter()
            .flatten()
            .map(|(k, v)| Requirement::Equals {
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        for (index, e) in sel.match_expressions.iter().flatten().enumerate() {
            let operator = match e.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                _ => return None,
            };
            requirements.push(Requirement::Expression {
                index,
                key: e.key.clone(),
                operator,
                values: e.values.clone().unwrap_or_default(),
            });
        }
        Some(Selector { requirements })
    }

    /// A Service's selector: label equalities only.
    pub fn from_labels(labels: &Labels) -> Selector {
        let requirements = labels
            .iter()
            .map(|(k, v)| Requirement::Equals {
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        Selector { requirements }
    }

    /// An empty selector (`{}`) selects everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, labels: &impl LabelSet) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    pub fn unsatisfied<'a>(
        &'a self,
        labels: &'a impl LabelSet,
    ) -> impl Iterator<Item = &'a Requirement> + 'a {
        self.requirements.iter().filter(|r| !r.matches(labels))
    }

    /// The `matchLabels` part, as a map.
    pub fn match_labels(&self) -> BTreeMap<String, String> {
        self.requirements
            .iter()
            .filter_map(|r| match r {
                Requirement::Equals { key, value } => Some((key.clone(), value.clone())),
                Requirement::Expression { .. } => None,
            })
            .collect()
    }

    /// Every label key and `matchLabels` value, to look for in files we could not parse.
    pub fn words(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for r in &self.requirements {
            out.push(r.key());
            if let Requirement::Equals { value, .. } = r {
                out.push(value.as_str());
            }
        }
        out
    }

    /// How many requirements `labels` meet, counting a wrong value of a present key as half:
    /// for "nearest template" hints.
    pub fn closeness(&self, labels: &impl LabelSet) -> usize {
        self.requirements
            .iter()
            .map(
                |r| match (r.matches(labels), labels.label(r.key()).is_some()) {
                    (true, _) => 2,
                    (false, true) => 1,
                    (false, false) => 0,
                },
            )
            .sum()
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.requirements.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The pod template's label set answers as the map it was made from, and a selector
    /// matches it as it matches the map.
    #[test]
    fn labels_read_as_their_map() {
        let map = labels(&[
            ("tier", "fe"),
            ("app", "web"),
            ("app.kubernetes.io/name", "shop"),
        ]);
        let set = Labels::from(map.clone());
        assert_eq!(set.len(), 3);
        for (k, v) in &map {
            assert_eq!(set.get(k), Some(v));
        }
        assert_eq!(set.get("ap"), None);
        assert!(!set.contains_key("zone"));
        assert!(set.iter().eq(map.iter()));
        let s = Selector::from_labels(&labels(&[("app", "web"), ("tier", "fe")]).into());
        assert!(s.matches(&set) && s.matches(&map));
        let other = Selector::from_labels(&labels(&[("app", "api")]).into());
        assert!(!other.matches(&set));
        assert_eq!(other.closeness(&set), other.closeness(&map));
        assert!(Labels::default().is_empty());
    }

    /// A tree's mapping answers as the map of its readable labels.
    #[test]
    fn tree_labels_read_as_their_readable_pairs() {
        let text = "labels: {app: web, version: 2, tier: [a], true: x}\n";
        let parsed = crate::yaml::parse(crate::source::FileId(0), text);
        let root = parsed.docs[0].root.as_ref().expect("a document");
        let tree = TreeLabels(root.get("labels").and_then(Node::as_map).expect("a map"));
        let s = Selector::from_labels(&labels(&[("app", "web"), ("version", "2")]).into());
        assert!(s.matches(&tree));
        assert_eq!(tree.label("tier"), None, "a sequence is no label value");
        assert_eq!(tree.label("true"), None, "a boolean is no label key");
        assert!(tree.any_readable() && !tree.all_readable());
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
        }
    }

    fn selector(ml: &[(&str, &str)], exprs: Vec<LabelSelectorRequirement>) -> Selector {
        Selector::new(&LabelSelector {
            match_labels: (!ml.is_empty()).then(|| labels(ml)),
            match_expressions: (!exprs.is_empty()).then_some(exprs),
        })
        .unwrap()
    }

    #[test]
    fn match_labels_are_a_subset_test() {
        let s = selector(&[("app", "web")], vec![]);
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "fe")])));
        assert!(!s.matches(&labels(&[("app", "api")])));
        assert!(!s.matches(&labels(&[])));
        assert_eq!(s.to_string(), "app=web");
    }

    #[test]
    fn expressions_follow_the_api_semantics() {
        let l = labels(&[("app", "web"), ("tier", "fe")]);
        let case = |op: &str, key: &str, values: &[&str]| {
            selector(&[], vec![expr(key, op, values)]).matches(&l)
        };
        assert!(case("In", "tier", &["fe", "be"]));
        assert!(!case("In", "tier", &["be"]));
        assert!(!case("In", "zone", &["a"]));
        assert!(case("NotIn", "tier", &["be"]));
        assert!(!case("NotIn", "tier", &["fe"]));
        assert!(
            case("NotIn", "zone", &["a"]),
            "NotIn holds for an absent key"
        );
        assert!(case("Exists", "app", &[]));
        assert!(!case("Exists", "zone", &[]));
        assert!(case("DoesNotExist", "zone", &[]));
        assert!(!case("DoesNotExist", "app", &[]));
    }

    #[test]
    fn all_requirements_must_hold_and_empty_selects_all() {
        let s = selector(&[("app", "web")], vec![expr("tier", "In", &["be"])]);
        let l = labels(&[("app", "web"), ("tier", "fe")]);
        assert!(!s.matches(&l));
        let missing: Vec<String> = s.unsatisfied(&l).map(ToString::to_string).collect();
        assert_eq!(missing, ["tier in (be)"]);
        assert!(Selector::default().is_empty());
        assert!(Selector::default().matches(&l));
    }

    #[test]
    fn unknown_operators_are_not_evaluated() {
        let sel = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![expr("a", "Gt", &["1"])]),
        };
        assert_eq!(Selector::new(&sel), None);
    }
}
