//! Code 128 (ISO/IEC 15417) barcodes as module widths.
//!
//! Any ASCII text is encoded, switching between code sets A (control
//! characters and upper case), B (printable ASCII) and C (digit pairs) so
//! that the symbol has as few characters as possible: a shortest-path search
//! over the three sets with CODE and SHIFT switches. The result includes the
//! start character, the modulo-103 checksum and the stop pattern with its
//! final 2-module bar. Quiet zones are not included: renderers leave 10 light
//! modules on each side.

use super::CodeError;

/// The longest accepted input, in characters.
pub const MAX_CODE128_CHARS: usize = 80;

/// Element widths (bar, space, bar, space, bar, space) of values 0..=105.
const PATTERNS: [u32; 106] = [
    212222, 222122, 222221, 121223, 121322, 131222, 122213, 122312, 132212, 221213, 221312, 231212,
    112232, 122132, 122231, 113222, 123122, 123221, 223211, 221132, 221231, 213212, 223112, 312131,
    311222, 321122, 321221, 312212, 322112, 322211, 212123, 212321, 232121, 111323, 131123, 131321,
    112313, 132113, 132311, 211313, 231113, 231311, 112133, 112331, 132131, 113123, 113321, 133121,
    313121, 211331, 231131, 213113, 213311, 213131, 311123, 311321, 331121, 312113, 312311, 332111,
    314111, 221411, 431111, 111224, 111422, 121124, 121421, 141122, 141221, 112214, 112412, 122114,
    122411, 142112, 142211, 241211, 221114, 413111, 241112, 134111, 111242, 121142, 121241, 114212,
    124112, 124211, 411212, 421112, 421211, 212141, 214121, 412121, 111143, 111341, 131141, 114113,
    114311, 411113, 411311, 113141, 114131, 311141, 411131, 211412, 211214, 211232,
];
/// The stop pattern: 13 modules, ending in the 2-module termination bar.
const STOP: [u8; 7] = [2, 3, 3, 1, 1, 1, 2];
const SHIFT: u8 = 98;
const START: [u8; 3] = [103, 104, 105];
/// Switch to set A, B, C: CODE A = 101, CODE B = 100, CODE C = 99.
const CODE: [u8; 3] = [101, 100, 99];
const INF: u32 = u32::MAX / 2;

/// Code sets, indexed A = 0, B = 1, C = 2. Ties prefer C, then B, then A.
const ORDER: [usize; 3] = [2, 1, 0];

/// A Code 128 symbol as module widths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code128 {
    widths: Vec<u8>,
}

impl Code128 {
    /// Element widths in modules, alternating bar, space, bar, ... and
    /// starting and ending with a bar.
    pub fn widths(&self) -> &[u8] {
        &self.widths
    }

    /// Total width in modules: 11 per character plus 13 for the stop.
    pub fn total_modules(&self) -> usize {
        self.widths.iter().map(|&w| usize::from(w)).sum()
    }

    /// The dark bars as `(x_start, width)` in modules, left to right.
    pub fn bars(&self) -> Vec<(usize, usize)> {
        let mut x = 0;
        let mut bars = Vec::with_capacity(self.widths.len() / 2 + 1);
        for (i, &w) in self.widths.iter().enumerate() {
            if i % 2 == 0 {
                bars.push((x, usize::from(w)));
            }
            x += usize::from(w);
        }
        bars
    }
}

/// Encodes ASCII `data` (1 to [`MAX_CODE128_CHARS`] characters) as the
/// shortest Code 128 symbol.
pub fn code128(data: &str) -> Result<Code128, CodeError> {
    let values = encode_values(data)?;
    let mut widths = Vec::with_capacity(values.len() * 6 + STOP.len());
    for &v in &values {
        let mut p = PATTERNS[usize::from(v)];
        let mut digits = [0u8; 6];
        for d in digits.iter_mut().rev() {
            *d = (p % 10) as u8;
            p /= 10;
        }
        widths.extend_from_slice(&digits);
    }
    widths.extend_from_slice(&STOP);
    Ok(Code128 { widths })
}

