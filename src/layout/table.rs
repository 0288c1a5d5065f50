//! Tables: column widths, rows as slices, header rows repeated on every page.
//!
//! Rows are laid out and handed to the sink one at a time, so a table of any
//! length costs the memory of one page. A row is one slice (kept together);
//! a row taller than a page is cut into bands at line boundaries.

use super::block::{self, Ctx};
use super::flow::{Slice, SliceSink, stack};
use super::{Item, LayoutError};
use crate::doc::{Cell, ColWidth, Row, Stroke, Table, VAlign};

/// Resolves column widths: fixed ones as given, auto ones between their
/// narrowest and natural width, relative ones sharing what is left.
/// `measures` holds each column's (natural, narrowest) content width.
pub fn resolve_widths(specs: &[ColWidth], measures: &[(f32, f32)], avail: f32) -> Vec<f32> {
    let mut widths: Vec<f32> = specs
        .iter()
        .zip(measures)
        .map(|(spec, (_, min))| match spec {
            ColWidth::Fixed(w) => *w,
            ColWidth::Auto | ColWidth::Relative(_) => *min,
        })
        .collect();
    let used: f32 = widths.iter().sum();
    let mut left = avail - used;
    if left < 0.0 {
        // Too narrow even for the narrowest content: shrink the flexible
        // columns proportionally (text is then cut between characters).
        let flexible: f32 = specs
            .iter()
            .zip(&widths)
            .filter(|(s, _)| !matches!(s, ColWidth::Fixed(_)))
            .map(|(_, w)| *w)
            .sum();
        let fixed = used - flexible;
        let scale = ((avail - fixed) / flexible.max(1e-3)).clamp(0.0, 1.0);
        for (spec, w) in specs.iter().zip(&mut widths) {
            if !matches!(spec, ColWidth::Fixed(_)) {
                *w *= scale;
            }
        }
        return widths;
    }
    // Auto columns grow towards their natural width.
    let wants: f32 = specs
        .iter()
        .zip(measures)
        .zip(&widths)
        .filter(|((s, _), _)| matches!(s, ColWidth::Auto))
        .map(|((_, (max, _)), w)| (max - w).max(0.0))
        .sum();
    if wants > 0.0 {
        let share = (left / wants).min(1.0);
        for ((spec, (max, _)), w) in specs.iter().zip(measures).zip(&mut widths) {
            if matches!(spec, ColWidth::Auto) {
                let grow = (max - *w).max(0.0) * share;
                *w += grow;
                left -= grow;
            }
        }
    }
    // Relative columns share the rest by weight, never below their minimum.
    let weights: f32 = specs
        .iter()
        .map(|s| {
            if let ColWidth::Relative(r) = s {
                *r
            } else {
                0.0
            }
        })
        .sum();
    if weights > 0.0 {
        let total: f32 = left
            + specs
                .iter()
                .zip(&widths)
                .filter(|(s, _)| matches!(s, ColWidth::Relative(_)))
                .map(|(_, w)| *w)
                .sum::<f32>();
        // Water-filling: columns whose minimum exceeds their share keep it.
        let mut fixed_mins = vec![false; specs.len()];
        loop {
            let free_weight: f32 = specs
                .iter()
                .zip(&fixed_mins)
                .filter(|(_, f)| !**f)
                .map(|(s, _)| {
                    if let ColWidth::Relative(r) = s {
                        *r
                    } else {
                        0.0
                    }
                })
                .sum();
            let pinned: f32 = specs
                .iter()
                .zip(&widths)
                .zip(&fixed_mins)
                .filter(|((s, _), f)| **f && matches!(s, ColWidth::Relative(_)))
                .map(|((_, w), _)| *w)
                .sum();
            let unit = (total - pinned) / free_weight.max(1e-6);
            let mut changed = false;
            for ((spec, (_, min)), (w, pin)) in specs
                .iter()
                .zip(measures)
                .zip(widths.iter_mut().zip(fixed_mins.iter_mut()))
            {
                if let ColWidth::Relative(r) = spec
                    && !*pin
                {
                    if r * unit < *min {
                        *w = *min;
                        *pin = true;
                        changed = true;
                    } else {
                        *w = r * unit;
                    }
                }
            }
            if !changed || free_weight <= 0.0 {
                break;
            }
        }
    }
    widths
}

