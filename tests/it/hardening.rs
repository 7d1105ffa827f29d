//! Web hardening: security headers on API and frontend responses, CORS limited to configured
//! origins, no tokens, passwords or secrets in the server's logs, and secrets compared only in
//! constant time or through hashed lookups.

use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use chorus_tests::{Backend, Options, TestApp, run_with};
use reqwest::{StatusCode, header::HeaderMap};
use serde_json::{Value, json};

fn assert_hardened(headers: &HeaderMap, what: &str) {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_owned()
    };
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    let csp = get("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("object-src 'none'"), "{what}: {csp}");
    let scripts = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src") || d.starts_with("default-src"))
        .unwrap_or_default();
    assert!(
        !scripts.contains("unsafe-inline") && !scripts.contains("unsafe-eval"),
        "{what}: scripts must not run inline: {csp}"
    );
    assert!(
        !csp.contains("script-src") || csp.contains("script-src 'self'"),
        "{csp}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_cors_and_hsts() {
    let site = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        site.path().join("index.html"),
        "<!doctype html><title>Chorus</title><script type=module src=/assets/app.js></script>",
    )
    .expect("index");
    let options = Options::with(json!({
        "frontend_dir": site.path(),
        "public_url": "https://chorus.example.com",
        "http": { "cors_origins": ["https://intranet.example.com"] },
    }));
    run_with(Backend::Sqlite, options, |app: TestApp| async move {
        for path in [
            "/api/v1/me",
            "/",
            "/some/spa/route",
            "/healthz",
            "/api/openapi.json",
        ] {
            let response = app.client.get(app.url(path)).send().await.expect("request");
            assert_hardened(response.headers(), path);
            assert_eq!(
                response.headers()["strict-transport-security"],
                "max-age=31536000; includeSubDomains",
                "{path}: HSTS behind https"
            );
        }
        // CORS: the configured origin is allowed, others get no grant.
        let preflight = |origin: &'static str| {
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/api/v1/me"))
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization")
                .send()
        };
        let allowed = preflight("https://intranet.example.com")
            .await
            .expect("preflight");
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            "https://intranet.example.com"
        );
        assert!(
            allowed
                .headers()
                .get("access-control-allow-credentials")
                .is_none()
        );
        let refused = preflight("https://evil.example").await.expect("preflight");
        assert!(
            refused
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
        let simple = app
            .client
            .get(app.url("/healthz"))
            .header("origin", "https://evil.example")
            .send()
            .await
            .expect("request");
        assert!(
            simple
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
        // The API sets no cookies: sessions are bearer tokens.
        app.org_admin("Acme", "admin@acme.test").await;
        let login = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "email": "admin@acme.test", "password": chorus_tests::PASSWORD }))
            .send()
            .await
            .expect("login");
        assert_eq!(login.status(), StatusCode::OK);
        assert!(login.headers().get("set-cookie").is_none());
    })
    .await;
    // Over plain HTTP there is no HSTS, and no CORS grant without configured origins.
    run_with(
        Backend::Sqlite,
        Options::default(),
        |app: TestApp| async move {
            let response = app
                .client
                .get(app.url("/api/v1/me"))
                .header("origin", "https://intranet.example.com")
                .send()
                .await
                .expect("request");
            assert_hardened(response.headers(), "plain http");
            assert!(
                response
                    .headers()
                    .get("strict-transport-security")
                    .is_none()
            );
            assert!(
                response
                    .headers()
                    .get("access-control-allow-origin")
                    .is_none()
            );
        },
    )
    .await;
}

fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let path = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .join("chorus");
    assert!(
        path.exists(),
        "{} is missing: build the chorus binary first",
        path.display()
    );
    path
}

/// The token in the newest mail file whose text contains `marker`.
fn token_in_mail(dir: &Path, marker: &str) -> String {
    let mut newest: Option<(std::time::SystemTime, String)> = None;
    for entry in std::fs::read_dir(dir).expect("mail dir").flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let modified = entry.metadata().and_then(|m| m.modified()).expect("mtime");
        if text.contains(marker) && newest.as_ref().is_none_or(|(t, _)| modified >= *t) {
            newest = Some((modified, text));
        }
    }
    let text = newest.expect("a mail").1;
    // Quoted-printable soft line breaks may split the link.
    let text = text
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    chorus_tests::token_in(&text)
}

