//! Styles: text and paragraph attributes as [`Patch`]es, and the cascade.
//!
//! A patch holds the text/paragraph attributes one source sets (an element's
//! own attributes, a named style, an element's defaults). An element's style
//! is, lowest to highest: the built-in defaults, the `document`'s attributes
//! (with its named style), the element's defaults, the element's named style,
//! its ancestors' attributes (outermost first, each ancestor's named style
//! under its own attributes) and its own attributes. Inline elements then
//! patch the run style of their content.

use std::sync::Arc;

use super::values::{self, ALIGN};
use super::{Container, Lowerer, Scope};
use crate::doc::model::{Align, Color, ParaStyle, RunStyle};
use crate::doc::node::Node;

macro_rules! patch {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// Text and paragraph attributes one source sets; `None` = not set.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct Patch {
            $(pub $field: Option<$ty>,)*
        }

        impl Patch {
            /// Lays `top` over `self`: what `top` sets wins.
            pub fn over(&mut self, top: &Patch) {
                $(if top.$field.is_some() {
                    self.$field.clone_from(&top.$field);
                })*
            }
        }
    };
}

patch! {
    font: Arc<str>, size: f32, bold: bool, italic: bool, underline: bool, strike: bool,
    color: Color, link: Arc<str>,
    align: Align, line_height: f32, space_before: f32, space_after: f32, indent: f32,
    keep_with_next: bool, orphans: u8, widows: u8,
}

impl Patch {
    /// `self` with `top` laid over it.
    pub fn with(mut self, top: &Patch) -> Patch {
        self.over(top);
        self
    }

    /// Applies the text part.
    pub fn run(&self, run: &mut RunStyle) {
        set(&mut run.font, &self.font);
        set(&mut run.size, &self.size);
        set(&mut run.bold, &self.bold);
        set(&mut run.italic, &self.italic);
        set(&mut run.underline, &self.underline);
        set(&mut run.strike, &self.strike);
        set(&mut run.color, &self.color);
        if let Some(link) = &self.link {
            run.link = Some(link.clone());
        }
    }

    /// Applies the paragraph part.
    pub fn para(&self, para: &mut ParaStyle) {
        set(&mut para.align, &self.align);
        set(&mut para.line_height, &self.line_height);
        set(&mut para.space_before, &self.space_before);
        set(&mut para.space_after, &self.space_after);
        set(&mut para.indent, &self.indent);
        set(&mut para.keep_with_next, &self.keep_with_next);
        set(&mut para.orphans, &self.orphans);
        set(&mut para.widows, &self.widows);
    }
}

fn set<T: Clone>(target: &mut T, value: &Option<T>) {
    if let Some(v) = value {
        *target = v.clone();
    }
}

/// Heading sizes and spacing, h1 to h6.
const HEADINGS: [(f32, f32, f32); 6] = [
    (22.0, 12.0, 6.0),
    (17.0, 10.0, 5.0),
    (14.0, 8.0, 4.0),
    (12.0, 6.0, 3.0),
    (11.0, 6.0, 3.0),
    (10.0, 6.0, 3.0),
];

/// Colour of links.
pub const LINK_COLOR: Color = values::rgb(0x1a, 0x55, 0xc4);

/// The defaults of element `name` where `scope` is: headings, bold in `th`,
/// paragraph spacing in cells and list items.
pub fn defaults(scope: Scope, name: &str) -> Patch {
    let mut patch = Patch::default();
    if scope.in_th {
        patch.bold = Some(true);
    }
    match scope.container {
        Container::Cell => patch.space_after = Some(0.0),
        Container::Item => patch.space_after = Some(2.0),
        _ => {}
    }
    if let Some(level) = heading_level(name) {
        let (size, before, after) = HEADINGS[usize::from(level - 1)];
        patch.size = Some(size);
        patch.bold = Some(true);
        patch.keep_with_next = Some(true);
        patch.space_before = Some(before);
        patch.space_after = Some(after);
    }
    patch
}

/// 1–6 for `h1`–`h6`.
pub fn heading_level(name: &str) -> Option<u8> {
    match name.as_bytes() {
        [b'h', d @ b'1'..=b'6'] => Some(d - b'0'),
        _ => None,
    }
}

