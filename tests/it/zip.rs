//! Zip jobs, read back the way consumers read archives: Info-ZIP's `unzip`,
//! Python's `zipfile`, the zip crate, then each entry with its own reader
//! (qpdf and pdftotext for PDFs, calamine for XLSX, the image crate).

use std::io::{Cursor, Read};
use std::path::Path;
use std::process::{Command, Output};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use docsmith::http::ServiceConfig;
use docsmith::templates::Catalog;
use serde_json::{Value, json};
use zip::CompressionMethod;

use crate::support::*;

// ---------------------------------------------------------------------------
// Jobs

/// The invoice sample's data, numbered `number`.
fn invoice(number: &str) -> Value {
    let mut data = sample("pdf-invoice.json")["data"].clone();
    data["invoice"]["number"] = json!(number);
    data
}

/// Invoice data whose template render fails (`cannot round value (string)`).
fn bad_invoice(number: &str) -> Value {
    let mut data = invoice(number);
    data["items"][0]["unit_price"] = json!("lots");
    data
}

fn invoice_number(i: usize) -> String {
    format!("INV-2026-{:04}", 1000 + i)
}

/// A batch of `count` invoices at `invoices/NUMBER.pdf`; item `bad` fails.
fn invoice_batch(count: usize, bad: Option<usize>) -> Value {
    let items: Vec<Value> = (0..count)
        .map(|i| {
            if Some(i) == bad {
                bad_invoice(&invoice_number(i))
            } else {
                invoice(&invoice_number(i))
            }
        })
        .collect();
    json!({
        "path": "invoices/{{ invoice.number }}.pdf",
        "job": {"format": "pdf", "template": "invoice"},
        "items": items,
    })
}

/// A small PDF template: renders fast, shows `name`.
fn small_pdf_job() -> Value {
    json!({"format": "pdf", "template_source": "<document><p>Name: {{ name }}</p></document>"})
}

fn text_entries(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| json!({"path": format!("t/{i}.txt"), "text": format!("text {i}")}))
        .collect()
}

// ---------------------------------------------------------------------------
// HTTP

/// `POST path` as multipart: a `job` part and one part per file.
fn multipart(path: &str, job: &Value, files: &[(&str, &[u8])]) -> Request<Body> {
    let boundary = "docsmithZipBoundary7c1f";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"job\"\r\n\
             Content-Type: application/json\r\n\r\n{job}\r\n"
        )
        .as_bytes(),
    );
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.bin\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::post(path)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request")
}

fn render_json(job: &Value) -> Request<Body> {
    post_json("/v1/render", job.to_string())
}

fn assert_zip_reply(reply: &Reply) {
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("content-type"), "application/zip");
    // Streamed: a buffering proxy is told not to hold it back.
    assert_eq!(reply.header("x-accel-buffering"), "no");
}

/// A problem answered before any byte of an archive.
fn assert_problem_first(reply: &Reply, status: u16) {
    assert_problem(reply, status);
    assert!(
        !reply.body.starts_with(b"PK"),
        "a problem, not part of an archive"
    );
}

fn sorted(mut pointers: Vec<String>) -> Vec<String> {
    pointers.sort();
    pointers
}

// ---------------------------------------------------------------------------
// Reading archives

/// Python's view of an archive: testzip(), names, and the distinct dates.
const PY_ZIP: &str = "import sys, json, zipfile\n\
with zipfile.ZipFile(sys.argv[1]) as z:\n\
\x20   infos = z.infolist()\n\
\x20   bad = z.testzip()\n\
\x20   print(json.dumps({'bad': bad, 'names': [i.filename for i in infos],\n\
\x20       'dates': sorted({i.date_time for i in infos})}))\n";

/// Runs Python's zipfile over `path`: its report, or why it refused.
fn python_zip(path: &Path) -> Result<Value, String> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(PY_ZIP)
        .arg(path)
        .output()
        .expect("python3 runs");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("python printed JSON"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `unzip -tq path`: whether every entry tests fine, and what it said.
fn unzip_test(path: &Path) -> (bool, String) {
    let out = Command::new("unzip")
        .arg("-tq")
        .arg(path)
        .output()
        .expect("unzip runs (Debian package unzip)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Entries of `bytes` in archive order, with their compression method.
fn read_entries(bytes: &[u8]) -> Vec<(String, CompressionMethod, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("the zip crate reads it");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("entry");
            let mut data = Vec::new();
            file.read_to_end(&mut data).expect("entry data");
            let name = file.name().expect("UTF-8 name").into_owned();
            (name, file.compression(), data)
        })
        .collect()
}

/// Checks `bytes` with unzip and Python, then reads it with the zip crate;
/// every reader must list the same entries in the same order.
fn check_archive(bytes: &[u8], label: &str) -> Vec<(String, CompressionMethod, Vec<u8>)> {
    let dir = temp_dir(label);
    let path = dir.join("archive.zip");
    std::fs::write(&path, bytes).expect("write archive");
    let (ok, said) = unzip_test(&path);
    assert!(ok, "{label}: unzip -t: {said}");
    let python = python_zip(&path).unwrap_or_else(|e| panic!("{label}: python zipfile: {e}"));
    assert_eq!(python["bad"], Value::Null, "{label}: testzip");
    let entries = read_entries(bytes);
    let names: Vec<&str> = entries.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(python["names"], json!(names), "{label}: python's names");
    assert_eq!(
        python["dates"],
        json!([[1980, 1, 1, 0, 0, 0]]),
        "{label}: every entry dated 1980-01-01 00:00"
    );
    let _ = std::fs::remove_dir_all(&dir);
    entries
}

fn names_of(entries: &[(String, CompressionMethod, Vec<u8>)]) -> Vec<&str> {
    entries.iter().map(|(n, _, _)| n.as_str()).collect()
}

fn entry<'a>(entries: &'a [(String, CompressionMethod, Vec<u8>)], name: &str) -> &'a [u8] {
    &entries
        .iter()
        .find(|(n, _, _)| n == name)
        .unwrap_or_else(|| panic!("no entry {name:?} in {:?}", names_of(entries)))
        .2
}

fn method_of(entries: &[(String, CompressionMethod, Vec<u8>)], name: &str) -> CompressionMethod {
    entries
        .iter()
        .find(|(n, _, _)| n == name)
        .unwrap_or_else(|| panic!("no entry {name:?}"))
        .1
}

/// Whether `bytes` are an archive that Python or unzip would accept.
fn any_tool_accepts(bytes: &[u8], label: &str) -> bool {
    let dir = temp_dir(label);
    let path = dir.join("partial.zip");
    std::fs::write(&path, bytes).expect("write");
    let python_ok = python_zip(&path).is_ok_and(|v| v["bad"].is_null());
    let (unzip_ok, _) = unzip_test(&path);
    let _ = std::fs::remove_dir_all(&dir);
    python_ok || unzip_ok
}

