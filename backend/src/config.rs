//! Configuration: defaults, then an optional TOML file, then `CHORUS_*` environment variables.
//!
//! Top-level keys map to `CHORUS_<KEY>` (`CHORUS_LISTEN`, `CHORUS_DATABASE_URL`, `CHORUS_DATA_DIR`);
//! nested keys use a double underscore (`CHORUS_AUTH__JWT_SECRET`, `CHORUS_MAIL__SMTP_HOST`).
//! `CHORUS_DATABASE_READ_URL` is accepted as an alias of `CHORUS_DATABASE__READ_URL` (the nested
//! spelling wins when both are set).
//! Everything is validated once at start ([`Config::load`]) so that a bad setting stops the
//! process with a message naming it, instead of failing later. Secrets are [`SecretString`]s and
//! never appear in `Debug` output or logs.

use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, str::FromStr};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Jobs the scheduler knows how to run, with their default cron expressions (seconds first).
pub const DEFAULT_JOBS: &[(&str, &str)] = &[
    ("outbox", "*/5 * * * * *"),
    ("housekeeping", "0 */10 * * * *"),
    ("publish", "0 * * * * *"),
    ("salts", "0 0 0 * * *"),
    ("rules", "*/5 * * * * *"),
    ("badges", "0 */15 * * * *"),
    ("partitions", "0 15 3 * * *"),
    ("retention", "0 45 3 * * *"),
];

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// Directory for the SQLite file, the generated signing key and file-transport mail.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data_dir>/chorus.db`.
    #[serde(default)]
    pub database_url: String,
    /// Base URL people reach the frontend at; used in links inside emails. Defaults to the
    /// address the server listens on.
    pub public_url: Option<url::Url>,
    /// Built frontend to serve at `/` (optional; skipped when the directory does not exist).
    pub frontend_dir: Option<PathBuf>,
    /// Run pending migrations at start. Defaults to on for SQLite and off for PostgreSQL.
    pub auto_migrate: Option<bool>,
    /// `human` or `json`.
    pub log_format: LogFormat,
    /// A `tracing` filter such as `info` or `chorus=debug,info`.
    pub log_level: String,
    /// Name of this process in job runs and outbox leases; defaults to host name and pid.
    pub instance_id: Option<String>,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub mail: MailConfig,
    pub limits: LimitsConfig,
    pub http: HttpConfig,
    pub advocacy: AdvocacyConfig,
    /// Job name → cron expression (`sec min hour day-of-month month day-of-week [year]`).
    pub jobs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AdvocacyConfig {
    /// Version of the programme terms people accept when opting in.
    pub terms_version: String,
    /// Base URL of tracked links (`<base>/r/<code>`); defaults to `public_url`.
    pub link_base_url: Option<url::Url>,
    /// Smallest group shown on its own in team views; smaller groups fold into "other".
    pub k_anonymity: u32,
    /// Warn a sharer when at least this many colleagues recently posted near-identical text.
    pub similar_share_warning: usize,
    /// Most clicks written in one transaction by the redirect's group commit.
    pub click_batch_max: usize,
    /// Writer tasks committing clicks concurrently; 0 picks one. Clicks that arrive while a
    /// commit is in flight wait for the next one, so a single writer's batches grow with the
    /// load; on PostgreSQL one writer answered more redirects than two or four on the same
    /// machine (fewer, larger commits). More writers overlap commits, which can help when
    /// each commit waits long for a distant database.
    pub click_writers: usize,
    /// Most queued clicks folded into the rollups in one transaction; 0 picks 1,000 on SQLite
    /// (whose fold works in the server's memory) and 5,000 on PostgreSQL (where a fold's cost
    /// per click falls by about 40 % from 1,000 to 5,000, its rollup rows being shared by more
    /// clicks).
    pub fold_chunk: usize,
    /// How long the folder lets clicks gather before folding them, in milliseconds.
    pub fold_interval_ms: u64,
    /// How long a tracked link's target is cached by each server.
    pub link_cache_secs: u64,
    /// Longest reporting window, in days.
    pub max_window_days: i64,
    /// Raw clicks older than this many days are removed by the `retention` job (daily rollups
    /// are kept); 0 keeps raw clicks forever.
    pub click_retention_days: u32,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DatabaseConfig {
    /// Pool size for PostgreSQL. SQLite always uses one writer connection.
    pub max_connections: u32,
    /// Optional second database (a read replica) for dashboard reads; same engine as
    /// `database_url`. Writes and everything else use the primary.
    #[serde(default)]
    pub read_url: Option<String>,
    pub connect_timeout_secs: u64,
    pub acquire_timeout_secs: u64,
    /// SQLite commit durability: `normal` (WAL: a commit survives a killed process, the last
    /// commits may be lost on power failure) or `full` (fsync on every commit).
    pub sqlite_synchronous: SqliteSync,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    Normal,
    Full,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthConfig {
    /// HS256 signing secret (≥ 32 bytes). Required with PostgreSQL, where several servers must
    /// share it; with SQLite one is generated into the data directory when absent.
    pub jwt_secret: Option<SecretString>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub magic_link_ttl_secs: i64,
    pub password_reset_ttl_secs: i64,
    pub invitation_ttl_secs: i64,
    /// Sign-in attempts (password or magic link) allowed per account per minute.
    pub login_per_account_per_minute: u32,
    /// Sign-in attempts allowed per client address per minute.
    pub login_per_client_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` header is believed (addresses or CIDR ranges).
    pub trusted_proxies: Vec<IpNet>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MailConfig {
    pub transport: MailTransportKind,
    pub from: String,
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
    pub smtp_pool_size: u32,
    pub smtp_timeout_secs: u64,
    /// Directory for the file transport; defaults to `<data_dir>/mail`.
    pub file_dir: Option<PathBuf>,
    /// Attempts before a message is marked failed.
    pub max_attempts: i32,
    /// First retry delay; doubles per attempt up to `retry_max_ms`.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// How long a worker may hold a claimed message before another may take it over.
    pub lease_secs: i64,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    Smtp,
    File,
    Memory,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LimitsConfig {
    /// Largest JSON request body accepted.
    pub body_bytes: usize,
    /// Largest CSV import accepted.
    pub import_bytes: usize,
    pub request_timeout_secs: u64,
    /// Largest page size a list endpoint returns.
    pub max_page_size: u64,
    /// API writes (POST, PUT, PATCH, DELETE) allowed per client address per minute.
    pub writes_per_client_per_minute: u32,
    /// API writes allowed per signed-in account per minute.
    pub writes_per_account_per_minute: u32,
    /// Tracked-link redirects allowed per client address per minute (a flood from one address
    /// is refused with 429 while every other address is still answered).
    pub redirects_per_client_per_minute: u32,
    /// Client addresses (or CIDR ranges) whose redirects are not limited: by default loopback,
    /// where a local reverse proxy that is not a trusted proxy, or a load generator, connects.
    pub redirect_exempt: Vec<IpNet>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct HttpConfig {
    /// Origins (`scheme://host[:port]`) whose browser pages may call the API across origins.
    /// Empty (the default): only the server's own origin, which needs no CORS.
    pub cors_origins: Vec<String>,
    /// `Strict-Transport-Security` max-age, sent when `public_url` is `https://`; 0 turns it off.
    pub hsts_max_age_secs: u64,
}

/// Which database engine a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("invalid setting `{key}`: {message}")]
    Invalid { key: String, message: String },
}

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.into(),
    }
}

