//! The dashboard of one organisation's subtree: every program's figures for
//! it and for each of its children, as the list of programs contributes them.

use crate::auth::{Caller, Right};
use crate::program::{Figure, Period, Subtree};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

/// At most this many children get a row: a town with thousands of
/// enterprise unions directly under it shows the first ones and says so.
pub const MAX_CHILDREN: i64 = 200;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DashboardQuery {
    /// The organisation whose subtree is shown (default: the caller's own union).
    pub org_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgRef {
    pub id: i64,
    pub name: String,
}

/// Figures under one heading.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub title: String,
    pub figures: Vec<Figure>,
}

/// One child organisation and its figures (the same keys as the parent's).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChildRow {
    pub org: OrgRef,
    pub figures: Vec<Figure>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub org: OrgRef,
    /// The unions above it that the caller sees, the top first.
    pub above: Vec<OrgRef>,
    /// The day the figures are of (Beijing), `YYYY-MM-DD`.
    pub date: String,
    pub groups: Vec<Group>,
    pub children: Vec<ChildRow>,
    /// How many children there are (rows stop at `MAX_CHILDREN`).
    pub children_total: i64,
}

pub async fn dashboard(s: &AppState, c: &Caller, org_id: Option<i64>) -> AppResult<Dashboard> {
    if !c.can(Right::Read) {
        return Err(AppError::Forbidden("数据看板供工会工作人员使用".into()));
    }
    let org = crate::auth::checks::viewed_org(s, c, org_id).await?;
    let scope = c.scope(Right::Read);
    let (children, children_total) = crate::org::store::list(
        &s.db,
        &scope,
        None,
        Some(org.id),
        crate::db::Paging::new(Some(1), Some(MAX_CHILDREN)),
    )
    .await?;
    let mut above = vec![];
    for path in crate::org::rules::ancestor_paths(&org.path) {
        if path == org.path {
            continue;
        }
        let id = path
            .trim_matches('/')
            .rsplit('/')
            .next()
            .and_then(|v| v.parse().ok());
        if let Some(id) = id {
            match crate::org::store::get(&s.db, &scope, id).await {
                Ok(a) => above.push(OrgRef {
                    id: a.id,
                    name: a.name,
                }),
                // A union above the caller's own: not theirs to see.
                Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let subtrees: Vec<Subtree> = std::iter::once(&org)
        .chain(children.iter())
        .map(|o| Subtree {
            org_id: o.id,
            scope: scope.narrowed_to(&o.path),
        })
        .collect();
    let today = crate::db::format_ms(crate::db::now_ms())
        .get(..10)
        .unwrap_or("1970-01-01")
        .to_string();
    let period = Period::of(&today);
    // Each program's figures for every subtree; groups of one title merge.
    let mut per_subtree: Vec<Vec<Figure>> = vec![vec![]; subtrees.len()];
    let mut groups: Vec<Group> = vec![];
    for source in &crate::program::registry().figures {
        let found = (source.compute)(s, &subtrees, &period).await?;
        let own = found.first().cloned().unwrap_or_default();
        match groups.iter_mut().find(|g| g.title == source.group) {
            Some(g) => g.figures.extend(own),
            None => groups.push(Group {
                title: source.group.to_string(),
                figures: own,
            }),
        }
        for (row, figures) in per_subtree.iter_mut().zip(found) {
            row.extend(figures);
        }
    }
    let children = children
        .iter()
        .zip(per_subtree.into_iter().skip(1))
        .map(|(o, figures)| ChildRow {
            org: OrgRef {
                id: o.id,
                name: o.name.clone(),
            },
            figures: figures
                .into_iter()
                .filter(|f| f.distribution.is_none())
                .collect(),
        })
        .collect();
    Ok(Dashboard {
        org: OrgRef {
            id: org.id,
            name: org.name,
        },
        above,
        date: today,
        groups,
        children,
        children_total,
    })
}
