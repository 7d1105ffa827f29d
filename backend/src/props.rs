//! Property tests for the parsers and evaluators that take user input: reward-rule documents
//! and their evaluation, share text similarity, user-agent classification and cron schedules in
//! the configuration. Each must answer any input without panicking; cheap properties are
//! checked on top. Case counts are bounded so the whole module runs in seconds.
//! (CSV import is covered next to its private parser in `people::import`.)

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    advocacy::{classify::is_bot, similarity::similarity},
    config::Config,
    recognition::rules::{Engine, Event, RuleDocument, RuleRun, base_points},
};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn trigger() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "share_created",
        "share_published",
        "first_share",
        "campaign_share",
        "engagement_reported",
        "human_clicks_reached",
        "unique_visitors_reached",
        "network_linked",
        "thanks_received",
    ])
}

fn edge_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -5i64..2_000,
        Just(i64::MAX),
        Just(i64::MIN),
        Just(0)
    ]
}

fn edge_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        0.0f64..100.0,
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE)
    ]
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_000_000_000).prop_map(|s| Utc.timestamp_opt(s, 0).single().unwrap_or_default())
}

/// Documents shaped like rules, with values anywhere in their types' ranges.
fn rule_json() -> impl Strategy<Value = Value> {
    (
        trigger(),
        prop::option::of(edge_i64()),
        (prop::bool::ANY, edge_i64(), prop::option::of(edge_i64()), prop::bool::ANY),
        prop::collection::vec((time(), time(), edge_f64()), 0..3),
        (prop::option::of(edge_i64()), prop::option::of(edge_i64()), prop::option::of(edge_i64())),
        (prop::collection::vec("[a-zA-Z]{0,6}", 0..3), prop::option::of(edge_i64()), prop::bool::ANY),
        prop::bool::ANY,
    )
        .prop_map(
            |(trigger, threshold, (per_unit, points, ceiling, diminishing), windows, caps, (tags, min_units, personalised), campaign)| {
                json!({
                    "trigger": trigger,
                    "threshold": threshold,
                    "conditions": { "tags": tags, "min_units": min_units, "personalised_only": personalised },
                    "award": {
                        "mode": if per_unit { "per_unit" } else { "fixed" },
                        "points": points, "ceiling": ceiling, "diminishing": diminishing,
                    },
                    "multipliers": {
                        "campaign": campaign,
                        "windows": windows.iter().map(|(from, to, factor)| json!({
                            "from": from, "to": to, "factor": factor,
                        })).collect::<Vec<_>>(),
                    },
                    "caps": { "day": caps.0, "week": caps.1, "month": caps.2 },
                })
            },
        )
}

fn event() -> impl Strategy<Value = Event> {
    (
        trigger(),
        edge_i64(),
        any_json(),
        time(),
        any::<bool>(),
        edge_i64(),
        any::<bool>(),
    )
        .prop_map(|(kind, units, extra, at, first, milestone, personalised)| {
            let kind = match kind {
                "first_share" | "campaign_share" => "share_created",
                other => other,
            };
            Event {
                id: Uuid::new_v4(),
                org_id: Uuid::nil(),
                kind: kind.to_owned(),
                user_id: Uuid::nil(),
                team_id: None,
                units,
                payload: json!({
                    "first": first, "milestone": milestone, "personalised": personalised,
                    "campaign_id": Uuid::nil(), "tags": ["a", "B"], "network": "linkedin",
                    "extra": extra,
                }),
                occurred_at: at,
            }
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_json_as_a_rule_document_never_panics(doc in any_json()) {
        if let Ok(doc) = serde_json::from_value::<RuleDocument>(doc) {
            let _ = doc.validate();
        }
    }

    #[test]
    fn valid_rules_award_within_caps_and_budget(
        doc in rule_json(),
        events in prop::collection::vec(event(), 1..8),
        budget in prop::option::of(0i64..10_000),
        multiplier in edge_f64(),
    ) {
        let Ok(document) = serde_json::from_value::<RuleDocument>(doc) else {
            return Ok(());
        };
        // Unvalidated documents are evaluated too (the preview runs before saving).
        let mut campaigns = HashMap::new();
        campaigns.insert(Uuid::nil(), multiplier);
        for e in &events {
            if let Some((points, _)) = base_points(&document, e, &campaigns) {
                prop_assert!(points >= 0);
            }
        }
        if document.validate().is_err() {
            return Ok(());
        }
        let run = RuleRun {
            rule_id: Uuid::nil(),
            version: 1,
            name: "rule".into(),
            document: document.clone(),
            starts_at: Utc.timestamp_opt(0, 0).single().unwrap_or_default() - Duration::days(1),
            budget,
        };
        let mut engine = Engine::default();
        engine.campaigns = campaigns;
        let mut total = 0i64;
        for e in &events {
            if let Some(decision) = engine.decide(&run, e) {
                prop_assert!(decision.points >= 0 && decision.points <= decision.requested.max(0));
                for cap in [document.caps.day, document.caps.week, document.caps.month].into_iter().flatten() {
                    prop_assert!(decision.points <= cap);
                }
                total += decision.points;
            }
        }
        if let Some(budget) = budget {
            prop_assert!(total <= budget, "awarded {total} over a budget of {budget}");
        }
    }

    #[test]
    fn similarity_is_symmetric_and_bounded(a in ".{0,200}", b in ".{0,200}") {
        let ab = similarity(&a, &b);
        let ba = similarity(&b, &a);
        prop_assert!((0.0..=1.0).contains(&ab), "{ab}");
        prop_assert!((ab - ba).abs() < 1e-12);
        prop_assert!((similarity(&a, &a) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn similarity_of_word_texts(a in "([a-z#@]{1,6}[ .,!]{1,2}){0,40}", b in "([a-z]{1,6} ){0,40}") {
        let s = similarity(&a, &b);
        prop_assert!((0.0..=1.0).contains(&s));
        prop_assert!((similarity(&a, &format!("{a} https://example.com/x")) - 1.0).abs() < 1e-12,
            "links do not change the text");
    }

    #[test]
    fn user_agent_classification_never_panics(ua in prop::option::of(".{0,300}"), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let verdict = is_bot(ua.as_deref());
        if let Some(ua) = &ua {
            prop_assert_eq!(verdict, is_bot(Some(&ua.to_ascii_uppercase())), "case does not matter");
            prop_assert!(is_bot(Some(&format!("{ua} Googlebot/2.1"))), "a crawler marker is a bot");
        }
        let _ = is_bot(Some(&String::from_utf8_lossy(&bytes)));
    }

    #[test]
    fn cron_settings_are_accepted_or_refused_with_the_key(
        expr in prop_oneof![
            ".{0,40}",
            "([0-9*/,-]{1,6} ){5,7}",
            "((\\*|[0-9]{1,3})(/[0-9]{1,3})? ){6}(\\*|[0-9]{1,5}|[A-Z]{3})",
        ],
    ) {
        let loaded = Config::from_overrides(json!({
            "data_dir": "/tmp/chorus-props",
            "jobs": { "housekeeping": expr },
        }));
        match loaded {
            Ok(config) => {
                for (_, schedule) in config.schedules() {
                    let _ = schedule.upcoming(Utc).take(2).count();
                    let _ = schedule.after(&Utc.timestamp_opt(0, 0).single().unwrap_or_default()).next();
                }
            }
            Err(err) => prop_assert!(err.to_string().contains("jobs.housekeeping"), "{err}"),
        }
    }
}
