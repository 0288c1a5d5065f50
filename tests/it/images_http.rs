//! `POST /v1/images`: one image back, or a ZIP with manifest.json; form
//! fields checked like image jobs; per-file errors; all-or-nothing; limits.

use std::io::{Cursor, Read};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use docsmith::http::ServiceConfig;
use serde_json::Value;

use crate::support::*;

/// A `w` × `h` test picture encoded as `format`.
fn picture(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .expect("encode test picture");
    out.into_inner()
}

enum Part<'a> {
    File(&'a str, Vec<u8>),
    Field(&'a str, &'a str),
}

fn upload(parts: &[Part<'_>]) -> Request<Body> {
    let boundary = "docsmithImageBoundary";
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part {
            Part::File(name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
            Part::Field(name, value) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                    .as_bytes(),
            ),
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::post("/v1/images")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request")
}

fn assert_ok(reply: &Reply) {
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a readable ZIP");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("entry");
            let mut data = Vec::new();
            file.read_to_end(&mut data).expect("entry data");
            (file.name().expect("UTF-8 name").to_string(), data)
        })
        .collect()
}

#[tokio::test]
async fn a_batch_comes_back_as_a_zip_with_a_manifest() {
    let state = state_with(test_config());
    let jpeg = picture(160, 120, image::ImageFormat::Jpeg);
    let truncated = jpeg[..jpeg.len() / 2].to_vec();
    let parts = [
        Part::File("photos/a.jpg", jpeg.clone()),
        Part::File("b.png", picture(120, 160, image::ImageFormat::Png)),
        Part::File("notes.txt", b"not an image at all".to_vec()),
        Part::File("cut.jpg", truncated),
        Part::File("a.gif", picture(80, 80, image::ImageFormat::Gif)),
        Part::Field("format", "webp"),
        Part::Field("width", "40"),
    ];
    let reply = send(&state, upload(&parts)).await;
    assert_ok(&reply);
    assert_eq!(reply.header("content-type"), "application/zip");
    assert!(reply.header("content-disposition").contains("images.zip"));

    let entries = unzip(&reply.body);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a.webp", "b.webp", "a-2.webp", "manifest.json"]);
    for ((_, data), (w, h)) in entries.iter().zip([(40, 30), (40, 53), (40, 40)]) {
        assert_eq!(
            image::guess_format(data).expect("format"),
            image::ImageFormat::WebP
        );
        let decoded = image::load_from_memory(data).expect("decodes");
        assert_eq!((decoded.width(), decoded.height()), (w, h));
    }

    let manifest: Value = serde_json::from_slice(&entries[3].1).expect("manifest is JSON");
    assert_eq!(manifest["converted"], 3);
    assert_eq!(manifest["failed"], 2);
    let files = manifest["files"].as_array().expect("files");
    assert_eq!(files.len(), 5);
    assert_eq!(files[0]["input"], "photos/a.jpg");
    assert_eq!(files[0]["output"], "a.webp");
    assert_eq!(files[0]["input_format"], "jpeg");
    assert_eq!(files[0]["input_width"], 160);
    assert_eq!(files[0]["width"], 40);
    assert_eq!(files[0]["bytes"], entries[0].1.len());
    assert!(
        files[2]["error"]
            .as_str()
            .expect("error")
            .contains("not a supported image")
    );
    assert!(files[2].get("output").is_none());
    assert!(
        files[3]["error"]
            .as_str()
            .expect("error")
            .contains("truncated")
    );
    assert_eq!(files[4]["input_format"], "gif");
}

