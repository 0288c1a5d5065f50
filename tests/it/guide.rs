//! The template authoring guide, `templates/README.md`, stays true: its
//! worked example renders to the text it shows, its error examples give the
//! problems it shows, and every element and attribute the markup accepts is
//! documented in it.
//!
//! The examples are the fenced code blocks right after the guide's
//! `<!-- guide:NAME -->` comments. The elements come from the code, never
//! from a list kept here: the arms of `doc::lower::attrs::element` (the one
//! place that knows every element), checked against what lowering itself
//! says it accepts; the attributes come from lowering's own "unknown
//! attribute" messages.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use docsmith::doc::{Assets, DEFAULT_MAX_IMAGE_PIXELS, Files};
use docsmith::http::AppState;
use docsmith::template::filters::{format_date, format_money, format_percent, locale};
use docsmith::templates::Catalog;
use serde_json::Value;

use crate::support::*;

const GUIDE: &str = "templates/README.md";

fn guide() -> String {
    std::fs::read_to_string(repo_path(GUIDE)).unwrap_or_else(|e| panic!("{GUIDE}: {e}"))
}

/// The body of the fenced code block right after `<!-- guide:NAME -->`.
fn block(guide: &str, name: &str) -> String {
    let marker = format!("<!-- guide:{name} -->");
    let at = guide
        .find(&marker)
        .unwrap_or_else(|| panic!("{GUIDE} has no {marker}"))
        + marker.len();
    let rest = &guide[at..];
    let fence = rest
        .find("```")
        .unwrap_or_else(|| panic!("no code block after {marker}"));
    assert!(
        rest[..fence].trim().is_empty(),
        "{marker} must be followed directly by its code block"
    );
    let body = fence
        + rest[fence..]
            .find('\n')
            .unwrap_or_else(|| panic!("the code block after {marker} is empty"))
        + 1;
    let end = rest[body..]
        .find("\n```")
        .unwrap_or_else(|| panic!("the code block after {marker} is not closed"));
    rest[body..body + end + 1].to_owned()
}

fn json_block(guide: &str, name: &str) -> Value {
    serde_json::from_str(&block(guide, name))
        .unwrap_or_else(|e| panic!("the guide:{name} block is not JSON: {e}"))
}

/// The worked example: its job, and the service over a catalog holding its
/// template (after `edits`, each of which must apply exactly once).
fn example(guide: &str, edits: &[(&str, &str)]) -> (Value, std::sync::Arc<AppState>) {
    let job = json_block(guide, "job");
    let name = job["template"]
        .as_str()
        .expect("the guide's job names a template");
    let mut template = block(guide, "template");
    for (from, to) in edits {
        assert_eq!(
            template.matches(from).count(),
            1,
            "the guide's template should contain {from:?} once"
        );
        template = template.replace(from, to);
    }
    let dir = temp_dir("guide");
    std::fs::write(dir.join(format!("{name}.xml")), template).expect("write the template");
    let catalog = Catalog::load(&dir).expect("the guide's template compiles");
    let _ = std::fs::remove_dir_all(&dir);
    (job, AppState::new(test_config(), catalog))
}

fn words(text: &str) -> BTreeSet<&str> {
    text.split_whitespace().collect()
}

fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("the guide's job has no string at {pointer}"))
}

