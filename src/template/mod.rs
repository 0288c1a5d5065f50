//! Templates: minijinja over docsmith markup, sandboxed, with formatting
//! filters for money, numbers, percentages and dates.

mod engine;
pub mod filters;
pub mod locale;

pub use engine::{
    TemplateError, TemplateLimits, add_checked, check_shape, check_syntax, environment, locate,
    render,
};
pub use filters::register as register_filters;
