//! An editor session: an edit re-parses one file, and the findings equal a fresh lint's.

use k8s_lint_core::session::{Edit, Session};
use k8s_lint_core::{lint, Options};

const INGRESS: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  rules:\n    - http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: web\n                port:\n                  number: 80\n";
const SERVICE: &str =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: other\nspec:\n  ports:\n    - port: 80\n";

fn rules(report: &k8s_lint_core::Report) -> Vec<(String, String, u32)> {
    report
        .findings
        .iter()
        .map(|f| {
            let file = report.file(f.primary.span.file);
            (
                f.rule.to_string(),
                file.display().to_string(),
                f.primary.span.start,
            )
        })
        .collect()
}

#[test]
fn an_edit_in_one_file_clears_a_finding_in_another() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    std::fs::write(top.join("ingress.yaml"), INGRESS).unwrap();
    std::fs::write(top.join("service.yaml"), SERVICE).unwrap();
    let mut options = Options::new(vec![top.clone()]);
    options.repo_top = Some(top.clone());
    let mut session = Session::open(options.clone()).unwrap();
    let before = session.lint();
    assert_eq!(rules(&before), rules(&lint(&options).unwrap()));
    assert!(rules(&before)
        .iter()
        .any(|(r, f, _)| r == "ingress-service-missing" && f.ends_with("ingress.yaml")));

    let fixed = SERVICE.replace("other", "web");
    let edit = session.edit(&top.join("service.yaml"), Some(fixed.clone()));
    assert_eq!(edit.unwrap(), Edit::File);
    let after = session.lint();
    assert!(!rules(&after)
        .iter()
        .any(|(r, _, _)| r == "ingress-service-missing"));
    // The same as linting the buffer from scratch.
    std::fs::write(top.join("service.yaml"), &fixed).unwrap();
    assert_eq!(rules(&after), rules(&lint(&options).unwrap()));

    // A file outside the workspace changes nothing and is not read.
    let outside = tempfile::tempdir().unwrap();
    let edit = session.edit(&outside.path().join("x.yaml"), Some(SERVICE.into()));
    assert_eq!(edit.unwrap(), Edit::Outside);

    // Closing the buffer reads the disk again.
    std::fs::write(top.join("service.yaml"), SERVICE).unwrap();
    let edit = session.edit(&top.join("service.yaml"), None);
    assert_eq!(edit.unwrap(), Edit::Reloaded);
    assert_eq!(rules(&session.lint()), rules(&before));
}

/// A new file before the others in the walk moves every later file's place: their kept trees
/// are renamed to it, and every finding still points into the right file.
#[test]
fn a_new_file_moves_the_kept_trees_and_their_spans_follow() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    std::fs::write(top.join("ingress.yaml"), INGRESS).unwrap();
    // A repeated key: a parse problem, whose spans must move with the tree too.
    let service = SERVICE.replace("  name: other\n", "  name: other\n  name: other\n");
    std::fs::write(top.join("service.yaml"), &service).unwrap();
    let mut options = Options::new(vec![top.clone()]);
    options.repo_top = Some(top.clone());
    let mut session = Session::open(options.clone()).unwrap();

    // The editor creates the file, then opens it.
    let new = SERVICE.replace("other", "web");
    std::fs::write(top.join("a-service.yaml"), &new).unwrap();
    let edit = session.edit(&top.join("a-service.yaml"), Some(new.clone()));
    assert_eq!(edit.unwrap(), Edit::Reloaded);
    let after = session.lint();
    let fresh = lint(&options).unwrap();
    assert_eq!(rules(&after), rules(&fresh));
    let related = |r: &k8s_lint_core::Report| -> Vec<(String, u32)> {
        r.findings
            .iter()
            .flat_map(|f| &f.related)
            .map(|l| (r.file(l.span.file).display().to_string(), l.span.start))
            .collect()
    };
    assert_eq!(related(&after), related(&fresh));
    assert!(rules(&after)
        .iter()
        .any(|(r, f, _)| r == "yaml-duplicate-key" && f.ends_with("service.yaml")));
    assert!(!rules(&after)
        .iter()
        .any(|(r, _, _)| r == "ingress-service-missing"));
}

