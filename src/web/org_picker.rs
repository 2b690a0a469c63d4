//! The organisation picker of the console's forms: the unions a caller may
//! choose, indented as a tree.

use crate::state::AppState;
use crate::web::error::AppError;

pub struct OrgOption {
    pub id: i64,
    pub label: String,
}

/// The organisations a caller may pick in a form, indented as a tree.
pub async fn org_options(
    s: &AppState,
    scope: &crate::auth::Scope,
) -> Result<Vec<OrgOption>, AppError> {
    let orgs = crate::org::store::tree(&s.db, scope).await?;
    let base = orgs.iter().map(|o| o.depth()).min().unwrap_or(0);
    Ok(orgs
        .into_iter()
        .map(|o| OrgOption {
            id: o.id,
            label: format!("{}{}", "　".repeat(o.depth() - base), o.name),
        })
        .collect())
}
