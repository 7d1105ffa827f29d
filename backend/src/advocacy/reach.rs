//! Reach reporting: the employee's own impact, managers' team dashboards and the programme view
//! for administrators, plus CSV export of every table. Numbers come from the daily rollup and
//! the shares table, never from raw clicks. Every metric follows one definition (see
//! [`definitions`]); groups smaller than the k-anonymity threshold are folded into "other", and
//! only opted-in people who chose to be ranked appear on leaderboards.

use std::collections::{BTreeMap, BTreeSet};

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter,
    QuerySelect, TryGetable, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::emv::Rates;
use crate::{
    auth::Role,
    entities::{advocate, campaign, post, reach_daily, share, team, user},
    error::{AppError, AppResult, Problem},
    http::extract::{AppQuery, AuthUser, managed_subtree},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_impact))
        .routes(routes!(team_dashboard))
        .routes(routes!(programme))
        .routes(routes!(export))
}

/// The metric definitions every number in these views follows.
pub fn definitions() -> BTreeMap<String, Definition> {
    let d = |tier: &str, text: &str| Definition {
        tier: tier.to_owned(),
        definition: text.to_owned(),
    };
    BTreeMap::from([
        (
            "shares".to_owned(),
            d("measured", "Shares created in the window."),
        ),
        (
            "potential_reach".to_owned(),
            d(
                "potential",
                "Sum over shares of the sharer's audience size on that network at share time.",
            ),
        ),
        (
            "human_clicks".to_owned(),
            d(
                "measured",
                "Redirects served to requests classified human (not bot or link preview, not the sharer's own click).",
            ),
        ),
        (
            "bot_hits".to_owned(),
            d(
                "measured",
                "Redirects served to link-preview crawlers, search engines, scripts and headless browsers.",
            ),
        ),
        (
            "unique_visitors".to_owned(),
            d(
                "measured",
                "Distinct visitor hashes among human clicks per share per day (salts rotate daily), summed.",
            ),
        ),
        (
            "engagement".to_owned(),
            d(
                "measured",
                "Reported reactions + comments + reshares, from the employee or an integration (see engagement_source).",
            ),
        ),
        (
            "measured_impressions".to_owned(),
            d(
                "measured",
                "Impressions reported by a network integration or the employee.",
            ),
        ),
        (
            "emv".to_owned(),
            d(
                "measured",
                "Per network: CPC × human clicks + CPM × measured impressions / 1000, at the rates in force; never from potential reach.",
            ),
        ),
        (
            "active_advocates".to_owned(),
            d(
                "measured",
                "Opted-in people with at least one share in the window.",
            ),
        ),
    ])
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Definition {
    /// `potential` or `measured`.
    pub tier: String,
    pub definition: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Window {
    /// First day (UTC, `YYYY-MM-DD`); default 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive; default today.
    pub to: Option<NaiveDate>,
    /// Administrators only: limit to this team and the teams below it.
    pub team_id: Option<Uuid>,
    /// Leaderboard ranking: `clicks` (default) or `per_share` (human clicks per share, fairer to
    /// people with small audiences).
    pub rank: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `me`, `teams` or `programme`.
    pub view: String,
    /// `by_day`, `by_network`, `by_campaign`, `by_team`, `by_post`, `leaderboard` or `trend`.
    pub table: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub team_id: Option<Uuid>,
    pub rank: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    pub shares: i64,
    pub potential_reach: i64,
    pub human_clicks: i64,
    pub bot_hits: i64,
    pub unique_visitors: i64,
    pub engagement: i64,
    pub measured_impressions: i64,
    /// EMV per currency (empty until an administrator sets rates).
    pub emv: BTreeMap<String, f64>,
}

/// One row of a breakdown table.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Row {
    /// Day, network, or the id of the campaign, team or post; `other` for folded groups.
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Participation {
    pub members: i64,
    pub opted_in: i64,
    pub active_advocates: i64,
    /// opted_in / members.
    pub opt_in_rate: f64,
    /// active_advocates / opted_in.
    pub active_rate: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LeaderboardEntry {
    pub rank: u32,
    pub user_id: Uuid,
    pub display_name: String,
    pub shares: i64,
    pub human_clicks: i64,
    pub clicks_per_share: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyImpact {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub totals: Totals,
    pub by_day: Vec<Row>,
    pub by_network: Vec<Row>,
    /// The caller's rank among opted-in colleagues who show their rank (if the caller does too).
    pub rank: Option<u32>,
    pub definitions: BTreeMap<String, Definition>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamDashboard {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Teams covered (the caller's managed teams and below, or a chosen team for administrators).
    pub team_ids: Vec<Uuid>,
    pub k_anonymity: u32,
    pub totals: Totals,
    pub participation: Participation,
    pub by_day: Vec<Row>,
    pub by_network: Vec<Row>,
    pub by_campaign: Vec<Row>,
    pub by_team: Vec<Row>,
    pub top_posts: Vec<Row>,
    /// Empty when fewer than k people may be ranked.
    pub leaderboard: Vec<LeaderboardEntry>,
    pub definitions: BTreeMap<String, Definition>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrendPoint {
    /// Monday of the week.
    pub week: String,
    pub active_advocates: i64,
    pub shares: i64,
    pub human_clicks: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Programme {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub totals: Totals,
    pub participation: Participation,
    pub trend: Vec<TrendPoint>,
    pub by_network: Vec<Row>,
    pub by_campaign: Vec<Row>,
    pub definitions: BTreeMap<String, Definition>,
}

/// Whose numbers a view covers.
#[derive(Debug, Clone)]
enum Scope {
    Org,
    User(Uuid),
    Teams(Vec<Uuid>),
}

struct Query {
    org: Uuid,
    scope: Scope,
    from: NaiveDate,
    to: NaiveDate,
}

impl Query {
    fn days(&self) -> (String, String) {
        (
            self.from.format("%Y-%m-%d").to_string(),
            self.to.format("%Y-%m-%d").to_string(),
        )
    }

    fn rollup_filter(&self) -> Condition {
        let (from, to) = self.days();
        let mut c = Condition::all()
            .add(reach_daily::Column::OrgId.eq(self.org))
            .add(reach_daily::Column::Day.gte(from))
            .add(reach_daily::Column::Day.lte(to));
        match &self.scope {
            Scope::Org => {}
            Scope::User(u) => c = c.add(reach_daily::Column::UserId.eq(*u)),
            Scope::Teams(t) => c = c.add(reach_daily::Column::TeamId.is_in(t.clone())),
        }
        c
    }

    fn share_filter(&self) -> Condition {
        let start = self
            .from
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or_else(Utc::now);
        let end = (self.to + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or_else(Utc::now);
        let mut c = Condition::all()
            .add(share::Column::OrgId.eq(self.org))
            .add(share::Column::CreatedAt.gte(start))
            .add(share::Column::CreatedAt.lt(end));
        match &self.scope {
            Scope::Org => {}
            Scope::User(u) => c = c.add(share::Column::UserId.eq(*u)),
            Scope::Teams(t) => c = c.add(share::Column::TeamId.is_in(t.clone())),
        }
        c
    }
}

/// Rollup sums per group: (key, network, human, bot, unique, sharers).
struct ClickGroup<K> {
    key: Option<K>,
    network: String,
    day: String,
    human: i64,
    bot: i64,
    unique: i64,
}

const SUM_HUMAN: &str = "CAST(COALESCE(SUM(human_clicks), 0) AS BIGINT)";
const SUM_BOT: &str = "CAST(COALESCE(SUM(bot_hits), 0) AS BIGINT)";
const SUM_UNIQUE: &str = "CAST(COALESCE(SUM(unique_visitors), 0) AS BIGINT)";

/// Rollup sums grouped by `key` (a reach_daily column), network and day — small enough to
/// fold and price in memory.
async fn clicks_by<K: TryGetable + Clone + Ord>(
    db: &impl ConnectionTrait,
    q: &Query,
    key: reach_daily::Column,
) -> AppResult<Vec<ClickGroup<K>>> {
    let rows: Vec<(Option<K>, String, String, i64, i64, i64)> = reach_daily::Entity::find()
        .select_only()
        .column(key)
        .column(reach_daily::Column::Network)
        .column(reach_daily::Column::Day)
        .column_as(Expr::cust(SUM_HUMAN), "human")
        .column_as(Expr::cust(SUM_BOT), "bot")
        .column_as(Expr::cust(SUM_UNIQUE), "uniq")
        .filter(q.rollup_filter())
        .group_by(key)
        .group_by(reach_daily::Column::Network)
        .group_by(reach_daily::Column::Day)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(key, network, day, human, bot, unique)| ClickGroup {
            key,
            network,
            day,
            human,
            bot,
            unique,
        })
        .collect())
}

/// Share sums: (key, network, day, shares, audience, impressions, engagement, user).
struct ShareGroup<K> {
    key: Option<K>,
    network: String,
    day: String,
    shares: i64,
    audience: i64,
    impressions: i64,
    engagement: i64,
    user: Option<Uuid>,
}

fn day_expr(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        _ => "substr(created_at, 1, 10)",
    }
}

async fn shares_by<K: TryGetable + Clone + Ord>(
    db: &impl ConnectionTrait,
    q: &Query,
    key: Option<share::Column>,
) -> AppResult<Vec<ShareGroup<K>>> {
    let mut select = share::Entity::find().select_only();
    match key {
        Some(column) => select = select.column(column).group_by(column),
        None => select = select.column_as(Expr::cust("NULL"), "k"),
    }
    let day = day_expr(db.get_database_backend());
    type ShareRow<K> = (Option<K>, String, String, Option<Uuid>, i64, i64, i64, i64);
    let rows: Vec<ShareRow<K>> = select
        .column(share::Column::Network)
        .column_as(Expr::cust(day), "d")
        .column(share::Column::UserId)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(audience_size), 0) AS BIGINT)"),
            "audience",
        )
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(impressions), 0) AS BIGINT)"),
            "impressions",
        )
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(reactions + comments + reshares), 0) AS BIGINT)"),
            "engagement",
        )
        .filter(q.share_filter())
        .group_by(share::Column::Network)
        .group_by(Expr::cust(day))
        .group_by(share::Column::UserId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(key, network, day, user, shares, audience, impressions, engagement)| ShareGroup {
                key,
                network,
                day,
                shares,
                audience,
                impressions,
                engagement,
                user,
            },
        )
        .collect())
}

