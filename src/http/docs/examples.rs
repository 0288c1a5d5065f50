//! Examples for every operation of the document: named request bodies for
//! the job routes, and a body for each JSON (and text) response.
//!
//! The examples are true: the job examples are the samples and the
//! schemas' own examples (which the tests render), and the problems of the
//! job routes are what the job code answers for the request each
//! example's description quotes: they are made here by running it (as far
//! as each route checks a job: `POST /v1/jobs` leaves a template's data to
//! the run). The tests send every request example to the server and
//! compare the other examples with its answers (the async job states with
//! those of a service with a queue, ids and times aside);
//! `scripts/api_fuzz.sh` sends the request examples too.

use serde_json::{Value, json};
use utoipa::Modify;
use utoipa::openapi::example::{Example, ExampleBuilder};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{Content, OpenApi, RefOr};

use super::super::jobs::problems as jobs;
use crate::problem::{FieldError, Problem};
use crate::templates::Catalog;

mod templates;

/// Fills in the examples; runs after [`super::jobs::JobSchemas`], whose job
/// schemas' examples it names.
pub struct Examples;

impl Modify for Examples {
    fn modify(&self, doc: &mut OpenApi) {
        let catalog = Catalog::builtin(crate::template::TemplateLimits::default()).ok();
        component_examples(doc, catalog.as_ref());
        let jobs = job_examples(doc);
        for path in ["/v1/render", "/v1/validate", "/v1/jobs"] {
            set_request(doc, path, "application/json", jobs.clone());
            set_request(doc, path, "multipart/form-data", vec![job_form_example()]);
        }
        set_request(
            doc,
            "/v1/images",
            "multipart/form-data",
            vec![image_form_example()],
        );

        let validation = json!({"valid": true, "format": "pdf", "filename": "INV-2026-0042.pdf"});
        set_response(
            doc,
            "/v1/validate",
            "200",
            "application/json",
            vec![named(
                "pdf-invoice",
                "The answer to the `pdf-invoice` job",
                "",
                validation,
            )],
        );
        set_response(
            doc,
            "/healthz",
            "200",
            "application/json",
            vec![named("ok", "Alive", "", json!({"status": "ok"}))],
        );
        set_response(
            doc,
            "/readyz",
            "200",
            "application/json",
            vec![named(
                "ready",
                "Ready, with the built-in templates and two workers",
                "",
                json!({"status": "ready", "templates": 3, "workers": 2, "in_flight": 0, "queued": 0}),
            )],
        );
        set_response(
            doc,
            "/readyz",
            "503",
            "application/json",
            vec![named(
                "draining",
                "Shutting down: finishing one job, taking no new ones",
                "",
                json!({"status": "draining", "templates": 3, "workers": 2, "in_flight": 1, "queued": 0}),
            )],
        );
        set_response(
            doc,
            "/metrics",
            "200",
            METRICS,
            vec![named(
                "excerpt",
                "A few of the lines",
                "",
                Value::String(METRICS_EXCERPT.to_owned()),
            )],
        );
        let start = json!({
            "openapi": serde_json::to_value(&doc.openapi).unwrap_or(Value::Null),
            "info": serde_json::to_value(&doc.info).unwrap_or(Value::Null),
        });
        set_response(
            doc,
            "/openapi.json",
            "200",
            "application/json",
            vec![named(
                "start",
                "How this document begins (its paths, components and tags are left out here)",
                "",
                start,
            )],
        );

        job_status_examples(doc, catalog.as_ref());
        problem_examples(doc, catalog.as_ref());
        async_job_problems(doc);
        templates::template_examples(doc, catalog.as_ref());
    }
}

const PROBLEM: &str = super::super::problem::PROBLEM_JSON;
const METRICS: &str = "text/plain; version=0.0.4";

const METRICS_EXCERPT: &str = r#"# HELP docsmith_http_requests_total HTTP requests answered
# TYPE docsmith_http_requests_total counter
docsmith_http_requests_total{route="/v1/render",method="POST",status="200",format="pdf"} 12
docsmith_http_requests_total{route="/v1/validate",method="POST",status="422",format="none"} 1

# HELP docsmith_jobs_in_flight Jobs rendering now
# TYPE docsmith_jobs_in_flight gauge
docsmith_jobs_in_flight 0

