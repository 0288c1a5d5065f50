//! Stored templates through the router, on the async-job test service
//! (SQLite by default; PostgreSQL with scripts/backends.sh): upload with
//! checks, versions, jobs naming them (pinned or not, nested in zip jobs,
//! async jobs pinned at submission), deletion, owners and limits.

use std::io::Read;

use axum::http::StatusCode;
use docsmith::http::auth::ApiKeys;
use serde_json::{Value, json};

use crate::jobs::Service;
use crate::support::*;

/// A template whose output says which version it is.
fn notice(version: u32) -> Value {
    json!({
        "source": format!(
            "<document>\n<h1>Notice v{version}</h1>\n<p>Hello {{{{ name }}}}, order {{{{ order }}}}.</p>\n</document>\n"
        ),
        "description": format!("Shipping notice, take {version}"),
        "sample_data": {"name": "Ada", "order": "A-1001"},
    })
}

async fn put(service: &Service, name: &str, body: &Value) -> Reply {
    send(
        &service.state,
        put_json(&format!("/v1/templates/{name}"), body.to_string()),
    )
    .await
}

async fn render(service: &Service, job: Value) -> Reply {
    send(&service.state, post_json("/v1/render", job.to_string())).await
}

fn notice_job(format: &str, version: Option<i64>, name: &str) -> Value {
    let mut job =
        json!({"format": format, "template": "notice", "data": {"name": name, "order": "B-7"}});
    if let Some(version) = version {
        job["template_version"] = json!(version);
    }
    job
}

/// The text of `word/document.xml` of a DOCX.
fn docx_text(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("docx is a zip");
    let mut xml = String::new();
    archive
        .by_name("word/document.xml")
        .expect("document.xml")
        .read_to_string(&mut xml)
        .expect("utf-8");
    xml
}