/// Runs sign-in, refresh, magic-link, password-reset, invitation and integration flows against
/// the real binary with debug logging, then searches everything it logged for the secrets used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_tokens_passwords_or_secrets() {
    let data = tempfile::tempdir().expect("tempdir");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let jwt_secret = "log-scan-jwt-secret-that-must-never-appear-0123";
    let password = "admin-password-that-must-never-appear";
    let smtp_password = "smtp-password-that-must-never-appear";
    let env = |command: &mut Command| {
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CHORUS_DATA_DIR", data.path())
            .env("CHORUS_LISTEN", addr.to_string())
            .env("CHORUS_LOG_LEVEL", "debug")
            .env("CHORUS_FRONTEND_DIR", data.path().join("none"))
            .env("CHORUS_AUTH__JWT_SECRET", jwt_secret)
            .env("CHORUS_MAIL__TRANSPORT", "file")
            .env("CHORUS_MAIL__SMTP_PASSWORD", smtp_password)
            .env("CHORUS_JOBS__OUTBOX", "*/1 * * * * *")
            .current_dir(data.path());
    };
    let mut create = Command::new(binary());
    env(&mut create);
    let created = create
        .args([
            "create-admin",
            "--org",
            "Acme",
            "--email",
            "admin@acme.test",
            "--password",
            password,
        ])
        .output()
        .expect("create-admin");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let mut serve = Command::new(binary());
    env(&mut serve);
    let mut server = serve
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let outcome = async {
        let mut up = false;
        for _ in 0..100 {
            if client
                .get(format!("{base}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "server did not start");
        let post = |path: &str, token: Option<&str>, body: Value| {
            let mut request = client.post(format!("{base}{path}")).json(&body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            async move {
                let response = request.send().await.expect("request");
                let status = response.status();
                (
                    status,
                    response.json::<Value>().await.unwrap_or(Value::Null),
                )
            }
        };
        let mut secrets = vec![
            jwt_secret.to_owned(),
            password.to_owned(),
            smtp_password.to_owned(),
        ];
        let (status, login) = post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "admin@acme.test", "password": password }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{login}");
        let access = login["access_token"].as_str().expect("access").to_owned();
        let (status, refreshed) = post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": login["refresh_token"] }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        secrets.extend(
            [
                &login["access_token"],
                &login["refresh_token"],
                &refreshed["access_token"],
                &refreshed["refresh_token"],
            ]
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned)),
        );
        secrets.push("wrong-password-never-logged".into());

        let mail = data.path().join("mail");
        let (status, _) = post(
            "/api/v1/auth/magic-link",
            None,
            json!({ "email": "admin@acme.test" }),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let (status, _) = post(
            "/api/v1/invitations",
            Some(&access),
            json!({ "email": "new@acme.test" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, integration) = post(
            "/api/v1/integrations",
            Some(&access),
            json!({ "name": "Logs" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        for key in ["token", "signing_secret"] {
            secrets.push(
                integration[key]
                    .as_str()
                    .expect("integration secret")
                    .to_owned(),
            );
        }
        // Mail is written by the outbox sender (every second).
        let mut magic = None;
        let mut invite = None;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let files = std::fs::read_dir(&mail).map(|d| d.count()).unwrap_or(0);
            if files >= 2 {
                magic = Some(token_in_mail(&mail, "magic"));
                invite = Some(token_in_mail(&mail, "new@acme.test"));
                break;
            }
        }
        let (magic, invite) = (
            magic.expect("magic-link mail"),
            invite.expect("invitation mail"),
        );
        let (status, signed_in) = post(
            "/api/v1/auth/magic-link/verify",
            None,
            json!({ "token": magic }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{signed_in}");
        let lookup = client
            .get(format!("{base}/api/v1/invitations/lookup?token={invite}"))
            .send()
            .await
            .expect("lookup");
        assert_eq!(lookup.status(), StatusCode::OK);
        let invited_password = "invited-password-never-logged";
        let (status, accepted) = post(
            "/api/v1/invitations/accept",
            None,
            json!({ "token": invite, "display_name": "New", "password": invited_password }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{accepted}");
        secrets.extend([magic, invite, invited_password.to_owned()]);
        // A wrong password and a reused refresh token are logged as events, not as values.
        post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "admin@acme.test", "password": "wrong-password-never-logged" }),
        )
        .await;
        post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": login["refresh_token"] }),
        )
        .await;
        for v in [
            &signed_in["access_token"],
            &signed_in["refresh_token"],
            &accepted["access_token"],
            &accepted["refresh_token"],
        ] {
            secrets.push(v.as_str().expect("token").to_owned());
        }
        secrets
    }
    .await;
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status();
    let mut logs = String::new();
    let exited = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(Some(_)) = server.try_wait() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    if exited.is_err() {
        let _ = server.kill();
        let _ = server.wait();
    }
    for stream in [
        server.stdout.take().map(|mut s| {
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            text
        }),
        server.stderr.take().map(|mut s| {
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            text
        }),
    ]
    .into_iter()
    .flatten()
    {
        logs.push_str(&stream);
    }
    assert!(
        logs.lines().count() > 20,
        "debug logging produced output:\n{logs}"
    );
    for secret in &outcome {
        assert!(secret.len() >= 16, "a real secret: {secret}");
        // Also the first half, in case a value was cut.
        let half = &secret[..secret.len() / 2];
        assert!(
            !logs.contains(secret.as_str()) && !logs.contains(half),
            "the logs contain a secret ({}…):\n{}",
            &secret[..6],
            logs.lines()
                .filter(|l| l.contains(half))
                .take(3)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// Source review as a test: no secret, token, signature or password is compared with `==`
/// (which may stop at the first differing byte); such values are compared with `subtle` or
/// looked up by their hash.
#[test]
fn secrets_are_not_compared_with_equality_operators() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../backend/src");
    let mut offenders = Vec::new();
    let mut files = vec![root];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(
                std::fs::read_dir(&path)
                    .expect("dir")
                    .flatten()
                    .map(|e| e.path()),
            );
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default().to_lowercase();
            let compares = code.contains("==") || code.contains("!=");
            let secretish = ["token", "secret", "signature", "password"]
                .iter()
                .any(|w| code.contains(w));
            // Comparing kinds of things, not secret values.
            let benign =
                code.contains("dbkind::") || code.contains(".len()") || code.contains("is_empty");
            if compares && secretish && !benign {
                offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "compare secrets in constant time:\n{}",
        offenders.join("\n")
    );
    // And the places that must compare secrets do so in constant time or by hash.
    let integrations = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../backend/src/advocacy/integrations.rs"),
    )
    .expect("source");
    assert!(
        integrations.contains("ct_eq"),
        "webhook signatures compared with subtle"
    );
    assert!(
        integrations.contains("TokenHash.eq(hash_token("),
        "integration tokens looked up by hash"
    );
}
