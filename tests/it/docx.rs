//! DOCX generator: the PDF samples and small documents rendered with
//! `"format": "docx"` through the service, read back from the package's
//! XML parts (the way Word reads them) and checked for real Word structures:
//! heading styles, runs, numbering, tables with repeated header rows,
//! fields, pictures and document properties. Expected text comes from the
//! job data, never from an output.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::sync::Arc;

use axum::http::StatusCode;
use docsmith::http::AppState;
use serde_json::{Value, json};

use crate::support::*;

const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// A DOCX package: every part by name.
struct Docx {
    parts: BTreeMap<String, Vec<u8>>,
}

impl Docx {
    fn new(bytes: &[u8], what: &str) -> Docx {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
            .unwrap_or_else(|e| panic!("{what}: not a ZIP package: {e}"));
        let mut parts = BTreeMap::new();
        for i in 0..zip.len() {
            let mut file = zip.by_index(i).expect("entry");
            let mut data = Vec::new();
            file.read_to_end(&mut data).expect("entry readable");
            let name = file.name().expect("entry name").to_string();
            parts.insert(name, data);
        }
        for required in [
            "[Content_Types].xml",
            "_rels/.rels",
            "word/document.xml",
            "word/styles.xml",
            "word/_rels/document.xml.rels",
            "docProps/core.xml",
        ] {
            assert!(parts.contains_key(required), "{what}: no {required}");
        }
        Docx { parts }
    }

    fn xml(&self, name: &str) -> String {
        let bytes = self.parts.get(name).unwrap_or_else(|| panic!("no {name}"));
        let text = String::from_utf8(bytes.clone()).expect("UTF-8 XML");
        // Every part is well-formed XML.
        let mut reader = quick_xml::Reader::from_str(&text);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{name} is not well-formed: {e}"),
            }
        }
        text
    }

    fn document(&self) -> String {
        self.xml("word/document.xml")
    }

    /// The text of every `<w:t>` of a part, paragraphs separated by
    /// newlines.
    fn text(&self, name: &str) -> String {
        let xml = self.xml(name);
        let mut out = String::new();
        let mut rest = xml.as_str();
        while let Some(at) = rest.find('<') {
            rest = &rest[at..];
            let end = rest.find('>').expect("tag ends");
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            if tag == "/w:p" {
                out.push('\n');
            } else if (tag == "w:t" || tag.starts_with("w:t ")) && !tag.ends_with('/') {
                let close = rest.find("</w:t>").expect("w:t closes");
                out.push_str(
                    &rest[..close]
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\"")
                        .replace("&apos;", "'")
                        .replace("&amp;", "&"),
                );
                rest = &rest[close..];
            }
        }
        out
    }

    fn count(&self, name: &str, needle: &str) -> usize {
        self.xml(name).matches(needle).count()
    }
}

fn docx_job(mut job: Value) -> Value {
    job["format"] = json!("docx");
    if let Some(name) = job.get("filename").and_then(Value::as_str) {
        job["filename"] = json!(name.replace(".pdf", ".docx"));
    }
    job
}

async fn render_docx(state: &Arc<AppState>, job: &Value, what: &str) -> (Vec<u8>, Docx) {
    let reply = send(state, post_json("/v1/render", job.to_string())).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{what}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("content-type"), DOCX_TYPE, "{what}");
    let docx = Docx::new(&reply.body, what);
    (reply.body, docx)
}

