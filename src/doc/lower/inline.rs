//! Paragraphs and inline content.
//!
//! Whitespace works like HTML: every run of spaces, tabs and line breaks is
//! one space, whitespace at the start and end of a paragraph (and around a
//! `<br/>`) is dropped, and adjacent text runs with the same style merge into
//! one [`Inline::Text`]. Inline elements patch the run style of their
//! content: `b` bold, `i` italic, `u` underline, `s` strike, `a` a link
//! (coloured and underlined), `span` only its attributes; then each one's
//! named style and its own text attributes.

use std::sync::Arc;

use super::attrs::{INLINES, is_blank};
use super::style::{Patch, defaults, heading_level, inline_defaults};
use super::values;
use super::{Lowerer, Scope};
use crate::doc::model::{Block, Inline, Paragraph, RunStyle};
use crate::doc::node::{AttrValue, Child, Node};

impl Lowerer<'_> {
    /// A `p` or `h1`–`h6`.
    pub(super) fn paragraph(&mut self, node: &Node, scope: Scope) -> Block {
        let (style_name, named) = self.named_style(node);
        let own = self.own_patch(node, true, true, &[]);
        let background = self.get(node, "background", values::color);
        let (run, mut style) = self.resolve(&defaults(scope, &node.name), &named, &own);
        style.background = background;
        let mut builder = InlineBuilder::default();
        for child in &node.children {
            self.inline_child(child, &node.name, &run, &mut builder);
        }
        Block::Paragraph(Paragraph {
            heading: heading_level(&node.name),
            style_name,
            style,
            inlines: builder.finish(),
        })
    }

    /// The paragraph formed by inline `children` of a block container
    /// (nothing if they are only whitespace).
    pub(super) fn implicit_paragraph(
        &mut self,
        children: &[Child],
        parent: &str,
        scope: Scope,
        out: &mut Vec<Block>,
    ) {
        let only_blank = children
            .iter()
            .all(|c| matches!(c, Child::Text(text, _) if is_blank(text)));
        if only_blank {
            return;
        }
        let none = Patch::default();
        let (run, style) = self.resolve(&defaults(scope, "p"), &none, &none);
        let mut builder = InlineBuilder::default();
        for child in children {
            self.inline_child(child, parent, &run, &mut builder);
        }
        let inlines = builder.finish();
        if !inlines.is_empty() {
            out.push(Block::Paragraph(Paragraph {
                heading: None,
                style_name: None,
                style,
                inlines,
            }));
        }
    }

    fn inline_child(&mut self, child: &Child, parent: &str, run: &RunStyle, b: &mut InlineBuilder) {
        match child {
            Child::Text(text, _) => b.text(text, run),
            Child::Element(node) if INLINES.contains(&node.name.as_str()) => {
                self.inline_element(node, run, b);
            }
            Child::Element(node) => self.misplaced(node, parent, INLINES),
        }
    }

    fn inline_element(&mut self, node: &Node, run: &RunStyle, b: &mut InlineBuilder) {
        if !self.enter(node) {
            return;
        }
        self.checked(node);
        if node.name == "br" {
            self.expect_empty(node);
            b.line_break();
            self.leave();
            return;
        }
        let mut style = run.clone();
        inline_defaults(&node.name).run(&mut style);
        if node.name == "a" {
            match self.get(node, "href", href) {
                Some(target) => style.link = Some(Arc::from(target)),
                None if node.attr("href").is_none() => {
                    self.error(&node.loc, "<a> needs an href attribute");
                }
                None => {}
            }
        }
        let (_, named) = self.named_style(node);
        named.run(&mut style);
        self.own_patch(node, true, false, &[]).run(&mut style);
        match node.name.as_str() {
            "page-number" => {
                self.expect_empty(node);
                b.field(Inline::PageNumber(style));
            }
            "page-count" => {
                self.expect_empty(node);
                b.field(Inline::PageCount(style));
            }
            name => {
                for child in &node.children {
                    self.inline_child(child, name, &style, b);
                }
            }
        }
        self.leave();
    }
}

/// A link target: `http:`, `https:`, `mailto:` or `#anchor`.
fn href(value: &AttrValue) -> Result<String, values::Expected> {
    let target = values::text(value)?.trim().to_owned();
    let lower = target.to_ascii_lowercase();
    let ok = ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len())
        || (target.starts_with('#') && target.len() > 1);
    if ok && !target.chars().any(char::is_whitespace) {
        Ok(target)
    } else {
        Err("must be an http:, https: or mailto: URL or a #anchor".into())
    }
}

/// Collects a paragraph's inlines, collapsing whitespace as it goes.
#[derive(Default)]
pub struct InlineBuilder {
    out: Vec<Inline>,
    /// The last thing added ends in whitespace (or nothing was added yet, or
    /// a line break was): leading whitespace of the next text is dropped.
    after_space: bool,
    started: bool,
}

impl InlineBuilder {
    /// Adds text in `style`, collapsing whitespace.
    pub fn text(&mut self, text: &str, style: &RunStyle) {
        let mut collapsed = String::with_capacity(text.len());
        for c in text.chars() {
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0C') {
                if self.started && !self.after_space {
                    collapsed.push(' ');
                    self.after_space = true;
                }
            } else {
                collapsed.push(c);
                self.after_space = false;
                self.started = true;
            }
        }
        if collapsed.is_empty() {
            return;
        }
        if let Some(Inline::Text { text, style: last }) = self.out.last_mut()
            && last == style
        {
            text.push_str(&collapsed);
        } else {
            self.out.push(Inline::Text {
                text: collapsed,
                style: style.clone(),
            });
        }
    }

    /// A page number or page count: content like a word.
    pub fn field(&mut self, inline: Inline) {
        self.out.push(inline);
        self.after_space = false;
        self.started = true;
    }

    /// A forced line break; whitespace on either side of it is dropped.
    pub fn line_break(&mut self) {
        self.trim_end();
        self.out.push(Inline::Break);
        self.after_space = true;
        self.started = true;
    }

    fn trim_end(&mut self) {
        if let Some(Inline::Text { text, .. }) = self.out.last_mut()
            && text.ends_with(' ')
        {
            text.pop();
            if text.is_empty() {
                self.out.pop();
            }
        }
    }

    /// The inlines, trailing whitespace dropped.
    pub fn finish(mut self) -> Vec<Inline> {
        self.trim_end();
        // A long table has a paragraph per cell: no spare capacity.
        self.out.shrink_to_fit();
        self.out
    }
}
