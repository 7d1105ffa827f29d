//! Recognition end to end: the ledger's invariants, thanks with allowances and limits, spot
//! awards, two-phase redemptions under concurrency, reward rules (idempotent replay, caps,
//! budgets, preview = activation) and tenant/role isolation.

use chorus::recognition::{
    events::{self, NewEvent},
    ledger::{self, Posting, kind, tx},
};
use chorus_tests::{Backend, Options, Session, TestApp, both, run_with};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

/// The rules job is run by hand in these tests, never by the scheduler.
fn manual_rules() -> Options {
    Options::with(json!({ "jobs": { "rules": "off" } }))
}

both! {
    thanks_allowance_limits_and_wall with manual_rules(),
    redemption_two_phase_and_queue with manual_rules(),
    spot_awards_from_manager_budget with manual_rules(),
    rules_are_idempotent_capped_and_previewed with manual_rules(),
    rule_budget_is_exhausted_and_alerts with manual_rules(),
    other_organisations_and_roles_are_refused with manual_rules(),
    shares_write_events_for_rules with manual_rules(),
    reach_milestones_become_events_once with manual_rules(),
    allowance_policies_cover_team_subtrees with manual_rules(),
    batch_size_does_not_change_awards with manual_rules(),
    a_run_killed_mid_batch_awards_nothing_twice with manual_rules(),
    concurrent_rule_processors_respect_caps with Options::with(json!({
        "jobs": { "rules": "off", "badges": "off" },
        "database": { "max_connections": 10 },
    })),
}

async fn ok(app: &TestApp, who: &Session, path: &str, body: Value) -> Value {
    let (status, value) = app.post(path, who.token(), body).await;
    assert!(status.is_success(), "POST {path}: {status} {value}");
    value
}

/// Credits points to a person straight through the ledger (as an adjustment).
async fn grant(app: &TestApp, org: Uuid, user: Uuid, points: i64) {
    let txn = app.db().begin().await.expect("txn");
    let issuance = ledger::org_account(&txn, org, kind::ISSUANCE)
        .await
        .expect("issuance");
    let earned = ledger::account(&txn, org, kind::EARNED, user, "")
        .await
        .expect("earned");
    ledger::post(
        &txn,
        Posting::transfer(
            org,
            tx::ADJUSTMENT,
            format!("test-grant:{}", Uuid::now_v7()),
            issuance.id,
            earned.id,
            points,
        ),
    )
    .await
    .expect("grant");
    txn.commit().await.expect("commit");
}

async fn assert_consistent(app: &TestApp, admin: &Session) {
    let (status, report) = app
        .get("/api/v1/admin/recognition/consistency", admin.token())
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["consistent"], true, "{report}");
    let all = ledger::check(app.db(), None).await.expect("check");
    assert!(all.consistent, "{all:?}");
}

async fn earned(app: &TestApp, who: &Session) -> i64 {
    let (status, wallet) = app.get("/api/v1/me/wallet", who.token()).await;
    assert_eq!(status, StatusCode::OK, "{wallet}");
    wallet["earned"].as_i64().expect("earned")
}

