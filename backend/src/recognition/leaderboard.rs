//! Leaderboards with consent: only people who opted in to the programme and chose to show
//! their rank ([`crate::advocacy::consent::ranked_people`]) are ever listed or counted.
//!
//! Fair-ranking options: the metric (points earned in the window, human clicks, human clicks
//! per share, shares), a cap (per share for the click metrics, so one viral post does not drown
//! out steady sharing; on the score for points and shares), a minimum number of shares for the
//! per-share score, and the scope (the organisation, a team and its sub-teams, or the teams a
//! manager manages). Equal scores share a rank (1, 2, 2, 4). The caller's own entry is returned
//! even outside the top N — only if the caller shows their rank too.

use std::collections::{BTreeSet, HashMap};

use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ledger::{kind, tx};
use crate::{
    advocacy::{consent, day_of},
    auth::Role,
    entities::{points_account, points_entry, points_transaction, reach_daily, share, team, user},
    error::{AppError, AppResult, Problem},
    http::extract::{AppQuery, AuthUser, managed_subtree},
    state::AppState,
    tenancy::OrgScoped,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_leaderboard))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Points received in the window: rule awards, thanks and spot awards.
    Points,
    HumanClicks,
    /// Human clicks per share (people with at least `min_shares` shares).
    ClicksPerShare,
    Shares,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Organisation,
    /// `team_id` and its sub-teams (administrators, managers of it, and its members).
    Team,
    /// Every team the caller manages, with their sub-teams.
    ManagedTeams,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardQuery {
    /// `points` (default), `human_clicks`, `clicks_per_share` or `shares`.
    pub metric: Option<Metric>,
    /// `organisation` (default), `team` or `managed_teams`.
    pub scope: Option<Scope>,
    pub team_id: Option<Uuid>,
    /// Window length in days, ending now (default 30).
    pub days: Option<i64>,
    /// Cap: most human clicks one share counts for (click metrics), or the highest score
    /// counted (points, shares).
    pub cap: Option<i64>,
    /// Fewest shares for a per-share score (default 1).
    pub min_shares: Option<i64>,
    /// Entries listed (1–100, default 10).
    pub limit: Option<u64>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = RecognitionLeaderboardEntry)]
pub struct LeaderboardEntry {
    /// Competition rank: equal scores share a rank (1, 2, 2, 4).
    pub rank: u32,
    pub user_id: Uuid,
    pub display_name: String,
    /// The value ranked on (after the cap).
    pub score: f64,
    pub points: i64,
    pub human_clicks: i64,
    pub shares: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = RecognitionLeaderboard)]
pub struct Leaderboard {
    pub metric: Metric,
    pub scope: Scope,
    pub team_id: Option<Uuid>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub cap: Option<i64>,
    pub min_shares: i64,
    /// People ranked (all of whom chose to show their rank).
    pub ranked: u64,
    pub entries: Vec<LeaderboardEntry>,
    /// Whether the caller shows their rank; only then is `me` filled in.
    pub me_ranked: bool,
    /// The caller's own entry, even when outside the listed entries.
    pub me: Option<LeaderboardEntry>,
}

