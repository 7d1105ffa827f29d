//! Leaderboards with consent: only opted-in people who show their rank ever appear; fair
//! ranking options (metric, caps, per-share score), team scopes, competition ranks for ties and
//! the caller's own rank outside the top N.

use chorus::{
    entities::{reach_daily, share},
    recognition::ledger::{self, Posting, kind, tx},
};
use chorus_tests::{Options, Session, TestApp, both};
use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, EntityTrait, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

both! {
    leaderboards_list_only_people_who_consent with Options::with(json!({ "jobs": { "rules": "off", "badges": "off" } })),
}

async fn ok(app: &TestApp, who: &Session, path: &str, body: Value) -> Value {
    let (status, value) = app.post(path, who.token(), body).await;
    assert!(status.is_success(), "POST {path}: {status} {value}");
    value
}

/// Points from a rule award, written through the ledger.
async fn award(app: &TestApp, who: &Session, points: i64) {
    let txn = app.db().begin().await.expect("txn");
    let issuance = ledger::org_account(&txn, who.org_id, kind::ISSUANCE)
        .await
        .expect("issuance");
    let earned = ledger::account(&txn, who.org_id, kind::EARNED, who.user_id, "")
        .await
        .expect("earned");
    ledger::post(
        &txn,
        Posting::transfer(
            who.org_id,
            tx::RULE_AWARD,
            format!("test:{}", Uuid::now_v7()),
            issuance.id,
            earned.id,
            points,
        ),
    )
    .await
    .expect("award");
    txn.commit().await.expect("commit");
}

