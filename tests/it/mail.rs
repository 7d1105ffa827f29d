//! The outbox delivers through a real SMTP conversation, retries transient failures with
//! backoff, never sends a message twice even with two senders, and shows failures.

use std::collections::BTreeSet;

use chorus::{
    entities::outbox,
    mail::{outbox as mail_outbox, templates},
};
use chorus_tests::{Backend, Options, TestApp, run_with, smtp::SmtpServer};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_delivery_with_retry_sqlite() {
    smtp_delivery_with_retry(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_delivery_with_retry_postgres() {
    smtp_delivery_with_retry(Backend::Postgres).await;
}

async fn smtp_delivery_with_retry(backend: Backend) {
    let smtp = SmtpServer::start().await;
    smtp.fail_next(1).await;
    // The scheduled outbox job picks the message up again once its retry is due.
    let options =
        Options::with(json!({ "mail": smtp.config(), "jobs": { "outbox": "* * * * * *" } }));
    run_with(backend, options, |app: TestApp| async move {
        let admin = app.org_admin("Acme", "admin@acme.test").await;
        let (status, _) = app
            .post(
                "/api/v1/invitations",
                admin.token(),
                json!({ "email": "new@acme.test" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let sent = app
            .eventually(20, "the invitation to be sent", || async {
                app.last_email_to("new@acme.test")
                    .await
                    .filter(|m| m.status == "sent")
            })
            .await;
        assert_eq!(sent.attempts, 2, "first attempt got 451, second succeeded");
        assert_eq!(smtp.rejected().await, 1);
        let messages = smtp.messages().await;
        assert_eq!(messages.len(), 1, "delivered exactly once");
        let raw = &messages[0];
        assert!(raw.contains(&format!("Message-ID: <{}@", sent.id)), "{raw}");
        assert!(raw.contains("To: new@acme.test"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        assert!(raw.contains("Acme"));

        let (_, list) = app
            .get("/api/v1/admin/outbox?status=sent", admin.token())
            .await;
        assert_eq!(list["items"][0]["id"], sent.id.to_string());
        assert!(
            list["items"][0].get("html_body").is_none(),
            "bodies with links are not shown"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_senders_never_send_twice_sqlite() {
    two_senders_never_send_twice(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_senders_never_send_twice_postgres() {
    two_senders_never_send_twice(Backend::Postgres).await;
}

async fn two_senders_never_send_twice(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let options = Options::with(json!({ "mail": smtp.config() }));
    run_with(backend, options.clone(), |app: TestApp| async move {
        let other = app.sibling(options).await;
        let admin = app.org_admin("Acme", "admin@acme.test").await;
        for i in 0..30 {
            let mail = templates::magic_link(
                &format!("p{i}@acme.test"),
                "P",
                "http://x/login/magic?token=t",
                15,
            )
            .expect("render");
            mail_outbox::enqueue(app.db(), admin.org_id, mail)
                .await
                .expect("enqueue");
        }
        // Both servers drain at once (their background senders may join in too).
        let (a, b) = tokio::join!(
            mail_outbox::drain(&app.state),
            mail_outbox::drain(&other.state)
        );
        a.expect("drain a");
        b.expect("drain b");
        app.eventually(20, "every message to be sent", || async {
            let unsent = outbox::Entity::find()
                .filter(outbox::Column::Status.ne("sent"))
                .all(app.db())
                .await
                .ok()?;
            unsent.is_empty().then_some(())
        })
        .await;
        let messages = smtp.messages().await;
        let ids: BTreeSet<String> = messages
            .iter()
            .filter_map(|m| {
                m.lines()
                    .find(|l| l.starts_with("Message-ID:"))
                    .map(str::to_owned)
            })
            .collect();
        assert_eq!(messages.len(), 30);
        assert_eq!(ids.len(), 30, "no message delivered twice");
        let unsent = outbox::Entity::find()
            .filter(outbox::Column::Status.ne("sent"))
            .all(app.db())
            .await
            .expect("query");
        assert!(unsent.is_empty());
        other.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gives_up_visibly_after_max_attempts_sqlite() {
    gives_up_visibly_after_max_attempts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gives_up_visibly_after_max_attempts_postgres() {
    gives_up_visibly_after_max_attempts(Backend::Postgres).await;
}

async fn gives_up_visibly_after_max_attempts(backend: Backend) {
    let smtp = SmtpServer::start().await;
    smtp.fail_next(10).await;
    let mut mail = smtp.config();
    mail["max_attempts"] = json!(3);
    mail["retry_base_ms"] = json!(20);
    run_with(
        backend,
        Options::with(json!({ "mail": mail })),
        |app: TestApp| async move {
            let admin = app.org_admin("Acme", "admin@acme.test").await;
            let (status, _) = app
                .post(
                    "/api/v1/auth/magic-link",
                    None,
                    json!({ "email": "admin@acme.test" }),
                )
                .await;
            assert_eq!(status, StatusCode::ACCEPTED);
            let failed = app
                .eventually(20, "the message to be marked failed", || async {
                    // Retries are due quickly; drain as the scheduled job would.
                    let _ = mail_outbox::drain(&app.state).await;
                    app.last_email_to("admin@acme.test")
                        .await
                        .filter(|m| m.status == "failed")
                })
                .await;
            assert_eq!(failed.attempts, 3);
            assert!(
                failed.last_error.as_deref().unwrap_or("").contains("451")
                    || failed.last_error.is_some()
            );
            assert_eq!(smtp.messages().await.len(), 0);
            let (_, list) = app
                .get("/api/v1/admin/outbox?status=failed", admin.token())
                .await;
            assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
        },
    )
    .await;
}
