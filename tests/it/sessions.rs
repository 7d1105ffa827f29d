//! Token attacks beyond those in `auth.rs`: algorithm confusion, and one-time links (magic
//! link, password reset, invitation) that expire.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chorus_tests::{Options, PASSWORD, TestApp, both, token_in};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

both! {
    only_hs256_with_the_server_key_is_accepted,
    one_time_links_expire with Options::with(json!({
        "auth": { "magic_link_ttl_secs": 1, "password_reset_ttl_secs": 1, "invitation_ttl_secs": 1 },
    })),
}

const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

/// A public key in PEM form, as an attacker would use it as an HMAC secret against a server
/// that verifies RS256 with it.
const PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n\
4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n\
+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh\n\
kd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ\n\
0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdg\n\
cKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbc\n\
mwIDAQAB\n\
-----END PUBLIC KEY-----\n";

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("claims")
}

fn signed(alg: Algorithm, claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).expect("sign")
}

/// `header.payload.signature` with a header naming `alg` and an arbitrary signature.
fn forged(alg: &str, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#)),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("json")),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

async fn only_hs256_with_the_server_key_is_accepted(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let claims = claims_of(&admin.access);
    assert_eq!(
        app.get(
            "/api/v1/me",
            Some(&signed(Algorithm::HS256, &claims, SECRET.as_bytes()))
        )
        .await
        .0,
        StatusCode::OK,
        "the control: HS256 with the server's key"
    );
    let cases = [
        // The right key under another HMAC algorithm: the algorithm is pinned.
        (
            "HS384 with the server key",
            signed(Algorithm::HS384, &claims, SECRET.as_bytes()),
        ),
        (
            "HS512 with the server key",
            signed(Algorithm::HS512, &claims, SECRET.as_bytes()),
        ),
        // RS/HS confusion: a public key used as the HMAC secret, and asymmetric headers.
        (
            "HS256 with a public key as secret",
            signed(Algorithm::HS256, &claims, PUBLIC_KEY_PEM.as_bytes()),
        ),
        ("RS256 header", forged("RS256", &claims, &[7u8; 256])),
        ("ES256 header", forged("ES256", &claims, &[7u8; 64])),
        ("PS256 header", forged("PS256", &claims, &[7u8; 256])),
        ("EdDSA header", forged("EdDSA", &claims, &[7u8; 64])),
        // `none` in every spelling, with and without a signature part.
        ("None", forged("None", &claims, b"")),
        ("NONE", forged("NONE", &claims, b"")),
        ("none with a signature", forged("none", &claims, b"sig")),
        ("unknown algorithm", forged("HS1", &claims, b"sig")),
    ];
    for (name, token) in cases {
        let (status, problem) = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name} must be rejected");
        assert_eq!(
            problem["code"].as_str().map(str::is_empty),
            Some(false),
            "{name}"
        );
    }
    // A token of a user who no longer exists, correctly signed, is refused too.
    let mut ghost = claims.clone();
    ghost["sub"] = json!(uuid::Uuid::new_v4());
    assert_eq!(
        app.get(
            "/api/v1/me",
            Some(&signed(Algorithm::HS256, &ghost, SECRET.as_bytes()))
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
}

async fn one_time_links_expire(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    for path in ["/api/v1/auth/magic-link", "/api/v1/auth/password-reset"] {
        let (status, _) = app
            .post(path, None, json!({ "email": "admin@acme.test" }))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let (status, invitation) = app
        .post(
            "/api/v1/invitations",
            admin.token(),
            json!({ "email": "new@acme.test" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invitation}");
    let mut tokens = std::collections::BTreeMap::new();
    for kind in ["magic_link", "password_reset"] {
        let email = chorus::entities::outbox::Entity::find()
            .filter(chorus::entities::outbox::Column::Kind.eq(kind))
            .one(app.db())
            .await
            .expect("query")
            .expect("email");
        tokens.insert(kind, token_in(&email.text_body));
    }
    let invite = token_in(
        &app.last_email_to("new@acme.test")
            .await
            .expect("invitation email")
            .text_body,
    );
    // Past the one-second lifetime (and any clock leeway).
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let (status, problem) = app
        .post(
            "/api/v1/auth/magic-link/verify",
            None,
            json!({ "token": tokens["magic_link"] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    let (status, _) = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": tokens["password_reset"], "password": "a-brand-new-passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login("admin@acme.test", PASSWORD).await.0,
        StatusCode::OK,
        "password unchanged"
    );
    let (status, _) = app
        .get(&format!("/api/v1/invitations/lookup?token={invite}"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .post(
            "/api/v1/invitations/accept",
            None,
            json!({ "token": invite, "display_name": "New", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login("new@acme.test", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, list) = app.get("/api/v1/invitations", admin.token()).await;
    assert_eq!(list["items"][0]["status"], "expired");
}
