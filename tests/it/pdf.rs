//! PDF generator: the sample jobs, generated invoices and small documents
//! (markup and the JSON document model) go through the service like a
//! client's job, and every output is read back with the tools consumers use:
//! poppler (`pdftotext`, `pdffonts`, `pdfinfo`, `pdfimages`, `pdftoppm`),
//! `qpdf` and `zbarimg`. Expected values are computed here from the job
//! data, never copied from an output.
//!
//! The tools are required: a missing one fails the test with the Debian
//! package to install (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use docsmith::http::AppState;
use serde_json::{Value, json};

use crate::support::*;

// ---------------------------------------------------------------------------
// External readers

/// Runs an external reader. A tool that cannot be started fails the test
/// with the package that provides it.
fn tool(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            let package = match program {
                "qpdf" => "qpdf",
                "zbarimg" => "zbar-tools",
                _ => "poppler-utils",
            };
            panic!(
                "cannot run `{program}` ({e}): the PDF tests read documents with it; \
             install the Debian package `{package}` (.ci/run does)"
            )
        })
}

/// Runs an external reader that must succeed; its standard output as text.
fn tool_ok(program: &str, args: &[&str]) -> String {
    let out = tool(program, args);
    assert!(
        out.status.success(),
        "`{program} {}` failed ({}): {}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A private directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("docsmith-pdf-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir can be created");
        Scratch(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// One word of `pdftotext -bbox`, in points from the top-left corner.
#[derive(Debug, Clone)]
struct Word {
    page: usize,
    text: String,
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
}

/// A page of `pdftotext -bbox`: its size and words.
#[derive(Debug, Clone)]
struct PageWords {
    width: f32,
    height: f32,
    words: Vec<Word>,
}

/// A line of `pdffonts`.
#[derive(Debug)]
struct FontInfo {
    name: String,
    emb: String,
    sub: String,
    uni: String,
}

/// A line of `pdfimages -list`.
#[derive(Debug)]
struct ImageInfo {
    page: usize,
    kind: String,
    width: u32,
    height: u32,
}

/// A PDF written to a scratch file, read back with the external tools.
struct Pdf {
    dir: Scratch,
    path: PathBuf,
    bytes: Vec<u8>,
}

impl Pdf {
    fn new(bytes: Vec<u8>, name: &str) -> Self {
        assert!(
            bytes.starts_with(b"%PDF-"),
            "{name}: not a PDF: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
        );
        let dir = Scratch::new(name);
        let path = dir.path("doc.pdf");
        std::fs::write(&path, &bytes).expect("write the PDF");
        Pdf { dir, path, bytes }
    }

    fn file(&self) -> &str {
        utf8(&self.path)
    }

    /// `qpdf --check` finds nothing wrong (exit 0, no warnings).
    fn assert_qpdf_clean(&self, what: &str) {
        let out = tool("qpdf", &["--check", self.file()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() == Some(0) && stderr.trim().is_empty(),
            "{what}: qpdf --check is not clean ({}):\n{stdout}{stderr}",
            out.status
        );
        assert!(
            stdout.contains("No syntax or stream encoding errors found"),
            "{what}: {stdout}"
        );
    }

    /// Page count from `pdfinfo`.
    fn pages(&self) -> usize {
        let info = tool_ok("pdfinfo", &[self.file()]);
        info.lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("pdfinfo gives no page count:\n{info}"))
    }

    /// The whole text, in poppler's reading order.
    fn text(&self) -> String {
        tool_ok("pdftotext", &["-enc", "UTF-8", self.file(), "-"])
    }

    /// The text of one page (1-based).
    fn page_text(&self, page: usize) -> String {
        let n = page.to_string();
        tool_ok(
            "pdftotext",
            &["-enc", "UTF-8", "-f", &n, "-l", &n, self.file(), "-"],
        )
    }

    fn fonts(&self) -> Vec<FontInfo> {
        let out = tool_ok("pdffonts", &[self.file()]);
        out.lines()
            .skip(2)
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let cols: Vec<&str> = line.split_whitespace().collect();
                assert!(cols.len() >= 7, "unexpected pdffonts line: {line}");
                let n = cols.len();
                FontInfo {
                    name: cols[0].to_owned(),
                    emb: cols[n - 5].to_owned(),
                    sub: cols[n - 4].to_owned(),
                    uni: cols[n - 3].to_owned(),
                }
            })
            .collect()
    }

    fn images(&self) -> Vec<ImageInfo> {
        let out = tool_ok("pdfimages", &["-list", self.file()]);
        out.lines()
            .skip(2)
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let cols: Vec<&str> = line.split_whitespace().collect();
                assert!(cols.len() >= 5, "unexpected pdfimages line: {line}");
                let number = |s: &str| -> u32 { s.parse().expect("pdfimages prints numbers") };
                ImageInfo {
                    page: number(cols[0]) as usize,
                    kind: cols[2].to_owned(),
                    width: number(cols[3]),
                    height: number(cols[4]),
                }
            })
            .collect()
    }

    /// Every page's size and words, from `pdftotext -bbox`.
    fn words(&self) -> Vec<PageWords> {
        let html = tool_ok("pdftotext", &["-enc", "UTF-8", "-bbox", self.file(), "-"]);
        let mut pages: Vec<PageWords> = Vec::new();
        for line in html.lines() {
            let line = line.trim();
            if line.starts_with("<page ") {
                pages.push(PageWords {
                    width: xml_attr(line, "width"),
                    height: xml_attr(line, "height"),
                    words: Vec::new(),
                });
            } else if line.starts_with("<word ") {
                let start = line.find('>').expect("word tag closes") + 1;
                let end = line.rfind("</word>").expect("word element closes");
                let page = pages.len();
                let current = pages.last_mut().expect("words are inside a page");
                current.words.push(Word {
                    page,
                    text: unescape_html(&line[start..end]),
                    x0: xml_attr(line, "xMin"),
                    y0: xml_attr(line, "yMin"),
                    x1: xml_attr(line, "xMax"),
                    y1: xml_attr(line, "yMax"),
                });
            }
        }
        pages
    }

    /// Page `page` (1-based) rendered by `pdftoppm` in grey levels.
    fn raster(&self, page: usize, dpi: u32) -> image::GrayImage {
        let n = page.to_string();
        let stem = self.dir.path(&format!("page-{page}-{dpi}"));
        tool_ok(
            "pdftoppm",
            &[
                "-r",
                &dpi.to_string(),
                "-gray",
                "-png",
                "-singlefile",
                "-f",
                &n,
                "-l",
                &n,
                self.file(),
                utf8(&stem),
            ],
        );
        let png = stem.with_extension("png");
        image::open(&png)
            .unwrap_or_else(|e| panic!("pdftoppm output {}: {e}", png.display()))
            .to_luma8()
    }

    /// The payloads of the QR codes `zbarimg` finds on page `page` rendered
    /// at 200 dpi.
    fn qr_codes(&self, page: usize) -> Vec<String> {
        let n = page.to_string();
        let stem = self.dir.path(&format!("qr-{page}"));
        tool_ok(
            "pdftoppm",
            &[
                "-r",
                "200",
                "-png",
                "-singlefile",
                "-f",
                &n,
                "-l",
                &n,
                self.file(),
                utf8(&stem),
            ],
        );
        let png = stem.with_extension("png");
        let out = tool(
            "zbarimg",
            &["-q", "--xml", "-Sdisable", "-Sqrcode.enable", utf8(&png)],
        );
        assert!(
            out.status.success(),
            "zbarimg found no QR code on page {page} ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let xml = String::from_utf8(out.stdout).expect("zbarimg prints UTF-8");
        xml.split("<data><![CDATA[")
            .skip(1)
            .map(|rest| {
                let end = rest.find("]]></data>").expect("symbol data closes");
                rest[..end].to_owned()
            })
            .collect()
    }
}

