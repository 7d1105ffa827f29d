//! Operations: dashboards on a read replica, raw-click partitions and retention, and the
//! metrics an operator scrapes.

use chorus::{
    advocacy::classify::ClickClass,
    advocacy::recorder::{self, NewClick, write_batch},
    auth::Role,
    entities::{click, job_run, share},
};
use chorus_tests::{Backend, Options, Session, TestApp, TestDb, both};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    Statement,
};
use serde_json::{Value, json};

use crate::advocacy::{CHROME, FIREFOX, click, opt_in, publish, share};

both! {
    queued_clicks_left_unfolded_are_folded_once,
    a_shares_first_and_last_day_follow_its_clicks_in_any_order,
    concurrent_folds_count_each_click_once,
    servers_sharing_a_database_count_each_click_once,
    a_visitor_counts_once_a_day_whichever_connection_stored_the_click,
    retention_drops_old_raw_clicks_and_keeps_rollups,
    a_deleted_organisation_takes_its_raw_clicks_with_it,
    metrics_cover_every_family,
}

/// An opted-in advocate with one share; answers (admin, advocate, share code).
pub(crate) async fn one_share(app: &TestApp) -> (Session, Session, String) {
    let shared = shared_post(app, json!({})).await;
    (shared.admin, shared.advocate, shared.code)
}

/// What [`shared_post`] set up.
pub(crate) struct SharedPost {
    pub admin: Session,
    pub editor: Session,
    pub advocate: Session,
    pub post_id: String,
    pub code: String,
}

/// An organisation with an editor, a published post (`extra` merged into its fields) and an
/// opted-in advocate who shared it on LinkedIn.
pub(crate) async fn shared_post(app: &TestApp, extra: Value) -> SharedPost {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let editor = app
        .person(admin.org_id, "editor@acme.test", &[Role::Editor], None)
        .await;
    let advocate = app.person(admin.org_id, "pat@acme.test", &[], None).await;
    opt_in(app, &advocate, false).await;
    let post_id = publish(app, &editor, "News", extra).await;
    let code = share(app, &advocate, &post_id, "linkedin", FIREFOX).await["share"]["code"]
        .as_str()
        .expect("code")
        .to_owned();
    SharedPost {
        admin,
        editor,
        advocate,
        post_id,
        code,
    }
}

async fn redirects(app: &TestApp, code: &str, n: usize, visitor: &str) {
    for i in 0..n {
        let status = click(app, code, &format!("{CHROME} {visitor}/{i}"))
            .await
            .status();
        assert_eq!(status, StatusCode::FOUND);
    }
    // What the redirects queued is in the raw table once folded.
    app.state.clicks.settle().await.expect("fold");
}

async fn raw_clicks(db: &sea_orm::DatabaseConnection) -> u64 {
    click::Entity::find().count(db).await.expect("count")
}

fn window(days: i64) -> String {
    let today = Utc::now().date_naive();
    format!(
        "from={}&to={}",
        today - Duration::days(days),
        today + Duration::days(1)
    )
}

async fn my_totals(app: &TestApp, who: &Session, query: &str) -> Value {
    let (status, impact) = app
        .get(&format!("/api/v1/reach/me?{query}"), who.token())
        .await;
    assert_eq!(status, StatusCode::OK, "{impact}");
    impact["totals"].clone()
}

/// Dashboards read the replica (which lags: it is a copy taken before the last clicks), writes
/// go to the primary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_read_the_replica_and_writes_go_to_the_primary() {
    let Some(primary) = TestDb::create(Backend::Postgres).await else {
        eprintln!("skipped: CHORUS_TEST_POSTGRES_URL is not set");
        return;
    };
    let app = TestApp::start(&primary, Options::default()).await;
    let (admin, pat, code) = one_share(&app).await;
    redirects(&app, &code, 3, "before").await;
    app.stop().await;

    let replica = primary.snapshot().await;
    let options = Options::with(json!({ "database": { "read_url": replica.url } }));
    let app = TestApp::start(&primary, options).await;
    assert!(app.state.read_pool.is_some());
    redirects(&app, &code, 4, "after").await;

    assert_eq!(raw_clicks(app.db()).await, 7, "writes go to the primary");
    assert_eq!(
        raw_clicks(app.state.read_db()).await,
        3,
        "the replica is a copy"
    );
    assert_eq!(my_totals(&app, &pat, "").await["human_clicks"], 3);
    let (status, programme) = app.get("/api/v1/reach/programme", admin.token()).await;
    assert_eq!(status, StatusCode::OK, "{programme}");
    assert_eq!(programme["totals"]["human_clicks"], 3, "{programme}");
    let (status, economy) = app
        .get("/api/v1/admin/recognition/economy", admin.token())
        .await;
    assert_eq!(status, StatusCode::OK, "{economy}");

    // Readiness follows the primary; the read pool is visible in the metrics.
    assert_eq!(app.get("/readyz", None).await.0, StatusCode::OK);
    let metrics = app.metrics().await;
    for line in [
        "chorus_db_pool_connections{pool=\"read\",state=\"max\"} 5",
        "chorus_db_pool_connections{pool=\"primary\",state=\"max\"} 5",
    ] {
        assert!(metrics.contains(line), "{line} missing:\n{metrics}");
    }

    // Without a replica the same server reads the primary.
    app.stop().await;
    let app = TestApp::start(&primary, Options::default()).await;
    assert_eq!(my_totals(&app, &pat, "").await["human_clicks"], 7);
    app.stop().await;
    replica.drop().await;
    primary.drop().await;
}

