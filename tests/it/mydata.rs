//! "My data": the JSON export holds the caller's rows and nobody else's; deleting an account
//! anonymises it in one go while shares, thanks and the ledger stay consistent.

use chorus::{
    entities::{consent_event, network_profile, thanks, user},
    recognition::ledger,
};
use chorus_tests::{Session, TestApp, both};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::advocacy::{opt_in, post_json, publish, share};

both! { export_holds_my_rows_only, deleting_my_account_anonymises_it }

/// Ada and Bob, both opted in with a linked network and a share; Ada thanked Bob.
async fn two_colleagues(app: &TestApp) -> (Session, Session, Session) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let ada = app.person(org, "ada@acme.test", &[], None).await;
    let bob = app.person(org, "bob@acme.test", &[], None).await;
    post_json(
        app,
        &admin,
        "/api/v1/admin/recognition/allowances",
        json!({ "period": "month", "amount": 60 }),
    )
    .await;
    let post = publish(app, &admin, "Launch", json!({})).await;
    for (who, handle) in [(&ada, "ada"), (&bob, "bob")] {
        opt_in(app, who, true).await;
        let (status, body) = app
            .call(
                Method::PUT,
                "/api/v1/me/networks/linkedin",
                who.token(),
                Some(json!({ "handle": handle, "audience_size": 1200 })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        share(app, who, &post, "linkedin", "Mozilla/5.0").await;
    }
    post_json(
        app,
        &ada,
        "/api/v1/thanks",
        json!({ "recipient_id": bob.user_id, "message": "Thanks for the demo!", "points": 10 }),
    )
    .await;
    (admin, ada, bob)
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|row| row["user_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn export_holds_my_rows_only(app: TestApp) {
    let (_admin, ada, bob) = two_colleagues(&app).await;
    let other = app.org_admin("Globex", "eve@globex.test").await;
    let (status, data) = app.get("/api/v1/me/data", ada.token()).await;
    assert_eq!(status, StatusCode::OK, "{data}");
    let me = ada.user_id.to_string();
    assert_eq!(data["profile"]["email"], "ada@acme.test");
    assert!(data["profile"].get("password_hash").is_none(), "{data}");
    assert_eq!(data["roles"], json!(["employee"]));
    assert_eq!(data["advocacy"]["opted_in"], true);
    assert_eq!(ids(&data["consent_history"]), vec![me.clone()]);
    assert_eq!(ids(&data["network_profiles"]), vec![me.clone()]);
    assert_eq!(ids(&data["shares"]), vec![me.clone()]);
    assert_eq!(data["thanks_given"].as_array().map(Vec::len), Some(1));
    assert_eq!(data["thanks_given"][0]["recipient_id"], json!(bob.user_id));
    assert_eq!(data["thanks_received"], json!([]));
    let accounts = data["ledger_accounts"].as_array().expect("accounts");
    assert!(!accounts.is_empty(), "{data}");
    assert!(accounts.iter().all(|a| a["owner_id"] == json!(ada.user_id)));
    let account_ids: Vec<&Value> = accounts.iter().map(|a| &a["id"]).collect();
    let entries = data["ledger_entries"].as_array().expect("entries");
    assert!(!entries.is_empty(), "{data}");
    assert!(
        entries
            .iter()
            .all(|e| account_ids.contains(&&e["account_id"]))
    );
    let text = data.to_string();
    assert!(!text.contains("bob@acme.test") && !text.contains("eve@globex.test"));

    let (_, bobs) = app.get("/api/v1/me/data", bob.token()).await;
    assert_eq!(bobs["thanks_received"][0]["giver_id"], json!(ada.user_id));
    assert_eq!(ids(&bobs["shares"]), vec![bob.user_id.to_string()]);
    let (_, eves) = app.get("/api/v1/me/data", other.token()).await;
    assert_eq!(eves["shares"], json!([]));
    assert_eq!(eves["thanks_given"], json!([]));
    assert_eq!(
        app.get("/api/v1/me/data", None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn deleting_my_account_anonymises_it(app: TestApp) {
    let (admin, ada, bob) = two_colleagues(&app).await;
    let db = app.db();
    let thanks_before = thanks::Entity::find().count(db).await.expect("count");

    for body in [
        json!({ "password": "not the password" }),
        json!({}),
        json!({ "password": 7 }),
    ] {
        let (status, problem) = app
            .call(
                Method::DELETE,
                "/api/v1/me",
                ada.token(),
                Some(body.clone()),
            )
            .await;
        assert!(status.is_client_error(), "{body}: {status} {problem}");
        assert!(problem["code"].is_string(), "{problem}");
    }
    assert_eq!(
        app.get("/api/v1/me", ada.token()).await.0,
        StatusCode::OK,
        "nothing changed"
    );

    let (status, body) = app
        .call(
            Method::DELETE,
            "/api/v1/me",
            ada.token(),
            Some(json!({ "password": chorus_tests::PASSWORD })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    assert_eq!(
        app.get("/api/v1/me", ada.token()).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": ada.refresh }),
        )
        .await;
    assert!(status.is_client_error(), "the refresh token is revoked");
    assert_eq!(
        app.login("ada@acme.test", chorus_tests::PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    let row = user::Entity::find_by_id(ada.user_id)
        .one(db)
        .await
        .expect("load")
        .expect("the row stays");
    assert_eq!(row.status, user::DELETED);
    assert_eq!(row.display_name, "Deleted user");
    assert!(row.email.ends_with(".invalid") && !row.email.contains("ada"));
    assert!(row.password_hash.is_none());
    assert_eq!(
        network_profile::Entity::find()
            .filter(network_profile::Column::UserId.eq(ada.user_id))
            .count(db)
            .await
            .expect("count"),
        0
    );
    let last_consent = consent_event::Entity::find()
        .filter(consent_event::Column::UserId.eq(ada.user_id))
        .all(db)
        .await
        .expect("consent")
        .into_iter()
        .max_by_key(|e| e.created_at)
        .expect("an event");
    assert_eq!(last_consent.action, "opt_out");
    assert_eq!(
        thanks::Entity::find().count(db).await.expect("count"),
        thanks_before,
        "thanks stay"
    );
    let (_, bobs) = app.get("/api/v1/me/data", bob.token()).await;
    assert_eq!(bobs["thanks_received"][0]["giver_id"], json!(ada.user_id));
    let (status, received) = app
        .get("/api/v1/me/thanks?direction=received", bob.token())
        .await;
    assert_eq!(status, StatusCode::OK, "{received}");
    assert_eq!(received["items"][0]["giver_name"], "Deleted user");
    assert_eq!(received["items"][0]["message"], "Thanks for the demo!");
    // Bob's share and the directory: Ada is gone from the directory, Bob's rows are intact.
    assert_eq!(ids(&bobs["shares"]), vec![bob.user_id.to_string()]);
    let (_, found) = app.get("/api/v1/people?q=ada", bob.token()).await;
    assert_eq!(found["items"], json!([]));
    // An administrator cannot bring the account back.
    let (status, _) = app
        .post(
            &format!("/api/v1/users/{}/reactivate", ada.user_id),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, log) = app.get("/api/v1/audit-log", admin.token()).await;
    assert!(log.to_string().contains("user.delete"), "{log}");
    // The only administrator cannot leave the organisation without one.
    let (status, problem) = app
        .call(
            Method::DELETE,
            "/api/v1/me",
            admin.token(),
            Some(json!({ "password": chorus_tests::PASSWORD })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "last_admin");
    assert_eq!(app.get("/api/v1/me", admin.token()).await.0, StatusCode::OK);
    let report = ledger::check(db, None).await.expect("check");
    assert!(report.consistent, "{report:?}");
}