/// Money as the example computes it: each amount rounded to cents.
fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[tokio::test]
async fn the_worked_example_renders_the_text_the_guide_shows() {
    let guide = guide();
    let (job, state) = example(&guide, &[]);
    let reply = send(&state, post_json("/v1/render", job.to_string())).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("content-type"), "application/pdf");
    let text = pdf_text(&reply.body);
    let flat = squeezed(&text);

    // What the data says must be there, formatted by docsmith's own filters.
    let data = &job["data"];
    let loc = locale(str_at(data, "/locale")).expect("a supported locale");
    let currency = str_at(data, "/currency");
    let money = |v: f64| format_money(v, currency, loc, None).expect("money formats");
    let mut expected = vec![
        str_at(data, "/shop/name").to_owned(),
        str_at(data, "/shop/email").to_owned(),
        str_at(data, "/receipt/number").to_owned(),
        format_date(str_at(data, "/receipt/date"), "long", loc).expect("the date formats"),
        format!(
            "Total (incl. {} VAT)",
            format_percent(data["receipt"]["vat_rate"].as_f64().expect("rate"), 0, loc)
                .expect("percent formats")
        ),
        "Page 1 of 1".to_owned(),
    ];
    let address: Vec<&str> = data["shop"]["address"]
        .as_array()
        .expect("address lines")
        .iter()
        .map(|l| l.as_str().expect("a line"))
        .collect();
    expected.push(address.join(", "));
    let mut total = 0.0;
    for item in data["items"].as_array().expect("items") {
        let price = item["price"].as_f64().expect("price");
        let amount = cents(item["quantity"].as_f64().expect("quantity") * price);
        total += amount;
        expected.push(str_at(item, "/name").to_owned());
        expected.push(money(price));
        expected.push(money(amount));
        if let Some(note) = item["note"].as_str() {
            expected.push(note.to_owned());
        }
    }
    expected.push(money(cents(total)));
    for want in &expected {
        assert!(
            flat.contains(want.as_str()),
            "the receipt should show {want:?}:\n{text}"
        );
    }

    // The output pasted in the guide is this output (word for word; the
    // spacing of -layout is left to poppler).
    let shown = block(&guide, "output");
    assert_eq!(
        words(&shown),
        words(&text),
        "the guide's pdftotext output is stale; paste this:\n{text}"
    );
}

#[tokio::test]
async fn the_guides_error_examples_are_what_the_service_answers() {
    let guide = guide();
    // The three typos the guide describes.
    let typos = [
        (r#"<p align="right"><b>"#, r#"<p align="rigth"><b>"#),
        (
            r#"<td value="{{ item.price }}" value-type="currency"/>"#,
            r#"<td value="{{ item.price }}" value-type="currancy"/>"#,
        ),
        (r#"<tr bold="true""#, r#"<tr bold="yes""#),
    ];
    let (job, state) = example(&guide, &typos);
    let reply = send(&state, post_json("/v1/validate", job.to_string())).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    assert_eq!(
        reply.json(),
        json_block(&guide, "errors"),
        "the guide's 422 example is stale"
    );

    // A value missing from the data points into the data.
    let (mut job, state) = example(&guide, &[]);
    job["data"]["receipt"]
        .as_object_mut()
        .expect("receipt is an object")
        .remove("payment")
        .expect("the receipt has a payment");
    let reply = send(&state, post_json("/v1/validate", job.to_string())).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.json()["errors"],
        Value::Array(vec![json_block(&guide, "missing")]),
        "the guide's missing-data example is stale"
    );
}

// ---------------------------------------------------------------------------
// Every element and attribute is documented

/// The element names `doc::lower::attrs::element` matches: the string
/// literals of its `match name { … }` patterns (outside any parentheses or
/// brackets, which hold the attribute lists).
fn elements_in_source() -> BTreeSet<String> {
    let path = "src/doc/lower/attrs.rs";
    let source = std::fs::read_to_string(repo_path(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let function = source
        .find("pub fn element(")
        .unwrap_or_else(|| panic!("{path} has no `pub fn element(`: update this test"));
    let body = &source[function..];
    let start = body
        .find("match name {")
        .unwrap_or_else(|| panic!("`element` in {path} has no `match name {{`: update this test"))
        + "match name {".len();
    let mut names = BTreeSet::new();
    let mut depth = 0i32;
    let mut literal: Option<String> = None;
    for c in body[start..].chars() {
        match (&mut literal, c) {
            (Some(text), '"') => {
                if depth == 0 {
                    names.insert(std::mem::take(text));
                }
                literal = None;
            }
            (Some(text), c) => text.push(c),
            (None, '"') => literal = Some(String::new()),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, '}') if depth == 0 => break,
            (None, '}') => depth -= 1,
            _ => {}
        }
    }
    names
}

/// Where elements may appear, as markup around a child: lowering's
/// "unknown element" message in each lists what it accepts there.
const CONTEXTS: &[(&str, &str)] = &[
    ("<document>", "</document>"),
    ("<document><table>", "</table></document>"),
    ("<document><table><tr>", "</tr></table></document>"),
    ("<document><ul>", "</ul></document>"),
    ("<document><columns>", "</columns></document>"),
];

fn lower(markup: &str) -> Vec<String> {
    let files = Files::new();
    let assets = Assets {
        files: &files,
        max_image_pixels: DEFAULT_MAX_IMAGE_PIXELS,
        fonts: None,
    };
    match docsmith::doc::from_markup(markup, assets) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.message).collect(),
    }
}

