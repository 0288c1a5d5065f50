//! Image conversion (`docsmith::image::convert`) and image jobs over HTTP and
//! the CLI. Inputs are synthetic pictures with recognisable structure (a
//! gradient with a red block at the top left and a blue block at the bottom
//! right), written with the `image` crate's encoders; outputs are read back —
//! decoded with the `image` crate, or (AVIF, whose decoder is not compiled
//! in) walked box by box — and compared with the input region by region.
//! Containers are inspected segment by segment (JPEG), chunk by chunk (PNG,
//! WebP) for metadata.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use docsmith::image::{
    Colour, Converted, Fit, Gravity, Icc, ImageError, InputFormat, Limits, OutputFormat, Resize,
    Spec, convert,
};
use docsmith::render_ctx::{CancelToken, RenderCtx};
use image::{DynamicImage, ImageDecoder, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use serde_json::{Value, json};

use crate::support::*;

const RED: [u8; 3] = [230, 20, 20];
const GREEN: [u8; 3] = [20, 200, 20];
const BLUE: [u8; 3] = [20, 20, 230];
const GREY: [u8; 3] = [128, 128, 128];

/// AVIF settings that keep rav1e quick in a debug test run.
const AVIF_QUALITY: u8 = 50;
const AVIF_EFFORT: u8 = 0;

/// Longest any single conversion of a small or hostile input may take.
const BOUND: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------------------
// Pictures and inputs

/// A smooth gradient with a red block in the top-left quarter and a blue
/// block in the bottom-right quarter.
fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if x < width / 4 && y < height / 4 {
            Rgb(RED)
        } else if x >= width * 3 / 4 && y >= height * 3 / 4 {
            Rgb(BLUE)
        } else {
            Rgb([
                (30 + x * 190 / width) as u8,
                (40 + y * 180 / height) as u8,
                150,
            ])
        }
    })
}

/// Grey with a red block at the top left and a green block at the top right,
/// each 30 % × 35 % of the sides: every orientation puts them in different
/// corners.
fn markers(width: u32, height: u32) -> RgbImage {
    let (bw, bh) = (width * 3 / 10, height * 35 / 100);
    RgbImage::from_fn(width, height, |x, y| {
        if y < bh && x < bw {
            Rgb(RED)
        } else if y < bh && x >= width - bw {
            Rgb(GREEN)
        } else {
            Rgb(GREY)
        }
    })
}

/// A gradient across both axes with a red block at the top left: any shift
/// of a crop changes many pixels.
fn ramp(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if x < width * 3 / 10 && y < height * 35 / 100 {
            Rgb(RED)
        } else {
            Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 100])
        }
    })
}

/// The regions compared between input and output: inside the red block,
/// inside the blue block, and the middle of the gradient.
/// A rectangle: left, top, right, bottom (exclusive).
type Region = (u32, u32, u32, u32);

fn regions(w: u32, h: u32) -> [(&'static str, Region); 3] {
    [
        (
            "red block",
            (w / 16, h / 16, w / 4 - w / 16, h / 4 - h / 16),
        ),
        (
            "blue block",
            (
                3 * w / 4 + w / 16,
                3 * h / 4 + h / 16,
                w - w / 16,
                h - h / 16,
            ),
        ),
        ("middle", (3 * w / 8, 3 * h / 8, 5 * w / 8, 5 * h / 8)),
    ]
}

fn encode(picture: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    match format {
        ImageFormat::Jpeg => {
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95).encode_image(picture)
        }
        other => DynamicImage::ImageRgb8(picture.clone()).write_to(Cursor::new(&mut out), other),
    }
    .unwrap_or_else(|e| panic!("encoding the {format:?} input: {e}"));
    out
}

const INPUTS: [(InputFormat, ImageFormat); 6] = [
    (InputFormat::Jpeg, ImageFormat::Jpeg),
    (InputFormat::Png, ImageFormat::Png),
    (InputFormat::Webp, ImageFormat::WebP),
    (InputFormat::Gif, ImageFormat::Gif),
    (InputFormat::Bmp, ImageFormat::Bmp),
    (InputFormat::Tiff, ImageFormat::Tiff),
];

fn ctx() -> RenderCtx {
    RenderCtx::new(CancelToken::new(), None)
}

fn spec_for(format: OutputFormat) -> Spec {
    let mut spec = Spec::new();
    spec.output.format = Some(format);
    if format == OutputFormat::Avif {
        spec.output.quality = Some(AVIF_QUALITY);
        spec.output.effort = Some(AVIF_EFFORT);
    }
    spec
}

fn resized(width: Option<u32>, height: Option<u32>, fit: Fit) -> Spec {
    let mut spec = Spec::new();
    spec.resize = Resize {
        width,
        height,
        fit,
        ..Resize::default()
    };
    spec
}

/// Converts, expecting success within [`BOUND`] (AVIF aside).
fn run(bytes: &[u8], spec: &Spec, what: &str) -> Converted {
    let started = Instant::now();
    let converted = convert(bytes, spec, &Limits::default(), &ctx())
        .unwrap_or_else(|e| panic!("{what}: convert failed: {e} ({e:?})"));
    if converted.format != OutputFormat::Avif {
        assert!(
            started.elapsed() < BOUND,
            "{what}: took {:?}",
            started.elapsed()
        );
    }
    converted
}

/// Converts, expecting an error within [`BOUND`] and no panic.
fn refuse(bytes: &[u8], spec: &Spec, limits: &Limits, what: &str) -> ImageError {
    let started = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| convert(bytes, spec, limits, &ctx())))
        .unwrap_or_else(|_| panic!("{what}: convert panicked"));
    let elapsed = started.elapsed();
    assert!(elapsed < BOUND, "{what}: took {elapsed:?}");
    match result {
        Ok(c) => panic!(
            "{what}: expected an error, got a {}×{} {:?}",
            c.width, c.height, c.format
        ),
        Err(e) => e,
    }
}

/// Decodes an output with the `image` crate, checking its format.
fn decode(bytes: &[u8], format: ImageFormat, what: &str) -> DynamicImage {
    let guessed = image::guess_format(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(guessed, format, "{what}: output format");
    image::load_from_memory(bytes).unwrap_or_else(|e| panic!("{what}: output does not decode: {e}"))
}

fn decode_rgb(bytes: &[u8], format: ImageFormat, what: &str) -> RgbImage {
    decode(bytes, format, what).to_rgb8()
}

fn image_format(format: OutputFormat) -> ImageFormat {
    match format {
        OutputFormat::Jpeg => ImageFormat::Jpeg,
        OutputFormat::Png => ImageFormat::Png,
        OutputFormat::Webp => ImageFormat::WebP,
        OutputFormat::Avif => ImageFormat::Avif,
    }
}

fn mean(image: &RgbImage, (x0, y0, x1, y1): Region) -> [f64; 3] {
    let mut sum = [0.0; 3];
    for y in y0..y1 {
        for x in x0..x1 {
            for (s, v) in sum.iter_mut().zip(image.get_pixel(x, y).0) {
                *s += f64::from(v);
            }
        }
    }
    let n = f64::from((x1 - x0) * (y1 - y0));
    sum.map(|s| s / n)
}

fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn assert_close(got: [f64; 3], want: [f64; 3], tolerance: f64, what: &str) {
    assert!(
        distance(got, want) <= tolerance,
        "{what}: mean colour {got:.1?}, expected {want:.1?} (± {tolerance})"
    );
}

/// Mean absolute difference per channel, and the largest one.
fn difference(a: &RgbImage, b: &RgbImage) -> (f64, u8) {
    assert_eq!(a.dimensions(), b.dimensions());
    let mut total = 0u64;
    let mut max = 0u8;
    for (p, q) in a.as_raw().iter().zip(b.as_raw()) {
        let d = p.abs_diff(*q);
        total += u64::from(d);
        max = max.max(d);
    }
    (total as f64 / a.as_raw().len() as f64, max)
}

// ---------------------------------------------------------------------------
// Containers

/// JPEG segments before the first scan: marker and payload.
fn jpeg_segments(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "not a JPEG");
    let mut segments = Vec::new();
    let mut pos = 2;
    while pos + 4 <= bytes.len() {
        assert_eq!(bytes[pos], 0xFF, "segment at {pos} starts with a marker");
        let marker = bytes[pos + 1];
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]));
        segments.push((marker, &bytes[pos + 4..pos + 2 + len]));
        pos += 2 + len;
    }
    segments
}

/// Inserts a segment right after SOI.
fn insert_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    assert!(jpeg.starts_with(&[0xFF, 0xD8]));
    let len = u16::try_from(payload.len() + 2).expect("segment fits");
    let mut out = vec![0xFF, 0xD8, 0xFF, marker];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn jpeg_exif(bytes: &[u8]) -> Option<&[u8]> {
    jpeg_segments(bytes)
        .into_iter()
        .find(|(m, p)| *m == 0xE1 && p.starts_with(b"Exif\0\0"))
        .map(|(_, p)| &p[6..])
}

/// The ICC profile of a JPEG, its APP2 chunks joined in order.
fn jpeg_icc(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut chunks: Vec<(u8, &[u8])> = jpeg_segments(bytes)
        .into_iter()
        .filter(|(m, p)| *m == 0xE2 && p.starts_with(b"ICC_PROFILE\0"))
        .map(|(_, p)| (p[12], &p[14..]))
        .collect();
    if chunks.is_empty() {
        return None;
    }
    chunks.sort_by_key(|(seq, _)| *seq);
    Some(chunks.into_iter().flat_map(|(_, d)| d.to_vec()).collect())
}

/// PNG chunks: type and data.
fn png_chunks(bytes: &[u8]) -> Vec<([u8; 4], &[u8])> {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let mut chunks = Vec::new();
    let mut pos = 8;
    while pos + 12 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let kind: [u8; 4] = bytes[pos + 4..pos + 8].try_into().expect("4 bytes");
        chunks.push((kind, &bytes[pos + 8..pos + 8 + len]));
        pos += 12 + len;
    }
    chunks
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

/// Inserts a chunk before the first IDAT.
fn insert_png_chunk(png: &[u8], kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let idat = png
        .windows(4)
        .position(|w| w == b"IDAT")
        .expect("an IDAT chunk")
        - 4;
    let mut out = png[..idat].to_vec();
    out.extend(png_chunk(kind, data));
    out.extend_from_slice(&png[idat..]);
    out
}

/// RIFF (WebP) chunks: id and data.
fn riff_chunks(bytes: &[u8]) -> Vec<([u8; 4], &[u8])> {
    assert!(bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP");
    let riff_len = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
    assert_eq!(riff_len + 8, bytes.len(), "RIFF size matches the file");
    let mut chunks = Vec::new();
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let id: [u8; 4] = bytes[pos..pos + 4].try_into().expect("4 bytes");
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().expect("4 bytes")) as usize;
        chunks.push((id, &bytes[pos + 8..pos + 8 + len]));
        pos += 8 + len + (len & 1);
    }
    assert_eq!(pos, bytes.len(), "chunks fill the file");
    chunks
}

