//! Manager spot awards, paid from the manager's budget for the current period.
//!
//! The budget lives in a `manager_budget` account per manager per period, funded from issuance
//! up to the organisation's setting the first time it is used in that period (so a new period
//! needs no reset). An award at or below the approval threshold moves budget → the recipient's
//! earned points at once. Above it, the points are reserved (budget → `spot_hold`) so the budget
//! cannot be promised twice, and an administrator approves (hold → recipient) or rejects
//! (hold → budget).

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    ledger::{self, Posting, kind, tx},
    settings,
    thanks::fund_period_account,
};
use crate::{
    audit,
    auth::Role,
    entities::{spot_award, user, user_role},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{Admin, AppJson, AppPath, AppQuery, AuthUser, Manager},
    mail::{outbox, templates},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_award, my_awards))
        .routes(routes!(budget))
        .routes(routes!(list_awards))
        .routes(routes!(approve_award))
        .routes(routes!(reject_award))
}

pub const AWARDED: &str = "awarded";
pub const PENDING: &str = "pending";
pub const REJECTED: &str = "rejected";

#[derive(Debug, Deserialize, ToSchema)]
pub struct SpotAwardInput {
    pub recipient_id: Uuid,
    pub points: i64,
    /// Why: shown to the recipient and kept in the ledger (1 to 500 characters).
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SpotAwardView {
    pub id: Uuid,
    pub manager_id: Uuid,
    pub recipient_id: Uuid,
    pub recipient_name: String,
    pub points: i64,
    pub reason: String,
    /// `awarded`, `pending` (waiting for an administrator) or `rejected`.
    pub status: String,
    pub period: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SpotAwardList {
    pub items: Vec<SpotAwardView>,
}

/// A manager's budget in the current period.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BudgetView {
    pub period: String,
    pub period_ends_at: DateTime<Utc>,
    pub amount: i64,
    /// Awarded or reserved for pending approval.
    pub used: i64,
    pub available: i64,
    /// Awards above this many points wait for an administrator.
    pub approval_threshold: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AwardFilter {
    /// `pending` (default), `awarded`, `rejected` or `all`.
    pub status: Option<String>,
}

async fn views(
    db: &impl sea_orm::ConnectionTrait,
    org_id: Uuid,
    rows: Vec<spot_award::Model>,
) -> AppResult<Vec<SpotAwardView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.recipient_id).collect();
    let names = crate::people::users::display_names(db, org_id, ids).await?;
    Ok(rows
        .into_iter()
        .map(|a| SpotAwardView {
            id: a.id,
            manager_id: a.manager_id,
            recipient_name: names.get(&a.recipient_id).cloned().unwrap_or_default(),
            recipient_id: a.recipient_id,
            points: a.points,
            reason: a.reason,
            status: a.status,
            period: a.period,
            decided_at: a.decided_at,
            created_at: a.created_at,
        })
        .collect())
}

/// The caller's spot-award budget for the current period (managers).
#[utoipa::path(get, path = "/api/v1/me/spot-budget", tag = "recognition", security(("bearer" = [])),
    responses((status = 200, body = BudgetView), (status = 403, body = Problem)))]
async fn budget(State(state): State<AppState>, manager: Manager) -> AppResult<Json<BudgetView>> {
    let config = settings::load(&state.db, manager.user.org_id).await?;
    let period = config.manager_budget_period.period(Utc::now());
    let used: Vec<i64> = spot_award::Entity::find_in(manager.user.org_id)
        .select_only()
        .column(spot_award::Column::Points)
        .filter(spot_award::Column::ManagerId.eq(manager.user.user_id))
        .filter(spot_award::Column::Period.eq(&period.key))
        .filter(spot_award::Column::Status.ne(REJECTED))
        .into_tuple()
        .all(&state.db)
        .await?;
    let used: i64 = used.iter().sum();
    Ok(Json(BudgetView {
        period: period.key,
        period_ends_at: period.end,
        amount: config.manager_budget,
        used,
        available: (config.manager_budget - used).max(0),
        approval_threshold: config.spot_approval_threshold,
    }))
}

