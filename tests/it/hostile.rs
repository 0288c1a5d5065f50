//! Hostile input: malformed, oversized and malicious requests of every kind.
//! Each must be answered with a 4xx `application/problem+json` (or, where
//! the README documents that the input is neutralised, a normal 200) within
//! a bounded time; never a 5xx, a panic or a hang. Afterwards the service
//! must still be healthy and still render a normal invoice.
//!
//! Static inputs live in `tests/corpus/` (one directory per channel: raw
//! JSON bodies, markup and templates sent as `template_source`, image
//! files); [`CORPUS`] says what each file must get, and a file without an
//! expectation fails the run. Big or binary inputs are built in code.
//! Everything runs through the router in process; the corpus and the
//! generated cases also run over a real socket against `docsmith serve`,
//! plus connection-level cases written as raw HTTP/1.1.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use docsmith::http::{AppState, ServiceConfig};
use docsmith::templates::Catalog;
use serde_json::{Value, json};

use crate::support::*;

/// Longest any single request may take, however hostile.
const LIMIT: Duration = Duration::from_secs(20);

/// Largest problem document accepted: a problem never echoes a big input.
const MAX_PROBLEM_BYTES: usize = 64 * 1024;

/// `--max-body` of the server the socket tests start (smaller than the
/// in-process default of 32 MiB, so the same big inputs get 413 there and
/// 422 here).
const SOCKET_MAX_BODY: usize = 1024 * 1024;

// ---------------------------------------------------------------------------
// Cases and what they must get

#[derive(Clone, Debug)]
enum Expect {
    /// A problem with this status; when given, this pointer is among the
    /// problem's `errors[]`.
    Problem(u16, Option<String>),
    /// A normal answer: the input is neutralised, as the README documents.
    Ok(&'static str),
}

fn problem(status: u16) -> Expect {
    Expect::Problem(status, None)
}

fn problem_at(status: u16, pointer: &str) -> Expect {
    Expect::Problem(status, Some(pointer.to_owned()))
}

#[derive(Clone, Debug)]
struct Case {
    name: String,
    method: &'static str,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
    expect: Expect,
}

impl Case {
    fn new(name: impl Into<String>, method: &'static str, path: &str, expect: Expect) -> Case {
        Case {
            name: name.into(),
            method,
            path: path.to_owned(),
            content_type: None,
            body: Vec::new(),
            expect,
        }
    }

    fn post(
        name: impl Into<String>,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        expect: Expect,
    ) -> Case {
        Case {
            content_type: Some(content_type.to_owned()),
            body,
            ..Case::new(name, "POST", path, expect)
        }
    }

    fn json(name: impl Into<String>, path: &str, body: impl Into<Vec<u8>>, expect: Expect) -> Case {
        Case::post(name, path, "application/json", body.into(), expect)
    }

    fn request(&self) -> Request<Body> {
        let mut builder = Request::builder().method(self.method).uri(&self.path);
        if let Some(ct) = &self.content_type {
            builder = builder.header("content-type", ct);
        }
        if !self.body.is_empty() {
            builder = builder.header("content-length", self.body.len());
        }
        builder
            .body(Body::from(self.body.clone()))
            .expect("request")
    }

    /// Whether the body is over the route's limit.
    fn over_limit(&self, limits: &BodyLimits) -> bool {
        let accepts_body = self
            .content_type
            .as_deref()
            .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("multipart/"));
        let limit = if self.path == "/v1/images" {
            limits.max_upload
        } else {
            limits.max_body
        };
        self.method == "POST" && accepts_body && self.body.len() > limit
    }

    /// The case as raw HTTP/1.1 bytes, closing the connection after it.
    fn raw(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: hostile\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.method,
            self.path,
            self.body.len()
        );
        if let Some(ct) = &self.content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// What the case must get under these limits: a body over the route's
    /// limit is 413 whatever it holds.
    fn expected(&self, limits: &BodyLimits) -> Expect {
        if self.over_limit(limits) {
            problem(413)
        } else {
            self.expect.clone()
        }
    }
}

#[derive(Clone, Copy)]
struct BodyLimits {
    max_body: usize,
    max_upload: usize,
}

impl From<&ServiceConfig> for BodyLimits {
    fn from(config: &ServiceConfig) -> Self {
        BodyLimits {
            max_body: config.max_body,
            max_upload: config.max_upload,
        }
    }
}

/// What came back, however it was sent.
struct Outcome {
    status: u16,
    content_type: String,
    body: Vec<u8>,
    elapsed: Duration,
}

/// The `type` slugs the README's error table allows for each status.
fn allowed_slugs(status: u16) -> &'static [&'static str] {
    match status {
        400 => &["malformed-json", "malformed-body"],
        404 => &["unknown-template", "not-found"],
        405 => &["method-not-allowed"],
        408 => &["request-timeout"],
        409 => &["builtin-template"],
        413 => &["body-too-large"],
        415 => &["unsupported-media-type"],
        422 => &["invalid-job"],
        _ => &[],
    }
}

/// Checks an outcome against the expectation; `Err` says what is wrong.
fn verify(expect: &Expect, got: &Outcome) -> Result<(), String> {
    let text = || String::from_utf8_lossy(&got.body[..got.body.len().min(600)]).into_owned();
    if got.elapsed > LIMIT {
        return Err(format!("took {:?}", got.elapsed));
    }
    let leaked = got.body.windows(10).any(|w| w == b"root:x:0:0");
    if leaked {
        return Err("the answer holds /etc/passwd".into());
    }
    match expect {
        Expect::Ok(content_type) => {
            if got.status != 200 || got.content_type != *content_type {
                return Err(format!(
                    "expected 200 {content_type}, got {} {}: {}",
                    got.status,
                    got.content_type,
                    text()
                ));
            }
            Ok(())
        }
        Expect::Problem(status, pointer) => {
            if got.status != *status {
                return Err(format!(
                    "expected {status}, got {} ({}): {}",
                    got.status,
                    got.content_type,
                    text()
                ));
            }
            if got.content_type != "application/problem+json" {
                return Err(format!(
                    "content-type {:?} is not application/problem+json: {}",
                    got.content_type,
                    text()
                ));
            }
            if got.body.len() > MAX_PROBLEM_BYTES {
                return Err(format!(
                    "the problem is {} bytes long: {}…",
                    got.body.len(),
                    text()
                ));
            }
            let body: Value = serde_json::from_slice(&got.body)
                .map_err(|e| format!("problem is not JSON ({e}): {}", text()))?;
            let ty = body["type"].as_str().unwrap_or("");
            let slug = ty.rsplit('/').next().unwrap_or("");
            if !ty.starts_with("https://") || !allowed_slugs(*status).contains(&slug) {
                return Err(format!("type {ty:?} does not fit status {status}: {body}"));
            }
            if body["status"] != *status
                || body["title"].as_str().is_none_or(str::is_empty)
                || body["detail"].as_str().is_none_or(str::is_empty)
            {
                return Err(format!("incomplete problem: {body}"));
            }
            if slug == "malformed-json"
                && !(body["line"].as_u64().is_some_and(|l| l >= 1)
                    && body["column"].as_u64().is_some())
            {
                return Err(format!("malformed JSON without line and column: {body}"));
            }
            if let Some(pointer) = pointer {
                let pointers: Vec<&str> = body["errors"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|e| e["pointer"].as_str()).collect())
                    .unwrap_or_default();
                if !pointers.contains(&pointer.as_str()) {
                    return Err(format!("pointer {pointer:?} not in {pointers:?}: {body}"));
                }
            }
            Ok(())
        }
    }
}

/// Sends through the router, bounded by [`LIMIT`].
async fn in_process(state: &Arc<AppState>, request: Request<Body>) -> Result<Outcome, String> {
    let started = Instant::now();
    match tokio::time::timeout(LIMIT, send_streaming(state, request)).await {
        Ok((reply, None)) => Ok(Outcome {
            status: reply.status.as_u16(),
            content_type: reply.header("content-type").to_owned(),
            body: reply.body,
            elapsed: started.elapsed(),
        }),
        Ok((reply, Some(e))) => Err(format!(
            "{} {}, then the body failed after {} bytes: {e}",
            reply.status.as_u16(),
            reply.header("content-type"),
            reply.body.len()
        )),
        Err(_) => Err(format!("no answer within {LIMIT:?}")),
    }
}

/// Sends over a real connection, bounded by [`LIMIT`].
async fn over_socket(client: &reqwest::Client, base: &str, case: &Case) -> Result<Outcome, String> {
    let started = Instant::now();
    let method = reqwest::Method::from_bytes(case.method.as_bytes()).expect("method");
    let mut request = client.request(method, format!("{base}{}", case.path));
    if let Some(ct) = &case.content_type {
        request = request.header("content-type", ct);
    }
    if !case.body.is_empty() {
        request = request.body(case.body.clone());
    }
    let exchange = async {
        let response = request
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("body failed: {e}"))?
            .to_vec();
        Ok::<_, String>((status, content_type, body))
    };
    match tokio::time::timeout(LIMIT, exchange).await {
        Ok(Ok((status, content_type, body))) => Ok(Outcome {
            status,
            content_type,
            body,
            elapsed: started.elapsed(),
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!("no answer within {LIMIT:?}")),
    }
}

/// Runs every case, collecting failures and timings instead of stopping at
/// the first; panics with the whole list.
struct Run {
    label: &'static str,
    failures: Vec<String>,
    timings: Vec<(String, u16, Duration)>,
}

impl Run {
    fn new(label: &'static str) -> Run {
        Run {
            label,
            failures: Vec::new(),
            timings: Vec::new(),
        }
    }

