//! The double-entry points ledger.
//!
//! Policy, enforced here and nowhere else:
//! - Every movement is a transaction whose entries sum to zero; [`post`] refuses anything else
//!   before it writes.
//! - Balances live on the accounts and change in the same database transaction as the entries.
//!   A debit is one guarded statement (`balance = balance - n WHERE balance >= n`) that either
//!   affects exactly one row or fails the whole posting with `insufficient_balance`, so
//!   concurrent debits cannot overdraw an account on SQLite or PostgreSQL. Only the
//!   organisation's `issuance` account (where points come from) may go below zero.
//! - Every transaction has an idempotency key, unique per organisation: posting the same key
//!   again writes nothing and answers the original transaction.
//! - Nothing is edited: a correction is a reversing transaction that references the original
//!   (at most one per original).
//! - Each transaction carries its kind, actor, reason and an `explain` record (rule, version,
//!   event, the numbers used) so that every entry can be explained.
//!
//! Balances are updated in account-id order, so two postings touching the same accounts take
//! their row locks in the same order and cannot deadlock each other.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TryInsertResult,
    sea_query::{CaseStatement, Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    bulk::{Kind, array, insert_wide_text_rows, stamp},
    entities::{points_account, points_entry, points_transaction},
    error::{AppError, AppResult},
    tenancy::OrgScoped,
};

/// Account kinds.
pub mod kind {
    /// A person's spendable points (received and awarded).
    pub const EARNED: &str = "earned";
    /// A person's allowance for thanking others, one account per period.
    pub const GIVING: &str = "giving";
    /// A manager's budget for spot awards, one account per period.
    pub const MANAGER_BUDGET: &str = "manager_budget";
    /// Where points come from; the only account that may go negative (its negated balance is
    /// everything ever issued).
    pub const ISSUANCE: &str = "issuance";
    /// Points held for requested redemptions until they are approved or refunded.
    pub const CLEARING: &str = "redemption_clearing";
    /// Points spent on fulfilled rewards.
    pub const EXPENSE: &str = "redemption_expense";
    /// Points reserved for spot awards waiting for an administrator's approval.
    pub const SPOT_HOLD: &str = "spot_hold";
}

/// Transaction kinds.
pub mod tx {
    pub const RULE_AWARD: &str = "rule_award";
    pub const THANKS: &str = "thanks";
    pub const ALLOWANCE: &str = "allowance_grant";
    pub const BUDGET: &str = "budget_grant";
    pub const SPOT_AWARD: &str = "spot_award";
    pub const SPOT_HOLD: &str = "spot_hold";
    pub const SPOT_RELEASE: &str = "spot_release";
    pub const REDEMPTION_HOLD: &str = "redemption_hold";
    pub const REDEMPTION_SETTLE: &str = "redemption_settle";
    pub const REDEMPTION_REFUND: &str = "redemption_refund";
    pub const ADJUSTMENT: &str = "adjustment";
    pub const REVERSAL: &str = "reversal";
}

/// Finds or creates an account. `owner` is a person, or the organisation itself for
/// organisation-level accounts; `period` is empty for accounts that do not roll over.
pub async fn account(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    kind: &str,
    owner: Uuid,
    period: &str,
) -> AppResult<points_account::Model> {
    let find = || {
        points_account::Entity::find_in(org_id)
            .filter(points_account::Column::Kind.eq(kind))
            .filter(points_account::Column::OwnerId.eq(owner))
            .filter(points_account::Column::Period.eq(period))
    };
    if let Some(found) = find().one(db).await? {
        return Ok(found);
    }
    // Two requests may create the same account at once; the unique key keeps one.
    points_account::Entity::insert(points_account::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        kind: Set(kind.to_owned()),
        owner_id: Set(owner),
        period: Set(period.to_owned()),
        balance: Set(0),
        may_go_negative: Set(kind == kind::ISSUANCE),
        created_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing_on([
        points_account::Column::OrgId,
        points_account::Column::Kind,
        points_account::Column::OwnerId,
        points_account::Column::Period,
    ])
    .exec_without_returning(db)
    .await?;
    find().one(db).await?.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "account {kind}/{owner} vanished after insert"
        ))
    })
}

