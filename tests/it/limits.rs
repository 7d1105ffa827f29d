//! Limits: write rate limits per account and per client, the redirect flood guard, page-size
//! caps, field sizes, and the slow-request timeout.

use std::time::{Duration, Instant};

use chorus::entities::{click, share};
use chorus_tests::{Options, TestApp, both};
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

both! {
    writes_are_limited_per_account_and_per_client with Options::with(json!({
        "auth": { "trusted_proxies": ["127.0.0.1/32"] },
        "limits": { "writes_per_account_per_minute": 3, "writes_per_client_per_minute": 6 },
    })),
    redirect_flood_from_one_client_leaves_others_answered with Options::with(json!({
        "auth": { "trusted_proxies": ["127.0.0.1/32"] },
        "limits": { "redirects_per_client_per_minute": 20, "redirect_exempt": [] },
    })),
    loopback_is_not_limited_on_redirects_by_default with Options::with(json!({
        "limits": { "redirects_per_client_per_minute": 5 },
    })),
    pages_and_fields_are_capped with Options::with(json!({ "limits": { "max_page_size": 2 } })),
    a_trickled_body_is_cut_off with Options::with(json!({ "limits": { "request_timeout_secs": 1 } })),
}

/// A write from `client` (an `X-Forwarded-For` address) with an invalid body: it changes
/// nothing but counts against the limits.
async fn write(
    app: &TestApp,
    token: Option<&str>,
    client: &str,
) -> (StatusCode, Option<u64>, Value) {
    let mut request = app
        .client
        .post(app.url("/api/v1/suggestions"))
        .header("x-forwarded-for", client)
        .json(&json!([]));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry, response.json().await.unwrap_or(Value::Null))
}

async fn writes_are_limited_per_account_and_per_client(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let pat = app.person(admin.org_id, "pat@acme.test", &[], None).await;
    let sam = app.person(admin.org_id, "sam@acme.test", &[], None).await;
    for _ in 0..3 {
        let (status, _, _) = write(&app, pat.token(), "198.51.100.1").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The account's fourth write in the minute is refused, from any address.
    let (status, retry, problem) = write(&app, pat.token(), "198.51.100.2").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    assert_eq!(problem["code"], "rate_limited");
    assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "{retry:?}");
    // Reading is not limited, and another account is unaffected.
    assert_eq!(app.get("/api/v1/me", pat.token()).await.0, StatusCode::OK);
    assert_eq!(
        write(&app, sam.token(), "198.51.100.1").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Per client: 198.51.100.1 has made 4 writes; two more anonymous ones use up its six.
    for _ in 0..2 {
        assert_eq!(
            write(&app, None, "198.51.100.1").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, retry, problem) = write(&app, None, "198.51.100.1").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    assert!(retry.is_some());
    assert_eq!(
        write(&app, None, "198.51.100.3").await.0,
        StatusCode::UNAUTHORIZED,
        "another client is unaffected"
    );
    // Sign-in endpoints count as writes too.
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "198.51.100.1")
        .json(&json!({ "email": "admin@acme.test", "password": chorus_tests::PASSWORD }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

/// A tracked link of the demo organisation.
async fn demo_code(app: &TestApp) -> (String, uuid::Uuid) {
    chorus::seed::seed_demo(app.db(), false)
        .await
        .expect("demo data");
    let share = share::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("a share");
    (share.code, share.id)
}

async fn follow(app: &TestApp, code: &str, client: Option<&str>) -> (StatusCode, Option<String>) {
    let mut request = app.client.get(app.url(&format!("/r/{code}"))).header(
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    );
    if let Some(client) = client {
        request = request.header("x-forwarded-for", client);
    }
    let response = request.send().await.expect("request");
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status(), retry)
}

async fn clicks(app: &TestApp) -> u64 {
    app.state.clicks.settle().await.expect("fold");
    click::Entity::find().count(app.db()).await.expect("count")
}

async fn redirect_flood_from_one_client_leaves_others_answered(app: TestApp) {
    let (code, _) = demo_code(&app).await;
    let before = clicks(&app).await;
    let mut answered = 0;
    let mut refused = 0;
    for _ in 0..40 {
        match follow(&app, &code, Some("203.0.113.7")).await {
            (StatusCode::FOUND, _) => answered += 1,
            (StatusCode::TOO_MANY_REQUESTS, retry) => {
                assert!(retry.is_some(), "429 carries Retry-After");
                refused += 1;
            }
            (other, _) => panic!("unexpected {other}"),
        }
    }
    // Twenty per minute, with at most a token or two refilled while the loop ran.
    assert!((20..=22).contains(&answered), "{answered} answered");
    assert_eq!(answered + refused, 40);
    // Other clients are still answered while the flood is refused.
    for other in ["203.0.113.8", "2001:db8::1"] {
        assert_eq!(follow(&app, &code, Some(other)).await.0, StatusCode::FOUND);
    }
    assert_eq!(
        follow(&app, &code, Some("203.0.113.7")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Every redirect answered was recorded; refused ones were not.
    assert_eq!(clicks(&app).await - before, answered + 2);
}

async fn loopback_is_not_limited_on_redirects_by_default(app: TestApp) {
    let (code, _) = demo_code(&app).await;
    for _ in 0..20 {
        assert_eq!(follow(&app, &code, None).await.0, StatusCode::FOUND);
    }
}

async fn pages_and_fields_are_capped(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    for n in 0..3 {
        app.person(admin.org_id, &format!("p{n}@acme.test"), &[], None)
            .await;
    }
    let (status, page) = app.get("/api/v1/users?limit=100000", admin.token()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["total"], 4);
    // Offsets beyond anything a database can hold are an empty page, not an error.
    let (status, page) = app
        .get("/api/v1/users?offset=18446744073709551615", admin.token())
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
    let (status, problem) = app.get("/api/v1/users?limit=-1", admin.token()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    // An oversized field inside an accepted body is refused by name.
    let (status, problem) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            admin.token(),
            Some(json!({ "display_name": "x".repeat(10_000) })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "display_name");
}

async fn a_trickled_body_is_cut_off(app: TestApp) {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: chorus\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{",
        )
        .await
        .expect("headers");
    let started = Instant::now();
    let trickle = async {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if stream.write_all(b" ").await.is_err() {
                break;
            }
            let mut buf = [0u8; 512];
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf)).await
            {
                return (n, String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        }
        (0, String::new())
    };
    let (read, answer) = tokio::time::timeout(Duration::from_secs(5), trickle)
        .await
        .expect("the server cuts the request off");
    let elapsed = started.elapsed();
    assert!(
        read == 0 || answer.starts_with("HTTP/1.1 408"),
        "408 or a closed connection, got {answer:?}"
    );
    assert!(
        elapsed < Duration::from_millis(2500),
        "cut off after {elapsed:?} with a 1 s limit"
    );
    // The server still answers others.
    assert_eq!(app.get("/healthz", None).await.0, StatusCode::OK);
}
