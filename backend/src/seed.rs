//! The demo organisation: a realistic team tree with over two hundred people, managers, an
//! editor and an administrator, all sharing one printed demo password; and ninety days of
//! advocacy — campaigns, posts, opted-in advocates (not everyone), linked networks, shares and
//! a stream of human and bot clicks written through the same recorder as live traffic.

use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::{auth::Role, entities::organisation, people};

pub const DEMO_ORG: &str = "Demo Company";
pub const DEMO_PASSWORD: &str = "chorus-demo-password";
const DOMAIN: &str = "demo.chorus.test";

const DEPARTMENTS: &[(&str, &[&str])] = &[
    ("Engineering", &["Platform", "Mobile", "Data"]),
    ("Sales", &["Sales EMEA", "Sales Americas", "Sales APAC"]),
    ("Marketing", &["Content", "Events", "Brand"]),
    ("Customer Success", &["Support", "Onboarding"]),
    ("People & Operations", &["People", "Finance", "Operations"]),
];

const FIRST: &[&str] = &[
    "Amara", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kavya",
    "Liam", "Maya", "Nico", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wen",
    "Ximena", "Yusuf", "Zoe", "Aditi", "Bruno", "Carmen", "Dmitri", "Efua", "Felix",
];
const LAST: &[&str] = &[
    "Okafor",
    "Schmidt",
    "Nguyen",
    "Patel",
    "Rossi",
    "García",
    "Kowalski",
    "Tanaka",
    "Silva",
    "Johansson",
    "Haddad",
    "Murphy",
    "Chen",
    "Dubois",
    "Novak",
    "Mensah",
    "Larsen",
    "Costa",
    "Yilmaz",
    "Fischer",
    "Ibrahim",
    "Moreau",
];

struct Person {
    email: String,
    name: String,
}

fn person(rng: &mut StdRng, used: &mut std::collections::BTreeSet<String>) -> Person {
    loop {
        let first = FIRST.choose(rng).copied().unwrap_or("Alex");
        let last = LAST.choose(rng).copied().unwrap_or("Smith");
        let base = format!(
            "{}.{}",
            first.to_lowercase(),
            last.to_lowercase().replace('í', "i").replace('ç', "c")
        );
        let n: u32 = rng.gen_range(0..100);
        let local = if used.contains(&format!("{base}@{DOMAIN}")) {
            format!("{base}{n}")
        } else {
            base
        };
        let email = format!("{local}@{DOMAIN}");
        if used.insert(email.clone()) {
            return Person {
                email,
                name: format!("{first} {last}"),
            };
        }
    }
}

