//! The template catalog: which template names exist.
//!
//! Templates live in a directory (the built-in `templates/` or one given with
//! `--templates-dir`), one `NAME.xml` file each. Rendering them arrives with
//! the PDF generator; this catalog already answers "is there such a template"
//! so a job naming a missing one gets a 404.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    names: BTreeSet<String>,
}

impl Catalog {
    /// Reads the names of the templates in `dir`. A missing directory is an
    /// empty catalog; an unreadable one is an error.
    pub fn load(dir: &Path) -> io::Result<Catalog> {
        let mut names = BTreeSet::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Catalog::default()),
            Err(err) => return Err(err),
        };
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "xml")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            {
                names.insert(stem.to_owned());
            }
        }
        Ok(Catalog { names })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}
