//! ZIP archives through the library: the streaming writer on its own
//! (100 entries of 40 KB, stored and deflated, into a `Vec`), and a zip job
//! whose batch renders 20 invoices (the invoice sample's data, a different
//! number and quantities per item), on the calling thread and fanned out on
//! a pool of 2 workers.
//!
//! Run: `cargo bench --bench zip`. Over HTTP (1,000 and 10,000 invoices) it
//! is `bench/zip_http.sh`; raw throughput against Info-ZIP is
//! `bench/zip_compare.sh`; archives past 4 GiB are `bench/zip_large.sh`.

use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use docsmith::archive::{Method, ZipWriter};
use docsmith::pool::Pool;
use docsmith::render_ctx::{CancelToken, RenderCtx};
use docsmith::templates::Catalog;
use docsmith::{job, render};

const ENTRIES: usize = 100;
const ENTRY_BYTES: usize = 40_000;

/// Bytes deflate cannot shrink, like a PDF's compressed streams or a JPEG.
fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

/// CSV text of `len` bytes that deflates about 3-4:1.
fn csv(len: usize, seed: usize) -> Vec<u8> {
    const CITIES: [&str; 6] = ["Hamburg", "Berlin", "München", "Köln", "Leipzig", "Bremen"];
    const STATUS: [&str; 4] = ["paid", "pending", "overdue", "refunded"];
    let mut out = String::from("id,date,customer,city,status,quantity,amount\n");
    let mut i = seed * 7919;
    while out.len() < len {
        i += 1;
        out.push_str(&format!(
            "{i},2026-{:02}-{:02},Customer {},{},{},{},{}.{:02}\n",
            1 + i % 12,
            1 + i % 28,
            (i * 31) % 997,
            CITIES[i % CITIES.len()],
            STATUS[(i / 3) % STATUS.len()],
            1 + (i * 17) % 250,
            (i * 7741) % 100_000,
            i % 100
        ));
    }
    out.truncate(len);
    out.into_bytes()
}

fn write_archive(entries: &[Vec<u8>], method: Method) -> Vec<u8> {
    let mut zip = ZipWriter::new(Vec::with_capacity(ENTRIES * ENTRY_BYTES + 16_384));
    for (i, data) in entries.iter().enumerate() {
        zip.add(&format!("entries/{i:03}.bin"), data, method)
            .expect("entry added");
    }
    zip.finish().expect("archive finished")
}

/// A zip job whose batch renders `items` invoices.
fn invoice_batch(root: &Path, items: usize) -> Vec<u8> {
    let text = std::fs::read(root.join("samples/pdf-invoice.json")).expect("invoice sample");
    let sample: serde_json::Value = serde_json::from_slice(&text).expect("sample is JSON");
    let items: Vec<serde_json::Value> = (1..=items)
        .map(|i| {
            let mut data = sample["data"].clone();
            let number = format!("INV-2026-{i:06}");
            data["invoice"]["number"] = number.clone().into();
            data["payment"]["reference"] = number.into();
            data["buyer"]["name"] = format!("Customer {i}").into();
            if let Some(lines) = data["items"].as_array_mut() {
                for (n, line) in lines.iter_mut().enumerate() {
                    line["quantity"] = (1 + (i * 7 + n * 3) % 40).into();
                }
            }
            data
        })
        .collect();
    let job = serde_json::json!({
        "format": "zip",
        "batch": {
            "path": "invoices/{{ invoice.number }}.pdf",
            "job": {"format": "pdf", "template": "invoice"},
            "items": items,
        },
    });
    serde_json::to_vec(&job).expect("job serialises")
}

fn bench(c: &mut Criterion) {
    let stored: Vec<Vec<u8>> = (0..ENTRIES)
        .map(|i| noise(ENTRY_BYTES, 0x9E37_79B9 ^ i as u32))
        .collect();
    let text: Vec<Vec<u8>> = (0..ENTRIES).map(|i| csv(ENTRY_BYTES, i)).collect();
    let deflated = write_archive(&text, Method::Deflate);
    assert!(
        deflated.len() < ENTRIES * ENTRY_BYTES / 2,
        "the text entries deflate"
    );
    let mut group = c.benchmark_group("zip_writer");
    group.throughput(Throughput::Bytes((ENTRIES * ENTRY_BYTES) as u64));
    group.bench_function("100 x 40 KB stored", |b| {
        b.iter(|| write_archive(&stored, Method::Store))
    });
    group.bench_function("100 x 40 KB text deflated", |b| {
        b.iter(|| write_archive(&text, Method::Deflate))
    });
    group.finish();

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let templates = Catalog::load(&root.join("templates")).expect("templates load");
    let batch = invoice_batch(root, 20);
    let zip_job =
        job::validate(job::parse(&batch).expect("job parses"), &templates).expect("job is valid");
    let serial = RenderCtx::new(CancelToken::new(), None);
    let pool = Arc::new(Pool::new(2, 4));
    let fanned = RenderCtx::new(CancelToken::new(), None).with_fanout(Arc::clone(&pool), 1);
    let mut check = Vec::new();
    render::render(&zip_job, &fanned, &mut check).expect("job renders");
    assert_eq!(&check[..4], b"PK\x03\x04");

    let mut group = c.benchmark_group("zip_job");
    group.sample_size(20);
    group.throughput(Throughput::Elements(20));
    let render_with = |ctx: &RenderCtx| {
        let mut out = Vec::with_capacity(1 << 20);
        render::render(&zip_job, ctx, &mut out).expect("job renders");
        out
    };
    group.bench_function("batch of 20 invoices, no pool", |b| {
        b.iter(|| render_with(&serial))
    });
    group.bench_function("batch of 20 invoices, pool of 2 workers", |b| {
        b.iter(|| render_with(&fanned))
    });
    group.finish();

    // Parsing and validating the whole job happens before the first byte
    // of the answer: its cost per item is part of the time to first byte.
    let big = invoice_batch(root, 1_000);
    let mut group = c.benchmark_group("zip_job_before_first_byte");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("parse the 1000-invoice job", |b| {
        b.iter(|| job::parse(&big).expect("parses"))
    });
    group.bench_function("parse + validate the 1000-invoice job", |b| {
        b.iter(|| job::validate(job::parse(&big).expect("parses"), &templates).expect("valid"))
    });
    group.finish();

    // The writer deflates at level 1 (`Compression::fast()`); what the
    // next levels of the same backend (zlib-rs) cost and save on the text.
    let joined: Vec<u8> = text.concat();
    let mut group = c.benchmark_group("deflate_level");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(joined.len() as u64));
    for level in [1, 2, 3, 6] {
        let size = deflate(&joined, level).len();
        eprintln!(
            "deflate_level/{level}: {} -> {size} bytes ({:.3})",
            joined.len(),
            size as f64 / joined.len() as f64
        );
        group.bench_function(format!("zlib-rs level {level}, 4 MB CSV"), |b| {
            b.iter(|| deflate(&joined, level))
        });
    }
    group.finish();
}

fn deflate(data: &[u8], level: u32) -> Vec<u8> {
    use std::io::Write;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(level));
    encoder.write_all(data).expect("deflated");
    encoder.finish().expect("deflated")
}

criterion_group!(benches, bench);
criterion_main!(benches);
