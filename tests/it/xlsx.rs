//! XLSX generator: jobs from `samples/` and small inline jobs go through
//! `xlsx::validate` and `xlsx::write`, and the files are read back the way
//! consumers read them — calamine for values, the raw package parts (styles,
//! sheet XML, tables, charts) for formats and features.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use docsmith::problem::{Diagnostics, FieldError};
use docsmith::render_ctx::{CancelToken, Interrupted, RenderCtx};
use docsmith::xlsx::{self, WorkbookSpec, XlsxError};

// ---------------------------------------------------------------------------
// Helpers

fn sample_spec(name: &str) -> WorkbookSpec {
    let path = format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("sample exists");
    let job: serde_json::Value = serde_json::from_str(&text).expect("sample is JSON");
    assert_eq!(job["format"], "xlsx", "{name}");
    serde_json::from_value(job["workbook"].clone()).expect("workbook parses")
}

fn spec_from(json: &str) -> WorkbookSpec {
    serde_json::from_str(json).expect("workbook parses")
}

fn render(spec: WorkbookSpec) -> Vec<u8> {
    let mut diags = Diagnostics::new();
    let book = xlsx::validate(spec, "/workbook", &mut diags);
    let book = book.unwrap_or_else(|| panic!("valid workbook, got {:#?}", diags.into_errors()));
    xlsx::write(&book, &RenderCtx::default()).expect("writes")
}

fn problems(spec: WorkbookSpec) -> Vec<FieldError> {
    let mut diags = Diagnostics::new();
    let book = xlsx::validate(spec, "/workbook", &mut diags);
    assert!(book.is_none(), "expected problems");
    diags.into_errors()
}

/// The xlsx opened both ways: calamine for values, and every XML part of the
/// ZIP (read once) for formats and features.
struct Package {
    book: Xlsx<Cursor<Vec<u8>>>,
    parts: HashMap<String, String>,
}

impl Package {
    fn open(bytes: Vec<u8>) -> Self {
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes)).expect("is a zip");
        let mut parts = HashMap::new();
        for i in 0..zip.len() {
            let mut file = zip.by_index(i).expect("entry readable");
            let name = file.name().expect("entry name").into_owned();
            if name.ends_with(".xml") || name.ends_with(".rels") {
                let mut text = String::new();
                file.read_to_string(&mut text).expect("part is UTF-8");
                parts.insert(name, text);
            }
        }
        let book = open_workbook_from_rs(Cursor::new(bytes)).expect("calamine opens it");
        Package { book, parts }
    }

    fn part(&self, name: &str) -> Option<&str> {
        self.parts.get(name).map(String::as_str)
    }

    fn must_part(&self, name: &str) -> &str {
        self.part(name)
            .unwrap_or_else(|| panic!("missing part {name}"))
    }

    /// Every chart part in the package.
    fn charts(&self) -> Vec<&str> {
        (1..)
            .map_while(|i| self.part(&format!("xl/charts/chart{i}.xml")))
            .collect()
    }

    fn values(&mut self, sheet: &str) -> calamine::Range<Data> {
        self.book.worksheet_range(sheet).expect("sheet exists")
    }

    fn formulas(&mut self, sheet: &str) -> calamine::Range<String> {
        self.book.worksheet_formula(sheet).expect("sheet exists")
    }

    /// Number-format code of a cell, through the sheet's `s=` index and
    /// `styles.xml`.
    fn format_of(&self, sheet_part: &str, cell: &str) -> String {
        let sheet = self.must_part(sheet_part);
        let styles = self.must_part("xl/styles.xml");
        let at = sheet
            .find(&format!("<c r=\"{cell}\""))
            .unwrap_or_else(|| panic!("no cell {cell} in {sheet_part}"));
        let tag = &sheet[at..at + sheet[at..].find('>').expect("tag closes")];
        let xf: usize = attr(tag, "s").map_or(0, |s| s.parse().expect("numeric style"));
        let xfs_start = styles.find("<cellXfs").expect("cellXfs");
        let xfs =
            &styles[xfs_start..styles[xfs_start..].find("</cellXfs>").expect("closes") + xfs_start];
        let xf_tag = xfs.split("<xf ").nth(xf + 1).expect("xf exists");
        let id: u32 = attr(xf_tag, "numFmtId")
            .expect("numFmtId")
            .parse()
            .expect("numeric id");
        custom_formats(styles)
            .remove(&id)
            .unwrap_or_else(|| builtin_format(id).to_owned())
    }
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!("{name}=\"");
    let start = tag
        .match_indices(&needle)
        .find(|(i, _)| *i == 0 || tag.as_bytes()[i - 1] == b' ')?
        .0
        + needle.len();
    Some(&tag[start..start + tag[start..].find('"')?])
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn custom_formats(styles: &str) -> HashMap<u32, String> {
    styles
        .split("<numFmt ")
        .skip(1)
        .map(|tag| {
            let id = attr(tag, "numFmtId")
                .expect("id")
                .parse()
                .expect("numeric id");
            (id, unescape(attr(tag, "formatCode").expect("code")))
        })
        .collect()
}