    fn record(&mut self, name: &str, expect: &Expect, got: Result<Outcome, String>) {
        match got {
            Ok(outcome) => {
                self.timings
                    .push((name.to_owned(), outcome.status, outcome.elapsed));
                if let Err(e) = verify(expect, &outcome) {
                    self.failures.push(format!("{name}: {e}"));
                }
            }
            Err(e) => self.failures.push(format!("{name}: {e}")),
        }
    }

    async fn in_process(&mut self, state: &Arc<AppState>, cases: &[Case]) {
        let limits = BodyLimits::from(&state.config);
        for case in cases {
            let got = in_process(state, case.request()).await;
            self.record(&case.name, &case.expected(&limits), got);
        }
    }

    async fn over_socket(
        &mut self,
        client: &reqwest::Client,
        base: &str,
        limits: BodyLimits,
        cases: &[Case],
    ) {
        for case in cases {
            let got = if case.over_limit(&limits) {
                // The server answers 413 as soon as it sees the length and
                // closes without reading the rest (hyper does not drain), so
                // a client still sending may get a reset instead of the
                // answer; read the answer while writing to see what the
                // server sent.
                let started = Instant::now();
                raw_exchange(base.trim_start_matches("http://"), case.raw(), false)
                    .await
                    .and_then(|bytes| {
                        let mut responses = parse_responses(&bytes);
                        if responses.len() != 1 {
                            return Err(format!(
                                "{} answers: {:?}",
                                responses.len(),
                                String::from_utf8_lossy(&bytes[..bytes.len().min(600)])
                            ));
                        }
                        let (status, content_type, body) = responses.remove(0);
                        Ok(Outcome {
                            status,
                            content_type,
                            body,
                            elapsed: started.elapsed(),
                        })
                    })
            } else {
                over_socket(client, base, case).await
            };
            self.record(&case.name, &case.expected(&limits), got);
        }
    }

    /// Prints the slowest cases and panics if any case failed.
    fn finish(mut self) {
        self.timings.sort_by_key(|t| std::cmp::Reverse(t.2));
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "[{}] {} cases; slowest:",
            self.label,
            self.timings.len()
        );
        for (name, status, elapsed) in self.timings.iter().take(12) {
            let _ = writeln!(
                out,
                "  {:>8.1} ms  {status}  {name}",
                elapsed.as_secs_f64() * 1e3
            );
        }
        drop(out);
        assert!(
            self.failures.is_empty(),
            "[{}] {} of {} cases failed:\n{}",
            self.label,
            self.failures.len(),
            self.timings.len(),
            self.failures.join("\n")
        );
    }
}

/// After everything: alive, nothing left rendering, and a normal invoice
/// still renders.
async fn assert_still_healthy(state: &Arc<AppState>) {
    wait_idle(state).await;
    let reply = tokio::time::timeout(LIMIT, send(state, get("/healthz")))
        .await
        .expect("healthz answers in time");
    assert_eq!(reply.status.as_u16(), 200);
    let invoice = sample("pdf-invoice.json").to_string();
    let reply = tokio::time::timeout(LIMIT, send(state, post_json("/v1/render", invoice)))
        .await
        .expect("the invoice renders in time");
    assert_eq!(
        reply.status.as_u16(),
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("content-type"), "application/pdf");
    assert!(reply.body.starts_with(b"%PDF-"));
}

// ---------------------------------------------------------------------------
// The corpus directory

/// Every file of `tests/corpus/` and what it must get (through
/// `/v1/render`; its channel decides how it is sent, see [`corpus_cases`]).
/// `None` as pointer: markup and templates are checked at
/// `/template_source`, images at their upload's pointer, JSON bodies at
/// nothing in particular.
const CORPUS: &[(&str, u16, Option<&str>)] = &[
    // Raw JSON bodies.
    ("json/empty-body.json", 400, None),
    ("json/whitespace-only.json", 400, None),
    ("json/truncated-object.json", 400, None),
    ("json/truncated-in-string.json", 400, None),
    ("json/truncated-after-colon.json", 400, None),
    ("json/trailing-garbage.json", 400, None),
    ("json/trailing-second-object.json", 400, None),
    ("json/trailing-comma.json", 400, None),
    ("json/nan-literal.json", 400, None),
    ("json/infinity-literal.json", 400, None),
    ("json/negative-infinity-literal.json", 400, None),
    ("json/single-quotes.json", 400, None),
    ("json/unquoted-keys.json", 400, None),
    ("json/js-comment.json", 400, None),
    ("json/utf8-bom.json", 400, None),
    ("json/utf16le-bom.json", 400, None),
    ("json/invalid-utf8-outside-strings.json", 400, None),
    ("json/invalid-utf8-in-string.json", 400, None),
    ("json/overlong-utf8-slash.json", 400, None),
    ("json/lone-surrogate-escape.json", 400, None),
    ("json/raw-control-char-in-string.json", 400, None),
    ("json/raw-newline-in-string.json", 400, None),
    ("json/bad-escape.json", 400, None),
    ("json/nul-byte-body.json", 400, None),
    ("json/number-1e400-cell.json", 400, None),
    ("json/number-neg-1e400-cell.json", 400, None),
    (
        "json/number-2pow64-plus-1-integer-cell.json",
        422,
        Some("/workbook/sheets/0/rows/0/0"),
    ),
    (
        "json/number-2pow53-plus-1-integer-cell.json",
        422,
        Some("/workbook/sheets/0/rows/0/0"),
    ),
    (
        "json/number-1e308-integer-cell.json",
        422,
        Some("/workbook/sheets/0/rows/0/0"),
    ),
    (
        "json/number-1e-400-percent-cell-bad-type.json",
        422,
        Some("/workbook/sheets/0/columns/0/type"),
    ),
    (
        "json/number-negative-zero-date-cell.json",
        422,
        Some("/workbook/sheets/0/rows/0/0"),
    ),
    (
        "json/number-1e-400-date-cell.json",
        422,
        Some("/workbook/sheets/0/rows/0/0"),
    ),
    ("json/number-500-digits-cell.json", 400, None),
    ("json/image-width-1e400.json", 400, None),
    (
        "json/image-width-2pow64-plus-1.json",
        422,
        Some("/resize/width"),
    ),
    (
        "json/image-width-negative-zero.json",
        422,
        Some("/resize/width"),
    ),
    ("json/image-width-1e-400.json", 422, Some("/resize/width")),
    ("json/image-width-fraction.json", 422, Some("/resize/width")),
    ("json/image-width-negative.json", 422, Some("/resize/width")),
    ("json/image-width-string.json", 422, Some("/resize/width")),
    ("json/duplicate-key-format.json", 422, None),
    ("json/duplicate-key-workbook.json", 422, None),
    ("json/top-level-array.json", 422, None),
    ("json/top-level-array-of-job.json", 422, None),
    ("json/top-level-string.json", 422, None),
    ("json/top-level-null.json", 422, None),
    ("json/top-level-number.json", 422, None),
    ("json/top-level-true.json", 422, None),
    ("json/format-wrong-type.json", 422, Some("/format")),
    ("json/format-unknown.json", 422, Some("/format")),
    ("json/format-with-nul.json", 422, Some("/format")),
    ("json/unknown-field-proto.json", 422, Some("/__proto__")),
    ("json/filename-traversal.json", 422, Some("/filename")),
    (
        "json/filename-header-injection.json",
        422,
        Some("/filename"),
    ),
    ("json/template-traversal.json", 404, Some("/template")),
    ("json/template-absolute-path.json", 404, Some("/template")),
    ("json/image-source-local-path.json", 422, Some("/source")),
    ("json/image-source-file-url.json", 422, Some("/source")),
    ("json/image-source-http-url.json", 422, Some("/source")),
    ("json/image-source-bad-base64.json", 422, Some("/source")),
    ("json/image-source-data-url-text.json", 422, Some("/source")),
    ("json/document-model-wrong-types.json", 422, None),
    ("json/zip-entries-not-array.json", 422, Some("/entries")),
    (
        "json/zip-entry-dotdot-only.json",
        422,
        Some("/entries/0/path"),
    ),
    (
        "json/zip-entry-file-etc-passwd.json",
        422,
        Some("/entries/0/file"),
    ),
    (
        "json/zip-entry-under-file-kelvin-sign.json",
        422,
        Some("/entries/1/path"),
    ),
    (
        "json/zip-batch-path-import-as-not-a-name.json",
        422,
        Some("/batch/path"),
    ),
    ("json/deep-array-200.json", 400, None),
    // Markup sent as a pdf job's `template_source`.
    ("markup/billion-laughs.xml", 422, None),
    ("markup/quadratic-blowup.xml", 422, None),
    ("markup/xxe-file-etc-passwd.xml", 422, None),
    ("markup/xxe-http.xml", 422, None),
    ("markup/xxe-parameter-entity.xml", 422, None),
    ("markup/xxe-public-dtd.xml", 422, None),
    ("markup/doctype-inside-root.xml", 422, None),
    ("markup/undeclared-entity.xml", 422, None),
    ("markup/entity-without-semicolon.xml", 422, None),
    ("markup/char-ref-nul.xml", 422, None),
    ("markup/char-ref-out-of-range.xml", 422, None),
    ("markup/char-ref-surrogate.xml", 422, None),
    ("markup/char-ref-huge-decimal.xml", 422, None),
    ("markup/pi-unclosed.xml", 422, None),
    ("markup/pi-only-no-root.xml", 422, None),
    ("markup/pi-stylesheet-ignored.xml", 200, None),
    ("markup/cdata-unclosed.xml", 422, None),
    ("markup/cdata-outside-root.xml", 422, None),
    ("markup/cdata-markup-is-text.xml", 200, None),
    ("markup/comment-unclosed.xml", 422, None),
    ("markup/unclosed-tag.xml", 422, None),
    ("markup/unclosed-root.xml", 422, None),
    ("markup/mismatched-close.xml", 422, None),
    ("markup/stray-close.xml", 422, None),
    ("markup/two-roots.xml", 422, None),
    ("markup/text-after-root.xml", 422, None),
    ("markup/no-root-empty.xml", 422, None),
    ("markup/wrong-root.xml", 422, None),
    ("markup/script-element.xml", 422, None),
    ("markup/attribute-unquoted.xml", 422, None),
    ("markup/attribute-duplicate.xml", 422, None),
    ("markup/attribute-lt-in-value.xml", 422, None),
    ("markup/attribute-unknown-onclick.xml", 422, None),
    ("markup/attribute-namespace-xlink.xml", 422, None),
    ("markup/img-src-local-path.xml", 422, None),
    ("markup/img-src-file-url.xml", 422, None),
    ("markup/img-src-file-traversal.xml", 422, None),
    ("markup/img-src-http.xml", 422, None),
    ("markup/img-src-data-not-image.xml", 422, None),
    ("markup/img-src-data-broken-base64.xml", 422, None),
    ("markup/element-name-garbage.xml", 422, None),
    ("markup/lt-in-text.xml", 422, None),
    ("markup/xml-decl-unclosed.xml", 422, None),
    ("markup/page-size-absurd.xml", 422, None),
    ("markup/qr-data-huge.xml", 422, None),
    ("markup/barcode-non-ascii.xml", 422, None),
    ("markup/table-colspan-huge.xml", 422, None),
    ("markup/font-size-negative.xml", 422, None),
    ("markup/colour-garbage.xml", 422, None),
    ("markup/link-javascript.xml", 422, None),
    // Templates sent as a pdf job's `template_source`.
    ("template/range-999999999.jinja", 422, None),
    ("template/nested-ranges-fuel.jinja", 422, None),
    ("template/while-true-via-recursive-loop.jinja", 422, None),
    ("template/macro-recursion.jinja", 422, None),
    ("template/macro-mutual-recursion.jinja", 422, None),
    ("template/huge-output-repeat.jinja", 422, None),
    ("template/repeat-over-limit.jinja", 422, None),
    ("template/repeat-huge-count.jinja", 422, None),
    ("template/list-repeat-over-limit.jinja", 422, None),
    ("template/string-doubling.jinja", 422, None),
    ("template/output-loop-64mib.jinja", 422, None),
    ("template/pages-bomb.jinja", 422, Some("")),
    ("template/syntax-unclosed-for.jinja", 422, None),
    ("template/syntax-unclosed-expression.jinja", 422, None),
    ("template/syntax-unclosed-raw.jinja", 422, None),
    ("template/include-etc-passwd.jinja", 422, None),
    ("template/include-traversal.jinja", 422, None),
    ("template/import-self.jinja", 422, None),
    ("template/extends-self.jinja", 422, None),
    ("template/ssti-python-globals.jinja", 422, None),
    ("template/ssti-config.jinja", 422, None),
    (
        "template/undefined-data.jinja",
        422,
        Some("/data/secret/password"),
    ),
    ("template/divide-by-zero.jinja", 422, None),
    ("template/integer-overflow.jinja", 422, None),
    ("template/pow-huge.jinja", 422, None),
    ("template/format-filter-abuse.jinja", 422, None),
    ("template/filter-unknown.jinja", 422, None),
    ("template/money-filter-garbage.jinja", 422, None),
    ("template/date-filter-garbage.jinja", 422, None),
    ("template/epc-garbage.jinja", 422, None),
    ("template/safe-markup-injection.jinja", 422, None),
    ("template/escaped-markup-injection.jinja", 200, None),
    ("template/set-recursion-dict.jinja", 422, None),
    ("template/import-as-not-a-name.jinja", 422, None),
    ("template/markup-errors-after-long-loop.jinja", 422, None),
    // Image files: one upload to /v1/images, and the source of an image job.
    ("image/text-named.png", 422, None),
    ("image/empty.jpg", 422, None),
    ("image/png-signature-only.png", 422, None),
    ("image/jpeg-soi-only.jpg", 422, None),
    ("image/jpeg-soi-garbage.jpg", 422, None),
    ("image/gif-header-only.gif", 422, None),
    ("image/svg-script.png", 422, None),
    ("image/html-polyglot.gif", 422, None),
    ("image/zip-named.jpg", 422, None),
    ("image/pdf-named.png", 422, None),
    ("image/bmp-header-only.bmp", 422, None),
    ("image/tiff-header-only.tif", 422, None),
    ("image/webp-riff-only.webp", 422, None),
    ("image/avif-ftyp-only.avif", 422, None),
    ("image/png-bad-crc.png", 422, None),
    ("image/png-zero-width.png", 422, None),
    ("image/png-100000x100000-header.png", 422, None),
    ("image/png-bad-colour-type.png", 422, None),
    ("image/png-idat-garbage.png", 422, None),
    ("image/png-no-idat.png", 422, None),
    ("image/png-chunk-length-4g.png", 422, None),
];

