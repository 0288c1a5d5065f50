//! QR codes (ISO/IEC 18004) as a grid of modules, built with `qrcodegen`.
//!
//! The smallest version that fits the data is chosen, and the segment mode
//! (numeric, alphanumeric or byte) is the one `qrcodegen` picks for the text.
//! The error correction level may come out higher than requested when that
//! costs no extra size. The quiet zone is not part of the grid: renderers
//! leave 4 light modules on every side.

use std::fmt;
use std::str::FromStr;

use qrcodegen::{QrCodeEcc, QrSegment};

use super::CodeError;

/// QR error correction level: how much of the symbol may be damaged and
/// still be read (about 7 %, 15 %, 25 % and 30 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EcLevel {
    /// About 7 % recovery; the most data per size.
    Low,
    /// About 15 % recovery; the usual choice (and the EPC QR requirement).
    #[default]
    Medium,
    /// About 25 % recovery.
    Quartile,
    /// About 30 % recovery.
    High,
}

impl EcLevel {
    /// The one-letter name: "L", "M", "Q" or "H".
    pub fn letter(self) -> &'static str {
        match self {
            Self::Low => "L",
            Self::Medium => "M",
            Self::Quartile => "Q",
            Self::High => "H",
        }
    }

    fn ecc(self) -> QrCodeEcc {
        match self {
            Self::Low => QrCodeEcc::Low,
            Self::Medium => QrCodeEcc::Medium,
            Self::Quartile => QrCodeEcc::Quartile,
            Self::High => QrCodeEcc::High,
        }
    }

    /// Version 40 capacity as (numeric digits, alphanumeric chars, bytes).
    fn capacity(self) -> (usize, usize, usize) {
        match self {
            Self::Low => (7089, 4296, 2953),
            Self::Medium => (5596, 3391, 2331),
            Self::Quartile => (3993, 2420, 1663),
            Self::High => (3057, 1852, 1273),
        }
    }
}

impl fmt::Display for EcLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.letter())
    }
}

impl FromStr for EcLevel {
    type Err = CodeError;

    /// Parses "L", "M", "Q" or "H" (or "low", "medium", "quartile",
    /// "high"), ignoring case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "l" | "low" => Ok(Self::Low),
            "m" | "medium" => Ok(Self::Medium),
            "q" | "quartile" => Ok(Self::Quartile),
            "h" | "high" => Ok(Self::High),
            _ => Err(CodeError::UnknownEcLevel(s.to_owned())),
        }
    }
}

/// A QR symbol: `size` × `size` modules, row-major, `true` = dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    size: usize,
    modules: Vec<bool>,
}

impl QrCode {
    /// Modules per side (21 for version 1, up to 177 for version 40),
    /// without the quiet zone.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The QR version, 1 to 40.
    pub fn version(&self) -> usize {
        (self.size - 17) / 4
    }

    /// Whether the module at column `x`, row `y` is dark. Coordinates
    /// outside the symbol are light.
    pub fn dark(&self, x: usize, y: usize) -> bool {
        x < self.size && y < self.size && self.modules[y * self.size + x]
    }