/// A share by `who` with `clicks` human clicks today in the reach rollup.
async fn share_with_clicks(app: &TestApp, who: &Session, post: &Value, clicks: i64) {
    let created = ok(
        app,
        who,
        "/api/v1/shares",
        json!({ "post_id": post["id"], "network": "linkedin" }),
    )
    .await;
    let id: Uuid = created["share"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let s = share::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("share");
    reach_daily::Entity::insert(reach_daily::ActiveModel {
        org_id: Set(s.org_id),
        share_id: Set(s.id),
        day: Set(chorus::advocacy::day_of(chrono::Utc::now())),
        post_id: Set(s.post_id),
        campaign_id: Set(None),
        team_id: Set(s.team_id),
        user_id: Set(s.user_id),
        network: Set(s.network),
        human_clicks: Set(clicks),
        bot_hits: Set(0),
        self_clicks: Set(0),
        unique_visitors: Set(clicks),
    })
    .exec_without_returning(app.db())
    .await
    .expect("rollup");
}

fn names(board: &Value) -> Vec<(String, u64)> {
    board["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["display_name"].as_str().expect("name").to_owned(),
                e["rank"].as_u64().expect("rank"),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter()
        .map(|(n, r)| (format!("{n}@acme.test"), *r))
        .collect()
}

async fn leaderboards_list_only_people_who_consent(app: TestApp) {
    use chorus::auth::Role;
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let max = app
        .person(org, "max@acme.test", &[Role::Manager], None)
        .await;
    let sales = app.team(org, "Sales", None, &[max.user_id]).await;
    let east = app.team(org, "Sales East", Some(sales), &[]).await;
    let ada = app.person(org, "ada@acme.test", &[], Some(sales)).await;
    let bob = app.person(org, "bob@acme.test", &[], Some(east)).await;
    let cy = app.person(org, "cy@acme.test", &[], Some(sales)).await;
    let dan = app.person(org, "dan@acme.test", &[], Some(sales)).await;
    let eve = app.person(org, "eve@acme.test", &[], None).await;
    // Zed never opted in; Yan opted in but does not show a rank.
    let zed = app.person(org, "zed@acme.test", &[], Some(sales)).await;
    let yan = app.person(org, "yan@acme.test", &[], Some(sales)).await;
    let other = app.org_admin("Globex", "admin@globex.test").await;
    let elsewhere = app.team(other.org_id, "Globex team", None, &[]).await;

    for who in [&ada, &bob, &cy, &dan, &eve, &yan] {
        ok(
            &app,
            who,
            "/api/v1/me/advocacy/opt-in",
            json!({ "terms_version": "2026-11", "show_in_leaderboard": who.user_id != yan.user_id }),
        )
        .await;
    }
    for (who, points) in [
        (&ada, 100),
        (&bob, 50),
        (&cy, 50),
        (&dan, 10),
        (&eve, 200),
        (&zed, 1000),
        (&yan, 900),
    ] {
        award(&app, who, points).await;
    }

    // Points over the organisation: ties share a rank; Zed and Yan never appear.
    let (status, board) = app
        .get("/api/v1/recognition/leaderboard", ada.token())
        .await;
    assert_eq!(status, StatusCode::OK, "{board}");
    assert_eq!(
        names(&board),
        pairs(&[("eve", 1), ("ada", 2), ("bob", 3), ("cy", 3), ("dan", 5)])
    );
    assert_eq!(board["ranked"], 5);
    assert_eq!(board["me_ranked"], true);
    assert_eq!(board["me"]["rank"], 2);
    assert_eq!(board["entries"][0]["score"], 200.0);

    // The caller's rank outside the top N.
    let (_, top2) = app
        .get("/api/v1/recognition/leaderboard?limit=2", dan.token())
        .await;
    assert_eq!(names(&top2), pairs(&[("eve", 1), ("ada", 2)]));
    assert_eq!(top2["me"]["rank"], 5);
    assert_eq!(top2["me"]["display_name"], "dan@acme.test");

    // People who do not show their rank see the board but no rank of their own.
    for who in [&yan, &zed] {
        let (status, board) = app
            .get("/api/v1/recognition/leaderboard", who.token())
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(board["me_ranked"], false);
        assert_eq!(board["me"], Value::Null);
        assert_eq!(board["ranked"], 5);
    }

    // Withdrawing takes effect at once.
    let (status, _) = app
        .patch(
            "/api/v1/me/advocacy",
            eve.token(),
            json!({ "show_in_leaderboard": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, board) = app
        .get("/api/v1/recognition/leaderboard", ada.token())
        .await;
    assert_eq!(
        names(&board),
        pairs(&[("ada", 1), ("bob", 2), ("cy", 2), ("dan", 4)])
    );

    // Team scope (with sub-teams): managers of it, members and administrators.
    let path = format!("/api/v1/recognition/leaderboard?scope=team&team_id={sales}");
    for who in [&max, &ada, &admin] {
        let (status, board) = app.get(&path, who.token()).await;
        assert_eq!(status, StatusCode::OK, "{board}");
        assert_eq!(
            names(&board),
            pairs(&[("ada", 1), ("bob", 2), ("cy", 2), ("dan", 4)])
        );
    }
    let (status, _) = app.get(&path, eve.token()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not a member or manager");
    let (status, board) = app
        .get(
            &format!("/api/v1/recognition/leaderboard?scope=team&team_id={east}"),
            bob.token(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&board), pairs(&[("bob", 1)]));
    let (status, _) = app
        .get(
            &format!("/api/v1/recognition/leaderboard?scope=team&team_id={elsewhere}"),
            admin.token(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organisation's team");
    let (status, board) = app
        .get(
            "/api/v1/recognition/leaderboard?scope=managed_teams",
            max.token(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(board["ranked"], 4);
    let (status, _) = app
        .get(
            "/api/v1/recognition/leaderboard?scope=managed_teams",
            ada.token(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Bad options are refused with the field named.
    for (query, field) in [
        ("metric=karma", None),
        ("limit=0", Some("limit")),
        ("cap=0", Some("cap")),
        ("days=0", Some("days")),
        ("scope=team", Some("team_id")),
        ("format=xml", Some("format")),
    ] {
        let (status, problem) = app
            .get(
                &format!("/api/v1/recognition/leaderboard?{query}"),
                ada.token(),
            )
            .await;
        assert!(status.is_client_error(), "{query}: {status}");
        if let Some(field) = field {
            assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
        }
    }

    // Click metrics with a per-share cap and the per-share score.
    let post = ok(
        &app,
        &admin,
        "/api/v1/posts",
        json!({ "title": "Launch", "url": "https://news.example.com/launch", "status": "published" }),
    )
    .await;
    share_with_clicks(&app, &ada, &post, 100).await;
    share_with_clicks(&app, &ada, &post, 0).await;
    share_with_clicks(&app, &bob, &post, 30).await;
    share_with_clicks(&app, &yan, &post, 5000).await;
    let get = |query: &'static str| {
        let app = app.clone();
        let token = ada.access.clone();
        async move {
            let (status, board) = app
                .get(
                    &format!("/api/v1/recognition/leaderboard?{query}"),
                    Some(&token),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{board}");
            board
        }
    };
    let board = get("metric=human_clicks&limit=2").await;
    assert_eq!(names(&board), pairs(&[("ada", 1), ("bob", 2)]));
    let board = get("metric=human_clicks&cap=20&limit=2").await;
    assert_eq!(
        names(&board),
        pairs(&[("ada", 1), ("bob", 1)]),
        "capped per share: 20 + 0 and 20"
    );
    let board = get("metric=clicks_per_share").await;
    assert_eq!(names(&board), pairs(&[("ada", 1), ("bob", 2)]));
    assert_eq!(board["entries"][0]["score"], 50.0);
    let board = get("metric=clicks_per_share&cap=20").await;
    assert_eq!(names(&board), pairs(&[("bob", 1), ("ada", 2)]));
    let board = get("metric=clicks_per_share&min_shares=2").await;
    assert_eq!(names(&board), pairs(&[("ada", 1)]));
    let board = get("metric=shares&limit=1").await;
    assert_eq!(names(&board), pairs(&[("ada", 1)]));
    assert_eq!(board["me"]["shares"], 2);

    // CSV of the same rows, without anyone who does not show a rank.
    let response = app
        .client
        .get(app.url("/api/v1/recognition/leaderboard?format=csv"))
        .bearer_auth(&ada.access)
        .send()
        .await
        .expect("csv");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    let body = response.text().await.expect("body");
    assert!(
        body.starts_with("rank,user_id,display_name,score"),
        "{body}"
    );
    assert_eq!(body.lines().count(), 5, "{body}");
    for absent in ["zed@", "yan@", "eve@"] {
        assert!(!body.contains(absent), "{absent} in {body}");
    }
}
