//! The rewards catalogue and two-phase redemption.
//!
//! Requesting a reward holds its cost: one transaction moves the points from the person's
//! `earned` account to the organisation's `redemption_clearing` account, and the stock (when
//! finite) is taken with a guarded decrement in the same database transaction. An administrator
//! then approves (clearing → expense), fulfils (marks delivery, settling first if needed) or
//! rejects (clearing → earned, stock returned); the requester may cancel while it is requested.
//!
//! Concurrency: the balance debit and the stock decrement are each one guarded statement, so
//! neither can go below zero however many requests race. The per-person limit is counted after
//! the debit, which holds the person's account row until commit, so one person's racing
//! requests are counted one after another.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    PeriodKind, csv_response,
    ledger::{self, Posting, kind, tx},
};
use crate::{
    audit,
    auth::Role,
    entities::{redemption, reward, user},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{Admin, AppJson, AppPath, AppQuery, AuthUser},
    mail::{outbox, templates},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalogue))
        .routes(routes!(create_reward))
        .routes(routes!(update_reward))
        .routes(routes!(redeem))
        .routes(routes!(my_redemptions))
        .routes(routes!(cancel_redemption))
        .routes(routes!(redemption_queue))
        .routes(routes!(approve_redemption))
        .routes(routes!(fulfil_redemption))
        .routes(routes!(reject_redemption))
}

