//! JSON document → element tree.
//!
//! The JSON form of a document is the markup's tree spelled as JSON:
//!
//! ```text
//! { "page": {attrs}, "metadata": {"title", "author", "subject",
//!   "keywords" (string or array), "lang", "created"},
//!   "styles": {"name": {attrs}}, "header": [nodes], "footer": [nodes],
//!   "content": [nodes], …document text/paragraph attributes }
//! ```
//!
//! A node is `{"type": "p", "text": "…"}` or `{"type": "p", "children":
//! [node or string, …]}`; every other key is an attribute whose value is a
//! string, number or boolean. `header`/`footer` may also be a node object
//! (`{"size": 8, "children": […]}`) to give them attributes. [`to_tree`]
//! builds the same [`Node`] tree the markup gives, iteratively, with every
//! [`Loc`] a JSON pointer.

use serde_json::{Map, Value};

use super::lower::{METADATA_ATTRS, is_document_style_attr};
use super::markup::MAX_DEPTH;
use super::node::{Attr, AttrValue, Child, DocError, Loc, Node};
use crate::problem::{MAX_REPORTED_ERRORS, escape_token};

/// Builds the element tree of a JSON document whose pointers start at
/// `pointer` (`/document`); returns every problem found.
pub fn to_tree(value: &Value, pointer: &str) -> Result<Node, Vec<DocError>> {
    let mut cx = Converter::default();
    let Value::Object(map) = value else {
        cx.error(
            pointer,
            format!("a document must be a JSON object, found {}", kind(value)),
        );
        return Err(cx.errors);
    };
    let mut doc = Node::new("document", Loc::pointer(pointer.to_owned()));
    for (key, value) in map {
        let ptr = join(pointer, key);
        match key.as_str() {
            "page" => {
                if let Some(attrs) = cx.object(value, &ptr, "page attributes") {
                    let mut page = Node::new("page", Loc::pointer(ptr.clone()));
                    cx.attrs(&mut page, attrs, &ptr, &[]);
                    doc.children.push(Child::Element(page));
                }
            }
            "metadata" => cx.metadata(&mut doc, value, &ptr),
            "styles" => cx.styles(&mut doc, value, &ptr),
            "header" | "footer" => {
                if let Some(part) = cx.part(key, value, &ptr) {
                    doc.children.push(Child::Element(part));
                }
            }
            "content" => {}
            name if METADATA_ATTRS.contains(&name) => {
                cx.error(&ptr, format!("\"{name}\" belongs in \"metadata\""));
            }
            name if is_document_style_attr(name) => {
                if let Some(attr) = cx.attr(name, value, &ptr) {
                    doc.attrs.push(attr);
                }
            }
            name => cx.error(&ptr, format!("unknown key \"{name}\"; {TOP_LEVEL}")),
        }
    }
    if let Some(content) = map.get("content") {
        let ptr = join(pointer, "content");
        match content {
            Value::Array(items) => match cx.fill(doc, items, ptr, 1) {
                Some(filled) => doc = filled,
                None => return Err(cx.into_errors(pointer)),
            },
            other => {
                let msg = format!("content must be an array, found {}", kind(other));
                cx.error(&ptr, msg);
            }
        }
    }
    if cx.errors.is_empty() {
        Ok(doc)
    } else {
        Err(cx.into_errors(pointer))
    }
}

const TOP_LEVEL: &str = "expected page, metadata, styles, header, footer, content or a text \
                         or paragraph attribute of the document";

/// One frame of the explicit stack: an element and its remaining children.
struct Frame<'v> {
    node: Node,
    items: &'v [Value],
    /// Pointer of the `children` array.
    pointer: String,
    next: usize,
}

#[derive(Default)]
struct Converter {
    errors: Vec<DocError>,
    suppressed: usize,
}

