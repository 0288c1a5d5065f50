//! Paragraph text: font fallback, bidi, shaping and line breaking.
//!
//! A paragraph's inlines become one logical string with style spans. The
//! string is split into runs of one style, one bidi level and one face (the
//! styled face, or the first fallback that has the glyph), each run is shaped
//! with rustybuzz (kerning, ligatures, Arabic joining), and lines are broken
//! greedily at UAX #14 opportunities. Each line is then reordered for display
//! (UAX #9 rule L2) and can be placed at any position.

use unicode_bidi::{BidiInfo, Level};
use unicode_linebreak::{BreakOpportunity, linebreaks};

use super::flow::Slice;
use super::{Field, FieldKind, Glyph, GlyphRun, Item};
use crate::doc::{Align, Inline, RunStyle};
use crate::fonts::{FaceId, FontBook};

/// Values substituted for page fields when they are known at layout time
/// (header and footer); unknown ones leave a slot filled later.
#[derive(Debug, Clone, Copy, Default)]
pub struct FieldValues {
    pub page: Option<u32>,
    pub count: Option<u32>,
}

/// Text a page field takes up while its value is unknown.
const FIELD_PLACEHOLDER: &str = "00";

#[derive(Debug, Clone)]
struct Span {
    start: usize,
    end: usize,
    style: RunStyle,
    field: Option<FieldKind>,
}

#[derive(Debug, Clone, Copy)]
struct ShapedGlyph {
    gid: u16,
    cluster: usize,
    advance: f32,
    dx: f32,
    dy: f32,
}

#[derive(Debug, Clone)]
struct Run {
    start: usize,
    end: usize,
    span: usize,
    face: FaceId,
    level: Level,
    /// Range in `glyphs`, in visual order within the run.
    glyphs: std::ops::Range<usize>,
}

/// A shaped paragraph, ready to be broken into lines of any width.
#[derive(Debug, Clone)]
pub struct ShapedText {
    text: String,
    spans: Vec<Span>,
    runs: Vec<Run>,
    glyphs: Vec<ShapedGlyph>,
    /// Advance of the glyphs of each cluster, by the cluster's first byte.
    width_at: Vec<f32>,
    /// Largest font size, for the height of empty lines.
    max_size: f32,
    /// Largest ascent (above the baseline) of the styled faces, in points.
    ascent: f32,
}

/// Where a line is drawn: the top-left corner and width of its box, and how
/// it sits in that box.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub align: Align,
    pub x: f32,
    pub y: f32,
    pub width: f32,
}

/// One line of a paragraph, in display order.
#[derive(Debug, Clone)]
pub struct Line {
    /// Natural width, trailing spaces excluded.
    pub width: f32,
    pub height: f32,
    /// Distance from the top of the line box to the baseline.
    pub baseline: f32,
    /// Ends at a forced break or the end of the paragraph (not justified).
    pub last: bool,
    start: usize,
    end: usize,
}

impl ShapedText {
    /// Shapes the inlines of a paragraph.
    pub fn new(book: &FontBook, inlines: &[Inline], fields: FieldValues) -> ShapedText {
        let mut text = String::new();
        let mut spans: Vec<Span> = Vec::new();
        let mut max_size: f32 = 0.0;
        for inline in inlines {
            let (content, style, field) = match inline {
                Inline::Text { text, style } => (text.as_str(), style, None),
                Inline::Break => {
                    text.push('\n');
                    continue;
                }
                Inline::PageNumber(style) => match fields.page {
                    Some(_) => ("", style, Some(FieldKind::PageNumber)),
                    None => (FIELD_PLACEHOLDER, style, Some(FieldKind::PageNumber)),
                },
                Inline::PageCount(style) => match fields.count {
                    Some(_) => ("", style, Some(FieldKind::PageCount)),
                    None => (FIELD_PLACEHOLDER, style, Some(FieldKind::PageCount)),
                },
            };
            max_size = max_size.max(style.size);
            let known = match field {
                Some(FieldKind::PageNumber) => fields.page,
                Some(FieldKind::PageCount) => fields.count,
                None => None,
            };
            let start = text.len();
            match known {
                Some(n) => text.push_str(&n.to_string()),
                None => text.push_str(content),
            }
            let end = text.len();
            let field = if known.is_some() { None } else { field };
            match spans.last_mut() {
                Some(last)
                    if last.end == start
                        && last.style == *style
                        && field.is_none()
                        && last.field.is_none() =>
                {
                    last.end = end;
                }
                _ => spans.push(Span {
                    start,
                    end,
                    style: style.clone(),
                    field,
                }),
            }
        }
        if max_size == 0.0 {
            max_size = RunStyle::default().size;
        }
        let ascent = spans
            .iter()
            .map(|s| {
                let face = book.face(book.select(&s.style.font, s.style.bold, s.style.italic));
                s.style.size * face.ascender / face.units_per_em
            })
            .fold(0.0f32, f32::max);
        let mut shaped = ShapedText {
            ascent,
            width_at: vec![0.0; text.len() + 1],
            text,
            spans,
            runs: Vec::new(),
            glyphs: Vec::new(),
            max_size,
        };
        shaped.itemize_and_shape(book);
        shaped
    }