pub const REQUESTED: &str = "requested";
pub const APPROVED: &str = "approved";
pub const FULFILLED: &str = "fulfilled";
pub const REJECTED: &str = "rejected";
pub const CANCELLED: &str = "cancelled";

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RewardView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub cost: i64,
    /// Items left; null for unlimited.
    pub stock: Option<i64>,
    /// Most redemptions per person per `limit_period` (0: no limit).
    pub per_user_limit: i32,
    pub limit_period: PeriodKind,
    pub active: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RewardList {
    pub items: Vec<RewardView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RewardInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub cost: i64,
    /// Null or absent: unlimited.
    pub stock: Option<i64>,
    #[serde(default)]
    pub per_user_limit: i32,
    pub limit_period: Option<PeriodKind>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RewardPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub cost: Option<i64>,
    /// Set a new stock level; use `unlimited: true` to remove the limit.
    pub stock: Option<i64>,
    #[serde(default)]
    pub unlimited: bool,
    pub per_user_limit: Option<i32>,
    pub limit_period: Option<PeriodKind>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RedemptionView {
    pub id: Uuid,
    pub reward_id: Uuid,
    pub reward_name: String,
    pub user_id: Uuid,
    pub user_name: String,
    pub cost: i64,
    /// `requested`, `approved`, `fulfilled`, `rejected` or `cancelled`.
    pub status: String,
    pub note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RedemptionList {
    pub items: Vec<RedemptionView>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DecisionInput {
    /// Shown to the requester (e.g. why it was rejected, or delivery details).
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueFilter {
    /// Status to list (default `requested`); `all` for every status.
    pub status: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogueFilter {
    /// Administrators: include inactive items.
    #[serde(default)]
    pub all: bool,
}

fn view(r: reward::Model) -> RewardView {
    RewardView {
        id: r.id,
        name: r.name,
        description: r.description,
        cost: r.cost,
        stock: r.stock,
        per_user_limit: r.per_user_limit,
        limit_period: PeriodKind::parse(&r.limit_period).unwrap_or(PeriodKind::Month),
        active: r.active,
    }
}

fn validate(
    name: Option<&str>,
    description: Option<&str>,
    cost: Option<i64>,
    stock: Option<i64>,
    per_user_limit: Option<i32>,
) -> AppResult<()> {
    let mut v = Validator::new();
    if let Some(name) = name {
        let n = name.trim().chars().count();
        v.check(
            (1..=120).contains(&n),
            "name",
            "must be 1 to 120 characters",
        );
    }
    if let Some(description) = description {
        v.check(
            description.chars().count() <= 2000,
            "description",
            "must be at most 2000 characters",
        );
    }
    if let Some(cost) = cost {
        v.check(
            (1..=10_000_000).contains(&cost),
            "cost",
            "must be between 1 and 10000000 points",
        );
    }
    if let Some(stock) = stock {
        v.check(
            (0..=10_000_000).contains(&stock),
            "stock",
            "must be between 0 and 10000000",
        );
    }
    if let Some(limit) = per_user_limit {
        v.check(
            (0..=1000).contains(&limit),
            "per_user_limit",
            "must be between 0 and 1000",
        );
    }
    v.finish()
}

/// The rewards catalogue: active items (administrators may ask for all).
#[utoipa::path(get, path = "/api/v1/rewards", tag = "recognition", security(("bearer" = [])),
    params(CatalogueFilter),
    responses((status = 200, body = RewardList), (status = 401, body = Problem)))]
async fn catalogue(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(filter): AppQuery<CatalogueFilter>,
) -> AppResult<Json<RewardList>> {
    let mut query = reward::Entity::find_in(user.org_id);
    if !(filter.all && user.has(Role::Admin)) {
        query = query.filter(reward::Column::Active.eq(true));
    }
    let items = query
        .order_by_asc(reward::Column::Cost)
        .order_by_asc(reward::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .map(view)
        .collect();
    Ok(Json(RewardList { items }))
}

/// Add a reward to the catalogue (administrators).
#[utoipa::path(post, path = "/api/v1/admin/rewards", tag = "recognition", security(("bearer" = [])),
    request_body = RewardInput,
    responses((status = 201, body = RewardView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_reward(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(input): AppJson<RewardInput>,
) -> AppResult<(StatusCode, Json<RewardView>)> {
    validate(
        Some(&input.name),
        Some(&input.description),
        Some(input.cost),
        input.stock,
        Some(input.per_user_limit),
    )?;
    let now = Utc::now();
    let model = reward::Model {
        id: Uuid::now_v7(),
        org_id: admin.org_id,
        name: input.name.trim().to_owned(),
        description: input.description.trim().to_owned(),
        cost: input.cost,
        stock: input.stock,
        per_user_limit: input.per_user_limit,
        limit_period: input
            .limit_period
            .unwrap_or(PeriodKind::Month)
            .as_str()
            .to_owned(),
        active: input.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let txn = crate::db::begin_write(&state.db).await?;
    reward::Entity::insert(reward::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "reward.create",
            target_type: "reward",
            target_id: Some(model.id.to_string()),
            before: None,
            after: serde_json::to_value(view(model.clone())).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(view(model))))
}

/// Change a reward: name, description, cost, stock, limits, active (administrators). Cost
/// changes apply to new redemptions only.
#[utoipa::path(patch, path = "/api/v1/admin/rewards/{id}", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RewardPatch,
    responses((status = 200, body = RewardView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_reward(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<RewardPatch>,
) -> AppResult<Json<RewardView>> {
    let found = reward::Entity::find_one_in(admin.org_id, id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    validate(
        input.name.as_deref(),
        input.description.as_deref(),
        input.cost,
        input.stock,
        input.per_user_limit,
    )?;
    let before = view(found.clone());
    let mut model: reward::ActiveModel = found.into();
    if let Some(v) = input.name {
        model.name = Set(v.trim().to_owned());
    }
    if let Some(v) = input.description {
        model.description = Set(v.trim().to_owned());
    }
    if let Some(v) = input.cost {
        model.cost = Set(v);
    }
    if input.unlimited {
        model.stock = Set(None);
    } else if let Some(v) = input.stock {
        model.stock = Set(Some(v));
    }
    if let Some(v) = input.per_user_limit {
        model.per_user_limit = Set(v);
    }
    if let Some(v) = input.limit_period {
        model.limit_period = Set(v.as_str().to_owned());
    }
    if let Some(v) = input.active {
        model.active = Set(v);
    }
    model.updated_at = Set(Utc::now());
    let txn = crate::db::begin_write(&state.db).await?;
    let saved = sea_orm::ActiveModelTrait::update(model, &txn).await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "reward.update",
            target_type: "reward",
            target_id: Some(id.to_string()),
            before: serde_json::to_value(before).ok(),
            after: serde_json::to_value(view(saved.clone())).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Json(view(saved)))
}

async fn redemption_views(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    rows: Vec<redemption::Model>,
) -> AppResult<Vec<RedemptionView>> {
    let rewards: std::collections::HashMap<Uuid, String> = reward::Entity::find_in(org_id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    let people = crate::people::users::display_names(db, org_id, ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| RedemptionView {
            id: r.id,
            reward_name: rewards.get(&r.reward_id).cloned().unwrap_or_default(),
            reward_id: r.reward_id,
            user_name: people.get(&r.user_id).cloned().unwrap_or_default(),
            user_id: r.user_id,
            cost: r.cost,
            status: r.status,
            note: r.note,
            decided_at: r.decided_at,
            created_at: r.created_at,
        })
        .collect())
}

/// Redeem a reward: holds its cost from your earned points until an administrator decides.
///
/// Refused with `insufficient_balance` (409) when you have too few points, `out_of_stock` (409)
/// when none are left, `limit_reached` (409) past the per-person limit, and 404 for inactive or
/// unknown rewards.
#[utoipa::path(post, path = "/api/v1/rewards/{id}/redeem", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 201, body = RedemptionView),
        (status = 404, body = Problem),
        (status = 409, description = "Insufficient balance, out of stock or limit reached", body = Problem),
    ))]
async fn redeem(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<(StatusCode, Json<RedemptionView>)> {
    let item = reward::Entity::find_one_in(user.org_id, id)
        .filter(reward::Column::Active.eq(true))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let period = PeriodKind::parse(&item.limit_period)
        .unwrap_or(PeriodKind::Month)
        .period(now);
    let redemption_id = Uuid::now_v7();
    let txn = crate::db::begin_write(&state.db).await?;
    let earned = ledger::account(&txn, user.org_id, kind::EARNED, user.user_id, "").await?;
    let clearing = ledger::org_account(&txn, user.org_id, kind::CLEARING).await?;
    ledger::post(
        &txn,
        Posting::transfer(
            user.org_id,
            tx::REDEMPTION_HOLD,
            format!("redemption:{redemption_id}:hold"),
            earned.id,
            clearing.id,
            item.cost,
        )
        .actor(Some(user.user_id))
        .reason(format!("Redemption of {}", item.name))
        .explain(
            json!({ "redemption_id": redemption_id, "reward_id": item.id, "cost": item.cost }),
        ),
    )
    .await?;
    if item.per_user_limit > 0 {
        let taken = redemption::Entity::find_in(user.org_id)
            .filter(redemption::Column::UserId.eq(user.user_id))
            .filter(redemption::Column::RewardId.eq(item.id))
            .filter(redemption::Column::Period.eq(&period.key))
            .filter(redemption::Column::Status.is_not_in([REJECTED, CANCELLED]))
            .count(&txn)
            .await?;
        if taken >= item.per_user_limit as u64 {
            return Err(AppError::conflict(
                "limit_reached",
                format!(
                    "You can redeem this reward {} times per {}.",
                    item.per_user_limit, item.limit_period
                ),
            ));
        }
    }
    if item.stock.is_some() {
        let taken = reward::Entity::update_many()
            .col_expr(
                reward::Column::Stock,
                Expr::col(reward::Column::Stock).sub(1),
            )
            .filter(reward::Column::OrgId.eq(user.org_id))
            .filter(reward::Column::Id.eq(item.id))
            .filter(reward::Column::Stock.gte(1))
            .exec(&txn)
            .await?;
        if taken.rows_affected != 1 {
            return Err(AppError::conflict(
                "out_of_stock",
                "This reward is out of stock.",
            ));
        }
    }
    let model = redemption::Model {
        id: redemption_id,
        org_id: user.org_id,
        reward_id: item.id,
        user_id: user.user_id,
        cost: item.cost,
        status: REQUESTED.into(),
        period: period.key,
        note: None,
        decided_by: None,
        decided_at: None,
        created_at: now,
        updated_at: now,
    };
    redemption::Entity::insert(redemption::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    let view = redemption_views(&state.db, user.org_id, vec![model])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The caller's redemptions, newest first.
#[utoipa::path(get, path = "/api/v1/me/redemptions", tag = "recognition", security(("bearer" = [])),
    responses((status = 200, body = RedemptionList), (status = 401, body = Problem)))]
async fn my_redemptions(
    State(state): State<AppState>,
    user: AuthUser,
) -> AppResult<Json<RedemptionList>> {
    let rows = redemption::Entity::find_in(user.org_id)
        .filter(redemption::Column::UserId.eq(user.user_id))
        .order_by_desc(redemption::Column::CreatedAt)
        .limit(500)
        .all(&state.db)
        .await?;
    Ok(Json(RedemptionList {
        items: redemption_views(&state.db, user.org_id, rows).await?,
    }))
}

/// Moves a redemption from one of `from` to `to` with a conditional update, so two decisions
/// racing on one redemption cannot both apply.
async fn transition(
    txn: &DatabaseTransaction,
    org_id: Uuid,
    id: Uuid,
    from: &[&str],
    to: &str,
    actor: Uuid,
    note: Option<String>,
) -> AppResult<redemption::Model> {
    let found = redemption::Entity::find_one_in(org_id, id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let moved = redemption::Entity::update_many()
        .col_expr(redemption::Column::Status, Expr::value(to))
        .col_expr(redemption::Column::DecidedBy, Expr::value(actor))
        .col_expr(redemption::Column::DecidedAt, Expr::value(now))
        .col_expr(redemption::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            redemption::Column::Note,
            Expr::value(note.clone().or(found.note.clone())),
        )
        .filter(redemption::Column::OrgId.eq(org_id))
        .filter(redemption::Column::Id.eq(id))
        .filter(redemption::Column::Status.is_in(from.iter().copied()))
        .exec(txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::conflict(
            "invalid_state",
            format!("The redemption is {}; it cannot become {to}.", found.status),
        ));
    }
    Ok(redemption::Model {
        status: to.to_owned(),
        note: note.or(found.note.clone()),
        ..found
    })
}

/// Moves the held points on: to expense (settle) or back to the requester (refund).
async fn settle(txn: &DatabaseTransaction, r: &redemption::Model, actor: Uuid) -> AppResult<()> {
    let clearing = ledger::org_account(txn, r.org_id, kind::CLEARING).await?;
    let expense = ledger::org_account(txn, r.org_id, kind::EXPENSE).await?;
    ledger::post(
        txn,
        Posting::transfer(
            r.org_id,
            tx::REDEMPTION_SETTLE,
            format!("redemption:{}:settle", r.id),
            clearing.id,
            expense.id,
            r.cost,
        )
        .actor(Some(actor))
        .reason("Redemption approved")
        .explain(json!({ "redemption_id": r.id, "reward_id": r.reward_id, "cost": r.cost })),
    )
    .await?;
    Ok(())
}

async fn refund(txn: &DatabaseTransaction, r: &redemption::Model, actor: Uuid) -> AppResult<()> {
    let clearing = ledger::org_account(txn, r.org_id, kind::CLEARING).await?;
    let earned = ledger::account(txn, r.org_id, kind::EARNED, r.user_id, "").await?;
    ledger::post(
        txn,
        Posting::transfer(
            r.org_id,
            tx::REDEMPTION_REFUND,
            format!("redemption:{}:refund", r.id),
            clearing.id,
            earned.id,
            r.cost,
        )
        .actor(Some(actor))
        .reason("Redemption refunded")
        .explain(json!({ "redemption_id": r.id, "reward_id": r.reward_id, "cost": r.cost })),
    )
    .await?;
    // Give the item back to the stock when it is counted.
    reward::Entity::update_many()
        .col_expr(
            reward::Column::Stock,
            Expr::col(reward::Column::Stock).add(1),
        )
        .filter(reward::Column::OrgId.eq(r.org_id))
        .filter(reward::Column::Id.eq(r.reward_id))
        .filter(reward::Column::Stock.is_not_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// Queues the status email in the transaction.
async fn notify(
    state: &AppState,
    txn: &DatabaseTransaction,
    r: &redemption::Model,
    refunded: bool,
) -> AppResult<()> {
    let Some(person) = user::Entity::find_one_in(r.org_id, r.user_id)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let name = reward::Entity::find_one_in(r.org_id, r.reward_id)
        .one(txn)
        .await?
        .map(|x| x.name)
        .unwrap_or_default();
    let link = format!(
        "{}/recognition/redemptions",
        state.config.public_url().as_str().trim_end_matches('/')
    );
    let email = templates::redemption_update(
        &person.email,
        templates::RedemptionUpdate {
            name: &person.display_name,
            reward: &name,
            cost: r.cost,
            status: &r.status,
            refunded,
            note: r.note.as_deref(),
            link: &link,
        },
    )?;
    outbox::enqueue(txn, r.org_id, email).await?;
    Ok(())
}

/// The optional decision body: empty, or a JSON [`DecisionInput`].
pub fn note_of(body: &[u8]) -> AppResult<Option<String>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let input: DecisionInput = crate::http::extract::parse_json(body)?;
    let note = input.note.map(|n| n.trim().to_owned());
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(AppError::field("note", "must be at most 1000 characters"));
    }
    Ok(note.filter(|n| !n.is_empty()))
}

async fn decide(
    state: &AppState,
    admin: &AuthUser,
    id: Uuid,
    action: &'static str,
    note: Option<String>,
) -> AppResult<Json<RedemptionView>> {
    let txn = crate::db::begin_write(&state.db).await?;
    let (r, refunded) = match action {
        "approve" => {
            let r = transition(
                &txn,
                admin.org_id,
                id,
                &[REQUESTED],
                APPROVED,
                admin.user_id,
                note,
            )
            .await?;
            settle(&txn, &r, admin.user_id).await?;
            (r, false)
        }
        "fulfil" => {
            let r = transition(
                &txn,
                admin.org_id,
                id,
                &[REQUESTED, APPROVED],
                FULFILLED,
                admin.user_id,
                note,
            )
            .await?;
            // Settling is idempotent: a redemption approved earlier was settled then.
            settle(&txn, &r, admin.user_id).await?;
            (r, false)
        }
        _ => {
            let r = transition(
                &txn,
                admin.org_id,
                id,
                &[REQUESTED],
                REJECTED,
                admin.user_id,
                note,
            )
            .await?;
            refund(&txn, &r, admin.user_id).await?;
            (r, true)
        }
    };
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: match action {
                "approve" => "redemption.approve",
                "fulfil" => "redemption.fulfil",
                _ => "redemption.reject",
            },
            target_type: "redemption",
            target_id: Some(id.to_string()),
            before: None,
            after: Some(json!({ "status": r.status, "note": r.note })),
        },
    )
    .await?;
    notify(state, &txn, &r, refunded).await?;
    txn.commit().await?;
    state.outbox_kick.notify_one();
    let view = redemption_views(&state.db, admin.org_id, vec![r])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok(Json(view))
}

/// Cancel one of your own redemptions while it is still requested; the points come back.
#[utoipa::path(post, path = "/api/v1/me/redemptions/{id}/cancel", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RedemptionView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn cancel_redemption(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<RedemptionView>> {
    redemption::Entity::find_one_in(user.org_id, id)
        .filter(redemption::Column::UserId.eq(user.user_id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let r = transition(
        &txn,
        user.org_id,
        id,
        &[REQUESTED],
        CANCELLED,
        user.user_id,
        None,
    )
    .await?;
    refund(&txn, &r, user.user_id).await?;
    notify(&state, &txn, &r, true).await?;
    txn.commit().await?;
    state.outbox_kick.notify_one();
    let view = redemption_views(&state.db, user.org_id, vec![r])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok(Json(view))
}

/// The approval queue: redemptions by status, oldest first (administrators; `format=csv`).
#[utoipa::path(get, path = "/api/v1/admin/redemptions", tag = "recognition", security(("bearer" = [])),
    params(QueueFilter),
    responses((status = 200, body = RedemptionList), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn redemption_queue(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppQuery(filter): AppQuery<QueueFilter>,
) -> AppResult<Response> {
    let status = filter.status.as_deref().unwrap_or(REQUESTED);
    let mut query = redemption::Entity::find_in(admin.org_id);
    if status != "all" {
        if ![REQUESTED, APPROVED, FULFILLED, REJECTED, CANCELLED].contains(&status) {
            return Err(AppError::field(
                "status",
                "must be requested, approved, fulfilled, rejected, cancelled or all",
            ));
        }
        query = query.filter(redemption::Column::Status.eq(status));
    }
    let (limit, offset) = crate::people::Page {
        limit: filter.limit,
        offset: filter.offset,
    }
    .resolve(state.config.limits.max_page_size);
    let rows = query
        .order_by_asc(redemption::Column::CreatedAt)
        .limit(limit)
        .offset(offset)
        .all(&state.db)
        .await?;
    let items = redemption_views(&state.db, admin.org_id, rows).await?;
    if filter.format.as_deref() == Some("csv") {
        let mut rows = vec![
            [
                "id",
                "created_at",
                "person",
                "reward",
                "cost",
                "status",
                "note",
            ]
            .map(String::from)
            .to_vec(),
        ];
        rows.extend(items.iter().map(|r| {
            vec![
                r.id.to_string(),
                r.created_at.to_rfc3339(),
                r.user_name.clone(),
                r.reward_name.clone(),
                r.cost.to_string(),
                r.status.clone(),
                r.note.clone().unwrap_or_default(),
            ]
        }));
        return Ok(csv_response("redemptions", rows));
    }
    Ok(Json(RedemptionList { items }).into_response())
}

/// Approve a requested redemption: the held points become spent (administrators).
#[utoipa::path(post, path = "/api/v1/admin/redemptions/{id}/approve", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = DecisionInput, description = "Optional note"),
    responses((status = 200, body = RedemptionView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn approve_redemption(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
    body: axum::body::Bytes,
) -> AppResult<Json<RedemptionView>> {
    let note = note_of(&body)?;
    decide(&state, &admin, id, "approve", note).await
}

/// Mark a redemption fulfilled (delivered); settles it first when still requested.
#[utoipa::path(post, path = "/api/v1/admin/redemptions/{id}/fulfil", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = DecisionInput, description = "Optional note"),
    responses((status = 200, body = RedemptionView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn fulfil_redemption(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
    body: axum::body::Bytes,
) -> AppResult<Json<RedemptionView>> {
    let note = note_of(&body)?;
    decide(&state, &admin, id, "fulfil", note).await
}

/// Reject a requested redemption: the points go back to the requester and the item to stock.
#[utoipa::path(post, path = "/api/v1/admin/redemptions/{id}/reject", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = DecisionInput, description = "Optional note"),
    responses((status = 200, body = RedemptionView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reject_redemption(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
    body: axum::body::Bytes,
) -> AppResult<Json<RedemptionView>> {
    let note = note_of(&body)?;
    decide(&state, &admin, id, "reject", note).await
}
