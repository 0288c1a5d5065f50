//! The JSON form: same document as the markup, errors at pointers.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{assets, doc};
use crate::doc::json::to_tree;
use crate::doc::{Document, from_json};

fn lower_json(value: &Value) -> Result<Document, Vec<String>> {
    from_json(value, "/document", assets()).map_err(|e| e.iter().map(ToString::to_string).collect())
}

#[track_caller]
fn assert_same(a: &Document, b: &Document) {
    assert_eq!(a.page, b.page);
    assert_eq!(a.metadata, b.metadata);
    assert_eq!(a.styles, b.styles);
    assert_eq!(a.header, b.header);
    assert_eq!(a.footer, b.footer);
    assert_eq!(a.content, b.content);
}

#[test]
fn json_gives_the_same_document_as_markup() {
    let markup = doc(
        r##"<document title="Invoice" keywords="a, b" lang="en-GB" size="9" currency="USD">
        <page size="A5" margin="15mm"/>
        <style name="muted" color="#777" size="8"/>
        <header align="right"><p style="muted">ACME</p></header>
        <footer>Page <page-number/> of <page-count/></footer>
        <h1>Invoice <i>42</i></h1>
        <p align="justify" line-height="1.2">Hello <b>world</b>, see <a href="#terms">terms</a>.</p>
        <table columns="* 60" border="0.5">
          <tr><th>Item</th><th>Price</th></tr>
          <tr><td>Tea</td><td value="3.5" value-type="currency"/></tr>
        </table>
        <ul><li>one</li><li><p>two</p></li></ul>
        <hr thickness="1"/>
    </document>"##,
    );
    let value = json!({
        "metadata": {"title": "Invoice", "keywords": ["a", "b"], "lang": "en-GB"},
        "size": 9, "currency": "USD",
        "page": {"size": "A5", "margin": "15mm"},
        "styles": {"muted": {"color": "#777", "size": 8}},
        "header": {"align": "right", "children": [{"type": "p", "style": "muted", "text": "ACME"}]},
        "footer": ["Page ", {"type": "page-number"}, " of ", {"type": "page-count"}],
        "content": [
            {"type": "h1", "children": ["Invoice ", {"type": "i", "text": "42"}]},
            {"type": "p", "align": "justify", "line-height": 1.2, "children": [
                "Hello ", {"type": "b", "text": "world"}, ", see ",
                {"type": "a", "href": "#terms", "text": "terms"}, "."]},
            {"type": "table", "columns": "* 60", "border": 0.5, "children": [
                {"type": "tr", "children": [{"type": "th", "text": "Item"}, {"type": "th", "text": "Price"}]},
                {"type": "tr", "children": [{"type": "td", "text": "Tea"},
                    {"type": "td", "value": 3.5, "value-type": "currency"}]}]},
            {"type": "ul", "children": [{"type": "li", "text": "one"},
                {"type": "li", "children": [{"type": "p", "text": "two"}]}]},
            {"type": "hr", "thickness": 1}
        ]
    });
    match lower_json(&value) {
        Ok(from_json) => assert_same(&from_json, &markup),
        Err(errors) => panic!("unexpected errors {errors:?}"),
    }
}

#[test]
fn json_errors_point_into_the_job() {
    let value = json!({
        "colour": "red",
        "title": "x",
        "metadata": {"titel": "x", "keywords": ["a", 1]},
        "page": [],
        "styles": {"a/b": {"size": {"pt": 3}, "name": "c"}},
        "header": 3,
        "content": [
            {"type": "p", "align": null, "text": "x", "children": []},
            {"text": "no type"},
            {"type": "p", "children": ["ok", 7, {"type": "b", "text": 1}]},
            "loose text is fine"
        ]
    });
    let expected = [
        "/document/colour: unknown key \"colour\"; expected page, metadata, styles, header, footer, content or a text or paragraph attribute of the document",
        "/document/header: header must be an array of elements, found a number",
        "/document/metadata/keywords/1: expected a string, found a number",
        "/document/metadata/titel: unknown metadata \"titel\"; expected one of title, author, subject, keywords, lang, created",
        "/document/page: expected an object of page attributes, found an array",
        "/document/styles/a~1b/name: a style's name is its key in \"styles\"",
        "/document/styles/a~1b/size: \"size\" must be a string, number or boolean, found an object",
        "/document/title: \"title\" belongs in \"metadata\"",
        "/document/content/0/text: give either \"text\" or \"children\", not both",
        "/document/content/0/align: \"align\" is null; leave the attribute out instead",
        "/document/content/1: an element needs a \"type\" (such as \"p\" or \"table\")",
        "/document/content/2/children/1: expected an element ({\"type\": …}) or a string, found a number",
        "/document/content/2/children/2/text: \"text\" must be a string, found a number",
    ];
    assert_eq!(lower_json(&value).err().unwrap_or_default(), expected);

    // Problems found by lowering point into the JSON as well.
    let value = json!({"content": [{"type": "p", "children": [{"type": "b", "align": "middle"}, {"type": "table"}]}],
                       "styles": {"x~y": {"size": 500}}});
    let expected = [
        "/document/styles/x~0y/size: size must be a number from 1 to 200, found 500",
        "/document/content/0/children/0/align: unknown attribute \"align\" on <b>; expected one of style, font, size, bold, italic, underline, strike or color",
        "/document/content/0/children/1: <table> cannot appear inside <p>; expected text or one of b, i, u, s, span, a, br, page-number or page-count",
    ];
    assert_eq!(lower_json(&value).err().unwrap_or_default(), expected);
    let not_object = lower_json(&json!([1])).err().unwrap_or_default();
    assert_eq!(
        not_object,
        ["/document: a document must be a JSON object, found an array"]
    );
}

/// Drops a deep value without recursing (serde_json's drop would).
fn dismantle(value: Value) {
    let mut stack = vec![value];
    while let Some(mut value) = stack.pop() {
        match &mut value {
            Value::Object(map) => stack.extend(std::mem::take(map).into_iter().map(|(_, v)| v)),
            Value::Array(items) => stack.append(items),
            _ => {}
        }
    }
}

#[test]
fn deep_nesting_is_refused_quickly() {
    let nest = |depth: usize| {
        let mut node = json!({"type": "span", "text": "x"});
        for _ in 0..depth {
            // Not json!: it would serialise `node` (recursively) again.
            let mut span = serde_json::Map::new();
            span.insert("type".into(), "span".into());
            span.insert("children".into(), Value::Array(vec![node]));
            node = Value::Object(span);
        }
        let mut p = serde_json::Map::new();
        p.insert("type".into(), "p".into());
        p.insert("children".into(), Value::Array(vec![node]));
        let mut doc = serde_json::Map::new();
        doc.insert("content".into(), Value::Array(vec![Value::Object(p)]));
        Value::Object(doc)
    };
    let ok = nest(96);
    assert!(to_tree(&ok, "/document").is_ok());
    dismantle(ok);
    let deep = nest(100_000);
    let start = Instant::now();
    let errors = to_tree(&deep, "/document").err().unwrap_or_default();
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(errors.len(), 1);
    let expected = format!("/document/content/0{}", "/children/0".repeat(99));
    assert_eq!(
        errors[0].to_string(),
        format!("{expected}: elements are nested more than 100 deep")
    );
    dismantle(deep);
}
