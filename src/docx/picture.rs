//! Pictures for DOCX: embedded images as given, QR codes and barcodes drawn
//! as PNG (Word has no vector barcode; the PNG has one pixel column per
//! module, scaled without smoothing by the picture's size).

use image::{ImageEncoder, Rgb, RgbImage};

use crate::codes;
use crate::doc::{Barcode, Color, ImageData, Qr, QrLevel};

/// Encoded picture bytes (PNG or JPEG) and their pixel size.
pub struct Media {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl Media {
    pub fn encoded(data: &ImageData) -> Media {
        Media {
            bytes: data.bytes.to_vec(),
            width: data.pixel_width,
            height: data.pixel_height,
        }
    }
}

/// Pixels per module: enough that viewers which smooth scaled pictures
/// still show sharp module edges.
const SCALE: u32 = 4;

fn png(img: &RgbImage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn rgb(c: Color) -> Rgb<u8> {
    Rgb([c.r, c.g, c.b])
}

/// The QR symbol with its four-module quiet zone.
pub fn qr(qr: &Qr) -> Result<Media, String> {
    let level = match qr.level {
        QrLevel::Low => codes::EcLevel::Low,
        QrLevel::Medium => codes::EcLevel::Medium,
        QrLevel::Quartile => codes::EcLevel::Quartile,
        QrLevel::High => codes::EcLevel::High,
    };
    let code = codes::qr(&qr.data, level).map_err(|e| e.to_string())?;
    let side = (code.size() as u32 + 8) * SCALE;
    let mut img = RgbImage::from_pixel(side, side, rgb(Color::WHITE));
    let dark = rgb(qr.color);
    for (x, y, w) in code.dark_rects() {
        let (x0, y0) = ((x as u32 + 4) * SCALE, (y as u32 + 4) * SCALE);
        for py in y0..y0 + SCALE {
            for px in x0..x0 + w as u32 * SCALE {
                img.put_pixel(px, py, dark);
            }
        }
    }
    Ok(Media {
        bytes: png(&img)?,
        width: side,
        height: side,
    })
}

/// The Code 128 bars with ten modules of quiet zone on each side; also
/// returns the module count (the natural width in points).
pub fn barcode(bc: &Barcode) -> Result<(Media, usize), String> {
    let code = codes::code128(&bc.data).map_err(|e| e.to_string())?;
    let modules = code.total_modules() + 20;
    let (width, height) = (modules as u32 * SCALE, 8 * SCALE);
    let mut img = RgbImage::from_pixel(width, height, rgb(Color::WHITE));
    let dark = rgb(bc.color);
    for (x, w) in code.bars() {
        let x0 = (x as u32 + 10) * SCALE;
        for px in x0..x0 + w as u32 * SCALE {
            for py in 0..height {
                img.put_pixel(px, py, dark);
            }
        }
    }
    Ok((
        Media {
            bytes: png(&img)?,
            width,
            height,
        },
        modules,
    ))
}
