//! Placeholder until the XLSX generator lands (same API).
use crate::problem::Diagnostics;
use crate::render_ctx::{Interrupted, RenderCtx};

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct WorkbookSpec {
    pub sheets: Vec<serde_json::Value>,
}
#[derive(Debug)]
pub struct Workbook;
pub fn validate(_spec: WorkbookSpec, _base: &str, _diags: &mut Diagnostics) -> Option<Workbook> {
    Some(Workbook)
}
pub fn write(_book: &Workbook, ctx: &RenderCtx) -> Result<Vec<u8>, XlsxError> {
    ctx.check()?;
    Ok(b"PK".to_vec())
}
#[derive(Debug, thiserror::Error)]
pub enum XlsxError {
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    #[error("writer: {0}")]
    Writer(#[from] rust_xlsxwriter::XlsxError),
}
