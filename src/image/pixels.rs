//! From decoded pixels to the pixels that are encoded: crop and resample
//! (SIMD, in the stored frame), turn upright, pad, manage colour, flatten.

use fast_image_resize as fir;
use image::metadata::Orientation;
use image::{DynamicImage, Rgba, RgbaImage};

use super::decode::Decoded;
use super::geometry::{Plan, Rect};
use super::{Colour, Filter, Fit, Icc, ImageError, OutputFormat, Spec};

/// Pixels ready for an encoder, with what travels along.
pub struct Pixels {
    /// `Rgb8`, or `Rgba8` when some pixel is not opaque and the output
    /// keeps alpha.
    pub image: DynamicImage,
    /// An RGB ICC profile to embed.
    pub icc: Option<Vec<u8>>,
    /// EXIF to embed (only when metadata is kept), orientation reset.
    pub exif: Option<Vec<u8>>,
}

/// Runs the plan on `decoded`, an image stored at full size `raw` and shown
/// in `orientation`; the decoded image may be smaller (DCT scaling).
pub fn prepare(
    decoded: Decoded,
    plan: &Plan,
    raw: (u32, u32),
    orientation: Orientation,
    spec: &Spec,
    output: OutputFormat,
) -> Result<Pixels, ImageError> {
    let (crop, scaled) = plan.raw(orientation, raw);
    let Decoded {
        image,
        mut icc,
        exif,
    } = decoded;
    let mut image = resample(image, crop, scaled, raw, spec.resize.filter)?;
    image.apply_orientation(orientation);
    if spec.resize.fit == Fit::Fill && plan.canvas != plan.scaled {
        image = pad(image, plan, spec.resize.background);
    }

    // Only an RGB profile describes these pixels (a grey or CMYK one
    // described the input before conversion).
    if icc
        .as_deref()
        .is_some_and(|p| p.get(16..20) != Some(b"RGB "))
    {
        icc = None;
    }
    if (spec.output.icc == Icc::Srgb || output == OutputFormat::Avif)
        && let Some(profile) = icc.take()
    {
        to_srgb(&mut image, &profile);
    }

    let background = spec.output.background.unwrap_or(spec.resize.background);
    let image = flatten(image, output.has_alpha(), background);

    let exif = if spec.strip_metadata {
        None
    } else {
        exif.map(|mut exif| {
            if spec.auto_orient {
                let _ = Orientation::remove_from_exif_chunk(&mut exif);
            }
            exif
        })
    };
    Ok(Pixels { image, icc, exif })
}

/// Crops and resamples to `size` (identity when nothing changes).
fn resample(
    image: DynamicImage,
    crop: Rect,
    size: (u32, u32),
    raw: (u32, u32),
    filter: Filter,
) -> Result<DynamicImage, ImageError> {
    let (w, h) = (image.width(), image.height());
    // The decoder may have shrunk the image: scale the crop with it.
    let (fx, fy) = (
        f64::from(w) / f64::from(raw.0),
        f64::from(h) / f64::from(raw.1),
    );
    let crop = Rect {
        x: crop.x * fx,
        y: crop.y * fy,
        width: (crop.width * fx).min(f64::from(w)),
        height: (crop.height * fy).min(f64::from(h)),
    };
    let whole =
        crop.x == 0.0 && crop.y == 0.0 && crop.width == f64::from(w) && crop.height == f64::from(h);
    if whole && size == (w, h) {
        return Ok(image);
    }
    let pixel_type = match &image {
        DynamicImage::ImageRgba8(_) => fir::PixelType::U8x4,
        _ => fir::PixelType::U8x3,
    };
    let alpha = pixel_type == fir::PixelType::U8x4;
    let src = fir::images::ImageRef::new(w, h, image.as_bytes(), pixel_type).map_err(bug)?;
    let mut dst = fir::images::Image::new(size.0, size.1, pixel_type);
    let algorithm = match filter {
        Filter::Nearest => fir::ResizeAlg::Nearest,
        Filter::Lanczos3 => fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3),
        Filter::Mitchell => fir::ResizeAlg::Convolution(fir::FilterType::Mitchell),
        Filter::CatmullRom => fir::ResizeAlg::Convolution(fir::FilterType::CatmullRom),
        Filter::Bilinear => fir::ResizeAlg::Convolution(fir::FilterType::Bilinear),
        Filter::Box => fir::ResizeAlg::Convolution(fir::FilterType::Box),
    };
    let options = fir::ResizeOptions::new()
        .resize_alg(algorithm)
        .crop(crop.x, crop.y, crop.width, crop.height)
        .use_alpha(alpha);
    fir::Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(bug)?;
    let bytes = dst.into_vec();
    let image = if alpha {
        image::RgbaImage::from_raw(size.0, size.1, bytes).map(DynamicImage::ImageRgba8)
    } else {
        image::RgbImage::from_raw(size.0, size.1, bytes).map(DynamicImage::ImageRgb8)
    };
    image.ok_or_else(|| bug("the resampler returned a buffer of the wrong size"))
}

fn bug(err: impl std::fmt::Display) -> ImageError {
    ImageError::Encode {
        format: "resampler",
        detail: err.to_string(),
    }
}

/// Places the image on a canvas of the background colour (`fill`).
fn pad(image: DynamicImage, plan: &Plan, background: Colour) -> DynamicImage {
    let mut canvas = RgbaImage::from_pixel(plan.canvas.0, plan.canvas.1, Rgba(background.0));
    image::imageops::overlay(
        &mut canvas,
        &image.into_rgba8(),
        i64::from(plan.offset.0),
        i64::from(plan.offset.1),
    );
    DynamicImage::ImageRgba8(canvas)
}

/// Drops the alpha channel when the output has none (blending onto
/// `background`) or when every pixel is opaque.
fn flatten(image: DynamicImage, keep_alpha: bool, background: Colour) -> DynamicImage {
    let DynamicImage::ImageRgba8(rgba) = image else {
        return image;
    };
    let opaque = rgba.pixels().all(|p| p.0[3] == 255);
    if keep_alpha && !opaque {
        return DynamicImage::ImageRgba8(rgba);
    }
    let [br, bg, bb, _] = background.0;
    let (w, h) = rgba.dimensions();
    let mut rgb = Vec::with_capacity(w as usize * h as usize * 3);
    for p in rgba.pixels() {
        let [r, g, b, a] = p.0;
        let a = u32::from(a);
        for (c, under) in [(r, br), (g, bg), (b, bb)] {
            rgb.push(((u32::from(c) * a + u32::from(under) * (255 - a) + 127) / 255) as u8);
        }
    }
    image::RgbImage::from_raw(w, h, rgb)
        .map(DynamicImage::ImageRgb8)
        .unwrap_or(DynamicImage::ImageRgba8(rgba))
}

/// Converts the pixels from `profile` to sRGB. A profile qcms cannot read
/// is dropped and the pixels are left as they are.
fn to_srgb(image: &mut DynamicImage, profile: &[u8]) {
    let Some(input) = qcms::Profile::new_from_slice(profile, false) else {
        return;
    };
    if input.is_sRGB() {
        return;
    }
    let output = qcms::Profile::new_sRGB();
    let (data_type, bytes) = match image {
        DynamicImage::ImageRgb8(rgb) => (qcms::DataType::RGB8, &mut **rgb),
        DynamicImage::ImageRgba8(rgba) => (qcms::DataType::RGBA8, &mut **rgba),
        _ => return,
    };
    if let Some(transform) =
        qcms::Transform::new(&input, &output, data_type, qcms::Intent::Perceptual)
    {
        transform.apply(bytes);
    }
}
