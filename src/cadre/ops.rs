//! What can be done with cadre points, for the API and the console alike.
//! Staff only: a record outside the caller's subtree answers 404, one inside
//! it without the right 403 (decided in the store). Managing cadres and
//! recording entries needs the roster right over the cadre's union;
//! configuring rule items the organisations right over the item's union.

use super::rules;
use super::store::{self, Cadre, CadrePatch, Entry, Item, NewCadre};
use crate::audit::Actor;
use crate::auth::{Caller, Right};
use crate::fields::Errors;
use crate::org::store::Org;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};

/// Today in Beijing, `YYYY-MM-DD`: entries may not be dated after it.
pub fn today() -> String {
    crate::db::format_ms(crate::db::now_ms())
        .get(..10)
        .unwrap_or("1970-01-01")
        .to_string()
}

/// This year in Beijing: the default year of lists and rankings.
pub fn this_year() -> i32 {
    rules::year_of(&today())
}

/// Cadre points are staff business: a member account may not use them.
pub fn staff_only(c: &Caller) -> AppResult<()> {
    if c.can(Right::Read) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "工会干部积分仅供工会工作人员使用".into(),
        ))
    }
}

/// A union the caller sees (else 404) and holds `right` over (else 403).
pub async fn writable_org(s: &AppState, c: &Caller, org_id: i64, right: Right) -> AppResult<Org> {
    staff_only(c)?;
    crate::org::store::writable(&s.db, &c.access(right), org_id).await
}

/// The union a list is about: the one asked for, or the caller's own; seen by the caller (else 404).
pub async fn viewed_org(s: &AppState, c: &Caller, org_id: Option<i64>) -> AppResult<Org> {
    staff_only(c)?;
    crate::auth::checks::viewed_org(s, c, org_id).await
}

/// A cadre the caller sees (else 404), with this year's points.
pub async fn visible_cadre(s: &AppState, c: &Caller, id: i64) -> AppResult<Cadre> {
    staff_only(c)?;
    store::cadre(&s.db, &c.scope(Right::Read), id, this_year()).await
}

/// A cadre the caller may manage or record for: seen (else 404), roster right over its union (else 403).
pub async fn writable_cadre(s: &AppState, c: &Caller, id: i64) -> AppResult<Cadre> {
    staff_only(c)?;
    store::writable_cadre(&s.db, &c.access(Right::Roster), id, this_year()).await
}

/// The year of a query: the one given (422 when it is not a year), else this year.
pub fn year_param(v: Option<&str>) -> AppResult<i32> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        Some(y) => rules::parse_year(y).map_err(|m| AppError::invalid("year", m)),
        None => Ok(this_year()),
    }
}

/// Adds a cadre to a union (shared by the API and the console).
pub async fn add_cadre(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    name: &str,
    title: &str,
    member_id: Option<i64>,
) -> AppResult<i64> {
    let org_id = org_id.ok_or_else(|| AppError::invalid("org_id", "请指定干部所在工会 org_id"))?;
    let org = writable_org(s, c, org_id, Right::Roster).await?;
    let mut e = Errors::default();
    let name = e.take("name", rules::parse_name(name));
    let title = e.take("title", rules::parse_title(title));
    if let Some(mid) = member_id {
        // The member must be on a roster the caller sees, in this union or below it.
        match crate::member::store::get(&s.db, &s.keys, &c.scope(Right::Read), mid).await {
            Ok(m) if m.org_path.starts_with(&org.path) => {}
            Ok(_) => e.add("member_id", "该会员不在这个工会或其下级工会的名册上"),
            Err(AppError::NotFound(_)) => e.add("member_id", "会员不存在或不在您的管辖范围内"),
            Err(other) => return Err(other),
        }
    }
    e.finish()?;
    let new = NewCadre {
        org_id: org.id,
        name: name.unwrap_or_default(),
        title: title.unwrap_or_default(),
        member_id,
    };
    store::create_cadre(&s.db, &Actor::of(c), &new).await
}

/// Adds a rule item to a union (organisations right over it).
pub async fn add_item(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    label: &str,
    points: Option<i64>,
) -> AppResult<Item> {
    let org_id =
        org_id.ok_or_else(|| AppError::invalid("org_id", "请指定积分项目所属工会 org_id"))?;
    let org = writable_org(s, c, org_id, Right::Orgs).await?;
    let (label, points) = rules::check_item(label, points)?;
    store::create_item(&s.db, &Actor::of(c), org.id, &label, points).await
}