/// ISO BMFF boxes: type and body.
fn bmff_boxes(data: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut boxes = Vec::new();
    let mut pos = 0;
    while pos + 8 <= data.len() {
        let size = u32::from_be_bytes(data[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let kind: [u8; 4] = data[pos + 4..pos + 8].try_into().expect("4 bytes");
        let (header, size) = match size {
            0 => (8, data.len() - pos),
            1 => (
                16,
                u64::from_be_bytes(data[pos + 8..pos + 16].try_into().expect("8 bytes")) as usize,
            ),
            n => (8, n),
        };
        assert!(
            size >= header && pos + size <= data.len(),
            "box {kind:?} fits"
        );
        boxes.push((kind, &data[pos + header..pos + size]));
        pos += size;
    }
    boxes
}

fn bmff_child<'a>(data: &'a [u8], kind: &[u8; 4]) -> &'a [u8] {
    bmff_boxes(data)
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, body)| body)
        .unwrap_or_else(|| panic!("no {} box", String::from_utf8_lossy(kind)))
}

/// Checks an AVIF file's brand and returns the size of its first image
/// (`meta/iprp/ipco/ispe`).
fn avif_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[4..12], b"ftypavif", "AVIF brand");
    // `meta` is a full box: version and flags before its children.
    let meta = &bmff_child(bytes, b"meta")[4..];
    let ipco = bmff_child(bmff_child(meta, b"iprp"), b"ipco");
    let ispe = bmff_child(ipco, b"ispe");
    let be = |i: usize| u32::from_be_bytes(ispe[i..i + 4].try_into().expect("4 bytes"));
    (be(4), be(8))
}

// ---------------------------------------------------------------------------
// EXIF and ICC, built by hand

/// A little-endian TIFF block with IFD0 holding Make = "docsmith" and
/// Orientation = `orientation`.
fn exif_tiff(orientation: u16) -> Vec<u8> {
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    let data_at = 8 + 2 + 2 * 12 + 4;
    // Make (ASCII, 9 bytes, stored after the IFD).
    t.extend_from_slice(&0x010Fu16.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend_from_slice(&9u32.to_le_bytes());
    t.extend_from_slice(&(data_at as u32).to_le_bytes());
    // Orientation (SHORT, inline).
    t.extend_from_slice(&0x0112u16.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&orientation.to_le_bytes());
    t.extend_from_slice(&[0, 0]);
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len(), data_at);
    t.extend_from_slice(b"docsmith\0\0");
    t
}

fn jpeg_with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(exif_tiff(orientation));
    insert_segment(jpeg, 0xE1, &payload)
}

fn jpeg_with_icc(jpeg: &[u8], profile: &[u8]) -> Vec<u8> {
    let mut payload = b"ICC_PROFILE\0\x01\x01".to_vec();
    payload.extend_from_slice(profile);
    insert_segment(jpeg, 0xE2, &payload)
}

/// One IFD entry of a TIFF block: (type, value-or-offset field).
fn tiff_entry(tiff: &[u8], tag: u16) -> Option<(u16, [u8; 4])> {
    let le = match &tiff[..4] {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_at = |i: usize| {
        let b = [tiff[i], tiff[i + 1]];
        if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }
    };
    let u32_at = |i: usize| {
        let b: [u8; 4] = tiff[i..i + 4].try_into().expect("4 bytes");
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let ifd = u32_at(4) as usize;
    (0..usize::from(u16_at(ifd)))
        .map(|k| ifd + 2 + 12 * k)
        .find(|&e| u16_at(e) == tag)
        .map(|e| {
            (
                u16_at(e + 2),
                tiff[e + 8..e + 12].try_into().expect("4 bytes"),
            )
        })
}

fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let (kind, value) = tiff_entry(tiff, 0x0112)?;
    assert_eq!(kind, 3, "Orientation is a SHORT");
    Some(if tiff.starts_with(b"II") {
        u16::from_le_bytes([value[0], value[1]])
    } else {
        u16::from_be_bytes([value[0], value[1]])
    })
}

/// sRGB primaries adapted to D50, as in the common sRGB profiles.
const SRGB_RED: [f64; 3] = [0.4361, 0.2225, 0.0139];
const SRGB_GREEN: [f64; 3] = [0.3851, 0.7169, 0.0971];
const SRGB_BLUE: [f64; 3] = [0.1431, 0.0606, 0.7141];
const D50: [f64; 3] = [0.9642, 1.0, 0.8249];

/// A minimal ICC v2 RGB display profile: a matrix of the given colorants and
/// a gamma 2.2 curve for each channel (enough for qcms and for any viewer),
/// plus `padding` bytes in a private tag to make it as large as wanted.
fn icc_profile(red: [f64; 3], green: [f64; 3], blue: [f64; 3], padding: usize) -> Vec<u8> {
    fn xyz_tag(v: [f64; 3]) -> Vec<u8> {
        let mut t = b"XYZ \0\0\0\0".to_vec();
        for c in v {
            t.extend_from_slice(&((c * 65536.0).round() as i32).to_be_bytes());
        }
        t
    }
    let mut curve = b"curv\0\0\0\0".to_vec();
    curve.extend_from_slice(&1u32.to_be_bytes());
    curve.extend_from_slice(&0x0233u16.to_be_bytes()); // 2.2 in u8Fixed8
    curve.extend_from_slice(&[0, 0]);
    let mut tags: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"wtpt", xyz_tag(D50)),
        (b"rXYZ", xyz_tag(red)),
        (b"gXYZ", xyz_tag(green)),
        (b"bXYZ", xyz_tag(blue)),
        (b"rTRC", curve.clone()),
        (b"gTRC", curve.clone()),
        (b"bTRC", curve),
    ];
    if padding > 0 {
        let mut data = b"data\0\0\0\0\0\0\0\x01".to_vec();
        data.extend((0..padding).map(|i| (i % 251) as u8));
        tags.push((b"dsmP", data));
    }
    let data_start = 128 + 4 + 12 * tags.len();
    let mut table = (tags.len() as u32).to_be_bytes().to_vec();
    let mut body = Vec::new();
    for (sig, tag) in &tags {
        table.extend_from_slice(*sig);
        table.extend_from_slice(&((data_start + body.len()) as u32).to_be_bytes());
        table.extend_from_slice(&(tag.len() as u32).to_be_bytes());
        body.extend_from_slice(tag);
        // Tags start on 4-byte boundaries.
        while body.len() % 4 != 0 {
            body.push(0);
        }
    }
    let size = 128 + table.len() + body.len();
    let mut header = vec![0u8; 128];
    header[0..4].copy_from_slice(&(size as u32).to_be_bytes());
    header[8..12].copy_from_slice(&[2, 0x10, 0, 0]);
    header[12..16].copy_from_slice(b"mntr");
    header[16..20].copy_from_slice(b"RGB ");
    header[20..24].copy_from_slice(b"XYZ ");
    header[36..40].copy_from_slice(b"acsp");
    for (i, c) in D50.into_iter().enumerate() {
        header[68 + 4 * i..72 + 4 * i]
            .copy_from_slice(&((c * 65536.0).round() as i32).to_be_bytes());
    }
    let mut profile = header;
    profile.extend(table);
    profile.extend(body);
    assert_eq!(profile.len(), size);
    profile
}

fn srgb_like_profile() -> Vec<u8> {
    icc_profile(SRGB_RED, SRGB_GREEN, SRGB_BLUE, 0)
}

/// A profile whose red and green primaries are sRGB's green and red: its
/// red pixels are green in sRGB.
fn swapped_profile() -> Vec<u8> {
    icc_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE, 0)
}

// ---------------------------------------------------------------------------
// 1. Every input format × every output format

#[test]
fn every_input_format_converts_to_every_output_format() {
    let (w, h) = (64, 48);
    let original = picture(w, h);
    for (input_format, encoded_as) in INPUTS {
        let input = encode(&original, encoded_as);
        // The reference is the input as the `image` crate decodes it (GIF
        // has a palette, JPEG is lossy).
        let reference = decode_rgb(&input, encoded_as, "input");
        let lossless_input = matches!(
            input_format,
            InputFormat::Png | InputFormat::Bmp | InputFormat::Tiff | InputFormat::Webp
        );
        if lossless_input {
            assert_eq!(reference, original, "{input_format:?} input is lossless");
        }
        for output in OutputFormat::ALL {
            let what = format!("{input_format:?} → {output:?}");
            let converted = run(&input, &spec_for(output), &what);
            assert_eq!(converted.format, output, "{what}");
            assert_eq!((converted.width, converted.height), (w, h), "{what}");
            assert_eq!(converted.input.format, input_format, "{what}");
            assert_eq!(
                (converted.input.width, converted.input.height),
                (w, h),
                "{what}"
            );
            assert_eq!(converted.input.bytes, input.len(), "{what}");
            if output == OutputFormat::Avif {
                assert_eq!(avif_size(&converted.bytes), (w, h), "{what}");
                continue;
            }
            let decoded = decode_rgb(&converted.bytes, image_format(output), &what);
            assert_eq!(decoded.dimensions(), (w, h), "{what}");
            let tolerance = if output == OutputFormat::Png {
                3.0
            } else {
                12.0
            };
            for (name, region) in regions(w, h) {
                assert_close(
                    mean(&decoded, region),
                    mean(&reference, region),
                    tolerance,
                    &format!("{what}, {name}"),
                );
            }
            if lossless_input && output == OutputFormat::Png {
                assert_eq!(decoded, original, "{what}: pixels unchanged");
            }
        }
    }
}

#[test]
fn lossless_webp_keeps_every_pixel() {
    let original = picture(64, 48);
    let mut spec = spec_for(OutputFormat::Webp);
    spec.output.lossless = true;
    let converted = run(
        &encode(&original, ImageFormat::Png),
        &spec,
        "PNG → lossless WebP",
    );
    let chunks = riff_chunks(&converted.bytes);
    assert!(
        chunks.iter().any(|(id, _)| id == b"VP8L"),
        "a lossless bitstream"
    );
    assert_eq!(
        decode_rgb(&converted.bytes, ImageFormat::WebP, "lossless WebP"),
        original
    );
}

#[test]
fn default_output_format_follows_the_input() {
    let original = picture(32, 24);
    for (input_format, image_format) in INPUTS {
        let input = encode(&original, image_format);
        let converted = run(&input, &Spec::new(), &format!("{input_format:?}"));
        let expected = match input_format {
            InputFormat::Jpeg => OutputFormat::Jpeg,
            InputFormat::Webp => OutputFormat::Webp,
            _ => OutputFormat::Png,
        };
        assert_eq!(converted.format, expected, "{input_format:?}");
        decode(
            &converted.bytes,
            self::image_format(expected),
            &format!("{input_format:?}"),
        );
    }
}

