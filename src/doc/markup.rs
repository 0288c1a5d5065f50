//! Markup → element tree.
//!
//! docsmith markup is XML without a DTD: [`parse`] reads it strictly with
//! quick-xml and builds the [`Node`] tree iteratively (an explicit stack, so
//! no input can exhaust the call stack). Well-formedness is required; there
//! is no entity expansion at all: a `<!DOCTYPE` is rejected, and only the five
//! predefined entities and numeric character references are decoded.
//! Comments and processing instructions are dropped, CDATA is text. Every
//! element, attribute and text remembers its 1-based line and column (in
//! characters).

use quick_xml::Reader;
use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};

use super::node::{Attr, AttrValue, Child, DocError, Loc, Names, Node};

/// Deepest element nesting accepted (the root is at depth 1).
pub const MAX_DEPTH: usize = 100;

/// Reads markup into its element tree; the first problem is the error.
pub fn parse(source: &str) -> Result<Node, DocError> {
    let mut lines = Lines::new(source);
    if let Some((at, ch)) = source.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        let msg = format!("character U+{:04X} is not allowed in markup", u32::from(ch));
        return Err(DocError::new(lines.loc(at), msg));
    }
    let mut reader = Reader::from_str(source);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.check_comments = true;
    let mut tree = Builder {
        source,
        lines,
        names: Names::default(),
        stack: Vec::new(),
        children: Vec::new(),
        attrs: Vec::new(),
        root: None,
    };
    loop {
        let at = offset(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let loc = tree.lines.loc(offset(reader.error_position()));
                return Err(DocError::new(loc, xml_message(&e)));
            }
        };
        match event {
            Event::Start(tag) => {
                let node = tree.start_node(&tag, at)?;
                tree.open(node)?;
            }
            Event::Empty(tag) => {
                let node = tree.start_node(&tag, at)?;
                tree.open(node)?;
                tree.close();
            }
            Event::End(tag) => {
                let name = tag.name();
                let name = name.as_ref();
                let loc = tree.lines.loc(at);
                match tree.stack.last() {
                    None => {
                        let msg = format!("</{name}> closes an element that was never opened");
                        return Err(DocError::new(loc, msg));
                    }
                    Some((open, _)) if *open.name != *name => {
                        let msg = format!(
                            "</{name}> does not match <{}> opened at {}",
                            open.name, open.loc
                        );
                        return Err(DocError::new(loc, msg));
                    }
                    Some(_) => tree.close(),
                }
            }
            Event::Text(text) => {
                let loc = tree.lines.loc(at);
                tree.add_text(&text.xml10_content(), loc)?;
            }
            Event::CData(data) => {
                let loc = tree.lines.loc(at);
                tree.add_text(&data.xml10_content(), loc)?;
            }
            Event::GeneralRef(reference) => {
                let loc = tree.lines.loc(at);
                let text = resolve_name(&reference).map_err(|m| DocError::new(loc.clone(), m))?;
                tree.add_text(text.as_str(), loc)?;
            }
            Event::DocType(_) => {
                let msg = "DOCTYPE is not allowed: docsmith markup has no DTD or custom entities";
                return Err(DocError::new(tree.lines.loc(at), msg));
            }
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
            Event::Eof => break,
        }
    }
    if let Some((open, _)) = tree.stack.pop() {
        let msg = format!("<{}> is never closed", open.name);
        return Err(DocError::new(open.loc, msg));
    }
    tree.root.ok_or_else(|| {
        DocError::new(
            Loc::Markup { line: 1, column: 1 },
            "the markup has no root element: expected <document>…</document>",
        )
    })
}

/// Builds the tree as the reader goes. The children of the open elements
/// wait in one list and each element gets its own, at its exact length,
/// when it closes (a big report has millions of nodes: no spare capacity).
struct Builder<'s> {
    source: &'s str,
    lines: Lines<'s>,
    names: Names,
    /// The open elements, outermost first, each with where its children
    /// start in `children`.
    stack: Vec<(Node, usize)>,
    children: Vec<Child>,
    /// Scratch for the attributes of one tag.
    attrs: Vec<Attr>,
    root: Option<Node>,
}