/// Sums per key with EMV priced at the rate in force on each day, and the distinct sharers.
fn combine<K: Clone + Ord>(
    clicks: &[ClickGroup<K>],
    shares: &[ShareGroup<K>],
    rates: &Rates,
    sharers_by_key: &BTreeMap<Option<K>, BTreeSet<Uuid>>,
) -> BTreeMap<Option<K>, (Totals, usize)> {
    let mut out: BTreeMap<Option<K>, (Totals, usize)> = BTreeMap::new();
    for c in clicks {
        let (t, _) = out.entry(c.key.clone()).or_default();
        t.human_clicks += c.human;
        t.bot_hits += c.bot;
        t.unique_visitors += c.unique;
        if let Some(rate) = rates.at(&c.network, &c.day) {
            *t.emv.entry(rate.currency.clone()).or_default() += rate.cpc * c.human as f64;
        }
    }
    for s in shares {
        let (t, _) = out.entry(s.key.clone()).or_default();
        t.shares += s.shares;
        t.potential_reach += s.audience;
        t.measured_impressions += s.impressions;
        t.engagement += s.engagement;
        if let Some(rate) = rates.at(&s.network, &s.day) {
            *t.emv.entry(rate.currency.clone()).or_default() +=
                rate.cpm * s.impressions as f64 / 1000.0;
        }
    }
    for (key, (t, n)) in out.iter_mut() {
        *n = sharers_by_key.get(key).map(BTreeSet::len).unwrap_or(0);
        for value in t.emv.values_mut() {
            *value = (*value * 100.0).round() / 100.0;
        }
    }
    out
}