#[tokio::test]
async fn stored_templates_are_versioned_and_rendered_by_name() {
    let service = Service::start("tpl-versions", |c| c.workers = 0).await;

    let first = put(&service, "notice", &notice(1)).await;
    assert_eq!(
        first.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(first.header("location"), "/v1/templates/notice");
    let info = first.json();
    assert_eq!(info["version"], 1);
    assert_eq!(info["description"], "Shipping notice, take 1");
    assert_eq!(info["sample_data"]["name"], "Ada");
    // The same template again is no new version.
    let again = put(&service, "notice", &notice(1)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["version"], 1);
    let second = put(&service, "notice", &notice(2)).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.json()["version"], 2);

    // Listed after the built-in ones, at its latest version.
    let list = send(&service.state, get("/v1/templates")).await.json();
    let names: Vec<&str> = list["templates"]
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["invoice", "letter", "report", "notice"]);
    assert_eq!(list["templates"][3]["version"], 2);
    assert!(list["templates"][0].get("version").is_none());

    // One, with its markup and versions; an older version on request.
    let one = send(&service.state, get("/v1/templates/notice"))
        .await
        .json();
    assert_eq!(one["source"], notice(2)["source"]);
    let versions: Vec<i64> = one["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| v["version"].as_i64().expect("number"))
        .collect();
    assert_eq!(versions, [1, 2]);
    let old = send(&service.state, get("/v1/templates/notice?version=1"))
        .await
        .json();
    assert_eq!(old["source"], notice(1)["source"]);
    assert_problem(
        &send(&service.state, get("/v1/templates/notice?version=9")).await,
        404,
    );
    assert_problem(
        &send(&service.state, get("/v1/templates/notice?version=x")).await,
        400,
    );

    // Jobs render the latest, or the version they pin, in PDF and Word.
    let latest = render(&service, notice_job("pdf", None, "Grace")).await;
    assert_eq!(latest.status, StatusCode::OK);
    assert!(
        latest
            .header("content-disposition")
            .contains("filename=\"notice.pdf\"")
    );
    let text = pdf_text(&latest.body);
    assert!(
        text.contains("Notice v2") && text.contains("Hello Grace, order B-7."),
        "{text}"
    );
    let pinned = render(&service, notice_job("pdf", Some(1), "Grace")).await;
    assert!(pdf_text(&pinned.body).contains("Notice v1"));
    let word = render(&service, notice_job("docx", Some(1), "Linus")).await;
    assert_eq!(word.status, StatusCode::OK);
    let xml = docx_text(&word.body);
    assert!(
        xml.contains("Notice v1") && xml.contains("Hello Linus"),
        "{xml}"
    );

    // In zip jobs too: entries pinning different versions, and a batch.
    let archive = render(
        &service,
        json!({"format": "zip", "entries": [
            {"path": "one.pdf", "job": notice_job("pdf", Some(1), "A")},
            {"path": "two.pdf", "job": notice_job("pdf", None, "B")},
            {"path": "more.zip", "job": {"format": "zip", "batch": {
                "path": "{{ name }}.pdf",
                "job": {"format": "pdf", "template": "notice", "template_version": 1},
                "items": [{"name": "X", "order": "1"}, {"name": "Y", "order": "2"}]
            }}}
        ]}),
    )
    .await;
    assert_eq!(
        archive.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&archive.body)
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive.body)).expect("zip");
    let mut entry = |name: &str| {
        let mut bytes = Vec::new();
        zip.by_name(name)
            .expect(name)
            .read_to_end(&mut bytes)
            .expect("entry");
        bytes
    };
    assert!(pdf_text(&entry("one.pdf")).contains("Notice v1"));
    assert!(pdf_text(&entry("two.pdf")).contains("Notice v2"));
    let inner = entry("more.zip");
    let mut inner = zip::ZipArchive::new(std::io::Cursor::new(inner)).expect("inner zip");
    let mut y = Vec::new();
    inner
        .by_name("Y.pdf")
        .expect("Y.pdf")
        .read_to_end(&mut y)
        .expect("entry");
    let text = pdf_text(&y);
    assert!(
        text.contains("Notice v1") && text.contains("Hello Y"),
        "{text}"
    );

    // A version that is not there, a version of a built-in template.
    let missing = render(&service, notice_job("pdf", Some(7), "A")).await;
    assert_problem(&missing, 404);
    assert_eq!(missing.json()["errors"][0]["pointer"], "/template_version");
    let nested = render(
        &service,
        json!({"format": "zip", "entries": [{"path": "a.pdf", "job": notice_job("pdf", Some(7), "A")}]}),
    )
    .await;
    assert_problem(&nested, 422);
    assert_eq!(
        nested.json()["errors"][0]["pointer"],
        "/entries/0/job/template_version"
    );
    let builtin = render(
        &service,
        json!({"format": "pdf", "template": "invoice", "template_version": 1, "data": {}}),
    )
    .await;
    assert_problem(&builtin, 422);
    assert_eq!(builtin.json()["errors"][0]["pointer"], "/template_version");

    // Built-in templates can be neither replaced nor deleted.
    assert_problem(&put(&service, "invoice", &notice(1)).await, 409);
    assert_problem(
        &send(&service.state, delete("/v1/templates/invoice")).await,
        409,
    );

    // Deleted: gone for jobs and lists; its numbers are not given again.
    let deleted = send(&service.state, delete("/v1/templates/notice")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_problem(
        &send(&service.state, get("/v1/templates/notice")).await,
        404,
    );
    assert_problem(
        &render(&service, notice_job("pdf", Some(1), "A")).await,
        404,
    );
    let list = send(&service.state, get("/v1/templates")).await.json();
    assert_eq!(list["templates"].as_array().map(Vec::len), Some(3));
    assert_problem(
        &send(&service.state, delete("/v1/templates/notice")).await,
        404,
    );
    let reborn = put(&service, "notice", &notice(1)).await;
    assert_eq!(reborn.status, StatusCode::CREATED);
    assert_eq!(reborn.json()["version"], 3);
    let one = send(&service.state, get("/v1/templates/notice"))
        .await
        .json();
    assert_eq!(one["versions"].as_array().map(Vec::len), Some(1));
    service.stop().await;
}