pub async fn seed_demo(db: &DatabaseConnection, if_empty: bool) -> anyhow::Result<()> {
    let slug = people::orgs::slugify(DEMO_ORG);
    let exists = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(&slug))
        .one(db)
        .await?
        .is_some();
    if exists {
        if if_empty {
            print_credentials();
            return Ok(());
        }
        anyhow::bail!("the demo organisation already exists (use --if-empty to skip)");
    }
    let hash = crate::auth::password::hash(DEMO_PASSWORD.to_owned()).await?;
    let mut rng = StdRng::seed_from_u64(2026);
    let mut used = std::collections::BTreeSet::new();
    let txn = crate::db::begin_write(db).await?;
    let err = |e: crate::error::AppError| anyhow::anyhow!("seeding failed: {e}");
    let org = people::orgs::find_or_create(&txn, DEMO_ORG)
        .await
        .map_err(err)?;
    let root = people::teams::insert(&txn, org.id, "Demo Company", None)
        .await
        .map_err(err)?;

    let named = |local: &str, name: &str| Person {
        email: format!("{local}@{DOMAIN}"),
        name: name.to_owned(),
    };
    let admin = named("admin", "Alex Admin");
    let editor = named("editor", "Eddie Editor");
    let manager = named("manager", "Morgan Manager");
    let employee = named("employee", "Emma Employee");
    for p in [&admin, &editor, &manager, &employee] {
        used.insert(p.email.clone());
    }
    let ceo = person(&mut rng, &mut used);
    let ceo_id = people::users::insert(
        &txn,
        org.id,
        &ceo.email,
        &ceo.name,
        Some(hash.clone()),
        Some(root),
    )
    .await
    .map_err(err)?;
    people::users::grant(&txn, org.id, ceo_id, &[Role::Employee])
        .await
        .map_err(err)?;
    people::teams::set_managers(&txn, org.id, root, &[ceo_id])
        .await
        .map_err(err)?;

    let mut total = 1;
    for (index, (department, teams)) in DEPARTMENTS.iter().enumerate() {
        let dept_id = people::teams::insert(&txn, org.id, department, Some(root))
            .await
            .map_err(err)?;
        let head = if index == 0 {
            manager.clone_person()
        } else {
            person(&mut rng, &mut used)
        };
        let head_id = people::users::insert(
            &txn,
            org.id,
            &head.email,
            &head.name,
            Some(hash.clone()),
            Some(dept_id),
        )
        .await
        .map_err(err)?;
        people::users::grant(&txn, org.id, head_id, &[Role::Employee])
            .await
            .map_err(err)?;
        people::teams::set_managers(&txn, org.id, dept_id, &[head_id])
            .await
            .map_err(err)?;
        total += 1;
        for team in teams.iter() {
            let team_id = people::teams::insert(&txn, org.id, team, Some(dept_id))
                .await
                .map_err(err)?;
            let size = rng.gen_range(12..18);
            for i in 0..size {
                let member = match (index, *team, i) {
                    (0, "Platform", 1) => employee.clone_person(),
                    (2, "Content", 1) => editor.clone_person(),
                    (4, "People", 1) => admin.clone_person(),
                    _ => person(&mut rng, &mut used),
                };
                let id = people::users::insert(
                    &txn,
                    org.id,
                    &member.email,
                    &member.name,
                    Some(hash.clone()),
                    Some(team_id),
                )
                .await
                .map_err(err)?;
                let mut roles = vec![Role::Employee];
                if member.email == editor.email {
                    roles.push(Role::Editor);
                }
                if member.email == admin.email {
                    roles.push(Role::Admin);
                }
                people::users::grant(&txn, org.id, id, &roles)
                    .await
                    .map_err(err)?;
                if i == 0 {
                    people::teams::set_managers(&txn, org.id, team_id, &[id])
                        .await
                        .map_err(err)?;
                }
                total += 1;
            }
        }
    }
    txn.commit().await?;
    let activity = seed_advocacy(db, org.id, &mut rng).await?;
    println!("{activity}");
    println!(
        "{}",
        crate::recognition::seed::seed(db, org.id, &mut rng).await?
    );
    println!(
        "Seeded \"{DEMO_ORG}\" with {total} people in {} teams.",
        1 + DEPARTMENTS.iter().map(|(_, t)| 1 + t.len()).sum::<usize>()
    );
    print_credentials();
    Ok(())
}

impl Person {
    fn clone_person(&self) -> Person {
        Person {
            email: self.email.clone(),
            name: self.name.clone(),
        }
    }
}

fn print_credentials() {
    println!("Demo sign-in (password for every demo account: {DEMO_PASSWORD}):");
    println!("  admin     admin@{DOMAIN}");
    println!("  manager   manager@{DOMAIN}   (manages Engineering)");
    println!("  editor    editor@{DOMAIN}");
    println!("  employee  employee@{DOMAIN}");
}