/// An edit that changes how many objects a file holds shifts the kept objects of every later
/// file: their findings stay those of a fresh lint.
#[test]
fn an_edit_that_adds_objects_keeps_the_later_files_right() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    std::fs::write(top.join("ingress.yaml"), INGRESS).unwrap();
    std::fs::write(top.join("service.yaml"), SERVICE).unwrap();
    std::fs::write(top.join("z-web.yaml"), SERVICE.replace("other", "web")).unwrap();
    let mut options = Options::new(vec![top.clone()]);
    options.repo_top = Some(top.clone());
    let mut session = Session::open(options.clone()).unwrap();
    assert_eq!(rules(&session.lint()), rules(&lint(&options).unwrap()));

    let more = format!(
        "{SERVICE}---\n{}---\n{}",
        SERVICE.replace("other", "second"),
        SERVICE.replace("other", "third")
    );
    for text in [more.as_str(), "", SERVICE] {
        let edit = session.edit(&top.join("service.yaml"), Some(text.to_string()));
        assert_eq!(edit.unwrap(), Edit::File);
        std::fs::write(top.join("service.yaml"), text).unwrap();
        let fresh = lint(&options).unwrap();
        assert_eq!(rules(&session.lint()), rules(&fresh), "after {text:?}");
        assert_eq!(session.lint().stats.objects, fresh.stats.objects);
    }
}

/// The kustomize model is kept between edits; an edit of a kustomization makes it again.
#[test]
fn an_edit_of_a_kustomization_remakes_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    let both = "resources: [ingress.yaml, service.yaml]\n";
    std::fs::write(top.join("kustomization.yaml"), both).unwrap();
    std::fs::write(top.join("ingress.yaml"), INGRESS).unwrap();
    std::fs::write(top.join("service.yaml"), SERVICE.replace("other", "web")).unwrap();
    let mut options = Options::new(vec![top.clone()]);
    options.repo_top = Some(top.clone());
    let mut session = Session::open(options.clone()).unwrap();
    assert_eq!(rules(&session.lint()), rules(&lint(&options).unwrap()));

    // The Service left out of the build: an orphan, and the Ingress routes to nothing.
    for text in ["resources: [ingress.yaml]\n", both] {
        let edit = session.edit(&top.join("kustomization.yaml"), Some(text.to_string()));
        assert_eq!(edit.unwrap(), Edit::File);
        std::fs::write(top.join("kustomization.yaml"), text).unwrap();
        let fresh = lint(&options).unwrap();
        assert_eq!(rules(&session.lint()), rules(&fresh), "after {text:?}");
    }
    let edit = session.edit(
        &top.join("kustomization.yaml"),
        Some("resources: [ingress.yaml]\n".into()),
    );
    assert_eq!(edit.unwrap(), Edit::File);
    assert!(rules(&session.lint())
        .iter()
        .any(|(r, f, _)| r == "kustomize-orphan-manifest" && f.ends_with("service.yaml")));
}

/// Typed views are kept per object; an edit of a field only a view reads (a Service port)
/// changes the findings as a fresh lint's.
#[test]
fn an_edit_read_through_a_typed_view_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    std::fs::write(top.join("ingress.yaml"), INGRESS).unwrap();
    let web = SERVICE.replace("other", "web");
    std::fs::write(top.join("service.yaml"), &web).unwrap();
    let mut options = Options::new(vec![top.clone()]);
    options.repo_top = Some(top.clone());
    let mut session = Session::open(options.clone()).unwrap();
    let port = |r: &k8s_lint_core::Report| {
        rules(r)
            .iter()
            .any(|(r, _, _)| r == "ingress-service-port-missing")
    };
    assert!(!port(&session.lint()));
    for text in [web.replace("port: 80", "port: 8080"), web.clone()] {
        let edit = session.edit(&top.join("service.yaml"), Some(text.clone()));
        assert_eq!(edit.unwrap(), Edit::File);
        std::fs::write(top.join("service.yaml"), &text).unwrap();
        let (kept, fresh) = (session.lint(), lint(&options).unwrap());
        assert_eq!(rules(&kept), rules(&fresh), "after {text:?}");
        assert_eq!(port(&kept), text.contains("8080"));
    }
}

