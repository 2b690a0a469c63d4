//! The auditor's view: entries by person, by account and by time, within the
//! caller's subtree. `GET /audit` (page) and `GET /api/v1/audit` (JSON).

use super::store::{self, Filter};
use super::Entry;
use crate::auth::{ApiCaller, Caller, PageCaller, Right};
use crate::db::{date_start_ms, format_ms, Paging};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{non_empty, Nav};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(page))
        .route("/api/v1/audit", get(api_list))
}

#[derive(Deserialize, Default, Clone)]
pub struct AuditQuery {
    member_id: Option<String>,
    account_id: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    /// `YYYY-MM-DD`, Beijing time, inclusive.
    from: Option<String>,
    /// `YYYY-MM-DD`, Beijing time, inclusive.
    to: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

fn filter(q: &AuditQuery) -> AppResult<Filter> {
    let int = |field: &str, v: &Option<String>| -> AppResult<Option<i64>> {
        match non_empty(v) {
            None => Ok(None),
            Some(t) => t
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid(field, "应为数字编号")),
        }
    };
    let day = |field: &str, v: &Option<String>, next: bool| -> AppResult<Option<i64>> {
        match non_empty(v) {
            None => Ok(None),
            Some(t) => date_start_ms(t, next)
                .map(Some)
                .map_err(|m| AppError::invalid(field, m)),
        }
    };
    Ok(Filter {
        member_id: int("member_id", &q.member_id)?,
        account_id: int("account_id", &q.account_id)?,
        actor: non_empty(&q.actor).map(str::to_string),
        action: non_empty(&q.action).map(str::to_string),
        from_ms: day("from", &q.from, false)?,
        to_ms: day("to", &q.to, true)?,
    })
}

fn require(c: &Caller) -> AppResult<()> {
    if c.can(Right::Audit) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "审计日志仅管理员和审计（只读）账号可以查看".into(),
        ))
    }
}

async fn api_list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<AuditQuery>,
) -> AppResult<Json<Value>> {
    require(&c)?;
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = store::list(&s.db, &c.scope(Right::Audit), &filter(&q)?, paging).await?;
    let items: Vec<Value> = items.iter().map(entry_json).collect();
    Ok(Json(
        json!({ "items": items, "total": total, "page": paging.page, "per_page": paging.per_page }),
    ))
}

fn entry_json(e: &Entry) -> Value {
    json!({
        "id": e.id, "at": e.at, "account_id": e.account_id, "actor": e.actor, "action": e.action,
        "entity": e.entity, "entity_id": e.entity_id, "member_id": e.member_id, "org_id": e.org_id,
        "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null), "hash": e.hash,
    })
}

/// What an action means, for people reading the page.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "member.create" => "登记会员",
        "member.update" => "修改会员",
        "member.transfer" => "会员转会",
        "member.reveal" => "查看完整号码",
        "member.lookup" => "按完整号码查找",
        "member.lookup_refused" => "完整号码查找被暂停",
        "member.export" => "导出名册",
        "member.import" => "导入名册",
        "org.create" => "新建组织",
        "org.update" => "修改组织",
        "enterprise.create" => "登记企业",
        "enterprise.update" => "修改企业",
        "account.create" => "新建账号",
        "account.password" => "设置密码",
        "account.disable" => "停用账号",
        "account.enable" => "启用账号",
        "account.request_reveal" => "申请查看权限",
        "account.grant_reveal" => "授予查看权限",
        "account.revoke_reveal" => "收回查看权限",
        "seed.synthetic" => "生成测试数据",
        "points.entry" => "积分记账",
        "points.expire" => "积分到期",
        "points.rule" => "积分规则",
        "catalog.create" => "新增兑换物品",
        "catalog.update" => "修改兑换物品",
        "catalog.redeem" => "积分兑换",
        "catalog.fulfil" => "兑换发放",
        "enrolment.enrol" => "报名",
        "enrolment.cancel" => "取消报名",
        "enrolment.attend" => "签到",
        "academy.create" => "设立学院",
        "academy.staff" => "学院工作人员",
        "academy.message" => "意见反馈",
        "academy.message.answer" => "答复反馈",
        "course.create" => "新开课程",
        "course.update" => "修改课程",
        "course.category" => "新增课程类别",
        "course.session" => "新增场次",
        "course.lesson" => "新增课程视频",
        "course.lesson_video" => "上传课程视频",
        "course.feedback" => "课程评价",
        "cadre.create" => "登记干部",
        "cadre.update" => "修改干部",
        "cadre.item.create" => "新增干部积分项",
        "cadre.item.update" => "修改干部积分项",
        "cadre.entry" => "干部积分记录",
        "cadre.reverse" => "冲销干部积分",
        _ => "其他",
    }
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    nav: Option<Nav>,
    items: Vec<Entry>,
    total: i64,
    page: i64,
    pages: i64,
    q: AuditQuery,
    query_base: String,
    error: String,
}

impl AuditPage {
    fn when(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
    fn label(&self, action: &str) -> &'static str {
        action_label(action)
    }
    fn text<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

async fn page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    require(&c).or_page(&c)?;
    let paging = Paging::new(q.page, Some(50));
    let (items, total, error, status) = match filter(&q) {
        Ok(f) => {
            let (items, total) = store::list(&s.db, &c.scope(Right::Audit), &f, paging)
                .await
                .or_page(&c)?;
            (items, total, String::new(), StatusCode::OK)
        }
        Err(e) => {
            let msg = e
                .field_errors()
                .into_iter()
                .map(|f| f.message)
                .collect::<Vec<_>>()
                .join("；");
            (vec![], 0, msg, StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    let query_base = serde_urlencoded::to_string([
        ("member_id", q.member_id.clone().unwrap_or_default()),
        ("account_id", q.account_id.clone().unwrap_or_default()),
        ("actor", q.actor.clone().unwrap_or_default()),
        ("action", q.action.clone().unwrap_or_default()),
        ("from", q.from.clone().unwrap_or_default()),
        ("to", q.to.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let page = AuditPage {
        nav: Some(Nav::new(&c, "audit")),
        items,
        total,
        page: paging.page,
        pages: paging.pages(total),
        q,
        query_base,
        error,
    };
    Ok(render_with(status, &page))
}