/// A large JPEG shrunk by 8 is decoded at 1/4 (DCT scaling) before the
/// resampler: the picture must come out the same, crops included.
#[test]
fn dct_scaled_jpeg_downsizing_keeps_the_picture() {
    let (w, h) = (640, 480);
    let original = picture(w, h);
    let input = encode(&original, ImageFormat::Jpeg);
    let converted = run(&input, &resized(Some(80), None, Fit::Inside), "640 → 80");
    assert_eq!((converted.width, converted.height), (80, 60));
    let out = decode_rgb(&converted.bytes, ImageFormat::Jpeg, "640 → 80");
    let small = picture(80, 60);
    for (name, region) in regions(80, 60) {
        assert_close(mean(&out, region), mean(&small, region), 12.0, name);
    }

    // The decoder shrinks only while the resampler keeps at least a factor
    // of two: the result matches a Lanczos3 resize of the full-size decode
    // (decoding at 1/8 straight to the target size is off by 13 and more
    // on the stripes' edges).
    let stripes = RgbImage::from_fn(w, h, |x, y| {
        let wave = |p: f64| (128.0 + 100.0 * (std::f64::consts::TAU * p).sin()) as u8;
        Rgb([
            wave(f64::from(x) / 40.0),
            wave(f64::from(y) / 28.0),
            wave(f64::from(x + y) / 60.0),
        ])
    });
    let striped = encode(&stripes, ImageFormat::Jpeg);
    let full = decode_rgb(&striped, ImageFormat::Jpeg, "full size");
    // Decoded at 1/4 and at 1/2.
    for (width, height) in [(80, 60), (160, 120)] {
        let what = format!("640 → {width}");
        let mut spec = resized(Some(width), None, Fit::Inside);
        spec.output.format = Some(OutputFormat::Png);
        let out = decode_rgb(&run(&striped, &spec, &what).bytes, ImageFormat::Png, &what);
        let reference =
            image::imageops::resize(&full, width, height, image::imageops::FilterType::Lanczos3);
        let (mean_diff, max_diff) = difference(&out, &reference);
        assert!(
            mean_diff < 2.5 && max_diff < 10,
            "{what}: differs from a full-size Lanczos3 resize by {mean_diff:.2} on average, {max_diff} at most"
        );
    }

    // Cover with gravity: the kept part is the one the gravity names, in
    // the scaled-down decode too.
    for (gravity, red_at_top_left, blue_at_bottom_right) in
        [(Gravity::West, true, false), (Gravity::East, false, true)]
    {
        let mut spec = resized(Some(60), Some(80), Fit::Cover);
        spec.resize.gravity = gravity;
        spec.output.format = Some(OutputFormat::Png);
        let converted = run(&input, &spec, &format!("cover {gravity:?}"));
        let out = decode_rgb(&converted.bytes, ImageFormat::Png, "cover");
        assert_eq!(out.dimensions(), (60, 80));
        // 640 × 480 → 60 × 80 crops 360 × 480 (a sixth): west keeps x
        // 0..360, east x 280..640. The red block spans x 0..160, y 0..120
        // (26 × 20 output pixels from the west crop), the blue one x
        // 480..640, y 360..480 (x 33..60, y 60..80 from the east crop).
        let top_left = mean(&out, (2, 2, 10, 15));
        let bottom_right = mean(&out, (52, 65, 58, 78));
        assert_eq!(
            distance(top_left, RED.map(f64::from)) < 30.0,
            red_at_top_left,
            "{gravity:?}: top left {top_left:.0?}"
        );
        assert_eq!(
            distance(bottom_right, BLUE.map(f64::from)) < 30.0,
            blue_at_bottom_right,
            "{gravity:?}: bottom right {bottom_right:.0?}"
        );
    }
}

// ---------------------------------------------------------------------------
// 2. EXIF orientation

