//! Tables: columns, header rows, spans, typed values, borders, backgrounds.

use super::{body, check_errors, para, run_style, runs};
use crate::doc::model::{Align, Block, ColWidth, Color, Edges, Stroke, Table, TypedValue, VAlign};

#[track_caller]
fn table(markup: &str) -> Table {
    match body(markup).into_iter().next() {
        Some(Block::Table(t)) => t,
        other => panic!("expected a table, got {other:?}"),
    }
}

/// The text of each cell, row by row.
fn cells(t: &Table) -> Vec<Vec<String>> {
    let text = |blocks: &[Block]| {
        blocks
            .iter()
            .map(|b| runs(para(b)))
            .collect::<Vec<_>>()
            .join("/")
    };
    t.rows
        .iter()
        .map(|r| r.cells.iter().map(|c| text(&c.blocks)).collect())
        .collect()
}

const RED: Color = Color { r: 255, g: 0, b: 0 };
const BLUE: Color = Color { r: 0, g: 0, b: 255 };

#[test]
fn columns_are_parsed() {
    let cases: [(&str, &[ColWidth]); 4] = [
        ("*", &[ColWidth::Relative(1.0)]),
        (
            "* 2*,80 auto",
            &[
                ColWidth::Relative(1.0),
                ColWidth::Relative(2.0),
                ColWidth::Fixed(80.0),
                ColWidth::Auto,
            ],
        ),
        (
            "0.5in  1.5*",
            &[ColWidth::Fixed(36.0), ColWidth::Relative(1.5)],
        ),
        ("16px", &[ColWidth::Fixed(12.0)]),
    ];
    for (columns, expected) in cases {
        let cells = "<td/>".repeat(expected.len());
        let t = table(&format!(
            "<table columns=\"{columns}\"><tr>{cells}</tr></table>"
        ));
        assert_eq!(t.columns, expected, "{columns}");
    }
    // Without columns: the widest row; shorter rows are completed.
    let t = table("<table><tr><td>a</td></tr><tr><td colspan=\"2\">b</td><td>c</td></tr></table>");
    assert_eq!(t.columns, [ColWidth::Relative(1.0); 3]);
    assert_eq!(cells(&t), [vec!["a", "", ""], vec!["b", "c"]]);
    assert_eq!(t.rows[1].cells[0].colspan, 2);
}

#[test]
fn header_rows_come_from_th_thead_or_the_attribute() {
    let cases = [
        (
            "<tr><th>h</th></tr><tr><th>h2</th></tr><tr><td>b</td></tr>",
            2,
        ),
        ("<tr><th>h</th><td>x</td></tr><tr><td>b</td></tr>", 0),
        (
            "<thead><tr><td>h</td></tr></thead><tbody><tr><th>b</th></tr></tbody>",
            1,
        ),
        ("<tr><th>h</th></tr>", 1),
    ];
    for (rows, expected) in cases {
        assert_eq!(
            table(&format!("<table>{rows}</table>")).header_rows,
            expected,
            "{rows}"
        );
    }
    let t = table("<table header-rows=\"0\"><tr><th>h</th></tr><tr><td>b</td></tr></table>");
    assert_eq!(t.header_rows, 0);
    // th content is bold, cell paragraphs have no space after.
    let t = table("<table><tr><th>h</th><td>d</td></tr></table>");
    let (th, td) = (
        para(&t.rows[0].cells[0].blocks[0]),
        para(&t.rows[0].cells[1].blocks[0]),
    );
    assert!(run_style(th, 0).bold && !run_style(td, 0).bold);
    assert_eq!((th.style.space_after, td.style.space_after), (0.0, 0.0));
}

#[test]
fn completed_cells_are_finished_like_their_row() {
    // The header (leading th rows) is only known at the first other row, and
    // the column count at the last one: completed cells still get the header
    // background and line, and the stripes of their body row.
    let t = table(
        "<table header-background=\"red\" stripe=\"blue\" header-line=\"1\">\
         <tr><th>h</th></tr><tr><th>h2</th></tr><tr><td>a</td><td>b</td></tr>\
         <tr><td>c</td></tr><tr><td>d</td></tr></table>",
    );
    assert_eq!(t.header_rows, 2);
    assert_eq!(
        cells(&t),
        [
            vec!["h", ""],
            vec!["h2", ""],
            vec!["a", "b"],
            vec!["c", ""],
            vec!["d", ""]
        ]
    );
    let backgrounds: Vec<_> = t.rows.iter().map(|r| r.cells[1].background).collect();
    assert_eq!(backgrounds, [Some(RED), Some(RED), None, Some(BLUE), None]);
    let lines: Vec<_> = t
        .rows
        .iter()
        .map(|r| r.cells[1].border_bottom.width)
        .collect();
    assert_eq!(lines, [0.0, 1.0, 0.0, 0.0, 0.0]);
}

