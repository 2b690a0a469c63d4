//! The staff console for cadre points: one page per organisation and year
//! with the ranking, the cadres, the rule items that apply there, a form to
//! record an entry with its evidence, and one cadre's entries with reversal.

use super::store::{self, Cadre, Entry, Item, Standing};
use crate::auth::{Caller, PageCaller, Right};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::org_picker::{org_options, OrgOption};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{FormErrors, Nav, PageForm};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cadres", get(page).post(create_cadre))
        .route("/cadres/{id}", post(update_cadre))
        .route("/cadres/items", post(create_item))
        .route("/cadres/items/{id}", post(update_item))
        .route("/cadres/entries", post(record))
        .route("/cadres/entries/{id}/reverse", post(reverse))
}

/// What the page shows: an organisation's subtree, a year, and maybe one cadre's entries.
/// Every form carries these back (`v_org`, `v_year`, `v_cadre`) so the page stays where it was.
#[derive(Deserialize, Default, Clone)]
struct ViewQuery {
    #[serde(default, alias = "v_org")]
    org_id: String,
    #[serde(default, alias = "v_year")]
    year: String,
    #[serde(default, alias = "v_cadre")]
    cadre_id: String,
}

/// What the user typed into a form that failed, to show it again.
#[derive(Default, Clone)]
struct Typed {
    cadre_org: i64,
    name: String,
    title: String,
    member_id: String,
    item_org: i64,
    label: String,
    points: String,
    entry_cadre: i64,
    entry_item: i64,
    evidence: String,
    occurred_on: String,
}

struct CadreRow {
    cadre: Cadre,
    can_write: bool,
}

struct ItemRow {
    item: Item,
    can_write: bool,
}

struct EntryRow {
    entry: Entry,
    can_reverse: bool,
}

#[derive(Template)]
#[template(path = "cadre/staff.html")]
struct StaffPage {
    nav: Option<Nav>,
    org_id: i64,
    org_name: String,
    year: i32,
    year_text: String,
    today: String,
    view_orgs: Vec<OrgOption>,
    ranking: Vec<Standing>,
    cadres: Vec<CadreRow>,
    cadres_total: i64,
    items: Vec<ItemRow>,
    roster_orgs: Vec<OrgOption>,
    admin_orgs: Vec<OrgOption>,
    entry_cadres: Vec<Cadre>,
    entry_items: Vec<Item>,
    selected: Option<Cadre>,
    entries: Vec<EntryRow>,
    errors: FormErrors,
    notice: String,
    typed: Typed,
}

impl StaffPage {
    fn signed(&self, v: &i64) -> String {
        if *v > 0 {
            format!("+{v}")
        } else {
            v.to_string()
        }
    }
}

