//! Stored templates: `PUT /v1/templates/{name}` keeps every version in the
//! job database (so every node sees it), per API key like jobs. A job names
//! a stored template as it names a built-in one, optionally with
//! `template_version`; [`Store::resolve`] fetches the versions a job names
//! and adds them to its catalog before it is validated.
//!
//! Versions count 1, 2, … per name and are never reused: DELETE marks every
//! version deleted, and a later PUT of the name continues the count, so a
//! pinned version always means the markup it meant when it was pinned.

use std::collections::{BTreeMap, BTreeSet};

use super::store::{Store, StoreError};
use crate::templates::{Catalog, StoredSource};

/// Longest template name.
pub const MAX_NAME_CHARS: usize = 64;

/// Most stored templates one job may name (its entries' included).
pub const MAX_PER_JOB: usize = 256;

/// The version of each stored template a job renders, by name: fixed when
/// an async job is submitted, so that its runs render the same.
pub type Pins = BTreeMap<String, i64>;

/// One version of a stored template.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TemplateRow {
    pub name: String,
    pub version: i64,
    pub source: String,
    pub description: String,
    /// JSON text.
    pub sample_data: Option<String>,
    pub created_at: i64,
}

/// A version's number and date, for the version list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VersionRow {
    pub version: i64,
    pub created_at: i64,
}

/// A template to store (validated by the caller).
#[derive(Debug)]
pub struct NewTemplate<'a> {
    pub owner: &'a str,
    pub name: &'a str,
    pub source: &'a str,
    pub description: &'a str,
    pub sample_data: Option<&'a str>,
    pub created_at: i64,
}

/// What [`Store::put_template`] did.
#[derive(Debug)]
pub enum Put {
    /// A new version.
    Created(TemplateRow),
    /// The latest version holds the same template already.
    Unchanged(TemplateRow),
    /// Nothing: the owner keeps as many versions as it may.
    Full,
}

/// Whether `name` may name a stored template: 1 to 64 ASCII letters,
/// digits, `-`, `_` and `.`, starting with a letter or digit (so it is a
/// path segment as is, and never a version key `NAME@N`).
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_CHARS
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a template name is 1 to {MAX_NAME_CHARS} ASCII letters, digits, '-', '_' or '.', \
             starting with a letter or digit"
        ))
    }
}

/// The columns of [`TemplateRow`], for every query that reads them.
macro_rules! template_columns {
    () => {
        "name, version, source, description, sample_data, created_at"
    };
}

impl Store {
    /// Stores `new` as the next version of its name, unless the latest
    /// version is the same template, or its owner keeps `limit` versions
    /// already. Concurrent PUTs of one name each get their own version: an
    /// insert that lost the race for a number tries the next.
    pub async fn put_template(&self, new: &NewTemplate<'_>, limit: u64) -> Result<Put, StoreError> {
        const INSERT: &str = concat!(
            "INSERT INTO docsmith_templates \
             (owner, name, version, source, description, sample_data, created_at) \
             SELECT $1, $2, COALESCE(MAX(version), 0) + 1, $3, $4, $5, $6 \
             FROM docsmith_templates WHERE owner = $1 AND name = $2 \
             ON CONFLICT DO NOTHING RETURNING ",
            template_columns!()
        );
        for _ in 0..8 {
            if let Some(latest) = self.template(new.owner, new.name, None).await?
                && latest.source == new.source
                && latest.description == new.description
                && latest.sample_data.as_deref() == new.sample_data
            {
                return Ok(Put::Unchanged(latest));
            }
            if self.count_templates(new.owner).await? >= limit {
                return Ok(Put::Full);
            }
            let inserted: Option<TemplateRow> = each!(self, pool => sqlx::query_as(INSERT)
                .bind(new.owner)
                .bind(new.name)
                .bind(new.source)
                .bind(new.description)
                .bind(new.sample_data)
                .bind(new.created_at)
                .fetch_optional(pool)
                .await?);
            if let Some(row) = inserted {
                return Ok(Put::Created(row));
            }
        }
        Err(StoreError::Config(format!(
            "template {:?}: too many concurrent uploads",
            new.name
        )))
    }

    /// Version `version` of `owner`'s template `name`, or its latest; not
    /// a deleted one.
    pub async fn template(
        &self,
        owner: &str,
        name: &str,
        version: Option<i64>,
    ) -> Result<Option<TemplateRow>, StoreError> {
        const EXACT: &str = concat!(
            "SELECT ",
            template_columns!(),
            " FROM docsmith_templates \
             WHERE owner = $1 AND name = $2 AND version = $3 AND deleted_at IS NULL"
        );
        const LATEST: &str = concat!(
            "SELECT ",
            template_columns!(),
            " FROM docsmith_templates WHERE owner = $1 AND name = $2 AND deleted_at IS NULL \
             ORDER BY version DESC LIMIT 1"
        );
        let row = match version {
            Some(version) => {
                each!(self, pool => sqlx::query_as(EXACT)
                    .bind(owner)
                    .bind(name)
                    .bind(version)
                    .fetch_optional(pool)
                    .await?)
            }
            None => {
                each!(self, pool => sqlx::query_as(LATEST)
                    .bind(owner)
                    .bind(name)
                    .fetch_optional(pool)
                    .await?)
            }
        };
        Ok(row)
    }

