//! PDF generation through the library, from job JSON to PDF bytes: the
//! one-page invoice sample (template + data) and a 1,000-row report table.
//!
//! Run: `cargo bench --bench pdf`. The side-by-side comparison with
//! WeasyPrint and ReportLab is `bench/pdf_compare.sh`; large reports are
//! `bench/pdf_report_scale.sh`.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use docsmith::render_ctx::{CancelToken, RenderCtx};
use docsmith::templates::Catalog;
use docsmith::{job, render};

fn render_once(templates: &Catalog, text: &[u8]) -> Vec<u8> {
    let request = job::parse(text).expect("job parses");
    let job = job::validate(request, templates).expect("job is valid");
    let ctx = RenderCtx::new(CancelToken::new(), None);
    let mut out = Vec::new();
    render::render(&job, &ctx, &mut out).expect("job renders");
    out
}

/// A report job with `rows` transactions, built from the report sample.
fn report(rows: usize) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read(root.join("samples/pdf-report.json")).expect("report sample");
    let mut job: serde_json::Value = serde_json::from_slice(&text).expect("sample is JSON");
    let sample = job["data"]["transactions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let rows: Vec<serde_json::Value> = sample.iter().cycle().take(rows).cloned().collect();
    job["data"]["transactions"] = serde_json::Value::Array(rows);
    serde_json::to_vec(&job).expect("job serialises")
}

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let templates = Catalog::load(&root.join("templates")).expect("templates load");
    let invoice = std::fs::read(root.join("samples/pdf-invoice.json")).expect("invoice sample");
    c.bench_function("pdf_invoice_1_page", |b| {
        b.iter(|| render_once(&templates, &invoice))
    });
    let report = report(1_000);
    let mut group = c.benchmark_group("pdf_report");
    group.sample_size(10);
    group.bench_function("rows_1000", |b| b.iter(|| render_once(&templates, &report)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
