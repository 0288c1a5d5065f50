//! Templates: minijinja over docsmith markup.

pub mod filters;
