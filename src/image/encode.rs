//! Encoders: JPEG (libjpeg-turbo through `mozjpeg`, libjpeg-turbo's own
//! settings with optimised Huffman tables), PNG (`image`, then `oxipng`
//! when asked), WebP (libwebp, lossy or lossless), AVIF (rav1e through
//! `ravif`).

use image::{DynamicImage, ImageEncoder};

use super::pixels::Pixels;
use super::{
    DEFAULT_AVIF_QUALITY, DEFAULT_JPEG_QUALITY, DEFAULT_WEBP_QUALITY, ImageError, OutputFormat,
    Spec,
};

/// WebP encoder method (effort) when the job gives none.
const DEFAULT_WEBP_EFFORT: u8 = 4;
/// AVIF effort when the job gives none: rav1e speed 6, a service's
/// trade-off between size and time.
const DEFAULT_AVIF_EFFORT: u8 = 4;

pub fn encode(pixels: Pixels, format: OutputFormat, spec: &Spec) -> Result<Vec<u8>, ImageError> {
    match format {
        OutputFormat::Jpeg => jpeg(&pixels, spec),
        OutputFormat::Png => png(pixels, spec),
        OutputFormat::Webp => webp(&pixels, spec),
        OutputFormat::Avif => avif(&pixels, spec),
    }
}

fn failed(format: &'static str, detail: impl std::fmt::Display) -> ImageError {
    ImageError::Encode {
        format,
        detail: detail.to_string(),
    }
}

fn jpeg(pixels: &Pixels, spec: &Spec) -> Result<Vec<u8>, ImageError> {
    // JPEG has no alpha: `prepare` flattened it already.
    let rgb = match &pixels.image {
        DynamicImage::ImageRgb8(rgb) => std::borrow::Cow::Borrowed(rgb),
        other => std::borrow::Cow::Owned(other.to_rgb8()),
    };
    let (width, height) = rgb.dimensions();
    let quality = spec.output.quality.unwrap_or(DEFAULT_JPEG_QUALITY);
    let run = || -> std::io::Result<Vec<u8>> {
        let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
        compress.set_fastest_defaults();
        compress.set_size(width as usize, height as usize);
        compress.set_quality(f32::from(quality));
        compress.set_optimize_coding(true);
        if spec.output.progressive {
            compress.set_progressive_mode();
        }
        let capacity = (width as usize * height as usize / 4).max(4096);
        let mut started = compress.start_compress(Vec::with_capacity(capacity))?;
        if let Some(exif) = &pixels.exif
            && exif.len() + 6 <= 65533
        {
            let mut app1 = Vec::with_capacity(exif.len() + 6);
            app1.extend_from_slice(b"Exif\0\0");
            app1.extend_from_slice(exif);
            started.write_marker(mozjpeg::Marker::APP(1), &app1);
        }
        if let Some(icc) = pixels.icc.as_deref().filter(|p| !p.is_empty()) {
            started.write_icc_profile(icc);
        }
        started.write_scanlines(rgb.as_raw())?;
        started.finish()
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(failed("jpeg", e)),
        Err(_) => Err(failed("jpeg", "libjpeg stopped")),
    }
}

fn png(pixels: Pixels, spec: &Spec) -> Result<Vec<u8>, ImageError> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut bytes = Vec::new();
    // A later optimisation pass recompresses anyway: compress fast first.
    let compression = if spec.output.optimize.is_some() {
        CompressionType::Fast
    } else {
        CompressionType::Default
    };
    let mut encoder = PngEncoder::new_with_quality(&mut bytes, compression, FilterType::Adaptive);
    if let Some(icc) = pixels.icc {
        encoder.set_icc_profile(icc).map_err(|e| failed("png", e))?;
    }
    if let Some(exif) = pixels.exif {
        encoder
            .set_exif_metadata(exif)
            .map_err(|e| failed("png", e))?;
    }
    let image = pixels.image;
    encoder
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .map_err(|e| failed("png", e))?;
    match spec.output.optimize {
        Some(level) => oxipng::optimize_from_memory(&bytes, &oxipng::Options::from_preset(level))
            .map_err(|e| failed("png", e)),
        None => Ok(bytes),
    }
}

