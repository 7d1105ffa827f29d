//! Housekeeping: removes expired and spent tokens, old job runs and delivered mail, and lets the
//! sign-in rate limiter forget idle keys.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use crate::{
    entities::{invitation, job_run, one_time_token, outbox, refresh_token},
    state::AppState,
};

pub async fn run(state: &AppState) -> anyhow::Result<String> {
    let now = Utc::now();
    let day_ago = now - Duration::days(1);
    let month_ago = now - Duration::days(30);
    let tokens = one_time_token::Entity::delete_many()
        .filter(
            Condition::any()
                .add(one_time_token::Column::ExpiresAt.lt(day_ago))
                .add(one_time_token::Column::UsedAt.lt(day_ago)),
        )
        .exec(&state.db)
        .await?
        .rows_affected;
    let refresh = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(day_ago))
        .exec(&state.db)
        .await?
        .rows_affected;
    let invitations = invitation::Entity::delete_many()
        .filter(invitation::Column::ExpiresAt.lt(month_ago))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(&state.db)
        .await?
        .rows_affected;
    let runs = job_run::Entity::delete_many()
        .filter(job_run::Column::StartedAt.lt(month_ago))
        .exec(&state.db)
        .await?
        .rows_affected;
    let mail = outbox::Entity::delete_many()
        .filter(outbox::Column::Status.eq(crate::mail::outbox::SENT))
        .filter(outbox::Column::SentAt.lt(month_ago))
        .exec(&state.db)
        .await?
        .rows_affected;
    state.limiter.prune();
    Ok(format!(
        "removed {tokens} one-time tokens, {refresh} refresh tokens, {invitations} invitations, {runs} job runs, {mail} sent emails"
    ))
}