/// Give a spot award to someone in a team you manage, from your budget for this period.
///
/// Awards above the organisation's approval threshold are reserved and wait for an
/// administrator (`status: pending`). Refused with `budget_exhausted` (409) when the budget has
/// too little left.
#[utoipa::path(post, path = "/api/v1/spot-awards", tag = "recognition", security(("bearer" = [])),
    request_body = SpotAwardInput,
    responses((status = 201, body = SpotAwardView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_award(
    State(state): State<AppState>,
    manager: Manager,
    AppJson(input): AppJson<SpotAwardInput>,
) -> AppResult<(StatusCode, Json<SpotAwardView>)> {
    let me = &manager.user;
    let config = settings::load(&state.db, me.org_id).await?;
    let reason = input.reason.trim().to_owned();
    let mut v = Validator::new();
    v.check(
        (1..=500).contains(&reason.chars().count()),
        "reason",
        "must be 1 to 500 characters",
    );
    v.check(
        (1..=1_000_000).contains(&input.points),
        "points",
        "must be between 1 and 1000000",
    );
    v.finish()?;
    if input.recipient_id == me.user_id {
        return Err(AppError::bad_request(
            "self_award",
            "You cannot give yourself a spot award.",
        ));
    }
    let recipient = user::Entity::find_one_in(me.org_id, input.recipient_id)
        .filter(user::Column::Status.eq(user::ACTIVE))
        .one(&state.db)
        .await?
        .filter(|u| u.team_id.is_some_and(|t| manager.teams.contains(&t)))
        .ok_or_else(|| {
            AppError::field(
                "recipient_id",
                "must be an active member of a team you manage",
            )
        })?;
    let now = Utc::now();
    let period = config.manager_budget_period.period(now);
    let needs_approval = config
        .spot_approval_threshold
        .is_some_and(|t| input.points > t);
    let id = Uuid::now_v7();
    let txn = crate::db::begin_write(&state.db).await?;
    let (budget, _) = fund_period_account(
        &txn,
        me.org_id,
        kind::MANAGER_BUDGET,
        tx::BUDGET,
        me.user_id,
        &period.key,
        config.manager_budget,
    )
    .await?;
    let (to, tx_kind) = if needs_approval {
        (
            ledger::org_account(&txn, me.org_id, kind::SPOT_HOLD).await?,
            tx::SPOT_HOLD,
        )
    } else {
        (
            ledger::account(&txn, me.org_id, kind::EARNED, recipient.id, "").await?,
            tx::SPOT_AWARD,
        )
    };
    ledger::post(
        &txn,
        Posting::transfer(
            me.org_id,
            tx_kind,
            format!("spot:{id}"),
            budget.id,
            to.id,
            input.points,
        )
        .actor(Some(me.user_id))
        .reason(reason.clone())
        .explain(json!({
            "spot_award_id": id,
            "manager_id": me.user_id,
            "recipient_id": recipient.id,
            "period": period.key,
            "budget": config.manager_budget,
            "approval_threshold": config.spot_approval_threshold,
            "needs_approval": needs_approval,
        })),
    )
    .await
    .map_err(|e| match e {
        AppError::Conflict {
            code: "insufficient_balance",
            ..
        } => AppError::conflict(
            "budget_exhausted",
            "Your spot-award budget for this period has too little left.",
        ),
        other => other,
    })?;
    let model = spot_award::Model {
        id,
        org_id: me.org_id,
        manager_id: me.user_id,
        recipient_id: recipient.id,
        points: input.points,
        reason,
        status: if needs_approval { PENDING } else { AWARDED }.into(),
        period: period.key,
        decided_by: None,
        decided_at: None,
        created_at: now,
    };
    spot_award::Entity::insert(spot_award::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    let emailed = notify(&txn, &state, &model).await?;
    txn.commit().await?;
    if emailed {
        state.outbox_kick.notify_one();
    }
    let view = views(&state.db, me.org_id, vec![model])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Queues the emails a spot award causes, in the caller's transaction: "you received a spot
/// award" to the recipient once it is awarded (unless they turned recognition emails off), or
/// "waiting for approval" to every active administrator while it is pending. Answers whether
/// anything was queued.
async fn notify(
    txn: &DatabaseTransaction,
    state: &AppState,
    award: &spot_award::Model,
) -> AppResult<bool> {
    let people: std::collections::HashMap<Uuid, user::Model> = user::Entity::find_in(award.org_id)
        .filter(user::Column::Id.is_in([award.manager_id, award.recipient_id]))
        .all(txn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let (Some(manager), Some(recipient)) = (
        people.get(&award.manager_id),
        people.get(&award.recipient_id),
    ) else {
        return Ok(false);
    };
    let base = state
        .config
        .public_url()
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let mut queued = false;
    if award.status == AWARDED {
        if settings::preferences(txn, award.org_id, recipient.id)
            .await?
            .email_on_thanks
        {
            let email = templates::spot_award(
                &recipient.email,
                templates::SpotAward {
                    name: &recipient.display_name,
                    manager: &manager.display_name,
                    recipient: &recipient.display_name,
                    points: award.points,
                    reason: &award.reason,
                    link: &format!("{base}/recognition"),
                },
            )?;
            outbox::enqueue(txn, award.org_id, email).await?;
            queued = true;
        }
    } else if award.status == PENDING {
        let admins: Vec<Uuid> = user_role::Entity::find_in(award.org_id)
            .select_only()
            .column(user_role::Column::UserId)
            .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
            .into_tuple()
            .all(txn)
            .await?;
        for admin in user::Entity::find_in(award.org_id)
            .filter(user::Column::Id.is_in(admins))
            .filter(user::Column::Status.eq(user::ACTIVE))
            .all(txn)
            .await?
        {
            let email = templates::spot_award_pending(
                &admin.email,
                templates::SpotAward {
                    name: &admin.display_name,
                    manager: &manager.display_name,
                    recipient: &recipient.display_name,
                    points: award.points,
                    reason: &award.reason,
                    link: &format!("{base}/admin/recognition/spot-awards"),
                },
            )?;
            outbox::enqueue(txn, award.org_id, email).await?;
            queued = true;
        }
    }
    Ok(queued)
}

/// Spot awards the caller gave (managers), newest first.
#[utoipa::path(get, path = "/api/v1/spot-awards", tag = "recognition", security(("bearer" = [])),
    responses((status = 200, body = SpotAwardList), (status = 403, body = Problem)))]
async fn my_awards(
    State(state): State<AppState>,
    manager: Manager,
) -> AppResult<Json<SpotAwardList>> {
    let rows = spot_award::Entity::find_in(manager.user.org_id)
        .filter(spot_award::Column::ManagerId.eq(manager.user.user_id))
        .order_by_desc(spot_award::Column::CreatedAt)
        .limit(500)
        .all(&state.db)
        .await?;
    Ok(Json(SpotAwardList {
        items: views(&state.db, manager.user.org_id, rows).await?,
    }))
}

/// Spot awards by status; pending ones form the approval queue (administrators).
#[utoipa::path(get, path = "/api/v1/admin/spot-awards", tag = "recognition", security(("bearer" = [])),
    params(AwardFilter),
    responses((status = 200, body = SpotAwardList), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_awards(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppQuery(filter): AppQuery<AwardFilter>,
) -> AppResult<Json<SpotAwardList>> {
    let status = filter.status.as_deref().unwrap_or(PENDING);
    let mut query = spot_award::Entity::find_in(admin.org_id);
    match status {
        "all" => {}
        PENDING | AWARDED | REJECTED => query = query.filter(spot_award::Column::Status.eq(status)),
        _ => {
            return Err(AppError::field(
                "status",
                "must be pending, awarded, rejected or all",
            ));
        }
    }
    let rows = query
        .order_by_asc(spot_award::Column::CreatedAt)
        .limit(500)
        .all(&state.db)
        .await?;
    Ok(Json(SpotAwardList {
        items: views(&state.db, admin.org_id, rows).await?,
    }))
}

async fn decide(
    txn: &DatabaseTransaction,
    admin: &AuthUser,
    id: Uuid,
    to: &str,
) -> AppResult<spot_award::Model> {
    let found = spot_award::Entity::find_one_in(admin.org_id, id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let moved = spot_award::Entity::update_many()
        .col_expr(spot_award::Column::Status, Expr::value(to))
        .col_expr(spot_award::Column::DecidedBy, Expr::value(admin.user_id))
        .col_expr(spot_award::Column::DecidedAt, Expr::value(now))
        .filter(spot_award::Column::OrgId.eq(admin.org_id))
        .filter(spot_award::Column::Id.eq(id))
        .filter(spot_award::Column::Status.eq(PENDING))
        .exec(txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::conflict(
            "invalid_state",
            format!(
                "The award is {}; only pending awards can be decided.",
                found.status
            ),
        ));
    }
    audit::record(
        txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: if to == AWARDED {
                "spot_award.approve"
            } else {
                "spot_award.reject"
            },
            target_type: "spot_award",
            target_id: Some(id.to_string()),
            before: Some(json!({ "status": found.status })),
            after: Some(json!({ "status": to })),
        },
    )
    .await?;
    Ok(spot_award::Model {
        status: to.to_owned(),
        decided_at: Some(now),
        decided_by: Some(admin.user_id),
        ..found
    })
}

/// Approve a pending spot award: the reserved points go to the recipient (administrators).
#[utoipa::path(post, path = "/api/v1/admin/spot-awards/{id}/approve", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = SpotAwardView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn approve_award(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<SpotAwardView>> {
    let txn = crate::db::begin_write(&state.db).await?;
    let award = decide(&txn, &admin, id, AWARDED).await?;
    let hold = ledger::org_account(&txn, admin.org_id, kind::SPOT_HOLD).await?;
    let earned = ledger::account(&txn, admin.org_id, kind::EARNED, award.recipient_id, "").await?;
    ledger::post(
        &txn,
        Posting::transfer(
            admin.org_id,
            tx::SPOT_AWARD,
            format!("spot:{id}:approve"),
            hold.id,
            earned.id,
            award.points,
        )
        .actor(Some(admin.user_id))
        .reason(award.reason.clone())
        .explain(json!({ "spot_award_id": id, "manager_id": award.manager_id, "approved_by": admin.user_id })),
    )
    .await?;
    let emailed = notify(&txn, &state, &award).await?;
    txn.commit().await?;
    if emailed {
        state.outbox_kick.notify_one();
    }
    let view = views(&state.db, admin.org_id, vec![award])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok(Json(view))
}

/// Reject a pending spot award: the reserved points return to the manager's budget.
#[utoipa::path(post, path = "/api/v1/admin/spot-awards/{id}/reject", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = SpotAwardView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reject_award(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<SpotAwardView>> {
    let txn = crate::db::begin_write(&state.db).await?;
    let award = decide(&txn, &admin, id, REJECTED).await?;
    let hold = ledger::org_account(&txn, admin.org_id, kind::SPOT_HOLD).await?;
    let budget = ledger::account(
        &txn,
        admin.org_id,
        kind::MANAGER_BUDGET,
        award.manager_id,
        &award.period,
    )
    .await?;
    ledger::post(
        &txn,
        Posting::transfer(
            admin.org_id,
            tx::SPOT_RELEASE,
            format!("spot:{id}:reject"),
            hold.id,
            budget.id,
            award.points,
        )
        .actor(Some(admin.user_id))
        .reason("Spot award rejected")
        .explain(json!({ "spot_award_id": id, "rejected_by": admin.user_id })),
    )
    .await?;
    txn.commit().await?;
    let view = views(&state.db, admin.org_id, vec![award])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok(Json(view))
}
