//! Creating organisations and their first administrator (the `create-admin` command and the
//! demo seed).

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::{Role, normalise_email},
    entities::{organisation, user},
    error::{AppError, AppResult},
};

/// A URL-friendly identifier from an organisation name.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// Finds an organisation by name (via its slug) or creates it.
pub async fn find_or_create(
    db: &impl ConnectionTrait,
    name: &str,
) -> AppResult<organisation::Model> {
    let slug = slugify(name);
    if slug.is_empty() {
        return Err(AppError::field("org", "must contain letters or digits"));
    }
    if let Some(org) = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(&slug))
        .one(db)
        .await?
    {
        return Ok(org);
    }
    let org = organisation::Model {
        id: Uuid::new_v4(),
        name: name.trim().to_owned(),
        slug,
        created_at: Utc::now(),
    };
    organisation::Entity::insert(organisation::ActiveModel {
        id: Set(org.id),
        name: Set(org.name.clone()),
        slug: Set(org.slug.clone()),
        created_at: Set(org.created_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(org)
}

/// Creates an organisation (if new) and an administrator in it, or makes an existing member of
/// that organisation an administrator with the given password.
pub async fn create_admin(
    db: &impl ConnectionTrait,
    org_name: &str,
    email: &str,
    password_hash: String,
    display_name: Option<&str>,
) -> AppResult<(organisation::Model, Uuid)> {
    let email = normalise_email(email)
        .ok_or_else(|| AppError::field("email", "must be an email address"))?;
    let org = find_or_create(db, org_name).await?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?;
    let user_id = match existing {
        Some(found) if found.org_id != org.id => {
            return Err(AppError::conflict(
                "email_in_use",
                "This email address belongs to an account in another organisation.",
            ));
        }
        Some(found) => {
            crate::auth::routes::set_password(db, org.id, found.id, password_hash).await?;
            found.id
        }
        None => {
            let name = display_name
                .map(str::to_owned)
                .unwrap_or_else(|| email.split('@').next().unwrap_or("Admin").to_owned());
            super::users::insert(db, org.id, &email, &name, Some(password_hash), None).await?
        }
    };
    super::users::grant(db, org.id, user_id, &[Role::Employee, Role::Admin]).await?;
    Ok((org, user_id))
}
