//! Times docsmith's image conversion in process, for `bench/image_compare.sh`:
//! decode → resize to `--width` (Lanczos3) → encode, metadata stripped,
//! from the input bytes in memory to the output bytes in memory.
//!
//!     cargo run --release --example image_timing -- \
//!         --width 800 --format jpeg --quality 80 --iterations 5 photo.jpg…
//!
//! Prints one JSON line per file: {"tool", "file", "op", "ms": [...],
//! "bytes", "width", "height", "threads"}. One conversion runs at a time on
//! this thread (AVIF's encoder may use more). The first file is converted
//! once untimed before the measurements.

use std::path::PathBuf;
use std::time::Instant;

use docsmith::image::{self, Limits, OutputFormat, Resize, Spec};
use docsmith::render_ctx::{CancelToken, RenderCtx};

fn main() {
    let mut width = 800;
    let mut format = OutputFormat::Jpeg;
    let mut quality = None;
    let mut iterations = 5;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--width" => width = value().parse().unwrap_or_else(|_| usage("bad --width")),
            "--format" => {
                format = OutputFormat::parse(&value()).unwrap_or_else(|| usage("bad --format"))
            }
            "--quality" => {
                quality = Some(value().parse().unwrap_or_else(|_| usage("bad --quality")))
            }
            "--iterations" => {
                iterations = value()
                    .parse()
                    .unwrap_or_else(|_| usage("bad --iterations"))
            }
            _ if arg.starts_with("--") => usage(&format!("unknown option {arg}")),
            _ => files.push(PathBuf::from(arg)),
        }
    }
    if files.is_empty() {
        usage("no input files");
    }
    let mut spec = Spec::new();
    spec.resize = Resize {
        width: Some(width),
        ..Resize::default()
    };
    spec.output.format = Some(format);
    spec.output.quality = quality;
    let limits = Limits::default();
    let ctx = RenderCtx::new(CancelToken::new(), None);
    let inputs: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|path| {
            let bytes =
                std::fs::read(path).unwrap_or_else(|e| usage(&format!("{}: {e}", path.display())));
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            (name, bytes)
        })
        .collect();

    let convert = |bytes: &[u8]| {
        image::convert(bytes, &spec, &limits, &ctx).unwrap_or_else(|e| {
            eprintln!("image_timing: {e}");
            std::process::exit(1)
        })
    };
    convert(&inputs[0].1);
    for (name, bytes) in &inputs {
        let mut ms = Vec::with_capacity(iterations);
        let mut last = None;
        for _ in 0..iterations {
            let started = Instant::now();
            let converted = convert(bytes);
            ms.push(started.elapsed().as_secs_f64() * 1e3);
            last = Some(converted);
        }
        let Some(last) = last else { continue };
        let line = serde_json::json!({
            "tool": "docsmith",
            "file": name,
            "op": format.as_str(),
            "ms": ms,
            "bytes": last.bytes.len(),
            "width": last.width,
            "height": last.height,
            "threads": 1,
        });
        println!("{line}");
    }
}

fn usage(message: &str) -> ! {
    eprintln!("image_timing: {message}");
    eprintln!(
        "usage: image_timing --width N --format jpeg|png|webp|avif [--quality Q] [--iterations N] FILE..."
    );
    std::process::exit(2)
}
