//! One organisation can never read or change another's people, teams or invitations.

use chorus_tests::{TestApp, both};
use reqwest::StatusCode;
use serde_json::json;

both! { other_organisation_ids_are_not_found }

async fn other_organisation_ids_are_not_found(app: TestApp) {
    let acme = app.org_admin("Acme", "admin@acme.test").await;
    let globex = app.org_admin("Globex", "admin@globex.test").await;
    let acme_team = app.team(acme.org_id, "Sales", None, &[]).await;
    let acme_person = app
        .person(acme.org_id, "pat@acme.test", &[], Some(acme_team))
        .await;
    let (_, invitation) = app
        .post(
            "/api/v1/invitations",
            acme.token(),
            json!({ "email": "new@acme.test" }),
        )
        .await;
    let invitation_id = invitation["id"].as_str().expect("id");

    let user_path = format!("/api/v1/users/{}", acme_person.user_id);
    let team_path = format!("/api/v1/teams/{acme_team}");
    let attempts = [
        app.get(&user_path, globex.token()).await,
        app.patch(
            &user_path,
            globex.token(),
            json!({ "display_name": "Hijacked", "roles": ["admin"] }),
        )
        .await,
        app.post(
            &format!("{user_path}/deactivate"),
            globex.token(),
            json!({}),
        )
        .await,
        app.get(&team_path, globex.token()).await,
        app.patch(&team_path, globex.token(), json!({ "name": "Hijacked" }))
            .await,
        app.delete(&team_path, globex.token()).await,
        app.delete(
            &format!("/api/v1/invitations/{invitation_id}"),
            globex.token(),
        )
        .await,
    ];
    for (status, problem) in attempts {
        assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
        assert_eq!(problem["code"], "not_found");
    }
    // Moving a Globex person into an Acme team is refused as an unknown team.
    let globex_person = app
        .person(globex.org_id, "sam@globex.test", &[], None)
        .await;
    let (status, problem) = app
        .patch(
            &format!("/api/v1/users/{}", globex_person.user_id),
            globex.token(),
            json!({ "team_id": acme_team }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "team_id");

    // Lists only show the caller's organisation.
    let (_, users) = app.get("/api/v1/users", globex.token()).await;
    let emails: Vec<&str> = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert!(
        emails.iter().all(|e| e.ends_with("@globex.test")),
        "{emails:?}"
    );
    let (_, teams) = app.get("/api/v1/teams", globex.token()).await;
    assert_eq!(teams["items"].as_array().map(Vec::len), Some(0));

    // Nothing of Acme changed.
    let (_, person) = app.get(&user_path, acme.token()).await;
    assert_eq!(person["display_name"], "pat@acme.test");
    assert_eq!(person["status"], "active");
    assert_eq!(person["roles"], json!(["employee"]));
    let (_, team) = app.get(&team_path, acme.token()).await;
    assert_eq!(team["name"], "Sales");
    let (_, invitations) = app.get("/api/v1/invitations", acme.token()).await;
    assert_eq!(invitations["items"][0]["status"], "pending");
}