/// `qpdf --check` passes (exit 0: no errors, no warnings) and pdftotext's
/// text of the PDF.
fn check_pdf(bytes: &[u8], label: &str) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "{label}: not a PDF");
    let dir = temp_dir(&format!("pdf-{}", label.replace('/', "_")));
    let path = dir.join("doc.pdf");
    std::fs::write(&path, bytes).expect("write PDF");
    let qpdf = Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
        .expect("qpdf runs (Debian package qpdf)");
    assert!(
        qpdf.status.success(),
        "{label}: qpdf --check: {}{}",
        String::from_utf8_lossy(&qpdf.stdout),
        String::from_utf8_lossy(&qpdf.stderr)
    );
    let text = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian package poppler-utils)");
    assert!(text.status.success(), "{label}: pdftotext");
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&text.stdout).into_owned()
}

// ---------------------------------------------------------------------------
// CLI

fn stderr_of(run: &Output) -> String {
    String::from_utf8_lossy(&run.stderr).into_owned()
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The lines `docsmith: N/M entries, …` of a non-terminal stderr.
fn progress_lines(stderr: &str) -> Vec<(usize, usize)> {
    stderr
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("docsmith: ")?;
            let (counts, tail) = rest.split_once(' ')?;
            if !tail.starts_with("entries") {
                return None;
            }
            let (done, total) = counts.split_once('/')?;
            Some((done.parse().ok()?, total.parse().ok()?))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// 1. A mixed archive

#[tokio::test]
async fn a_mixed_archive_reads_back_entry_by_entry() {
    let state = state_with(test_config());
    let readme = "docsmith bundle\n".repeat(50) + "Ünïcødé: ✓ € 日本\n";
    let csv: Vec<u8> = (0..200)
        .flat_map(|i| format!("{i},row {i},{}.50\n", i * 3).into_bytes())
        .collect();
    let logo = png(48, 24);
    let photo = png(200, 100);
    let inline = b"bytes from a data URL\x00\x01\x02".to_vec();
    let xlsx_job = sample("xlsx-sales-report.json");
    let inner_pdf_job = sample("pdf-invoice.json");
    let batch = invoice_batch(5, None);
    let job = json!({
        "format": "zip",
        "filename": "bundle.zip",
        "entries": [
            {"path": "README.txt", "text": readme},
            {"path": "summary.xlsx", "job": xlsx_job},
            {"path": "logo.png", "file": "logo"},
            {"path": "data/table.csv", "file": "file:table"},
            {"path": "inner.zip", "job": {"format": "zip", "entries": [
                {"path": "invoice.pdf", "job": inner_pdf_job},
                {"path": "note.txt", "text": "inside the inner archive"}
            ]}},
            {"path": "photo.webp", "job": {
                "format": "image", "source": "file:photo",
                "resize": {"width": 64}, "output": {"format": "webp"}
            }},
            {"path": "raw.bin", "file": data_url("application/octet-stream", &inline)},
        ],
        "batch": batch,
    });
    let reply = send(
        &state,
        multipart(
            "/v1/render",
            &job,
            &[("logo", &logo), ("table", &csv), ("photo", &photo)],
        ),
    )
    .await;
    assert_zip_reply(&reply);
    assert!(
        reply.header("content-disposition").contains("bundle.zip"),
        "{}",
        reply.header("content-disposition")
    );

    let entries = check_archive(&reply.body, "mixed");
    let invoices: Vec<String> = (0..5)
        .map(|i| format!("invoices/{}.pdf", invoice_number(i)))
        .collect();
    let mut expected = vec![
        "README.txt",
        "summary.xlsx",
        "logo.png",
        "data/table.csv",
        "inner.zip",
        "photo.webp",
        "raw.bin",
    ];
    expected.extend(invoices.iter().map(String::as_str));
    // on_error "fail" (the default): no manifest.
    assert_eq!(names_of(&entries), expected);

    // Texts and files round-trip byte for byte.
    assert_eq!(entry(&entries, "README.txt"), readme.as_bytes());
    assert_eq!(entry(&entries, "logo.png"), &logo[..]);
    assert_eq!(entry(&entries, "data/table.csv"), &csv[..]);
    assert_eq!(entry(&entries, "raw.bin"), &inline[..]);

    // The workbook: calamine reads it, and it is the workbook the same job
    // renders on its own.
    let xlsx = entry(&entries, "summary.xlsx");
    let sheets = read_xlsx(xlsx);
    let sheet_names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(sheet_names, ["Sales", "Summary"]);
    let headers: Vec<String> = sheets[0].1[0].iter().map(|c| c.to_string()).collect();
    let expected_headers: Vec<String> =
        sample("xlsx-sales-report.json")["workbook"]["sheets"][0]["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| c["header"].as_str().expect("header").to_owned())
            .collect();
    assert_eq!(headers, expected_headers);
    let alone = send(&state, render_json(&sample("xlsx-sales-report.json"))).await;
    assert_eq!(alone.status, StatusCode::OK);
    assert!(alone.body == xlsx, "the entry is the job's workbook");

    // The image: decoded at the requested size.
    let webp = entry(&entries, "photo.webp");
    assert_eq!(
        image::guess_format(webp).expect("a known format"),
        image::ImageFormat::WebP
    );
    let decoded = image::load_from_memory(webp).expect("decodes");
    assert_eq!((decoded.width(), decoded.height()), (64, 32));

    // Every invoice is a sound PDF holding its own item's data.
    for (i, name) in invoices.iter().enumerate() {
        let text = check_pdf(entry(&entries, name), name);
        assert!(
            text.contains(&invoice_number(i)),
            "{name} shows another invoice: {text}"
        );
    }

    // The nested archive is an archive of its own, its PDF sound too.
    let inner = check_archive(entry(&entries, "inner.zip"), "mixed-inner");
    assert_eq!(names_of(&inner), ["invoice.pdf", "note.txt"]);
    let text = check_pdf(entry(&inner, "invoice.pdf"), "inner/invoice.pdf");
    assert!(text.contains("INV-2026-0042"), "{text}");
    assert_eq!(entry(&inner, "note.txt"), b"inside the inner archive");

    // Texts deflated; what is compressed already is stored.
    for (name, method) in [
        ("README.txt", CompressionMethod::Deflated),
        ("data/table.csv", CompressionMethod::Deflated),
        ("summary.xlsx", CompressionMethod::Stored),
        ("logo.png", CompressionMethod::Stored),
        ("inner.zip", CompressionMethod::Stored),
        ("photo.webp", CompressionMethod::Stored),
    ] {
        assert_eq!(method_of(&entries, name), method, "{name}");
    }
    for name in &invoices {
        assert_eq!(
            method_of(&entries, name),
            CompressionMethod::Stored,
            "{name}"
        );
    }
    assert_eq!(method_of(&inner, "invoice.pdf"), CompressionMethod::Stored);
}

#[tokio::test]
async fn batch_paths_see_the_item_its_index_and_filters() {
    let state = state_with(test_config());
    let items = json!([
        {"name": "a", "customer": {"name": "Nordwind AG"}, "kind": "Invoice"},
        {"name": "b", "customer": {"name": "Café Sonnenschein"}, "kind": "Credit note"},
        // An item's own `index` comes before the position.
        {"name": "c", "customer": {"name": "Ohm & Söhne"}, "kind": "Invoice", "index": 99},
    ]);
    let job = json!({
        "format": "zip",
        "batch": {
            "path": "{{ kind | lower }}/{{ '%03d' | format(index) }}-{{ customer.name }}-{{ item.kind | length }}.pdf",
            "job": small_pdf_job(),
            "items": items,
        },
    });
    let reply = send(&state, render_json(&job)).await;
    assert_zip_reply(&reply);
    let entries = check_archive(&reply.body, "batch-paths");
    assert_eq!(
        names_of(&entries),
        [
            "invoice/001-Nordwind AG-7.pdf",
            "credit note/002-Café Sonnenschein-11.pdf",
            "invoice/099-Ohm & Söhne-7.pdf",
        ]
    );
}

#[tokio::test]
async fn compression_can_be_chosen_per_entry() {
    let state = state_with(test_config());
    // Starts like a PDF (stored under "auto") but compresses well.
    let pdf_like = [&b"%PDF-1.7\n"[..], &[b'0'; 4000]].concat();
    let text = "compressible text ".repeat(200);
    let job = json!({
        "format": "zip",
        "entries": [
            {"path": "auto.txt", "text": text},
            {"path": "stored.txt", "text": text, "compression": "store"},
            {"path": "auto.pdf", "file": data_url("application/pdf", &pdf_like)},
            {"path": "deflated.pdf", "file": data_url("application/pdf", &pdf_like), "compression": "deflate"},
            {"path": "small.txt", "text": "x", "compression": "deflate"},
        ],
        "batch": {
            "path": "docs/{{ name }}.pdf",
            "job": small_pdf_job(),
            "items": [{"name": "one"}],
            "compression": "store"
        }
    });
    let reply = send(&state, render_json(&job)).await;
    assert_zip_reply(&reply);
    let entries = check_archive(&reply.body, "compression");
    for (name, method) in [
        ("auto.txt", CompressionMethod::Deflated),
        ("stored.txt", CompressionMethod::Stored),
        ("auto.pdf", CompressionMethod::Stored),
        ("deflated.pdf", CompressionMethod::Deflated),
        // Deflate cannot shrink one byte: stored rather than grown.
        ("small.txt", CompressionMethod::Stored),
        ("docs/one.pdf", CompressionMethod::Stored),
    ] {
        assert_eq!(method_of(&entries, name), method, "{name}");
    }
    assert_eq!(entry(&entries, "stored.txt"), text.as_bytes());
    assert_eq!(entry(&entries, "deflated.pdf"), &pdf_like[..]);
}

// ---------------------------------------------------------------------------
// 2. Determinism

#[tokio::test]
async fn the_same_job_gives_the_same_bytes() {
    let job = json!({
        "format": "zip",
        "entries": [
            {"path": "README.txt", "text": "same bytes every time\n".repeat(20)},
            {"path": "summary.xlsx", "job": sample("xlsx-sales-report.json")},
            {"path": "inner.zip", "job": {"format": "zip", "entries": [
                {"path": "invoice.pdf", "job": sample("pdf-invoice.json")},
                {"path": "deeper.zip", "job": {"format": "zip", "entries": [
                    {"path": "x.txt", "text": "x"}
                ]}}
            ]}},
            {"path": "pic.png", "job": {"format": "image",
                "source": data_url("image/png", &png(30, 20)), "output": {"format": "png"}}},
        ],
        "batch": invoice_batch(6, None),
    });
    // One worker renders in order; eight render the batch out of order.
    let one = state_with(ServiceConfig {
        workers: 1,
        ..test_config()
    });
    let many = state_with(ServiceConfig {
        workers: 8,
        queue_depth: 16,
        ..test_config()
    });
    let first = send(&one, render_json(&job)).await;
    assert_zip_reply(&first);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = send(&many, render_json(&job)).await;
    let third = send(&many, render_json(&job)).await;
    assert_zip_reply(&second);
    assert!(first.body == second.body, "1 worker vs 8 workers differ");
    assert!(second.body == third.body, "two runs differ");

    // Every entry, at every depth, is dated 1980-01-01 00:00.
    fn check_dates(bytes: &[u8], label: &str) {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("readable");
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).expect("entry");
            let name = file.name().expect("name").into_owned();
            let t = file.last_modified().expect("a timestamp");
            assert_eq!(
                (
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                ),
                (1980, 1, 1, 0, 0, 0),
                "{label}/{name}"
            );
            if name.ends_with(".zip") {
                let mut inner = Vec::new();
                file.read_to_end(&mut inner).expect("inner archive");
                check_dates(&inner, &format!("{label}/{name}"));
            }
        }
    }
    check_dates(&first.body, "archive");
    // Python agrees (check_archive asserts the dates too).
    let entries = check_archive(&first.body, "determinism");
    check_archive(entry(&entries, "inner.zip"), "determinism-inner");
}

// ---------------------------------------------------------------------------
// 3. Entry paths

#[tokio::test]
async fn hostile_paths_are_neutralised_and_made_unique() {
    let state = state_with(test_config());
    let raw_and_expected = [
        ("../../etc/passwd", "etc/passwd"),
        ("/abs/x.txt", "abs/x.txt"),
        ("C:\\win\\x.txt", "win/x.txt"),
        ("..\\..\\evil.txt", "evil.txt"),
        ("a/./b/../c.txt", "a/c.txt"),
        ("//server/share/x.txt", "server/share/x.txt"),
        ("CON", "_CON"),
        ("docs/nul.txt", "docs/_nul.txt"),
        ("report.pdf:hidden", "report.pdf_hidden"),
        ("what?.txt", "what_.txt"),
        ("bell\u{7}\ttab\n.txt", "belltab.txt"),
        ("Dup.txt", "Dup.txt"),
        ("DUP.TXT", "DUP-2.TXT"),
        ("dup.txt", "dup-3.txt"),
        ("etc/PASSWD", "etc/PASSWD-2"),
        // `a` is a directory already (of a/c.txt).
        ("A", "A-2"),
        // The manifest's name is taken.
        ("Manifest.json", "Manifest-2.json"),
    ];
    let entries: Vec<Value> = raw_and_expected
        .iter()
        .enumerate()
        .map(|(i, (raw, _))| json!({"path": raw, "text": format!("entry {i}")}))
        .collect();
    let job = json!({
        "format": "zip",
        "manifest": true,
        "entries": entries,
        "batch": {
            "path": "..\\out\\{{ name }}.pdf",
            "job": small_pdf_job(),
            "items": [{"name": "Report"}, {"name": "report"}, {"name": "../../escape"}]
        }
    });
    let reply = send(&state, render_json(&job)).await;
    assert_zip_reply(&reply);
    let archive = check_archive(&reply.body, "paths");
    let mut expected: Vec<&str> = raw_and_expected.iter().map(|(_, e)| *e).collect();
    expected.extend([
        "out/Report.pdf",
        "out/report-2.pdf",
        "escape.pdf",
        "manifest.json",
    ]);
    assert_eq!(names_of(&archive), expected);
    for (i, (_, name)) in raw_and_expected.iter().enumerate() {
        assert_eq!(
            entry(&archive, name),
            format!("entry {i}").as_bytes(),
            "{name}"
        );
    }
    // The manifest says which source became which path.
    let manifest: Value = serde_json::from_slice(entry(&archive, "manifest.json")).expect("JSON");
    assert_eq!(manifest["files"][2]["path"], "win/x.txt");
    assert_eq!(manifest["files"][2]["source"], "/entries/2");

    // Extracted with unzip, every file lands inside the target directory,
    // and every entry is extracted (none refused, none merged).
    let dir = temp_dir("paths-extract");
    let zip_path = dir.join("archive.zip");
    std::fs::write(&zip_path, &reply.body).expect("write");
    let target = dir.join("out");
    std::fs::create_dir_all(&target).expect("target dir");
    let run = Command::new("unzip")
        .arg("-o")
        .arg(&zip_path)
        .arg("-d")
        .arg(&target)
        .output()
        .expect("unzip runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.status.success(), "unzip: {said}");
    assert!(!said.contains("warning"), "unzip had to fix a path: {said}");
    let root = target.canonicalize().expect("canonical target");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for item in std::fs::read_dir(&dir).expect("readable dir") {
            let path = item.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let real = path.canonicalize().expect("canonical path");
                assert!(real.starts_with(&root), "{} escaped", real.display());
                files.push(real);
            }
        }
    }
    assert_eq!(files.len(), expected.len(), "{files:?}");
    let passwd = std::fs::read(root.join("etc/passwd")).expect("etc/passwd extracted inside");
    assert_eq!(passwd, b"entry 0");
    for name in &expected {
        assert!(
            root.join(name).is_file(),
            "{name} not extracted where expected"
        );
    }
    for (i, (_, name)) in raw_and_expected.iter().enumerate() {
        let data = std::fs::read(root.join(name)).expect("extracted");
        assert_eq!(data, format!("entry {i}").as_bytes(), "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn paths_that_name_no_file_are_422() {
    let state = state_with(test_config());
    let job = json!({
        "format": "zip",
        "entries": [
            {"path": "ok.txt", "text": "ok"},
            {"path": "..", "text": "x"},
            {"path": "/", "text": "x"},
            {"path": "dir/", "text": "x"},
            {"path": "a/..", "text": "x"},
            {"path": "dir\\", "text": "x"},
            {"path": " . ", "text": "x"},
            {"path": "ok.txt/inner.txt", "text": "under a file"},
            {"path": 7, "text": "x"},
            {"text": "no path"},
        ],
        "batch": {"path": "{{ name }}", "job": small_pdf_job(),
                  "items": [{"name": "fine.pdf"}, {"name": "../.."}]}
    });
    let reply = send(&state, render_json(&job)).await;
    assert_problem_first(&reply, 422);
    let expected: Vec<String> = (1..=9)
        .map(|i| format!("/entries/{i}/path"))
        .chain(["/batch/items/1".to_owned()])
        .collect();
    assert_eq!(sorted(reply.pointers()), sorted(expected));
}

// ---------------------------------------------------------------------------
// 4. Validation

#[tokio::test]
async fn wrong_jobs_are_422_with_pointers_before_any_byte() {
    let state = state_with(test_config());
    let text = |path: &str| json!({"path": path, "text": "x"});
    let nest =
        |inner: Value| json!({"format": "zip", "entries": [{"path": "n.zip", "job": inner}]});
    let leaf = json!({"format": "zip", "entries": [text("leaf.txt")]});
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "unknown entry field",
            json!({"format": "zip", "entries": [{"path": "a.txt", "text": "x", "colour": "red"}]}),
            vec!["/entries/0/colour"],
        ),
        (
            "text and file",
            json!({"format": "zip", "entries": [text("ok.txt"), {"path": "a.txt", "text": "x", "file": "logo"}]}),
            vec!["/entries/1"],
        ),
        (
            "no content",
            json!({"format": "zip", "entries": [{"path": "a.txt"}]}),
            vec!["/entries/0"],
        ),
        (
            "entry not an object",
            json!({"format": "zip", "entries": [text("ok.txt"), "a.txt"]}),
            vec!["/entries/1"],
        ),
        (
            "text not a string",
            json!({"format": "zip", "entries": [{"path": "a.txt", "text": 12}]}),
            vec!["/entries/0/text"],
        ),
        (
            "bad compression",
            json!({"format": "zip", "entries": [{"path": "a.txt", "text": "x", "compression": "zstd"}]}),
            vec!["/entries/0/compression"],
        ),
        (
            "missing file parts",
            json!({"format": "zip", "entries": [
                text("ok.txt"),
                {"path": "logo.png", "file": "logo"},
                {"path": "other.png", "file": "file:other"}
            ]}),
            vec!["/entries/1/file", "/entries/2/file"],
        ),
        (
            "broken data URL",
            json!({"format": "zip", "entries": [{"path": "a.bin", "file": "data:text/plain,plain"}]}),
            vec!["/entries/0/file"],
        ),
        (
            "nested job errors",
            json!({"format": "zip", "entries": [
                text("ok.txt"),
                {"path": "a.xlsx", "job": {"format": "xlsx"}},
                {"path": "b.pdf", "job": {"format": "pdf", "template": "no-such-template"}},
                {"path": "c.webp", "job": {"format": "image", "output": {"format": "webp"}}},
                {"path": "d.pdf", "job": {"format": "pdf", "template": "invoice", "colour": 1}}
            ]}),
            vec![
                "/entries/1/job/workbook",
                "/entries/2/job/template",
                "/entries/3/job/source",
                "/entries/4/job/colour",
            ],
        ),
        (
            "nested zip's own errors",
            json!({"format": "zip", "entries": [
                {"path": "n.zip", "job": {"format": "zip", "entries": [text("a.txt"), {"path": "..", "text": "x"}]}}
            ]}),
            vec!["/entries/0/job/entries/1/path"],
        ),
        (
            "batch job is xlsx",
            json!({"format": "zip", "batch": {"path": "{{ n }}.xlsx",
                "job": sample("xlsx-sales-report.json"), "items": [{"n": 1}]}}),
            vec!["/batch/job/format"],
        ),
        (
            "batch job is a zip",
            json!({"format": "zip", "batch": {"path": "{{ n }}.zip",
                "job": leaf.clone(), "items": [{"n": 1}]}}),
            vec!["/batch/job/format"],
        ),
        (
            "batch job with data",
            json!({"format": "zip", "batch": {"path": "{{ name }}.pdf",
                "job": {"format": "pdf", "template_source": "<document><p>{{ name }}</p></document>", "data": {"name": "x"}},
                "items": [{"name": "a"}]}}),
            vec!["/batch/job/data"],
        ),
        (
            "batch items not objects",
            json!({"format": "zip", "batch": {"path": "{{ name }}.pdf", "job": small_pdf_job(),
                "items": [{"name": "a"}, 3, "b", [1]]}}),
            vec!["/batch/items/1", "/batch/items/2", "/batch/items/3"],
        ),
        (
            "batch path misses a key",
            json!({"format": "zip", "batch": {"path": "invoices/{{ invoice.number }}.pdf",
                "job": {"format": "pdf", "template": "invoice"},
                "items": [invoice("INV-1"), {"name": "no invoice"}, invoice("INV-3")]}}),
            vec!["/batch/items/1"],
        ),
        (
            // An unknown field stops reading the job, as anywhere in it.
            "batch unknown field",
            json!({"format": "zip", "batch": {"job": small_pdf_job(), "items": [{"name": "a"}], "when": "now"}}),
            vec!["/batch/when"],
        ),
        (
            "batch missing path",
            json!({"format": "zip", "batch": {"job": small_pdf_job(), "items": [{"name": "a"}]}}),
            vec!["/batch/path"],
        ),
        (
            "batch items not an array",
            json!({"format": "zip", "batch": {"path": "x.pdf", "job": small_pdf_job(), "items": {"a": 1}}}),
            vec!["/batch/items"],
        ),
        (
            "batch job's own errors",
            json!({"format": "zip", "batch": {"path": "{{ name }}.pdf",
                "job": {"format": "pdf", "template": "nope"}, "items": [{"name": "a"}]}}),
            vec!["/batch/job/template"],
        ),
        (
            "four levels of zip jobs",
            nest(nest(nest(leaf.clone()))),
            vec!["/entries/0/job/entries/0/job/entries/0/job/format"],
        ),
        (
            "on_error unknown",
            json!({"format": "zip", "on_error": "ignore", "entries": [text("a.txt")]}),
            vec!["/on_error"],
        ),
        (
            "manifest off with skip",
            json!({"format": "zip", "on_error": "skip", "manifest": false, "entries": [text("a.txt")]}),
            vec!["/manifest"],
        ),
        (
            "template and data on the zip job",
            json!({"format": "zip", "template": "invoice", "data": {}, "entries": [text("a.txt")]}),
            vec!["/data", "/template"],
        ),
        (
            "fields of other formats",
            json!({"format": "zip", "workbook": {"sheets": []}, "entries": [text("a.txt")]}),
            vec!["/workbook"],
        ),
    ];
    for (label, job, expected) in cases {
        let reply = send(&state, render_json(&job)).await;
        assert_problem_first(&reply, 422);
        let expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
        assert_eq!(sorted(reply.pointers()), sorted(expected), "{label}");
    }

    // Missing parts are found over multipart too, beside the parts sent.
    let job = json!({"format": "zip", "entries": [
        {"path": "logo.png", "file": "logo"}, {"path": "x.png", "file": "missing"}
    ]});
    let reply = send(
        &state,
        multipart("/v1/render", &job, &[("logo", &png(4, 4))]),
    )
    .await;
    assert_problem_first(&reply, 422);
    assert_eq!(reply.pointers(), ["/entries/1/file"]);
    assert!(
        reply.json()["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("logo"),
        "the message lists the files sent"
    );

    // Three levels are allowed: outer, n.zip, n.zip/n.zip.
    let reply = send(&state, render_json(&nest(nest(leaf)))).await;
    assert_zip_reply(&reply);
    let outer = check_archive(&reply.body, "three-levels");
    let middle = check_archive(entry(&outer, "n.zip"), "three-levels-2");
    let inner = check_archive(entry(&middle, "n.zip"), "three-levels-3");
    assert_eq!(entry(&inner, "leaf.txt"), b"x");
}

#[tokio::test]
async fn the_byte_limit_counts_texts_files_and_rendered_entries() {
    let mut catalog = Catalog::load(&repo_path("templates")).expect("templates");
    catalog.doc_limits.max_zip_bytes = 10_000;
    let state = docsmith::http::AppState::new(test_config(), catalog);

    let text = |n: usize| "x".repeat(n);
    let fits = json!({"format": "zip", "entries": [
        {"path": "a.txt", "text": text(5_000)}, {"path": "b.txt", "text": text(5_000)}]});
    let reply = send(&state, render_json(&fits)).await;
    assert_zip_reply(&reply);

    // Texts and files together, known before anything is rendered.
    let over = json!({"format": "zip", "entries": [
        {"path": "a.txt", "text": text(6_000)}, {"path": "b.bin", "file": "blob"}]});
    let reply = send(
        &state,
        multipart("/v1/render", &over, &[("blob", &[7u8; 6_000])]),
    )
    .await;
    assert_problem_first(&reply, 422);
    assert_eq!(reply.pointers(), ["/entries"]);

    // A rendered invoice (about 35 KB) is counted as it is written: the
    // first entry already passes the limit, so the answer is still a 422.
    let invoice = json!({"format": "zip", "entries": [
        {"path": "invoice.pdf", "job": sample("pdf-invoice.json")}]});
    let reply = send(&state, render_json(&invoice)).await;
    assert_problem_first(&reply, 422);
    assert!(
        reply.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("--max-zip-bytes")),
        "{}",
        reply.json()
    );
}