/// Lays out a table, row by row, into `out`.
pub fn table(
    ctx: &Ctx<'_>,
    t: &Table,
    width: f32,
    out: &mut dyn SliceSink,
) -> Result<(), LayoutError> {
    let widths = column_widths(ctx, t, width);
    let mut header: Vec<Slice> = Vec::new();
    for (i, row) in t.rows.iter().enumerate() {
        if i % 64 == 63 {
            ctx.check()?;
        }
        let is_header = i < t.header_rows;
        let mut slices = self::row(ctx, row, &widths, out.page_height())?;
        if i == 0
            && let Some(first) = slices.first_mut()
        {
            first.space_before = t.space_before;
        }
        if is_header {
            for s in &mut slices {
                s.keep_with_next = true;
            }
            header.extend(slices.iter().cloned());
        }
        for slice in slices {
            out.push(slice);
        }
        if i + 1 == t.header_rows && t.rows.len() > t.header_rows {
            let mut repeated = std::mem::take(&mut header);
            if let Some(first) = repeated.first_mut() {
                first.space_before = 0.0;
            }
            out.begin_repeat(repeated);
        }
    }
    if t.header_rows > 0 && t.rows.len() > t.header_rows {
        out.end_repeat();
    }
    // The table's space after comes after its last row.
    out.push(Slice {
        space_before: t.space_after,
        ..Slice::default()
    });
    Ok(())
}

/// Natural and narrowest width of a whole table (for a table inside an
/// auto-sized cell or column).
pub fn measure(ctx: &Ctx<'_>, t: &Table) -> (f32, f32) {
    let measures = column_measures(ctx, t);
    t.columns
        .iter()
        .zip(&measures)
        .map(|(spec, m)| match spec {
            ColWidth::Fixed(w) => (*w, *w),
            _ => *m,
        })
        .fold((0.0, 0.0), |acc, m| (acc.0 + m.0, acc.1 + m.1))
}

fn column_widths(ctx: &Ctx<'_>, t: &Table, width: f32) -> Vec<f32> {
    let measures = column_measures(ctx, t);
    resolve_widths(&t.columns, &measures, width)
}

/// (natural, narrowest) content width of each column, padding included.
fn column_measures(ctx: &Ctx<'_>, t: &Table) -> Vec<(f32, f32)> {
    let n = t.columns.len();
    let mut measures = vec![(0.0f32, 0.0f32); n];
    let needs_measure = t.columns.iter().any(|c| !matches!(c, ColWidth::Fixed(_)));
    if needs_measure {
        // Natural widths of single-column cells; a long table is sampled
        // (its first rows decide) so measuring stays cheap.
        for row in t.rows.iter().take(MEASURED_ROWS) {
            let mut col = 0;
            for cell in &row.cells {
                if cell.colspan == 1 && col < n {
                    let (max, min) = block::measure(ctx, &cell.blocks);
                    let pad = cell.padding.left + cell.padding.right;
                    measures[col].0 = measures[col].0.max(max + pad);
                    measures[col].1 = measures[col].1.max(min + pad);
                }
                col += usize::from(cell.colspan);
            }
        }
    }
    measures
}

/// Rows measured for auto and relative column widths.
const MEASURED_ROWS: usize = 200;

/// Content of one cell, stacked.
struct CellBox<'c> {
    cell: &'c Cell,
    x: f32,
    width: f32,
    slices: Vec<Slice>,
    offsets: Vec<f32>,
    height: f32,
}

