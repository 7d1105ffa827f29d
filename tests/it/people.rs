//! People administration: CSV import, team tree rules and the audit log.

use chorus_tests::{TestApp, both};
use reqwest::StatusCode;
use serde_json::{Value, json};

both! {
    csv_import_reports_rows_and_applies_valid_ones,
    team_tree_and_audit_log,
    directory_finds_active_colleagues_of_own_organisation,
}

async fn import(app: &TestApp, token: &str, query: &str, csv: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/imports/people{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .expect("import");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn csv_import_reports_rows_and_applies_valid_ones(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let token = admin.access.as_str();
    let csv = "email,display_name,roles,team,parent_team,manages\n\
               ada@acme.test,Ada Lovelace,manager,Engineering,,yes\n\
               bad-address,Bob,,Engineering,,\n\
               cy@acme.test,Cy,wizard,Platform,Engineering,\n\
               di@acme.test,Di,editor,Platform,Engineering,\n";

    let (status, report) = import(&app, token, "?dry_run=true", csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["created_users"], 2);
    assert_eq!(report["created_teams"], 2);
    let (_, users) = app.get("/api/v1/users", Some(token)).await;
    assert_eq!(users["total"], 1, "a dry run writes nothing");

    let (status, report) = import(&app, token, "", csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rows"], 4);
    assert_eq!(report["created_users"], 2);
    assert_eq!(
        report["errors"],
        json!([
            { "row": 3, "field": "email", "message": "must be an email address" },
            { "row": 4, "field": "roles", "message": "unknown role `wizard`; use employee, manager, editor or admin" },
        ])
    );
    let (_, teams) = app.get("/api/v1/teams", Some(token)).await;
    let teams = teams["items"].as_array().expect("teams").clone();
    let engineering = teams
        .iter()
        .find(|t| t["name"] == "Engineering")
        .expect("Engineering");
    let platform = teams
        .iter()
        .find(|t| t["name"] == "Platform")
        .expect("Platform");
    assert_eq!(platform["parent_id"], engineering["id"]);
    assert_eq!(engineering["manager_ids"].as_array().map(Vec::len), Some(1));
    let (_, users) = app.get("/api/v1/users?q=di", Some(token)).await;
    assert_eq!(users["items"][0]["roles"], json!(["employee", "editor"]));
    assert_eq!(users["items"][0]["team_id"], platform["id"]);
    assert!(
        app.last_email_to("di@acme.test").await.is_some(),
        "new people are invited to set a password"
    );

    // Importing again updates instead of duplicating.
    let (_, report) = import(
        &app,
        token,
        "?send_invitations=false",
        "email,display_name\nada@acme.test,Ada King\n",
    )
    .await;
    assert_eq!(
        (
            report["created_users"].as_u64(),
            report["updated_users"].as_u64()
        ),
        (Some(0), Some(1))
    );

    let (status, problem) = import(&app, token, "", "name\nx\n").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "body");
    let employee = app.person(admin.org_id, "emp@acme.test", &[], None).await;
    assert_eq!(
        import(&app, &employee.access, "", csv).await.0,
        StatusCode::FORBIDDEN
    );
}

async fn team_tree_and_audit_log(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let token = admin.token();
    let (status, root) = app
        .post("/api/v1/teams", token, json!({ "name": "Company" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, child) = app
        .post(
            "/api/v1/teams",
            token,
            json!({ "name": "Sales", "parent_id": root["id"] }),
        )
        .await;
    let (status, problem) = app
        .post("/api/v1/teams", token, json!({ "name": "Sales" }))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("team_exists"))
    );

    let root_path = format!("/api/v1/teams/{}", root["id"].as_str().expect("id"));
    let (status, problem) = app
        .patch(&root_path, token, json!({ "parent_id": child["id"] }))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a team cannot move below itself"
    );
    assert_eq!(problem["errors"][0]["field"], "parent_id");
    let (status, problem) = app.delete(&root_path, token).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("team_not_empty"))
    );

    let person = app.person(admin.org_id, "pat@acme.test", &[], None).await;
    let (status, updated) = app
        .patch(
            &format!("/api/v1/users/{}", person.user_id),
            token,
            json!({ "display_name": "Pat Doe", "roles": ["manager"], "team_id": child["id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["roles"], json!(["employee", "manager"]));
    let (status, problem) = app
        .patch(
            &format!("/api/v1/users/{}", admin.user_id),
            token,
            json!({ "roles": [] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    let (_, log) = app.get("/api/v1/audit-log", token).await;
    let entries = log["items"].as_array().expect("entries");
    let update = entries
        .iter()
        .find(|e| e["action"] == "user.update")
        .expect("user.update audited");
    assert_eq!(update["actor_id"], admin.user_id.to_string());
    assert_eq!(update["before"]["display_name"], "pat@acme.test");
    assert_eq!(update["after"]["display_name"], "Pat Doe");
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["action"] == "team.create")
            .count(),
        2
    );
}

async fn directory_finds_active_colleagues_of_own_organisation(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let team = app.team(admin.org_id, "Platform", None, &[]).await;
    let asker = app.person(admin.org_id, "sam@acme.test", &[], None).await;
    let ada = app
        .person(admin.org_id, "ada.lovelace@acme.test", &[], Some(team))
        .await;
    let gone = app
        .person(admin.org_id, "ada.gone@acme.test", &[], None)
        .await;
    let other = app.org_admin("Globex", "ada@globex.test").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{}/deactivate", gone.user_id),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // "LOVE" is found in the middle of the address, whatever its case.
    let (status, found) = app.get("/api/v1/people?q=LOVE", asker.token()).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(
        found,
        json!({ "items": [{
            "id": ada.user_id,
            "display_name": "ada.lovelace@acme.test",
            "team_name": "Platform",
        }] }),
        "names and teams only, no email or roles"
    );
    let (_, found) = app.get("/api/v1/people?q=ada", asker.token()).await;
    let ids: Vec<&Value> = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| &p["id"])
        .collect();
    assert_eq!(
        ids,
        vec![&json!(ada.user_id)],
        "neither deactivated nor another organisation's"
    );
    let (_, found) = app.get("/api/v1/people?q=ada", other.token()).await;
    assert_eq!(found["items"][0]["id"], json!(other.user_id));
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1));

    let (_, all) = app.get("/api/v1/people?limit=2", asker.token()).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));
    let (_, all) = app.get("/api/v1/people", asker.token()).await;
    assert_eq!(
        all["items"].as_array().map(Vec::len),
        Some(3),
        "admin, ada, sam"
    );
    for bad in ["?limit=0", "?limit=51", "?limit=ten", "?limit=-1"] {
        let (status, problem) = app
            .get(&format!("/api/v1/people{bad}"), asker.token())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {problem}");
        assert!(problem["code"].is_string(), "{problem}");
    }
    let (status, _) = app.get("/api/v1/people?q=ada", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
