//! The element tree both document sources become before lowering.
//!
//! Markup (`<p align="right">…</p>`) and the JSON form of a document
//! (`{"type": "p", "align": "right", "children": […]}`) are two spellings of
//! the same tree: elements with attributes and children. Each source builds a
//! [`Node`] tree that remembers where every element and attribute came from;
//! [`super::lower`] then turns the tree into a [`super::Document`], so there
//! is one set of elements, one set of attributes and one set of errors.

use std::fmt;

/// Where something is in the source: a JSON pointer into the job, or a line
/// and column in markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loc {
    /// RFC 6901 pointer into the job (`/document/content/3/align`).
    Pointer(String),
    /// 1-based line and column in the markup a template produced or a
    /// `template_source` holds.
    Markup { line: u32, column: u32 },
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loc::Pointer(p) => write!(f, "{p}"),
            Loc::Markup { line, column } => write!(f, "line {line}, column {column}"),
        }
    }
}

/// An attribute value. Markup gives strings; JSON may give numbers and booleans.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Str(String),
    Num(f64),
    Bool(bool),
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Str(s) => f.write_str(s),
            AttrValue::Num(n) => write!(f, "{n}"),
            AttrValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub name: String,
    pub value: AttrValue,
    pub loc: Loc,
}

/// An element: `<name attr="…">children</name>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<Attr>,
    pub children: Vec<Child>,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Child {
    Element(Node),
    /// Character data, entities and character references already decoded.
    Text(String, Loc),
}

impl Node {
    pub fn new(name: impl Into<String>, loc: Loc) -> Self {
        Self {
            name: name.into(),
            attrs: Vec::new(),
            children: Vec::new(),
            loc,
        }
    }

    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }
}

/// One problem with a document, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocError {
    pub loc: Loc,
    pub message: String,
}

impl DocError {
    pub fn new(loc: Loc, message: impl Into<String>) -> Self {
        Self {
            loc,
            message: message.into(),
        }
    }
}

impl fmt::Display for DocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.message)
    }
}