/// A rule item the caller may switch on or off: organisations right over its
/// union (else 403 when the caller sees that union, 404 when not).
pub async fn writable_item(s: &AppState, c: &Caller, id: i64) -> AppResult<Item> {
    staff_only(c)?;
    store::writable_item(&s.db, &c.access(Right::Orgs), id).await
}

/// Records an entry for a cadre by a rule item that applies to the cadre's union.
pub async fn record(
    s: &AppState,
    c: &Caller,
    cadre_id: Option<i64>,
    item_id: Option<i64>,
    evidence: &str,
    occurred_on: &str,
) -> AppResult<Entry> {
    let cadre_id = cadre_id.ok_or_else(|| AppError::invalid("cadre_id", "请指定干部 cadre_id"))?;
    let cadre = writable_cadre(s, c, cadre_id).await?;
    let mut e = Errors::default();
    if !cadre.active {
        e.add(
            "cadre_id",
            format!("干部“{}”已停用，不能再记分", cadre.name),
        );
    }
    let item = match item_id {
        None => {
            e.add("item_id", "请选择积分项目 item_id");
            None
        }
        Some(id) => match store::item(
            &s.db,
            &c.scope(Right::Read).with_offered_to(Some(&cadre.org_path)),
            id,
        )
        .await?
        {
            Some(i) if !i.applies_to(&cadre.org_path) => {
                e.add("item_id", "该积分项目不适用于这位干部所在的工会");
                None
            }
            Some(i) if !i.active => {
                e.add("item_id", format!("积分项目“{}”已停用", i.label));
                None
            }
            Some(i) => Some(i),
            None => {
                e.add("item_id", "积分项目不存在");
                None
            }
        },
    };
    let evidence = e.take("evidence", rules::parse_evidence(evidence));
    let occurred_on = e.take(
        "occurred_on",
        rules::parse_occurred_on(occurred_on, &today()),
    );
    e.finish()?;
    let (Some(item), Some(evidence), Some(occurred_on)) = (item, evidence, occurred_on) else {
        return Err(AppError::invalid("body", "提交的内容有误"));
    };
    store::add_entry(&s.db, &Actor::of(c), &cadre, &item, &evidence, &occurred_on).await
}

/// Reverses an entry once (409 the second time), with a reason.
pub async fn reverse_entry(s: &AppState, c: &Caller, id: i64, reason: &str) -> AppResult<Entry> {
    staff_only(c)?;
    let entry = store::writable_entry(&s.db, &c.access(Right::Roster), id).await?;
    let reason = rules::parse_reason(reason).map_err(|m| AppError::invalid("reason", m))?;
    store::reverse(&s.db, &Actor::of(c), &entry, &reason).await
}

/// Changes to a cadre (`PATCH /api/v1/cadres/{id}`): the name, the post, whether active.
/// (Documented through `api::CadreChangesBody`, which adds "at least one".)
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = CadreChangeFields)]
pub struct CadreChanges {
    #[serde(default)]
    #[schema(nullable = false, min_length = 1, max_length = 50, pattern = r"\S")]
    pub name: Option<String>,
    /// The post, e.g. 工会主席.
    #[serde(default)]
    #[schema(nullable = false, max_length = 50)]
    pub title: Option<String>,
    #[serde(default)]
    #[schema(nullable = false)]
    pub active: Option<bool>,
    /// Refused: a cadre's union does not change.
    #[serde(default)]
    #[schema(ignore)]
    pub org_id: Option<i64>,
    /// Refused: a cadre's member does not change.
    #[serde(default)]
    #[schema(ignore)]
    pub member_id: Option<i64>,
}

pub async fn update_cadre(s: &AppState, c: &Caller, id: i64, b: &CadreChanges) -> AppResult<Cadre> {
    let cadre = writable_cadre(s, c, id).await?;
    let mut e = Errors::default();
    if b.org_id.is_some() || b.member_id.is_some() {
        e.add(
            "org_id",
            "干部的工会和会员身份不能修改；如有变动请停用后重新登记",
        );
    }
    let patch = CadrePatch {
        name: b
            .name
            .as_deref()
            .and_then(|n| e.take("name", rules::parse_name(n))),
        title: b
            .title
            .as_deref()
            .and_then(|t| e.take("title", rules::parse_title(t))),
        active: b.active,
    };
    if b.name.is_none() && b.title.is_none() && b.active.is_none() {
        e.add("body", "请提供要修改的 name、title 或 active");
    }
    e.finish()?;
    store::update_cadre(&s.db, &Actor::of(c), &cadre, &patch).await?;
    visible_cadre(s, c, id).await
}