/// Files whose problem only layout finds: `/v1/validate` runs the template
/// and reads the markup but lays nothing out (README), so it says valid.
const FOUND_BY_LAYOUT: &[&str] = &["template/pages-bomb.jinja"];

fn corpus_dir() -> std::path::PathBuf {
    repo_path("tests/corpus")
}

/// Every file under `tests/corpus/`, as `channel/name`, sorted.
fn corpus_files() -> Vec<String> {
    let root = corpus_dir();
    let mut files = Vec::new();
    for channel in std::fs::read_dir(&root).expect("tests/corpus exists") {
        let channel = channel.expect("entry").path();
        if !channel.is_dir() {
            files.push(relative(&root, &channel));
            continue;
        }
        for file in std::fs::read_dir(&channel).expect("channel dir") {
            files.push(relative(&root, &file.expect("entry").path()));
        }
    }
    files.sort();
    files
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .expect("under the corpus")
        .to_string_lossy()
        .replace('\\', "/")
}

/// The requests a corpus file becomes, by its directory.
fn corpus_cases(file: &str, status: u16, pointer: Option<&str>) -> Vec<Case> {
    let bytes = std::fs::read(corpus_dir().join(file)).expect("corpus file readable");
    let (channel, name) = file.split_once('/').expect("channel/name");
    let expect_at = |default_pointer: Option<&str>, ok: &'static str| {
        if status == 200 {
            Expect::Ok(ok)
        } else {
            Expect::Problem(
                status,
                pointer
                    .or(if status == 422 { default_pointer } else { None })
                    .map(str::to_owned),
            )
        }
    };
    match channel {
        "json" => vec![
            Case::json(
                format!("{file} render"),
                "/v1/render",
                bytes.clone(),
                expect_at(None, ""),
            ),
            Case::json(
                format!("{file} validate"),
                "/v1/validate",
                bytes,
                expect_at(None, ""),
            ),
        ],
        "markup" | "template" => {
            let source = String::from_utf8(bytes).expect("markup and templates are UTF-8");
            let job = json!({"format": "pdf", "template_source": source}).to_string();
            let docx = json!({"format": "docx", "template_source": source}).to_string();
            let validated = if FOUND_BY_LAYOUT.contains(&file) {
                Expect::Ok("application/json")
            } else {
                expect_at(Some("/template_source"), "application/json")
            };
            vec![
                Case::json(
                    format!("{file} render"),
                    "/v1/render",
                    job.clone(),
                    expect_at(Some("/template_source"), "application/pdf"),
                ),
                Case::json(
                    format!("{file} validate"),
                    "/v1/validate",
                    job,
                    validated.clone(),
                ),
                Case::json(
                    format!("{file} validate docx"),
                    "/v1/validate",
                    docx,
                    validated,
                ),
            ]
        }
        "image" => {
            let job = json!({"format": "image", "source": "file:upload"});
            vec![
                images_upload(
                    format!("{file} /v1/images"),
                    &[(name, &bytes)],
                    &[],
                    expect_at(Some("/files/0"), ""),
                ),
                multipart_job(
                    format!("{file} image job"),
                    &job,
                    &[("upload", name, &bytes)],
                    expect_at(Some("/source"), ""),
                ),
            ]
        }
        other => panic!("tests/corpus/{other}: unknown channel (json, markup, template, image)"),
    }
}

#[test]
fn every_corpus_file_has_an_expectation() {
    let files = corpus_files();
    let known: Vec<&str> = CORPUS.iter().map(|(f, _, _)| *f).collect();
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| !known.contains(&f.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "corpus files without an expectation in hostile::CORPUS: {missing:?}"
    );
    let stale: Vec<&&str> = known
        .iter()
        .filter(|f| !files.iter().any(|g| g == *f))
        .collect();
    assert!(stale.is_empty(), "expectations without a file: {stale:?}");
    let mut sorted = known.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), known.len(), "a file is listed twice");
    let size: u64 = files
        .iter()
        .map(|f| std::fs::metadata(corpus_dir().join(f)).expect("size").len())
        .sum();
    assert!(size < 2 * 1024 * 1024, "the corpus holds {size} bytes");
}

