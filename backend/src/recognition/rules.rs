//! Reward rules: versioned documents that administrators edit, evaluated by the scheduled
//! `rules` job against the event inbox, and previewed by replaying stored events.
//!
//! - A rule has a name, a status (`draft`, `active`, `paused`), an optional programme budget and
//!   numbered versions; every edit writes a new version and every award records the version
//!   that produced it.
//! - Awards are idempotent per (rule, event, recipient): a `rule_awards` row with that unique
//!   key is written with the ledger transaction (whose idempotency key also names the version),
//!   so replaying events — or activating a new version over events an older version already
//!   rewarded — awards nothing twice. Attempts that caps or the budget cut to zero are recorded
//!   with zero points.
//! - Caps per recipient per day/week/month award the remainder up to the cap; a budget awards
//!   the remainder of the budget, then nothing, and alerts administrators once by email.
//! - Evaluation ([`Engine`]) is one piece of code used by both the job (writing) and the
//!   preview (in memory, writing nothing), processing events in (time, id) order, so a preview
//!   over a window equals what activating the rule from the start of that window produces.

use std::collections::{HashMap, HashSet};

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::task::AbortOnDropHandle;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    badges, events,
    ledger::{self, Posting, kind, tx},
};
use crate::{
    advocacy::Network,
    audit,
    auth::Role,
    bulk,
    entities::{
        campaign, processor_lease, recognition_event, reward_rule, reward_rule_version, rule_award,
        rule_cap_usage, user, user_role,
    },
    error::{AppError, AppResult, Problem, Validator},
    http::extract::{Admin, AppJson, AppPath},
    mail::{outbox, templates},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(get_rule, update_rule))
        .routes(routes!(activate_rule))
        .routes(routes!(pause_rule))
        .routes(routes!(preview_rule))
}

pub const DRAFT: &str = "draft";
pub const ACTIVE: &str = "active";
pub const PAUSED: &str = "paused";

/// What a rule reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    ShareCreated,
    SharePublished,
    /// A person's first share ever.
    FirstShare,
    /// A share of a post that belongs to a campaign.
    CampaignShare,
    EngagementReported,
    /// A share's human clicks reached `threshold` (one of the milestones).
    HumanClicksReached,
    /// A share's unique visitors reached `threshold` (one of the milestones).
    UniqueVisitorsReached,
    NetworkLinked,
    ThanksReceived,
    /// A person's sharing streak reached `threshold` consecutive ISO weeks (and again at every
    /// further multiple: with 4, at 4, 8, 12… weeks).
    WeeklyStreak,
}

impl Trigger {
    pub fn event_kind(self) -> &'static str {
        match self {
            Self::ShareCreated | Self::FirstShare | Self::CampaignShare => {
                events::kind::SHARE_CREATED
            }
            Self::SharePublished => events::kind::SHARE_PUBLISHED,
            Self::EngagementReported => events::kind::ENGAGEMENT_REPORTED,
            Self::HumanClicksReached => events::kind::HUMAN_CLICKS_REACHED,
            Self::UniqueVisitorsReached => events::kind::UNIQUE_VISITORS_REACHED,
            Self::NetworkLinked => events::kind::NETWORK_LINKED,
            Self::ThanksReceived => events::kind::THANKS_RECEIVED,
            Self::WeeklyStreak => events::kind::WEEKLY_STREAK,
        }
    }

    fn needs_threshold(self) -> bool {
        matches!(self, Self::HumanClicksReached | Self::UniqueVisitorsReached)
    }

    /// Longest weekly streak a rule may ask for.
    pub const MAX_STREAK_WEEKS: i64 = 104;
}

/// Which events a rule applies to; every listed condition must hold (empty lists: any).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default)]
    pub networks: Vec<Network>,
    #[serde(default)]
    pub campaign_ids: Vec<Uuid>,
    #[serde(default)]
    pub team_ids: Vec<Uuid>,
    /// The event must carry at least one of these tags (post tags, or a thanks' company value).
    #[serde(default)]
    pub tags: Vec<String>,
    /// The event's units (engagement, points received, milestone) must be at least this.
    pub min_units: Option<i64>,
    /// Only shares whose text the sharer personalised.
    #[serde(default)]
    pub personalised_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AwardMode {
    /// `points` per matching event.
    Fixed,
    /// `points` per unit of the event (e.g. per engagement), up to `ceiling`.
    PerUnit,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Award {
    pub mode: AwardMode,
    pub points: i64,
    /// Most points one event can award (per-unit awards).
    pub ceiling: Option<i64>,
    /// Per-unit awards grow with the square root of the units instead of linearly, so very
    /// large audiences do not drown out everyone else.
    #[serde(default)]
    pub diminishing: bool,
}

/// A multiplier for events inside a date window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub factor: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Multipliers {
    /// Apply the campaign's points multiplier to shares of its posts.
    #[serde(default)]
    pub campaign: bool,
    #[serde(default)]
    pub windows: Vec<Window>,
}

/// Most points one recipient can get from the rule per calendar day, week and month (UTC).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Caps {
    pub day: Option<i64>,
    pub week: Option<i64>,
    pub month: Option<i64>,
}

/// One version of a rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDocument {
    pub trigger: Trigger,
    /// Milestone for `human_clicks_reached` and `unique_visitors_reached`; number of weeks for
    /// `weekly_streak`.
    pub threshold: Option<i64>,
    #[serde(default)]
    pub conditions: Conditions,
    pub award: Award,
    #[serde(default)]
    pub multipliers: Multipliers,
    #[serde(default)]
    pub caps: Caps,
}

impl RuleDocument {
    pub fn validate(&self) -> AppResult<()> {
        let mut v = Validator::new();
        if self.trigger.needs_threshold() {
            v.check(
                self.threshold
                    .is_some_and(|t| events::MILESTONES.contains(&t)),
                "document.threshold",
                &format!("must be one of the milestones {:?}", events::MILESTONES),
            );
        }
        if self.trigger == Trigger::WeeklyStreak {
            v.check(
                self.threshold
                    .is_some_and(|t| (1..=Trigger::MAX_STREAK_WEEKS).contains(&t)),
                "document.threshold",
                &format!(
                    "must be a number of weeks between 1 and {}",
                    Trigger::MAX_STREAK_WEEKS
                ),
            );
        }
        v.check(
            (1..=1_000_000).contains(&self.award.points),
            "document.award.points",
            "must be between 1 and 1000000",
        );
        v.check(
            self.award
                .ceiling
                .is_none_or(|c| (1..=10_000_000).contains(&c)),
            "document.award.ceiling",
            "must be between 1 and 10000000",
        );
        for w in &self.multipliers.windows {
            v.check(
                w.from < w.to && w.factor.is_finite() && (0.0..=100.0).contains(&w.factor),
                "document.multipliers.windows",
                "each window needs from < to and a factor between 0 and 100",
            );
        }
        for (field, cap) in [
            ("document.caps.day", self.caps.day),
            ("document.caps.week", self.caps.week),
            ("document.caps.month", self.caps.month),
        ] {
            v.check(
                cap.is_none_or(|c| (0..=10_000_000).contains(&c)),
                field,
                "must be between 0 and 10000000",
            );
        }
        v.check(
            self.conditions.tags.len() <= 50
                && self.conditions.campaign_ids.len() <= 200
                && self.conditions.team_ids.len() <= 500,
            "document.conditions",
            "too many entries",
        );
        v.finish()
    }
}

/// An event as rules see it.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: String,
    pub user_id: Uuid,
    pub team_id: Option<Uuid>,
    pub units: i64,
    pub payload: Value,
    pub occurred_at: DateTime<Utc>,
}

impl From<recognition_event::Model> for Event {
    fn from(e: recognition_event::Model) -> Self {
        Self {
            id: e.id,
            org_id: e.org_id,
            kind: e.kind,
            user_id: e.user_id,
            team_id: e.team_id,
            units: e.units,
            payload: e.payload,
            occurred_at: e.occurred_at,
        }
    }
}

/// The columns of an event that rules read, in [`EventTuple`] order.
const EVENT_COLUMNS: [recognition_event::Column; 8] = [
    recognition_event::Column::Id,
    recognition_event::Column::OrgId,
    recognition_event::Column::Kind,
    recognition_event::Column::UserId,
    recognition_event::Column::TeamId,
    recognition_event::Column::Units,
    recognition_event::Column::Payload,
    recognition_event::Column::OccurredAt,
];

type EventTuple = (
    Uuid,
    Uuid,
    String,
    Uuid,
    Option<Uuid>,
    i64,
    Value,
    DateTime<Utc>,
);

impl From<EventTuple> for Event {
    fn from((id, org_id, kind, user_id, team_id, units, payload, occurred_at): EventTuple) -> Self {
        Self {
            id,
            org_id,
            kind,
            user_id,
            team_id,
            units,
            payload,
            occurred_at,
        }
    }
}

/// A rule version to evaluate.
#[derive(Debug, Clone)]
pub struct RuleRun {
    pub rule_id: Uuid,
    pub version: i32,
    pub name: String,
    pub document: RuleDocument,
    pub starts_at: DateTime<Utc>,
    pub budget: Option<i64>,
}

