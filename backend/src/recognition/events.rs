//! The recognition event inbox: durable facts that reward rules react to.
//!
//! Places that cause a fact write it with [`emit`] in the same transaction as the change
//! (a share created or published, engagement reported, a network linked, thanks received), so an
//! event exists exactly when its cause was committed. Facts that are thresholds over counters
//! (a share's human clicks or unique visitors reaching a milestone) are derived from the reach
//! rollup by [`derive_reach_milestones`], which the rules job runs before evaluating. Every
//! event has a dedupe key unique per organisation, so emitting a fact twice stores it once.
//! Rules are evaluated later by the scheduled `rules` job, never inside the request.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    entities::{recognition_event, share, share_reach},
    error::AppResult,
};

/// Event kinds.
pub mod kind {
    pub const SHARE_CREATED: &str = "share_created";
    pub const SHARE_PUBLISHED: &str = "share_published";
    pub const ENGAGEMENT_REPORTED: &str = "engagement_reported";
    pub const HUMAN_CLICKS_REACHED: &str = "human_clicks_reached";
    pub const UNIQUE_VISITORS_REACHED: &str = "unique_visitors_reached";
    pub const NETWORK_LINKED: &str = "network_linked";
    pub const THANKS_RECEIVED: &str = "thanks_received";
    /// The first share of an ISO week; units are the consecutive weeks with a share ending in
    /// that week.
    pub const WEEKLY_STREAK: &str = "weekly_streak";
    pub const ALL: [&str; 8] = [
        SHARE_CREATED,
        SHARE_PUBLISHED,
        ENGAGEMENT_REPORTED,
        HUMAN_CLICKS_REACHED,
        UNIQUE_VISITORS_REACHED,
        NETWORK_LINKED,
        THANKS_RECEIVED,
        WEEKLY_STREAK,
    ];
}

/// Milestones at which click and visitor events are derived; rules with a threshold trigger
/// name one of them.
pub const MILESTONES: [i64; 15] = [
    1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000,
];

/// A fact to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub org_id: Uuid,
    pub kind: &'static str,
    /// The person the fact is about (and whom rules award).
    pub user_id: Uuid,
    pub team_id: Option<Uuid>,
    /// Unique per organisation: the same fact emitted twice is stored once.
    pub dedupe_key: String,
    /// Quantity for per-unit awards (engagement, milestone value, points received…).
    pub units: i64,
    /// Attributes rules can filter on: `network`, `campaign_id`, `post_id`, `share_id`,
    /// `tags`, `first`, `personalised`, `milestone`, `value_id`.
    pub payload: Value,
    pub occurred_at: DateTime<Utc>,
}

/// Stores an event in the caller's transaction; false when it was already stored.
pub async fn emit(db: &impl ConnectionTrait, event: NewEvent) -> AppResult<bool> {
    Ok(emit_many(db, vec![event]).await? > 0)
}

/// Most events written by one statement (each takes 11 bind parameters; SQLite allows 32,766).
const EMIT_ROWS: usize = 1_000;

/// Stores events in multi-row statements (a milestone pass can find thousands); those whose
/// dedupe key the organisation already has are skipped. Answers how many were new.
pub async fn emit_many(db: &impl ConnectionTrait, events: Vec<NewEvent>) -> AppResult<usize> {
    let mut new = 0;
    let mut events = events.into_iter().peekable();
    while events.peek().is_some() {
        let rows: Vec<recognition_event::ActiveModel> = events
            .by_ref()
            .take(EMIT_ROWS)
            .map(|event| recognition_event::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(event.org_id),
                kind: Set(event.kind.to_owned()),
                user_id: Set(event.user_id),
                team_id: Set(event.team_id),
                dedupe_key: Set(event.dedupe_key),
                units: Set(event.units),
                payload: Set(event.payload),
                occurred_at: Set(event.occurred_at),
                created_at: Set(Utc::now()),
                processed_at: Set(None),
            })
            .collect();
        let inserted = recognition_event::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([
                recognition_event::Column::OrgId,
                recognition_event::Column::DedupeKey,
            ])
            .exec_without_returning(db)
            .await?;
        if let sea_orm::TryInsertResult::Inserted(n) = inserted {
            new += usize::try_from(n).unwrap_or(usize::MAX);
        }
    }
    Ok(new)
}

/// The attributes of a share that rules filter on.
pub fn share_payload(share: &share::Model, tags: &Value, first: bool) -> Value {
    json!({
        "share_id": share.id,
        "post_id": share.post_id,
        "campaign_id": share.campaign_id,
        "network": share.network,
        "personalised": share.personalised,
        "tags": tags,
        "first": first,
    })
}

/// The reach totals (human clicks, unique visitors) per share with which this server last
/// emitted every milestone a share had reached, so that the rules job looks again only at
/// shares whose totals have moved since. Events are deduplicated in the database, so a server
/// that starts empty, or whose totals are older than another server's, only does more work.
#[derive(Default)]
pub struct MilestoneMemo(std::sync::Mutex<HashMap<Uuid, (i64, i64)>>);

