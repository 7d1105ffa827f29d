//! Demo recognition data for `chorus seed-demo`: company values, an allowance policy, reward
//! rules (activated over the seeded history, so the rules job awards points for it), peer
//! thanks, spot awards, a rewards catalogue and redemptions in every state — so every
//! recognition view is populated on first run. Everything goes through the ledger.

use chrono::{Duration, Utc};
use rand::{Rng, rngs::StdRng, seq::SliceRandom};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    PeriodKind, badges,
    events::{self, NewEvent},
    ledger::{self, Posting, kind, tx},
    rewards, rules,
    thanks::fund_period_account,
};
use crate::{
    entities::{
        allowance_policy, badge, company_value, redemption, reward, reward_rule,
        reward_rule_version, share, thanks, user,
    },
    tenancy::OrgScoped,
};

const VALUES: [(&str, &str); 4] = [
    ("Customer first", "We start from what the customer needs."),
    ("Own it", "We take responsibility and follow through."),
    ("Better together", "We help each other succeed."),
    ("Keep learning", "We share what we learn."),
];

const BADGES: [(&str, &str, badges::Criterion, i64); 6] = [
    (
        "First share",
        "Shared company news for the first time.",
        badges::Criterion::Shares,
        1,
    ),
    (
        "On a roll",
        "Shared something four weeks in a row.",
        badges::Criterion::WeeklyStreak,
        4,
    ),
    (
        "Crowd puller",
        "Your shares brought 1,000 people to our content.",
        badges::Criterion::HumanClicks,
        1000,
    ),
    (
        "Generous",
        "Thanked a colleague for the first time.",
        badges::Criterion::ThanksGiven,
        1,
    ),
    (
        "Appreciated",
        "Thanked by colleagues five times.",
        badges::Criterion::ThanksReceived,
        5,
    ),
    (
        "Connected",
        "Linked a social network.",
        badges::Criterion::NetworksLinked,
        1,
    ),
];

const MESSAGES: [&str; 8] = [
    "Thanks for jumping in on the customer call — you saved the day.",
    "Your write-up made the launch so much easier to explain.",
    "Thank you for reviewing my work so carefully.",
    "Great demo today, the team loved it!",
    "Thanks for sharing the launch post, it brought us three new leads.",
    "You made onboarding the new hire a breeze.",
    "Thank you for staying late to fix the release.",
    "Your workshop was brilliant — I learned a lot.",
];

const CATALOGUE: [(&str, &str, i64, Option<i64>); 5] = [
    (
        "Coffee voucher",
        "A coffee on the company, anywhere.",
        50,
        None,
    ),
    (
        "Company hoodie",
        "The good one, in your size.",
        300,
        Some(40),
    ),
    (
        "Extra half day off",
        "Take an afternoon for yourself.",
        800,
        Some(20),
    ),
    (
        "Donation to charity",
        "We donate 10 € to a charity you pick.",
        100,
        None,
    ),
    (
        "Conference ticket",
        "A ticket to a conference of your choice.",
        2500,
        Some(3),
    ),
];