const POSTS: &[(&str, &str, &[&str])] = &[
    (
        "We're hiring: 40 new roles across Engineering",
        "https://demo.chorus.test/careers",
        &["hiring", "careers"],
    ),
    (
        "Our Q3 sustainability report is out",
        "https://demo.chorus.test/blog/sustainability-q3",
        &["sustainability"],
    ),
    (
        "Customer story: how Northwind cut onboarding time in half",
        "https://demo.chorus.test/customers/northwind",
        &["customers"],
    ),
    (
        "Introducing the analytics platform 2.0",
        "https://demo.chorus.test/product/analytics-2",
        &["product", "launch"],
    ),
    (
        "Join us at the Berlin developer meetup",
        "https://demo.chorus.test/events/berlin-meetup",
        &["events", "engineering"],
    ),
    (
        "What we learned running 10,000 migrations",
        "https://demo.chorus.test/blog/10k-migrations",
        &["engineering"],
    ),
    (
        "Demo Company named a best place to work",
        "https://demo.chorus.test/news/best-place-to-work",
        &["culture"],
    ),
    (
        "Webinar: privacy by design in practice",
        "https://demo.chorus.test/webinars/privacy-by-design",
        &["privacy", "events"],
    ),
    (
        "New office opening in Lisbon",
        "https://demo.chorus.test/news/lisbon-office",
        &["culture", "hiring"],
    ),
    (
        "Release notes: faster dashboards, dark mode",
        "https://demo.chorus.test/product/release-notes-11",
        &["product"],
    ),
    (
        "Our open-source contributions this year",
        "https://demo.chorus.test/blog/open-source-year",
        &["engineering", "culture"],
    ),
    (
        "Partner announcement: Contoso integration",
        "https://demo.chorus.test/news/contoso-partnership",
        &["partners"],
    ),
    (
        "Case study: Fabrikam's global rollout",
        "https://demo.chorus.test/customers/fabrikam",
        &["customers"],
    ),
    (
        "Mentoring programme: apply by Friday",
        "https://demo.chorus.test/careers/mentoring",
        &["careers"],
    ),
    (
        "The State of Advocacy 2026 survey results",
        "https://demo.chorus.test/research/state-of-advocacy",
        &["research"],
    ),
    (
        "Hack week highlights",
        "https://demo.chorus.test/blog/hack-week",
        &["engineering", "culture"],
    ),
    (
        "Holiday giving campaign: match our donations",
        "https://demo.chorus.test/news/holiday-giving",
        &["community"],
    ),
    (
        "Product tour: the new mobile app",
        "https://demo.chorus.test/product/mobile-tour",
        &["product", "launch"],
    ),
];

const BOTS: &[&str] = &[
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "WhatsApp/2.23.20.0 A",
];

