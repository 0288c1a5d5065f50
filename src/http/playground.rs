//! `GET /`: the playground, one self-contained page (no build step, nothing
//! fetched from elsewhere). It lists the templates from `/v1/templates`,
//! edits their sample data with errors from `/v1/validate` shown on their
//! lines, renders through `/v1/render` (a PDF previewed in the page, DOCX and
//! XLSX downloaded) and converts dropped images through `/v1/images`.

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// Jobs shown next to the templates: the XLSX samples, whose `workbook` is
/// what the editor holds.
const EXAMPLES: &[(&str, &str, &str)] = &[
    (
        "Sales report (XLSX)",
        "A workbook with typed columns, formulas, totals, a table and a chart",
        include_str!("../../samples/xlsx-sales-report.json"),
    ),
    (
        "Every column type (XLSX)",
        "One sheet with a column of each type the XLSX job knows",
        include_str!("../../samples/xlsx-all-types.json"),
    ),
];

static PAGE: LazyLock<String> = LazyLock::new(|| {
    // The sample jobs go in as written, so the editor shows their keys in
    // their order.
    let examples: Vec<String> = EXAMPLES
        .iter()
        .map(|(name, description, job)| {
            let head = json!({"name": name, "description": description, "field": "workbook"});
            let head = head.to_string();
            format!("{},\"job\":{}}}", &head[..head.len() - 1], job.trim())
        })
        .collect();
    // `</` cannot end the script element early: JSON may write it as `<\/`.
    let examples = format!("[{}]", examples.join(",")).replace("</", "<\\/");
    include_str!("playground.html").replacen("/*EXAMPLES*/[]", &examples, 1)
});

/// The playground: edit a template's sample data or a workbook and render it.
///
/// Lists the templates, checks the job as it is edited (`/v1/validate`,
/// errors on their lines), renders it (`/v1/render`: a PDF previewed in the
/// page, DOCX and XLSX downloaded) and converts dropped images
/// (`/v1/images`). A single file: nothing is fetched from elsewhere.
#[utoipa::path(get, path = "/", tag = "pages", operation_id = "playground",
    responses((status = 200, description = "The playground, an HTML page", body = String, content_type = "text/html")))]
pub async fn page() -> Response {
    let mut response = Html(PAGE.as_str()).into_response();
    let headers = response.headers_mut();
    // Inline script and style only; requests to this server; the rendered
    // PDF shown from a blob: URL in a frame.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' blob:; img-src 'self' data: blob:; frame-src blob:; object-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The examples are injected, and each is a job whose field the editor
    /// shows is there.
    #[test]
    fn examples_are_injected_into_the_page() {
        assert!(!PAGE.contains("/*EXAMPLES*/"));
        let start = PAGE.find("const EXTRA_EXAMPLES = ").expect("examples") + 23;
        let end = start + PAGE[start..].find(";\n").expect("end of examples");
        let examples: Vec<Value> =
            serde_json::from_str(&PAGE[start..end]).expect("the examples are JSON");
        assert_eq!(examples.len(), EXAMPLES.len());
        for example in examples {
            let field = example["field"].as_str().expect("field");
            assert!(example["job"][field].is_object(), "{example}");
            assert_eq!(example["job"]["format"], "xlsx");
        }
    }
}