async fn partition_exists(app: &TestApp, name: &str) -> bool {
    let row = app
        .db()
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT to_regclass($1) IS NOT NULL AS present",
            [name.into()],
        ))
        .await
        .expect("query")
        .expect("row");
    row.try_get::<bool>("", "present").expect("present")
}

async fn last_run(app: &TestApp, job: &str) -> job_run::Model {
    let id = chorus::jobs::run_once(&app.state, job)
        .await
        .expect("the run is recorded");
    let run = job_run::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("run");
    assert_eq!(run.outcome, "succeeded", "{run:?}");
    run
}

/// Deleting an organisation in the database deletes its raw clicks: a foreign key on SQLite, a
/// trigger on PostgreSQL (where the key's check on every click cost the fold).
async fn a_deleted_organisation_takes_its_raw_clicks_with_it(app: TestApp) {
    let (admin, _, code) = one_share(&app).await;
    redirects(&app, &code, 3, "gone").await;
    let of_org = || {
        click::Entity::find()
            .filter(click::Column::OrgId.eq(admin.org_id))
            .count(app.db())
    };
    assert_eq!(of_org().await.expect("count"), 3);
    let backend = app.db().get_database_backend();
    let placeholder = if backend == DatabaseBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    app.db()
        .execute_raw(Statement::from_sql_and_values(
            backend,
            format!("DELETE FROM organisations WHERE id = {placeholder}"),
            [admin.org_id.into()],
        ))
        .await
        .expect("delete the organisation");
    assert_eq!(of_org().await.expect("count"), 0);
}

async fn retention_drops_old_raw_clicks_and_keeps_rollups(app: TestApp) {
    let (admin, pat, code) = one_share(&app).await;
    redirects(&app, &code, 5, "today").await;
    let shared = share::Entity::find()
        .filter(share::Column::Code.eq(&code))
        .one(app.db())
        .await
        .expect("query")
        .expect("share");
    // Clicks from long ago, written the way the redirect writes them.
    let old_at = Utc::now() - Duration::days(200);
    let recent_at = Utc::now() - Duration::days(20);
    let clicks: Vec<NewClick> = [(old_at, 6), (recent_at, 2)]
        .into_iter()
        .flat_map(|(at, n)| {
            (0..n).map(move |i| {
                (
                    at + Duration::seconds(i),
                    format!("v{}-{i}", at.timestamp()),
                )
            })
        })
        .map(|(at, visitor)| NewClick {
            org_id: shared.org_id,
            share_id: shared.id,
            post_id: shared.post_id,
            campaign_id: shared.campaign_id,
            team_id: shared.team_id,
            user_id: shared.user_id,
            network: shared.network.clone(),
            clicked_at: at,
            visitor_hash: visitor,
            referrer_host: None,
            class: ClickClass::Human,
        })
        .collect();
    write_batch(app.db(), &clicks.iter().collect::<Vec<_>>())
        .await
        .expect("write clicks");
    assert_eq!(raw_clicks(app.db()).await, 13);
    let query = window(300);
    let before = my_totals(&app, &pat, &query).await;
    assert_eq!(before["human_clicks"], 13, "{before}");
    let (_, programme_before) = app
        .get(&format!("/api/v1/reach/programme?{query}"), admin.token())
        .await;

    let old_partition = format!("clicks_p{}", old_at.format("%Y_%m"));
    if app.backend == Backend::Postgres {
        assert!(
            !partition_exists(&app, &old_partition).await,
            "old clicks land in the default partition"
        );
        last_run(&app, "partitions").await;
        assert!(
            partition_exists(&app, &old_partition).await,
            "the partitions job gives them a month of their own"
        );
        let this_month = format!("clicks_p{}", Utc::now().format("%Y_%m"));
        assert!(partition_exists(&app, &this_month).await);
    } else {
        last_run(&app, "partitions").await;
    }
    assert_eq!(raw_clicks(app.db()).await, 13, "moving rows loses none");

    // Retention off: nothing removed.
    last_run(&app, "retention").await;
    assert_eq!(raw_clicks(app.db()).await, 13);

    let keep_60_days = app
        .sibling(Options::with(
            json!({ "advocacy": { "click_retention_days": 60 } }),
        ))
        .await;
    last_run(&keep_60_days, "retention").await;
    keep_60_days.stop().await;

    let remaining = click::Entity::find().all(app.db()).await.expect("clicks");
    assert_eq!(remaining.len(), 7, "the 200-day-old clicks are gone");
    assert!(
        remaining
            .iter()
            .all(|c| c.clicked_at > Utc::now() - Duration::days(60))
    );
    if app.backend == Backend::Postgres {
        assert!(
            !partition_exists(&app, &old_partition).await,
            "the old month's partition was dropped"
        );
    }
    assert_eq!(
        my_totals(&app, &pat, &query).await,
        before,
        "dashboards read rollups, which retention keeps"
    );
    let (_, programme_after) = app
        .get(&format!("/api/v1/reach/programme?{query}"), admin.token())
        .await;
    assert_eq!(programme_after["totals"], programme_before["totals"]);

    // New clicks are still taken after retention ran.
    redirects(&app, &code, 2, "later").await;
    assert_eq!(raw_clicks(app.db()).await, 9);
}

