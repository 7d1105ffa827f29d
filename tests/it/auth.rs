//! Sign-in flows end to end and token tampering.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chorus_tests::{Options, PASSWORD, TestApp, both, token_in};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

both! {
    invitation_login_refresh_reuse_logout,
    magic_link_signs_in_once,
    password_reset_replaces_password_and_ends_sessions,
    tampered_tokens_are_rejected,
    login_is_rate_limited_without_revealing_accounts with Options::with(json!({
        "auth": { "login_per_account_per_minute": 3, "login_per_client_per_minute": 1000 }
    })),
    deactivated_user_loses_access,
}

async fn invitation_login_refresh_reuse_logout(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let (status, invitation) = app
        .post(
            "/api/v1/invitations",
            admin.token(),
            json!({ "email": "New.Person@Acme.test", "roles": ["editor"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invitation}");
    assert_eq!(invitation["status"], "pending");

    let email = app
        .last_email_to("new.person@acme.test")
        .await
        .expect("invitation email queued");
    assert_eq!(email.kind, "invitation");
    assert!(email.html_body.contains("Acme"));
    let token = token_in(&email.text_body);

    let (status, lookup) = app
        .get(&format!("/api/v1/invitations/lookup?token={token}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lookup["email"], "new.person@acme.test");
    assert_eq!(lookup["organisation_name"], "Acme");

    let (status, problem) = app
        .post(
            "/api/v1/invitations/accept",
            None,
            json!({ "token": token, "display_name": "New Person", "password": "short" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "password");

    let (status, tokens) = app
        .post(
            "/api/v1/invitations/accept",
            None,
            json!({ "token": token, "display_name": "New Person", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");

    let (status, _) = app
        .post(
            "/api/v1/invitations/accept",
            None,
            json!({ "token": token, "display_name": "Again", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an invitation works once");

    let (status, login) = app.login("new.person@acme.test", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let access = login["access_token"].as_str().expect("access").to_owned();
    let first_refresh = login["refresh_token"].as_str().expect("refresh").to_owned();
    let (status, me) = app.get("/api/v1/me", Some(&access)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["roles"], json!(["employee", "editor"]));
    assert_eq!(me["organisation"]["name"], "Acme");

    let (status, rotated) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": first_refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let second_refresh = rotated["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let second_access = rotated["access_token"].as_str().expect("access").to_owned();
    assert_ne!(second_refresh, first_refresh);

    // Re-using the spent token ends the whole session: the rotated tokens stop working too.
    let (status, problem) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": first_refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "refresh_token_reused");
    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": second_refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, problem) = app.get("/api/v1/me", Some(&second_access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "session_ended");

    // Logout ends a fresh session and its access token.
    let (_, login) = app.login("new.person@acme.test", PASSWORD).await;
    let access = login["access_token"].as_str().expect("access").to_owned();
    let refresh = login["refresh_token"].as_str().expect("refresh").to_owned();
    let (status, _) = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({ "refresh_token": refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get("/api/v1/me", Some(&access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn magic_link_signs_in_once(app: TestApp) {
    app.org_admin("Acme", "admin@acme.test").await;
    let (status, _) = app
        .post(
            "/api/v1/auth/magic-link",
            None,
            json!({ "email": "ADMIN@acme.test" }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = app
        .post(
            "/api/v1/auth/magic-link",
            None,
            json!({ "email": "nobody@acme.test" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "unknown addresses get the same answer"
    );
    assert!(app.last_email_to("nobody@acme.test").await.is_none());

    let email = app
        .last_email_to("admin@acme.test")
        .await
        .expect("magic link email");
    assert_eq!(email.kind, "magic_link");
    let token = token_in(&email.text_body);
    let (status, tokens) = app
        .post(
            "/api/v1/auth/magic-link/verify",
            None,
            json!({ "token": token }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, me) = app.get("/api/v1/me", tokens["access_token"].as_str()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], "admin@acme.test");
    let (status, problem) = app
        .post(
            "/api/v1/auth/magic-link/verify",
            None,
            json!({ "token": token }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "invalid_link");
}

async fn password_reset_replaces_password_and_ends_sessions(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let (status, _) = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "admin@acme.test" }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let token = token_in(
        &app.last_email_to("admin@acme.test")
            .await
            .expect("reset email")
            .text_body,
    );
    let new_password = "a-brand-new-passphrase";
    let (status, _) = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": token, "password": new_password }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.login("admin@acme.test", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("admin@acme.test", new_password).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/me", admin.token()).await.0,
        StatusCode::UNAUTHORIZED,
        "old sessions end"
    );
    let (status, _) = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": token, "password": "another-passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a reset link works once");
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("claims")
}

fn sign(claims: &Value, key: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .expect("sign")
}

async fn tampered_tokens_are_rejected(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let secret = "test-secret-test-secret-test-secret-0123456789";
    let claims = claims_of(&admin.access);
    assert_eq!(
        app.get("/api/v1/me", Some(&sign(&claims, secret))).await.0,
        StatusCode::OK,
        "a correctly signed token works"
    );

    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json"));
    let now = chrono::Utc::now().timestamp();
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 3600);
    expired["iat"] = json!(now - 7200);
    expired["nbf"] = json!(now - 7200);
    let mut audience = claims.clone();
    audience["aud"] = json!("someone-else");
    let mut issuer = claims.clone();
    issuer["iss"] = json!("not-chorus");
    let mut future = claims.clone();
    future["nbf"] = json!(now + 3600);
    let mut escalated = claims.clone();
    escalated["org"] = json!(uuid::Uuid::new_v4());
    let mut parts: Vec<String> = admin.access.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&escalated).expect("json"));
    let tampered_payload = parts.join(".");

    let cases = [
        ("alg none", format!("{header_none}.{body}.")),
        (
            "wrong key",
            sign(&claims, "another-secret-another-secret-another-secret"),
        ),
        ("expired", sign(&expired, secret)),
        ("wrong audience", sign(&audience, secret)),
        ("wrong issuer", sign(&issuer, secret)),
        ("not yet valid", sign(&future, secret)),
        ("payload edited after signing", tampered_payload),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (name, token) in cases {
        let (status, problem) = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name} must be rejected");
        assert_eq!(problem["status"], 401, "{name}: problem document");
    }
    let (status, _) = app.get("/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn login_is_rate_limited_without_revealing_accounts(app: TestApp) {
    app.org_admin("Acme", "admin@acme.test").await;
    let (wrong, unknown) = (
        app.login("admin@acme.test", "wrong-password!").await,
        app.login("ghost@acme.test", "wrong-password!").await,
    );
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.1, unknown.1,
        "same answer for a wrong password and an unknown address"
    );
    // The test helper already signed in once; one more attempt uses up the three per minute.
    assert_eq!(
        app.login("admin@acme.test", "wrong-password!").await.0,
        StatusCode::UNAUTHORIZED
    );
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": "admin@acme.test", "password": PASSWORD }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["code"], "rate_limited");
    // Another account from the same client is unaffected.
    assert_eq!(
        app.login("ghost@acme.test", "wrong-password!").await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn deactivated_user_loses_access(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let person = app.person(admin.org_id, "pat@acme.test", &[], None).await;
    assert_eq!(
        app.get("/api/v1/me", person.token()).await.0,
        StatusCode::OK
    );
    let (status, view) = app
        .post(
            &format!("/api/v1/users/{}/deactivate", person.user_id),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["status"], "deactivated");
    assert_eq!(
        app.get("/api/v1/me", person.token()).await.0,
        StatusCode::UNAUTHORIZED,
        "a still-valid token stops working"
    );
    assert_eq!(
        app.login("pat@acme.test", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": person.refresh })
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{}/reactivate", person.user_id),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.login("pat@acme.test", PASSWORD).await.0, StatusCode::OK);
}