/// Switches a rule item on or off; past entries keep their points.
pub async fn set_item_active(
    s: &AppState,
    c: &Caller,
    id: i64,
    active: Option<bool>,
    other_fields: bool,
) -> AppResult<Item> {
    let item = writable_item(s, c, id).await?;
    let mut e = Errors::default();
    if other_fields {
        e.add(
            "body",
            "积分项目只能启用或停用（active）；要改名称或分值，请停用后新建",
        );
    }
    if active.is_none() {
        e.add("active", "请指定 active（true 启用，false 停用）");
    }
    e.finish()?;
    let active = active.unwrap_or(item.active);
    store::set_item_active(&s.db, &Actor::of(c), &item, active).await?;
    Ok(Item { active, ..item })
}

/// The cadres of a subtree with the year's points.
pub async fn cadres(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    year: Option<&str>,
    active: Option<bool>,
    paging: crate::db::Paging,
) -> AppResult<(i32, crate::web::api::Page<Cadre>)> {
    staff_only(c)?;
    let year = year_param(year)?;
    let scope = crate::auth::checks::list_scope(s, c, org_id).await?;
    let (items, total, points) = store::cadres(&s.db, &scope, year, active, paging).await?;
    Ok((
        year,
        crate::web::api::Page::of(items, total, paging).with_sum(points),
    ))
}

/// The cadres on the dashboard: those in office in each subtree, and the
/// year's cadre points of all of them (the list's `sum`).
pub async fn figures(
    s: &AppState,
    subtrees: &[crate::program::Subtree],
    period: &crate::program::Period,
) -> AppResult<Vec<Vec<crate::program::Figure>>> {
    let year = rules::year_of(&period.year_start);
    let found = store::figures(&s.db, &crate::program::scopes_of(subtrees), year).await?;
    Ok(subtrees
        .iter()
        .zip(found)
        .map(|(t, (in_office, points))| {
            let org = t.org_id;
            vec![
                crate::program::Figure::counting(
                    "cadres.in_office",
                    "在任工会干部",
                    "人",
                    in_office,
                    &format!("/cadres?org_id={org}&active=true"),
                )
                .with_page(format!("/cadres?org_id={org}")),
                crate::program::Figure::summing(
                    "cadres.points",
                    "本年干部积分",
                    "分",
                    points,
                    &format!("/cadres?org_id={org}&year={year}"),
                )
                .with_page(format!("/cadres?org_id={org}&year={year}")),
            ]
        })
        .collect())
}

/// A cadre's entries (of one year, or all) and their sum.
pub async fn entries(
    s: &AppState,
    c: &Caller,
    cadre_id: Option<i64>,
    year: Option<&str>,
) -> AppResult<(Cadre, Option<i32>, Vec<Entry>)> {
    staff_only(c)?;
    let cadre_id = cadre_id.ok_or_else(|| AppError::invalid("cadre_id", "请指定干部 cadre_id"))?;
    let year = match year.map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => Some(rules::parse_year(y).map_err(|m| AppError::invalid("year", m))?),
        None => None,
    };
    let cadre = visible_cadre(s, c, cadre_id).await?;
    let items = store::entries(&s.db, &c.scope(Right::Read), cadre.id, year).await?;
    Ok((cadre, year, items))
}

/// The year's ranking of a subtree's cadres.
pub async fn ranking(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    year: Option<&str>,
    limit: Option<i64>,
) -> AppResult<(Org, i32, Vec<store::Standing>)> {
    let org = viewed_org(s, c, org_id).await?;
    let year = year_param(year)?;
    let scope = c.scope(Right::Read).narrowed_to(&org.path);
    let limit = limit.unwrap_or(500).clamp(1, 5000);
    let items = store::ranking(&s.db, &scope, year, limit).await?;
    Ok((org, year, items))
}