/// The symbol values: start, data and switches, then the checksum.
fn encode_values(data: &str) -> Result<Vec<u8>, CodeError> {
    let len = data.chars().count();
    if len == 0 {
        return Err(CodeError::Empty {
            what: "Code 128 data",
        });
    }
    if len > MAX_CODE128_CHARS {
        return Err(CodeError::TooLong {
            what: "Code 128 data".into(),
            len,
            max: MAX_CODE128_CHARS,
            unit: "characters",
        });
    }
    if let Some((index, ch)) = data.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
        return Err(CodeError::InvalidChar { ch, index });
    }
    let (s, n) = (data.as_bytes(), data.len());
    // direct[i][set]: fewest symbols for s[i..] when the next symbol encodes
    // data in `set`; best[i][set]: the same but a CODE switch may come first.
    let mut direct = vec![[INF; 3]; n + 1];
    let mut best = vec![[0u32; 3]; n + 1];
    let mut switch_to = vec![[None::<usize>; 3]; n + 1];
    for i in (0..n).rev() {
        for set in 0..3 {
            direct[i][set] = if set == 2 {
                let pair = i + 1 < n && s[i].is_ascii_digit() && s[i + 1].is_ascii_digit();
                if pair { 1 + best[i + 2][2] } else { INF }
            } else if value_in(s[i], set).is_some() {
                1 + best[i + 1][set]
            } else {
                2 + best[i + 1][set] // SHIFT to the other of A/B
            };
        }
        for set in 0..3 {
            best[i][set] = direct[i][set];
            for other in ORDER {
                if 1 + direct[i][other] < best[i][set] {
                    best[i][set] = 1 + direct[i][other];
                    switch_to[i][set] = Some(other);
                }
            }
        }
    }
    let mut set = ORDER
        .into_iter()
        .fold(2, |b, o| if direct[0][o] < direct[0][b] { o } else { b });
    let mut values = vec![START[set]];
    let mut i = 0;
    while i < n {
        // Never at i == 0: the start set already minimises `direct[0]`.
        if let Some(other) = switch_to[i][set] {
            values.push(CODE[other]);
            set = other;
        }
        if set == 2 {
            values.push((s[i] - b'0') * 10 + (s[i + 1] - b'0'));
            i += 2;
            continue;
        }
        match value_in(s[i], set) {
            Some(v) => values.push(v),
            None => values.extend([SHIFT, value_in(s[i], 1 - set).unwrap_or(0)]),
        }
        i += 1;
    }
    values.push(checksum(&values));
    Ok(values)
}

/// The value of ASCII byte `c` in set A (0) or B (1), if it has one.
fn value_in(c: u8, set: usize) -> Option<u8> {
    match (set, c) {
        (0, 0..=31) => Some(c + 64),
        (0, 32..=95) | (1, 32..=127) => Some(c - 32),
        _ => None,
    }
}