fn add(into: &mut Totals, t: &Totals) {
    into.shares += t.shares;
    into.potential_reach += t.potential_reach;
    into.human_clicks += t.human_clicks;
    into.bot_hits += t.bot_hits;
    into.unique_visitors += t.unique_visitors;
    into.engagement += t.engagement;
    into.measured_impressions += t.measured_impressions;
    for (currency, value) in &t.emv {
        *into.emv.entry(currency.clone()).or_default() += value;
    }
}

/// Keeps rows with at least `k` distinct sharers; folds the rest into one `other` row, which
/// is itself dropped (its numbers stay in the totals) when it covers fewer than `k` people.
fn fold(rows: Vec<(Row, usize)>, k: usize) -> Vec<Row> {
    let mut kept = Vec::new();
    let mut other = Totals::default();
    let mut other_people = 0;
    let mut folded = 0;
    for (row, people) in rows {
        if people >= k {
            kept.push(row);
        } else {
            add(&mut other, &row.totals);
            other_people += people;
            folded += 1;
        }
    }
    if folded > 0 && other_people >= k {
        kept.push(Row {
            key: "other".into(),
            label: format!("Other ({folded} groups)"),
            totals: other,
        });
    }
    kept
}

struct Breakdown {
    totals: Totals,
    by_day: Vec<Row>,
    by_network: Vec<Row>,
}

