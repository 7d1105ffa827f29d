//! Service endpoints: health, readiness (including around a database outage), metrics and the
//! generated API documentation.

use chorus_tests::{Backend, Options, TestApp, TestDb, both, proxy::Proxy};
use reqwest::StatusCode;
use serde_json::json;

both! { health_metrics_and_api_docs }

async fn health_metrics_and_api_docs(app: TestApp) {
    assert_eq!(
        app.get("/healthz", None).await,
        (StatusCode::OK, json!({ "status": "ok" }))
    );
    assert_eq!(
        app.get("/readyz", None).await,
        (StatusCode::OK, json!({ "status": "ready" }))
    );

    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3.1"));
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/magic-link",
        "/api/v1/auth/magic-link/verify",
        "/api/v1/auth/password-reset",
        "/api/v1/auth/password-reset/confirm",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}/deactivate",
        "/api/v1/users/{id}/reactivate",
        "/api/v1/teams",
        "/api/v1/teams/managed",
        "/api/v1/teams/{team_id}",
        "/api/v1/invitations",
        "/api/v1/invitations/{id}",
        "/api/v1/invitations/lookup",
        "/api/v1/invitations/accept",
        "/api/v1/imports/people",
        "/api/v1/audit-log",
        "/api/v1/admin/outbox",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} is missing from the OpenAPI document"
        );
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("operations") {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} documents its responses"
            );
            assert!(
                op["summary"].is_string() || op["description"].is_string(),
                "{method} {path} has a description"
            );
        }
    }
    let docs = app
        .client
        .get(app.url("/api/docs"))
        .send()
        .await
        .expect("docs");
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.expect("html");
    assert!(html.contains("/api/v1/auth/login") && html.contains("Chorus API"));

    let metrics = app.metrics().await;
    assert!(metrics.contains("chorus_http_requests_total"), "{metrics}");
    assert!(
        metrics.contains("route=\"/api/openapi.json\"") || metrics.contains("route=\"/readyz\"")
    );
    assert!(metrics.contains("chorus_outbox_messages"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_and_recovers_around_a_database_outage() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        eprintln!("skipped: CHORUS_TEST_POSTGRES_URL is not set");
        return;
    };
    let mut url = url::Url::parse(&db.url).expect("url");
    let target = (
        url.host_str().unwrap_or("127.0.0.1").to_owned(),
        url.port().unwrap_or(5432),
    );
    let target = tokio::net::lookup_host(target)
        .await
        .expect("resolve")
        .next()
        .expect("address");
    let proxy = Proxy::start(target).await;
    url.set_host(Some("127.0.0.1")).expect("host");
    url.set_port(Some(proxy.addr.port())).expect("port");
    let options = Options {
        config: json!({ "database": { "connect_timeout_secs": 1, "acquire_timeout_secs": 2 } }),
        database_url: Some(url.to_string()),
    };
    let app = TestApp::start(&db, options).await;
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    assert_eq!(app.get("/readyz", None).await.0, StatusCode::OK);

    proxy.cut();
    let started = std::time::Instant::now();
    let (status, problem) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem["code"], "service_unavailable");
    let (status, problem) = app.get("/api/v1/teams", admin.token()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert!(
        started.elapsed().as_secs() < 10,
        "requests fail fast during the outage"
    );

    proxy.restore();
    app.eventually(20, "readiness to recover", || async {
        (app.get("/readyz", None).await.0 == StatusCode::OK).then_some(())
    })
    .await;
    assert_eq!(
        app.get("/api/v1/teams", admin.token()).await.0,
        StatusCode::OK
    );
    app.stop().await;
    db.drop().await;
}
