//! The durable mail outbox.
//!
//! [`enqueue`] writes a message in the caller's transaction, so an email exists exactly when the
//! change that caused it was committed. [`drain`] delivers due messages: each is first *claimed*
//! with a conditional update (queued → sending, with a lease naming this process), which only
//! one worker can win, so two workers never send the same message. Failures are retried with
//! exponential backoff until `mail.max_attempts`, then marked `failed` with the last error.
//!
//! Delivery is at-least-once only in one case: a process that dies after the SMTP server took the
//! message but before it recorded `sent` will have the message re-sent once its lease expires.
//! Each message carries a stable `Message-ID` so receiving systems can recognise the repeat.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::{
    Message,
    message::{Mailbox, MultiPart},
};
use rand::Rng;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::templates::Email;
use crate::{entities::outbox, error::AppResult, state::AppState};

pub const QUEUED: &str = "queued";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// Queues an email in the caller's transaction. Call `state.outbox_kick.notify_one()` after the
/// transaction commits to have it sent at once.
pub async fn enqueue(db: &impl ConnectionTrait, org_id: Uuid, email: Email) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    outbox::Entity::insert(outbox::ActiveModel {
        id: Set(id),
        org_id: Set(org_id),
        kind: Set(email.kind.to_owned()),
        to_address: Set(email.to),
        subject: Set(email.subject),
        html_body: Set(email.html),
        text_body: Set(email.text),
        status: Set(QUEUED.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Delivers every message that is due, in batches; returns how many were sent.
pub async fn drain(state: &AppState) -> anyhow::Result<usize> {
    let mut sent = 0;
    loop {
        let now = Utc::now();
        let due: Vec<Uuid> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(claimable(now))
            .order_by_asc(outbox::Column::NextAttemptAt)
            .limit(20)
            .into_tuple()
            .all(&state.db)
            .await?;
        if due.is_empty() {
            return Ok(sent);
        }
        let mut claimed_any = false;
        for id in due {
            if let Some(message) = claim(state, id).await? {
                claimed_any = true;
                if deliver(state, message).await? {
                    sent += 1;
                }
            }
        }
        if !claimed_any {
            // Everything due was taken by another worker.
            return Ok(sent);
        }
    }
}

fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(outbox::Column::Status.eq(QUEUED))
                .add(outbox::Column::NextAttemptAt.lte(now)),
        )
        .add(
            // A sender that died mid-delivery leaves its lease to expire.
            Condition::all()
                .add(outbox::Column::Status.eq(SENDING))
                .add(outbox::Column::LockedUntil.lt(now)),
        )
}

async fn claim(state: &AppState, id: Uuid) -> anyhow::Result<Option<outbox::Model>> {
    let now = Utc::now();
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(SENDING))
        .col_expr(
            outbox::Column::LockedBy,
            Expr::value(state.instance.to_string()),
        )
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(now + chrono::Duration::seconds(state.config.mail.lease_secs)),
        )
        .col_expr(
            outbox::Column::Attempts,
            Expr::col(outbox::Column::Attempts).add(1),
        )
        .filter(outbox::Column::Id.eq(id))
        .filter(claimable(now))
        .exec(&state.db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    Ok(outbox::Entity::find_by_id(id).one(&state.db).await?)
}

fn build(state: &AppState, message: &outbox::Model) -> anyhow::Result<Message> {
    let from: Mailbox = state.config.mail.from.parse()?;
    let to: Mailbox = message.to_address.parse()?;
    let domain = from.email.domain().to_owned();
    Ok(Message::builder()
        .from(from)
        .to(to)
        .subject(message.subject.clone())
        .message_id(Some(format!("<{}@{}>", message.id, domain)))
        .multipart(MultiPart::alternative_plain_html(
            message.text_body.clone(),
            message.html_body.clone(),
        ))?)
}

/// Sends one claimed message and records the outcome; true when it was delivered.
async fn deliver(state: &AppState, message: outbox::Model) -> anyhow::Result<bool> {
    let config = &state.config.mail;
    let outcome = match build(state, &message) {
        Ok(email) => state.mailer.send(email).await,
        Err(err) => Err(super::DeliveryError {
            message: format!("invalid message: {err}"),
            permanent: true,
        }),
    };
    let mine = Condition::all()
        .add(outbox::Column::Id.eq(message.id))
        .add(outbox::Column::LockedBy.eq(state.instance.to_string()));
    match outcome {
        Ok(()) => {
            state.metrics.mail_sent.inc();
            outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::value(SENT))
                .col_expr(outbox::Column::SentAt, Expr::value(Utc::now()))
                .col_expr(
                    outbox::Column::LockedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(
                    outbox::Column::LastError,
                    Expr::value(Option::<String>::None),
                )
                .filter(mine)
                .exec(&state.db)
                .await?;
            tracing::info!(outbox_id = %message.id, kind = %message.kind, "email sent");
            Ok(true)
        }
        Err(err) => {
            state.metrics.mail_failed_attempts.inc();
            let give_up = err.permanent || message.attempts >= config.max_attempts;
            let backoff = backoff(config.retry_base_ms, config.retry_max_ms, message.attempts);
            outbox::Entity::update_many()
                .col_expr(
                    outbox::Column::Status,
                    Expr::value(if give_up { FAILED } else { QUEUED }),
                )
                .col_expr(
                    outbox::Column::NextAttemptAt,
                    Expr::value(Utc::now() + backoff),
                )
                .col_expr(
                    outbox::Column::LockedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(
                    outbox::Column::LastError,
                    Expr::value(truncate(&err.message, 500)),
                )
                .filter(mine)
                .exec(&state.db)
                .await?;
            tracing::warn!(outbox_id = %message.id, attempts = message.attempts, give_up, error = %err.message, "email delivery failed");
            Ok(false)
        }
    }
}

/// Exponential backoff with ±20 % jitter: base × 2^(attempts−1), capped.
fn backoff(base_ms: u64, max_ms: u64, attempts: i32) -> chrono::Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(0);
    let raw = Ord::min(base_ms.saturating_mul(1u64 << exponent), max_ms);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    let millis = (raw as f64 * jitter) as i64;
    chrono::Duration::from_std(Duration::from_millis(Ord::max(millis, 1) as u64))
        .unwrap_or(chrono::Duration::seconds(1))
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Counts messages per status for `/metrics`.
pub async fn depth(db: &impl ConnectionTrait) -> AppResult<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for status in [QUEUED, SENDING, FAILED] {
        let n = outbox::Entity::find()
            .filter(outbox::Column::Status.eq(status))
            .count(db)
            .await?;
        out.push((status.to_owned(), i64::try_from(n).unwrap_or(i64::MAX)));
    }
    Ok(out)
}
