//! Fixes as properties, on generated kustomizations in mixed styles (block or flow lists, any
//! indentation, quoted entries, comments with tabs, CRLF, a BOM): `--fix --unsafe-fixes` removes
//! exactly the entries that point at nothing and lists exactly the unlisted manifests, the
//! result parses, every comment survives, and the bytes before and after the list are kept.

mod common;

use std::collections::BTreeSet;

use k8s_lint_core::fix::lint_fixed;
use k8s_lint_core::source::FileId;
use k8s_lint_core::yaml::parse;
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Style {
    flow: bool,
    indent: usize,
    quote: bool,
    crlf: bool,
    bom: bool,
    comment: bool,
}

fn style() -> impl Strategy<Value = Style> {
    (
        any::<bool>(),
        0..5usize,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(flow, indent, quote, crlf, bom, comment)| Style {
            flow,
            indent,
            quote,
            crlf,
            bom,
            comment,
        })
}

/// Entries: `(name, exists)`; names are unique.
fn entries() -> impl Strategy<Value = Vec<(String, bool)>> {
    prop::collection::btree_map("[a-z]{1,6}", any::<bool>(), 1..6).prop_map(|m| {
        m.into_iter()
            .map(|(n, e)| (format!("{n}.yaml"), e))
            .collect()
    })
}

/// The kustomization text, and the text before and after its `resources` list.
fn kustomization(style: &Style, listed: &[String]) -> (String, String, String) {
    let nl = if style.crlf { "\r\n" } else { "\n" };
    let q = |s: &str| {
        if style.quote {
            format!("\"{s}\"")
        } else {
            s.to_string()
        }
    };
    let mut head = String::new();
    if style.bom {
        head.push('\u{feff}');
    }
    head.push_str(&format!(
        "# generated\t(tabs in a comment){nl}apiVersion: kustomize.config.k8s.io/v1beta1{nl}kind: Kustomization{nl}"
    ));
    let list = if style.flow {
        let items: Vec<String> = listed.iter().map(|s| q(s)).collect();
        format!("resources: [{}]{nl}", items.join(", "))
    } else {
        let pad = " ".repeat(style.indent);
        let mut list = format!("resources:{nl}");
        for (i, s) in listed.iter().enumerate() {
            if style.comment && i == 0 {
                list.push_str(&format!("{pad}#\tthe first one{nl}"));
            }
            list.push_str(&format!("{pad}- {}{nl}", q(s)));
        }
        list
    };
    let tail = format!("namespace: shop # keep{nl}");
    (format!("{head}{list}{tail}"), head, tail)
}

fn comments(text: &str) -> BTreeSet<&str> {
    text.lines()
        .filter_map(|l| l.find('#').map(|i| l[i..].trim_end_matches('\r')))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn fixes_keep_the_style_and_only_touch_the_list(style in style(), entries in entries(), unlisted in prop::collection::btree_set("[a-z]{1,5}", 0..3)) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let listed: Vec<String> = entries.iter().map(|(n, _)| n.clone()).collect();
        // The first existing entry holds a Service that an unlisted Ingress routes to: the
        // wiring that makes an unlisted file an evident omission (and a fix to make).
        let service_file = entries.iter().find(|(_, e)| *e).map(|(n, _)| n.clone());
        for (name, exists) in &entries {
            if *exists {
                let name_only = name.trim_end_matches(".yaml");
                std::fs::write(
                    dir.path().join(name),
                    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name_only}\n  namespace: shop\n"),
                ).unwrap();
            }
        }
        let mut orphans = BTreeSet::new();
        if let Some(service) = &service_file {
            std::fs::write(
                dir.path().join(service),
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  ports:\n    - port: 80\n",
            ).unwrap();
            for name in &unlisted {
                let file = format!("zz-{name}-ingress.yaml");
                std::fs::write(
                    dir.path().join(&file),
                    format!("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80\n"),
                ).unwrap();
                orphans.insert(file);
            }
        }
        let (text, head, tail) = kustomization(&style, &listed);
        let path = dir.path().join("kustomization.yaml");
        std::fs::write(&path, &text).unwrap();

        let mut options = k8s_lint_core::Options::new(vec![dir.path().to_path_buf()]);
        options.base = dir.path().to_path_buf();
        options.repo_top = Some(dir.path().to_path_buf());
        let fixed = lint_fixed(&options, true).unwrap();
        let missing: Vec<&String> = entries.iter().filter(|(_, e)| !*e).map(|(n, _)| n).collect();
        let after = fixed
            .files
            .iter()
            .find(|f| f.path.ends_with("kustomization.yaml"))
            .map_or(text.clone(), |f| f.fixed.clone());

        // What the list holds now: the existing entries, then the orphans.
        let parsed = parse(FileId(0), &after);
        prop_assert!(parsed.problems.is_empty(), "parses: {:?}\n{after}", parsed.problems);
        let root = parsed.docs[0].root.as_ref().unwrap();
        let now: BTreeSet<String> = root
            .get("resources")
            .and_then(|r| r.as_seq())
            .map(|items| items.iter().filter_map(|i| i.as_str().map(String::from)).collect())
            .unwrap_or_default();
        let mut want: BTreeSet<String> = listed
            .iter()
            .filter(|n| !missing.contains(n))
            .cloned()
            .collect();
        want.extend(orphans.iter().cloned());
        prop_assert_eq!(&now, &want, "{}", after);

        // Outside the list nothing moved; every comment is still there; the line breaks are
        // the file's.
        prop_assert!(after.starts_with(&head), "{after}");
        prop_assert!(after.ends_with(&tail), "{after}");
        prop_assert!(comments(&text).is_subset(&comments(&after)), "{after}");
        prop_assert_eq!(after.contains("\r\n"), style.crlf);
        if style.crlf {
            prop_assert!(!after.replace("\r\n", "").contains('\n'), "mixed line breaks: {after:?}");
        }
    }
}
