//! Data and measurements for the benchmarks (scripts/bench.sh):
//!
//! - `links`: an organisation with opted-in advocates, a published post and N shares; writes the
//!   tracking codes to a file for the load generator.
//! - `clicks`: an organisation with a team tree, 10,000+ shares and millions of clicks over 90
//!   days, written straight into the click table and the daily rollup (as the recorder would).
//! - `count`: stored clicks, to compare with redirects answered.
//! - `dashboards`: times the reach endpoints over HTTP (p50/p95 of repeated calls).
//! - `fold`: queues clicks on the shares of a database seeded by `links` (as redirects would,
//!   with the benchmark's mix of visitors and user agents), then times the folder moving them
//!   into the raw table and the rollups, alone: the fold's capacity in clicks/s.

use std::{collections::BTreeMap, time::Instant};

use chorus::{auth::Role, people};
use chrono::{Duration, Utc};
use clap::{Parser, Subcommand};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait,
    sea_query::{Alias, Query},
};
use serde_json::{Value, json};
use uuid::Uuid;

const PASSWORD: &str = "bench-password-123";

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Links {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1000)]
        shares: usize,
        #[arg(long)]
        codes: String,
    },
    Clicks {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 5_000_000)]
        clicks: u64,
        #[arg(long, default_value_t = 10_000)]
        shares: usize,
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
    /// Clicks stored: folded into the raw table or still queued (`--unfolded`: only those
    /// still queued).
    Count {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        unfolded: bool,
    },
    Fold {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 200_000)]
        clicks: usize,
        /// Clicks per fold transaction (the server's `advocacy.fold_chunk`).
        #[arg(long, default_value_t = 1000)]
        chunk: usize,
    },
    Dashboards {
        #[arg(long)]
        base: String,
        #[arg(long, default_value_t = 40)]
        calls: usize,
    },
}

async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = chorus::db::connect_url(
        url,
        4,
        std::time::Duration::from_secs(5),
        std::time::Duration::from_secs(30),
        false,
    )
    .await?;
    chorus::db::migrate_up(&db).await?;
    Ok(db)
}

fn err(e: chorus::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}: {:?}", e.problem())
}

async fn person(
    db: &DatabaseConnection,
    org: Uuid,
    email: &str,
    hash: &str,
    team: Option<Uuid>,
    roles: &[Role],
) -> anyhow::Result<Uuid> {
    let id = people::users::insert(db, org, email, email, Some(hash.to_owned()), team)
        .await
        .map_err(err)?;
    people::users::grant(db, org, id, roles)
        .await
        .map_err(err)?;
    Ok(id)
}

async fn publish(
    db: &DatabaseConnection,
    org: Uuid,
    title: &str,
    campaign: Option<Uuid>,
) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    let now = Utc::now() - Duration::days(100);
    chorus::entities::post::Entity::insert(chorus::entities::post::ActiveModel {
        id: Set(id),
        org_id: Set(org),
        title: Set(title.to_owned()),
        url: Set("https://example.com/landing?from=bench".into()),
        summary: Set(String::new()),
        image_url: Set(None),
        tags: Set(json!([])),
        suggested_texts: Set(json!({ "linkedin": "Look at this" })),
        campaign_id: Set(campaign),
        target_team_ids: Set(json!([])),
        status: Set("published".into()),
        publish_at: Set(None),
        expires_at: Set(None),
        published_at: Set(Some(now)),
        created_by: Set(None),
        suggested_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

const NETWORKS: [&str; 4] = ["linkedin", "x", "facebook", "bluesky"];

#[allow(clippy::too_many_arguments)]
fn share_model(
    org: Uuid,
    user: Uuid,
    team: Option<Uuid>,
    post: Uuid,
    campaign: Option<Uuid>,
    network: &str,
    audience: i64,
    at: chrono::DateTime<Utc>,
) -> chorus::entities::share::ActiveModel {
    chorus::entities::share::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org),
        user_id: Set(Some(user)),
        post_id: Set(post),
        campaign_id: Set(campaign),
        team_id: Set(team),
        network: Set(network.to_owned()),
        code: Set(chorus::advocacy::shares::new_code()),
        audience_size: Set(audience),
        text: Set("Look at this".into()),
        personalised: Set(false),
        status: Set("published".into()),
        public_url: Set(None),
        sharer_visitor_hash: Set(None),
        impressions: Set(audience / 2),
        reactions: Set(audience / 40),
        comments: Set(audience / 300),
        reshares: Set(audience / 600),
        engagement_source: Set(Some("employee".into())),
        created_at: Set(at),
        published_at: Set(Some(at)),
    }
}

