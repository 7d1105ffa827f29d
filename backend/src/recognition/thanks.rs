//! Peer thanks: a message, an optional company value and points from the giver's allowance.
//!
//! The allowance of a period is policy minus what was given in it. It lives in a `giving`
//! account per person *per period*, funded from issuance the first time the person gives in that
//! period (and topped up when the policy grows), so a new period needs no reset job and there is
//! no midnight race: the period is part of the account's key. Giving debits that account with
//! the ledger's guarded update, which also serialises one person's concurrent thanks, so the
//! per-pair limit is counted after the debit, under that lock.

use std::collections::HashMap;

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    Format, PeriodKind, csv_response,
    events::{self, NewEvent},
    ledger::{self, Posting, kind, tx},
    settings,
};
use crate::{
    entities::{company_value, points_entry, points_transaction, thanks, thanks_reaction, user},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{AppJson, AppPath, AppQuery, AuthUser},
    mail::{outbox, templates},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(give_thanks))
        .routes(routes!(wall))
        .routes(routes!(get_thanks, update_thanks))
        .routes(routes!(react))
        .routes(routes!(unreact))
        .routes(routes!(my_thanks))
}

/// Reactions people can leave on a thanks.
pub const REACTIONS: [&str; 6] = ["clap", "tada", "heart", "raised_hands", "bulb", "rocket"];