#[tokio::test]
async fn entry_limits_count_nested_archives() {
    let mut catalog = Catalog::load(&repo_path("templates")).expect("templates");
    catalog.doc_limits.max_zip_entries = 5;
    catalog.doc_limits.max_zip_depth = 2;
    let state = docsmith::http::AppState::new(test_config(), catalog);

    let five = json!({"format": "zip", "entries": text_entries(5)});
    let reply = send(&state, render_json(&five)).await;
    assert_zip_reply(&reply);
    assert_eq!(check_archive(&reply.body, "limit-five").len(), 5);

    let six = json!({"format": "zip", "entries": text_entries(6)});
    let reply = send(&state, render_json(&six)).await;
    assert_problem_first(&reply, 422);
    assert_eq!(reply.pointers(), [""]);

    // 2 texts + the nested archive + its 3 texts = 6.
    let nested = json!({"format": "zip", "entries": [
        {"path": "a.txt", "text": "a"}, {"path": "b.txt", "text": "b"},
        {"path": "n.zip", "job": {"format": "zip", "entries": text_entries(3)}}
    ]});
    let reply = send(&state, render_json(&nested)).await;
    assert_problem_first(&reply, 422);
    assert_eq!(reply.pointers(), [""]);

    // Batch items count too: 3 texts + 3 items.
    let batch = json!({"format": "zip", "entries": text_entries(3), "batch": {
        "path": "{{ name }}.pdf", "job": small_pdf_job(),
        "items": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}});
    let reply = send(&state, render_json(&batch)).await;
    assert_problem_first(&reply, 422);
    assert_eq!(reply.pointers(), [""]);

    // Depth limit of the catalog: two levels, not three.
    let deep = json!({"format": "zip", "entries": [{"path": "n.zip", "job": {"format": "zip",
        "entries": [{"path": "m.zip", "job": {"format": "zip", "entries": text_entries(1)}}]}}]});
    let reply = send(&state, render_json(&deep)).await;
    assert_problem_first(&reply, 422);
    assert_eq!(reply.pointers(), ["/entries/0/job/entries/0/job/format"]);

    // The CLI flag does the same.
    let run = docsmith(
        &["render", "-", "-o", "-", "--max-zip-entries", "4"],
        Some(five.to_string().as_bytes()),
    );
    assert_eq!(run.status.code(), Some(2), "{}", stderr_of(&run));
    assert!(run.stdout.is_empty());
    assert!(stderr_of(&run).contains("at most 4"), "{}", stderr_of(&run));
}

