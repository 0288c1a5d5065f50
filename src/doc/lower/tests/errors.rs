//! Located errors: unknown elements and attributes, bad values, misplaced
//! blocks, and collecting many at once.

use super::{check_errors, errors};
use crate::doc::node::{Child, Loc, Node};
use crate::doc::{Assets, lower::lower};

#[test]
fn unknown_elements_and_attributes_are_located() {
    check_errors(
        "<document>\n  <p colour=\"red\">x</p>\n  <blink/>\n</document>",
        &[
            "line 2, column 6: unknown attribute \"colour\" on <p>; expected one of background, style, font, size, bold, italic, underline, strike, color, align, line-height, space-before, space-after, indent, keep-with-next, orphans or widows",
            "line 3, column 3: unknown element <blink>; expected one of p, h1, h2, h3, h4, h5, h6, ul, ol, table, img, columns, spacer, page-break, hr, qr, barcode, b, i, u, s, span, a, br, page-number, page-count, page, style, header or footer",
        ],
    );
    check_errors(
        "<doc/>",
        &["line 1, column 1: the root element must be <document>, found <doc>"],
    );
    check_errors(
        "<document><ul><p>x</p>text</ul><tr/><page-break x=\"1\"/></document>",
        &[
            "line 1, column 15: <p> cannot appear inside <ul>; expected one of li",
            "line 1, column 23: text cannot appear directly inside <ul>; put it in <li>",
            "line 1, column 32: <tr> cannot appear inside <document>; expected one of p, h1, h2, h3, h4, h5, h6, ul, ol, table, img, columns, spacer, page-break, hr, qr, barcode, b, i, u, s, span, a, br, page-number, page-count, page, style, header or footer",
            "line 1, column 49: unknown attribute \"x\" on <page-break>; it takes no attributes",
        ],
    );
}

#[test]
fn invalid_values_say_what_is_expected() {
    let cases = [
        (
            "<p align=\"middle\">x</p>",
            "align must be left, right, center or justify, found \"middle\"",
        ),
        (
            "<p size=\"0\">x</p>",
            "size must be a number from 1 to 200, found \"0\"",
        ),
        (
            "<p space-after=\"-2mm\">x</p>",
            "space-after must not be negative, found \"-2mm\"",
        ),
        (
            "<p indent=\"2em\">x</p>",
            "indent must be a length such as 12, 12pt, 10mm, 1.5cm, 0.5in or 16px, found \"2em\"",
        ),
        (
            "<p color=\"#12\">x</p>",
            "color must be #rgb, #rrggbb or one of black, white, gray, red, green, blue, navy, maroon, teal, silver, orange, found \"#12\"",
        ),
        (
            "<p bold=\"yes\">x</p>",
            "bold must be true or false, found \"yes\"",
        ),
        (
            "<p orphans=\"1.5\">x</p>",
            "orphans must be a whole number from 0 to 10, found \"1.5\"",
        ),
        (
            "<p line-height=\"9\">x</p>",
            "line-height must be a number from 0.5 to 5, found \"9\"",
        ),
        (
            "<p style=\"nope\">x</p>",
            "unknown style \"nope\": the document declares no styles (<style name=\"…\">)",
        ),
        (
            "<p><a href=\"javascript:x\">x</a></p>",
            "href must be an http:, https: or mailto: URL or a #anchor, found \"javascript:x\"",
        ),
        (
            "<hr thickness=\"thin\"/>",
            "thickness must be a length such as 12, 12pt, 10mm, 1.5cm, 0.5in or 16px, found \"thin\"",
        ),
        (
            "<qr level=\"X\">d</qr>",
            "level must be L, M, Q or H, found \"X\"",
        ),
        (
            "<barcode type=\"ean13\">1</barcode>",
            "type must be code128, found \"ean13\"",
        ),
        (
            "<barcode>é</barcode>",
            "barcode data must be 1 to 80 printable ASCII characters (Code 128), found \"é\"",
        ),
        (
            "<qr data=\"a\">b</qr>",
            "<qr> has both a data attribute and text content; give one",
        ),
        ("<spacer/>", "<spacer> needs a height attribute"),
        (
            "<table columns=\"1fr\"><tr><td/></tr></table>",
            "columns must list column widths such as \"* 2* 80 auto 25mm\", found \"1fr\"",
        ),
        (
            "<columns><p>x</p></columns>",
            "<p> cannot appear inside <columns>; expected one of column",
        ),
    ];
    for (markup, message) in cases {
        let found = errors(&format!("<document>{markup}</document>"));
        assert_eq!(found.len(), 1, "{markup}: {found:?}");
        assert!(found[0].ends_with(message), "{markup}: {}", found[0]);
    }
    check_errors(
        "<document><style name=\"b\"/><style name=\"a\"/><p style=\"c\"/></document>",
        &["line 1, column 48: unknown style \"c\"; declared styles: b, a"],
    );
    let big_qr = format!("<document><qr>{}</qr></document>", "x".repeat(2001));
    assert_eq!(
        errors(&big_qr),
        ["line 1, column 11: a QR code holds at most 2000 characters"]
    );
}

