//! Reading images: the format from the first bytes, the size and metadata
//! from the header, then the pixels.
//!
//! JPEG goes through libjpeg-turbo (the `mozjpeg` crate) for its SIMD
//! decoder and its DCT scaling; docsmith reads the JPEG header itself
//! first, so the size check, EXIF, ICC and truncation are known before
//! libjpeg sees the file. libjpeg reports fatal errors by unwinding, which
//! is caught here and turned into [`ImageError::Damaged`]. The other formats
//! use the `image` crate's decoders with allocation limits.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader};

use super::{ImageError, Limits};
use crate::render_ctx::RenderCtx;

/// An input encoding, detected from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
    Bmp,
    Tiff,
}

impl InputFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Jpeg => "jpeg",
            InputFormat::Png => "png",
            InputFormat::Webp => "webp",
            InputFormat::Gif => "gif",
            InputFormat::Bmp => "bmp",
            InputFormat::Tiff => "tiff",
        }
    }

    fn reader_format(self) -> image::ImageFormat {
        match self {
            InputFormat::Jpeg => image::ImageFormat::Jpeg,
            InputFormat::Png => image::ImageFormat::Png,
            InputFormat::Webp => image::ImageFormat::WebP,
            InputFormat::Gif => image::ImageFormat::Gif,
            InputFormat::Bmp => image::ImageFormat::Bmp,
            InputFormat::Tiff => image::ImageFormat::Tiff,
        }
    }
}

/// The format of `bytes`, from their signature; file names and declared
/// content types are not trusted.
pub fn sniff(bytes: &[u8]) -> Option<InputFormat> {
    let format = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        InputFormat::Jpeg
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        InputFormat::Png
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        InputFormat::Webp
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        InputFormat::Gif
    } else if bytes.starts_with(b"BM") && bytes.len() >= 26 {
        InputFormat::Bmp
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        InputFormat::Tiff
    } else {
        return None;
    };
    Some(format)
}

/// Decoded pixels, 8 bits a channel, as stored (not yet turned upright).
pub struct Decoded {
    /// `Rgb8` or `Rgba8`.
    pub image: DynamicImage,
    pub icc: Option<Vec<u8>>,
    pub exif: Option<Vec<u8>>,
}

/// An image whose header has been read and checked.
pub struct Source<'a> {
    bytes: &'a [u8],
    format: InputFormat,
    width: u32,
    height: u32,
    orientation: Orientation,
    icc: Option<Vec<u8>>,
    exif: Option<Vec<u8>>,
    kind: Kind<'a>,
}

enum Kind<'a> {
    Jpeg { adobe: bool },
    Other(Box<dyn ImageDecoder + 'a>),
}