/// Emits milestone events for shares whose human clicks or unique visitors (their running
/// totals in `share_reach`) crossed a milestone. Only shares clicked on the last two days are
/// looked at (older shares cannot have new clicks), and of those only the ones whose totals
/// moved since `memo` last saw them. Answers how many events were new.
pub async fn derive_reach_milestones(
    db: &impl ConnectionTrait,
    memo: &MilestoneMemo,
) -> AppResult<usize> {
    let since = crate::advocacy::day_of(Utc::now() - Duration::days(1));
    let totals: Vec<(Uuid, i64, i64)> = reach_totals()
        .filter(share_reach::Column::LastDay.gte(since))
        .into_tuple()
        .all(db)
        .await?;
    let moved: Vec<(Uuid, i64, i64)> = match memo.0.lock() {
        Ok(seen) => totals
            .iter()
            .filter(|(id, human, visitors)| seen.get(id) != Some(&(*human, *visitors)))
            .copied()
            .collect(),
        Err(_) => totals.clone(),
    };
    let new = milestones_from(db, &moved).await?;
    if let Ok(mut seen) = memo.0.lock() {
        *seen = totals
            .into_iter()
            .map(|(id, human, visitors)| (id, (human, visitors)))
            .collect();
    }
    Ok(new)
}

/// Shares' running reach totals: (share, human clicks, unique visitors).
fn reach_totals() -> sea_orm::Select<share_reach::Entity> {
    share_reach::Entity::find().select_only().columns([
        share_reach::Column::ShareId,
        share_reach::Column::HumanClicks,
        share_reach::Column::UniqueVisitors,
    ])
}

