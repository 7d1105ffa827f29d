//! Assembling and running the server: state from configuration, the HTTP server, the scheduler
//! and the outbox sender, and graceful shutdown that lets in-flight requests and the job run in
//! progress finish. [`spawn`] takes an already-bound listener so tests can use port 0.

use std::{net::SocketAddr, path::Path, sync::Arc};

use secrecy::SecretString;
use tokio::{net::TcpListener, sync::Notify};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    advocacy::{
        links::LinkCache,
        recorder::{ClickRecorder, RecorderSettings},
    },
    auth::{
        limiter::AuthLimiter,
        tokens::{JwtKeys, random_token},
    },
    config::{Config, DbKind},
    mail::Mailer,
    metrics::Metrics,
    state::{AppState, Services},
};

/// Connects the database (migrating when configured to), loads keys and builds the state.
pub async fn build_state(
    mut config: Config,
    bound: Option<SocketAddr>,
) -> anyhow::Result<AppState> {
    if let Some(addr) = bound {
        // With port 0 (tests) only the bound address is known; links must point at it.
        config.listen = addr;
    }
    let db = crate::db::connect(&config).await?;
    if config.auto_migrate() {
        crate::db::migrate_up(&db).await?;
    }
    let read_pool = crate::db::connect_read(&config).await?;
    let secret = match &config.auth.jwt_secret {
        Some(secret) => secret.clone(),
        None if config.db_kind()? == DbKind::Sqlite => local_secret(&config.data_dir)?,
        None => anyhow::bail!("auth.jwt_secret is required"),
    };
    let jwt = Arc::new(JwtKeys::new(&secret, &config.auth));
    let mailer = Mailer::from_config(&config.mail, &config.data_dir)?;
    let limiter = Arc::new(AuthLimiter::new(
        config.auth.login_per_account_per_minute,
        config.auth.login_per_client_per_minute,
    ));
    let instance: Arc<str> = config.instance_id().into();
    let metrics = Arc::new(Metrics::default());
    let background = Background::default();
    let writers = match config.advocacy.click_writers {
        0 => 1,
        n => n,
    };
    let queue = crate::advocacy::recorder::open_queue(
        &db,
        &config.database_url,
        config.database.sqlite_synchronous == crate::config::SqliteSync::Full,
    )
    .await?;
    crate::db::spawn_checkpointer(
        &db,
        queue.connection(),
        &config.database_url,
        &background.tracker,
        background.drain.clone(),
    )
    .await?;
    let clicks = ClickRecorder::start(
        db.clone(),
        queue,
        metrics.clone(),
        RecorderSettings {
            batch_max: config.advocacy.click_batch_max,
            writers,
            fold_chunk: match (config.advocacy.fold_chunk, db.get_database_backend()) {
                (0, sea_orm::DatabaseBackend::Postgres) => 5000,
                (0, _) => 1000,
                (n, _) => n,
            },
            fold_interval: std::time::Duration::from_millis(config.advocacy.fold_interval_ms),
        },
        &background.tracker,
        background.drain.clone(),
    );
    let links = Arc::new(LinkCache::new(
        std::time::Duration::from_secs(config.advocacy.link_cache_secs),
        100_000,
    ));
    Ok(AppState::new(Services {
        db,
        read_pool,
        config: Arc::new(config),
        jwt,
        mailer,
        limiter,
        metrics,
        outbox_kick: Arc::new(Notify::new()),
        instance,
        clicks,
        links,
        salts: Arc::default(),
        milestones: Arc::default(),
        background,
    }))
}

/// The signing secret of a single-machine installation, generated on first start and kept in
/// the data directory (readable by the owner only).
fn local_secret(data_dir: &Path) -> anyhow::Result<SecretString> {
    let path = data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= 32 {
            return Ok(SecretString::from(existing));
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let secret = format!("{}{}", random_token(), random_token());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    std::io::Write::write_all(&mut options.open(&path)?, secret.as_bytes())?;
    Ok(SecretString::from(secret))
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Stops taking requests and ticks, waits for in-flight work, and returns.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.handle.await?
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

/// Starts HTTP, scheduler and outbox sender on `listener`; runs until the token is cancelled.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let tracker = TaskTracker::new();
    crate::jobs::start(&state, &tracker, &shutdown);
    crate::jobs::start_outbox_kicker(&state, &tracker, &shutdown);
    // Deliver anything left queued by an earlier run.
    state.outbox_kick.notify_one();
    let background = state.background.clone();
    let app = crate::http::app(state, true);
    let served = axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await;
    // In-flight requests are done; now let the click writer drain and stop.
    shutdown.cancel();
    background.drain.cancel();
    background.tracker.close();
    tracker.close();
    tracker.wait().await;
    background.tracker.wait().await;
    served?;
    Ok(())
}

pub async fn spawn(config: Config, listener: TcpListener) -> anyhow::Result<Server> {
    let addr = listener.local_addr()?;
    let state = build_state(config, Some(addr)).await?;
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(serve(state.clone(), listener, shutdown.clone()));
    Ok(Server {
        addr,
        state,
        shutdown,
        handle,
    })
}

/// Tasks that must outlive the HTTP server (the click writer), stopped after it.
#[derive(Clone, Default)]
pub struct Background {
    pub tracker: TaskTracker,
    pub drain: CancellationToken,
}