fn defaults() -> serde_json::Value {
    let jobs: BTreeMap<&str, &str> = DEFAULT_JOBS.iter().copied().collect();
    serde_json::json!({
        "listen": "127.0.0.1:8080",
        "data_dir": "./data",
        "database_url": "",
        "frontend_dir": "frontend/dist",
        "log_format": "human",
        "log_level": "info",
        "database": { "max_connections": 10, "connect_timeout_secs": 5, "acquire_timeout_secs": 5, "sqlite_synchronous": "normal" },
        "auth": {
            "issuer": "chorus",
            "audience": "chorus-api",
            "access_ttl_secs": 900,
            "refresh_ttl_secs": 30 * 24 * 3600,
            "magic_link_ttl_secs": 900,
            "password_reset_ttl_secs": 3600,
            "invitation_ttl_secs": 7 * 24 * 3600,
            "login_per_account_per_minute": 5,
            "login_per_client_per_minute": 30,
            "trusted_proxies": [],
        },
        "mail": {
            "transport": "file",
            "from": "Chorus <chorus@localhost>",
            "smtp_port": 587,
            "smtp_tls": "starttls",
            "smtp_pool_size": 4,
            "smtp_timeout_secs": 15,
            "max_attempts": 8,
            "retry_base_ms": 30_000,
            "retry_max_ms": 3_600_000,
            "lease_secs": 300,
        },
        "limits": {
            "body_bytes": 64 * 1024,
            "import_bytes": 2 * 1024 * 1024,
            "request_timeout_secs": 30,
            "max_page_size": 200,
            "writes_per_client_per_minute": 3000,
            "writes_per_account_per_minute": 1200,
            "redirects_per_client_per_minute": 6000,
            "redirect_exempt": ["127.0.0.0/8", "::1/128"],
        },
        "http": {
            "cors_origins": [],
            "hsts_max_age_secs": 31_536_000,
        },
        "advocacy": {
            "terms_version": "2026-11",
            "k_anonymity": 5,
            "similar_share_warning": 3,
            "click_batch_max": 512,
            "click_writers": 0,
            "fold_chunk": 0,
            "fold_interval_ms": 250,
            "link_cache_secs": 10,
            "max_window_days": 400,
            "click_retention_days": 0,
        },
        "jobs": jobs,
    })
}