/// Emits the milestone events that these shares' reach totals have reached (after a bulk load).
pub async fn milestones_for(db: &impl ConnectionTrait, shares: &[Uuid]) -> AppResult<usize> {
    let mut totals = Vec::with_capacity(shares.len());
    for chunk in shares.chunks(100) {
        let found: Vec<(Uuid, i64, i64)> = reach_totals()
            .filter(share_reach::Column::ShareId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        totals.extend(found);
    }
    milestones_from(db, &totals).await
}

/// Emits the milestone events that shares with these totals (share, human clicks, unique
/// visitors) have reached. The rules job calls this every few seconds for every share clicked
/// in the last two days, so the events a share already has are read first (one query per
/// organisation and chunk) and only the milestones crossed since are inserted: a busy day's
/// shares cost a read, not thousands of inserts that the dedupe key would discard.
async fn milestones_from(
    db: &impl ConnectionTrait,
    totals: &[(Uuid, i64, i64)],
) -> AppResult<usize> {
    let mut new = 0;
    for chunk in totals.chunks(100) {
        let ids: Vec<Uuid> = chunk.iter().map(|(id, ..)| *id).collect();
        let shares = share::Entity::find()
            .filter(share::Column::Id.is_in(ids))
            .all(db)
            .await?;
        // Every milestone reached, per organisation: (share, kind, milestone, dedupe key).
        let mut reached: BTreeMap<Uuid, Vec<(&share::Model, &'static str, i64, String)>> =
            BTreeMap::new();
        for &(share_id, human, visitors) in chunk {
            let Some(share) = shares.iter().find(|s| s.id == share_id) else {
                continue;
            };
            if share.user_id.is_none() {
                continue;
            }
            for (event_kind, total, label) in [
                (kind::HUMAN_CLICKS_REACHED, human, "clicks"),
                (kind::UNIQUE_VISITORS_REACHED, visitors, "visitors"),
            ] {
                for milestone in MILESTONES.iter().copied().filter(|m| *m <= total) {
                    reached.entry(share.org_id).or_default().push((
                        share,
                        event_kind,
                        milestone,
                        format!("{label}:{}:{milestone}", share.id),
                    ));
                }
            }
        }
        for (org_id, candidates) in reached {
            let existing: HashSet<String> = recognition_event::Entity::find()
                .select_only()
                .column(recognition_event::Column::DedupeKey)
                .filter(recognition_event::Column::OrgId.eq(org_id))
                .filter(
                    recognition_event::Column::DedupeKey
                        .is_in(candidates.iter().map(|(.., key)| key.clone())),
                )
                .into_tuple()
                .all(db)
                .await?
                .into_iter()
                .collect();
            let mut events = Vec::new();
            for (share, event_kind, milestone, dedupe_key) in candidates {
                let Some(user_id) = share.user_id else {
                    continue;
                };
                if existing.contains(&dedupe_key) {
                    continue;
                }
                let mut payload = share_payload(share, &Value::Null, false);
                payload["milestone"] = json!(milestone);
                events.push(NewEvent {
                    org_id,
                    kind: event_kind,
                    user_id,
                    team_id: share.team_id,
                    dedupe_key,
                    units: milestone,
                    payload,
                    occurred_at: Utc::now(),
                });
            }
            new += emit_many(db, events).await?;
        }
    }
    Ok(new)
}

/// `share_created`, marking a person's first share, and `weekly_streak` for the first share
/// of an ISO week (called in the share's transaction, after the insert, so the new share itself
/// is counted).
pub async fn share_created(
    db: &impl ConnectionTrait,
    share: &share::Model,
    tags: &Value,
) -> AppResult<()> {
    let Some(user_id) = share.user_id else {
        return Ok(());
    };
    let (count, weeks) =
        super::badges::share_weeks(db, share.org_id, Some(&[user_id]), Some(share.created_at))
            .await?
            .remove(&user_id)
            .unwrap_or_default();
    let payload = share_payload(share, tags, count <= 1);
    emit(
        db,
        NewEvent {
            org_id: share.org_id,
            kind: kind::SHARE_CREATED,
            user_id,
            team_id: share.team_id,
            dedupe_key: format!("share_created:{}", share.id),
            units: 1,
            payload: payload.clone(),
            occurred_at: share.created_at,
        },
    )
    .await?;
    let streak = super::badges::streak_ending(&weeks, share.created_at).max(1);
    let week = super::PeriodKind::Week.period(share.created_at).key;
    let mut payload = payload;
    payload["streak_weeks"] = json!(streak);
    payload["week"] = json!(week);
    emit(
        db,
        NewEvent {
            org_id: share.org_id,
            kind: kind::WEEKLY_STREAK,
            user_id,
            team_id: share.team_id,
            dedupe_key: format!("weekly_streak:{user_id}:{week}"),
            units: streak,
            payload,
            occurred_at: share.created_at,
        },
    )
    .await?;
    Ok(())
}

/// `share_published` ("I posted it"), once per share.
pub async fn share_published(db: &impl ConnectionTrait, share: &share::Model) -> AppResult<()> {
    let Some(user_id) = share.user_id else {
        return Ok(());
    };
    emit(
        db,
        NewEvent {
            org_id: share.org_id,
            kind: kind::SHARE_PUBLISHED,
            user_id,
            team_id: share.team_id,
            dedupe_key: format!("share_published:{}", share.id),
            units: 1,
            payload: share_payload(share, &Value::Null, false),
            occurred_at: Utc::now(),
        },
    )
    .await?;
    Ok(())
}

/// `engagement_reported`, one per report, with reactions + comments + reshares as units.
pub async fn engagement_reported(
    db: &impl ConnectionTrait,
    share: &share::Model,
    report_id: Uuid,
    engagement: i64,
) -> AppResult<()> {
    let Some(user_id) = share.user_id else {
        return Ok(());
    };
    emit(
        db,
        NewEvent {
            org_id: share.org_id,
            kind: kind::ENGAGEMENT_REPORTED,
            user_id,
            team_id: share.team_id,
            dedupe_key: format!("engagement:{report_id}"),
            units: engagement,
            payload: share_payload(share, &Value::Null, false),
            occurred_at: Utc::now(),
        },
    )
    .await?;
    Ok(())
}

/// `network_linked`, the first time a person links a network.
pub async fn network_linked(
    db: &impl ConnectionTrait,
    user: &crate::http::extract::AuthUser,
    network: &str,
    at: DateTime<Utc>,
) -> AppResult<()> {
    emit(
        db,
        NewEvent {
            org_id: user.org_id,
            kind: kind::NETWORK_LINKED,
            user_id: user.user_id,
            team_id: user.team_id,
            dedupe_key: format!("network_linked:{}:{network}", user.user_id),
            units: 1,
            payload: json!({ "network": network }),
            occurred_at: at,
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::PaginatorTrait;

    use super::*;

    /// Many events go in several statements; a key the organisation already has is stored once
    /// and not counted as new.
    #[tokio::test]
    async fn many_events_are_stored_once_each_across_statements() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (db, org, person) = crate::db::scratch(dir.path(), "events.db").await;
        let event = |key: usize| NewEvent {
            org_id: org,
            kind: kind::HUMAN_CLICKS_REACHED,
            user_id: person,
            team_id: None,
            dedupe_key: format!("clicks:{key}"),
            units: 1,
            payload: json!({ "milestone": 1 }),
            occurred_at: Utc::now(),
        };
        assert!(emit(&db, event(7)).await.expect("one event"));
        let many: Vec<NewEvent> = (0..EMIT_ROWS * 2 + 500).map(event).collect();
        let new = emit_many(&db, many).await.expect("events");
        assert_eq!(new, EMIT_ROWS * 2 + 500 - 1, "key 7 was stored already");
        let stored = recognition_event::Entity::find()
            .count(&db)
            .await
            .expect("count");
        assert_eq!(stored, u64::try_from(EMIT_ROWS * 2 + 500).expect("fits"));
        let again = emit_many(&db, (0..EMIT_ROWS + 1).map(event).collect())
            .await
            .expect("again");
        assert_eq!(again, 0);
        assert!(!emit(&db, event(3)).await.expect("repeat"));
    }
}
