//! Advocacy end to end: content and feed, consent, sharing, the tracked redirect and its
//! counting, integrations, and k-anonymous team dashboards.

use chorus::{advocacy::integrations::sign, auth::Role};
use chorus_tests::{Options, Session, TestApp, both};
use reqwest::StatusCode;
use std::collections::BTreeMap;

use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) const FIREFOX: &str =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:132.0) Gecko/20100101 Firefox/132.0";
pub(crate) const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

fn no_cache() -> Options {
    Options::with(json!({ "advocacy": { "link_cache_secs": 0, "k_anonymity": 1 } }))
}

both! {
    content_lifecycle_and_feed,
    consent_gates_sharing,
    redirect_counts_humans_bots_and_self with no_cache(),
    concurrent_redirects_are_all_stored,
    integrations_report_engagement,
    team_dashboard_is_k_anonymous,
    dashboards_equal_raw_clicks_in_any_window with Options::with(json!({ "advocacy": { "k_anonymity": 1 } })),
    team_counters_equal_raw_clicks with Options::with(json!({ "advocacy": { "k_anonymity": 1 } })),
    dashboards_are_current_after_clicks_shares_and_reports with Options::with(json!({ "advocacy": { "k_anonymity": 1 } })),
}

pub(crate) async fn post_json(app: &TestApp, who: &Session, path: &str, body: Value) -> Value {
    let (status, value) = app.post(path, who.token(), body).await;
    assert!(status.is_success(), "POST {path}: {status} {value}");
    value
}

/// Archives a post as `editor`: its tracked links stop answering.
pub(crate) async fn archive(app: &TestApp, editor: &Session, post_id: &str) -> Value {
    post_json(
        app,
        editor,
        &format!("/api/v1/posts/{post_id}/archive"),
        json!({}),
    )
    .await
}

