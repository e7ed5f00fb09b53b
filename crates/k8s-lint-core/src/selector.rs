//! Label selectors as the API server evaluates them: `matchLabels` and `matchExpressions`
//! (`In`, `NotIn`, `Exists`, `DoesNotExist`), all of which must hold.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::source::Span;
use crate::yaml::Node;

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

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Equals { key, value } => labels.get(key) == Some(value),
            Requirement::Expression {
                key,
                operator,
                values,
                ..
            } => {
                let have = labels.get(key);
                match operator {
                    Operator::In => have.is_some_and(|v| values.contains(v)),
                    Operator::NotIn => have.is_none_or(|v| !values.contains(v)),
                    Operator::Exists => have.is_some(),
                    Operator::DoesNotExist => have.is_none(),
                }
            }
        }
    }

    /// Where the requirement is written under the selector node (the mapping holding
    /// `matchLabels`/`matchExpressions`): a `matchLabels` value, or its key when `labels` lack
    /// the key altogether; an expression's `key` value.
    pub fn span(&self, selector: &Node<'_>, labels: &BTreeMap<String, String>) -> Option<Span> {
        match self {
            Requirement::Equals { key, .. } => {
                // Label keys often contain dots, so look the entry up by key, not by path.
                let entry = selector.get("matchLabels")?.entry(key)?;
                Some(if labels.contains_key(key) {
                    entry.value.span
                } else {
                    entry.key.span
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
    pub fn from_labels(labels: &BTreeMap<String, String>) -> Selector {
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

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    pub fn unsatisfied<'a>(
        &'a self,
        labels: &'a BTreeMap<String, String>,
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
    pub fn closeness(&self, labels: &BTreeMap<String, String>) -> usize {
        self.requirements
            .iter()
            .map(
                |r| match (r.matches(labels), labels.contains_key(r.key())) {
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
