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
    // Encoded once with mask 0; the mask is then chosen here (see `masks`).
    let code = qrcodegen::QrCode::encode_segments_advanced(
        &segments,
        ec.ecc(),
        qrcodegen::Version::MIN,
        qrcodegen::Version::MAX,
        Some(qrcodegen::Mask::new(0)),
        true,
    )
    .map_err(|_| too_long(data, ec))?;
    Ok(masks::best(&code))
}

/// Mask selection (ISO/IEC 18004 §7.8): of the eight masks, the one whose
/// symbol scores the lowest penalty for long runs, 2×2 blocks, finder-like
/// patterns and dark/light imbalance.
///
/// `qrcodegen` does the same, but scores each mask on its general module
/// grid, which costs more than the rest of an invoice's QR code together.
/// Here the symbol is unmasked once and each candidate is scored on a flat
/// byte grid with the same rules, so the same mask wins.
mod masks {
    use super::QrCode;

    const N1: i32 = 3;
    const N2: i32 = 3;
    const N3: i32 = 40;
    const N4: i32 = 10;

    /// One row of modules as bits (bit `x` of the row = column `x`); a
    /// symbol is at most 177 modules wide.
    type Row = [u64; 3];

    fn bit(row: &Row, x: usize) -> bool {
        (row[x >> 6] >> (x & 63)) & 1 != 0
    }

    fn set(row: &mut Row, x: usize, dark: bool) {
        let m = 1u64 << (x & 63);
        if dark {
            row[x >> 6] |= m;
        } else {
            row[x >> 6] &= !m;
        }
    }

