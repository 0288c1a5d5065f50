//! The element tree both document sources become before lowering.
//!
//! Markup (`<p align="right">…</p>`) and the JSON form of a document
//! (`{"type": "p", "align": "right", "children": […]}`) are two spellings of
//! the same tree: elements with attributes and children. Each source builds a
//! [`Node`] tree that remembers where every element and attribute came from;
//! [`super::lower`] then turns the tree into a [`super::Document`], so there
//! is one set of elements, one set of attributes and one set of errors.
//!
//! The tree of a big report has millions of nodes, so it is kept small:
//! names are shared ([`Name`]), the markup parser allocates children and
//! attributes at their exact length, and [`super::lower`] consumes the tree,
//! freeing each part once it is lowered.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Where something is in the source: a JSON pointer into the job, or a line
/// and column in markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loc {
    /// RFC 6901 pointer into the job (`/document/content/3/align`).
    Pointer(Box<str>),
    /// 1-based line and column in the markup a template produced or a
    /// `template_source` holds.
    Markup { line: u32, column: u32 },
}

impl Loc {
    pub fn pointer(pointer: impl Into<Box<str>>) -> Loc {
        Loc::Pointer(pointer.into())
    }
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

/// An element or attribute name. Cheap to clone: one allocation per
/// distinct name of a source ([`Names`]).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Arc<str>);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Name {
    fn from(name: &str) -> Self {
        Name(Arc::from(name))
    }
}

impl From<String> for Name {
    fn from(name: String) -> Self {
        Name(Arc::from(name))
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// The names a source has used, so each distinct name is (nearly always)
/// allocated once: a small cache with one slot per cheap hash of the name.
/// A lookup is one comparison, whatever the input; two names that share a
/// slot only cost allocations.
#[derive(Debug)]
pub struct Names([Option<Name>; Names::SLOTS]);

impl Default for Names {
    fn default() -> Self {
        Names(std::array::from_fn(|_| None))
    }
}

impl Names {
    const SLOTS: usize = 256;

    pub fn get(&mut self, name: &str) -> Name {
        let bytes = name.as_bytes();
        let (first, last) = match bytes {
            [] => (0, 0),
            [first, .., last] => (*first, *last),
            [one] => (*one, *one),
        };
        let hash = bytes.len() * 31 + usize::from(first) * 7 + usize::from(last) * 3;
        let slot = &mut self.0[hash % Self::SLOTS];
        match slot {
            Some(known) if *known == *name => known.clone(),
            _ => slot.insert(Name::from(name)).clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub name: Name,
    pub value: AttrValue,
    pub loc: Loc,
}

/// An element: `<name attr="…">children</name>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: Name,
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
    pub fn new(name: impl Into<Name>, loc: Loc) -> Self {
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
