//! The checks every program shares, in one place: "may this caller write at
//! that union", "the caller's own member", and the 404-versus-403 decision (a
//! record out of sight is not found; one in sight without the right is
//! forbidden). Handlers of one program never call another program's handlers
//! for these.

use super::{Caller, Right, Scope};
use crate::member::store::Member;
use crate::org::store::Org;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};

/// A union the caller sees (else 404) and holds `right` over (else 403).
pub async fn writable_org(s: &AppState, c: &Caller, org_id: i64, right: Right) -> AppResult<Org> {
    let org = crate::org::store::get(&s.db, &c.scope(Right::Read), org_id).await?;
    if !c.scope(right).covers_path(&org.path) {
        return Err(AppError::forbidden());
    }
    Ok(org)
}

/// The union a list or a form is about: the one asked for, or the caller's
/// own; seen by the caller (else 404).
pub async fn viewed_org(s: &AppState, c: &Caller, org_id: Option<i64>) -> AppResult<Org> {
    let id = org_id
        .or(c.home_org())
        .ok_or_else(|| AppError::invalid("org_id", "请指定组织 org_id"))?;
    crate::org::store::get(&s.db, &c.scope(Right::Read), id).await
}

/// A staff list of what a union's subtree did in a period (the lists the
/// dashboard's figures open): the union (404 when out of sight), the read
/// scope narrowed to its subtree, and `[from, to]` as a span of times — the
/// whole days, Beijing time, `from` and `to` unbounded where left out.
pub async fn subtree_in_days(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    (from, to): (Option<&str>, Option<&str>),
) -> AppResult<(Org, Scope, (i64, i64))> {
    if !c.can(Right::Read) {
        return Err(AppError::Forbidden(
            "仅工作人员可以查看各单位的统计明细".into(),
        ));
    }
    // Out of sight reads like missing before anything else is looked at.
    let org = viewed_org(s, c, org_id).await?;
    let day = |field: &str, v: Option<&str>| -> AppResult<Option<i64>> {
        match v.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(d) => {
                let d = crate::pii::parse_date(d).map_err(|m| AppError::invalid(field, m))?;
                crate::db::day_start_ms(&d)
                    .map(Some)
                    .ok_or_else(|| AppError::invalid(field, "日期无效"))
            }
        }
    };
    let start = day("from", from)?.unwrap_or(0);
    let end = day("to", to)?.map_or(i64::MAX, |t| t + 86_400_000);
    let scope = c.scope(Right::Read).narrowed_to(&org.path);
    Ok((org, scope, (start, end)))
}

/// The read scope, narrowed to one organisation's subtree when asked (404 when
/// that organisation is out of sight).
pub async fn list_scope(s: &AppState, c: &Caller, org_id: Option<i64>) -> AppResult<Scope> {
    let scope = c.scope(Right::Read);
    match org_id {
        Some(id) => Ok(scope.narrowed_to(&crate::org::store::get(&s.db, &scope, id).await?.path)),
        None => Ok(scope),
    }
}

/// The member record of a member account (a worker); 403 for staff accounts
/// without one.
pub async fn own_member(s: &AppState, c: &Caller) -> AppResult<Member> {
    let Some(id) = c.member_id else {
        return Err(AppError::Forbidden("这里供会员账号使用".into()));
    };
    crate::member::store::get(&s.db, &s.keys, &Scope::member(id), id).await
}

/// The member a request is about: the one named, or — for a member account
/// that names none — its own; seen by the caller (else 404).
pub async fn member_in_view(s: &AppState, c: &Caller, member_id: Option<i64>) -> AppResult<Member> {
    let id = match (member_id, c.member_id) {
        (Some(id), _) => id,
        (None, Some(own)) if !c.can(Right::Read) => own,
        _ => return Err(AppError::invalid("member_id", "请指定会员 member_id")),
    };
    crate::member::store::get(&s.db, &s.keys, &c.scope(Right::Read), id).await
}

/// A member the caller may change records of: seen (else 404), with `right`
/// over the member's union (else 403).
pub async fn writable_member(
    s: &AppState,
    c: &Caller,
    member_id: Option<i64>,
    right: Right,
) -> AppResult<Member> {
    let m = member_in_view(s, c, member_id).await?;
    if !c.scope(right).covers_path(&m.org_path) {
        return Err(AppError::forbidden());
    }
    Ok(m)
}
