//! Image conversion: decode (format from the bytes), orient, crop and
//! resample, flatten, encode.
//!
//! The pixel size is read from the header and checked against the limit
//! before anything is decoded. JPEGs are decoded at the smallest DCT scale
//! (1/2, 1/4, 1/8) that still leaves at least twice the target size for the
//! Lanczos resampler, as libvips does; the resampler and the decoder work on
//! the stored frame and only the small result is turned upright. Metadata is
//! dropped unless asked for, except the ICC colour profile, which travels
//! with the pixels (or is converted to sRGB where the output cannot carry
//! it).

pub mod batch;
mod decode;
mod encode;
pub mod geometry;
mod pixels;
mod spec;

use std::fmt;

pub use decode::{InputFormat, sniff};
pub use spec::{parse_colour, validate_output, validate_resize};

use crate::render_ctx::{Interrupted, RenderCtx};

/// An output encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Jpeg,
    Png,
    Webp,
    Avif,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 4] = [
        OutputFormat::Jpeg,
        OutputFormat::Png,
        OutputFormat::Webp,
        OutputFormat::Avif,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Png => "png",
            OutputFormat::Webp => "webp",
            OutputFormat::Avif => "avif",
        }
    }

    pub fn parse(name: &str) -> Option<OutputFormat> {
        match name {
            "jpg" => Some(OutputFormat::Jpeg),
            _ => Self::ALL.into_iter().find(|f| f.as_str() == name),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpg",
            other => other.as_str(),
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
            OutputFormat::Webp => "image/webp",
            OutputFormat::Avif => "image/avif",
        }
    }

    /// Largest width or height the format can hold.
    pub fn max_side(self) -> u32 {
        match self {
            OutputFormat::Jpeg => 65_500,
            OutputFormat::Webp => 16_383,
            OutputFormat::Png | OutputFormat::Avif => 65_535,
        }
    }

    pub fn has_alpha(self) -> bool {
        !matches!(self, OutputFormat::Jpeg)
    }

    /// The output for an input when the job names none: the same format
    /// when it is one docsmith writes, PNG for the others (GIF, BMP, TIFF).
    pub fn for_input(input: InputFormat) -> OutputFormat {
        match input {
            InputFormat::Jpeg => OutputFormat::Jpeg,
            InputFormat::Webp => OutputFormat::Webp,
            InputFormat::Png | InputFormat::Gif | InputFormat::Bmp | InputFormat::Tiff => {
                OutputFormat::Png
            }
        }
    }
}

/// How the image is fitted into `width` × `height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Keep the aspect ratio, fit inside the box (never enlarged unless
    /// `upscale`).
    #[default]
    Inside,
    /// Keep the aspect ratio, fill the box, crop what sticks out.
    Cover,
    /// Keep the aspect ratio, fit inside, pad to the box with `background`.
    Fill,
    /// Stretch to the box.
    Exact,
}

/// Which part is kept by `cover`, or where the image sits in `fill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gravity {
    #[default]
    Centre,
    North,
    South,
    East,
    West,
    NorthEast,
    NorthWest,
    SouthEast,
    SouthWest,
}

/// Resampling filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    Lanczos3,
    Mitchell,
    CatmullRom,
    Bilinear,
    Box,
    Nearest,
}

/// An RGBA colour, 8 bits a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour(pub [u8; 4]);

impl Colour {
    pub const WHITE: Colour = Colour([255, 255, 255, 255]);
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resize {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    pub gravity: Gravity,
    /// Padding of `fill`.
    pub background: Colour,
    /// Whether `inside` may enlarge.
    pub upscale: bool,
    pub filter: Filter,
}

impl Default for Resize {
    fn default() -> Self {
        Resize {
            width: None,
            height: None,
            fit: Fit::Inside,
            gravity: Gravity::Centre,
            background: Colour::WHITE,
            upscale: false,
            filter: Filter::Lanczos3,
        }
    }
}

/// What to do with an ICC colour profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Icc {
    /// Embed it in the output; outputs that cannot carry one (AVIF) get
    /// their pixels converted to sRGB instead.
    #[default]
    Keep,
    /// Convert the pixels to sRGB and drop the profile.
    Srgb,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// `None`: chosen from the input ([`OutputFormat::for_input`]).
    pub format: Option<OutputFormat>,
    /// 1–100 for JPEG, lossy WebP and AVIF.
    pub quality: Option<u8>,
    /// Progressive JPEG.
    pub progressive: bool,
    /// Lossless WebP.
    pub lossless: bool,
    /// PNG: lossless optimisation level 0–6 (oxipng presets); none by default.
    pub optimize: Option<u8>,
    /// Encoder effort: WebP method 0–6 (default 4), AVIF 0–9 (default 4,
    /// rav1e speed 10 − effort).
    pub effort: Option<u8>,
    pub icc: Icc,
    /// What transparent pixels are flattened onto when the output has no
    /// alpha channel (default: the resize background, white).
    pub background: Option<Colour>,
}

impl Default for Output {
    fn default() -> Self {
        Output {
            format: None,
            quality: None,
            progressive: false,
            lossless: false,
            optimize: None,
            effort: None,
            icc: Icc::Keep,
            background: None,
        }
    }
}

pub const DEFAULT_JPEG_QUALITY: u8 = 80;
pub const DEFAULT_WEBP_QUALITY: u8 = 80;
pub const DEFAULT_AVIF_QUALITY: u8 = 65;