async fn view(
    s: &AppState,
    c: &Caller,
    q: &ViewQuery,
    mut errors: FormErrors,
    notice: &str,
    mut typed: Typed,
    status: StatusCode,
) -> PageResult {
    if !c.can(Right::Read) {
        return Ok(Redirect::to("/m").into_response());
    }
    let read = c.scope(Right::Read);
    let asked: Option<i64> = q.org_id.trim().parse().ok();
    let org = super::ops::viewed_org(s, c, asked).await.or_page(c)?;
    let year = match super::ops::year_param(Some(&q.year)) {
        Ok(y) => y,
        Err(e) => {
            errors.0.extend(e.field_errors());
            super::ops::this_year()
        }
    };
    let scope = read.narrowed_to(&org.path);
    let ranking = store::ranking(&s.db, &scope, year, 500).await.or_page(c)?;
    let (cadres, cadres_total, _) = store::cadres(
        &s.db,
        &scope,
        year,
        None,
        crate::db::Paging::new(None, Some(200)),
    )
    .await
    .or_page(c)?;
    let items = store::items_for(&s.db, &org.path).await.or_page(c)?;
    let selected = match q.cadre_id.trim().parse::<i64>() {
        Ok(id) => match store::cadre(&s.db, &scope, id, year).await {
            Ok(cadre) => Some(cadre),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e).or_page(c),
        },
        Err(_) => None,
    };
    // The record form starts at the cadre being looked at.
    if typed.entry_cadre == 0 {
        typed.entry_cadre = selected.as_ref().map(|x| x.id).unwrap_or(0);
    }
    let entries = match &selected {
        Some(cadre) => store::entries(&s.db, &scope, cadre.id, Some(year))
            .await
            .or_page(c)?
            .into_iter()
            .map(|entry| EntryRow {
                can_reverse: entry.reverses_id.is_none()
                    && entry.reversed_by.is_none()
                    && c.holds_at(Right::Roster, &entry.org_path),
                entry,
            })
            .collect(),
        None => vec![],
    };
    let entry_cadres = cadres
        .iter()
        .filter(|x| x.active && c.holds_at(Right::Roster, &x.org_path))
        .cloned()
        .collect();
    let page = StaffPage {
        nav: Some(Nav::new(c, "cadres")),
        org_id: org.id,
        org_name: org.name.clone(),
        year,
        year_text: year.to_string(),
        today: super::ops::today(),
        view_orgs: org_options(s, &read).await.or_page(c)?,
        ranking,
        cadres: cadres
            .into_iter()
            .map(|cadre| CadreRow {
                can_write: c.holds_at(Right::Roster, &cadre.org_path),
                cadre,
            })
            .collect(),
        cadres_total,
        entry_items: items.iter().filter(|i| i.active).cloned().collect(),
        items: items
            .into_iter()
            .map(|item| ItemRow {
                can_write: c.holds_at(Right::Orgs, &item.org_path),
                item,
            })
            .collect(),
        roster_orgs: org_options(s, &c.scope(Right::Roster).narrowed_to(&org.path))
            .await
            .or_page(c)?,
        admin_orgs: org_options(s, &c.scope(Right::Orgs).narrowed_to(&org.path))
            .await
            .or_page(c)?,
        entry_cadres,
        selected,
        entries,
        errors,
        notice: notice.into(),
        typed,
    };
    Ok(render_with(status, &page))
}

async fn page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<ViewQuery>,
) -> PageResult {
    view(
        &s,
        &c,
        &q,
        FormErrors::default(),
        "",
        Typed::default(),
        StatusCode::OK,
    )
    .await
}

/// A form's outcome: the page again with a notice, or with the errors beside
/// the fields and what was typed.
async fn done(
    s: &AppState,
    c: &Caller,
    q: &ViewQuery,
    r: AppResult<String>,
    typed: Typed,
) -> PageResult {
    crate::web::form::finish(
        c,
        r,
        |notice| async move {
            view(
                s,
                c,
                q,
                FormErrors::default(),
                &notice,
                Typed::default(),
                StatusCode::OK,
            )
            .await
        },
        |e| async move { view(s, c, q, FormErrors::from_error(&e), "", typed, e.status()).await },
    )
    .await
}

fn id_of(v: &str) -> Option<i64> {
    v.trim().parse().ok()
}

/// An optional whole number typed into a form: empty is `None`, anything else must parse.
fn number(field: &str, v: &str) -> AppResult<Option<i64>> {
    match v.trim() {
        "" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(field, format!("“{t}”不是整数"))),
    }
}

#[derive(Deserialize)]
struct CadreForm {
    #[serde(flatten)]
    view: ViewQuery,
    #[serde(default)]
    org: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    active: String,
}

async fn create_cadre(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<CadreForm>,
) -> PageResult {
    let r = async {
        // A cadre who is on a roster: by name or member number (optional).
        let member_id = match f.member_id.trim() {
            "" => None,
            m => Some(
                crate::member::store::resolve(
                    &s.db,
                    &s.keys,
                    &crate::audit::Actor::of(&c),
                    &c.scope(Right::Read),
                    m,
                    "member_id",
                )
                .await?
                .id,
            ),
        };
        super::ops::add_cadre(&s, &c, id_of(&f.org), &f.name, &f.title, member_id).await?;
        Ok(format!("已登记干部“{}”", f.name.trim()))
    }
    .await;
    let typed = Typed {
        cadre_org: id_of(&f.org).unwrap_or(0),
        name: f.name.clone(),
        title: f.title.clone(),
        member_id: f.member_id.clone(),
        ..Default::default()
    };
    done(&s, &c, &f.view, r, typed).await
}