#[derive(Debug, Clone, Copy, PartialEq)]
enum Corner {
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

const CORNERS: [Corner; 4] = [
    Corner::TopLeft,
    Corner::TopRight,
    Corner::BottomLeft,
    Corner::BottomRight,
];

/// Mean colour of an 8 × 8 square 2 pixels in from a corner.
fn corner(image: &RgbImage, which: Corner) -> [f64; 3] {
    let (w, h) = image.dimensions();
    let (x, y) = match which {
        Corner::TopLeft => (2, 2),
        Corner::TopRight => (w - 10, 2),
        Corner::BottomLeft => (2, h - 10),
        Corner::BottomRight => (w - 10, h - 10),
    };
    mean(image, (x, y, x + 8, y + 8))
}

/// Where an upright viewer sees the stored top-left (red) and top-right
/// (green) corners, for EXIF orientations 1–8, and whether the sides swap.
const ORIENTATIONS: [(u16, Corner, Corner, bool); 8] = [
    (1, Corner::TopLeft, Corner::TopRight, false),
    (2, Corner::TopRight, Corner::TopLeft, false),
    (3, Corner::BottomRight, Corner::BottomLeft, false),
    (4, Corner::BottomLeft, Corner::BottomRight, false),
    (5, Corner::TopLeft, Corner::BottomLeft, true),
    (6, Corner::TopRight, Corner::BottomRight, true),
    (7, Corner::BottomRight, Corner::TopRight, true),
    (8, Corner::BottomLeft, Corner::TopLeft, true),
];

fn assert_markers(image: &RgbImage, red: Corner, green: Corner, what: &str) {
    for which in CORNERS {
        let expected = if which == red {
            RED
        } else if which == green {
            GREEN
        } else {
            GREY
        };
        let got = corner(image, which);
        assert!(
            distance(got, expected.map(f64::from)) < 30.0,
            "{what}: {which:?} is {got:.0?}, expected {expected:?}"
        );
    }
}

#[test]
fn exif_orientation_turns_the_picture_upright() {
    let stored = markers(60, 40);
    let jpeg = encode(&stored, ImageFormat::Jpeg);
    for (orientation, red, green, swapped) in ORIENTATIONS {
        let input = jpeg_with_exif(&jpeg, orientation);
        let what = format!("orientation {orientation}");
        for output in [OutputFormat::Png, OutputFormat::Jpeg] {
            let converted = run(&input, &spec_for(output), &what);
            let size = if swapped { (40, 60) } else { (60, 40) };
            assert_eq!((converted.width, converted.height), size, "{what}");
            assert_eq!(
                (converted.input.width, converted.input.height),
                size,
                "{what}: the input's upright size"
            );
            let out = decode_rgb(&converted.bytes, image_format(output), &what);
            assert_eq!(out.dimensions(), size, "{what}");
            assert_markers(&out, red, green, &format!("{what} → {output:?}"));
        }

        // Not turned when asked not to.
        let mut spec = spec_for(OutputFormat::Png);
        spec.auto_orient = false;
        let converted = run(&input, &spec, &what);
        assert_eq!((converted.width, converted.height), (60, 40), "{what}");
        let out = decode_rgb(&converted.bytes, ImageFormat::Png, &what);
        assert_markers(
            &out,
            Corner::TopLeft,
            Corner::TopRight,
            &format!("{what}, auto_orient false"),
        );
    }
}

#[test]
fn exif_orientation_of_a_png_is_honoured() {
    let stored = markers(60, 40);
    let png = insert_png_chunk(&encode(&stored, ImageFormat::Png), b"eXIf", &exif_tiff(6));
    let converted = run(&png, &Spec::new(), "PNG with eXIf orientation 6");
    assert_eq!((converted.width, converted.height), (40, 60));
    let out = decode_rgb(&converted.bytes, ImageFormat::Png, "PNG orientation 6");
    assert_markers(
        &out,
        Corner::TopRight,
        Corner::BottomRight,
        "PNG orientation 6",
    );
}

/// Turns a stored picture upright by hand, as EXIF orientation 1–8 says.
fn upright(stored: &RgbImage, orientation: u16) -> RgbImage {
    let (w, h) = stored.dimensions();
    match orientation {
        1 => stored.clone(),
        2 => RgbImage::from_fn(w, h, |x, y| *stored.get_pixel(w - 1 - x, y)),
        3 => RgbImage::from_fn(w, h, |x, y| *stored.get_pixel(w - 1 - x, h - 1 - y)),
        4 => RgbImage::from_fn(w, h, |x, y| *stored.get_pixel(x, h - 1 - y)),
        5 => RgbImage::from_fn(h, w, |x, y| *stored.get_pixel(y, x)),
        6 => RgbImage::from_fn(h, w, |x, y| *stored.get_pixel(y, h - 1 - x)),
        7 => RgbImage::from_fn(h, w, |x, y| *stored.get_pixel(w - 1 - y, h - 1 - x)),
        8 => RgbImage::from_fn(h, w, |x, y| *stored.get_pixel(w - 1 - y, x)),
        other => panic!("no orientation {other}"),
    }
}

/// Cover with a gravity on an EXIF-rotated JPEG equals the same cover on
/// the picture stored upright — for a small input (resampled as decoded)
/// and a large one (decoded at 1/4 by DCT scaling, crop mapped into the
/// stored frame).
#[test]
fn cover_on_a_rotated_input_equals_the_upright_picture() {
    for (w, h, side) in [(60, 40, 30), (480, 320, 40)] {
        let stored = ramp(w, h);
        let jpeg = encode(&stored, ImageFormat::Jpeg);
        for orientation in 1..=8 {
            let rotated = jpeg_with_exif(&jpeg, orientation);
            let straight = encode(&upright(&stored, orientation), ImageFormat::Jpeg);
            for gravity in [
                Gravity::North,
                Gravity::South,
                Gravity::East,
                Gravity::West,
                Gravity::NorthEast,
            ] {
                let mut spec = resized(Some(side), Some(side), Fit::Cover);
                spec.resize.gravity = gravity;
                spec.output.format = Some(OutputFormat::Png);
                let what = format!("{w}×{h}, orientation {orientation}, cover {gravity:?}");
                let a = run(&rotated, &spec, &what);
                let b = run(&straight, &spec, &what);
                assert_eq!((a.width, a.height), (side, side), "{what}");
                let a = decode_rgb(&a.bytes, ImageFormat::Png, &what);
                let b = decode_rgb(&b.bytes, ImageFormat::Png, &what);
                let (mean_diff, max_diff) = difference(&a, &b);
                assert!(
                    mean_diff < 3.0 && max_diff < 48,
                    "{what}: differs from the upright picture by {mean_diff:.2} on average, {max_diff} at most"
                );
            }
        }
    }
}

/// A resize on an EXIF-rotated input is planned in the upright frame:
/// one side, `exact` and `fill` all give the upright result.
#[test]
fn resizes_of_a_rotated_input_are_upright() {
    let input = jpeg_with_exif(&encode(&markers(60, 40), ImageFormat::Jpeg), 6);
    for (width, height, fit, size) in [
        (Some(30), None, Fit::Inside, (30, 45)),
        (None, Some(45), Fit::Inside, (30, 45)),
        (Some(50), Some(50), Fit::Exact, (50, 50)),
        (Some(20), Some(20), Fit::Cover, (20, 20)),
    ] {
        let mut spec = resized(width, height, fit);
        spec.output.format = Some(OutputFormat::Png);
        let what = format!("{width:?}×{height:?} {fit:?} of orientation 6");
        let converted = run(&input, &spec, &what);
        assert_eq!((converted.width, converted.height), size, "{what}");
        let out = decode_rgb(&converted.bytes, ImageFormat::Png, &what);
        if size.0 >= 30 {
            assert_markers(&out, Corner::TopRight, Corner::BottomRight, &what);
        } else {
            // Cover keeps the middle 40 × 40 of the upright 40 × 60: the
            // red block (upright x 26..40, y 0..18) is cut to its bottom.
            let top_right = mean(&out, (15, 0, 20, 1));
            assert!(
                distance(top_right, RED.map(f64::from)) < 40.0,
                "{what}: {top_right:.0?}"
            );
        }
    }

    // Fill pads the upright picture: 40 × 60 on a 60 × 60 canvas, west.
    let mut spec = resized(Some(60), Some(60), Fit::Fill);
    spec.resize.gravity = Gravity::West;
    spec.resize.background = Colour([0, 0, 255, 255]);
    spec.output.format = Some(OutputFormat::Png);
    let out = decode_rgb(&run(&input, &spec, "fill").bytes, ImageFormat::Png, "fill");
    assert_eq!(out.dimensions(), (60, 60));
    for (x, y) in [(40, 0), (59, 0), (50, 30), (59, 59)] {
        assert_eq!(out.get_pixel(x, y).0, [0, 0, 255], "padding at {x},{y}");
    }
    assert!(
        distance(mean(&out, (30, 2, 38, 10)), RED.map(f64::from)) < 30.0,
        "the red block at the picture's top right"
    );
    assert!(
        distance(mean(&out, (30, 50, 38, 58)), GREEN.map(f64::from)) < 30.0,
        "the green block at the picture's bottom right"
    );
}

/// Orientation tags in PNG (eXIf) and WebP (EXIF chunk) inputs: docsmith's
/// own outputs with the tag kept and the pixels not turned, read back.
#[test]
fn orientation_of_png_and_webp_inputs_is_honoured() {
    let input = tagged_jpeg(6);
    for format in [OutputFormat::Png, OutputFormat::Webp] {
        let mut keep = spec_for(format);
        keep.strip_metadata = false;
        keep.auto_orient = false;
        if format == OutputFormat::Webp {
            keep.output.lossless = true;
        }
        let tagged = run(&input, &keep, "tagged");
        assert_eq!(
            (tagged.width, tagged.height),
            (60, 40),
            "{format:?}: stored"
        );
        let what = format!("{format:?} with orientation 6");
        let converted = run(&tagged.bytes, &spec_for(format), &what);
        assert_eq!((converted.width, converted.height), (40, 60), "{what}");
        let out = decode_rgb(&converted.bytes, image_format(format), &what);
        assert_markers(&out, Corner::TopRight, Corner::BottomRight, &what);
    }
}

// ---------------------------------------------------------------------------
// 3. Metadata

fn tagged_jpeg(orientation: u16) -> Vec<u8> {
    let jpeg = encode(&markers(60, 40), ImageFormat::Jpeg);
    jpeg_with_exif(&jpeg_with_icc(&jpeg, &srgb_like_profile()), orientation)
}

#[test]
fn exif_is_dropped_by_default() {
    let input = tagged_jpeg(6);
    assert!(jpeg_exif(&input).is_some());
    for output in OutputFormat::ALL {
        let what = format!("{output:?}");
        let converted = run(&input, &spec_for(output), &what);
        let bytes = &converted.bytes;
        match output {
            OutputFormat::Jpeg => {
                assert!(
                    jpeg_segments(bytes).iter().all(|(m, _)| *m != 0xE1),
                    "JPEG: no APP1 segment"
                );
            }
            OutputFormat::Png => {
                assert!(
                    png_chunks(bytes).iter().all(|(k, _)| k != b"eXIf"),
                    "PNG: no eXIf chunk"
                );
            }
            OutputFormat::Webp => {
                let chunks = riff_chunks(bytes);
                assert!(
                    chunks.iter().all(|(id, _)| id != b"EXIF"),
                    "WebP: no EXIF chunk"
                );
                if let Some((_, vp8x)) = chunks.iter().find(|(id, _)| id == b"VP8X") {
                    assert_eq!(vp8x[0] & 0x08, 0, "WebP: no EXIF flag");
                }
            }
            OutputFormat::Avif => {}
        }
        assert!(
            !bytes.windows(8).any(|w| w == b"docsmith"),
            "{what}: the EXIF Make tag is gone"
        );
    }
}

#[test]
fn exif_is_kept_on_request_with_the_orientation_reset() {
    let input = tagged_jpeg(6);
    for output in [OutputFormat::Jpeg, OutputFormat::Png, OutputFormat::Webp] {
        let what = format!("{output:?}, strip_metadata false");
        let mut spec = spec_for(output);
        spec.strip_metadata = false;
        let converted = run(&input, &spec, &what);
        assert_eq!((converted.width, converted.height), (40, 60), "{what}");
        let bytes = &converted.bytes;
        let exif: Vec<u8> = match output {
            OutputFormat::Jpeg => jpeg_exif(bytes).expect("APP1 Exif kept").to_vec(),
            OutputFormat::Png => png_chunks(bytes)
                .into_iter()
                .find(|(k, _)| k == b"eXIf")
                .expect("eXIf kept")
                .1
                .to_vec(),
            OutputFormat::Webp => {
                let chunks = riff_chunks(bytes);
                let vp8x = chunks.iter().find(|(id, _)| id == b"VP8X").expect("VP8X").1;
                assert_ne!(vp8x[0] & 0x08, 0, "EXIF flag set");
                chunks
                    .into_iter()
                    .find(|(id, _)| id == b"EXIF")
                    .expect("EXIF kept")
                    .1
                    .to_vec()
            }
            OutputFormat::Avif => unreachable!(),
        };
        assert_eq!(
            exif_orientation(&exif),
            Some(1),
            "{what}: orientation reset"
        );
        let (kind, _) = tiff_entry(&exif, 0x010F).expect("Make kept");
        assert_eq!(kind, 2, "{what}");
        assert!(exif.windows(8).any(|w| w == b"docsmith"), "{what}");
        // Still decodable, and upright.
        let out = decode_rgb(bytes, image_format(output), &what);
        assert_markers(&out, Corner::TopRight, Corner::BottomRight, &what);
    }

    // Not oriented: the pixels and the tag stay as they were.
    let mut spec = spec_for(OutputFormat::Jpeg);
    spec.strip_metadata = false;
    spec.auto_orient = false;
    let converted = run(&input, &spec, "auto_orient false");
    assert_eq!((converted.width, converted.height), (60, 40));
    let exif = jpeg_exif(&converted.bytes).expect("APP1 Exif kept");
    assert_eq!(exif_orientation(exif), Some(6));
}

/// The ICC profile embedded in an output, read from its container (and,
/// for PNG and WebP, as the `image` crate reads it).
fn embedded_icc(bytes: &[u8], output: OutputFormat) -> Option<Vec<u8>> {
    match output {
        OutputFormat::Jpeg => jpeg_icc(bytes),
        OutputFormat::Png => image::codecs::png::PngDecoder::new(Cursor::new(bytes))
            .expect("PNG")
            .icc_profile()
            .expect("iCCP readable"),
        OutputFormat::Webp => {
            let chunk = riff_chunks(bytes)
                .into_iter()
                .find(|(id, _)| id == b"ICCP")
                .map(|(_, d)| d.to_vec());
            let decoded = image::codecs::webp::WebPDecoder::new(Cursor::new(bytes))
                .expect("WebP")
                .icc_profile()
                .expect("ICCP readable");
            assert_eq!(decoded, chunk, "the image crate reads the ICCP chunk");
            chunk
        }
        OutputFormat::Avif => panic!("AVIF profiles are not read here"),
    }
}

#[test]
fn icc_profile_travels_with_the_pixels() {
    let profile = srgb_like_profile();
    assert!(
        qcms::Profile::new_from_slice(&profile, false).is_some(),
        "the hand-built profile is valid"
    );
    let input = tagged_jpeg(1);
    assert_eq!(jpeg_icc(&input).as_deref(), Some(profile.as_slice()));
    for output in [OutputFormat::Jpeg, OutputFormat::Png, OutputFormat::Webp] {
        let what = format!("{output:?}");
        let converted = run(&input, &spec_for(output), &what);
        let icc = embedded_icc(&converted.bytes, output);
        assert_eq!(
            icc.as_deref(),
            Some(profile.as_slice()),
            "{what}: profile kept"
        );
        // Kept, not applied: the pixels are unchanged.
        let out = decode_rgb(&converted.bytes, image_format(output), &what);
        assert_markers(&out, Corner::TopLeft, Corner::TopRight, &what);
    }

    // A PNG's iCCP travels too.
    let mut png = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut png);
    image::ImageEncoder::set_icc_profile(&mut encoder, profile.clone()).expect("icc settable");
    image::ImageEncoder::write_image(
        encoder,
        markers(60, 40).as_raw(),
        60,
        40,
        image::ExtendedColorType::Rgb8,
    )
    .expect("PNG written");
    let converted = run(&png, &spec_for(OutputFormat::Webp), "PNG with iCCP → WebP");
    assert_eq!(
        embedded_icc(&converted.bytes, OutputFormat::Webp).as_deref(),
        Some(profile.as_slice())
    );

    // A profile larger than one JPEG segment holds is split over several
    // APP2 segments, and joined again.
    let large = icc_profile(SRGB_RED, SRGB_GREEN, SRGB_BLUE, 150_000);
    assert!(qcms::Profile::new_from_slice(&large, false).is_some());
    let chunks: Vec<&[u8]> = large.chunks(60_000).collect();
    let mut input = encode(&markers(60, 40), ImageFormat::Jpeg);
    for (i, chunk) in chunks.iter().enumerate().rev() {
        let mut payload = b"ICC_PROFILE\0".to_vec();
        payload.extend([i as u8 + 1, chunks.len() as u8]);
        payload.extend_from_slice(chunk);
        input = insert_segment(&input, 0xE2, &payload);
    }
    for output in [OutputFormat::Jpeg, OutputFormat::Png, OutputFormat::Webp] {
        let what = format!("150 kB profile → {output:?}");
        let converted = run(&input, &spec_for(output), &what);
        assert!(
            embedded_icc(&converted.bytes, output).as_deref() == Some(large.as_slice()),
            "{what}: profile kept whole"
        );
    }
}

