//! Console pages: the import form, an import's progress and result, export
//! and template downloads.

use super::ops::ExportQuery;
use crate::auth::{Caller, PageCaller, Right};
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::files::xlsx_response;
use crate::web::org_picker::{org_options, OrgOption};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{constant_time_eq, form, Nav};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/members/import",
            get(form_page)
                .post(upload)
                .layer(DefaultBodyLimit::max(super::ops::MAX_UPLOAD)),
        )
        .route("/imports/{id}", get(job_page))
        .route("/imports/{id}/report.xlsx", get(report))
        .route("/members/export.xlsx", get(export))
        .route("/members/template.xlsx", get(template))
}

#[derive(Template)]
#[template(path = "roster/import.html")]
struct ImportPage {
    nav: Option<Nav>,
    orgs: Vec<OrgOption>,
    org_id: i64,
    mode: String,
    error: String,
    recent: Vec<super::store::RecentImport>,
}

async fn view(
    s: &AppState,
    c: &Caller,
    org_id: i64,
    mode: String,
    error: String,
    status: StatusCode,
) -> PageResult {
    if !c.can(Right::Roster) {
        return Err(AppError::forbidden()).or_page(c);
    }
    let orgs = org_options(s, &c.scope(Right::Roster)).await.or_page(c)?;
    let recent = super::store::recent(&s.db, &c.scope(Right::Read))
        .await
        .or_page(c)?;
    Ok(render_with(
        status,
        &ImportPage {
            nav: Some(Nav::new(c, "members")),
            orgs,
            org_id,
            mode,
            error,
            recent,
        },
    ))
}

#[derive(serde::Deserialize)]
struct FormQuery {
    org_id: Option<i64>,
}

async fn form_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<FormQuery>,
) -> PageResult {
    view(
        &s,
        &c,
        q.org_id.or(c.home_org()).unwrap_or(0),
        "all".into(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// The upload form is multipart, so its CSRF token is checked here.
async fn upload(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    mut mp: Multipart,
) -> PageResult {
    let (mut csrf, mut org_id, mut mode, mut filename) =
        (String::new(), None, String::from("all"), String::new());
    let mut upload = super::ops::new_upload(&s).await.or_page(&c)?;
    loop {
        let mut field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let e = crate::web::files::multipart_error(super::ops::MAX_UPLOAD)(e);
                return view(&s, &c, 0, mode, format!("上传失败：{e}"), e.status()).await;
            }
        };
        match field.name().unwrap_or("") {
            "file" => {
                filename = field.file_name().unwrap_or("").to_string();
                loop {
                    let written = match field.chunk().await {
                        Ok(Some(chunk)) => upload.write(&chunk).await,
                        Ok(None) => break,
                        Err(e) => Err(crate::web::files::multipart_error(super::ops::MAX_UPLOAD)(
                            e,
                        )),
                    };
                    if let Err(e) = written {
                        let msg = match &e {
                            AppError::Invalid(_) => e.field_errors()[0].message.clone(),
                            other => other.to_string(),
                        };
                        return view(&s, &c, 0, mode, format!("上传失败：{msg}"), e.status()).await;
                    }
                }
            }
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "org_id" => org_id = field.text().await.unwrap_or_default().trim().parse().ok(),
            "mode" => mode = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    if csrf.is_empty() || !constant_time_eq(csrf.as_bytes(), c.csrf.as_bytes()) {
        return Err(AppError::Forbidden(
            "表单已过期或来源不明（CSRF 校验失败），请返回刷新页面后重试".into(),
        ))
        .or_page(&c);
    }
    let result = super::ops::start(&s, &c, org_id, &mode, &filename, upload).await;
    let (s, c) = (&s, &c);
    form::finish(
        c,
        result,
        |id| form::see(format!("/imports/{id}")),
        |e| async move {
            let msg = e
                .field_errors()
                .into_iter()
                .map(|f| f.message)
                .collect::<Vec<_>>()
                .join("；");
            let msg = if msg.is_empty() { e.to_string() } else { msg };
            view(s, c, org_id.unwrap_or(0), mode, msg, e.status()).await
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "roster/job.html")]
struct JobPage {
    nav: Option<Nav>,
    job: super::outcome::Outcome,
    percent: i64,
    has_report: bool,
}

impl JobPage {
    fn state_label(&self) -> &'static str {
        match self.job.state.as_str() {
            "running" => "导入中",
            "done" => "已完成",
            "checked" => "检查完成（未写入）",
            "rejected" => "未导入（有错误）",
            _ => "失败",
        }
    }
}

async fn job_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> PageResult {
    let job = super::ops::status(&s, &c, id).await.or_page(&c)?;
    let percent = if job.rows_total > 0 {
        (job.rows_done * 100 / job.rows_total).min(100)
    } else {
        0
    };
    let has_report = job.rows_failed > 0 && job.state != "running";
    Ok(render_with(
        StatusCode::OK,
        &JobPage {
            nav: Some(Nav::new(&c, "members")),
            job,
            percent,
            has_report,
        },
    ))
}

async fn report(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> PageResult {
    let bytes = super::ops::report(&s, &c, id).await.or_page(&c)?;
    Ok(xlsx_response(bytes, &format!("导入{id}-有误的行.xlsx")))
}

async fn export(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<ExportQuery>,
) -> PageResult {
    let (bytes, name) = super::ops::export(&s, &c, &q).await.or_page(&c)?;
    Ok(xlsx_response(bytes, &name))
}

async fn template(PageCaller(c): PageCaller) -> PageResult {
    let bytes = super::export::template()
        .map_err(anyhow::Error::from)
        .or_page(&c)?;
    Ok(xlsx_response(bytes, "会员名册模板.xlsx"))
}