fn xml_attr(tag: &str, name: &str) -> f32 {
    let needle = format!(" {name}=\"");
    let start = tag
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + needle.len();
    let end = start + tag[start..].find('"').expect("attribute closes");
    tag[start..end].parse().expect("numeric attribute")
}

fn unescape_html(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Text with every run of whitespace (no-break spaces included) turned into
/// one space, so wrapped lines and the spaces of formatted numbers compare
/// as plain text.
fn normalise(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || matches!(c, '\u{a0}' | '\u{202f}' | '\u{2007}'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts that `needles` occur in `text` in this order; returns where each
/// one starts.
fn assert_in_order(text: &str, needles: &[String], what: &str) -> Vec<usize> {
    let mut from = 0;
    needles
        .iter()
        .map(|needle| {
            let at = text[from..].find(needle.as_str()).map(|i| i + from);
            let at = at.unwrap_or_else(|| {
                let anywhere = text.find(needle.as_str());
                panic!(
                    "{what}: {needle:?} not found after byte {from} (found anywhere: {anywhere:?}) in:\n{text}"
                )
            });
            from = at + needle.len();
            at
        })
        .collect()
}

/// Words grouped into lines: same page and the same top (within 0.5 pt),
/// top to bottom, each line left to right.
fn lines_of(words: &[Word]) -> Vec<Vec<Word>> {
    let mut sorted: Vec<Word> = words.to_vec();
    sorted.sort_by(|a, b| {
        (a.page, a.y0, a.x0)
            .partial_cmp(&(b.page, b.y0, b.x0))
            .expect("finite")
    });
    let mut lines: Vec<Vec<Word>> = Vec::new();
    for word in sorted {
        match lines.last_mut() {
            Some(line) if line[0].page == word.page && (line[0].y0 - word.y0).abs() < 0.5 => {
                line.push(word)
            }
            _ => lines.push(vec![word]),
        }
    }
    lines
}

// ---------------------------------------------------------------------------
// Margins, read from the job's source

const MM: f32 = 72.0 / 25.4;

#[derive(Debug, Clone, Copy)]
struct Margins {
    top: f32,
    right: f32,
    bottom: f32,
    left: f32,
}

/// A length of the markup (`12`, `12pt`, `10mm`, `1.5cm`, `0.5in`, `16px`).
fn length_pt(text: &str) -> f32 {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f32 = number
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a length: {text:?}"));
    number
        * match unit {
            "" | "pt" => 1.0,
            "mm" => MM,
            "cm" => 10.0 * MM,
            "in" => 72.0,
            "px" => 0.75,
            other => panic!("unknown unit {other:?} in {text:?}"),
        }
}

/// Applies `margin` (1–4 lengths, CSS order) and `margin-SIDE` values.
fn margins_from(attr: &dyn Fn(&str) -> Option<String>, what: &str) -> Margins {
    let default = 20.0 * MM;
    let mut m = Margins {
        top: default,
        right: default,
        bottom: default,
        left: default,
    };
    let check = |v: String| -> String {
        assert!(
            !v.contains("{{") && !v.contains("{%"),
            "{what}: the page margins come from a template expression ({v:?}); \
             teach page_margins() to read them"
        );
        v
    };
    if let Some(value) = attr("margin").map(check) {
        let parts: Vec<f32> = value
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|p| !p.is_empty())
            .map(length_pt)
            .collect();
        let (t, r, b, l) = match parts[..] {
            [a] => (a, a, a, a),
            [v, h] => (v, h, v, h),
            [t, h, b] => (t, h, b, h),
            [t, r, b, l] => (t, r, b, l),
            _ => panic!("{what}: margin {value:?} is not 1 to 4 lengths"),
        };
        m = Margins {
            top: t,
            right: r,
            bottom: b,
            left: l,
        };
    }
    for (name, side) in [
        ("margin-top", &mut m.top),
        ("margin-right", &mut m.right),
        ("margin-bottom", &mut m.bottom),
        ("margin-left", &mut m.left),
    ] {
        if let Some(v) = attr(name).map(check) {
            *side = length_pt(&v);
        }
    }
    m
}

/// The attribute `name` of the first `<page …>` tag of markup.
fn page_tag_attr(markup: &str, name: &str) -> Option<String> {
    let start = markup.find("<page ").or_else(|| markup.find("<page/"))?;
    let tag = &markup[start..start + markup[start..].find('>')?];
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    Some(tag[at..at + tag[at..].find('"')?].to_owned())
}

/// The page margins a job asks for: from its template's (or inline
/// markup's) `<page>` element, or the JSON document's `page` object;
/// 20 mm each when none is given.
fn page_margins(job: &Value, what: &str) -> Margins {
    let markup = if let Some(name) = job["template"].as_str() {
        Some(
            std::fs::read_to_string(repo_path(&format!("templates/{name}.xml")))
                .unwrap_or_else(|e| panic!("{what}: template {name}: {e}")),
        )
    } else {
        job["template_source"].as_str().map(str::to_owned)
    };
    match markup {
        Some(markup) => margins_from(&|name| page_tag_attr(&markup, name), what),
        None => {
            let page = job["document"]["page"].clone();
            margins_from(
                &|name| match &page[name] {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                },
                what,
            )
        }
    }
}

/// Tolerance of the margin checks, in points.
const MARGIN_SLACK: f32 = 1.0;

/// Every word's box on every page lies inside the page margins (within
/// [`MARGIN_SLACK`]); the footer included, since it is drawn above the
/// bottom margin.
fn assert_words_inside(pages: &[PageWords], m: Margins, what: &str) {
    let outside = words_outside(pages, m, what);
    assert!(outside.is_empty(), "{}", outside.join("\n"));
}

/// The words of [`assert_words_inside`] that are not inside, as one
/// message (empty when all are).
fn words_outside(pages: &[PageWords], m: Margins, what: &str) -> Vec<String> {
    let mut outside = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let (left, right) = (m.left - MARGIN_SLACK, page.width - m.right + MARGIN_SLACK);
        let (top, bottom) = (m.top - MARGIN_SLACK, page.height - m.bottom + MARGIN_SLACK);
        for w in &page.words {
            if w.x0 < left || w.x1 > right || w.y0 < top || w.y1 > bottom {
                outside.push(format!(
                    "  page {}: {:?} at x {:.2}..{:.2}, y {:.2}..{:.2}",
                    i + 1,
                    w.text,
                    w.x0,
                    w.x1,
                    w.y0,
                    w.y1
                ));
            }
        }
    }
    if !outside.is_empty() {
        let count = outside.len();
        outside.truncate(12);
        outside.insert(
            0,
            format!(
                "{what}: {count} words outside the margins {m:?} (allowed: x from {:.2} to page width - {:.2}, \
                 y from {:.2} to page height - {:.2}):",
                m.left - MARGIN_SLACK,
                m.right - MARGIN_SLACK,
                m.top - MARGIN_SLACK,
                m.bottom - MARGIN_SLACK,
            ),
        );
    }
    outside
}

/// Nothing is painted in the margins: every non-white pixel of every page
/// (rendered at 100 dpi) lies inside the margin box, within
/// [`MARGIN_SLACK`] plus a pixel of antialiasing.
fn assert_ink_inside(pdf: &Pdf, pages: usize, m: Margins, what: &str) {
    let dpi = 100u32;
    let px = 72.0 / dpi as f32;
    for page in 1..=pages {
        let img = pdf.raster(page, dpi);
        let (w, h) = (img.width() as f32 * px, img.height() as f32 * px);
        let slack = MARGIN_SLACK + px;
        let mut ink: Option<(f32, f32, f32, f32)> = None;
        for (x, y, p) in img.enumerate_pixels() {
            if p.0[0] < 235 {
                let (x0, y0) = (x as f32 * px, y as f32 * px);
                let (x1, y1) = (x0 + px, y0 + px);
                ink = Some(match ink {
                    None => (x0, y0, x1, y1),
                    Some((a, b, c, d)) => (a.min(x0), b.min(y0), c.max(x1), d.max(y1)),
                });
            }
        }
        let Some((x0, y0, x1, y1)) = ink else {
            panic!("{what}: page {page} is blank");
        };
        assert!(
            x0 >= m.left - slack
                && y0 >= m.top - slack
                && x1 <= w - m.right + slack
                && y1 <= h - m.bottom + slack,
            "{what}: page {page} has ink at x {x0:.1}..{x1:.1}, y {y0:.1}..{y1:.1} pt; \
             the margins {m:?} leave x {:.1}..{:.1}, y {:.1}..{:.1}",
            m.left,
            w - m.right,
            m.top,
            h - m.bottom
        );
    }
}

// ---------------------------------------------------------------------------
// Rendering through the service

fn pdf_state() -> Arc<AppState> {
    state_with(test_config())
}

/// POSTs `job` to /v1/render and returns the PDF; anything but a 200 PDF
/// fails with the answer.
async fn render_pdf(state: &Arc<AppState>, job: &Value, what: &str) -> Pdf {
    let reply = send(state, post_json("/v1/render", job.to_string())).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{what}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("content-type"), "application/pdf", "{what}");
    Pdf::new(reply.body, what)
}