#[test]
fn icc_srgb_converts_the_pixels_and_drops_the_profile() {
    let jpeg = encode(&markers(60, 40), ImageFormat::Jpeg);
    let input = jpeg_with_icc(&jpeg, &swapped_profile());

    let kept = run(&input, &spec_for(OutputFormat::Png), "icc keep");
    assert!(png_chunks(&kept.bytes).iter().any(|(k, _)| k == b"iCCP"));
    let out = decode_rgb(&kept.bytes, ImageFormat::Png, "icc keep");
    assert_markers(&out, Corner::TopLeft, Corner::TopRight, "icc keep");

    for output in [OutputFormat::Png, OutputFormat::Jpeg] {
        let what = format!("icc srgb → {output:?}");
        let mut spec = spec_for(output);
        spec.output.icc = Icc::Srgb;
        let converted = run(&input, &spec, &what);
        match output {
            OutputFormat::Png => assert!(
                png_chunks(&converted.bytes)
                    .iter()
                    .all(|(k, _)| k != b"iCCP"),
                "{what}: no iCCP"
            ),
            _ => assert_eq!(jpeg_icc(&converted.bytes), None, "{what}: no APP2"),
        }
        let out = decode_rgb(&converted.bytes, image_format(output), &what);
        // The stored red block is this profile's green and vice versa.
        let top_left = corner(&out, Corner::TopLeft);
        let top_right = corner(&out, Corner::TopRight);
        assert!(
            top_left[1] > top_left[0] + 100.0,
            "{what}: top left {top_left:.0?} should be green"
        );
        assert!(
            top_right[0] > top_right[1] + 100.0,
            "{what}: top right {top_right:.0?} should be red"
        );
    }
}

// ---------------------------------------------------------------------------
// 4. Fits

#[test]
fn fits_give_the_expected_sizes() {
    let input = encode(&picture(64, 48), ImageFormat::Png);
    // width, height, fit, upscale → size
    type Case = (Option<u32>, Option<u32>, Fit, bool, (u32, u32));
    let cases: &[Case] = &[
        (Some(32), Some(32), Fit::Inside, false, (32, 24)),
        (Some(100), Some(30), Fit::Inside, false, (40, 30)),
        (Some(128), Some(128), Fit::Inside, false, (64, 48)),
        (Some(128), Some(128), Fit::Inside, true, (128, 96)),
        (Some(32), Some(32), Fit::Cover, false, (32, 32)),
        (Some(128), Some(100), Fit::Cover, false, (128, 100)),
        (Some(32), Some(32), Fit::Fill, false, (32, 32)),
        (Some(100), Some(100), Fit::Fill, false, (100, 100)),
        (Some(100), Some(20), Fit::Exact, false, (100, 20)),
        (Some(1), Some(1), Fit::Exact, false, (1, 1)),
        (Some(32), None, Fit::Inside, false, (32, 24)),
        (None, Some(24), Fit::Inside, false, (32, 24)),
        (None, Some(12), Fit::Cover, false, (16, 12)),
        (Some(16), None, Fit::Fill, false, (16, 12)),
        (Some(16), None, Fit::Exact, false, (16, 12)),
        (Some(128), None, Fit::Inside, false, (64, 48)),
        (Some(128), None, Fit::Inside, true, (128, 96)),
        (Some(1), None, Fit::Inside, false, (1, 1)),
        (None, None, Fit::Cover, false, (64, 48)),
    ];
    for &(width, height, fit, upscale, expected) in cases {
        let mut spec = resized(width, height, fit);
        spec.resize.upscale = upscale;
        let what = format!("{width:?}×{height:?} {fit:?} upscale {upscale}");
        let converted = run(&input, &spec, &what);
        assert_eq!((converted.width, converted.height), expected, "{what}");
        let out = decode_rgb(&converted.bytes, ImageFormat::Png, &what);
        assert_eq!(out.dimensions(), expected, "{what}");
        assert_eq!((converted.input.width, converted.input.height), (64, 48));
    }
}

#[test]
fn resized_pictures_keep_their_content() {
    let input = encode(&picture(64, 48), ImageFormat::Png);
    for (width, height, fit) in [
        (32, 24, Fit::Inside),
        (128, 96, Fit::Exact),
        (32, 24, Fit::Cover),
    ] {
        let mut spec = resized(Some(width), Some(height), fit);
        spec.resize.upscale = true;
        let what = format!("{width}×{height} {fit:?}");
        let out = decode_rgb(&run(&input, &spec, &what).bytes, ImageFormat::Png, &what);
        let reference = picture(width, height);
        for (name, region) in regions(width, height) {
            assert_close(
                mean(&out, region),
                mean(&reference, region),
                10.0,
                &format!("{what}, {name}"),
            );
        }
    }
}

#[test]
fn cover_keeps_the_part_its_gravity_names() {
    let input = encode(&picture(64, 48), ImageFormat::Png);
    // 64 × 48 → 24 × 24 keeps 48 × 48: x 0..48 (west), 8..56 (centre) or
    // 16..64 (east). The red block covers x 0..16 and the blue one x 48..64:
    // 8, 4 or 0 output pixels of red in a row near the top, 0, 4 or 8 of
    // blue near the bottom.
    let count = |row: &[Rgb<u8>], colour: [u8; 3]| {
        row.iter()
            .filter(|p| distance(p.0.map(f64::from), colour.map(f64::from)) < 40.0)
            .count()
    };
    for (gravity, red, blue) in [
        (Gravity::West, 8, 0),
        (Gravity::Centre, 4, 4),
        (Gravity::East, 0, 8),
    ] {
        let mut spec = resized(Some(24), Some(24), Fit::Cover);
        spec.resize.gravity = gravity;
        let what = format!("cover {gravity:?}");
        let out = decode_rgb(&run(&input, &spec, &what).bytes, ImageFormat::Png, &what);
        assert_eq!(out.dimensions(), (24, 24));
        let top: Vec<Rgb<u8>> = (0..24).map(|x| *out.get_pixel(x, 2)).collect();
        let bottom: Vec<Rgb<u8>> = (0..24).map(|x| *out.get_pixel(x, 21)).collect();
        assert!(
            count(&top, RED).abs_diff(red) <= 1,
            "{what}: {} red pixels near the top, expected {red}",
            count(&top, RED)
        );
        assert!(
            count(&bottom, BLUE).abs_diff(blue) <= 1,
            "{what}: {} blue pixels near the bottom, expected {blue}",
            count(&bottom, BLUE)
        );
    }
}

#[test]
fn fill_pads_with_the_background_colour() {
    let input = encode(&picture(64, 48), ImageFormat::Png);
    let red = docsmith::image::parse_colour("#ff0000").expect("a colour");
    assert_eq!(red, Colour([255, 0, 0, 255]));

    // Centred: 32 × 24 on a 32 × 32 canvas, 4 rows of padding each side.
    let mut spec = resized(Some(32), Some(32), Fit::Fill);
    spec.resize.background = red;
    let out = decode_rgb(&run(&input, &spec, "fill").bytes, ImageFormat::Png, "fill");
    assert_eq!(out.dimensions(), (32, 32));
    for (x, y) in [(0, 0), (31, 0), (0, 31), (31, 31), (16, 3), (16, 28)] {
        assert_eq!(out.get_pixel(x, y).0, [255, 0, 0], "padding at {x},{y}");
    }
    for (x, y) in [(16, 4), (16, 27), (31, 16)] {
        assert_ne!(out.get_pixel(x, y).0, [255, 0, 0], "picture at {x},{y}");
    }
    let picture_part = image::imageops::crop_imm(&out, 0, 4, 32, 24).to_image();
    for (name, region) in regions(32, 24) {
        assert_close(
            mean(&picture_part, region),
            mean(&picture(32, 24), region),
            10.0,
            name,
        );
    }

    // North: all padding below.
    spec.resize.gravity = Gravity::North;
    let out = decode_rgb(
        &run(&input, &spec, "fill north").bytes,
        ImageFormat::Png,
        "north",
    );
    assert_ne!(out.get_pixel(31, 0).0, [255, 0, 0], "picture at the top");
    for (x, y) in [(0, 24), (31, 24), (0, 31), (31, 31)] {
        assert_eq!(
            out.get_pixel(x, y).0,
            [255, 0, 0],
            "north: padding at {x},{y}"
        );
    }

    // JPEG output: the same padding, within JPEG's error.
    let mut spec = resized(Some(32), Some(32), Fit::Fill);
    spec.resize.background = red;
    spec.output.format = Some(OutputFormat::Jpeg);
    let out = decode_rgb(
        &run(&input, &spec, "fill jpeg").bytes,
        ImageFormat::Jpeg,
        "jpeg",
    );
    assert_close(
        mean(&out, (0, 0, 32, 3)),
        [255.0, 0.0, 0.0],
        25.0,
        "JPEG top padding",
    );

    // A transparent background stays transparent where the output has alpha.
    let mut spec = resized(Some(32), Some(32), Fit::Fill);
    spec.resize.background = Colour([0, 0, 0, 0]);
    let converted = run(&input, &spec, "fill transparent");
    let out = decode(&converted.bytes, ImageFormat::Png, "transparent").to_rgba8();
    assert_eq!(out.get_pixel(0, 0).0[3], 0, "padding is transparent");
    assert_eq!(out.get_pixel(16, 16).0[3], 255, "the picture is opaque");
}

// ---------------------------------------------------------------------------
// Colour models, alpha and encoder options

/// Left half opaque blue; right half fully transparent with red hidden
/// under the transparency; a half-transparent green band across the middle.
fn translucent(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        if (height * 3 / 8..height * 5 / 8).contains(&y) {
            Rgba([0, 200, 0, 128])
        } else if x < width / 2 {
            Rgba([20, 20, 230, 255])
        } else {
            Rgba([255, 0, 0, 0])
        }
    })
}

fn encode_rgba(picture: &RgbaImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgba8(picture.clone())
        .write_to(Cursor::new(&mut out), format)
        .unwrap_or_else(|e| panic!("encoding the {format:?} input: {e}"));
    out
}

