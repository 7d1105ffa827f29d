//! Badges: achievements defined by administrators as a criterion and a threshold (first share,
//! a sharing streak of N consecutive ISO weeks, N human clicks, first thanks given, N thanks
//! received, a network linked…).
//!
//! - Definitions are versioned: every edit bumps the version and is written to the audit log
//!   with the before and after; a badge is archived, never deleted, so earned badges stay.
//! - Evaluation ([`evaluate`]) recomputes the numbers behind each criterion from the rows that
//!   produce them (shares, the reach rollup, thanks, linked networks) and inserts an award per
//!   (organisation, person, badge) that is met; the unique key makes it idempotent. It runs for
//!   the people named by new inbox events (in the `rules` job's batch transaction) and for
//!   everyone in the scheduled `badges` job, so a badge whose criterion was met while it did not
//!   yet exist is awarded too.
//! - Each award stores its evidence: the criterion, the threshold and the value that met it.

use std::collections::{BTreeSet, HashMap};

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    audit,
    entities::{badge, badge_award, network_profile, reach_daily, share, thanks},
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{Admin, AppJson, AppPath, AppQuery, AuthUser},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_badges, create_badge))
        .routes(routes!(get_badge, update_badge))
        .routes(routes!(archive_badge))
        .routes(routes!(my_badges))
}

pub const ACTIVE: &str = "active";
pub const ARCHIVED: &str = "archived";

/// What a badge counts; it is earned when the count reaches the badge's threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Shares created (threshold 1: first share).
    Shares,
    /// Longest run of consecutive ISO weeks with at least one share.
    WeeklyStreak,
    /// Human clicks on all of the person's shares.
    HumanClicks,
    /// Thanks given (threshold 1: first thanks given).
    ThanksGiven,
    ThanksReceived,
    /// Networks linked.
    NetworksLinked,
}

impl Criterion {
    pub const ALL: [Criterion; 6] = [
        Self::Shares,
        Self::WeeklyStreak,
        Self::HumanClicks,
        Self::ThanksGiven,
        Self::ThanksReceived,
        Self::NetworksLinked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shares => "shares",
            Self::WeeklyStreak => "weekly_streak",
            Self::HumanClicks => "human_clicks",
            Self::ThanksGiven => "thanks_given",
            Self::ThanksReceived => "thanks_received",
            Self::NetworksLinked => "networks_linked",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == value)
    }

    fn max_threshold(self) -> i64 {
        match self {
            Self::WeeklyStreak => 520,
            Self::NetworksLinked => 50,
            _ => 10_000_000,
        }
    }
}

/// The numbers badges are judged on, for one person.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    pub shares: i64,
    pub human_clicks: i64,
    pub thanks_given: i64,
    pub thanks_received: i64,
    pub networks_linked: i64,
    /// Longest run of consecutive ISO weeks with a share.
    pub longest_streak_weeks: i64,
    /// The run ending this week (or last week: a streak stays alive until a week passes
    /// without a share).
    pub current_streak_weeks: i64,
}

impl Stats {
    pub fn value(&self, criterion: Criterion) -> i64 {
        match criterion {
            Criterion::Shares => self.shares,
            Criterion::WeeklyStreak => self.longest_streak_weeks,
            Criterion::HumanClicks => self.human_clicks,
            Criterion::ThanksGiven => self.thanks_given,
            Criterion::ThanksReceived => self.thanks_received,
            Criterion::NetworksLinked => self.networks_linked,
        }
    }
}