#[tokio::test]
async fn invoice_sample_as_word() {
    let state = state_with(test_config());
    let job = docx_job(sample("pdf-invoice.json"));
    let (_, docx) = render_docx(&state, &job, "invoice").await;
    let text = docx.text("word/document.xml");
    let data = &job["data"];
    for item in data["items"].as_array().expect("items") {
        let description = item["description"].as_str().expect("description");
        assert!(text.contains(description), "missing {description:?}");
    }
    assert!(text.contains(data["invoice"]["number"].as_str().expect("number")));
    assert!(text.contains("Total due"), "{text}");
    // The item table repeats its header row and marks it as such.
    let doc = docx.document();
    assert!(doc.contains("<w:tblHeader />"), "no repeated header row");
    assert!(
        !doc.contains(r#"w:hRule="auto""#),
        "placeholder row height left"
    );
    assert!(doc.contains("<w:gridCol"), "tables have a grid");
    // The footer numbers its pages with fields.
    let footer = docx.xml("word/footer1.xml");
    assert!(footer.contains("PAGE"), "{footer}");
    assert!(footer.contains("NUMPAGES"), "{footer}");
    assert!(footer.contains(r#"w:fldCharType="begin""#));
    // The payment QR code is a PNG picture of the size the job gives it.
    let media: Vec<_> = docx
        .parts
        .iter()
        .filter(|(name, _)| name.starts_with("word/media/"))
        .collect();
    assert_eq!(media.len(), 1, "one picture: the QR code");
    let (name, png) = media[0];
    assert!(name.ends_with(".png"), "{name}");
    let img = image::load_from_memory(png).expect("the QR picture decodes");
    assert_eq!(img.width(), img.height());
    // A scanner reads the payment from the picture.
    let path = std::env::temp_dir().join(format!("docsmith-docx-qr-{}.png", std::process::id()));
    std::fs::write(&path, png).expect("write QR picture");
    let scan = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&path)
        .output()
        .expect("zbarimg runs (Debian zbar-tools; .ci/run installs it)");
    std::fs::remove_file(&path).ok();
    let payload = String::from_utf8_lossy(&scan.stdout);
    assert!(
        payload.starts_with("BCD\n002\n"),
        "EPC payload: {payload:?}"
    );
    let iban = data["payment"]["iban"]
        .as_str()
        .expect("iban")
        .replace(' ', "");
    assert!(payload.contains(&iban), "{payload:?} has {iban}");
    let rels = docx.xml("word/_rels/document.xml.rels");
    assert!(rels.contains(name.trim_start_matches("word/")), "{rels}");
    let qr_size = 88.0; // the invoice template's <qr size="88">
    let extent = format!(r#"cx="{}""#, (qr_size * 12_700.0) as u32);
    assert!(doc.contains(&extent), "QR drawn at {qr_size} pt");
    // Document properties.
    let core = docx.xml("docProps/core.xml");
    assert!(core.contains("<dc:title>"), "{core}");
}

#[tokio::test]
async fn report_sample_uses_word_structures() {
    let state = state_with(test_config());
    let job = docx_job(sample("pdf-report.json"));
    let (_, docx) = render_docx(&state, &job, "report").await;
    let doc = docx.document();
    assert!(
        doc.contains(r#"<w:pStyle w:val="Heading1" />"#),
        "headings use Heading1"
    );
    let styles = docx.xml("word/styles.xml");
    assert!(styles.contains(r#"w:styleId="Heading1""#));
    assert!(styles.contains(r#"<w:name w:val="heading 1" />"#));
    assert!(styles.contains(r#"<w:outlineLvl w:val="0" />"#));
    // Widow and orphan control is on for the whole document.
    assert!(
        styles.contains("<w:pPrDefault><w:pPr><w:widowControl />"),
        "{styles}"
    );
    // Every transaction row is a table row; header rows are marked.
    let rows = job["data"]["transactions"]
        .as_array()
        .map_or(0, |a| a.len());
    assert!(rows > 0);
    assert!(docx.count("word/document.xml", "<w:tr>") >= rows);
    assert!(doc.contains("<w:tblHeader />"));
}

#[tokio::test]
async fn runs_lists_links_and_rtl_from_the_document_model() {
    let state = state_with(test_config());
    let job = json!({"format": "docx", "document": {
        "metadata": {"title": "Model", "author": "Tester", "keywords": ["a", "b"]},
        "styles": {"note": {"size": 8, "italic": true}},
        "content": [
            {"type": "h2", "text": "Second level"},
            {"type": "p", "children": [
                {"type": "b", "text": "bold"}, " and ",
                {"type": "i", "text": "italic"}, " and ",
                {"type": "u", "text": "under"}, " and ",
                {"type": "a", "href": "https://example.com/", "text": "a link"},
                {"type": "br"}, "after the break"
            ]},
            {"type": "ol", "start": 3, "children": [
                {"type": "li", "text": "three"},
                {"type": "li", "children": [
                    "four",
                    {"type": "ul", "children": [{"type": "li", "text": "nested"}]}
                ]}
            ]},
            {"type": "p", "style": "note", "text": "a note"},
            {"type": "p", "text": "שלום עולם"},
            {"type": "page-break"},
            {"type": "p", "text": "last"}
        ]
    }});
    let (bytes, docx) = render_docx(&state, &job, "model").await;
    let doc = docx.document();
    let text = docx.text("word/document.xml");
    for want in [
        "bold",
        "italic",
        "under",
        "a link",
        "after the break",
        "three",
        "nested",
        "a note",
        "שלום עולם",
        "last",
    ] {
        assert!(text.contains(want), "missing {want:?} in {text}");
    }
    assert!(doc.contains(r#"<w:pStyle w:val="Heading2" />"#));
    assert!(doc.contains("<w:b />"), "bold run");
    assert!(doc.contains("<w:i />"), "italic run");
    assert!(doc.contains(r#"<w:u w:val="single" />"#), "underlined run");
    assert!(
        doc.contains(r#"<w:br w:type="textWrapping" />"#),
        "line break"
    );
    assert!(doc.contains(r#"<w:br w:type="page" />"#), "page break");
    assert!(doc.contains("<w:hyperlink"), "hyperlink");
    let rels = docx.xml("word/_rels/document.xml.rels");
    assert!(rels.contains("https://example.com/"), "{rels}");
    assert!(rels.contains(r#"TargetMode="External""#), "{rels}");
    // Lists: numbered paragraphs, the nested item one level deeper.
    assert!(doc.contains(r#"<w:ilvl w:val="0" />"#));
    assert!(doc.contains(r#"<w:ilvl w:val="1" />"#), "nested list level");
    let numbering = docx.xml("word/numbering.xml");
    assert!(numbering.contains(r#"<w:numFmt w:val="decimal" />"#));
    assert!(numbering.contains(r#"<w:numFmt w:val="bullet" />"#));
    assert!(
        numbering.contains(r#"<w:startOverride w:val="3" />"#),
        "{numbering}"
    );
    // The named style is a Word style the paragraph refers to.
    let styles = docx.xml("word/styles.xml");
    assert!(styles.contains(r#"w:styleId="dsnote""#), "{styles}");
    assert!(doc.contains(r#"<w:pStyle w:val="dsnote" />"#));
    // Right-to-left paragraph.
    assert!(doc.contains("<w:bidi"), "Hebrew paragraph is bidi");
    // Properties.
    let core = docx.xml("docProps/core.xml");
    assert!(core.contains("<dc:title>Model</dc:title>"), "{core}");
    assert!(core.contains("<dc:creator>Tester</dc:creator>"), "{core}");
    assert!(core.contains("<cp:keywords>a, b</cp:keywords>"), "{core}");

    // Same job, same bytes.
    let (again, _) = render_docx(&state, &job, "model again").await;
    assert!(bytes == again, "DOCX output is not deterministic");
}

#[tokio::test]
async fn unicode_invoice_keeps_its_text() {
    let state = state_with(test_config());
    let job = docx_job(sample("pdf-invoice-unicode.json"));
    let (_, docx) = render_docx(&state, &job, "unicode invoice").await;
    let text = docx.text("word/document.xml");
    for item in job["data"]["items"].as_array().expect("items") {
        let description = item["description"].as_str().expect("description");
        assert!(text.contains(description), "missing {description:?}");
    }
    let buyer = job["data"]["buyer"]["name"].as_str().expect("buyer");
    assert!(text.contains(buyer), "missing {buyer:?}");
    assert!(
        docx.document().contains("<w:bidi"),
        "Arabic and Hebrew lines are bidi"
    );
}

#[tokio::test]
async fn bad_input_is_refused_as_for_pdf() {
    let state = state_with(test_config());
    for source in [
        "<document>\n  <p>unclosed\n</document>",
        "<document>\n  <blink>x</blink>\n</document>",
        "<document><p colour=\"red\">x</p></document>",
    ] {
        let mut answers = Vec::new();
        for format in ["pdf", "docx"] {
            let job = json!({"format": format, "template_source": source});
            let reply = send(&state, post_json("/v1/render", job.to_string())).await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{format} {source}"
            );
            assert_eq!(reply.header("content-type"), "application/problem+json");
            answers.push(reply.json()["errors"].clone());
        }
        assert_eq!(answers[0], answers[1], "same errors for {source:?}");
    }
}

#[tokio::test]
async fn images_are_embedded_in_their_own_format_at_their_size() {
    let state = state_with(test_config());
    let mut png = Vec::new();
    image::RgbImage::from_pixel(64, 32, image::Rgb([200, 30, 30]))
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let mut jpeg = Vec::new();
    image::RgbImage::from_pixel(40, 40, image::Rgb([30, 30, 200]))
        .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .expect("jpeg");
    let job = json!({"format": "docx", "document": {"content": [
        {"type": "img", "src": format!("data:image/png;base64,{}", base64(&png)), "width": 128},
        {"type": "img", "src": format!("data:image/jpeg;base64,{}", base64(&jpeg)), "width": 60}
    ]}});
    let (_, docx) = render_docx(&state, &job, "images").await;
    let media: BTreeMap<&String, &Vec<u8>> = docx
        .parts
        .iter()
        .filter(|(name, _)| name.starts_with("word/media/"))
        .collect();
    assert_eq!(media.len(), 2, "{:?}", media.keys());
    let png_part = media
        .iter()
        .find(|(n, _)| n.ends_with(".png"))
        .expect("png part");
    let jpeg_part = media
        .iter()
        .find(|(n, _)| n.ends_with(".jpeg"))
        .expect("jpeg part");
    assert_eq!(**png_part.1, png, "PNG embedded as given");
    assert_eq!(
        **jpeg_part.1, jpeg,
        "JPEG embedded as given, not re-encoded"
    );
    let types = docx.xml("[Content_Types].xml");
    assert!(types.contains(r#"Extension="jpeg""#), "{types}");
    let rels = docx.xml("word/_rels/document.xml.rels");
    for name in [png_part.0, jpeg_part.0] {
        assert!(rels.contains(name.trim_start_matches("word/")), "{rels}");
    }
    // 128 pt wide keeps the 2:1 aspect; 60 pt square.
    let doc = docx.document();
    assert!(
        doc.contains(&format!(r#"cx="{}" cy="{}""#, 128 * 12_700, 64 * 12_700)),
        "{doc}"
    );
    assert!(doc.contains(&format!(r#"cx="{}" cy="{}""#, 60 * 12_700, 60 * 12_700)));
}