fn builtin_format(id: u32) -> &'static str {
    match id {
        0 => "General",
        1 => "0",
        2 => "0.00",
        3 => "#,##0",
        4 => "#,##0.00",
        9 => "0%",
        10 => "0.00%",
        other => panic!("unexpected built-in format {other}"),
    }
}

/// The one chart whose XML contains `marker` (charts are numbered by
/// position, not by their order in the job).
fn chart_of<'a>(charts: &[&'a str], marker: &str) -> &'a str {
    let mut found = charts.iter().filter(|chart| chart.contains(marker));
    let chart = found
        .next()
        .unwrap_or_else(|| panic!("no chart with {marker}"));
    assert!(found.next().is_none(), "several charts with {marker}");
    chart
}

fn text(s: &str) -> Data {
    Data::String(s.to_owned())
}

/// The serial number of a cell that must be a real date.
fn date_serial(cell: Option<&Data>) -> f64 {
    match cell {
        Some(Data::DateTime(dt)) => dt.as_f64(),
        other => panic!("expected a date, found {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// The all-types sample

#[test]
fn all_types_values_read_back_with_their_types() {
    let mut pkg = Package::open(render(sample_spec("xlsx-all-types.json")));
    assert_eq!(pkg.book.sheet_names(), ["Types", "Table", "Plain"]);

    let v = pkg.values("Types");
    let headers: Vec<_> = (0..14).map(|c| v.get_value((0, c)).cloned()).collect();
    let expected: Vec<_> = [
        "Text",
        "Number",
        "Decimal",
        "Count",
        "Price USD",
        "Price JPY",
        "Rate",
        "Day",
        "When",
        "Custom date",
        "Flag",
        "Calc",
        "Link",
        "Pounds",
    ]
    .iter()
    .map(|h| Some(text(h)))
    .collect();
    assert_eq!(headers, expected);

    // Row 2 (array row).
    assert_eq!(v.get_value((1, 0)), Some(&text("alpha")));
    assert_eq!(v.get_value((1, 1)), Some(&Data::Float(1.5)));
    assert_eq!(v.get_value((1, 2)), Some(&Data::Float(1234.5)));
    assert_eq!(v.get_value((1, 3)), Some(&Data::Float(7.0)));
    assert_eq!(v.get_value((1, 4)), Some(&Data::Float(19.99)));
    assert_eq!(v.get_value((1, 6)), Some(&Data::Float(0.155)));
    assert_eq!(date_serial(v.get_value((1, 7))), 46_037.0);
    assert_eq!(date_serial(v.get_value((1, 8))), 46_037.0 + 10.5 / 24.0);
    assert_eq!(date_serial(v.get_value((1, 9))), 46_081.0);
    assert_eq!(v.get_value((1, 10)), Some(&Data::Bool(true)));
    assert_eq!(v.get_value((1, 12)), Some(&text("https://example.com/a")));
    assert_eq!(v.get_value((1, 13)), Some(&Data::Float(10.0)));

    // Row 3 (object row).
    assert_eq!(v.get_value((2, 0)), Some(&text("beta")));
    assert_eq!(v.get_value((2, 1)), Some(&Data::Float(-2.0)));
    assert_eq!(date_serial(v.get_value((2, 7))), 1.0);
    let when = date_serial(v.get_value((2, 8)));
    assert!(
        (when - (46_082.0 + 86_399.5 / 86_400.0)).abs() < 1e-9,
        "{when}"
    );
    assert_eq!(date_serial(v.get_value((2, 9))), 36_585.0);
    assert_eq!(v.get_value((2, 10)), Some(&Data::Bool(false)));
    assert_eq!(v.get_value((2, 12)), Some(&text("Mail us")));

    // Row 4: a number in a string column, nulls, a short row, an offset.
    assert_eq!(v.get_value((3, 0)), Some(&text("42")));
    assert_eq!(v.get_value((3, 1)), Some(&Data::Empty));
    assert_eq!(date_serial(v.get_value((3, 7))), 61.0);
    assert_eq!(date_serial(v.get_value((3, 8))), 46_037.0 + 10.5 / 24.0);
    assert_eq!(v.get_value((3, 13)), Some(&Data::Empty));

    // Row 5: a bool in a string column, the largest exact integer.
    assert_eq!(v.get_value((4, 0)), Some(&text("true")));
    assert_eq!(
        v.get_value((4, 3)),
        Some(&Data::Float(9_007_199_254_740_992.0))
    );

    // Totals row.
    assert_eq!(v.get_value((5, 0)), Some(&text("Sum")));

    let f = pkg.formulas("Types");
    let formula = |r, c| f.get_value((r, c)).cloned().unwrap_or_default();
    assert_eq!(formula(1, 11), "C2*2");
    assert_eq!(formula(2, 11), "SUM(B2:B3)");
    assert_eq!(formula(4, 1), "1+1");
    assert_eq!(formula(5, 2), "SUBTOTAL(109,C2:C5)");
    assert_eq!(formula(5, 4), "SUBTOTAL(101,E2:E5)");
    assert_eq!(formula(5, 5), "SUBTOTAL(104,F2:F5)");
    assert_eq!(formula(5, 7), "SUBTOTAL(105,H2:H5)");
    assert_eq!(formula(5, 10), "SUBTOTAL(103,K2:K5)");
    assert_eq!(formula(5, 1), "");

    let plain = pkg.values("Plain");
    assert_eq!(plain.get_value((0, 0)), Some(&text("x")));
    assert_eq!(plain.get_value((1, 1)), Some(&Data::Float(2.0)));
}

#[test]
fn all_types_number_formats_match_the_job() {
    let pkg = Package::open(render(sample_spec("xlsx-all-types.json")));
    let sheet = "xl/worksheets/sheet1.xml";
    for (cell, expected) in [
        ("A2", "General"),
        ("B2", "General"),
        ("C2", "#,##0.00"),
        ("D2", "0"),
        ("E2", "\"$\"#,##0.00"),
        ("F2", "\"¥\"#,##0"),
        ("G2", "0.00%"),
        ("H2", "yyyy-mm-dd"),
        ("I2", "yyyy-mm-dd hh:mm:ss"),
        ("J2", "dd mmm yyyy"),
        ("N2", "\"£\"#,##0.00"),
        ("L3", "General"),
        // Totals keep the column format, except counts.
        ("C6", "#,##0.00"),
        ("E6", "\"$\"#,##0.00"),
        ("H6", "yyyy-mm-dd"),
        ("K6", "General"),
    ] {
        assert_eq!(pkg.format_of(sheet, cell), expected, "{cell}");
    }
    let table = "xl/worksheets/sheet2.xml";
    assert_eq!(pkg.format_of(table, "B2"), "0");
    assert_eq!(pkg.format_of(table, "C2"), "#,##0.00 \"€\"");
    assert_eq!(pkg.format_of(table, "D2"), "0%");
    assert_eq!(pkg.format_of(table, "C5"), "#,##0.00 \"€\"");
}

#[test]
fn all_types_sheet_features_are_present() {
    let pkg = Package::open(render(sample_spec("xlsx-all-types.json")));
    let types = pkg.must_part("xl/worksheets/sheet1.xml");
    assert!(
        types.contains("<pane ySplit=\"1\""),
        "frozen header: {types}"
    );
    assert!(
        types.contains("<autoFilter ref=\"A1:N5\""),
        "autofilter over header and data"
    );
    assert!(
        types.contains("<col min=\"14\" max=\"14\" width=\"14.7109375\""),
        "explicit width 14"
    );
    assert!(types.contains("<hyperlink ref=\"M2\""), "hyperlinks");

    let table = pkg.must_part("xl/tables/table1.xml");
    for expected in [
        "name=\"Table1\"",
        "ref=\"A1:D5\"",
        "totalsRowCount=\"1\"",
        "totalsRowLabel=\"Total\"",
        "totalsRowFunction=\"sum\"",
        "totalsRowFunction=\"average\"",
        "TableStyleMedium9",
    ] {
        assert!(table.contains(expected), "{expected} in {table}");
    }
    let plain = pkg.must_part("xl/worksheets/sheet3.xml");
    assert!(!plain.contains("<pane"), "no header, nothing to freeze");

    let charts = pkg.charts();
    assert_eq!(charts.len(), 3);
    let line = chart_of(&charts, "<c:lineChart>");
    assert!(
        line.contains("Types!$H$2:$H$5"),
        "categories: the Day column"
    );
    assert!(
        line.contains("Types!$C$2:$C$5") && line.contains("Types!$D$2:$D$5"),
        "two series"
    );
    assert!(
        line.contains("<c:f>Types!$D$1</c:f>"),
        "series named by their header cells"
    );
    let scatter = chart_of(&charts, "<c:scatterChart>");
    assert!(scatter.contains("Types!$B$2:$B$5") && scatter.contains("<c:legendPos val=\"b\"/>"));
    let column = chart_of(&charts, "<c:barDir val=\"col\"/>");
    assert!(column.contains("Table!$C$2:$C$4") && column.contains("Table!$A$2:$A$4"));

    let core = pkg.must_part("docProps/core.xml");
    assert!(core.contains("<dc:title>Every column type</dc:title>"));
    assert!(
        core.contains(">1980-01-01T00:00:00Z<"),
        "fixed creation time: {core}"
    );
}

// ---------------------------------------------------------------------------
// The sales report sample

#[test]
fn sales_report_renders_as_a_styled_report() {
    let mut pkg = Package::open(render(sample_spec("xlsx-sales-report.json")));
    assert_eq!(pkg.book.sheet_names(), ["Sales", "Summary"]);

    let sales = pkg.values("Sales");
    assert_eq!(sales.get_value((0, 0)), Some(&text("Date")));
    assert_eq!(sales.get_value((0, 8)), Some(&text("Invoice")));
    assert_eq!(date_serial(sales.get_value((1, 0))), 46_024.0);
    assert_eq!(sales.get_value((1, 1)), Some(&text("North")));
    assert_eq!(sales.get_value((1, 3)), Some(&Data::Float(120.0)));
    assert_eq!(sales.get_value((1, 4)), Some(&Data::Float(12.5)));
    assert_eq!(sales.get_value((1, 7)), Some(&Data::Bool(true)));
    assert_eq!(sales.get_value((16, 8)), Some(&text("INV-2026-0116")));
    assert_eq!(sales.get_value((17, 0)), Some(&text("Total")));
    assert_eq!(sales.height(), 18);

    let formulas = pkg.formulas("Sales");
    assert_eq!(
        formulas.get_value((1, 5)).map(String::as_str),
        Some("SalesTable[[#This Row],[Units]]*SalesTable[[#This Row],[Unit price]]")
    );
    // Totals carry their computed value as the cached formula result, so
    // readers that do not recalculate see the total.
    let units: f64 = (1..17)
        .filter_map(|r| sales.get_value((r, 3)).and_then(|d| d.as_f64()))
        .sum();
    assert_eq!(units, 1715.0);
    assert_eq!(
        sales.get_value((17, 3)).and_then(|d| d.as_f64()),
        Some(units)
    );
    let margins: Vec<f64> = (1..17)
        .filter_map(|r| sales.get_value((r, 6)).and_then(|d| d.as_f64()))
        .collect();
    let mean = margins.iter().sum::<f64>() / margins.len() as f64;
    let total_margin = sales
        .get_value((17, 6))
        .and_then(|d| d.as_f64())
        .expect("margin total");
    assert!(
        (total_margin - mean).abs() < 1e-12,
        "{total_margin} vs {mean}"
    );
    assert_eq!(
        formulas.get_value((17, 3)).map(String::as_str),
        Some("SUBTOTAL(109,SalesTable[Units])")
    );
    assert_eq!(
        formulas.get_value((17, 6)).map(String::as_str),
        Some("SUBTOTAL(101,SalesTable[Margin])")
    );

    let summary = pkg.values("Summary");
    assert_eq!(summary.get_value((4, 0)), Some(&text("West")));
    assert_eq!(summary.get_value((5, 0)), Some(&text("All regions")));
    let formulas = pkg.formulas("Summary");
    assert_eq!(
        formulas.get_value((1, 3)).map(String::as_str),
        Some("SUMIFS(SalesTable[Revenue],SalesTable[Region],A2)")
    );

    let sheet = "xl/worksheets/sheet1.xml";
    assert_eq!(pkg.format_of(sheet, "A2"), "dd mmm yyyy");
    assert_eq!(pkg.format_of(sheet, "E2"), "#,##0.00 \"€\"");
    assert_eq!(pkg.format_of(sheet, "F2"), "#,##0.00 \"€\"");
    assert_eq!(pkg.format_of(sheet, "G2"), "0.0%");
    assert_eq!(pkg.format_of(sheet, "H2"), "\"TRUE\";\"TRUE\";\"FALSE\"");
    assert_eq!(pkg.format_of(sheet, "F18"), "#,##0.00 \"€\"");
    assert_eq!(
        pkg.format_of("xl/worksheets/sheet2.xml", "D6"),
        "#,##0.00 \"€\""
    );

    let sales_xml = pkg.must_part(sheet);
    assert!(sales_xml.contains("<pane ySplit=\"1\""));
    assert_eq!(sales_xml.matches("<hyperlink ").count(), 16);
    let table = pkg.must_part("xl/tables/table1.xml");
    assert!(table.contains("name=\"SalesTable\"") && table.contains("ref=\"A1:I18\""));
    assert!(table.contains("TableStyleMedium2"));
    let summary_xml = pkg.must_part("xl/worksheets/sheet2.xml");
    assert!(summary_xml.contains("<autoFilter ref=\"A1:E5\""));

    let charts = pkg.charts();
    assert_eq!(charts.len(), 3);
    let column = chart_of(&charts, "<c:barDir val=\"col\"/>");
    assert!(column.contains("Sales!$F$2:$F$17") && column.contains("Sales!$A$2:$A$17"));
    // Dates on the category axis are a date axis with the column's format.
    assert!(column.contains("<c:dateAx>"), "{column}");
    assert!(column.contains("formatCode=\"dd mmm yyyy\""), "{column}");
    let pie = chart_of(&charts, "<c:pieChart>");
    assert!(pie.contains("Summary!$A$2:$A$5") && pie.contains("Summary!$D$2:$D$5"));
    let bar = chart_of(&charts, "<c:barDir val=\"bar\"/>");
    assert!(bar.contains("Summary!$C$2:$C$5"));

    let core = pkg.must_part("docProps/core.xml");
    assert!(core.contains(">2026-02-01T08:00:00Z<"), "{core}");
    assert!(core.contains("<dc:creator>Finance team</dc:creator>"));
}

// ---------------------------------------------------------------------------
// Validation

#[test]
fn every_problem_is_reported_with_its_pointer() {
    let long_row = r#"[1, 2, "2026-01-01", 4]"#;
    let json = format!(
        r#"{{
        "sheets": [
            {{"name": "Bad/Name",
              "columns": [
                  {{"header": "Amount", "key": "amount", "type": "currency"}},
                  {{"header": "Qty", "type": "nmber"}},
                  {{"header": "Day", "key": "day", "type": "date"}}
              ],
              "rows": [
                  ["12", 1, "2026-01-15"],
                  {{"amount": 1, "day": "2026-02-30", "colour": "red"}},
                  {long_row},
                  "not a row"
              ],
              "charts": [{{"type": "column", "categories": "day", "values": ["amount", "revenue"]}}]
            }},
            {{"name": "bad/name", "columns": []}}
        ]}}"#
    );
    let errors = problems(spec_from(&json));
    let found: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e.pointer.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "/workbook/sheets/0/name",
                "sheet names cannot contain '/'; \"Bad/Name\" does"
            ),
            (
                "/workbook/sheets/0/columns/1/type",
                "unknown column type \"nmber\"; expected one of string, number, integer, currency, percent, date, datetime, bool, formula, hyperlink"
            ),
            (
                "/workbook/sheets/0/rows/0/0",
                "expected a number for column \"Amount\" (type currency), found a string"
            ),
            (
                "/workbook/sheets/0/rows/1/day",
                "invalid date for column \"Day\": day 30 is out of range for 2026-02 (it has 28 days)"
            ),
            (
                "/workbook/sheets/0/rows/1/colour",
                "unknown column key \"colour\"; keys are: amount, day"
            ),
            (
                "/workbook/sheets/0/rows/2",
                "too many values: 4 for 3 columns"
            ),
            (
                "/workbook/sheets/0/rows/3",
                "expected a row (an array of values or an object keyed by column key), found a string"
            ),
            (
                "/workbook/sheets/0/charts/0/values/1",
                "no column with key or header \"revenue\""
            ),
            (
                "/workbook/sheets/1/name",
                "sheet names cannot contain '/'; \"bad/name\" does"
            ),
            (
                "/workbook/sheets/1/columns",
                "a sheet needs at least one column"
            ),
        ]
    );
}