/// Seeds recognition for the demo organisation. Answers a one-line summary.
pub async fn seed(
    db: &DatabaseConnection,
    org_id: Uuid,
    rng: &mut StdRng,
) -> anyhow::Result<String> {
    let err = |e: crate::error::AppError| anyhow::anyhow!("seeding recognition failed: {e}");
    let now = Utc::now();
    let people: Vec<user::Model> = user::Entity::find_in(org_id)
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?;
    if people.len() < 3 {
        return Ok("no recognition data (too few people)".into());
    }

    // Events for the seeded shares (seeded directly, not through the share endpoints).
    let shares = share::Entity::find_in(org_id)
        .order_by_asc(share::Column::CreatedAt)
        .all(db)
        .await?;
    let txn = crate::db::begin_write(db).await?;
    let mut seen = std::collections::HashSet::new();
    for s in &shares {
        let Some(user_id) = s.user_id else { continue };
        let first = seen.insert(user_id);
        events::emit(
            &txn,
            NewEvent {
                org_id,
                kind: events::kind::SHARE_CREATED,
                user_id,
                team_id: s.team_id,
                dedupe_key: format!("share_created:{}", s.id),
                units: 1,
                payload: events::share_payload(s, &serde_json::Value::Null, first),
                occurred_at: s.created_at,
            },
        )
        .await
        .map_err(err)?;
        if let Some(at) = s.published_at {
            events::emit(
                &txn,
                NewEvent {
                    org_id,
                    kind: events::kind::SHARE_PUBLISHED,
                    user_id,
                    team_id: s.team_id,
                    dedupe_key: format!("share_published:{}", s.id),
                    units: 1,
                    payload: events::share_payload(s, &serde_json::Value::Null, false),
                    occurred_at: at,
                },
            )
            .await
            .map_err(err)?;
        }
    }
    let ids: Vec<Uuid> = shares.iter().map(|s| s.id).collect();
    events::milestones_for(&txn, &ids).await.map_err(err)?;

    // Values and the allowance policy.
    let mut value_ids = Vec::new();
    for (name, description) in VALUES {
        let id = Uuid::now_v7();
        company_value::Entity::insert(company_value::ActiveModel {
            id: Set(id),
            org_id: Set(org_id),
            name: Set(name.into()),
            description: Set(description.into()),
            active: Set(true),
            created_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        value_ids.push((id, name));
    }
    allowance_policy::Entity::insert(allowance_policy::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        team_id: Set(None),
        role: Set(None),
        period: Set("month".into()),
        amount: Set(100),
        created_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;

    // Reward rules, active over the last 90 days.
    let admin = people
        .iter()
        .find(|p| p.email.starts_with("admin@"))
        .map(|p| p.id);
    let documents = [
        (
            "Shared and posted",
            json!({ "trigger": "share_published", "award": { "mode": "fixed", "points": 10 }, "multipliers": { "campaign": true }, "caps": { "day": 30 } }),
            None,
        ),
        (
            "First share",
            json!({ "trigger": "first_share", "award": { "mode": "fixed", "points": 50 } }),
            None,
        ),
        (
            "10 human clicks",
            json!({ "trigger": "human_clicks_reached", "threshold": 10, "award": { "mode": "fixed", "points": 25 }, "caps": { "week": 100 } }),
            Some(20_000),
        ),
    ];
    for (name, document, budget) in documents {
        let id = Uuid::now_v7();
        reward_rule::Entity::insert(reward_rule::ActiveModel {
            id: Set(id),
            org_id: Set(org_id),
            name: Set(name.into()),
            status: Set(rules::ACTIVE.into()),
            current_version: Set(1),
            budget: Set(budget),
            budget_alerted: Set(false),
            created_by: Set(admin),
            created_at: Set(now - Duration::days(90)),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        reward_rule_version::Entity::insert(reward_rule_version::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org_id),
            rule_id: Set(id),
            version: Set(1),
            document: Set(document),
            starts_at: Set(now - Duration::days(91)),
            backfill_pending: Set(false),
            created_by: Set(admin),
            created_at: Set(now - Duration::days(90)),
        })
        .exec_without_returning(&txn)
        .await?;
    }

    // Thanks: each from this month's allowance.
    let period = PeriodKind::Month.period(now);
    let mut given = std::collections::HashMap::<Uuid, i64>::new();
    let mut thanks_count = 0;
    for _ in 0..60 {
        let pair: Vec<&user::Model> = people.choose_multiple(rng, 2).collect();
        let (giver, recipient) = (pair[0], pair[1]);
        let points = [0, 5, 10, 10, 20, 25][rng.gen_range(0..6)];
        if given.get(&giver.id).copied().unwrap_or(0) + points > 100 {
            continue;
        }
        *given.entry(giver.id).or_insert(0) += points;
        let id = Uuid::now_v7();
        let at = now - Duration::minutes(rng.gen_range(0..60 * 24 * 10));
        let at = at.max(period.start);
        let mut transaction_id = None;
        if points > 0 {
            let (giving, _) = fund_period_account(
                &txn,
                org_id,
                kind::GIVING,
                tx::ALLOWANCE,
                giver.id,
                &period.key,
                100,
            )
            .await
            .map_err(err)?;
            let earned = ledger::account(&txn, org_id, kind::EARNED, recipient.id, "")
                .await
                .map_err(err)?;
            transaction_id = Some(
                ledger::post(
                    &txn,
                    Posting::transfer(
                        org_id,
                        tx::THANKS,
                        format!("thanks:{id}"),
                        giving.id,
                        earned.id,
                        points,
                    )
                    .actor(Some(giver.id))
                    .reason(format!("Thanks from {}", giver.display_name))
                    .explain(
                        json!({ "thanks_id": id, "giver_id": giver.id, "period": period.key }),
                    ),
                )
                .await
                .map_err(err)?
                .id(),
            );
        }
        let value = value_ids.choose(rng).filter(|_| rng.gen_bool(0.7));
        thanks::Entity::insert(thanks::ActiveModel {
            id: Set(id),
            org_id: Set(org_id),
            giver_id: Set(giver.id),
            recipient_id: Set(recipient.id),
            points: Set(points),
            message: Set(MESSAGES[rng.gen_range(0..MESSAGES.len())].into()),
            value_id: Set(value.map(|v| v.0)),
            private: Set(rng.gen_bool(0.1)),
            period: Set(period.key.clone()),
            transaction_id: Set(transaction_id),
            created_at: Set(at),
        })
        .exec_without_returning(&txn)
        .await?;
        events::emit(
            &txn,
            NewEvent {
                org_id,
                kind: events::kind::THANKS_RECEIVED,
                user_id: recipient.id,
                team_id: recipient.team_id,
                dedupe_key: format!("thanks:{id}"),
                units: points,
                payload: json!({ "thanks_id": id, "giver_id": giver.id, "tags": value.map(|v| vec![v.1]).unwrap_or_default() }),
                occurred_at: at,
            },
        )
        .await
        .map_err(err)?;
        thanks_count += 1;
    }

    // The catalogue.
    let mut catalogue = Vec::new();
    for (name, description, cost, stock) in CATALOGUE {
        let id = Uuid::now_v7();
        reward::Entity::insert(reward::ActiveModel {
            id: Set(id),
            org_id: Set(org_id),
            name: Set(name.into()),
            description: Set(description.into()),
            cost: Set(cost),
            stock: Set(stock),
            per_user_limit: Set(if cost >= 800 { 1 } else { 0 }),
            limit_period: Set("quarter".into()),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        catalogue.push((id, cost));
    }
    for (name, description, criterion, threshold) in BADGES {
        badge::Entity::insert(badge::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org_id),
            name: Set(name.into()),
            description: Set(description.into()),
            criterion: Set(criterion.as_str().into()),
            threshold: Set(threshold),
            status: Set(badges::ACTIVE.into()),
            version: Set(1),
            created_by: Set(admin),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;

    // Award the rules over the history, as the scheduled job would.
    let done = rules::process(db).await.map_err(err)?;
    let (awards, points) = (done.awards, done.points);
    // And the badges, as the scheduled `badges` job would.
    let txn = crate::db::begin_write(db).await?;
    let badge_awards = badges::evaluate(&txn, org_id, None, now)
        .await
        .map_err(err)?;
    txn.commit().await?;

    // Redemptions by people who can afford them, in every state.
    let txn = crate::db::begin_write(db).await?;
    let clearing = ledger::org_account(&txn, org_id, kind::CLEARING)
        .await
        .map_err(err)?;
    let expense = ledger::org_account(&txn, org_id, kind::EXPENSE)
        .await
        .map_err(err)?;
    let mut redemptions = 0;
    for (n, person) in people.iter().enumerate() {
        let balance = ledger::balance(&txn, org_id, kind::EARNED, person.id, "")
            .await
            .map_err(err)?;
        let Some(&(reward_id, cost)) = catalogue.iter().rfind(|(_, c)| *c <= balance) else {
            continue;
        };
        let id = Uuid::now_v7();
        let earned = ledger::account(&txn, org_id, kind::EARNED, person.id, "")
            .await
            .map_err(err)?;
        ledger::post(
            &txn,
            Posting::transfer(
                org_id,
                tx::REDEMPTION_HOLD,
                format!("redemption:{id}:hold"),
                earned.id,
                clearing.id,
                cost,
            )
            .actor(Some(person.id))
            .reason("Redemption")
            .explain(json!({ "redemption_id": id, "reward_id": reward_id, "cost": cost })),
        )
        .await
        .map_err(err)?;
        let status = [rewards::REQUESTED, rewards::APPROVED, rewards::FULFILLED][n % 3];
        if status != rewards::REQUESTED {
            ledger::post(
                &txn,
                Posting::transfer(
                    org_id,
                    tx::REDEMPTION_SETTLE,
                    format!("redemption:{id}:settle"),
                    clearing.id,
                    expense.id,
                    cost,
                )
                .actor(admin)
                .reason("Redemption approved")
                .explain(json!({ "redemption_id": id, "reward_id": reward_id, "cost": cost })),
            )
            .await
            .map_err(err)?;
        }
        redemption::Entity::insert(redemption::ActiveModel {
            id: Set(id),
            org_id: Set(org_id),
            reward_id: Set(reward_id),
            user_id: Set(person.id),
            cost: Set(cost),
            status: Set(status.into()),
            period: Set(PeriodKind::Quarter.period(now).key),
            note: Set(None),
            decided_by: Set(if status == rewards::REQUESTED {
                None
            } else {
                admin
            }),
            decided_at: Set(if status == rewards::REQUESTED {
                None
            } else {
                Some(now)
            }),
            created_at: Set(now - Duration::hours(n as i64)),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        reward::Entity::update_many()
            .col_expr(
                reward::Column::Stock,
                sea_orm::sea_query::ExprTrait::sub(
                    sea_orm::sea_query::Expr::col(reward::Column::Stock),
                    1,
                ),
            )
            .filter(reward::Column::Id.eq(reward_id))
            .filter(reward::Column::Stock.gte(1))
            .exec(&txn)
            .await?;
        redemptions += 1;
        if redemptions >= 12 {
            break;
        }
    }
    txn.commit().await?;
    Ok(format!(
        "Recognition: {} values, 3 rules ({awards} awards, {points} points), {thanks_count} thanks, {} rewards, {redemptions} redemptions, {} badges ({badge_awards} awarded).",
        VALUES.len(),
        CATALOGUE.len(),
        BADGES.len()
    ))
}