#[test]
fn alpha_is_kept_or_flattened() {
    let (w, h) = (64, 48);
    let original = translucent(w, h);
    let input = encode_rgba(&original, ImageFormat::Png);
    let top_left = (4, 2, 28, 14);
    let top_right = (36, 2, 60, 14);

    // PNG and lossless WebP keep every visible pixel and the alpha.
    let mut lossless = spec_for(OutputFormat::Webp);
    lossless.output.lossless = true;
    for (what, spec, format) in [
        ("PNG", spec_for(OutputFormat::Png), ImageFormat::Png),
        ("lossless WebP", lossless, ImageFormat::WebP),
    ] {
        let out = decode(&run(&input, &spec, what).bytes, format, what).to_rgba8();
        assert_eq!(out.dimensions(), (w, h), "{what}");
        for (x, y, p) in out.enumerate_pixels() {
            let q = original.get_pixel(x, y);
            assert_eq!(p.0[3], q.0[3], "{what}: alpha at {x},{y}");
            if q.0[3] > 0 {
                assert_eq!(p, q, "{what}: pixel at {x},{y}");
            }
        }
    }

    // Lossy WebP keeps the alpha channel.
    let out = decode(
        &run(&input, &spec_for(OutputFormat::Webp), "WebP").bytes,
        ImageFormat::WebP,
        "WebP",
    )
    .to_rgba8();
    assert_eq!(out.get_pixel(50, 5).0[3], 0, "WebP: transparent");
    assert_eq!(out.get_pixel(10, 5).0[3], 255, "WebP: opaque");

    // Downscaling weighs colours by their alpha: the red hidden under the
    // transparent half must not bleed into the visible pixels next to it.
    let spec = resized(Some(32), Some(24), Fit::Exact);
    let out = decode(
        &run(&input, &spec, "halved").bytes,
        ImageFormat::Png,
        "halved",
    )
    .to_rgba8();
    for (x, y, p) in out.enumerate_pixels() {
        let [r, _, b, a] = p.0;
        let band = (8..16).contains(&y);
        if a > 8 && !band {
            assert!(
                r < 60 && b > 150,
                "halved: red bled into the visible pixel {:?} at {x},{y}",
                p.0
            );
        }
    }

    // JPEG has no alpha: flattened onto the background, white by default,
    // else `output.background`, else the resize background.
    for (what, background, resize_background, expected) in [
        ("default", None, None, [255.0, 255.0, 255.0]),
        (
            "output background",
            Some(Colour([0, 0, 0, 255])),
            None,
            [0.0; 3],
        ),
        (
            "resize background",
            None,
            Some(Colour([255, 255, 0, 255])),
            [255.0, 255.0, 0.0],
        ),
    ] {
        let mut spec = spec_for(OutputFormat::Jpeg);
        spec.output.background = background;
        if let Some(colour) = resize_background {
            spec.resize.background = colour;
        }
        let out = decode_rgb(&run(&input, &spec, what).bytes, ImageFormat::Jpeg, what);
        assert_close(mean(&out, top_right), expected, 8.0, what);
        assert_close(mean(&out, top_left), [20.0, 20.0, 230.0], 8.0, what);
    }

    // AVIF keeps alpha as an auxiliary image; an opaque input has none.
    let alpha_urn: &[u8] = b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha";
    let has_alpha = |bytes: &[u8]| bytes.windows(alpha_urn.len()).any(|w| w == alpha_urn);
    let avif = run(&input, &spec_for(OutputFormat::Avif), "AVIF with alpha");
    assert_eq!(avif_size(&avif.bytes), (w, h));
    assert!(has_alpha(&avif.bytes), "AVIF: an alpha image");
    let opaque = encode(&picture(w, h), ImageFormat::Png);
    let avif = run(&opaque, &spec_for(OutputFormat::Avif), "opaque AVIF");
    assert!(!has_alpha(&avif.bytes), "AVIF: no alpha image when opaque");
}

/// A CMYK JPEG (as Photoshop writes them: inverted, with an Adobe marker)
/// written with libjpeg.
fn cmyk_jpeg(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_CMYK);
    compress.set_size(width as usize, height as usize);
    compress.set_quality(95.0);
    let mut started = compress.start_compress(Vec::new()).expect("compress");
    let data: Vec<u8> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .flat_map(|(x, y)| pixel(x, y))
        .collect();
    started.write_scanlines(&data).expect("scanlines");
    started.finish().expect("finished")
}

#[test]
fn grey_sixteen_bit_cmyk_and_palette_inputs_become_rgb() {
    let original = picture(64, 48);

    // 16 bits a channel: reduced to the same 8-bit picture.
    let deep = image::ImageBuffer::<Rgb<u16>, Vec<u16>>::from_fn(64, 48, |x, y| {
        Rgb(original.get_pixel(x, y).0.map(|v| u16::from(v) * 257))
    });
    let mut png16 = Vec::new();
    DynamicImage::ImageRgb16(deep)
        .write_to(Cursor::new(&mut png16), ImageFormat::Png)
        .expect("16-bit PNG");
    let out = decode_rgb(
        &run(&png16, &Spec::new(), "16-bit").bytes,
        ImageFormat::Png,
        "16-bit",
    );
    assert_eq!(out, original, "16-bit PNG");

    // Grey, as PNG and as JPEG.
    let grey = image::GrayImage::from_fn(64, 48, |x, y| image::Luma([(x * 3 + y) as u8]));
    let mut grey_png = Vec::new();
    DynamicImage::ImageLuma8(grey.clone())
        .write_to(Cursor::new(&mut grey_png), ImageFormat::Png)
        .expect("grey PNG");
    let mut grey_jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut grey_jpeg, 95)
        .encode_image(&grey)
        .expect("grey JPEG");
    for (what, input, tolerance) in [("grey PNG", grey_png, 0), ("grey JPEG", grey_jpeg, 6)] {
        let out = decode_rgb(
            &run(&input, &spec_for(OutputFormat::Png), what).bytes,
            ImageFormat::Png,
            what,
        );
        for (x, y, p) in out.enumerate_pixels() {
            let v = grey.get_pixel(x, y).0[0];
            assert!(
                p.0.iter().all(|c| c.abs_diff(v) <= tolerance),
                "{what}: {:?} at {x},{y}, expected grey {v}",
                p.0
            );
        }
    }

    // CMYK: red, white and 50 % black.
    let cmyk = cmyk_jpeg(48, 48, |x, _| match x / 16 {
        0 => [255, 0, 0, 255],
        1 => [255, 255, 255, 255],
        _ => [255, 255, 255, 127],
    });
    assert!(
        jpeg_segments(&cmyk)
            .iter()
            .any(|(m, p)| *m == 0xEE && p.starts_with(b"Adobe")),
        "libjpeg wrote an Adobe marker"
    );
    let out = decode_rgb(
        &run(&cmyk, &spec_for(OutputFormat::Png), "CMYK").bytes,
        ImageFormat::Png,
        "CMYK",
    );
    assert_close(
        mean(&out, (2, 2, 14, 46)),
        [255.0, 0.0, 0.0],
        12.0,
        "CMYK red",
    );
    assert_close(mean(&out, (18, 2, 30, 46)), [255.0; 3], 6.0, "CMYK white");
    assert_close(mean(&out, (34, 2, 46, 46)), [127.0; 3], 6.0, "CMYK grey");

    // GIF: a palette with a transparent entry, and two frames (the first
    // is converted).
    let frame = |colour: [u8; 4]| {
        image::Frame::new(RgbaImage::from_fn(32, 24, |x, _| {
            if x < 16 {
                Rgba(colour)
            } else {
                Rgba([0, 0, 0, 0])
            }
        }))
    };
    let mut gif = Vec::new();
    image::codecs::gif::GifEncoder::new(&mut gif)
        .encode_frames([frame([230, 20, 20, 255]), frame([20, 20, 230, 255])])
        .expect("animated GIF");
    let out = decode(
        &run(&gif, &Spec::new(), "GIF").bytes,
        ImageFormat::Png,
        "GIF",
    )
    .to_rgba8();
    assert_eq!(
        out.get_pixel(4, 4).0,
        [230, 20, 20, 255],
        "GIF: the first frame"
    );
    assert_eq!(out.get_pixel(24, 4).0[3], 0, "GIF: transparent");
}

#[test]
fn encoder_options_are_honoured() {
    let input = encode(&picture(64, 48), ImageFormat::Png);
    let frame_markers = |bytes: &[u8]| -> Vec<u8> {
        jpeg_segments(bytes)
            .into_iter()
            .map(|(m, _)| m)
            .filter(|m| matches!(m, 0xC0..=0xC3))
            .collect()
    };
    let baseline = run(&input, &spec_for(OutputFormat::Jpeg), "baseline");
    assert_eq!(
        frame_markers(&baseline.bytes),
        [0xC0],
        "baseline JPEG by default"
    );
    let mut spec = spec_for(OutputFormat::Jpeg);
    spec.output.progressive = true;
    let progressive = run(&input, &spec, "progressive");
    assert_eq!(
        frame_markers(&progressive.bytes),
        [0xC2],
        "progressive JPEG"
    );
    decode(&progressive.bytes, ImageFormat::Jpeg, "progressive");

    // Quality: more bytes for more quality, and closer to the input.
    let original = picture(64, 48);
    for format in [OutputFormat::Jpeg, OutputFormat::Webp] {
        let at = |quality: u8| {
            let mut spec = spec_for(format);
            spec.output.quality = Some(quality);
            run(&input, &spec, &format!("{format:?} q{quality}")).bytes
        };
        let (low, high) = (at(10), at(95));
        assert!(
            low.len() < high.len(),
            "{format:?}: q10 {} ≥ q95 {} bytes",
            low.len(),
            high.len()
        );
        let error =
            |bytes: &[u8]| difference(&decode_rgb(bytes, image_format(format), "q"), &original).0;
        assert!(
            error(&high) < error(&low),
            "{format:?}: q95 is closer to the input"
        );
        assert!(error(&high) < 3.0, "{format:?}: q95 error {}", error(&high));
    }

    // PNG optimisation: the same pixels, no more bytes.
    let plain = run(&input, &spec_for(OutputFormat::Png), "png");
    let mut spec = spec_for(OutputFormat::Png);
    spec.output.optimize = Some(3);
    let optimised = run(&input, &spec, "optimised png");
    assert!(optimised.bytes.len() <= plain.bytes.len());
    assert_eq!(
        decode_rgb(&optimised.bytes, ImageFormat::Png, "optimised"),
        original
    );
}

/// WebP cannot be wider or taller than 16,383 pixels: a job asking for more
/// is the job's fault (422), found before anything is decoded.
#[test]
fn webp_output_at_the_largest_side_is_refused_as_invalid() {
    let input = encode(&picture(64, 48), ImageFormat::Png);
    let mut spec = resized(Some(16_384), Some(2), Fit::Exact);
    spec.output.format = Some(OutputFormat::Webp);
    match convert(&input, &spec, &Limits::default(), &ctx()) {
        Err(e @ ImageError::TooLargeForFormat { .. }) => assert!(e.is_input_error()),
        other => panic!("expected TooLargeForFormat, got {other:?}"),
    }
    spec.resize.width = Some(16_383);
    let converted = convert(&input, &spec, &Limits::default(), &ctx()).expect("16,383 fits");
    assert_eq!((converted.width, converted.height), (16_383, 2));

    // Without a resize the input's own size counts: a 20,000 px wide PNG
    // fits PNG but neither WebP nor, at 70,000 px, JPEG.
    for (width, output, max) in [
        (20_000, OutputFormat::Webp, 16_383),
        (70_000, OutputFormat::Jpeg, 65_500),
    ] {
        let wide = encode(&RgbImage::from_pixel(width, 1, Rgb(GREY)), ImageFormat::Png);
        let what = format!("{width} px → {output:?}");
        match refuse(&wide, &spec_for(output), &Limits::default(), &what) {
            ImageError::TooLargeForFormat {
                width: w, max: m, ..
            } => assert_eq!((w, m), (width, max), "{what}"),
            other => panic!("{what}: expected TooLargeForFormat, got {other:?}"),
        }
    }
}

/// `max_pixels` bounds the result too: a tiny image enlarged to
/// 16,384 × 16,384 (`exact`, `cover`, `fill`, or `inside` with `upscale`)
/// would make a 268-megapixel canvas (about 1 GB with alpha).
#[test]
fn enlarging_past_the_pixel_limit_is_refused() {
    let input = encode(&picture(16, 12), ImageFormat::Png);
    let limits = Limits {
        max_pixels: 10_000,
        ..Limits::default()
    };
    for fit in [Fit::Exact, Fit::Cover, Fit::Fill, Fit::Inside] {
        let mut spec = resized(Some(200), Some(200), fit);
        spec.resize.upscale = true;
        let what = format!("16 × 12 → 200 × 200 {fit:?}");
        let err = refuse(&input, &spec, &limits, &what);
        assert!(err.is_input_error(), "{what}: {err:?}");
    }
}