#[test]
fn page_and_document_values_are_checked() {
    check_errors(
        concat!(
            "<document lang=\"english!\" created=\"2026-13-01\" currency=\"euro\">",
            "<page size=\"A4\" margin=\"300\"/><page/>",
            "<style name=\"a\"/><style name=\"a\" style=\"a\"/><style/></document>"
        ),
        &[
            "line 1, column 11: lang must be a language tag such as en-US or de, found \"english!\"",
            "line 1, column 27: created must be an ISO 8601 date or date-time such as 2026-11-02 or 2026-11-02T09:30:00Z, found \"2026-13-01\"",
            "line 1, column 48: currency must be an ISO 4217 currency code such as EUR or USD, found \"euro\"",
            "line 1, column 80: the margins leave 0pt × 242pt of the 595pt × 842pt page for content; at least 72pt × 72pt is needed",
            "line 1, column 94: a document has at most one <page>",
            "line 1, column 125: style \"a\" is declared twice",
            "line 1, column 134: unknown attribute \"style\" on <style>; expected one of name, font, size, bold, italic, underline, strike, color, align, line-height, space-before, space-after, indent, keep-with-next, orphans or widows",
            "line 1, column 145: <style> needs a name attribute",
        ],
    );
}

#[test]
fn blocks_inside_paragraphs_and_page_breaks_inside_cells_are_refused() {
    check_errors(
        concat!(
            "<document><p>a <b><table/></b></p>\n",
            "<table><tr><td><page-break/></td></tr></table>\n",
            "<header><page-break/></header><columns><column><ul><li><page-break/></li></ul></column></columns>\n",
            "<ul><li><page-break/></li></ul></document>"
        ),
        &[
            "line 1, column 19: <table> cannot appear inside <b>; expected text or one of b, i, u, s, span, a, br, page-number or page-count",
            "line 2, column 16: <page-break> is not allowed inside <td>",
            "line 3, column 9: <page-break> is not allowed inside <header>",
            "line 3, column 56: <page-break> is not allowed inside <column>",
        ],
    );
}

#[test]
fn many_problems_are_collected_and_capped() {
    let found =
        errors("<document><p size=\"x\" align=\"y\">a</p><q/><p bold=\"1\"><img/></p></document>");
    assert_eq!(found.len(), 5, "{found:?}");
    let many = format!("<document>{}</document>", "<p size=\"0\">x</p>".repeat(150));
    let found = errors(&many);
    assert_eq!(found.len(), 101);
    assert_eq!(found[100], "line 1, column 1: 50 more problems not listed");
}

#[test]
fn lowering_guards_its_own_depth() {
    // A tree built by hand (not by a source) deeper than the sources allow.
    let loc = Loc::Markup { line: 1, column: 1 };
    let mut node = Node::new("b", loc.clone());
    for _ in 0..150 {
        let mut outer = Node::new("b", loc.clone());
        outer.children.push(Child::Element(node));
        node = outer;
    }
    let mut root = Node::new("document", loc);
    root.children.push(Child::Element(node));
    let files = crate::doc::Files::new();
    let assets = Assets {
        files: &files,
        max_image_pixels: 1,
        fonts: None,
    };
    let found = lower(root, assets).err().unwrap_or_default();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].message, "elements are nested more than 100 deep");
}
