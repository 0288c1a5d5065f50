//! Which attributes each element takes, and reading them with errors.
//!
//! Every element has its own attributes plus, if it carries text or
//! paragraphs, the shared text attributes ([`TEXT_ATTRS`]) and paragraph
//! attributes ([`PARA_ATTRS`]). [`Lowerer::check_attrs`] reports any other
//! attribute; [`Lowerer::get`] parses one and reports a bad value at the
//! attribute.

use super::Lowerer;
use super::style::heading_level;
use super::values::{Expected, one_of, shown};
use crate::doc::node::{AttrValue, Child, Node};

/// Attributes that set how text looks (inherited like CSS).
pub const TEXT_ATTRS: &[&str] = &[
    "style",
    "font",
    "size",
    "bold",
    "italic",
    "underline",
    "strike",
    "color",
];

/// Attributes that set how paragraphs are set (inherited like CSS).
pub const PARA_ATTRS: &[&str] = &[
    "align",
    "line-height",
    "space-before",
    "space-after",
    "indent",
    "keep-with-next",
    "orphans",
    "widows",
];

/// Elements that are blocks of the flow.
pub const BLOCKS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "table",
    "img",
    "columns",
    "spacer",
    "page-break",
    "hr",
    "qr",
    "barcode",
];

/// Elements that are part of a paragraph.
pub const INLINES: &[&str] = &[
    "b",
    "i",
    "u",
    "s",
    "span",
    "a",
    "br",
    "page-number",
    "page-count",
];

/// Elements only the root `document` may contain.
pub const DOCUMENT_PARTS: &[&str] = &["page", "style", "header", "footer"];

/// Metadata attributes of `document` (the `metadata` object in JSON).
pub const METADATA_ATTRS: &[&str] = &["title", "author", "subject", "keywords", "lang", "created"];

/// The attributes an element takes.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Takes [`TEXT_ATTRS`].
    pub text: bool,
    /// Takes [`PARA_ATTRS`].
    pub para: bool,
    /// Its own attributes.
    pub own: &'static [&'static str],
}

const fn spec(text: bool, para: bool, own: &'static [&'static str]) -> Option<Spec> {
    Some(Spec { text, para, own })
}

/// The attributes of a known element, `None` for an unknown one.
pub fn element(name: &str) -> Option<Spec> {
    const CELL: &[&str] = &[
        "colspan",
        "valign",
        "background",
        "padding",
        "border",
        "border-top",
        "border-right",
        "border-bottom",
        "border-left",
        "border-color",
        "value",
        "value-type",
        "currency",
        "decimals",
        "format",
    ];
    const TABLE: &[&str] = &[
        "columns",
        "header-rows",
        "border",
        "border-color",
        "row-lines",
        "header-line",
        "padding",
        "header-background",
        "stripe",
        "valign",
    ];
    const PAGE: &[&str] = &[
        "size",
        "orientation",
        "margin",
        "margin-top",
        "margin-right",
        "margin-bottom",
        "margin-left",
    ];
    const DOCUMENT: &[&str] = &[
        "title", "author", "subject", "keywords", "lang", "created", "currency",
    ];
    const TR: &[&str] = &[
        "background",
        "keep-together",
        "border-top",
        "border-bottom",
        "border-color",
    ];
    const QR: &[&str] = &["data", "size", "level", "align", "color", "space-after"];
    const BARCODE: &[&str] = &[
        "type",
        "data",
        "height",
        "width",
        "human-readable",
        "align",
        "color",
        "space-after",
    ];
    const IMG: &[&str] = &["src", "width", "height", "align", "alt", "space-after"];
    const HR: &[&str] = &["thickness", "color", "space-before", "space-after"];
    match name {
        "document" => spec(true, true, DOCUMENT),
        "page" => spec(false, false, PAGE),
        "style" => spec(true, true, &["name"]),
        "header" | "footer" | "ul" | "li" => spec(true, true, &[]),
        "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => spec(true, true, &["background"]),
        "ol" => spec(true, true, &["start"]),
        "table" => spec(true, true, TABLE),
        "thead" | "tbody" | "page-break" | "br" => spec(false, false, &[]),
        "tr" => spec(true, true, TR),
        "td" | "th" => spec(true, true, CELL),
        "img" => spec(false, false, IMG),
        "columns" => spec(false, false, &["gap", "space-after"]),
        "column" => spec(true, true, &["width"]),
        "spacer" => spec(false, false, &["height"]),
        "hr" => spec(false, false, HR),
        "qr" => spec(false, false, QR),
        "barcode" => spec(false, false, BARCODE),
        "b" | "i" | "u" | "s" | "span" | "page-number" | "page-count" => spec(true, false, &[]),
        "a" => spec(true, false, &["href"]),
        _ => None,
    }
}