# HELP docsmith_queue_depth Jobs waiting for a worker
# TYPE docsmith_queue_depth gauge
docsmith_queue_depth 0
"#;

/// A 1×1 BMP: the one image format whose bytes can all be ASCII, so that
/// the form example can carry a real file as a JSON string.
const BMP: &[u8] = &[
    b'B', b'M', 58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, // file header
    40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0, // 1×1, 24 bits
    0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    0x70, 0x50, 0x20, 0, // one pixel (blue, green, red) and padding
];

fn named(name: &str, summary: &str, description: &str, value: Value) -> (String, Example) {
    let mut example = ExampleBuilder::new().summary(summary).value(Some(value));
    if !description.is_empty() {
        example = example.description(description);
    }
    (name.to_owned(), example.build())
}

fn problem(problem: &Problem) -> Value {
    serde_json::to_value(problem).unwrap_or(Value::Null)
}

/// The first example of a component schema (the job schemas' own).
fn schema_example(doc: &OpenApi, name: &str) -> Option<Value> {
    let schema = doc.components.as_ref()?.schemas.get(name)?;
    match schema {
        RefOr::T(Schema::Object(o)) => o.examples.first().cloned(),
        RefOr::T(Schema::OneOf(o)) => o.examples.first().cloned(),
        _ => None,
    }
}

fn sample(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn invoice_sample() -> Value {
    sample(include_str!("../../../samples/pdf-invoice.json"))
}

/// The JSON jobs of render and validate, by name.
fn job_examples(doc: &OpenApi) -> Vec<(String, Example)> {
    let invoice = invoice_sample();
    let mut second = invoice["data"].clone();
    second["invoice"]["number"] = json!("INV-2026-0043");
    second["payment"]["reference"] = json!("INV-2026-0043");
    second["buyer"]["name"] = json!("Nordwind Logistik AG");
    let batch = json!({
        "format": "zip",
        "filename": "invoices.zip",
        "entries": [{"path": "README.txt", "text": "Invoices for November, one PDF per customer."}],
        "batch": {
            "path": "invoices/{{ invoice.number }}.pdf",
            "job": {"format": "pdf", "template": "invoice"},
            "items": [invoice["data"].clone(), second]
        },
        "manifest": true
    });
    let mut out = vec![named(
        "pdf-invoice",
        "PDF: the built-in template `invoice` with its sample data",
        "`GET /v1/templates/invoice` lists the same data as `sample_data`.",
        invoice,
    )];
    for (name, schema, summary) in [
        (
            "pdf-markup",
            "PdfJob",
            "PDF: inline markup (`template_source`) with data",
        ),
        (
            "docx-document",
            "DocxJob",
            "DOCX: the document model sent as JSON",
        ),
        (
            "xlsx-workbook",
            "XlsxJob",
            "XLSX: a sheet of typed columns with a totals row",
        ),
        (
            "image-webp",
            "ImageJob",
            "Image: a PNG data URL resized to 4×4 and encoded as WebP",
        ),
        (
            "zip-entries",
            "ZipJob",
            "ZIP: a text entry and a nested PDF job",
        ),
    ] {
        if let Some(value) = schema_example(doc, schema) {
            out.push(named(name, summary, "", value));
        }
    }
    out.push(named(
        "xlsx-sales-report",
        "XLSX: the sales report sample (formulas, a table, totals and charts)",
        "`samples/xlsx-sales-report.json`, the playground's first example.",
        sample(include_str!("../../../samples/xlsx-sales-report.json")),
    ));
    out.push(named(
        "zip-batch",
        "ZIP: one invoice PDF per data item, plus a text entry and manifest.json",
        "",
        batch,
    ));
    out
}

fn job_form_value() -> Value {
    json!({
        "job": {
            "format": "zip",
            "filename": "bundle.zip",
            "entries": [
                {"path": "notes.txt", "file": "notes"},
                {"path": "hello.pdf", "job": {
                    "format": "pdf",
                    "template_source": "<document><h1>Hello {{ name }}</h1></document>",
                    "data": {"name": "Ada"}
                }}
            ]
        },
        "notes": "Sent as the form part `notes`, which the job names."
    })
}

fn job_form_example() -> (String, Example) {
    named(
        "zip-with-file",
        "A zip job in the `job` part and the file its entry names in the part `notes`",
        "The `job` part holds the job JSON (`Content-Type: application/json`); every other part is a file the job names as `NAME` or `file:NAME`.",
        job_form_value(),
    )
}

fn bmp() -> String {
    String::from_utf8_lossy(BMP).into_owned()
}

fn image_form_value() -> Value {
    json!({"files": [bmp()], "width": 4, "upscale": true, "format": "png"})
}

fn image_form_example() -> (String, Example) {
    named(
        "bmp-to-png",
        "One image (a 1×1 BMP) enlarged to 4×4 and sent back as PNG",
        "`files` is a file part (with a file name) holding the image's bytes; this BMP is written as a JSON string only because its bytes are all ASCII. The other parts are form fields.",
        image_form_value(),
    )
}

/// `{templates: [...]}` as `GET /v1/templates` answers with `catalog`.
fn template_list(catalog: &Catalog) -> Value {
    let templates: Vec<Value> = catalog
        .infos()
        .map(|info| serde_json::to_value(info).unwrap_or(Value::Null))
        .collect();
    json!({ "templates": templates })
}

fn set_schema_example(doc: &mut OpenApi, name: &str, value: Value) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    match components.schemas.get_mut(name) {
        Some(RefOr::T(Schema::Object(o))) => o.examples = vec![value],
        Some(RefOr::T(Schema::OneOf(o))) => o.examples = vec![value],
        Some(RefOr::T(Schema::Array(a))) => a.examples = vec![value],
        _ => {}
    }
}

