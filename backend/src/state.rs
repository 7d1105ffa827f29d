//! Shared application state handed to every handler, extractor and background job.

use std::sync::Arc;

use axum::extract::FromRef;
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

#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Read replica for dashboards (`database.read_url`); use [`AppState::read_db`].
    #[from_ref(skip)]
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
    /// Background tasks stopped only after in-flight requests finish.
    pub background: crate::app::Background,
}

impl AppState {
    /// The connection for dashboard reads: the read replica when configured, else the primary.
    pub fn read_db(&self) -> &DatabaseConnection {
        self.read_pool.as_ref().unwrap_or(&self.db)
    }

    /// This state with `db` pointing at the read connection, for handlers that only read.
    pub fn for_reads(&self) -> AppState {
        let mut state = self.clone();
        state.db = self.read_db().clone();
        state
    }
}