    /// The versions of `owner`'s template `name`, oldest first.
    pub async fn template_versions(
        &self,
        owner: &str,
        name: &str,
    ) -> Result<Vec<VersionRow>, StoreError> {
        const SQL: &str = "SELECT version, created_at FROM docsmith_templates \
             WHERE owner = $1 AND name = $2 AND deleted_at IS NULL ORDER BY version";
        Ok(each!(self, pool => sqlx::query_as(SQL).bind(owner).bind(name).fetch_all(pool).await?))
    }

    /// The latest version of each of `owner`'s templates, by name.
    pub async fn latest_templates(&self, owner: &str) -> Result<Vec<TemplateRow>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            template_columns!(),
            " FROM docsmith_templates t WHERE owner = $1 AND deleted_at IS NULL \
             AND version = (SELECT MAX(version) FROM docsmith_templates \
                 WHERE owner = t.owner AND name = t.name AND deleted_at IS NULL) \
             ORDER BY name"
        );
        Ok(each!(self, pool => sqlx::query_as(SQL).bind(owner).fetch_all(pool).await?))
    }

    /// Deletes every version of `owner`'s template `name`; false if it has
    /// none. The last version's row stays, emptied, so that the numbers
    /// are not given again.
    pub async fn delete_template(
        &self,
        owner: &str,
        name: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        const MARK: &str = "UPDATE docsmith_templates \
             SET deleted_at = $1, source = '', description = '', sample_data = NULL \
             WHERE owner = $2 AND name = $3 AND deleted_at IS NULL";
        const PRUNE: &str = "DELETE FROM docsmith_templates \
             WHERE owner = $1 AND name = $2 AND deleted_at IS NOT NULL \
             AND version < (SELECT MAX(version) FROM docsmith_templates WHERE owner = $1 AND name = $2)";
        let deleted = each!(self, pool => sqlx::query(MARK)
            .bind(now)
            .bind(owner)
            .bind(name)
            .execute(pool)
            .await?
            .rows_affected());
        if deleted > 0 {
            each!(self, pool => sqlx::query(PRUNE).bind(owner).bind(name).execute(pool).await?.rows_affected());
        }
        Ok(deleted > 0)
    }

    /// How many versions `owner` keeps (deleted ones aside).
    async fn count_templates(&self, owner: &str) -> Result<u64, StoreError> {
        const SQL: &str =
            "SELECT COUNT(*) FROM docsmith_templates WHERE owner = $1 AND deleted_at IS NULL";
        let count: i64 =
            each!(self, pool => sqlx::query_scalar(SQL).bind(owner).fetch_one(pool).await?);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// `base` with the stored templates `refs` names added (see
    /// [`crate::job::template_refs`]), for one job of `owner`. A reference
    /// without a version gets the version `pins` holds for its name, else
    /// the latest. Returns the catalog and the version each reference
    /// without one got, to pin an async job's runs to what was submitted.
    /// Names the catalog has, or that no template could have, are not
    /// looked up (a job naming only built-in templates costs no query);
    /// nor any past the first [`MAX_PER_JOB`].
    pub async fn resolve(
        &self,
        base: &Catalog,
        owner: &str,
        refs: &BTreeSet<(String, Option<i64>)>,
        pins: &Pins,
    ) -> Result<(Catalog, Pins), StoreError> {
        let mut sources = Vec::new();
        let mut fetched = BTreeSet::new();
        let mut defaults = Pins::new();
        let mut names = BTreeSet::new();
        // By name, the reference without a version first.
        for (name, version) in refs {
            if base.is_builtin(name) || check_name(name).is_err() {
                continue;
            }
            names.insert(name.as_str());
            if names.len() > MAX_PER_JOB {
                break;
            }
            let wanted = version.or_else(|| pins.get(name).copied());
            if wanted.is_some_and(|v| fetched.contains(&(name.as_str(), v))) {
                continue;
            }
            let row = self.template(owner, name, wanted).await?;
            if version.is_none() {
                // The pinned version (even if it is gone, so that the job
                // says which), or the latest.
                if let Some(v) = wanted.or(row.as_ref().map(|r| r.version)) {
                    defaults.insert(name.clone(), v);
                }
            }
            if let Some(row) = row {
                fetched.insert((name.as_str(), row.version));
                sources.push(StoredSource {
                    name: row.name,
                    version: row.version,
                    source: row.source,
                });
            }
        }
        Ok((base.with_stored(sources, defaults.clone()), defaults))
    }
}
