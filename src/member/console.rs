//! Console pages for the roster.

use super::rules::{self, RawMember};
use super::{ops, store};
use crate::auth::{Caller, PageCaller, Right};
use crate::db::{format_ms, Paging};
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::org_picker::{org_options, OrgOption};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{form, non_empty, FormErrors, Nav, PageForm};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/transfers", get(transfers_page))
        .route("/members", get(list_page).post(create))
        .route("/members/new", get(new_page))
        .route("/members/pick", get(pick))
        .route("/members/{id}", get(detail_page).post(update))
        .route("/members/{id}/transfer", post(transfer))
        .route("/members/{id}/reveal", post(reveal))
        .route("/members/{id}/record", get(super::record::page))
        .route("/m/record", get(super::record::phone_page))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    org_id: Option<String>,
    q: Option<String>,
    skill_level: Option<String>,
    status: Option<String>,
    enterprise_id: Option<String>,
    min_skill_level: Option<String>,
    is_migrant_worker: Option<String>,
    is_hardship: Option<String>,
    joined_from: Option<String>,
    joined_to: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "member/list.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<store::Member>,
    total: i64,
    total_is_exact: bool,
    q: String,
    org_id: i64,
    skill_level: String,
    status: String,
    enterprise_id: String,
    /// Filters the form does not show (from the dashboard's links), kept as they are.
    kept: Vec<(&'static str, String)>,
    /// Those filters in words.
    said: String,
    orgs: Vec<OrgOption>,
    levels: Vec<&'static str>,
    statuses: Vec<&'static str>,
    can_add: bool,
    can_reveal: bool,
    pager: crate::web::Pager,
}

async fn list_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<ListQuery>,
) -> PageResult {
    if !c.can(Right::Read) {
        // A member's console is their own record.
        return Ok(match c.member_id {
            Some(id) => Redirect::to(&format!("/members/{id}")).into_response(),
            None => Redirect::to("/").into_response(),
        });
    }
    let paging = Paging::new(q.page, Some(50));
    let org_id = non_empty(&q.org_id).and_then(|v| v.parse::<i64>().ok());
    let enterprise_id = non_empty(&q.enterprise_id).and_then(|v| v.parse::<i64>().ok());
    let scope = crate::auth::checks::list_scope(&s, &c, org_id)
        .await
        .or_page(&c)?;
    let filter = store::Filter {
        q: q.q.clone(),
        id_tails: c.id_tail_scope(),
        skill_level: non_empty(&q.skill_level).map(str::to_string),
        status: non_empty(&q.status).map(str::to_string),
        enterprise_id,
        min_skill_level: ops::level_named("min_skill_level", q.min_skill_level.as_deref())
            .or_page(&c)?,
        migrant: ops::flag_named("is_migrant_worker", q.is_migrant_worker.as_deref())
            .or_page(&c)?,
        hardship: ops::flag_named("is_hardship", q.is_hardship.as_deref()).or_page(&c)?,
        joined_from: ops::date_named("joined_from", q.joined_from.as_deref()).or_page(&c)?,
        joined_to: ops::date_named("joined_to", q.joined_to.as_deref()).or_page(&c)?,
    };
    let listing = store::list(
        &s.db,
        &s.keys,
        &crate::audit::Actor::of(&c),
        &scope,
        &filter,
        paging,
    )
    .await
    .or_page(&c)?;
    let (items, total, total_is_exact) = (listing.items, listing.total, listing.total_is_exact);
    let orgs = org_options(&s, &c.scope(Right::Read)).await.or_page(&c)?;
    // The dashboard's filters (its figures link here): kept through the
    // search form and the pager, and said in words above the list.
    let (mut kept, mut said) = (vec![], vec![]);
    if let Some(l) = &filter.min_skill_level {
        kept.push(("min_skill_level", l.clone()));
        said.push(format!("{l}及以上"));
    }
    for (name, flag, yes, no) in [
        ("is_migrant_worker", filter.migrant, "农民工", "非农民工"),
        ("is_hardship", filter.hardship, "困难职工", "非困难职工"),
    ] {
        if let Some(f) = flag {
            kept.push((name, f.to_string()));
            said.push(if f { yes } else { no }.to_string());
        }
    }
    match (&filter.joined_from, &filter.joined_to) {
        (Some(a), Some(b)) => said.push(format!("{a} 至 {b} 入会")),
        (Some(a), None) => said.push(format!("{a} 起入会")),
        (None, Some(b)) => said.push(format!("{b} 前入会")),
        (None, None) => {}
    }
    for (name, v) in [
        ("joined_from", &filter.joined_from),
        ("joined_to", &filter.joined_to),
    ] {
        if let Some(v) = v {
            kept.push((name, v.clone()));
        }
    }
    let mut pager_args = vec![
        ("org_id", org_id.map(|v| v.to_string()).unwrap_or_default()),
        ("q", q.q.clone().unwrap_or_default()),
        ("skill_level", q.skill_level.clone().unwrap_or_default()),
        ("status", q.status.clone().unwrap_or_default()),
        (
            "enterprise_id",
            enterprise_id.map(|v| v.to_string()).unwrap_or_default(),
        ),
    ];
    pager_args.extend(kept.iter().cloned());
    let pager = crate::web::Pager::new("/members", paging.page, paging.pages(total), &pager_args);
    let page = ListPage {
        nav: Some(Nav::new(&c, "members")),
        items,
        total,
        total_is_exact,
        q: q.q.unwrap_or_default(),
        org_id: org_id.unwrap_or(0),
        skill_level: q.skill_level.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        enterprise_id: enterprise_id.map(|v| v.to_string()).unwrap_or_default(),
        kept,
        said: said.join("，"),
        orgs,
        levels: rules::SKILL_LEVELS.to_vec(),
        statuses: rules::STATUSES.to_vec(),
        can_add: c.can(Right::Roster),
        can_reveal: c.can(Right::Reveal),
        pager,
    };
    Ok(render_with(StatusCode::OK, &page))
}

