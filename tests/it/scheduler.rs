//! Scheduled jobs run once per tick even when several servers share the database.

use std::collections::BTreeMap;

use chorus::entities::job_run;
use chorus_tests::{Options, TestApp, both};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

both! { each_tick_runs_once_across_two_servers with Options::with(json!({ "jobs": { "housekeeping": "* * * * * *" } })) }

fn metric(text: &str, outcome: &str) -> u64 {
    text.lines()
        .find(|l| {
            l.starts_with("chorus_job_runs_total")
                && l.contains("job=\"housekeeping\"")
                && l.contains(&format!("outcome=\"{outcome}\""))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn each_tick_runs_once_across_two_servers(app: TestApp) {
    let other = app
        .sibling(Options::with(
            json!({ "jobs": { "housekeeping": "* * * * * *" } }),
        ))
        .await;
    let runs = app
        .eventually(20, "four housekeeping ticks", || async {
            let runs = job_run::Entity::find()
                .filter(job_run::Column::Job.eq("housekeeping"))
                .all(app.db())
                .await
                .ok()?;
            (runs.iter().filter(|r| r.outcome == "succeeded").count() >= 4).then_some(runs)
        })
        .await;
    other.stop().await;
    app.stop().await;
    let mut per_tick: BTreeMap<_, usize> = BTreeMap::new();
    for run in &runs {
        *per_tick.entry(run.scheduled_for).or_default() += 1;
        assert!(
            run.outcome == "succeeded" || run.outcome == "running",
            "{run:?}"
        );
    }
    assert!(
        per_tick.values().all(|n| *n == 1),
        "a tick ran twice: {per_tick:?}"
    );
    let (a, b) = (app.state.metrics.render(), other.state.metrics.render());
    let ran = metric(&a, "succeeded") + metric(&b, "succeeded");
    let lost = metric(&a, "lease_lost") + metric(&b, "lease_lost");
    let finished = runs.iter().filter(|r| r.outcome == "succeeded").count() as u64;
    assert_eq!(
        ran, finished,
        "every recorded run was executed by exactly one server"
    );
    assert!(
        lost >= finished.saturating_sub(1),
        "both servers competed for each tick (ran {ran}, lost {lost})"
    );
}