#[derive(Debug, Deserialize, ToSchema)]
pub struct ThanksInput {
    pub recipient_id: Uuid,
    /// 1 to 500 characters.
    pub message: String,
    /// Points from the giver's allowance (0 for thanks without points).
    #[serde(default)]
    pub points: i64,
    /// A company value the thanks recognises.
    pub value_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ThanksPatch {
    /// Only the recipient may hide a thanks from the wall.
    pub private: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReactionInput {
    /// One of `clap`, `tada`, `heart`, `raised_hands`, `bulb`, `rocket`.
    pub emoji: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ThanksView {
    pub id: Uuid,
    pub giver_id: Uuid,
    pub giver_name: String,
    pub recipient_id: Uuid,
    pub recipient_name: String,
    pub points: i64,
    pub message: String,
    pub value_id: Option<Uuid>,
    pub value_name: Option<String>,
    pub private: bool,
    /// Reaction → count.
    pub reactions: HashMap<String, i64>,
    /// Reactions the caller left.
    pub my_reactions: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ThanksList {
    pub items: Vec<ThanksView>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyThanksFilter {
    /// `received` (default) or `given`.
    pub direction: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// The caller's allowance in the current period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Allowance {
    pub period: String,
    pub period_kind: PeriodKind,
    pub period_ends_at: DateTime<Utc>,
    /// The policy's amount for this period.
    pub amount: i64,
    pub given: i64,
    /// `amount - given`, never below zero.
    pub available: i64,
}

/// Policy minus what was given in the current period (read-only; nothing is written).
pub async fn allowance(db: &impl ConnectionTrait, user: &AuthUser) -> AppResult<Allowance> {
    let (period_kind, amount) = settings::allowance_for(db, user).await?;
    let period = period_kind.period(Utc::now());
    let given: Vec<i64> = thanks::Entity::find_in(user.org_id)
        .select_only()
        .column(thanks::Column::Points)
        .filter(thanks::Column::GiverId.eq(user.user_id))
        .filter(thanks::Column::Period.eq(&period.key))
        .into_tuple()
        .all(db)
        .await?;
    let given: i64 = given.iter().sum();
    Ok(Allowance {
        period: period.key,
        period_kind,
        period_ends_at: period.end,
        amount,
        given,
        available: (amount - given).max(0),
    })
}

/// Funds a per-period account (giving allowance or manager budget) up to `target` from
/// issuance; answers the account and what was funded in total. Idempotent per level: two
/// requests funding the same level at once write one grant.
pub async fn fund_period_account(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    account_kind: &'static str,
    grant_kind: &'static str,
    owner: Uuid,
    period: &str,
    target: i64,
) -> AppResult<(crate::entities::points_account::Model, i64)> {
    let account = ledger::account(db, org_id, account_kind, owner, period).await?;
    let prefix = format!("{grant_kind}:{owner}:{period}:");
    let grants: Vec<Uuid> = points_transaction::Entity::find_in(org_id)
        .select_only()
        .column(points_transaction::Column::Id)
        .filter(points_transaction::Column::Kind.eq(grant_kind))
        .filter(points_transaction::Column::IdempotencyKey.starts_with(&prefix))
        .into_tuple()
        .all(db)
        .await?;
    let funded: i64 = if grants.is_empty() {
        0
    } else {
        points_entry::Entity::find_in(org_id)
            .select_only()
            .column(points_entry::Column::Amount)
            .filter(points_entry::Column::AccountId.eq(account.id))
            .filter(points_entry::Column::TransactionId.is_in(grants))
            .into_tuple::<i64>()
            .all(db)
            .await?
            .iter()
            .sum()
    };
    if target > funded {
        let issuance = ledger::org_account(db, org_id, kind::ISSUANCE).await?;
        ledger::post(
            db,
            Posting::transfer(
                org_id,
                grant_kind,
                format!("{prefix}{target}"),
                issuance.id,
                account.id,
                target - funded,
            )
            .reason(format!("{period} {account_kind} up to {target}"))
            .explain(
                json!({ "period": period, "policy_amount": target, "previously_funded": funded }),
            ),
        )
        .await?;
        return Ok((account, target));
    }
    Ok((account, funded))
}

/// Turns rows into views with names, value names and reactions.
pub async fn views(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    viewer: Uuid,
    rows: Vec<thanks::Model>,
) -> AppResult<Vec<ThanksView>> {
    let people = crate::people::users::display_names(
        db,
        org_id,
        rows.iter().flat_map(|t| [t.giver_id, t.recipient_id]),
    )
    .await?;
    let values: HashMap<Uuid, String> = company_value::Entity::find_in(org_id)
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|t| t.id).collect();
    let reactions = if ids.is_empty() {
        Vec::new()
    } else {
        thanks_reaction::Entity::find_in(org_id)
            .filter(thanks_reaction::Column::ThanksId.is_in(ids))
            .all(db)
            .await?
    };
    Ok(rows
        .into_iter()
        .map(|t| {
            let mut counts = HashMap::new();
            let mut mine = Vec::new();
            for r in reactions.iter().filter(|r| r.thanks_id == t.id) {
                *counts.entry(r.emoji.clone()).or_insert(0) += 1;
                if r.user_id == viewer {
                    mine.push(r.emoji.clone());
                }
            }
            ThanksView {
                id: t.id,
                giver_name: people.get(&t.giver_id).cloned().unwrap_or_default(),
                giver_id: t.giver_id,
                recipient_name: people.get(&t.recipient_id).cloned().unwrap_or_default(),
                recipient_id: t.recipient_id,
                points: t.points,
                message: t.message,
                value_name: t.value_id.and_then(|v| values.get(&v).cloned()),
                value_id: t.value_id,
                private: t.private,
                reactions: counts,
                my_reactions: mine,
                created_at: t.created_at,
            }
        })
        .collect())
}

/// Thank a colleague, optionally with points from your allowance and a company value.
///
/// Refused with `self_thanks` (400) when thanking yourself, `allowance_exhausted` (409) when the
/// points exceed what is left of this period's allowance, and `pair_limit_reached` (409) when you
/// already thanked this colleague as often as the organisation allows in the period. The
/// recipient gets an email (unless they turned it off); rules may award points for it later.
#[utoipa::path(post, path = "/api/v1/thanks", tag = "recognition", security(("bearer" = [])),
    request_body = ThanksInput,
    responses(
        (status = 201, body = ThanksView),
        (status = 400, description = "Self-thanks", body = Problem),
        (status = 409, description = "Allowance exhausted or pair limit reached", body = Problem),
        (status = 422, body = Problem),
    ))]
async fn give_thanks(
    State(state): State<AppState>,
    user: AuthUser,
    AppJson(input): AppJson<ThanksInput>,
) -> AppResult<(StatusCode, Json<ThanksView>)> {
    let config = settings::load(&state.db, user.org_id).await?;
    let message = input.message.trim().to_owned();
    let mut v = Validator::new();
    let length = message.chars().count();
    v.check(
        (1..=500).contains(&length)
            && !message
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r'),
        "message",
        "must be 1 to 500 characters of text",
    );
    v.check(
        (0..=config.thanks_max_points).contains(&input.points),
        "points",
        &format!("must be between 0 and {}", config.thanks_max_points),
    );
    v.finish()?;
    if input.recipient_id == user.user_id {
        return Err(AppError::bad_request(
            "self_thanks",
            "You cannot thank yourself; thank a colleague instead.",
        ));
    }
    let recipient = user::Entity::find_one_in(user.org_id, input.recipient_id)
        .filter(user::Column::Status.eq(user::ACTIVE))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::field("recipient_id", "no such active colleague"))?;
    let value = match input.value_id {
        Some(id) => Some(
            company_value::Entity::find_one_in(user.org_id, id)
                .filter(company_value::Column::Active.eq(true))
                .one(&state.db)
                .await?
                .ok_or_else(|| AppError::field("value_id", "no such active company value"))?,
        ),
        None => None,
    };
    let (period_kind, policy) = settings::allowance_for(&state.db, &user).await?;
    let now = Utc::now();
    let period = period_kind.period(now);
    let id = Uuid::now_v7();

    let txn = crate::db::begin_write(&state.db).await?;
    let mut transaction_id = None;
    if input.points > 0 {
        let (giving, funded) = fund_period_account(
            &txn,
            user.org_id,
            kind::GIVING,
            tx::ALLOWANCE,
            user.user_id,
            &period.key,
            policy,
        )
        .await?;
        // A policy lowered mid-period: what was given counts against the new amount.
        let balance =
            ledger::balance(&txn, user.org_id, kind::GIVING, user.user_id, &period.key).await?;
        let available = balance.min(policy - (funded - balance)).max(0);
        let exhausted = || {
            AppError::conflict(
                "allowance_exhausted",
                format!(
                    "You have {available} points left to give until {}.",
                    period.end.format("%Y-%m-%d")
                ),
            )
        };
        if input.points > available {
            return Err(exhausted());
        }
        let earned = ledger::account(&txn, user.org_id, kind::EARNED, recipient.id, "").await?;
        let posted = ledger::post(
            &txn,
            Posting::transfer(
                user.org_id,
                tx::THANKS,
                format!("thanks:{id}"),
                giving.id,
                earned.id,
                input.points,
            )
            .actor(Some(user.user_id))
            .reason(format!("Thanks from {}", user.display_name))
            .explain(json!({
                "thanks_id": id,
                "giver_id": user.user_id,
                "period": period.key,
                "policy_amount": policy,
                "available_before": available,
                "value": value.as_ref().map(|v| v.name.clone()),
            })),
        )
        .await
        .map_err(|e| match e {
            AppError::Conflict {
                code: "insufficient_balance",
                ..
            } => exhausted(),
            other => other,
        })?;
        transaction_id = Some(posted.id());
    }
    if config.pair_limit_per_period > 0 {
        let pair_period = config.pair_limit_period.period(now);
        let already = thanks::Entity::find_in(user.org_id)
            .filter(thanks::Column::GiverId.eq(user.user_id))
            .filter(thanks::Column::RecipientId.eq(recipient.id))
            .filter(thanks::Column::CreatedAt.gte(pair_period.start))
            .filter(thanks::Column::CreatedAt.lt(pair_period.end))
            .count(&txn)
            .await?;
        if already >= config.pair_limit_per_period as u64 {
            return Err(AppError::conflict(
                "pair_limit_reached",
                format!(
                    "You already thanked {} {} times this {}; thank someone else or wait until {}.",
                    recipient.display_name,
                    already,
                    config.pair_limit_period.as_str(),
                    pair_period.end.format("%Y-%m-%d")
                ),
            ));
        }
    }
    let model = thanks::Model {
        id,
        org_id: user.org_id,
        giver_id: user.user_id,
        recipient_id: recipient.id,
        points: input.points,
        message: message.clone(),
        value_id: value.as_ref().map(|v| v.id),
        private: false,
        period: period.key.clone(),
        transaction_id,
        created_at: now,
    };
    thanks::Entity::insert(thanks::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    events::emit(
        &txn,
        NewEvent {
            org_id: user.org_id,
            kind: events::kind::THANKS_RECEIVED,
            user_id: recipient.id,
            team_id: recipient.team_id,
            dedupe_key: format!("thanks:{id}"),
            units: input.points,
            payload: json!({
                "thanks_id": id,
                "giver_id": user.user_id,
                "value_id": value.as_ref().map(|v| v.id),
                "tags": value.as_ref().map(|v| vec![v.name.clone()]).unwrap_or_default(),
            }),
            occurred_at: now,
        },
    )
    .await?;
    let wants_email = settings::preferences(&txn, user.org_id, recipient.id)
        .await?
        .email_on_thanks;
    if wants_email {
        let link = format!(
            "{}/recognition",
            state.config.public_url().as_str().trim_end_matches('/')
        );
        let email = templates::thanks_received(
            &recipient.email,
            templates::ThanksReceived {
                name: &recipient.display_name,
                giver: &user.display_name,
                points: input.points,
                message: &message,
                value: value.as_ref().map(|v| v.name.as_str()),
                link: &link,
            },
        )?;
        outbox::enqueue(&txn, user.org_id, email).await?;
    }
    txn.commit().await?;
    if wants_email {
        state.outbox_kick.notify_one();
    }
    let view = views(&state.db, user.org_id, user.user_id, vec![model])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A thanks the caller may see: public ones, and private ones they gave or received.
async fn visible(db: &impl ConnectionTrait, user: &AuthUser, id: Uuid) -> AppResult<thanks::Model> {
    thanks::Entity::find_one_in(user.org_id, id)
        .filter(
            Condition::any()
                .add(thanks::Column::Private.eq(false))
                .add(thanks::Column::GiverId.eq(user.user_id))
                .add(thanks::Column::RecipientId.eq(user.user_id)),
        )
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The thanks wall: public thanks of the organisation, newest first, with reactions.
#[utoipa::path(get, path = "/api/v1/thanks/wall", tag = "recognition", security(("bearer" = [])),
    params(crate::people::Page),
    responses((status = 200, body = ThanksList), (status = 401, body = Problem)))]
async fn wall(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(page): AppQuery<crate::people::Page>,
) -> AppResult<Json<ThanksList>> {
    let (limit, offset) = page.resolve(state.config.limits.max_page_size);
    let rows = thanks::Entity::find_in(user.org_id)
        .filter(thanks::Column::Private.eq(false))
        .order_by_desc(thanks::Column::CreatedAt)
        .order_by_desc(thanks::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(&state.db)
        .await?;
    Ok(Json(ThanksList {
        items: views(&state.db, user.org_id, user.user_id, rows).await?,
    }))
}

/// One thanks (public, or private to the caller as giver or recipient).
#[utoipa::path(get, path = "/api/v1/thanks/{id}", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ThanksView), (status = 404, body = Problem)))]
async fn get_thanks(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<ThanksView>> {
    let found = visible(&state.db, &user, id).await?;
    let view = views(&state.db, user.org_id, user.user_id, vec![found])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok(Json(view))
}

/// Keep a thanks private (off the wall) or make it public again; recipients only.
#[utoipa::path(patch, path = "/api/v1/thanks/{id}", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ThanksPatch,
    responses((status = 200, body = ThanksView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn update_thanks(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<ThanksPatch>,
) -> AppResult<Json<ThanksView>> {
    let found = visible(&state.db, &user, id).await?;
    if found.recipient_id != user.user_id {
        return Err(AppError::Forbidden);
    }
    thanks::Entity::update_many()
        .col_expr(
            thanks::Column::Private,
            sea_orm::sea_query::Expr::value(input.private),
        )
        .filter(thanks::Column::OrgId.eq(user.org_id))
        .filter(thanks::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    get_thanks(State(state), user, AppPath(id)).await
}

/// React to a thanks (idempotent).
#[utoipa::path(post, path = "/api/v1/thanks/{id}/reactions", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReactionInput,
    responses((status = 200, body = ThanksView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn react(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<ReactionInput>,
) -> AppResult<Json<ThanksView>> {
    if !REACTIONS.contains(&input.emoji.as_str()) {
        return Err(AppError::field(
            "emoji",
            format!("must be one of {}", REACTIONS.join(", ")),
        ));
    }
    visible(&state.db, &user, id).await?;
    thanks_reaction::Entity::insert(thanks_reaction::ActiveModel {
        org_id: Set(user.org_id),
        thanks_id: Set(id),
        user_id: Set(user.user_id),
        emoji: Set(input.emoji),
        created_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(&state.db)
    .await?;
    get_thanks(State(state), user, AppPath(id)).await
}

/// Remove the caller's reaction from a thanks.
#[utoipa::path(delete, path = "/api/v1/thanks/{id}/reactions/{emoji}", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("emoji" = String, Path)),
    responses((status = 200, body = ThanksView), (status = 404, body = Problem)))]
async fn unreact(
    State(state): State<AppState>,
    user: AuthUser,
    AppPath((id, emoji)): AppPath<(Uuid, String)>,
) -> AppResult<Json<ThanksView>> {
    visible(&state.db, &user, id).await?;
    thanks_reaction::Entity::delete_many()
        .filter(thanks_reaction::Column::OrgId.eq(user.org_id))
        .filter(thanks_reaction::Column::ThanksId.eq(id))
        .filter(thanks_reaction::Column::UserId.eq(user.user_id))
        .filter(thanks_reaction::Column::Emoji.eq(emoji))
        .exec(&state.db)
        .await?;
    get_thanks(State(state), user, AppPath(id)).await
}

/// Thanks the caller received (default) or gave, newest first; `format=csv` for a file.
#[utoipa::path(get, path = "/api/v1/me/thanks", tag = "recognition", security(("bearer" = [])),
    params(MyThanksFilter),
    responses((status = 200, body = ThanksList), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn my_thanks(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(filter): AppQuery<MyThanksFilter>,
) -> AppResult<Response> {
    let column = match filter.direction.as_deref().unwrap_or("received") {
        "received" => thanks::Column::RecipientId,
        "given" => thanks::Column::GiverId,
        _ => return Err(AppError::field("direction", "must be received or given")),
    };
    let rows = thanks::Entity::find_in(user.org_id)
        .filter(column.eq(user.user_id))
        .order_by_desc(thanks::Column::CreatedAt)
        .limit(1000)
        .all(&state.db)
        .await?;
    let items = views(&state.db, user.org_id, user.user_id, rows).await?;
    if (Format {
        format: filter.format,
    })
    .is_csv()
    {
        let mut rows = vec![
            [
                "created_at",
                "giver",
                "recipient",
                "points",
                "value",
                "private",
                "message",
            ]
            .map(String::from)
            .to_vec(),
        ];
        rows.extend(items.iter().map(|t| {
            vec![
                t.created_at.to_rfc3339(),
                t.giver_name.clone(),
                t.recipient_name.clone(),
                t.points.to_string(),
                t.value_name.clone().unwrap_or_default(),
                t.private.to_string(),
                t.message.clone(),
            ]
        }));
        return Ok(csv_response("thanks", rows));
    }
    Ok(Json(ThanksList { items }).into_response())
}