#[tokio::test]
async fn uploads_are_checked_and_problems_point_into_them() {
    let config = docsmith::http::ServiceConfig {
        max_template_bytes: 200,
        ..test_config()
    };
    let service = Service::start_with(temp_dir("tpl-checks"), ApiKeys::none(), config, |c| {
        c.workers = 0
    })
    .await;
    let pointed = |reply: &Reply, status: u16| -> Vec<(String, Option<u64>)> {
        assert_problem(reply, status);
        reply.json()["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                (
                    e["pointer"].as_str().expect("pointer").to_owned(),
                    e["line"].as_u64(),
                )
            })
            .collect()
    };

    // A syntax error: its line.
    let syntax = json!({"source": "<document>\n<p>Hi</p>\n<p>{{ name </p>\n</document>"});
    let errors = pointed(&put(&service, "broken", &syntax).await, 422);
    assert_eq!(errors, [("/source".to_owned(), Some(3))]);
    // Markup the sample data renders into something not a document: the
    // template line that wrote it.
    let markup = json!({
        "source": "<document>\n<p>Hi {{ name }}</p>\n<blink>no</blink>\n</document>",
        "sample_data": {"name": "Ada"}
    });
    let errors = pointed(&put(&service, "broken", &markup).await, 422);
    assert_eq!(errors, [("/source".to_owned(), Some(3))]);
    // Sample data lacking what the template reads: where in it.
    let data = json!({
        "source": "<document>\n<p>{{ customer.name }}</p>\n</document>",
        "sample_data": {"customer": {}}
    });
    let errors = pointed(&put(&service, "broken", &data).await, 422);
    assert!(
        errors[0].0.starts_with("/sample_data/customer"),
        "{errors:?}"
    );
    // Without sample data, the syntax alone is checked: this one stores.
    let unchecked = json!({"source": data["source"]});
    assert_eq!(
        put(&service, "customer", &unchecked).await.status,
        StatusCode::CREATED
    );

    // The body itself.
    assert_eq!(
        pointed(&put(&service, "empty", &json!({"source": "  "})).await, 422),
        [("/source".to_owned(), None)]
    );
    let big = json!({"source": format!("<document><p>{}</p></document>", "x".repeat(300))});
    assert_eq!(
        pointed(&put(&service, "big", &big).await, 422),
        [("/source".to_owned(), None)]
    );
    let errors = pointed(
        &put(
            &service,
            "typo",
            &json!({"source": "<document/>", "descripton": "x"}),
        )
        .await,
        422,
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_problem(
        &send(&service.state, put_json("/v1/templates/x", "{\"source\": ")).await,
        400,
    );
    let text = axum::http::Request::put("/v1/templates/x")
        .header("content-type", "text/plain")
        .body(axum::body::Body::from("<document/>"))
        .expect("request");
    assert_problem(&send(&service.state, text).await, 415);
    for bad in ["-dash-first", "has%20space", "at%40sign", &"n".repeat(65)] {
        assert_problem(&put(&service, bad, &notice(1)).await, 422);
    }

    // Nothing refused was stored.
    let list = send(&service.state, get("/v1/templates")).await.json();
    let stored: Vec<&str> = list["templates"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|t| t.get("version").is_some())
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(stored, ["customer"]);
    service.stop().await;
}