    fn itemize_and_shape(&mut self, book: &FontBook) {
        if self.text.is_empty() {
            return;
        }
        // Text without right-to-left characters is all level 0: skip the
        // bidi algorithm (most documents, most paragraphs).
        let needs_bidi = self.text.chars().any(|c| {
            matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF | 0x200F | 0x202B | 0x202E | 0x2067)
        });
        let bidi = needs_bidi.then(|| BidiInfo::new(&self.text, None));
        let ltr = Level::ltr();
        let mut runs: Vec<Run> = Vec::new();
        for (span_idx, span) in self.spans.iter().enumerate() {
            let styled = book.select(&span.style.font, span.style.bold, span.style.italic);
            let mut current: Option<Run> = None;
            for (offset, ch) in self.text[span.start..span.end].char_indices() {
                let at = span.start + offset;
                if ch == '\n' {
                    if let Some(run) = current.take() {
                        runs.push(run);
                    }
                    continue;
                }
                let level = bidi.as_ref().map_or(ltr, |b| b.levels[at]);
                // Spaces, marks and punctuation stay in the current run when
                // its face has them, so fallback runs are not cut at every space.
                let neutral = ch.is_whitespace() || !ch.is_alphanumeric();
                let face = match &current {
                    Some(run) if neutral && book.face(run.face).covers(ch) => run.face,
                    _ => book.face_for(styled, ch),
                };
                match &mut current {
                    Some(run) if run.face == face && run.level == level => {
                        run.end = at + ch.len_utf8();
                    }
                    _ => {
                        if let Some(run) = current.take() {
                            runs.push(run);
                        }
                        current = Some(Run {
                            start: at,
                            end: at + ch.len_utf8(),
                            span: span_idx,
                            face,
                            level,
                            glyphs: 0..0,
                        });
                    }
                }
            }
            if let Some(run) = current.take() {
                runs.push(run);
            }
        }
        for run in &mut runs {
            let face = book.face(run.face);
            let size = self.spans[run.span].style.size;
            let scale = size / face.units_per_em;
            let shaped =
                book.shape_text(run.face, &self.text[run.start..run.end], run.level.is_rtl());
            let first = self.glyphs.len();
            for g in shaped.iter() {
                let cluster = run.start + g.cluster as usize;
                let advance = g.advance as f32 * scale;
                self.width_at[cluster] += advance;
                self.glyphs.push(ShapedGlyph {
                    gid: g.gid,
                    cluster,
                    advance,
                    dx: g.dx as f32 * scale,
                    dy: g.dy as f32 * scale,
                });
            }
            run.glyphs = first..self.glyphs.len();
        }
        self.runs = runs;
    }

    /// Width of the text without breaking it.
    pub fn max_width(&self) -> f32 {
        self.text
            .split('\n')
            .scan(0usize, |pos, part| {
                let start = *pos;
                *pos += part.len() + 1;
                Some(self.width(start, start + part.len()))
            })
            .fold(0.0, f32::max)
    }

    /// Width of the widest unbreakable piece (the narrowest the text can get).
    pub fn min_width(&self) -> f32 {
        let mut widest: f32 = 0.0;
        let mut start = 0;
        for (pos, _) in linebreaks(&self.text) {
            widest = widest.max(self.width(start, self.trim_end(start, pos)));
            start = pos;
        }
        widest
    }

    fn width(&self, start: usize, end: usize) -> f32 {
        self.width_at[start..end].iter().sum()
    }

    /// `end` moved back over trailing whitespace.
    fn trim_end(&self, start: usize, end: usize) -> usize {
        start + self.text[start..end].trim_end().len()
    }

    /// Breaks the text into lines no wider than `width` (a single
    /// unbreakable piece wider than that is cut between characters).
    pub fn lines(&self, width: f32, line_height: f32) -> Vec<Line> {
        let mut ranges: Vec<(usize, usize, bool)> = Vec::new();
        let mut start = 0;
        let mut fit: Option<usize> = None;
        let mut opportunities = linebreaks(&self.text).peekable();
        while let Some(&(pos, kind)) = opportunities.peek() {
            let natural = self.width(start, self.trim_end(start, pos));
            if natural <= width + 0.01 {
                fit = Some(pos);
                opportunities.next();
                if kind == BreakOpportunity::Mandatory {
                    ranges.push((start, pos, true));
                    start = pos;
                    fit = None;
                }
            } else if let Some(at) = fit.take() {
                ranges.push((start, at, false));
                start = at;
            } else {
                // One piece wider than the line: cut it between characters.
                let at = self.cut(start, pos, width);
                ranges.push((start, at, false));
                start = at;
            }
        }
        let empty = self.text.is_empty();
        let mut lines: Vec<Line> = ranges
            .into_iter()
            .filter(|(s, e, _)| s < e || empty)
            .map(|(s, e, last)| {
                let end = self.trim_end(s, e);
                let size = self.line_size(s, e);
                Line {
                    width: self.width(s, end),
                    height: size * line_height,
                    baseline: size * line_height / 2.0 + size * 0.35,
                    last,
                    start: s,
                    end,
                }
            })
            .collect();
        // With tight line heights the first line's ascenders would reach
        // above the paragraph's box (and above a page's top margin): lower it.
        if let Some(first) = lines.first_mut() {
            let short = self.ascent - first.baseline;
            if short > 0.0 {
                first.baseline += short;
                first.height += short;
            }
        }
        lines
    }

    /// Largest font size on a line (the paragraph's largest for empty lines).
    fn line_size(&self, start: usize, end: usize) -> f32 {
        let size = self
            .spans
            .iter()
            .filter(|s| s.start < end.max(start + 1) && s.end > start)
            .map(|s| s.style.size)
            .fold(0.0, f32::max);
        if size > 0.0 { size } else { self.max_size }
    }

    /// The last character boundary in (start, end) that keeps the piece
    /// within `width`; at least one character.
    fn cut(&self, start: usize, end: usize, width: f32) -> usize {
        let mut total = 0.0;
        let mut last = start;
        for (offset, ch) in self.text[start..end].char_indices() {
            let at = start + offset;
            total += self.width_at[at];
            if total > width && last > start {
                return last;
            }
            last = at + ch.len_utf8();
        }
        last.max(start + 1).min(end)
    }

    /// Draws `line` into `frame` (top-left corner and width), adding its
    /// items and page fields to `out`.
    pub fn place(&self, line: &Line, frame: Frame, out: &mut Slice) {
        let Frame { align, x, y, width } = frame;
        let (items, fields) = (&mut out.items, &mut out.fields);
        let slack = (width - line.width).max(0.0);
        let (mut pen, extra_per_space) = match align {
            Align::Left => (x, 0.0),
            Align::Right => (x + slack, 0.0),
            Align::Center => (x + slack / 2.0, 0.0),
            Align::Justify => {
                let spaces = self.text[line.start..line.end]
                    .chars()
                    .filter(|c| *c == ' ')
                    .count();
                if line.last || spaces == 0 {
                    (x, 0.0)
                } else {
                    (x, slack / spaces as f32)
                }
            }
        };
        let baseline = y + line.baseline;
        for run in self.visual_runs(line) {
            let span = &self.spans[run.span];
            let style = &span.style;
            let run_start = pen;
            if let Some(kind) = span.field {
                fields.push(Field {
                    kind,
                    style: style.clone(),
                    x: pen,
                    y: baseline,
                });
                pen += self.width(run.start.max(line.start), run.end.min(line.end));
                continue;
            }
            let mut glyphs = Vec::new();
            let run_glyphs = &self.glyphs[run.glyphs.clone()];
            for (i, g) in run_glyphs.iter().enumerate() {
                if g.cluster < line.start || g.cluster >= line.end {
                    continue;
                }
                let cluster_end = cluster_end(run_glyphs, i, run.end);
                let cluster_text = &self.text[g.cluster..cluster_end];
                let mut advance = g.advance;
                if extra_per_space > 0.0 && cluster_text == " " {
                    advance += extra_per_space;
                }
                let first_of_cluster = i == 0 || run_glyphs[i - 1].cluster != g.cluster;
                let (ch, text) = if !first_of_cluster {
                    ('\0', None)
                } else {
                    let mut chars = cluster_text.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => (c, None),
                        _ => ('\0', Some(cluster_text.into())),
                    }
                };
                pen += advance;
                glyphs.push(Glyph {
                    gid: g.gid,
                    advance,
                    dx: g.dx,
                    dy: g.dy,
                    ch,
                    text,
                });
            }
            if glyphs.is_empty() {
                continue;
            }
            let run_width = pen - run_start;
            decorate(style, run_start, baseline, run_width, items);
            items.push(Item::Glyphs(GlyphRun {
                face: run.face,
                size: style.size,
                color: style.color,
                x: run_start,
                y: baseline,
                glyphs,
            }));
        }
    }

    /// The runs of a line in display order (UAX #9 L2 over run levels).
    fn visual_runs(&self, line: &Line) -> Vec<&Run> {
        let mut runs: Vec<&Run> = self
            .runs
            .iter()
            .filter(|r| r.start < line.end && r.end > line.start)
            .collect();
        let Some(max) = runs.iter().map(|r| r.level.number()).max() else {
            return runs;
        };
        let min_odd = runs
            .iter()
            .map(|r| r.level.number())
            .filter(|l| l % 2 == 1)
            .min()
            .unwrap_or(max + 1);
        let mut level = max;
        while level >= min_odd && level > 0 {
            let mut i = 0;
            while i < runs.len() {
                if runs[i].level.number() >= level {
                    let start = i;
                    while i < runs.len() && runs[i].level.number() >= level {
                        i += 1;
                    }
                    runs[start..i].reverse();
                } else {
                    i += 1;
                }
            }
            level -= 1;
        }
        runs
    }
}