impl Converter {
    fn error(&mut self, pointer: &str, message: impl Into<String>) {
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors
                .push(DocError::new(Loc::pointer(pointer.to_owned()), message));
        } else {
            self.suppressed += 1;
        }
    }

    fn into_errors(mut self, pointer: &str) -> Vec<DocError> {
        if self.suppressed > 0 {
            let msg = format!("{} more problems not listed", self.suppressed);
            self.errors
                .push(DocError::new(Loc::pointer(pointer.to_owned()), msg));
        }
        self.errors
    }

    fn object<'v>(
        &mut self,
        value: &'v Value,
        ptr: &str,
        what: &str,
    ) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            other => {
                let msg = format!("expected an object of {what}, found {}", kind(other));
                self.error(ptr, msg);
                None
            }
        }
    }

    /// One attribute: a string, number or boolean.
    fn attr(&mut self, name: &str, value: &Value, ptr: &str) -> Option<Attr> {
        let value = match value {
            Value::String(s) => AttrValue::Str(s.clone()),
            Value::Bool(b) => AttrValue::Bool(*b),
            Value::Number(n) => AttrValue::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::Null => {
                self.error(
                    ptr,
                    format!("\"{name}\" is null; leave the attribute out instead"),
                );
                return None;
            }
            other => {
                let msg = format!(
                    "\"{name}\" must be a string, number or boolean, found {}",
                    kind(other)
                );
                self.error(ptr, msg);
                return None;
            }
        };
        Some(Attr {
            name: name.into(),
            value,
            loc: Loc::pointer(ptr.to_owned()),
        })
    }

    /// The keys of `map` other than `skip` as attributes of `node`.
    fn attrs(&mut self, node: &mut Node, map: &Map<String, Value>, ptr: &str, skip: &[&str]) {
        for (key, value) in map.iter().filter(|(k, _)| !skip.contains(&k.as_str())) {
            if let Some(attr) = self.attr(key, value, &join(ptr, key)) {
                node.attrs.push(attr);
            }
        }
    }

    fn metadata(&mut self, doc: &mut Node, value: &Value, ptr: &str) {
        let Some(map) = self.object(value, ptr, "metadata") else {
            return;
        };
        for (key, value) in map {
            let at = join(ptr, key);
            if !METADATA_ATTRS.contains(&key.as_str()) {
                let msg = format!(
                    "unknown metadata \"{key}\"; expected one of {}",
                    METADATA_ATTRS.join(", ")
                );
                self.error(&at, msg);
                continue;
            }
            let attr = match value {
                Value::Array(words) if key == "keywords" => {
                    let mut list = Vec::new();
                    for (i, word) in words.iter().enumerate() {
                        match word {
                            Value::String(s) => list.push(s.as_str()),
                            other => self.error(
                                &format!("{at}/{i}"),
                                format!("expected a string, found {}", kind(other)),
                            ),
                        }
                    }
                    self.attr(key, &Value::String(list.join(", ")), &at)
                }
                _ => self.attr(key, value, &at),
            };
            doc.attrs.extend(attr);
        }
    }

    fn styles(&mut self, doc: &mut Node, value: &Value, ptr: &str) {
        let Some(map) = self.object(value, ptr, "named styles") else {
            return;
        };
        for (name, attrs) in map {
            let at = join(ptr, name);
            let Some(attrs) = self.object(attrs, &at, "style attributes") else {
                continue;
            };
            if attrs.contains_key("name") {
                self.error(
                    &join(&at, "name"),
                    "a style's name is its key in \"styles\"",
                );
            }
            let mut style = Node::new("style", Loc::pointer(at.clone()));
            style.attrs.push(Attr {
                name: "name".into(),
                value: AttrValue::Str(name.clone()),
                loc: Loc::pointer(at.clone()),
            });
            self.attrs(&mut style, attrs, &at, &["name"]);
            doc.children.push(Child::Element(style));
        }
    }

    /// `header`/`footer`: an array of nodes, or a node object.
    fn part(&mut self, name: &str, value: &Value, ptr: &str) -> Option<Node> {
        match value {
            Value::Array(items) => {
                let node = Node::new(name, Loc::pointer(ptr.to_owned()));
                self.fill(node, items, ptr.to_owned(), 2)
            }
            Value::Object(map) => {
                let (node, items) = self.open(map, ptr, Some(name))?;
                self.fill(node, items, join(ptr, "children"), 2)
            }
            other => {
                let msg = format!("{name} must be an array of elements, found {}", kind(other));
                self.error(ptr, msg);
                None
            }
        }
    }

    /// The element of a node object, and its `children` (not yet converted).
    fn open<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        ptr: &str,
        implied: Option<&str>,
    ) -> Option<(Node, &'v [Value])> {
        let name = match (map.get("type"), implied) {
            (Some(Value::String(t)), Some(implied)) if t != implied => {
                self.error(
                    &join(ptr, "type"),
                    format!("expected \"type\": \"{implied}\" here"),
                );
                return None;
            }
            (Some(Value::String(t)), _) => t.as_str(),
            (None, Some(implied)) => implied,
            (None, None) => {
                self.error(
                    ptr,
                    "an element needs a \"type\" (such as \"p\" or \"table\")",
                );
                return None;
            }
            (Some(other), _) => {
                self.error(
                    &join(ptr, "type"),
                    format!("\"type\" must be a string, found {}", kind(other)),
                );
                return None;
            }
        };
        let mut node = Node::new(name, Loc::pointer(ptr.to_owned()));
        let items: &[Value] = match map.get("children") {
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.error(
                    &join(ptr, "children"),
                    format!("\"children\" must be an array, found {}", kind(other)),
                );
                &[]
            }
            None => &[],
        };
        match map.get("text") {
            Some(_) if map.contains_key("children") => {
                self.error(
                    &join(ptr, "text"),
                    "give either \"text\" or \"children\", not both",
                );
            }
            Some(Value::String(text)) => node
                .children
                .push(Child::Text(text.clone(), Loc::pointer(join(ptr, "text")))),
            Some(other) => self.error(
                &join(ptr, "text"),
                format!("\"text\" must be a string, found {}", kind(other)),
            ),
            None => {}
        }
        self.attrs(&mut node, map, ptr, &["type", "text", "children"]);
        Some((node, items))
    }

    /// Converts `items` into children of `parent` (at `depth`, the root
    /// being 1) with an explicit stack; `None` when nesting is too deep.
    fn fill(
        &mut self,
        parent: Node,
        items: &[Value],
        pointer: String,
        depth: usize,
    ) -> Option<Node> {
        let mut stack = vec![Frame {
            node: parent,
            items,
            pointer,
            next: 0,
        }];
        loop {
            let top = stack.last_mut()?;
            let Some(item) = top.items.get(top.next) else {
                let done = stack.pop()?.node;
                match stack.last_mut() {
                    Some(parent) => parent.node.children.push(Child::Element(done)),
                    None => return Some(done),
                }
                continue;
            };
            let ptr = format!("{}/{}", top.pointer, top.next);
            top.next += 1;
            match item {
                Value::String(text) => top
                    .node
                    .children
                    .push(Child::Text(text.clone(), Loc::pointer(ptr))),
                Value::Object(map) => {
                    if depth + stack.len() > MAX_DEPTH {
                        self.error(
                            &ptr,
                            format!("elements are nested more than {MAX_DEPTH} deep"),
                        );
                        return None;
                    }
                    if let Some((node, items)) = self.open(map, &ptr, None) {
                        let pointer = join(&ptr, "children");
                        stack.push(Frame {
                            node,
                            items,
                            pointer,
                            next: 0,
                        });
                    }
                }
                other => {
                    let msg = format!(
                        "expected an element ({{\"type\": …}}) or a string, found {}",
                        kind(other)
                    );
                    self.error(&ptr, msg);
                }
            }
        }
    }
}

/// `pointer` + `/` + the escaped `token`.
fn join(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape_token(token))
}

/// What a JSON value is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