/// A generator's config file is read by the kustomize model (the files it lists are not
/// orphans): an edit of it makes the model again.
#[test]
fn an_edit_of_a_generator_config_remakes_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    std::fs::write(
        top.join("kustomization.yaml"),
        "resources: [service.yaml]\ngenerators: [secret-generator.yaml]\n",
    )
    .unwrap();
    std::fs::write(top.join("service.yaml"), SERVICE).unwrap();
    let lists = "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: secrets\nfiles:\n  - ./db.sops.yaml\n";
    std::fs::write(top.join("secret-generator.yaml"), lists).unwrap();
    std::fs::write(
        top.join("db.sops.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: x\n",
    )
    .unwrap();
    let mut options = Options::new(vec![top.clone()]);
    options.repo_top = Some(top.clone());
    let mut session = Session::open(options.clone()).unwrap();
    assert_eq!(rules(&session.lint()), rules(&lint(&options).unwrap()));
    let orphan = |r: &k8s_lint_core::Report| {
        rules(r)
            .iter()
            .any(|(r, f, _)| r == "kustomize-orphan-manifest" && f.ends_with("db.sops.yaml"))
    };
    assert!(!orphan(&session.lint()));
    // The generator no longer lists the file: it is an orphan now, as a fresh lint says.
    let none = lists.replace("files:\n  - ./db.sops.yaml\n", "files: []\n");
    for text in [none.as_str(), lists] {
        let edit = session.edit(&top.join("secret-generator.yaml"), Some(text.to_string()));
        assert_eq!(edit.unwrap(), Edit::File);
        std::fs::write(top.join("secret-generator.yaml"), text).unwrap();
        let (kept, fresh) = (session.lint(), lint(&options).unwrap());
        assert_eq!(rules(&kept), rules(&fresh), "after {text:?}");
        assert_eq!(orphan(&kept), text == none);
    }
}

/// A buffer whose file is not on disk yet (`:e service.yaml` in Neovim or Helix, not saved) is
/// linted where the walk would find it once saved, until it is closed unsaved.
#[test]
fn an_unsaved_new_file_counts_until_it_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    std::fs::write(top.join("ingress.yaml"), INGRESS).unwrap();
    let mut options = Options::new(vec![top.clone()]);
    options.repo_top = Some(top.clone());
    let mut session = Session::open(options.clone()).unwrap();
    let before = session.lint();
    let missing = |r: &k8s_lint_core::Report| {
        rules(r)
            .iter()
            .any(|(rule, _, _)| rule == "ingress-service-missing")
    };
    assert!(missing(&before));

    let service = SERVICE.replace("other", "web");
    let path = top.join("apps").join("service.yaml");
    let edit = session.edit(&path, Some(service.clone()));
    assert_eq!(edit.unwrap(), Edit::Reloaded);
    let after = session.lint();
    assert!(!missing(&after));
    assert!(!path.exists(), "nothing is written");
    // As if it had been saved.
    std::fs::create_dir(top.join("apps")).unwrap();
    std::fs::write(&path, &service).unwrap();
    assert_eq!(rules(&after), rules(&lint(&options).unwrap()));
    std::fs::remove_dir_all(top.join("apps")).unwrap();

    // Further edits of the buffer go through the kept trees, as for any walked file.
    let edit = session.edit(&path, Some(SERVICE.into()));
    assert_eq!(edit.unwrap(), Edit::File);
    assert!(missing(&session.lint()));
    let edit = session.edit(&path, Some(service.clone()));
    assert_eq!(edit.unwrap(), Edit::File);
    assert!(!missing(&session.lint()));

    // Closed without saving: gone, and no finding says it cannot be read.
    let edit = session.edit(&path, None);
    assert_eq!(edit.unwrap(), Edit::Reloaded);
    assert_eq!(rules(&session.lint()), rules(&before));
}

/// An unsaved buffer counts only where the walk would have found a saved file: not in a
/// hidden, ignored or excluded directory, and not through a symlink out of the repository
/// (where nothing is looked at).
#[test]
fn an_unsaved_buffer_where_the_walk_would_not_look_is_not_linted() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    std::fs::create_dir(top.join(".git")).unwrap();
    std::fs::write(top.join("ingress.yaml"), INGRESS).unwrap();
    std::fs::write(top.join(".gitignore"), "scratch/\n").unwrap();
    let outside = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), top.join("out")).unwrap();
    let mut options = Options::new(vec![top.clone()]);
    options.repo_top = Some(top.clone());
    options.exclude = vec!["drafts/**".into()];
    options.globs_base = Some(top.clone());
    let mut session = Session::open(options.clone()).unwrap();
    let before = session.lint();
    assert!(rules(&before)
        .iter()
        .any(|(rule, _, _)| rule == "ingress-service-missing"));

    let service = SERVICE.replace("other", "web");
    let mut places = vec![
        top.join(".hidden/service.yaml"),
        top.join("scratch/service.yaml"),
        top.join("drafts/service.yaml"),
        top.join("node_modules/service.yaml"),
    ];
    if cfg!(unix) {
        places.push(top.join("out/service.yaml"));
    }
    for path in places {
        session.edit(&path, Some(service.clone())).unwrap();
        let report = session.lint();
        assert_eq!(rules(&report), rules(&before), "{}", path.display());
        assert!(report.files.iter().all(|f| *f.path != *path));
        session.edit(&path, None).unwrap();
    }
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

