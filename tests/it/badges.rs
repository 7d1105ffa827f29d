//! Badges and weekly sharing streaks: definitions managed by administrators, awards from the
//! event inbox and from the scheduled job (idempotent, with evidence), progress for the
//! employee, and the `weekly_streak` reward-rule trigger on shares.

use chorus::entities::{audit_log, badge_award, recognition_event, share};
use chorus_tests::{Options, Session, TestApp, both};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

fn manual_jobs() -> Options {
    Options::with(json!({ "jobs": { "rules": "off", "badges": "off" } }))
}

both! {
    badges_and_weekly_streaks with manual_jobs(),
}

async fn ok(app: &TestApp, who: &Session, path: &str, body: Value) -> Value {
    let (status, value) = app.post(path, who.token(), body).await;
    assert!(status.is_success(), "POST {path}: {status} {value}");
    value
}

async fn job(app: &TestApp, name: &str) -> String {
    chorus::jobs::run_now(&app.state, name)
        .await
        .expect("known job")
        .expect("job ran")
}

async fn earned(app: &TestApp, who: &Session) -> i64 {
    let (status, wallet) = app.get("/api/v1/me/wallet", who.token()).await;
    assert_eq!(status, StatusCode::OK, "{wallet}");
    wallet["earned"].as_i64().expect("earned")
}

async fn held(app: &TestApp, who: &Session) -> u64 {
    badge_award::Entity::find()
        .filter(badge_award::Column::UserId.eq(who.user_id))
        .count(app.db())
        .await
        .expect("count")
}