/// A `template_source` job.
fn markup_job(markup: &str) -> Value {
    json!({"format": "pdf", "filename": "t.pdf", "template_source": markup})
}

/// The PDF samples: `samples/pdf-*.json`, by name.
fn pdf_samples() -> Vec<(String, Value)> {
    let dir = repo_path("samples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("samples/ readable")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.starts_with("pdf-") && n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let job = sample(&name);
            (name, job)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Money, computed from the job data in exact decimals

/// A JSON number as an exact integer count of millionths.
fn micros(value: &Value, what: &str) -> i128 {
    let text = match value {
        Value::Number(n) => n.to_string(),
        other => panic!("{what}: expected a number, found {other}"),
    };
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    assert!(
        frac.len() <= 6 && !text.contains(['e', 'E']),
        "{what}: {text} has too many digits for this test"
    );
    let negative = int.starts_with('-');
    let int: i128 = int.trim_start_matches('-').parse().expect("integer part");
    let frac: i128 = format!("{frac:0<6}").parse().expect("fraction part");
    let v = int * 1_000_000 + frac;
    if negative { -v } else { v }
}

/// `a / b` rounded half away from zero (both non-negative here).
fn div_round(a: i128, b: i128) -> i128 {
    assert!(a >= 0 && b > 0, "amounts are not negative here");
    (a + b / 2) / b
}

/// `1.234,50 €`: de-DE grouping and decimals, with the amount in cents.
fn de_eur(cents: i128) -> String {
    let euros = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("{grouped},{:02} €", cents % 100)
}

/// `5162.66`: the amount in an EPC payload.
fn plain_eur(cents: i128) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The sums an invoice must show, from its items.
struct Totals {
    /// Amount of each line, in cents: round(quantity × unit price, 2).
    lines: Vec<i128>,
    net: i128,
    /// Per VAT rate (in millionths, ascending): net of the rate's lines and
    /// its VAT (the rate's net × rate, rounded half up), in cents.
    rates: Vec<(i128, i128, i128)>,
    vat: i128,
    gross: i128,
}

fn invoice_totals(items: &[Value]) -> Totals {
    let lines: Vec<i128> = items
        .iter()
        .map(|item| {
            let q = micros(&item["quantity"], "quantity");
            let p = micros(&item["unit_price"], "unit_price");
            // millionths × millionths → 10^-12; cents are 10^-2.
            div_round(q * p, 10_000_000_000)
        })
        .collect();
    let mut rates: Vec<(i128, i128, i128)> = Vec::new();
    for (item, amount) in items.iter().zip(&lines) {
        let rate = micros(&item["vat_rate"], "vat_rate");
        match rates.iter_mut().find(|r| r.0 == rate) {
            Some(r) => r.1 += amount,
            None => rates.push((rate, *amount, 0)),
        }
    }
    rates.sort_by_key(|r| r.0);
    for r in &mut rates {
        r.2 = div_round(r.1 * r.0, 1_000_000);
    }
    let net = lines.iter().sum();
    let vat = rates.iter().map(|r| r.2).sum();
    Totals {
        lines,
        net,
        rates,
        vat,
        gross: net + vat,
    }
}

/// `19`: a VAT rate in millionths as a whole percentage.
fn percent(rate: i128) -> String {
    assert_eq!(rate % 10_000, 0, "whole percentages only");
    (rate / 10_000).to_string()
}

/// The sample invoice with `count` generated items: short, numbered
/// descriptions (`Position 007 Receipt printer`) cycling through the
/// sample's units, prices and VAT rates, with varied quantities.
fn big_invoice(count: usize) -> Value {
    let mut job = sample("pdf-invoice.json");
    let base = job["data"]["items"]
        .as_array()
        .expect("sample items")
        .clone();
    let items: Vec<Value> = (0..count)
        .map(|i| {
            let b = &base[i % base.len()];
            let words: Vec<&str> = b["description"]
                .as_str()
                .expect("description")
                .split_whitespace()
                .take(2)
                .collect();
            json!({
                "description": format!("Position {:03} {}", i + 1, words.join(" ")),
                "quantity": (i % 7 + 1) as u64,
                "unit": b["unit"],
                "unit_price": b["unit_price"],
                "vat_rate": b["vat_rate"],
            })
        })
        .collect();
    job["data"]["items"] = Value::Array(items);
    job
}

// ---------------------------------------------------------------------------
// 1. Every PDF sample

#[tokio::test]
async fn every_pdf_sample_renders_clean_embedded_and_inside_its_margins() {
    let state = pdf_state();
    let samples = pdf_samples();
    assert!(
        samples.iter().any(|(n, _)| n == "pdf-invoice.json"),
        "the invoice sample is missing"
    );
    let mut outside = Vec::new();
    for (name, job) in samples {
        let pdf = render_pdf(&state, &job, &name).await;
        pdf.assert_qpdf_clean(&name);

        let fonts = pdf.fonts();
        assert!(!fonts.is_empty(), "{name}: no fonts");
        for f in &fonts {
            assert!(
                f.emb == "yes" && f.sub == "yes" && f.uni == "yes",
                "{name}: font {} is emb={} sub={} uni={} (want yes yes yes)",
                f.name,
                f.emb,
                f.sub,
                f.uni
            );
        }

        let pages = pdf.pages();
        assert!(pages >= 1, "{name}: {pages} pages");
        let words = pdf.words();
        assert_eq!(words.len(), pages, "{name}: pdftotext and pdfinfo disagree");
        for (i, page) in words.iter().enumerate() {
            assert!(!page.words.is_empty(), "{name}: page {} has no text", i + 1);
        }
        let margins = page_margins(&job, &name);
        assert_ink_inside(&pdf, pages, margins, &name);
        outside.extend(words_outside(&words, margins, &name));
    }
    assert!(outside.is_empty(), "{}", outside.join("\n"));
}

// ---------------------------------------------------------------------------
// 2. The invoice's content

#[tokio::test]
async fn invoice_shows_items_amounts_totals_and_a_payable_qr_code() {
    let state = pdf_state();
    let job = sample("pdf-invoice.json");
    let data = &job["data"];
    let items = data["items"].as_array().expect("items");
    let totals = invoice_totals(items);
    let pdf = render_pdf(&state, &job, "invoice").await;
    assert_eq!(pdf.pages(), 1, "the sample invoice fits one page");
    let text = normalise(&pdf.text());

    let descriptions: Vec<String> = items
        .iter()
        .map(|i| normalise(i["description"].as_str().expect("description")))
        .collect();
    let found = assert_in_order(&text, &descriptions, "line item descriptions");

    // Each line's amount, between its description and the next one's.
    for (i, amount) in totals.lines.iter().enumerate() {
        let from = found[i];
        let to = found.get(i + 1).copied().unwrap_or(text.len());
        let expected = de_eur(*amount);
        assert!(
            text[from..to].contains(&expected),
            "line {} ({}): amount {expected:?} not in {:?}",
            i + 1,
            descriptions[i],
            &text[from..to]
        );
    }

    let mut sums = vec![format!("Net amount {}", de_eur(totals.net))];
    for (rate, net, vat) in &totals.rates {
        sums.push(format!(
            "VAT {} % on {} {}",
            percent(*rate),
            de_eur(*net),
            de_eur(*vat)
        ));
    }
    sums.push(format!("VAT total {}", de_eur(totals.vat)));
    sums.push(format!("Total due {}", de_eur(totals.gross)));
    let after_items = &text[*found.last().expect("items")..];
    assert_in_order(after_items, &sums, "invoice totals");
    assert!(
        text.contains("AMOUNT DUE") && text.matches(&de_eur(totals.gross)).count() >= 2,
        "the amount due ({}) is shown above the items and as the total: {text}",
        de_eur(totals.gross)
    );

    let iban = data["payment"]["iban"].as_str().expect("iban");
    assert!(text.contains(iban), "IBAN {iban} missing: {text}");
    assert!(text.contains("Page 1 of 1"), "{text}");

    let codes = pdf.qr_codes(1);
    assert_eq!(codes.len(), 1, "{codes:?}");
    let payload: Vec<&str> = codes[0].lines().collect();
    let bic = data["payment"]["bic"].as_str().expect("bic");
    assert_eq!(
        payload.first(),
        Some(&"BCD"),
        "EPC service tag: {payload:?}"
    );
    for expected in [bic, iban, &format!("EUR{}", plain_eur(totals.gross))] {
        assert!(
            payload.contains(&expected),
            "EPC payload lacks the line {expected:?}: {payload:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// 3. A long invoice

#[tokio::test]
async fn a_300_line_invoice_repeats_headers_numbers_pages_and_lists_every_item_once() {
    let state = pdf_state();
    let job = big_invoice(300);
    let items = job["data"]["items"].as_array().expect("items").clone();
    let totals = invoice_totals(&items);
    let pdf = render_pdf(&state, &job, "invoice-300").await;
    pdf.assert_qpdf_clean("invoice-300");
    let pages = pdf.pages();
    assert!(pages >= 3, "300 lines on {pages} pages");

    let mut all = String::new();
    let mut last_seen = 0;
    for page in 1..=pages {
        let text = normalise(&pdf.page_text(page));
        if page == 1 || last_seen < items.len() {
            // Every page that lists items starts them under the header.
            assert_eq!(
                text.matches("Unit price").count(),
                1,
                "page {page}: the table header once: {text}"
            );
            assert!(text.contains("Description"), "page {page}: header: {text}");
        }
        let numbers = page_numbers(&text);
        assert_eq!(
            numbers,
            [(page, pages)],
            "page {page}: \"Page N of M\" fields: {text}"
        );
        // Items on this page, in order, continuing the previous page.
        for n in 1..=items.len() {
            if text.contains(&format!("Position {n:03} ")) {
                assert!(
                    n > last_seen,
                    "page {page}: item {n} after item {last_seen}"
                );
                last_seen = n;
            }
        }
        all.push_str(&text);
        all.push(' ');
    }
    for (i, item) in items.iter().enumerate() {
        let desc = normalise(item["description"].as_str().expect("description"));
        assert_eq!(all.matches(&desc).count(), 1, "item {}: {desc:?}", i + 1);
    }
    assert!(
        all.contains(&format!("Total due {}", de_eur(totals.gross))),
        "total due {} missing",
        de_eur(totals.gross)
    );
    let margins = page_margins(&job, "invoice-300");
    let words = pdf.words();
    assert_ink_inside(&pdf, pages, margins, "invoice-300");
    // Pages holding items have the header row above their first item.
    for (i, page) in words.iter().enumerate() {
        let header = page.words.iter().find(|w| w.text == "Description");
        let first_item = page.words.iter().find(|w| w.text == "Position");
        if let (Some(h), Some(f)) = (header, first_item) {
            assert!(h.y1 <= f.y0 + 0.5, "page {}: header below an item", i + 1);
        }
        if first_item.is_some() {
            assert!(header.is_some(), "page {}: items without a header", i + 1);
        }
    }
    assert_words_inside(&words, margins, "invoice-300");
}

/// The `Page N of M` fields of a page's text.
fn page_numbers(text: &str) -> Vec<(usize, usize)> {
    let words: Vec<&str> = text.split(' ').collect();
    words
        .windows(4)
        .filter(|w| w[0] == "Page" && w[2] == "of")
        .filter_map(|w| Some((w[1].parse().ok()?, w[3].parse().ok()?)))
        .collect()
}

// ---------------------------------------------------------------------------
// 4. Determinism

#[tokio::test]
async fn the_same_job_gives_the_same_bytes() {
    let first = pdf_state();
    let second = pdf_state();
    let jobs = [
        ("invoice", sample("pdf-invoice.json")),
        ("document", layout_document_job()),
    ];
    for (what, job) in jobs {
        let a = render_pdf(&first, &job, what).await;
        let b = render_pdf(&first, &job, what).await;
        let c = render_pdf(&second, &job, what).await;
        assert!(
            a.bytes == b.bytes,
            "{what}: two renders on one service differ"
        );
        assert!(
            a.bytes == c.bytes,
            "{what}: two services render differently"
        );
    }
}

/// A JSON-model document using most block kinds.
fn layout_document_job() -> Value {
    json!({"format": "pdf", "filename": "d.pdf", "document": {
        "page": {"size": "A5", "margin": "15mm"},
        "metadata": {"title": "Determinism", "created": "2026-01-02"},
        "styles": {"muted": {"color": "#666666"}},
        "footer": [{"type": "p", "align": "center", "children": [
            "Page ", {"type": "page-number"}, " of ", {"type": "page-count"}]}],
        "content": [
            {"type": "h1", "text": "Heading"},
            {"type": "p", "style": "muted", "text": "Some muted text. ".repeat(20)},
            {"type": "ul", "children": [
                {"type": "li", "text": "one"}, {"type": "li", "text": "two"}]},
            {"type": "table", "header-rows": 1, "children": [
                {"type": "tr", "children": [{"type": "th", "text": "A"}, {"type": "th", "text": "B"}]},
                {"type": "tr", "children": [{"type": "td", "text": "1"}, {"type": "td", "value": 2.5, "value-type": "currency"}]}]},
            {"type": "qr", "data": "https://example.com/q"},
            {"type": "barcode", "data": "ABC-123"}
        ]
    }})
}

// ---------------------------------------------------------------------------
// 5. Golden layouts

/// A page whose content area is the column x 100..200 pt, y 20..380 pt.
const NARROW_PAGE: &str = r#"<page size="300 400" margin="20 100 20 100"/>"#;
const COLUMN_LEFT: f32 = 100.0;
const COLUMN_RIGHT: f32 = 200.0;

fn narrow(body: &str) -> Value {
    markup_job(&format!(
        "<document size=\"10\">\n{NARROW_PAGE}\n{body}\n</document>"
    ))
}

#[tokio::test]
async fn paragraphs_break_greedily_between_words_in_a_narrow_column() {
    let state = pdf_state();
    let text =
        "The quick brown fox jumps over the lazy dog while seven wizards hex jolly quirky boxes";
    let pdf = render_pdf(&state, &narrow(&format!("<p>{text}</p>")), "breaks").await;
    let pages = pdf.words();
    assert_eq!(pages.len(), 1);
    let lines = lines_of(&pages[0].words);
    let words: Vec<String> = lines.iter().flatten().map(|w| w.text.clone()).collect();
    assert_eq!(words.join(" "), text, "every word, in order");
    let starts: Vec<&str> = lines.iter().map(|l| l[0].text.as_str()).collect();
    // Noto Sans 10 pt in 100 pt: the breaks a greedy line breaker makes.
    assert_eq!(
        starts,
        ["The", "jumps", "dog", "wizards", "quirky"],
        "the words that start lines"
    );
    // The same, from the measured words: each line fits, and the first
    // word of the next line would not have.
    let space = lines
        .iter()
        .flat_map(|l| l.windows(2).map(|p| p[1].x0 - p[0].x1))
        .fold(f32::MAX, f32::min);
    assert!((1.5..4.0).contains(&space), "space width {space}");
    for (i, line) in lines.iter().enumerate() {
        let first = &line[0];
        let last = &line[line.len() - 1];
        assert!(
            (first.x0 - COLUMN_LEFT).abs() < 1.0,
            "line {i} starts at {}",
            first.x0
        );
        assert!(
            last.x1 <= COLUMN_RIGHT + 0.5,
            "line {i} overflows: {line:?}"
        );
        if let Some(next) = lines.get(i + 1) {
            let needed = last.x1 + space + (next[0].x1 - next[0].x0);
            assert!(
                needed > COLUMN_RIGHT - 0.5,
                "line {i}: {:?} would have fitted ({needed:.1} pt)",
                next[0].text
            );
            assert!(next[0].y0 > first.y0 + 5.0, "lines go down the page");
        }
    }
}

#[tokio::test]
async fn a_word_wider_than_the_column_is_cut_between_characters() {
    let state = pdf_state();
    let word = "Pneumonoultramicroscopicsilicovolcanoconiosis";
    let pdf = render_pdf(
        &state,
        &narrow(&format!("<p>Short {word} end</p>")),
        "long word",
    )
    .await;
    let pages = pdf.words();
    let lines = lines_of(&pages[0].words);
    let texts: Vec<Vec<&str>> = lines
        .iter()
        .map(|l| l.iter().map(|w| w.text.as_str()).collect())
        .collect();
    assert_eq!(
        texts.first().map(|l| l.as_slice()),
        Some(&["Short"][..]),
        "{texts:?}"
    );
    // The long word alone on lines of its own, in pieces, then "end".
    let pieces: Vec<&Word> = lines[1..]
        .iter()
        .flatten()
        .filter(|w| w.text != "end")
        .collect();
    assert!(pieces.len() >= 2, "the word is cut: {texts:?}");
    let joined: String = pieces.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(joined, word, "pieces in order, nothing lost: {texts:?}");
    for piece in &pieces {
        assert!(
            piece.x0 >= COLUMN_LEFT - 0.5 && piece.x1 <= COLUMN_RIGHT + 0.5,
            "piece {:?} at {:.1}..{:.1}",
            piece.text,
            piece.x0,
            piece.x1
        );
    }
    // Every piece but the last fills its line: the cut is not early.
    for piece in &pieces[..pieces.len() - 1] {
        let width = piece.x1 - piece.x0;
        let per_char = width / piece.text.chars().count() as f32;
        assert!(
            piece.x1 + 1.6 * per_char > COLUMN_RIGHT,
            "piece {:?} ends at {:.1}, far from {COLUMN_RIGHT}",
            piece.text,
            piece.x1
        );
    }
}

#[tokio::test]
async fn alignment_puts_lines_against_the_column_edges() {
    let state = pdf_state();
    let text = "Right aligned text that runs over several lines of the column";
    let paragraph = |align: &str, marker: &str| json!({"type": "p", "align": align, "text": format!("{marker} {text}")});
    let document = json!({
        "page": {"size": "300 400", "margin": "20 100 20 100"},
        "size": 10,
        "content": [paragraph("left", "L"), paragraph("right", "R"), paragraph("center", "C")]
    });
    let job = json!({"format": "pdf", "filename": "a.pdf", "document": document});
    let pdf = render_pdf(&state, &job, "alignment").await;
    let pages = pdf.words();
    assert_eq!(pages.len(), 1);
    let lines = lines_of(&pages[0].words);
    let mut paragraph_of = ' ';
    let mut seen = Vec::new();
    for line in &lines {
        if let Some(marker) = ["L", "R", "C"].iter().find(|m| line[0].text == **m) {
            paragraph_of = marker.chars().next().expect("marker");
        }
        let left = line[0].x0;
        let right = line[line.len() - 1].x1;
        assert!(
            left >= COLUMN_LEFT - 0.5 && right <= COLUMN_RIGHT + 0.5,
            "{line:?}"
        );
        match paragraph_of {
            'L' => assert!(
                (left - COLUMN_LEFT).abs() < 1.0,
                "left line at {left}: {line:?}"
            ),
            'R' => assert!(
                (right - COLUMN_RIGHT).abs() < 1.0,
                "right-aligned line ends at {right}, not {COLUMN_RIGHT}: {line:?}"
            ),
            'C' => {
                let middle = (left + right) / 2.0;
                assert!(
                    (middle - (COLUMN_LEFT + COLUMN_RIGHT) / 2.0).abs() < 1.0,
                    "centred line's middle at {middle}: {line:?}"
                );
            }
            _ => panic!("a line before the first paragraph: {line:?}"),
        }
        seen.push(paragraph_of);
    }
    for marker in ['L', 'R', 'C'] {
        let n = seen.iter().filter(|m| **m == marker).count();
        assert!(n >= 3, "paragraph {marker} has {n} lines (want several)");
    }
    // The same document as markup gives the same file.
    let markup = format!(
        "<document size=\"10\">{NARROW_PAGE}<p align=\"left\">L {text}</p>\
         <p align=\"right\">R {text}</p><p align=\"center\">C {text}</p></document>"
    );
    let from_markup = render_pdf(&state, &markup_job(&markup), "alignment markup").await;
    assert!(
        from_markup.bytes == pdf.bytes,
        "markup and the JSON model give different PDFs for the same document"
    );
}

#[tokio::test]
async fn page_break_starts_a_new_page() {
    let state = pdf_state();
    let pdf = render_pdf(
        &state,
        &markup_job(
            "<document><p>Before the break</p><page-break/><p>After the break</p></document>",
        ),
        "page-break",
    )
    .await;
    assert_eq!(pdf.pages(), 2);
    let (one, two) = (normalise(&pdf.page_text(1)), normalise(&pdf.page_text(2)));
    assert_eq!(one, "Before the break");
    assert_eq!(two, "After the break");
}

#[tokio::test]
async fn table_header_rows_repeat_on_every_page() {
    let state = pdf_state();
    let rows: String = (1..=200)
        .map(|i| format!("<tr><td>Row {i:03}</td><td>{}</td></tr>", i * 7))
        .collect();
    let markup = format!(
        "<document><page size=\"A5\"/><table columns=\"* *\" header-rows=\"1\">\
         <tr><td>Name</td><td>Quantity</td></tr>{rows}</table></document>"
    );
    let pdf = render_pdf(&state, &markup_job(&markup), "table").await;
    let pages = pdf.words();
    assert!(pages.len() >= 4, "200 rows on {} A5 pages", pages.len());
    let mut rows_seen = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let names: Vec<&Word> = page.words.iter().filter(|w| w.text == "Name").collect();
        let quantities: Vec<&Word> = page.words.iter().filter(|w| w.text == "Quantity").collect();
        assert_eq!(
            (names.len(), quantities.len()),
            (1, 1),
            "page {}: header once",
            i + 1
        );
        let top = page.words.iter().map(|w| w.y0).fold(f32::MAX, f32::min);
        assert!(
            (names[0].y0 - top).abs() < 0.5,
            "page {}: the header is the first row",
            i + 1
        );
        for line in lines_of(&page.words) {
            if line[0].text == "Row" {
                let n: usize = line[1].text.parse().expect("row number");
                assert_eq!(
                    line.get(2).map(|w| w.text.clone()),
                    Some((n * 7).to_string()),
                    "row {n} keeps its cells together"
                );
                rows_seen.push(n);
            }
        }
    }
    assert_eq!(
        rows_seen,
        (1..=200).collect::<Vec<_>>(),
        "every row once, in order"
    );
    assert_words_inside(&pages, page_margins(&markup_job(&markup), "table"), "table");
}

#[tokio::test]
async fn keep_with_next_moves_a_heading_to_its_paragraph_on_the_next_page() {
    let state = pdf_state();
    // A 260 pt tall body; a spacer pushes the heading toward the bottom.
    let doc = |spacer: u32, keep: &str| {
        markup_job(&format!(
            "<document><page size=\"300 300\" margin=\"20\"/><spacer height=\"{spacer}\"/>\
             <h2{keep}>Heading</h2><p>Body line</p></document>"
        ))
    };
    let page_of = |pages: &[PageWords], text: &str| -> usize {
        pages
            .iter()
            .position(|p| p.words.iter().any(|w| w.text == text))
            .unwrap_or_else(|| panic!("{text} not found"))
            + 1
    };
    let mut moved = 0;
    for spacer in (160..=256).step_by(4) {
        let kept = render_pdf(&state, &doc(spacer, ""), "keep").await.words();
        let (h, b) = (page_of(&kept, "Heading"), page_of(&kept, "Body"));
        assert_eq!(
            h, b,
            "spacer {spacer}: the heading is apart from its paragraph"
        );
        let free = render_pdf(&state, &doc(spacer, " keep-with-next=\"false\""), "no keep")
            .await
            .words();
        let (fh, fb) = (page_of(&free, "Heading"), page_of(&free, "Body"));
        if fh == 1 && fb == 2 {
            // The heading fits on page 1 by itself: keep-with-next moved it.
            assert_eq!(h, 2, "spacer {spacer}: the heading stayed behind");
            moved += 1;
        }
    }
    assert!(
        moved > 0,
        "no spacer height left room for the heading alone"
    );
}

// ---------------------------------------------------------------------------
// 6. Bad input

fn assert_problem(reply: &Reply, what: &str) -> Value {
    assert!(
        reply.status.is_client_error(),
        "{what}: status {}: {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.header("content-type"),
        "application/problem+json",
        "{what}"
    );
    let body = reply.json();
    assert_eq!(body["status"], reply.status.as_u16(), "{what}: {body}");
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://")),
        "{what}: {body}"
    );
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{what}: {body}"
    );
    body
}

/// The first entry of a 422's `errors`.
fn first_error(body: &Value, what: &str) -> Value {
    body["errors"]
        .as_array()
        .and_then(|e| e.first())
        .cloned()
        .unwrap_or_else(|| panic!("{what}: no errors[]: {body}"))
}

/// Sends `request` and requires the answer within 5 seconds (waiting at
/// most 30 s for it, so a runaway job fails the test instead of hanging it).
async fn send_bounded(state: &Arc<AppState>, request: Request<Body>, what: &str) -> Reply {
    let start = std::time::Instant::now();
    let reply = tokio::time::timeout(Duration::from_secs(30), send(state, request))
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within 30 s"));
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "{what}: the answer took {took:.2?} (more than 5 s): {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    reply
}

/// The service still renders the invoice after a bad job.
async fn assert_still_renders(state: &Arc<AppState>, after: &str) {
    let pdf = render_pdf(state, &sample("pdf-invoice.json"), after).await;
    assert!(
        pdf.text().contains("INV-2026-0042"),
        "after {after}: the invoice renders wrong"
    );
}

/// A markup problem: 422 with an error at `/template_source` on one of
/// `lines`, with a column; returns that error.
async fn assert_markup_problem(
    state: &Arc<AppState>,
    markup: &str,
    lines: &[u64],
    what: &str,
) -> Value {
    let job = markup_job(markup).to_string();
    let reply = send_bounded(state, post_json("/v1/render", job), what).await;
    let body = assert_problem(&reply, what);
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {body}"
    );
    let error = first_error(&body, what);
    assert_eq!(error["pointer"], "/template_source", "{what}: {body}");
    assert!(
        error["line"].as_u64().is_some_and(|l| lines.contains(&l)),
        "{what}: want line {lines:?}: {body}"
    );
    assert!(
        error["column"].as_u64().is_some_and(|c| c >= 1),
        "{what}: want a column: {body}"
    );
    error
}

fn message(error: &Value) -> String {
    error["message"].as_str().unwrap_or("").to_lowercase()
}

/// Markup nested `depth` elements deep (the root included), one element per
/// line.
fn deep_markup(depth: usize) -> String {
    let mut s = String::from("<document>\n<p>\n");
    for _ in 2..depth {
        s.push_str("<span>\n");
    }
    s.push('x');
    for _ in 2..depth {
        s.push_str("</span>");
    }
    s.push_str("</p></document>");
    s
}

/// A JSON document nested `depth` elements deep, written as text (a
/// `serde_json::Value` that deep could not even be dropped safely).
fn deep_document_job(depth: usize) -> String {
    let mut s = String::from(r#"{"format":"pdf","document":{"content":[{"type":"p","children":["#);
    for _ in 1..depth {
        s.push_str(r#"{"type":"span","children":["#);
    }
    s.push_str(r#""x""#);
    for _ in 1..depth {
        s.push_str("]}");
    }
    s.push_str("]}]}}");
    s
}

#[tokio::test]
async fn bad_documents_are_refused_with_their_location_in_bounded_time() {
    let state = pdf_state();

    let e = assert_markup_problem(
        &state,
        "<document>\n  <p>unclosed\n</document>",
        &[2, 3],
        "unclosed tag",
    )
    .await;
    assert!(
        message(&e).contains("<p>") || message(&e).contains("closed"),
        "{e}"
    );
    assert_still_renders(&state, "unclosed tag").await;

    let e = assert_markup_problem(
        &state,
        "<document>\n  <blink>x</blink>\n</document>",
        &[2],
        "unknown element",
    )
    .await;
    assert_eq!(e["column"], 3, "{e}");
    assert!(message(&e).contains("blink"), "{e}");
    assert_still_renders(&state, "unknown element").await;

    let e = assert_markup_problem(
        &state,
        "<document>\n  <p colour=\"red\">x</p>\n</document>",
        &[2],
        "unknown attribute",
    )
    .await;
    assert_eq!(e["column"], 6, "{e}");
    assert!(message(&e).contains("colour"), "{e}");
    assert_still_renders(&state, "unknown attribute").await;

    let forever = "<document>\n{% for i in range(100000000) %}{% for j in range(1000) %}x{% endfor %}{% endfor %}\n</document>";
    assert_markup_problem(&state, forever, &[2], "huge loop").await;
    assert_still_renders(&state, "huge loop").await;

    // 100,000 levels; the 101st element (line 101) is one too deep.
    let e = assert_markup_problem(&state, &deep_markup(100_000), &[101], "deep markup").await;
    assert!(message(&e).contains("nested"), "{e}");
    assert_still_renders(&state, "deep markup").await;

    let what = "deep JSON document";
    let reply = send_bounded(
        &state,
        post_json("/v1/render", deep_document_job(100_000)),
        what,
    )
    .await;
    let body = assert_problem(&reply, what);
    assert!(
        matches!(reply.status.as_u16(), 400 | 422),
        "{what}: {}: {body}",
        reply.status
    );
    assert_still_renders(&state, what).await;
    let not_png = "dGhpcyBpcyBub3QgYSBwbmcgaW1hZ2UgYXQgYWxs"; // "this is not a png image at all"
    let e = assert_markup_problem(
        &state,
        &format!(
            "<document>\n<p>Logo:</p>\n<img src=\"data:image/png;base64,{not_png}\"/>\n</document>"
        ),
        &[3],
        "img bytes not an image",
    )
    .await;
    assert!(
        message(&e).contains("png") || message(&e).contains("image"),
        "{e}"
    );
    let what = "JSON img bytes not an image";
    let job = json!({"format": "pdf", "document": {"content": [
        {"type": "p", "text": "Logo:"},
        {"type": "img", "src": format!("data:image/png;base64,{not_png}")}]}});
    let reply = send_bounded(&state, post_json("/v1/render", job.to_string()), what).await;
    let body = assert_problem(&reply, what);
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {body}"
    );
    assert_eq!(
        reply.pointers(),
        ["/document/content/1/src"],
        "{what}: {body}"
    );
    assert_still_renders(&state, "img bytes not an image").await;

    let e = assert_markup_problem(
        &state,
        "<document>\n<img src=\"file:logo\"/>\n</document>",
        &[2],
        "missing file",
    )
    .await;
    assert!(message(&e).contains("logo"), "{e}");
    assert_still_renders(&state, "missing file").await;

    let mut laughs =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE document [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        laughs.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    laughs.push_str("]>\n<document><p>&lol9;</p></document>");
    let e = assert_markup_problem(&state, &laughs, &[2], "billion laughs").await;
    assert!(message(&e).contains("doctype"), "{e}");
    assert_still_renders(&state, "billion laughs").await;

    let what = "missing data value";
    let job = json!({"format": "pdf", "template_source": "<document>\n<p>Total: {{ invoice.totl }}</p>\n</document>",
                     "data": {"invoice": {"total": 12}}});
    let reply = send_bounded(&state, post_json("/v1/render", job.to_string()), what).await;
    let body = assert_problem(&reply, what);
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {body}"
    );
    assert_eq!(reply.pointers(), ["/data/invoice/totl"], "{what}: {body}");
    assert_eq!(first_error(&body, what)["line"], 2, "{what}: {body}");
    assert_still_renders(&state, what).await;

    let what = "unknown template";
    let job = json!({"format": "pdf", "template": "no-such-template", "data": {}});
    let reply = send_bounded(&state, post_json("/v1/render", job.to_string()), what).await;
    let body = assert_problem(&reply, what);
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{what}: {body}");
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/unknown-template")),
        "{body}"
    );
    assert_still_renders(&state, what).await;

    let what = "template and document";
    let job = json!({"format": "pdf", "template": "invoice", "document": {"content": []}});
    let reply = send_bounded(&state, post_json("/v1/render", job.to_string()), what).await;
    let body = assert_problem(&reply, what);
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {body}"
    );
    assert!(
        reply.pointers().contains(&"/document".to_owned()),
        "{what}: {body}"
    );
    assert_still_renders(&state, what).await;

    // Last, because it is the slowest: a loop that never ends by itself is
    // stopped by the template engine's fuel limit.
    let spin = "<document>\n{% set ns = namespace(n=0) %}{% for i in range(100000) %}{% for j in range(100000) %}\
                {% set ns.n = ns.n + 1 %}{% endfor %}{% endfor %}{{ ns.n }}\n</document>";
    let e = assert_markup_problem(&state, spin, &[2], "endless loop").await;
    assert!(message(&e).contains("fuel"), "the fuel limit stops it: {e}");
    assert_still_renders(&state, "endless loop").await;
}

// ---------------------------------------------------------------------------
// 7. Multipart uploads

/// A small RGB PNG (a gradient), encoded by the `image` crate.
fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Png)
        .expect("encode the PNG");
    bytes.into_inner()
}

