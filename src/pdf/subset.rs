//! TrueType subsetting: a font file holding only the glyphs a document
//! draws, renumbered from 0 in the order the document first used them.
//!
//! The PDF embeds the subset as a `CIDFontType2` with an identity
//! CID-to-glyph map, so a glyph's new number is also its code in the content
//! stream. Only the tables a PDF consumer reads from an embedded TrueType
//! font are written (PDF 32000-1 §9.9): `head`, `hhea`, `maxp`, `hmtx`,
//! `loca`, `glyf`, the hinting programs (`cvt `, `fpgm`, `prep`) and `OS/2`
//! when present. No `cmap`: text is drawn by glyph number, and its Unicode
//! meaning travels in the font's ToUnicode map.

/// Why a font could not be subset.
#[derive(Debug, thiserror::Error)]
#[error("malformed TrueType font: {0}")]
pub struct SubsetError(&'static str);

/// A font's tables, read from its table directory.
struct Tables<'a> {
    data: &'a [u8],
    records: Vec<([u8; 4], usize, usize)>,
}

impl<'a> Tables<'a> {
    fn parse(data: &'a [u8]) -> Result<Tables<'a>, SubsetError> {
        let count = usize::from(read_u16(data, 4).ok_or(SubsetError("no table directory"))?);
        let mut records = Vec::with_capacity(count);
        for i in 0..count {
            let at = 12 + 16 * i;
            let rec = data
                .get(at..at + 16)
                .ok_or(SubsetError("table directory cut short"))?;
            let tag = [rec[0], rec[1], rec[2], rec[3]];
            let offset = u32::from_be_bytes([rec[8], rec[9], rec[10], rec[11]]) as usize;
            let length = u32::from_be_bytes([rec[12], rec[13], rec[14], rec[15]]) as usize;
            if offset
                .checked_add(length)
                .is_none_or(|end| end > data.len())
            {
                return Err(SubsetError("a table lies outside the file"));
            }
            records.push((tag, offset, length));
        }
        Ok(Tables { data, records })
    }

    fn get(&self, tag: &[u8; 4]) -> Option<&'a [u8]> {
        self.records
            .iter()
            .find(|(t, _, _)| t == tag)
            .map(|&(_, offset, length)| &self.data[offset..offset + length])
    }