/// The examples of the schemas built by hand or from the catalog.
fn component_examples(doc: &mut OpenApi, catalog: Option<&Catalog>) {
    set_schema_example(doc, "JobForm", job_form_value());
    set_schema_example(doc, "ImageForm", image_form_value());
    if let Some(catalog) = catalog {
        set_schema_example(doc, "TemplateList", template_list(catalog));
        if let Some(info) = catalog.get("invoice") {
            let info = serde_json::to_value(info).unwrap_or(Value::Null);
            set_schema_example(doc, "TemplateInfo", info);
        }
    }
}

/// An operation's method, where a path has more than one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

/// The operation of `path`: its POST, else its GET.
fn operation_mut<'a>(
    doc: &'a mut OpenApi,
    path: &str,
) -> Option<&'a mut utoipa::openapi::path::Operation> {
    let item = doc.paths.paths.get_mut(path)?;
    item.post.as_mut().or(item.get.as_mut())
}

/// The operation of `path` for `method`; with none, [`operation_mut`]'s.
fn method_operation_mut<'a>(
    doc: &'a mut OpenApi,
    method: Option<Method>,
    path: &str,
) -> Option<&'a mut utoipa::openapi::path::Operation> {
    let Some(method) = method else {
        return operation_mut(doc, path);
    };
    let item = doc.paths.paths.get_mut(path)?;
    match method {
        Method::Get => item.get.as_mut(),
        Method::Post => item.post.as_mut(),
        Method::Put => item.put.as_mut(),
        Method::Delete => item.delete.as_mut(),
    }
}

fn set_examples(content: &mut Content, examples: Vec<(String, Example)>) {
    content.example = None;
    content.examples = examples
        .into_iter()
        .map(|(name, example)| (name, RefOr::T(example)))
        .collect();
}

fn set_request(doc: &mut OpenApi, path: &str, media: &str, examples: Vec<(String, Example)>) {
    set_request_of(operation_mut(doc, path), media, examples);
}

/// The request examples of the operation `method` `path`.
fn set_method_request(
    doc: &mut OpenApi,
    method: Method,
    path: &str,
    media: &str,
    examples: Vec<(String, Example)>,
) {
    set_request_of(
        method_operation_mut(doc, Some(method), path),
        media,
        examples,
    );
}

fn set_request_of(
    operation: Option<&mut utoipa::openapi::path::Operation>,
    media: &str,
    examples: Vec<(String, Example)>,
) {
    let Some(RefOr::T(body)) = operation.and_then(|op| op.request_body.as_mut()) else {
        return;
    };
    if let Some(RefOr::T(content)) = body.content.get_mut(media) {
        set_examples(content, examples);
    }
}

