//! Examples for every operation of the document: named request bodies for
//! the job routes, and a body for each JSON (and text) response.
//!
//! The examples are true: the job examples are the samples and the
//! schemas' own examples (which the tests render), and the problems of the
//! job routes are what the job code answers for the request each
//! example's description quotes: they are made here by running it. The
//! tests send every request example to the server and compare the other
//! examples with its answers; `scripts/api_fuzz.sh` sends the request
//! examples too.

use serde_json::{Value, json};
use utoipa::Modify;
use utoipa::openapi::example::{Example, ExampleBuilder};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{Content, OpenApi, RefOr};

use crate::problem::{FieldError, Problem};
use crate::templates::Catalog;

/// Fills in the examples; runs after [`super::jobs::JobSchemas`], whose job
/// schemas' examples it names.
pub struct Examples;

impl Modify for Examples {
    fn modify(&self, doc: &mut OpenApi) {
        let catalog = Catalog::builtin(crate::template::TemplateLimits::default()).ok();
        component_examples(doc, catalog.as_ref());
        let jobs = job_examples(doc);
        for path in ["/v1/render", "/v1/validate"] {
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
        if let Some(catalog) = catalog.as_ref() {
            let list = template_list(catalog);
            set_response(
                doc,
                "/v1/templates",
                "200",
                "application/json",
                vec![named(
                    "builtin",
                    "The built-in templates (without --templates-dir)",
                    "",
                    list,
                )],
            );
            if let Some(info) = catalog.get("invoice") {
                let info = serde_json::to_value(info).unwrap_or(Value::Null);
                set_response(
                    doc,
                    "/v1/templates/{name}",
                    "200",
                    "application/json",
                    vec![named("invoice", "GET /v1/templates/invoice", "", info)],
                );
            }
            let unknown = Problem::new(
                404,
                "unknown-template",
                "Unknown template",
                format!(
                    "no template named {:?}; GET /v1/templates lists them ({})",
                    "invoce",
                    catalog.names().collect::<Vec<_>>().join(", ")
                ),
            );
            set_response(
                doc,
                "/v1/templates/{name}",
                "404",
                PROBLEM,
                vec![named(
                    "unknown-template",
                    "GET /v1/templates/invoce",
                    "",
                    problem(&unknown),
                )],
            );
        }
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

        problem_examples(doc, catalog.as_ref());
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

fn operation_mut<'a>(
    doc: &'a mut OpenApi,
    path: &str,
) -> Option<&'a mut utoipa::openapi::path::Operation> {
    let item = doc.paths.paths.get_mut(path)?;
    item.post.as_mut().or(item.get.as_mut())
}

fn set_examples(content: &mut Content, examples: Vec<(String, Example)>) {
    content.example = None;
    content.examples = examples
        .into_iter()
        .map(|(name, example)| (name, RefOr::T(example)))
        .collect();
}

fn set_request(doc: &mut OpenApi, path: &str, media: &str, examples: Vec<(String, Example)>) {
    let Some(RefOr::T(body)) = operation_mut(doc, path).and_then(|op| op.request_body.as_mut())
    else {
        return;
    };
    if let Some(RefOr::T(content)) = body.content.get_mut(media) {
        set_examples(content, examples);
    }
}

fn set_response(
    doc: &mut OpenApi,
    path: &str,
    status: &str,
    media: &str,
    examples: Vec<(String, Example)>,
) {
    let Some(op) = operation_mut(doc, path) else {
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

/// What the job code answers for `body` (JSON): the problem, or `None`
/// when the job is fine.
fn job_problem(body: &str, catalog: &Catalog) -> Option<Problem> {
    let mut job = match crate::job::parse(body.as_bytes())
        .and_then(|request| crate::job::validate(request, catalog))
    {
        Ok(job) => job,
        Err(err) => return Some(Problem::from(err)),
    };
    if let Err(errors) = job.attach(Default::default()) {
        return Some(Problem::invalid_job(errors));
    }
    job.check_document().err().map(Problem::invalid_job)
}

/// The problem `body` gets, as an example whose description quotes it.
fn answer_to(
    name: &str,
    summary: &str,
    body: &str,
    catalog: Option<&Catalog>,
) -> Option<(String, Example)> {
    let found = job_problem(body, catalog?)?;
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
    let keys: [(&str, &str); 5] = [
        ("/v1/render", "render"),
        ("/v1/validate", "validate"),
        ("/v1/images", "images"),
        ("/v1/templates", "templates"),
        ("/v1/templates/{name}", "templates"),
    ];
    for (path, scope) in keys {
        let unauthorized =
            |detail: &str| problem(&Problem::new(401, "unauthorized", "Unauthorized", detail));
        set_response(
            doc,
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
        // Two keys: `billing` for render, validate and templates, `photos`
        // for images, each allowed 4 requests at once.
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
        set_response(
            doc,
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
        set_response(
            doc,
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
    for path in ["/v1/render", "/v1/validate", "/v1/images"] {
        let images = path == "/v1/images";
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
            ));
        }
        malformed.push(named(
            "broken-multipart",
            "A multipart body that ends before its closing boundary",
            "",
            problem(&broken),
        ));
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
            )
            .into_iter()
            .collect(),
        );
        let invalid = [
            answer_to(
                "invalid-cells",
                "Cells that do not fit their columns",
                INVALID_CELLS,
                catalog,
            ),
            answer_to(
                "template-error",
                "Markup that does not parse (with line and column)",
                r#"{"format": "pdf", "template_source": "<document>\n  <h1>Hello {{ name }}</h2>\n</document>", "data": {"name": "Ada"}}"#,
                catalog,
            ),
            answer_to(
                "missing-data",
                "Data the template needs and the job lacks",
                r#"{"format": "pdf", "template": "invoice", "data": {}}"#,
                catalog,
            ),
        ];
        set_response(
            doc,
            path,
            "422",
            PROBLEM,
            invalid.into_iter().flatten().collect(),
        );
    }
}

/// An xlsx job with a bad date and a string in a currency column.
const INVALID_CELLS: &str = r#"{"format": "xlsx", "workbook": {"sheets": [{"name": "Sales", "columns": [{"header": "Date", "type": "date"}, {"header": "Amount", "type": "currency", "currency": "EUR"}], "rows": [["2026-01-15", 1234.5], ["2026-13-01", "ninety-nine"]]}]}}"#;
