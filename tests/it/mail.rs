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
use uuid::Uuid;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_award_emails_sqlite() {
    spot_award_emails(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spot_award_emails_postgres() {
    spot_award_emails(Backend::Postgres).await;
}

/// Spot awards email the recipient ("you received a spot award", unless they turned
/// recognition emails off) and, above the approval threshold, every administrator.
async fn spot_award_emails(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let options = Options::with(json!({
        "mail": smtp.config(),
        "jobs": { "outbox": "* * * * * *", "rules": "off", "badges": "off" },
    }));
    run_with(backend, options, |app: TestApp| async move {
        let admin = app.org_admin("Acme", "admin@acme.test").await;
        let org = admin.org_id;
        let boss = app.person(org, "boss@acme.test", &[], None).await;
        let team = app.team(org, "Sales", None, &[boss.user_id]).await;
        let ada = app.person(org, "ada@acme.test", &[], Some(team)).await;
        let bob = app.person(org, "bob@acme.test", &[], Some(team)).await;
        let (status, _) = app
            .call(
                reqwest::Method::PUT,
                "/api/v1/admin/recognition/settings",
                admin.token(),
                Some(json!({
                    "thanks_max_points": 50, "pair_limit_per_period": 3, "pair_limit_period": "month",
                    "manager_budget": 1000, "manager_budget_period": "quarter", "spot_approval_threshold": 150,
                })),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app
            .call(
                reqwest::Method::PUT,
                "/api/v1/me/recognition/preferences",
                bob.token(),
                Some(json!({ "email_on_thanks": false })),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let award = |to: Uuid, points: i64| {
            let app = app.clone();
            let boss = boss.clone();
            async move {
                let (status, body) = app
                    .post(
                        "/api/v1/spot-awards",
                        boss.token(),
                        json!({ "recipient_id": to, "points": points, "reason": "Closed the deal" }),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                body
            }
        };
        award(ada.user_id, 100).await;
        award(bob.user_id, 100).await;
        let sent = app
            .eventually(20, "the spot award email", || async {
                app.last_email_to("ada@acme.test")
                    .await
                    .filter(|m| m.status == "sent")
            })
            .await;
        assert_eq!(sent.subject, "You received a spot award");
        assert!(sent.text_body.contains("100 points"), "{}", sent.text_body);
        assert!(sent.text_body.contains("Closed the deal"));

        // Above the threshold: administrators are asked; the recipient hears once approved.
        let big = award(ada.user_id, 200).await;
        assert_eq!(big["status"], "pending");
        let pending = app
            .eventually(20, "the approval request", || async {
                app.last_email_to("admin@acme.test")
                    .await
                    .filter(|m| m.status == "sent")
            })
            .await;
        assert!(pending.subject.contains("waiting for approval"), "{}", pending.subject);
        assert!(pending.text_body.contains("200 points for ada@acme.test"), "{}", pending.text_body);
        assert_eq!(
            outbox::Entity::find()
                .filter(outbox::Column::ToAddress.eq("ada@acme.test"))
                .all(app.db())
                .await
                .expect("outbox")
                .len(),
            1,
            "nothing to the recipient before approval"
        );
        let (status, _) = app
            .post(
                &format!("/api/v1/admin/spot-awards/{}/approve", big["id"].as_str().expect("id")),
                admin.token(),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        app.eventually(20, "the approved award email", || async {
            let rows = outbox::Entity::find()
                .filter(outbox::Column::ToAddress.eq("ada@acme.test"))
                .filter(outbox::Column::Status.eq("sent"))
                .all(app.db())
                .await
                .expect("outbox");
            (rows.len() == 2).then_some(())
        })
        .await;
        let messages = smtp.messages().await;
        assert_eq!(
            messages.iter().filter(|m| m.contains("To: ada@acme.test")).count(),
            2,
            "two real deliveries to Ada"
        );
        assert!(
            !messages.iter().any(|m| m.contains("To: bob@acme.test")),
            "Bob turned recognition emails off"
        );
        assert!(
            outbox::Entity::find()
                .filter(outbox::Column::ToAddress.eq("bob@acme.test"))
                .one(app.db())
                .await
                .expect("outbox")
                .is_none()
        );
    })
    .await;
}