fn all_corpus_cases() -> Vec<Case> {
    every_corpus_file_has_an_expectation();
    CORPUS
        .iter()
        .flat_map(|(file, status, pointer)| corpus_cases(file, *status, *pointer))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_in_process() {
    let state = state_with(test_config());
    let mut run = Run::new("corpus in process");
    run.in_process(&state, &all_corpus_cases()).await;
    assert_still_healthy(&state).await;
    run.finish();
}

// ---------------------------------------------------------------------------
// Multipart bodies

const BOUNDARY: &str = "hostileBoundary93c4";

fn multipart_body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file_name {
            Some(file_name) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// `POST /v1/images` with files and form fields.
fn images_upload(
    name: String,
    files: &[(&str, &[u8])],
    fields: &[(&str, &str)],
    expect: Expect,
) -> Case {
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = files
        .iter()
        .map(|(file_name, bytes)| ("files", Some(*file_name), *bytes))
        .collect();
    parts.extend(fields.iter().map(|(n, v)| (*n, None, v.as_bytes())));
    Case::post(
        name,
        "/v1/images",
        &multipart_type(),
        multipart_body(&parts),
        expect,
    )
}

/// `POST /v1/render` with a `job` part and file parts (part name, file name, bytes).
fn multipart_job(name: String, job: &Value, files: &[(&str, &str, &[u8])], expect: Expect) -> Case {
    let job = job.to_string();
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("job", None, job.as_bytes())];
    parts.extend(
        files
            .iter()
            .map(|(part, file_name, bytes)| (*part, Some(*file_name), *bytes)),
    );
    Case::post(
        name,
        "/v1/render",
        &multipart_type(),
        multipart_body(&parts),
        expect,
    )
}

// ---------------------------------------------------------------------------
// Generated inputs

fn zlib_zeros(len: usize) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len());
        encoder.write_all(&zeros[..n]).expect("deflate");
        left -= n;
    }
    encoder.finish().expect("deflate")
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// A grey 8-bit PNG whose header says `w` × `h` and whose IDAT inflates to
/// `raw` zero bytes.
fn png_claiming(w: u32, h: u32, raw: usize) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &zlib_zeros(raw));
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// 8000 × 8000 grey (64 MP, over the 50 MP default): every row is really
/// there, 64 MB of zeros deflated to about 62 KB.
fn deflate_bomb() -> &'static [u8] {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| png_claiming(8000, 8000, 8000 * 8001))
}

fn encoded(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 99]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .expect("encode");
    out.into_inner()
}

/// A real JPEG whose SOF0 says 65500 × 65500.
fn jpeg_claiming_huge() -> Vec<u8> {
    let mut jpeg = encoded(16, 16, image::ImageFormat::Jpeg);
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline JPEG has SOF0");
    // FFC0, length (2), precision (1), height (2), width (2).
    jpeg[sof + 5..sof + 7].copy_from_slice(&65500u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&65500u16.to_be_bytes());
    jpeg
}

fn gif_claiming_huge() -> Vec<u8> {
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00]);
    gif.extend_from_slice(&[b',', 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]);
    gif.extend_from_slice(&[2, 2, 0x44, 0x01, 0, b';']);
    gif
}

fn bmp_claiming_huge() -> Vec<u8> {
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&(54u32 + 16).to_le_bytes());
    bmp.extend_from_slice(&[0; 4]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&100_000i32.to_le_bytes());
    bmp.extend_from_slice(&100_000i32.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 24]);
    bmp.extend_from_slice(&[0; 16]);
    bmp
}

fn webp_claiming_huge() -> Vec<u8> {
    let mut vp8x = vec![0u8; 4];
    let side = (16384u32 - 1).to_le_bytes();
    vp8x.extend_from_slice(&side[..3]);
    vp8x.extend_from_slice(&side[..3]);
    let mut webp = b"RIFF".to_vec();
    webp.extend_from_slice(&(4u32 + 8 + 10).to_le_bytes());
    webp.extend_from_slice(b"WEBPVP8X");
    webp.extend_from_slice(&10u32.to_le_bytes());
    webp.extend_from_slice(&vp8x);
    webp
}

fn tiff_claiming_huge() -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    let entries: [(u16, u16, u32); 8] = [
        (256, 4, 100_000), // ImageWidth, LONG
        (257, 4, 100_000), // ImageLength
        (258, 3, 8),       // BitsPerSample
        (259, 3, 1),       // Compression: none
        (262, 3, 1),       // Photometric: black is zero
        (273, 4, 200),     // StripOffsets
        (278, 4, 100_000), // RowsPerStrip
        (279, 4, 16),      // StripByteCounts
    ];
    tiff.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&value.to_le_bytes());
    }
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.resize(216, 0);
    tiff
}

/// The image attacks, by name, with what a pdf `<img>` of each must get.
/// Documents embed PNG and JPEG as they are, reading only their headers
/// (src/doc/lower/image.rs): a truncated PNG is found by the PDF writer
/// (a problem about the whole job), a truncated JPEG is embedded as is.
fn hostile_images() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let jpeg = encoded(160, 120, image::ImageFormat::Jpeg);
    let png = encoded(40, 30, image::ImageFormat::Png);
    let at = || problem_at(422, "/template_source");
    vec![
        (
            "png-100000x100000.png",
            png_claiming(100_000, 100_000, 100_001 * 4),
            at(),
        ),
        (
            "png-deflate-bomb-8000x8000.png",
            deflate_bomb().to_vec(),
            at(),
        ),
        (
            "png-1x4294967295.png",
            png_claiming(1, u32::MAX, 1000),
            at(),
        ),
        ("jpeg-sof-65500x65500.jpg", jpeg_claiming_huge(), at()),
        ("gif-65535x65535.gif", gif_claiming_huge(), at()),
        ("bmp-100000x100000.bmp", bmp_claiming_huge(), at()),
        ("webp-vp8x-16384x16384.webp", webp_claiming_huge(), at()),
        ("tiff-100000x100000.tif", tiff_claiming_huge(), at()),
        (
            "jpeg-truncated-half.jpg",
            jpeg[..jpeg.len() / 2].to_vec(),
            Expect::Ok("application/pdf"),
        ),
        (
            "jpeg-truncated-after-header.jpg",
            jpeg[..200].to_vec(),
            at(),
        ),
        (
            "png-truncated-half.png",
            png[..png.len() / 2].to_vec(),
            problem_at(422, ""),
        ),
        (
            "random-bytes.png",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
            at(),
        ),
    ]
}

fn image_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (name, bytes, in_pdf) in hostile_images() {
        cases.push(images_upload(
            format!("{name} /v1/images"),
            &[(name, &bytes)],
            &[],
            problem_at(422, "/files/0"),
        ));
        // With a good file beside it: the batch answers with a manifest,
        // unless all_or_nothing, which is then a 422 at the bad file.
        let good = encoded(8, 8, image::ImageFormat::Png);
        cases.push(images_upload(
            format!("{name} /v1/images all_or_nothing"),
            &[("good.png", &good), (name, &bytes)],
            &[("all_or_nothing", "true")],
            problem_at(422, "/files/1"),
        ));
        cases.push(multipart_job(
            format!("{name} image job (multipart)"),
            &json!({"format": "image", "source": "file:photo", "resize": {"width": 64}}),
            &[("photo", name, &bytes)],
            problem_at(422, "/source"),
        ));
        let url = data_url("application/octet-stream", &bytes);
        cases.push(Case::json(
            format!("{name} image job (data URL)"),
            "/v1/render",
            json!({"format": "image", "source": url}).to_string(),
            problem_at(422, "/source"),
        ));
        cases.push(Case::json(
            format!("{name} image job in a zip job"),
            "/v1/render",
            json!({"format": "zip", "entries": [
                {"path": "x.webp", "job": {"format": "image", "source": url, "output": {"format": "webp"}}},
                {"path": "ok.txt", "text": "ok"}
            ]})
            .to_string(),
            problem_at(422, "/entries/0/job/source"),
        ));
        // Later in the archive with on_error skip: the entry is left out.
        cases.push(Case::json(
            format!("{name} image job in a zip job, skipped"),
            "/v1/render",
            json!({"format": "zip", "on_error": "skip", "entries": [
                {"path": "ok.txt", "text": "ok"},
                {"path": "x.webp", "job": {"format": "image", "source": url, "output": {"format": "webp"}}}
            ]})
            .to_string(),
            Expect::Ok("application/zip"),
        ));
        cases.push(Case::json(
            format!("{name} in a pdf <img>"),
            "/v1/render",
            json!({"format": "pdf",
                   "template_source": format!("<document><img src=\"{}\"/></document>", data_url("image/png", &bytes))})
            .to_string(),
            in_pdf,
        ));
    }
    // Form fields with hostile numbers.
    let good = encoded(8, 8, image::ImageFormat::Png);
    for (field, value) in [
        ("width", "1e400"),
        ("width", "18446744073709551617"),
        ("width", "-0"),
        ("width", "0"),
        ("height", "1e-400"),
        ("height", "99999999999999999999999999"),
        ("quality", "NaN"),
        ("effort", "-1"),
        ("background", "#zzzzzzzz"),
        ("fit", "../../etc/passwd"),
    ] {
        cases.push(images_upload(
            format!("/v1/images {field}={value}"),
            &[("a.png", &good)],
            &[(field, value)],
            problem_at(422, &format!("/{field}")),
        ));
    }
    cases.push(images_upload(
        "/v1/images unknown field with slashes".into(),
        &[("a.png", &good)],
        &[("../x~y", "1")],
        problem_at(422, "/..~1x~0y"),
    ));
    cases.push(images_upload(
        "/v1/images 101 files (limit 100)".into(),
        &vec![("x.png", b"x".as_slice()); 101],
        &[],
        problem_at(422, "/files"),
    ));
    cases.push(images_upload(
        "/v1/images no files".into(),
        &[],
        &[],
        problem_at(422, "/files"),
    ));
    cases
}

/// `n` nested arrays, `[[[…]]]`.
fn nested_arrays(n: usize) -> String {
    format!("{}{}", "[".repeat(n), "]".repeat(n))
}

/// `n` nested objects, `{"a":{"a":…{}}}`.
fn nested_objects(n: usize) -> String {
    format!("{}{{}}{}", "{\"a\":".repeat(n), "}".repeat(n))
}

