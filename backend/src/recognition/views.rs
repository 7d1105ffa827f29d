//! What people see of recognition: an employee's wallet and ledger with explanations; a
//! manager's k-anonymous team summary; an administrator's points economy, rule performance,
//! the ledger consistency check and corrections by reversal. Tabular views answer CSV with
//! `format=csv`.

use std::collections::{HashMap, HashSet};

use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    Format, csv_response,
    ledger::{self, ConsistencyReport, kind},
    rewards, thanks,
};
use crate::{
    audit,
    entities::{
        points_account, points_entry, points_transaction, redemption, reward_rule, rule_award,
        thanks as thanks_entity, user,
    },
    error::{AppError, AppResult, Problem},
    http::extract::{Admin, AppJson, AppPath, AppQuery, AuthUser, TeamAccess},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(wallet))
        .routes(routes!(my_ledger))
        .routes(routes!(team_summary))
        .routes(routes!(economy))
        .routes(routes!(consistency))
        .routes(routes!(reverse_transaction))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Wallet {
    /// Spendable points.
    pub earned: i64,
    /// Points held for redemptions waiting for a decision.
    pub held: i64,
    /// Everything ever credited to the earned account.
    pub lifetime_earned: i64,
    /// The giving allowance of the current period.
    pub giving: thanks::Allowance,
}

/// The caller's wallet: earned points, points on hold and this period's giving allowance.
#[utoipa::path(get, path = "/api/v1/me/wallet", tag = "recognition", security(("bearer" = [])),
    responses((status = 200, body = Wallet), (status = 401, body = Problem)))]