async fn overview(state: &AppState, q: &Query, rates: &Rates) -> AppResult<Breakdown> {
    let clicks: Vec<ClickGroup<String>> =
        clicks_by(&state.db, q, reach_daily::Column::Network).await?;
    let shares: Vec<ShareGroup<String>> =
        shares_by(&state.db, q, Some(share::Column::Network)).await?;
    let by_network_map = combine(&clicks, &shares, rates, &BTreeMap::new());
    let mut totals = Totals::default();
    let mut by_network = Vec::new();
    for (key, (t, _)) in by_network_map {
        add(&mut totals, &t);
        let key = key.unwrap_or_default();
        by_network.push(Row {
            label: key.clone(),
            key,
            totals: t,
        });
    }
    for value in totals.emv.values_mut() {
        *value = (*value * 100.0).round() / 100.0;
    }
    by_network.sort_by_key(|r| std::cmp::Reverse(r.totals.human_clicks));
    // By day: re-key click and share groups on their day.
    let day_clicks: Vec<ClickGroup<String>> = clicks
        .iter()
        .map(|c| ClickGroup {
            key: Some(c.day.clone()),
            network: c.network.clone(),
            day: c.day.clone(),
            human: c.human,
            bot: c.bot,
            unique: c.unique,
        })
        .collect();
    let day_shares: Vec<ShareGroup<String>> = shares
        .iter()
        .map(|s| ShareGroup {
            key: Some(s.day.clone()),
            network: s.network.clone(),
            day: s.day.clone(),
            shares: s.shares,
            audience: s.audience,
            impressions: s.impressions,
            engagement: s.engagement,
            user: s.user,
        })
        .collect();
    let by_day_map = combine(&day_clicks, &day_shares, rates, &BTreeMap::new());
    let mut by_day = Vec::new();
    let mut day = q.from;
    while day <= q.to {
        let key = day.format("%Y-%m-%d").to_string();
        let totals = by_day_map
            .get(&Some(key.clone()))
            .map(|(t, _)| t.clone())
            .unwrap_or_default();
        by_day.push(Row {
            label: key.clone(),
            key,
            totals,
        });
        day += Duration::days(1);
    }
    Ok(Breakdown {
        totals,
        by_day,
        by_network,
    })
}

/// A breakdown by campaign, team or post, with distinct sharers for k-anonymity.
async fn breakdown(
    state: &AppState,
    q: &Query,
    rates: &Rates,
    rollup_key: reach_daily::Column,
    share_key: share::Column,
    k: usize,
) -> AppResult<Vec<Row>> {
    let clicks: Vec<ClickGroup<Uuid>> = clicks_by(&state.db, q, rollup_key).await?;
    let shares: Vec<ShareGroup<Uuid>> = shares_by(&state.db, q, Some(share_key)).await?;
    // Distinct people behind each group: sharers in the window plus sharers whose older shares
    // drew clicks in it.
    let mut people: BTreeMap<Option<Uuid>, BTreeSet<Uuid>> = BTreeMap::new();
    for s in &shares {
        if let Some(u) = s.user {
            people.entry(s.key).or_default().insert(u);
        }
    }
    let clickers: Vec<(Option<Uuid>, Option<Uuid>)> = reach_daily::Entity::find()
        .select_only()
        .column(rollup_key)
        .column(reach_daily::Column::UserId)
        .filter(q.rollup_filter())
        .group_by(rollup_key)
        .group_by(reach_daily::Column::UserId)
        .into_tuple()
        .all(&state.db)
        .await?;
    for (key, u) in clickers {
        if let Some(u) = u {
            people.entry(key).or_default().insert(u);
        }
    }
    let combined = combine(&clicks, &shares, rates, &people);
    let ids: Vec<Uuid> = combined.keys().flatten().copied().collect();
    let labels = labels(state, q.org, rollup_key, &ids).await?;
    let mut rows: Vec<(Row, usize)> = combined
        .into_iter()
        .map(|(key, (totals, n))| {
            let (key, label) = match key {
                Some(id) => (
                    id.to_string(),
                    labels
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| "(removed)".into()),
                ),
                None => ("none".into(), "None".into()),
            };
            (Row { key, label, totals }, n)
        })
        .collect();
    rows.sort_by(|a, b| {
        b.0.totals
            .human_clicks
            .cmp(&a.0.totals.human_clicks)
            .then(b.0.totals.shares.cmp(&a.0.totals.shares))
    });
    Ok(fold(rows, k))
}

async fn labels(
    state: &AppState,
    org: Uuid,
    key: reach_daily::Column,
    ids: &[Uuid],
) -> AppResult<BTreeMap<Uuid, String>> {
    let pairs: Vec<(Uuid, String)> = match key {
        reach_daily::Column::CampaignId => {
            campaign::Entity::find_in(org)
                .select_only()
                .column(campaign::Column::Id)
                .column(campaign::Column::Name)
                .filter(campaign::Column::Id.is_in(ids.to_vec()))
                .into_tuple()
                .all(&state.db)
                .await?
        }
        reach_daily::Column::TeamId => {
            team::Entity::find_in(org)
                .select_only()
                .column(team::Column::Id)
                .column(team::Column::Name)
                .filter(team::Column::Id.is_in(ids.to_vec()))
                .into_tuple()
                .all(&state.db)
                .await?
        }
        _ => {
            post::Entity::find_in(org)
                .select_only()
                .column(post::Column::Id)
                .column(post::Column::Title)
                .filter(post::Column::Id.is_in(ids.to_vec()))
                .into_tuple()
                .all(&state.db)
                .await?
        }
    };
    Ok(pairs.into_iter().collect())
}