impl Config {
    /// Defaults, then the TOML file (if given), then `CHORUS_*` variables; validated.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(defaults()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(invalid(
                    "config",
                    format!("file {} does not exist", file.display()),
                ));
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = with_read_url_alias(figment, std::env::var("CHORUS_DATABASE_READ_URL").ok())
            .merge(Env::prefixed("CHORUS_").split("__").ignore(&[
                "config",
                "test_postgres_url",
                "database_read_url",
            ]));
        Self::from_figment(figment)
    }

    /// Builds a configuration from explicit values layered over the defaults (tests, tools).
    pub fn from_overrides(overrides: serde_json::Value) -> Result<Self, ConfigError> {
        Self::from_figment(
            Figment::from(Serialized::defaults(defaults())).merge(Serialized::defaults(overrides)),
        )
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let mut config: Config = figment.extract().map_err(Box::new)?;
        // Merged maps keep the default jobs unless a setting replaces them.
        config.validate()?;
        Ok(config)
    }

    fn validate(&mut self) -> Result<(), ConfigError> {
        if self.database_url.trim().is_empty() {
            self.database_url = format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("chorus.db").display()
            );
        }
        let kind = self.db_kind()?;
        if let Some(read) = self.database.read_url.take() {
            let read = read.trim().to_owned();
            if !read.is_empty() {
                if db_kind_of(&read).ok() != Some(kind) {
                    return Err(invalid(
                        "database.read_url",
                        "must use the same database engine as database_url",
                    ));
                }
                self.database.read_url = Some(read);
            }
        }
        if let Some(secret) = &self.auth.jwt_secret {
            if secret.expose_secret().len() < 32 {
                return Err(invalid("auth.jwt_secret", "must be at least 32 bytes long"));
            }
        } else if kind == DbKind::Postgres {
            return Err(invalid(
                "auth.jwt_secret",
                "must be set (CHORUS_AUTH__JWT_SECRET) when using PostgreSQL, so that every server shares it",
            ));
        }
        for (key, value) in [
            ("auth.access_ttl_secs", self.auth.access_ttl_secs),
            ("auth.refresh_ttl_secs", self.auth.refresh_ttl_secs),
            ("auth.magic_link_ttl_secs", self.auth.magic_link_ttl_secs),
            (
                "auth.password_reset_ttl_secs",
                self.auth.password_reset_ttl_secs,
            ),
            ("auth.invitation_ttl_secs", self.auth.invitation_ttl_secs),
        ] {
            if value <= 0 {
                return Err(invalid(key, "must be a positive number of seconds"));
            }
        }
        if self.auth.login_per_account_per_minute == 0 || self.auth.login_per_client_per_minute == 0
        {
            return Err(invalid("auth.login_per_*_per_minute", "must be at least 1"));
        }
        if self.mail.transport == MailTransportKind::Smtp
            && self.mail.smtp_host.as_deref().unwrap_or("").is_empty()
        {
            return Err(invalid(
                "mail.smtp_host",
                "is required when mail.transport is smtp",
            ));
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "mail.from",
                "is not a valid mailbox such as `Chorus <chorus@example.com>`",
            ));
        }
        if self.mail.max_attempts < 1 {
            return Err(invalid("mail.max_attempts", "must be at least 1"));
        }
        if self.advocacy.k_anonymity < 1
            || self.advocacy.click_batch_max < 1
            || self.advocacy.terms_version.trim().is_empty()
        {
            return Err(invalid(
                "advocacy",
                "k_anonymity and click_batch_max must be ≥ 1 and terms_version set",
            ));
        }
        if self.limits.body_bytes < 1024 || self.limits.max_page_size == 0 {
            return Err(invalid(
                "limits",
                "body_bytes must be ≥ 1024 and max_page_size ≥ 1",
            ));
        }
        if self.limits.writes_per_client_per_minute == 0
            || self.limits.writes_per_account_per_minute == 0
            || self.limits.redirects_per_client_per_minute == 0
        {
            return Err(invalid(
                "limits.*_per_minute",
                "rate limits must be at least 1 per minute",
            ));
        }
        for origin in &self.http.cors_origins {
            let parsed = url::Url::parse(origin).ok();
            let is_origin = parsed.as_ref().is_some_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host().is_some()
                    && u.path() == "/"
                    && u.query().is_none()
                    && !origin.ends_with('/')
            });
            if !is_origin {
                return Err(invalid(
                    "http.cors_origins",
                    format!("`{origin}` is not an origin such as `https://app.example.com`"),
                ));
            }
        }
        let known: Vec<&str> = DEFAULT_JOBS.iter().map(|(name, _)| *name).collect();
        for (name, expr) in &self.jobs {
            if !known.contains(&name.as_str()) {
                return Err(invalid(
                    &format!("jobs.{name}"),
                    format!("unknown job; known jobs are {}", known.join(", ")),
                ));
            }
            if !expr.trim().is_empty() && expr.trim() != "off" {
                cron::Schedule::from_str(expr).map_err(|e| {
                    invalid(
                        &format!("jobs.{name}"),
                        format!("invalid cron expression `{expr}`: {e}"),
                    )
                })?;
            }
        }
        Ok(())
    }

    /// The public base URL: configured, or the listening address.
    pub fn public_url(&self) -> url::Url {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let ip = if self.listen.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            self.listen.ip()
        };
        let base = format!("http://{}", SocketAddr::new(ip, self.listen.port()));
        #[allow(clippy::expect_used)]
        url::Url::parse(&base).expect("a socket address forms a valid URL")
    }

    pub fn db_kind(&self) -> Result<DbKind, ConfigError> {
        db_kind_of(&self.database_url)
    }

    pub fn auto_migrate(&self) -> bool {
        self.auto_migrate
            .unwrap_or(matches!(self.db_kind(), Ok(DbKind::Sqlite)))
    }

    pub fn instance_id(&self) -> String {
        self.instance_id.clone().unwrap_or_else(|| {
            let host = hostname::get()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "chorus".into());
            format!("{host}-{}", std::process::id())
        })
    }

    /// Jobs that are switched on, with their parsed schedules.
    pub fn schedules(&self) -> Vec<(String, cron::Schedule)> {
        self.jobs
            .iter()
            .filter_map(|(name, expr)| {
                cron::Schedule::from_str(expr)
                    .ok()
                    .map(|schedule| (name.clone(), schedule))
            })
            .collect()
    }
}