impl Builder<'_> {
    /// Pushes a just-opened element, refusing a second root and deep nesting.
    fn open(&mut self, node: Node) -> Result<(), DocError> {
        if self.root.is_some() {
            let msg = format!(
                "<{}> after the end of the root element: markup has exactly one root element",
                node.name
            );
            return Err(DocError::new(node.loc, msg));
        }
        if self.stack.len() >= MAX_DEPTH {
            let msg = format!("elements are nested more than {MAX_DEPTH} deep");
            return Err(DocError::new(node.loc, msg));
        }
        self.stack.push((node, self.children.len()));
        Ok(())
    }

    /// Closes the innermost open element: it takes its children and goes
    /// to its parent (or becomes the root).
    fn close(&mut self) {
        let Some((mut node, first)) = self.stack.pop() else {
            return;
        };
        // Allocated at its exact length.
        node.children = self.children.split_off(first);
        for child in &mut node.children {
            if let Child::Text(text, _) = child {
                // Text merged from pieces may have grown past its length.
                text.shrink_to_fit();
            }
        }
        if self.stack.is_empty() {
            self.root = Some(node);
        } else {
            self.children.push(Child::Element(node));
        }
    }

    /// Appends character data to the open element, merging adjacent pieces.
    fn add_text(&mut self, text: &str, loc: Loc) -> Result<(), DocError> {
        let Some(&(_, first)) = self.stack.last() else {
            if text
                .chars()
                .all(|c| c.is_ascii_whitespace() || c == '\u{feff}')
            {
                return Ok(());
            }
            let msg = if self.root.is_some() {
                "text after the end of the root element"
            } else {
                "text before the root element"
            };
            return Err(DocError::new(loc, msg));
        };
        let own_last = self.children.len() > first;
        match self.children.last_mut() {
            Some(Child::Text(previous, _)) if own_last => previous.push_str(text),
            _ if text.is_empty() => {}
            _ => self.children.push(Child::Text(text.to_owned(), loc)),
        }
        Ok(())
    }

    /// Builds the node of a start (or empty) tag with its decoded attributes.
    fn start_node(&mut self, tag: &BytesStart<'_>, at: usize) -> Result<Node, DocError> {
        let loc = self.lines.loc(at);
        let name = self.names.get(tag.name().as_ref());
        self.attrs.clear();
        for attr in tag.attributes() {
            let attr = attr.map_err(|e| attr_error(&e, &name, at, self.source, &mut self.lines))?;
            let key: &str = attr.key.as_ref();
            let start = key
                .as_ptr()
                .addr()
                .wrapping_sub(self.source.as_ptr().addr());
            let loc = self
                .lines
                .loc(if start < self.source.len() { start } else { at });
            let value = decode(&attr.value, true)
                .map_err(|m| DocError::new(loc.clone(), format!("attribute \"{key}\": {m}")))?;
            self.attrs.push(Attr {
                name: self.names.get(key),
                value: AttrValue::Str(value),
                loc,
            });
        }
        let mut node = Node::new(name, loc);
        node.attrs = Vec::with_capacity(self.attrs.len());
        node.attrs.append(&mut self.attrs);
        Ok(node)
    }
}

/// Explains a malformed attribute list of the tag starting at byte `at`.
fn attr_error(e: &AttrError, element: &str, at: usize, src: &str, lines: &mut Lines) -> DocError {
    // Positions are relative to the text after `<`.
    let (pos, msg) = match *e {
        AttrError::Duplicated(pos, _) => {
            let name: String = src
                .get(at + 1 + pos..)
                .unwrap_or("")
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '=')
                .collect();
            (
                pos,
                format!("duplicate attribute \"{name}\" on <{element}>"),
            )
        }
        AttrError::ExpectedEq(pos) => (pos, "expected = after the attribute name".to_owned()),
        AttrError::ExpectedValue(pos) => (pos, "expected a quoted attribute value".to_owned()),
        AttrError::UnquotedValue(pos) => (
            pos,
            "attribute values must be quoted: name=\"value\"".to_owned(),
        ),
        AttrError::ExpectedQuote(pos, _) => (pos, "attribute value is not closed".to_owned()),
    };
    DocError::new(lines.loc(at + 1 + pos), msg)
}

