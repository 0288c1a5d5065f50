//! XLSX generation through the library, JSON parsing included: a 20-row job
//! (the HTTP load-test job) and a 100,000 × 10 sheet (the 1M-cell benchmark).
//!
//! Run: `cargo bench --bench xlsx`. The side-by-side comparison with Python
//! XlsxWriter is `bench/xlsx_1m_cells.sh`.

use criterion::{Criterion, criterion_group, criterion_main};
use docsmith::render_ctx::RenderCtx;
use docsmith::templates::Catalog;
use serde_json::{Value, json};

fn job(rows: usize) -> Vec<u8> {
    let regions = ["North", "South", "East", "West"];
    let data: Vec<Value> = (0..rows)
        .map(|i| {
            json!([
                i as i64 + 1,
                format!("2026-{:02}-{:02}", i % 12 + 1, i % 28 + 1),
                format!("Customer {:05}", i % 5000),
                regions[i % 4],
                (i % 40) as i64 + 1,
                9.99 + (i % 90) as f64,
                (i % 40 + 1) as f64 * (9.99 + (i % 90) as f64),
                (i % 30) as f64 / 100.0,
                i % 3 != 0,
                "note"
            ])
        })
        .collect();
    let columns = json!([
        {"header": "ID", "type": "integer"},
        {"header": "Date", "type": "date"},
        {"header": "Customer", "type": "string"},
        {"header": "Region", "type": "string"},
        {"header": "Units", "type": "integer"},
        {"header": "Price", "type": "currency", "currency": "EUR"},
        {"header": "Amount", "type": "number", "format": "#,##0.00"},
        {"header": "Margin", "type": "percent"},
        {"header": "Paid", "type": "bool"},
        {"header": "Note", "type": "string"}
    ]);
    let job = json!({"format": "xlsx", "workbook": {"sheets": [
        {"name": "Data", "columns": columns, "rows": data}
    ]}});
    serde_json::to_vec(&job).expect("serializable")
}

fn render(bytes: &[u8], catalog: &Catalog) -> usize {
    let request = docsmith::job::parse(bytes).expect("parses");
    let job = docsmith::job::validate(request, catalog).expect("valid");
    let mut out = Vec::new();
    docsmith::render::render(&job, &RenderCtx::default(), &mut out).expect("renders");
    out.len()
}

fn benches(c: &mut Criterion) {
    let catalog = Catalog::default();
    let small = job(20);
    c.bench_function("xlsx_20_rows", |b| b.iter(|| render(&small, &catalog)));

    let large = job(100_000);
    let mut group = c.benchmark_group("xlsx_1m_cells");
    group.sample_size(10);
    group.bench_function("100000x10", |b| b.iter(|| render(&large, &catalog)));
    group.finish();
}

criterion_group!(xlsx, benches);
criterion_main!(xlsx);