/// What an inline element itself does to its content.
pub fn inline_defaults(name: &str) -> Patch {
    let mut patch = Patch::default();
    match name {
        "b" => patch.bold = Some(true),
        "i" => patch.italic = Some(true),
        "u" | "a" => patch.underline = Some(true),
        "s" => patch.strike = Some(true),
        _ => {}
    }
    if name == "a" {
        patch.color = Some(LINK_COLOR);
    }
    patch
}

impl Lowerer<'_> {
    /// The text/paragraph attributes `node` sets itself (not its named
    /// style), leaving out `skip`.
    pub(super) fn own_patch(
        &mut self,
        node: &Node,
        text: bool,
        para: bool,
        skip: &[&str],
    ) -> Patch {
        let mut p = Patch::default();
        let wanted = |name: &str| !skip.contains(&name);
        if text {
            let book = self.assets.fonts;
            p.font = self.get(node, "font", |v| font(v, book)).map(Arc::from);
            p.size = self
                .get(node, "size", |v| values::ranged(v, 1.0, 200.0))
                .map(|n| n as f32);
            p.bold = self.get(node, "bold", values::boolean);
            p.italic = self.get(node, "italic", values::boolean);
            p.underline = self.get(node, "underline", values::boolean);
            p.strike = self.get(node, "strike", values::boolean);
            p.color = self.get(node, "color", values::color);
        }
        if para {
            p.align = self.get(node, "align", |v| values::keyword(v, ALIGN));
            p.line_height = self
                .get(node, "line-height", |v| values::ranged(v, 0.5, 5.0))
                .map(|n| n as f32);
            if wanted("space-before") {
                p.space_before = self.get(node, "space-before", values::length);
            }
            if wanted("space-after") {
                p.space_after = self.get(node, "space-after", values::length);
            }
            p.indent = self.get(node, "indent", values::length);
            p.keep_with_next = self.get(node, "keep-with-next", values::boolean);
            p.orphans = self
                .get(node, "orphans", |v| values::integer(v, 0, 10))
                .map(|n| n as u8);
            p.widows = self
                .get(node, "widows", |v| values::integer(v, 0, 10))
                .map(|n| n as u8);
        }
        p
    }

    /// The named style `node` uses (`style="…"`): its name and patch. An
    /// unknown name is reported, listing the declared styles.
    pub(super) fn named_style(&mut self, node: &Node) -> (Option<String>, Patch) {
        let Some(attr) = node.attr("style") else {
            return (None, Patch::default());
        };
        let name = match values::text(&attr.value) {
            Ok(name) => name,
            Err(e) => {
                self.error(&attr.loc, format!("style {e}"));
                return (None, Patch::default());
            }
        };
        if let Some(patch) = self.styles.get(&name) {
            return (Some(name), patch.clone());
        }
        let declared: Vec<&str> = self.style_order.iter().map(String::as_str).collect();
        let msg = if declared.is_empty() {
            format!(
                "unknown style \"{name}\": the document declares no styles (<style name=\"…\">)"
            )
        } else {
            format!(
                "unknown style \"{name}\"; declared styles: {}",
                declared.join(", ")
            )
        };
        self.error(&attr.loc, msg);
        (None, Patch::default())
    }

    /// The patch `node` passes to its descendants: its named style under its
    /// own attributes.
    pub(super) fn inherit_patch(&mut self, node: &Node, skip: &[&str]) -> (Option<String>, Patch) {
        let (name, named) = self.named_style(node);
        let own = self.own_patch(node, true, true, skip);
        (name, named.with(&own))
    }

    /// Resolves a block's styles: base, `defaults`, `named`, the inherited
    /// patches of the ancestors, `own`.
    pub(super) fn resolve(
        &self,
        defaults: &Patch,
        named: &Patch,
        own: &Patch,
    ) -> (RunStyle, ParaStyle) {
        let mut run = self.base_run.clone();
        let mut para = self.base_para.clone();
        for patch in [defaults, named]
            .into_iter()
            .chain(&self.inherited)
            .chain([own])
        {
            patch.run(&mut run);
            patch.para(&mut para);
        }
        (run, para)
    }
}

fn font(
    value: &crate::doc::node::AttrValue,
    book: Option<&crate::fonts::FontBook>,
) -> Result<String, values::Expected> {
    match values::text(value) {
        Ok(name) if !name.trim().is_empty() => match book {
            Some(book) if !book.has_family(name.trim()) => Err(format!(
                "must name a loaded font family ({})",
                book.family_names().join(", ")
            )),
            _ => Ok(name.trim().to_owned()),
        },
        _ => Err("must be a font family name".into()),
    }
}