async fn links(url: &str, shares: usize, codes_file: &str) -> anyhow::Result<()> {
    let db = connect(url).await?;
    let hash = chorus::auth::password::hash(PASSWORD.to_owned()).await?;
    let org =
        people::orgs::find_or_create(&db, &format!("Bench links {}", Uuid::new_v4().simple()))
            .await
            .map_err(err)?
            .id;
    let team = people::teams::insert(&db, org, "Advocates", None)
        .await
        .map_err(err)?;
    let post = publish(&db, org, "Bench post", None).await?;
    let mut users = Vec::new();
    for i in 0..50 {
        let id = person(
            &db,
            org,
            &format!("advocate{i}-{}@bench.test", org.simple()),
            &hash,
            Some(team),
            &[Role::Employee],
        )
        .await?;
        chorus::advocacy::consent::set_consent(
            &db,
            org,
            id,
            true,
            Some("2026-11".into()),
            Some(true),
            Utc::now(),
        )
        .await
        .map_err(err)?;
        users.push(id);
    }
    let mut rng = StdRng::seed_from_u64(7);
    let mut codes = Vec::with_capacity(shares);
    let models: Vec<_> = (0..shares)
        .map(|i| {
            let model = share_model(
                org,
                users[i % users.len()],
                Some(team),
                post,
                None,
                NETWORKS[i % 4],
                rng.gen_range(100..5000),
                Utc::now(),
            );
            if let sea_orm::ActiveValue::Set(code) = &model.code {
                codes.push(code.clone());
            }
            model
        })
        .collect();
    for chunk in models.chunks(500) {
        chorus::entities::share::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&db)
            .await?;
    }
    std::fs::write(codes_file, codes.join("\n"))?;
    println!(
        "{}",
        json!({ "org_id": org, "shares": shares, "codes_file": codes_file })
    );
    Ok(())
}

