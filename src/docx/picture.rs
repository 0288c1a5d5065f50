//! Pictures for DOCX: embedded images as given, QR codes and barcodes drawn
//! as PNG (Word has no vector barcode; the PNG has one pixel column per
//! module, scaled without smoothing by the picture's size).

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

/// A two-colour picture: white and `dark`, one bit per pixel.
struct Bitmap {
    width: u32,
    height: u32,
    /// Rows of `stride` bytes, most significant bit first; 1 = dark.
    bits: Vec<u8>,
    stride: usize,
}

impl Bitmap {
    fn new(width: u32, height: u32) -> Bitmap {
        let stride = (width as usize).div_ceil(8);
        Bitmap {
            width,
            height,
            bits: vec![0; stride * height as usize],
            stride,
        }
    }

    fn dark(&mut self, x: u32, y: u32) {
        let at = y as usize * self.stride + x as usize / 8;
        self.bits[at] |= 0x80 >> (x % 8);
    }

    /// A palette PNG with two entries (white, `dark`) at one bit per pixel:
    /// a few hundred bytes for a QR code, written directly.
    fn png(&self, dark: Color) -> Result<Vec<u8>, String> {
        let mut raw = Vec::with_capacity((self.stride + 1) * self.height as usize);
        for row in self.bits.chunks(self.stride) {
            raw.push(0); // filter: none
            raw.extend_from_slice(row);
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut z, &raw).map_err(|e| e.to_string())?;
        let idat = z.finish().map_err(|e| e.to_string())?;
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&self.width.to_be_bytes());
        ihdr.extend_from_slice(&self.height.to_be_bytes());
        ihdr.extend_from_slice(&[1, 3, 0, 0, 0]); // 1 bit, palette
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(&mut out, b"PLTE", &[255, 255, 255, dark.r, dark.g, dark.b]);
        chunk(&mut out, b"IDAT", &idat);
        chunk(&mut out, b"IEND", &[]);
        Ok(out)
    }
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
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
    let mut img = Bitmap::new(side, side);
    for (x, y, w) in code.dark_rects() {
        let (x0, y0) = ((x as u32 + 4) * SCALE, (y as u32 + 4) * SCALE);
        for py in y0..y0 + SCALE {
            for px in x0..x0 + w as u32 * SCALE {
                img.dark(px, py);
            }
        }
    }
    Ok(Media {
        bytes: img.png(qr.color)?,
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
    let mut img = Bitmap::new(width, height);
    for (x, w) in code.bars() {
        let x0 = (x as u32 + 10) * SCALE;
        for px in x0..x0 + w as u32 * SCALE {
            for py in 0..height {
                img.dark(px, py);
            }
        }
    }
    Ok((
        Media {
            bytes: img.png(bc.color)?,
            width,
            height,
        },
        modules,
    ))
}
