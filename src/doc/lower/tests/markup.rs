//! The markup reader: tree, locations, references, and refusals.

use std::time::{Duration, Instant};

use crate::doc::markup::parse;
use crate::doc::node::{Attr, AttrValue, Child, Loc, Node};

fn at(line: u32, column: u32) -> Loc {
    Loc::Markup { line, column }
}

#[track_caller]
fn tree(source: &str) -> Node {
    match parse(source) {
        Ok(node) => node,
        Err(e) => panic!("unexpected error {e}"),
    }
}

#[track_caller]
fn fails(source: &str) -> String {
    match parse(source) {
        Ok(node) => panic!("expected an error, got {node:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn builds_the_tree_with_locations_in_characters() {
    let source = "<?xml version=\"1.0\"?>\n<!-- hi -->\n<document title=\"Ünïcødé\">\n  <p a='1'>é<b x=\"2\">bold</b></p>\n</document>\n";
    let root = tree(source);
    assert_eq!(root.name, "document");
    assert_eq!(root.loc, at(3, 1));
    assert_eq!(
        root.attrs,
        vec![Attr {
            name: "title".into(),
            value: AttrValue::Str("Ünïcødé".into()),
            loc: at(3, 11),
        }]
    );
    let Child::Element(p) = &root.children[1] else {
        panic!("expected <p>, got {:?}", root.children);
    };
    assert_eq!(
        (p.loc.clone(), p.attrs[0].loc.clone()),
        (at(4, 3), at(4, 6))
    );
    assert_eq!(p.children[0], Child::Text("é".into(), at(4, 12)));
    let Child::Element(b) = &p.children[1] else {
        panic!("expected <b>");
    };
    // "é" is one column although it is two bytes.
    assert_eq!(
        (b.loc.clone(), b.attrs[0].loc.clone()),
        (at(4, 13), at(4, 16))
    );
}

#[test]
fn decodes_predefined_entities_character_references_and_cdata() {
    let cases = [
        ("a &amp; b &lt;&gt; &quot;&apos;", "a & b <> \"'"),
        ("&#10;&#x20AC;&#8364;", "\n€€"),
        ("x<![CDATA[<b>&amp;</b>]]>y", "x<b>&amp;</b>y"),
        ("a<!-- gone -->b<?pi ignored?>c", "abc"),
        ("line\r\nbreak", "line\nbreak"),
    ];
    for (content, text) in cases {
        let root = tree(&format!("<document>{content}</document>"));
        assert_eq!(
            root.children,
            vec![Child::Text(text.into(), at(1, 11))],
            "{content}"
        );
    }
    let root = tree("<document title=\"a&amp;b &#x41;\tc\"/>");
    assert_eq!(root.attrs[0].value, AttrValue::Str("a&b A c".into()));
}

#[test]
fn refuses_what_is_not_well_formed_strict_markup() {
    let cases = [
        (
            "",
            "line 1, column 1: the markup has no root element: expected <document>…</document>",
        ),
        (
            "<document><p></document>",
            "line 1, column 14: </document> does not match <p> opened at line 1, column 11",
        ),
        ("<document><p>", "line 1, column 11: <p> is never closed"),
        (
            "<document/></p>",
            "line 1, column 12: </p> closes an element that was never opened",
        ),
        (
            "<document/><document/>",
            "line 1, column 12: <document> after the end of the root element: markup has exactly one root element",
        ),
        (
            "<document/>junk",
            "line 1, column 12: text after the end of the root element",
        ),
        (
            "junk<document/>",
            "line 1, column 1: text before the root element",
        ),
        (
            "<document a=\"1\" a=\"2\"/>",
            "line 1, column 17: duplicate attribute \"a\" on <document>",
        ),
        (
            "<document a=1/>",
            "line 1, column 13: attribute values must be quoted: name=\"value\"",
        ),
        (
            "<document>&nbsp;</document>",
            "line 1, column 11: unknown entity &nbsp;: only &amp; &lt; &gt; &quot; &apos; and character references such as &#160; or &#x20AC; are allowed",
        ),
        (
            "<document t=\"&foo;\"/>",
            "line 1, column 11: attribute \"t\": unknown entity &foo;: only &amp; &lt; &gt; &quot; &apos; and character references such as &#160; or &#x20AC; are allowed",
        ),
        (
            "<document>&#0;</document>",
            "line 1, column 11: &#0; is not a valid character reference",
        ),
        (
            "<document>&#xD800;</document>",
            "line 1, column 11: &#xD800; is not a valid character reference",
        ),
        (
            "<document>a & b</document>",
            "line 1, column 13: & must start a reference such as &amp; (write &amp; for &)",
        ),
        (
            "<document t=\"<\"/>",
            "line 1, column 11: attribute \"t\": < is not allowed in a value; write &lt;",
        ),
        (
            "<document>\u{1}</document>",
            "line 1, column 11: character U+0001 is not allowed in markup",
        ),
        (
            "<document><!-- a -- b --></document>",
            "line 1, column 18: -- is not allowed inside a comment",
        ),
        (
            "<document><p",
            "line 1, column 11: tag is not closed with >",
        ),
    ];
    for (source, expected) in cases {
        assert_eq!(fails(source), expected, "{source}");
    }
}

#[test]
fn refuses_doctype_and_so_billion_laughs() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<document>&lol3;</document>"#;
    let expected =
        "line 2, column 1: DOCTYPE is not allowed: docsmith markup has no DTD or custom entities";
    assert_eq!(fails(laughs), expected);
    assert_eq!(
        fails("<!DOCTYPE document><document/>"),
        "line 1, column 1: DOCTYPE is not allowed: docsmith markup has no DTD or custom entities"
    );
}

#[test]
fn deep_nesting_is_refused_quickly_at_the_101st_element() {
    let ok = format!("{}{}", "<b>".repeat(100), "</b>".repeat(100));
    assert!(parse(&ok).is_ok());
    let deep = format!("{}{}", "<b>".repeat(100_000), "</b>".repeat(100_000));
    let start = Instant::now();
    assert_eq!(
        fails(&deep),
        "line 1, column 301: elements are nested more than 100 deep"
    );
    assert!(start.elapsed() < Duration::from_secs(1));
}