impl<'a> Source<'a> {
    /// Reads the header of `bytes` (in `format`) and checks the pixel limit.
    pub fn open(
        bytes: &'a [u8],
        format: InputFormat,
        limits: &Limits,
    ) -> Result<Source<'a>, ImageError> {
        let damaged = |detail: String| ImageError::Damaged { format, detail };
        let mut source = if format == InputFormat::Jpeg {
            let header = jpeg_header(bytes)?;
            Source {
                bytes,
                format,
                width: header.width,
                height: header.height,
                orientation: Orientation::NoTransforms,
                icc: header.icc,
                exif: header.exif,
                kind: Kind::Jpeg {
                    adobe: header.adobe,
                },
            }
        } else {
            // The size first, with no limits (reading a header allocates
            // little), so an oversized image gets the pixel-limit error.
            let mut probe = ImageReader::with_format(Cursor::new(bytes), format.reader_format());
            probe.no_limits();
            let (width, height) = probe
                .into_dimensions()
                .map_err(|e| image_error(format, e))?;
            check_pixels(width, height, limits)?;
            let mut reader = ImageReader::with_format(Cursor::new(bytes), format.reader_format());
            reader.limits(decoder_limits(limits));
            let mut decoder = reader.into_decoder().map_err(|e| image_error(format, e))?;
            let icc = decoder.icc_profile().ok().flatten();
            let exif = decoder.exif_metadata().ok().flatten();
            let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
            Source {
                bytes,
                format,
                width,
                height,
                orientation,
                icc,
                exif,
                kind: Kind::Other(Box::new(decoder)),
            }
        };
        check_pixels(source.width, source.height, limits)?;
        if source.width == 0 || source.height == 0 {
            return Err(damaged("the header gives no pixels".into()));
        }
        if let Some(exif) = &source.exif
            && source.orientation == Orientation::NoTransforms
        {
            source.orientation =
                Orientation::from_exif_chunk(exif).unwrap_or(Orientation::NoTransforms);
        }
        Ok(source)
    }

    /// Stored size.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The EXIF orientation (upright when there is none).
    pub fn orientation(&self) -> Orientation {
        self.orientation
    }

    /// Decodes the pixels. `shrink` is how much smaller than the stored
    /// image the result will be; a JPEG is decoded at 1/2, 1/4 or 1/8 when
    /// that still leaves at least a factor of two for the resampler.
    pub fn decode(self, shrink: f64, ctx: &RenderCtx) -> Result<Decoded, ImageError> {
        ctx.check()?;
        let format = self.format;
        let image = match self.kind {
            Kind::Jpeg { adobe } => {
                let factor = [8u8, 4, 2]
                    .into_iter()
                    .find(|&f| shrink >= f64::from(f) * 2.0)
                    .unwrap_or(1);
                decode_jpeg(self.bytes, factor, adobe)?
            }
            Kind::Other(decoder) => {
                let image =
                    DynamicImage::from_decoder(decoder).map_err(|e| image_error(format, e))?;
                if image.color().has_alpha() {
                    DynamicImage::ImageRgba8(image.into_rgba8())
                } else {
                    DynamicImage::ImageRgb8(image.into_rgb8())
                }
            }
        };
        Ok(Decoded {
            image,
            icc: self.icc,
            exif: self.exif,
        })
    }
}

fn check_pixels(width: u32, height: u32, limits: &Limits) -> Result<(), ImageError> {
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            max: limits.max_pixels,
        });
    }
    Ok(())
}

/// Allocation limits for the `image` decoders: the largest accepted image
/// at 16 bits a channel with alpha, plus room for the decoder's buffers.
fn decoder_limits(limits: &Limits) -> image::Limits {
    let mut decoder = image::Limits::default();
    decoder.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(64 << 20));
    decoder
}

fn image_error(format: InputFormat, err: image::ImageError) -> ImageError {
    use image::error::ImageError as E;
    match err {
        E::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Truncated(format)
        }
        E::Limits(e) => ImageError::Damaged {
            format,
            detail: format!("decoding would exceed the memory limit ({e})"),
        },
        other => {
            let detail = other.to_string();
            if detail.contains("end of file") || detail.contains("EOF") {
                ImageError::Truncated(format)
            } else {
                ImageError::Damaged { format, detail }
            }
        }
    }
}

/// What docsmith reads from a JPEG header itself.
struct JpegHeader {
    width: u32,
    height: u32,
    exif: Option<Vec<u8>>,
    icc: Option<Vec<u8>>,
    /// An Adobe APP14 segment: CMYK samples are stored inverted.
    adobe: bool,
}