fn logo_job() -> Value {
    markup_job(
        "<document>\n<p>Our logo:</p>\n<img src=\"file:logo\" width=\"74\"/>\n<p>Done.</p>\n</document>",
    )
}

fn assert_one_image(pdf: &Pdf, width: u32, height: u32, what: &str) {
    let images = pdf.images();
    assert_eq!(images.len(), 1, "{what}: {images:?}");
    let img = &images[0];
    assert_eq!(
        (img.page, img.kind.as_str(), img.width, img.height),
        (1, "image", width, height),
        "{what}: {images:?}"
    );
}

#[tokio::test]
async fn multipart_file_parts_are_the_documents_images() {
    let state = pdf_state();
    let boundary = "XdocsmithPdfBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"job\"\r\nContent-Type: application/json\r\n\r\n{}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\n",
        logo_job()
    )
    .into_bytes();
    body.extend_from_slice(&png(37, 23));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post("/v1/render")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    let reply = send(&state, request).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("content-type"), "application/pdf");
    let pdf = Pdf::new(reply.body, "multipart");
    pdf.assert_qpdf_clean("multipart");
    assert_one_image(&pdf, 37, 23, "multipart");
    assert_eq!(normalise(&pdf.text()), "Our logo: Done.");
}

// ---------------------------------------------------------------------------
// 8. The command line

