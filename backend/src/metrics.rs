//! Prometheus metrics kept in a registry owned by the application state (no global recorder),
//! so that several servers can live in one process, as they do in the tests.

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub job: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobNameLabels {
    pub job: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// `primary` or `read`.
    pub pool: String,
    /// `in_use`, `idle` or `max`.
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClassLabels {
    pub class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: String,
}

/// Every metric family `/metrics` exposes, as queried (counters with `_total`; histograms add
/// `_bucket`, `_sum` and `_count`). Dashboards and alerts may rely on exactly these names.
pub const FAMILIES: &[&str] = &[
    "chorus_http_requests_total",
    "chorus_http_request_duration_seconds",
    "chorus_clicks_recorded_total",
    "chorus_click_batch_size",
    "chorus_outbox_messages",
    "chorus_mail_sent_total",
    "chorus_mail_failed_attempts_total",
    "chorus_job_runs_total",
    "chorus_job_duration_seconds",
    "chorus_db_pool_connections",
];

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
    pub mail_sent: Counter,
    pub mail_failed_attempts: Counter,
    pub outbox_depth: Family<StatusLabels, Gauge>,
    pub job_runs: Family<JobLabels, Counter>,
    pub job_duration: Family<JobNameLabels, Histogram>,
    pub db_pool: Family<PoolLabels, Gauge>,
    pub clicks: Family<ClassLabels, Counter>,
    pub click_batch_size: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chorus");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ])
        });
        let mail_sent = Counter::default();
        let mail_failed_attempts = Counter::default();
        let outbox_depth = Family::<StatusLabels, Gauge>::default();
        let job_runs = Family::<JobLabels, Counter>::default();
        let job_duration = Family::<JobNameLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0])
        });
        let db_pool = Family::<PoolLabels, Gauge>::default();
        let clicks = Family::<ClassLabels, Counter>::default();
        let click_batch_size =
            Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0]);
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        registry.register(
            "mail_sent",
            "Emails handed to the mail transport",
            mail_sent.clone(),
        );
        registry.register(
            "mail_failed_attempts",
            "Email delivery attempts that failed",
            mail_failed_attempts.clone(),
        );
        registry.register(
            "outbox_messages",
            "Outbox messages by status at scrape time",
            outbox_depth.clone(),
        );
        registry.register(
            "job_runs",
            "Scheduled job runs by outcome (lease_lost: another server ran the tick)",
            job_runs.clone(),
        );
        registry.register(
            "job_duration_seconds",
            "Duration of scheduled job runs this server performed",
            job_duration.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections per pool (primary, read) by state (in_use, idle, max)",
            db_pool.clone(),
        );
        registry.register(
            "clicks_recorded",
            "Tracked-link clicks stored, by class",
            clicks.clone(),
        );
        registry.register(
            "click_batch_size",
            "Clicks written per group-commit transaction",
            click_batch_size.clone(),
        );
        Self {
            clicks,
            click_batch_size,
            registry,
            requests,
            latency,
            mail_sent,
            mail_failed_attempts,
            outbox_depth,
            job_runs,
            job_duration,
            db_pool,
        }
    }
}

impl Metrics {
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// Records a pool's connection counts (in use, idle, maximum) at scrape time.
    pub fn pool(&self, pool: &str, (in_use, idle, max): (i64, i64, i64)) {
        for (state, value) in [("in_use", in_use), ("idle", idle), ("max", max)] {
            self.db_pool
                .get_or_create(&PoolLabels {
                    pool: pool.to_owned(),
                    state: state.to_owned(),
                })
                .set(value);
        }
    }

    pub fn job(&self, job: &str, outcome: &str) {
        self.job_runs
            .get_or_create(&JobLabels {
                job: job.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }
}