/// Points an event is worth under a rule before caps and budget, and how they were computed;
/// `None` when the rule does not apply.
pub fn base_points(
    doc: &RuleDocument,
    event: &Event,
    campaigns: &HashMap<Uuid, f64>,
) -> Option<(i64, Value)> {
    if event.kind != doc.trigger.event_kind() {
        return None;
    }
    let p = &event.payload;
    let campaign = p["campaign_id"]
        .as_str()
        .and_then(|c| c.parse::<Uuid>().ok());
    match doc.trigger {
        Trigger::FirstShare if p["first"] != Value::Bool(true) => return None,
        Trigger::CampaignShare if campaign.is_none() => return None,
        Trigger::HumanClicksReached | Trigger::UniqueVisitorsReached
            if p["milestone"].as_i64() != doc.threshold =>
        {
            return None;
        }
        Trigger::WeeklyStreak
            if !doc
                .threshold
                .is_some_and(|t| t > 0 && event.units >= t && event.units % t == 0) =>
        {
            return None;
        }
        _ => {}
    }
    let c = &doc.conditions;
    if !c.networks.is_empty()
        && !c
            .networks
            .iter()
            .any(|n| p["network"].as_str() == Some(n.as_str()))
    {
        return None;
    }
    if !c.campaign_ids.is_empty() && !campaign.is_some_and(|id| c.campaign_ids.contains(&id)) {
        return None;
    }
    if !c.team_ids.is_empty() && !event.team_id.is_some_and(|t| c.team_ids.contains(&t)) {
        return None;
    }
    if !c.tags.is_empty() {
        let tags: Vec<&str> = p["tags"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !c
            .tags
            .iter()
            .any(|t| tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
        {
            return None;
        }
    }
    if c.min_units.is_some_and(|m| event.units < m) {
        return None;
    }
    if c.personalised_only && p["personalised"] != Value::Bool(true) {
        return None;
    }
    let award = &doc.award;
    let mut base = match award.mode {
        AwardMode::Fixed => award.points as f64,
        AwardMode::PerUnit if award.diminishing => {
            award.points as f64 * (event.units.max(0) as f64).sqrt()
        }
        AwardMode::PerUnit => award.points as f64 * event.units.max(0) as f64,
    };
    if let Some(ceiling) = award.ceiling {
        base = base.min(ceiling as f64);
    }
    let mut factor = 1.0;
    let mut campaign_factor = None;
    if doc.multipliers.campaign
        && let Some(m) = campaign.and_then(|id| campaigns.get(&id))
    {
        factor *= m;
        campaign_factor = Some(*m);
    }
    let mut window_factors = Vec::new();
    for w in &doc.multipliers.windows {
        if event.occurred_at >= w.from && event.occurred_at < w.to {
            factor *= w.factor;
            window_factors.push(w.factor);
        }
    }
    let points = (base * factor).round().clamp(0.0, 1e12) as i64;
    Some((
        points,
        json!({
            "mode": award.mode,
            "units": event.units,
            "points_per_unit": award.points,
            "ceiling": award.ceiling,
            "diminishing": award.diminishing,
            "base": base,
            "campaign_multiplier": campaign_factor,
            "window_multipliers": window_factors,
            "requested": points,
        }),
    ))
}

/// The outcome of one (rule, event) evaluation after caps and budget.
#[derive(Debug, Clone)]
pub struct Decision {
    pub recipient: Uuid,
    pub requested: i64,
    pub points: i64,
    pub limited_by: Option<&'static str>,
    pub explain: Value,
}

/// Evaluation state: cap usage per (rule, recipient, period) and spending per rule. The job
/// loads usage from the database before deciding; the preview starts from nothing.
#[derive(Debug, Default)]
pub struct Engine {
    pub campaigns: HashMap<Uuid, f64>,
    usage: HashMap<(Uuid, Uuid, String), i64>,
    spent: HashMap<Uuid, i64>,
}

const CAP_PERIODS: [(&str, super::PeriodKind); 3] = [
    ("cap_day", super::PeriodKind::Day),
    ("cap_week", super::PeriodKind::Week),
    ("cap_month", super::PeriodKind::Month),
];

fn cap_of(caps: &Caps, label: &str) -> Option<i64> {
    match label {
        "cap_day" => caps.day,
        "cap_week" => caps.week,
        _ => caps.month,
    }
}

impl Engine {
    fn has_usage(&self, rule: Uuid, recipient: Uuid, period: &str) -> bool {
        self.usage
            .contains_key(&(rule, recipient, period.to_owned()))
    }

    /// Loads from the cap counters (`rule_cap_usage`), with one query per rule and 1,000
    /// recipients, the cap usage of every (rule, recipient, period) that `events` need and that
    /// is not known yet, and what budgeted rules spent so far, so that
    /// deciding a batch asks the database nothing more. Usage and spending a rule has in the
    /// database are only ever written by the holder of the evaluation lease, so what is loaded
    /// stays true while it is held.
    pub async fn preload(
        &mut self,
        db: &impl ConnectionTrait,
        runs: &[RuleRun],
        org_id: Uuid,
        events: &[Event],
    ) -> AppResult<()> {
        let unknown: Vec<Uuid> = runs
            .iter()
            .filter(|r| r.budget.is_some() && !self.spent.contains_key(&r.rule_id))
            .map(|r| r.rule_id)
            .collect();
        if !unknown.is_empty() {
            let spent = rule_spent(db, org_id, &unknown).await?;
            for rule in unknown {
                self.spent
                    .insert(rule, spent.get(&rule).copied().unwrap_or(0));
            }
        }
        for run in runs {
            let mut needed: HashSet<(Uuid, String)> = HashSet::new();
            for event in events.iter().filter(|e| {
                e.kind == run.document.trigger.event_kind() && e.occurred_at >= run.starts_at
            }) {
                for (label, kind) in CAP_PERIODS {
                    if cap_of(&run.document.caps, label).is_none() {
                        continue;
                    }
                    let period = kind.period(event.occurred_at);
                    if !self.has_usage(run.rule_id, event.user_id, &period.key) {
                        needed.insert((event.user_id, period.key));
                    }
                }
            }
            if needed.is_empty() {
                continue;
            }
            let people: Vec<Uuid> = needed
                .iter()
                .map(|(person, _)| *person)
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let periods: Vec<String> = needed
                .iter()
                .map(|(_, key)| key.clone())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            for chunk in people.chunks(1000) {
                let rows: Vec<(Uuid, String, i64)> = rule_cap_usage::Entity::find_in(org_id)
                    .select_only()
                    .column(rule_cap_usage::Column::RecipientId)
                    .column(rule_cap_usage::Column::Period)
                    .column(rule_cap_usage::Column::Points)
                    .filter(rule_cap_usage::Column::RuleId.eq(run.rule_id))
                    .filter(rule_cap_usage::Column::Period.is_in(periods.iter().cloned()))
                    .filter(rule_cap_usage::Column::RecipientId.is_in(chunk.iter().copied()))
                    .into_tuple()
                    .all(db)
                    .await?;
                for (recipient, period, points) in rows {
                    if let Some(key) = needed.take(&(recipient, period)) {
                        self.usage.insert((run.rule_id, key.0, key.1), points);
                    }
                }
            }
            for (recipient, key) in needed {
                self.usage.insert((run.rule_id, recipient, key), 0);
            }
        }
        Ok(())
    }

    /// Decides one event under one rule version and records the result in the state.
    pub fn decide(&mut self, run: &RuleRun, event: &Event) -> Option<Decision> {
        if event.occurred_at < run.starts_at {
            return None;
        }
        let (requested, mut explain) = base_points(&run.document, event, &self.campaigns)?;
        let mut points = requested;
        let mut limited_by = None;
        let mut periods = Vec::new();
        for (label, kind) in CAP_PERIODS {
            let Some(cap) = cap_of(&run.document.caps, label) else {
                continue;
            };
            let key = kind.period(event.occurred_at).key;
            let used = self
                .usage
                .get(&(run.rule_id, event.user_id, key.clone()))
                .copied()
                .unwrap_or(0);
            let left = (cap - used).max(0);
            if points > left {
                points = left;
                limited_by = Some(label);
            }
            explain[label] = json!({ "cap": cap, "used_before": used, "period": key });
            periods.push(key);
        }
        if let Some(budget) = run.budget {
            let spent = self.spent.get(&run.rule_id).copied().unwrap_or(0);
            let left = (budget - spent).max(0);
            if points > left {
                points = left;
                limited_by = Some("budget");
            }
            explain["budget"] = json!({ "budget": budget, "spent_before": spent });
        }
        for key in periods {
            *self
                .usage
                .entry((run.rule_id, event.user_id, key))
                .or_insert(0) += points;
        }
        *self.spent.entry(run.rule_id).or_insert(0) += points;
        explain["awarded"] = json!(points);
        explain["limited_by"] = json!(limited_by);
        Some(Decision {
            recipient: event.user_id,
            requested,
            points,
            limited_by,
            explain,
        })
    }
}

/// Points each rule has awarded so far.
pub async fn rule_spent(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    rules: &[Uuid],
) -> AppResult<HashMap<Uuid, i64>> {
    if rules.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, i64)> = rule_award::Entity::find_in(org_id)
        .select_only()
        .column(rule_award::Column::RuleId)
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(points), 0) AS BIGINT)"),
            "total",
        )
        .filter(rule_award::Column::RuleId.is_in(rules.to_vec()))
        .group_by(rule_award::Column::RuleId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

async fn campaign_multipliers(
    db: &impl ConnectionTrait,
    org_id: Uuid,
) -> AppResult<HashMap<Uuid, f64>> {
    Ok(campaign::Entity::find_in(org_id)
        .select_only()
        .column(campaign::Column::Id)
        .column(campaign::Column::PointsMultiplier)
        .into_tuple::<(Uuid, f64)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Active rule versions of an organisation.
async fn active_runs(db: &impl ConnectionTrait, org_id: Uuid) -> AppResult<Vec<RuleRun>> {
    let rules = reward_rule::Entity::find_in(org_id)
        .filter(reward_rule::Column::Status.eq(ACTIVE))
        .all(db)
        .await?;
    let mut runs = Vec::new();
    for rule in rules {
        let Some(version) = reward_rule_version::Entity::find_in(org_id)
            .filter(reward_rule_version::Column::RuleId.eq(rule.id))
            .filter(reward_rule_version::Column::Version.eq(rule.current_version))
            .one(db)
            .await?
        else {
            continue;
        };
        match serde_json::from_value::<RuleDocument>(version.document) {
            Ok(document) => runs.push(RuleRun {
                rule_id: rule.id,
                version: version.version,
                name: rule.name,
                document,
                starts_at: version.starts_at,
                budget: rule.budget,
            }),
            Err(err) => tracing::warn!(rule = %rule.id, %err, "stored rule document unreadable"),
        }
    }
    Ok(runs)
}

/// Per-organisation evaluation state for one job run.
struct OrgRun {
    runs: Vec<RuleRun>,
    engine: Engine,
    issuance: Option<Uuid>,
    earned: HashMap<Uuid, Uuid>,
}

impl OrgRun {
    async fn load(db: &impl ConnectionTrait, org_id: Uuid) -> AppResult<Self> {
        Ok(Self {
            runs: active_runs(db, org_id).await?,
            engine: Engine {
                campaigns: campaign_multipliers(db, org_id).await?,
                ..Engine::default()
            },
            issuance: None,
            earned: HashMap::new(),
        })
    }
}

/// Evaluates `events` (one organisation's, in order) under `runs` and writes the awards in
/// the caller's transaction. Answers (awards written, points awarded, rules whose budget ran
/// out).
async fn apply(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    org: &mut OrgRun,
    only: Option<Uuid>,
    events: &[Event],
) -> AppResult<(u64, i64, HashSet<Uuid>)> {
    let mut planned = plan(db, db, org_id, org, only, events).await?;
    let done = (
        planned.awards,
        planned.points,
        std::mem::take(&mut planned.exhausted),
    );
    planned.write(db).await?;
    Ok(done)
}

/// The awards decided for one organisation's events, ready to write.
struct OrgWrites {
    awards: u64,
    points: i64,
    ledger: Option<ledger::Prepared>,
    /// The award rows as JSON array texts, one multi-row insert each.
    award_rows: Vec<String>,
    usage: HashMap<(Uuid, String, Uuid), i64>,
    /// Rules whose budget these awards exhaust.
    exhausted: HashSet<Uuid>,
    org_id: Uuid,
}

impl OrgWrites {
    /// Writes the transactions, awards and cap counters in the caller's transaction.
    async fn write(self, db: &impl ConnectionTrait) -> AppResult<()> {
        if let Some(prepared) = self.ledger {
            prepared.write(db).await?;
        }
        for rows in self.award_rows {
            ledger::insert_text(db, "rule_awards", &AWARD_COLUMNS, rows).await?;
        }
        add_usage(db, self.org_id, self.usage).await
    }
}

/// Decides `events` (one organisation's, in order) under the organisation's active rules (or
/// `only` that one) and prepares the writes, reading with `db` but writing nothing, except an
/// account a recipient did not have yet, which is created empty with `accounts`.
///
/// The whole batch is decided in memory (cap usage and budget spending are loaded once and
/// carried from one event to the next, exactly as deciding the events one by one would), and
/// written with a few multi-row statements per table. What is read — awards already written
/// for these events, cap usage not carried in memory yet, accounts — cannot be changed by a
/// batch being written meanwhile: that batch's events, awards and counters are other ones, or
/// already in memory.
async fn plan(
    db: &impl ConnectionTrait,
    accounts: &impl ConnectionTrait,
    org_id: Uuid,
    org: &mut OrgRun,
    only: Option<Uuid>,
    events: &[Event],
) -> AppResult<OrgWrites> {
    let mut planned = OrgWrites {
        awards: 0,
        points: 0,
        ledger: None,
        award_rows: Vec::new(),
        usage: HashMap::new(),
        exhausted: HashSet::new(),
        org_id,
    };
    let runs: Vec<RuleRun> = org
        .runs
        .iter()
        .filter(|r| only.is_none_or(|id| id == r.rule_id))
        .cloned()
        .collect();
    if runs.is_empty() || events.is_empty() {
        return Ok(planned);
    }
    let kinds: HashSet<&str> = runs
        .iter()
        .map(|r| r.document.trigger.event_kind())
        .collect();
    // Awards already written for these events, found with the (organisation, rule,
    // occurred_at, event, recipient) key (an award's time is its event's): first the awards of
    // the rule within the batch's time span, near the end of the index where evaluation writes
    // (usually none: the events are new); only when that span holds many more awards than
    // the batch has events (late events among new ones) are the events' own times looked up.
    let mut done: HashSet<(Uuid, Uuid, Uuid)> = HashSet::new();
    for run in &runs {
        let matching: HashSet<Uuid> = events
            .iter()
            .filter(|e| {
                e.kind == run.document.trigger.event_kind() && e.occurred_at >= run.starts_at
            })
            .map(|e| e.id)
            .collect();
        let mut times: Vec<DateTime<Utc>> = events
            .iter()
            .filter(|e| matching.contains(&e.id))
            .map(|e| e.occurred_at)
            .collect();
        times.sort_unstable();
        times.dedup();
        let (Some(first), Some(last)) = (times.first(), times.last()) else {
            continue;
        };
        let enough = matching.len() as u64 * 2 + 100;
        let rows: Vec<(Uuid, Uuid)> = rule_award::Entity::find_in(org_id)
            .select_only()
            .column(rule_award::Column::EventId)
            .column(rule_award::Column::RecipientId)
            .filter(rule_award::Column::RuleId.eq(run.rule_id))
            .filter(rule_award::Column::OccurredAt.between(*first, *last))
            .limit(enough + 1)
            .into_tuple()
            .all(db)
            .await?;
        let rows = if rows.len() as u64 <= enough {
            rows
        } else {
            let mut rows = Vec::new();
            for chunk in times.chunks(ID_CHUNK) {
                rows.extend(
                    rule_award::Entity::find_in(org_id)
                        .select_only()
                        .column(rule_award::Column::EventId)
                        .column(rule_award::Column::RecipientId)
                        .filter(rule_award::Column::RuleId.eq(run.rule_id))
                        .filter(rule_award::Column::OccurredAt.is_in(chunk.iter().copied()))
                        .into_tuple::<(Uuid, Uuid)>()
                        .all(db)
                        .await?,
                );
            }
            rows
        };
        done.extend(
            rows.into_iter()
                .filter(|(event, _)| matching.contains(event))
                .map(|(event, recipient)| (run.rule_id, event, recipient)),
        );
    }
    org.engine.preload(db, &runs, org_id, events).await?;
    let mut postings: Vec<Posting> = Vec::new();
    let mut awards: Vec<AwardRow> = Vec::new();
    let usage = &mut planned.usage;
    for event in events {
        if !kinds.contains(event.kind.as_str()) {
            continue;
        }
        for run in &runs {
            if event.kind != run.document.trigger.event_kind()
                || event.occurred_at < run.starts_at
                || done.contains(&(run.rule_id, event.id, event.user_id))
            {
                continue;
            }
            let Some(decision) = org.engine.decide(run, event) else {
                continue;
            };
            done.insert((run.rule_id, event.id, event.user_id));
            let mut transaction_id = None;
            if decision.points > 0 {
                for (_, kind) in CAP_PERIODS {
                    *usage
                        .entry((
                            run.rule_id,
                            kind.period(event.occurred_at).key,
                            decision.recipient,
                        ))
                        .or_insert(0) += decision.points;
                }
                let mut explain = decision.explain;
                explain["rule_id"] = json!(run.rule_id);
                explain["rule_version"] = json!(run.version);
                explain["rule_name"] = json!(run.name);
                explain["event_id"] = json!(event.id);
                explain["event_kind"] = json!(event.kind);
                explain["event_payload"] = event.payload.clone();
                let issuance = match org.issuance {
                    Some(id) => id,
                    None => {
                        let id = ledger::org_account(accounts, org_id, kind::ISSUANCE)
                            .await?
                            .id;
                        org.issuance = Some(id);
                        id
                    }
                };
                let earned = match org.earned.get(&decision.recipient) {
                    Some(id) => *id,
                    None => {
                        let id =
                            ledger::account(accounts, org_id, kind::EARNED, decision.recipient, "")
                                .await?
                                .id;
                        org.earned.insert(decision.recipient, id);
                        id
                    }
                };
                postings.push(
                    Posting::transfer(
                        org_id,
                        tx::RULE_AWARD,
                        // Keyed by rule, version, event and recipient; the event's time
                        // before its id orders the keys as evaluation writes them.
                        format!(
                            "rule:{}:{}:{}:{}:{}",
                            run.rule_id,
                            run.version,
                            event.occurred_at.format("%Y%m%dT%H%M%S%.6fZ"),
                            event.id,
                            decision.recipient
                        ),
                        issuance,
                        earned,
                        decision.points,
                    )
                    .reason(run.name.clone())
                    .explain(explain),
                );
                transaction_id = Some(postings.len() - 1);
            }
            awards.push(AwardRow {
                posting: transaction_id,
                rule_id: run.rule_id,
                version: run.version,
                event: event.id,
                recipient: decision.recipient,
                team: event.team_id,
                requested: decision.requested,
                points: decision.points,
                limited_by: decision.limited_by,
                occurred_at: event.occurred_at,
            });
            planned.awards += 1;
            planned.points += decision.points;
            if decision.limited_by == Some("budget") {
                planned.exhausted.insert(run.rule_id);
            }
        }
    }
    // One multi-row write per table (in chunks) for the whole batch; the awarded (rule, event,
    // recipient) keys were skipped above and the lease keeps anyone else from writing them
    // meanwhile.
    let transactions = if postings.is_empty() {
        Vec::new()
    } else {
        let prepared = ledger::prepare_many(db, org_id, postings).await?;
        let ids = prepared.ids.clone();
        planned.ledger = Some(prepared);
        ids
    };
    let now = bulk::stamp(Utc::now());
    for chunk in awards.chunks(ledger::BULK_CHUNK) {
        let rows: Vec<Value> = chunk
            .iter()
            .map(|award| {
                let transaction = award.posting.and_then(|i| transactions.get(i).copied());
                json!([
                    Uuid::now_v7(),
                    org_id,
                    award.rule_id,
                    award.version,
                    award.event,
                    award.recipient,
                    award.team,
                    award.requested,
                    award.points,
                    award.limited_by,
                    transaction,
                    bulk::stamp(award.occurred_at),
                    now,
                ])
            })
            .collect();
        planned.award_rows.push(bulk::array(&rows));
    }
    Ok(planned)
}

/// Adds a batch's awarded points to the cap counters (one upsert per chunk of counters).
async fn add_usage(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    usage: HashMap<(Uuid, String, Uuid), i64>,
) -> AppResult<()> {
    let rows: Vec<Value> = usage
        .into_iter()
        .map(|((rule, period, recipient), points)| json!([org_id, rule, period, recipient, points]))
        .collect();
    for chunk in rows.chunks(ledger::BULK_CHUNK) {
        db.execute_raw(bulk::insert_rows(
            db.get_database_backend(),
            "rule_cap_usage",
            &USAGE_COLUMNS,
            "ON CONFLICT (org_id, rule_id, period, recipient_id) \
             DO UPDATE SET points = rule_cap_usage.points + excluded.points",
            chunk,
        ))
        .await?;
    }
    Ok(())
}

const USAGE_COLUMNS: [(&str, bulk::Kind); 5] = [
    ("org_id", bulk::Kind::Uuid),
    ("rule_id", bulk::Kind::Uuid),
    ("period", bulk::Kind::Text),
    ("recipient_id", bulk::Kind::Uuid),
    ("points", bulk::Kind::Int),
];

/// Ids per `IN (…)` list: far below the bound-parameter limits of SQLite and PostgreSQL.
const ID_CHUNK: usize = 5000;

/// An award decided in a batch; `posting` is its ledger transaction's place in the batch.
struct AwardRow {
    posting: Option<usize>,
    rule_id: Uuid,
    version: i32,
    event: Uuid,
    recipient: Uuid,
    team: Option<Uuid>,
    requested: i64,
    points: i64,
    limited_by: Option<&'static str>,
    occurred_at: DateTime<Utc>,
}

const AWARD_COLUMNS: [(&str, bulk::Kind); 13] = [
    ("id", bulk::Kind::Uuid),
    ("org_id", bulk::Kind::Uuid),
    ("rule_id", bulk::Kind::Uuid),
    ("rule_version", bulk::Kind::Int),
    ("event_id", bulk::Kind::Uuid),
    ("recipient_id", bulk::Kind::Uuid),
    ("team_id", bulk::Kind::Uuid),
    ("requested_points", bulk::Kind::Int),
    ("points", bulk::Kind::Int),
    ("limited_by", bulk::Kind::Text),
    ("transaction_id", bulk::Kind::Uuid),
    ("occurred_at", bulk::Kind::Time),
    ("created_at", bulk::Kind::Time),
];

/// Emails administrators once when a rule's budget runs out.
async fn alert_exhausted(state: &AppState, org_id: Uuid, rule_id: Uuid) -> AppResult<bool> {
    let txn = crate::db::begin_write(&state.db).await?;
    let flagged = reward_rule::Entity::update_many()
        .col_expr(reward_rule::Column::BudgetAlerted, Expr::value(true))
        .filter(reward_rule::Column::OrgId.eq(org_id))
        .filter(reward_rule::Column::Id.eq(rule_id))
        .filter(reward_rule::Column::BudgetAlerted.eq(false))
        .exec(&txn)
        .await?;
    if flagged.rows_affected != 1 {
        return Ok(false);
    }
    let Some(rule) = reward_rule::Entity::find_one_in(org_id, rule_id)
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let admins: Vec<Uuid> = user_role::Entity::find_in(org_id)
        .select_only()
        .column(user_role::Column::UserId)
        .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
        .into_tuple()
        .all(&txn)
        .await?;
    let link = format!(
        "{}/admin/recognition/rules/{rule_id}",
        state.config.public_url().as_str().trim_end_matches('/')
    );
    for admin in user::Entity::find_in(org_id)
        .filter(user::Column::Id.is_in(admins))
        .filter(user::Column::Status.eq(user::ACTIVE))
        .all(&txn)
        .await?
    {
        let email = templates::budget_alert(
            &admin.email,
            &admin.display_name,
            &rule.name,
            rule.budget.unwrap_or(0),
            &link,
        )?;
        outbox::enqueue(&txn, org_id, email).await?;
    }
    txn.commit().await?;
    state.outbox_kick.notify_one();
    Ok(true)
}

/// Events evaluated per database transaction: large enough that the per-batch work (reading
/// cap usage, one balance update per account) is spread over many events.
pub const BATCH: u64 = 10_000;

/// The lease a server holds while it evaluates the event inbox.
const LEASE: &str = "recognition_rules";
/// How long a lease lasts without renewal; every batch transaction renews it.
const LEASE_SECS: i64 = 120;

/// Takes the evaluation lease unless another server holds an unexpired one.
async fn acquire_lease(db: &DatabaseConnection, holder: Uuid) -> AppResult<bool> {
    processor_lease::Entity::insert(processor_lease::ActiveModel {
        name: Set(LEASE.to_owned()),
        holder: Set(None),
        expires_at: Set(DateTime::<Utc>::UNIX_EPOCH),
    })
    .on_conflict_do_nothing_on([processor_lease::Column::Name])
    .exec_without_returning(db)
    .await?;
    let now = Utc::now();
    let taken = processor_lease::Entity::update_many()
        .col_expr(processor_lease::Column::Holder, Expr::value(holder))
        .col_expr(
            processor_lease::Column::ExpiresAt,
            Expr::value(now + Duration::seconds(LEASE_SECS)),
        )
        .filter(processor_lease::Column::Name.eq(LEASE))
        .filter(
            sea_orm::Condition::any()
                .add(processor_lease::Column::Holder.is_null())
                .add(processor_lease::Column::Holder.eq(holder))
                .add(processor_lease::Column::ExpiresAt.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Renews the lease as the first write of a batch transaction. The row stays locked until the
/// transaction ends, so no other server can take the lease while a batch is being written;
/// fails with a conflict when the lease was lost (it expired and another server took it).
async fn renew_lease(db: &impl ConnectionTrait, holder: Uuid) -> AppResult<()> {
    let renewed = processor_lease::Entity::update_many()
        .col_expr(
            processor_lease::Column::ExpiresAt,
            Expr::value(Utc::now() + Duration::seconds(LEASE_SECS)),
        )
        .filter(processor_lease::Column::Name.eq(LEASE))
        .filter(processor_lease::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    if renewed.rows_affected != 1 {
        return Err(AppError::conflict(
            "lease_lost",
            "Another server took over evaluating reward rules.",
        ));
    }
    Ok(())
}

async fn release_lease(db: &DatabaseConnection, holder: Uuid) -> AppResult<()> {
    processor_lease::Entity::update_many()
        .col_expr(
            processor_lease::Column::Holder,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(processor_lease::Column::Name.eq(LEASE))
        .filter(processor_lease::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// The `rules` job: derives milestone events, evaluates new events under the active rules,
/// then back-fills rule versions activated with a start in the past.
pub async fn run_job(state: &AppState) -> anyhow::Result<String> {
    state.clicks.settle().await?;
    let derived = events::derive_reach_milestones(&state.db, &state.milestones).await?;
    let reader = crate::db::sqlite_reader(&state.config.database_url).await?;
    let done = process_with_reader(&state.db, reader.as_ref().unwrap_or(&state.db)).await;
    if let Some(reader) = reader {
        reader.close().await?;
    }
    let done = done?;
    if done.busy {
        return Ok(format!(
            "derived {derived} events; another server is evaluating"
        ));
    }
    let mut alerts = 0;
    for (org_id, rule_id) in done.exhausted {
        if alert_exhausted(state, org_id, rule_id).await? {
            alerts += 1;
        }
    }
    Ok(format!(
        "derived {derived} events; evaluated {} events; {} awards, {} points; {} badges; {alerts} budget alerts",
        done.events, done.awards, done.points, done.badges
    ))
}

/// What one evaluation run did.
#[derive(Debug, Default)]
pub struct Processed {
    /// Another server held the lease; nothing was evaluated.
    pub busy: bool,
    pub events: u64,
    pub awards: u64,
    pub points: i64,
    pub badges: u64,
    /// (organisation, rule) whose budget ran out.
    pub exhausted: Vec<(Uuid, Uuid)>,
}

/// Evaluates pending events and back-fills, holding the evaluation lease so that two servers
/// (or two overlapping ticks) never evaluate at once: the in-memory cap and budget accounting
/// is only valid while nobody else awards.
pub async fn process(db: &DatabaseConnection) -> AppResult<Processed> {
    process_batched(db, db, BATCH).await
}

/// [`process`], reading the inbox and deciding with `reader`, a second connection to the same
/// database, while the previous batch is written with `db`: with SQLite's one pooled
/// connection, batch n+1 is then read and decided while batch n is being written (see
/// [`crate::db::sqlite_reader`]). The outcome is the same.
pub async fn process_with_reader(
    db: &DatabaseConnection,
    reader: &DatabaseConnection,
) -> AppResult<Processed> {
    process_batched(db, reader, BATCH).await
}

/// [`process_with_reader`] with `batch` events per database transaction; the outcome does not
/// depend on the batch size.
pub async fn process_batched(
    db: &DatabaseConnection,
    reader: &DatabaseConnection,
    batch: u64,
) -> AppResult<Processed> {
    let batch = batch.max(1);
    let holder = Uuid::now_v7();
    if !acquire_lease(db, holder).await? {
        return Ok(Processed {
            busy: true,
            ..Processed::default()
        });
    }
    let result = process_leased(db, reader, holder, batch).await;
    let released = release_lease(db, holder).await;
    let done = result?;
    released?;
    Ok(done)
}

/// People whose badges an event may change: its subject and, for thanks, the giver.
fn badge_candidates(events: &[Event]) -> Vec<Uuid> {
    let mut people: Vec<Uuid> = events
        .iter()
        .flat_map(|e| {
            let giver = e.payload["giver_id"]
                .as_str()
                .and_then(|g| g.parse::<Uuid>().ok());
            std::iter::once(e.user_id).chain(giver)
        })
        .collect();
    people.sort_unstable();
    people.dedup();
    people
}

/// Marks a batch of events processed: the first pending events in (time, id) order, up to
/// `last`. On SQLite the batch transaction holds the write lock from its first statement (the
/// lease renewal) and has checked that the pending events up to `last` are as many as the
/// batch, so they are exactly the batch: they are marked in one pass over the pending index
/// and the table, both in that order. On PostgreSQL other transactions may commit events
/// meanwhile, so the batch is marked by id.
async fn mark_processed(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    (at, id): (DateTime<Utc>, Uuid),
) -> AppResult<()> {
    let processed_at = Utc::now();
    let mark = || {
        recognition_event::Entity::update_many()
            .col_expr(
                recognition_event::Column::ProcessedAt,
                Expr::value(processed_at),
            )
            .filter(recognition_event::Column::ProcessedAt.is_null())
    };
    if db.get_database_backend() == DbBackend::Sqlite {
        let marked = mark().filter(up_to_event(at, id)).exec(db).await?;
        if marked.rows_affected != ids.len() as u64 {
            return Err(AppError::Internal(anyhow::anyhow!(
                "marked {} events processed for a batch of {}",
                marked.rows_affected,
                ids.len()
            )));
        }
        return Ok(());
    }
    for chunk in ids.chunks(ID_CHUNK) {
        mark()
            .filter(recognition_event::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// A batch of events decided and ready to write.
struct Batch {
    ids: Vec<Uuid>,
    /// The (time, id) of its last event.
    last: (DateTime<Utc>, Uuid),
    /// Per organisation: the writes, and the people whose badges the events may change.
    orgs: Vec<(OrgWrites, Vec<Uuid>)>,
}

/// Reads the next `batch_size` pending events after `after` in (time, id) order (from the
/// first pending event when `None`) and decides them, reading with `reader` (see
/// [`process_with_reader`]) outside any transaction, so that it runs while the previous batch
/// is being written with `db`.
async fn plan_batch(
    db: &DatabaseConnection,
    reader: &DatabaseConnection,
    orgs: &mut HashMap<Uuid, OrgRun>,
    after: Option<(DateTime<Utc>, Uuid)>,
    batch_size: u64,
) -> AppResult<Option<Batch>> {
    let mut query = recognition_event::Entity::find()
        .select_only()
        .columns(EVENT_COLUMNS)
        .filter(recognition_event::Column::ProcessedAt.is_null());
    if let Some((at, id)) = after {
        query = query.filter(after_event(at, id));
    }
    let query = query
        .order_by_asc(recognition_event::Column::OccurredAt)
        .order_by_asc(recognition_event::Column::Id)
        .limit(batch_size);
    let events: Vec<Event> = if reader.get_database_backend() == DbBackend::Sqlite {
        events_as_one_row(reader, query).await?
    } else {
        query
            .into_tuple::<EventTuple>()
            .all(reader)
            .await?
            .into_iter()
            .map(Event::from)
            .collect()
    };
    let Some(last) = events.last().map(|e| (e.occurred_at, e.id)) else {
        return Ok(None);
    };
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let mut by_org: Vec<(Uuid, Vec<Event>)> = Vec::new();
    for event in events {
        match by_org.iter_mut().find(|(org, _)| *org == event.org_id) {
            Some((_, list)) => list.push(event),
            None => by_org.push((event.org_id, vec![event])),
        }
    }
    let mut planned = Vec::with_capacity(by_org.len());
    for (org_id, list) in by_org {
        if let std::collections::hash_map::Entry::Vacant(slot) = orgs.entry(org_id) {
            slot.insert(OrgRun::load(reader, org_id).await?);
        }
        let org = orgs.get_mut(&org_id).ok_or(AppError::NotFound)?;
        planned.push((
            plan(reader, db, org_id, org, None, &list).await?,
            badge_candidates(&list),
        ));
    }
    Ok(Some(Batch {
        ids,
        last,
        orgs: planned,
    }))
}

/// The events `query` selects (in (time, id) order) read on SQLite as one JSON array in one
/// row: the driver hands each row over from its worker thread separately, which for a batch of
/// thousands of events cost more than reading them.
async fn events_as_one_row(
    db: &DatabaseConnection,
    query: sea_orm::Select<recognition_event::Entity>,
) -> AppResult<Vec<Event>> {
    #[derive(Deserialize)]
    struct Row(
        String,
        String,
        String,
        String,
        Option<String>,
        i64,
        Value,
        String,
    );
    // Ids are stored as 16-byte blobs (read as hex); text ones are read as they are.
    fn uuid_text(column: &str) -> String {
        format!("iif(typeof({column}) = 'blob', hex({column}), {column})")
    }
    let inner = query.build(DbBackend::Sqlite);
    let statement = sea_orm::Statement::from_sql_and_values(
        DbBackend::Sqlite,
        format!(
            "SELECT json_group_array(json_array({}, {}, kind, {}, {}, units, json(payload), \
             occurred_at)) FROM ({})",
            uuid_text("id"),
            uuid_text("org_id"),
            uuid_text("user_id"),
            uuid_text("team_id"),
            inner.sql
        ),
        inner.values.map(|v| v.0).unwrap_or_default(),
    );
    let text: String = match db.query_one_raw(statement).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => return Ok(Vec::new()),
    };
    let bad = |what: &str| AppError::Internal(anyhow::anyhow!("unreadable event {what}"));
    let uuid = |hex: &str| Uuid::try_parse(hex).map_err(|_| bad("id"));
    let rows: Vec<Row> = serde_json::from_str(&text).map_err(|_| bad("batch"))?;
    let mut events = rows
        .into_iter()
        .map(
            |Row(id, org_id, kind, user_id, team_id, units, payload, at)| {
                Ok(Event {
                    id: uuid(&id)?,
                    org_id: uuid(&org_id)?,
                    kind,
                    user_id: uuid(&user_id)?,
                    team_id: team_id.as_deref().map(uuid).transpose()?,
                    units,
                    payload,
                    occurred_at: DateTime::parse_from_rfc3339(&at)
                        .map_err(|_| bad("time"))?
                        .with_timezone(&Utc),
                })
            },
        )
        .collect::<AppResult<Vec<Event>>>()?;
    // An aggregate does not promise its input's order.
    events.sort_by_key(|e| (e.occurred_at, e.id));
    Ok(events)
}

/// Events after (`at`, `id`) in (time, id) order, written so that the time bounds a range of
/// an index in that order.
fn after_event(at: DateTime<Utc>, id: Uuid) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(recognition_event::Column::OccurredAt.gte(at))
        .add(
            sea_orm::Condition::any()
                .add(recognition_event::Column::OccurredAt.gt(at))
                .add(recognition_event::Column::Id.gt(id)),
        )
}

/// Events up to (`at`, `id`) in (time, id) order, written so that the time bounds a range of
/// the pending-events index.
fn up_to_event(at: DateTime<Utc>, id: Uuid) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(recognition_event::Column::OccurredAt.lte(at))
        .add(
            sea_orm::Condition::any()
                .add(recognition_event::Column::OccurredAt.lt(at))
                .add(recognition_event::Column::Id.lte(id)),
        )
}

/// What writing a batch did.
enum Written {
    /// Written and committed.
    Done {
        awards: u64,
        points: i64,
        badges: u64,
        /// (organisation, rule) whose budget ran out.
        exhausted: Vec<(Uuid, Uuid)>,
    },
    /// An event that occurred before the batch's last one arrived after the batch was read
    /// (on SQLite, where a batch is marked processed as a range): nothing was written, and the
    /// batch must be read and decided again.
    Stale,
}

/// Writes a decided batch in one transaction: renews the lease, writes each organisation's
/// awards and badges, and marks the events processed.
async fn write_batch(db: &DatabaseConnection, holder: Uuid, batch: Batch) -> AppResult<Written> {
    let txn = crate::db::begin_write(db).await?;
    renew_lease(&txn, holder).await?;
    if txn.get_database_backend() == DbBackend::Sqlite {
        // The transaction holds the write lock from the renewal on: no event can arrive until
        // it ends, so this count stays true until the events are marked.
        let (at, id) = batch.last;
        let pending = recognition_event::Entity::find()
            .filter(recognition_event::Column::ProcessedAt.is_null())
            .filter(up_to_event(at, id))
            .count(&txn)
            .await?;
        if pending != batch.ids.len() as u64 {
            txn.rollback().await?;
            return Ok(Written::Stale);
        }
    }
    let (mut awards, mut points, mut badges, mut exhausted) = (0, 0, 0, Vec::new());
    for (writes, people) in batch.orgs {
        let org_id = writes.org_id;
        awards += writes.awards;
        points += writes.points;
        exhausted.extend(writes.exhausted.iter().map(|rule| (org_id, *rule)));
        writes.write(&txn).await?;
        badges += badges::evaluate(&txn, org_id, Some(&people), Utc::now()).await?;
    }
    mark_processed(&txn, &batch.ids, batch.last).await?;
    txn.commit().await?;
    Ok(Written::Done {
        awards,
        points,
        badges,
        exhausted,
    })
}

/// Times a run starts reading the inbox again because events arrived out of order while it
/// ran; past that, it ends and the next run goes on.
const MAX_RESTARTS: u32 = 3;

async fn process_leased(
    db: &DatabaseConnection,
    reader: &DatabaseConnection,
    holder: Uuid,
    batch_size: u64,
) -> AppResult<Processed> {
    let mut orgs: HashMap<Uuid, OrgRun> = HashMap::new();
    let mut done = Processed::default();
    // Batch n+1 is read and decided while batch n is written: the decisions carry their state
    // (cap usage, budget spending) in memory from one batch to the next, and reading needs
    // nothing that an unwritten batch changes.
    let mut after: Option<(DateTime<Utc>, Uuid)> = None;
    // A run that is dropped (cancelled) stops its writer too: the batch is rolled back.
    let mut writing: Option<AbortOnDropHandle<AppResult<(usize, Written)>>> = None;
    let mut restarts = 0;
    loop {
        let next = plan_batch(db, reader, &mut orgs, after, batch_size).await;
        if let Some(handle) = writing.take() {
            let (events, written) = handle
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("batch writer failed: {e}")))??;
            match written {
                Written::Done {
                    awards,
                    points,
                    badges,
                    exhausted,
                } => {
                    done.events += events as u64;
                    done.awards += awards;
                    done.points += points;
                    done.badges += badges;
                    done.exhausted.extend(exhausted);
                }
                Written::Stale => {
                    // Decide again from the first pending event, with the state as written.
                    orgs.clear();
                    after = None;
                    restarts += 1;
                    if restarts > MAX_RESTARTS {
                        break;
                    }
                    continue;
                }
            }
        }
        let Some(batch) = next? else { break };
        after = Some(batch.last);
        let (db, events) = (db.clone(), batch.ids.len());
        writing = Some(AbortOnDropHandle::new(tokio::spawn(async move {
            Ok((events, write_batch(&db, holder, batch).await?))
        })));
    }

    // Versions activated with a start in the past replay the events already processed.
    let pending = reward_rule_version::Entity::find()
        .filter(reward_rule_version::Column::BackfillPending.eq(true))
        .all(db)
        .await?;
    for version in pending {
        let org_id = version.org_id;
        if let std::collections::hash_map::Entry::Vacant(slot) = orgs.entry(org_id) {
            slot.insert(OrgRun::load(db, org_id).await?);
        }
        let is_current = orgs[&org_id]
            .runs
            .iter()
            .any(|r| r.rule_id == version.rule_id && r.version == version.version);
        if is_current {
            let mut after: Option<(DateTime<Utc>, Uuid)> = None;
            loop {
                let mut query = recognition_event::Entity::find_in(org_id)
                    .filter(recognition_event::Column::ProcessedAt.is_not_null())
                    .filter(recognition_event::Column::OccurredAt.gte(version.starts_at));
                if let Some((at, id)) = after {
                    query = query.filter(after_event(at, id));
                }
                let batch: Vec<Event> = query
                    .order_by_asc(recognition_event::Column::OccurredAt)
                    .order_by_asc(recognition_event::Column::Id)
                    .limit(batch_size)
                    .all(db)
                    .await?
                    .into_iter()
                    .map(Event::from)
                    .collect();
                let Some(last) = batch.last() else { break };
                after = Some((last.occurred_at, last.id));
                let txn = crate::db::begin_write(db).await?;
                renew_lease(&txn, holder).await?;
                let org = orgs.get_mut(&org_id).ok_or(AppError::NotFound)?;
                let (n, p, exhausted) =
                    apply(&txn, org_id, org, Some(version.rule_id), &batch).await?;
                txn.commit().await?;
                done.awards += n;
                done.points += p;
                done.exhausted
                    .extend(exhausted.into_iter().map(|rule| (org_id, rule)));
            }
        }
        reward_rule_version::Entity::update_many()
            .col_expr(
                reward_rule_version::Column::BackfillPending,
                Expr::value(false),
            )
            .filter(reward_rule_version::Column::Id.eq(version.id))
            .exec(db)
            .await?;
    }
    done.exhausted.sort_unstable();
    done.exhausted.dedup();
    Ok(done)
}

// ---------------------------------------------------------------------------------------------
// HTTP

#[derive(Debug, Deserialize, ToSchema)]
pub struct RuleInput {
    pub name: String,
    pub document: RuleDocument,
    /// Programme budget in points (null: unlimited).
    pub budget: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RuleUpdate {
    pub name: Option<String>,
    /// A new document writes a new version.
    pub document: Option<RuleDocument>,
    /// Replaces the budget (null: unlimited).
    #[serde(default, deserialize_with = "crate::people::users::double_option")]
    #[schema(value_type = Option<i64>)]
    pub budget: Option<Option<i64>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ActivateInput {
    /// Evaluate events from this time on (default now). A time in the past replays the stored
    /// events since then — the same replay a preview over that window shows.
    pub starts_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleVersionView {
    pub version: i32,
    pub document: RuleDocument,
    pub starts_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleView {
    pub id: Uuid,
    pub name: String,
    /// `draft`, `active` or `paused`.
    pub status: String,
    pub current_version: i32,
    pub document: RuleDocument,
    pub budget: Option<i64>,
    /// Points the rule has awarded (all versions).
    pub spent: i64,
    pub budget_exhausted: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every version, newest first (on the single-rule view).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub versions: Vec<RuleVersionView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<RuleView>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PreviewInput {
    pub document: RuleDocument,
    pub budget: Option<i64>,
    /// Replay the events of the last `days` days (1–400, default 30).
    pub days: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TeamTotal {
    pub team_id: Option<Uuid>,
    pub points: i64,
    pub recipients: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreviewResult {
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub events_replayed: u64,
    pub matching_events: u64,
    pub total_points: i64,
    pub recipients: u64,
    /// Awards that caps or the budget reduced.
    pub limited_awards: u64,
    /// Points per recipient: 50th, 90th and 99th percentile and maximum.
    pub p50: i64,
    pub p90: i64,
    pub p99: i64,
    pub max: i64,
    /// Share of all points that the ten largest recipients would get (0–1).
    pub top10_share: f64,
    pub by_team: Vec<TeamTotal>,
    pub budget: Option<i64>,
    /// Budget left after the replay.
    pub budget_remaining: Option<i64>,
    pub budget_exhausted: bool,
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn validate_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if !(1..=120).contains(&name.chars().count()) {
        return Err(AppError::field("name", "must be 1 to 120 characters"));
    }
    Ok(name.to_owned())
}

fn validate_budget(budget: Option<i64>) -> AppResult<()> {
    if budget.is_some_and(|b| !(0..=1_000_000_000).contains(&b)) {
        return Err(AppError::field(
            "budget",
            "must be between 0 and 1000000000",
        ));
    }
    Ok(())
}

async fn rule_view(
    db: &impl ConnectionTrait,
    rule: reward_rule::Model,
    with_versions: bool,
) -> AppResult<RuleView> {
    let versions = reward_rule_version::Entity::find_in(rule.org_id)
        .filter(reward_rule_version::Column::RuleId.eq(rule.id))
        .order_by_desc(reward_rule_version::Column::Version)
        .all(db)
        .await?;
    let current = versions
        .iter()
        .find(|v| v.version == rule.current_version)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("rule without its version")))?;
    let document: RuleDocument = serde_json::from_value(current.document.clone())
        .map_err(|e| AppError::Internal(e.into()))?;
    let spent = rule_spent(db, rule.org_id, &[rule.id])
        .await?
        .get(&rule.id)
        .copied()
        .unwrap_or(0);
    let versions = if with_versions {
        versions
            .into_iter()
            .filter_map(|v| {
                Some(RuleVersionView {
                    version: v.version,
                    document: serde_json::from_value(v.document).ok()?,
                    starts_at: v.starts_at,
                    created_by: v.created_by,
                    created_at: v.created_at,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(RuleView {
        id: rule.id,
        name: rule.name,
        status: rule.status,
        current_version: rule.current_version,
        document,
        budget_exhausted: rule.budget.is_some_and(|b| spent >= b),
        budget: rule.budget,
        spent,
        created_at: rule.created_at,
        updated_at: rule.updated_at,
        versions,
    })
}

/// Reward rules with their current version and spending (administrators).
#[utoipa::path(get, path = "/api/v1/admin/rules", tag = "recognition", security(("bearer" = [])),
    responses((status = 200, body = RuleList), (status = 403, body = Problem)))]
async fn list_rules(
    State(state): State<AppState>,
    Admin(admin): Admin,
) -> AppResult<Json<RuleList>> {
    let rules = reward_rule::Entity::find_in(admin.org_id)
        .order_by_asc(reward_rule::Column::CreatedAt)
        .all(&state.db)
        .await?;
    let mut items = Vec::new();
    for rule in rules {
        items.push(rule_view(&state.db, rule, false).await?);
    }
    Ok(Json(RuleList { items }))
}

/// Create a reward rule as a draft (version 1). Preview it, then activate it.
#[utoipa::path(post, path = "/api/v1/admin/rules", tag = "recognition", security(("bearer" = [])),
    request_body = RuleInput,
    responses((status = 201, body = RuleView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_rule(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(input): AppJson<RuleInput>,
) -> AppResult<(StatusCode, Json<RuleView>)> {
    let name = validate_name(&input.name)?;
    input.document.validate()?;
    validate_budget(input.budget)?;
    let now = Utc::now();
    let id = Uuid::now_v7();
    let txn = crate::db::begin_write(&state.db).await?;
    reward_rule::Entity::insert(reward_rule::ActiveModel {
        id: Set(id),
        org_id: Set(admin.org_id),
        name: Set(name),
        status: Set(DRAFT.into()),
        current_version: Set(1),
        budget: Set(input.budget),
        budget_alerted: Set(false),
        created_by: Set(Some(admin.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    insert_version(
        &txn,
        admin.org_id,
        id,
        1,
        &input.document,
        now,
        false,
        admin.user_id,
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "rule.create",
            target_type: "reward_rule",
            target_id: Some(id.to_string()),
            before: None,
            after: serde_json::to_value(&input.document).ok(),
        },
    )
    .await?;
    txn.commit().await?;
    let rule = find_rule(&state.db, admin.org_id, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(rule_view(&state.db, rule, true).await?),
    ))
}

#[allow(clippy::too_many_arguments)]
async fn insert_version(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    rule_id: Uuid,
    version: i32,
    document: &RuleDocument,
    starts_at: DateTime<Utc>,
    backfill: bool,
    actor: Uuid,
) -> AppResult<()> {
    reward_rule_version::Entity::insert(reward_rule_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        rule_id: Set(rule_id),
        version: Set(version),
        document: Set(serde_json::to_value(document).map_err(|e| AppError::Internal(e.into()))?),
        starts_at: Set(starts_at),
        backfill_pending: Set(backfill),
        created_by: Set(Some(actor)),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

async fn find_rule(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    id: Uuid,
) -> AppResult<reward_rule::Model> {
    reward_rule::Entity::find_one_in(org_id, id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// One reward rule with every version (administrators).
#[utoipa::path(get, path = "/api/v1/admin/rules/{id}", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RuleView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_rule(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<RuleView>> {
    let rule = find_rule(&state.db, admin.org_id, id).await?;
    Ok(Json(rule_view(&state.db, rule, true).await?))
}

/// Edit a rule: a new document becomes a new version (for an active rule, it applies to events
/// from now on); the name and budget change in place. Raising the budget re-arms the alert.
#[utoipa::path(put, path = "/api/v1/admin/rules/{id}", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RuleUpdate,
    responses((status = 200, body = RuleView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_rule(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<RuleUpdate>,
) -> AppResult<Json<RuleView>> {
    let rule = find_rule(&state.db, admin.org_id, id).await?;
    let name = input.name.as_deref().map(validate_name).transpose()?;
    if let Some(doc) = &input.document {
        doc.validate()?;
    }
    if let Some(budget) = input.budget {
        validate_budget(budget)?;
    }
    let before = rule_view(&state.db, rule.clone(), false).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let mut model: reward_rule::ActiveModel = rule.clone().into();
    if let Some(name) = name {
        model.name = Set(name);
    }
    if let Some(budget) = input.budget {
        model.budget = Set(budget);
        model.budget_alerted = Set(false);
    }
    if let Some(doc) = &input.document {
        let version = rule.current_version + 1;
        insert_version(
            &txn,
            admin.org_id,
            id,
            version,
            doc,
            now,
            false,
            admin.user_id,
        )
        .await?;
        model.current_version = Set(version);
    }
    model.updated_at = Set(now);
    sea_orm::ActiveModelTrait::update(model, &txn).await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "rule.update",
            target_type: "reward_rule",
            target_id: Some(id.to_string()),
            before: serde_json::to_value(&before).ok(),
            after: input
                .document
                .as_ref()
                .and_then(|d| serde_json::to_value(d).ok()),
        },
    )
    .await?;
    txn.commit().await?;
    let rule = find_rule(&state.db, admin.org_id, id).await?;
    Ok(Json(rule_view(&state.db, rule, true).await?))
}

/// Activate a rule's current version, from now or from a time in the past (which replays the
/// stored events since then, as the preview did). The `rules` job does the evaluation.
#[utoipa::path(post, path = "/api/v1/admin/rules/{id}/activate", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ActivateInput,
    responses((status = 200, body = RuleView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn activate_rule(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
    AppJson(input): AppJson<ActivateInput>,
) -> AppResult<Json<RuleView>> {
    let rule = find_rule(&state.db, admin.org_id, id).await?;
    let now = Utc::now();
    let starts_at = input.starts_at.unwrap_or(now);
    if starts_at < now - Duration::days(state.config.advocacy.max_window_days)
        || starts_at > now + Duration::days(366)
    {
        return Err(AppError::field(
            "starts_at",
            "must be within the reporting window and at most a year ahead",
        ));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    reward_rule_version::Entity::update_many()
        .col_expr(
            reward_rule_version::Column::StartsAt,
            Expr::value(starts_at),
        )
        .col_expr(
            reward_rule_version::Column::BackfillPending,
            Expr::value(starts_at < now),
        )
        .filter(reward_rule_version::Column::OrgId.eq(admin.org_id))
        .filter(reward_rule_version::Column::RuleId.eq(id))
        .filter(reward_rule_version::Column::Version.eq(rule.current_version))
        .exec(&txn)
        .await?;
    reward_rule::Entity::update_many()
        .col_expr(reward_rule::Column::Status, Expr::value(ACTIVE))
        .col_expr(reward_rule::Column::UpdatedAt, Expr::value(now))
        .filter(reward_rule::Column::OrgId.eq(admin.org_id))
        .filter(reward_rule::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "rule.activate",
            target_type: "reward_rule",
            target_id: Some(id.to_string()),
            before: Some(json!({ "status": rule.status })),
            after: Some(json!({ "status": ACTIVE, "version": rule.current_version, "starts_at": starts_at })),
        },
    )
    .await?;
    txn.commit().await?;
    let rule = find_rule(&state.db, admin.org_id, id).await?;
    Ok(Json(rule_view(&state.db, rule, true).await?))
}

/// Pause a rule: it awards nothing until activated again (events meanwhile are not replayed
/// unless the activation starts in the past).
#[utoipa::path(post, path = "/api/v1/admin/rules/{id}/pause", tag = "recognition", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RuleView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn pause_rule(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<Uuid>,
) -> AppResult<Json<RuleView>> {
    let rule = find_rule(&state.db, admin.org_id, id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    reward_rule::Entity::update_many()
        .col_expr(reward_rule::Column::Status, Expr::value(PAUSED))
        .col_expr(reward_rule::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(reward_rule::Column::OrgId.eq(admin.org_id))
        .filter(reward_rule::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        audit::Entry {
            org_id: admin.org_id,
            actor_id: Some(admin.user_id),
            action: "rule.pause",
            target_type: "reward_rule",
            target_id: Some(id.to_string()),
            before: Some(json!({ "status": rule.status })),
            after: Some(json!({ "status": PAUSED })),
        },
    )
    .await?;
    txn.commit().await?;
    let rule = find_rule(&state.db, admin.org_id, id).await?;
    Ok(Json(rule_view(&state.db, rule, true).await?))
}

/// Replays stored events under a draft document in memory.
pub async fn preview(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    document: &RuleDocument,
    budget: Option<i64>,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
) -> AppResult<PreviewResult> {
    let run = RuleRun {
        rule_id: Uuid::nil(),
        version: 0,
        name: "preview".into(),
        document: document.clone(),
        starts_at: window_start,
        budget,
    };
    let mut engine = Engine {
        campaigns: campaign_multipliers(db, org_id).await?,
        ..Engine::default()
    };
    let mut per_recipient: HashMap<Uuid, i64> = HashMap::new();
    let mut per_team: HashMap<Option<Uuid>, (i64, HashSet<Uuid>)> = HashMap::new();
    let (mut replayed, mut matching, mut limited, mut total) = (0u64, 0u64, 0u64, 0i64);
    let mut after: Option<(DateTime<Utc>, Uuid)> = None;
    loop {
        let mut query = recognition_event::Entity::find_in(org_id)
            .filter(recognition_event::Column::Kind.eq(document.trigger.event_kind()))
            .filter(recognition_event::Column::OccurredAt.gte(window_start))
            .filter(recognition_event::Column::OccurredAt.lt(window_end));
        if let Some((at, id)) = after {
            query = query.filter(
                sea_orm::Condition::any()
                    .add(recognition_event::Column::OccurredAt.gt(at))
                    .add(
                        sea_orm::Condition::all()
                            .add(recognition_event::Column::OccurredAt.eq(at))
                            .add(recognition_event::Column::Id.gt(id)),
                    ),
            );
        }
        let batch: Vec<Event> = query
            .order_by_asc(recognition_event::Column::OccurredAt)
            .order_by_asc(recognition_event::Column::Id)
            .limit(5000)
            .all(db)
            .await?
            .into_iter()
            .map(Event::from)
            .collect();
        let Some(last) = batch.last() else { break };
        after = Some((last.occurred_at, last.id));
        for event in &batch {
            replayed += 1;
            let Some(decision) = engine.decide(&run, event) else {
                continue;
            };
            matching += 1;
            if decision.limited_by.is_some() {
                limited += 1;
            }
            total += decision.points;
            if decision.points > 0 {
                *per_recipient.entry(decision.recipient).or_insert(0) += decision.points;
                let team = per_team.entry(event.team_id).or_default();
                team.0 += decision.points;
                team.1.insert(decision.recipient);
            }
        }
    }
    let mut amounts: Vec<i64> = per_recipient.values().copied().collect();
    amounts.sort_unstable();
    let top10: i64 = amounts.iter().rev().take(10).sum();
    let mut by_team: Vec<TeamTotal> = per_team
        .into_iter()
        .map(|(team_id, (points, people))| TeamTotal {
            team_id,
            points,
            recipients: people.len() as u64,
        })
        .collect();
    by_team.sort_by_key(|t| std::cmp::Reverse(t.points));
    Ok(PreviewResult {
        window_start,
        window_end,
        events_replayed: replayed,
        matching_events: matching,
        total_points: total,
        recipients: amounts.len() as u64,
        limited_awards: limited,
        p50: percentile(&amounts, 0.5),
        p90: percentile(&amounts, 0.9),
        p99: percentile(&amounts, 0.99),
        max: amounts.last().copied().unwrap_or(0),
        top10_share: if total > 0 {
            top10 as f64 / total as f64
        } else {
            0.0
        },
        by_team,
        budget,
        budget_remaining: budget.map(|b| (b - total).max(0)),
        budget_exhausted: budget.is_some_and(|b| total >= b),
    })
}

/// Preview a draft rule: replay the stored events of the last `days` days and answer what it
/// would have awarded — total, recipients, distribution, per-team totals and budget use —
/// without writing anything. Activating the rule with `starts_at = window_start` awards the
/// same on the same events.
#[utoipa::path(post, path = "/api/v1/admin/rules/preview", tag = "recognition", security(("bearer" = [])),
    request_body = PreviewInput,
    responses((status = 200, body = PreviewResult), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn preview_rule(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(input): AppJson<PreviewInput>,
) -> AppResult<Json<PreviewResult>> {
    input.document.validate()?;
    validate_budget(input.budget)?;
    let days = input.days.unwrap_or(30);
    if !(1..=state.config.advocacy.max_window_days).contains(&days) {
        return Err(AppError::field(
            "days",
            format!(
                "must be between 1 and {}",
                state.config.advocacy.max_window_days
            ),
        ));
    }
    let now = Utc::now();
    Ok(Json(
        preview(
            &state.db,
            admin.org_id,
            &input.document,
            input.budget,
            now - Duration::days(days),
            now,
        )
        .await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(award: Award, caps: Caps) -> RuleDocument {
        RuleDocument {
            trigger: Trigger::EngagementReported,
            threshold: None,
            conditions: Conditions::default(),
            award,
            multipliers: Multipliers::default(),
            caps,
        }
    }

    fn event(units: i64, at: DateTime<Utc>) -> Event {
        Event {
            id: Uuid::now_v7(),
            org_id: Uuid::nil(),
            kind: events::kind::ENGAGEMENT_REPORTED.into(),
            user_id: Uuid::from_u128(7),
            team_id: None,
            units,
            payload: json!({}),
            occurred_at: at,
        }
    }

    #[test]
    fn per_unit_awards_respect_ceiling_and_diminishing_returns() {
        let linear = doc(
            Award {
                mode: AwardMode::PerUnit,
                points: 2,
                ceiling: Some(50),
                diminishing: false,
            },
            Caps::default(),
        );
        let now = Utc::now();
        assert_eq!(
            base_points(&linear, &event(10, now), &HashMap::new()).map(|p| p.0),
            Some(20)
        );
        assert_eq!(
            base_points(&linear, &event(100, now), &HashMap::new()).map(|p| p.0),
            Some(50)
        );
        let sqrt = doc(
            Award {
                mode: AwardMode::PerUnit,
                points: 2,
                ceiling: None,
                diminishing: true,
            },
            Caps::default(),
        );
        assert_eq!(
            base_points(&sqrt, &event(100, now), &HashMap::new()).map(|p| p.0),
            Some(20)
        );
    }

    #[test]
    fn caps_award_the_remainder_then_zero() {
        let rule = doc(
            Award {
                mode: AwardMode::Fixed,
                points: 40,
                ceiling: None,
                diminishing: false,
            },
            Caps {
                day: Some(100),
                ..Caps::default()
            },
        );
        let run = RuleRun {
            rule_id: Uuid::from_u128(1),
            version: 1,
            name: "t".into(),
            document: rule,
            starts_at: Utc::now() - Duration::days(1),
            budget: None,
        };
        let mut engine = Engine::default();
        let now = Utc::now();
        let awarded: Vec<i64> = (0..4)
            .filter_map(|_| engine.decide(&run, &event(1, now)))
            .map(|d| d.points)
            .collect();
        assert_eq!(awarded, vec![40, 40, 20, 0]);
    }

    /// An event that occurred before the last one of a batch being decided, but arrived after
    /// the batch was read, is not marked processed with the batch unevaluated: writing the
    /// batch finds it and writes nothing, and the run reads the inbox again and evaluates it.
    #[tokio::test]
    async fn an_event_arriving_late_while_a_batch_is_decided_is_evaluated() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (db, org, person) = crate::db::scratch(dir.path(), "late.db").await;
        let now = Utc::now();
        let rule = Uuid::now_v7();
        reward_rule::Entity::insert(reward_rule::ActiveModel {
            id: Set(rule),
            org_id: Set(org),
            name: Set("Engagement".into()),
            status: Set(ACTIVE.into()),
            current_version: Set(1),
            budget: Set(None),
            budget_alerted: Set(false),
            created_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&db)
        .await
        .expect("rule");
        let document = doc(
            Award {
                mode: AwardMode::Fixed,
                points: 5,
                ceiling: None,
                diminishing: false,
            },
            Caps::default(),
        );
        reward_rule_version::Entity::insert(reward_rule_version::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org),
            rule_id: Set(rule),
            version: Set(1),
            document: Set(serde_json::to_value(&document).expect("document")),
            starts_at: Set(now - Duration::days(1)),
            backfill_pending: Set(false),
            created_by: Set(None),
            created_at: Set(now),
        })
        .exec_without_returning(&db)
        .await
        .expect("version");
        let emit = |key: &str, hours_ago: i64| {
            events::emit(
                &db,
                events::NewEvent {
                    org_id: org,
                    kind: events::kind::ENGAGEMENT_REPORTED,
                    user_id: person,
                    team_id: None,
                    dedupe_key: key.to_owned(),
                    units: 1,
                    payload: json!({}),
                    occurred_at: now - Duration::hours(hours_ago),
                },
            )
        };
        for (key, hours_ago) in [("a", 3), ("b", 2), ("c", 1)] {
            assert!(emit(key, hours_ago).await.expect("event"));
        }

        let holder = Uuid::now_v7();
        assert!(acquire_lease(&db, holder).await.expect("lease"));
        let mut orgs = HashMap::new();
        let batch = plan_batch(&db, &db, &mut orgs, None, 10)
            .await
            .expect("decided")
            .expect("a batch");
        assert_eq!(batch.ids.len(), 3);
        // Arrives now, but occurred between the batch's first and last events.
        assert!(emit("late", 2).await.expect("late event"));
        assert!(emit("later", 1).await.expect("late event"));
        let written = write_batch(&db, holder, batch).await.expect("written");
        assert!(matches!(written, Written::Stale), "the batch is stale");
        let awards = rule_award::Entity::find().count(&db).await.expect("awards");
        let pending = recognition_event::Entity::find()
            .filter(recognition_event::Column::ProcessedAt.is_null())
            .count(&db)
            .await
            .expect("pending");
        assert_eq!((awards, pending), (0, 5), "nothing was written");
        release_lease(&db, holder).await.expect("released");

        let done = process(&db).await.expect("processed");
        assert_eq!((done.events, done.awards, done.points), (5, 5, 25));
        let pending = recognition_event::Entity::find()
            .filter(recognition_event::Column::ProcessedAt.is_null())
            .count(&db)
            .await
            .expect("pending");
        assert_eq!(pending, 0);
        assert!(
            ledger::check(&db, Some(org))
                .await
                .expect("check")
                .consistent
        );
        db.close().await.expect("closed");
    }
}
