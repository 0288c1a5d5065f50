//! Examples of the stored-template routes: the upload of
//! `shipping-notice`, what storing, listing, showing and deleting it
//! answer, and every problem of an upload, made by running the checks the
//! route runs on the body each example quotes. The tests store the
//! example on a service with a database and compare every answer.

use serde_json::{Value, json};
use utoipa::openapi::OpenApi;

use super::super::super::jobs::problems as jobs;
use super::super::super::templates::{TemplateUpload, problems, upload_problem};
use super::{
    Method, PROBLEM, named, problem, set_method_request, set_method_response, set_schema_example,
};
use crate::problem::Problem;
use crate::templates::Catalog;

/// The name the examples store a template under.
pub const STORED: &str = "shipping-notice";

/// When the example template was stored.
const STORED_AT: &str = "2026-11-27T09:30:00.000Z";

const PATH: &str = "/v1/templates/{name}";

/// The body of `PUT /v1/templates/shipping-notice`.
pub fn upload() -> Value {
    json!({
        "source": "<document>\n<h1>Hello {{ name }}</h1>\n<p>Your order {{ order }} has shipped.</p>\n</document>\n",
        "description": "Shipping notice",
        "sample_data": {"name": "Ada", "order": "A-1001"}
    })
}

/// `shipping-notice` as the list shows it: version 1, no markup.
fn listed() -> Value {
    let upload = upload();
    json!({
        "name": STORED,
        "description": upload["description"],
        "formats": ["pdf", "docx"],
        "sample_data": upload["sample_data"],
        "version": 1,
        "created_at": STORED_AT,
    })
}

/// `shipping-notice` as `GET /v1/templates/shipping-notice` shows it.
fn shown() -> Value {
    let mut info = listed();
    info["source"] = upload()["source"].clone();
    info["versions"] = json!([{"version": 1, "created_at": STORED_AT}]);
    info
}

