//! Bad input answers 4xx problem documents and changes nothing.

use chorus_tests::{TestApp, both};
use reqwest::StatusCode;
use serde_json::{Value, json};

both! { malformed_and_oversized_bodies_are_4xx }

async fn raw(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, String, Value) {
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, kind, response.json().await.unwrap_or(Value::Null))
}

async fn malformed_and_oversized_bodies_are_4xx(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let token = admin.token();
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "/api/v1/teams",
            "application/json",
            b"{\"name\": ".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "/api/v1/teams",
            "application/json",
            b"[1,2,3]".to_vec(),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/teams",
            "application/json",
            br#"{"name": 42}"#.to_vec(),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/teams",
            "application/json",
            br#"{"parent_id": "x"}"#.to_vec(),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/teams",
            "text/plain",
            br#"{"name": "x"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "/api/v1/teams",
            "application/json",
            br#"{"name": "   "}"#.to_vec(),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/teams",
            "application/json",
            br#"{"name": "X", "parent_id": "6d1f0c6e-4d0c-4b8e-9a1c-1f5a2b3c4d5e"}"#.to_vec(),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/teams",
            "application/json",
            format!("{{\"name\": \"{}\"}}", "x".repeat(70 * 1024)).into_bytes(),
            413,
            "payload_too_large",
        ),
        (
            "/api/v1/auth/login",
            "application/json",
            br#"{"email": "a@b.test"}"#.to_vec(),
            422,
            "validation_failed",
        ),
        (
            "/api/v1/invitations",
            "application/json",
            br#"{"email": "no-at-sign", "roles": ["emperor"]}"#.to_vec(),
            422,
            "validation_failed",
        ),
    ];
    for (path, kind, body, want, code) in cases {
        let (status, content_type, problem) = raw(&app, path, token, kind, body).await;
        assert_eq!(status.as_u16(), want, "{path}: {problem}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(problem["code"], code, "{problem}");
    }
    // Field names are reported.
    let (_, _, problem) = raw(
        &app,
        "/api/v1/teams",
        token,
        "application/json",
        br#"{"name": 42}"#.to_vec(),
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "name");
    let (_, _, problem) = raw(
        &app,
        "/api/v1/auth/login",
        None,
        "application/json",
        br#"{"email": "a@b.test"}"#.to_vec(),
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "password");

    // Unknown ids and unknown routes are 404 problems; a wrong method is 405.
    let (status, problem) = app
        .get(&format!("/api/v1/users/{}", uuid::Uuid::new_v4()), token)
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = app.get("/api/v1/users/not-a-uuid", token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = app.get("/api/v1/nothing-here", token).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, problem) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/teams",
            token,
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );

    // None of it created anything.
    let (_, teams) = app.get("/api/v1/teams", token).await;
    assert_eq!(teams["items"].as_array().map(Vec::len), Some(0));
    let (_, invitations) = app.get("/api/v1/invitations", token).await;
    assert_eq!(invitations["items"].as_array().map(Vec::len), Some(0));
}