/// Monday of the ISO week containing `at`.
pub fn week_start(at: DateTime<Utc>) -> NaiveDate {
    let date = at.date_naive();
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// (longest, current) runs of consecutive weeks among `weeks` (Mondays), the current run being
/// the one that ends in the week of `now` or the week before.
pub fn streaks(weeks: &BTreeSet<NaiveDate>, now: DateTime<Utc>) -> (i64, i64) {
    let (mut longest, mut run) = (0i64, 0i64);
    let mut previous: Option<NaiveDate> = None;
    for week in weeks {
        run = match previous {
            Some(p) if *week - p == Duration::days(7) => run + 1,
            _ => 1,
        };
        longest = longest.max(run);
        previous = Some(*week);
    }
    let this_week = week_start(now);
    let current = match previous {
        Some(last) if last == this_week || last == this_week - Duration::days(7) => run,
        _ => 0,
    };
    (longest, current)
}

/// The run of consecutive weeks that ends in the week of `at`, counting only shares up to `at`.
pub fn streak_ending(weeks: &BTreeSet<NaiveDate>, at: DateTime<Utc>) -> i64 {
    let mut week = week_start(at);
    let mut run = 0;
    while weeks.contains(&week) {
        run += 1;
        week -= Duration::days(7);
    }
    run
}

/// Weeks (Mondays) in which each person shared; `users` limits the people (all when `None`).
pub async fn share_weeks(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    users: Option<&[Uuid]>,
    until: Option<DateTime<Utc>>,
) -> AppResult<HashMap<Uuid, (i64, BTreeSet<NaiveDate>)>> {
    let mut out: HashMap<Uuid, (i64, BTreeSet<NaiveDate>)> = HashMap::new();
    for chunk in chunks(users) {
        let mut query = share::Entity::find_in(org_id)
            .select_only()
            .column(share::Column::UserId)
            .column(share::Column::CreatedAt)
            .filter(share::Column::UserId.is_not_null());
        if let Some(chunk) = chunk {
            query = query.filter(share::Column::UserId.is_in(chunk.to_vec()));
        }
        if let Some(until) = until {
            query = query.filter(share::Column::CreatedAt.lte(until));
        }
        let rows: Vec<(Option<Uuid>, DateTime<Utc>)> = query.into_tuple().all(db).await?;
        for (user, at) in rows {
            if let Some(user) = user {
                let entry = out.entry(user).or_default();
                entry.0 += 1;
                entry.1.insert(week_start(at));
            }
        }
    }
    Ok(out)
}

/// `None` (everyone) as one chunk, or the people in chunks that fit an `IN` list.
fn chunks(users: Option<&[Uuid]>) -> Vec<Option<&[Uuid]>> {
    match users {
        None => vec![None],
        Some(list) => list.chunks(500).map(Some).collect(),
    }
}

/// Counts per person from a grouped query: `column` is the person column.
async fn grouped<E>(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    column: E::Column,
    aggregate: &str,
    users: Option<&[Uuid]>,
) -> AppResult<HashMap<Uuid, i64>>
where
    E: OrgScoped,
{
    let mut out = HashMap::new();
    for chunk in chunks(users) {
        let mut query = E::find_in(org_id)
            .select_only()
            .column(column)
            .column_as(Expr::cust(aggregate.to_owned()), "n")
            .group_by(column);
        if let Some(chunk) = chunk {
            query = query.filter(column.is_in(chunk.to_vec()));
        }
        let rows: Vec<(Option<Uuid>, i64)> = query.into_tuple().all(db).await?;
        out.extend(rows.into_iter().filter_map(|(u, n)| Some((u?, n))));
    }
    Ok(out)
}

const COUNT: &str = "CAST(COUNT(*) AS BIGINT)";

/// The badge numbers of each person (all people with any activity when `users` is `None`).
pub async fn stats(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    users: Option<&[Uuid]>,
    now: DateTime<Utc>,
) -> AppResult<HashMap<Uuid, Stats>> {
    let mut out: HashMap<Uuid, Stats> = HashMap::new();
    for (user, (count, weeks)) in share_weeks(db, org_id, users, None).await? {
        let (longest, current) = streaks(&weeks, now);
        let s = out.entry(user).or_default();
        s.shares = count;
        s.longest_streak_weeks = longest;
        s.current_streak_weeks = current;
    }
    let sums = [
        (
            grouped::<reach_daily::Entity>(
                db,
                org_id,
                reach_daily::Column::UserId,
                "CAST(COALESCE(SUM(human_clicks), 0) AS BIGINT)",
                users,
            )
            .await?,
            Criterion::HumanClicks,
        ),
        (
            grouped::<thanks::Entity>(db, org_id, thanks::Column::GiverId, COUNT, users).await?,
            Criterion::ThanksGiven,
        ),
        (
            grouped::<thanks::Entity>(db, org_id, thanks::Column::RecipientId, COUNT, users)
                .await?,
            Criterion::ThanksReceived,
        ),
        (
            grouped::<network_profile::Entity>(
                db,
                org_id,
                network_profile::Column::UserId,
                "CAST(COUNT(DISTINCT network) AS BIGINT)",
                users,
            )
            .await?,
            Criterion::NetworksLinked,
        ),
    ];
    for (values, criterion) in sums {
        for (user, n) in values {
            let s = out.entry(user).or_default();
            match criterion {
                Criterion::HumanClicks => s.human_clicks = n,
                Criterion::ThanksGiven => s.thanks_given = n,
                Criterion::ThanksReceived => s.thanks_received = n,
                _ => s.networks_linked = n,
            }
        }
    }
    Ok(out)
}

/// Awards every active badge of the organisation whose criterion is met, to the named people
/// (or everyone). Idempotent: a person holds a badge at most once. Answers how many awards are
/// new.
pub async fn evaluate(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    users: Option<&[Uuid]>,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let badges: Vec<(badge::Model, Criterion)> = badge::Entity::find_in(org_id)
        .filter(badge::Column::Status.eq(ACTIVE))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|b| Criterion::parse(&b.criterion).map(|c| (b, c)))
        .collect();
    if badges.is_empty() || users.is_some_and(|u| u.is_empty()) {
        return Ok(0);
    }
    let people = stats(db, org_id, users, now).await?;
    let mut held: BTreeSet<(Uuid, Uuid)> = BTreeSet::new();
    for chunk in chunks(users) {
        let mut query = badge_award::Entity::find_in(org_id)
            .select_only()
            .column(badge_award::Column::UserId)
            .column(badge_award::Column::BadgeId);
        if let Some(chunk) = chunk {
            query = query.filter(badge_award::Column::UserId.is_in(chunk.to_vec()));
        }
        held.extend(query.into_tuple::<(Uuid, Uuid)>().all(db).await?);
    }
    let mut new = Vec::new();
    for (user, s) in &people {
        for (b, criterion) in &badges {
            let value = s.value(*criterion);
            if value >= b.threshold && !held.contains(&(*user, b.id)) {
                new.push(badge_award::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    org_id: Set(org_id),
                    badge_id: Set(b.id),
                    badge_version: Set(b.version),
                    user_id: Set(*user),
                    evidence: Set(json!({
                        "criterion": criterion,
                        "threshold": b.threshold,
                        "value": value,
                        "stats": s,
                    })),
                    awarded_at: Set(now),
                });
            }
        }
    }
    let mut inserted = 0;
    for chunk in new.chunks(200) {
        let result = badge_award::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([
                badge_award::Column::OrgId,
                badge_award::Column::UserId,
                badge_award::Column::BadgeId,
            ])
            .exec_without_returning(db)
            .await?;
        if let sea_orm::TryInsertResult::Inserted(n) = result {
            inserted += n;
        }
    }
    Ok(inserted)
}