#[test]
fn pointer_tokens_are_escaped() {
    let errors = problems(spec_from(
        r#"{"sheets": [{"columns": [{"header": "A", "key": "a/b~c", "type": "integer"}],
            "rows": [{"a/b~c": 1.5}]}]}"#,
    ));
    assert_eq!(errors[0].pointer, "/workbook/sheets/0/rows/0/a~1b~0c");
    assert_eq!(
        errors[0].message,
        "expected an integer for column \"A\", found 1.5"
    );
}

#[test]
fn sheet_level_problems() {
    let check = |json: &str, expected: &[(&str, &str)]| {
        let errors = problems(spec_from(json));
        let found: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.pointer.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(found, expected, "{json}");
    };
    check(
        r#"{"sheets": []}"#,
        &[("/workbook/sheets", "a workbook needs at least one sheet")],
    );
    let sheets = |n: usize| {
        let one = r#"{"columns": [{"header": "x"}]}"#;
        format!(r#"{{"sheets": [{}]}}"#, vec![one; n].join(","))
    };
    let mut diags = Diagnostics::new();
    let book = xlsx::validate(spec_from(&sheets(1_000)), "/workbook", &mut diags);
    assert!(book.is_some(), "{:?}", diags.into_errors());
    check(
        &sheets(1_001),
        &[(
            "/workbook/sheets",
            "a workbook has at most 1000 sheets; this one has 1001",
        )],
    );
    check(
        r#"{"sheets": [{"name": "A", "columns": [{"header": "x"}]}, {"name": "a", "columns": [{"header": "x"}]}]}"#,
        &[(
            "/workbook/sheets/1/name",
            "duplicate sheet name \"a\" (names are compared ignoring case)",
        )],
    );
    check(
        r#"{"sheets": [{"columns": [{"header": "x", "key": "k"}, {"header": "y", "key": "k"}]}]}"#,
        &[("/workbook/sheets/0/columns/1/key", "duplicate key \"k\"")],
    );
    check(
        r#"{"sheets": [{"columns": [{"header": "x"}, {"header": "X"}], "rows": [["a", "b"]], "table": true, "autofilter": true}]}"#,
        &[
            (
                "/workbook/sheets/0/columns/1/header",
                "duplicate header \"X\": table headers must be unique (ignoring case)",
            ),
            (
                "/workbook/sheets/0/autofilter",
                "a table has its own filter buttons; drop `autofilter` or `table`",
            ),
        ],
    );
    check(
        r#"{"sheets": [{"columns": [{"header": "x", "total": "sum", "currency": "EUR"}], "table": {"style": "medium99"}}]}"#,
        &[
            (
                "/workbook/sheets/0/columns/0/currency",
                "only used by currency columns",
            ),
            (
                "/workbook/sheets/0/columns/0/total",
                "total \"sum\" does not apply to a string column",
            ),
            (
                "/workbook/sheets/0/table/style",
                "unknown table style \"medium99\"; expected none, light1-light21, medium1-medium28 or dark1-dark11",
            ),
        ],
    );
    check(
        r#"{"sheets": [{"columns": [{"header": "x", "type": "number"}], "rows": [[1]],
            "charts": [{"type": "pie3d", "values": [0], "anchor": "H0"}, {"type": "pie", "values": ["x", 0]}]}]}"#,
        &[
            (
                "/workbook/sheets/0/charts/0/type",
                "unknown chart type \"pie3d\"; expected one of column, column_stacked, bar, bar_stacked, line, area, area_stacked, pie, doughnut, scatter",
            ),
            (
                "/workbook/sheets/0/charts/0/anchor",
                "\"H0\" is not a cell like H2",
            ),
            (
                "/workbook/sheets/0/charts/1/values",
                "pie and doughnut charts plot one column; give exactly one",
            ),
        ],
    );
    check(
        r#"{"properties": {"created": "yesterday"}, "sheets": [{"columns": [{"header": "x", "type": "formula"}], "rows": [["="]]}]}"#,
        &[
            (
                "/workbook/properties/created",
                "expected an ISO-8601 date like 2026-01-15 or 2026-01-15T10:30:00",
            ),
            ("/workbook/sheets/0/rows/0/0", "empty formula"),
        ],
    );
}

