//! Element tree → validated document.
//!
//! [`lower`] is the one place that knows every element and attribute: it
//! checks every value, resolves the style cascade (see [`style`]) and builds
//! the [`Document`]. It does not stop at the first problem: it collects all
//! of them (at most [`MAX_REPORTED_ERRORS`], then a summary), each located at
//! the attribute or element it is about.
//!
//! The elements: `document` (root) with `page`, `style`, `header`, `footer`
//! and blocks; blocks are `p`, `h1`–`h6`, `ul`/`ol`/`li`, `table` (see
//! [`table`]), `img` (see [`image`]), `columns`/`column`, `spacer`,
//! `page-break`, `hr`, `qr` and `barcode` (see [`blocks`]); inline content is
//! text, `b`, `i`, `u`, `s`, `span`, `a`, `br`, `page-number` and
//! `page-count` (see [`inline`]).

mod attrs;
mod blocks;
mod cells;
mod image;
pub use image::base64;
mod inline;
mod page;
mod style;
mod table;
#[cfg(test)]
mod tests;
mod typed;
mod values;

use std::collections::HashMap;
use std::sync::Arc;

use super::node::{DocError, Loc, Node};
use super::{Assets, Document, ImageData, Metadata, NamedStyle, ParaStyle, RunStyle};
use crate::problem::MAX_REPORTED_ERRORS;
use crate::template::filters::Locale;
use style::Patch;

pub(crate) use attrs::{METADATA_ATTRS, is_document_style_attr};

/// Deepest element nesting lowering descends into (the sources refuse more).
pub const MAX_DEPTH: usize = 100;

/// Lowers an element tree (from markup or JSON) into a validated document,
/// or returns every problem found.
///
/// The tree is consumed: each block's subtree (each table row) is freed as
/// soon as it is lowered, so a big document's tree and model are not both
/// held whole.
pub fn lower(mut tree: Node, assets: Assets<'_>) -> Result<Document, Vec<DocError>> {
    let mut lw = Lowerer::new(assets, tree.loc.clone());
    if tree.name != "document" {
        let msg = format!("the root element must be <document>, found <{}>", tree.name);
        lw.error(&tree.loc, msg);
        return Err(lw.into_errors());
    }
    let document = lw.document(&mut tree);
    if lw.errors.is_empty() {
        Ok(document)
    } else {
        Err(lw.into_errors())
    }
}

/// Where blocks are: decides element defaults and what may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    Document,
    Header,
    Footer,
    Item,
    Cell,
    Column,
}

/// The context blocks are lowered in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope {
    pub container: Container,
    /// Inside a `th` (content is bold by default).
    pub in_th: bool,
    /// The nearest ancestor that forbids `page-break`, if any.
    pub no_page_break: Option<&'static str>,
}

/// The state of one lowering: problems found, styles, inherited patches.
pub(crate) struct Lowerer<'a> {
    assets: Assets<'a>,
    errors: Vec<DocError>,
    suppressed: usize,
    /// Where the "N more problems" summary points.
    root_loc: Loc,
    styles: HashMap<String, Patch>,
    style_order: Vec<String>,
    base_run: RunStyle,
    base_para: ParaStyle,
    /// Patches of the ancestors of what is being lowered, outermost first.
    inherited: Vec<Patch>,
    depth: usize,
    locale: &'static Locale,
    currency: String,
    images: HashMap<String, Arc<ImageData>>,
}

impl<'a> Lowerer<'a> {
    fn new(assets: Assets<'a>, root_loc: Loc) -> Self {
        Self {
            assets,
            errors: Vec::new(),
            suppressed: 0,
            root_loc,
            styles: HashMap::new(),
            style_order: Vec::new(),
            base_run: RunStyle::default(),
            base_para: ParaStyle::default(),
            inherited: Vec::new(),
            depth: 0,
            locale: crate::template::filters::default_locale(),
            currency: "EUR".to_owned(),
            images: HashMap::new(),
        }
    }

