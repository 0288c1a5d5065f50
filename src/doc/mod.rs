//! The format-neutral document model and its two sources.
//!
//! A [`Document`] comes from markup (what a template renders, or a job's
//! `template_source`) or from the JSON `document` of a job. Both are first
//! read into the same element tree ([`node::Node`]) and then lowered by one
//! function ([`lower::lower`]) that knows every element and attribute, checks
//! every value and resolves styles. The PDF and DOCX generators only ever see
//! the validated [`Document`].
//!
//! The elements and attributes are documented for template authors in
//! `templates/README.md`; [`lower`] is the reference.

pub mod json;
pub mod lower;
pub mod markup;
pub mod model;
pub mod node;

use std::collections::BTreeMap;

pub use model::*;
pub use node::{DocError, Loc};

/// Files a document may reference as `file:NAME` (multipart parts, `--file`).
pub type Files = BTreeMap<String, bytes::Bytes>;

/// "no file named …", with the names of the files that were sent.
pub fn missing_file(name: &str, files: &Files) -> String {
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    if names.is_empty() {
        format!("no file named {name:?}: the job has no files")
    } else {
        format!("no file named {name:?}; files sent: {}", names.join(", "))
    }
}

/// What lowering may read besides the tree, and the limits it enforces.
#[derive(Debug, Clone, Copy)]
pub struct Assets<'a> {
    pub files: &'a Files,
    /// Largest image accepted, in pixels (width × height), checked from the
    /// image header before anything is decoded.
    pub max_image_pixels: u64,
    /// The fonts `font` attributes may name; `None` accepts any name.
    pub fonts: Option<&'a crate::fonts::FontBook>,
}

/// Default for [`Assets::max_image_pixels`]: 50 megapixels.
pub const DEFAULT_MAX_IMAGE_PIXELS: u64 = 50_000_000;

/// Reads markup into a document.
pub fn from_markup(source: &str, assets: Assets<'_>) -> Result<Document, Vec<DocError>> {
    let tree = markup::parse(source).map_err(|e| vec![e])?;
    lower::lower(tree, assets)
}

/// Reads the JSON form of a document (a job's `document`), whose pointers
/// start at `pointer` (`/document`).
pub fn from_json(
    value: &serde_json::Value,
    pointer: &str,
    assets: Assets<'_>,
) -> Result<Document, Vec<DocError>> {
    let tree = json::to_tree(value, pointer)?;
    lower::lower(tree, assets)
}
