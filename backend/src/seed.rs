//! The demo organisation: a realistic team tree with over two hundred people, managers, an
//! editor and an administrator, all sharing one printed demo password.

use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};

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
    let txn = db.begin().await?;
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