    /// The dark modules as horizontal runs `(x, y, width)`, row by row from
    /// the top, left to right: one rectangle per run instead of per module.
    pub fn dark_rects(&self) -> Vec<(usize, usize, usize)> {
        let mut rects = Vec::new();
        for (y, row) in self.modules.chunks(self.size).enumerate() {
            let mut x = 0;
            while x < row.len() {
                if row[x] {
                    let start = x;
                    while x < row.len() && row[x] {
                        x += 1;
                    }
                    rects.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        rects
    }
}

/// Encodes `data` (UTF-8 text) as the smallest QR code at level `ec` or
/// better. Fails with [`CodeError::Empty`] for empty data and
/// [`CodeError::TooLong`] when the data exceeds the version 40 capacity.
pub fn qr(data: &str, ec: EcLevel) -> Result<QrCode, CodeError> {
    if data.is_empty() {
        return Err(CodeError::Empty {
            what: "QR code data",
        });
    }
    let segments = QrSegment::make_segments(data);
    let code =
        qrcodegen::QrCode::encode_segments(&segments, ec.ecc()).map_err(|_| too_long(data, ec))?;
    let size = usize::try_from(code.size()).unwrap_or(0);
    let side = code.size();
    let modules = (0..side)
        .flat_map(|y| (0..side).map(move |x| (x, y)))
        .map(|(x, y)| code.get_module(x, y))
        .collect();
    Ok(QrCode { size, modules })
}

/// The capacity error, in the unit of the mode `qrcodegen` chose.
fn too_long(data: &str, ec: EcLevel) -> CodeError {
    let (digits, alnum, bytes) = ec.capacity();
    let (mode, max, unit) = if QrSegment::is_numeric(data) {
        ("numeric", digits, "digits")
    } else if QrSegment::is_alphanumeric(data) {
        ("alphanumeric", alnum, "characters")
    } else {
        ("byte", bytes, "bytes")
    };
    CodeError::TooLong {
        what: format!("QR code data ({mode} mode, error correction level {ec})"),
        len: data.len(),
        max,
        unit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finder_at(code: &QrCode, x0: usize, y0: usize) -> bool {
        (0..7usize).all(|dy| {
            (0..7usize).all(|dx| {
                let ring = dx.abs_diff(3).max(dy.abs_diff(3));
                code.dark(x0 + dx, y0 + dy) == (ring != 2)
            })
        })
    }

    #[test]
    fn sizes_grow_with_data_and_level() {
        let cases = [
            ("HELLO", EcLevel::Medium, 21),
            ("https://example.com", EcLevel::Medium, 25),
            ("01234567890123456789012345678901234", EcLevel::Low, 21),
            ("Grüße aus Köln", EcLevel::High, 29),
        ];
        for (data, ec, size) in cases {
            let code = qr(data, ec).expect(data);
            assert_eq!(code.size(), size, "{data}");
            assert_eq!(code.version(), (size - 17) / 4);
            assert_eq!(code.modules.len(), size * size);
        }
    }

    #[test]
    fn finder_patterns_at_three_corners_only() {
        let code = qr("HELLO", EcLevel::Medium).expect("encodes");
        let n = code.size();
        assert!(finder_at(&code, 0, 0));
        assert!(finder_at(&code, n - 7, 0));
        assert!(finder_at(&code, 0, n - 7));
        assert!(!finder_at(&code, n - 7, n - 7));
        // Separators are light; the timing pattern alternates.
        assert!((0..8).all(|i| !code.dark(7, i) && !code.dark(i, 7)));
        assert!((8..n - 8).all(|i| code.dark(i, 6) == (i % 2 == 0)));
        assert!(!code.dark(n, 0) && !code.dark(0, n));
        // The always-dark module sits at column 8, row n - 8 (not transposed).
        assert!(code.dark(8, n - 8));
    }

    #[test]
    fn dark_rects_cover_exactly_the_dark_modules() {
        for data in [
            "HELLO",
            "https://example.com/invoice/2024-0042",
            "1234567890",
        ] {
            let code = qr(data, EcLevel::Quartile).expect(data);
            let n = code.size();
            let mut grid = vec![false; n * n];
            let mut last: Option<(usize, usize, usize)> = None;
            for &(x, y, w) in &code.dark_rects() {
                assert!(w > 0 && x + w <= n && y < n);
                if let Some((lx, ly, lw)) = last {
                    // Sorted, and never touching: runs are maximal.
                    assert!(y > ly || x > lx + lw, "{data}: ({x},{y},{w})");
                }
                for cell in &mut grid[y * n + x..y * n + x + w] {
                    assert!(!*cell);
                    *cell = true;
                }
                last = Some((x, y, w));
            }
            assert_eq!(grid, code.modules, "{data}");
        }
    }

    #[test]
    fn capacity_is_exact_and_reported() {
        for ec in [
            EcLevel::Low,
            EcLevel::Medium,
            EcLevel::Quartile,
            EcLevel::High,
        ] {
            let (digits, alnum, bytes) = ec.capacity();
            for (ch, max, unit) in [
                ('7', digits, "digits"),
                ('A', alnum, "characters"),
                ('a', bytes, "bytes"),
            ] {
                let fits = ch.to_string().repeat(max);
                assert_eq!(qr(&fits, ec).expect("fits").size(), 177);
                let err = qr(&format!("{fits}{ch}"), ec).expect_err("too long");
                assert!(
                    matches!(err, CodeError::TooLong { len, max: m, .. } if len == max + 1 && m == max)
                );
                let msg = err.to_string();
                assert!(
                    msg.contains(&format!("the maximum is {max} {unit}")),
                    "{msg}"
                );
                assert!(msg.contains(&format!("level {ec}")), "{msg}");
            }
        }
    }

    #[test]
    fn empty_data_is_rejected() {
        assert!(matches!(qr("", EcLevel::Low), Err(CodeError::Empty { .. })));
    }

    #[test]
    fn ec_level_parses_letters_and_names() {
        let cases = [
            ("L", Some(EcLevel::Low)),
            ("m", Some(EcLevel::Medium)),
            ("q", Some(EcLevel::Quartile)),
            ("H", Some(EcLevel::High)),
            ("High", Some(EcLevel::High)),
            ("X", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(s.parse::<EcLevel>().ok(), want, "{s:?}");
        }
        assert_eq!(EcLevel::Quartile.to_string(), "Q");
    }
}
