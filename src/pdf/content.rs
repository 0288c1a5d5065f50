//! Page content streams, written directly as bytes from laid-out items.
//!
//! The layout engine positions every glyph; here each glyph run becomes one
//! text matrix and one `TJ` array of glyph codes, with an adjustment after a
//! glyph only where the layout's pen position differs from the font's own
//! advance (kerning, justification). Colour, font and stroke state persist
//! in a content stream, so they are written only when they change. Numbers
//! are written with at most three decimals.

use crate::doc::Color;
use crate::fonts::{FaceId, FontBook};
use crate::layout::{GlyphRun, Item};

use super::PageResources;
use super::font::Fonts;

/// Writes one content stream.
pub(super) struct Content<'a> {
    book: &'a FontBook,
    /// Page height: layout coordinates run top-down, PDF ones bottom-up.
    height: f32,
    pub out: Vec<u8>,
    in_text: bool,
    fill: Option<Color>,
    stroke: Option<(Color, f32)>,
    font: Option<(FaceId, f32)>,
}

impl<'a> Content<'a> {
    pub fn new(book: &'a FontBook, height: f32, capacity: usize) -> Content<'a> {
        Content {
            book,
            height,
            out: Vec::with_capacity(capacity),
            in_text: false,
            fill: None,
            stroke: None,
            font: None,
        }
    }

    /// Writes `items` in order.
    pub fn items(&mut self, items: &[Item], fonts: &mut Fonts, res: &mut PageResources) {
        for item in items {
            if let Item::Glyphs(run) = item {
                self.glyphs(run, fonts);
                continue;
            }
            self.end_text();
            match item {
                Item::Glyphs(_) => {}
                Item::Rect { x, y, w, h, fill } => {
                    self.fill(*fill);
                    self.nums(&[*x, self.height - y - h, *w, *h]);
                    self.out.extend_from_slice(b"re f\n");
                }
                Item::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                    color,
                } => {
                    if self.stroke != Some((*color, *width)) {
                        self.color(*color);
                        self.out.extend_from_slice(b"RG ");
                        self.nums(&[*width]);
                        self.out.extend_from_slice(b"w\n");
                        self.stroke = Some((*color, *width));
                    }
                    self.nums(&[*x1, self.height - y1]);
                    self.out.extend_from_slice(b"m ");
                    self.nums(&[*x2, self.height - y2]);
                    self.out.extend_from_slice(b"l S\n");
                }
                Item::Image { x, y, w, h, data } => {
                    if let Some(index) = res.image(data) {
                        self.out.extend_from_slice(b"q ");
                        self.nums(&[*w, 0.0, 0.0, *h, *x, self.height - y - h]);
                        self.out.extend_from_slice(b"cm /Im");
                        number(&mut self.out, index as f32);
                        self.out.extend_from_slice(b" Do Q\n");
                    }
                }
                Item::Link { x, y, w, h, target } => {
                    let bottom = self.height - y - h;
                    res.link([*x, bottom, x + w, bottom + h], target);
                }
            }
        }
        self.end_text();
    }

    fn glyphs(&mut self, run: &GlyphRun, fonts: &mut Fonts) {
        if !self.in_text {
            self.out.extend_from_slice(b"BT\n");
            self.in_text = true;
        }
        self.fill(run.color);
        let index = fonts.index(self.book, run.face);
        if self.font != Some((run.face, run.size)) {
            self.out.extend_from_slice(b"/F");
            number(&mut self.out, index as f32);
            self.out.push(b' ');
            self.nums(&[run.size]);
            self.out.extend_from_slice(b"Tf\n");
            self.font = Some((run.face, run.size));
        }
        let first_dx = run.glyphs.first().map_or(0.0, |g| g.dx);
        self.out.extend_from_slice(b"1 0 0 1 ");
        self.nums(&[run.x + first_dx, self.height - run.y]);
        self.out.extend_from_slice(b"Tm [<");
        let face = self.book.face(run.face);
        let font = &mut fonts.used[index];
        let em = 1000.0 / run.size;
        let mut buf = [0u8; 4];
        for (i, g) in run.glyphs.iter().enumerate() {
            let mut ch_buf = [0u8; 4];
            let text: &str = match (&g.text, g.ch) {
                (Some(text), _) => text,
                (None, '\0') => "",
                (None, ch) => ch.encode_utf8(&mut ch_buf),
            };
            let code = font.code(face, g.gid, text);
            hex4(code, &mut buf);
            self.out.extend_from_slice(&buf);
            // The viewer advances by the /W width; adjust to where the
            // layout put the next glyph.
            let natural = f32::from(font.width_of(code)) * run.size / 1000.0;
            let next_dx = run.glyphs.get(i + 1).map_or(0.0, |n| n.dx);
            let wanted = g.advance + next_dx - g.dx;
            let offset = (natural - wanted) * em;
            if offset.abs() >= 0.01 && i + 1 < run.glyphs.len() {
                self.out.extend_from_slice(b"> ");
                self.nums(&[offset]);
                self.out.push(b'<');
            }
        }
        self.out.extend_from_slice(b">] TJ\n");
    }