#[test]
fn cli_renders_the_invoice_and_reads_file_arguments() {
    let dir = Scratch::new("cli");
    let out = dir.path("OUT.pdf");
    let job_path = repo_path("samples/pdf-invoice.json");
    let run = docsmith(&["render", utf8(&job_path), "-o", utf8(&out)], None);
    assert!(
        run.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let pdf = Pdf::new(std::fs::read(&out).expect("OUT.pdf written"), "cli invoice");
    pdf.assert_qpdf_clean("cli invoice");
    let job = sample("pdf-invoice.json");
    let totals = invoice_totals(job["data"]["items"].as_array().expect("items"));
    let text = normalise(&pdf.text());
    assert!(text.contains("INV-2026-0042"), "{text}");
    assert!(
        text.contains(&format!("Total due {}", de_eur(totals.gross))),
        "{text}"
    );

    let logo = dir.path("logo.png");
    std::fs::write(&logo, png(41, 19)).expect("write the logo");
    let job_file = dir.path("job.json");
    std::fs::write(&job_file, logo_job().to_string()).expect("write the job");
    let with_logo = dir.path("logo.pdf");
    let file_arg = format!("logo={}", utf8(&logo));
    let run = docsmith(
        &[
            "render",
            utf8(&job_file),
            "--file",
            &file_arg,
            "-o",
            utf8(&with_logo),
        ],
        None,
    );
    assert!(
        run.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let pdf = Pdf::new(
        std::fs::read(&with_logo).expect("logo.pdf written"),
        "cli logo",
    );
    assert_one_image(&pdf, 41, 19, "cli --file");

    // Without the file: exit 2, the problem names it, no output.
    let missing = dir.path("missing.pdf");
    let run = docsmith(&["render", utf8(&job_file), "-o", utf8(&missing)], None);
    assert_eq!(
        run.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stderr).contains("logo"));
    assert!(!missing.exists());
}

// ---------------------------------------------------------------------------
// Unicode

fn is_rtl(c: char) -> bool {
    matches!(u32::from(c), 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF)
}

fn is_arabic(c: char) -> bool {
    matches!(u32::from(c), 0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF)
}

fn is_hebrew(c: char) -> bool {
    matches!(u32::from(c), 0x0590..=0x05FF | 0xFB1D..=0xFB4F)
}

fn is_cjk(c: char) -> bool {
    matches!(u32::from(c), 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

#[tokio::test]
async fn unicode_invoice_text_extracts_and_its_fallback_fonts_are_embedded() {
    let name = "pdf-invoice-unicode.json";
    if !repo_path(&format!("samples/{name}")).exists() {
        eprintln!("samples/{name} does not exist yet: nothing to check");
        return;
    }
    let state = pdf_state();
    let job = sample(name);
    let data = &job["data"];
    let pdf = render_pdf(&state, &job, name).await;
    let text = normalise(&pdf.text());

    let mut expected: Vec<String> = data["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["description"].as_str().expect("description").to_owned())
        .collect();
    for party in ["seller", "buyer"] {
        expected.push(data[party]["name"].as_str().expect("name").to_owned());
    }
    let mut missing = Vec::new();
    let mut orders = Vec::new();
    for s in &expected {
        let logical = normalise(s);
        if text.contains(&logical) {
            if logical.chars().any(is_rtl) {
                orders.push(format!("{logical:?}: logical order"));
            }
            continue;
        }
        let reversed: String = logical.chars().rev().collect();
        if logical.chars().any(is_rtl) && text.contains(&reversed) {
            orders.push(format!("{logical:?}: reversed order"));
            continue;
        }
        missing.push(logical);
    }
    eprintln!(
        "{name}: right-to-left strings as poppler extracts them:\n{}",
        orders.join("\n")
    );
    assert!(
        missing.is_empty(),
        "{name}: not in the extracted text: {missing:?}\ntext: {text}"
    );

    let all: String = expected.concat();
    let fonts = pdf.fonts();
    for f in &fonts {
        assert_eq!(f.emb, "yes", "{name}: {f:?}");
    }
    for (family, needed) in [
        ("NotoSansArabic", all.chars().any(is_arabic)),
        ("NotoSansHebrew", all.chars().any(is_hebrew)),
        ("DroidSansFallback", all.chars().any(is_cjk)),
    ] {
        if needed {
            assert!(
                fonts.iter().any(|f| f.name.contains(family)),
                "{name}: no embedded {family} font: {fonts:?}"
            );
        }
    }
}

#[tokio::test]
async fn templates_are_listed_with_sample_data_that_renders() {
    let state = pdf_state();
    let reply = send(&state, get("/v1/templates")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let list = reply.json();
    let names: Vec<&str> = list["templates"]
        .as_array()
        .expect("templates array")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or(""))
        .collect();
    for name in ["invoice", "letter", "report"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
        let reply = send(&state, get(&format!("/v1/templates/{name}"))).await;
        assert_eq!(reply.status, StatusCode::OK, "{name}");
        let info = reply.json();
        assert!(
            !info["description"].as_str().unwrap_or("").is_empty(),
            "{name} has a description"
        );
        assert_eq!(info["formats"], json!(["pdf", "docx"]), "{name}");
        let data = info["sample_data"].clone();
        assert!(data.is_object(), "{name} has sample data");
        // The sample data renders as is.
        let job = json!({"format": "pdf", "template": name, "data": data});
        let pdf = render_pdf(&state, &job, name).await;
        assert!(pdf.bytes.starts_with(b"%PDF-"), "{name}");
    }
    let reply = send(&state, get("/v1/templates/nope")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.header("content-type"), "application/problem+json");
}

#[tokio::test]
async fn an_unknown_font_family_is_refused_with_the_loaded_ones() {
    let state = pdf_state();
    let job = markup_job("<document>\n<p font=\"Comic Sans\">x</p>\n</document>");
    let reply = send(&state, post_json("/v1/render", job.to_string())).await;
    let problem = assert_problem(&reply, "unknown font");
    let error = &problem["errors"][0];
    assert_eq!(error["line"], 2, "{problem}");
    let message = error["message"].as_str().unwrap_or("");
    assert!(message.contains("Noto Sans"), "{message}");
    // A loaded family, named in any case, is fine.
    let job = markup_job("<document><p font=\"noto sans arabic\">مرحبا</p></document>");
    render_pdf(&state, &job, "known font").await;
}