/// The examples of a response of `path`'s POST, else its GET.
fn set_response(
    doc: &mut OpenApi,
    path: &str,
    status: &str,
    media: &str,
    examples: Vec<(String, Example)>,
) {
    set_method_response(doc, None, path, status, media, examples);
}

/// The examples of a response of the operation `method` `path` (with no
/// method, [`set_response`]'s).
fn set_method_response(
    doc: &mut OpenApi,
    method: Option<Method>,
    path: &str,
    status: &str,
    media: &str,
    examples: Vec<(String, Example)>,
) {
    let Some(op) = method_operation_mut(doc, method, path) else {
        return;
    };
    let Some(RefOr::T(response)) = op.responses.responses.get_mut(status) else {
        return;
    };
    if let Some(RefOr::T(content)) = response.content.get_mut(media) {
        set_examples(content, examples);
    }
    if let Some(RefOr::T(header)) = response.headers.get_mut("Retry-After") {
        header.example = Some(json!(1));
    }
}

/// How much of a job a route checks before it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checks {
    /// Render and validate: the job and the document it makes, so a
    /// template's data too.
    Document,
    /// `POST /v1/jobs`: the job and its files; a template's data is checked
    /// when the job runs.
    Submit,
}

/// What the job code answers for `body` (JSON) after `checks`: the
/// problem, or `None` when the job is fine.
fn job_problem(body: &str, catalog: &Catalog, checks: Checks) -> Option<Problem> {
    let mut job = match crate::job::parse(body.as_bytes())
        .and_then(|request| crate::job::validate(request, catalog))
    {
        Ok(job) => job,
        Err(err) => return Some(Problem::from(err)),
    };
    if let Err(errors) = job.attach(Default::default()) {
        return Some(Problem::invalid_job(errors));
    }
    match checks {
        Checks::Document => job.check_document().err().map(Problem::invalid_job),
        Checks::Submit => None,
    }
}

/// The problem `body` gets after `checks`, as an example whose description
/// quotes it; `None` when the route takes the job.
fn answer_to(
    name: &str,
    summary: &str,
    body: &str,
    catalog: Option<&Catalog>,
    checks: Checks,
) -> Option<(String, Example)> {
    let found = job_problem(body, catalog?, checks)?;
    Some(named(
        name,
        summary,
        &format!("The answer to `{body}`."),
        problem(&found),
    ))
}

/// Over `--max-body` (32 MiB by default).
fn too_large(limit: usize) -> Problem {
    super::super::render::body_problem(
        413,
        &format!("the request body is larger than {limit} bytes (--max-body)"),
    )
}