/// End of the cluster of glyph `i`: the nearest larger cluster start among
/// its neighbours (glyphs run forwards in LTR runs, backwards in RTL ones).
fn cluster_end(glyphs: &[ShapedGlyph], i: usize, run_end: usize) -> usize {
    let cluster = glyphs[i].cluster;
    let after = glyphs[i + 1..]
        .iter()
        .map(|g| g.cluster)
        .find(|c| *c != cluster);
    let before = glyphs[..i]
        .iter()
        .rev()
        .map(|g| g.cluster)
        .find(|c| *c != cluster);
    [after, before]
        .into_iter()
        .flatten()
        .filter(|c| *c > cluster)
        .min()
        .unwrap_or(run_end)
}

/// Underline, strike-through and link area of a run.
fn decorate(style: &RunStyle, x: f32, baseline: f32, width: f32, items: &mut Vec<Item>) {
    let thickness = (style.size * 0.06).max(0.4);
    // Underline below the baseline, strike-through at about x-height.
    let lines = [(style.underline, 0.12), (style.strike, -0.3)];
    for (_, offset) in lines.into_iter().filter(|(on, _)| *on) {
        let y = baseline + style.size * offset;
        items.push(Item::Line {
            x1: x,
            y1: y,
            x2: x + width,
            y2: y,
            width: thickness,
            color: style.color,
        });
    }
    if let Some(target) = &style.link {
        items.push(Item::Link {
            x,
            y: baseline - style.size,
            w: width,
            h: style.size * 1.3,
            target: target.clone(),
        });
    }
}
