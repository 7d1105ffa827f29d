//! The role matrix: for each route that exists, who may use it.

use chorus::auth::Role;
use chorus_tests::{TestApp, both};
use reqwest::{Method, StatusCode};
use serde_json::json;

both! { role_matrix }

async fn role_matrix(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let manager = app.person(org, "manager@acme.test", &[], None).await;
    let other_manager = app.person(org, "other-manager@acme.test", &[], None).await;
    let sales = app.team(org, "Sales", None, &[manager.user_id]).await;
    let emea = app.team(org, "Sales EMEA", Some(sales), &[]).await;
    let support = app
        .team(org, "Support", None, &[other_manager.user_id])
        .await;
    let editor = app
        .person(org, "editor@acme.test", &[Role::Editor], Some(emea))
        .await;
    let employee = app.person(org, "employee@acme.test", &[], Some(emea)).await;
    // Sessions were signed in before the manager role was granted; roles are read per request.

    let anon: Option<&str> = None;
    let who = [
        ("anonymous", anon),
        ("employee", employee.token()),
        ("manager", manager.token()),
        ("editor", editor.token()),
        ("admin", admin.token()),
    ];
    let users = format!("/api/v1/users/{}", employee.user_id);
    let emea_path = format!("/api/v1/teams/{emea}");
    let support_path = format!("/api/v1/teams/{support}");
    // (method, path, body, expected for anonymous, employee, manager, editor, admin)
    let rows: Vec<(Method, &str, Option<serde_json::Value>, [u16; 5])> = vec![
        (Method::GET, "/api/v1/me", None, [401, 200, 200, 200, 200]),
        (
            Method::GET,
            "/api/v1/users",
            None,
            [401, 403, 403, 403, 200],
        ),
        (Method::GET, &users, None, [401, 403, 403, 403, 200]),
        (
            Method::PATCH,
            &users,
            Some(json!({ "display_name": "Renamed" })),
            [401, 403, 403, 403, 200],
        ),
        (
            Method::GET,
            "/api/v1/teams",
            None,
            [401, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/teams/managed",
            None,
            [401, 403, 200, 403, 403],
        ),
        (Method::GET, &emea_path, None, [401, 403, 200, 403, 200]),
        (Method::GET, &support_path, None, [401, 403, 403, 403, 200]),
        (
            Method::GET,
            "/api/v1/invitations",
            None,
            [401, 403, 403, 403, 200],
        ),
        (
            Method::GET,
            "/api/v1/audit-log",
            None,
            [401, 403, 403, 403, 200],
        ),
        (
            Method::GET,
            "/api/v1/admin/outbox",
            None,
            [401, 403, 403, 403, 200],
        ),
        (
            Method::POST,
            "/api/v1/teams",
            Some(json!({ "name": "New team" })),
            [401, 403, 403, 403, 201],
        ),
        (
            Method::POST,
            "/api/v1/invitations",
            Some(json!({ "email": "x@acme.test" })),
            [401, 403, 403, 403, 201],
        ),
        (Method::GET, "/healthz", None, [200, 200, 200, 200, 200]),
    ];
    let mut cells = 0;
    for (method, path, body, expected) in rows {
        for ((name, token), want) in who.iter().zip(expected) {
            // Creating routes would conflict on the second call; give each caller its own name.
            let body = body.clone().map(|mut b| {
                if let Some(n) = b.get("name").and_then(|v| v.as_str()).map(str::to_owned) {
                    b["name"] = json!(format!("{n} by {name}"));
                }
                if let Some(e) = b.get("email").and_then(|v| v.as_str()).map(str::to_owned) {
                    b["email"] = json!(format!("{name}-{e}"));
                }
                b
            });
            let (status, problem) = app.call(method.clone(), path, *token, body).await;
            assert_eq!(
                status.as_u16(),
                want,
                "{method} {path} as {name}: {problem}"
            );
            if status.is_client_error() {
                assert!(
                    problem["code"].is_string(),
                    "{method} {path} as {name} answers a problem document"
                );
            }
            cells += 1;
        }
    }
    assert_eq!(cells, 70);
    assert_eq!(
        app.get("/api/v1/teams/managed", manager.token()).await.1["items"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "a manager sees their subtree"
    );
    let _ = StatusCode::OK;
}
