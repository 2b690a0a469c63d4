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
        .route("/orgs/template.xlsx", get(org_template))
        .route("/enterprises/template.xlsx", get(enterprise_template))
}

#[derive(Template)]
#[template(path = "roster/import.html")]
struct ImportPage {
    nav: Option<Nav>,
    orgs: Vec<OrgOption>,
    org_id: i64,
    /// members, orgs or enterprises.
    kind: String,
    mode: String,
    error: String,
    recent: Vec<super::store::RecentImport>,
}

/// What the form was given, to show it again after an error.
struct Typed {
    org_id: i64,
    kind: String,
    mode: String,
}

async fn view(
    s: &AppState,
    c: &Caller,
    typed: Typed,
    error: String,
    status: StatusCode,
) -> PageResult {
    let right = if typed.kind == "orgs" {
        Right::Orgs
    } else {
        Right::Roster
    };
    if !c.can(right) {
        return Err(AppError::forbidden()).or_page(c);
    }
    let orgs = org_options(s, &c.scope(right)).await.or_page(c)?;
    let recent = super::store::recent(&s.db, &c.scope(Right::Read))
        .await
        .or_page(c)?;
    Ok(render_with(
        status,
        &ImportPage {
            nav: Some(Nav::new(c, "members")),
            orgs,
            org_id: typed.org_id,
            kind: typed.kind,
            mode: typed.mode,
            error,
            recent,
        },
    ))
}

#[derive(serde::Deserialize)]
struct FormQuery {
    org_id: Option<i64>,
    kind: Option<String>,
}

async fn form_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<FormQuery>,
) -> PageResult {
    let kind = match q.kind.as_deref() {
        Some(k @ ("orgs" | "enterprises")) => k.to_string(),
        _ => "members".into(),
    };
    let typed = Typed {
        org_id: q.org_id.or(c.home_org()).unwrap_or(0),
        kind,
        mode: "all".into(),
    };
    view(&s, &c, typed, String::new(), StatusCode::OK).await
}

/// The upload form is multipart, so its CSRF token is checked here.
async fn upload(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    mut mp: Multipart,
) -> PageResult {
    let (mut csrf, mut org_id, mut mode, mut filename, mut kind) = (
        String::new(),
        None,
        String::from("all"),
        String::new(),
        String::from("members"),
    );
    let mut register_employers = false;
    let mut upload = super::ops::new_upload(&s).await.or_page(&c)?;
    loop {
        let mut field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let e = crate::web::files::multipart_error(super::ops::MAX_UPLOAD)(e);
                let typed = Typed {
                    org_id: 0,
                    kind,
                    mode,
                };
                return view(&s, &c, typed, format!("上传失败：{e}"), e.status()).await;
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
                        let typed = Typed {
                            org_id: 0,
                            kind,
                            mode,
                        };
                        return view(&s, &c, typed, format!("上传失败：{msg}"), e.status()).await;
                    }
                }
            }
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "org_id" => org_id = field.text().await.unwrap_or_default().trim().parse().ok(),
            "mode" => mode = field.text().await.unwrap_or_default(),
            "kind" => kind = field.text().await.unwrap_or_default(),
            "register_employers" => {
                register_employers = !field.text().await.unwrap_or_default().is_empty()
            }
            _ => {}
        }
    }
    if csrf.is_empty() || !constant_time_eq(csrf.as_bytes(), c.csrf.as_bytes()) {
        return Err(AppError::Forbidden(
            "表单已过期或来源不明（CSRF 校验失败），请返回刷新页面后重试".into(),
        ))
        .or_page(&c);
    }
    let what = super::ops::StartImport {
        org_id,
        kind: &kind,
        mode: &mode,
        filename: &filename,
        register_employers,
    };
    let result = super::ops::start(&s, &c, what, upload).await;
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
            let typed = Typed {
                org_id: org_id.unwrap_or(0),
                kind,
                mode,
            };
            view(s, c, typed, msg, e.status()).await
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
    fn kind(&self) -> super::outcome::Kind {
        super::outcome::Kind::parse(&self.job.kind).unwrap_or(super::outcome::Kind::Members)
    }

    fn what(&self) -> &'static str {
        self.kind().label()
    }

    fn unit(&self) -> &'static str {
        match self.kind() {
            super::outcome::Kind::Members => "人",
            super::outcome::Kind::Orgs => "个组织",
            super::outcome::Kind::Enterprises => "家企业",
        }
    }

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

async fn org_template(PageCaller(c): PageCaller) -> PageResult {
    register_template(&c, super::outcome::Kind::Orgs)
}

async fn enterprise_template(PageCaller(c): PageCaller) -> PageResult {
    register_template(&c, super::outcome::Kind::Enterprises)
}

fn register_template(c: &Caller, kind: super::outcome::Kind) -> PageResult {
    let (bytes, name) = super::registers::template::template(kind)
        .map_err(anyhow::Error::from)
        .or_page(c)?;
    Ok(xlsx_response(bytes, name))
}