async fn clicks(url: &str, total: u64, shares: usize, days: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = connect(url).await?;
    let hash = chorus::auth::password::hash(PASSWORD.to_owned()).await?;
    let mut rng = StdRng::seed_from_u64(11);
    let org = people::orgs::find_or_create(&db, "Bench dashboards")
        .await
        .map_err(err)?
        .id;
    let root = people::teams::insert(&db, org, "Company", None)
        .await
        .map_err(err)?;
    let mut leaves = Vec::new();
    let mut departments = Vec::new();
    for d in 0..5 {
        let dept = people::teams::insert(&db, org, &format!("Department {d}"), Some(root))
            .await
            .map_err(err)?;
        departments.push(dept);
        for t in 0..4 {
            leaves.push(
                people::teams::insert(&db, org, &format!("Team {d}.{t}"), Some(dept))
                    .await
                    .map_err(err)?,
            );
        }
    }
    let admin = person(
        &db,
        org,
        "bench-admin@bench.test",
        &hash,
        Some(root),
        &[Role::Employee, Role::Admin],
    )
    .await?;
    let manager = person(
        &db,
        org,
        "bench-manager@bench.test",
        &hash,
        Some(departments[0]),
        &[Role::Employee],
    )
    .await?;
    people::teams::set_managers(&db, org, departments[0], &[manager])
        .await
        .map_err(err)?;
    let _ = admin;
    // People, most opted in.
    let mut advocates: Vec<(Uuid, Uuid)> = Vec::new();
    let txn = db.begin().await?;
    for i in 0..1000 {
        let team = leaves[i % leaves.len()];
        let id = people::users::insert(
            &txn,
            org,
            &format!("person{i}@bench.test"),
            &format!("Person {i}"),
            None,
            Some(team),
        )
        .await
        .map_err(err)?;
        if rng.gen_bool(0.6) {
            chorus::entities::advocate::Entity::insert(chorus::entities::advocate::ActiveModel {
                org_id: Set(org),
                user_id: Set(id),
                opted_in: Set(true),
                terms_version: Set(Some("2026-11".into())),
                opted_in_at: Set(Some(Utc::now() - Duration::days(days + 5))),
                opted_out_at: Set(None),
                show_in_leaderboard: Set(rng.gen_bool(0.5)),
                updated_at: Set(Utc::now()),
            })
            .exec_without_returning(&txn)
            .await?;
            advocates.push((id, team));
        }
    }
    txn.commit().await?;
    let mut campaigns = Vec::new();
    for c in 0..3 {
        let id = Uuid::now_v7();
        chorus::entities::campaign::Entity::insert(chorus::entities::campaign::ActiveModel {
            id: Set(id),
            org_id: Set(org),
            name: Set(format!("Campaign {c}")),
            slug: Set(format!("campaign-{c}")),
            description: Set(String::new()),
            starts_at: Set(Utc::now() - Duration::days(days)),
            ends_at: Set(None),
            goal_human_clicks: Set(None),
            points_multiplier: Set(1.0),
            target_team_ids: Set(json!([])),
            created_by: Set(None),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            archived_at: Set(None),
        })
        .exec_without_returning(&db)
        .await?;
        campaigns.push(id);
    }
    let mut posts = Vec::new();
    for p in 0..60 {
        let campaign = (p % 2 == 0).then(|| campaigns[p % campaigns.len()]);
        posts.push((
            publish(&db, org, &format!("Post {p}"), campaign).await?,
            campaign,
        ));
    }
    for (network, cpc, cpm) in [("linkedin", 2.5, 28.0), ("x", 0.9, 6.5)] {
        chorus::entities::emv_setting::Entity::insert(chorus::entities::emv_setting::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org),
            network: Set(network.into()),
            cpc: Set(cpc),
            cpm: Set(cpm),
            currency: Set("EUR".into()),
            effective_from: Set(Utc::now() - Duration::days(days + 30)),
            created_by: Set(None),
            created_at: Set(Utc::now()),
        })
        .exec_without_returning(&db)
        .await?;
    }
    // Shares over the window, then clicks per share over the ten days after it.
    let now = Utc::now();
    struct ShareInfo {
        id: Uuid,
        post: Uuid,
        campaign: Option<Uuid>,
        team: Uuid,
        user: Uuid,
        network: &'static str,
        day0: i64,
        weight: f64,
    }
    let mut infos = Vec::with_capacity(shares);
    let mut models = Vec::with_capacity(shares);
    for _ in 0..shares {
        let (user, team) = advocates[rng.gen_range(0..advocates.len())];
        let (post, campaign) = posts[rng.gen_range(0..posts.len())];
        let network = NETWORKS[rng.gen_range(0..NETWORKS.len())];
        let age = rng.gen_range(0..days);
        let at = now - Duration::days(age) - Duration::minutes(rng.gen_range(0..600));
        let model = share_model(
            org,
            user,
            Some(team),
            post,
            campaign,
            network,
            rng.gen_range(50..8000),
            at,
        );
        let id = match &model.id {
            sea_orm::ActiveValue::Set(id) => *id,
            _ => Uuid::nil(),
        };
        infos.push(ShareInfo {
            id,
            post,
            campaign,
            team,
            user,
            network,
            day0: age,
            weight: rng.gen_range(0.2f64..3.0).powi(2),
        });
        models.push(model);
    }
    for chunk in models.chunks(500) {
        chorus::entities::share::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&db)
            .await?;
    }
    let weight_sum: f64 = infos.iter().map(|s| s.weight).sum();
    let backend = db.get_database_backend();
    let mut written: u64 = 0;
    let mut rollups: BTreeMap<(Uuid, String), [i64; 4]> = BTreeMap::new();
    let mut pending: Vec<[sea_orm::Value; 8]> = Vec::with_capacity(1000);
    let flush = |rows: Vec<[sea_orm::Value; 8]>| {
        let mut insert = Query::insert();
        insert.into_table(Alias::new("clicks")).columns(
            [
                "org_id",
                "share_id",
                "clicked_at",
                "day",
                "visitor_hash",
                "referrer_host",
                "class",
            ]
            .map(Alias::new),
        );
        for row in rows {
            let [a, b, c, d, e, f, g, _] = row;
            insert.values_panic([
                a.into(),
                b.into(),
                c.into(),
                d.into(),
                e.into(),
                f.into(),
                g.into(),
            ]);
        }
        backend.build(&insert)
    };
    let mut txn = db.begin().await?;
    let mut in_txn = 0;
    for share in &infos {
        let count = ((share.weight / weight_sum) * total as f64).round() as u64;
        for _ in 0..count {
            let age = (share.day0 - (rng.gen_range(0.0f64..1.0).powi(3) * 10.0) as i64).max(0);
            let at = now - Duration::days(age) - Duration::seconds(rng.gen_range(0..86_000));
            let day = at.format("%Y-%m-%d").to_string();
            let roll: f64 = rng.r#gen();
            let class = if roll < 0.85 {
                "human"
            } else if roll < 0.97 {
                "bot"
            } else {
                "self"
            };
            let counters = rollups.entry((share.id, day.clone())).or_default();
            match class {
                "human" => {
                    counters[0] += 1;
                    if rng.gen_bool(0.85) {
                        counters[3] += 1;
                    }
                }
                "bot" => counters[1] += 1,
                _ => counters[2] += 1,
            }
            pending.push([
                org.into(),
                share.id.into(),
                at.into(),
                day.into(),
                format!("{:032x}", rng.r#gen::<u128>()).into(),
                Some("www.linkedin.com".to_owned()).into(),
                class.into(),
                0i64.into(),
            ]);
            if pending.len() == 1000 {
                txn.execute_raw(flush(std::mem::take(&mut pending))).await?;
                written += 1000;
                in_txn += 1;
                if in_txn == 50 {
                    txn.commit().await?;
                    txn = db.begin().await?;
                    in_txn = 0;
                    eprint!("\rclicks written: {written}");
                }
            }
        }
    }
    if !pending.is_empty() {
        written += pending.len() as u64;
        txn.execute_raw(flush(std::mem::take(&mut pending))).await?;
    }
    txn.commit().await?;
    eprintln!("\rclicks written: {written}");
    let info: BTreeMap<Uuid, &ShareInfo> = infos.iter().map(|s| (s.id, s)).collect();
    let rows: Vec<_> = rollups.into_iter().collect();
    for chunk in rows.chunks(2000) {
        let models = chunk.iter().filter_map(|((share, day), c)| {
            let s = info.get(share)?;
            Some(chorus::entities::reach_daily::ActiveModel {
                org_id: Set(org),
                share_id: Set(*share),
                day: Set(day.clone()),
                post_id: Set(s.post),
                campaign_id: Set(s.campaign),
                team_id: Set(Some(s.team)),
                user_id: Set(Some(s.user)),
                network: Set(s.network.to_owned()),
                human_clicks: Set(c[0]),
                bot_hits: Set(c[1]),
                self_clicks: Set(c[2]),
                unique_visitors: Set(c[3]),
            })
        });
        chorus::entities::reach_daily::Entity::insert_many(models)
            .exec_without_returning(&db)
            .await?;
    }
    chorus::advocacy::recorder::rebuild_aggregates(&db, org).await?;
    // The rollups above carry this data's unique visitors; the clicks are not to be read again
    // for them.
    chorus::advocacy::recorder::ledger_covers_stored_clicks(&db).await?;
    // Fresh statistics, as a production database would have.
    db.execute_unprepared("ANALYZE").await?;
    println!(
        "{}",
        json!({ "org_id": org, "clicks": written, "shares": shares, "rollup_rows": rows.len(), "seconds": started.elapsed().as_secs_f64(),
                "admin": "bench-admin@bench.test", "manager": "bench-manager@bench.test" })
    );
    Ok(())
}

