//! A lint kept warm for an editor: the repository is walked, read and parsed once, and after
//! that only the file that changed is read and parsed again. What depends on one file alone is
//! kept with its tree and made again only for that file: its objects and their typed views;
//! the kustomize model only when a kustomization (or a plugin config it reads) changed. The
//! builds, the index and the rules then run over what is kept, so a finding in one file still
//! follows an edit in another; the per-instance rules (`rule::InstanceRule`) run again only on
//! the instances whose findings the edit may change (see `memo`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::index::{decode_all, Decoded};
use crate::kustomize::{is_kustomization, Model};
use crate::load::{self, Loaded, Overlay};
use crate::memo::Memo;
use crate::object::Objects;
use crate::source::{normalize, FileId, SourceFile};
use crate::yaml::{self, Parsed};
use crate::{
    check, finish, links_only, load_files, model_of, objects_of, Clock, Kept, LoadError, Options,
    Report,
};

pub struct Session {
    options: Options,
    loaded: Loaded,
    /// One tree per file of `loaded.files`, owning its strings so the text can be replaced.
    parsed: Vec<Parsed<'static>>,
    /// The objects of `parsed`, kept with them: an edit replaces one file's.
    objects: Objects,
    /// The kustomize model of `parsed`, made again only when an edit can change it.
    model: Model,
    /// The typed view of each of `objects` as written, in the same order.
    views: Vec<Decoded>,
    /// Manifests and scripts by absolute path: `Ok` an index into `loaded.files`, `Err` one
    /// into `loaded.scripts`.
    by_path: HashMap<PathBuf, Result<usize, usize>>,
    /// Editors' buffers, by absolute path: they stand in for the disk on every read.
    buffers: HashMap<PathBuf, String>,
    /// What the per-instance rules found about each instance, while it holds.
    memo: Memo,
}

/// What an edit did to a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    /// One file's text was replaced and parsed again.
    File,
    /// The repository was walked and read again (a new file, or a file read from disk).
    Reloaded,
    /// Not a file of the linted tree: nothing changed.
    Outside,
}

impl Session {
    /// Walk, read and parse the repository once. `options.overlay` is replaced by the session's
    /// buffers.
    pub fn open(mut options: Options) -> Result<Session, LoadError> {
        options.overlay = Overlay::default();
        let loaded = load_files(&options)?;
        let parsed: Vec<Parsed<'static>> = loaded
            .files
            .par_iter()
            .enumerate()
            .map(|(i, f)| parse_owned(i, &f.text))
            .collect();
        let model = model_of(&loaded, &parsed, &options);
        let objects = objects_of(&loaded, &parsed);
        Ok(Session {
            model,
            views: decode_all(&objects.list, &parsed),
            objects,
            options,
            by_path: by_path(&loaded),
            loaded,
            parsed,
            buffers: HashMap::new(),
            memo: Memo::default(),
        })
    }

    /// Walk and read the repository again (files were created, deleted or saved; `options`:
    /// a new configuration). A file whose text did not change keeps its tree.
    pub fn reload(&mut self, options: Option<Options>) -> Result<(), LoadError> {
        if let Some(options) = options {
            self.options = options;
        }
        self.options.overlay = Overlay::new(self.buffers.clone());
        let loaded = load_files(&self.options)?;
        // A file whose text did not change keeps its tree; one that moved in the walk (a file
        // was added or removed before it) has its spans renamed to its new place.
        let mut old: Vec<Option<Parsed<'static>>> = std::mem::take(&mut self.parsed)
            .into_iter()
            .map(Some)
            .collect();
        let mut parsed: Vec<Option<Parsed<'static>>> = loaded
            .files
            .iter()
            .enumerate()
            .map(|(i, new)| {
                let Some(&Ok(was)) = self.by_path.get(&*new.path) else {
                    return None;
                };
                if self.loaded.files.get(was)?.text != new.text {
                    return None;
                }
                let mut tree = old.get_mut(was)?.take()?;
                if was != i {
                    tree.refile(FileId(i as u32));
                }
                Some(tree)
            })
            .collect();
        parsed
            .par_iter_mut()
            .zip(&loaded.files)
            .enumerate()
            .filter(|(_, (p, _))| p.is_none())
            .for_each(|(i, (p, f))| *p = Some(parse_owned(i, &f.text)));
        self.parsed = parsed.into_iter().map(Option::unwrap_or_default).collect();
        self.objects = objects_of(&loaded, &self.parsed);
        self.views = decode_all(&self.objects.list, &self.parsed);
        self.model = model_of(&loaded, &self.parsed, &self.options);
        self.by_path = by_path(&loaded);
        self.loaded = loaded;
        // File ids, build ids and the options may all have changed.
        self.memo.clear();
        Ok(())
    }