/// Bodies of uploads the checks refuse, by example name, with a summary.
pub const REFUSED: &[(&str, &str, &str)] = &[
    (
        "syntax-error",
        "A template that does not parse: the line and column",
        r#"{"source": "<document>\n<h1>Hello {{ name }</h1>\n</document>\n"}"#,
    ),
    (
        "markup-error",
        "Sample data rendering into markup that is not a document: the template line that wrote it",
        r#"{"source": "<document>\n<h1>Hello {{ name }}</h1>\n<blink>Shipped</blink>\n</document>\n", "sample_data": {"name": "Ada"}}"#,
    ),
    (
        "missing-data",
        "Sample data without a value the template prints: where in it",
        r#"{"source": "<document>\n<h1>Hello {{ customer.name }}</h1>\n</document>\n", "sample_data": {"customer": {}}}"#,
    ),
    ("empty", "No markup", r#"{"source": ""}"#),
];

/// A body that is not JSON to the end.
pub const MALFORMED: &str = r#"{"source": "<document/>""#;

/// A name no template may have.
pub const BAD_NAME: &str = "-draft";

pub(super) fn template_examples(doc: &mut OpenApi, catalog: Option<&Catalog>) {
    set_schema_example(doc, "TemplateUpload", upload());
    set_method_request(
        doc,
        Method::Put,
        PATH,
        "application/json",
        vec![named(
            STORED,
            "A shipping notice with sample data",
            "",
            upload(),
        )],
    );
    let json = "application/json";
    let put = Some(Method::Put);
    set_method_response(
        doc,
        put,
        PATH,
        "201",
        json,
        vec![named(
            "created",
            &format!("PUT /v1/templates/{STORED}: version 1"),
            "",
            listed(),
        )],
    );
    set_method_response(
        doc,
        put,
        PATH,
        "200",
        json,
        vec![named(
            "unchanged",
            "The same upload again: still version 1",
            "",
            listed(),
        )],
    );
    let malformed = crate::job::parse_json::<TemplateUpload>(MALFORMED.as_bytes())
        .err()
        .map(Problem::from);
    if let Some(malformed) = malformed {
        set_method_response(
            doc,
            put,
            PATH,
            "400",
            PROBLEM,
            vec![named(
                "malformed-json",
                "A body cut short",
                &format!("The answer to `{MALFORMED}`."),
                problem(&malformed),
            )],
        );
    }
    set_method_response(
        doc,
        put,
        PATH,
        "409",
        PROBLEM,
        vec![
            named(
                "builtin",
                "PUT /v1/templates/invoice",
                "",
                problem(&problems::builtin("invoice", "PUT")),
            ),
            named(
                "too-many-templates",
                "A key keeping 1000 versions already",
                "",
                problem(&problems::too_many(1000)),
            ),
        ],
    );
    set_method_response(
        doc,
        put,
        PATH,
        "413",
        PROBLEM,
        vec![named(
            "json",
            "A body over --max-body",
            "",
            problem(&super::too_large(
                super::super::super::ServiceConfig::default().max_body,
            )),
        )],
    );
    set_method_response(
        doc,
        put,
        PATH,
        "415",
        PROBLEM,
        vec![named(
            "not-json",
            "A body sent as text/plain",
            "",
            problem(&problems::not_json()),
        )],
    );
    let mut invalid = Vec::new();
    if let Some(catalog) = catalog {
        for (name, summary, body) in REFUSED {
            let refused = serde_json::from_str::<TemplateUpload>(body)
                .ok()
                .and_then(|upload| upload_problem(catalog, &upload));
            if let Some(refused) = refused {
                invalid.push(named(
                    name,
                    summary,
                    &format!("The answer to `{body}`."),
                    problem(&refused),
                ));
            }
        }
    }
    if let Err(message) = crate::queue::templates::check_name(BAD_NAME) {
        invalid.push(named(
            "bad-name",
            &format!("PUT /v1/templates/{BAD_NAME}"),
            "",
            problem(&problems::bad_name(&message)),
        ));
    }
    set_method_response(doc, put, PATH, "422", PROBLEM, invalid);
    let off = named(
        "stored-templates-off",
        "A node without a database",
        "",
        problem(&problems::store_off()),
    );
    let unavailable = || {
        named(
            "job-store-unavailable",
            "The database did not answer (`Retry-After: 5`)",
            "",
            problem(&jobs::store_unavailable()),
        )
    };
    set_method_response(doc, put, PATH, "503", PROBLEM, vec![off, unavailable()]);

    let delete = Some(Method::Delete);
    set_method_response(
        doc,
        delete,
        PATH,
        "404",
        PROBLEM,
        vec![named(
            "unknown-template",
            &format!("DELETE /v1/templates/{STORED}, not stored (or deleted already)"),
            "",
            problem(&problems::unknown(STORED)),
        )],
    );
    set_method_response(
        doc,
        delete,
        PATH,
        "409",
        PROBLEM,
        vec![named(
            "builtin",
            "DELETE /v1/templates/invoice",
            "",
            problem(&problems::builtin("invoice", "DELETE")),
        )],
    );
    set_method_response(doc, delete, PATH, "503", PROBLEM, vec![unavailable()]);

    let get = Some(Method::Get);
    if let Some(catalog) = catalog {
        let mut list = super::template_list(catalog);
        if let Some(templates) = list["templates"].as_array_mut() {
            templates.push(listed());
        }
        set_method_response(
            doc,
            get,
            "/v1/templates",
            "200",
            json,
            vec![
                named(
                    "builtin",
                    "The built-in templates (without --templates-dir)",
                    "",
                    super::template_list(catalog),
                ),
                named(
                    "with-stored",
                    &format!("The built-in templates and {STORED}, stored with this key"),
                    "",
                    list,
                ),
            ],
        );
        if let Some(info) = catalog.get("invoice") {
            let info = serde_json::to_value(info).unwrap_or(Value::Null);
            set_method_response(
                doc,
                get,
                PATH,
                "200",
                json,
                vec![
                    named("invoice", "GET /v1/templates/invoice", "", info),
                    named(STORED, &format!("GET /v1/templates/{STORED}"), "", shown()),
                ],
            );
        }
    }
    set_method_response(
        doc,
        get,
        "/v1/templates",
        "503",
        PROBLEM,
        vec![unavailable()],
    );
    set_method_response(
        doc,
        get,
        PATH,
        "400",
        PROBLEM,
        vec![named(
            "bad-version",
            &format!("GET /v1/templates/{STORED}?version=latest"),
            "",
            problem(&problems::bad_version()),
        )],
    );
    set_method_response(
        doc,
        get,
        PATH,
        "404",
        PROBLEM,
        vec![
            named(
                "unknown-template",
                "GET /v1/templates/invoce",
                "",
                problem(&problems::unknown("invoce")),
            ),
            named(
                "unknown-version",
                &format!("GET /v1/templates/{STORED}?version=7"),
                "",
                problem(&problems::unknown_version(STORED, 7)),
            ),
        ],
    );
    set_method_response(doc, get, PATH, "503", PROBLEM, vec![unavailable()]);
}