fn window(
    state: &AppState,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<(NaiveDate, NaiveDate)> {
    let to = to.unwrap_or_else(|| Utc::now().date_naive());
    let from = from.unwrap_or(to - Duration::days(29));
    if from > to {
        return Err(AppError::field("from", "must not be after `to`"));
    }
    if (to - from).num_days() > state.config.advocacy.max_window_days {
        return Err(AppError::field(
            "from",
            format!(
                "the window may cover at most {} days",
                state.config.advocacy.max_window_days
            ),
        ));
    }
    Ok((from, to))
}

/// Members, opted-in people and active advocates in a set of teams (or the organisation).
async fn participation(state: &AppState, q: &Query) -> AppResult<Participation> {
    let mut members = user::Entity::find_in(q.org).filter(user::Column::Status.eq(user::ACTIVE));
    if let Scope::Teams(teams) = &q.scope {
        members = members.filter(user::Column::TeamId.is_in(teams.clone()));
    }
    let member_ids: Vec<Uuid> = members
        .select_only()
        .column(user::Column::Id)
        .into_tuple()
        .all(&state.db)
        .await?;
    let opted: BTreeSet<Uuid> = advocate::Entity::find_in(q.org)
        .select_only()
        .column(advocate::Column::UserId)
        .filter(advocate::Column::OptedIn.eq(true))
        .into_tuple::<Uuid>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let member_set: BTreeSet<Uuid> = member_ids.into_iter().collect();
    let opted_in: BTreeSet<Uuid> = member_set.intersection(&opted).copied().collect();
    let sharers: Vec<Option<Uuid>> = share::Entity::find()
        .select_only()
        .column(share::Column::UserId)
        .filter(q.share_filter())
        .distinct()
        .into_tuple()
        .all(&state.db)
        .await?;
    let active = sharers
        .into_iter()
        .flatten()
        .filter(|u| opted_in.contains(u))
        .count() as i64;
    let members = member_set.len() as i64;
    let opted_count = opted_in.len() as i64;
    let ratio = |a: i64, b: i64| {
        if b == 0 {
            0.0
        } else {
            ((a as f64 / b as f64) * 1000.0).round() / 1000.0
        }
    };
    Ok(Participation {
        members,
        opted_in: opted_count,
        active_advocates: active,
        opt_in_rate: ratio(opted_count, members),
        active_rate: ratio(active, opted_count),
    })
}

/// Opted-in people who show their rank, by human clicks (or clicks per share).
async fn leaderboard(
    state: &AppState,
    q: &Query,
    per_share: bool,
    k: usize,
) -> AppResult<Vec<LeaderboardEntry>> {
    let ranked: BTreeSet<Uuid> = advocate::Entity::find_in(q.org)
        .select_only()
        .column(advocate::Column::UserId)
        .filter(advocate::Column::OptedIn.eq(true))
        .filter(advocate::Column::ShowInLeaderboard.eq(true))
        .into_tuple::<Uuid>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let clicks: Vec<(Option<Uuid>, i64)> = reach_daily::Entity::find()
        .select_only()
        .column(reach_daily::Column::UserId)
        .column_as(Expr::cust(SUM_HUMAN), "human")
        .filter(q.rollup_filter())
        .group_by(reach_daily::Column::UserId)
        .into_tuple()
        .all(&state.db)
        .await?;
    let shares: Vec<(Option<Uuid>, i64)> = share::Entity::find()
        .select_only()
        .column(share::Column::UserId)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .filter(q.share_filter())
        .group_by(share::Column::UserId)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut stats: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
    for (u, n) in shares.into_iter().filter_map(|(u, n)| u.map(|u| (u, n))) {
        stats.entry(u).or_default().0 += n;
    }
    for (u, c) in clicks.into_iter().filter_map(|(u, c)| u.map(|u| (u, c))) {
        stats.entry(u).or_default().1 += c;
    }
    stats.retain(|u, (shares, _)| ranked.contains(u) && *shares > 0);
    if stats.len() < k {
        return Ok(Vec::new());
    }
    let names: BTreeMap<Uuid, String> = user::Entity::find_in(q.org)
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::DisplayName)
        .filter(user::Column::Id.is_in(stats.keys().copied()))
        .into_tuple()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let mut entries: Vec<LeaderboardEntry> = stats
        .into_iter()
        .map(|(user_id, (shares, clicks))| LeaderboardEntry {
            rank: 0,
            display_name: names.get(&user_id).cloned().unwrap_or_default(),
            user_id,
            shares,
            human_clicks: clicks,
            clicks_per_share: if shares == 0 {
                0.0
            } else {
                ((clicks as f64 / shares as f64) * 100.0).round() / 100.0
            },
        })
        .collect();
    if per_share {
        entries.sort_by(|a, b| {
            b.clicks_per_share
                .total_cmp(&a.clicks_per_share)
                .then(b.human_clicks.cmp(&a.human_clicks))
        });
    } else {
        entries.sort_by(|a, b| {
            b.human_clicks
                .cmp(&a.human_clicks)
                .then(b.shares.cmp(&a.shares))
        });
    }
    for (i, e) in entries.iter_mut().enumerate() {
        e.rank = i as u32 + 1;
    }
    entries.truncate(50);
    Ok(entries)
}

