//! Times the XLSX path on a large job: JSON text → `WorkbookSpec` → validate →
//! write, and reports the process's peak memory.
//!
//! Run: `cargo run --release --example xlsx_timing -- [ROWS]` (default
//! 100,000 rows × 10 mixed columns, generated in memory), or
//! `… -- --job JOB.json [REPEAT]` to time a job file (mean of REPEAT renders,
//! for small jobs). The last output goes to `/tmp/docsmith-xlsx-timing.xlsx`.

use std::fmt::Write as _;
use std::time::Instant;

use docsmith::problem::Diagnostics;
use docsmith::render_ctx::RenderCtx;
use docsmith::xlsx::{self, WorkbookSpec};
use serde::Deserialize;

/// The part of a job this example reads.
#[derive(Deserialize)]
struct Job {
    workbook: WorkbookSpec,
}

const NOTES: [&str; 4] = [
    "",
    "note text",
    "Zahlung über SEPA-Lastschrift",
    "discount & rebate <agreed> \"Q1\"",
];
const REGIONS: [&str; 6] = ["North", "South", "East", "West", "Central", "Overseas"];

/// A job like the acceptance benchmark's: 10 mixed columns, `rows` rows.
fn generate(rows: usize) -> String {
    let mut json = String::from(
        r##"{"format":"xlsx","filename":"big.xlsx","workbook":{"sheets":[{"name":"Data","columns":[
        {"header":"ID","type":"integer"},{"header":"Date","type":"date"},
        {"header":"Customer","type":"string"},{"header":"Region","type":"string"},
        {"header":"Units","type":"integer"},{"header":"Price","type":"currency","currency":"EUR"},
        {"header":"Amount","type":"number","format":"#,##0.00"},{"header":"Margin","type":"percent"},
        {"header":"Paid","type":"bool"},{"header":"Note","type":"string"}],"rows":["##,
    );
    // A small linear congruential generator keeps the data varied and fixed.
    let mut state: u64 = 20_260_115;
    let mut next = |modulus: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % modulus
    };
    for i in 1..=rows {
        let units = 1 + next(500);
        let price = (50 + next(99_949)) as f64 / 100.0;
        let _ = write!(
            json,
            r#"{}[{i},"20{:02}-{:02}-{:02}","Customer {:05}","{}",{units},{price},{:.2},{},{},{:?}]"#,
            if i == 1 { "" } else { "," },
            24 + next(3),
            1 + next(12),
            1 + next(28),
            next(20_000),
            REGIONS[next(6) as usize],
            units as f64 * price,
            (next(9_000) as f64 - 2_500.0) / 10_000.0,
            next(10) < 7,
            NOTES[next(4) as usize],
        );
    }
    json.push_str("]}]}}");
    json
}

/// Peak resident set size of this process, from /proc (Linux only).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--job") => {
            let text = std::fs::read_to_string(args.get(1).expect("--job needs a path"))
                .expect("job file readable");
            let repeat = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
            time_job(&text, repeat);
        }
        rows => time_job(
            &generate(rows.and_then(|a| a.parse().ok()).unwrap_or(100_000)),
            1,
        ),
    }
}

fn time_job(text: &str, repeat: u32) {
    println!(
        "job JSON: {:.1} MB, rss before parsing {:.1} MB",
        text.len() as f64 / 1e6,
        peak_rss_mb().unwrap_or(0.0)
    );
    let (mut parse, mut validate, mut write) = (0.0, 0.0, 0.0);
    let mut last = None;
    for _ in 0..repeat {
        let start = Instant::now();
        let job: Job = serde_json::from_str(text).expect("job parses");
        let parsed = start.elapsed();
        let mut diags = Diagnostics::new();
        let book = xlsx::validate(job.workbook, "/workbook", &mut diags);
        let validated = start.elapsed();
        let Some(book) = book else {
            eprintln!("invalid job: {:#?}", diags.into_errors());
            std::process::exit(1);
        };
        let bytes = xlsx::write(&book, &RenderCtx::default()).expect("writes");
        let written = start.elapsed();
        parse += parsed.as_secs_f64();
        validate += (validated - parsed).as_secs_f64();
        write += (written - validated).as_secs_f64();
        last = Some((book.cell_count(), bytes));
    }
    let Some((cells, bytes)) = last else { return };
    std::fs::write("/tmp/docsmith-xlsx-timing.xlsx", &bytes).expect("output written");
    let ms = |seconds: f64| seconds * 1e3 / f64::from(repeat);
    println!(
        "{cells} cells: parse {:.3} ms, validate {:.3} ms, write {:.3} ms, total {:.3} ms (mean of {repeat}); output {:.2} MB; peak rss {:.1} MB",
        ms(parse),
        ms(validate),
        ms(write),
        ms(parse + validate + write),
        bytes.len() as f64 / 1e6,
        peak_rss_mb().unwrap_or(0.0),
    );
}