async fn wallet(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Wallet>> {
    let earned_account = points_account::Entity::find_in(user.org_id)
        .filter(points_account::Column::Kind.eq(kind::EARNED))
        .filter(points_account::Column::OwnerId.eq(user.user_id))
        .one(&state.db)
        .await?;
    let lifetime: i64 = match &earned_account {
        Some(a) => points_entry::Entity::find_in(user.org_id)
            .select_only()
            .column(points_entry::Column::Amount)
            .filter(points_entry::Column::AccountId.eq(a.id))
            .filter(points_entry::Column::Amount.gt(0))
            .into_tuple::<i64>()
            .all(&state.db)
            .await?
            .iter()
            .sum(),
        None => 0,
    };
    let held: Vec<i64> = redemption::Entity::find_in(user.org_id)
        .select_only()
        .column(redemption::Column::Cost)
        .filter(redemption::Column::UserId.eq(user.user_id))
        .filter(redemption::Column::Status.eq(rewards::REQUESTED))
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(Json(Wallet {
        earned: earned_account.map(|a| a.balance).unwrap_or(0),
        held: held.iter().sum(),
        lifetime_earned: lifetime,
        giving: thanks::allowance(&state.db, &user).await?,
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerLine {
    pub entry_id: Uuid,
    pub transaction_id: Uuid,
    /// `earned`, `giving` or `manager_budget`.
    pub account: String,
    pub period: String,
    /// Positive: credited to the caller's account; negative: debited.
    pub amount: i64,
    /// Transaction kind (`rule_award`, `thanks`, `redemption_hold`, …).
    pub kind: String,
    pub reason: String,
    /// Which rule and version, which event, which numbers.
    pub explain: Value,
    pub reverses_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerLines {
    pub items: Vec<LedgerLine>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerFilter {
    /// Only this account kind (`earned`, `giving`, `manager_budget`).
    pub account: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// The caller's ledger entries, newest first, each with its transaction and explanation.
#[utoipa::path(get, path = "/api/v1/me/ledger", tag = "recognition", security(("bearer" = [])),
    params(LedgerFilter),
    responses((status = 200, body = LedgerLines), (status = 401, body = Problem)))]
async fn my_ledger(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(filter): AppQuery<LedgerFilter>,
) -> AppResult<Response> {
    let mut accounts = points_account::Entity::find_in(user.org_id)
        .filter(points_account::Column::OwnerId.eq(user.user_id));
    if let Some(kind) = &filter.account {
        accounts = accounts.filter(points_account::Column::Kind.eq(kind.as_str()));
    }
    let accounts: HashMap<Uuid, points_account::Model> = accounts
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let csv = (Format {
        format: filter.format.clone(),
    })
    .is_csv();
    let (limit, offset) = crate::people::Page {
        limit: filter.limit,
        offset: filter.offset,
    }
    .resolve(if csv {
        100_000
    } else {
        state.config.limits.max_page_size
    });
    let entries = if accounts.is_empty() {
        Vec::new()
    } else {
        points_entry::Entity::find_in(user.org_id)
            .filter(points_entry::Column::AccountId.is_in(accounts.keys().copied()))
            .order_by_desc(points_entry::Column::CreatedAt)
            .order_by_desc(points_entry::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(&state.db)
            .await?
    };
    let tx_ids: Vec<Uuid> = entries.iter().map(|e| e.transaction_id).collect();
    let txs: HashMap<Uuid, points_transaction::Model> = if tx_ids.is_empty() {
        HashMap::new()
    } else {
        points_transaction::Entity::find_in(user.org_id)
            .filter(points_transaction::Column::Id.is_in(tx_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect()
    };
    let items: Vec<LedgerLine> = entries
        .into_iter()
        .filter_map(|e| {
            let t = txs.get(&e.transaction_id)?;
            let a = accounts.get(&e.account_id)?;
            Some(LedgerLine {
                entry_id: e.id,
                transaction_id: t.id,
                account: a.kind.clone(),
                period: a.period.clone(),
                amount: e.amount,
                kind: t.kind.clone(),
                reason: t.reason.clone(),
                explain: t.explain.clone(),
                reverses_id: t.reverses_id,
                created_at: e.created_at,
            })
        })
        .collect();
    if csv {
        let mut rows = vec![
            [
                "created_at",
                "account",
                "period",
                "amount",
                "kind",
                "reason",
                "transaction_id",
                "explain",
            ]
            .map(String::from)
            .to_vec(),
        ];
        rows.extend(items.iter().map(|l| {
            vec![
                l.created_at.to_rfc3339(),
                l.account.clone(),
                l.period.clone(),
                l.amount.to_string(),
                l.kind.clone(),
                l.reason.clone(),
                l.transaction_id.to_string(),
                l.explain.to_string(),
            ]
        }));
        return Ok(csv_response("ledger", rows));
    }
    Ok(Json(LedgerLines { items }).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// Days back from now (1–400, default 30).
    pub days: Option<i64>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ValueCount {
    pub value: String,
    pub thanks: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamRecognition {
    pub team_id: Uuid,
    pub window_start: DateTime<Utc>,
    /// Active members of the team and its subteams.
    pub members: u64,
    /// False when the group is smaller than the k-anonymity threshold; the figures are then
    /// withheld (zero).
    pub shown: bool,
    pub k_anonymity: u32,
    pub thanks_given: u64,
    pub thanks_received: u64,
    pub points_received: i64,
    /// Members who gave at least one thanks, as a share of members (0–1).
    pub giving_participation: f64,
    /// Members who received at least one thanks, as a share of members (0–1).
    pub receiving_participation: f64,
    pub by_value: Vec<ValueCount>,
}

/// Recognition in a team and its subteams over a window (managers of the team, administrators).
/// Only aggregates, and only when the group has at least the k-anonymity threshold of members.
#[utoipa::path(get, path = "/api/v1/teams/{team_id}/recognition", tag = "recognition", security(("bearer" = [])),
    params(("team_id" = Uuid, Path), WindowQuery),
    responses((status = 200, body = TeamRecognition), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn team_summary(
    State(state): State<AppState>,
    access: TeamAccess,
    AppQuery(query): AppQuery<WindowQuery>,
) -> AppResult<Response> {
    let org_id = access.user.org_id;
    let days = query.days.unwrap_or(30);
    if !(1..=state.config.advocacy.max_window_days).contains(&days) {
        return Err(AppError::field("days", "must be between 1 and 400"));
    }
    let since = Utc::now() - Duration::days(days);
    let all: Vec<(Uuid, Option<Uuid>)> = crate::entities::team::Entity::find_in(org_id)
        .select_only()
        .column(crate::entities::team::Column::Id)
        .column(crate::entities::team::Column::ParentId)
        .into_tuple()
        .all(state.read_db())
        .await?;
    let teams = crate::people::teams::subtree(&all, &[access.team.id]);
    let members: Vec<Uuid> = user::Entity::find_in(org_id)
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::TeamId.is_in(teams.iter().copied()))
        .filter(user::Column::Status.eq(user::ACTIVE))
        .into_tuple()
        .all(state.read_db())
        .await?;
    let k = state.config.advocacy.k_anonymity;
    let mut summary = TeamRecognition {
        team_id: access.team.id,
        window_start: since,
        members: members.len() as u64,
        shown: members.len() as u64 >= u64::from(k),
        k_anonymity: k,
        thanks_given: 0,
        thanks_received: 0,
        points_received: 0,
        giving_participation: 0.0,
        receiving_participation: 0.0,
        by_value: Vec::new(),
    };
    if summary.shown {
        let given = thanks_entity::Entity::find_in(org_id)
            .filter(thanks_entity::Column::GiverId.is_in(members.clone()))
            .filter(thanks_entity::Column::CreatedAt.gte(since))
            .all(state.read_db())
            .await?;
        let received = thanks_entity::Entity::find_in(org_id)
            .filter(thanks_entity::Column::RecipientId.is_in(members.clone()))
            .filter(thanks_entity::Column::CreatedAt.gte(since))
            .all(state.read_db())
            .await?;
        let givers: HashSet<Uuid> = given.iter().map(|t| t.giver_id).collect();
        let receivers: HashSet<Uuid> = received.iter().map(|t| t.recipient_id).collect();
        summary.thanks_given = given.len() as u64;
        summary.thanks_received = received.len() as u64;
        summary.points_received = received.iter().map(|t| t.points).sum();
        summary.giving_participation = givers.len() as f64 / members.len() as f64;
        summary.receiving_participation = receivers.len() as f64 / members.len() as f64;
        let names: HashMap<Uuid, String> = crate::entities::company_value::Entity::find_in(org_id)
            .all(state.read_db())
            .await?
            .into_iter()
            .map(|v| (v.id, v.name))
            .collect();
        let mut counts: HashMap<String, u64> = HashMap::new();
        for t in &received {
            if let Some(name) = t.value_id.and_then(|v| names.get(&v)) {
                *counts.entry(name.clone()).or_insert(0) += 1;
            }
        }
        let mut by_value: Vec<ValueCount> = counts
            .into_iter()
            .map(|(value, thanks)| ValueCount { value, thanks })
            .collect();
        by_value.sort_by(|a, b| b.thanks.cmp(&a.thanks).then(a.value.cmp(&b.value)));
        summary.by_value = by_value;
    }
    if query.format.as_deref() == Some("csv") {
        let mut rows = vec![
            ["metric", "value"].map(String::from).to_vec(),
            vec!["members".into(), summary.members.to_string()],
            vec!["shown".into(), summary.shown.to_string()],
            vec!["thanks_given".into(), summary.thanks_given.to_string()],
            vec![
                "thanks_received".into(),
                summary.thanks_received.to_string(),
            ],
            vec![
                "points_received".into(),
                summary.points_received.to_string(),
            ],
            vec![
                "giving_participation".into(),
                format!("{:.4}", summary.giving_participation),
            ],
            vec![
                "receiving_participation".into(),
                format!("{:.4}", summary.receiving_participation),
            ],
        ];
        rows.extend(
            summary
                .by_value
                .iter()
                .map(|v| vec![format!("value:{}", v.value), v.thanks.to_string()]),
        );
        return Ok(csv_response("team-recognition", rows));
    }
    Ok(Json(summary).into_response())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KindTotal {
    pub kind: String,
    pub transactions: u64,
    pub points: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RulePerformance {
    pub rule_id: Uuid,
    pub name: String,
    pub status: String,
    pub awards: u64,
    /// Awards that caps or the budget reduced.
    pub limited_awards: u64,
    pub points: i64,
    pub recipients: u64,
    pub budget: Option<i64>,
    /// `points / budget` (0–1), when there is a budget.
    pub budget_burn: Option<f64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Economy {
    /// Points ever issued (rule awards, allowances, manager budgets).
    pub issued: i64,
    /// Points in people's earned accounts: what they could redeem.
    pub outstanding_liability: i64,
    /// Points held for redemptions awaiting a decision.
    pub held: i64,
    /// Points spent on approved or fulfilled rewards.
    pub redeemed: i64,
    /// Unspent giving allowances and manager budgets.
    pub unspent_allowances: i64,
    pub by_kind: Vec<KindTotal>,
    pub rules: Vec<RulePerformance>,
}

/// The points economy: issued, outstanding liability, held, redeemed, per transaction kind,
/// and each rule's performance and budget burn (administrators; `format=csv` for the rules).
#[utoipa::path(get, path = "/api/v1/admin/recognition/economy", tag = "recognition", security(("bearer" = [])),
    params(Format),
    responses((status = 200, body = Economy), (status = 403, body = Problem)))]
async fn economy(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppQuery(format): AppQuery<Format>,
) -> AppResult<Response> {
    let org_id = admin.org_id;
    let balances: Vec<(String, i64)> = points_account::Entity::find_in(org_id)
        .select_only()
        .column(points_account::Column::Kind)
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(balance), 0) AS BIGINT)"),
            "total",
        )
        .group_by(points_account::Column::Kind)
        .into_tuple()
        .all(state.read_db())
        .await?;
    let of = |k: &str| {
        balances
            .iter()
            .find(|(kind, _)| kind == k)
            .map(|(_, v)| *v)
            .unwrap_or(0)
    };
    // Points per transaction kind: the positive side of each transaction.
    let txs: Vec<(String, Uuid)> = points_transaction::Entity::find_in(org_id)
        .select_only()
        .column(points_transaction::Column::Kind)
        .column(points_transaction::Column::Id)
        .into_tuple()
        .all(state.read_db())
        .await?;
    let kind_of: HashMap<Uuid, String> = txs.into_iter().map(|(k, id)| (id, k)).collect();
    let positive: Vec<(Uuid, i64)> = points_entry::Entity::find_in(org_id)
        .select_only()
        .column(points_entry::Column::TransactionId)
        .column(points_entry::Column::Amount)
        .filter(points_entry::Column::Amount.gt(0))
        .into_tuple()
        .all(state.read_db())
        .await?;
    let mut per_kind: HashMap<String, (HashSet<Uuid>, i64)> = HashMap::new();
    for (tx, amount) in positive {
        if let Some(k) = kind_of.get(&tx) {
            let slot = per_kind.entry(k.clone()).or_default();
            slot.0.insert(tx);
            slot.1 += amount;
        }
    }
    let mut by_kind: Vec<KindTotal> = per_kind
        .into_iter()
        .map(|(kind, (set, points))| KindTotal {
            kind,
            transactions: set.len() as u64,
            points,
        })
        .collect();
    by_kind.sort_by(|a, b| a.kind.cmp(&b.kind));

    let mut rules = Vec::new();
    for rule in reward_rule::Entity::find_in(org_id)
        .order_by_asc(reward_rule::Column::CreatedAt)
        .all(state.read_db())
        .await?
    {
        let awards: Vec<(Uuid, i64, Option<String>)> = rule_award::Entity::find_in(org_id)
            .select_only()
            .column(rule_award::Column::RecipientId)
            .column(rule_award::Column::Points)
            .column(rule_award::Column::LimitedBy)
            .filter(rule_award::Column::RuleId.eq(rule.id))
            .into_tuple()
            .all(state.read_db())
            .await?;
        let points: i64 = awards.iter().map(|a| a.1).sum();
        rules.push(RulePerformance {
            rule_id: rule.id,
            name: rule.name,
            status: rule.status,
            awards: awards.len() as u64,
            limited_awards: awards.iter().filter(|a| a.2.is_some()).count() as u64,
            points,
            recipients: awards.iter().map(|a| a.0).collect::<HashSet<_>>().len() as u64,
            budget: rule.budget,
            budget_burn: rule
                .budget
                .filter(|b| *b > 0)
                .map(|b| points as f64 / b as f64),
        });
    }
    let economy = Economy {
        issued: -of(kind::ISSUANCE),
        outstanding_liability: of(kind::EARNED),
        held: of(kind::CLEARING),
        redeemed: of(kind::EXPENSE),
        unspent_allowances: of(kind::GIVING) + of(kind::MANAGER_BUDGET) + of(kind::SPOT_HOLD),
        by_kind,
        rules,
    };
    if format.is_csv() {
        let mut rows = vec![
            [
                "rule_id",
                "name",
                "status",
                "awards",
                "limited_awards",
                "points",
                "recipients",
                "budget",
                "budget_burn",
            ]
            .map(String::from)
            .to_vec(),
        ];
        rows.extend(economy.rules.iter().map(|r| {
            vec![
                r.rule_id.to_string(),
                r.name.clone(),
                r.status.clone(),
                r.awards.to_string(),
                r.limited_awards.to_string(),
                r.points.to_string(),
                r.recipients.to_string(),
                r.budget.map(|b| b.to_string()).unwrap_or_default(),
                r.budget_burn.map(|b| format!("{b:.4}")).unwrap_or_default(),
            ]
        }));
        return Ok(csv_response("rule-performance", rows));
    }
    Ok(Json(economy).into_response())
}

/// Recompute every balance of the organisation from its entries and report mismatches,
/// unbalanced transactions and negative balances (administrators).
#[utoipa::path(get, path = "/api/v1/admin/recognition/consistency", tag = "recognition", security(("bearer" = [])),
    responses((status = 200, body = ConsistencyReport), (status = 403, body = Problem)))]
async fn consistency(
    State(state): State<AppState>,
    Admin(admin): Admin,
) -> AppResult<Json<ConsistencyReport>> {
    Ok(Json(ledger::check(&state.db, Some(admin.org_id)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReverseInput {
    /// Why the transaction is corrected (1 to 500 characters).
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Reversal {
    pub transaction_id: Uuid,
    pub reverses_id: Uuid,
}

/// Correct a transaction by posting its reversal (administrators; audited). Fails with
/// `insufficient_balance` when the points were already spent, and `conflict` when the
/// transaction was already reversed.
#[utoipa::path(post, path = "/api/v1/admin/recognition/transactions/{id}/reverse", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReverseInput,
    responses((status = 200, body = Reversal), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn reverse_transaction(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<ReverseInput>,
) -> AppResult<Json<Reversal>> {
    let reason = input.reason.trim();
    if !(1..=500).contains(&reason.chars().count()) {
        return Err(AppError::field("reason", "must be 1 to 500 characters"));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let posted = ledger::reverse(&txn, admin.org_id, id, Some(admin.user_id), reason).await?;
    if let ledger::Posted::Duplicate(_) = posted {
        return Err(AppError::conflict(
            "already_reversed",
            "This transaction was already reversed.",
        ));
    }
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "ledger.reverse",
            target_type: "points_transaction",
            target_id: Some(id.to_string()),
            before: None,
            after: Some(serde_json::json!({ "reversal": posted.id(), "reason": reason })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Json(Reversal {
        transaction_id: posted.id(),
        reverses_id: id,
    }))
}
