//! docsmith: JSON jobs in, documents out.
//!
//! The same pipeline serves HTTP and the CLI: a job is parsed
//! ([`job::parse`]), validated once ([`job::validate`]) and rendered by the
//! generator of its format ([`render::render`]). See README.md for the map.

pub mod archive;
pub mod bundle;
pub mod cli;
pub mod codes;
pub mod deflate;
pub mod doc;
pub mod docx;
pub mod fonts;
pub mod format;
pub mod http;
pub mod image;
pub mod job;
pub mod layout;
pub mod pdf;
pub mod pool;
pub mod problem;
pub mod queue;
pub mod render;
pub mod render_ctx;
pub mod template;
pub mod templates;
pub mod xlsx;