/// A share by `who` of the same post as `template`, created `weeks_ago` weeks ago, written the
/// way the share handler writes one (insert, then the recognition events in one transaction).
async fn past_share(app: &TestApp, template: &share::Model, who: &Session, weeks_ago: i64) {
    let created_at = chrono::Utc::now() - chrono::Duration::weeks(weeks_ago);
    let model = share::Model {
        id: Uuid::now_v7(),
        user_id: Some(who.user_id),
        code: format!("t{}", &Uuid::now_v7().simple().to_string()[20..]),
        created_at,
        ..template.clone()
    };
    let txn = app.db().begin().await.expect("txn");
    share::Entity::insert(share::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await
        .expect("share");
    chorus::recognition::events::share_created(&txn, &model, &json!([]))
        .await
        .expect("events");
    txn.commit().await.expect("commit");
}

async fn badges_and_weekly_streaks(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let ada = app.person(org, "ada@acme.test", &[], None).await;
    let bob = app.person(org, "bob@acme.test", &[], None).await;
    let other = app.org_admin("Globex", "admin@globex.test").await;

    // Only administrators manage badges; bad definitions are refused with the field named.
    let (status, _) = app
        .post(
            "/api/v1/admin/badges",
            ada.token(),
            json!({ "name": "Mine", "criterion": "shares", "threshold": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .post(
            "/api/v1/admin/badges",
            admin.token(),
            json!({ "name": "Zero", "criterion": "shares", "threshold": 0 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "threshold");
    let (status, _) = app
        .post(
            "/api/v1/admin/badges",
            admin.token(),
            json!({ "name": "Odd", "criterion": "karma", "threshold": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        badge_award::Entity::find()
            .count(app.db())
            .await
            .expect("n"),
        0
    );

    let mut ids = Vec::new();
    for (name, criterion, threshold) in [
        ("First share", "shares", 1),
        ("Four-week streak", "weekly_streak", 4),
        ("Crowd puller", "human_clicks", 1000),
    ] {
        let created = ok(
            &app,
            &admin,
            "/api/v1/admin/badges",
            json!({ "name": name, "criterion": criterion, "threshold": threshold }),
        )
        .await;
        assert_eq!(created["version"], 1);
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    let (status, _) = app
        .get(&format!("/api/v1/admin/badges/{}", ids[0]), other.token())
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another organisation's badge"
    );

    // A reward rule on four-week streaks.
    let (status, problem) = app
        .post(
            "/api/v1/admin/rules",
            admin.token(),
            json!({ "name": "Streak", "document": { "trigger": "weekly_streak", "award": { "mode": "fixed", "points": 40 } } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "document.threshold");
    let rule = ok(
        &app,
        &admin,
        "/api/v1/admin/rules",
        json!({ "name": "Streak", "document": { "trigger": "weekly_streak", "threshold": 4, "award": { "mode": "fixed", "points": 40 } } }),
    )
    .await;
    ok(
        &app,
        &admin,
        &format!(
            "/api/v1/admin/rules/{}/activate",
            rule["id"].as_str().expect("id")
        ),
        json!({}),
    )
    .await;

    // Bob shares once (now); Ada shared in each of the three previous weeks and shares now.
    let post = ok(
        &app,
        &admin,
        "/api/v1/posts",
        json!({ "title": "Launch", "url": "https://news.example.com/launch", "status": "published" }),
    )
    .await;
    for who in [&ada, &bob] {
        ok(
            &app,
            who,
            "/api/v1/me/advocacy/opt-in",
            json!({ "terms_version": "2026-11" }),
        )
        .await;
    }
    let shared = ok(
        &app,
        &bob,
        "/api/v1/shares",
        json!({ "post_id": post["id"], "network": "linkedin" }),
    )
    .await;
    let template = share::Entity::find_by_id(
        shared["share"]["id"]
            .as_str()
            .expect("id")
            .parse::<Uuid>()
            .expect("uuid"),
    )
    .one(app.db())
    .await
    .expect("query")
    .expect("share");
    for weeks_ago in [3, 2, 1] {
        past_share(&app, &template, &ada, weeks_ago).await;
    }
    ok(
        &app,
        &ada,
        "/api/v1/shares",
        json!({ "post_id": post["id"], "network": "linkedin" }),
    )
    .await;
    let streak_events: Vec<i64> = recognition_event::Entity::find()
        .filter(recognition_event::Column::UserId.eq(ada.user_id))
        .filter(recognition_event::Column::Kind.eq("weekly_streak"))
        .all(app.db())
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.units)
        .collect();
    let mut sorted = streak_events.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![1, 2, 3, 4], "one streak event per week");

    // Nothing is awarded in the request; the rules job evaluates the inbox, badges included.
    assert_eq!(held(&app, &ada).await, 0);
    let summary = job(&app, "rules").await;
    assert!(summary.contains("badges"), "{summary}");
    assert_eq!(earned(&app, &ada).await, 40, "the four-week streak rule");
    assert_eq!(
        earned(&app, &bob).await,
        0,
        "a one-week streak earns nothing"
    );
    assert_eq!(held(&app, &ada).await, 2, "first share and the streak");
    assert_eq!(held(&app, &bob).await, 1, "first share only");

    let (status, mine) = app.get("/api/v1/me/badges", ada.token()).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["stats"]["shares"], 4);
    assert_eq!(mine["stats"]["current_streak_weeks"], 4);
    assert_eq!(mine["stats"]["longest_streak_weeks"], 4);
    let items = mine["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    let streak = items
        .iter()
        .find(|i| i["badge"]["criterion"] == "weekly_streak")
        .expect("streak badge");
    assert_eq!(streak["earned"], true);
    assert_eq!(streak["evidence"]["value"], 4);
    assert_eq!(streak["evidence"]["threshold"], 4);
    let clicks = items
        .iter()
        .find(|i| i["badge"]["criterion"] == "human_clicks")
        .expect("clicks badge");
    assert_eq!(clicks["earned"], false);
    assert_eq!(clicks["progress"], 0);
    assert_eq!(clicks["target"], 1000);
    assert_eq!(items[2]["earned"], false, "unearned badges come last");

    // Idempotent: running both jobs again, and replaying every event, awards nothing new.
    job(&app, "rules").await;
    job(&app, "badges").await;
    recognition_event::Entity::update_many()
        .col_expr(
            recognition_event::Column::ProcessedAt,
            sea_orm::sea_query::Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .exec(app.db())
        .await
        .expect("reset");
    job(&app, "rules").await;
    assert_eq!(held(&app, &ada).await, 2);
    assert_eq!(earned(&app, &ada).await, 40);

    // A badge defined after the fact is awarded by the scheduled job (no new events needed).
    let two = ok(
        &app,
        &admin,
        "/api/v1/admin/badges",
        json!({ "name": "Regular", "criterion": "shares", "threshold": 2 }),
    )
    .await;
    job(&app, "rules").await;
    assert_eq!(held(&app, &ada).await, 2, "no event named Ada since");
    let summary = job(&app, "badges").await;
    assert!(summary.contains("1 badges awarded"), "{summary}");
    assert_eq!(held(&app, &ada).await, 3);
    assert_eq!(held(&app, &bob).await, 1, "Bob shared once");

    // Edits are versioned and audited; archiving keeps earned badges with their holders.
    let (status, edited) = app
        .call(
            Method::PUT,
            &format!("/api/v1/admin/badges/{}", two["id"].as_str().expect("id")),
            admin.token(),
            Some(json!({ "description": "Two shares or more." })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["holders"], 1);
    let archived = ok(
        &app,
        &admin,
        &format!("/api/v1/admin/badges/{}/archive", ids[0]),
        json!({}),
    )
    .await;
    assert_eq!(archived["status"], "archived");
    assert_eq!(archived["holders"], 2);
    let (_, list) = app.get("/api/v1/admin/badges", admin.token()).await;
    assert_eq!(list["items"].as_array().expect("items").len(), 3);
    let (_, list) = app
        .get("/api/v1/admin/badges?archived=true", admin.token())
        .await;
    assert_eq!(list["items"].as_array().expect("items").len(), 4);
    let (_, mine) = app.get("/api/v1/me/badges", ada.token()).await;
    assert!(
        mine["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["badge"]["status"] == "archived" && i["earned"] == true),
        "{mine}"
    );
    let (_, bobs) = app.get("/api/v1/me/badges", bob.token()).await;
    assert!(
        !bobs["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["badge"]["criterion"] == "weekly_streak" && i["earned"] == true)
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::OrgId.eq(org))
        .filter(audit_log::Column::TargetType.eq("badge"))
        .count(app.db())
        .await
        .expect("audit");
    assert_eq!(audited, 6, "four creations, an edit and an archive");
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/badges/{}/archive", ids[1]),
            other.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
