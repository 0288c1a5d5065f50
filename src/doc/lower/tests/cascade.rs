//! Whitespace, the style cascade, headings, lists and simple blocks.

use super::{body, doc, para, run_style, runs};
use crate::doc::model::{Align, Block, Color, PageSetup, ParaStyle, QrLevel, RunStyle, Stroke};

const LINK: Color = Color {
    r: 0x1a,
    g: 0x55,
    b: 0xc4,
};

#[test]
fn whitespace_collapses_like_html() {
    let cases = [
        ("<p>  a \n\t b  </p>", "a b"),
        ("<p>a <b> b</b> c</p>", "a |b| c"),
        ("<p> <b> a </b> </p>", "a"),
        ("<p>a<b>b</b>c</p>", "a|b|c"),
        ("<p>a <br/> b</p>", "a|⏎|b"),
        (
            "<p>page <page-number/> of <page-count/> </p>",
            "page |#| of |##",
        ),
        ("<p>a&#160; b</p>", "a\u{a0} b"),
        ("<p>a<span> </span>b</p>", "a b"),
        ("<p>x<span>y</span>z</p>", "xyz"),
        ("\n  loose <i>text</i>\n  <p>next</p>", "loose |text"),
    ];
    for (markup, expected) in cases {
        assert_eq!(runs(para(&body(markup)[0])), expected, "{markup}");
    }
    // Whitespace between blocks makes no paragraph; text between blocks does.
    let blocks = body("\n <p>a</p>\n \n <p>b</p> c <hr/>\n");
    let texts: Vec<String> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph(p) => Some(runs(p)),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["a", "b", "c"]);
    assert_eq!(blocks.len(), 4);
}

#[test]
fn cascade_document_then_named_style_then_element_then_inline() {
    let d = doc(
        r##"<document font="Serif" size="11" color="#333" line-height="1.5">
        <style name="note" size="8" italic="true" align="center"/>
        <p>plain</p>
        <p style="note">noted</p>
        <p style="note" size="9" color="red">own <b>bold <i size="12">big</i></b></p>
        <p>a <u>u</u> <s>s</s> <a href="https://x.test">link</a> <span style="note" color="blue">span</span></p>
    </document>"##,
    );
    let base = RunStyle {
        font: "Serif".into(),
        size: 11.0,
        color: Color {
            r: 0x33,
            g: 0x33,
            b: 0x33,
        },
        ..RunStyle::default()
    };
    let plain = para(&d.content[0]);
    assert_eq!(run_style(plain, 0), &base);
    assert_eq!(plain.style.line_height, 1.5);
    assert_eq!(plain.style_name, None);

    let noted = para(&d.content[1]);
    let note = RunStyle {
        size: 8.0,
        italic: true,
        ..base.clone()
    };
    assert_eq!(run_style(noted, 0), &note);
    assert_eq!(
        (noted.style.align, noted.style_name.as_deref()),
        (Align::Center, Some("note"))
    );

    let own = para(&d.content[2]);
    let red = Color { r: 255, g: 0, b: 0 };
    let own_style = RunStyle {
        size: 9.0,
        color: red,
        ..note.clone()
    };
    assert_eq!(runs(own), "own |bold |big");
    assert_eq!(run_style(own, 0), &own_style);
    let bold = RunStyle {
        bold: true,
        ..own_style.clone()
    };
    assert_eq!(run_style(own, 1), &bold);
    assert_eq!(run_style(own, 2), &RunStyle { size: 12.0, ..bold });

    let inline = para(&d.content[3]);
    assert_eq!(runs(inline), "a |u| |s| |link| |span");
    assert!(run_style(inline, 1).underline && run_style(inline, 3).strike);
    let link = run_style(inline, 5);
    assert_eq!((link.color, link.underline), (LINK, true));
    assert_eq!(link.link.as_deref(), Some("https://x.test"));
    let span = run_style(inline, 7);
    assert_eq!(
        (span.size, span.italic, span.color),
        (8.0, true, Color { r: 0, g: 0, b: 255 })
    );
    // The named style resolved against the document defaults, for DOCX.
    assert_eq!(d.styles.len(), 1);
    assert_eq!(
        (d.styles[0].name.as_str(), &d.styles[0].run),
        ("note", &note)
    );
    assert_eq!(d.styles[0].para.line_height, 1.5);
}