/// The organisation's account of a kind (issuance, clearing, expense, spot hold).
pub async fn org_account(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    kind: &str,
) -> AppResult<points_account::Model> {
    account(db, org_id, kind, org_id, "").await
}

/// A transaction to write.
#[derive(Debug, Clone)]
pub struct Posting {
    pub org_id: Uuid,
    pub kind: &'static str,
    pub idempotency_key: String,
    pub actor_id: Option<Uuid>,
    pub reason: String,
    pub explain: Value,
    pub reverses: Option<Uuid>,
    /// (account id, amount): positive credits, negative debits; they must sum to zero.
    pub legs: Vec<(Uuid, i64)>,
}

impl Posting {
    /// A transfer of `amount` from one account to another.
    pub fn transfer(
        org_id: Uuid,
        kind: &'static str,
        idempotency_key: String,
        from: Uuid,
        to: Uuid,
        amount: i64,
    ) -> Self {
        Self {
            org_id,
            kind,
            idempotency_key,
            actor_id: None,
            reason: String::new(),
            explain: Value::Object(Default::default()),
            reverses: None,
            legs: vec![(from, -amount), (to, amount)],
        }
    }

    pub fn actor(mut self, actor: Option<Uuid>) -> Self {
        self.actor_id = actor;
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }

    pub fn explain(mut self, explain: Value) -> Self {
        self.explain = explain;
        self
    }
}

/// What [`post`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// Written now.
    Created(Uuid),
    /// The idempotency key was already used; nothing was written.
    Duplicate(Uuid),
}

impl Posted {
    pub fn id(self) -> Uuid {
        match self {
            Self::Created(id) | Self::Duplicate(id) => id,
        }
    }
}

/// Checks the shape of a posting: at least two legs, no zero or overflowing amounts, and a sum
/// of zero.
pub fn validate(legs: &[(Uuid, i64)]) -> Result<(), &'static str> {
    if legs.len() < 2 {
        return Err("a transaction needs at least two entries");
    }
    if legs.iter().any(|(_, amount)| *amount == 0) {
        return Err("entries must move a non-zero amount");
    }
    let mut sum: i64 = 0;
    for (_, amount) in legs {
        sum = sum
            .checked_add(*amount)
            .ok_or("entries overflow when added")?;
    }
    if sum != 0 {
        return Err("entries must sum to zero");
    }
    Ok(())
}