fn problem_examples(doc: &mut OpenApi, catalog: Option<&Catalog>) {
    // The operations behind a key, and the scope each needs (the async job
    // routes are render routes).
    let keys: [(Option<Method>, &str, &str); 11] = [
        (None, "/v1/render", "render"),
        (None, "/v1/validate", "validate"),
        (None, "/v1/images", "images"),
        (None, "/v1/templates", "templates"),
        (Some(Method::Get), "/v1/templates/{name}", "templates"),
        (Some(Method::Put), "/v1/templates/{name}", "templates:write"),
        (
            Some(Method::Delete),
            "/v1/templates/{name}",
            "templates:write",
        ),
        (Some(Method::Post), "/v1/jobs", "render"),
        (Some(Method::Get), "/v1/jobs/{id}", "render"),
        (Some(Method::Delete), "/v1/jobs/{id}", "render"),
        (None, "/v1/jobs/{id}/result", "render"),
    ];
    for (method, path, scope) in keys {
        let unauthorized =
            |detail: &str| problem(&Problem::new(401, "unauthorized", "Unauthorized", detail));
        set_method_response(
            doc,
            method,
            path,
            "401",
            PROBLEM,
            vec![
                named(
                    "no-key",
                    "No key sent",
                    "",
                    unauthorized("this route needs an API key: send `Authorization: Bearer KEY`"),
                ),
                named(
                    "unknown-key",
                    "A key the service does not know",
                    "",
                    unauthorized("the API key is not known"),
                ),
            ],
        );
        // Two keys: `billing` for render, validate and templates (reading
        // and storing them), `photos` for images, each allowed 4 requests
        // at once.
        let (allowed, other) = if scope == "images" {
            ("photos", "billing")
        } else {
            ("billing", "photos")
        };
        let forbidden = Problem::new(
            403,
            "forbidden",
            "Forbidden",
            format!("the API key {other:?} may not call {scope} routes"),
        );
        set_method_response(
            doc,
            method,
            path,
            "403",
            PROBLEM,
            vec![named(
                "forbidden",
                "A key not allowed this route",
                "",
                problem(&forbidden),
            )],
        );
        let mut busy = Problem::new(
            429,
            "too-many-requests",
            "Too many requests",
            format!(
                "the API key {allowed:?} has {} requests in flight, its limit",
                4
            ),
        );
        busy.retry_after = Some(1);
        set_method_response(
            doc,
            method,
            path,
            "429",
            PROBLEM,
            vec![named(
                "too-many-requests",
                "A key at its concurrency limit (`Retry-After: 1`)",
                "",
                problem(&busy),
            )],
        );
    }

    let timeout = super::super::render::body_timeout_problem();
    let internal = Problem::internal();
    let overloaded = Problem::overloaded("all workers are busy and the queue is full", 1);
    let waited = Problem::overloaded("the job waited for a worker until its time limit", 1);
    let job_timeout =
        crate::render::RenderError::Interrupted(crate::render_ctx::Interrupted::TimedOut)
            .to_problem();
    let broken = super::super::render::body_problem(400, "incomplete multipart stream");
    for path in ["/v1/render", "/v1/validate", "/v1/images", "/v1/jobs"] {
        let images = path == "/v1/images";
        // `POST /v1/jobs` reads the body as render does and checks the job
        // without rendering it; its 503s are its own (`async_job_problems`)
        // and it never waits for a render (no 504).
        let jobs = path == "/v1/jobs";
        let checks = if jobs {
            Checks::Submit
        } else {
            Checks::Document
        };
        set_response(
            doc,
            path,
            "408",
            PROBLEM,
            vec![named(
                "request-timeout",
                "The body came too slowly",
                "",
                problem(&timeout),
            )],
        );
        set_response(
            doc,
            path,
            "500",
            PROBLEM,
            vec![named("internal", "A bug", "", problem(&internal))],
        );
        if !jobs {
            set_response(
                doc,
                path,
                "503",
                PROBLEM,
                vec![
                    named(
                        "queue-full",
                        "Every worker busy and the queue full (`Retry-After: 1`)",
                        "",
                        problem(&overloaded),
                    ),
                    named(
                        "queue-timeout",
                        "The job waited for a worker until its time limit (`Retry-After: 1`)",
                        "",
                        problem(&waited),
                    ),
                ],
            );
            set_response(
                doc,
                path,
                "504",
                PROBLEM,
                vec![named(
                    "job-timeout",
                    "The job ran past --job-timeout",
                    "",
                    problem(&job_timeout),
                )],
            );
        }
        let multipart_too_large =
            super::super::render::body_problem(413, "Request payload is too large");
        let mut large = vec![named(
            "multipart",
            if images {
                "A form over --max-upload"
            } else {
                "A multipart body over --max-body"
            },
            "",
            problem(&multipart_too_large),
        )];
        if !images {
            large.insert(
                0,
                named(
                    "json",
                    "A JSON body over --max-body (32 MiB by default)",
                    "",
                    problem(&too_large(32 * 1024 * 1024)),
                ),
            );
        }
        set_response(doc, path, "413", PROBLEM, large);

        let mut malformed = Vec::new();
        if !images {
            malformed.extend(answer_to(
                "malformed-json",
                "Not JSON: a trailing comma",
                r#"{"format": "pdf", "template": "invoice",}"#,
                catalog,
                checks,
            ));
        }
        malformed.push(named(
            "broken-multipart",
            "A multipart body that ends before its closing boundary",
            "",
            problem(&broken),
        ));
        if jobs {
            malformed.push(named(
                "bad-idempotency-key",
                "An empty `Idempotency-Key` (or one over 255 characters, or not visible ASCII)",
                "",
                problem(&jobs::bad_idempotency_key()),
            ));
        }
        set_response(doc, path, "400", PROBLEM, malformed);

        if images {
            let unsupported = Problem::new(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                "send multipart/form-data with image files and form fields (see /docs)",
            );
            set_response(
                doc,
                path,
                "415",
                PROBLEM,
                vec![named(
                    "not-a-form",
                    "A body that is not multipart/form-data",
                    "",
                    problem(&unsupported),
                )],
            );
            let invalid = Problem::invalid_job(vec![
                FieldError::new("/width", "expected a whole number from 1 to 16384"),
                FieldError::new(
                    "/fit",
                    "unknown value \"squash\"; expected one of inside, cover, fill, exact",
                ),
            ]);
            let no_files = Problem::invalid_job(vec![FieldError::new(
                "/files",
                "no image files: send each as a part with a file name",
            )]);
            set_response(
                doc,
                path,
                "422",
                PROBLEM,
                vec![
                    named(
                        "invalid-fields",
                        "Form fields out of range (`width=0`, `fit=squash`)",
                        "",
                        problem(&invalid),
                    ),
                    named(
                        "no-files",
                        "No part with a file name",
                        "",
                        problem(&no_files),
                    ),
                ],
            );
            continue;
        }
        let unsupported = Problem::new(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Content-Type \"text/plain\" is not accepted; send application/json or multipart/form-data with a `job` part",
        );
        set_response(
            doc,
            path,
            "415",
            PROBLEM,
            vec![named(
                "text-plain",
                "A body sent as text/plain",
                "",
                problem(&unsupported),
            )],
        );
        set_response(
            doc,
            path,
            "404",
            PROBLEM,
            answer_to(
                "unknown-template",
                "A template that does not exist",
                r#"{"format": "pdf", "template": "invoce", "data": {}}"#,
                catalog,
                checks,
            )
            .into_iter()
            .collect(),
        );
        // `missing-data` is no 422 of `POST /v1/jobs`: the job is taken,
        // and fails when it runs (the `failed` example of `GET /v1/jobs/{id}`).
        let invalid = [
            answer_to(
                "invalid-cells",
                "Cells that do not fit their columns",
                INVALID_CELLS,
                catalog,
                checks,
            ),
            answer_to(
                "template-error",
                "Markup that does not parse (with line and column)",
                r#"{"format": "pdf", "template_source": "<document>\n  <h1>Hello {{ name }}</h2>\n</document>", "data": {"name": "Ada"}}"#,
                catalog,
                checks,
            ),
            answer_to(
                "missing-data",
                "Data the template needs and the job lacks",
                MISSING_DATA,
                catalog,
                checks,
            ),
        ];
        let mut invalid: Vec<_> = invalid.into_iter().flatten().collect();
        if jobs {
            invalid.push(named(
                "idempotency-key-reused",
                "An `Idempotency-Key` sent before with another body",
                "The key names the job it was used for; a new job needs a new key. Sending the same body again with the key answers 202 with that job (`Idempotent-Replayed: true`).",
                problem(&jobs::key_reused(INVOICE_JOB)),
            ));
        }
        set_response(doc, path, "422", PROBLEM, invalid);
    }
}