/// Every metric family an operator's dashboard relies on is present after some traffic.
async fn metrics_cover_every_family(app: TestApp) {
    let (_, _, code) = one_share(&app).await;
    redirects(&app, &code, 3, "m").await;
    chorus::jobs::run_once(&app.state, "housekeeping")
        .await
        .expect("run");
    let response = app
        .client
        .get(app.url("/metrics"))
        .header("x-request-id", "scrape-1")
        .send()
        .await
        .expect("metrics");
    assert_eq!(
        response.headers()["x-request-id"],
        "scrape-1",
        "a caller's request id is kept"
    );
    let text = response.text().await.expect("text");
    for family in chorus::metrics::FAMILIES {
        assert!(
            text.lines()
                .any(|l| !l.starts_with('#') && l.starts_with(family)),
            "no samples of {family}:\n{text}"
        );
    }
    assert!(
        text.contains(
            "chorus_http_requests_total{method=\"GET\",route=\"/r/{code}\",status=\"302\"} 3"
        ),
        "{text}"
    );
    assert!(
        text.contains("chorus_clicks_recorded_total{class=\"human\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("chorus_job_duration_seconds_count{job=\"housekeeping\"} 1"),
        "{text}"
    );
    assert!(text.contains("chorus_db_pool_connections{pool=\"primary\",state=\"in_use\"}"));
    let generated = app.get("/healthz", None).await;
    assert_eq!(generated.0, StatusCode::OK);
}

/// Clicks as the redirect queues them, for the share behind `code`.
async fn queued_clicks(app: &TestApp, code: &str, n: usize, visitor: &str) -> Vec<NewClick> {
    let shared = share::Entity::find()
        .filter(share::Column::Code.eq(code))
        .one(app.db())
        .await
        .expect("query")
        .expect("share");
    (0..n)
        .map(|i| NewClick {
            org_id: shared.org_id,
            share_id: shared.id,
            post_id: shared.post_id,
            campaign_id: shared.campaign_id,
            team_id: shared.team_id,
            user_id: shared.user_id,
            network: shared.network.clone(),
            clicked_at: Utc::now(),
            visitor_hash: format!("{visitor}-{i}"),
            referrer_host: Some("example.org".into()),
            class: if i % 4 == 3 {
                ClickClass::Bot
            } else {
                ClickClass::Human
            },
        })
        .collect()
}

/// A share's totals row keeps the first and last day it was clicked, whatever order its clicks
/// are folded in (the last day moves in a statement of its own on SQLite), and its counters add
/// up across folds.
async fn a_shares_first_and_last_day_follow_its_clicks_in_any_order(app: TestApp) {
    use chorus::entities::share_reach;
    let (_, _, code) = one_share(&app).await;
    let days_ago = |days: i64| chorus::advocacy::day_of(Utc::now() - Duration::days(days));
    // Folded one batch at a time: three days ago, then today, then a late batch from five days
    // ago, then yesterday (inside the range: neither end moves).
    for (n, (days, tag)) in [(3, "mid"), (0, "new"), (5, "old"), (1, "inner")]
        .into_iter()
        .enumerate()
    {
        let mut clicks = queued_clicks(&app, &code, 4, tag).await;
        for c in &mut clicks {
            c.clicked_at = Utc::now() - Duration::days(days);
        }
        let refs: Vec<&NewClick> = clicks.iter().collect();
        write_batch(app.db(), &refs).await.expect("store");
        let row = share_reach::Entity::find()
            .one(app.db())
            .await
            .expect("query")
            .expect("the share's totals");
        let (first, last) = match n {
            0 => (3, 3),
            1 => (3, 0),
            _ => (5, 0),
        };
        assert_eq!(
            (row.first_day, row.last_day, row.human_clicks, row.bot_hits),
            (
                days_ago(first),
                days_ago(last),
                3 * (n as i64 + 1),
                n as i64 + 1
            ),
            "after the batch {n} of {days} days ago"
        );
    }
    app.stop().await;
}

/// Clicks another server queued and never folded (it stopped, say) are folded by the folder's
/// sweep, exactly once, and a restart counts none of them again.
async fn queued_clicks_left_unfolded_are_folded_once(app: TestApp) {
    let (_, pat, code) = one_share(&app).await;
    redirects(&app, &code, 3, "served").await;
    let query = window(2);
    assert_eq!(my_totals(&app, &pat, &query).await["human_clicks"], 3);

    // Written to the queue behind this server's back: it does not know they are there.
    let left = queued_clicks(&app, &code, 8, "left").await;
    let refs: Vec<&NewClick> = left.iter().collect();
    recorder::enqueue(app.db(), app.state.clicks.queue(), &refs)
        .await
        .expect("queue");
    let totals = app
        .eventually(10, "the sweep folds the queue", || async {
            let totals = my_totals(&app, &pat, &query).await;
            (totals["human_clicks"] == 9).then_some(totals)
        })
        .await;
    assert_eq!(totals["unique_visitors"], 9, "{totals}");
    assert_eq!(raw_clicks(app.db()).await, 11, "bots are raw clicks too");
    assert_eq!(
        recorder::queued(app.db(), app.state.clicks.queue())
            .await
            .expect("queued"),
        0
    );

    app.stop().await;
    let app = app.sibling(Options::default()).await;
    redirects(&app, &code, 1, "after").await;
    assert_eq!(raw_clicks(app.db()).await, 12, "nothing folded twice");
    assert_eq!(my_totals(&app, &pat, &query).await["human_clicks"], 10);
    app.stop().await;
}

/// Two servers on one database: on SQLite the first writes the click log and the second,
/// finding it taken, queues in the queue file; on PostgreSQL both share the queue table. Every
/// click either answered is counted once, also after both restart.
async fn servers_sharing_a_database_count_each_click_once(app: TestApp) {
    let (_, pat, code) = one_share(&app).await;
    let second = app.sibling(Options::default()).await;
    match (
        app.backend,
        app.state.clicks.queue(),
        second.state.clicks.queue(),
    ) {
        (Backend::Sqlite, recorder::Queue::Log(_), recorder::Queue::Sqlite(_))
        | (Backend::Postgres, recorder::Queue::Table, recorder::Queue::Table) => {}
        (backend, _, _) => panic!("unexpected queues on {backend:?}"),
    }
    redirects(&app, &code, 4, "first").await;
    redirects(&second, &code, 3, "second").await;
    second.stop().await;
    let query = window(2);
    assert_eq!(my_totals(&app, &pat, &query).await["human_clicks"], 7);
    assert_eq!(raw_clicks(app.db()).await, 7);

    app.stop().await;
    let app = app.sibling(Options::default()).await;
    assert!(
        app.backend == Backend::Postgres
            || matches!(app.state.clicks.queue(), recorder::Queue::Log(_)),
        "a restarted server takes the log again"
    );
    redirects(&app, &code, 2, "again").await;
    assert_eq!(my_totals(&app, &pat, &query).await["human_clicks"], 9);
    assert_eq!(raw_clicks(app.db()).await, 9, "nothing folded twice");
    app.stop().await;
}

/// Asserts the advocate's human clicks and unique visitors over the last two days.
async fn human_and_unique(app: &TestApp, who: &Session, expected: (i64, i64), why: &str) {
    let totals = my_totals(app, who, &window(2)).await;
    assert_eq!(
        (
            totals["human_clicks"].as_i64(),
            totals["unique_visitors"].as_i64()
        ),
        (Some(expected.0), Some(expected.1)),
        "{why}: {totals}"
    );
}

/// Clicks stored through a connection that then goes away without adding the visitors it saw
/// to the ledger (a killed server, a command-line load), through the server, and through a
/// further new connection: each visitor counts once for the share's day, and a restart counts
/// none again.
async fn a_visitor_counts_once_a_day_whichever_connection_stored_the_click(app: TestApp) {
    let (_, pat, code) = one_share(&app).await;
    let connect = || async {
        chorus::db::connect_url(
            &app.db_url,
            1,
            std::time::Duration::from_secs(5),
            std::time::Duration::from_secs(30),
            false,
        )
        .await
        .expect("connect")
    };
    let store = |db: sea_orm::DatabaseConnection, clicks: Vec<NewClick>| async move {
        let refs: Vec<&NewClick> = clicks.iter().collect();
        write_batch(&db, &refs).await.expect("store");
        db.close().await.expect("close");
    };
    // The server has folded a click of its own before the other connection comes.
    redirects(&app, &code, 1, "first").await;
    // queued_clicks makes every fourth click a bot: visitors v-0..v-7 hold 6 human clicks.
    store(connect().await, queued_clicks(&app, &code, 8, "v").await).await;
    human_and_unique(&app, &pat, (7, 7), "each click a new visitor").await;

    // The server stores the same visitors again and four new ones (v-8..v-11, of which v-11 is a
    // bot): only the three new humans are unique.
    let again = queued_clicks(&app, &code, 12, "v").await;
    let refs: Vec<&NewClick> = again.iter().collect();
    write_batch(app.db(), &refs).await.expect("store");
    human_and_unique(&app, &pat, (16, 10), "v-8..v-10 are the only new visitors").await;

    // A further connection, new to all of it.
    store(connect().await, queued_clicks(&app, &code, 13, "v").await).await;
    human_and_unique(&app, &pat, (26, 11), "v-12 is the only new visitor").await;

    app.stop().await;
    let app = app.sibling(Options::default()).await;
    let more = queued_clicks(&app, &code, 13, "v").await;
    let refs: Vec<&NewClick> = more.iter().collect();
    write_batch(app.db(), &refs).await.expect("store");
    human_and_unique(&app, &pat, (36, 11), "after a restart nobody is new").await;
    app.stop().await;
}

/// Folds racing over one queue (several servers on PostgreSQL; the settle of a read and the
/// background folder on SQLite) take disjoint chunks: the rollups count every click once. The
/// server's own folder sweeps the queue every second and may take part in the race too.
async fn concurrent_folds_count_each_click_once(app: TestApp) {
    let (_, pat, code) = one_share(&app).await;
    let clicks = queued_clicks(&app, &code, 600, "race").await;
    let queue = app.state.clicks.queue().clone();
    for chunk in clicks.chunks(50) {
        let refs: Vec<&NewClick> = chunk.iter().collect();
        recorder::enqueue(app.db(), &queue, &refs)
            .await
            .expect("queue");
    }
    let folds = (0..4).map(|i| {
        let (db, queue) = (app.db().clone(), queue.clone());
        tokio::spawn(async move {
            let mut total = 0;
            loop {
                let n = recorder::fold(&db, &queue, 37, i % 2 == 0)
                    .await
                    .expect("fold");
                total += n;
                if n == 0 {
                    break total;
                }
            }
        })
    });
    let mut folded = 0;
    for fold in folds {
        folded += fold.await.expect("task");
    }
    // The racing folds (and the server's own sweep, which may have taken some chunks) left
    // nothing queued, none of them folded a click twice, and every click is stored once.
    assert!(folded <= 600, "{folded} clicks folded");
    assert_eq!(
        recorder::queued(app.db(), &queue).await.expect("queued"),
        0,
        "every queued click folded"
    );
    assert_eq!(
        raw_clicks(app.db()).await,
        600,
        "each click folded exactly once"
    );
    let totals = my_totals(&app, &pat, &window(2)).await;
    assert_eq!(totals["human_clicks"], 450, "{totals}");
    assert_eq!(totals["unique_visitors"], 450, "{totals}");
    assert_eq!(totals["bot_hits"], 150, "{totals}");
}