#[test]
fn default_names_avoid_the_jobs_own() {
    let mut pkg = Package::open(render(spec_from(
        r#"{"sheets": [
            {"columns": [{"header": "a"}], "rows": [["x"]], "table": true},
            {"name": "Sheet1", "columns": [{"header": "a"}], "rows": [["y"]], "table": {"name": "Table1"}}
        ]}"#,
    )));
    assert_eq!(pkg.book.sheet_names(), ["Sheet2", "Sheet1"]);
    assert!(
        pkg.must_part("xl/tables/table1.xml")
            .contains("name=\"Table2\"")
    );
    assert!(
        pkg.must_part("xl/tables/table2.xml")
            .contains("name=\"Table1\"")
    );
    assert_eq!(pkg.values("Sheet1").get_value((1, 0)), Some(&text("y")));
}

#[test]
fn chart_ranges_quote_sheet_names() {
    let pkg = Package::open(render(spec_from(
        r#"{"sheets": [{"name": "Q1 Sales", "columns": [{"header": "Month"}, {"header": "Revenue", "type": "currency"}],
            "rows": [["Jan", 10], ["Feb", 12]],
            "charts": [{"type": "area", "categories": 0, "values": ["Revenue"]}]}]}"#,
    )));
    let chart = pkg.must_part("xl/charts/chart1.xml");
    assert!(chart.contains("<c:f>'Q1 Sales'!$B$2:$B$3</c:f>"), "{chart}");
    assert!(chart.contains("<c:f>'Q1 Sales'!$A$2:$A$3</c:f>"));
    let drawing = pkg.must_part("xl/drawings/drawing1.xml");
    assert!(
        drawing.contains("<xdr:col>3</xdr:col>"),
        "default anchor right of the data: {drawing}"
    );
}

