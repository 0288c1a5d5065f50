//! Measures the document stage of a PDF job on its own: JSON job → template
//! → markup → element tree → [`Document`](docsmith::doc::Document), with no
//! layout or PDF writing, in a fresh process with the service's allocator.
//!
//! Run: `cargo run --release --example doc_stage_mem -- JOB.json [--phases]
//! [--iterations N]` (jobs from `bench/gen_pdf_report_job.py`). Prints one
//! JSON line: the stage's wall time (the median of N runs, default 1), peak
//! RSS of the process (`VmHWM`, after the first run), the RSS when the stage
//! starts (the parsed job) and the peak the stage adds over it, in MB.
//! `--phases` runs the stage's steps one by one instead (template render,
//! markup parse, lowering) and prints the time and peak of each; it needs
//! Linux ≥ 4.0 to reset the peak between steps (`/proc/self/clear_refs`).

use std::path::Path;
use std::time::Instant;

use docsmith::doc::{self, Assets};
use docsmith::job::document::DocSource;
use docsmith::job::{self, JobBody};
use docsmith::templates::Catalog;

// The allocator the service uses (src/main.rs), so the numbers match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut path = None;
    let mut phases = false;
    let mut iterations = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--phases" => phases = true,
            "--iterations" => iterations = args.next().and_then(|n| n.parse().ok()).unwrap_or(1),
            _ => path = Some(arg),
        }
    }
    let Some(path) = path else {
        fail(
            2,
            "usage: doc_stage_mem JOB.json [--phases] [--iterations N]",
        );
    };
    let templates = Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"))
        .unwrap_or_else(|e| fail(2, &format!("templates: {e}")));
    let job = {
        let text = std::fs::read(&path).unwrap_or_else(|e| fail(2, &format!("{path}: {e}")));
        let request = job::parse(&text).unwrap_or_else(|e| fail(2, &e.to_string()));
        job::validate(request, &templates).unwrap_or_else(|e| fail(2, &e.to_string()))
    };
    let JobBody::Pdf(doc_job) = &job.body else {
        fail(2, "not a PDF job");
    };
    let start_mb = status_mb("VmRSS");
    reset_peak();
    if phases {
        let DocSource::Template(name) = &doc_job.source else {
            fail(2, "--phases needs a job with a `template`");
        };
        let assets = Assets {
            files: &job.files,
            max_image_pixels: doc_job.limits.max_image_pixels,
            fonts: Some(&doc_job.fonts),
        };
        let step = |label: &str, started: Instant| {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let (rss, hwm) = (status_mb("VmRSS"), status_mb("VmHWM"));
            println!(
                "{{\"step\":\"{label}\",\"ms\":{ms:.1},\"peak_mb\":{hwm:.1},\"rss_after_mb\":{rss:.1}}}"
            );
            reset_peak();
        };
        let started = Instant::now();
        let markup = doc_job
            .templates
            .render(name, &doc_job.data)
            .unwrap_or_else(|e| fail(1, &e.to_string()));
        step("template", started);
        let started = Instant::now();
        let tree = doc::markup::parse(&markup).unwrap_or_else(|e| fail(1, &e.to_string()));
        drop(markup);
        step("markup", started);
        let started = Instant::now();
        let document =
            doc::lower::lower(tree, assets).unwrap_or_else(|e| fail(1, &e[0].to_string()));
        step("lower", started);
        drop(document);
        return;
    }
    let mut samples = Vec::with_capacity(iterations);
    let mut peak = 0.0;
    let mut blocks = 0;
    for _ in 0..iterations.max(1) {
        let started = Instant::now();
        let document = doc_job
            .document(&job.files)
            .unwrap_or_else(|e| fail(1, &format!("{e:?}")));
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        if blocks == 0 {
            peak = status_mb("VmHWM");
            blocks = document.content.len();
        }
    }
    samples.sort_by(f64::total_cmp);
    let ms = samples[samples.len() / 2];
    println!(
        "{{\"stage_ms\":{ms:.3},\"peak_mb\":{peak:.1},\"start_mb\":{start_mb:.1},\"stage_peak_mb\":{:.1},\"blocks\":{blocks}}}",
        peak - start_mb,
    );
}

/// A `/proc/self/status` field in MB (0 where there is none).
fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kb.unwrap_or(0.0) / 1024.0
}

/// Resets `VmHWM` to the current RSS.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn fail(code: i32, message: &str) -> ! {
    eprintln!("doc_stage_mem: {message}");
    std::process::exit(code);
}