/// What the member form shows, as typed.
#[derive(Default, Clone, Deserialize)]
struct Values {
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    enterprise_id: String,
    #[serde(default)]
    ethnicity: String,
    #[serde(default)]
    education: String,
    #[serde(default)]
    political_status: String,
    #[serde(default)]
    occupation: String,
    #[serde(default)]
    skill_level: String,
    #[serde(default)]
    card_no: String,
    #[serde(default)]
    join_date: String,
    #[serde(default)]
    is_migrant_worker: Option<String>,
    #[serde(default)]
    is_hardship: Option<String>,
    #[serde(default)]
    status: String,
}

impl Values {
    fn from_member(m: &store::Member) -> Values {
        Values {
            name: m.name.clone(),
            // Personal numbers are never put back into a form: left empty, they stay as stored.
            id_number: String::new(),
            phone: String::new(),
            org_id: m.org_id.to_string(),
            enterprise_id: m.enterprise_id.map(|v| v.to_string()).unwrap_or_default(),
            ethnicity: m.ethnicity.clone(),
            education: m.education.clone(),
            political_status: m.political_status.clone(),
            occupation: m.occupation.clone(),
            skill_level: m.skill_level.clone(),
            card_no: m.card_no.clone(),
            join_date: m.join_date.clone(),
            is_migrant_worker: m.is_migrant_worker.then(|| "1".into()),
            is_hardship: m.is_hardship.then(|| "1".into()),
            status: m.status.clone(),
        }
    }

    fn org(&self) -> Option<i64> {
        self.org_id.trim().parse().ok()
    }