#[test]
fn too_many_rows_is_an_error_at_the_rows() {
    let rows = vec!["[1]"; 1_048_576].join(",");
    let json = format!(
        r#"{{"sheets": [{{"columns": [{{"header": "n", "type": "integer"}}], "rows": [{rows}]}}]}}"#
    );
    let errors = problems(spec_from(&json));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].pointer, "/workbook/sheets/0/rows");
    assert_eq!(
        errors[0].message,
        "1048576 rows (with header and totals: 1048577) exceed Excel's limit of 1048576"
    );
}

// ---------------------------------------------------------------------------
// Large sheets, determinism, cancellation

/// A `rows × 12` sheet of mixed types as job JSON.
fn large_job(rows: usize, extras: &str) -> String {
    let mut json = String::from(
        r#"{"sheets": [{"name": "Data", "columns": [
            {"header": "Id", "key": "id", "type": "integer", "total": "count"},
            {"header": "Name", "key": "name"},
            {"header": "Day", "key": "day", "type": "date"},
            {"header": "Amount", "key": "amount", "type": "currency", "currency": "EUR", "total": "sum"},
            {"header": "Rate", "key": "rate", "type": "percent"},
            {"header": "Ok", "key": "ok", "type": "bool"},
            {"header": "Score", "key": "score", "type": "number", "decimals": 3},
            {"header": "City", "key": "city"},
            {"header": "At", "key": "at", "type": "datetime"},
            {"header": "Units", "key": "units", "type": "integer", "total": "sum"},
            {"header": "Link", "key": "link", "type": "hyperlink"},
            {"header": "Calc", "key": "calc", "type": "formula"}
        ], "rows": ["#,
    );
    for i in 0..rows {
        if i > 0 {
            json.push(',');
        }
        let day = 1 + i % 28;
        json.push_str(&format!(
            r##"[{i},"name {i}","2026-02-{day:02}",{amount:.2},{rate},{ok},{score},"City {city}","2026-03-{day:02}T12:{minute:02}:00",{units},{{"url":"https://example.com/{i}","text":"#{i}"}},"=D{row}*2"]"##,
            amount = i as f64 * 1.25,
            rate = (i % 100) as f64 / 100.0,
            ok = i % 2 == 0,
            score = i as f64 / 7.0,
            city = i % 50,
            minute = i % 60,
            units = i % 1000,
            row = i + 2,
        ));
    }
    json.push_str(&format!("]{extras}}}]}}"));
    json
}