#[test]
fn spans_must_fit_the_columns() {
    check_errors(
        "<document><table columns=\"* *\">\n<tr><td/></tr>\n<tr><td colspan=\"3\"/><td/></tr>\n<tr><td/><td/></tr><tr><td colspan=\"0\"/><td/></tr></table></document>",
        &[
            "line 2, column 1: this row spans 1 columns but the table's columns attribute gives 2",
            "line 3, column 9: colspan is 3 but the table has 2 columns",
            "line 4, column 28: colspan must be a whole number from 1 to 1000, found \"0\"",
        ],
    );
    check_errors(
        "<document><table header-rows=\"3\"><tr><td/></tr></table></document>",
        &["line 1, column 18: header-rows is 3 but the table has 1 rows"],
    );
}

#[test]
fn typed_values_are_formatted_and_numbers_right_aligned() {
    let t = table(concat!(
        "<table><tr>",
        "<td value=\"1234.5\"/>",
        "<td value=\"1234.5\" value-type=\"currency\"/>",
        "<td value=\"0.195\" value-type=\"percent\" decimals=\"1\"/>",
        "<td value=\"2026-11-02\" value-type=\"date\"/>",
        "<td value=\"7\" value-type=\"currency\" currency=\"usd\">seven</td>",
        "<td value=\"3\" align=\"center\"/>",
        "</tr></table>"
    ));
    let texts = cells(&t);
    assert_eq!(
        texts[0],
        [
            "1,234.50",
            "€1,234.50",
            "19.5%",
            "Nov 2, 2026",
            "seven",
            "3.00"
        ]
    );
    let aligns: Vec<Align> = t.rows[0]
        .cells
        .iter()
        .map(|c| para(&c.blocks[0]).style.align)
        .collect();
    use Align::{Center, Left, Right};
    assert_eq!(aligns, [Right, Right, Right, Left, Right, Center]);
    let values: Vec<Option<TypedValue>> = t.rows[0].cells.iter().map(|c| c.value.clone()).collect();
    assert_eq!(
        values[0],
        Some(TypedValue::Number {
            value: 1234.5,
            decimals: 2
        })
    );
    assert_eq!(
        values[2],
        Some(TypedValue::Percent {
            value: 0.195,
            decimals: 1
        })
    );
    assert_eq!(
        values[3],
        Some(TypedValue::Date {
            value: "2026-11-02".into()
        })
    );
    assert_eq!(
        values[4],
        Some(TypedValue::Currency {
            value: 7.0,
            currency: "USD".into()
        })
    );
    // The document's lang and currency.
    let blocks = body("").len();
    assert_eq!(blocks, 0);
    let d = super::doc(
        "<document lang=\"de-DE\" currency=\"CHF\"><table><tr><td value=\"1234.5\" value-type=\"currency\"/><td value=\"2026-11-02\" value-type=\"date\" format=\"%d.%m.%Y\"/></tr></table></document>",
    );
    let Block::Table(t) = &d.content[0] else {
        panic!("expected a table");
    };
    assert_eq!(cells(t)[0], ["1.234,50\u{a0}CHF", "02.11.2026"]);
}

#[test]
fn typed_value_errors() {
    check_errors(
        concat!(
            "<document><table><tr>",
            "<td value=\"abc\"/>",
            "<td value=\"1\" value-type=\"money\"/>",
            "<td value=\"2026-02-30\" value-type=\"date\"/>",
            "<td value=\"1\" format=\"short\"/>",
            "<td value-type=\"number\"/>",
            "</tr></table></document>"
        ),
        &[
            "line 1, column 26: value must be a number (value-type=\"number\"), found \"abc\"",
            "line 1, column 53: value-type must be number, currency, percent or date, found \"money\"",
            "line 1, column 77: value must be an ISO 8601 date such as 2026-11-02 (value-type=\"date\"): invalid date \"2026-02-30\": day 30 does not exist (2026-02 has 28 days)",
            "line 1, column 129: format does not apply to value-type=\"number\"",
            "line 1, column 149: value-type needs a value attribute",
        ],
    );
}