/// A conversion, validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spec {
    pub resize: Resize,
    pub output: Output,
    /// Drop EXIF (default). The ICC profile is governed by [`Output::icc`].
    pub strip_metadata: bool,
    /// Turn the image upright by its EXIF orientation (default).
    pub auto_orient: bool,
}

impl Spec {
    pub fn new() -> Spec {
        Spec {
            strip_metadata: true,
            auto_orient: true,
            ..Spec::default()
        }
    }

    /// The output format for an input of `input` format.
    pub fn output_for(&self, input: InputFormat) -> OutputFormat {
        self.output
            .format
            .unwrap_or_else(|| OutputFormat::for_input(input))
    }
}

/// Limits on one input image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest width × height, read from the header before decoding.
    pub max_pixels: u64,
    /// Largest encoded input.
    pub max_bytes: usize,
}

/// Default for [`Limits::max_bytes`]: 64 MiB.
pub const DEFAULT_MAX_IMAGE_BYTES: usize = 64 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pixels: crate::doc::DEFAULT_MAX_IMAGE_PIXELS,
            max_bytes: DEFAULT_MAX_IMAGE_BYTES,
        }
    }
}

/// A converted image.
#[derive(Debug, Clone)]
pub struct Converted {
    pub bytes: Vec<u8>,
    pub format: OutputFormat,
    pub width: u32,
    pub height: u32,
    pub input: InputInfo,
}

/// What the input was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputInfo {
    pub format: InputFormat,
    /// Upright size.
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
}

/// Why an image could not be converted. All but `Interrupted` and
/// `Encode` are the input's fault.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("not a supported image: the bytes are none of JPEG, PNG, WebP, GIF, BMP or TIFF")]
    Unsupported,
    #[error("the image is {bytes} bytes; at most {max} bytes are accepted")]
    TooLarge { bytes: usize, max: usize },
    #[error(
        "the image is {width} × {height} pixels; at most {max} pixels are accepted (checked before decoding)"
    )]
    TooManyPixels { width: u32, height: u32, max: u64 },
    #[error("the {format} image is damaged: {detail}")]
    Damaged { format: InputFormat, detail: String },
    #[error("the {0} image is truncated")]
    Truncated(InputFormat),
    #[error(
        "the result would be {width} × {height} pixels; {format} holds at most {max} pixels a side"
    )]
    TooLargeForFormat {
        width: u32,
        height: u32,
        format: &'static str,
        max: u32,
    },
    #[error("the result would be {width} × {height} pixels; at most {max} pixels are accepted")]
    ResultTooLarge { width: u32, height: u32, max: u64 },
    #[error("{0}")]
    Interrupted(#[from] Interrupted),
    /// An encoder refused pixels docsmith gave it: a bug.
    #[error("{format} encoder: {detail}")]
    Encode {
        format: &'static str,
        detail: String,
    },
}

impl ImageError {
    /// Whether the input is to blame (a 422 or a per-file error), as
    /// opposed to a bug or an interruption.
    pub fn is_input_error(&self) -> bool {
        !matches!(self, ImageError::Interrupted(_) | ImageError::Encode { .. })
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Converts one encoded image.
pub fn convert(
    bytes: &[u8],
    spec: &Spec,
    limits: &Limits,
    ctx: &RenderCtx,
) -> Result<Converted, ImageError> {
    ctx.check()?;
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooLarge {
            bytes: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let format = sniff(bytes).ok_or(ImageError::Unsupported)?;
    let source = decode::Source::open(bytes, format, limits)?;
    let orientation = if spec.auto_orient {
        source.orientation()
    } else {
        image::metadata::Orientation::NoTransforms
    };
    let (raw_w, raw_h) = source.size();
    let upright = if geometry::swaps_axes(orientation) {
        (raw_h, raw_w)
    } else {
        (raw_w, raw_h)
    };
    let plan = geometry::Plan::new(upright.0, upright.1, &spec.resize);
    let output = spec.output_for(format);
    let (width, height) = plan.canvas;
    // Enlarging is held to the input limit too: a tiny input must not
    // become a huge canvas.
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(ImageError::ResultTooLarge {
            width,
            height,
            max: limits.max_pixels,
        });
    }
    if width.max(height) > output.max_side() {
        return Err(ImageError::TooLargeForFormat {
            width,
            height,
            format: output.as_str(),
            max: output.max_side(),
        });
    }
    let (crop, scaled) = plan.raw(orientation, (raw_w, raw_h));
    // The decoder may shrink while decoding (JPEG DCT scaling) when the
    // resampler has at least twice as much left to do.
    let shrink = (crop.width / f64::from(scaled.0)).min(crop.height / f64::from(scaled.1));
    let decoded = source.decode(shrink, ctx)?;
    ctx.check()?;
    let input = InputInfo {
        format,
        width: upright.0,
        height: upright.1,
        bytes: bytes.len(),
    };
    let pixels = pixels::prepare(decoded, &plan, (raw_w, raw_h), orientation, spec, output)?;
    ctx.check()?;
    let (width, height) = (pixels.image.width(), pixels.image.height());
    ctx.check()?;
    let bytes = encode::encode(pixels, output, spec)?;
    Ok(Converted {
        bytes,
        format: output,
        width,
        height,
        input,
    })
}
