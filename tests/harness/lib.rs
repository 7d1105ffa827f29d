//! Test harness: starts real Chorus servers on port 0 against a fresh database per test —
//! a SQLite file in a temporary directory, or a new PostgreSQL database when
//! `CHORUS_TEST_POSTGRES_URL` is set — plus the real peers tests talk to: an SMTP server and a
//! TCP proxy that can cut the database connection.

pub mod proxy;
pub mod smtp;

use std::{future::Future, panic::AssertUnwindSafe, time::Duration};

use chorus::{Config, Server, auth::Role, entities::outbox};
use futures::FutureExt;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "correct-horse-battery";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body against a fresh server on `backend`, then removes its database, also when
/// the body panics. PostgreSQL tests are skipped (with a note) when no server is configured.
pub async fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    run_with(backend, Options::default(), body).await;
}

pub async fn run_with<F, Fut>(backend: Backend, options: Options, body: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(db) = TestDb::create(backend).await else {
        eprintln!("skipped: CHORUS_TEST_POSTGRES_URL is not set");
        return;
    };
    let app = TestApp::start(&db, options).await;
    let outcome = AssertUnwindSafe(body(app.clone())).catch_unwind().await;
    app.stop().await;
    db.drop().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A database of its own for one test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    admin_url: Option<String>,
    name: Option<String>,
    _dir: Option<tempfile::TempDir>,
    pub data_dir: std::path::PathBuf,
}

impl TestDb {
    pub async fn create(backend: Backend) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().to_path_buf();
        match backend {
            Backend::Sqlite => Some(TestDb {
                backend,
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("chorus.db").display()
                ),
                admin_url: None,
                name: None,
                data_dir,
                _dir: Some(dir),
            }),
            Backend::Postgres => {
                let admin_url = std::env::var("CHORUS_TEST_POSTGRES_URL")
                    .ok()
                    .filter(|v| !v.is_empty())?;
                let name = format!("chorus_t_{}", Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("CHORUS_TEST_POSTGRES_URL is set but PostgreSQL is not reachable");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("postgres url");
                url.set_path(&format!("/{name}"));
                Some(TestDb {
                    backend,
                    url: url.to_string(),
                    admin_url: Some(admin_url),
                    name: Some(name),
                    data_dir,
                    _dir: Some(dir),
                })
            }
        }
    }

    /// A copy of this database as it is now (a point-in-time replica), dropped separately.
    /// Nothing may be connected to this database while it is copied.
    pub async fn snapshot(&self) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().to_path_buf();
        match (&self.admin_url, &self.name) {
            (Some(admin_url), Some(name)) => {
                let copy = format!("chorus_t_{}", Uuid::new_v4().simple());
                let admin = Database::connect(admin_url)
                    .await
                    .expect("admin connection");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{copy}\" TEMPLATE \"{name}\""))
                    .await
                    .expect("copy test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(admin_url).expect("postgres url");
                url.set_path(&format!("/{copy}"));
                TestDb {
                    backend: self.backend,
                    url: url.to_string(),
                    admin_url: Some(admin_url.clone()),
                    name: Some(copy),
                    data_dir,
                    _dir: Some(dir),
                }
            }
            _ => {
                let file = dir.path().join("chorus.db");
                std::fs::copy(self.data_dir.join("chorus.db"), &file).expect("copy SQLite file");
                TestDb {
                    backend: self.backend,
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    admin_url: None,
                    name: None,
                    data_dir,
                    _dir: Some(dir),
                }
            }
        }
    }

    pub async fn drop(&self) {
        if let (Some(admin_url), Some(name)) = (&self.admin_url, &self.name)
            && let Ok(admin) = Database::connect(admin_url).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
            admin.close().await.ok();
        }
    }
}

/// How a test server is configured beyond the defaults.
#[derive(Clone)]
pub struct Options {
    /// Overrides merged over the harness defaults (same shape as the TOML file).
    pub config: Value,
    /// Database URL to use instead of the test database's own (e.g. through a proxy).
    pub database_url: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            config: json!({}),
            database_url: None,
        }
    }
}

impl Options {
    pub fn with(config: Value) -> Self {
        Self {
            config,
            database_url: None,
        }
    }
}

fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                merge(base.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

/// A running server with an HTTP client.
#[derive(Clone)]
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    server: std::sync::Arc<tokio::sync::Mutex<Option<Server>>>,
    pub state: chorus::AppState,
    pub backend: Backend,
    pub db_url: String,
    pub data_dir: std::path::PathBuf,
}

impl TestApp {
    pub async fn start(db: &TestDb, options: Options) -> TestApp {
        let mut config = json!({
            "listen": "127.0.0.1:0",
            "data_dir": db.data_dir,
            "database_url": options.database_url.clone().unwrap_or_else(|| db.url.clone()),
            "auto_migrate": true,
            "frontend_dir": null,
            "log_level": "warn",
            "database": { "max_connections": 5, "connect_timeout_secs": 2, "acquire_timeout_secs": 3 },
            "auth": {
                "jwt_secret": "test-secret-test-secret-test-secret-0123456789",
                "login_per_account_per_minute": 1000,
                "login_per_client_per_minute": 1000,
            },
            "mail": { "transport": "memory", "retry_base_ms": 100, "retry_max_ms": 1000 },
            "jobs": { "outbox": "off", "housekeeping": "off" },
        });
        merge(&mut config, &options.config);
        let config = Config::from_overrides(config).expect("test configuration");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let server = chorus::spawn(config, listener)
            .await
            .expect("server starts");
        TestApp {
            base: format!("http://{}", server.addr),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            state: server.state.clone(),
            server: std::sync::Arc::new(tokio::sync::Mutex::new(Some(server))),
            backend: db.backend,
            db_url: db.url.clone(),
            data_dir: db.data_dir.clone(),
        }
    }