// ---------------------------------------------------------------------------
// 5. Pixel bombs and limits

fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend(png_chunk(b"IHDR", &ihdr));
    // zlib: a stored block of a few zero bytes.
    out.extend(png_chunk(
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF, 0, 0, 0, 0, 0, 4, 0, 1,
        ],
    ));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// A real JPEG whose frame header claims another size.
fn jpeg_bomb(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = encode(&picture(16, 16), ImageFormat::Jpeg);
    let sof = jpeg
        .windows(2)
        .position(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2))
        .expect("a frame header");
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

/// A real GIF whose logical screen claims another size.
fn gif_bomb(width: u16, height: u16) -> Vec<u8> {
    let mut gif = encode(&picture(16, 16), ImageFormat::Gif);
    gif[6..8].copy_from_slice(&width.to_le_bytes());
    gif[8..10].copy_from_slice(&height.to_le_bytes());
    gif
}

/// A real BMP whose info header claims another size.
fn bmp_bomb(width: i32, height: i32) -> Vec<u8> {
    let mut bmp = encode(&picture(16, 16), ImageFormat::Bmp);
    bmp[18..22].copy_from_slice(&width.to_le_bytes());
    bmp[22..26].copy_from_slice(&height.to_le_bytes());
    bmp
}

/// A real TIFF whose ImageWidth, ImageLength and RowsPerStrip claim
/// another size.
fn tiff_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut tiff = encode(&picture(16, 16), ImageFormat::Tiff);
    assert!(tiff.starts_with(b"II*\0"), "little-endian TIFF");
    // One strip of all the rows, as the single strip of the real file.
    for (tag, value) in [(256u16, width), (257, height), (278, height)] {
        let ifd = u32::from_le_bytes(tiff[4..8].try_into().expect("4 bytes")) as usize;
        let count = usize::from(u16::from_le_bytes([tiff[ifd], tiff[ifd + 1]]));
        let entry = (0..count)
            .map(|k| ifd + 2 + 12 * k)
            .find(|&e| u16::from_le_bytes([tiff[e], tiff[e + 1]]) == tag)
            .expect("the tag");
        // Whatever the type was, make it a LONG.
        tiff[entry + 2..entry + 4].copy_from_slice(&4u16.to_le_bytes());
        tiff[entry + 8..entry + 12].copy_from_slice(&value.to_le_bytes());
    }
    tiff
}

/// A lossless WebP whose header claims 16383 × 16383. (The format goes to
/// 16384, but image-webp 0.2 reads 16384 as 0.)
fn webp_bomb() -> Vec<u8> {
    let mut webp = encode(&picture(16, 16), ImageFormat::WebP);
    let at = webp
        .windows(4)
        .position(|w| w == b"VP8L")
        .expect("a VP8L chunk")
        + 8;
    assert_eq!(webp[at], 0x2F, "VP8L signature");
    // 14 bits width − 1, 14 bits height − 1, alpha, version.
    let bits: u32 = 0x3FFE | (0x3FFE << 14) | (u32::from((webp[at + 4] >> 4) & 1) << 28);
    webp[at + 1..at + 5].copy_from_slice(&bits.to_le_bytes());
    webp
}

#[test]
fn pixel_bombs_are_refused_from_the_header() {
    let bombs: Vec<(&str, Vec<u8>, (u32, u32))> = vec![
        ("PNG", png_bomb(100_000, 100_000), (100_000, 100_000)),
        ("JPEG", jpeg_bomb(65_000, 65_000), (65_000, 65_000)),
        ("GIF", gif_bomb(65_535, 65_535), (65_535, 65_535)),
        // (The BMP decoder itself refuses sides over 65,535.)
        ("BMP", bmp_bomb(60_000, 60_000), (60_000, 60_000)),
        ("top-down BMP", bmp_bomb(60_000, -60_000), (60_000, 60_000)),
        ("TIFF", tiff_bomb(100_000, 100_000), (100_000, 100_000)),
        ("WebP", webp_bomb(), (16_383, 16_383)),
    ];
    for (what, bytes, (width, height)) in bombs {
        for output in [OutputFormat::Png, OutputFormat::Jpeg] {
            let err = refuse(&bytes, &spec_for(output), &Limits::default(), what);
            match err {
                ImageError::TooManyPixels {
                    width: w,
                    height: h,
                    max,
                } => {
                    assert_eq!((w, h), (width, height), "{what}");
                    assert_eq!(max, Limits::default().max_pixels, "{what}");
                }
                other => panic!("{what}: expected TooManyPixels, got {other:?}"),
            }
        }
    }

    // Sizes a decoder refuses on its own, and a GIF whose first frame is
    // far larger than its 16 × 16 screen: refused quickly all the same.
    let mut gif = encode(&picture(16, 16), ImageFormat::Gif);
    let frame = gif
        .iter()
        .position(|&b| b == 0x2C)
        .expect("an image descriptor");
    gif[frame + 5..frame + 9].copy_from_slice(&[0xFF; 4]);
    for (what, bytes) in [
        ("BMP 100,000²", bmp_bomb(100_000, 100_000)),
        ("GIF frame 65,535² on a 16² screen", gif),
    ] {
        let err = refuse(&bytes, &Spec::new(), &Limits::default(), what);
        assert!(err.is_input_error(), "{what}: {err:?}");
    }
}