/// Ranks people by the metric over the window; `members` limits who may appear.
#[allow(clippy::too_many_arguments)]
pub async fn rank(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    members: Option<&BTreeSet<Uuid>>,
    metric: Metric,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    cap: Option<i64>,
    min_shares: i64,
) -> AppResult<Vec<LeaderboardEntry>> {
    let mut people = consent::ranked_people(db, org_id).await?;
    if let Some(members) = members {
        people.retain(|p| members.contains(p));
    }
    let names: HashMap<Uuid, String> = user::Entity::find_in(org_id)
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::DisplayName)
        .filter(user::Column::Status.eq(user::ACTIVE))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(id, _)| people.contains(id))
        .collect();
    let ids: Vec<Uuid> = names.keys().copied().collect();
    let mut stats: HashMap<Uuid, (i64, i64, i64)> = HashMap::new();
    for chunk in ids.chunks(500) {
        let shares: Vec<(Option<Uuid>, i64)> = share::Entity::find_in(org_id)
            .select_only()
            .column(share::Column::UserId)
            .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
            .filter(share::Column::UserId.is_in(chunk.to_vec()))
            .filter(share::Column::CreatedAt.gte(from))
            .filter(share::Column::CreatedAt.lt(to))
            .group_by(share::Column::UserId)
            .into_tuple()
            .all(db)
            .await?;
        for (u, n) in shares {
            if let Some(u) = u {
                stats.entry(u).or_default().2 = n;
            }
        }
        let clicks: Vec<(Option<Uuid>, i64)> = reach_daily::Entity::find_in(org_id)
            .select_only()
            .column(reach_daily::Column::UserId)
            .column_as(
                Expr::cust("CAST(COALESCE(SUM(human_clicks), 0) AS BIGINT)"),
                "n",
            )
            .filter(reach_daily::Column::UserId.is_in(chunk.to_vec()))
            .filter(reach_daily::Column::Day.gte(day_of(from)))
            .filter(reach_daily::Column::Day.lte(day_of(to)))
            .group_by(reach_daily::Column::ShareId)
            .group_by(reach_daily::Column::UserId)
            .into_tuple()
            .all(db)
            .await?;
        for (u, n) in clicks {
            if let Some(u) = u {
                let counted = match (metric, cap) {
                    (Metric::HumanClicks | Metric::ClicksPerShare, Some(cap)) => n.min(cap),
                    _ => n,
                };
                stats.entry(u).or_default().1 += counted;
            }
        }
        let points: Vec<(Uuid, i64)> = points_entry::Entity::find()
            .select_only()
            .column(points_account::Column::OwnerId)
            .column_as(
                Expr::cust("CAST(COALESCE(SUM(points_entries.amount), 0) AS BIGINT)"),
                "n",
            )
            .join(
                JoinType::InnerJoin,
                points_entry::Entity::belongs_to(points_account::Entity)
                    .from(points_entry::Column::AccountId)
                    .to(points_account::Column::Id)
                    .into(),
            )
            .join(
                JoinType::InnerJoin,
                points_entry::Entity::belongs_to(points_transaction::Entity)
                    .from(points_entry::Column::TransactionId)
                    .to(points_transaction::Column::Id)
                    .into(),
            )
            .filter(points_entry::Column::OrgId.eq(org_id))
            .filter(points_account::Column::Kind.eq(kind::EARNED))
            .filter(points_account::Column::OwnerId.is_in(chunk.to_vec()))
            .filter(points_transaction::Column::Kind.is_in([
                tx::RULE_AWARD,
                tx::THANKS,
                tx::SPOT_AWARD,
            ]))
            .filter(points_entry::Column::Amount.gt(0))
            .filter(points_entry::Column::CreatedAt.gte(from))
            .filter(points_entry::Column::CreatedAt.lt(to))
            .group_by(points_account::Column::OwnerId)
            .into_tuple()
            .all(db)
            .await?;
        for (u, n) in points {
            stats.entry(u).or_default().0 = n;
        }
    }
    let mut entries: Vec<LeaderboardEntry> = names
        .into_iter()
        .filter_map(|(user_id, display_name)| {
            let (points, human_clicks, shares) = stats.get(&user_id).copied().unwrap_or_default();
            let capped = |v: i64| cap.map_or(v, |c| v.min(c)) as f64;
            let score = match metric {
                Metric::Points => capped(points),
                Metric::Shares => capped(shares),
                Metric::HumanClicks => human_clicks as f64,
                Metric::ClicksPerShare => {
                    if shares < min_shares.max(1) {
                        return None;
                    }
                    (human_clicks as f64 / shares as f64 * 100.0).round() / 100.0
                }
            };
            Some(LeaderboardEntry {
                rank: 0,
                user_id,
                display_name,
                score,
                points,
                human_clicks,
                shares,
            })
        })
        .collect();
    entries.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.display_name.cmp(&b.display_name))
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
    competition_ranks(&mut entries);
    Ok(entries)
}

/// Equal scores share a rank and the next rank skips: 1, 2, 2, 4.
fn competition_ranks(entries: &mut [LeaderboardEntry]) {
    let mut previous: Option<f64> = None;
    let mut rank = 0;
    for (i, e) in entries.iter_mut().enumerate() {
        if previous != Some(e.score) {
            rank = i as u32 + 1;
            previous = Some(e.score);
        }
        e.rank = rank;
    }
}