    fn end_text(&mut self) {
        if self.in_text {
            self.out.extend_from_slice(b"ET\n");
            self.in_text = false;
        }
    }

    fn fill(&mut self, color: Color) {
        if self.fill != Some(color) {
            self.color(color);
            self.out.extend_from_slice(b"rg\n");
            self.fill = Some(color);
        }
    }

    /// The three components of `c`, each followed by a space.
    fn color(&mut self, c: Color) {
        for v in [c.r, c.g, c.b] {
            match v {
                0 => self.out.extend_from_slice(b"0 "),
                255 => self.out.extend_from_slice(b"1 "),
                _ => {
                    number(&mut self.out, f32::from(v) / 255.0);
                    self.out.push(b' ');
                }
            }
        }
    }

    /// Numbers, each followed by a space.
    fn nums(&mut self, values: &[f32]) {
        for &v in values {
            number(&mut self.out, v);
            self.out.push(b' ');
        }
    }
}

/// Writes `v` with at most three decimals and no trailing zeros.
pub(super) fn number(out: &mut Vec<u8>, v: f32) {
    let scaled = f64::from(v) * 1000.0;
    if !scaled.is_finite() || scaled.abs() >= 1e15 {
        out.push(b'0');
        return;
    }
    // Round half away from zero without a libm call.
    let mut n = (scaled + 0.5f64.copysign(scaled)) as i64;
    if n < 0 {
        out.push(b'-');
        n = -n;
    }
    let (int, mut frac) = (n / 1000, n % 1000);
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut i = int;
    loop {
        digits[len] = b'0' + (i % 10) as u8;
        len += 1;
        i /= 10;
        if i == 0 {
            break;
        }
    }
    out.extend(digits[..len].iter().rev());
    if frac != 0 {
        out.push(b'.');
        let mut width = 3;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        let mut divisor = 10i64.pow(width - 1);
        while divisor > 0 {
            out.push(b'0' + (frac / divisor % 10) as u8);
            divisor /= 10;
        }
    }
}

fn hex4(code: u16, out: &mut [u8; 4]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for (i, b) in out.iter_mut().enumerate() {
        *b = HEX[usize::from((code >> (12 - 4 * i)) & 0xF)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: f32) -> String {
        let mut out = Vec::new();
        number(&mut out, v);
        String::from_utf8(out).expect("ASCII")
    }

    #[test]
    fn numbers_have_at_most_three_decimals() {
        assert_eq!(text(0.0), "0");
        assert_eq!(text(-0.0001), "0");
        assert_eq!(text(12.0), "12");
        assert_eq!(text(841.89), "841.89");
        assert_eq!(text(-3.5), "-3.5");
        assert_eq!(text(0.05), "0.05");
        assert_eq!(text(1.0006), "1.001");
        assert_eq!(text(0.0004), "0");
        assert_eq!(text(1e30), "0");
        assert_eq!(text(f32::NAN), "0");
    }

    #[test]
    fn hex_codes() {
        let mut b = [0; 4];
        hex4(0x0A3F, &mut b);
        assert_eq!(&b, b"0A3F");
    }
}