#[test]
fn limits_on_bytes_and_pixels() {
    let input = encode(&picture(64, 48), ImageFormat::Png);
    let tight = Limits {
        max_pixels: 64 * 48 - 1,
        ..Limits::default()
    };
    match refuse(&input, &Spec::new(), &tight, "pixels") {
        ImageError::TooManyPixels { width, height, max } => {
            assert_eq!((width, height, max), (64, 48, 64 * 48 - 1));
        }
        other => panic!("expected TooManyPixels, got {other:?}"),
    }
    let exact = Limits {
        max_pixels: 64 * 48,
        ..Limits::default()
    };
    convert(&input, &Spec::new(), &exact, &ctx()).expect("exactly at the limit");

    let small = Limits {
        max_bytes: input.len() - 1,
        ..Limits::default()
    };
    match refuse(&input, &Spec::new(), &small, "bytes") {
        ImageError::TooLarge { bytes, max } => {
            assert_eq!((bytes, max), (input.len(), input.len() - 1))
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }

    let cancelled = RenderCtx::new(CancelToken::new(), None);
    cancelled.cancel.cancel();
    match convert(&input, &Spec::new(), &Limits::default(), &cancelled) {
        Err(ImageError::Interrupted(_)) => {}
        other => panic!("expected Interrupted, got {:?}", other.map(|c| c.format)),
    }
}

// ---------------------------------------------------------------------------
// 6. Truncated, damaged and garbage inputs

/// A deterministic byte generator (xorshift).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn truncated_inputs_are_errors() {
    let original = picture(64, 48);
    let jpeg = encode(&original, ImageFormat::Jpeg);
    let half = &jpeg[..jpeg.len() / 2];
    let err = refuse(half, &Spec::new(), &Limits::default(), "JPEG cut in half");
    assert!(
        matches!(err, ImageError::Truncated(InputFormat::Jpeg)),
        "JPEG cut in half: {err:?}"
    );
    let png = encode(&original, ImageFormat::Png);
    let err = refuse(
        &png[..png.len() / 2],
        &Spec::new(),
        &Limits::default(),
        "PNG cut in half",
    );
    assert!(
        matches!(
            err,
            ImageError::Truncated(InputFormat::Png)
                | ImageError::Damaged {
                    format: InputFormat::Png,
                    ..
                }
        ),
        "PNG cut in half: {err:?}"
    );

    // Every format, cut at many places: an input error of that format, or
    // — when only a trailer is missing — the whole picture; never a
    // partial picture passed off as the image.
    let mut failures = Vec::new();
    for (input_format, image_format) in INPUTS {
        let bytes = encode(&original, image_format);
        let whole = run(&bytes, &Spec::new(), "uncut").bytes;
        let step = (bytes.len() / 64).max(1);
        for cut in (1..bytes.len())
            .step_by(step)
            .chain(bytes.len() - 8..bytes.len())
        {
            let what = format!("{input_format:?} cut at {cut} of {}", bytes.len());
            let started = Instant::now();
            let result = catch_unwind(AssertUnwindSafe(|| {
                convert(&bytes[..cut], &Spec::new(), &Limits::default(), &ctx())
            }));
            if started.elapsed() > BOUND {
                failures.push(format!("{what}: took {:?}", started.elapsed()));
            }
            match result {
                Err(_) => failures.push(format!("{what}: panicked")),
                Ok(Ok(converted)) if converted.bytes != whole => {
                    failures.push(format!("{what}: converted to a partial picture"));
                }
                Ok(Ok(_)) => {}
                // (A BMP is recognised from 26 bytes on.)
                Ok(Err(ImageError::Unsupported)) if cut < 32 => {}
                Ok(Err(ImageError::Truncated(f) | ImageError::Damaged { format: f, .. }))
                    if f == input_format => {}
                Ok(Err(e)) => failures.push(format!("{what}: {e:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn garbage_is_refused() {
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let random = noise.bytes(4096);
    assert_eq!(docsmith::image::sniff(&random), None);
    let err = refuse(&random, &Spec::new(), &Limits::default(), "random bytes");
    assert!(matches!(err, ImageError::Unsupported), "{err:?}");
    let err = refuse(&[], &Spec::new(), &Limits::default(), "no bytes");
    assert!(matches!(err, ImageError::Unsupported), "{err:?}");
    let err = refuse(b"<svg/>", &Spec::new(), &Limits::default(), "SVG");
    assert!(matches!(err, ImageError::Unsupported), "{err:?}");

    let mut riff = b"RIFF\0\x10\0\0WEBP".to_vec();
    riff.extend(noise.bytes(4096));
    let signatures: [(&str, &[u8], InputFormat); 7] = [
        ("JPEG", b"\xFF\xD8\xFF", InputFormat::Jpeg),
        (
            "JPEG APP0",
            b"\xFF\xD8\xFF\xE0\x00\x10JFIF\0",
            InputFormat::Jpeg,
        ),
        ("PNG", b"\x89PNG\r\n\x1a\n", InputFormat::Png),
        ("GIF", b"GIF89a", InputFormat::Gif),
        ("BMP", b"BM", InputFormat::Bmp),
        ("TIFF", b"II*\0", InputFormat::Tiff),
        ("WebP", &riff[..12], InputFormat::Webp),
    ];
    for (what, signature, format) in signatures {
        for seed in 1..=8u64 {
            let mut bytes = signature.to_vec();
            bytes.extend(Noise(seed.wrapping_mul(0x2545_F491_4F6C_DD1D)).bytes(4096));
            let what = format!("{what} signature then garbage (seed {seed})");
            let err = refuse(&bytes, &Spec::new(), &Limits::default(), &what);
            assert!(
                matches!(
                    err,
                    ImageError::Truncated(f) | ImageError::Damaged { format: f, .. } if f == format
                ) || matches!(err, ImageError::TooManyPixels { .. }),
                "{what}: {err:?}"
            );
        }
    }
}

/// Random byte changes in real files of every format: an image or an input
/// error, never a panic, each in bounded time.
#[test]
fn damaged_inputs_never_panic() {
    let original = picture(32, 24);
    let mut noise = Noise(0xD1B5_4A32_D192_ED03);
    let mut failures = Vec::new();
    for (input_format, image_format) in INPUTS {
        let clean = encode(&original, image_format);
        for case in 0..40 {
            let mut bytes = clean.clone();
            for _ in 0..1 + noise.below(4) {
                // Leave the signature alone: garbage is tested above.
                let at = 4 + noise.below(bytes.len() - 4);
                bytes[at] = noise.next() as u8;
            }
            let started = Instant::now();
            let result = catch_unwind(AssertUnwindSafe(|| {
                convert(&bytes, &Spec::new(), &Limits::default(), &ctx())
            }));
            let elapsed = started.elapsed();
            let what = format!("{input_format:?} case {case}");
            match result {
                Err(_) => failures.push(format!("{what}: panicked")),
                Ok(Err(e)) if !e.is_input_error() => failures.push(format!("{what}: {e:?}")),
                Ok(_) if elapsed > BOUND => failures.push(format!("{what}: took {elapsed:?}")),
                Ok(_) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------
// 7. Image jobs over HTTP and the CLI

const BOUNDARY: &str = "XdocsmithImageBoundary";

fn multipart(job: &Value, files: &[(&str, &[u8])]) -> Request<Body> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"job\"\r\nContent-Type: application/json\r\n\r\n{job}\r\n"
    )
    .into_bytes();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    Request::post("/v1/render")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .expect("request")
}

fn assert_ok(reply: &Reply, content_type: &str, filename: &str, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{what}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("content-type"), content_type, "{what}");
    assert_eq!(
        reply.header("content-disposition"),
        format!("attachment; filename=\"{filename}\""),
        "{what}"
    );
    assert_eq!(
        reply.header("content-length"),
        reply.body.len().to_string(),
        "{what}"
    );
}

fn assert_invalid(reply: &Reply, pointer: &str, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.header("content-type"),
        "application/problem+json",
        "{what}"
    );
    assert!(
        reply.pointers().iter().any(|p| p == pointer),
        "{what}: pointers {:?}, expected {pointer}",
        reply.pointers()
    );
}

#[tokio::test]
async fn image_jobs_render_over_http() {
    let state = state_with(test_config());
    let original = picture(64, 48);
    let png = encode(&original, ImageFormat::Png);

    let job = json!({
        "format": "image",
        "source": "file:photo.png",
        "resize": {"width": 32},
        "output": {"format": "webp", "quality": 90},
    });
    let reply = send(&state, multipart(&job, &[("photo.png", &png)])).await;
    assert_ok(&reply, "image/webp", "photo.webp", "PNG → WebP");
    let out = decode_rgb(&reply.body, ImageFormat::WebP, "PNG → WebP");
    assert_eq!(out.dimensions(), (32, 24));
    for (name, region) in regions(32, 24) {
        assert_close(
            mean(&out, region),
            mean(&picture(32, 24), region),
            12.0,
            name,
        );
    }

    // No output format: the input's, and the source's name.
    let job = json!({"format": "image", "source": "file:photo.png"});
    let reply = send(&state, multipart(&job, &[("photo.png", &png)])).await;
    assert_ok(&reply, "image/png", "photo.png", "PNG → PNG");
    assert_eq!(
        decode_rgb(&reply.body, ImageFormat::Png, "PNG → PNG"),
        original
    );

    let jpeg = encode(&original, ImageFormat::Jpeg);
    let job = json!({"format": "image", "source": "file:uploads/holiday.jpeg"});
    let reply = send(&state, multipart(&job, &[("uploads/holiday.jpeg", &jpeg)])).await;
    assert_ok(&reply, "image/jpeg", "holiday.jpg", "JPEG → JPEG");
    decode(&reply.body, ImageFormat::Jpeg, "JPEG → JPEG");

    let gif = encode(&original, ImageFormat::Gif);
    let job = json!({"format": "image", "source": "file:anim.gif"});
    let reply = send(&state, multipart(&job, &[("anim.gif", &gif)])).await;
    assert_ok(&reply, "image/png", "anim.png", "GIF → PNG");
    decode(&reply.body, ImageFormat::Png, "GIF → PNG");

    // A data URL in a JSON body, a named output file, EXIF turned upright.
    let rotated = jpeg_with_exif(&encode(&markers(60, 40), ImageFormat::Jpeg), 6);
    let job = json!({
        "format": "image",
        "filename": "upright.png",
        "source": format!("data:image/jpeg;base64,{}", base64(&rotated)),
        "output": {"format": "png"},
    });
    let reply = send(&state, post_json("/v1/render", job.to_string())).await;
    assert_ok(&reply, "image/png", "upright.png", "data URL");
    let out = decode_rgb(&reply.body, ImageFormat::Png, "data URL");
    assert_eq!(out.dimensions(), (40, 60));
    assert_markers(&out, Corner::TopRight, Corner::BottomRight, "data URL");

    let job =
        json!({"format": "image", "source": format!("data:image/png;base64,{}", base64(&png))});
    let reply = send(&state, post_json("/v1/render", job.to_string())).await;
    assert_ok(
        &reply,
        "image/png",
        "image.png",
        "data URL without a file name",
    );

    // Metadata kept on request, through the job's fields.
    let job = json!({
        "format": "image",
        "source": "file:tagged.jpg",
        "strip_metadata": false,
        "auto_orient": false,
    });
    let reply = send(&state, multipart(&job, &[("tagged.jpg", &tagged_jpeg(6))])).await;
    assert_ok(&reply, "image/jpeg", "tagged.jpg", "metadata kept");
    assert_eq!(
        jpeg_exif(&reply.body).and_then(exif_orientation),
        Some(6),
        "not oriented, tag kept"
    );

    // AVIF, small and quick.
    let job = json!({
        "format": "image",
        "source": "file:photo.png",
        "output": {"format": "avif", "quality": AVIF_QUALITY, "effort": AVIF_EFFORT},
    });
    let reply = send(&state, multipart(&job, &[("photo.png", &png)])).await;
    assert_ok(&reply, "image/avif", "photo.avif", "PNG → AVIF");
    assert_eq!(avif_size(&reply.body), (64, 48));
}

#[tokio::test]
async fn image_job_problems_point_at_the_field() {
    let state = state_with(test_config());
    let png = encode(&picture(64, 48), ImageFormat::Png);

    let job = json!({"format": "image", "source": "file:missing.png"});
    let reply = send(&state, multipart(&job, &[("photo.png", &png)])).await;
    assert_invalid(&reply, "/source", "missing file");
    assert!(
        reply.json()["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("photo.png")),
        "the files sent are listed: {}",
        reply.json()
    );

    let garbage = Noise(7).bytes(2048);
    let job = json!({"format": "image", "source": "file:photo.png"});
    let reply = send(&state, multipart(&job, &[("photo.png", &garbage)])).await;
    assert_invalid(&reply, "/source", "garbage, output format from the input");
    let job = json!({"format": "image", "source": "file:photo.png", "output": {"format": "webp"}});
    let reply = send(&state, multipart(&job, &[("photo.png", &garbage)])).await;
    assert_invalid(&reply, "/source", "garbage, output format named");

    let half = encode(&picture(64, 48), ImageFormat::Jpeg);
    let half = &half[..half.len() / 2];
    let job = json!({"format": "image", "source": "file:cut.jpg"});
    let reply = send(&state, multipart(&job, &[("cut.jpg", half)])).await;
    assert_invalid(&reply, "/source", "truncated JPEG");

    let started = Instant::now();
    let job = json!({"format": "image", "source": "file:bomb.png"});
    let reply = send(
        &state,
        multipart(&job, &[("bomb.png", &png_bomb(100_000, 100_000))]),
    )
    .await;
    assert_invalid(&reply, "/source", "pixel bomb");
    assert!(started.elapsed() < BOUND, "{:?}", started.elapsed());

    let job = json!({
        "format": "image",
        "source": "file:photo.png",
        "resize": {"width": 16_384, "height": 2, "fit": "exact"},
        "output": {"format": "webp"},
    });
    let reply = send(&state, multipart(&job, &[("photo.png", &png)])).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "wider than WebP holds: {}",
        String::from_utf8_lossy(&reply.body)
    );

    let job = json!({
        "format": "image",
        "source": "file:photo.png",
        "resize": {"width": 32, "fit": "squash"},
    });
    let reply = send(&state, multipart(&job, &[("photo.png", &png)])).await;
    assert_invalid(&reply, "/resize/fit", "bad fit");

    let job = json!({"format": "image", "source": "http://example.com/a.png"});
    let reply = send(&state, post_json("/v1/render", job.to_string())).await;
    assert_invalid(&reply, "/source", "remote URL");

    let job = json!({"format": "image"});
    let reply = send(&state, post_json("/v1/render", job.to_string())).await;
    assert_invalid(&reply, "/source", "no source");
}

#[test]
fn cli_renders_an_image_job() {
    let dir = std::env::temp_dir().join(format!("docsmith-it-images-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let photo = dir.join("photo.png");
    std::fs::write(&photo, encode(&picture(64, 48), ImageFormat::Png)).expect("write photo");
    let job = json!({
        "format": "image",
        "source": "file:photo.png",
        "resize": {"width": 32, "height": 32, "fit": "cover"},
        "output": {"format": "webp"},
    });
    std::fs::write(dir.join("job.json"), job.to_string()).expect("write job");
    let file_arg = format!("photo.png={}", photo.display());

    let docsmith = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_docsmith"))
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("docsmith runs")
    };
    let run = docsmith(&["render", "job.json", "--file", &file_arg, "-o", "out.webp"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let bytes = std::fs::read(dir.join("out.webp")).expect("output written");
    let out = decode_rgb(&bytes, ImageFormat::WebP, "CLI");
    assert_eq!(out.dimensions(), (32, 32));

    // Without -o: named after the source.
    let run = docsmith(&["render", "job.json", "--file", &file_arg]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let bytes = std::fs::read(dir.join("photo.webp")).expect("photo.webp written");
    decode(&bytes, ImageFormat::WebP, "CLI default name");

    // A file that is not an image: exit 2, the pointer on stderr, no output.
    std::fs::write(dir.join("junk.png"), b"not an image at all").expect("write junk");
    let junk_arg = format!("photo.png={}", dir.join("junk.png").display());
    let run = docsmith(&["render", "job.json", "--file", &junk_arg, "-o", "junk.webp"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("/source"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!dir.join("junk.webp").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