pub(crate) async fn publish(app: &TestApp, editor: &Session, title: &str, extra: Value) -> String {
    let mut body = json!({
        "title": title,
        "url": "https://news.example.com/launch?ref=home",
        "summary": "We launched.",
        "suggested_texts": { "linkedin": "Proud of the team: we just launched our new analytics platform today!" },
        "status": "published",
    });
    if let (Some(target), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    post_json(app, editor, "/api/v1/posts", body).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

pub(crate) async fn opt_in(app: &TestApp, who: &Session, leaderboard: bool) {
    post_json(
        app,
        who,
        "/api/v1/me/advocacy/opt-in",
        json!({ "terms_version": "2026-11", "show_in_leaderboard": leaderboard }),
    )
    .await;
}

pub(crate) async fn share(
    app: &TestApp,
    who: &Session,
    post_id: &str,
    network: &str,
    user_agent: &str,
) -> Value {
    let response = app
        .client
        .post(app.url("/api/v1/shares"))
        .bearer_auth(&who.access)
        .header("user-agent", user_agent)
        .json(&json!({ "post_id": post_id, "network": network }))
        .send()
        .await
        .expect("share");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

pub(crate) async fn click(app: &TestApp, code: &str, user_agent: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/r/{code}")))
        .header("user-agent", user_agent)
        .send()
        .await
        .expect("click")
}

async fn content_lifecycle_and_feed(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let sales = app.team(org, "Sales", None, &[]).await;
    let emea = app.team(org, "Sales EMEA", Some(sales), &[]).await;
    let support = app.team(org, "Support", None, &[]).await;
    let editor = app
        .person(org, "editor@acme.test", &[Role::Editor], None)
        .await;
    let seller = app.person(org, "seller@acme.test", &[], Some(emea)).await;
    let helper = app
        .person(org, "helper@acme.test", &[], Some(support))
        .await;

    let (status, problem) = app
        .post(
            "/api/v1/posts",
            editor.token(),
            json!({ "title": "Evil", "url": "javascript:alert(1)" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "url");
    let (status, _) = app
        .post(
            "/api/v1/posts",
            seller.token(),
            json!({ "title": "Mine", "url": "https://x.test" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "employees do not manage content"
    );

    let campaign = post_json(&app, &editor, "/api/v1/campaigns", json!({ "name": "Autumn Launch", "starts_at": "2026-11-01T00:00:00Z", "goal_human_clicks": 1000 })).await;
    assert_eq!(campaign["slug"], "autumn-launch");
    let everyone = publish(
        &app,
        &editor,
        "For everyone",
        json!({ "campaign_id": campaign["id"] }),
    )
    .await;
    let for_sales = publish(
        &app,
        &editor,
        "For sales",
        json!({ "target_team_ids": [sales] }),
    )
    .await;
    let draft = post_json(
        &app,
        &editor,
        "/api/v1/posts",
        json!({ "title": "Draft", "url": "https://x.test/d" }),
    )
    .await;
    assert_eq!(draft["status"], "draft");

    let titles = |feed: Value| -> Vec<String> {
        feed["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| p["title"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let (_, feed) = app.get("/api/v1/feed", seller.token()).await;
    assert_eq!(
        titles(feed),
        vec!["For sales", "For everyone"],
        "a sub-team sees posts aimed at its parent"
    );
    let (_, feed) = app.get("/api/v1/feed", helper.token()).await;
    assert_eq!(titles(feed), vec!["For everyone"]);
    assert_eq!(
        app.get(&format!("/api/v1/posts/{for_sales}"), helper.token())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/posts/{}", draft["id"].as_str().expect("id")),
            seller.token()
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    // Scheduling: the publish job puts a due post live.
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let scheduled = post_json(&app, &editor, "/api/v1/posts", json!({ "title": "Later", "url": "https://x.test/l", "status": "scheduled", "publish_at": soon })).await;
    assert_eq!(scheduled["status"], "scheduled");
    app.eventually(10, "the scheduled post to go live", || async {
        chorus::jobs::run_now(&app.state, "publish").await;
        let (_, feed) = app.get("/api/v1/feed", helper.token()).await;
        titles(feed).contains(&"Later".to_owned()).then_some(())
    })
    .await;

    // Archiving removes a post from the feed; archived posts cannot be edited.
    let (status, archived) = app
        .post(
            &format!("/api/v1/posts/{everyone}/archive"),
            editor.token(),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, archived["status"].as_str()),
        (StatusCode::OK, Some("archived"))
    );
    let (_, feed) = app.get("/api/v1/feed", helper.token()).await;
    assert!(!titles(feed).contains(&"For everyone".to_owned()));
    let (status, problem) = app
        .patch(
            &format!("/api/v1/posts/{everyone}"),
            editor.token(),
            json!({ "title": "Again" }),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("post_archived"))
    );

    // Suggestions: an employee suggests, an editor approves into a draft.
    let suggestion = post_json(
        &app,
        &seller,
        "/api/v1/suggestions",
        json!({ "title": "Our podcast", "url": "https://pod.example.com/1" }),
    )
    .await;
    let sid = suggestion["id"].as_str().expect("id");
    assert_eq!(
        app.post(
            &format!("/api/v1/suggestions/{sid}/approve"),
            seller.token(),
            json!({})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let approved = post_json(
        &app,
        &editor,
        &format!("/api/v1/suggestions/{sid}/approve"),
        json!({ "note": "Great find" }),
    )
    .await;
    assert_eq!(approved["status"], "approved");
    let (_, post) = app
        .get(
            &format!(
                "/api/v1/posts/{}",
                approved["post_id"].as_str().expect("post")
            ),
            editor.token(),
        )
        .await;
    assert_eq!(post["status"], "draft");
    let (status, _) = app
        .post(
            &format!("/api/v1/suggestions/{sid}/reject"),
            editor.token(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Another organisation's ids are not found.
    let other = app.org_admin("Globex", "admin@globex.test").await;
    assert_eq!(
        app.get(&format!("/api/v1/posts/{for_sales}"), other.token())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/posts/{for_sales}/archive"),
            other.token(),
            json!({})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/campaigns/{}", campaign["id"].as_str().expect("id")),
            other.token()
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
}

async fn consent_gates_sharing(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let editor = app
        .person(admin.org_id, "editor@acme.test", &[Role::Editor], None)
        .await;
    let pat = app.person(admin.org_id, "pat@acme.test", &[], None).await;
    let post_id = publish(&app, &editor, "News", json!({})).await;

    let (status, problem) = app
        .post(
            "/api/v1/shares",
            pat.token(),
            json!({ "post_id": post_id, "network": "linkedin" }),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_opted_in"))
    );
    let (status, problem) = app
        .post(
            "/api/v1/me/advocacy/opt-in",
            pat.token(),
            json!({ "terms_version": "1999" }),
        )
        .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("terms_version"))
    );
    opt_in(&app, &pat, false).await;

    let (status, profile) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/networks/linkedin",
            pat.token(),
            Some(json!({ "handle": "pat", "audience_size": 1200 })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(profile["source"], "self_reported");
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/networks/myspace",
            pat.token(),
            Some(json!({ "handle": "pat", "audience_size": 1 })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "unknown networks are not routes"
    );
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/networks/x",
            pat.token(),
            Some(json!({ "handle": "pat", "audience_size": -5 })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let created = share(&app, &pat, &post_id, "linkedin", FIREFOX).await;
    let s = &created["share"];
    assert_eq!(s["audience_size"], 1200);
    assert_eq!(s["status"], "intended");
    let code = s["code"].as_str().expect("code");
    assert_eq!(code.len(), 12);
    assert!(
        s["tracked_url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/r/{code}")))
    );
    assert!(created["intent_url"].as_str().is_some_and(|u| {
        u.starts_with("https://www.linkedin.com/sharing/share-offsite/") && u.contains(code)
    }));
    let (_, x) = app
        .post(
            "/api/v1/shares",
            pat.token(),
            json!({ "post_id": post_id, "network": "x", "text": "My own take on this launch" }),
        )
        .await;
    assert!(
        x["intent_url"]
            .as_str()
            .is_some_and(|u| u.contains("text=My+own+take")),
        "{x}"
    );
    assert_eq!(x["share"]["personalised"], true);
    assert!(
        x["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w["code"] == "network_not_linked"))
    );

    let id = s["id"].as_str().expect("id");
    let (status, _) = app
        .post(
            &format!("/api/v1/shares/{id}/published"),
            pat.token(),
            json!({ "public_url": "javascript:alert(1)" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let published = post_json(
        &app,
        &pat,
        &format!("/api/v1/shares/{id}/published"),
        json!({ "public_url": "https://www.linkedin.com/feed/update/123" }),
    )
    .await;
    assert_eq!(published["status"], "published");
    let (status, _) = app
        .post(
            &format!("/api/v1/shares/{id}/engagement"),
            pat.token(),
            json!({ "reactions": "many" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .post(
            &format!("/api/v1/shares/{id}/engagement"),
            pat.token(),
            json!({ "reactions": -1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let reported = post_json(
        &app,
        &pat,
        &format!("/api/v1/shares/{id}/engagement"),
        json!({ "impressions": 900, "reactions": 12, "comments": 3, "reshares": 1 }),
    )
    .await;
    assert_eq!(
        (
            reported["reactions"].as_i64(),
            reported["engagement_source"].as_str()
        ),
        (Some(12), Some("employee"))
    );

    // Someone else's share is not theirs to change.
    let sam = app.person(admin.org_id, "sam@acme.test", &[], None).await;
    opt_in(&app, &sam, false).await;
    assert_eq!(
        app.post(
            &format!("/api/v1/shares/{id}/engagement"),
            sam.token(),
            json!({ "reactions": 1 })
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    // Opting out takes effect at once and is kept in the history.
    let (_, consent) = app
        .post("/api/v1/me/advocacy/opt-out", pat.token(), json!({}))
        .await;
    assert_eq!(consent["opted_in"], false);
    assert_eq!(consent["history"].as_array().map(Vec::len), Some(2));
    let (status, _) = app
        .post(
            "/api/v1/shares",
            pat.token(),
            json!({ "post_id": post_id, "network": "linkedin" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

pub(crate) async fn clicks_stored(app: &TestApp) -> i64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    app.state.clicks.settle().await.expect("fold");
    chorus::entities::click::Entity::find()
        .count(app.db())
        .await
        .expect("count") as i64
}

async fn redirect_counts_humans_bots_and_self(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let editor = app
        .person(admin.org_id, "editor@acme.test", &[Role::Editor], None)
        .await;
    let pat = app.person(admin.org_id, "pat@acme.test", &[], None).await;
    opt_in(&app, &pat, false).await;
    let campaign = post_json(
        &app,
        &editor,
        "/api/v1/campaigns",
        json!({ "name": "Launch", "starts_at": "2026-11-01T00:00:00Z" }),
    )
    .await;
    let post_id = publish(
        &app,
        &editor,
        "News",
        json!({ "campaign_id": campaign["id"] }),
    )
    .await;
    let created = share(&app, &pat, &post_id, "linkedin", FIREFOX).await;
    let code = created["share"]["code"].as_str().expect("code").to_owned();

    let response = click(&app, &code, CHROME).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let location =
        url::Url::parse(response.headers()["location"].to_str().expect("location")).expect("url");
    assert_eq!(location.host_str(), Some("news.example.com"));
    let query: std::collections::BTreeMap<String, String> =
        location.query_pairs().into_owned().collect();
    assert_eq!(
        query.get("ref").map(String::as_str),
        Some("home"),
        "the destination's own parameters stay"
    );
    assert_eq!(
        query.get("utm_source").map(String::as_str),
        Some("linkedin")
    );
    assert_eq!(
        query.get("utm_medium").map(String::as_str),
        Some("employee_advocacy")
    );
    assert_eq!(
        query.get("utm_campaign").map(String::as_str),
        Some("launch")
    );

    assert_eq!(click(&app, &code, CHROME).await.status(), StatusCode::FOUND);
    for bot in [
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "curl/8.4.0",
        "Slackbot-LinkExpanding 1.0",
    ] {
        assert_eq!(
            click(&app, &code, bot).await.status(),
            StatusCode::FOUND,
            "previews are answered too"
        );
    }
    assert_eq!(
        click(&app, &code, FIREFOX).await.status(),
        StatusCode::FOUND,
        "the sharer's own click"
    );
    assert_eq!(
        clicks_stored(&app).await,
        6,
        "every answered redirect is stored"
    );

    let response = click(&app, "NoSuchCode123", CHROME).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/html")
    );
    assert_eq!(
        click(&app, "../../etc", CHROME).await.status(),
        StatusCode::NOT_FOUND
    );

    let (_, impact) = app.get("/api/v1/reach/me", pat.token()).await;
    let totals = &impact["totals"];
    assert_eq!(totals["human_clicks"], 2, "{impact}");
    assert_eq!(totals["unique_visitors"], 1);
    assert_eq!(totals["bot_hits"], 3);
    assert_eq!(totals["shares"], 1);
    assert_eq!(
        impact["definitions"]["potential_reach"]["tier"],
        "potential"
    );

    // EMV uses measured clicks at the admin's rates.
    let (status, _) = app.post("/api/v1/emv-settings", admin.token(), json!({ "network": "linkedin", "cpc": 1.5, "cpm": 10.0, "currency": "eur", "effective_from": "2026-01-01T00:00:00Z" })).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, impact) = app.get("/api/v1/reach/me", pat.token()).await;
    assert_eq!(impact["totals"]["emv"]["EUR"], 3.0);
    // A new rate from today applies to today's clicks, in every view.
    let (status, _) = app
        .post(
            "/api/v1/emv-settings",
            admin.token(),
            json!({ "network": "linkedin", "cpc": 10.0, "cpm": 10.0, "currency": "EUR" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, impact) = app.get("/api/v1/reach/me", pat.token()).await;
    assert_eq!(impact["totals"]["emv"]["EUR"], 20.0, "{impact}");
    let (_, dash) = app.get("/api/v1/reach/teams", admin.token()).await;
    assert_eq!(dash["top_posts"][0]["emv"]["EUR"], 20.0, "{dash}");
    assert_eq!(dash["top_posts"][0]["human_clicks"], 2);

    // Archiving the post stops the link.
    archive(&app, &editor, &post_id).await;
    assert_eq!(
        click(&app, &code, CHROME).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(clicks_stored(&app).await, 6);
}

async fn concurrent_redirects_are_all_stored(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let editor = app
        .person(admin.org_id, "editor@acme.test", &[Role::Editor], None)
        .await;
    let pat = app.person(admin.org_id, "pat@acme.test", &[], None).await;
    opt_in(&app, &pat, false).await;
    let post_id = publish(&app, &editor, "News", json!({})).await;
    let mut codes = Vec::new();
    for network in ["linkedin", "x", "facebook", "bluesky"] {
        codes.push(
            share(&app, &pat, &post_id, network, FIREFOX).await["share"]["code"]
                .as_str()
                .expect("code")
                .to_owned(),
        );
    }
    let requests = (0..200).map(|i| {
        let app = app.clone();
        let code = codes[i % codes.len()].clone();
        async move {
            click(&app, &code, &format!("{CHROME} visitor/{i}"))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::FOUND));
    assert_eq!(clicks_stored(&app).await, 200);
    let (_, impact) = app.get("/api/v1/reach/me", pat.token()).await;
    assert_eq!(impact["totals"]["human_clicks"], 200);
    assert_eq!(impact["totals"]["unique_visitors"], 200);
    let by_network = impact["by_network"].as_array().expect("rows");
    assert_eq!(
        by_network
            .iter()
            .map(|r| r["human_clicks"].as_i64().unwrap_or(0))
            .sum::<i64>(),
        200
    );
}

async fn integrations_report_engagement(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let editor = app
        .person(admin.org_id, "editor@acme.test", &[Role::Editor], None)
        .await;
    let pat = app.person(admin.org_id, "pat@acme.test", &[], None).await;
    opt_in(&app, &pat, false).await;
    let post_id = publish(&app, &editor, "News", json!({})).await;
    let code = share(&app, &pat, &post_id, "linkedin", FIREFOX).await["share"]["code"]
        .as_str()
        .expect("code")
        .to_owned();

    assert_eq!(
        app.post(
            "/api/v1/integrations",
            pat.token(),
            json!({ "name": "LinkedIn sync" })
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let created = post_json(
        &app,
        &admin,
        "/api/v1/integrations",
        json!({ "name": "LinkedIn sync" }),
    )
    .await;
    let token = created["token"].as_str().expect("token").to_owned();
    let secret = created["signing_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let id = created["integration"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let report =
        json!({ "code": code, "impressions": 5000, "reactions": 40, "comments": 6, "reshares": 2 });
    let (status, shared) = app
        .post(
            "/api/v1/integrations/engagement",
            Some(&token),
            report.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{shared}");
    assert_eq!(shared["engagement_source"], "integration:LinkedIn sync");
    assert_eq!(
        app.post(
            "/api/v1/integrations/engagement",
            Some("chi_forged"),
            report.clone()
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post(
            "/api/v1/integrations/engagement",
            pat.token(),
            report.clone()
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app
        .post(
            "/api/v1/integrations/engagement",
            Some(&token),
            json!({ "code": code, "impressions": "lots" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Integration numbers outrank the employee's own.
    let sid = shared["id"].as_str().expect("id");
    let mine = post_json(
        &app,
        &pat,
        &format!("/api/v1/shares/{sid}/engagement"),
        json!({ "reactions": 1 }),
    )
    .await;
    assert_eq!(mine["reactions"], 40);

    let webhook = |body: String, timestamp: i64, signature: String| {
        let app = app.clone();
        let id = id.clone();
        async move {
            app.client
                .post(app.url(&format!("/api/v1/webhooks/engagement/{id}")))
                .header("content-type", "application/json")
                .header("x-chorus-timestamp", timestamp.to_string())
                .header("x-chorus-signature", signature)
                .body(body)
                .send()
                .await
                .expect("webhook")
                .status()
        }
    };
    let now = chrono::Utc::now().timestamp();
    let body = json!({ "code": code, "impressions": 7000, "reactions": 50 }).to_string();
    assert_eq!(
        webhook(body.clone(), now, sign(&secret, now, body.as_bytes())).await,
        StatusCode::OK
    );
    assert_eq!(
        webhook(body.clone(), now, sign(&secret, now, body.as_bytes())).await,
        StatusCode::CONFLICT,
        "replays are refused"
    );
    assert_eq!(
        webhook(
            body.clone(),
            now,
            sign("wrong-secret", now, body.as_bytes())
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
    let tampered = body.replace("7000", "9999999");
    assert_eq!(
        webhook(tampered, now, sign(&secret, now, body.as_bytes())).await,
        StatusCode::UNAUTHORIZED
    );
    let stale = now - 3600;
    assert_eq!(
        webhook(body.clone(), stale, sign(&secret, stale, body.as_bytes())).await,
        StatusCode::UNAUTHORIZED
    );
    let (_, mine) = app.get("/api/v1/me/shares", pat.token()).await;
    assert_eq!(mine["items"][0]["impressions"], 7000);

    // Another organisation's share code is not found through this integration.
    let other_admin = app.org_admin("Globex", "admin@globex.test").await;
    let other = post_json(
        &app,
        &other_admin,
        "/api/v1/integrations",
        json!({ "name": "Spy" }),
    )
    .await;
    let (status, _) = app
        .post(
            "/api/v1/integrations/engagement",
            other["token"].as_str(),
            report,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Revoked tokens stop working.
    assert_eq!(
        app.delete(&format!("/api/v1/integrations/{id}"), admin.token())
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (status, _) = app
        .post(
            "/api/v1/integrations/engagement",
            Some(&token),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn team_dashboard_is_k_anonymous(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let editor = app
        .person(org, "editor@acme.test", &[Role::Editor], None)
        .await;
    let boss = app.person(org, "boss@acme.test", &[], None).await;
    let rival = app.person(org, "rival@acme.test", &[], None).await;
    let sales = app.team(org, "Sales", None, &[boss.user_id]).await;
    let emea = app.team(org, "EMEA", Some(sales), &[]).await;
    let apac = app.team(org, "APAC", Some(sales), &[]).await;
    let support = app.team(org, "Support", None, &[rival.user_id]).await;
    let post_id = publish(&app, &editor, "News", json!({})).await;

    let mut people: Vec<Session> = Vec::new();
    for i in 0..6 {
        let p = app
            .person(org, &format!("emea{i}@acme.test"), &[], Some(emea))
            .await;
        opt_in(&app, &p, i < 5).await;
        people.push(p);
    }
    for i in 0..2 {
        let p = app
            .person(org, &format!("apac{i}@acme.test"), &[], Some(apac))
            .await;
        opt_in(&app, &p, true).await;
        people.push(p);
    }
    let _bystander = app.person(org, "quiet@acme.test", &[], Some(emea)).await;
    for (i, p) in people.iter().enumerate() {
        let code = share(&app, p, &post_id, "linkedin", FIREFOX).await["share"]["code"]
            .as_str()
            .expect("code")
            .to_owned();
        for j in 0..=i {
            assert_eq!(
                click(&app, &code, &format!("{CHROME} v{i}-{j}"))
                    .await
                    .status(),
                StatusCode::FOUND
            );
        }
    }

    let (status, dash) = app.get("/api/v1/reach/teams", boss.token()).await;
    assert_eq!(status, StatusCode::OK, "{dash}");
    assert_eq!(dash["totals"]["human_clicks"], 36);
    assert_eq!(dash["totals"]["shares"], 8);
    let participation = &dash["participation"];
    assert_eq!(
        (
            participation["members"].as_i64(),
            participation["opted_in"].as_i64(),
            participation["active_advocates"].as_i64()
        ),
        (Some(9), Some(8), Some(8))
    );
    let teams: Vec<&str> = dash["by_team"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["label"].as_str())
        .collect();
    assert_eq!(
        teams,
        vec!["EMEA"],
        "APAC has 2 sharers (< 5): folded, and an `other` of 2 is not shown"
    );
    let board = dash["leaderboard"].as_array().expect("board");
    assert_eq!(board.len(), 7, "only people who chose to be ranked appear");
    assert!(
        board
            .iter()
            .all(|e| e["user_id"] != people[5].user_id.to_string())
    );
    assert_eq!(board[0]["human_clicks"], 8);
    assert_eq!(dash["definitions"]["human_clicks"]["tier"], "measured");

    // Narrowing to APAC leaves fewer than k people: no per-person rows at all.
    let (_, apac_view) = app
        .get(&format!("/api/v1/reach/teams?team_id={apac}"), boss.token())
        .await;
    assert_eq!(apac_view["leaderboard"].as_array().map(Vec::len), Some(0));
    assert_eq!(apac_view["top_posts"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        apac_view["suppressed"], true,
        "two people are fewer than k: no figures at all"
    );
    assert_eq!(apac_view["totals"]["human_clicks"], 0);
    assert_eq!(apac_view["participation"]["opted_in"], 0);
    let (_, apac_series) = app
        .get(
            &format!("/api/v1/reach/series?team_id={apac}"),
            boss.token(),
        )
        .await;
    assert_eq!(
        (
            apac_series["suppressed"].as_bool(),
            apac_series["days"].as_array().map(Vec::len)
        ),
        (Some(true), Some(0)),
        "the series is as k-anonymous as the dashboard"
    );
    let (_, emea_series) = app
        .get(
            &format!("/api/v1/reach/series?team_id={emea}"),
            boss.token(),
        )
        .await;
    let emea_clicks: i64 = emea_series["days"]
        .as_array()
        .expect("days")
        .iter()
        .filter_map(|p| p["human_clicks"].as_i64())
        .sum();
    assert_eq!(emea_clicks, 21);
    let (_, emea_view) = app
        .get(&format!("/api/v1/reach/teams?team_id={emea}"), boss.token())
        .await;
    assert_eq!(
        (
            emea_view["suppressed"].as_bool(),
            emea_view["totals"]["human_clicks"].as_i64()
        ),
        (Some(false), Some(21))
    );

    // Managers see only their subtree; employees see none.
    assert_eq!(
        app.get(
            &format!("/api/v1/reach/teams?team_id={sales}"),
            rival.token()
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (_, rival_view) = app.get("/api/v1/reach/teams", rival.token()).await;
    assert_eq!(rival_view["team_ids"], json!([support]));
    assert_eq!(
        (
            rival_view["suppressed"].as_bool(),
            rival_view["totals"]["human_clicks"].as_i64()
        ),
        (Some(true), Some(0))
    );
    assert_eq!(
        app.get("/api/v1/reach/teams", people[0].token()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/reach/teams?team_id={}", Uuid::new_v4()),
            boss.token()
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/reach/teams?from=2026-13-01", boss.token())
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get(
            "/api/v1/reach/teams?from=2020-01-01&to=2026-01-01",
            boss.token()
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get("/api/v1/reach/programme", boss.token()).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, programme) = app.get("/api/v1/reach/programme", admin.token()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(programme["totals"]["human_clicks"], 36);

    // CSV export of every table.
    let response = app
        .client
        .get(app.url("/api/v1/reach/export?view=teams&table=by_team"))
        .bearer_auth(&boss.access)
        .send()
        .await
        .expect("csv");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let text = response.text().await.expect("text");
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("key,label,shares,potential_reach,human_clicks"))
    );
    assert!(lines.next().is_some_and(|l| l.contains("EMEA")));
    for table in [
        "by_day",
        "by_network",
        "by_campaign",
        "by_post",
        "leaderboard",
    ] {
        assert_eq!(
            app.get(
                &format!("/api/v1/reach/export?view=teams&table={table}"),
                boss.token()
            )
            .await
            .0,
            StatusCode::OK,
            "{table}"
        );
    }
    assert_eq!(
        app.get(
            "/api/v1/reach/export?view=teams&table=secrets",
            boss.token()
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get(
            "/api/v1/reach/export?view=programme&table=trend",
            boss.token()
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
}

/// Clicks spread over three weeks (written through the click writer with past times) and an
/// EMV rate that changes mid-way: for windows that cut through shares' click spans, every view
/// (organisation, team, person) must equal what the raw clicks say, day by day and priced at
/// each day's rate.
async fn dashboards_equal_raw_clicks_in_any_window(app: TestApp) {
    use chorus::{
        advocacy::{
            classify::ClickClass,
            recorder::{NewClick, write_batch},
        },
        entities::{click, emv_setting, share as share_entity},
    };
    use chrono::{Duration, NaiveDate, Utc};
    use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let editor = app
        .person(org, "editor@acme.test", &[Role::Editor], None)
        .await;
    let boss = app.person(org, "boss@acme.test", &[], None).await;
    let sales = app.team(org, "Sales", None, &[boss.user_id]).await;
    let support = app.team(org, "Support", None, &[]).await;
    let post_id = publish(&app, &editor, "News", json!({})).await;
    let mut people = Vec::new();
    for i in 0..4 {
        let team = if i < 3 { sales } else { support };
        let p = app
            .person(org, &format!("p{i}@acme.test"), &[], Some(team))
            .await;
        opt_in(&app, &p, true).await;
        for network in ["linkedin", "x"] {
            share(&app, &p, &post_id, network, FIREFOX).await;
        }
        people.push(p);
    }
    let shares = share_entity::Entity::find()
        .filter(share_entity::Column::OrgId.eq(org))
        .all(app.db())
        .await
        .expect("shares");
    assert_eq!(shares.len(), 8);

    let now = Utc::now();
    let today = now.date_naive();
    for (cpc, days_ago) in [(2.0, 40), (3.0, 6)] {
        emv_setting::Entity::insert(emv_setting::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org),
            network: Set("linkedin".into()),
            cpc: Set(cpc),
            cpm: Set(0.0),
            currency: Set("EUR".into()),
            effective_from: Set(now - Duration::days(days_ago)),
            created_by: Set(None),
            created_at: Set(now),
        })
        .exec_without_returning(app.db())
        .await
        .expect("rate");
    }
    // Share i is clicked on a run of days of its own, some spans crossing the windows' edges.
    let mut clicks = Vec::new();
    for (i, s) in shares.iter().enumerate() {
        let first = 2 + (i as i64 * 3) % 17;
        for days_ago in first..first + 4 + i as i64 % 3 {
            for n in 0..=(days_ago + i as i64) % 3 {
                let class = if n == 2 {
                    ClickClass::Bot
                } else {
                    ClickClass::Human
                };
                clicks.push(NewClick {
                    org_id: org,
                    share_id: s.id,
                    post_id: s.post_id,
                    campaign_id: s.campaign_id,
                    team_id: s.team_id,
                    user_id: s.user_id,
                    network: s.network.clone(),
                    clicked_at: now - Duration::days(days_ago),
                    visitor_hash: format!("{i:02}{days_ago:02}{n:028}"),
                    referrer_host: None,
                    class,
                });
            }
        }
    }
    for batch in clicks.chunks(7) {
        let refs: Vec<&NewClick> = batch.iter().collect();
        write_batch(app.db(), &refs).await.expect("clicks");
    }
    let stored = click::Entity::find()
        .filter(click::Column::OrgId.eq(org))
        .all(app.db())
        .await
        .expect("raw clicks");
    assert_eq!(stored.len(), clicks.len());
    let team_of: std::collections::HashMap<Uuid, Option<Uuid>> =
        shares.iter().map(|s| (s.id, s.team_id)).collect();
    let network_of: std::collections::HashMap<Uuid, String> =
        shares.iter().map(|s| (s.id, s.network.clone())).collect();
    let cpc_on = |day: &str| {
        if day
            >= (today - Duration::days(6))
                .format("%Y-%m-%d")
                .to_string()
                .as_str()
        {
            3.0
        } else {
            2.0
        }
    };

    let day = |d: i64| today - Duration::days(d);
    let windows: [(NaiveDate, NaiveDate); 5] = [
        (day(29), today),
        (day(8), today),
        (day(12), day(5)),
        (day(4), day(4)),
        (day(20), day(7)),
    ];
    for (from, to) in windows {
        let (f, t) = (
            from.format("%Y-%m-%d").to_string(),
            to.format("%Y-%m-%d").to_string(),
        );
        let in_window = |c: &&click::Model, team: Option<Uuid>, user: Option<Uuid>| {
            c.day >= f
                && c.day <= t
                && c.class == "human"
                && team.is_none_or(|team| team_of.get(&c.share_id).copied().flatten() == Some(team))
                && user.is_none_or(|u| {
                    shares
                        .iter()
                        .any(|s| s.id == c.share_id && s.user_id == Some(u))
                })
        };
        let expect = |team: Option<Uuid>, user: Option<Uuid>| {
            let mut per_day: BTreeMap<String, i64> = BTreeMap::new();
            let mut emv: f64 = 0.0;
            for c in stored.iter().filter(|c| in_window(c, team, user)) {
                *per_day.entry(c.day.clone()).or_default() += 1;
                if network_of.get(&c.share_id).map(String::as_str) == Some("linkedin") {
                    emv += cpc_on(&c.day);
                }
            }
            (per_day, (emv * 100.0).round() / 100.0)
        };
        let query = format!("from={from}&to={to}");
        for (path, token, team, user) in [
            (
                format!("/api/v1/reach/teams?{query}"),
                admin.token(),
                None,
                None,
            ),
            (
                format!("/api/v1/reach/teams?{query}"),
                boss.token(),
                Some(sales),
                None,
            ),
            (
                format!("/api/v1/reach/me?{query}"),
                people[1].token(),
                None,
                Some(people[1].user_id),
            ),
        ] {
            let (status, view) = app.get(&path, token).await;
            assert_eq!(status, StatusCode::OK, "{path}: {view}");
            let (per_day, emv) = expect(team, user);
            let total: i64 = per_day.values().sum();
            assert_eq!(
                view["totals"]["human_clicks"].as_i64(),
                Some(total),
                "{path}"
            );
            let series: BTreeMap<String, i64> = view["by_day"]
                .as_array()
                .expect("series")
                .iter()
                .filter(|r| r["human_clicks"].as_i64() != Some(0))
                .map(|r| {
                    (
                        r["key"].as_str().unwrap_or_default().to_owned(),
                        r["human_clicks"].as_i64().unwrap_or_default(),
                    )
                })
                .collect();
            assert_eq!(series, per_day, "{path}: daily series");
            let priced = view["totals"]["emv"]["EUR"].as_f64().unwrap_or(0.0);
            assert!((priced - emv).abs() < 0.001, "{path}: EMV {priced} ≠ {emv}");
            let by_network: i64 = view["by_network"]
                .as_array()
                .expect("networks")
                .iter()
                .filter_map(|r| r["human_clicks"].as_i64())
                .sum();
            assert_eq!(by_network, total, "{path}: networks add up");
            if user.is_none() {
                let (status, series) = app
                    .get(&path.replace("/reach/teams", "/reach/series"), token)
                    .await;
                assert_eq!(status, StatusCode::OK, "{series}");
                let points: BTreeMap<String, i64> = series["days"]
                    .as_array()
                    .expect("days")
                    .iter()
                    .filter(|p| p["human_clicks"].as_i64() != Some(0))
                    .map(|p| {
                        (
                            p["day"].as_str().unwrap_or_default().to_owned(),
                            p["human_clicks"].as_i64().unwrap_or_default(),
                        )
                    })
                    .collect();
                assert_eq!(points, per_day, "{path}: the series endpoint agrees");
                let by_team: i64 = view["by_team"]
                    .as_array()
                    .expect("teams")
                    .iter()
                    .filter_map(|r| r["human_clicks"].as_i64())
                    .sum();
                assert_eq!(by_team, total, "{path}: teams add up");
            }
            // The leaderboard ranks people with shares in the window (all made today).
            if user.is_none() && to == today {
                let ranked: i64 = view["leaderboard"]
                    .as_array()
                    .expect("board")
                    .iter()
                    .filter_map(|e| e["human_clicks"].as_i64())
                    .sum();
                assert_eq!(ranked, total, "{path}: leaderboard adds up");
            }
        }
    }
}

/// The team counters (`reach_team_daily`) behind team series and dashboards, kept by the click
/// writer, equal a recount from the raw clicks — human clicks, bot hits, own clicks and unique
/// visitors (repeat visitors on a share and day count once) — for teams and shares without a
/// team alike, in windows cutting through shares' click spans; rebuilding them from the
/// rollup gives the same.
async fn team_counters_equal_raw_clicks(app: TestApp) {
    use chorus::{
        advocacy::{
            classify::ClickClass,
            recorder::{NewClick, rebuild_aggregates, write_batch},
        },
        entities::{click, reach_team_daily, share as share_entity},
    };
    use chrono::{Duration, NaiveDate, Utc};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use std::collections::{BTreeSet, HashMap};

    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let editor = app
        .person(org, "editor@acme.test", &[Role::Editor], None)
        .await;
    let boss = app.person(org, "boss@acme.test", &[], None).await;
    let sales = app.team(org, "Sales", None, &[boss.user_id]).await;
    let support = app.team(org, "Support", None, &[]).await;
    let post_id = publish(&app, &editor, "News", json!({})).await;
    for i in 0..5 {
        let team = match i {
            0..=2 => Some(sales),
            3 => Some(support),
            _ => None,
        };
        let p = app.person(org, &format!("p{i}@acme.test"), &[], team).await;
        opt_in(&app, &p, true).await;
        for network in ["linkedin", "x"] {
            share(&app, &p, &post_id, network, FIREFOX).await;
        }
    }
    let shares = share_entity::Entity::find()
        .filter(share_entity::Column::OrgId.eq(org))
        .all(app.db())
        .await
        .expect("shares");
    assert_eq!(shares.len(), 10);

    let now = Utc::now();
    let today = now.date_naive();
    let mut clicks = Vec::new();
    for (i, s) in shares.iter().enumerate() {
        let first = 1 + (i as i64 * 2) % 13;
        for days_ago in first..first + 3 + i as i64 % 4 {
            for n in 0..(3 + (days_ago + i as i64) % 4) {
                let class = match n % 5 {
                    3 => ClickClass::Bot,
                    4 => ClickClass::SelfClick,
                    _ => ClickClass::Human,
                };
                clicks.push(NewClick {
                    org_id: org,
                    share_id: s.id,
                    post_id: s.post_id,
                    campaign_id: s.campaign_id,
                    team_id: s.team_id,
                    user_id: s.user_id,
                    network: s.network.clone(),
                    clicked_at: now - Duration::days(days_ago),
                    // Two visitors per share and day, so some come back.
                    visitor_hash: format!("{:032}", n % 2),
                    referrer_host: None,
                    class,
                });
            }
        }
    }
    for batch in clicks.chunks(6) {
        let refs: Vec<&NewClick> = batch.iter().collect();
        write_batch(app.db(), &refs).await.expect("clicks");
    }
    let stored = click::Entity::find()
        .filter(click::Column::OrgId.eq(org))
        .all(app.db())
        .await
        .expect("raw clicks");
    assert_eq!(stored.len(), clicks.len());
    let share_of: HashMap<Uuid, &share_entity::Model> = shares.iter().map(|s| (s.id, s)).collect();

    // Per team, day and network: human, bot, own, unique, recounted from raw clicks.
    type Counters = [i64; 4];
    let mut recount: BTreeMap<(Uuid, String, String), Counters> = BTreeMap::new();
    let mut seen: BTreeSet<(Uuid, String, String)> = BTreeSet::new();
    for c in &stored {
        let s = share_of[&c.share_id];
        let Some(team) = s.team_id else { continue };
        let counters = recount
            .entry((team, c.day.clone(), s.network.clone()))
            .or_default();
        match c.class.as_str() {
            "human" => {
                counters[0] += 1;
                if seen.insert((c.share_id, c.day.clone(), c.visitor_hash.clone())) {
                    counters[3] += 1;
                }
            }
            "bot" => counters[1] += 1,
            _ => counters[2] += 1,
        }
    }
    assert!(
        recount.values().any(|c| c[3] < c[0]),
        "some visitors come back"
    );
    let stored_counters = || async {
        reach_team_daily::Entity::find()
            .filter(reach_team_daily::Column::OrgId.eq(org))
            .all(app.db())
            .await
            .expect("team counters")
            .into_iter()
            .map(|r| {
                (
                    (r.team_id, r.day, r.network),
                    [r.human_clicks, r.bot_hits, r.self_clicks, r.unique_visitors],
                )
            })
            .collect::<BTreeMap<_, Counters>>()
    };
    assert_eq!(stored_counters().await, recount, "kept by the click writer");

    let day = |d: i64| today - Duration::days(d);
    let windows: [(NaiveDate, NaiveDate); 4] = [
        (day(29), today),
        (day(6), today),
        (day(10), day(4)),
        (day(3), day(3)),
    ];
    let check = |round: &'static str| {
        let app = &app;
        let (admin, boss, stored, share_of) = (&admin, &boss, &stored, &share_of);
        async move {
            for (from, to) in windows {
                let (f, t) = (
                    from.format("%Y-%m-%d").to_string(),
                    to.format("%Y-%m-%d").to_string(),
                );
                // Per day: human, bot, unique for one team (or everyone).
                let expect = |team: Option<Uuid>| {
                    let mut per_day: BTreeMap<String, [i64; 3]> = BTreeMap::new();
                    let mut seen = BTreeSet::new();
                    for c in stored.iter().filter(|c| {
                        c.day >= f
                            && c.day <= t
                            && team.is_none_or(|team| share_of[&c.share_id].team_id == Some(team))
                    }) {
                        let entry = per_day.entry(c.day.clone()).or_default();
                        match c.class.as_str() {
                            "human" => {
                                entry[0] += 1;
                                if seen.insert((c.share_id, c.day.clone(), c.visitor_hash.clone()))
                                {
                                    entry[2] += 1;
                                }
                            }
                            "bot" => entry[1] += 1,
                            _ => {}
                        }
                    }
                    per_day
                };
                let query = format!("from={from}&to={to}");
                for (path, token, team) in [
                    (
                        format!("/api/v1/reach/series?{query}"),
                        boss.token(),
                        Some(sales),
                    ),
                    (
                        format!("/api/v1/reach/series?{query}&team_id={support}"),
                        admin.token(),
                        Some(support),
                    ),
                    (format!("/api/v1/reach/series?{query}"), admin.token(), None),
                ] {
                    let expected = expect(team);
                    let nonzero: BTreeMap<String, [i64; 3]> = expected
                        .clone()
                        .into_iter()
                        .filter(|(_, c)| c[0] != 0 || c[1] != 0)
                        .collect();
                    let (status, series) = app.get(&path, token).await;
                    assert_eq!(status, StatusCode::OK, "{path}: {series}");
                    if series["suppressed"] == true {
                        // Only a window in which nobody of the team was clicked or shared.
                        assert!(nonzero.is_empty(), "{round}: {path} suppressed");
                        continue;
                    }
                    let points: BTreeMap<String, [i64; 3]> = series["days"]
                        .as_array()
                        .expect("days")
                        .iter()
                        .filter(|p| {
                            p["human_clicks"].as_i64() != Some(0)
                                || p["bot_hits"].as_i64() != Some(0)
                        })
                        .map(|p| {
                            (
                                p["day"].as_str().unwrap_or_default().to_owned(),
                                [
                                    p["human_clicks"].as_i64().unwrap_or_default(),
                                    p["bot_hits"].as_i64().unwrap_or_default(),
                                    p["unique_visitors"].as_i64().unwrap_or_default(),
                                ],
                            )
                        })
                        .collect();
                    assert_eq!(points, nonzero, "{round}: {path}");
                    // The dashboard of the same teams agrees, day by day and in total.
                    let dash_path = path.replace("/reach/series", "/reach/teams");
                    let (status, dash) = app.get(&dash_path, token).await;
                    assert_eq!(status, StatusCode::OK, "{dash_path}: {dash}");
                    let total = expected.values().fold([0; 3], |mut acc, c| {
                        for (a, v) in acc.iter_mut().zip(c) {
                            *a += v;
                        }
                        acc
                    });
                    let totals = &dash["totals"];
                    assert_eq!(
                        [
                            totals["human_clicks"].as_i64().unwrap_or_default(),
                            totals["bot_hits"].as_i64().unwrap_or_default(),
                            totals["unique_visitors"].as_i64().unwrap_or_default(),
                        ],
                        total,
                        "{round}: {dash_path}"
                    );
                    let by_team: [i64; 3] =
                        dash["by_team"]
                            .as_array()
                            .expect("teams")
                            .iter()
                            .fold([0; 3], |acc, r| {
                                [
                                    acc[0] + r["human_clicks"].as_i64().unwrap_or_default(),
                                    acc[1] + r["bot_hits"].as_i64().unwrap_or_default(),
                                    acc[2] + r["unique_visitors"].as_i64().unwrap_or_default(),
                                ]
                            });
                    assert_eq!(by_team, total, "{round}: {dash_path}: teams add up");
                }
            }
        }
    };
    check("written by the click writer").await;
    rebuild_aggregates(app.db(), org).await.expect("rebuild");
    assert_eq!(stored_counters().await, recount, "rebuilt from the rollup");
    check("rebuilt").await;
}

/// Dashboards reuse a window's sums only while nothing behind them changed: a view asked again
/// after new clicks, a new share or an engagement report shows them at once.
async fn dashboards_are_current_after_clicks_shares_and_reports(app: TestApp) {
    use chorus::{
        advocacy::{
            classify::ClickClass,
            recorder::{NewClick, write_batch},
        },
        entities::share as share_entity,
    };
    use chrono::Utc;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let org = admin.org_id;
    let editor = app
        .person(org, "editor@acme.test", &[Role::Editor], None)
        .await;
    let sales = app.team(org, "Sales", None, &[]).await;
    let pat = app.person(org, "pat@acme.test", &[], Some(sales)).await;
    opt_in(&app, &pat, true).await;
    let post_id = publish(&app, &editor, "News", json!({})).await;
    let first = share(&app, &pat, &post_id, "linkedin", FIREFOX).await;
    let first_id: Uuid = first["share"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let s = share_entity::Entity::find()
        .filter(share_entity::Column::Id.eq(first_id))
        .one(app.db())
        .await
        .expect("share")
        .expect("found");
    let views = [
        "/api/v1/reach/teams",
        "/api/v1/reach/programme",
        &format!("/api/v1/reach/teams?team_id={sales}"),
    ];
    let totals = |path: String| {
        let app = &app;
        let token = admin.token();
        async move {
            let (status, view) = app.get(&path, token).await;
            assert_eq!(status, StatusCode::OK, "{path}: {view}");
            let t = &view["totals"];
            [
                t["shares"].as_i64().unwrap_or_default(),
                t["human_clicks"].as_i64().unwrap_or_default(),
                t["unique_visitors"].as_i64().unwrap_or_default(),
                t["engagement"].as_i64().unwrap_or_default(),
            ]
        }
    };
    for path in views.iter() {
        assert_eq!(totals(path.to_string()).await, [1, 0, 0, 0], "{path}");
        // Asked twice, unchanged.
        assert_eq!(totals(path.to_string()).await, [1, 0, 0, 0], "{path}");
    }
    let click = |n: usize| NewClick {
        org_id: org,
        share_id: s.id,
        post_id: s.post_id,
        campaign_id: s.campaign_id,
        team_id: s.team_id,
        user_id: s.user_id,
        network: s.network.clone(),
        clicked_at: Utc::now(),
        visitor_hash: format!("{:032}", n % 2),
        referrer_host: None,
        class: ClickClass::Human,
    };
    let clicks: Vec<NewClick> = (0..3).map(click).collect();
    write_batch(app.db(), &clicks.iter().collect::<Vec<_>>())
        .await
        .expect("clicks");
    for path in views.iter() {
        assert_eq!(totals(path.to_string()).await, [1, 3, 2, 0], "{path}");
    }
    share(&app, &pat, &post_id, "x", FIREFOX).await;
    for path in views.iter() {
        assert_eq!(totals(path.to_string()).await, [2, 3, 2, 0], "{path}");
    }
    post_json(
        &app,
        &pat,
        &format!("/api/v1/shares/{first_id}/engagement"),
        json!({ "impressions": 900, "reactions": 12, "comments": 3, "reshares": 1 }),
    )
    .await;
    for path in views.iter() {
        assert_eq!(totals(path.to_string()).await, [2, 3, 2, 16], "{path}");
    }
}
