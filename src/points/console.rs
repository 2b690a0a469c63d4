//! The staff console for points: the catalogue (add, restock, take down), orders
//! waiting to be handed out, earning rules, a manual grant, and the year's ranking.

use super::ops::ItemInput;
use super::store;
use crate::auth::{Caller, PageCaller, Right};
use crate::db::format_ms;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult, Errors};
use crate::web::org_picker::{org_options, OrgOption};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{form, FormErrors, Nav, PageForm, Typed};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/points", get(page))
        .route("/points/items", post(create_item))
        .route("/points/items/{id}", post(update_item))
        .route("/points/orders/{id}/fulfil", post(fulfil))
        .route("/points/rules", post(set_rule))
        .route("/points/grant", post(grant))
}

#[derive(Template)]
#[template(path = "points/staff.html")]
struct StaffPage {
    nav: Option<Nav>,
    items: Vec<store::Item>,
    orders: Vec<store::Order>,
    rules: Vec<store::Rule>,
    /// The rule form's 积分事项: the programs' events, then the union's own rules (code, name).
    rule_choices: Vec<(String, String)>,
    board: Vec<store::Standing>,
    orgs: Vec<OrgOption>,
    home_org: i64,
    errors: FormErrors,
    typed: Typed,
    notice: String,
    can_write: bool,
}

impl StaffPage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }

    /// The union a form's picker shows: the one typed, else the caller's own.
    fn org_picked(&self, form: &str, id: &i64) -> bool {
        if self.typed.sent(form) {
            self.typed.get(form, "org_id") == id.to_string()
        } else {
            *id == self.home_org
        }
    }
}

async fn view(
    s: &AppState,
    c: &Caller,
    (errors, typed): (FormErrors, Typed),
    notice: &str,
    status: StatusCode,
) -> PageResult {
    if !c.can(Right::Read) {
        return Ok(Redirect::to("/m").into_response());
    }
    let read = c.scope(Right::Read);
    let home = c.home_org().unwrap_or(0);
    let home_org = crate::org::store::get(&s.db, &read, home)
        .await
        .or_page(c)?;
    let items = store::items(&s.db, &read).await.or_page(c)?;
    let orders = store::orders(&s.db, &read)
        .await
        .or_page(c)?
        .into_iter()
        .filter(|o| o.state == "placed")
        .collect();
    let rules = store::rules_for(&s.db, &home_org.path).await.or_page(c)?;
    let events = &crate::program::registry().point_events;
    let rule_choices = events
        .iter()
        .map(|(code, name)| (code.to_string(), name.to_string()))
        .chain(
            rules
                .iter()
                .filter(|r| !events.iter().any(|(code, _)| *code == r.code))
                .map(|r| (r.code.clone(), r.label.clone())),
        )
        .collect();
    let year = format!("{}-01-01", &format_ms(crate::db::now_ms())[..4]);
    let from = crate::db::date_start_ms(&year, false).unwrap_or(0);
    let board = store::leaderboard(&s.db, &home_org.path, from, crate::db::now_ms() + 1, 20)
        .await
        .or_page(c)?;
    let orgs = org_options(s, &c.scope(Right::Roster)).await.or_page(c)?;
    let page = StaffPage {
        nav: Some(Nav::new(c, "points")),
        items,
        orders,
        rules,
        rule_choices,
        board,
        orgs,
        home_org: home,
        errors,
        typed,
        notice: notice.into(),
        can_write: c.can(Right::Roster),
    };
    Ok(render_with(status, &page))
}

async fn page(State(s): State<AppState>, PageCaller(c): PageCaller) -> PageResult {
    view(&s, &c, Default::default(), "", StatusCode::OK).await
}

/// A form's outcome: back to the page with a notice, or with the errors
/// beside the fields and what was typed.
async fn done(s: &AppState, c: &Caller, r: AppResult<String>, typed: Typed) -> PageResult {
    form::finish(
        c,
        r,
        |notice| async move { view(s, c, Default::default(), &notice, StatusCode::OK).await },
        |e| async move { view(s, c, (FormErrors::from_error(&e), typed), "", e.status()).await },
    )
    .await
}

fn num(field: &str, v: &str, e: &mut Errors) -> Option<i64> {
    match v.trim() {
        "" => None,
        t => e.take(
            field,
            t.parse::<i64>().map_err(|_| format!("“{t}”不是整数")),
        ),
    }
}