/// Modulo-103 checksum: the start value plus each value times its position.
fn checksum(values: &[u8]) -> u8 {
    let sum: usize = values
        .iter()
        .enumerate()
        .map(|(i, &v)| i.max(1) * usize::from(v))
        .sum();
    (sum % 103) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the symbol values back from the widths.
    fn decode(code: &Code128) -> Vec<u8> {
        let w = code.widths();
        assert_eq!(w.len() % 6, 1);
        assert_eq!(&w[w.len() - 7..], &STOP);
        w[..w.len() - 7]
            .chunks(6)
            .map(|c| {
                let p = c.iter().fold(0u32, |acc, &d| acc * 10 + u32::from(d));
                let v = PATTERNS
                    .iter()
                    .position(|&q| q == p)
                    .expect("known pattern");
                u8::try_from(v).expect("value fits")
            })
            .collect()
    }

    #[test]
    fn patterns_are_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for p in PATTERNS {
            let d: Vec<u32> = p.to_string().bytes().map(|b| u32::from(b - b'0')).collect();
            assert_eq!(d.len(), 6, "{p}");
            assert_eq!(d.iter().sum::<u32>(), 11, "{p}");
            assert!(d.iter().all(|&x| (1..=4).contains(&x)), "{p}");
            assert_eq!((d[0] + d[2] + d[4]) % 2, 0, "bar parity of {p}");
            assert!(seen.insert(p), "duplicate {p}");
        }
        assert_eq!(STOP.iter().map(|&w| u32::from(w)).sum::<u32>(), 13);
    }

    #[test]
    fn checksum_matches_wikipedia_pjj123c_in_code_a() {
        // Start A, P J J 1 2 3 C: 878 mod 103 = 54.
        assert_eq!(checksum(&[103, 48, 42, 42, 17, 18, 19, 35]), 54);
    }

    #[test]
    fn known_encodings() {
        let cases: &[(&str, &[u8])] = &[
            ("PJJ123C", &[104, 48, 42, 42, 17, 18, 19, 35, 55]),
            ("Wikipedia", &[104, 55, 73, 75, 73, 80, 69, 68, 73, 65, 88]),
            ("123456", &[105, 12, 34, 56, 44]),
            ("12345", &[105, 12, 34, 100, 21, 54]),
            ("ABC123456", &[104, 33, 34, 35, 99, 12, 34, 56, 23]),
            ("A\tB", &[103, 33, 73, 34, 75]),
            ("a\nb", &[104, 65, 98, 74, 66, 27]),
            ("\x7f", &[104, 95, 96]),
        ];
        for &(data, want) in cases {
            assert_eq!(encode_values(data).expect(data), want, "{data:?}");
            let code = code128(data).expect(data);
            assert_eq!(decode(&code), want, "{data:?}");
            assert_eq!(code.total_modules(), 11 * want.len() + 13, "{data:?}");
        }
    }

    #[test]
    fn digits_use_code_c_and_are_shorter_than_code_b() {
        for digits in ["00", "1234", "9876543210", "12345678901234567890"] {
            let v = encode_values(digits).expect(digits);
            assert_eq!(v[0], 105, "{digits}");
            let code_b_len = digits.len() + 2; // start B, one per digit, checksum
            assert!(v.len() < code_b_len, "{digits}: {v:?}");
            assert_eq!(v.len(), digits.len() / 2 + 2, "{digits}");
        }
    }

    #[test]
    fn every_character_is_eleven_modules_and_bars_add_up() {
        for data in ["Wikipedia", "INV-2024/0042", "x\x00y\x1f 99"] {
            let code = code128(data).expect(data);
            let w = code.widths();
            for (i, sym) in w[..w.len() - 7].chunks(6).enumerate() {
                let modules: u32 = sym.iter().map(|&x| u32::from(x)).sum();
                assert_eq!(modules, 11, "{data} #{i}");
            }
            let bars = code.bars();
            assert_eq!((bars.len(), bars[0].0), (w.len() / 2 + 1, 0));
            let last = bars.last().expect("has bars");
            assert_eq!(last.0 + last.1, code.total_modules(), "ends with a bar");
            assert_eq!(last.1, 2, "final termination bar");
            let dark: usize = bars.iter().map(|b| b.1).sum();
            let even: usize = w.iter().step_by(2).map(|&x| usize::from(x)).sum();
            assert_eq!(dark, even);
            assert!(
                bars.windows(2).all(|p| p[0].0 + p[0].1 < p[1].0),
                "gaps between bars"
            );
        }
    }

    #[test]
    fn invalid_input_is_rejected() {
        assert!(matches!(code128(""), Err(CodeError::Empty { .. })));
        assert!(matches!(
            code128("Grüße"),
            Err(CodeError::InvalidChar { ch: 'ü', index: 2 })
        ));
        assert!(code128(&"A".repeat(MAX_CODE128_CHARS)).is_ok());
        let err = code128(&"A".repeat(MAX_CODE128_CHARS + 1)).expect_err("too long");
        assert!(matches!(
            err,
            CodeError::TooLong {
                len: 81,
                max: 80,
                ..
            }
        ));
    }
}