/// Decodes references (`&amp;`, `&#10;`); in attribute values also `\t`,
/// `\n` and `\r` become spaces (XML attribute-value normalisation).
fn decode(raw: &str, attribute: bool) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '<', '\t', '\n', '\r']) {
        out.push_str(&rest[..i]);
        let ch = rest[i..].chars().next().unwrap_or('&');
        rest = &rest[i + 1..];
        match ch {
            '&' => {
                let Some(end) = rest.find(';') else {
                    return Err("& must start a reference such as &amp; (write &amp; for &)".into());
                };
                out.push_str(&resolve_name(&rest[..end])?);
                rest = &rest[end + 1..];
            }
            '<' if attribute => return Err("< is not allowed in a value; write &lt;".into()),
            '\r' if rest.starts_with('\n') => {}
            '\t' | '\n' | '\r' if attribute => out.push(' '),
            '\r' => out.push('\n'),
            other => out.push(other),
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `amp` → `&`, `#x20AC` → `€`; anything else is an error.
fn resolve_name(name: &str) -> Result<String, String> {
    let text = match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => {
            let Some(number) = name.strip_prefix('#') else {
                return Err(format!(
                    "unknown entity &{name};: only &amp; &lt; &gt; &quot; &apos; and character \
                     references such as &#160; or &#x20AC; are allowed"
                ));
            };
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => number.parse::<u32>().ok(),
            };
            return match code.and_then(char::from_u32).filter(|&c| is_xml_char(c)) {
                Some(c) => Ok(c.to_string()),
                None => Err(format!("&{name}; is not a valid character reference")),
            };
        }
    };
    Ok(text.to_owned())
}

/// Characters XML 1.0 allows in a document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// A reader error in a user's words.
fn xml_message(e: &XmlError) -> String {
    match e {
        XmlError::Syntax(s) => match s {
            SyntaxError::InvalidBangMarkup => {
                "unknown markup after <!: expected a comment <!-- --> or <![CDATA[ ]]>".into()
            }
            SyntaxError::UnclosedPI | SyntaxError::UnclosedXmlDecl => {
                "<? is not closed with ?>".into()
            }
            SyntaxError::UnclosedComment => "comment is not closed with -->".into(),
            SyntaxError::UnclosedDoctype => {
                "DOCTYPE is not allowed: docsmith markup has no DTD or custom entities".into()
            }
            SyntaxError::UnclosedCData => "CDATA section is not closed with ]]>".into(),
            SyntaxError::UnclosedTag => "tag is not closed with >".into(),
            SyntaxError::UnclosedSingleQuotedAttributeValue
            | SyntaxError::UnclosedDoubleQuotedAttributeValue => {
                "attribute value is not closed".into()
            }
        },
        XmlError::IllFormed(IllFormedError::DoubleHyphenInComment) => {
            "-- is not allowed inside a comment".into()
        }
        XmlError::IllFormed(IllFormedError::UnclosedReference) => {
            "& must start a reference such as &amp; (write &amp; for &)".into()
        }
        XmlError::IllFormed(IllFormedError::MissingDoctypeName) => {
            "DOCTYPE is not allowed: docsmith markup has no DTD or custom entities".into()
        }
        other => format!("malformed markup: {other}"),
    }
}

fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// Turns byte offsets into 1-based line and character column, scanning
/// forward from the last offset asked for.
struct Lines<'s> {
    source: &'s str,
    at: usize,
    line: u32,
    column: u32,
}

impl<'s> Lines<'s> {
    fn new(source: &'s str) -> Self {
        Self {
            source,
            at: 0,
            line: 1,
            column: 1,
        }
    }

    fn loc(&mut self, offset: usize) -> Loc {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.at {
            *self = Self::new(self.source);
        }
        for c in self.source[self.at..offset].chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.at = offset;
        Loc::Markup {
            line: self.line,
            column: self.column,
        }
    }
}