fn json_cases() -> Vec<Case> {
    const DEEP: usize = 100_000;
    let pdf_with_data = |data: &str| {
        format!("{{\"format\":\"pdf\",\"template_source\":\"<document/>\",\"data\":{data}}}")
    };
    let ten_mb = "x".repeat(10 * 1024 * 1024);
    let mut cases = vec![
        Case::json(
            "100k-deep [[[ as data",
            "/v1/render",
            pdf_with_data(&nested_arrays(DEEP)),
            problem(400),
        ),
        Case::json(
            "100k-deep {\"a\":{ as data",
            "/v1/render",
            pdf_with_data(&nested_objects(DEEP)),
            problem(400),
        ),
        Case::json(
            "100k-deep [[[ unclosed",
            "/v1/render",
            pdf_with_data(&"[".repeat(DEEP)),
            problem(400),
        ),
        Case::json(
            "100k-deep [[[ as the job",
            "/v1/render",
            nested_arrays(DEEP),
            problem(422),
        ),
        Case::json(
            "100k-deep {\"a\":{ as the job",
            "/v1/render",
            nested_objects(DEEP),
            problem_at(422, "/a"),
        ),
        Case::json(
            "100k-deep {\"data\":{ as the job",
            "/v1/render",
            format!("{}{{}}{}", "{\"data\":".repeat(DEEP), "}".repeat(DEEP)),
            problem(400),
        ),
        Case::json(
            "100k-deep rows of an xlsx sheet",
            "/v1/render",
            format!(
                "{{\"format\":\"xlsx\",\"workbook\":{{\"sheets\":[{{\"name\":\"S\",\"columns\":[{{\"header\":\"N\"}}],\"rows\":[{}]}}]}}}}",
                nested_arrays(DEEP)
            ),
            problem_at(422, "/workbook/sheets/0/rows/0/0"),
        ),
        Case::json(
            "100k-deep zip entries",
            "/v1/render",
            format!("{{\"format\":\"zip\",\"entries\":{}}}", nested_arrays(DEEP)),
            problem(400),
        ),
        Case::json(
            "10 MB string as filename",
            "/v1/render",
            json!({"format": "xlsx", "filename": ten_mb, "workbook": {"sheets": [
                {"name": "S", "columns": [{"header": "N"}], "rows": [[1]]}]}})
            .to_string(),
            problem_at(422, "/filename"),
        ),
        Case::json(
            "10 MB string as an xlsx cell",
            "/v1/validate",
            json!({"format": "xlsx", "workbook": {"sheets": [
                {"name": "S", "columns": [{"header": "N"}], "rows": [[ten_mb]]}]}})
            .to_string(),
            problem_at(422, "/workbook/sheets/0/rows/0/0"),
        ),
        Case::json(
            "10 MB of template text without markup",
            "/v1/render",
            json!({"format": "pdf", "template_source": ten_mb}).to_string(),
            problem_at(422, "/template_source"),
        ),
        Case::json(
            "10 MB unterminated string",
            "/v1/render",
            format!("{{\"format\":\"{ten_mb}"),
            problem(400),
        ),
    ];
    // 200,000 bad cells: every problem is found, at most 100 are listed.
    let rows: Vec<Value> = (0..200_000).map(|_| json!(["ten"])).collect();
    cases.push(Case::json(
        "200k bad xlsx cells",
        "/v1/render",
        json!({"format": "xlsx", "workbook": {"sheets": [
            {"name": "S", "columns": [{"header": "N", "type": "number"}], "rows": rows}]}})
        .to_string(),
        problem_at(422, "/workbook/sheets/0/rows/0/0"),
    ));
    // 100,000 attributes on one element.
    let attributes: String = (0..100_000).map(|i| format!(" a{i}=\"v\"")).collect();
    cases.push(Case::json(
        "100k unknown attributes",
        "/v1/render",
        json!({"format": "pdf", "template_source": format!("<document><p{attributes}>x</p></document>")}).to_string(),
        problem_at(422, "/template_source"),
    ));
    cases
}

fn markup_cases() -> Vec<Case> {
    let pdf = |name: &str, source: String| {
        Case::json(
            name,
            "/v1/render",
            json!({"format": "pdf", "template_source": source}).to_string(),
            problem_at(422, "/template_source"),
        )
    };
    let deep = 10_000;
    vec![
        pdf(
            "10k-deep <b> nesting",
            format!(
                "<document><p>{}x{}</p></document>",
                "<b>".repeat(deep),
                "</b>".repeat(deep)
            ),
        ),
        pdf(
            "10k-deep <list> nesting, unclosed",
            format!("<document>{}", "<list><li>".repeat(deep)),
        ),
        pdf(
            "10k-deep elements, no root close",
            "<document>".repeat(deep),
        ),
        pdf(
            "2 MB attribute value",
            format!(
                "<document><p align=\"{}\">x</p></document>",
                "r".repeat(2 << 20)
            ),
        ),
        pdf(
            "2 MB attribute value, unterminated",
            format!("<document><p align=\"{}", "r".repeat(2 << 20)),
        ),
        pdf(
            "100k entity references",
            format!("<document><p>{}</p></document>", "&bogus;".repeat(100_000)),
        ),
        pdf(
            "10k-deep ((((…)))) in a template expression",
            format!(
                "<document><p>{{{{ {}1{} }}}}</p></document>",
                "(".repeat(deep),
                ")".repeat(deep)
            ),
        ),
        pdf(
            "10k-deep [[[[…]]]] in a template expression",
            format!(
                "<document><p>{{{{ {}1{} }}}}</p></document>",
                "[".repeat(deep),
                "]".repeat(deep)
            ),
        ),
        pdf(
            "10k-deep {% if %} blocks",
            format!(
                "<document>{}<p>x</p>{}</document>",
                "{% if true %}".repeat(deep),
                "{% endif %}".repeat(deep)
            ),
        ),
        pdf(
            "10k-deep {% for %} blocks",
            format!(
                "<document>{}<p>x</p>{}</document>",
                "{% for i in [1] %}".repeat(deep),
                "{% endfor %}".repeat(deep)
            ),
        ),
    ]
}

fn text_entry(path: &str) -> Value {
    json!({"path": path, "text": "x"})
}

fn zip_cases() -> Vec<Case> {
    let nest =
        |inner: Value| json!({"format": "zip", "entries": [{"path": "n.zip", "job": inner}]});
    let leaf = json!({"format": "zip", "entries": [text_entry("leaf.txt")]});
    let many: Vec<Value> = (0..10_001)
        .map(|i| text_entry(&format!("t/{i}.txt")))
        .collect();
    vec![
        Case::json(
            "zip: 4 levels of archives (limit 3)",
            "/v1/render",
            nest(nest(nest(leaf.clone()))).to_string(),
            problem_at(422, "/entries/0/job/entries/0/job/entries/0/job/format"),
        ),
        Case::json(
            "zip: 30 levels of archives",
            "/v1/render",
            (0..30).fold(leaf.clone(), |inner, _| nest(inner)).to_string(),
            problem(422),
        ),
        Case::json(
            "zip: 50 levels of archives (JSON nesting over 128)",
            "/v1/render",
            (0..50).fold(leaf, |inner, _| nest(inner)).to_string(),
            problem(400),
        ),
        Case::json(
            "zip: 10,001 entries (limit 10,000)",
            "/v1/render",
            json!({"format": "zip", "entries": many}).to_string(),
            problem_at(422, ""),
        ),
        Case::json(
            "zip: every path names no file",
            "/v1/render",
            json!({"format": "zip", "entries": [
                text_entry(".."), text_entry("/"), text_entry("../../"), text_entry("C:\\"),
                text_entry("\\\\?\\"), text_entry(" . "), text_entry("\u{0}\u{1}\u{7f}"), text_entry("")
            ]})
            .to_string(),
            problem_at(422, "/entries/0/path"),
        ),
        Case::json(
            "zip: batch path is a runaway template",
            "/v1/render",
            json!({"format": "zip", "batch": {
                "path": "{% for i in range(999999999) %}x{% endfor %}.pdf",
                "job": {"format": "pdf", "template_source": "<document/>"},
                "items": [{}]}})
            .to_string(),
            problem(422),
        ),
        Case::json(
            "zip: batch path is a recursion bomb",
            "/v1/render",
            json!({"format": "zip", "batch": {
                "path": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
                "job": {"format": "pdf", "template_source": "<document/>"},
                "items": [{}]}})
            .to_string(),
            problem(422),
        ),
        Case::json(
            "zip: batch path renders to ../..",
            "/v1/render",
            json!({"format": "zip", "batch": {
                "path": "{{ p }}",
                "job": {"format": "pdf", "template_source": "<document/>"},
                "items": [{"p": "../.."}]}})
            .to_string(),
            problem_at(422, "/batch/items/0"),
        ),
        Case::json(
            "zip: nested job is a billion laughs",
            "/v1/render",
            json!({"format": "zip", "entries": [{"path": "a.pdf", "job": {"format": "pdf",
                "template_source": "<!DOCTYPE d [<!ENTITY a \"aaaa\">]><document><p>&a;</p></document>"}}]})
            .to_string(),
            problem(422),
        ),
    ]
}

