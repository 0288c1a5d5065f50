//! `docsmith serve` as a process: start-up on the defaults, graceful shutdown.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::*;

#[tokio::test]
async fn sigterm_lets_in_flight_jobs_finish() {
    let (mut child, base) = start_server(&["--workers", "1"]);
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);

    let job = sales_job(150_000).to_string();
    let request = tokio::spawn({
        let client = client.clone();
        let url = format!("{base}/v1/render");
        async move {
            client
                .post(url)
                .header("content-type", "application/json")
                .body(job)
                .send()
                .await
        }
    });
    // Wait until the job renders, then ask the server to stop.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready: serde_json::Value = client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("readyz")
            .json()
            .await
            .expect("json");
        if ready["in_flight"].as_u64() == Some(1) {
            break;
        }
        assert!(Instant::now() < deadline, "the job never started");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());

    let reply = request
        .await
        .expect("join")
        .expect("the in-flight request is answered");
    assert_eq!(reply.status(), 200);
    let bytes = reply.bytes().await.expect("body");
    assert_eq!(read_xlsx(&bytes)[0].1.len(), 150_001);

    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(
        status.success(),
        "serve exits cleanly after draining: {status:?}"
    );
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "no longer listening"
    );
}