    /// The eight mask patterns as rows. Every pattern repeats after twelve
    /// rows, so row `y` of mask `m` is `patterns()[m][y % 12]`.
    fn patterns() -> &'static [[Row; 12]; 8] {
        static PATTERNS: std::sync::OnceLock<[[Row; 12]; 8]> = std::sync::OnceLock::new();
        PATTERNS.get_or_init(|| {
            let mut p = [[[0u64; 3]; 12]; 8];
            for (mask, rows) in p.iter_mut().enumerate() {
                for (y, row) in rows.iter_mut().enumerate() {
                    for x in 0..192 {
                        set(row, x, applies(mask as u8, x, y));
                    }
                }
            }
            p
        })
    }

    /// The symbol of `code` (encoded with mask 0) under its best mask.
    pub fn best(code: &qrcodegen::QrCode) -> QrCode {
        masked(code, None)
    }

    /// The symbol of `code` (encoded with mask 0) under mask `forced`, or
    /// under the best mask.
    fn masked(code: &qrcodegen::QrCode, forced: Option<u8>) -> QrCode {
        let size = usize::try_from(code.size()).unwrap_or(0);
        let function = function_modules(size, code.version().value());
        let ecl = match code.error_correction_level() {
            qrcodegen::QrCodeEcc::Low => 1,
            qrcodegen::QrCodeEcc::Medium => 0,
            qrcodegen::QrCodeEcc::Quartile => 3,
            qrcodegen::QrCodeEcc::High => 2,
        };
        // Data modules without mask 0; function modules as drawn.
        let mut base = vec![[0u64; 3]; size];
        for (y, row) in base.iter_mut().enumerate() {
            for x in 0..size {
                let dark = code.get_module(x as i32, y as i32);
                set(row, x, dark ^ (applies(0, x, y) && !bit(&function[y], x)));
            }
        }
        let mut grid = vec![[0u64; 3]; size];
        let mut best: Option<(i32, u8)> = forced.map(|m| (0, m));
        for mask in (0..8u8).filter(|_| forced.is_none()) {
            draw(&base, &function, size, ecl, mask, &mut grid);
            let score = penalty(&grid, size);
            if best.is_none_or(|(s, _)| score < s) {
                best = Some((score, mask));
            }
        }
        draw(
            &base,
            &function,
            size,
            ecl,
            best.map_or(0, |(_, m)| m),
            &mut grid,
        );
        QrCode {
            size,
            modules: grid
                .iter()
                .flat_map(|row| (0..size).map(move |x| bit(row, x)))
                .collect(),
        }
    }

    /// Whether mask `mask` flips the module at column `x`, row `y`.
    fn applies(mask: u8, x: usize, y: usize) -> bool {
        match mask {
            0 => (x + y).is_multiple_of(2),
            1 => y.is_multiple_of(2),
            2 => x.is_multiple_of(3),
            3 => (x + y).is_multiple_of(3),
            4 => (x / 3 + y / 2).is_multiple_of(2),
            5 => x * y % 2 + x * y % 3 == 0,
            6 => (x * y % 2 + x * y % 3).is_multiple_of(2),
            _ => ((x + y) % 2 + x * y % 3).is_multiple_of(2),
        }
    }

    /// The modules that carry no data: finder patterns with their
    /// separators and format information, timing patterns, alignment
    /// patterns and version information.
    fn function_modules(size: usize, version: u8) -> Vec<Row> {
        let mut f = vec![[0u64; 3]; size];
        let mut fill = |x0: usize, y0: usize, w: usize, h: usize| {
            for row in f.iter_mut().take(y0 + h).skip(y0) {
                for x in x0..(x0 + w).min(size) {
                    set(row, x, true);
                }
            }
        };
        fill(0, 0, 9, 9);
        fill(size - 8, 0, 8, 9);
        fill(0, size - 8, 9, 8);
        fill(6, 0, 1, size);
        fill(0, 6, size, 1);
        if version >= 2 {
            let count = usize::from(version) / 7 + 2;
            let step = if version == 32 {
                26
            } else {
                (usize::from(version) * 4 + count * 2 + 1) / (count * 2 - 2) * 2
            };
            let mut positions: Vec<usize> = (0..count - 1).map(|i| size - 7 - i * step).collect();
            positions.push(6);
            positions.reverse();
            for (i, &cx) in positions.iter().enumerate() {
                for (j, &cy) in positions.iter().enumerate() {
                    let corner =
                        (i == 0 && (j == 0 || j == count - 1)) || (i == count - 1 && j == 0);
                    if !corner {
                        fill(cx - 2, cy - 2, 5, 5);
                    }
                }
            }
        }
        if version >= 7 {
            fill(size - 11, 0, 3, 6);
            fill(0, size - 11, 6, 3);
        }
        f
    }

    /// `grid` = `base` under `mask`, with the format information for it.
    fn draw(base: &[Row], function: &[Row], size: usize, ecl: u32, mask: u8, grid: &mut [Row]) {
        let patterns = &patterns()[usize::from(mask)];
        for (y, row) in grid.iter_mut().enumerate() {
            for w in 0..3 {
                let valid = match (size as i64 - 64 * w as i64).clamp(0, 64) {
                    64 => u64::MAX,
                    n => (1u64 << n) - 1,
                };
                row[w] = (base[y][w] ^ (patterns[y % 12][w] & !function[y][w])) & valid;
            }
        }
        let data = ecl << 3 | u32::from(mask);
        let mut rem = data;
        for _ in 0..10 {
            rem = (rem << 1) ^ ((rem >> 9) * 0x537);
        }
        let bits = (data << 10 | rem) ^ 0x5412;
        let b = |i: usize| (bits >> i) & 1 != 0;
        let mut put = |x: usize, y: usize, dark: bool| set(&mut grid[y], x, dark);
        for i in 0..6 {
            put(8, i, b(i));
        }
        put(8, 7, b(6));
        put(8, 8, b(7));
        put(7, 8, b(8));
        for i in 9..15 {
            put(14 - i, 8, b(i));
        }
        for i in 0..8 {
            put(size - 1 - i, 8, b(i));
        }
        for i in 8..15 {
            put(8, size - 15 + i, b(i));
        }
        put(8, size - 8, true);
    }

    /// The penalty score of a symbol; lower is easier to read.
    fn penalty(grid: &[Row], size: usize) -> i32 {
        let mut score = 0;
        let mut columns = vec![[0u64; 3]; size];
        for (y, row) in grid.iter().enumerate() {
            score += line_penalty(row, size);
            for (x, column) in columns.iter_mut().enumerate() {
                column[y >> 6] |= ((row[x >> 6] >> (x & 63)) & 1) << (y & 63);
            }
        }
        for column in &columns {
            score += line_penalty(column, size);
        }
        // 2×2 blocks of one colour: a module equal to its right, lower and
        // lower-right neighbours, for every column but the last.
        let pairs = valid(size - 1);
        for pair in grid.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let (a1, b1) = (shr(a, 1), shr(b, 1));
            for w in 0..3 {
                let same = !(a[w] ^ a1[w]) & !(b[w] ^ b1[w]) & !(a[w] ^ b[w]) & pairs[w];
                score += N2 * same.count_ones() as i32;
            }
        }
        let dark: i32 = grid
            .iter()
            .map(|r| r.iter().map(|w| w.count_ones() as i32).sum::<i32>())
            .sum();
        let total = (size * size) as i32;
        let k = ((dark * 20 - total * 10).abs() + total - 1) / total - 1;
        score + k * N4
    }

    /// Bits `0..n` set.
    fn valid(n: usize) -> Row {
        let mut row = [0u64; 3];
        for (w, word) in row.iter_mut().enumerate() {
            *word = match n.saturating_sub(64 * w).min(64) {
                64 => u64::MAX,
                k => (1u64 << k) - 1,
            };
        }
        row
    }

    /// Bit `x` of the result is bit `x + k` of `r` (k < 64).
    fn shr(r: &Row, k: u32) -> Row {
        if k == 0 {
            return *r;
        }
        [
            r[0] >> k | r[1] << (64 - k),
            r[1] >> k | r[2] << (64 - k),
            r[2] >> k,
        ]
    }

    /// Bit `x` of the result is bit `x - 1` of `r`.
    fn shl1(r: &Row) -> Row {
        [r[0] << 1, r[1] << 1 | r[0] >> 63, r[2] << 1 | r[1] >> 63]
    }

    fn and(a: &Row, b: &Row) -> Row {
        [a[0] & b[0], a[1] & b[1], a[2] & b[2]]
    }

    fn ones(r: &Row) -> i32 {
        r.iter().map(|w| w.count_ones() as i32).sum()
    }

    /// One row or column: runs of five or more modules of one colour (3,
    /// plus 1 per module beyond five) and finder-like 1:1:3:1:1 patterns
    /// with four light modules on a side (40 each; the quiet zone counts as
    /// light).
    fn line_penalty(line: &Row, size: usize) -> i32 {
        // Runs of five: windows x..x+4 of one colour, counted on bits.
        let mut equal = shr(line, 1);
        for w in 0..3 {
            equal[w] = !(line[w] ^ equal[w]);
        }
        let equal = and(&equal, &valid(size - 1));
        let five = and(
            &and(&equal, &shr(&equal, 1)),
            &and(&shr(&equal, 2), &shr(&equal, 3)),
        );
        let starts = and(&five, &shl1(&five).map(|w| !w));
        let mut score = N1 * ones(&starts) + ones(&five) - ones(&starts);

        // Finder-like patterns: over the runs, found where the colour
        // changes.
        let mut changes = shl1(line);
        for w in 0..3 {
            changes[w] ^= line[w];
        }
        let changes = and(&changes, &valid(size));
        let size = size as i32;
        let mut history = [0i32; 7];
        let push = |history: &mut [i32; 7], mut run: i32| {
            if history[0] == 0 {
                run += size;
            }
            history.copy_within(0..6, 1);
            history[0] = run;
        };
        let finders = |h: &[i32; 7]| -> i32 {
            let n = h[1];
            let core = n > 0 && h[2] == n && h[3] == n * 3 && h[4] == n && h[5] == n;
            i32::from(core && h[0] >= n * 4 && h[6] >= n)
                + i32::from(core && h[6] >= n * 4 && h[0] >= n)
        };
        // Runs start light (the quiet zone) with length 0.
        let mut color = false;
        let mut run = 0i32;
        let mut start = 0i32;
        for (w, &word) in changes.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let x = (w as i32) * 64 + bits.trailing_zeros() as i32;
                bits &= bits - 1;
                run += x - start;
                start = x;
                push(&mut history, run);
                if !color {
                    score += finders(&history) * N3;
                }
                color = !color;
                run = 0;
            }
        }
        run += size - start;
        if color {
            push(&mut history, run);
            run = 0;
        }
        push(&mut history, run + size);
        score + finders(&history) * N3
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// The mask chosen here, and the symbol drawn with it, are exactly
        /// what qrcodegen's own mask search produces.
        #[test]
        fn same_symbol_as_qrcodegen() {
            let payloads = [
                "HELLO".to_string(),
                "BCD\n002\n1\nSCT\nCOBADEFFXXX\nNordlicht Software GmbH\nDE89370400440532013000\nEUR5162.66\n\n\nINV-2026-0042".to_string(),
                "https://example.com/".repeat(12),
                "0123456789".repeat(40),
                "ÄÖÜ € 漢字".repeat(30),
            ];
            for data in &payloads {
                for ecc in [
                    qrcodegen::QrCodeEcc::Low,
                    qrcodegen::QrCodeEcc::Medium,
                    qrcodegen::QrCodeEcc::High,
                ] {
                    let segs = qrcodegen::QrSegment::make_segments(data);
                    let reference = qrcodegen::QrCode::encode_segments(&segs, ecc).expect("fits");
                    let masked0 = qrcodegen::QrCode::encode_segments_advanced(
                        &segs,
                        ecc,
                        qrcodegen::Version::MIN,
                        qrcodegen::Version::MAX,
                        Some(qrcodegen::Mask::new(0)),
                        true,
                    )
                    .expect("fits");
                    let ours = best(&masked0);
                    same(&ours, &reference, data);
                }
            }
        }

        /// Each mask drawn here gives qrcodegen's symbol with that mask.
        #[test]
        fn every_mask_matches() {
            let data = "https://example.com/docsmith?q=".repeat(5);
            let segs = qrcodegen::QrSegment::make_segments(&data);
            let encode = |m: u8| {
                qrcodegen::QrCode::encode_segments_advanced(
                    &segs,
                    qrcodegen::QrCodeEcc::Medium,
                    qrcodegen::Version::MIN,
                    qrcodegen::Version::MAX,
                    Some(qrcodegen::Mask::new(m)),
                    false,
                )
                .expect("fits")
            };
            let masked0 = encode(0);
            assert!(
                masked0.version().value() >= 7,
                "version information covered"
            );
            for m in 0..8 {
                same(&masked(&masked0, Some(m)), &encode(m), &data);
            }
        }

        fn same(ours: &QrCode, reference: &qrcodegen::QrCode, data: &str) {
            let side = reference.size();
            assert_eq!(ours.size as i32, side);
            for y in 0..side {
                for x in 0..side {
                    assert_eq!(
                        ours.dark(x as usize, y as usize),
                        reference.get_module(x, y),
                        "{data:?} version {} at ({x}, {y})",
                        reference.version().value()
                    );
                }
            }
        }
    }
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