/// `CHORUS_DATABASE_READ_URL` (flat spelling) sets `database.read_url`; merged before the
/// `CHORUS_*` variables so that `CHORUS_DATABASE__READ_URL` wins when both are set.
fn with_read_url_alias(figment: Figment, flat: Option<String>) -> Figment {
    match flat {
        Some(url) => figment.merge(Serialized::default("database.read_url", url)),
        None => figment,
    }
}

pub fn db_kind_of(url: &str) -> Result<DbKind, ConfigError> {
    if url.starts_with("sqlite:") {
        Ok(DbKind::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DbKind::Postgres)
    } else {
        Err(invalid(
            "database_url",
            "must start with sqlite:// or postgres://",
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn defaults_are_valid_and_sqlite_by_default() {
        let config =
            Config::from_overrides(json!({ "data_dir": "/tmp/chorus-x" })).expect("defaults");
        assert_eq!(config.db_kind().expect("kind"), DbKind::Sqlite);
        assert!(config.database_url.contains("/tmp/chorus-x/chorus.db"));
        assert!(config.auto_migrate());
        assert_eq!(config.schedules().len(), DEFAULT_JOBS.len());
    }

    #[test]
    fn bad_settings_name_the_key() {
        let cases = [
            (
                json!({ "jobs": { "housekeeping": "not a cron" } }),
                "jobs.housekeeping",
            ),
            (
                json!({ "jobs": { "unknown": "* * * * * *" } }),
                "jobs.unknown",
            ),
            (
                json!({ "database_url": "postgres://x/y" }),
                "auth.jwt_secret",
            ),
            (
                json!({ "auth": { "jwt_secret": "short" } }),
                "auth.jwt_secret",
            ),
            (json!({ "mail": { "transport": "smtp" } }), "mail.smtp_host"),
            (json!({ "mail": { "from": "not a mailbox" } }), "mail.from"),
        ];
        for (overrides, key) in cases {
            let err = Config::from_overrides(overrides.clone()).expect_err("invalid");
            assert!(err.to_string().contains(key), "{overrides}: {err}");
        }
    }

    #[test]
    fn flat_read_url_alias_is_the_nested_setting() {
        let defaults = || {
            Figment::from(Serialized::defaults(defaults())).merge(Serialized::defaults(json!({
                "database_url": "postgres://db/chorus",
                "auth": { "jwt_secret": "a-secret-that-is-long-enough-for-tests" },
            })))
        };
        let config = Config::from_figment(with_read_url_alias(
            defaults(),
            Some("postgres://replica/chorus".into()),
        ))
        .expect("config");
        assert_eq!(
            config.database.read_url.as_deref(),
            Some("postgres://replica/chorus")
        );
        let none = Config::from_figment(with_read_url_alias(defaults(), Some("  ".into())))
            .expect("config");
        assert_eq!(none.database.read_url, None, "blank means no replica");
        let err = Config::from_overrides(
            json!({ "database": { "read_url": "postgres://replica/chorus" } }),
        )
        .expect_err("engines differ");
        assert!(err.to_string().contains("database.read_url"), "{err}");
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let config = Config::from_overrides(
            json!({ "auth": { "jwt_secret": "a-very-secret-value-that-is-long-enough" } }),
        )
        .expect("config");
        assert!(!format!("{config:?}").contains("a-very-secret-value"));
    }
}