// ---------------------------------------------------------------------------
// 5. on_error: skip

#[tokio::test]
async fn skip_leaves_failed_entries_out_and_lists_them_in_the_manifest() {
    let state = state_with(test_config());
    let job = json!({
        "format": "zip",
        "on_error": "skip",
        "entries": [
            {"path": "README.txt", "text": "read me"},
            {"path": "broken.pdf", "job": {"format": "pdf",
                "template_source": "<document><p>{{ missing.key }}</p></document>"}},
        ],
        "batch": invoice_batch(10, Some(6)),
    });
    let reply = send(&state, render_json(&job)).await;
    assert_zip_reply(&reply);
    let entries = check_archive(&reply.body, "skip");
    let mut expected = vec!["README.txt".to_owned()];
    expected.extend(
        (0..10)
            .filter(|&i| i != 6)
            .map(|i| format!("invoices/{}.pdf", invoice_number(i))),
    );
    expected.push("manifest.json".to_owned());
    assert_eq!(names_of(&entries), expected);
    for i in (0..10).filter(|&i| i != 6) {
        let name = format!("invoices/{}.pdf", invoice_number(i));
        let text = check_pdf(entry(&entries, &name), &name);
        assert!(text.contains(&invoice_number(i)), "{name}");
    }

    let manifest: Value = serde_json::from_slice(entry(&entries, "manifest.json")).expect("JSON");
    assert_eq!(manifest["entries"], 12);
    assert_eq!(manifest["written"], 10);
    assert_eq!(manifest["failed"], 2);
    assert_eq!(manifest["on_error"], "skip");
    let files = manifest["files"].as_array().expect("files");
    assert_eq!(files.len(), 12);

    let broken = &files[1];
    assert_eq!(broken["path"], "broken.pdf");
    assert_eq!(broken["source"], "/entries/1");
    assert!(broken.get("bytes").is_none());
    assert!(
        broken["error"]
            .as_str()
            .expect("error")
            .contains("missing.key")
    );
    assert_eq!(
        broken["errors"][0]["pointer"],
        "/entries/1/job/data/missing/key"
    );

    let failed = &files[2 + 6];
    assert_eq!(
        failed["path"],
        format!("invoices/{}.pdf", invoice_number(6))
    );
    assert_eq!(failed["source"], "/batch/items/6");
    assert_eq!(failed["format"], "pdf");
    assert!(failed.get("bytes").is_none());
    let error = failed["error"].as_str().expect("error");
    assert!(error.contains("item 6"), "{error}");
    let pointers: Vec<&str> = failed["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["pointer"].as_str().expect("pointer"))
        .collect();
    assert_eq!(pointers, ["/batch/job/template"]);

    // The others: their size as written, and no error.
    for file in files.iter().filter(|f| f.get("error").is_none()) {
        let path = file["path"].as_str().expect("path");
        assert_eq!(file["bytes"], entry(&entries, path).len(), "{path}");
        assert!(file.get("errors").is_none(), "{path}");
    }
    assert_eq!(files[0]["source"], "/entries/0");
    assert_eq!(files[2]["source"], "/batch/items/0");
}

// ---------------------------------------------------------------------------
// 6. on_error: fail

#[tokio::test]
async fn fail_with_the_first_item_bad_is_a_problem_before_any_byte() {
    let state = state_with(test_config());
    let job = json!({"format": "zip", "batch": invoice_batch(5, Some(0))});
    let reply = send(&state, render_json(&job)).await;
    assert_problem_first(&reply, 422);
    assert_eq!(reply.pointers(), ["/batch/job/template"]);
    let message = reply.json()["errors"][0]["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(message.starts_with("item 0: "), "{message}");
    wait_idle(&state).await;
}

#[tokio::test]
async fn fail_late_cuts_the_download() {
    let state = state_with(test_config());
    let job = json!({
        "format": "zip",
        "entries": [{"path": "README.txt", "text": "read me"}],
        "batch": invoice_batch(60, Some(40)),
    });
    let (streamed, error) = send_streaming(&state, render_json(&job)).await;
    assert_eq!(streamed.status, StatusCode::OK);
    assert_eq!(streamed.header("content-type"), "application/zip");
    assert!(
        error.is_some(),
        "the body ended cleanly after {} bytes",
        streamed.body.len()
    );
    // The first entries left before the failure…
    assert!(streamed.body.starts_with(b"PK\x03\x04"));
    assert!(streamed.body.len() > 100_000, "{}", streamed.body.len());
    // …but what arrived is no archive.
    assert!(
        !any_tool_accepts(&streamed.body, "cut"),
        "the cut download reads as a complete archive"
    );
    wait_idle(&state).await;
}

#[tokio::test]
async fn fail_late_over_a_real_connection_is_a_broken_download() {
    let (mut child, base) = start_server(&["--workers", "2"]);
    let job = json!({
        "format": "zip",
        "batch": invoice_batch(60, Some(40)),
    });
    let client = reqwest::Client::new();
    let result = client
        .post(format!("{base}/v1/render"))
        .header("content-type", "application/json")
        .body(job.to_string())
        .send()
        .await;
    let outcome = async {
        let mut response = result.expect("the response starts");
        assert_eq!(response.status(), 200);
        let mut bytes = Vec::new();
        let error = loop {
            match response.chunk().await {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        (bytes, error)
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let (bytes, error) = outcome;
    assert!(
        error.is_some(),
        "the download completed ({} bytes)",
        bytes.len()
    );
    assert!(bytes.starts_with(b"PK\x03\x04"), "entries were streamed");
    assert!(!any_tool_accepts(&bytes, "cut-tcp"));
}

// ---------------------------------------------------------------------------
// 7. ZIP64

#[test]
fn more_than_65535_entries_take_zip64() {
    let count = 70_000;
    let dir = temp_dir("zip64");
    let entries: Vec<Value> = (0..count)
        .map(|i| json!({"path": format!("n/{i}.txt"), "text": i.to_string()}))
        .collect();
    let job = dir.join("job.json");
    std::fs::write(
        &job,
        json!({"format": "zip", "entries": entries}).to_string(),
    )
    .expect("job");
    let out = dir.join("out.zip");
    let run = docsmith(
        &[
            "render",
            utf8(&job),
            "-o",
            utf8(&out),
            "--max-zip-entries",
            "70000",
            "-q",
        ],
        None,
    );
    assert!(run.status.success(), "{}", stderr_of(&run));
    assert!(progress_lines(&stderr_of(&run)).is_empty());

    let python = python_zip(&out).expect("python zipfile reads it");
    assert_eq!(python["bad"], Value::Null);
    let names: Vec<&str> = python["names"]
        .as_array()
        .expect("names")
        .iter()
        .map(|n| n.as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), count);
    for (i, name) in names.iter().enumerate() {
        assert_eq!(*name, format!("n/{i}.txt"));
    }
    let (ok, said) = unzip_test(&out);
    assert!(ok, "unzip -t: {said}");

    let bytes = std::fs::read(&out).expect("archive");
    // A ZIP64 end record, and the classic count saying "see ZIP64".
    assert!(bytes.windows(4).any(|w| w == b"PK\x06\x06"));
    let end = bytes.len() - 22;
    assert_eq!(&bytes[end..end + 4], b"PK\x05\x06");
    assert_eq!(&bytes[end + 10..end + 12], &[0xFF, 0xFF]);
    let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).expect("zip crate reads it");
    assert_eq!(archive.len(), count);
    for i in [0, 65_534, 65_535, 65_536, count - 1] {
        let mut file = archive.by_index(i).expect("entry");
        let mut text = String::new();
        file.read_to_string(&mut text).expect("text");
        assert_eq!(text, i.to_string());
    }

    // Without the flag, the default limit (10,000) refuses the job.
    let run = docsmith(
        &["render", utf8(&job), "-o", utf8(&dir.join("no.zip")), "-q"],
        None,
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(!dir.join("no.zip").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// 8. CLI

#[test]
fn cli_renders_a_batch_to_a_file_and_to_stdout() {
    let dir = temp_dir("cli-batch");
    let logo = png(16, 16);
    let logo_path = dir.join("logo.png");
    std::fs::write(&logo_path, &logo).expect("logo");
    let job = json!({
        "format": "zip",
        "filename": "bundle.zip",
        "entries": [
            {"path": "README.txt", "text": "from the command line"},
            {"path": "brand/logo.png", "file": "file:logo"},
        ],
        "batch": invoice_batch(4, None),
    });
    let job_path = dir.join("job.json");
    std::fs::write(&job_path, job.to_string()).expect("job");
    let logo_arg = format!("logo={}", utf8(&logo_path));
    let out = dir.join("out.zip");
    let run = docsmith(
        &[
            "render",
            utf8(&job_path),
            "-o",
            utf8(&out),
            "--file",
            &logo_arg,
        ],
        None,
    );
    assert!(run.status.success(), "{}", stderr_of(&run));
    assert!(!dir.join("out.zip.partial").exists());
    let bytes = std::fs::read(&out).expect("written");
    let entries = check_archive(&bytes, "cli-file");
    let mut expected = vec!["README.txt".to_owned(), "brand/logo.png".to_owned()];
    expected.extend((0..4).map(|i| format!("invoices/{}.pdf", invoice_number(i))));
    assert_eq!(names_of(&entries), expected);
    assert_eq!(entry(&entries, "brand/logo.png"), &logo[..]);
    for i in 0..4 {
        let name = format!("invoices/{}.pdf", invoice_number(i));
        assert!(check_pdf(entry(&entries, &name), &name).contains(&invoice_number(i)));
    }

    // To standard output: the same archive, and nothing else on stdout.
    let run = docsmith(
        &[
            "render",
            utf8(&job_path),
            "-o",
            "-",
            "--file",
            &logo_arg,
            "--workers",
            "3",
        ],
        None,
    );
    assert!(run.status.success(), "{}", stderr_of(&run));
    assert!(run.stdout == bytes, "stdout differs from the file");

    // Without -o: the job's filename, in the working directory.
    let run = Command::new(env!("CARGO_BIN_EXE_docsmith"))
        .args(["render", "job.json", "--file", &logo_arg, "-q"])
        .current_dir(&dir)
        .output()
        .expect("docsmith runs");
    assert!(run.status.success(), "{}", stderr_of(&run));
    assert!(std::fs::read(dir.join("bundle.zip")).expect("bundle.zip") == bytes);

    // Without --file the entry's file is missing: exit 2, nothing written.
    let missing = dir.join("missing.zip");
    let run = docsmith(&["render", utf8(&job_path), "-o", utf8(&missing)], None);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr_of(&run).contains("/entries/1/file"),
        "{}",
        stderr_of(&run)
    );
    assert!(!missing.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_failure_leaves_no_output() {
    let dir = temp_dir("cli-fail");
    for (label, bad) in [("first", 0), ("late", 30)] {
        let job = json!({
            "format": "zip",
            "entries": [{"path": "README.txt", "text": "x"}],
            "batch": invoice_batch(36, Some(bad)),
        });
        let job_path = dir.join(format!("{label}.json"));
        std::fs::write(&job_path, job.to_string()).expect("job");
        let out = dir.join(format!("{label}.zip"));
        let run = docsmith(&["render", utf8(&job_path), "-o", utf8(&out), "-q"], None);
        assert_eq!(run.status.code(), Some(2), "{label}: {}", stderr_of(&run));
        let stderr = stderr_of(&run);
        assert!(stderr.contains("/batch/job/template"), "{label}: {stderr}");
        assert!(stderr.contains(&format!("item {bad}")), "{label}: {stderr}");
        assert!(!out.exists(), "{label}: output left behind");
        assert!(
            !dir.join(format!("{label}.zip.partial")).exists(),
            "{label}: .partial left behind"
        );
    }
    // Only the job files are left in the directory.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_reports_progress_unless_quiet() {
    let job = json!({"format": "zip", "entries": text_entries(120)}).to_string();
    let run = docsmith(&["render", "-", "-o", "-"], Some(job.as_bytes()));
    assert!(run.status.success(), "{}", stderr_of(&run));
    assert_eq!(check_archive(&run.stdout, "progress").len(), 120);
    let lines = progress_lines(&stderr_of(&run));
    assert!(lines.len() >= 5, "{}", stderr_of(&run));
    assert!(lines.iter().all(|&(_, total)| total == 120), "{lines:?}");
    assert!(lines.windows(2).all(|w| w[0].0 < w[1].0), "{lines:?}");
    assert_eq!(lines.last(), Some(&(120, 120)), "{}", stderr_of(&run));

    let run = docsmith(&["render", "-", "-o", "-", "-q"], Some(job.as_bytes()));
    assert!(run.status.success());
    assert!(
        progress_lines(&stderr_of(&run)).is_empty(),
        "{}",
        stderr_of(&run)
    );
    assert!(!stderr_of(&run).contains("entries"), "{}", stderr_of(&run));

    // Fewer than 100 entries: no progress lines.
    let small = json!({"format": "zip", "entries": text_entries(20)}).to_string();
    let run = docsmith(&["render", "-", "-o", "-"], Some(small.as_bytes()));
    assert!(run.status.success());
    assert!(progress_lines(&stderr_of(&run)).is_empty());
}

#[test]
fn cli_progress_reaches_the_total_with_a_nested_archive() {
    let mut entries = text_entries(100);
    entries.push(
        json!({"path": "inner.zip", "job": {"format": "zip", "entries": [
            {"path": "a.txt", "text": "a"}, {"path": "b.txt", "text": "b"}
        ]}}),
    );
    let job = json!({"format": "zip", "entries": entries}).to_string();
    let run = docsmith(&["render", "-", "-o", "-"], Some(job.as_bytes()));
    assert!(run.status.success(), "{}", stderr_of(&run));
    let lines = progress_lines(&stderr_of(&run));
    let total = lines.first().expect("progress lines").1;
    assert_eq!(
        lines.last(),
        Some(&(total, total)),
        "progress never completes: {}",
        stderr_of(&run)
    );
}

// ---------------------------------------------------------------------------
// 9. A full pool

#[tokio::test]
async fn a_full_pool_is_503_before_any_byte() {
    let state = state_with(ServiceConfig {
        workers: 1,
        queue_depth: 0,
        ..test_config()
    });
    let job = json!({
        "format": "zip",
        "entries": [{"path": "README.txt", "text": "x"}],
        "batch": invoice_batch(3, None),
    });
    let blocker = block_worker(&state);
    let reply = send(&state, render_json(&job)).await;
    assert_problem_first(&reply, 503);
    assert_eq!(reply.header("retry-after"), "1");
    drop(blocker);
    wait_idle(&state).await;

    // With room again, the same job renders.
    let reply = send(&state, render_json(&job)).await;
    assert_zip_reply(&reply);
    assert_eq!(check_archive(&reply.body, "after-503").len(), 4);
    wait_idle(&state).await;
}

#[tokio::test]
async fn a_full_pool_is_503_even_after_leading_entries() {
    // One worker: the coordinator looks two entries ahead. Texts are
    // written (and the first one flushed) before the first entry that
    // needs the pool is submitted; a nested archive's entries are
    // submitted only once the coordinator reaches it.
    let cases = [
        (
            "four texts, then a batch",
            json!({
                "format": "zip",
                "entries": text_entries(4),
                "batch": invoice_batch(2, None),
            }),
        ),
        (
            "a text, then a nested archive of a PDF",
            json!({
                "format": "zip",
                "entries": [
                    {"path": "README.txt", "text": "x"},
                    {"path": "inner.zip", "job": {"format": "zip", "entries": [
                        {"path": "doc.pdf", "job": small_pdf_job()}
                    ]}}
                ],
            }),
        ),
    ];
    let mut wrong = Vec::new();
    for (label, job) in cases {
        let state = state_with(ServiceConfig {
            workers: 1,
            queue_depth: 0,
            ..test_config()
        });
        let blocker = block_worker(&state);
        let (streamed, error) = send_streaming(&state, render_json(&job)).await;
        drop(blocker);
        wait_idle(&state).await;
        if streamed.status != StatusCode::SERVICE_UNAVAILABLE
            || streamed.header("content-type") != "application/problem+json"
        {
            wrong.push(format!(
                "{label}: got {} {} ({} bytes, then body error {:?})",
                streamed.status,
                streamed.header("content-type"),
                streamed.body.len(),
                error
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "expected 503 before any byte:\n{}",
        wrong.join("\n")
    );
}

// ---------------------------------------------------------------------------
// 10. /v1/validate

#[tokio::test]
async fn validate_checks_every_entry_and_item() {
    let state = state_with(test_config());
    let job = json!({
        "format": "zip",
        "filename": "bundle.zip",
        "entries": [
            {"path": "README.txt", "text": "x"},
            {"path": "doc.pdf", "job": sample("pdf-invoice.json")},
            {"path": "logo.png", "file": "logo"},
        ],
        "batch": invoice_batch(4, None),
    });
    let reply = send(
        &state,
        multipart("/v1/validate", &job, &[("logo", &png(4, 4))]),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.json(),
        json!({"valid": true, "format": "zip", "filename": "bundle.zip"})
    );

    // The missing part is found without rendering.
    let reply = send(&state, post_json("/v1/validate", job.to_string())).await;
    assert_problem_first(&reply, 422);
    assert_eq!(reply.pointers(), ["/entries/2/file"]);

    // A batch item whose template render fails.
    let job = json!({"format": "zip", "batch": invoice_batch(5, Some(3))});
    let reply = send(&state, post_json("/v1/validate", job.to_string())).await;
    assert_problem_first(&reply, 422);
    assert_eq!(reply.pointers(), ["/batch/job/template"]);
    let message = reply.json()["errors"][0]["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(message.starts_with("item 3: "), "{message}");

    // A batch item without a value the template needs: into the item.
    let job = json!({"format": "zip", "batch": {
        "path": "{{ n }}.pdf",
        "job": {"format": "pdf", "template_source": "<document><p>{{ customer.name }}</p></document>"},
        "items": [{"n": 1, "customer": {"name": "A"}}, {"n": 2, "customer": {}}]
    }});
    let reply = send(&state, post_json("/v1/validate", job.to_string())).await;
    assert_problem_first(&reply, 422);
    assert_eq!(reply.pointers(), ["/batch/items/1/customer/name"]);

    // A nested entry's template too, at any depth.
    let job = json!({"format": "zip", "entries": [{"path": "n.zip", "job": {"format": "zip",
        "entries": [{"path": "x.pdf", "job": {"format": "pdf",
            "template_source": "<document><p>{{ nope }}</p></document>"}}]}}]});
    let reply = send(&state, post_json("/v1/validate", job.to_string())).await;
    assert_problem_first(&reply, 422);
    assert_eq!(reply.pointers(), ["/entries/0/job/entries/0/job/data/nope"]);
}

/// Validation renders every batch item's template: it runs on the worker
/// pool under the job's deadline, like a render, not on threads of its own.
#[tokio::test]
async fn validation_takes_a_worker_and_keeps_the_deadline() {
    // Each item's template writes 20,000 numbers: 500 of them take seconds.
    let items: Vec<Value> = (0..500).map(|n| json!({"n": n})).collect();
    let job = json!({"format": "zip", "batch": {
        "path": "{{ n }}.pdf",
        "job": {"format": "pdf", "template_source":
            "<document><p>{% for i in range(20000) %}{{ i }} {% endfor %}</p></document>"},
        "items": items,
    }});
    let config = ServiceConfig {
        workers: 1,
        queue_depth: 0,
        job_timeout: std::time::Duration::from_millis(400),
        ..test_config()
    };
    let state = state_with(config);

    // No worker free: 503 at once.
    let busy = block_worker(&state);
    let reply = send(
        &state,
        post_json("/v1/validate", small_pdf_job().to_string()),
    )
    .await;
    assert_problem(&reply, 503);
    assert_eq!(reply.header("retry-after"), "1");
    drop(busy);
    wait_idle(&state).await;

    // 504 at the deadline, and the worker stops with it.
    let started = std::time::Instant::now();
    let reply = send(&state, post_json("/v1/validate", job.to_string())).await;
    assert_problem(&reply, 504);
    wait_idle(&state).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the check stopped at its deadline ({:?})",
        started.elapsed()
    );

    // With time enough the same pool validates a small job.
    let mut small = small_pdf_job();
    small["data"] = json!({"name": "Ada"});
    let reply = send(&state, post_json("/v1/validate", small.to_string())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
}
