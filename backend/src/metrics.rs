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
pub struct ClassLabels {
    pub class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: String,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
    pub mail_sent: Counter,
    pub mail_failed_attempts: Counter,
    pub outbox_depth: Family<StatusLabels, Gauge>,
    pub job_runs: Family<JobLabels, Counter>,
    pub db_pool_size: Gauge,
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
        let db_pool_size = Gauge::default();
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
            "db_pool_connections",
            "Open database connections",
            db_pool_size.clone(),
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
            db_pool_size,
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

    pub fn job(&self, job: &str, outcome: &str) {
        self.job_runs
            .get_or_create(&JobLabels {
                job: job.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }
}