/// `a, b or c` after `expected one of ` → `[a, b, c]`.
fn one_of(message: &str) -> Option<Vec<String>> {
    let (_, list) = message.split_once("expected one of ")?;
    Some(
        list.replace(" or ", ", ")
            .split(", ")
            .map(|s| s.trim().to_owned())
            .collect(),
    )
}

/// The elements lowering accepts in `context`, from its own message.
fn accepted_in((open, close): (&str, &str)) -> Vec<String> {
    let messages = lower(&format!("{open}<zz-unknown/>{close}"));
    let message = messages
        .iter()
        .find(|m| m.starts_with("unknown element <zz-unknown>"))
        .unwrap_or_else(|| panic!("no unknown-element message in {open}: {messages:?}"));
    one_of(message).unwrap_or_else(|| panic!("no list in {message:?}"))
}

/// Inline code spans (`` `x` ``) outside fenced blocks; with `first_cell`,
/// only those in the first cell of table rows.
fn code_spans(guide: &str, first_cell: bool) -> BTreeSet<String> {
    let mut spans = BTreeSet::new();
    let mut fenced = false;
    for line in guide.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let text = if first_cell {
            match line.strip_prefix('|').and_then(|l| l.split('|').next()) {
                Some(cell) => cell,
                None => continue,
            }
        } else {
            line
        };
        for (i, span) in text.split('`').enumerate() {
            if i % 2 == 1 {
                spans.insert(span.to_owned());
            }
        }
    }
    spans
}

#[test]
fn every_element_the_markup_accepts_is_in_the_guides_tables() {
    let from_source = elements_in_source();
    assert!(
        from_source.len() >= 30 && from_source.contains("document") && from_source.contains("td"),
        "reading the element names from src/doc/lower/attrs.rs went wrong: {from_source:?}"
    );
    // The source reading agrees with what lowering accepts.
    let mut accepted: BTreeSet<String> = CONTEXTS.iter().flat_map(|c| accepted_in(*c)).collect();
    let root = lower("<zz-unknown/>");
    assert!(
        root.iter().any(|m| m.contains("must be <document>")),
        "{root:?}"
    );
    accepted.insert("document".to_owned());
    assert_eq!(
        from_source, accepted,
        "the elements of attrs::element and those lowering accepts in CONTEXTS differ: \
         a new container needs its context added here"
    );

    let documented = code_spans(&guide(), true);
    let missing: Vec<&String> = from_source
        .iter()
        .filter(|name| !documented.contains(name.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "elements missing from the tables of {GUIDE}: {missing:?}"
    );
}

#[test]
fn every_attribute_of_every_element_is_in_the_guide() {
    let elements = elements_in_source();
    let mut probed = BTreeSet::new();
    let mut attributes: BTreeSet<String> = BTreeSet::new();
    let mut probe = |markup: String| {
        for message in lower(&markup) {
            let Some(rest) = message.strip_prefix("unknown attribute \"zz-probe\" on <") else {
                continue;
            };
            let (element, rest) = rest.split_once('>').expect("<element>");
            probed.insert(element.to_owned());
            if !rest.contains("it takes no attributes") {
                let list = one_of(rest).unwrap_or_else(|| panic!("no list in {message:?}"));
                attributes.extend(list);
            }
        }
    };
    probe(r#"<document zz-probe="1"/>"#.to_owned());
    for context in CONTEXTS {
        for element in accepted_in(*context) {
            let (open, close) = context;
            probe(format!(r#"{open}<{element} zz-probe="1"/>{close}"#));
        }
    }
    assert_eq!(
        probed, elements,
        "every element was probed for its attributes"
    );
    assert!(attributes.len() > 50, "{attributes:?}");

    let documented = code_spans(&guide(), false);
    let missing: Vec<&String> = attributes
        .iter()
        .filter(|a| !documented.contains(a.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "attributes never named (as `name`) in {GUIDE}: {missing:?}"
    );
}

#[test]
fn the_files_the_guide_names_exist() {
    let spans = code_spans(&guide(), false);
    let paths: Vec<&str> = spans
        .iter()
        .filter_map(|span| span.split_whitespace().next())
        .filter(|word| {
            ["samples/", "bench/", "templates/", "tests/", "src/"]
                .iter()
                .any(|dir| word.starts_with(dir))
        })
        .collect();
    assert!(paths.len() >= 5, "{paths:?}");
    for path in paths {
        assert!(
            repo_path(path).exists(),
            "{GUIDE} names {path}, which does not exist"
        );
    }
}
