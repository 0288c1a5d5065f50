//! `page` (size, orientation, margins) and the document's metadata values.

use super::values::{self, Expected, MAX_LENGTH};
use super::{Lowerer, attrs, elements};
use crate::doc::model::PageSetup;
use crate::doc::node::{AttrValue, Node};

/// Named page sizes in points, portrait.
const SIZES: &[(&str, (f32, f32))] = &[
    ("A3", (841.89, 1190.55)),
    ("A4", (595.276, 841.89)),
    ("A5", (419.53, 595.276)),
    ("B5", (498.9, 708.66)),
    ("Letter", (612.0, 792.0)),
    ("Legal", (612.0, 1008.0)),
];

/// Smallest content area the margins must leave, each way, in points.
const MIN_CONTENT: f32 = 72.0;

impl Lowerer<'_> {
    /// The page setup from the (at most one) `page` element.
    pub(super) fn page(&mut self, root: &Node) -> PageSetup {
        let mut pages = elements(root).filter(|n| n.name == "page");
        let first = pages.next();
        for extra in pages {
            self.error(&extra.loc, "a document has at most one <page>");
        }
        let mut setup = PageSetup::default();
        let Some(node) = first else {
            return setup;
        };
        if let Some(spec) = attrs::element("page") {
            self.check_attrs(node, spec);
        }
        self.expect_empty(node);
        if let Some((width, height)) = self.get(node, "size", page_size) {
            setup.width = width;
            setup.height = height;
        }
        let orientation = [("portrait", false), ("landscape", true)];
        if let Some(landscape) = self.get(node, "orientation", |v| values::keyword(v, &orientation))
            && landscape != (setup.width > setup.height)
        {
            std::mem::swap(&mut setup.width, &mut setup.height);
        }
        if let Some(margin) = self.get(node, "margin", values::edges) {
            setup.margin = margin;
        }
        let m = &mut setup.margin;
        for (name, side) in [
            ("margin-top", &mut m.top),
            ("margin-right", &mut m.right),
            ("margin-bottom", &mut m.bottom),
            ("margin-left", &mut m.left),
        ] {
            if let Some(v) = self.get(node, name, values::length) {
                *side = v;
            }
        }
        let width = setup.width - m.left - m.right;
        let height = setup.height - m.top - m.bottom;
        if width < MIN_CONTENT || height < MIN_CONTENT {
            let loc = [
                "margin",
                "margin-left",
                "margin-right",
                "margin-top",
                "margin-bottom",
            ]
            .iter()
            .find_map(|n| node.attr(n))
            .map_or(&node.loc, |a| &a.loc)
            .clone();
            let msg = format!(
                "the margins leave {:.0}pt × {:.0}pt of the {:.0}pt × {:.0}pt page for content; \
                 at least {MIN_CONTENT}pt × {MIN_CONTENT}pt is needed",
                width.max(0.0),
                height.max(0.0),
                setup.width,
                setup.height
            );
            self.error(&loc, msg);
        }
        setup
    }
}

/// `A4` (any case) or two lengths `W H`, each 72pt to 14400pt.
fn page_size(value: &AttrValue) -> Result<(f32, f32), Expected> {
    let expected = || {
        format!(
            "must be A3, A4, A5, B5, Letter, Legal or two lengths \"WIDTH HEIGHT\" \
             from 72pt to {MAX_LENGTH}pt"
        )
    };
    let AttrValue::Str(text) = value else {
        return Err(expected());
    };
    if let Some((_, size)) = SIZES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(text.trim()))
    {
        return Ok(*size);
    }
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [w, h] = parts[..] else {
        return Err(expected());
    };
    let side = |s: &str| {
        values::length(&AttrValue::Str(s.to_owned()))
            .ok()
            .filter(|v| *v >= 72.0)
    };
    match (side(w), side(h)) {
        (Some(w), Some(h)) => Ok((w, h)),
        _ => Err(expected()),
    }
}

/// A BCP 47 language tag: `de`, `en-US`, `zh-Hans-CN`.
pub fn language_tag(value: &AttrValue) -> Result<String, Expected> {
    let text = values::text(value)?;
    let text = text.trim();
    let mut parts = text.split('-');
    let primary = parts.next().unwrap_or_default();
    let ok = (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts
            .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(text.to_owned())
    } else {
        Err("must be a language tag such as en-US or de".into())
    }
}

/// An ISO 8601 date or date-time (`2026-11-02`, `2026-11-02T09:30:00Z`).
pub fn iso_date(value: &AttrValue) -> Result<String, Expected> {
    let text = values::text(value)?;
    match crate::template::filters::DateValue::parse(text.trim()) {
        Ok(_) => Ok(text.trim().to_owned()),
        Err(_) => Err(
            "must be an ISO 8601 date or date-time such as 2026-11-02 or 2026-11-02T09:30:00Z"
                .into(),
        ),
    }
}