/// An xlsx job with a bad date and a string in a currency column.
const INVALID_CELLS: &str = r#"{"format": "xlsx", "workbook": {"sheets": [{"name": "Sales", "columns": [{"header": "Date", "type": "date"}, {"header": "Amount", "type": "currency", "currency": "EUR"}], "rows": [["2026-01-15", 1234.5], ["2026-13-01", "ninety-nine"]]}]}}"#;

/// The invoice template with no data: a valid job whose document cannot be
/// made (422 from render, a failed async job).
const MISSING_DATA: &str = r#"{"format": "pdf", "template": "invoice", "data": {}}"#;

// The async jobs of the examples. Their problems are the ones
// `http::jobs` answers (the tests compare them with its answers).

/// The `pdf-invoice` job: queued, then succeeded.
const INVOICE_JOB: &str = "5f0c2a8e-7d4b-4c61-9e2f-3b8a1d6c9e47";
/// A zip job, running (when `JobStatus` has no example of its own).
const RUNNING_JOB: &str = "0b6f9f5e-3a51-4f0e-9a3c-6f1f2d8f4a10";
/// The `MISSING_DATA` job, failed.
const FAILED_JOB: &str = "c3e1b7d2-94a0-4f5b-8c6d-2e7f9a1b0d35";
/// A job cancelled while it was queued.
const CANCELLED_JOB: &str = "9d2a4f17-6b3e-4c8a-a5d0-71e6b2c4f893";
/// An id that names no job, as a client might mistype it.
const NO_JOB: &str = "0b6f9f5e";