/// Writes a transaction, its entries and the balance changes, in the caller's database
/// transaction. Fails with `insufficient_balance` (409) when a debit would overdraw an account;
/// the caller must then drop its transaction, which undoes everything.
pub async fn post(db: &impl ConnectionTrait, posting: Posting) -> AppResult<Posted> {
    validate(&posting.legs)
        .map_err(|why| AppError::Internal(anyhow::anyhow!("unbalanced posting: {why}")))?;
    if posting.idempotency_key.is_empty() || posting.idempotency_key.len() > 300 {
        return Err(AppError::Internal(anyhow::anyhow!(
            "idempotency key must be 1..=300 characters"
        )));
    }
    let account_ids: Vec<Uuid> = posting.legs.iter().map(|(id, _)| *id).collect();
    let accounts: HashMap<Uuid, points_account::Model> =
        points_account::Entity::find_in(posting.org_id)
            .filter(points_account::Column::Id.is_in(account_ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
    if account_ids.iter().any(|id| !accounts.contains_key(id)) {
        return Err(AppError::Internal(anyhow::anyhow!(
            "posting names an account outside the organisation"
        )));
    }

    let id = Uuid::now_v7();
    let now = Utc::now();
    let inserted = points_transaction::Entity::insert(points_transaction::ActiveModel {
        id: Set(id),
        org_id: Set(posting.org_id),
        kind: Set(posting.kind.to_owned()),
        idempotency_key: Set(posting.idempotency_key.clone()),
        actor_id: Set(posting.actor_id),
        reason: Set(posting.reason.clone()),
        explain: Set(posting.explain.clone()),
        reverses_id: Set(posting.reverses),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([
        points_transaction::Column::OrgId,
        points_transaction::Column::IdempotencyKey,
    ])
    .exec_without_returning(db)
    .await?;
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        let existing = points_transaction::Entity::find_in(posting.org_id)
            .filter(points_transaction::Column::IdempotencyKey.eq(&posting.idempotency_key))
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("duplicate key without a row")))?;
        return Ok(Posted::Duplicate(existing.id));
    }

    // Net amount per account, applied in account order (a stable lock order).
    let mut net: BTreeMap<Uuid, i64> = BTreeMap::new();
    for (account, amount) in &posting.legs {
        *net.entry(*account).or_default() += amount;
    }
    for (account_id, amount) in net {
        if amount == 0 {
            continue;
        }
        let guarded = amount < 0 && !accounts[&account_id].may_go_negative;
        let mut update = points_account::Entity::update_many()
            .col_expr(
                points_account::Column::Balance,
                Expr::col(points_account::Column::Balance).add(amount),
            )
            .filter(points_account::Column::OrgId.eq(posting.org_id))
            .filter(points_account::Column::Id.eq(account_id));
        if guarded {
            update = update.filter(points_account::Column::Balance.gte(-amount));
        }
        if update.exec(db).await?.rows_affected != 1 {
            return Err(AppError::conflict(
                "insufficient_balance",
                "There are not enough points for this.",
            ));
        }
    }
    points_entry::Entity::insert_many(posting.legs.iter().map(|(account, amount)| {
        points_entry::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(posting.org_id),
            transaction_id: Set(id),
            account_id: Set(*account),
            amount: Set(*amount),
            created_at: Set(now),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(Posted::Created(id))
}

/// Rows per multi-row insert: stays below SQLite's limit of 32,766 bound parameters for the
/// widest row written here.
const INSERT_CHUNK: usize = 2000;

/// Many transactions checked and turned into the rows that record them, to be written at once
/// with [`Prepared::write`]. Preparing reads the accounts but writes nothing, so a batch can be
/// prepared while an earlier one is still being written.
pub struct Prepared {
    org_id: Uuid,
    /// The transactions' ids, in the postings' order.
    pub ids: Vec<Uuid>,
    /// (transaction rows, entry rows) of one multi-row insert each, as JSON array texts.
    chunks: Vec<(String, String)>,
    /// Net change per account, in account order.
    net: BTreeMap<Uuid, i64>,
    /// Whether each account must stay at or above zero.
    guarded: HashMap<Uuid, bool>,
}

/// Prepares many transactions to be written at once (see [`Prepared::write`]). Every posting is
/// checked as in [`post`]; the accounts must be the organisation's.
pub async fn prepare_many(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    postings: Vec<Posting>,
) -> AppResult<Prepared> {
    let mut net: BTreeMap<Uuid, i64> = BTreeMap::new();
    for posting in &postings {
        validate(&posting.legs)
            .map_err(|why| AppError::Internal(anyhow::anyhow!("unbalanced posting: {why}")))?;
        if posting.org_id != org_id
            || posting.idempotency_key.is_empty()
            || posting.idempotency_key.len() > 300
        {
            return Err(AppError::Internal(anyhow::anyhow!(
                "postings must be of one organisation with 1..=300 character keys"
            )));
        }
        for (account, amount) in &posting.legs {
            let total = net.entry(*account).or_default();
            *total = total
                .checked_add(*amount)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("balance overflow")))?;
        }
    }
    let mut guarded: HashMap<Uuid, bool> = HashMap::new();
    let ids: Vec<Uuid> = net.keys().copied().collect();
    for chunk in ids.chunks(INSERT_CHUNK) {
        let found: Vec<(Uuid, bool)> = points_account::Entity::find_in(org_id)
            .select_only()
            .column(points_account::Column::Id)
            .column(points_account::Column::MayGoNegative)
            .filter(points_account::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        guarded.extend(found.into_iter().map(|(id, negative)| (id, !negative)));
    }
    if guarded.len() != net.len() {
        return Err(AppError::Internal(anyhow::anyhow!(
            "posting names an account outside the organisation"
        )));
    }
    let now = stamp(Utc::now());
    let mut chunks = Vec::new();
    let mut written = Vec::with_capacity(postings.len());
    for part in postings.chunks(BULK_CHUNK) {
        let mut transactions = Vec::with_capacity(part.len());
        let mut entries = Vec::with_capacity(part.len() * 2);
        for posting in part {
            let id = Uuid::now_v7();
            written.push(id);
            for (account, amount) in &posting.legs {
                entries.push(json!([Uuid::now_v7(), org_id, id, account, amount, now]));
            }
            transactions.push(json!([
                id,
                org_id,
                posting.kind,
                posting.idempotency_key,
                posting.actor_id,
                posting.reason,
                posting.explain.to_string(),
                posting.reverses,
                now,
            ]));
        }
        chunks.push((array(&transactions), array(&entries)));
    }
    Ok(Prepared {
        org_id,
        ids: written,
        chunks,
        net,
        guarded,
    })
}

impl Prepared {
    /// Writes the prepared transactions in the caller's database transaction: one multi-row
    /// insert per table (per [`BULK_CHUNK`] transactions) and one balance update per account
    /// (net of all the postings), in account order. Guarded accounts still cannot go below zero
    /// (the whole batch fails with `insufficient_balance`), and the idempotency keys must be
    /// new: a key that was already used fails the whole batch instead of being skipped, so
    /// callers use it for postings they know to be new (the rule engine, which skips events it
    /// already rewarded).
    pub async fn write(self, db: &impl ConnectionTrait) -> AppResult<()> {
        for (transactions, entries) in self.chunks {
            insert_text(
                db,
                "points_transactions",
                &TRANSACTION_COLUMNS,
                transactions,
            )
            .await?;
            insert_text(db, "points_entries", &ENTRY_COLUMNS, entries).await?;
        }
        apply_balances(db, self.org_id, &self.net, &self.guarded).await
    }
}

/// Rows per bulk statement: bounds the size of the one JSON parameter.
pub const BULK_CHUNK: usize = 5000;

const TRANSACTION_COLUMNS: [(&str, Kind); 9] = [
    ("id", Kind::Uuid),
    ("org_id", Kind::Uuid),
    ("kind", Kind::Text),
    ("idempotency_key", Kind::Text),
    ("actor_id", Kind::Uuid),
    ("reason", Kind::Text),
    ("explain", Kind::Json),
    ("reverses_id", Kind::Uuid),
    ("created_at", Kind::Time),
];

const ENTRY_COLUMNS: [(&str, Kind); 6] = [
    ("id", Kind::Uuid),
    ("org_id", Kind::Uuid),
    ("transaction_id", Kind::Uuid),
    ("account_id", Kind::Uuid),
    ("amount", Kind::Int),
    ("created_at", Kind::Time),
];

/// Inserts the rows of a JSON array text (each row an array in `columns` order) with one
/// statement.
pub async fn insert_text(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[(&str, Kind)],
    rows: String,
) -> AppResult<()> {
    if rows == "[]" {
        return Ok(());
    }
    db.execute_raw(insert_wide_text_rows(
        db.get_database_backend(),
        table,
        columns,
        rows,
    ))
    .await?;
    Ok(())
}

/// Accounts per balance statement (three bound parameters each).
const BALANCE_CHUNK: usize = 500;

/// Applies net balance changes (account id order) in the caller's transaction. Credits and
/// debits of accounts that may go negative are applied with one statement per
/// [`BALANCE_CHUNK`] accounts; a debit of a guarded account stays one guarded statement that
/// fails the whole posting with `insufficient_balance` when it would overdraw. On PostgreSQL
/// the rows are first locked in account order, so concurrent postings cannot deadlock.
async fn apply_balances(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    net: &BTreeMap<Uuid, i64>,
    guarded: &HashMap<Uuid, bool>,
) -> AppResult<()> {
    let changed: Vec<(Uuid, i64)> = net
        .iter()
        .filter(|(_, amount)| **amount != 0)
        .map(|(id, amount)| (*id, *amount))
        .collect();
    if db.get_database_backend() == DbBackend::Postgres {
        for chunk in changed.chunks(INSERT_CHUNK) {
            points_account::Entity::find_in(org_id)
                .select_only()
                .column(points_account::Column::Id)
                .filter(points_account::Column::Id.is_in(chunk.iter().map(|(id, _)| *id)))
                .order_by_asc(points_account::Column::Id)
                .lock_exclusive()
                .into_tuple::<Uuid>()
                .all(db)
                .await?;
        }
    }
    let insufficient = || {
        AppError::conflict(
            "insufficient_balance",
            "There are not enough points for this.",
        )
    };
    let (checked, unchecked): (Vec<_>, Vec<_>) = changed
        .into_iter()
        .partition(|(id, amount)| *amount < 0 && guarded.get(id).copied().unwrap_or(true));
    for (account_id, amount) in checked {
        let updated = points_account::Entity::update_many()
            .col_expr(
                points_account::Column::Balance,
                Expr::col(points_account::Column::Balance).add(amount),
            )
            .filter(points_account::Column::OrgId.eq(org_id))
            .filter(points_account::Column::Id.eq(account_id))
            .filter(points_account::Column::Balance.gte(-amount))
            .exec(db)
            .await?;
        if updated.rows_affected != 1 {
            return Err(insufficient());
        }
    }
    for chunk in unchecked.chunks(BALANCE_CHUNK) {
        let change: Expr = if let [(_, amount)] = chunk {
            Expr::val(*amount)
        } else {
            chunk
                .iter()
                .fold(CaseStatement::new(), |case, (id, amount)| {
                    case.case(points_account::Column::Id.eq(*id), *amount)
                })
                .finally(0i64)
                .into()
        };
        let updated = points_account::Entity::update_many()
            .col_expr(
                points_account::Column::Balance,
                Expr::col(points_account::Column::Balance).add(change),
            )
            .filter(points_account::Column::OrgId.eq(org_id))
            .filter(points_account::Column::Id.is_in(chunk.iter().map(|(id, _)| *id)))
            .exec(db)
            .await?;
        if updated.rows_affected != chunk.len() as u64 {
            return Err(AppError::Internal(anyhow::anyhow!(
                "posting names an account outside the organisation"
            )));
        }
    }
    Ok(())
}

/// Posts the mirror image of a transaction, referencing it. A transaction can be reversed once;
/// reversing it again answers the first reversal.
pub async fn reverse(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    original: Uuid,
    actor: Option<Uuid>,
    reason: &str,
) -> AppResult<Posted> {
    let found = points_transaction::Entity::find_one_in(org_id, original)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(existing) = points_transaction::Entity::find_in(org_id)
        .filter(points_transaction::Column::ReversesId.eq(original))
        .one(db)
        .await?
    {
        return Ok(Posted::Duplicate(existing.id));
    }
    if found.kind == tx::REVERSAL {
        return Err(AppError::conflict(
            "not_reversible",
            "A reversal cannot itself be reversed; post a new transaction instead.",
        ));
    }
    let legs: Vec<(Uuid, i64)> = points_entry::Entity::find_in(org_id)
        .filter(points_entry::Column::TransactionId.eq(original))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.account_id, -e.amount))
        .collect();
    post(
        db,
        Posting {
            org_id,
            kind: tx::REVERSAL,
            idempotency_key: format!("reversal:{original}"),
            actor_id: actor,
            reason: reason.to_owned(),
            explain: serde_json::json!({ "reverses": original, "original_kind": found.kind }),
            reverses: Some(original),
            legs,
        },
    )
    .await
}

/// The result of recomputing every balance from the entries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConsistencyReport {
    pub accounts: u64,
    pub transactions: u64,
    pub entries: u64,
    /// True when every balance equals the sum of its entries, every transaction sums to zero
    /// and no guarded account is negative.
    pub consistent: bool,
    pub mismatched_accounts: Vec<AccountMismatch>,
    pub unbalanced_transactions: Vec<Uuid>,
    pub negative_accounts: Vec<Uuid>,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountMismatch {
    pub account_id: Uuid,
    pub kind: String,
    pub balance: i64,
    pub sum_of_entries: i64,
}

/// `SUM` is `numeric` on PostgreSQL; cast so both databases answer a 64-bit integer.
pub const SUM_AMOUNT: &str = "CAST(COALESCE(SUM(amount), 0) AS BIGINT)";

/// Recomputes balances from entries for one organisation (or all, with `None`).
pub async fn check(db: &impl ConnectionTrait, org: Option<Uuid>) -> AppResult<ConsistencyReport> {
    let started = std::time::Instant::now();
    let mut accounts = points_account::Entity::find();
    let mut sums = points_entry::Entity::find()
        .select_only()
        .column(points_entry::Column::AccountId)
        .column_as(Expr::cust(SUM_AMOUNT), "total")
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .group_by(points_entry::Column::AccountId);
    let mut per_tx = points_entry::Entity::find()
        .select_only()
        .column(points_entry::Column::TransactionId)
        .column_as(Expr::cust(SUM_AMOUNT), "total")
        .group_by(points_entry::Column::TransactionId);
    let mut tx_count = points_transaction::Entity::find();
    if let Some(org) = org {
        accounts = accounts.filter(points_account::Column::OrgId.eq(org));
        sums = sums.filter(points_entry::Column::OrgId.eq(org));
        per_tx = per_tx.filter(points_entry::Column::OrgId.eq(org));
        tx_count = tx_count.filter(points_transaction::Column::OrgId.eq(org));
    }
    let accounts = accounts
        .order_by_asc(points_account::Column::Id)
        .all(db)
        .await?;
    let sums: Vec<(Uuid, Option<i64>, i64)> = sums.into_tuple().all(db).await?;
    let entries: i64 = sums.iter().map(|(_, _, n)| n).sum();
    let sums: HashMap<Uuid, i64> = sums
        .into_iter()
        .map(|(id, total, _)| (id, total.unwrap_or(0)))
        .collect();
    let mut mismatched = Vec::new();
    let mut negative = Vec::new();
    for a in &accounts {
        let total = sums.get(&a.id).copied().unwrap_or(0);
        if total != a.balance {
            mismatched.push(AccountMismatch {
                account_id: a.id,
                kind: a.kind.clone(),
                balance: a.balance,
                sum_of_entries: total,
            });
        }
        if a.balance < 0 && !a.may_go_negative {
            negative.push(a.id);
        }
    }
    let unbalanced: Vec<Uuid> = per_tx
        .into_tuple::<(Uuid, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(_, total)| total.unwrap_or(0) != 0)
        .map(|(id, _)| id)
        .collect();
    use sea_orm::PaginatorTrait;
    let transactions = tx_count.count(db).await?;
    Ok(ConsistencyReport {
        accounts: accounts.len() as u64,
        transactions,
        entries: u64::try_from(entries).unwrap_or(0),
        consistent: mismatched.is_empty() && unbalanced.is_empty() && negative.is_empty(),
        mismatched_accounts: mismatched,
        unbalanced_transactions: unbalanced,
        negative_accounts: negative,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// The balance of an account, or zero when it does not exist yet.
pub async fn balance(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    kind: &str,
    owner: Uuid,
    period: &str,
) -> AppResult<i64> {
    Ok(points_account::Entity::find_in(org_id)
        .filter(points_account::Column::Kind.eq(kind))
        .filter(points_account::Column::OwnerId.eq(owner))
        .filter(points_account::Column::Period.eq(period))
        .one(db)
        .await?
        .map(|a| a.balance)
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_must_balance() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(validate(&[(a, -5), (b, 5)]).is_ok());
        assert!(validate(&[(a, -5), (b, 4)]).is_err());
        assert!(validate(&[(a, 0), (b, 0)]).is_err());
        assert!(validate(&[(a, 5)]).is_err());
        assert!(validate(&[(a, i64::MAX), (b, i64::MAX)]).is_err());
    }
}
