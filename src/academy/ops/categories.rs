//! What can be done with course categories (API and console).

use crate::academy::rules;
use crate::academy::store::categories::{self as store, Category};
use crate::audit::Actor;
use crate::auth::{Caller, Right};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};

/// Adds a category for the caller: the union must be visible (else 404) and
/// the caller an admin over it (Right::Orgs, else 403); then the name is checked.
pub async fn create_for(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    name: &str,
) -> AppResult<Category> {
    let org_id = org_id.ok_or_else(|| AppError::invalid("org_id", "请指定工会 org_id"))?;
    let org = crate::org::store::writable(&s.db, &c.access(Right::Orgs), org_id)
        .await
        .map_err(|e| match e {
            AppError::Forbidden(_) => {
                AppError::Forbidden("添加课程类别需该工会（或上级工会）的管理员账号".into())
            }
            other => other,
        })?;
    let name = rules::parse_category(name).map_err(|e| AppError::invalid("name", e))?;
    store::create(&s.db, &Actor::of(c), &org, &name).await
}

/// The categories a union's courses may be filed under, for the union asked
/// for (a member: its own union, or one above it) or the caller's own.
pub async fn offered(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
) -> AppResult<(i64, Vec<Category>)> {
    let own = match c.member_id {
        Some(_) if !c.can(Right::Read) => Some(crate::auth::checks::own_member(s, c).await?),
        _ => None,
    };
    let (id, path) = match (org_id, &own) {
        (None, Some(m)) => (m.org_id, m.org_path.clone()),
        (Some(id), Some(m)) => {
            // A member sees its own union and those above it.
            let org =
                crate::org::store::get(&s.db, &crate::auth::Scope::offered_to(&m.org_path), id)
                    .await?;
            (org.id, org.path)
        }
        (asked, None) => {
            let org = crate::auth::checks::viewed_org(s, c, asked).await?;
            (org.id, org.path)
        }
    };
    Ok((id, store::offered_on_path(&s.db, &path).await?))
}