    fn require(&self, tag: &'static [u8; 4]) -> Result<&'a [u8], SubsetError> {
        self.get(tag)
            .ok_or(SubsetError("a required table is missing"))
    }
}

/// Whether `data` is a TrueType-outline font this module can subset.
pub fn supported(data: &[u8]) -> bool {
    Tables::parse(data).is_ok_and(|t| {
        [b"head", b"hhea", b"maxp", b"hmtx", b"loca", b"glyf"]
            .iter()
            .all(|tag| t.get(tag).is_some())
    })
}

/// Builds a font whose glyph `i` is the original glyph `gids[i]`; `gids[0]`
/// should be 0 (`.notdef`). Glyphs that composite glyphs are built from are
/// appended after the requested ones.
pub fn subset(data: &[u8], gids: &[u16]) -> Result<Vec<u8>, SubsetError> {
    let tables = Tables::parse(data)?;
    let head = tables.require(b"head")?;
    let hhea = tables.require(b"hhea")?;
    let maxp = tables.require(b"maxp")?;
    let hmtx = tables.require(b"hmtx")?;
    let loca = tables.require(b"loca")?;
    let glyf = tables.require(b"glyf")?;
    if head.len() < 54 || hhea.len() < 36 || maxp.len() < 6 {
        return Err(SubsetError("head, hhea or maxp is too short"));
    }
    let long_loca = read_u16(head, 50) == Some(1);
    let num_glyphs = usize::from(read_u16(maxp, 4).unwrap_or(0));
    let num_metrics = usize::from(read_u16(hhea, 34).unwrap_or(0));
    if num_metrics == 0 || hmtx.len() < num_metrics * 4 {
        return Err(SubsetError("hmtx is too short"));
    }

    let outline = |gid: u16| -> Result<&[u8], SubsetError> {
        let gid = usize::from(gid);
        if gid >= num_glyphs {
            return Err(SubsetError("glyph number out of range"));
        }
        let (start, end) = if long_loca {
            (read_u32(loca, gid * 4), read_u32(loca, gid * 4 + 4))
        } else {
            (
                read_u16(loca, gid * 2).map(|v| u32::from(v) * 2),
                read_u16(loca, gid * 2 + 2).map(|v| u32::from(v) * 2),
            )
        };
        let (start, end) = (
            start.ok_or(SubsetError("loca cut short"))? as usize,
            end.ok_or(SubsetError("loca cut short"))? as usize,
        );
        glyf.get(start..end.max(start))
            .ok_or(SubsetError("a glyph lies outside glyf"))
    };

    // New numbers: the requested glyphs, then composite components as found.
    let mut order: Vec<u16> = gids.to_vec();
    let mut new_of = vec![u16::MAX; num_glyphs];
    for (i, &g) in order.iter().enumerate() {
        if usize::from(g) < num_glyphs && new_of[usize::from(g)] == u16::MAX {
            new_of[usize::from(g)] = i as u16;
        }
    }
    let mut glyf_out: Vec<u8> = Vec::new();
    let mut loca_out: Vec<u32> = Vec::with_capacity(order.len() + 1);
    let mut i = 0;
    while i < order.len() {
        let bytes = outline(order[i])?;
        loca_out.push(glyf_out.len() as u32);
        let start = glyf_out.len();
        glyf_out.extend_from_slice(bytes);
        if bytes.len() >= 10 && (bytes[0] & 0x80) != 0 {
            // A composite glyph: renumber its components, queueing new ones.
            let mut at = start + 10;
            loop {
                let flags = read_u16(&glyf_out, at).ok_or(SubsetError("composite cut short"))?;
                let component =
                    read_u16(&glyf_out, at + 2).ok_or(SubsetError("composite cut short"))?;
                if usize::from(component) >= num_glyphs {
                    return Err(SubsetError("composite refers to a missing glyph"));
                }
                let mut new = new_of[usize::from(component)];
                if new == u16::MAX {
                    if order.len() >= usize::from(u16::MAX) {
                        return Err(SubsetError("too many glyphs"));
                    }
                    new = order.len() as u16;
                    new_of[usize::from(component)] = new;
                    order.push(component);
                }
                glyf_out[at + 2..at + 4].copy_from_slice(&new.to_be_bytes());
                at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
                at += if flags & 0x0008 != 0 {
                    2
                } else if flags & 0x0040 != 0 {
                    4
                } else if flags & 0x0080 != 0 {
                    8
                } else {
                    0
                };
                if flags & 0x0020 == 0 {
                    break;
                }
            }
        }
        if glyf_out.len() % 2 == 1 {
            glyf_out.push(0);
        }
        i += 1;
    }
    loca_out.push(glyf_out.len() as u32);
    let count = order.len();

    let mut hmtx_out = Vec::with_capacity(count * 4);
    let last_advance = read_u16(hmtx, (num_metrics - 1) * 4).unwrap_or(0);
    for &g in &order {
        let g = usize::from(g);
        let (advance, lsb) = if g < num_metrics {
            (read_u16(hmtx, g * 4), read_u16(hmtx, g * 4 + 2))
        } else {
            (
                Some(last_advance),
                read_u16(hmtx, num_metrics * 4 + (g - num_metrics) * 2),
            )
        };
        hmtx_out.extend_from_slice(&advance.unwrap_or(0).to_be_bytes());
        hmtx_out.extend_from_slice(&lsb.unwrap_or(0).to_be_bytes());
    }
    let mut loca_bytes = Vec::with_capacity(loca_out.len() * 4);
    for offset in loca_out {
        loca_bytes.extend_from_slice(&offset.to_be_bytes());
    }
    let mut head_out = head.to_vec();
    head_out[8..12].fill(0);
    head_out[50..52].copy_from_slice(&1u16.to_be_bytes());
    let mut hhea_out = hhea.to_vec();
    hhea_out[34..36].copy_from_slice(&(count as u16).to_be_bytes());
    let mut maxp_out = maxp.to_vec();
    maxp_out[4..6].copy_from_slice(&(count as u16).to_be_bytes());

    // Sorted by tag, as the table directory must be.
    let mut out_tables: Vec<(&[u8; 4], &[u8])> = vec![
        (b"OS/2", tables.get(b"OS/2").unwrap_or(&[])),
        (b"cvt ", tables.get(b"cvt ").unwrap_or(&[])),
        (b"fpgm", tables.get(b"fpgm").unwrap_or(&[])),
        (b"glyf", &glyf_out),
        (b"head", &head_out),
        (b"hhea", &hhea_out),
        (b"hmtx", &hmtx_out),
        (b"loca", &loca_bytes),
        (b"maxp", &maxp_out),
        (b"prep", tables.get(b"prep").unwrap_or(&[])),
    ];
    out_tables.retain(|(_, bytes)| !bytes.is_empty());
    Ok(assemble(&out_tables))
}

/// Writes a TrueType file from its tables (sorted by tag), with checksums.
fn assemble(tables: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let n = tables.len() as u16;
    let entry_selector = 15 - n.leading_zeros() as u16;
    let search_range = (1u16 << entry_selector) * 16;
    let size = 12 + 16 * tables.len() + tables.iter().map(|(_, b)| b.len() + 3).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    for v in [n, search_range, entry_selector, n * 16 - search_range] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, bytes) in tables {
        out.extend_from_slice(*tag);
        out.extend_from_slice(&checksum(bytes).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        if *tag == b"head" {
            head_at = Some(offset);
        }
        offset += bytes.len().next_multiple_of(4);
    }
    for (_, bytes) in tables {
        out.extend_from_slice(bytes);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    if let Some(at) = head_at {
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at + 8..at + 12].copy_from_slice(&adjustment.to_be_bytes());
    }
    out
}

/// The sum of a table's big-endian 32-bit words (zero-padded).
fn checksum(bytes: &[u8]) -> u32 {
    let mut sum = 0u32;
    let mut chunks = bytes.chunks_exact(4);
    for c in &mut chunks {
        sum = sum.wrapping_add(u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 4];
        last[..rest.len()].copy_from_slice(rest);
        sum = sum.wrapping_add(u32::from_be_bytes(last));
    }
    sum
}

fn read_u16(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustybuzz::ttf_parser::{Face, GlyphId};

    const NOTO: &[u8] = include_bytes!("../../fonts/NotoSans-Regular.ttf");

    #[test]
    fn subset_keeps_the_requested_glyphs_in_order() {
        let face = Face::parse(NOTO, 0).expect("Noto Sans parses");
        let gids: Vec<u16> = "\0Hé€"
            .chars()
            .skip(1)
            .map(|c| face.glyph_index(c).expect("covered").0)
            .collect();
        let wanted = [vec![0], gids.clone()].concat();
        let bytes = subset(NOTO, &wanted).expect("subset");
        assert!(bytes.len() < NOTO.len() / 20, "{} bytes", bytes.len());
        let sub = Face::parse(&bytes, 0).expect("subset parses");
        assert!(sub.number_of_glyphs() as usize >= wanted.len());
        for (new, &old) in wanted.iter().enumerate() {
            let new = GlyphId(new as u16);
            assert_eq!(
                sub.glyph_hor_advance(new),
                face.glyph_hor_advance(GlyphId(old))
            );
            assert_eq!(
                sub.glyph_bounding_box(new),
                face.glyph_bounding_box(GlyphId(old))
            );
        }
        // The file's checksum adjustment makes the whole sum the magic value.
        assert_eq!(checksum(&bytes), 0xB1B0_AFBA);
    }

    #[test]
    fn composite_components_are_carried_along() {
        let face = Face::parse(NOTO, 0).expect("Noto Sans parses");
        // Find a composite glyph (accented letters usually are).
        let composite = "éÅçñÜ"
            .chars()
            .map(|c| face.glyph_index(c).expect("covered").0)
            .find(|&g| {
                let sub = subset(NOTO, &[0, g]).expect("subset");
                Face::parse(&sub, 0)
                    .expect("subset parses")
                    .number_of_glyphs()
                    > 2
            });
        let g = composite.expect("Noto Sans has composite accented letters");
        let sub = subset(NOTO, &[0, g]).expect("subset");
        let sub_face = Face::parse(&sub, 0).expect("subset parses");
        assert_eq!(
            sub_face.glyph_bounding_box(GlyphId(1)),
            face.glyph_bounding_box(GlyphId(g))
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(subset(b"not a font", &[0]).is_err());
        assert!(subset(&NOTO[..2000], &[0, 5]).is_err());
        assert!(subset(NOTO, &[0, u16::MAX]).is_err());
        assert!(!supported(b"nope"));
        assert!(supported(NOTO));
    }
}