fn row(
    ctx: &Ctx<'_>,
    row: &Row,
    widths: &[f32],
    page_height: f32,
) -> Result<Vec<Slice>, LayoutError> {
    let mut boxes = Vec::with_capacity(row.cells.len());
    let mut col = 0;
    let mut x = 0.0;
    for cell in &row.cells {
        let span = usize::from(cell.colspan).max(1);
        let width: f32 = widths.iter().skip(col).take(span).sum();
        col += span;
        let inner = (width - cell.padding.left - cell.padding.right).max(1.0);
        let mut slices: Vec<Slice> = Vec::new();
        block::blocks(ctx, &cell.blocks, inner, &mut slices)?;
        let (height, offsets) = stack(&slices);
        boxes.push(CellBox {
            cell,
            x,
            width,
            slices,
            offsets,
            height,
        });
        x += width;
    }
    let height = boxes
        .iter()
        .map(|b| b.height + b.cell.padding.top + b.cell.padding.bottom)
        .fold(0.0f32, f32::max);
    if height <= page_height {
        return Ok(vec![band(&mut boxes, 0.0, f32::INFINITY, height, true)]);
    }
    // Taller than a page: cut every cell at slice boundaries into bands.
    let mut bands = Vec::new();
    let mut from = 0.0;
    while boxes.iter().any(|b| b.offsets.iter().any(|o| *o >= from)) {
        let limit = from + page_height - 8.0;
        let next = boxes
            .iter()
            .flat_map(|b| {
                b.offsets
                    .iter()
                    .zip(&b.slices)
                    .map(move |(o, s)| (*o, s.height))
            })
            .filter(|(o, h)| *o >= from && o + h > limit && *o > from)
            .map(|(o, _)| o)
            .fold(f32::INFINITY, f32::min);
        let to = if next.is_finite() {
            next
        } else {
            f32::INFINITY
        };
        let band_height = boxes
            .iter()
            .map(|b| {
                b.offsets
                    .iter()
                    .zip(&b.slices)
                    .filter(|(o, _)| **o >= from && **o < to)
                    .map(|(o, s)| o + s.height - from)
                    .fold(0.0f32, f32::max)
                    + b.cell.padding.top
                    + b.cell.padding.bottom
            })
            .fold(0.0f32, f32::max);
        bands.push(band(&mut boxes, from, to, band_height, false));
        if !to.is_finite() {
            break;
        }
        from = to;
    }
    Ok(bands)
}

/// The part of a row whose cell content lies in [from, to).
fn band(boxes: &mut [CellBox<'_>], from: f32, to: f32, height: f32, whole: bool) -> Slice {
    let mut slice = Slice::new(height);
    for b in boxes.iter_mut() {
        let cell = b.cell;
        if let Some(bg) = cell.background {
            slice.items.push(Item::Rect {
                x: b.x,
                y: 0.0,
                w: b.width,
                h: height,
                fill: bg,
            });
        }
        let content = b.height;
        let inner_height = height - cell.padding.top - cell.padding.bottom;
        let shift = if whole {
            match cell.valign {
                VAlign::Top => 0.0,
                VAlign::Middle => (inner_height - content) / 2.0,
                VAlign::Bottom => inner_height - content,
            }
        } else {
            0.0
        };
        for (s, offset) in b.slices.iter_mut().zip(&b.offsets) {
            if *offset < from || *offset >= to {
                continue;
            }
            let mut s = std::mem::take(s);
            s.translate(
                b.x + cell.padding.left,
                cell.padding.top + shift + offset - from,
            );
            slice.items.append(&mut s.items);
            slice.fields.append(&mut s.fields);
        }
        borders(cell, b.x, b.width, height, &mut slice.items);
    }
    slice
}

fn borders(cell: &Cell, x: f32, w: f32, h: f32, items: &mut Vec<Item>) {
    let mut line = |stroke: Stroke, x1: f32, y1: f32, x2: f32, y2: f32| {
        if stroke.width > 0.0 {
            items.push(Item::Line {
                x1,
                y1,
                x2,
                y2,
                width: stroke.width,
                color: stroke.color,
            });
        }
    };
    line(cell.border_top, x, 0.0, x + w, 0.0);
    line(cell.border_bottom, x, h, x + w, h);
    line(cell.border_left, x, 0.0, x, h);
    line(cell.border_right, x + w, 0.0, x + w, h);
}

/// The column widths the PDF layout gives `t` in `avail` points, for
/// writers that lay out tables themselves (DOCX): the same measuring and
/// sharing, so a table has the same shape in both formats.
pub fn widths_for(book: &crate::fonts::FontBook, t: &Table, avail: f32) -> Vec<f32> {
    let ctx = Ctx::new(book, Default::default());
    // A little room over the measured content: other renderers round text
    // widths differently, and a cell measured to the point would wrap.
    let measures: Vec<(f32, f32)> = column_measures(&ctx, t)
        .into_iter()
        .map(|(max, min)| (max + 2.0, min + 2.0))
        .collect();
    resolve_widths(&t.columns, &measures, avail)
}
