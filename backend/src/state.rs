//! Shared application state handed to every handler, extractor and background job.

use std::{ops::Deref, sync::Arc};

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::{
    advocacy::{
        links::{LinkCache, Salts},
        recorder::ClickRecorder,
    },
    auth::{limiter::AuthLimiter, tokens::JwtKeys},
    config::Config,
    mail::Mailer,
    metrics::Metrics,
};

/// Handed to every request by each middleware layer and the handler, so it is one shared
/// pointer: cloning it costs one atomic increment, whatever it holds.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What handlers, extractors and background jobs share.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    /// Read replica for dashboards (`database.read_url`); use [`Services::read_db`].
    pub read_pool: Option<DatabaseConnection>,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    pub mailer: Mailer,
    pub limiter: Arc<AuthLimiter>,
    pub metrics: Arc<Metrics>,
    /// Wakes this process's outbox sender as soon as a message is queued.
    pub outbox_kick: Arc<Notify>,
    /// This process's name in job runs and outbox leases.
    pub instance: Arc<str>,
    /// Group-commit writer for tracked-link clicks.
    pub clicks: ClickRecorder,
    pub links: Arc<LinkCache>,
    pub salts: Arc<Salts>,
    /// Reach totals with which this server last emitted milestone events (the rules job).
    pub milestones: Arc<crate::recognition::events::MilestoneMemo>,
    /// Background tasks stopped only after in-flight requests finish.
    pub background: crate::app::Background,
}

impl Services {
    /// The connection for dashboard reads: the read replica when configured, else the primary.
    pub fn read_db(&self) -> &DatabaseConnection {
        self.read_pool.as_ref().unwrap_or(&self.db)
    }

    /// This state with `db` pointing at the read connection, for handlers that only read.
    pub fn for_reads(&self) -> AppState {
        let mut services = self.clone();
        services.db = self.read_db().clone();
        AppState::new(services)
    }
}