fn content_type_cases() -> Vec<Case> {
    let job = sales_job(2).to_string().into_bytes();
    let form = multipart_body(&[("job", None, &job)]);
    let mut cases = Vec::new();
    for (ct, status) in [
        ("text/plain", 415),
        ("application/xml", 415),
        ("text/xml", 415),
        ("application/x-www-form-urlencoded", 415),
        ("application/jsonx", 415),
        ("application/json-patch+json", 415),
        ("application/octet-stream", 415),
        ("image/png", 415),
        ("*/*", 415),
        ("", 415),
        ("multipart/form-data", 400),
        ("multipart/form-data; boundary=", 400),
        ("multipart/mixed; boundary=hostileBoundary93c4", 415),
    ] {
        for path in ["/v1/render", "/v1/validate"] {
            cases.push(Case::post(
                format!("{path} Content-Type {ct:?}"),
                path,
                ct,
                job.clone(),
                problem(status),
            ));
        }
    }
    cases.push(Case::post(
        "/v1/render JSON sent as multipart",
        "/v1/render",
        &multipart_type(),
        job.clone(),
        problem(400),
    ));
    cases.push(Case::post(
        "/v1/render multipart with another boundary",
        "/v1/render",
        "multipart/form-data; boundary=notTheOneUsed",
        form.clone(),
        problem(400),
    ));
    let unterminated = form[..form.len() - format!("--{BOUNDARY}--\r\n").len()].to_vec();
    cases.push(Case::post(
        "/v1/render multipart without its closing boundary",
        "/v1/render",
        &multipart_type(),
        unterminated.clone(),
        problem(400),
    ));
    let cut = form[..form.len() / 2].to_vec();
    cases.push(Case::post(
        "/v1/render multipart cut in the middle of the job",
        "/v1/render",
        &multipart_type(),
        cut,
        problem(400),
    ));
    let mut no_headers = format!("--{BOUNDARY}\r\n\r\n").into_bytes();
    no_headers.extend_from_slice(&job);
    no_headers.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    cases.push(Case::post(
        "/v1/render multipart part without headers",
        "/v1/render",
        &multipart_type(),
        no_headers,
        problem(400),
    ));
    cases.push(Case::post(
        "/v1/render multipart with only a closing boundary",
        "/v1/render",
        &multipart_type(),
        format!("--{BOUNDARY}--\r\n").into_bytes(),
        problem_at(422, ""),
    ));
    cases.push(Case::post(
        "/v1/render multipart job part is malformed JSON",
        "/v1/render",
        &multipart_type(),
        multipart_body(&[("job", None, b"{\"format\": ")]),
        problem(400),
    ));
    cases.push(Case::post(
        "/v1/render multipart job part is invalid UTF-8",
        "/v1/render",
        &multipart_type(),
        multipart_body(&[("job", None, b"{\"format\": \"\xff\xfe\"}")]),
        problem(400),
    ));
    cases.push(Case::post(
        "/v1/images Content-Type text/plain",
        "/v1/images",
        "text/plain",
        b"hello".to_vec(),
        problem(415),
    ));
    cases.push(Case::post(
        "/v1/images multipart without boundary",
        "/v1/images",
        "multipart/form-data",
        form.clone(),
        problem(400),
    ));
    cases.push(Case::post(
        "/v1/images multipart without its closing boundary",
        "/v1/images",
        &multipart_type(),
        unterminated,
        problem(400),
    ));
    cases.push(Case::post(
        "/v1/images JSON body",
        "/v1/images",
        "application/json",
        job,
        problem(415),
    ));
    cases
}

fn routing_cases() -> Vec<Case> {
    let long = format!("/{}", "a".repeat(8000));
    vec![
        Case::new("GET /nope", "GET", "/nope", problem(404)),
        Case::new("GET /v2/render", "GET", "/v2/render", problem(404)),
        Case::new(
            "POST /v1/render/ (trailing slash)",
            "POST",
            "/v1/render/",
            problem(404),
        ),
        Case::new(
            "GET /v1/../etc/passwd",
            "GET",
            "/v1/../etc/passwd",
            problem(404),
        ),
        Case::new(
            "GET /%2e%2e/%2e%2e/etc/passwd",
            "GET",
            "/%2e%2e/%2e%2e/etc/passwd",
            problem(404),
        ),
        Case::new("GET 8000-char path", "GET", &long, problem(404)),
        Case::new(
            "GET /v1/templates/..%2F..%2Fetc%2Fpasswd",
            "GET",
            "/v1/templates/..%2F..%2Fetc%2Fpasswd",
            problem(404),
        ),
        Case::new(
            "GET /v1/templates/%00",
            "GET",
            "/v1/templates/%00",
            problem(404),
        ),
        Case::new(
            "GET /v1/templates/invoice/extra",
            "GET",
            "/v1/templates/invoice/extra",
            problem(404),
        ),
        Case::new("GET /v1/render", "GET", "/v1/render", problem(405)),
        Case::new("PUT /v1/render", "PUT", "/v1/render", problem(405)),
        Case::new("DELETE /v1/render", "DELETE", "/v1/render", problem(405)),
        Case::new("PATCH /v1/validate", "PATCH", "/v1/validate", problem(405)),
        Case::new("GET /v1/images", "GET", "/v1/images", problem(405)),
        Case::new("POST /healthz", "POST", "/healthz", problem(405)),
        Case::new("DELETE /metrics", "DELETE", "/metrics", problem(405)),
        Case::new("PUT /openapi.json", "PUT", "/openapi.json", problem(405)),
        Case::new("POST /v1/templates", "POST", "/v1/templates", problem(405)),
        Case::new(
            "PATCH /v1/templates/invoice",
            "PATCH",
            "/v1/templates/invoice",
            problem(405),
        ),
        // Built-in templates cannot be deleted (stored ones can).
        Case::new(
            "DELETE /v1/templates/invoice",
            "DELETE",
            "/v1/templates/invoice",
            problem(409),
        ),
        Case::new("OPTIONS /v1/render", "OPTIONS", "/v1/render", problem(405)),
        Case::new("TRACE /v1/render", "TRACE", "/v1/render", problem(405)),
    ]
}

/// Every generated case that runs with the default limits.
fn generated_cases() -> Vec<Case> {
    let mut cases = json_cases();
    cases.extend(markup_cases());
    cases.extend(zip_cases());
    cases.extend(image_cases());
    cases.extend(content_type_cases());
    cases.extend(routing_cases());
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_in_process() {
    let state = state_with(test_config());
    let mut run = Run::new("generated in process");
    run.in_process(&state, &generated_cases()).await;
    assert_still_healthy(&state).await;
    run.finish();
}

// ---------------------------------------------------------------------------
// Small limits

#[tokio::test]
async fn bodies_over_small_limits_are_413() {
    let config = ServiceConfig {
        max_body: 4096,
        max_upload: 8192,
        ..test_config()
    };
    let state = state_with(config);
    let big_job = sales_job(200).to_string();
    assert!(big_job.len() > 4096);
    let mut run = Run::new("small body limits");

    // With a Content-Length (the generic cases add one).
    let cases = vec![
        Case::json(
            "JSON over --max-body",
            "/v1/render",
            big_job.clone(),
            problem(413),
        ),
        Case::json(
            "JSON over --max-body to validate",
            "/v1/validate",
            big_job.clone(),
            problem(413),
        ),
        Case::json(
            "malformed JSON over --max-body",
            "/v1/render",
            "{".repeat(5000),
            problem(413),
        ),
        Case::post(
            "multipart over --max-body",
            "/v1/render",
            &multipart_type(),
            multipart_body(&[("job", None, big_job.as_bytes())]),
            problem(413),
        ),
        Case::post(
            "multipart with a big file part over --max-body",
            "/v1/render",
            &multipart_type(),
            multipart_body(&[("job", None, b"{}"), ("f", Some("f.bin"), &[0u8; 8000])]),
            problem(413),
        ),
        images_upload(
            "/v1/images over --max-upload".into(),
            &[("a.png", &[0u8; 9000])],
            &[],
            problem(413),
        ),
        Case::json(
            "JSON at exactly --max-body",
            "/v1/render",
            format!("{:<4096}", "{\"format\":\"x\"}"),
            problem_at(422, "/format"),
        ),
    ];
    run.in_process(&state, &cases).await;

    // Without a Content-Length: the limit is found while reading.
    let chunked = |bytes: Vec<u8>| {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            bytes.chunks(1000).map(|c| Ok(c.to_vec())).collect();
        Body::from_stream(futures_util::stream::iter(chunks))
    };
    let streamed = [
        (
            "streamed JSON over --max-body",
            "/v1/render",
            "application/json".to_owned(),
            big_job.clone().into_bytes(),
        ),
        (
            "streamed multipart over --max-body",
            "/v1/render",
            multipart_type(),
            multipart_body(&[("job", None, big_job.as_bytes())]),
        ),
        (
            "streamed upload over --max-upload",
            "/v1/images",
            multipart_type(),
            multipart_body(&[("files", Some("a.png"), &[0u8; 9000])]),
        ),
    ];
    for (name, path, ct, bytes) in streamed {
        let request = Request::post(path)
            .header("content-type", ct)
            .body(chunked(bytes))
            .expect("request");
        assert!(request.headers().get("content-length").is_none());
        let got = in_process(&state, request).await;
        run.record(name, &problem(413), got);
    }

    // A declared length far over the limit is refused before any byte is read.
    let request = Request::post("/v1/render")
        .header("content-type", "application/json")
        .header("content-length", "10737418240")
        .body(Body::from_stream(futures_util::stream::pending::<
            Result<Vec<u8>, std::io::Error>,
        >()))
        .expect("request");
    let got = in_process(&state, request).await;
    run.record("declared 10 GiB, body never sent", &problem(413), got);

    assert_still_healthy(&state).await;
    run.finish();
}

#[tokio::test]
async fn ten_megabyte_string_is_413_or_422_by_the_limit() {
    let job = json!({"format": "xlsx", "filename": "x".repeat(10 * 1024 * 1024),
        "workbook": {"sheets": [{"name": "S", "columns": [{"header": "N"}], "rows": [[1]]}]}})
    .to_string();
    for (max_body, status) in [(8 * 1024 * 1024, 413), (32 * 1024 * 1024, 422)] {
        let state = state_with(ServiceConfig {
            max_body,
            ..test_config()
        });
        let got = in_process(&state, post_json("/v1/render", job.clone()))
            .await
            .expect("answers");
        let want = if status == 422 {
            problem_at(422, "/filename")
        } else {
            problem(413)
        };
        verify(&want, &got).unwrap_or_else(|e| panic!("max_body {max_body}: {e}"));
    }
}

fn catalog_with(limits: impl FnOnce(&mut docsmith::templates::DocLimits)) -> Arc<AppState> {
    let mut catalog = Catalog::load(&repo_path("templates")).expect("templates");
    limits(&mut catalog.doc_limits);
    AppState::new(test_config(), catalog)
}

#[tokio::test]
async fn small_zip_and_image_limits() {
    let mut run = Run::new("small zip and image limits");

    let state = catalog_with(|l| {
        l.max_zip_entries = 5;
        l.max_zip_depth = 1;
    });
    let entries: Vec<Value> = (0..6).map(|i| text_entry(&format!("{i}.txt"))).collect();
    let batch_items: Vec<Value> = (0..6).map(|i| json!({"n": i})).collect();
    let cases = vec![
        Case::json(
            "6 entries (limit 5)",
            "/v1/render",
            json!({"format": "zip", "entries": entries}).to_string(),
            problem_at(422, ""),
        ),
        Case::json(
            "6 batch items (limit 5)",
            "/v1/render",
            json!({"format": "zip", "batch": {"path": "{{ n }}.pdf",
                "job": {"format": "pdf", "template_source": "<document/>"}, "items": batch_items}})
            .to_string(),
            problem_at(422, ""),
        ),
        Case::json(
            "an archive in an archive (depth 1)",
            "/v1/render",
            json!({"format": "zip", "entries": [{"path": "n.zip",
                "job": {"format": "zip", "entries": [text_entry("a.txt")]}}]})
            .to_string(),
            problem_at(422, "/entries/0/job/format"),
        ),
    ];
    run.in_process(&state, &cases).await;
    assert_still_healthy(&state).await;

    // 2000 × 2000 zeros: 4 MP from a 4 KB deflate stream, over a 1 MP limit.
    let state = catalog_with(|l| l.max_image_pixels = 1_000_000);
    let bomb = png_claiming(2000, 2000, 2000 * 2001);
    assert!(bomb.len() < 16 * 1024, "{} bytes", bomb.len());
    let cases = vec![
        images_upload(
            "4 MP PNG (limit 1 MP)".into(),
            &[("bomb.png", &bomb)],
            &[],
            problem_at(422, "/files/0"),
        ),
        multipart_job(
            "4 MP PNG image job (limit 1 MP)".into(),
            &json!({"format": "image", "source": "file:photo"}),
            &[("photo", "bomb.png", &bomb)],
            problem_at(422, "/source"),
        ),
        multipart_job(
            "4 MP PNG in a pdf (limit 1 MP)".into(),
            &json!({"format": "pdf", "template_source": "<document><img src=\"file:logo\"/></document>"}),
            &[("logo", "bomb.png", &bomb)],
            problem_at(422, "/template_source"),
        ),
    ];
    run.in_process(&state, &cases).await;
    assert_still_healthy(&state).await;
    run.finish();
}

// ---------------------------------------------------------------------------
// Neutralised: traversal paths in a zip job come back safe

fn zip_names(bytes: &[u8]) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a readable ZIP");
    (0..archive.len())
        .map(|i| {
            archive
                .by_index(i)
                .expect("entry")
                .name()
                .expect("UTF-8 name")
                .into_owned()
        })
        .collect()
}