#[test]
fn large_sheet_goes_through_constant_memory_mode() {
    const ROWS: usize = 50_000;
    let mut pkg = Package::open(render(spec_from(&large_job(
        ROWS,
        r#", "autofilter": true"#,
    ))));
    let v = pkg.values("Data");
    assert_eq!(v.height(), ROWS + 2, "header + rows + totals");
    let last = ROWS as u32;
    let i = ROWS - 1;
    assert_eq!(v.get_value((last, 0)), Some(&Data::Float(i as f64)));
    assert_eq!(v.get_value((last, 1)), Some(&text(&format!("name {i}"))));
    assert_eq!(
        date_serial(v.get_value((last, 2))),
        46_054.0 + (i % 28) as f64
    );
    assert_eq!(v.get_value((last, 3)), Some(&Data::Float(i as f64 * 1.25)));
    assert_eq!(v.get_value((last, 5)), Some(&Data::Bool(false)));
    assert_eq!(
        v.get_value((last, 9)),
        Some(&Data::Float((i % 1000) as f64))
    );
    assert_eq!(v.get_value((last, 10)), Some(&text(&format!("#{i}"))));
    assert_eq!(v.get_value((last + 1, 1)), Some(&text("Total")));

    let formulas = pkg.formulas("Data");
    assert_eq!(
        formulas.get_value((last + 1, 3)).map(String::as_str),
        Some("SUBTOTAL(109,D2:D50001)")
    );
    assert_eq!(
        formulas.get_value((last, 11)).map(String::as_str),
        Some("D50001*2")
    );

    let sheet = pkg.must_part("xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains("t=\"inlineStr\""),
        "constant-memory mode writes inline strings"
    );
    assert!(sheet.contains("<autoFilter ref=\"A1:L50001\""));
    assert!(
        sheet.contains("<hyperlink ref=\"K50001\""),
        "links in constant-memory mode"
    );
    assert_eq!(
        pkg.format_of("xl/worksheets/sheet1.xml", "D50001"),
        "#,##0.00 \"€\""
    );
    assert_eq!(
        pkg.format_of("xl/worksheets/sheet1.xml", "D50002"),
        "#,##0.00 \"€\""
    );
    assert_eq!(
        pkg.format_of("xl/worksheets/sheet1.xml", "A50002"),
        "General"
    );
}