/// People in a team and its sub-teams (by their current team).
async fn members_of(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    teams: &BTreeSet<Uuid>,
) -> AppResult<BTreeSet<Uuid>> {
    let mut out = BTreeSet::new();
    let list: Vec<Uuid> = teams.iter().copied().collect();
    for chunk in list.chunks(500) {
        out.extend(
            user::Entity::find_in(org_id)
                .select_only()
                .column(user::Column::Id)
                .filter(user::Column::TeamId.is_in(chunk.to_vec()))
                .into_tuple::<Uuid>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The leaderboard of opted-in colleagues who show their rank. Nobody else ever appears or is
/// counted. `?format=csv` answers the listed entries as CSV.
#[utoipa::path(get, path = "/api/v1/recognition/leaderboard", tag = "recognition", security(("bearer" = [])),
    params(LeaderboardQuery),
    responses((status = 200, body = Leaderboard, description = "JSON, or CSV with `format=csv`"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn get_leaderboard(
    State(state): State<AppState>,
    user: AuthUser,
    AppQuery(q): AppQuery<LeaderboardQuery>,
) -> AppResult<Response> {
    let metric = q.metric.unwrap_or(Metric::Points);
    let scope = q.scope.unwrap_or(Scope::Organisation);
    let days = q.days.unwrap_or(30);
    if !(1..=state.config.advocacy.max_window_days).contains(&days) {
        return Err(AppError::field(
            "days",
            format!(
                "must be between 1 and {}",
                state.config.advocacy.max_window_days
            ),
        ));
    }
    if q.cap.is_some_and(|c| c < 1) {
        return Err(AppError::field("cap", "must be at least 1"));
    }
    let min_shares = q.min_shares.unwrap_or(1);
    if !(1..=10_000).contains(&min_shares) {
        return Err(AppError::field("min_shares", "must be between 1 and 10000"));
    }
    let limit = q.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(AppError::field("limit", "must be between 1 and 100"));
    }
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(AppError::field("format", "must be json or csv")),
    };
    let db = &state.db;
    let members = match scope {
        Scope::Organisation => None,
        Scope::Team => {
            let team_id = q
                .team_id
                .ok_or_else(|| AppError::field("team_id", "is required for scope team"))?;
            team::Entity::find_one_in(user.org_id, team_id)
                .one(db)
                .await?
                .ok_or(AppError::NotFound)?;
            let all: Vec<(Uuid, Option<Uuid>)> = team::Entity::find_in(user.org_id)
                .select_only()
                .column(team::Column::Id)
                .column(team::Column::ParentId)
                .into_tuple()
                .all(db)
                .await?;
            let teams = crate::people::teams::subtree(&all, &[team_id]);
            let allowed = user.has(Role::Admin)
                || user.team_id.is_some_and(|t| teams.contains(&t))
                || (user.has(Role::Manager)
                    && managed_subtree(db, user.org_id, user.user_id)
                        .await?
                        .contains(&team_id));
            if !allowed {
                return Err(AppError::Forbidden);
            }
            Some(members_of(db, user.org_id, &teams).await?)
        }
        Scope::ManagedTeams => {
            if !user.has(Role::Manager) {
                return Err(AppError::Forbidden);
            }
            let teams = managed_subtree(db, user.org_id, user.user_id).await?;
            Some(members_of(db, user.org_id, &teams).await?)
        }
    };
    let to = Utc::now();
    let from = to - Duration::days(days);
    let all = rank(
        db,
        user.org_id,
        members.as_ref(),
        metric,
        from,
        to,
        q.cap,
        min_shares,
    )
    .await?;
    let me_ranked = consent::allows_ranking(db, user.org_id, user.user_id).await?;
    let me = if me_ranked {
        all.iter().find(|e| e.user_id == user.user_id).cloned()
    } else {
        None
    };
    let ranked = all.len() as u64;
    let entries: Vec<LeaderboardEntry> = all.into_iter().take(limit as usize).collect();
    if csv {
        let mut rows = vec![
            [
                "rank",
                "user_id",
                "display_name",
                "score",
                "points",
                "human_clicks",
                "shares",
            ]
            .map(String::from)
            .to_vec(),
        ];
        rows.extend(entries.iter().map(|e| {
            vec![
                e.rank.to_string(),
                e.user_id.to_string(),
                e.display_name.clone(),
                e.score.to_string(),
                e.points.to_string(),
                e.human_clicks.to_string(),
                e.shares.to_string(),
            ]
        }));
        return Ok(super::csv_response("leaderboard", rows));
    }
    Ok(Json(Leaderboard {
        metric,
        scope,
        team_id: q.team_id,
        from,
        to,
        cap: q.cap,
        min_shares,
        ranked,
        entries,
        me_ranked,
        me,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_a_rank_and_the_next_rank_skips() {
        let mut entries: Vec<LeaderboardEntry> = [9.0, 5.0, 5.0, 2.0, 2.0, 1.0]
            .into_iter()
            .map(|score| LeaderboardEntry {
                rank: 0,
                user_id: Uuid::now_v7(),
                display_name: String::new(),
                score,
                points: 0,
                human_clicks: 0,
                shares: 0,
            })
            .collect();
        competition_ranks(&mut entries);
        let ranks: Vec<u32> = entries.iter().map(|e| e.rank).collect();
        assert_eq!(ranks, vec![1, 2, 2, 4, 4, 6]);
    }
}