#[test]
fn ancestors_beat_named_styles_and_defaults() {
    let d = doc(r#"<document>
        <style name="big" size="20" align="right"/>
        <header size="7" align="center"><p style="big">h</p></header>
        <ul size="9" style="big"><li>item</li><li><p align="left">own</p></li></ul>
        <footer>f <page-number/></footer>
    </document>"#);
    let header = para(&d.header[0]);
    assert_eq!(
        (run_style(header, 0).size, header.style.align),
        (7.0, Align::Center)
    );
    let Block::List(list) = &d.content[0] else {
        panic!("expected a list");
    };
    assert_eq!(list.marker_style.size, 9.0);
    let item = para(&list.items[0][0]);
    assert_eq!(
        (run_style(item, 0).size, item.style.align),
        (9.0, Align::Right)
    );
    assert_eq!(item.style.space_after, 2.0);
    assert_eq!(para(&list.items[1][0]).style.align, Align::Left);
    assert_eq!(runs(para(&d.footer[0])), "f |#");
}

#[test]
fn headings_have_their_defaults() {
    let cases = [
        ("h1", 22.0, 12.0, 6.0),
        ("h2", 17.0, 10.0, 5.0),
        ("h3", 14.0, 8.0, 4.0),
        ("h4", 12.0, 6.0, 3.0),
        ("h5", 11.0, 6.0, 3.0),
        ("h6", 10.0, 6.0, 3.0),
    ];
    for (level, (tag, size, before, after)) in (1..).zip(cases) {
        let blocks = body(&format!("<{tag}>Title</{tag}>"));
        let p = para(&blocks[0]);
        assert_eq!(p.heading, Some(level));
        assert_eq!(
            run_style(p, 0),
            &RunStyle {
                size,
                bold: true,
                ..RunStyle::default()
            }
        );
        let style = ParaStyle {
            space_before: before,
            space_after: after,
            keep_with_next: true,
            ..ParaStyle::default()
        };
        assert_eq!(p.style, style, "{tag}");
    }
    // A named style (declared after its use) beats the heading defaults,
    // own attributes beat both.
    let blocks =
        body(r#"<h1 style="s" space-after="1">x</h1><style name="s" size="30" bold="false"/>"#);
    let h = para(&blocks[0]);
    assert_eq!(
        (
            run_style(h, 0).size,
            run_style(h, 0).bold,
            h.style.space_after
        ),
        (30.0, false, 1.0)
    );
}

#[test]
fn page_metadata_and_simple_blocks() {
    let d = doc(
        r##"<document title=" T " keywords="a, b,,c" lang="de-DE" created="2026-11-02T09:30:00Z">
        <page size="letter" orientation="landscape" margin="10 20" margin-left="1in"/>
        <ol start="0"><li>x</li></ol>
        <spacer height="1cm"/><page-break/><hr/>
        <qr data="hello" level="h" size="2in"/><barcode align="center">ABC-123</barcode>
        <p background="#eee">x</p>
    </document>"##,
    );
    assert_eq!(d.metadata.title.as_deref(), Some("T"));
    assert_eq!(d.metadata.keywords, ["a", "b", "c"]);
    assert_eq!(d.metadata.language.as_deref(), Some("de-DE"));
    let margin = crate::doc::Edges {
        top: 10.0,
        right: 20.0,
        bottom: 10.0,
        left: 72.0,
    };
    assert_eq!(
        d.page,
        PageSetup {
            width: 792.0,
            height: 612.0,
            margin
        }
    );
    let Block::List(list) = &d.content[0] else {
        panic!("expected a list");
    };
    assert!(list.ordered && list.start == 0);
    assert!(matches!(d.content[1], Block::Spacer(h) if (h - 28.346).abs() < 0.01));
    assert_eq!(d.content[2], Block::PageBreak);
    let Block::Rule(rule) = &d.content[3] else {
        panic!("expected a rule");
    };
    let grey = Color {
        r: 0x99,
        g: 0x99,
        b: 0x99,
    };
    assert_eq!(
        rule.stroke,
        Stroke {
            width: 0.5,
            color: grey
        }
    );
    let Block::Qr(qr) = &d.content[4] else {
        panic!("expected a QR code");
    };
    assert_eq!(
        (qr.data.as_str(), qr.level, qr.size),
        ("hello", QrLevel::High, 144.0)
    );
    let Block::Barcode(code) = &d.content[5] else {
        panic!("expected a barcode");
    };
    assert_eq!(
        (code.data.as_str(), code.align, code.height),
        ("ABC-123", Align::Center, 40.0)
    );
    assert!(code.human_readable);
    let grey = Color {
        r: 0xee,
        g: 0xee,
        b: 0xee,
    };
    assert_eq!(para(&d.content[6]).style.background, Some(grey));
}

#[test]
fn columns_hold_blocks_with_widths() {
    let blocks = body(
        r#"<columns gap="20"><column width="2*" align="right">a</column><column width="40mm"><p>b</p></column><column/></columns>"#,
    );
    let Block::Columns(cols) = &blocks[0] else {
        panic!("expected columns");
    };
    use crate::doc::model::ColWidth;
    let widths: Vec<ColWidth> = cols.columns.iter().map(|c| c.width).collect();
    assert!(
        matches!(widths[..], [ColWidth::Relative(2.0), ColWidth::Fixed(w), ColWidth::Relative(1.0)] if (w - 113.386).abs() < 0.01)
    );
    assert_eq!((cols.gap, cols.space_after), (20.0, 6.0));
    assert_eq!(para(&cols.columns[0].blocks[0]).style.align, Align::Right);
    assert!(cols.columns[2].blocks.is_empty());
}