fn webp(pixels: &Pixels, spec: &Spec) -> Result<Vec<u8>, ImageError> {
    let image = &pixels.image;
    let (width, height) = (image.width(), image.height());
    let alpha = matches!(image, DynamicImage::ImageRgba8(_));
    let encoder = if alpha {
        webp::Encoder::from_rgba(image.as_bytes(), width, height)
    } else {
        webp::Encoder::from_rgb(image.as_bytes(), width, height)
    };
    let mut config = webp::WebPConfig::new().map_err(|()| failed("webp", "no configuration"))?;
    config.lossless = i32::from(spec.output.lossless);
    config.quality = f32::from(spec.output.quality.unwrap_or(DEFAULT_WEBP_QUALITY));
    config.method = i32::from(spec.output.effort.unwrap_or(DEFAULT_WEBP_EFFORT));
    config.alpha_compression = i32::from(!spec.output.lossless);
    let encoded = encoder
        .encode_advanced(&config)
        .map_err(|e| failed("webp", format!("{e:?}")))?;
    if pixels.icc.is_none() && pixels.exif.is_none() {
        return Ok(encoded.to_vec());
    }
    riff::with_metadata(
        &encoded,
        (width, height),
        alpha,
        pixels.icc.as_deref(),
        pixels.exif.as_deref(),
    )
    .ok_or_else(|| failed("webp", "libwebp wrote an unexpected container"))
}

fn avif(pixels: &Pixels, spec: &Spec) -> Result<Vec<u8>, ImageError> {
    use rgb::FromSlice;
    let quality = spec.output.quality.unwrap_or(DEFAULT_AVIF_QUALITY);
    let effort = spec.output.effort.unwrap_or(DEFAULT_AVIF_EFFORT).min(9);
    let mut encoder = ravif::Encoder::new()
        .with_quality(f32::from(quality))
        .with_alpha_quality(f32::from(quality))
        .with_speed(10 - effort);
    if let Some(exif) = &pixels.exif {
        encoder = encoder.with_exif(exif.as_slice());
    }
    let image = &pixels.image;
    let (width, height) = (image.width() as usize, image.height() as usize);
    let encoded = match image {
        DynamicImage::ImageRgba8(rgba) => {
            encoder.encode_rgba(ravif::Img::new(rgba.as_raw().as_rgba(), width, height))
        }
        other => {
            let rgb = other.to_rgb8();
            encoder.encode_rgb(ravif::Img::new(rgb.as_raw().as_rgb(), width, height))
        }
    };
    encoded.map(|e| e.avif_file).map_err(|e| failed("avif", e))
}

/// The WebP container: libwebp writes a simple file (one `VP8 `/`VP8L`
/// chunk, or `VP8X` + `ALPH` + `VP8 ` for lossy with alpha); an ICC
/// profile or EXIF needs the extended form with their own chunks.
mod riff {
    /// `VP8X` flags.
    const ICC: u8 = 0x20;
    const ALPHA: u8 = 0x10;
    const EXIF: u8 = 0x08;

    pub fn with_metadata(
        simple: &[u8],
        (width, height): (u32, u32),
        alpha: bool,
        icc: Option<&[u8]>,
        exif: Option<&[u8]>,
    ) -> Option<Vec<u8>> {
        if simple.len() < 12 || &simple[..4] != b"RIFF" || &simple[8..12] != b"WEBP" {
            return None;
        }
        let mut image_chunks = Vec::new();
        let mut rest = &simple[12..];
        while rest.len() >= 8 {
            let size = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
            let padded = size + (size & 1);
            let chunk = rest.get(..8 + padded)?;
            if &chunk[..4] != b"VP8X" {
                image_chunks.push(chunk);
            }
            rest = &rest[8 + padded..];
        }
        let mut flags = 0;
        if icc.is_some() {
            flags |= ICC;
        }
        if alpha {
            flags |= ALPHA;
        }
        if exif.is_some() {
            flags |= EXIF;
        }
        let mut vp8x = [0u8; 10];
        vp8x[0] = flags;
        vp8x[4..7].copy_from_slice(&(width - 1).to_le_bytes()[..3]);
        vp8x[7..10].copy_from_slice(&(height - 1).to_le_bytes()[..3]);

        let mut body = Vec::with_capacity(simple.len() + 64);
        body.extend_from_slice(b"WEBP");
        chunk(&mut body, b"VP8X", &vp8x);
        if let Some(icc) = icc {
            chunk(&mut body, b"ICCP", icc);
        }
        for c in image_chunks {
            body.extend_from_slice(c);
        }
        if let Some(exif) = exif {
            chunk(&mut body, b"EXIF", exif);
        }
        let mut out = Vec::with_capacity(body.len() + 8);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&u32::try_from(body.len()).ok()?.to_le_bytes());
        out.extend_from_slice(&body);
        Some(out)
    }

    fn chunk(out: &mut Vec<u8>, id: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(id);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
    }
}
