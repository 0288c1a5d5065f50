//! The job as it arrives on the wire. Nothing here is trusted: `job::validate`
//! turns it into a [`super::Job`] or a list of problems.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::xlsx::WorkbookSpec;

/// A job description: what to produce and from what.
///
/// `format` picks the generator; the other fields are read by the formats that
/// use them (see DESIGN.md). Enum-like fields are plain strings so that a wrong
/// value is reported together with every other problem, not alone.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "format": "xlsx",
    "filename": "sales.xlsx",
    "workbook": {"sheets": [{
        "name": "Sales",
        "columns": [
            {"header": "Month", "type": "date"},
            {"header": "Revenue", "type": "currency", "currency": "EUR", "total": "sum"}
        ],
        "rows": [["2026-01-01", 1200.5], ["2026-02-01", 1350.0]],
        "totals": true
    }]}
}))]
pub struct JobRequest {
    /// Output format: `pdf`, `docx`, `xlsx`, `image` or `zip`.
    #[schema(example = "xlsx")]
    pub format: Option<String>,
    /// File name for `Content-Disposition` (default: `document.<ext>`, or the template name).
    #[schema(example = "report.xlsx")]
    pub filename: Option<String>,
    /// Name of a stored or built-in template (pdf, docx, xlsx).
    pub template: Option<String>,
    /// The version of a stored template to render (default: its latest).
    #[schema(example = 3, minimum = 1)]
    pub template_version: Option<i64>,
    /// Template markup sent inline instead of `template` (pdf, docx).
    pub template_source: Option<String>,
    /// Data bound into the template.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    /// A document model sent directly (pdf, docx).
    #[schema(value_type = Option<Object>)]
    pub document: Option<Value>,
    /// The workbook model (xlsx).
    pub workbook: Option<WorkbookSpec>,
    /// Format-specific options.
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
    /// Image source reference (`file:NAME` or a `data:` URL) (image).
    pub source: Option<String>,
    /// Resize parameters (image).
    #[schema(value_type = Option<Object>)]
    pub resize: Option<Value>,
    /// Output encoding parameters (image).
    #[schema(value_type = Option<Object>)]
    pub output: Option<Value>,
    /// Remove EXIF/XMP metadata (image, default true).
    pub strip_metadata: Option<bool>,
    /// Rotate according to EXIF orientation (image, default true).
    pub auto_orient: Option<bool>,
    /// Archive entries (zip).
    #[schema(value_type = Option<Vec<Object>>)]
    pub entries: Option<Value>,
    /// One template job over many data items (zip).
    pub batch: Option<BatchRequest>,
    /// What a failed entry does (zip): `fail` (default) fails the request,
    /// `skip` leaves the entry out and lists its error in `manifest.json`.
    #[schema(example = "skip")]
    pub on_error: Option<String>,
    /// Whether `manifest.json` (every entry, its size, or its error) ends
    /// the archive (zip; default: only with `on_error: "skip"`).
    pub manifest: Option<bool>,
}

/// A zip job's batch: one document job rendered once per data item, one
/// entry each.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "path": "letters/{{ name | lower }}.pdf",
    "job": {"format": "pdf", "template_source": "<document><p>Dear {{ name }},</p><p>your order {{ order }} has shipped.</p></document>"},
    "items": [{"name": "Ada", "order": "A-1001"}, {"name": "Grace", "order": "A-1002"}]
}))]
pub struct BatchRequest {
    /// The entry path of each item: a minijinja template over the item's
    /// fields, `item` (the whole item) and `index` (1-based).
    pub path: Option<String>,
    /// The pdf or docx job each item is rendered with, without `data`.
    #[schema(value_type = Option<Object>)]
    pub job: Option<Value>,
    /// The data of each document. Kept as JSON text until its document is
    /// rendered, so a batch of thousands holds little more than its request.
    #[schema(value_type = Option<Vec<Object>>)]
    pub items: Option<Vec<Box<RawValue>>>,
    /// `auto` (default), `store` or `deflate`.
    pub compression: Option<String>,
}