    /// An editor's buffer: `Some(text)` opened or changed, `None` closed (the disk holds the
    /// file again).
    pub fn edit(&mut self, path: &Path, text: Option<String>) -> Result<Edit, LoadError> {
        let path = normalize(path);
        let place = self.by_path.get(&path).copied();
        match (text, place) {
            // A buffer of a file the walk did not find (new, outside the roots, filtered out
            // or outside the repository): the walk decides, as it does for the disk.
            (text, None) => {
                let inside = self.loaded.roots.iter().any(|r| path.starts_with(r));
                match text {
                    Some(t) => self.buffers.insert(path.clone(), t),
                    None => self.buffers.remove(&path),
                };
                if !inside || !(load::is_candidate(&path) || crate::scripts::is_script(&path)) {
                    self.buffers.remove(&path);
                    return Ok(Edit::Outside);
                }
                self.reload(None)?;
                Ok(Edit::Reloaded)
            }
            // The overlay is rebuilt from the buffers at the next reload, the only read.
            (Some(t), Some(Ok(i))) => {
                let id = FileId(i as u32);
                let (file, problem, skip) = load::from_buffer(
                    id,
                    &self.loaded.files[i],
                    t.clone(),
                    self.options.max_file_size,
                );
                self.buffers.insert(path, t);
                self.loaded.problems.retain(|(f, _)| *f != id);
                if let Some(p) = problem {
                    self.loaded.problems.push((id, p));
                    self.loaded.problems.sort_by_key(|(f, _)| *f);
                }
                self.loaded.skipped.retain(|f| *f != id);
                if skip {
                    self.loaded.skipped.push(id);
                    self.loaded.skipped.sort();
                }
                let was_read = self.model.read_by_model(id);
                self.parsed[i] = parse_owned(i, &file.text);
                let kustomization = is_kustomization(&file, &self.parsed[i]);
                let before = self.objects.by_file[i].clone();
                self.objects
                    .replace(i, (!kustomization).then_some(&self.parsed[i]));
                let after = self.objects.by_file[i].clone();
                let list = &self.objects.list[after.start as usize..after.end as usize];
                let decoded = decode_all(list, &self.parsed);
                self.views
                    .splice(before.start as usize..before.end as usize, decoded);
                self.loaded.files[i] = file;
                self.memo.forget(id);
                if was_read || kustomization {
                    self.model = model_of(&self.loaded, &self.parsed, &self.options);
                    // Builds are numbered again, and their transformers may have changed.
                    self.memo.clear();
                }
                Ok(Edit::File)
            }
            (Some(t), Some(Err(i))) => {
                let old = &self.loaded.scripts[i];
                self.loaded.scripts[i] =
                    SourceFile::new(old.path.to_path_buf(), old.display().to_string(), t.clone());
                self.buffers.insert(path, t);
                Ok(Edit::File)
            }
            // Closed: read from disk again, through the walk and its fence.
            (None, Some(_)) => {
                self.buffers.remove(&path);
                self.reload(None)?;
                Ok(Edit::Reloaded)
            }
        }
    }

    /// Where the references of the kept trees lead (what `Options::links` adds to a report),
    /// without running the rules: an editor needs them only when asked for a definition.
    pub fn links(&self) -> Vec<crate::navigate::Link> {
        links_only(
            &self.loaded,
            &self.parsed,
            &self.objects,
            Some(self.kept()),
            &self.options,
        )
    }

    fn kept(&self) -> Kept<'_> {
        Kept {
            model: &self.model,
            views: &self.views,
        }
    }

    /// Lint the kept trees (keeping what the per-instance rules find, for the next lint).
    pub fn lint(&mut self) -> Report {
        let mut clock = Clock::start();
        let kept = Kept {
            model: &self.model,
            views: &self.views,
        };
        let checked = check(
            &self.loaded,
            &self.parsed,
            &self.objects,
            Some(kept),
            Some(&mut self.memo),
            &self.options,
            &mut clock,
        );
        finish(self.loaded.clone(), checked, &self.options, clock)
    }

    pub fn options(&self) -> &Options {
        &self.options
    }
}

fn by_path(loaded: &Loaded) -> HashMap<PathBuf, Result<usize, usize>> {
    let files = loaded.files.iter().enumerate();
    let scripts = loaded.scripts.iter().enumerate();
    files
        .map(|(i, f)| (f.path.to_path_buf(), Ok(i)))
        .chain(scripts.map(|(i, f)| (f.path.to_path_buf(), Err(i))))
        .collect()
}

fn parse_owned(i: usize, text: &str) -> Parsed<'static> {
    yaml::parse(FileId(i as u32), text).into_owned()
}