async fn update_cadre(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<CadreForm>,
) -> PageResult {
    let r = async {
        let cadre = super::ops::writable_cadre(&s, &c, id).await?;
        let active = f.active == "1";
        let patch = store::CadrePatch {
            active: Some(active),
            ..Default::default()
        };
        store::update_cadre(&s.db, &crate::audit::Actor::of(&c), &cadre, &patch).await?;
        Ok(format!(
            "干部“{}”已{}",
            cadre.name,
            if active { "启用" } else { "停用" }
        ))
    }
    .await;
    done(&s, &c, &f.view, r, Typed::default()).await
}

#[derive(Deserialize)]
struct ItemForm {
    #[serde(flatten)]
    view: ViewQuery,
    #[serde(default)]
    org: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    active: String,
}

async fn create_item(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<ItemForm>,
) -> PageResult {
    let r = async {
        let points = number("points", &f.points)?;
        let item = super::ops::add_item(&s, &c, id_of(&f.org), &f.label, points).await?;
        Ok(format!(
            "已添加积分项目“{}”（{}{} 分）",
            item.label,
            if item.points > 0 { "+" } else { "" },
            item.points
        ))
    }
    .await;
    let typed = Typed {
        item_org: id_of(&f.org).unwrap_or(0),
        label: f.label.clone(),
        points: f.points.clone(),
        ..Default::default()
    };
    done(&s, &c, &f.view, r, typed).await
}

async fn update_item(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<ItemForm>,
) -> PageResult {
    let r = async {
        let item = super::ops::writable_item(&s, &c, id).await?;
        let active = f.active == "1";
        store::set_item_active(&s.db, &crate::audit::Actor::of(&c), &item, active).await?;
        Ok(format!(
            "积分项目“{}”已{}",
            item.label,
            if active { "启用" } else { "停用" }
        ))
    }
    .await;
    done(&s, &c, &f.view, r, Typed::default()).await
}

#[derive(Deserialize)]
struct EntryForm {
    #[serde(flatten)]
    view: ViewQuery,
    #[serde(default)]
    cadre: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    occurred_on: String,
}

async fn record(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<EntryForm>,
) -> PageResult {
    let r = async {
        let e = super::ops::record(
            &s,
            &c,
            id_of(&f.cadre),
            id_of(&f.item),
            &f.evidence,
            &f.occurred_on,
        )
        .await?;
        Ok(format!(
            "已记分：{}，{}{} 分（{}）",
            e.label,
            if e.points > 0 { "+" } else { "" },
            e.points,
            e.occurred_on
        ))
    }
    .await;
    let typed = Typed {
        entry_cadre: id_of(&f.cadre).unwrap_or(0),
        entry_item: id_of(&f.item).unwrap_or(0),
        evidence: f.evidence.clone(),
        occurred_on: f.occurred_on.clone(),
        ..Default::default()
    };
    // After recording, show that cadre's entries.
    let mut view_q = f.view.clone();
    if r.is_ok() {
        view_q.cadre_id = f.cadre.clone();
    }
    done(&s, &c, &view_q, r, typed).await
}

#[derive(Deserialize)]
struct ReverseForm {
    #[serde(flatten)]
    view: ViewQuery,
    #[serde(default)]
    reason: String,
}

async fn reverse(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<ReverseForm>,
) -> PageResult {
    let r = async {
        let e = super::ops::reverse_entry(&s, &c, id, &f.reason).await?;
        Ok(format!("已冲销记录 {id}（{} 分）", e.points))
    }
    .await;
    done(&s, &c, &f.view, r, Typed::default()).await
}