/// Walks the JPEG segments up to the first scan, and checks that the
/// entropy-coded data that follows ends with an EOI marker (data bytes
/// 0xFF are always followed by 0x00 there, so FF D9 is the real marker).
fn jpeg_header(bytes: &[u8]) -> Result<JpegHeader, ImageError> {
    let format = InputFormat::Jpeg;
    let damaged = |detail: &str| ImageError::Damaged {
        format,
        detail: detail.to_owned(),
    };
    let mut header = JpegHeader {
        width: 0,
        height: 0,
        exif: None,
        icc: None,
        adobe: false,
    };
    let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut pos = 2;
    loop {
        // Markers may be preceded by any number of fill bytes.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return Err(if pos + 1 >= bytes.len() {
                ImageError::Truncated(format)
            } else {
                damaged("a segment does not start with a marker")
            });
        };
        pos += 2;
        if marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            continue;
        }
        if marker == 0xD9 {
            return Err(damaged("the image ends before its first scan"));
        }
        let Some(len) = bytes
            .get(pos..pos + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return Err(ImageError::Truncated(format));
        };
        if len < 2 {
            return Err(damaged("a segment has an impossible length"));
        }
        let Some(segment) = bytes.get(pos + 2..pos + len) else {
            return Err(ImageError::Truncated(format));
        };
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if segment.len() < 6 {
                    return Err(damaged("the frame header is too short"));
                }
                header.height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
                header.width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
            }
            0xE1 if segment.starts_with(b"Exif\0\0") => {
                header.exif = Some(segment[6..].to_vec());
            }
            0xE2 if segment.starts_with(b"ICC_PROFILE\0") && segment.len() > 14 => {
                icc_chunks.push((segment[12], &segment[14..]));
            }
            0xEE if segment.starts_with(b"Adobe") => header.adobe = true,
            0xDA => {
                if header.width == 0 {
                    return Err(damaged("no frame header before the first scan"));
                }
                let data = &bytes[pos + len..];
                if !data.windows(2).rev().any(|w| w == [0xFF, 0xD9]) {
                    return Err(ImageError::Truncated(format));
                }
                break;
            }
            _ => {}
        }
        pos += len;
    }
    if !icc_chunks.is_empty() {
        icc_chunks.sort_by_key(|(seq, _)| *seq);
        header.icc = Some(
            icc_chunks
                .iter()
                .flat_map(|(_, d)| d.iter().copied())
                .collect(),
        );
    }
    Ok(header)
}

/// Decodes a JPEG at 1/`factor` of its size into RGB.
fn decode_jpeg(bytes: &[u8], factor: u8, adobe: bool) -> Result<DynamicImage, ImageError> {
    use mozjpeg::{ColorSpace, Decompress};
    let run = || -> std::io::Result<(Vec<u8>, u32, u32, bool)> {
        let mut decompress = Decompress::builder().from_mem(bytes)?;
        decompress.scale(8 / factor);
        let cmyk = matches!(
            decompress.color_space(),
            ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK
        );
        let mut started = if cmyk {
            decompress.to_colorspace(ColorSpace::JCS_CMYK)?
        } else {
            decompress.rgb()?
        };
        let (w, h) = (started.width() as u32, started.height() as u32);
        let pixels: Vec<u8> = started.read_scanlines()?;
        started.finish()?;
        Ok((pixels, w, h, cmyk))
    };
    let damaged = |detail: String| ImageError::Damaged {
        format: InputFormat::Jpeg,
        detail,
    };
    let (pixels, width, height, cmyk) = match std::panic::catch_unwind(run) {
        Ok(Ok(decoded)) => decoded,
        Ok(Err(e)) => return Err(damaged(e.to_string())),
        Err(payload) => {
            let detail = payload
                .downcast_ref::<String>()
                .map(|m| m.trim_start_matches("libjpeg fatal error: ").to_owned())
                .unwrap_or_else(|| "the decoder stopped".to_owned());
            return Err(damaged(detail));
        }
    };
    let pixels = if cmyk {
        cmyk_to_rgb(&pixels, adobe)
    } else {
        pixels
    };
    image::RgbImage::from_raw(width, height, pixels)
        .map(DynamicImage::ImageRgb8)
        .ok_or_else(|| damaged("the decoder returned fewer pixels than the header promised".into()))
}

/// A naive CMYK → RGB (no profile): enough for the rare CMYK photo.
fn cmyk_to_rgb(cmyk: &[u8], inverted: bool) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        let [c, m, y, k] = if inverted {
            [px[0], px[1], px[2], px[3]]
        } else {
            [255 - px[0], 255 - px[1], 255 - px[2], 255 - px[3]]
        };
        let k = u16::from(k);
        for v in [c, m, y] {
            rgb.push(((u16::from(v) * k + 127) / 255) as u8);
        }
    }
    rgb
}