    fn enterprise(&self) -> Result<Option<i64>, AppError> {
        match self.enterprise_id.trim() {
            "" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid("enterprise_id", "企业编号应为数字")),
        }
    }

    /// For a new member every field counts; on an edit, an empty ID number or phone keeps the stored one.
    fn raw(&self, is_new: bool) -> RawMember {
        let keep_if_empty = |v: &str| {
            if !is_new && v.trim().is_empty() {
                None
            } else {
                Some(v.to_string())
            }
        };
        RawMember {
            name: Some(self.name.clone()),
            id_number: keep_if_empty(&self.id_number),
            phone: keep_if_empty(&self.phone),
            ethnicity: Some(self.ethnicity.clone()),
            education: Some(self.education.clone()),
            political_status: Some(self.political_status.clone()),
            occupation: Some(self.occupation.clone()),
            skill_level: Some(self.skill_level.clone()),
            card_no: Some(self.card_no.clone()),
            join_date: Some(self.join_date.clone()),
            is_migrant_worker: Some(self.is_migrant_worker.is_some()),
            is_hardship: Some(self.is_hardship.is_some()),
            status: if is_new && self.status.is_empty() {
                None
            } else {
                Some(self.status.clone())
            },
        }
    }
}

#[derive(Template)]
#[template(path = "member/form.html")]
struct FormPage {
    nav: Option<Nav>,
    member: Option<store::Member>,
    transfers: Vec<store::Transfer>,
    can_edit: bool,
    can_reveal: bool,
    revealed: Option<(String, Option<String>)>,
    v: Values,
    errors: FormErrors,
    transfer_errors: FormErrors,
    orgs: Vec<OrgOption>,
    enterprises: Vec<crate::enterprise::store::Enterprise>,
    levels: Vec<&'static str>,
    statuses: Vec<&'static str>,
    politicals: Vec<&'static str>,
    educations: Vec<&'static str>,
}

impl FormPage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
}

struct View {
    member: Option<store::Member>,
    /// The whole ID number and phone, just after an audited reveal.
    revealed: Option<(String, Option<String>)>,
    v: Values,
    errors: FormErrors,
    transfer_errors: FormErrors,
    status: StatusCode,
}

async fn form_view(s: &AppState, c: &Caller, view: View) -> PageResult {
    let can_edit = match &view.member {
        Some(m) => c.holds_at(Right::Roster, &m.org_path),
        None => c.can(Right::Roster),
    };
    let orgs = if can_edit {
        org_options(s, &c.scope(Right::Roster)).await.or_page(c)?
    } else {
        vec![]
    };
    let enterprises = match (can_edit, view.v.org()) {
        (true, Some(org)) => crate::enterprise::store::of_org(&s.db, &c.scope(Right::Read), org)
            .await
            .or_page(c)?,
        _ => vec![],
    };
    let transfers = match &view.member {
        Some(m) => store::transfers(&s.db, &s.keys, &c.scope(Right::Read), m.id)
            .await
            .or_page(c)?,
        None => vec![],
    };
    let can_reveal = view
        .member
        .as_ref()
        .is_some_and(|m| c.holds_at(Right::Reveal, &m.org_path));
    let page = FormPage {
        nav: Some(Nav::new(c, "members")),
        can_reveal,
        revealed: view.revealed,
        member: view.member,
        transfers,
        can_edit,
        v: view.v,
        errors: view.errors,
        transfer_errors: view.transfer_errors,
        orgs,
        enterprises,
        levels: rules::SKILL_LEVELS.to_vec(),
        statuses: rules::STATUSES.to_vec(),
        politicals: rules::POLITICAL.to_vec(),
        educations: rules::EDUCATIONS.to_vec(),
    };
    Ok(render_with(view.status, &page))
}

#[derive(Deserialize)]
struct NewQuery {
    org_id: Option<i64>,
}