/// Every finding with its message: what a kept per-instance finding must match exactly.
fn messages(report: &k8s_lint_core::Report) -> Vec<(String, String, u32, String)> {
    report
        .findings
        .iter()
        .map(|f| {
            let file = report.file(f.primary.span.file);
            let at = f.primary.span.start;
            (
                f.rule.to_string(),
                file.display().to_string(),
                at,
                f.message.clone(),
            )
        })
        .collect()
}

/// The session's lint after an unsaved edit equals a cold lint of the same text on disk.
fn edit_and_compare(session: &mut Session, options: &Options, path: &std::path::Path, text: &str) {
    session.edit(path, Some(text.to_string())).unwrap();
    std::fs::write(path, text).unwrap();
    assert_eq!(
        messages(&session.lint()),
        messages(&lint(options).unwrap()),
        "after editing {}",
        path.display()
    );
}

#[test]
fn kept_per_instance_findings_follow_namespace_build_and_patches() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(top.join("app")).unwrap();
    std::fs::create_dir_all(top.join("clusters")).unwrap();
    let ingress = INGRESS.replace("- path: /", "- path: relative");
    std::fs::write(top.join("app/ingress.yaml"), &ingress).unwrap();
    let kustomization = "resources:\n  - ingress.yaml\nnamespace: one\n";
    std::fs::write(top.join("app/kustomization.yaml"), kustomization).unwrap();
    let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  path: ./app\n  targetNamespace: a\n  sourceRef:\n    kind: GitRepository\n    name: repo\n";
    std::fs::write(top.join("clusters/app.yaml"), flux).unwrap();
    let mut options = Options::new(vec![top.clone()]);
    options.repo_top = Some(top.clone());
    let mut session = Session::open(options.clone()).unwrap();
    let first = session.lint();
    assert_eq!(messages(&first), messages(&lint(&options).unwrap()));
    let invalid = |r: &k8s_lint_core::Report| {
        messages(r)
            .into_iter()
            .filter(|(rule, ..)| rule == "ingress-spec-invalid")
            .map(|(.., m)| m)
            .collect::<Vec<_>>()
    };
    assert!(
        invalid(&first)[0].contains("`a/web`"),
        "{first:?}",
        first = invalid(&first)
    );

    // A GitOps app in another file moves the Ingress: the kept finding names the new place.
    let moved = flux.replace("targetNamespace: a", "targetNamespace: b");
    edit_and_compare(
        &mut session,
        &options,
        &top.join("clusters/app.yaml"),
        &moved,
    );
    assert!(invalid(&session.lint())[0].contains("`b/web`"));

    // Without the app, the kustomization's namespace is the Ingress's.
    let no_target = flux.replace("  targetNamespace: a\n", "");
    edit_and_compare(
        &mut session,
        &options,
        &top.join("clusters/app.yaml"),
        &no_target,
    );
    assert!(invalid(&session.lint())[0].contains("`one/web`"));
    let renamed = kustomization.replace("one", "two");
    let kust = top.join("app/kustomization.yaml");
    edit_and_compare(&mut session, &options, &kust, &renamed);
    assert!(invalid(&session.lint())[0].contains("`two/web`"));

    // A patch in the kustomization fixes the path: the instance is no longer as written.
    let patched = format!(
        "{renamed}patches:\n  - patch: |\n      - op: replace\n        path: /spec/rules/0/http/paths/0/path\n        value: /\n    target:\n      kind: Ingress\n"
    );
    edit_and_compare(&mut session, &options, &kust, &patched);
    edit_and_compare(&mut session, &options, &kust, &renamed);
    assert_eq!(invalid(&session.lint()).len(), 1);

    // Fixed in its own file: the kept finding goes with the file's edit.
    edit_and_compare(
        &mut session,
        &options,
        &top.join("app/ingress.yaml"),
        INGRESS,
    );
    assert!(invalid(&session.lint()).is_empty());
    edit_and_compare(
        &mut session,
        &options,
        &top.join("app/ingress.yaml"),
        &ingress,
    );
    assert_eq!(invalid(&session.lint()).len(), 1);
}

