//! The `chorus` command: `serve`, `migrate`, `create-admin`, `seed-demo` and `openapi`.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "chorus",
    version,
    about = "Chorus: employee advocacy and recognition"
)]
struct Cli {
    /// TOML configuration file (settings in CHORUS_* environment variables override it).
    #[arg(long, short, env = "CHORUS_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server, scheduler and mail sender.
    Serve,
    /// Apply, roll back or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Create an organisation (if new) and an administrator in it.
    CreateAdmin {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long, env = "CHORUS_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Create the demo organisation with people, teams and credentials printed at the end.
    SeedDemo {
        /// Do nothing (but print the credentials) when the demo organisation exists.
        #[arg(long)]
        if_empty: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply all pending migrations.
    Up,
    /// Roll back the latest migrations.
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List applied and pending migrations.
    Status,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        match serde_json::to_string_pretty(&crate::http::openapi_document()) {
            Ok(json) => {
                println!("{json}");
                return ExitCode::SUCCESS;
            }
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("chorus: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(config.log_format, &config.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("chorus: cannot start runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "chorus stopped with an error");
            eprintln!("chorus: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate { action } => {
            let db = crate::db::connect(&config).await?;
            match action {
                MigrateAction::Up => {
                    crate::db::migrate_up(&db).await?;
                    println!("migrations applied");
                }
                MigrateAction::Down { steps } => {
                    crate::db::migrate_down(&db, steps).await?;
                    println!("rolled back {steps} migration(s)");
                }
                MigrateAction::Status => {
                    for (name, applied) in crate::db::migration_status(&db).await? {
                        println!("{} {name}", if applied { "applied" } else { "pending" });
                    }
                }
            }
            Ok(())
        }
        Command::CreateAdmin {
            org,
            email,
            password,
            name,
        } => {
            if let Err(message) = crate::auth::password::validate(&password) {
                anyhow::bail!("password {message}");
            }
            let db = crate::db::connect(&config).await?;
            if config.auto_migrate() {
                crate::db::migrate_up(&db).await?;
            }
            let hash = crate::auth::password::hash(password).await?;
            let (org, _) =
                crate::people::orgs::create_admin(&db, &org, &email, hash, name.as_deref())
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!("{}", e.problem().detail.unwrap_or_else(|| e.to_string()))
                    })?;
            println!(
                "administrator {email} ready in organisation \"{}\" ({})",
                org.name, org.slug
            );
            Ok(())
        }
        Command::SeedDemo { if_empty } => {
            let db = crate::db::connect(&config).await?;
            if config.auto_migrate() {
                crate::db::migrate_up(&db).await?;
            }
            crate::seed::seed_demo(&db, if_empty).await
        }
        Command::Openapi => Ok(()),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let state = crate::build_state(config, listener.local_addr().ok()).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            wait_for_signal().await;
            tracing::info!("shutting down: finishing in-flight requests and jobs");
            shutdown.cancel();
        }
    });
    let listen = listener.local_addr()?;
    let db_kind = format!("{:?}", state.config.db_kind()?).to_lowercase();
    tracing::info!(%listen, database = %db_kind, instance = %state.instance, "Chorus is listening");
    println!("Chorus is running at http://{listen}/  (API docs: http://{listen}/api/docs)");
    crate::serve(state, listener, shutdown).await
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