fn per_share(rank: Option<&str>) -> AppResult<bool> {
    match rank.unwrap_or("clicks") {
        "clicks" => Ok(false),
        "per_share" => Ok(true),
        _ => Err(AppError::field("rank", "must be clicks or per_share")),
    }
}

async fn build_my_impact(
    state: &AppState,
    user: &AuthUser,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<MyImpact> {
    let (from, to) = window(state, from, to)?;
    let q = Query {
        org: user.org_id,
        scope: Scope::User(user.user_id),
        from,
        to,
    };
    let rates = Rates::load(&state.db, user.org_id).await?;
    let b = overview(state, &q, &rates).await?;
    let org_q = Query {
        org: user.org_id,
        scope: Scope::Org,
        from,
        to,
    };
    let board = leaderboard(state, &org_q, false, 1).await?;
    let rank = board
        .iter()
        .find(|e| e.user_id == user.user_id)
        .map(|e| e.rank);
    Ok(MyImpact {
        from,
        to,
        totals: b.totals,
        by_day: b.by_day,
        by_network: b.by_network,
        rank,
        definitions: definitions(),
    })
}

/// The caller's own impact: shares, human clicks, unique visitors, potential reach, engagement
/// and EMV over a window, by day and network.
#[utoipa::path(get, path = "/api/v1/reach/me", tag = "reach", security(("bearer" = [])), params(Window),
    responses((status = 200, body = MyImpact), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn my_impact(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(w): AppQuery<Window>,
) -> AppResult<Json<MyImpact>> {
    Ok(Json(build_my_impact(&state, &user, w.from, w.to).await?))
}

/// Teams a caller may report on: managers their subtree (optionally narrowed to one team in it),
/// administrators any team's subtree or the whole organisation.
async fn team_scope(
    state: &AppState,
    user: &AuthUser,
    team_id: Option<Uuid>,
) -> AppResult<Vec<Uuid>> {
    let all: Vec<(Uuid, Option<Uuid>)> = team::Entity::find_in(user.org_id)
        .select_only()
        .column(team::Column::Id)
        .column(team::Column::ParentId)
        .into_tuple()
        .all(&state.db)
        .await?;
    let allowed: BTreeSet<Uuid> = if user.has(Role::Admin) {
        all.iter().map(|(id, _)| *id).collect()
    } else if user.has(Role::Manager) {
        managed_subtree(&state.db, user.org_id, user.user_id).await?
    } else {
        return Err(AppError::Forbidden);
    };
    match team_id {
        Some(id) if allowed.contains(&id) => Ok(crate::people::teams::subtree(&all, &[id])
            .into_iter()
            .collect()),
        Some(id) if all.iter().any(|(t, _)| *t == id) => Err(AppError::Forbidden),
        Some(_) => Err(AppError::NotFound),
        None if allowed.is_empty() => Err(AppError::Forbidden),
        None => Ok(allowed.into_iter().collect()),
    }
}

async fn build_team_dashboard(
    state: &AppState,
    user: &AuthUser,
    w: &Window,
) -> AppResult<TeamDashboard> {
    let (from, to) = window(state, w.from, w.to)?;
    let per_share = per_share(w.rank.as_deref())?;
    let teams = team_scope(state, user, w.team_id).await?;
    let k = state.config.advocacy.k_anonymity as usize;
    let q = Query {
        org: user.org_id,
        scope: Scope::Teams(teams.clone()),
        from,
        to,
    };
    let rates = Rates::load(&state.db, user.org_id).await?;
    let b = overview(state, &q, &rates).await?;
    Ok(TeamDashboard {
        from,
        to,
        team_ids: teams,
        k_anonymity: state.config.advocacy.k_anonymity,
        participation: participation(state, &q).await?,
        by_campaign: breakdown(
            state,
            &q,
            &rates,
            reach_daily::Column::CampaignId,
            share::Column::CampaignId,
            k,
        )
        .await?,
        by_team: breakdown(
            state,
            &q,
            &rates,
            reach_daily::Column::TeamId,
            share::Column::TeamId,
            k,
        )
        .await?,
        top_posts: breakdown(
            state,
            &q,
            &rates,
            reach_daily::Column::PostId,
            share::Column::PostId,
            k,
        )
        .await?
        .into_iter()
        .take(10)
        .collect(),
        leaderboard: leaderboard(state, &q, per_share, k).await?,
        totals: b.totals,
        by_day: b.by_day,
        by_network: b.by_network,
        definitions: definitions(),
    })
}

/// Reach dashboard for the teams the caller manages (and the teams below them); administrators
/// may pick any team or see the whole organisation. Aggregates only, k-anonymous.
#[utoipa::path(get, path = "/api/v1/reach/teams", tag = "reach", security(("bearer" = [])), params(Window),
    responses((status = 200, body = TeamDashboard), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn team_dashboard(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(w): AppQuery<Window>,
) -> AppResult<Json<TeamDashboard>> {
    Ok(Json(build_team_dashboard(&state, &user, &w).await?))
}

async fn build_programme(
    state: &AppState,
    user: &AuthUser,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<Programme> {
    if !user.has(Role::Admin) {
        return Err(AppError::Forbidden);
    }
    let (from, to) = window(state, from, to)?;
    let k = state.config.advocacy.k_anonymity as usize;
    let q = Query {
        org: user.org_id,
        scope: Scope::Org,
        from,
        to,
    };
    let rates = Rates::load(&state.db, user.org_id).await?;
    let b = overview(state, &q, &rates).await?;
    // Weekly trend from share and rollup groups.
    let shares: Vec<ShareGroup<String>> = shares_by(&state.db, &q, None).await?;
    let clicks: Vec<ClickGroup<String>> =
        clicks_by(&state.db, &q, reach_daily::Column::Network).await?;
    let week_of = |day: &str| -> String {
        NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map(|d| {
                (d - Duration::days(i64::from(
                    chrono::Datelike::weekday(&d).num_days_from_monday(),
                )))
                .format("%Y-%m-%d")
                .to_string()
            })
            .unwrap_or_default()
    };
    let mut weeks: BTreeMap<String, (BTreeSet<Uuid>, i64, i64)> = BTreeMap::new();
    for s in &shares {
        let entry = weeks.entry(week_of(&s.day)).or_default();
        entry.1 += s.shares;
        if let Some(u) = s.user {
            entry.0.insert(u);
        }
    }
    for c in &clicks {
        weeks.entry(week_of(&c.day)).or_default().2 += c.human;
    }
    let trend = weeks
        .into_iter()
        .map(|(week, (people, shares, clicks))| TrendPoint {
            week,
            active_advocates: people.len() as i64,
            shares,
            human_clicks: clicks,
        })
        .collect();
    Ok(Programme {
        from,
        to,
        totals: b.totals,
        participation: participation(state, &q).await?,
        trend,
        by_network: b.by_network,
        by_campaign: breakdown(
            state,
            &q,
            &rates,
            reach_daily::Column::CampaignId,
            share::Column::CampaignId,
            k,
        )
        .await?,
        definitions: definitions(),
    })
}

/// Programme health for administrators: opt-in and participation, weekly trend, totals.
#[utoipa::path(get, path = "/api/v1/reach/programme", tag = "reach", security(("bearer" = [])), params(Window),
    responses((status = 200, body = Programme), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn programme(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(w): AppQuery<Window>,
) -> AppResult<Json<Programme>> {
    Ok(Json(build_programme(&state, &user, w.from, w.to).await?))
}

fn csv_rows(rows: &[Row]) -> Vec<Vec<String>> {
    let currencies: BTreeSet<String> = rows
        .iter()
        .flat_map(|r| r.totals.emv.keys().cloned())
        .collect();
    let mut out = vec![
        [
            "key",
            "label",
            "shares",
            "potential_reach",
            "human_clicks",
            "bot_hits",
            "unique_visitors",
            "engagement",
            "measured_impressions",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .chain(currencies.iter().map(|c| format!("emv_{c}")))
        .collect::<Vec<_>>(),
    ];
    for r in rows {
        let t = &r.totals;
        let mut line = vec![
            r.key.clone(),
            r.label.clone(),
            t.shares.to_string(),
            t.potential_reach.to_string(),
            t.human_clicks.to_string(),
            t.bot_hits.to_string(),
            t.unique_visitors.to_string(),
            t.engagement.to_string(),
            t.measured_impressions.to_string(),
        ];
        line.extend(
            currencies
                .iter()
                .map(|c| t.emv.get(c).map(|v| format!("{v:.2}")).unwrap_or_default()),
        );
        out.push(line);
    }
    out
}

fn csv_response(name: &str, rows: Vec<Vec<String>>) -> AppResult<Response> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Cells starting with a formula character are quoted so spreadsheets show them as text.
        let safe: Vec<String> = row
            .into_iter()
            .map(|c| {
                if c.starts_with(['=', '+', '-', '@']) && c.parse::<f64>().is_err() {
                    format!("'{c}")
                } else {
                    c
                }
            })
            .collect();
        writer
            .write_record(&safe)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"chorus-{name}.csv\""))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Download any table of the reach views as CSV (same access rules as the views).
#[utoipa::path(get, path = "/api/v1/reach/export", tag = "reach", security(("bearer" = [])), params(ExportQuery),
    responses(
        (status = 200, description = "CSV file", content_type = "text/csv"),
        (status = 403, body = Problem),
        (status = 422, body = Problem),
    ))]
async fn export(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(q): AppQuery<ExportQuery>,
) -> AppResult<Response> {
    let name = format!("{}-{}", q.view, q.table);
    let bad_table = || AppError::field("table", "is not a table of this view");
    match q.view.as_str() {
        "me" => {
            let impact = build_my_impact(&state, &user, q.from, q.to).await?;
            let rows = match q.table.as_str() {
                "by_day" => impact.by_day,
                "by_network" => impact.by_network,
                _ => return Err(bad_table()),
            };
            csv_response(&name, csv_rows(&rows))
        }
        "teams" => {
            let w = Window {
                from: q.from,
                to: q.to,
                team_id: q.team_id,
                rank: q.rank.clone(),
            };
            let d = build_team_dashboard(&state, &user, &w).await?;
            match q.table.as_str() {
                "by_day" => csv_response(&name, csv_rows(&d.by_day)),
                "by_network" => csv_response(&name, csv_rows(&d.by_network)),
                "by_campaign" => csv_response(&name, csv_rows(&d.by_campaign)),
                "by_team" => csv_response(&name, csv_rows(&d.by_team)),
                "by_post" => csv_response(&name, csv_rows(&d.top_posts)),
                "leaderboard" => {
                    let mut rows = vec![vec![
                        "rank".into(),
                        "display_name".into(),
                        "shares".into(),
                        "human_clicks".into(),
                        "clicks_per_share".into(),
                    ]];
                    rows.extend(d.leaderboard.iter().map(|e| {
                        vec![
                            e.rank.to_string(),
                            e.display_name.clone(),
                            e.shares.to_string(),
                            e.human_clicks.to_string(),
                            e.clicks_per_share.to_string(),
                        ]
                    }));
                    csv_response(&name, rows)
                }
                _ => Err(bad_table()),
            }
        }
        "programme" => {
            let p = build_programme(&state, &user, q.from, q.to).await?;
            match q.table.as_str() {
                "by_network" => csv_response(&name, csv_rows(&p.by_network)),
                "by_campaign" => csv_response(&name, csv_rows(&p.by_campaign)),
                "trend" => {
                    let mut rows = vec![vec![
                        "week".into(),
                        "active_advocates".into(),
                        "shares".into(),
                        "human_clicks".into(),
                    ]];
                    rows.extend(p.trend.iter().map(|t| {
                        vec![
                            t.week.clone(),
                            t.active_advocates.to_string(),
                            t.shares.to_string(),
                            t.human_clicks.to_string(),
                        ]
                    }));
                    csv_response(&name, rows)
                }
                _ => Err(bad_table()),
            }
        }
        _ => Err(AppError::field("view", "must be me, teams or programme")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, clicks: i64) -> Row {
        Row {
            key: key.into(),
            label: key.into(),
            totals: Totals {
                human_clicks: clicks,
                ..Totals::default()
            },
        }
    }

    #[test]
    fn small_groups_fold_into_other_or_disappear() {
        let rows = vec![(row("a", 10), 6), (row("b", 5), 2), (row("c", 4), 3)];
        let folded = fold(rows, 5);
        assert_eq!(folded.len(), 2);
        assert_eq!(folded[1].key, "other");
        assert_eq!(folded[1].totals.human_clicks, 9);
        let alone = fold(vec![(row("a", 10), 6), (row("b", 5), 2)], 5);
        assert_eq!(
            alone.len(),
            1,
            "an `other` of fewer than k people is not shown"
        );
    }
}