    /// Another server on the same database (as behind a load balancer).
    pub async fn sibling(&self, options: Options) -> TestApp {
        let db = TestDb {
            backend: self.backend,
            url: self.db_url.clone(),
            admin_url: None,
            name: None,
            _dir: None,
            data_dir: self.data_dir.clone(),
        };
        TestApp::start(&db, options).await
    }

    pub async fn stop(&self) {
        if let Some(server) = self.server.lock().await.take() {
            let state = server.state.clone();
            let _ = server.stop().await;
            let _ = state.db.close_by_ref().await;
        }
    }

    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.state.db
    }

    /// The connection the `rules` job reads with: a second connection to a SQLite file, else
    /// the pool.
    pub async fn rules_reader(&self) -> sea_orm::DatabaseConnection {
        chorus::db::sqlite_reader(&self.db_url)
            .await
            .expect("reader")
            .unwrap_or_else(|| self.db().clone())
    }

    /// The `/metrics` text of this server.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request; `body` is sent as JSON when present. Answers status and parsed body
    /// (`Value::Null` when empty or not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, token, None).await
    }

    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Creates an organisation with an administrator and signs in; answers the access token.
    pub async fn org_admin(&self, org: &str, email: &str) -> Session {
        let hash = chorus::auth::password::hash(PASSWORD.to_owned())
            .await
            .expect("hash");
        let (org, user_id) = chorus::people::orgs::create_admin(self.db(), org, email, hash, None)
            .await
            .expect("create admin");
        let session = self.session(email).await;
        Session {
            org_id: org.id,
            user_id,
            ..session
        }
    }

    /// Adds a person with roles to an organisation (optionally in a team) and signs them in.
    pub async fn person(
        &self,
        org_id: Uuid,
        email: &str,
        roles: &[Role],
        team_id: Option<Uuid>,
    ) -> Session {
        let hash = chorus::auth::password::hash(PASSWORD.to_owned())
            .await
            .expect("hash");
        let user_id =
            chorus::people::users::insert(self.db(), org_id, email, email, Some(hash), team_id)
                .await
                .expect("insert user");
        let mut all = roles.to_vec();
        all.push(Role::Employee);
        chorus::people::users::grant(self.db(), org_id, user_id, &all)
            .await
            .expect("grant roles");
        let session = self.session(email).await;
        Session {
            org_id,
            user_id,
            ..session
        }
    }

    pub async fn session(&self, email: &str) -> Session {
        let (status, body) = self.login(email, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "login of {email}: {body}");
        Session {
            org_id: Uuid::nil(),
            user_id: Uuid::nil(),
            access: body["access_token"]
                .as_str()
                .expect("access token")
                .to_owned(),
            refresh: body["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
        }
    }

    pub async fn team(
        &self,
        org_id: Uuid,
        name: &str,
        parent: Option<Uuid>,
        managers: &[Uuid],
    ) -> Uuid {
        let id = chorus::people::teams::insert(self.db(), org_id, name, parent)
            .await
            .expect("team");
        chorus::people::teams::set_managers(self.db(), org_id, id, managers)
            .await
            .expect("managers");
        id
    }

    /// The newest email queued for an address.
    pub async fn last_email_to(&self, address: &str) -> Option<outbox::Model> {
        outbox::Entity::find()
            .filter(outbox::Column::ToAddress.eq(address))
            .order_by_desc(outbox::Column::CreatedAt)
            .one(self.db())
            .await
            .expect("outbox query")
    }

    /// Polls `check` until it answers `Some`, failing the test after `seconds`.
    pub async fn eventually<T, F, Fut>(&self, seconds: u64, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
        loop {
            if let Some(value) = check().await {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct Session {
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub access: String,
    pub refresh: String,
}

impl Session {
    pub fn token(&self) -> Option<&str> {
        Some(&self.access)
    }
}

/// The token inside a link in an email body (`…?token=XYZ`).
pub fn token_in(text: &str) -> String {
    let start = text.find("token=").expect("a link with a token") + "token=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Runs each named test function against SQLite and PostgreSQL (`<name>::sqlite`,
/// `<name>::postgres`), optionally with [`Options`].
#[macro_export]
macro_rules! both {
    ($($name:ident $(with $options:expr)?),* $(,)?) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::run_with($crate::Backend::Sqlite, $crate::both!(@options $($options)?), super::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::run_with($crate::Backend::Postgres, $crate::both!(@options $($options)?), super::$name).await
            }
        }
    )*};
    (@options) => { $crate::Options::default() };
    (@options $options:expr) => { $options };
}