#[tokio::test]
async fn one_file_comes_back_as_an_image() {
    let state = state_with(test_config());
    let parts = [
        Part::File("scan.png", picture(200, 100, image::ImageFormat::Png)),
        Part::Field("width", "50"),
        Part::Field("height", "50"),
        Part::Field("fit", "fill"),
        Part::Field("background", "#ff0000"),
    ];
    let reply = send(&state, upload(&parts)).await;
    assert_ok(&reply);
    assert_eq!(reply.header("content-type"), "image/png");
    assert!(reply.header("content-disposition").contains("scan.png"));
    let decoded = image::load_from_memory(&reply.body)
        .expect("decodes")
        .to_rgb8();
    assert_eq!(decoded.dimensions(), (50, 50));
    // Padded above and below with the background.
    assert_eq!(decoded.get_pixel(25, 0).0, [255, 0, 0]);
    assert_ne!(decoded.get_pixel(25, 25).0, [255, 0, 0]);

    let reply = send(
        &state,
        upload(&[Part::File("x.jpg", b"\xFF\xD8\xFFgarbage".to_vec())]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.pointers(), ["/files/0"]);
}

#[tokio::test]
async fn all_or_nothing_fails_the_batch_before_any_byte() {
    let state = state_with(test_config());
    let parts = [
        Part::File("a.png", picture(20, 20, image::ImageFormat::Png)),
        Part::File("b.png", b"\x89PNG\r\n\x1a\nbroken".to_vec()),
        Part::Field("all_or_nothing", "true"),
    ];
    let reply = send(&state, upload(&parts)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.pointers(), ["/files/1"]);
    assert!(
        reply.json()["errors"][0]["message"]
            .as_str()
            .expect("message")
            .starts_with("b.png: ")
    );
}

#[tokio::test]
async fn form_fields_are_checked_like_image_jobs() {
    let state = state_with(test_config());
    let parts = [
        Part::File("a.png", picture(20, 20, image::ImageFormat::Png)),
        Part::Field("width", "wide"),
        Part::Field("fit", "squash"),
        Part::Field("format", "png"),
        Part::Field("quality", "70"),
        Part::Field("colour", "red"),
        Part::Field("strip_metadata", "maybe"),
    ];
    let reply = send(&state, upload(&parts)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut pointers = reply.pointers();
    pointers.sort();
    assert_eq!(
        pointers,
        ["/colour", "/fit", "/quality", "/strip_metadata", "/width"]
    );

    let reply = send(&state, upload(&[Part::Field("width", "10")])).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.pointers(), ["/files"]);

    let reply = send(&state, post_json("/v1/images", "{}")).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn limits_on_files_and_pool() {
    let state = state_with(ServiceConfig {
        max_image_files: 2,
        ..test_config()
    });
    let png = picture(10, 10, image::ImageFormat::Png);
    let parts = [
        Part::File("a.png", png.clone()),
        Part::File("b.png", png.clone()),
        Part::File("c.png", png.clone()),
    ];
    let reply = send(&state, upload(&parts)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.pointers(), ["/files"]);

    // No worker and no queue left: 503 at once, before any byte.
    let state = state_with(ServiceConfig {
        workers: 1,
        queue_depth: 0,
        ..test_config()
    });
    let blocker = block_worker(&state);
    let reply = send(
        &state,
        upload(&[Part::File("a.png", png.clone()), Part::File("b.png", png)]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.header("retry-after"), "1");
    drop(blocker);
    wait_idle(&state).await;
}

/// An upload turned away for a full pool is read to its end (up to 1 MiB)
/// before the 503, so the client gets the answer and keeps its connection
/// instead of a reset while it is still sending.
#[tokio::test]
async fn a_turned_away_upload_keeps_its_connection() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

    let (base, state) = crate::http::serve_on_socket(ServiceConfig {
        workers: 1,
        queue_depth: 0,
        ..test_config()
    })
    .await;
    let blocker = block_worker(&state);
    let addr = base.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);

    // Reads one response: its status line and body.
    async fn response(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> (String, Vec<u8>) {
        let mut status = String::new();
        read.read_line(&mut status).await.expect("status line");
        let mut length = 0;
        loop {
            let mut line = String::new();
            read.read_line(&mut line).await.expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; length];
        read.read_exact(&mut body).await.expect("body");
        (status, body)
    }

    let boundary = "docsmith-test-boundary";
    let mut body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"files\"; filename=\"a.png\"\r\ncontent-type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend((0..300_000u32).map(|i| (i % 251) as u8));
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    let head = format!(
        "POST /v1/images HTTP/1.1\r\nhost: {addr}\r\ncontent-type: multipart/form-data; boundary={boundary}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    write.write_all(head.as_bytes()).await.expect("head");
    write.write_all(&body).await.expect("upload");
    let (status, problem) = response(&mut read).await;
    assert!(status.starts_with("HTTP/1.1 503"), "{status}");
    let problem: Value = serde_json::from_slice(&problem).expect("problem JSON");
    assert_eq!(problem["status"], 503);

    // The same connection carries on.
    write
        .write_all(format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await
        .expect("second request");
    let (status, _) = response(&mut read).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    drop(blocker);
    wait_idle(&state).await;
}