/// The `badges` job: evaluates every organisation that has active badges, for everyone.
pub async fn run_job(state: &AppState) -> anyhow::Result<String> {
    state.clicks.settle().await?;
    let orgs: Vec<Uuid> = badge::Entity::find()
        .select_only()
        .column(badge::Column::OrgId)
        .filter(badge::Column::Status.eq(ACTIVE))
        .distinct()
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut awarded = 0;
    for org in &orgs {
        let txn = crate::db::begin_write(&state.db).await?;
        awarded += evaluate(&txn, *org, None, Utc::now()).await?;
        txn.commit().await?;
    }
    Ok(format!(
        "{} organisations; {awarded} badges awarded",
        orgs.len()
    ))
}

// ---------------------------------------------------------------------------------------------
// HTTP

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BadgeInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub criterion: Criterion,
    /// The count at which the badge is earned (1 for "first …").
    pub threshold: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BadgeUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub criterion: Option<Criterion>,
    pub threshold: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BadgeView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub criterion: Criterion,
    pub threshold: i64,
    /// `active` or `archived`.
    pub status: String,
    /// Bumped by every edit (each one is in the audit log).
    pub version: i32,
    /// People holding the badge.
    pub holders: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BadgeList {
    pub items: Vec<BadgeView>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BadgeFilter {
    /// Include archived badges (default false).
    pub archived: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyBadge {
    pub badge: BadgeView,
    pub earned: bool,
    pub awarded_at: Option<DateTime<Utc>>,
    /// The numbers that earned it.
    #[schema(value_type = Option<Object>)]
    pub evidence: Option<serde_json::Value>,
    /// The caller's current count toward the threshold (capped at the threshold once earned).
    pub progress: i64,
    pub target: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyBadges {
    /// Earned badges (including archived ones) first, newest first; then active unearned
    /// badges, closest to completion first.
    pub items: Vec<MyBadge>,
    pub stats: Stats,
}

fn view(b: badge::Model, holders: &HashMap<Uuid, i64>) -> BadgeView {
    BadgeView {
        holders: holders.get(&b.id).copied().unwrap_or(0) as u64,
        criterion: Criterion::parse(&b.criterion).unwrap_or(Criterion::Shares),
        id: b.id,
        name: b.name,
        description: b.description,
        threshold: b.threshold,
        status: b.status,
        version: b.version,
        created_at: b.created_at,
        updated_at: b.updated_at,
    }
}

async fn holders(db: &impl ConnectionTrait, org_id: Uuid) -> AppResult<HashMap<Uuid, i64>> {
    grouped::<badge_award::Entity>(db, org_id, badge_award::Column::BadgeId, COUNT, None).await
}

fn validate(name: &str, description: &str, criterion: Criterion, threshold: i64) -> AppResult<()> {
    let mut v = Validator::new();
    v.check(
        (1..=80).contains(&name.trim().chars().count()),
        "name",
        "must be 1 to 80 characters",
    );
    v.check(
        description.chars().count() <= 500,
        "description",
        "must be at most 500 characters",
    );
    v.check(
        (1..=criterion.max_threshold()).contains(&threshold),
        "threshold",
        &format!("must be between 1 and {}", criterion.max_threshold()),
    );
    v.finish()
}

async fn find(db: &impl ConnectionTrait, org_id: Uuid, id: Uuid) -> AppResult<badge::Model> {
    badge::Entity::find_one_in(org_id, id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Badge definitions (administrators).
#[utoipa::path(get, path = "/api/v1/admin/badges", tag = "recognition", security(("bearer" = [])),
    params(BadgeFilter),
    responses((status = 200, body = BadgeList), (status = 403, body = Problem)))]
async fn list_badges(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppQuery(filter): AppQuery<BadgeFilter>,
) -> AppResult<Json<BadgeList>> {
    let mut query = badge::Entity::find_in(admin.org_id).order_by_asc(badge::Column::CreatedAt);
    if !filter.archived.unwrap_or(false) {
        query = query.filter(badge::Column::Status.eq(ACTIVE));
    }
    let counts = holders(&state.db, admin.org_id).await?;
    Ok(Json(BadgeList {
        items: query
            .all(&state.db)
            .await?
            .into_iter()
            .map(|b| view(b, &counts))
            .collect(),
    }))
}

/// Create a badge (version 1). People who already meet it receive it on the next evaluation.
#[utoipa::path(post, path = "/api/v1/admin/badges", tag = "recognition", security(("bearer" = [])),
    request_body = BadgeInput,
    responses((status = 201, body = BadgeView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_badge(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(input): AppJson<BadgeInput>,
) -> AppResult<(StatusCode, Json<BadgeView>)> {
    validate(
        &input.name,
        &input.description,
        input.criterion,
        input.threshold,
    )?;
    let now = Utc::now();
    let model = badge::Model {
        id: Uuid::now_v7(),
        org_id: admin.org_id,
        name: input.name.trim().to_owned(),
        description: input.description.trim().to_owned(),
        criterion: input.criterion.as_str().to_owned(),
        threshold: input.threshold,
        status: ACTIVE.to_owned(),
        version: 1,
        created_by: Some(admin.user_id),
        created_at: now,
        updated_at: now,
    };
    let txn = crate::db::begin_write(&state.db).await?;
    badge::Entity::insert(badge::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit_change(&txn, &admin, "badge.create", &model, None).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(view(model, &HashMap::new()))))
}

async fn audit_change(
    db: &impl ConnectionTrait,
    admin: &AuthUser,
    action: &str,
    after: &badge::Model,
    before: Option<&badge::Model>,
) -> AppResult<()> {
    let doc = |b: &badge::Model| {
        json!({
            "name": b.name, "description": b.description, "criterion": b.criterion,
            "threshold": b.threshold, "status": b.status, "version": b.version,
        })
    };
    audit::record(
        db,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action,
            target_type: "badge",
            target_id: Some(after.id.to_string()),
            before: before.map(doc),
            after: Some(doc(after)),
        },
    )
    .await
}

/// One badge definition (administrators).
#[utoipa::path(get, path = "/api/v1/admin/badges/{id}", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BadgeView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_badge(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<BadgeView>> {
    let found = find(&state.db, admin.org_id, id).await?;
    Ok(Json(view(found, &holders(&state.db, admin.org_id).await?)))
}

/// Edit a badge: a new version, recorded in the audit log. Awards already made keep the
/// version that made them.
#[utoipa::path(put, path = "/api/v1/admin/badges/{id}", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = BadgeUpdate,
    responses((status = 200, body = BadgeView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_badge(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<BadgeUpdate>,
) -> AppResult<Json<BadgeView>> {
    let before = find(&state.db, admin.org_id, id).await?;
    let mut after = before.clone();
    if let Some(name) = input.name {
        after.name = name.trim().to_owned();
    }
    if let Some(description) = input.description {
        after.description = description.trim().to_owned();
    }
    if let Some(criterion) = input.criterion {
        after.criterion = criterion.as_str().to_owned();
    }
    if let Some(threshold) = input.threshold {
        after.threshold = threshold;
    }
    let criterion = Criterion::parse(&after.criterion).unwrap_or(Criterion::Shares);
    validate(&after.name, &after.description, criterion, after.threshold)?;
    after.version = before.version + 1;
    after.updated_at = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    save(&txn, &before, &after).await?;
    audit_change(&txn, &admin, "badge.update", &after, Some(&before)).await?;
    txn.commit().await?;
    Ok(Json(view(after, &holders(&state.db, admin.org_id).await?)))
}

/// Writes `after` if the row is still at `before`'s version (two concurrent edits cannot both
/// claim the same next version).
async fn save(
    db: &impl ConnectionTrait,
    before: &badge::Model,
    after: &badge::Model,
) -> AppResult<()> {
    let updated = badge::Entity::update_many()
        .col_expr(badge::Column::Name, Expr::value(after.name.clone()))
        .col_expr(
            badge::Column::Description,
            Expr::value(after.description.clone()),
        )
        .col_expr(
            badge::Column::Criterion,
            Expr::value(after.criterion.clone()),
        )
        .col_expr(badge::Column::Threshold, Expr::value(after.threshold))
        .col_expr(badge::Column::Status, Expr::value(after.status.clone()))
        .col_expr(badge::Column::Version, Expr::value(after.version))
        .col_expr(badge::Column::UpdatedAt, Expr::value(after.updated_at))
        .filter(badge::Column::OrgId.eq(before.org_id))
        .filter(badge::Column::Id.eq(before.id))
        .filter(badge::Column::Version.eq(before.version))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::conflict(
            "edit_conflict",
            "The badge was changed meanwhile; reload and try again.",
        ));
    }
    Ok(())
}

/// Archive a badge: it is no longer awarded or shown as a goal; people who earned it keep it.
#[utoipa::path(post, path = "/api/v1/admin/badges/{id}/archive", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BadgeView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn archive_badge(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<BadgeView>> {
    let before = find(&state.db, admin.org_id, id).await?;
    if before.status == ARCHIVED {
        return Ok(Json(view(before, &holders(&state.db, admin.org_id).await?)));
    }
    let mut after = before.clone();
    after.status = ARCHIVED.to_owned();
    after.version = before.version + 1;
    after.updated_at = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    save(&txn, &before, &after).await?;
    audit_change(&txn, &admin, "badge.archive", &after, Some(&before)).await?;
    txn.commit().await?;
    Ok(Json(view(after, &holders(&state.db, admin.org_id).await?)))
}

/// The caller's badges: earned ones with their evidence, and progress toward the others
/// (including the current weekly sharing streak).
#[utoipa::path(get, path = "/api/v1/me/badges", tag = "recognition", security(("bearer" = [])),
    responses((status = 200, body = MyBadges), (status = 401, body = Problem)))]