#[test]
fn large_table_in_constant_memory_mode_keeps_header_and_totals() {
    const ROWS: usize = 3_000;
    let mut pkg = Package::open(render(spec_from(&large_job(
        ROWS,
        r#", "table": {"name": "Big"}"#,
    ))));
    let v = pkg.values("Data");
    assert_eq!(v.get_value((0, 3)), Some(&text("Amount")));
    assert_eq!(v.get_value((ROWS as u32 + 1, 1)), Some(&text("Total")));
    let formulas = pkg.formulas("Data");
    assert_eq!(
        formulas.get_value((ROWS as u32 + 1, 3)).map(String::as_str),
        Some("SUBTOTAL(109,Big[Amount])")
    );
    let sheet = "xl/worksheets/sheet1.xml";
    assert!(pkg.must_part(sheet).contains("t=\"inlineStr\""));
    assert_eq!(pkg.format_of(sheet, "D3002"), "#,##0.00 \"€\"");
    assert!(
        pkg.must_part("xl/tables/table1.xml")
            .contains("ref=\"A1:L3002\"")
    );
}

#[test]
fn same_workbook_gives_the_same_bytes() {
    for sample in ["xlsx-all-types.json", "xlsx-sales-report.json"] {
        let first = render(sample_spec(sample));
        let second = render(sample_spec(sample));
        assert!(first == second, "{sample} differs between runs");
    }
    let large = large_job(25_000, "");
    assert!(
        render(spec_from(&large)) == render(spec_from(&large)),
        "constant-memory output differs"
    );
}

#[test]
fn cancelled_jobs_stop() {
    let mut diags = Diagnostics::new();
    let book =
        xlsx::validate(spec_from(&large_job(10, "")), "/workbook", &mut diags).expect("valid");
    assert_eq!(xlsx::row_count(&book), 10);
    let cancel = CancelToken::new();
    cancel.cancel();
    let result = xlsx::write(&book, &RenderCtx::new(cancel, None));
    assert!(
        matches!(result, Err(XlsxError::Interrupted(Interrupted::Cancelled))),
        "{result:?}"
    );
}