/// The `JobStatus` of a job just submitted.
fn job_status(id: &str, format: &str, filename: &str, created_at: &str) -> Value {
    let this = format!("/v1/jobs/{id}");
    json!({
        "id": id,
        "state": "queued",
        "format": format,
        "filename": filename,
        "created_at": created_at,
        "attempts": 0,
        "links": {"self": this, "result": format!("{this}/result")},
    })
}

/// The file name a job gets (its own, or the one made for it).
fn filename_of(body: &Value, catalog: Option<&Catalog>) -> Option<String> {
    let bytes = serde_json::to_vec(body).ok()?;
    let request = crate::job::parse(&bytes).ok()?;
    Some(crate::job::validate(request, catalog?).ok()?.filename)
}

/// The answers of the async job routes that carry a `JobStatus`, and the
/// examples of its parts.
fn job_status_examples(doc: &mut OpenApi, catalog: Option<&Catalog>) {
    let invoice = invoice_sample();
    let invoice_name =
        filename_of(&invoice, catalog).unwrap_or_else(|| "INV-2026-0042.pdf".to_owned());
    let queued = job_status(
        INVOICE_JOB,
        "pdf",
        &invoice_name,
        "2026-11-27T09:00:00.000Z",
    );
    set_method_response(
        doc,
        Some(Method::Post),
        "/v1/jobs",
        "202",
        "application/json",
        vec![named(
            "queued",
            "The `pdf-invoice` job, queued",
            &format!("With `Location: /v1/jobs/{INVOICE_JOB}`."),
            queued.clone(),
        )],
    );

    let mut succeeded = queued;
    succeeded["state"] = json!("succeeded");
    succeeded["attempts"] = json!(1);
    succeeded["started_at"] = json!("2026-11-27T09:00:00.020Z");
    succeeded["finished_at"] = json!("2026-11-27T09:00:00.190Z");
    succeeded["expires_at"] = json!("2026-11-28T09:00:00.190Z");
    succeeded["size"] = json!(INVOICE_SIZE);

    let running = schema_example(doc, "JobStatus").unwrap_or_else(|| {
        let mut running = job_status(
            RUNNING_JOB,
            "zip",
            "invoices.zip",
            "2026-11-27T09:00:00.000Z",
        );
        running["state"] = json!("running");
        running["attempts"] = json!(1);
        running["started_at"] = json!("2026-11-27T09:00:00.120Z");
        running["progress"] = json!({"done": 420, "total": 1000});
        running
    });

    let data = sample(MISSING_DATA);
    let failed_name = filename_of(&data, catalog).unwrap_or_else(|| "invoice.pdf".to_owned());
    let mut failed = job_status(FAILED_JOB, "pdf", &failed_name, "2026-11-27T09:05:00.000Z");
    failed["state"] = json!("failed");
    failed["attempts"] = json!(1);
    failed["started_at"] = json!("2026-11-27T09:05:00.030Z");
    failed["finished_at"] = json!("2026-11-27T09:05:00.045Z");
    failed["expires_at"] = json!("2026-11-28T09:05:00.045Z");
    if let Some(found) = catalog.and_then(|c| job_problem(MISSING_DATA, c, Checks::Document)) {
        failed["problem"] = problem(&found);
    }

    set_method_response(
        doc,
        Some(Method::Get),
        "/v1/jobs/{id}",
        "200",
        "application/json",
        vec![
            named(
                "succeeded",
                "The `pdf-invoice` job, done: `links.result` is its document until `expires_at`",
                "",
                succeeded,
            ),
            named(
                "running",
                "A zip job under way: `progress` counts its entries",
                "",
                running.clone(),
            ),
            named(
                "failed",
                "A job that failed when it ran: `problem` is what `/v1/render` would have answered",
                &format!(
                    "Submitted as `{MISSING_DATA}`: taken (a template's data is checked when the job runs), then failed."
                ),
                failed,
            ),
        ],
    );

    let mut cancelled = job_status(
        CANCELLED_JOB,
        "pdf",
        &invoice_name,
        "2026-11-27T09:10:00.000Z",
    );
    cancelled["state"] = json!("cancelled");
    cancelled["finished_at"] = json!("2026-11-27T09:10:02.500Z");
    cancelled["expires_at"] = json!("2026-11-28T09:10:02.500Z");
    set_method_response(
        doc,
        Some(Method::Delete),
        "/v1/jobs/{id}",
        "200",
        "application/json",
        vec![named(
            "cancelled",
            "A queued job, cancelled: it will not run; `DELETE` again deletes it (204)",
            "",
            cancelled,
        )],
    );

    set_schema_example(doc, "Progress", running["progress"].clone());
    set_schema_example(doc, "Links", running["links"].clone());
}