async fn my_badges(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<MyBadges>> {
    Ok(Json(badges_of(&state.db, user.org_id, user.user_id).await?))
}

/// A person's badges and progress toward the others.
pub async fn badges_of(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
) -> AppResult<MyBadges> {
    let stats = stats(db, org_id, Some(&[user_id]), Utc::now())
        .await?
        .remove(&user_id)
        .unwrap_or_default();
    let awards: HashMap<Uuid, badge_award::Model> = badge_award::Entity::find_in(org_id)
        .filter(badge_award::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.badge_id, a))
        .collect();
    let counts = holders(db, org_id).await?;
    let mut items: Vec<MyBadge> = badge::Entity::find_in(org_id)
        .all(db)
        .await?
        .into_iter()
        .filter(|b| b.status == ACTIVE || awards.contains_key(&b.id))
        .map(|b| {
            let award = awards.get(&b.id);
            let criterion = Criterion::parse(&b.criterion).unwrap_or(Criterion::Shares);
            let target = b.threshold;
            let progress = if award.is_some() {
                target
            } else {
                stats.value(criterion).min(target)
            };
            MyBadge {
                earned: award.is_some(),
                awarded_at: award.map(|a| a.awarded_at),
                evidence: award.map(|a| a.evidence.clone()),
                progress,
                target,
                badge: view(b, &counts),
            }
        })
        .collect();
    items.sort_by(|a, b| {
        b.earned.cmp(&a.earned).then_with(|| {
            if a.earned {
                b.awarded_at.cmp(&a.awarded_at)
            } else {
                let ratio = |m: &MyBadge| m.progress as f64 / m.target.max(1) as f64;
                ratio(b).total_cmp(&ratio(a))
            }
        })
    });
    Ok(MyBadges { items, stats })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn monday(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn streaks_count_consecutive_iso_weeks() {
        // 2026-11-16 is a Monday (ISO week 47).
        let weeks: BTreeSet<NaiveDate> = [
            monday(2026, 10, 5),
            monday(2026, 10, 12),
            monday(2026, 10, 19),
            monday(2026, 11, 2),
            monday(2026, 11, 9),
        ]
        .into_iter()
        .collect();
        let wed = Utc
            .with_ymd_and_hms(2026, 11, 18, 12, 0, 0)
            .single()
            .expect("t");
        assert_eq!(streaks(&weeks, wed), (3, 2), "alive: last week had a share");
        let later = Utc
            .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
            .single()
            .expect("t");
        assert_eq!(
            streaks(&weeks, later),
            (3, 0),
            "broken: a whole week without"
        );
        let nov9 = Utc
            .with_ymd_and_hms(2026, 11, 15, 23, 0, 0)
            .single()
            .expect("t");
        assert_eq!(streak_ending(&weeks, nov9), 2);
        assert_eq!(
            week_start(
                Utc.with_ymd_and_hms(2026, 11, 22, 23, 59, 0)
                    .single()
                    .expect("t")
            ),
            monday(2026, 11, 16),
            "Sunday belongs to the week that started on Monday"
        );
    }
}
