//! Tracked links through the redirect fast path: the same answers and recorded clicks as the
//! router gives, with the request id, security headers and metrics the router's stack adds.

use std::net::SocketAddr;

use axum::{body::Body, http::Request};
use chorus::entities::click;
use chorus_tests::{TestApp, both};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::advocacy::{CHROME, archive, click};

both! {
    fast_path_and_router_agree,
    redirects_carry_request_ids_security_headers_and_metrics,
    a_link_in_use_is_looked_up_again_before_it_expires with chorus_tests::Options::with(
        json!({ "advocacy": { "link_cache_secs": 4 } })
    ),
}

/// A cached link followed in the second half of its time-to-live is answered from the cache and
/// looked up again in the background, so a change made behind the server's back (here: the
/// post archived in the database, which no cache clear follows) shows before the time-to-live
/// (4 s) of the first lookup runs out.
async fn a_link_in_use_is_looked_up_again_before_it_expires(app: TestApp) {
    use chorus::entities::post;
    use sea_orm::sea_query::Expr;
    let (_, post_id, code) = shared_post(&app).await;
    let first = std::time::Instant::now();
    assert_eq!(click(&app, &code, CHROME).await.status(), StatusCode::FOUND);
    post::Entity::update_many()
        .col_expr(post::Column::Status, Expr::value("archived"))
        .filter(post::Column::Id.eq(uuid::Uuid::parse_str(&post_id).expect("id")))
        .exec(app.db())
        .await
        .expect("archive behind the server's back");
    assert_eq!(
        click(&app, &code, CHROME).await.status(),
        StatusCode::FOUND,
        "a fresh cached answer is used"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        click(&app, &code, CHROME).await.status(),
        StatusCode::FOUND,
        "an ageing answer is used while it is looked up again"
    );
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        if click(&app, &code, CHROME).await.status() == StatusCode::NOT_FOUND {
            break;
        }
        assert!(
            first.elapsed() < std::time::Duration::from_millis(3900),
            "the background lookup did not replace the cached answer"
        );
    }
}

/// An advocate's share of a published post; answers (editor, post id, code).
async fn shared_post(app: &TestApp) -> (chorus_tests::Session, String, String) {
    let shared =
        crate::ops::shared_post(app, json!({ "url": "https://news.test/item?id=7" })).await;
    (shared.editor, shared.post_id, shared.code)
}

/// Status, headers (without the generated request id and the date) and body of one answer.
async fn answer(
    app: &chorus::http::redirect::App,
    peer: SocketAddr,
    uri: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut request = Request::builder().method("GET").uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .answer(peer, request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status().as_u16();
    let id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("every answer carries a request id")
        .to_owned();
    let mut names: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str() != "date")
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or("?").to_owned();
            (name.as_str().to_owned(), value)
        })
        .filter(|(name, value)| {
            // A generated id differs per request; a caller's id is compared.
            name != "x-request-id" || headers.iter().any(|(_, v)| v == value)
        })
        .collect();
    names.sort();
    if !headers.iter().any(|(name, _)| *name == "x-request-id") {
        assert!(
            uuid::Uuid::parse_str(&id).is_ok_and(|u| u.get_version_num() == 4),
            "{id}"
        );
    }
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body")
        .to_vec();
    (status, names, body)
}

/// A request: peer, URI and headers.
type Case<'a> = (SocketAddr, &'a str, Vec<(&'a str, &'a str)>);

async fn clicks_of(app: &TestApp, class: &str) -> u64 {
    click::Entity::find()
        .filter(click::Column::Class.eq(class))
        .count(app.db())
        .await
        .expect("count")
}

/// Every kind of redirect request gets the same answer from the fast path as from the router,
/// and each recorded redirect stores one click of the same class on either path.
async fn fast_path_and_router_agree(app: TestApp) {
    let (editor, post_id, code) = shared_post(&app).await;
    let fast = chorus::http::app(app.state.clone(), true);
    let routed = chorus::http::app(app.state.clone(), false);
    let local: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
    let remote: SocketAddr = "192.0.2.10:40000".parse().expect("addr");
    let long = format!("/r/{}", "a".repeat(33));
    let found = format!("/r/{code}");
    let with_query = format!("/r/{code}?utm_source=evil&x=1");
    let cases: Vec<Case> = vec![
        (local, &found, vec![("user-agent", CHROME)]),
        (remote, &found, vec![("user-agent", CHROME)]),
        (local, &with_query, vec![("user-agent", "Twitterbot/1.0")]),
        (local, &found, vec![]),
        (
            local,
            &found,
            vec![
                ("user-agent", CHROME),
                ("x-forwarded-for", "203.0.113.9"),
                ("referer", "https://www.LinkedIn.com/feed/"),
                ("x-request-id", "caller-7"),
            ],
        ),
        (local, "/r/doesnotexist", vec![("user-agent", CHROME)]),
        (local, &long, vec![]),
        (local, "/r/bad-code!", vec![]),
        (local, "/r/abc/def", vec![]),
        (local, "/r/%41bc", vec![]),
    ];
    let mut redirected = 0;
    for (peer, uri, headers) in &cases {
        let a = answer(&fast, *peer, uri, headers).await;
        let b = answer(&routed, *peer, uri, headers).await;
        assert_eq!(a, b, "{uri} {headers:?}");
        if a.0 == 302 {
            redirected += 1;
            let location =
                &a.1.iter()
                    .find(|(n, _)| n == "location")
                    .expect("location")
                    .1;
            assert!(
                location.starts_with("https://news.test/item?id=7&utm_source=linkedin"),
                "{location}"
            );
        }
    }
    assert_eq!(redirected, 5);
    app.state.clicks.settle().await.expect("fold");
    assert_eq!(clicks_of(&app, "human").await, 2 * 3);
    assert_eq!(clicks_of(&app, "bot").await, 2 * 2);

    // An archived post's link is unavailable on both paths, at once on this server.
    archive(&app, &editor, &post_id).await;
    let a = answer(&fast, local, &found, &[("user-agent", CHROME)]).await;
    let b = answer(&routed, local, &found, &[("user-agent", CHROME)]).await;
    assert_eq!(a.0, 404);
    assert_eq!(a, b);
    app.state.clicks.settle().await.expect("fold");
    assert_eq!(clicks_of(&app, "human").await, 2 * 3, "no click for a 404");
}

/// Over HTTP (the fast path), a redirect carries a request id (the caller's, or a new UUID),
/// the security headers and `no-store`, and is counted in the route's metrics.
async fn redirects_carry_request_ids_security_headers_and_metrics(app: TestApp) {
    let (editor, post_id, code) = shared_post(&app).await;
    let response = click(&app, &code, CHROME).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let headers = response.headers();
    let id = headers["x-request-id"].to_str().expect("id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    for (name, value) in [
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(headers[name], value, "{name}");
    }
    assert!(headers.contains_key("content-security-policy"));
    let response = app
        .client
        .get(app.url(&format!("/r/{code}")))
        .header("user-agent", CHROME)
        .header("x-request-id", "caller-42")
        .send()
        .await
        .expect("click");
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["x-request-id"], "caller-42");

    archive(&app, &editor, &post_id).await;
    let response = click(&app, &code, CHROME).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(response.headers()["cache-control"], "no-store");

    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for line in [
        "chorus_http_requests_total{method=\"GET\",route=\"/r/{code}\",status=\"302\"} 2",
        "chorus_http_requests_total{method=\"GET\",route=\"/r/{code}\",status=\"404\"} 1",
        "chorus_http_request_duration_seconds_count{method=\"GET\",route=\"/r/{code}\"} 3",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
}