fn assert_safe_name(name: &str) {
    assert!(!name.is_empty(), "empty name");
    assert!(!name.starts_with('/'), "{name:?} is absolute");
    assert!(!name.contains('\\'), "{name:?} has a backslash");
    assert!(
        !name
            .split('/')
            .any(|part| part == ".." || part == "." || part.is_empty()),
        "{name:?} has a dot or empty segment"
    );
    assert!(
        !name
            .chars()
            .any(|c| c.is_control() || "<>:\"|?*".contains(c)),
        "{name:?}"
    );
}

#[tokio::test]
async fn zip_traversal_paths_are_neutralised() {
    let state = state_with(test_config());
    let raw = [
        "../../../../../../etc/passwd",
        "..\\..\\..\\windows\\system32\\config\\sam",
        "/etc/shadow",
        "C:\\autoexec.bat",
        "\\\\server\\share\\x.txt",
        "a/../../b/../../../c.txt",
        "./././d.txt",
        "e/\u{0}/f.txt",
        "g\r\nh.txt",
        "AUX.txt",
        "lpt1",
        "trail. . .",
        "x/..../y.txt",
        "%2e%2e%2fz.txt",
        "\u{202e}txt.exe",
        "ok.txt",
    ];
    let entries: Vec<Value> = raw.iter().map(|p| json!({"path": p, "text": p})).collect();
    let job = json!({"format": "zip", "manifest": true, "entries": entries}).to_string();
    let got = in_process(&state, post_json("/v1/render", job.clone()))
        .await
        .expect("answers");
    verify(&Expect::Ok("application/zip"), &got).expect("200 and an archive");
    let names = zip_names(&got.body);
    assert_eq!(names.len(), raw.len() + 1, "{names:?}");
    for name in &names {
        assert_safe_name(name);
    }
    assert_eq!(names[0], "etc/passwd");
    assert_eq!(names.last().map(String::as_str), Some("manifest.json"));

    // The same over the nested archive of a nested job.
    let nested = json!({"format": "zip", "entries": [{"path": "../../n.zip", "job":
        {"format": "zip", "entries": raw.iter().map(|p| json!({"path": p, "text": "x"})).collect::<Vec<_>>()}}]})
    .to_string();
    let got = in_process(&state, post_json("/v1/render", nested))
        .await
        .expect("answers");
    verify(&Expect::Ok("application/zip"), &got).expect("200 and an archive");
    let outer = zip_names(&got.body);
    assert_eq!(outer, ["n.zip"]);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&got.body)).expect("zip");
    let mut inner = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_index(0).expect("n.zip"), &mut inner).expect("read");
    for name in zip_names(&inner) {
        assert_safe_name(&name);
    }
    assert_still_healthy(&state).await;
}

// ---------------------------------------------------------------------------
// Over a real socket

/// Kills the server it holds when dropped, so a failed test leaves no process.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A connection-level case: name, the raw request, whether to close the
/// write side after it, the statuses of the answers in order, and whether
/// the first answer comes from the service (problem+json) rather than from
/// hyper.
type RawCase = (&'static str, Vec<u8>, bool, Vec<u16>, bool);

/// One raw HTTP/1.1 exchange: writes `request` (while reading), reads what
/// comes back until the server closes or `LIMIT` passes.
async fn raw_exchange(
    addr: &str,
    request: Vec<u8>,
    then_close_write: bool,
) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let addr = addr.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut reader =
            std::net::TcpStream::connect(&addr).map_err(|e| format!("connect: {e}"))?;
        let mut writer = reader.try_clone().map_err(|e| format!("clone: {e}"))?;
        // The server may answer and close before reading everything: write
        // on a thread of its own and ignore its errors.
        let writing = std::thread::spawn(move || {
            let _ = writer.write_all(&request);
            if then_close_write {
                let _ = writer.shutdown(std::net::Shutdown::Write);
            }
        });
        let deadline = Instant::now() + LIMIT;
        let mut received = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let _ = reader.shutdown(std::net::Shutdown::Both);
                let _ = writing.join();
                return Err(format!(
                    "no end of answer within {LIMIT:?}; got {:?}",
                    String::from_utf8_lossy(&received)
                ));
            }
            reader
                .set_read_timeout(Some(left))
                .map_err(|e| e.to_string())?;
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        let _ = reader.shutdown(std::net::Shutdown::Both);
        let _ = writing.join();
        Ok(received)
    })
    .await
    .map_err(|e| format!("join: {e}"))?
}