/// Size of the `pdf-invoice` document in bytes, for the example of a job
/// that made it.
const INVOICE_SIZE: u64 = 35_109;

/// The problems of the async job routes that only they answer.
fn async_job_problems(doc: &mut OpenApi) {
    let unknown = jobs::unknown_job(NO_JOB);
    for (method, path, request) in [
        (
            Method::Get,
            "/v1/jobs/{id}",
            format!("GET /v1/jobs/{NO_JOB}"),
        ),
        (
            Method::Delete,
            "/v1/jobs/{id}",
            format!("DELETE /v1/jobs/{NO_JOB}"),
        ),
        (
            Method::Get,
            "/v1/jobs/{id}/result",
            format!("GET /v1/jobs/{NO_JOB}/result"),
        ),
    ] {
        set_method_response(
            doc,
            Some(method),
            path,
            "404",
            PROBLEM,
            vec![named(
                "unknown-job",
                &format!("{request}: no such job (or another API key's)"),
                "",
                problem(&unknown),
            )],
        );
    }

    let not_ready = jobs::not_ready("running", RUNNING_JOB);
    let no_result = jobs::no_result("failed", FAILED_JOB);
    set_method_response(
        doc,
        Some(Method::Get),
        "/v1/jobs/{id}/result",
        "409",
        PROBLEM,
        vec![
            named(
                "not-finished",
                "A job still queued or running (`Retry-After: 1`)",
                "",
                problem(&not_ready),
            ),
            named(
                "failed",
                "A job that failed or was cancelled: it has no document",
                "",
                problem(&no_result),
            ),
        ],
    );
    let expired = jobs::expired("2026-11-28T09:00:00.190Z");
    let gone = jobs::gone();
    set_method_response(
        doc,
        Some(Method::Get),
        "/v1/jobs/{id}/result",
        "410",
        PROBLEM,
        vec![
            named(
                "expired",
                "The `pdf-invoice` job's document, past its `expires_at`",
                "",
                problem(&expired),
            ),
            named(
                "gone",
                "A document missing from the result store",
                "",
                problem(&gone),
            ),
        ],
    );

    let off = jobs::async_jobs_off();
    let store = jobs::store_unavailable();
    set_response(
        doc,
        "/v1/jobs",
        "503",
        PROBLEM,
        vec![
            named(
                "async-jobs-off",
                "A node without a job database",
                "",
                problem(&off),
            ),
            named(
                "job-store-unavailable",
                "The job database or result storage did not answer (`Retry-After: 5`)",
                "",
                problem(&store),
            ),
        ],
    );
    submit_responses(doc);
}

/// `POST /v1/jobs` documents the problem responses of render
/// (`RenderProblems`), but it renders nothing before it answers: its 503
/// is about the job store, with `Retry-After: 5` when there is one, and it
/// never answers 504.
fn submit_responses(doc: &mut OpenApi) {
    let Some(op) = operation_mut(doc, "/v1/jobs") else {
        return;
    };
    op.responses.responses.remove("504");
    let Some(RefOr::T(response)) = op.responses.responses.get_mut("503") else {
        return;
    };
    response.description = "Async jobs are off on this node (no job database), or the job store did not answer: then retry after `Retry-After` seconds".to_owned();
    if let Some(RefOr::T(header)) = response.headers.get_mut("Retry-After") {
        header.example = Some(json!(5));
    }
}
