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
    /// Recognition maintenance.
    Recognition {
        #[command(subcommand)]
        action: RecognitionAction,
    },
}

#[derive(Subcommand)]
enum RecognitionAction {
    /// Recompute every points balance from the ledger entries and report mismatches, unbalanced
    /// transactions and overdrawn accounts; exits with 1 when anything is inconsistent.
    Check {
        /// Only this organisation (id or slug); default all.
        #[arg(long)]
        org: Option<String>,
    },
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
        Command::Recognition {
            action: RecognitionAction::Check { org },
        } => recognition_check(&config, org.as_deref()).await,
    }
}

async fn recognition_check(config: &Config, org: Option<&str>) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use crate::entities::organisation;
    let db = crate::db::connect(config).await?;
    let org_id = match org {
        None => None,
        Some(wanted) => {
            let found = match wanted.parse::<uuid::Uuid>() {
                Ok(id) => organisation::Entity::find_by_id(id).one(&db).await?,
                Err(_) => {
                    organisation::Entity::find()
                        .filter(organisation::Column::Slug.eq(wanted))
                        .one(&db)
                        .await?
                }
            };
            Some(
                found
                    .ok_or_else(|| anyhow::anyhow!("no organisation {wanted}"))?
                    .id,
            )
        }
    };
    let report = crate::recognition::ledger::check(&db, org_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "checked {} accounts, {} transactions, {} entries in {} ms",
        report.accounts, report.transactions, report.entries, report.elapsed_ms
    );
    for m in &report.mismatched_accounts {
        println!(
            "mismatch: account {} ({}) has balance {} but its entries sum to {}",
            m.account_id, m.kind, m.balance, m.sum_of_entries
        );
    }
    for id in &report.unbalanced_transactions {
        println!("unbalanced: transaction {id} does not sum to zero");
    }
    for id in &report.negative_accounts {
        println!("overdrawn: account {id} is below zero");
    }
    if report.consistent {
        println!("consistent");
        Ok(())
    } else {
        anyhow::bail!(
            "the ledger is inconsistent: {} mismatched accounts, {} unbalanced transactions, {} overdrawn accounts",
            report.mismatched_accounts.len(),
            report.unbalanced_transactions.len(),
            report.negative_accounts.len()
        )
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