async fn new_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<NewQuery>,
) -> PageResult {
    if !c.can(Right::Roster) {
        return Err(AppError::forbidden()).or_page(&c);
    }
    let v = Values {
        org_id: q.org_id.map(|v| v.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    let view = View {
        revealed: None,
        member: None,
        v,
        errors: FormErrors::default(),
        transfer_errors: FormErrors::default(),
        status: StatusCode::OK,
    };
    form_view(&s, &c, view).await
}

async fn detail_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> PageResult {
    let m = store::get(&s.db, &s.keys, &c.scope(Right::Read), id)
        .await
        .or_page(&c)?;
    let v = Values::from_member(&m);
    let view = View {
        revealed: None,
        member: Some(m),
        v,
        errors: FormErrors::default(),
        transfer_errors: FormErrors::default(),
        status: StatusCode::OK,
    };
    form_view(&s, &c, view).await
}

async fn create(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<Values>,
) -> PageResult {
    let result = async {
        let enterprise_id = f.enterprise()?;
        super::ops::create(&s, &c, f.org(), enterprise_id, &f.raw(true)).await
    }
    .await;
    form::finish(
        &c,
        result,
        |m| form::see(format!("/members/{}", m.id)),
        |e| {
            let view = View {
                revealed: None,
                member: None,
                v: f.clone(),
                errors: FormErrors::from_error(&e),
                transfer_errors: FormErrors::default(),
                status: e.status(),
            };
            form_view(&s, &c, view)
        },
    )
    .await
}

async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<Values>,
) -> PageResult {
    let existing = super::ops::get(&s, &c, id).await.or_page(&c)?;
    let result = async {
        let enterprise_id = f.enterprise()?;
        super::ops::update(&s, &c, id, Some(enterprise_id), &f.raw(false)).await
    }
    .await;
    form::finish(
        &c,
        result,
        |_| form::see(format!("/members/{id}")),
        |e| {
            let view = View {
                revealed: None,
                member: Some(existing),
                v: f.clone(),
                errors: FormErrors::from_error(&e),
                transfer_errors: FormErrors::default(),
                status: e.status(),
            };
            form_view(&s, &c, view)
        },
    )
    .await
}

#[derive(Deserialize)]
struct TransferForm {
    to_org_id: Option<String>,
    #[serde(default)]
    reason: String,
}

async fn transfer(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<TransferForm>,
) -> PageResult {
    let existing = super::ops::get(&s, &c, id).await.or_page(&c)?;
    let input = super::ops::TransferInput {
        to_org_id: non_empty(&f.to_org_id).and_then(|v| v.parse::<i64>().ok()),
        enterprise_id: None,
        reason: Some(f.reason.clone()),
    };
    let result = super::ops::transfer(&s, &c, id, &input).await;
    form::finish(
        &c,
        result,
        |_| form::see(format!("/members/{id}#transfers")),
        |e| {
            let v = Values::from_member(&existing);
            let view = View {
                revealed: None,
                member: Some(existing),
                v,
                errors: FormErrors::default(),
                transfer_errors: FormErrors::from_error(&e),
                status: e.status(),
            };
            form_view(&s, &c, view)
        },
    )
    .await
}

#[derive(Deserialize)]
struct RevealForm {
    #[serde(default)]
    purpose: String,
}

/// Shows the whole ID number and phone once, after writing the audit entry.
async fn reveal(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<RevealForm>,
) -> PageResult {
    let result = super::ops::reveal(&s, &c, id, &f.purpose).await;
    let (s, c) = (&s, &c);
    form::finish(
        c,
        result,
        |(m, revealed)| {
            let v = Values::from_member(&m);
            let view = View {
                member: Some(m),
                revealed: Some((revealed.id_number, revealed.phone)),
                v,
                errors: FormErrors::default(),
                transfer_errors: FormErrors::default(),
                status: StatusCode::OK,
            };
            form_view(s, c, view)
        },
        // Refused (no reason given, the day's reveals used up): the member's
        // page again, with why; the member as the caller may see them.
        |e| async move {
            let m = super::ops::get(s, c, id).await.or_page(c)?;
            let v = Values::from_member(&m);
            let view = View {
                member: Some(m),
                revealed: None,
                v,
                errors: FormErrors::from_error(&e),
                transfer_errors: FormErrors::default(),
                status: e.status(),
            };
            form_view(s, c, view).await
        },
    )
    .await
}

#[derive(Deserialize)]
struct PickQuery {
    #[serde(default)]
    q: String,
}

/// One member the type-ahead offers: what goes into the field, and who it is.
#[derive(serde::Serialize)]
struct Offer {
    value: String,
    label: String,
}

/// The type-ahead of the console's member fields (`static/picker.js`): the
/// first matches of a name, card number or ID tail among the members the
/// caller may read, each as the form takes it ("胡志强（编号 12）"). The
/// same search as the member list, so its limits hold here too.
async fn pick(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<PickQuery>,
) -> Result<axum::Json<Vec<Offer>>, AppError> {
    if !c.can(Right::Read) {
        return Err(AppError::Forbidden("仅工作人员可以查找会员".into()));
    }
    let q = q.q.trim();
    if q.is_empty() || q.chars().count() > 40 {
        return Ok(axum::Json(vec![]));
    }
    let filter = store::Filter {
        q: Some(q.to_string()),
        id_tails: c.id_tail_scope(),
        ..Default::default()
    };
    let found = store::list(
        &s.db,
        &s.keys,
        &crate::audit::Actor::of(&c),
        &c.scope(Right::Read),
        &filter,
        crate::db::Paging::new(Some(1), Some(10)),
    )
    .await?;
    Ok(axum::Json(
        found
            .items
            .into_iter()
            .map(|m| Offer {
                value: super::rules::picked_label(&m.name, m.id),
                label: [
                    Some(m.org_name),
                    m.enterprise_name,
                    m.phone_masked,
                    (!m.card_no.is_empty()).then(|| format!("卡号 {}", m.card_no)),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            })
            .collect(),
    ))
}

#[derive(Template)]
#[template(path = "member/transfers.html")]
struct TransfersPage {
    nav: Option<Nav>,
    title: String,
    items: Vec<(i64, String, String, String, String)>,
    total: i64,
    pager: crate::web::Pager,
}

/// The transfers the dashboard's 转入 / 转出 count: who, from where, to where, when.
/// The page's query as typed in an address bar: text, read as the API's.
#[derive(Deserialize)]
struct TransfersPageQuery {
    org_id: Option<String>,
    direction: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

async fn transfers_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(typed): Query<TransfersPageQuery>,
) -> PageResult {
    let number = |v: &Option<String>| non_empty(v).and_then(|v| v.parse::<i64>().ok());
    let q = ops::TransfersQuery {
        org_id: number(&typed.org_id),
        direction: typed.direction.clone(),
        from: typed.from.clone(),
        to: typed.to.clone(),
        page: number(&typed.page),
        per_page: Some(50),
    };
    let (org, way, page) = ops::transfers_crossing(&s, &c, &q).await.or_page(&c)?;
    let span = match (&q.from, &q.to) {
        (Some(a), Some(b)) => format!("{a} 至 {b}"),
        (Some(a), None) => format!("{a} 起"),
        (None, Some(b)) => format!("{b} 前"),
        (None, None) => String::new(),
    };
    let title = format!(
        "{}{span}{}的会员",
        org.name,
        match way {
            store::Crossing::In => "转入",
            store::Crossing::Out => "转出",
        }
    );
    let pager = crate::web::Pager::new(
        "/transfers",
        page.page,
        (page.total + page.per_page - 1) / page.per_page.max(1),
        &[
            ("org_id", org.id.to_string()),
            ("direction", q.direction.clone().unwrap_or_default()),
            ("from", q.from.clone().unwrap_or_default()),
            ("to", q.to.clone().unwrap_or_default()),
        ],
    );
    let view = TransfersPage {
        nav: Some(Nav::new(&c, "members")),
        title,
        total: page.total,
        items: page
            .items
            .into_iter()
            .map(|t| {
                (
                    t.member_id,
                    t.member_name,
                    t.from_org_name,
                    t.to_org_name,
                    format_ms(t.at),
                )
            })
            .collect(),
        pager,
    };
    Ok(render_with(StatusCode::OK, &view))
}