async fn count(url: &str, unfolded_only: bool) -> anyhow::Result<()> {
    let db = chorus::db::connect_url(
        url,
        1,
        std::time::Duration::from_secs(5),
        std::time::Duration::from_secs(30),
        false,
    )
    .await?;
    // Stored clicks: folded into the raw table, or still queued for the folder.
    let queued = chorus::advocacy::recorder::unfolded(&db, url).await?;
    if unfolded_only {
        println!("{queued}");
        return Ok(());
    }
    let n = chorus::entities::click::Entity::find().count(&db).await?;
    println!("{}", n + queued);
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn dashboards(base: &str, calls: usize) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let login = |email: &'static str| {
        let client = client.clone();
        let base = base.to_owned();
        async move {
            let body: Value = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({ "email": email, "password": PASSWORD }))
                .send()
                .await?
                .json()
                .await?;
            body["access_token"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow::anyhow!("login of {email} failed: {body}"))
        }
    };
    let admin = login("bench-admin@bench.test").await?;
    let manager = login("bench-manager@bench.test").await?;
    let today = Utc::now().date_naive();
    let from90 = today - Duration::days(89);
    let cases = [
        (
            "organisation daily human clicks, 90 days (series, admin)",
            format!("/api/v1/reach/series?from={from90}"),
            &admin,
        ),
        (
            "organisation dashboard with breakdowns, 90 days (admin, all teams)",
            format!("/api/v1/reach/teams?from={from90}"),
            &admin,
        ),
        (
            "programme health, 90 days (admin)",
            format!("/api/v1/reach/programme?from={from90}"),
            &admin,
        ),
        (
            "manager team daily series, 90 days",
            format!("/api/v1/reach/series?from={from90}"),
            &manager,
        ),
        (
            "manager team dashboard, 30 days",
            "/api/v1/reach/teams".to_owned(),
            &manager,
        ),
        (
            "manager team dashboard, 90 days",
            format!("/api/v1/reach/teams?from={from90}"),
            &manager,
        ),
    ];
    for (name, path, token) in cases {
        let url = format!("{base}{path}");
        let mut times = Vec::with_capacity(calls);
        let mut clicks = 0;
        for i in 0..calls + 3 {
            let started = Instant::now();
            let response = client.get(&url).bearer_auth(token).send().await?;
            let status = response.status();
            let body: Value = response.json().await?;
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            anyhow::ensure!(status.is_success(), "{name}: {status} {body}");
            clicks = match body["days"].as_array() {
                Some(days) => days.iter().filter_map(|d| d["human_clicks"].as_i64()).sum(),
                None => body["totals"]["human_clicks"].as_i64().unwrap_or(0),
            };
            if i >= 3 {
                times.push(elapsed);
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{}",
            json!({ "endpoint": name, "path": path, "calls": calls, "human_clicks": clicks,
                    "p50_ms": (percentile(&times, 50.0) * 100.0).round() / 100.0,
                    "p95_ms": (percentile(&times, 95.0) * 100.0).round() / 100.0 })
        );
    }
    Ok(())
}