#[test]
fn borders_and_backgrounds_resolve_by_precedence() {
    let t = table(concat!(
        "<table border=\"1\" border-color=\"blue\" row-lines=\"0.25\" header-line=\"2\" ",
        "header-background=\"#ccc\" stripe=\"#eee\" padding=\"5\" valign=\"middle\">",
        "<tr><th>h</th><th background=\"red\">h2</th></tr>",
        "<tr><td>1</td><td border-left=\"3\" border-color=\"red\">1b</td></tr>",
        "<tr background=\"#fff\" border-top=\"4\"><td>2</td><td padding=\"1 2\" valign=\"bottom\">2b</td></tr>",
        "<tr border-bottom=\"0\" border-color=\"red\"><td border=\"5\">3</td><td>3b</td></tr>",
        "<tr><td>4</td><td background=\"blue\">4b</td></tr>",
        "</table>"
    ));
    let stroke = |width, color| Stroke { width, color };
    let sides = |r: usize, c: usize| {
        let cell = &t.rows[r].cells[c];
        [
            cell.border_top,
            cell.border_right,
            cell.border_bottom,
            cell.border_left,
        ]
    };
    assert_eq!(
        sides(0, 0),
        [
            stroke(1.0, BLUE),
            stroke(1.0, BLUE),
            stroke(2.0, BLUE),
            stroke(1.0, BLUE)
        ]
    );
    assert_eq!(
        sides(1, 0),
        [
            stroke(1.0, BLUE),
            stroke(1.0, BLUE),
            stroke(0.25, BLUE),
            stroke(1.0, BLUE)
        ]
    );
    assert_eq!(
        sides(1, 1),
        [
            stroke(1.0, RED),
            stroke(1.0, RED),
            stroke(0.25, RED),
            stroke(3.0, RED)
        ]
    );
    assert_eq!(sides(2, 0)[0], stroke(4.0, BLUE));
    assert_eq!(sides(3, 0), [stroke(5.0, RED); 4]);
    assert_eq!(
        sides(3, 1),
        [
            stroke(1.0, BLUE),
            stroke(1.0, BLUE),
            Stroke::NONE,
            stroke(1.0, BLUE)
        ]
    );
    let grey = |v| Some(Color { r: v, g: v, b: v });
    let backgrounds: Vec<Vec<Option<Color>>> = t
        .rows
        .iter()
        .map(|r| r.cells.iter().map(|c| c.background).collect())
        .collect();
    assert_eq!(
        backgrounds,
        [
            [grey(0xcc), Some(RED)],
            [None, None],
            [grey(0xff), grey(0xff)],
            [None, None],
            [grey(0xee), Some(BLUE)]
        ]
    );
    let cell = &t.rows[2].cells[1];
    let padding = Edges {
        top: 1.0,
        right: 2.0,
        bottom: 1.0,
        left: 2.0,
    };
    assert_eq!(
        (cell.padding, cell.valign, t.rows[0].cells[0].valign),
        (padding, VAlign::Bottom, VAlign::Middle)
    );
    assert_eq!(t.rows[0].cells[0].padding, Edges::all(5.0));
}

#[test]
fn table_attributes_are_inherited_by_cells() {
    let t = table(concat!(
        "<table size=\"8\" align=\"center\" space-after=\"20\">",
        "<tr bold=\"true\"><td>a</td><td align=\"right\" size=\"9\">b</td></tr>",
        "<tr keep-together=\"false\"><td><p>c</p><ul><li>d</li></ul></td><td/></tr></table>"
    ));
    let (a, b) = (
        para(&t.rows[0].cells[0].blocks[0]),
        para(&t.rows[0].cells[1].blocks[0]),
    );
    assert_eq!(
        (run_style(a, 0).size, run_style(a, 0).bold, a.style.align),
        (8.0, true, Align::Center)
    );
    assert_eq!((run_style(b, 0).size, b.style.align), (9.0, Align::Right));
    assert_eq!((t.space_before, t.space_after), (0.0, 20.0));
    assert_eq!(para(&t.rows[1].cells[0].blocks[0]).style.space_after, 0.0);
    assert!(t.rows[0].keep_together && !t.rows[1].keep_together);
    assert!(t.rows[1].cells[1].blocks.is_empty());
}