/// Ninety days of advocacy activity for the demo organisation.
async fn seed_advocacy(
    db: &DatabaseConnection,
    org: uuid::Uuid,
    rng: &mut StdRng,
) -> anyhow::Result<String> {
    use chrono::{Duration, Utc};
    use sea_orm::{ActiveValue::Set, QuerySelect};
    use uuid::Uuid;

    use crate::{
        advocacy::{
            classify::ClickClass,
            consent::set_consent,
            recorder::{NewClick, write_batch},
        },
        entities::{campaign, emv_setting, network_profile, post, post_suggestion, share, user},
    };
    let err = |e: crate::error::AppError| anyhow::anyhow!("seeding failed: {e}");
    let now = Utc::now();
    let start = now - Duration::days(90);
    let people: Vec<(Uuid, Option<Uuid>, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::TeamId)
        .column(user::Column::Email)
        .filter(user::Column::OrgId.eq(org))
        .into_tuple()
        .all(db)
        .await?;
    let editor = people
        .iter()
        .find(|p| p.2.starts_with("editor@"))
        .map(|p| p.0);

    for (network, cpc, cpm) in [
        ("linkedin", 2.5, 28.0),
        ("x", 0.9, 6.5),
        ("facebook", 1.1, 9.0),
        ("bluesky", 0.8, 5.0),
    ] {
        emv_setting::Entity::insert(emv_setting::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org),
            network: Set(network.into()),
            cpc: Set(cpc),
            cpm: Set(cpm),
            currency: Set("EUR".into()),
            effective_from: Set(start - Duration::days(30)),
            created_by: Set(None),
            created_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
    }

    let mut campaigns = Vec::new();
    for (name, slug, from, to, goal, multiplier) in [
        (
            "Summer hiring push",
            "summer-hiring-push",
            88,
            Some(45),
            4000,
            1.5,
        ),
        (
            "Analytics 2.0 launch",
            "analytics-2-0-launch",
            40,
            None,
            6000,
            2.0,
        ),
        ("Holiday giving", "holiday-giving", 12, None, 1500, 1.0),
    ] {
        let id = Uuid::now_v7();
        campaign::Entity::insert(campaign::ActiveModel {
            id: Set(id),
            org_id: Set(org),
            name: Set(name.into()),
            slug: Set(slug.into()),
            description: Set(format!(
                "{name}: share the posts of this campaign with your network."
            )),
            starts_at: Set(now - Duration::days(from)),
            ends_at: Set(to.map(|d| now - Duration::days(d))),
            goal_human_clicks: Set(Some(goal)),
            points_multiplier: Set(multiplier),
            target_team_ids: Set(serde_json::json!([])),
            created_by: Set(editor),
            created_at: Set(now - Duration::days(from)),
            updated_at: Set(now - Duration::days(from)),
            archived_at: Set(None),
        })
        .exec_without_returning(db)
        .await?;
        campaigns.push((id, from));
    }

    // Posts spread over the 90 days; a couple of drafts, one scheduled, one archived.
    let mut posts: Vec<(Uuid, chrono::DateTime<Utc>, Option<Uuid>)> = Vec::new();
    for (i, (title, url, tags)) in POSTS.iter().enumerate() {
        let id = Uuid::now_v7();
        let age = 88 - (i as i64 * 5);
        let published_at = now - Duration::days(age.max(1)) + Duration::hours(rng.gen_range(0..8));
        let campaign_id = campaigns
            .iter()
            .rev()
            .find(|(_, from)| *from >= age)
            .map(|(id, _)| *id);
        let status = match i {
            16 => crate::advocacy::posts::ARCHIVED,
            _ => crate::advocacy::posts::PUBLISHED,
        };
        post::Entity::insert(post::ActiveModel {
            id: Set(id),
            org_id: Set(org),
            title: Set((*title).into()),
            url: Set((*url).into()),
            summary: Set(format!("{title}. Read more on our site.")),
            image_url: Set(None),
            tags: Set(serde_json::json!(tags)),
            suggested_texts: Set(serde_json::json!({
                "linkedin": format!("{title} — proud to be part of this team. Take a look:"),
                "x": format!("{title} 👇"),
                "facebook": format!("{title}. Have a look!"),
            })),
            campaign_id: Set(campaign_id),
            target_team_ids: Set(serde_json::json!([])),
            status: Set(status.into()),
            publish_at: Set(None),
            expires_at: Set(None),
            published_at: Set(Some(published_at)),
            created_by: Set(editor),
            suggested_by: Set(None),
            created_at: Set(published_at - Duration::hours(2)),
            updated_at: Set(published_at),
        })
        .exec_without_returning(db)
        .await?;
        posts.push((id, published_at, campaign_id));
    }
    for (title, status, publish_at) in [
        ("Draft: Q4 results teaser", "draft", None),
        (
            "Upcoming: New year kickoff",
            "scheduled",
            Some(now + Duration::days(7)),
        ),
    ] {
        post::Entity::insert(post::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org),
            title: Set(title.into()),
            url: Set("https://demo.chorus.test/news/upcoming".into()),
            summary: Set(String::new()),
            image_url: Set(None),
            tags: Set(serde_json::json!([])),
            suggested_texts: Set(serde_json::json!({})),
            campaign_id: Set(None),
            target_team_ids: Set(serde_json::json!([])),
            status: Set(status.into()),
            publish_at: Set(publish_at),
            expires_at: Set(None),
            published_at: Set(None),
            created_by: Set(editor),
            suggested_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
    }
    for (i, (suggester, _, _)) in people.iter().take(30).step_by(10).enumerate() {
        post_suggestion::Entity::insert(post_suggestion::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org),
            suggested_by: Set(*suggester),
            title: Set([
                "Our podcast episode on remote work",
                "Talk recording from RustConf",
                "Team volunteering day photos",
            ][i % 3]
                .into()),
            url: Set(format!("https://demo.chorus.test/suggested/{i}")),
            summary: Set("Worth sharing, I think!".into()),
            status: Set("pending".into()),
            reviewed_by: Set(None),
            review_note: Set(None),
            post_id: Set(None),
            created_at: Set(now - Duration::days(i as i64 + 1)),
            reviewed_at: Set(None),
        })
        .exec_without_returning(db)
        .await?;
    }

    // About 55 % opt in (the named demo accounts always do); 60 % of them show their rank.
    let mut advocates = Vec::new();
    for (id, team, email) in &people {
        let named = ["employee@", "manager@", "editor@"]
            .iter()
            .any(|p| email.starts_with(p));
        if named || rng.gen_bool(0.55) {
            let joined = start + Duration::days(rng.gen_range(0..30));
            set_consent(
                db,
                org,
                *id,
                true,
                Some("2026-11".into()),
                Some(named || rng.gen_bool(0.6)),
                joined,
            )
            .await
            .map_err(err)?;
            advocates.push((*id, *team, joined));
        }
    }
    // A few opted out again; their history stays.
    for (id, _, joined) in advocates.iter().skip(7).step_by(19) {
        set_consent(
            db,
            org,
            *id,
            false,
            None,
            Some(false),
            *joined + Duration::days(40),
        )
        .await
        .map_err(err)?;
    }

    let mut shares_made = 0usize;
    let mut clicks_made = 0usize;
    let mut batch: Vec<NewClick> = Vec::new();
    for (user_id, team_id, joined) in &advocates {
        // Audience sizes vary widely; a few people have very large followings.
        let linkedin = (rng.gen_range(4.5f64..8.6)).exp() as i64;
        let mut networks = vec![("linkedin", linkedin)];
        if rng.gen_bool(0.35) {
            networks.push(("x", (rng.gen_range(3.0f64..8.0)).exp() as i64));
        }
        if rng.gen_bool(0.2) {
            networks.push(("facebook", rng.gen_range(80..900)));
        }
        if rng.gen_bool(0.1) {
            networks.push(("bluesky", rng.gen_range(40..600)));
        }
        for (network, audience) in &networks {
            network_profile::Entity::insert(network_profile::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(org),
                user_id: Set(*user_id),
                network: Set((*network).into()),
                handle: Set(format!("demo-{}", &user_id.simple().to_string()[..8])),
                profile_url: Set(None),
                audience_size: Set(*audience),
                source: Set("self_reported".into()),
                as_of: Set(*joined),
                created_at: Set(*joined),
                updated_at: Set(*joined),
            })
            .exec_without_returning(db)
            .await?;
        }
        let activity: f64 = rng.gen_range(0.0..1.0);
        for (post_id, published_at, campaign_id) in &posts {
            if *published_at < *joined || !rng.gen_bool(0.08 + activity * 0.35) {
                continue;
            }
            let (network, audience) = networks[rng.gen_range(0..networks.len())];
            let created_at = *published_at + Duration::minutes(rng.gen_range(5..(60 * 48)));
            if created_at > now {
                continue;
            }
            let share_id = Uuid::now_v7();
            let published = rng.gen_bool(0.7);
            let impressions = if published {
                (audience as f64 * rng.gen_range(0.3..1.6)) as i64
            } else {
                0
            };
            share::Entity::insert(share::ActiveModel {
                id: Set(share_id),
                org_id: Set(org),
                user_id: Set(Some(*user_id)),
                post_id: Set(*post_id),
                campaign_id: Set(*campaign_id),
                team_id: Set(*team_id),
                network: Set(network.into()),
                code: Set(crate::advocacy::shares::new_code()),
                audience_size: Set(audience),
                text: Set("Proud to be part of this team. Take a look:".into()),
                personalised: Set(rng.gen_bool(0.3)),
                status: Set(if published { "published" } else { "intended" }.into()),
                public_url: Set(published
                    .then(|| format!("https://www.{network}.com/posts/{}", share_id.simple()))),
                sharer_visitor_hash: Set(None),
                impressions: Set(impressions),
                reactions: Set(if published {
                    impressions / rng.gen_range(20..60)
                } else {
                    0
                }),
                comments: Set(if published {
                    impressions / rng.gen_range(150..400)
                } else {
                    0
                }),
                reshares: Set(if published {
                    impressions / rng.gen_range(300..900)
                } else {
                    0
                }),
                engagement_source: Set(published.then(|| "employee".to_owned())),
                created_at: Set(created_at),
                published_at: Set(published.then_some(created_at)),
            })
            .exec_without_returning(db)
            .await?;
            shares_made += 1;
            // Previews arrive at once; people click over the following days, fewer each day.
            let base = NewClick {
                org_id: org,
                share_id,
                post_id: *post_id,
                campaign_id: *campaign_id,
                team_id: *team_id,
                user_id: Some(*user_id),
                network: network.into(),
                clicked_at: created_at,
                visitor_hash: String::new(),
                referrer_host: Some(format!("www.{network}.com")),
                class: ClickClass::Bot,
            };
            for _ in 0..rng.gen_range(1..4) {
                let bot = BOTS[rng.gen_range(0..BOTS.len())];
                batch.push(NewClick {
                    visitor_hash: format!("{:032x}", rng.r#gen::<u128>()),
                    referrer_host: Some(bot.split('/').next().unwrap_or("bot").to_lowercase()),
                    ..base.clone()
                });
            }
            let humans = ((audience as f64).sqrt() * rng.gen_range(0.2..1.4)) as i64;
            let visitors: Vec<String> = (0..(humans.max(1) as f64 * 0.8).ceil() as usize)
                .map(|_| format!("{:032x}", rng.r#gen::<u128>()))
                .collect();
            for _ in 0..humans {
                let delay = Duration::minutes(
                    (rng.gen_range(0.0f64..1.0).powi(3) * 60.0 * 24.0 * 6.0) as i64,
                );
                let at = created_at + delay;
                if at > now {
                    continue;
                }
                let visitor = visitors[rng.gen_range(0..visitors.len())].clone();
                batch.push(NewClick {
                    clicked_at: at,
                    visitor_hash: visitor,
                    class: ClickClass::Human,
                    ..base.clone()
                });
            }
            if rng.gen_bool(0.15) {
                batch.push(NewClick {
                    visitor_hash: format!("{:032x}", rng.r#gen::<u128>()),
                    class: ClickClass::SelfClick,
                    ..base.clone()
                });
            }
            if batch.len() >= 2000 {
                clicks_made += batch.len();
                let refs: Vec<&NewClick> = batch.iter().collect();
                write_batch(db, &refs).await?;
                batch.clear();
            }
        }
    }
    clicks_made += batch.len();
    let refs: Vec<&NewClick> = batch.iter().collect();
    write_batch(db, &refs).await?;
    Ok(format!(
        "Advocacy: {} campaigns, {} posts, {} advocates opted in, {shares_made} shares, {clicks_made} clicks over 90 days.",
        campaigns.len(),
        POSTS.len() + 2,
        advocates.len()
    ))
}
