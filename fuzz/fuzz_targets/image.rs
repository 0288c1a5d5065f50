//! Image decoding and conversion: `image::convert` over arbitrary bytes with
//! a conversion chosen by the first four bytes (output format, resize box,
//! fit, filter, orientation, colour handling). Damaged input is an error;
//! never a panic, a hang or a memory blow-up, and what comes out is an image
//! of the format asked for, within the pixel limit.
//!
//! Input: `[output, width, height, flags] ++ image bytes`; scripts/fuzz.sh
//! prefixes the image seeds with a few such headers.
//!
//! Run: `scripts/fuzz.sh 60 image`.

#![no_main]

use docsmith::image::{self, Filter, Fit, Gravity, Icc, InputFormat, Limits, OutputFormat, Spec};
use docsmith::render_ctx::RenderCtx;
use libfuzzer_sys::fuzz_target;

/// Smaller than the service's 50 megapixels so that each input decodes
/// fast; memory and time per pixel are what the run measures.
const LIMITS: Limits = Limits {
    max_pixels: 4_000_000,
    max_bytes: 1 << 20,
};

fn spec(control: [u8; 4]) -> Spec {
    let [output, width, height, flags] = control;
    let mut spec = Spec::new();
    spec.output.format = match output & 0x03 {
        _ if output >= 0xF0 => Some(OutputFormat::Avif),
        0 => None,
        1 => Some(OutputFormat::Jpeg),
        2 => Some(OutputFormat::Png),
        _ => Some(OutputFormat::Webp),
    };
    spec.output.progressive = output & 0x04 != 0;
    spec.output.lossless = output & 0x08 != 0;
    if spec.output.format == Some(OutputFormat::Avif) {
        // The fastest rav1e speed: encoding is not what is fuzzed.
        spec.output.effort = Some(0);
    }
    spec.resize.gravity = [
        Gravity::Centre,
        Gravity::North,
        Gravity::South,
        Gravity::East,
        Gravity::West,
        Gravity::NorthEast,
        Gravity::NorthWest,
        Gravity::SouthEast,
        Gravity::SouthWest,
    ][usize::from(output >> 4) % 9];
    let side = |b: u8| (b != 0).then(|| u32::from(b & 0x7F) + 1);
    spec.resize.width = side(width);
    spec.resize.height = side(height);
    spec.resize.fit = [Fit::Inside, Fit::Cover, Fit::Fill, Fit::Exact][usize::from(flags & 0x03)];
    spec.resize.filter = [
        Filter::Lanczos3,
        Filter::Mitchell,
        Filter::CatmullRom,
        Filter::Bilinear,
        Filter::Box,
        Filter::Nearest,
    ][usize::from((flags >> 2) & 0x07) % 6];
    spec.resize.upscale = flags & 0x20 != 0;
    spec.output.icc = if flags & 0x40 != 0 {
        Icc::Srgb
    } else {
        Icc::Keep
    };
    spec.auto_orient = flags & 0x80 == 0;
    spec.strip_metadata = flags & 0x80 == 0;
    spec
}

fn run(data: &[u8]) {
    let Some((control, bytes)) = data.split_first_chunk::<4>() else {
        return;
    };
    let spec = spec(*control);
    let Ok(converted) = image::convert(bytes, &spec, &LIMITS, &RenderCtx::default()) else {
        return;
    };
    let pixels = u64::from(converted.width) * u64::from(converted.height);
    assert!(
        pixels > 0 && pixels <= LIMITS.max_pixels,
        "{} × {} result",
        converted.width,
        converted.height
    );
    let written = match converted.format {
        OutputFormat::Jpeg => Some(InputFormat::Jpeg),
        OutputFormat::Png => Some(InputFormat::Png),
        OutputFormat::Webp => Some(InputFormat::Webp),
        OutputFormat::Avif => None,
    };
    if let Some(format) = written {
        assert_eq!(
            image::sniff(&converted.bytes),
            Some(format),
            "the output is not the {format} asked for"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    docsmith_fuzz::on_worker_stack(data, run);
});