/// CPU time this process has used (user and system), in seconds.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split(' ').collect();
            let ticks =
                fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// Peak resident memory of this process, in MB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kb| (kb / 102.4).round() / 10.0)
}

const FOLD_AGENTS: [&str; 8] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Mobile Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) Version/17.5 Mobile Safari/604.1",
];

/// Queues `n` clicks (80 % human, 20 % link previews, visitors as the redirect benchmark makes
/// them) on the database's shares, then folds them all in chunks of `chunk`, timed.
async fn fold(url: &str, n: usize, chunk: usize) -> anyhow::Result<()> {
    use chorus::advocacy::{classify::ClickClass, links::VisitorKey, recorder};
    let db = connect(url).await?;
    let shares = chorus::entities::share::Entity::find().all(&db).await?;
    anyhow::ensure!(!shares.is_empty(), "no shares: run `links` first");
    let queue = recorder::open_queue(&db, url, false).await?;
    let key = VisitorKey::new(b"fold-benchmark-salt");
    let mut rng = StdRng::seed_from_u64(11);
    let mut queued = 0;
    while queued < n {
        let batch: Vec<recorder::NewClick> = (0..64.min(n - queued))
            .map(|_| {
                let share = &shares[rng.gen_range(0..shares.len())];
                let ip =
                    std::net::IpAddr::from([198, 51, rng.r#gen::<u8>(), rng.gen_range(1..255)]);
                let bot = rng.gen_range(0..10) < 2;
                let agent = if bot {
                    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient)"
                } else {
                    FOLD_AGENTS[rng.gen_range(0..FOLD_AGENTS.len())]
                };
                recorder::NewClick {
                    org_id: share.org_id,
                    share_id: share.id,
                    post_id: share.post_id,
                    campaign_id: share.campaign_id,
                    team_id: share.team_id,
                    user_id: share.user_id,
                    network: share.network.clone(),
                    clicked_at: Utc::now(),
                    visitor_hash: key.hash(ip, agent),
                    referrer_host: None,
                    class: if bot {
                        ClickClass::Bot
                    } else {
                        ClickClass::Human
                    },
                }
            })
            .collect();
        let refs: Vec<&recorder::NewClick> = batch.iter().collect();
        recorder::enqueue(&db, &queue, &refs).await?;
        queued += batch.len();
    }
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let mut folded = 0;
    loop {
        let done = recorder::fold(&db, &queue, chunk, true).await?;
        folded += done;
        if done == 0 {
            break;
        }
    }
    recorder::add_held_visitors(&db).await?;
    let (wall, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    anyhow::ensure!(folded == n, "folded {folded} of {n} clicks");
    println!(
        "{}",
        json!({ "clicks": n, "chunk": chunk, "seconds": (wall * 100.0).round() / 100.0,
                "clicks_per_second": (n as f64 / wall).round() as u64,
                "cpu_us_per_click": (cpu * 1e6 / n as f64 * 10.0).round() / 10.0,
                "peak_rss_mb": peak_rss_mb() })
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Links {
            database_url,
            shares,
            codes,
        } => links(&database_url, shares, &codes).await,
        Command::Clicks {
            database_url,
            clicks: n,
            shares,
            days,
        } => clicks(&database_url, n, shares, days).await,
        Command::Count {
            database_url,
            unfolded,
        } => count(&database_url, unfolded).await,
        Command::Dashboards { base, calls } => dashboards(&base, calls).await,
        Command::Fold {
            database_url,
            clicks,
            chunk,
        } => fold(&database_url, clicks, chunk).await,
    }
}