    /// Records a problem (past [`MAX_REPORTED_ERRORS`] only counts it).
    pub(crate) fn error(&mut self, loc: &Loc, message: impl Into<String>) {
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(DocError::new(loc.clone(), message));
        } else {
            self.suppressed += 1;
        }
    }

    /// The problems; markup ones in reading order (lowering visits the
    /// header and footer before the content).
    fn into_errors(mut self) -> Vec<DocError> {
        if self
            .errors
            .iter()
            .all(|e| matches!(e.loc, Loc::Markup { .. }))
        {
            self.errors.sort_by_key(|e| match e.loc {
                Loc::Markup { line, column } => (line, column),
                Loc::Pointer(_) => (0, 0),
            });
        }
        if self.suppressed > 0 {
            let msg = format!("{} more problems not listed", self.suppressed);
            self.errors.push(DocError::new(self.root_loc.clone(), msg));
        }
        self.errors
    }

    /// Problems found so far.
    fn error_count(&self) -> usize {
        self.errors.len() + self.suppressed
    }

    /// Enters an element: `false` (reported) when nesting is too deep.
    fn enter(&mut self, node: &Node) -> bool {
        if self.depth >= MAX_DEPTH {
            let msg = format!("elements are nested more than {MAX_DEPTH} deep");
            self.error(&node.loc, msg);
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Runs `f` with `patch` inherited by everything it lowers.
    fn inheriting<T>(&mut self, patch: Patch, f: impl FnOnce(&mut Self) -> T) -> T {
        self.inherited.push(patch);
        let out = f(self);
        self.inherited.pop();
        out
    }

    fn document(&mut self, root: &mut Node) -> Document {
        self.depth = 1;
        self.collect_styles(root);
        self.checked(root);
        let metadata = self.metadata(root);
        if let Some(code) = self.get(root, "currency", typed::currency_code) {
            self.currency = code;
        }
        if let Some(locale) = metadata
            .language
            .as_deref()
            .and_then(crate::template::filters::locale)
        {
            self.locale = locale;
        }
        let (_, base) = self.inherit_patch(root, &[]);
        base.run(&mut self.base_run);
        base.para(&mut self.base_para);
        let styles = self.named_styles();
        let scope = Scope {
            container: Container::Document,
            in_th: false,
            no_page_break: None,
        };
        let mut doc = Document {
            page: self.page(root),
            metadata,
            styles,
            header: Vec::new(),
            footer: Vec::new(),
            content: Vec::new(),
        };
        let mut seen_header = false;
        let mut seen_footer = false;
        for node in elements_mut(root) {
            let (seen, container) = match node.name.as_str() {
                "header" => (&mut seen_header, Container::Header),
                "footer" => (&mut seen_footer, Container::Footer),
                _ => continue,
            };
            if std::mem::replace(seen, true) {
                self.error(
                    &node.loc,
                    format!("a document has at most one <{}>", node.name),
                );
                continue;
            }
            let blocks = self.part(node, container);
            free(node);
            match container {
                Container::Header => doc.header = blocks,
                _ => doc.footer = blocks,
            }
        }
        let mut content = Vec::new();
        self.blocks(root, scope, &mut content);
        doc.content = content;
        doc
    }

    /// A `header` or `footer`: its attributes are inherited by its blocks.
    fn part(&mut self, node: &mut Node, container: Container) -> Vec<super::Block> {
        if !self.enter(node) {
            return Vec::new();
        }
        self.checked(node);
        let (_, patch) = self.inherit_patch(node, &[]);
        let scope = Scope {
            container,
            in_th: false,
            no_page_break: Some(if container == Container::Header {
                "header"
            } else {
                "footer"
            }),
        };
        let mut out = Vec::new();
        self.inheriting(patch, |lw| lw.blocks(node, scope, &mut out));
        self.leave();
        out
    }

    /// Reads every `<style name>` first, so styles may be used before they
    /// are declared.
    fn collect_styles(&mut self, root: &Node) {
        for node in elements(root).filter(|n| n.name == "style") {
            self.checked(node);
            self.expect_empty(node);
            let patch = self.own_patch(node, true, true, &[]);
            let Some(attr) = node.attr("name") else {
                self.error(&node.loc, "<style> needs a name attribute");
                continue;
            };
            let name = match values::text(&attr.value) {
                Ok(name) if !name.trim().is_empty() => name.trim().to_owned(),
                _ => {
                    self.error(&attr.loc, "name must be a non-empty style name");
                    continue;
                }
            };
            if self.styles.contains_key(&name) {
                self.error(&attr.loc, format!("style \"{name}\" is declared twice"));
                continue;
            }
            self.style_order.push(name.clone());
            self.styles.insert(name, patch);
        }
    }

    /// The declared styles resolved against the document defaults.
    fn named_styles(&self) -> Vec<NamedStyle> {
        let order = self.style_order.iter();
        order
            .filter_map(|name| {
                let patch = self.styles.get(name)?;
                let mut run = self.base_run.clone();
                let mut para = self.base_para.clone();
                patch.run(&mut run);
                patch.para(&mut para);
                Some(NamedStyle {
                    name: name.clone(),
                    run,
                    para,
                })
            })
            .collect()
    }

    fn metadata(&mut self, root: &Node) -> Metadata {
        let string = |lw: &mut Self, name| {
            lw.get(root, name, values::text)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let keywords = string(self, "keywords").unwrap_or_default();
        Metadata {
            title: string(self, "title"),
            author: string(self, "author"),
            subject: string(self, "subject"),
            keywords: keywords
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect(),
            language: self.get(root, "lang", page::language_tag),
            created: self.get(root, "created", page::iso_date),
        }
    }
}

/// The element children of `node`.
pub(crate) fn elements(node: &Node) -> impl Iterator<Item = &Node> {
    node.children.iter().filter_map(|c| match c {
        super::node::Child::Element(n) => Some(n),
        super::node::Child::Text(..) => None,
    })
}

fn elements_mut(node: &mut Node) -> impl Iterator<Item = &mut Node> {
    node.children.iter_mut().filter_map(|c| match c {
        super::node::Child::Element(n) => Some(n),
        super::node::Child::Text(..) => None,
    })
}

/// Frees what a lowered element holds (its attributes and subtree); its name
/// and location stay for the checks that look at siblings.
pub(crate) fn free(node: &mut Node) {
    node.attrs = Vec::new();
    node.children = Vec::new();
}
