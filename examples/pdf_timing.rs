//! Times a PDF job the way a request runs it: JSON text → job → template →
//! markup → document → layout → PDF bytes in memory, fonts and templates
//! loaded once before the loop.
//!
//! Run: `cargo run --release --example pdf_timing -- JOB.json [--iterations N]`
//! (default 30, after untimed warm-ups for at least 20 runs and 200 ms, so
//! the timed runs see a warm process, as a service does). Prints one JSON line:
//! `{"tool":"docsmith","median_ms":…,"p10_ms":…,"p90_ms":…,"bytes":…}`; the
//! last PDF goes to `/tmp/docsmith-pdf-timing.pdf`.

use std::path::Path;
use std::time::Instant;

use docsmith::job;
use docsmith::render::render;
use docsmith::render_ctx::{CancelToken, RenderCtx};
use docsmith::templates::Catalog;

// The allocator the service uses (src/main.rs), so timings match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut iterations = 30usize;
    while let Some(arg) = args.next() {
        if arg == "--iterations" {
            iterations = args.next().and_then(|n| n.parse().ok()).unwrap_or(30);
        } else {
            path = Some(arg);
        }
    }
    let Some(path) = path else {
        eprintln!("usage: pdf_timing JOB.json [--iterations N]");
        std::process::exit(2);
    };
    let text = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    let templates = Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"))
        .unwrap_or_else(|e| {
            eprintln!("templates: {e}");
            std::process::exit(2);
        });
    let once = || -> Vec<u8> {
        let request = job::parse(&text).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2);
        });
        let job = job::validate(request, &templates).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2);
        });
        let ctx = RenderCtx::new(CancelToken::new(), None);
        let mut out = Vec::new();
        if let Err(e) = render(&job, &ctx, &mut out) {
            eprintln!("render failed: {e} {:?}", e.to_problem());
            std::process::exit(1);
        }
        out
    };
    let warm = Instant::now();
    let mut runs = 0;
    while runs < 20 || warm.elapsed().as_millis() < 200 {
        once();
        runs += 1;
    }
    let mut samples = Vec::with_capacity(iterations);
    let mut bytes = Vec::new();
    for _ in 0..iterations.max(1) {
        let started = Instant::now();
        bytes = once();
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let pos = (samples.len() - 1) as f64 * q;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        samples[lo] + (samples[hi] - samples[lo]) * (pos - lo as f64)
    };
    let _ = std::fs::write("/tmp/docsmith-pdf-timing.pdf", &bytes);
    println!(
        "{{\"tool\":\"docsmith\",\"median_ms\":{:.3},\"p10_ms\":{:.3},\"p90_ms\":{:.3},\"bytes\":{}}}",
        at(0.5),
        at(0.1),
        at(0.9),
        bytes.len()
    );
}