#[tokio::test]
async fn an_async_job_renders_the_version_of_its_submission() {
    let dir = temp_dir("tpl-async");
    // An API node alone first: jobs wait while the template changes.
    let api = Service::start_in(dir.clone(), ApiKeys::none(), |c| c.workers = 0).await;
    assert_eq!(
        put(&api, "notice", &notice(1)).await.status,
        StatusCode::CREATED
    );
    let submit = |job: Value| {
        let api = &api;
        async move {
            let reply = api.submit(&job).await;
            assert_eq!(
                reply.status,
                StatusCode::ACCEPTED,
                "{}",
                String::from_utf8_lossy(&reply.body)
            );
            reply.json()["id"].as_str().expect("id").to_owned()
        }
    };
    let before = submit(notice_job("pdf", None, "Before")).await;
    assert_eq!(
        put(&api, "notice", &notice(2)).await.status,
        StatusCode::CREATED
    );
    let after = submit(notice_job("pdf", None, "After")).await;
    assert_eq!(
        put(&api, "doomed", &notice(9)).await.status,
        StatusCode::CREATED
    );
    let mut doomed_job = notice_job("pdf", None, "Nobody");
    doomed_job["template"] = json!("doomed");
    let doomed = submit(doomed_job).await;
    assert_eq!(
        send(&api.state, delete("/v1/templates/doomed"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    // An unknown stored template is refused at submission.
    let mut unknown = notice_job("pdf", None, "X");
    unknown["template"] = json!("doomed");
    assert_problem(&api.submit(&unknown).await, 404);

    // Now a worker node.
    let worker = Service::start_in(dir, ApiKeys::none(), |_| {}).await;
    for (id, marker) in [(&before, "Notice v1"), (&after, "Notice v2")] {
        let status = worker.wait(id).await;
        assert_eq!(status["state"], "succeeded", "{status}");
        let result = send(&api.state, get(&format!("/v1/jobs/{id}/result"))).await;
        assert_eq!(result.status, StatusCode::OK);
        let text = pdf_text(&result.body);
        assert!(text.contains(marker), "{id}: {text}");
    }
    // The template it was submitted with was deleted before it ran.
    let status = worker.wait(&doomed).await;
    assert_eq!(status["state"], "failed", "{status}");
    assert_eq!(status["problem"]["status"], 404, "{status}");
    worker.stop().await;
    api.stop().await;
}

#[tokio::test]
async fn stored_templates_belong_to_their_key() {
    let keys = ApiKeys::parse(
        "alice alice-key-0123456789 *\n\
         bob bob-key-0123456789 *\n\
         reader reader-key-0123456789 render,templates",
        "test",
    )
    .expect("keys");
    let service = Service::start_keyed("tpl-owners", keys, |c| c.workers = 0).await;
    let as_key = |key: &'static str, request| {
        let state = &service.state;
        async move { send(state, with_key(key, request)).await }
    };
    let upload = notice(1).to_string();
    let stored = as_key(
        "alice-key-0123456789",
        put_json("/v1/templates/notice", upload.clone()),
    )
    .await;
    assert_eq!(stored.status, StatusCode::CREATED);
    // Only a key allowed `templates:write` may store or delete.
    assert_problem(
        &as_key(
            "reader-key-0123456789",
            put_json("/v1/templates/notice", upload.clone()),
        )
        .await,
        403,
    );
    assert_problem(
        &as_key("reader-key-0123456789", delete("/v1/templates/notice")).await,
        403,
    );
    // Another key sees none of it.
    assert_problem(
        &as_key("bob-key-0123456789", get("/v1/templates/notice")).await,
        404,
    );
    let job = notice_job("pdf", None, "Bob").to_string();
    assert_problem(
        &as_key("bob-key-0123456789", post_json("/v1/render", job.clone())).await,
        404,
    );
    assert_problem(
        &as_key("bob-key-0123456789", delete("/v1/templates/notice")).await,
        404,
    );
    // And may store its own under the same name.
    let own = as_key(
        "bob-key-0123456789",
        put_json("/v1/templates/notice", notice(5).to_string()),
    )
    .await;
    assert_eq!(own.json()["version"], 1);
    let rendered = as_key("alice-key-0123456789", post_json("/v1/render", job)).await;
    assert_eq!(rendered.status, StatusCode::OK);
    assert!(pdf_text(&rendered.body).contains("Notice v1"));
    service.stop().await;
}

#[tokio::test]
async fn concurrent_uploads_get_versions_of_their_own_up_to_the_limit() {
    let config = docsmith::http::ServiceConfig {
        max_stored_templates: 10,
        ..test_config()
    };
    let service = Service::start_with(temp_dir("tpl-race"), ApiKeys::none(), config, |c| {
        c.workers = 0
    })
    .await;
    let uploads = (1..=8).map(|n| {
        let state = service.state.clone();
        tokio::spawn(async move {
            send(
                &state,
                put_json("/v1/templates/notice", notice(n).to_string()),
            )
            .await
        })
    });
    let mut versions = Vec::new();
    for upload in uploads {
        let reply = upload.await.expect("upload task");
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        versions.push(reply.json()["version"].as_i64().expect("version"));
    }
    versions.sort_unstable();
    assert_eq!(versions, (1..=8).collect::<Vec<i64>>());
    // Each version holds the upload that got it.
    for version in 1..=8 {
        let one = send(
            &service.state,
            get(&format!("/v1/templates/notice?version={version}")),
        )
        .await
        .json();
        let take: String = one["description"].as_str().expect("description").into();
        assert_eq!(
            one["source"],
            notice(take[take.len() - 1..].parse().expect("n"))["source"]
        );
    }
    // Ten versions in all per key.
    for n in 9..=10 {
        assert_eq!(
            put(&service, "other", &notice(n)).await.status,
            StatusCode::CREATED
        );
    }
    let refused = put(&service, "other", &notice(11)).await;
    assert_problem(&refused, 409);
    assert!(
        refused.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("--max-stored-templates"))
    );
    // Storing the latest version again makes none: no limit to reach.
    assert_eq!(
        put(&service, "other", &notice(10)).await.status,
        StatusCode::OK
    );
    service.stop().await;
}