#[test]
fn a_kept_finding_is_not_used_once_a_substitution_changes_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(top.join("app")).unwrap();
    std::fs::create_dir_all(top.join("clusters")).unwrap();
    let ingress = INGRESS.replace("- path: /", "- path: ${ROOT}");
    std::fs::write(top.join("app/ingress.yaml"), &ingress).unwrap();
    let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  path: ./app\n  sourceRef:\n    kind: GitRepository\n    name: repo\n  postBuild:\n    substitute:\n      ROOT: docs\n";
    let app = top.join("clusters/app.yaml");
    std::fs::write(&app, flux).unwrap();
    let mut options = Options::new(vec![top.clone()]);
    options.repo_top = Some(top.clone());
    let mut session = Session::open(options.clone()).unwrap();
    let invalid = |r: &k8s_lint_core::Report| {
        r.findings
            .iter()
            .filter(|f| f.rule == "ingress-spec-invalid")
            .count()
    };
    assert_eq!(invalid(&session.lint()), 1);
    // Without the variable the tree is the file's own, and its finding is kept.
    let plain = flux.replace("  postBuild:\n    substitute:\n      ROOT: docs\n", "");
    edit_and_compare(&mut session, &options, &app, &plain);
    let kept = invalid(&session.lint());
    // The variable now makes the path absolute: what was kept for the file's tree is not it.
    edit_and_compare(&mut session, &options, &app, &flux.replace("docs", "/docs"));
    assert_eq!(invalid(&session.lint()), 0, "as written: {kept}");
}

/// Every finding with whether a suppression covers it: kept suppressions must cover the same.
fn suppressed(report: &k8s_lint_core::Report) -> Vec<((String, String, u32), bool)> {
    let covered = report.findings.iter().map(|f| f.suppressed.is_some());
    rules(report).into_iter().zip(covered).collect()
}

#[test]
fn kept_suppressions_follow_edits_of_their_own_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    let (ingress, service) = (top.join("ingress.yaml"), top.join("service.yaml"));
    std::fs::write(&ingress, INGRESS).unwrap();
    std::fs::write(&service, SERVICE).unwrap();
    let mut options = Options::new(vec![top.clone()]);
    options.repo_top = Some(top.clone());
    // Suppressed findings stay in the report, marked, so the test sees what covers them.
    options.show_suppressed = true;
    let mut session = Session::open(options.clone()).unwrap();
    let missing = |report: &k8s_lint_core::Report| {
        report
            .findings
            .iter()
            .filter(|f| f.rule == "ingress-service-missing")
            .map(|f| f.suppressed.is_some())
            .collect::<Vec<_>>()
    };
    let compare = |session: &mut Session, path: &std::path::Path, text: &str| {
        session.edit(path, Some(text.to_string())).unwrap();
        std::fs::write(path, text).unwrap();
        let (kept, cold) = (session.lint(), lint(&options).unwrap());
        assert_eq!(
            suppressed(&kept),
            suppressed(&cold),
            "after editing {path:?}"
        );
        missing(&kept)
    };
    assert_eq!(missing(&session.lint()), [false]);
    // A comment added to the Ingress's file covers the finding at once...
    let commented = INGRESS.replace(
        "                name: web\n",
        "                # k8s-lint-ignore ingress-service-missing -- made by hand\n                name: web\n",
    );
    assert_eq!(compare(&mut session, &ingress, &commented), [true]);
    // ...and still does after an edit of another file, which keeps it.
    let other = SERVICE.replace("other", "another");
    assert_eq!(compare(&mut session, &service, &other), [true]);
    // An annotation instead of the comment.
    let annotated = INGRESS.replacen(
        "  name: web\n",
        "  name: web\n  annotations:\n    k8s-lint.io/ignore: ingress-service-missing -- made by hand\n",
        1,
    );
    assert_eq!(compare(&mut session, &ingress, &annotated), [true]);
    assert_eq!(compare(&mut session, &service, SERVICE), [true]);
    // Removing it brings the finding back.
    assert_eq!(compare(&mut session, &ingress, INGRESS), [false]);
}