async fn thanks_allowance_limits_and_wall(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let ada = app.person(org, "ada@acme.test", &[], None).await;
    let bob = app.person(org, "bob@acme.test", &[], None).await;
    let cy = app.person(org, "cy@acme.test", &[], None).await;
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/admin/recognition/settings",
            admin.token(),
            Some(json!({
                "thanks_max_points": 50, "pair_limit_per_period": 2, "pair_limit_period": "month",
                "manager_budget": 500, "manager_budget_period": "quarter", "spot_approval_threshold": 100,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let value = ok(
        &app,
        &admin,
        "/api/v1/admin/recognition/values",
        json!({ "name": "Customer first", "description": "We start with the customer." }),
    )
    .await;
    ok(
        &app,
        &admin,
        "/api/v1/admin/recognition/allowances",
        json!({ "period": "month", "amount": 60 }),
    )
    .await;

    // Self-thanks is refused with its own code, and nothing is written.
    let (status, problem) = app
        .post(
            "/api/v1/thanks",
            ada.token(),
            json!({ "recipient_id": ada.user_id, "message": "Me!", "points": 5 }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["code"], "self_thanks");
    let (status, problem) = app
        .post(
            "/api/v1/thanks",
            ada.token(),
            json!({ "recipient_id": bob.user_id, "message": "", "points": 500 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["message", "points"]);

    let first = ok(
        &app,
        &ada,
        "/api/v1/thanks",
        json!({ "recipient_id": bob.user_id, "message": "Thanks for the demo!", "points": 40, "value_id": value["id"] }),
    )
    .await;
    assert_eq!(first["value_name"], "Customer first");
    assert_eq!(earned(&app, &bob).await, 40);
    let (_, wallet) = app.get("/api/v1/me/wallet", ada.token()).await;
    assert_eq!(wallet["giving"]["amount"], 60);
    assert_eq!(wallet["giving"]["given"], 40);
    assert_eq!(wallet["giving"]["available"], 20);

    // More than is left of the allowance: refused, nothing moves.
    let (status, problem) = app
        .post(
            "/api/v1/thanks",
            ada.token(),
            json!({ "recipient_id": cy.user_id, "message": "Great work", "points": 30 }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "allowance_exhausted");
    assert_eq!(earned(&app, &cy).await, 0);

    // The pair limit: a second thanks to Bob is fine, a third is not.
    ok(
        &app,
        &ada,
        "/api/v1/thanks",
        json!({ "recipient_id": bob.user_id, "message": "And for the review", "points": 10 }),
    )
    .await;
    let (status, problem) = app
        .post(
            "/api/v1/thanks",
            ada.token(),
            json!({ "recipient_id": bob.user_id, "message": "Again", "points": 0 }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "pair_limit_reached");
    ok(
        &app,
        &ada,
        "/api/v1/thanks",
        json!({ "recipient_id": cy.user_id, "message": "Nice", "points": 10 }),
    )
    .await;
    let (_, wallet) = app.get("/api/v1/me/wallet", ada.token()).await;
    assert_eq!(wallet["giving"]["available"], 0);
    // The ledger's giving account for the period holds exactly policy minus given.
    let giving: i64 = chorus::entities::points_account::Entity::find()
        .filter(chorus::entities::points_account::Column::OwnerId.eq(ada.user_id))
        .filter(chorus::entities::points_account::Column::Kind.eq(kind::GIVING))
        .one(app.db())
        .await
        .expect("query")
        .expect("giving account")
        .balance;
    assert_eq!(giving, 0);

    // "You were thanked" went through the outbox.
    let email = app.last_email_to("bob@acme.test").await.expect("email");
    assert!(email.subject.contains("thanked you"), "{}", email.subject);
    assert!(email.text_body.contains("And for the review"));

    // Bob keeps the first thanks private: it leaves the wall but stays his.
    let first_id = first["id"].as_str().expect("id");
    let (status, _) = app
        .patch(
            &format!("/api/v1/thanks/{first_id}"),
            ada.token(),
            json!({ "private": true }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the recipient decides");
    let (status, _) = app
        .patch(
            &format!("/api/v1/thanks/{first_id}"),
            bob.token(),
            json!({ "private": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, wall) = app.get("/api/v1/thanks/wall", cy.token()).await;
    let ids: Vec<&str> = wall["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(!ids.contains(&first_id));
    let (status, _) = app
        .get(&format!("/api/v1/thanks/{first_id}"), cy.token())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Reactions on the wall.
    let (status, reacted) = app
        .post(
            &format!("/api/v1/thanks/{}/reactions", ids[0]),
            cy.token(),
            json!({ "emoji": "tada" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reacted}");
    assert_eq!(reacted["reactions"]["tada"], 1);
    assert_eq!(reacted["my_reactions"], json!(["tada"]));
    let (status, _) = app
        .post(
            &format!("/api/v1/thanks/{}/reactions", ids[0]),
            cy.token(),
            json!({ "emoji": "<script>" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, received) = app.get("/api/v1/me/thanks", bob.token()).await;
    assert_eq!(received["items"].as_array().map(Vec::len), Some(2));
    let csv = app
        .client
        .get(app.url("/api/v1/me/thanks?direction=given&format=csv"))
        .bearer_auth(&ada.access)
        .send()
        .await
        .expect("csv");
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .is_ok_and(|v| v.starts_with("text/csv"))
    );
    assert_eq!(csv.text().await.expect("body").lines().count(), 4);

    // Bob's ledger explains each entry.
    let (_, ledger_lines) = app.get("/api/v1/me/ledger", bob.token()).await;
    let lines = ledger_lines["items"].as_array().expect("items");
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["kind"] == "thanks"));
    assert!(
        lines
            .iter()
            .all(|l| l["explain"]["giver_id"] == json!(ada.user_id))
    );
    assert_consistent(&app, &admin).await;
}

async fn redemption_two_phase_and_queue(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let ada = app.person(org, "ada@acme.test", &[], None).await;
    grant(&app, org, ada.user_id, 100).await;
    let mug = ok(
        &app,
        &admin,
        "/api/v1/admin/rewards",
        json!({ "name": "Mug", "cost": 30, "stock": 2, "per_user_limit": 2, "limit_period": "month" }),
    )
    .await;
    let mug_id = mug["id"].as_str().expect("id");
    let (status, _) = app
        .post(
            "/api/v1/admin/rewards",
            admin.token(),
            json!({ "name": "", "cost": 0 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let first = ok(
        &app,
        &ada,
        &format!("/api/v1/rewards/{mug_id}/redeem"),
        json!({}),
    )
    .await;
    assert_eq!(first["status"], "requested");
    let (_, wallet) = app.get("/api/v1/me/wallet", ada.token()).await;
    assert_eq!(wallet["earned"], 70);
    assert_eq!(wallet["held"], 30);

    // An employee cannot see the queue or decide.
    let first_id = first["id"].as_str().expect("id");
    let (status, _) = app.get("/api/v1/admin/redemptions", ada.token()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/redemptions/{first_id}/approve"),
            ada.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, queue) = app.get("/api/v1/admin/redemptions", admin.token()).await;
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(1));
    let approved = ok(
        &app,
        &admin,
        &format!("/api/v1/admin/redemptions/{first_id}/approve"),
        json!({ "note": "Pick it up at reception" }),
    )
    .await;
    assert_eq!(approved["status"], "approved");
    let (status, problem) = app
        .post(
            &format!("/api/v1/admin/redemptions/{first_id}/reject"),
            admin.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "invalid_state");
    let fulfilled = ok(
        &app,
        &admin,
        &format!("/api/v1/admin/redemptions/{first_id}/fulfil"),
        json!({}),
    )
    .await;
    assert_eq!(fulfilled["status"], "fulfilled");
    let email = app.last_email_to("ada@acme.test").await.expect("email");
    assert!(email.subject.contains("fulfilled"), "{}", email.subject);

    // Second: rejected and refunded, the item back in stock.
    let second = ok(
        &app,
        &ada,
        &format!("/api/v1/rewards/{mug_id}/redeem"),
        json!({}),
    )
    .await;
    let second_id = second["id"].as_str().expect("id");
    let rejected = ok(
        &app,
        &admin,
        &format!("/api/v1/admin/redemptions/{second_id}/reject"),
        json!({ "note": "Out of that colour" }),
    )
    .await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(earned(&app, &ada).await, 70);
    let email = app.last_email_to("ada@acme.test").await.expect("email");
    assert!(email.text_body.contains("back in your wallet"));

    // Third: cancelled by Ada.
    let third = ok(
        &app,
        &ada,
        &format!("/api/v1/rewards/{mug_id}/redeem"),
        json!({}),
    )
    .await;
    let third_id = third["id"].as_str().expect("id");
    let cancelled = ok(
        &app,
        &ada,
        &format!("/api/v1/me/redemptions/{third_id}/cancel"),
        json!({}),
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(earned(&app, &ada).await, 70);

    // Per-person limit: one more counts (the first), then the limit of two is reached.
    ok(
        &app,
        &ada,
        &format!("/api/v1/rewards/{mug_id}/redeem"),
        json!({}),
    )
    .await;
    let (status, problem) = app
        .post(
            &format!("/api/v1/rewards/{mug_id}/redeem"),
            ada.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "limit_reached");

    // Balance: a reward costing more than Ada has.
    let tv = ok(
        &app,
        &admin,
        "/api/v1/admin/rewards",
        json!({ "name": "TV", "cost": 5000 }),
    )
    .await;
    let (status, problem) = app
        .post(
            &format!("/api/v1/rewards/{}/redeem", tv["id"].as_str().expect("id")),
            ada.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "insufficient_balance");
    let (_, mine) = app.get("/api/v1/me/redemptions", ada.token()).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(4));

    let (_, economy) = app
        .get("/api/v1/admin/recognition/economy", admin.token())
        .await;
    assert_eq!(economy["issued"], 100);
    assert_eq!(economy["redeemed"], 30);
    assert_eq!(economy["held"], 30);
    assert_eq!(economy["outstanding_liability"], 40);
    assert_consistent(&app, &admin).await;
}

async fn spot_awards_from_manager_budget(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let boss = app.person(org, "boss@acme.test", &[], None).await;
    let team = app.team(org, "Sales", None, &[boss.user_id]).await;
    let ada = app.person(org, "ada@acme.test", &[], Some(team)).await;
    let outsider = app.person(org, "out@acme.test", &[], None).await;
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/admin/recognition/settings",
            admin.token(),
            Some(json!({
                "thanks_max_points": 50, "pair_limit_per_period": 3, "pair_limit_period": "month",
                "manager_budget": 400, "manager_budget_period": "quarter", "spot_approval_threshold": 150,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = app
        .post(
            "/api/v1/spot-awards",
            ada.token(),
            json!({ "recipient_id": boss.user_id, "points": 10, "reason": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "employees have no budget");
    let (status, problem) = app
        .post(
            "/api/v1/spot-awards",
            boss.token(),
            json!({ "recipient_id": outsider.user_id, "points": 10, "reason": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    let small = ok(
        &app,
        &boss,
        "/api/v1/spot-awards",
        json!({ "recipient_id": ada.user_id, "points": 100, "reason": "Closed the deal" }),
    )
    .await;
    assert_eq!(small["status"], "awarded");
    assert_eq!(earned(&app, &ada).await, 100);
    let big = ok(
        &app,
        &boss,
        "/api/v1/spot-awards",
        json!({ "recipient_id": ada.user_id, "points": 200, "reason": "Quarter hero" }),
    )
    .await;
    assert_eq!(big["status"], "pending");
    assert_eq!(earned(&app, &ada).await, 100);
    let (_, budget) = app.get("/api/v1/me/spot-budget", boss.token()).await;
    assert_eq!(budget["available"], 100);
    let (status, problem) = app
        .post(
            "/api/v1/spot-awards",
            boss.token(),
            json!({ "recipient_id": ada.user_id, "points": 120, "reason": "Too much" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "budget_exhausted");

    let (_, pending) = app.get("/api/v1/admin/spot-awards", admin.token()).await;
    assert_eq!(pending["items"].as_array().map(Vec::len), Some(1));
    let big_id = big["id"].as_str().expect("id");
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/spot-awards/{big_id}/approve"),
            boss.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let approved = ok(
        &app,
        &admin,
        &format!("/api/v1/admin/spot-awards/{big_id}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(approved["status"], "awarded");
    assert_eq!(earned(&app, &ada).await, 300);
    assert_consistent(&app, &admin).await;
}

/// Stores an engagement event for a person `minutes_ago` minutes ago.
async fn engagement_event(app: &TestApp, org: Uuid, user: Uuid, units: i64, minutes_ago: i64) {
    events::emit(
        app.db(),
        NewEvent {
            org_id: org,
            kind: events::kind::ENGAGEMENT_REPORTED,
            user_id: user,
            team_id: None,
            dedupe_key: format!("test:{}", Uuid::now_v7()),
            units,
            payload: json!({ "network": "linkedin" }),
            occurred_at: chrono::Utc::now() - chrono::Duration::minutes(minutes_ago),
        },
    )
    .await
    .expect("emit");
}

async fn run_rules(app: &TestApp) -> String {
    chorus::jobs::run_now(&app.state, "rules")
        .await
        .expect("rules job")
        .expect("rules job ran")
}

async fn rules_are_idempotent_capped_and_previewed(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let ada = app.person(org, "ada@acme.test", &[], None).await;
    let bob = app.person(org, "bob@acme.test", &[], None).await;
    // Ada: four events at 10 units within the last hours (one UTC day may be split: keep them
    // within minutes so they share a day in all but the first minutes after midnight).
    for (units, ago) in [(10, 4), (10, 3), (10, 2), (10, 1)] {
        engagement_event(&app, org, ada.user_id, units, ago).await;
    }
    engagement_event(&app, org, bob.user_id, 7, 2).await;
    // Old, outside a one-day window.
    engagement_event(&app, org, bob.user_id, 50, 3 * 24 * 60).await;

    let document = json!({
        "trigger": "engagement_reported",
        "conditions": { "networks": ["linkedin"] },
        "award": { "mode": "per_unit", "points": 1 },
        "caps": { "day": 25 },
    });
    let (status, problem) = app
        .post(
            "/api/v1/admin/rules/preview",
            admin.token(),
            json!({ "document": { "trigger": "human_clicks_reached", "threshold": 7, "award": { "mode": "fixed", "points": 1 } } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "document.threshold");

    let preview = ok(
        &app,
        &admin,
        "/api/v1/admin/rules/preview",
        json!({ "document": document, "days": 1 }),
    )
    .await;
    assert_eq!(preview["events_replayed"], 5, "{preview}");
    assert_eq!(preview["total_points"], 25 + 7, "{preview}");
    assert_eq!(preview["recipients"], 2);
    assert_eq!(
        preview["limited_awards"], 2,
        "the third is capped, the fourth is zero"
    );
    assert_eq!(preview["max"], 25);
    // The preview wrote nothing.
    assert_eq!(
        chorus::entities::points_transaction::Entity::find()
            .count(app.db())
            .await
            .expect("count"),
        0
    );

    let rule = ok(
        &app,
        &admin,
        "/api/v1/admin/rules",
        json!({ "name": "Engagement", "document": document }),
    )
    .await;
    assert_eq!(rule["status"], "draft");
    assert_eq!(rule["current_version"], 1);
    let rule_id = rule["id"].as_str().expect("id");
    run_rules(&app).await;
    assert_eq!(earned(&app, &ada).await, 0, "a draft awards nothing");

    ok(
        &app,
        &admin,
        &format!("/api/v1/admin/rules/{rule_id}/activate"),
        json!({ "starts_at": preview["window_start"] }),
    )
    .await;
    run_rules(&app).await;
    assert_eq!(earned(&app, &ada).await, 25, "caps award the remainder");
    assert_eq!(earned(&app, &bob).await, 7);
    let (_, economy) = app
        .get("/api/v1/admin/recognition/economy", admin.token())
        .await;
    assert_eq!(economy["rules"][0]["points"], preview["total_points"]);
    assert_eq!(
        economy["rules"][0]["awards"], 5,
        "capped attempts are recorded"
    );
    assert_eq!(
        economy["rules"][0]["limited_awards"],
        preview["limited_awards"]
    );

    // Replaying the same events awards nothing new: run again, then mark every event
    // unprocessed and run again.
    run_rules(&app).await;
    chorus::entities::recognition_event::Entity::update_many()
        .col_expr(
            chorus::entities::recognition_event::Column::ProcessedAt,
            sea_orm::sea_query::Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .exec(app.db())
        .await
        .expect("reset");
    run_rules(&app).await;
    // A new version re-activated over the same window does not award those events again.
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/rules/{rule_id}"),
            admin.token(),
            Some(json!({ "document": { "trigger": "engagement_reported", "award": { "mode": "fixed", "points": 100 } } })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    ok(
        &app,
        &admin,
        &format!("/api/v1/admin/rules/{rule_id}/activate"),
        json!({ "starts_at": preview["window_start"] }),
    )
    .await;
    run_rules(&app).await;
    assert_eq!(earned(&app, &ada).await, 25);
    assert_eq!(earned(&app, &bob).await, 7);

    // New events are rewarded by the new version, which the ledger explains.
    engagement_event(&app, org, bob.user_id, 1, 0).await;
    run_rules(&app).await;
    assert_eq!(earned(&app, &bob).await, 107);
    let (_, lines) = app.get("/api/v1/me/ledger", bob.token()).await;
    let newest = &lines["items"][0];
    assert_eq!(newest["kind"], "rule_award");
    assert_eq!(newest["explain"]["rule_version"], 2);
    assert_eq!(newest["explain"]["rule_id"], json!(rule_id));
    let (_, detail) = app
        .get(&format!("/api/v1/admin/rules/{rule_id}"), admin.token())
        .await;
    assert_eq!(detail["versions"].as_array().map(Vec::len), Some(2));
    assert_consistent(&app, &admin).await;
}

async fn rule_budget_is_exhausted_and_alerts(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let ada = app.person(org, "ada@acme.test", &[], None).await;
    let rule = ok(
        &app,
        &admin,
        "/api/v1/admin/rules",
        json!({
            "name": "Engagement bonus",
            "document": { "trigger": "engagement_reported", "award": { "mode": "fixed", "points": 10 } },
            "budget": 25,
        }),
    )
    .await;
    let rule_id = rule["id"].as_str().expect("id");
    ok(
        &app,
        &admin,
        &format!("/api/v1/admin/rules/{rule_id}/activate"),
        json!({}),
    )
    .await;
    for _ in 0..4 {
        engagement_event(&app, org, ada.user_id, 1, 0).await;
    }
    run_rules(&app).await;
    assert_eq!(
        earned(&app, &ada).await,
        25,
        "the budget's remainder, then nothing"
    );
    let (_, view) = app
        .get(&format!("/api/v1/admin/rules/{rule_id}"), admin.token())
        .await;
    assert_eq!(view["spent"], 25);
    assert_eq!(view["budget_exhausted"], true);
    let alert = app.last_email_to("admin@acme.test").await.expect("alert");
    assert!(
        alert.subject.contains("Engagement bonus"),
        "{}",
        alert.subject
    );
    // One alert only.
    engagement_event(&app, org, ada.user_id, 1, 0).await;
    run_rules(&app).await;
    let alerts = chorus::entities::outbox::Entity::find()
        .filter(chorus::entities::outbox::Column::Kind.eq("budget_alert"))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(alerts, 1);
    assert_eq!(earned(&app, &ada).await, 25);
    assert_consistent(&app, &admin).await;
}

async fn other_organisations_and_roles_are_refused(app: TestApp) {
    let acme = app.org_admin("Acme", "admin@acme.test").await;
    let globex = app.org_admin("Globex", "admin@globex.test").await;
    let ada = app.person(acme.org_id, "ada@acme.test", &[], None).await;
    let bob = app.person(acme.org_id, "bob@acme.test", &[], None).await;
    let gus = app
        .person(globex.org_id, "gus@globex.test", &[], None)
        .await;
    grant(&app, acme.org_id, ada.user_id, 50).await;
    let thanks = ok(
        &app,
        &ada,
        "/api/v1/thanks",
        json!({ "recipient_id": bob.user_id, "message": "Thanks", "points": 5 }),
    )
    .await;
    let reward = ok(
        &app,
        &acme,
        "/api/v1/admin/rewards",
        json!({ "name": "Mug", "cost": 10 }),
    )
    .await;
    let rule = ok(
        &app,
        &acme,
        "/api/v1/admin/rules",
        json!({ "name": "R", "document": { "trigger": "share_created", "award": { "mode": "fixed", "points": 5 } } }),
    )
    .await;
    let redemption = ok(
        &app,
        &ada,
        &format!(
            "/api/v1/rewards/{}/redeem",
            reward["id"].as_str().expect("id")
        ),
        json!({}),
    )
    .await;
    let (thanks_id, reward_id, rule_id, redemption_id) = (
        thanks["id"].as_str().expect("id"),
        reward["id"].as_str().expect("id"),
        rule["id"].as_str().expect("id"),
        redemption["id"].as_str().expect("id"),
    );

    let attempts = [
        app.get(&format!("/api/v1/thanks/{thanks_id}"), gus.token())
            .await,
        app.post(
            &format!("/api/v1/thanks/{thanks_id}/reactions"),
            gus.token(),
            json!({ "emoji": "clap" }),
        )
        .await,
        app.post(
            &format!("/api/v1/rewards/{reward_id}/redeem"),
            gus.token(),
            json!({}),
        )
        .await,
        app.patch(
            &format!("/api/v1/admin/rewards/{reward_id}"),
            globex.token(),
            json!({ "cost": 1 }),
        )
        .await,
        app.get(&format!("/api/v1/admin/rules/{rule_id}"), globex.token())
            .await,
        app.post(
            &format!("/api/v1/admin/rules/{rule_id}/activate"),
            globex.token(),
            json!({}),
        )
        .await,
        app.post(
            &format!("/api/v1/admin/redemptions/{redemption_id}/approve"),
            globex.token(),
            json!({}),
        )
        .await,
        app.post(
            &format!("/api/v1/me/redemptions/{redemption_id}/cancel"),
            gus.token(),
            json!({}),
        )
        .await,
    ];
    for (status, problem) in attempts {
        assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
        assert_eq!(problem["code"], "not_found");
    }
    // Thanking someone of another organisation: no such colleague.
    let (status, problem) = app
        .post(
            "/api/v1/thanks",
            gus.token(),
            json!({ "recipient_id": ada.user_id, "message": "Hi", "points": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // Employees cannot edit rules or decide redemptions.
    let forbidden = [
        app.post(
            "/api/v1/admin/rules",
            ada.token(),
            json!({ "name": "Mine", "document": { "trigger": "share_created", "award": { "mode": "fixed", "points": 1000 } } }),
        )
        .await,
        app.call(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/rules/{rule_id}"),
            ada.token(),
            Some(json!({ "name": "Mine" })),
        )
        .await,
        app.post(
            &format!("/api/v1/admin/rules/{rule_id}/activate"),
            ada.token(),
            json!({}),
        )
        .await,
        app.post(
            &format!("/api/v1/admin/redemptions/{redemption_id}/approve"),
            ada.token(),
            json!({}),
        )
        .await,
        app.post(
            "/api/v1/admin/rules/preview",
            ada.token(),
            json!({ "document": { "trigger": "share_created", "award": { "mode": "fixed", "points": 1 } } }),
        )
        .await,
        app.get("/api/v1/admin/recognition/economy", ada.token()).await,
    ];
    for (status, problem) in forbidden {
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        assert_eq!(problem["code"], "forbidden");
    }
    // Bad input is a problem document, never a 5xx.
    let (status, problem) = app
        .post(
            "/api/v1/admin/rules",
            acme.token(),
            json!({ "name": "R", "document": { "trigger": "teleport", "award": {} } }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = app.get("/api/v1/thanks/not-a-uuid", ada.token()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_consistent(&app, &acme).await;
}

async fn shares_write_events_for_rules(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let ada = app.person(org, "ada@acme.test", &[], None).await;
    let rule = ok(
        &app,
        &admin,
        "/api/v1/admin/rules",
        json!({ "name": "First share", "document": { "trigger": "first_share", "award": { "mode": "fixed", "points": 50 } } }),
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
    let post = ok(
        &app,
        &admin,
        "/api/v1/posts",
        json!({ "title": "Launch", "url": "https://news.example.com/launch", "status": "published" }),
    )
    .await;
    ok(
        &app,
        &ada,
        "/api/v1/me/advocacy/opt-in",
        json!({ "terms_version": "2026-11" }),
    )
    .await;
    for network in ["linkedin", "x"] {
        let (status, body) = app
            .post(
                "/api/v1/shares",
                ada.token(),
                json!({ "post_id": post["id"], "network": network }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Nothing is awarded inside the request; the job does it.
    assert_eq!(earned(&app, &ada).await, 0);
    run_rules(&app).await;
    assert_eq!(
        earned(&app, &ada).await,
        50,
        "only the first share is a first share"
    );
}

/// Many redemptions at once must never overspend a balance or oversell stock. Meaningful on
/// PostgreSQL, where requests really run in parallel on a pool of connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redemptions_never_overspend_or_oversell_postgres() {
    let options = Options::with(json!({
        "jobs": { "rules": "off" },
        "database": { "max_connections": 20 },
    }));
    run_with(Backend::Postgres, options, concurrent_redemptions).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redemptions_never_overspend_or_oversell_sqlite() {
    run_with(Backend::Sqlite, manual_rules(), concurrent_redemptions).await;
}

async fn concurrent_redemptions(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let mut people = Vec::new();
    for i in 0..5 {
        let p = app.person(org, &format!("p{i}@acme.test"), &[], None).await;
        grant(&app, org, p.user_id, 100).await;
        people.push(p);
    }
    // Stock is the binding limit here: 5 × 100 points could buy 50 items, only 25 exist.
    let mug = ok(
        &app,
        &admin,
        "/api/v1/admin/rewards",
        json!({ "name": "Mug", "cost": 10, "stock": 25 }),
    )
    .await;
    // Balance is the binding limit here: unlimited stock, 100 points buy 4 at 25.
    let book = ok(
        &app,
        &admin,
        "/api/v1/admin/rewards",
        json!({ "name": "Book", "cost": 25 }),
    )
    .await;
    let mut requests = Vec::new();
    for round in 0..12 {
        for p in &people {
            let reward = if round % 2 == 0 { &mug } else { &book };
            let path = format!(
                "/api/v1/rewards/{}/redeem",
                reward["id"].as_str().expect("id")
            );
            let (app, token) = (app.clone(), p.access.clone());
            requests.push(tokio::spawn(async move {
                let response = app
                    .client
                    .post(app.url(&path))
                    .bearer_auth(token)
                    .send()
                    .await
                    .expect("request");
                let status = response.status();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                (status, body)
            }));
        }
    }
    assert!(requests.len() >= 50);
    let mut created = 0;
    for request in requests {
        let (status, body) = request.await.expect("task");
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => assert!(
                ["insufficient_balance", "out_of_stock"]
                    .contains(&body["code"].as_str().unwrap_or("")),
                "{body}"
            ),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let mugs = chorus::entities::redemption::Entity::find()
        .filter(
            chorus::entities::redemption::Column::RewardId.eq(mug["id"]
                .as_str()
                .expect("id")
                .parse::<Uuid>()
                .expect("uuid")),
        )
        .count(app.db())
        .await
        .expect("count");
    let stock = chorus::entities::reward::Entity::find_by_id(
        mug["id"]
            .as_str()
            .expect("id")
            .parse::<Uuid>()
            .expect("uuid"),
    )
    .one(app.db())
    .await
    .expect("query")
    .expect("reward")
    .stock;
    assert!(mugs <= 25, "oversold: {mugs}");
    assert_eq!(stock, Some(25 - mugs as i64), "stock and redemptions agree");
    let mut spent_total = 0;
    for p in &people {
        let balance = earned(&app, p).await;
        assert!(balance >= 0, "overspent: {balance}");
        let (_, mine) = app.get("/api/v1/me/redemptions", p.token()).await;
        let spent: i64 = mine["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| r["cost"].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(balance + spent, 100, "every point accounted for");
        spent_total += spent;
    }
    let (_, economy) = app
        .get("/api/v1/admin/recognition/economy", admin.token())
        .await;
    assert_eq!(spent_total, economy["held"].as_i64().expect("held"));
    let all = chorus::entities::redemption::Entity::find()
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(created, all, "every 201 is one redemption");
    assert_consistent(&app, &admin).await;
}

/// One randomly chosen ledger operation.
#[derive(Debug, Clone)]
enum Op {
    /// Issue points to a person.
    Grant { to: usize, points: i64 },
    /// Move points between people (may be refused for lack of balance).
    Transfer { from: usize, to: usize, points: i64 },
    /// Hold points for a redemption (earned → clearing).
    Hold { from: usize, points: i64 },
    /// Reverse an earlier successful transaction (may be refused when already spent).
    Reverse { nth: usize },
    /// Replay an earlier idempotency key.
    Replay { nth: usize },
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (0..4usize, 1..200i64).prop_map(|(to, points)| Op::Grant { to, points }),
        (0..4usize, 0..4usize, 1..150i64).prop_map(|(from, to, points)| Op::Transfer {
            from,
            to,
            points
        }),
        (0..4usize, 1..100i64).prop_map(|(from, points)| Op::Hold { from, points }),
        (0..64usize).prop_map(|nth| Op::Reverse { nth }),
        (0..64usize).prop_map(|nth| Op::Replay { nth }),
    ]
}

/// Applies operations through the ledger and checks its invariants after every one: every
/// transaction sums to zero, balances equal their entries, no guarded balance is negative, a
/// refused posting changes nothing, and a replayed key writes nothing.
async fn apply_ops(app: &TestApp, org: Uuid, people: &[Uuid], ops: &[Op]) -> Result<(), String> {
    use std::collections::HashMap;
    let mut posted: Vec<(String, Posting)> = Vec::new();
    let mut model: HashMap<Uuid, i64> = HashMap::new();
    let db = app.db();
    let issuance = ledger::org_account(db, org, kind::ISSUANCE)
        .await
        .map_err(|e| e.to_string())?;
    let clearing = ledger::org_account(db, org, kind::CLEARING)
        .await
        .map_err(|e| e.to_string())?;
    let mut earned = Vec::new();
    for p in people {
        earned.push(
            ledger::account(db, org, kind::EARNED, *p, "")
                .await
                .map_err(|e| e.to_string())?
                .id,
        );
    }
    for op in ops {
        let key = format!("prop:{}", Uuid::now_v7());
        let posting = match op {
            Op::Grant { to, points } => Some(Posting::transfer(
                org,
                tx::ADJUSTMENT,
                key.clone(),
                issuance.id,
                earned[*to],
                *points,
            )),
            Op::Transfer { from, to, points } if from != to => Some(Posting::transfer(
                org,
                tx::THANKS,
                key.clone(),
                earned[*from],
                earned[*to],
                *points,
            )),
            Op::Hold { from, points } => Some(Posting::transfer(
                org,
                tx::REDEMPTION_HOLD,
                key.clone(),
                earned[*from],
                clearing.id,
                *points,
            )),
            _ => None,
        };
        let txn = db.begin().await.map_err(|e| e.to_string())?;
        let outcome = match (op, posting) {
            (_, Some(posting)) => ledger::post(&txn, posting.clone())
                .await
                .map(|p| (p, Some(posting))),
            (Op::Reverse { nth }, None) if !posted.is_empty() => {
                let (original_key, _) = &posted[nth % posted.len()];
                let original = chorus::entities::points_transaction::Entity::find()
                    .filter(
                        chorus::entities::points_transaction::Column::IdempotencyKey
                            .eq(original_key.as_str()),
                    )
                    .one(&txn)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or("original missing")?;
                ledger::reverse(&txn, org, original.id, None, "property test")
                    .await
                    .map(|p| (p, None))
            }
            (Op::Replay { nth }, None) if !posted.is_empty() => {
                let (_, posting) = &posted[nth % posted.len()];
                match ledger::post(&txn, posting.clone()).await {
                    Ok(ledger::Posted::Duplicate(_)) => {}
                    other => return Err(format!("replay wrote something: {other:?}")),
                }
                txn.commit().await.map_err(|e| e.to_string())?;
                continue;
            }
            _ => continue,
        };
        match outcome {
            Ok((ledger::Posted::Created(id), posting)) => {
                txn.commit().await.map_err(|e| e.to_string())?;
                let entries = chorus::entities::points_entry::Entity::find()
                    .filter(chorus::entities::points_entry::Column::TransactionId.eq(id))
                    .all(db)
                    .await
                    .map_err(|e| e.to_string())?;
                if entries.iter().map(|e| e.amount).sum::<i64>() != 0 {
                    return Err(format!("transaction {id} does not sum to zero"));
                }
                for e in &entries {
                    *model.entry(e.account_id).or_insert(0) += e.amount;
                }
                if let Some(posting) = posting {
                    posted.push((posting.idempotency_key.clone(), posting));
                }
            }
            // Reversing the same transaction twice answers the first reversal.
            Ok((ledger::Posted::Duplicate(_), _)) if matches!(op, Op::Reverse { .. }) => {
                txn.commit().await.map_err(|e| e.to_string())?;
            }
            Ok((ledger::Posted::Duplicate(_), _)) => {
                return Err("fresh key was a duplicate".into());
            }
            Err(chorus::error::AppError::Conflict { code, .. })
                if code == "insufficient_balance" || code == "conflict" =>
            {
                drop(txn);
            }
            Err(other) => return Err(format!("{op:?}: {other}")),
        }
        let report = ledger::check(db, Some(org))
            .await
            .map_err(|e| e.to_string())?;
        if !report.consistent {
            return Err(format!("after {op:?}: {report:?}"));
        }
    }
    // The balances equal an independent model of the successful postings, and all accounts
    // together sum to zero.
    let accounts = chorus::entities::points_account::Entity::find()
        .filter(chorus::entities::points_account::Column::OrgId.eq(org))
        .all(db)
        .await
        .map_err(|e| e.to_string())?;
    let mut total = 0;
    for a in &accounts {
        total += a.balance;
        if a.balance != model.get(&a.id).copied().unwrap_or(0) {
            return Err(format!("account {} drifted from the model", a.kind));
        }
        if a.balance < 0 && a.kind != kind::ISSUANCE {
            return Err(format!("account {} is negative", a.kind));
        }
    }
    if total != 0 {
        return Err(format!("balances sum to {total}"));
    }
    Ok(())
}

async fn ledger_invariants_hold_for_random_operations(app: TestApp) {
    use proptest::{
        collection::vec,
        test_runner::{Config, TestRunner},
    };
    let cases = if app.backend == Backend::Postgres {
        32
    } else {
        64
    };
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&vec(op(), 1..40), |ops| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let outcome = tokio::task::block_in_place(|| {
            handle.block_on(async {
                // A fresh organisation per case keeps cases independent; accounts only need
                // an owner id, not a signed-in person.
                let org = chorus::people::orgs::find_or_create(app.db(), &format!("Prop {n}"))
                    .await
                    .map_err(|e| e.to_string())?;
                let people: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
                apply_ops(&app, org.id, &people, &ops).await
            })
        });
        outcome.map_err(proptest::test_runner::TestCaseError::fail)
    });
    if let Err(err) = result {
        panic!("{err}");
    }
}

both! { ledger_invariants_hold_for_random_operations }

/// A policy on a team applies to its whole subtree; the nearest team with a policy wins over
/// role and organisation policies.
async fn allowance_policies_cover_team_subtrees(app: TestApp) {
    use chorus::auth::Role;
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let root = app.team(org, "Company", None, &[]).await;
    let mid = app.team(org, "Engineering", Some(root), &[]).await;
    let leaf = app.team(org, "Platform", Some(mid), &[]).await;
    let other = app.team(org, "Sales", None, &[]).await;
    let at_root = app.person(org, "root@acme.test", &[], Some(root)).await;
    let at_leaf = app
        .person(org, "leaf@acme.test", &[Role::Manager], Some(leaf))
        .await;
    let in_sales = app.person(org, "sales@acme.test", &[], Some(other)).await;
    let loner = app
        .person(org, "loner@acme.test", &[Role::Manager], None)
        .await;
    let amount = |who: Session| {
        let app = app.clone();
        async move {
            let (status, wallet) = app.get("/api/v1/me/wallet", who.token()).await;
            assert_eq!(status, StatusCode::OK, "{wallet}");
            (
                wallet["giving"]["amount"].as_i64().expect("amount"),
                wallet["giving"]["period_kind"]
                    .as_str()
                    .expect("kind")
                    .to_owned(),
            )
        }
    };
    let policy = |body: Value| {
        let app = app.clone();
        let admin = admin.clone();
        async move { ok(&app, &admin, "/api/v1/admin/recognition/allowances", body).await }
    };
    policy(json!({ "period": "month", "amount": 100 })).await;
    policy(json!({ "role": "manager", "period": "month", "amount": 150 })).await;
    assert_eq!(amount(at_leaf.clone()).await.0, 150, "role policy");
    assert_eq!(amount(at_root.clone()).await.0, 100, "organisation policy");

    policy(json!({ "team_id": root, "period": "quarter", "amount": 30 })).await;
    assert_eq!(
        amount(at_leaf.clone()).await,
        (30, "quarter".to_owned()),
        "the root's policy covers the whole tree, over the role policy"
    );
    assert_eq!(amount(at_root.clone()).await.0, 30);
    assert_eq!(amount(in_sales.clone()).await.0, 100, "another tree");
    assert_eq!(amount(loner.clone()).await.0, 150, "no team: role policy");

    policy(json!({ "team_id": mid, "period": "month", "amount": 20 })).await;
    assert_eq!(
        amount(at_leaf.clone()).await,
        (20, "month".to_owned()),
        "the nearest ancestor wins"
    );
    assert_eq!(amount(at_root.clone()).await.0, 30, "not below: unchanged");
    policy(json!({ "team_id": leaf, "period": "month", "amount": 45 })).await;
    assert_eq!(amount(at_leaf.clone()).await.0, 45, "the person's own team");

    // The allowance limits thanks accordingly.
    let (status, problem) = app
        .post(
            "/api/v1/thanks",
            at_leaf.token(),
            json!({ "recipient_id": at_root.user_id, "message": "Thanks!", "points": 46 }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    ok(
        &app,
        &at_leaf,
        "/api/v1/thanks",
        json!({ "recipient_id": at_root.user_id, "message": "Thanks!", "points": 45 }),
    )
    .await;
}

/// Two servers evaluating the inbox at the same time (overlapping ticks) must not award
/// beyond a cap or award an event twice: evaluation holds a lease renewed in every batch.
async fn concurrent_rule_processors_respect_caps(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let ada = app.person(org, "ada@acme.test", &[], None).await;
    let rule = ok(
        &app,
        &admin,
        "/api/v1/admin/rules",
        json!({ "name": "Engagement", "document": {
            "trigger": "engagement_reported",
            "award": { "mode": "fixed", "points": 10 },
            "caps": { "week": 1000 },
        } }),
    )
    .await;
    ok(
        &app,
        &admin,
        &format!(
            "/api/v1/admin/rules/{}/activate",
            rule["id"].as_str().expect("id")
        ),
        json!({ "starts_at": chrono::Utc::now() - chrono::Duration::hours(1) }),
    )
    .await;
    // More events than one batch (of 500 here), all in the same (current) week, worth 12,000
    // points uncapped.
    let txn = app.db().begin().await.expect("txn");
    let now = chrono::Utc::now();
    for n in 0..1200 {
        events::emit(
            &txn,
            NewEvent {
                org_id: org,
                kind: events::kind::ENGAGEMENT_REPORTED,
                user_id: ada.user_id,
                team_id: None,
                dedupe_key: format!("concurrent:{n}"),
                units: 1,
                payload: json!({}),
                occurred_at: now - chrono::Duration::milliseconds(n),
            },
        )
        .await
        .expect("emit");
    }
    txn.commit().await.expect("commit");

    let sibling = app.sibling(manual_rules()).await;
    let mut runs = Vec::new();
    for server in [&app, &sibling, &app, &sibling] {
        let (db, reader) = (server.db().clone(), server.rules_reader().await);
        runs.push(tokio::spawn(async move {
            chorus::recognition::rules::process_batched(&db, &reader, 500).await
        }));
    }
    let mut evaluated = 0;
    for run in runs {
        let done = run.await.expect("join").expect("process");
        evaluated += done.events;
    }
    // Whatever a busy processor skipped, a later run picks up.
    evaluated += chorus::recognition::rules::process(app.db())
        .await
        .expect("process")
        .events;
    assert_eq!(evaluated, 1200, "every event evaluated exactly once");
    assert_eq!(earned(&app, &ada).await, 1000, "the cap holds");
    let awards = chorus::entities::rule_award::Entity::find()
        .filter(chorus::entities::rule_award::Column::RecipientId.eq(ada.user_id))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(
        awards, 1200,
        "one award row per event, capped ones with zero"
    );
    assert_consistent(&app, &admin).await;
    assert_usage_matches_awards(&app, org).await;
    sibling.stop().await;
}

/// The rule engine decides a whole batch in memory and writes it at once; that must award
/// exactly what deciding the events one by one awards, also when caps (day, week, month) and a
/// budget run out in the middle of a batch for the same people. Two organisations get the same
/// rules and the same events: one is evaluated one event per batch, the other in one batch.
async fn batch_size_does_not_change_awards(app: TestApp) {
    use chrono::{Datelike, Duration};
    // Monday 01:00 of last week: the events (about three days) stay within one ISO week and
    // cross no month boundary before the caps and the budget run out.
    let today = chrono::Utc::now().date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()) + 7);
    let base = monday.and_hms_opt(1, 0, 0).expect("time").and_utc();
    let mut orgs = Vec::new();
    for (name, domain) in [("One by one", "one.test"), ("All at once", "all.test")] {
        let admin = app.org_admin(name, &format!("admin@{domain}")).await;
        let mut people = Vec::new();
        for i in 0..3 {
            people.push(
                app.person(admin.org_id, &format!("p{i}@{domain}"), &[], None)
                    .await,
            );
        }
        for (rule, document, budget) in [
            (
                "Per unit",
                json!({
                    "trigger": "engagement_reported",
                    "award": { "mode": "per_unit", "points": 3, "ceiling": 40 },
                    "caps": { "day": 50, "week": 120 },
                }),
                Value::Null,
            ),
            (
                "Fixed",
                json!({
                    "trigger": "engagement_reported",
                    "award": { "mode": "fixed", "points": 7 },
                    "caps": { "month": 20 },
                }),
                json!(50),
            ),
        ] {
            let created = ok(
                &app,
                &admin,
                "/api/v1/admin/rules",
                json!({ "name": rule, "document": document, "budget": budget }),
            )
            .await;
            ok(
                &app,
                &admin,
                &format!(
                    "/api/v1/admin/rules/{}/activate",
                    created["id"].as_str().expect("id")
                ),
                json!({ "starts_at": base - Duration::days(1) }),
            )
            .await;
        }
        orgs.push((admin, people));
    }
    // 90 events per organisation over three days, about ten per person and day.
    let emit_all = |org: Uuid, people: Vec<Uuid>| {
        let db = app.db().clone();
        async move {
            let txn = db.begin().await.expect("txn");
            for n in 0..90i64 {
                events::emit(
                    &txn,
                    NewEvent {
                        org_id: org,
                        kind: events::kind::ENGAGEMENT_REPORTED,
                        user_id: people[(n % 3) as usize],
                        team_id: None,
                        dedupe_key: format!("batch:{n}"),
                        units: 1 + (n * 7) % 13,
                        payload: json!({ "network": "linkedin" }),
                        occurred_at: base + Duration::minutes(n * 47),
                    },
                )
                .await
                .expect("emit");
            }
            txn.commit().await.expect("commit");
        }
    };
    let ids = |i: usize| -> Vec<Uuid> { orgs[i].1.iter().map(|p| p.user_id).collect() };
    emit_all(orgs[0].0.org_id, ids(0)).await;
    let reader = app.rules_reader().await;
    let one = chorus::recognition::rules::process_batched(app.db(), &reader, 1)
        .await
        .expect("process");
    assert_eq!(one.events, 90);
    emit_all(orgs[1].0.org_id, ids(1)).await;
    let all = chorus::recognition::rules::process_batched(app.db(), &reader, 10_000)
        .await
        .expect("process");
    assert_eq!(all.events, 90);
    assert_eq!((one.awards, one.points), (all.awards, all.points));
    assert_eq!(
        one.awards, 180,
        "every attempt is recorded, capped ones with zero"
    );

    // The same award, person by person and event by event.
    let mut outcomes = Vec::new();
    for (admin, people) in &orgs {
        let rows = chorus::entities::rule_award::Entity::find()
            .filter(chorus::entities::rule_award::Column::OrgId.eq(admin.org_id))
            .all(app.db())
            .await
            .expect("awards");
        let mut rules = std::collections::HashMap::new();
        for rule in chorus::entities::reward_rule::Entity::find()
            .filter(chorus::entities::reward_rule::Column::OrgId.eq(admin.org_id))
            .all(app.db())
            .await
            .expect("rules")
        {
            rules.insert(rule.id, rule.name);
        }
        let mut outcome: Vec<_> = rows
            .into_iter()
            .map(|a| {
                (
                    a.occurred_at,
                    rules[&a.rule_id].clone(),
                    people
                        .iter()
                        .position(|p| p.user_id == a.recipient_id)
                        .expect("person"),
                    a.requested_points,
                    a.points,
                    a.limited_by,
                    a.transaction_id.is_some(),
                )
            })
            .collect();
        outcome.sort();
        outcomes.push(outcome);
        let mut wallets = Vec::new();
        for person in people {
            wallets.push(earned(&app, person).await);
        }
        assert_eq!(
            wallets.iter().sum::<i64>(),
            one.points,
            "the wallets hold what was awarded"
        );
        assert_consistent(&app, admin).await;
        assert_usage_matches_awards(&app, admin.org_id).await;
    }
    assert_eq!(outcomes[0], outcomes[1]);
    let limited = |by: &str| {
        outcomes[0]
            .iter()
            .filter(|o| o.5.as_deref() == Some(by))
            .count()
    };
    for by in ["cap_day", "cap_week", "cap_month", "budget"] {
        assert!(
            limited(by) > 0,
            "some award is limited by {by}: {:?}",
            outcomes[0]
        );
    }
    assert!(
        outcomes[0].iter().any(|o| o.4 == 0) && outcomes[0].iter().any(|o| o.4 > 0),
        "awards and zero attempts both happen"
    );
}

/// The cap counters (what caps read) hold exactly the points of the organisation's awards, per
/// rule, recipient and calendar day, week and month.
async fn assert_usage_matches_awards(app: &TestApp, org: Uuid) {
    use chorus::{
        entities::{rule_award, rule_cap_usage},
        recognition::PeriodKind,
    };
    let mut expected = std::collections::BTreeMap::new();
    for award in rule_award::Entity::find()
        .filter(rule_award::Column::OrgId.eq(org))
        .filter(rule_award::Column::Points.gt(0))
        .all(app.db())
        .await
        .expect("awards")
    {
        for kind in [PeriodKind::Day, PeriodKind::Week, PeriodKind::Month] {
            *expected
                .entry((
                    award.rule_id,
                    kind.period(award.occurred_at).key,
                    award.recipient_id,
                ))
                .or_insert(0) += award.points;
        }
    }
    let stored: std::collections::BTreeMap<_, _> = rule_cap_usage::Entity::find()
        .filter(rule_cap_usage::Column::OrgId.eq(org))
        .all(app.db())
        .await
        .expect("usage")
        .into_iter()
        .map(|u| ((u.rule_id, u.period, u.recipient_id), u.points))
        .collect();
    assert!(!expected.is_empty(), "something was awarded");
    assert_eq!(stored, expected, "cap counters equal the awards");
}

/// A server killed in the middle of an evaluation (its batch transaction never commits) leaves
/// nothing half-written: once its lease has expired, the next run evaluates every event
/// exactly once, and awards exactly what an uninterrupted run awards for the same events.
async fn a_run_killed_mid_batch_awards_nothing_twice(app: TestApp) {
    use chorus::entities::{processor_lease, rule_award};
    use chrono::Duration;
    let base = chrono::Utc::now() - Duration::hours(30);
    let mut orgs = Vec::new();
    for (name, domain) in [("Killed", "killed.test"), ("Quiet", "quiet.test")] {
        let admin = app.org_admin(name, &format!("admin@{domain}")).await;
        let mut people = Vec::new();
        for i in 0..3 {
            people.push(
                app.person(admin.org_id, &format!("p{i}@{domain}"), &[], None)
                    .await
                    .user_id,
            );
        }
        let rule = ok(
            &app,
            &admin,
            "/api/v1/admin/rules",
            json!({ "name": "Engagement", "document": {
                "trigger": "engagement_reported",
                "award": { "mode": "per_unit", "points": 2, "ceiling": 30 },
                "caps": { "day": 400, "week": 700 },
            } }),
        )
        .await;
        ok(
            &app,
            &admin,
            &format!(
                "/api/v1/admin/rules/{}/activate",
                rule["id"].as_str().expect("id")
            ),
            json!({ "starts_at": base - Duration::hours(1) }),
        )
        .await;
        orgs.push((admin, people));
    }
    let emit_all = |org: Uuid, people: Vec<Uuid>| {
        let db = app.db().clone();
        async move {
            let txn = db.begin().await.expect("txn");
            for n in 0..600i64 {
                events::emit(
                    &txn,
                    NewEvent {
                        org_id: org,
                        kind: events::kind::ENGAGEMENT_REPORTED,
                        user_id: people[(n % 3) as usize],
                        team_id: None,
                        dedupe_key: format!("killed:{n}"),
                        units: 1 + (n * 5) % 11,
                        payload: json!({}),
                        // Written out of time order, as late reports are.
                        occurred_at: base + Duration::seconds((n * 7919) % 600 * 173),
                    },
                )
                .await
                .expect("emit");
            }
            txn.commit().await.expect("commit");
        }
    };
    let (killed, quiet) = (orgs[0].0.org_id, orgs[1].0.org_id);
    emit_all(killed, orgs[0].1.clone()).await;
    let reader = app.rules_reader().await;
    // The dead server's lease expires.
    let expire_leases = || async {
        processor_lease::Entity::update_many()
            .col_expr(
                processor_lease::Column::ExpiresAt,
                sea_orm::sea_query::Expr::value(chrono::Utc::now() - Duration::seconds(1)),
            )
            .exec(app.db())
            .await
            .expect("expire");
    };
    for wait_ms in [5u64, 40, 120] {
        let (db, reader) = (app.db().clone(), reader.clone());
        let run = tokio::spawn(async move {
            chorus::recognition::rules::process_batched(&db, &reader, 40).await
        });
        tokio::time::sleep(std::time::Duration::from_millis(wait_ms)).await;
        run.abort();
        let _ = run.await;
        expire_leases().await;
    }
    // A statement the aborted run had sent (renewing its lease, say) may still complete in the
    // database after that: expire once more, once it has.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    expire_leases().await;
    let rest = chorus::recognition::rules::process_batched(app.db(), &reader, 40)
        .await
        .expect("process");
    assert!(!rest.busy);
    emit_all(quiet, orgs[1].1.clone()).await;
    chorus::recognition::rules::process_batched(app.db(), &reader, 40)
        .await
        .expect("process");

    let mut outcomes = Vec::new();
    for (admin, people) in &orgs {
        let rows = rule_award::Entity::find()
            .filter(rule_award::Column::OrgId.eq(admin.org_id))
            .all(app.db())
            .await
            .expect("awards");
        assert_eq!(rows.len(), 600, "one award row per event");
        let mut outcome: Vec<_> = rows
            .into_iter()
            .map(|a| {
                (
                    a.occurred_at,
                    people
                        .iter()
                        .position(|p| *p == a.recipient_id)
                        .expect("person"),
                    a.points,
                    a.limited_by,
                )
            })
            .collect();
        outcome.sort();
        outcomes.push(outcome);
        assert_consistent(&app, admin).await;
        assert_usage_matches_awards(&app, admin.org_id).await;
    }
    assert_eq!(outcomes[0], outcomes[1], "the killed runs changed nothing");
    assert!(
        outcomes[0].iter().any(|o| o.3.is_some()),
        "caps limit some awards"
    );
}

/// The milestone events of a share, as (kind, units), in order.
async fn milestone_events(app: &TestApp) -> Vec<(String, i64)> {
    use chorus::entities::recognition_event;
    use sea_orm::QueryOrder;
    let mut found: Vec<(String, i64)> = recognition_event::Entity::find()
        .filter(recognition_event::Column::Kind.is_in([
            events::kind::HUMAN_CLICKS_REACHED,
            events::kind::UNIQUE_VISITORS_REACHED,
        ]))
        .order_by_asc(recognition_event::Column::Units)
        .all(app.db())
        .await
        .expect("events")
        .into_iter()
        .map(|e| (e.kind, e.units))
        .collect();
    found.sort();
    found
}

/// Clicks crossing milestones become one event per milestone and counter; the rules job
/// derives them on every run, and a run with nothing new crossed adds nothing.
async fn reach_milestones_become_events_once(app: TestApp) {
    let shared = crate::ops::shared_post(&app, json!({})).await;
    let follow = |n: std::ops::Range<usize>| {
        let (app, code) = (&app, shared.code.clone());
        async move {
            for i in n {
                let ua = format!("{} visitor/{i}", crate::advocacy::CHROME);
                let status = crate::advocacy::click(app, &code, &ua).await.status();
                assert_eq!(status, StatusCode::FOUND);
            }
            app.state.clicks.settle().await.expect("fold");
        }
    };
    follow(0..6).await;
    run_rules(&app).await;
    let both_at = |milestones: &[i64]| {
        let mut expected: Vec<(String, i64)> = milestones
            .iter()
            .flat_map(|m| {
                [
                    (events::kind::HUMAN_CLICKS_REACHED.to_owned(), *m),
                    (events::kind::UNIQUE_VISITORS_REACHED.to_owned(), *m),
                ]
            })
            .collect();
        expected.sort();
        expected
    };
    assert_eq!(milestone_events(&app).await, both_at(&[1, 5]));
    run_rules(&app).await;
    assert_eq!(
        milestone_events(&app).await,
        both_at(&[1, 5]),
        "a second run finds nothing new"
    );
    follow(6..10).await;
    run_rules(&app).await;
    assert_eq!(milestone_events(&app).await, both_at(&[1, 5, 10]));
}
