//! Reward-rule engine benchmark (scripts/bench-recognition.sh): an organisation of N people
//! with several active rules (caps and a budget), M events written into the recognition inbox,
//! then the real evaluation (`rules::process_with_reader`, as the scheduled job runs it) and
//! the ledger consistency check, timed. Prints one JSON line.

use std::time::Instant;

use chorus::{
    entities::{recognition_event, reward_rule, reward_rule_version},
    people,
    recognition::{events::kind, ledger, rules},
};
use chrono::{Duration, Utc};
use clap::Parser;
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

#[derive(Parser)]
struct Cli {
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    #[arg(long, default_value_t = 1000)]
    people: usize,
    /// Write the events in the order they occurred (as handlers emit them as things happen)
    /// instead of in random order; the events themselves are the same.
    #[arg(long)]
    in_time_order: bool,
    /// `all` (default), `insert` (write the organisation, rules and events, then stop) or
    /// `process` (evaluate the pending events already in the database and check the ledger):
    /// a database prepared once can be copied and evaluated many times.
    #[arg(long, value_enum, default_value_t = Stage::All)]
    stage: Stage,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Stage {
    All,
    Insert,
    Process,
}

fn err(e: chorus::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}: {:?}", e.problem())
}

async fn rule(
    db: &DatabaseConnection,
    org: Uuid,
    name: &str,
    budget: Option<i64>,
    document: serde_json::Value,
) -> anyhow::Result<()> {
    let document: rules::RuleDocument = serde_json::from_value(document)?;
    document.validate().map_err(err)?;
    let id = Uuid::now_v7();
    let now = Utc::now();
    reward_rule::Entity::insert(reward_rule::ActiveModel {
        id: Set(id),
        org_id: Set(org),
        name: Set(name.into()),
        status: Set(rules::ACTIVE.into()),
        current_version: Set(1),
        budget: Set(budget),
        budget_alerted: Set(false),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    reward_rule_version::Entity::insert(reward_rule_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org),
        rule_id: Set(id),
        version: Set(1),
        document: Set(serde_json::to_value(&document)?),
        starts_at: Set(now - Duration::days(60)),
        backfill_pending: Set(false),
        created_by: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let db = chorus::db::connect_url(
        &cli.database_url,
        4,
        std::time::Duration::from_secs(5),
        std::time::Duration::from_secs(60),
        false,
    )
    .await?;
    chorus::db::migrate_up(&db).await?;
    if cli.stage == Stage::Process {
        return evaluate(&db, &cli.database_url, None, &cli, None).await;
    }
    let org =
        people::orgs::find_or_create(&db, &format!("Bench rules {}", Uuid::new_v4().simple()))
            .await
            .map_err(err)?
            .id;
    let mut users = Vec::with_capacity(cli.people);
    for i in 0..cli.people {
        users.push(
            people::users::insert(
                &db,
                org,
                &format!("p{i}-{}@bench.test", org.simple()),
                &format!("Person {i}"),
                None,
                None,
            )
            .await
            .map_err(err)?,
        );
    }
    rule(
        &db,
        org,
        "Engagement",
        None,
        json!({
            "trigger": "engagement_reported",
            "award": { "mode": "per_unit", "points": 1, "ceiling": 50, "diminishing": true },
            "caps": { "day": 40, "week": 150 },
        }),
    )
    .await?;
    rule(
        &db,
        org,
        "Shares",
        None,
        json!({
            "trigger": "share_created",
            "award": { "mode": "fixed", "points": 5 },
            "caps": { "day": 20 },
        }),
    )
    .await?;
    rule(
        &db,
        org,
        "LinkedIn shares",
        Some(2_000_000),
        json!({
            "trigger": "share_created",
            "conditions": { "networks": ["linkedin"] },
            "award": { "mode": "fixed", "points": 3 },
            "caps": { "month": 300 },
        }),
    )
    .await?;
    rule(
        &db,
        org,
        "Thanks received",
        None,
        json!({
            "trigger": "thanks_received",
            "award": { "mode": "per_unit", "points": 1, "ceiling": 20 },
            "caps": { "week": 100 },
        }),
    )
    .await?;

    // Events over the last 30 days, in bulk (as the handlers would have emitted them).
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(7);
    let now = Utc::now();
    let networks = ["linkedin", "x", "facebook", "bluesky"];
    let mut drawn: Vec<(&str, chrono::DateTime<Utc>, Uuid, i64, &str)> = (0..cli.events)
        .map(|_| {
            let kind = match rng.gen_range(0..10) {
                0..=4 => kind::ENGAGEMENT_REPORTED,
                5..=7 => kind::SHARE_CREATED,
                _ => kind::THANKS_RECEIVED,
            };
            let at = now - Duration::seconds(rng.gen_range(0..30 * 86_400));
            let user = users[rng.gen_range(0..users.len())];
            let units = rng.gen_range(1..200);
            (kind, at, user, units, networks[rng.gen_range(0..4)])
        })
        .collect();
    if cli.in_time_order {
        drawn.sort_by_key(|(_, at, ..)| *at);
    }
    for (n, chunk) in drawn.chunks(20_000).enumerate() {
        let txn = db.begin().await?;
        let rows: Vec<recognition_event::ActiveModel> = chunk
            .iter()
            .enumerate()
            .map(
                |(i, (kind, at, user, units, network))| recognition_event::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    org_id: Set(org),
                    kind: Set((*kind).to_owned()),
                    user_id: Set(*user),
                    team_id: Set(None),
                    dedupe_key: Set(format!("bench:{}", n * 20_000 + i)),
                    units: Set(*units),
                    payload: Set(json!({ "network": network })),
                    occurred_at: Set(*at),
                    created_at: Set(now),
                    processed_at: Set(None),
                },
            )
            .collect();
        for part in rows.chunks(2000) {
            recognition_event::Entity::insert_many(part.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    let insert_secs = started.elapsed().as_secs_f64();
    if cli.stage == Stage::Insert {
        println!(
            "{}",
            json!({ "events": cli.events, "insert_secs": insert_secs })
        );
        return Ok(());
    }
    evaluate(&db, &cli.database_url, Some(org), &cli, Some(insert_secs)).await
}

/// Evaluates the pending events, checks the ledger (of `org`, or of every organisation) and
/// prints the figures.
async fn evaluate(
    db: &DatabaseConnection,
    url: &str,
    org: Option<Uuid>,
    cli: &Cli,
    insert_secs: Option<f64>,
) -> anyhow::Result<()> {
    // As the `rules` job does: a second connection reads and decides on a SQLite file.
    let reader = chorus::db::sqlite_reader(url).await?;
    let started = Instant::now();
    let done = rules::process_with_reader(db, reader.as_ref().unwrap_or(db))
        .await
        .map_err(err)?;
    let process_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(!done.busy, "another processor held the lease");

    let started = Instant::now();
    let report = ledger::check(db, org).await.map_err(err)?;
    let check_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(report.consistent, "ledger inconsistent: {report:?}");
    let all = Instant::now();
    let everything = ledger::check(db, None).await.map_err(err)?;
    let check_all_secs = all.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "events": done.events,
            "people": cli.people,
            "in_time_order": cli.in_time_order,
            "awards": done.awards,
            "points": done.points,
            "insert_secs": insert_secs.map(|s| (s * 100.0).round() / 100.0),
            "process_secs": (process_secs * 100.0).round() / 100.0,
            "events_per_sec": (done.events as f64 / process_secs).round(),
            "transactions": report.transactions,
            "entries": report.entries,
            "check_secs": (check_secs * 1000.0).round() / 1000.0,
            "check_all_secs": (check_all_secs * 1000.0).round() / 1000.0,
            "consistent": report.consistent && everything.consistent,
        })
    );
    Ok(())
}