#[derive(Deserialize, Serialize)]
struct ItemForm {
    org_id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    per_member_limit: String,
    #[serde(default)]
    active: String,
    #[serde(default)]
    valid_until: String,
}

async fn create_item(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<ItemForm>,
) -> PageResult {
    let r = async {
        let mut e = Errors::default();
        let input = ItemInput {
            org_id: f.org_id.as_deref().and_then(|v| v.trim().parse().ok()),
            name: Some(f.name.clone()),
            description: Some(f.description.clone()),
            price: num("price", &f.price, &mut e),
            stock: num("stock", &f.stock, &mut e),
            per_member_limit: num("per_member_limit", &f.per_member_limit, &mut e),
            active: None,
            valid_until: Some(f.valid_until.clone()),
        };
        e.finish()?;
        if input.org_id.is_none() {
            return Err(AppError::invalid("org_id", "请选择工会"));
        }
        let item = super::ops::create_item(&s, &c, &input).await?;
        Ok(format!("已上架“{}”", item.name))
    }
    .await;
    done(&s, &c, r, Typed::of("item", &f)).await
}

async fn update_item(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<ItemForm>,
) -> PageResult {
    let r = async {
        let item = super::ops::item(&s, &c, id).await?;
        let mut e = Errors::default();
        let input = ItemInput {
            stock: num("stock", &f.stock, &mut e),
            active: Some(f.active == "1"),
            // The form sends the end day it shows: unchanged, it stays as it is
            // (even when it has passed).
            valid_until: (f.valid_until.trim() != item.valid_until.as_deref().unwrap_or(""))
                .then(|| f.valid_until.clone()),
            ..Default::default()
        };
        e.finish()?;
        let item = super::ops::update_item(&s, &c, id, &input).await?;
        Ok(format!("已更新“{}”", item.name))
    }
    .await;
    done(&s, &c, r, Typed::default()).await
}

#[derive(Deserialize)]
struct Empty {}

async fn fulfil(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    form: PageForm<Empty>,
) -> PageResult {
    let c = form.caller;
    let r = async {
        super::ops::fulfil(&s, &c, id).await?;
        Ok(format!("订单 {id} 已发放"))
    }
    .await;
    done(&s, &c, r, Typed::default()).await
}

#[derive(Deserialize, Serialize)]
struct RuleForm {
    org_id: Option<String>,
    #[serde(default)]
    code: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    valid_days: String,
}

async fn set_rule(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<RuleForm>,
) -> PageResult {
    let r = async {
        let points: i64 = f
            .points
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("points", "积分应为整数"))?;
        let valid_days = match f.valid_days.trim() {
            "" => None,
            v => Some(
                v.parse::<i64>()
                    .map_err(|_| AppError::invalid("valid_days", "有效天数应为整数"))?,
            ),
        };
        let input = super::ops::RuleInput {
            org_id: f.org_id.as_deref().and_then(|v| v.trim().parse().ok()),
            code: Some(f.code.clone()),
            label: Some(f.label.clone()),
            points: Some(points),
            active: Some(true),
            valid_days,
        };
        if input.org_id.is_none() {
            return Err(AppError::invalid("org_id", "请选择工会"));
        }
        let rule = super::ops::set_rule(&s, &c, &input).await?;
        Ok(match rule.valid_days {
            Some(d) => format!(
                "规则“{}”已保存：每次 {} 分，{d} 天内有效",
                rule.label, rule.points
            ),
            None => format!(
                "规则“{}”已保存：每次 {} 分，长期有效",
                rule.label, rule.points
            ),
        })
    }
    .await;
    done(&s, &c, r, Typed::of("rule", &f)).await
}

#[derive(Deserialize, Serialize)]
struct GrantForm {
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

async fn grant(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<GrantForm>,
) -> PageResult {
    let r = async {
        let m = crate::member::store::resolve(
            &s.db,
            &s.keys,
            &crate::audit::Actor::of(&c),
            &c.scope(Right::Read),
            &f.member_id,
            "member_id",
        )
        .await?;
        let amount = f
            .amount
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid("amount", "积分应为整数"))?;
        let input = super::ops::EntryInput {
            member_id: Some(m.id),
            amount: Some(amount),
            reason: Some(f.reason.clone()),
            ..Default::default()
        };
        super::ops::add_entry(&s, &c, &input).await?;
        Ok(format!("已为 {} 记 {amount} 分", m.name))
    }
    .await;
    done(&s, &c, r, Typed::of("grant", &f)).await
}