/// Whether `name` may be given at the top level of a JSON document (a text
/// or paragraph attribute of `document`, or `currency`).
pub fn is_document_style_attr(name: &str) -> bool {
    name == "currency" || TEXT_ATTRS.contains(&name) || PARA_ATTRS.contains(&name)
}

impl Lowerer<'_> {
    /// Reports every attribute `node` does not take; returns what it takes.
    pub(super) fn check_attrs(&mut self, node: &Node, spec: Spec) {
        for attr in &node.attrs {
            let name = attr.name.as_str();
            let known = spec.own.contains(&name)
                || (spec.text
                    && TEXT_ATTRS.contains(&name)
                    && !(node.name == "style" && name == "style"))
                || (spec.para && PARA_ATTRS.contains(&name));
            if known {
                continue;
            }
            let mut expected: Vec<&str> = spec.own.to_vec();
            if spec.text {
                expected.extend(
                    TEXT_ATTRS
                        .iter()
                        .filter(|a| node.name != "style" || **a != "style"),
                );
            }
            if spec.para {
                expected.extend(PARA_ATTRS);
            }
            let msg = if expected.is_empty() {
                format!(
                    "unknown attribute \"{name}\" on <{}>; it takes no attributes",
                    node.name
                )
            } else {
                format!(
                    "unknown attribute \"{name}\" on <{}>; expected one of {}",
                    node.name,
                    one_of(&expected)
                )
            };
            self.error(&attr.loc, msg);
        }
    }

    /// Parses attribute `name` of `node` if present; a bad value is reported
    /// at the attribute ("NAME must …, found …") and gives `None`.
    pub(super) fn get<T>(
        &mut self,
        node: &Node,
        name: &str,
        parse: impl FnOnce(&AttrValue) -> Result<T, Expected>,
    ) -> Option<T> {
        let attr = node.attr(name)?;
        match parse(&attr.value) {
            Ok(value) => Some(value),
            Err(expected) => {
                let msg = format!("{name} {expected}, found {}", shown(&attr.value));
                self.error(&attr.loc, msg);
                None
            }
        }
    }

    /// Reports element children and non-blank text of an element that takes
    /// no content.
    pub(super) fn expect_empty(&mut self, node: &Node) {
        for child in &node.children {
            match child {
                Child::Element(inner) => {
                    let msg = format!(
                        "<{}> cannot appear inside <{}>: <{}> takes no content",
                        inner.name, node.name, node.name
                    );
                    self.error(&inner.loc, msg);
                }
                Child::Text(text, loc) if !is_blank(text) => {
                    let msg = format!(
                        "text cannot appear inside <{}>: it takes no content",
                        node.name
                    );
                    self.error(loc, msg);
                }
                Child::Text(..) => {}
            }
        }
    }

    /// Reports an element that is not allowed where it is: unknown elements
    /// and known ones in the wrong place, listing what is `expected` there.
    pub(super) fn misplaced(&mut self, child: &Node, parent: &str, expected: &[&str]) {
        let list = one_of(expected);
        let msg = if element(&child.name).is_none() {
            format!("unknown element <{}>; expected one of {list}", child.name)
        } else if INLINES.contains(&parent) || parent == "p" || heading_level(parent).is_some() {
            format!(
                "<{}> cannot appear inside <{parent}>; expected text or one of {list}",
                child.name
            )
        } else {
            format!(
                "<{}> cannot appear inside <{parent}>; expected one of {list}",
                child.name
            )
        };
        self.error(&child.loc, msg);
    }
}

/// Whitespace only (ignored between blocks).
pub fn is_blank(text: &str) -> bool {
    text.chars()
        .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0C'))
}
