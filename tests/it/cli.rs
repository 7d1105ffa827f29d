//! The `chorus` binary: configuration errors, migrations, create-admin, seed-demo, and a
//! server that answers and then shuts down cleanly on SIGTERM.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};

use chorus_tests::{TestApp, both};
use reqwest::StatusCode;
use serde_json::json;

both! {
    recognition_check_finds_corrupted_balances,
}

fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|p| p.parent()).expect("target dir");
    let path = dir.join("chorus");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p chorus --bin chorus` first (scripts/test.sh does)",
        path.display()
    );
    path
}

fn chorus(data: &std::path::Path) -> Command {
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHORUS_DATA_DIR", data)
        .env("CHORUS_LOG_LEVEL", "warn")
        .current_dir(data);
    command
}

#[test]
fn invalid_settings_stop_the_process_with_a_clear_message() {
    let data = tempfile::tempdir().expect("tempdir");
    let output = chorus(data.path())
        .env("CHORUS_JOBS__HOUSEKEEPING", "every tuesday")
        .arg("migrate")
        .arg("status")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("jobs.housekeeping") && stderr.contains("cron"),
        "{stderr}"
    );

    let secret = "short-secret-value";
    let output = chorus(data.path())
        .env("CHORUS_AUTH__JWT_SECRET", secret)
        .arg("migrate")
        .arg("status")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("auth.jwt_secret"), "{stderr}");
    assert!(!stderr.contains(secret), "secrets are never printed");

    let output = chorus(data.path())
        .env("CHORUS_DATABASE_URL", "mysql://x")
        .arg("migrate")
        .arg("status")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("database_url"));
}

#[test]
fn migrate_create_admin_and_seed_demo() {
    let data = tempfile::tempdir().expect("tempdir");
    let status = chorus(data.path())
        .args(["migrate", "status"])
        .output()
        .expect("run");
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("pending m20261121_000001_foundation")
    );
    assert!(
        chorus(data.path())
            .args(["migrate", "up"])
            .status()
            .expect("run")
            .success()
    );
    let status = chorus(data.path())
        .args(["migrate", "status"])
        .output()
        .expect("run");
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("applied m20261121_000001_foundation")
    );

    let output = chorus(data.path())
        .args([
            "create-admin",
            "--org",
            "Acme Ltd",
            "--email",
            "boss@acme.test",
            "--password",
            "short",
        ])
        .output()
        .expect("run");
    assert!(!output.status.success(), "a short password is refused");
    let output = chorus(data.path())
        .args([
            "create-admin",
            "--org",
            "Acme Ltd",
            "--email",
            "boss@acme.test",
            "--password",
            "long-enough-password",
        ])
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("acme-ltd"));

    let output = chorus(data.path()).arg("seed-demo").output().expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let people: u32 = stdout
        .split("with ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("count");
    assert!(people >= 200, "{stdout}");
    assert!(stdout.contains("admin@demo.chorus.test"));
    assert!(
        !chorus(data.path())
            .arg("seed-demo")
            .status()
            .expect("run")
            .success(),
        "seeding twice is refused"
    );
    assert!(
        chorus(data.path())
            .args(["seed-demo", "--if-empty"])
            .status()
            .expect("run")
            .success()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_then_stops_cleanly_on_sigterm() {
    let data = tempfile::tempdir().expect("tempdir");
    assert!(
        chorus(data.path())
            .args([
                "create-admin",
                "--org",
                "Acme",
                "--email",
                "boss@acme.test",
                "--password",
                "long-enough-password"
            ])
            .status()
            .expect("run")
            .success()
    );
    let mut child = chorus(data.path())
        .env("CHORUS_LISTEN", "127.0.0.1:0")
        .env("CHORUS_LOG_FORMAT", "json")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("join")
    .expect("read");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("printed URL")
        .trim_end_matches('/')
        .to_owned();
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("readyz")
            .status(),
        StatusCode::OK
    );
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": "boss@acme.test", "password": "long-enough-password" }))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), StatusCode::OK);

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let status = tokio::task::spawn_blocking(move || {
        for _ in 0..100 {
            if let Some(status) = child.try_wait().expect("wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        None
    })
    .await
    .expect("join");
    let status = status.expect("the server stops within 10 s of SIGTERM");
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
}

/// `chorus recognition check` against the test database: exit 0 when consistent, 1 with the
/// account named when a balance no longer equals the sum of its entries.
async fn recognition_check_finds_corrupted_balances(app: TestApp) {
    use chorus::{
        entities::points_account,
        recognition::ledger::{self, Posting, kind, tx},
    };
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait, sea_query::Expr};

    let admin = app.org_admin("Acme", "admin@acme.test").await;
    app.org_admin("Globex", "admin@globex.test").await;
    let ada = app.person(admin.org_id, "ada@acme.test", &[], None).await;
    let txn = app.db().begin().await.expect("txn");
    let issuance = ledger::org_account(&txn, admin.org_id, kind::ISSUANCE)
        .await
        .expect("issuance");
    let earned = ledger::account(&txn, admin.org_id, kind::EARNED, ada.user_id, "")
        .await
        .expect("earned");
    for n in 0..3 {
        ledger::post(
            &txn,
            Posting::transfer(
                admin.org_id,
                tx::ADJUSTMENT,
                format!("cli-test:{n}"),
                issuance.id,
                earned.id,
                10,
            ),
        )
        .await
        .expect("post");
    }
    txn.commit().await.expect("commit");

    let check = |org: Option<&str>| {
        let mut command = chorus(&app.data_dir);
        command
            .env("CHORUS_DATABASE_URL", &app.db_url)
            .env(
                "CHORUS_AUTH__JWT_SECRET",
                "test-secret-test-secret-test-secret-0123456789",
            )
            .args(["recognition", "check"]);
        if let Some(org) = org {
            command.args(["--org", org]);
        }
        let output = command.output().expect("run");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = check(None);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("checked 2 accounts, 3 transactions, 6 entries in"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" ms") && stdout.contains("consistent"),
        "{stdout}"
    );

    // Corrupt one balance behind the ledger's back.
    points_account::Entity::update_many()
        .col_expr(points_account::Column::Balance, Expr::value(37i64))
        .filter(points_account::Column::Id.eq(earned.id))
        .exec(app.db())
        .await
        .expect("corrupt");
    let (code, stdout, stderr) = check(None);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "mismatch: account {} (earned) has balance 37 but its entries sum to 30",
            earned.id
        )),
        "{stdout}"
    );
    assert!(stderr.contains("inconsistent"), "{stderr}");
    let (code, stdout, _) = check(Some(&admin.org_id.to_string()));
    assert_eq!(code, Some(1), "{stdout}");
    // Another organisation is checked on its own and is consistent.
    let (code, stdout, _) = check(Some("globex"));
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("checked 0 accounts"), "{stdout}");
    let (code, _, stderr) = check(Some("nobody"));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("no organisation nobody"), "{stderr}");
}