/// The responses in `bytes` (status, content-type, body), in order.
fn parse_responses(mut bytes: &[u8]) -> Vec<(u16, String, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut content_type = String::new();
        let mut length = 0;
        for line in lines {
            if let Some((k, v)) = line.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-type" => content_type = v.trim().to_owned(),
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let rest = &bytes[end + 4..];
        let take = length.min(rest.len());
        out.push((status, content_type, rest[..take].to_vec()));
        bytes = &rest[take..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_real_socket() {
    let max_body = SOCKET_MAX_BODY.to_string();
    let (child, base) = start_server(&[
        "--workers",
        "2",
        "--max-body",
        &max_body,
        "--body-timeout",
        "2s",
    ]);
    let mut server = Server(child);
    let addr = base.trim_start_matches("http://").to_owned();
    let client = reqwest::Client::builder()
        .timeout(LIMIT)
        .build()
        .expect("client");
    let limits = BodyLimits {
        max_body: SOCKET_MAX_BODY,
        max_upload: ServiceConfig::default().max_upload,
    };
    let mut run = Run::new("over a socket");
    // The corpus without its docx validations (the same checks as pdf),
    // to keep the heavy templates from running three times here too.
    let corpus: Vec<Case> = all_corpus_cases()
        .into_iter()
        .filter(|case| !case.name.ends_with(" validate docx"))
        .collect();
    run.over_socket(&client, &base, limits, &corpus).await;
    run.over_socket(&client, &base, limits, &generated_cases())
        .await;

    // Connection-level cases, written by hand.
    let head = |extra: &str| {
        format!(
            "POST /v1/render HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n{extra}\r\n"
        )
    };
    let mut over_limit_chunked = head("Transfer-Encoding: chunked\r\n").into_bytes();
    for _ in 0..(SOCKET_MAX_BODY / 65536 + 4) {
        over_limit_chunked.extend_from_slice(format!("{:x}\r\n", 65536).as_bytes());
        over_limit_chunked.extend_from_slice(&[b' '; 65536]);
        over_limit_chunked.extend_from_slice(b"\r\n");
    }
    over_limit_chunked.extend_from_slice(b"0\r\n\r\n");
    let mut bad_chunk = head("Transfer-Encoding: chunked\r\n").into_bytes();
    bad_chunk.extend_from_slice(b"zz\r\n{}\r\n0\r\n\r\n");
    let mut short_body = head("Content-Length: 1000\r\n").into_bytes();
    short_body.extend_from_slice(b"{\"format\": \"xlsx\"");
    let mut pipelined = head("Content-Length: 6\r\n")
        .replace("Connection: close\r\n", "")
        .into_bytes();
    pipelined.extend_from_slice(b"{oops}");
    pipelined.extend_from_slice(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    // Keep-alive, with a second request smuggled behind the chunked body.
    let mut both_lengths = head("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n")
        .replace("Connection: close\r\n", "")
        .into_bytes();
    both_lengths.extend_from_slice(b"2\r\n{}\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut stalled_body = head("Content-Length: 100\r\n").into_bytes();
    stalled_body.extend_from_slice(b"{\"format\"");
    let many_headers: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();

    let raw_cases: Vec<RawCase> = vec![
        (
            "chunked body over --max-body",
            over_limit_chunked,
            false,
            vec![413],
            true,
        ),
        (
            "declared 10 GiB, no body",
            head("Content-Length: 10737418240\r\n").into_bytes(),
            false,
            vec![413],
            true,
        ),
        (
            "Expect: 100-continue over --max-body",
            head("Content-Length: 10737418240\r\nExpect: 100-continue\r\n").into_bytes(),
            false,
            vec![413],
            true,
        ),
        ("invalid chunk size", bad_chunk, true, vec![400], true),
        (
            "body shorter than Content-Length, then EOF",
            short_body,
            true,
            vec![400],
            true,
        ),
        (
            "malformed JSON then GET /healthz, pipelined",
            pipelined,
            false,
            vec![400, 200],
            true,
        ),
        (
            // RFC 9112 §6.3: chunked wins, and the connection is closed
            // after the answer (nothing smuggled after it is read).
            "Content-Length and Transfer-Encoding",
            both_lengths,
            false,
            vec![422],
            true,
        ),
        (
            "garbage request line",
            b"HELLO THERE\r\n\r\n".to_vec(),
            false,
            vec![400],
            false,
        ),
        (
            "200 headers",
            head(&many_headers).into_bytes(),
            false,
            vec![431],
            false,
        ),
        (
            "Content-Length: -1",
            head("Content-Length: -1\r\n").into_bytes(),
            false,
            vec![400],
            false,
        ),
        (
            "body stalls after 9 of 100 bytes (--body-timeout 2s)",
            stalled_body,
            false,
            vec![408],
            true,
        ),
        (
            "request head stalls (--body-timeout 2s)",
            b"POST /v1/render HTTP/1.1\r\nHost: x\r\nContent-Ty".to_vec(),
            false,
            vec![],
            false,
        ),
    ];
    for (name, request, close_write, statuses, from_service) in raw_cases {
        let started = Instant::now();
        let got = raw_exchange(&addr, request, close_write).await;
        let elapsed = started.elapsed();
        let mut first = 0;
        let result = got.and_then(|bytes| {
            let responses = parse_responses(&bytes);
            first = responses.first().map_or(0, |r| r.0);
            let got: Vec<u16> = responses.iter().map(|r| r.0).collect();
            if got != statuses {
                return Err(format!(
                    "statuses {got:?}, expected {statuses:?}: {:?}",
                    String::from_utf8_lossy(&bytes)
                ));
            }
            if from_service {
                let (status, content_type, body) = &responses[0];
                let outcome = Outcome {
                    status: *status,
                    content_type: content_type.clone(),
                    body: body.clone(),
                    elapsed,
                };
                verify(&problem(*status), &outcome)?;
            }
            Ok(())
        });
        run.timings.push((format!("raw: {name}"), first, elapsed));
        if let Err(e) = result {
            run.failures.push(format!("raw: {name}: {e}"));
        }
    }

    // Still alive, still healthy, still rendering.
    assert!(
        server.0.try_wait().expect("try_wait").is_none(),
        "the server exited during the corpus"
    );
    let health = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let invoice = client
        .post(format!("{base}/v1/render"))
        .header("content-type", "application/json")
        .body(sample("pdf-invoice.json").to_string())
        .send()
        .await
        .expect("invoice");
    assert_eq!(invoice.status(), 200);
    assert_eq!(invoice.headers()["content-type"], "application/pdf");
    assert!(invoice.bytes().await.expect("body").starts_with(b"%PDF-"));
    let ready: Value = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["status"], "ready");
    drop(server);
    run.finish();
}

// ---------------------------------------------------------------------------
// Regressions: bugs this corpus found, each fixed.

/// A problem document does not echo a big input back: one long value used
/// to be quoted in full, twice (detail and errors[].message) or three times.
#[tokio::test]
async fn problems_quote_huge_values_cut_short() {
    let state = state_with(test_config());
    let ten_mb = "x".repeat(10 * 1024 * 1024);
    let cases = vec![
        Case::json(
            "10 MB string as format",
            "/v1/render",
            json!({"format": ten_mb}).to_string(),
            problem_at(422, "/format"),
        ),
        Case::json(
            "10 MB string as template name",
            "/v1/render",
            json!({"format": "pdf", "template": ten_mb}).to_string(),
            problem_at(404, "/template"),
        ),
        Case::json(
            "10 MB string as an unknown key",
            "/v1/render",
            format!("{{\"format\":\"xlsx\",\"{ten_mb}\":1}}"),
            problem(422),
        ),
        Case::json(
            "2 MB element name",
            "/v1/render",
            json!({"format": "pdf",
                   "template_source": format!("<document><{}/></document>", "p".repeat(2 << 20))})
            .to_string(),
            problem_at(422, "/template_source"),
        ),
    ];
    let mut run = Run::new("problems echo huge values");
    run.in_process(&state, &cases).await;
    assert_still_healthy(&state).await;
    run.finish();
}

/// Every error is problem+json (README, "Errors"), but a path segment that
/// is not UTF-8 is rejected by axum's `Path` extractor in plain text.
#[tokio::test]
async fn a_template_name_that_is_not_utf8_is_a_404_problem() {
    let state = state_with(test_config());
    let mut run = Run::new("template name not UTF-8");
    let cases = vec![Case::new(
        "GET /v1/templates/%FF",
        "GET",
        "/v1/templates/%FF",
        problem(404),
    )];
    run.in_process(&state, &cases).await;
    run.finish();
}

/// Deeply nested template expressions overflow the stack of the thread that
/// compiles them (minijinja's parser and code generator recurse without a
/// limit for unary operators, filter, attribute and operator chains and
/// `elif`), and a stack overflow aborts the whole process: one request of a
/// few kilobytes takes the service down. They must be a 422 like the
/// 10,000-deep `((…))` and `{% if %}` nesting the parser already refuses.
/// Runs against `docsmith serve` (a fresh one per input): in process, the
/// abort would take the test binary down with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_template_expressions_are_refused_without_a_crash() {
    const N: usize = 100_000;
    let expression = |inner: String| format!("<document><p>{{{{ {inner} }}}}</p></document>");
    let forms: Vec<(&str, String)> = vec![
        ("unary minus", expression(format!("{}1", "-".repeat(N)))),
        ("not", expression(format!("{}true", "not ".repeat(N)))),
        ("filter chain", expression(format!("'x'{}", "|e".repeat(N)))),
        (
            "attribute chain",
            expression(format!("x{}", ".a".repeat(N))),
        ),
        ("+ chain", expression(format!("1{}", "+1".repeat(N)))),
        (
            "elif chain",
            format!(
                "<document>{{% if false %}}{}{{% endif %}}</document>",
                "{% elif false %}".repeat(N / 5)
            ),
        ),
    ];
    let mut cases: Vec<(String, &str, String, Expect)> = Vec::new();
    for (name, source) in &forms {
        for path in ["/v1/render", "/v1/validate"] {
            cases.push((
                format!("{name} ({path})"),
                path,
                json!({"format": "pdf", "template_source": source, "data": {"x": {}}}).to_string(),
                problem_at(422, "/template_source"),
            ));
        }
    }
    cases.push((
        "unary minus in a zip batch path (/v1/render)".into(),
        "/v1/render",
        json!({"format": "zip", "batch": {
            "path": format!("{{{{ {}1 }}}}.pdf", "-".repeat(N)),
            "job": {"format": "pdf", "template_source": "<document/>"},
            "items": [{}]}})
        .to_string(),
        problem_at(422, "/batch/path"),
    ));

    let client = reqwest::Client::builder()
        .timeout(LIMIT)
        .build()
        .expect("client");
    let mut run = Run::new("deep template expressions");
    let mut server: Option<(Server, String)> = None;
    for (name, path, body, expect) in cases {
        let (handle, base) = server.get_or_insert_with(|| {
            let (child, base) = start_server(&["--workers", "2"]);
            (Server(child), base)
        });
        let case = Case::json(name.clone(), path, body, expect.clone());
        let got = over_socket(&client, base, &case).await;
        let crashed = match handle.0.try_wait() {
            Ok(Some(status)) => Some(status),
            _ => {
                // Give an aborting process a moment to be reaped.
                tokio::time::sleep(Duration::from_millis(200)).await;
                handle.0.try_wait().ok().flatten()
            }
        };
        match crashed {
            Some(status) => {
                run.failures.push(format!(
                    "{name}: the server died ({status}); answer: {:?}",
                    got.err()
                ));
                server = None;
            }
            None => run.record(&name, &expect, got),
        }
    }
    run.finish();
}
