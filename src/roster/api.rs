//! `/api/v1/imports` (roster import jobs), `/api/v1/members/export.xlsx` and
//! `/api/v1/members/template.xlsx`.

use super::import::{self, Mode};
use super::Progress;
use crate::audit::Actor;
use crate::auth::{ApiCaller, Caller, Right};
use crate::files::{FileStore, Upload};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Uploads up to this size (a million-row .xlsx is about 60 MB).
pub const MAX_UPLOAD: usize = 256 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/imports",
            post(create).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/api/v1/imports/{id}", get(show))
        .route("/api/v1/imports/{id}/report.xlsx", get(report))
        .route("/api/v1/members/export.xlsx", get(export))
        .route("/api/v1/members/template.xlsx", get(template))
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn xlsx_response(bytes: Vec<u8>, filename: &str) -> Response {
    // RFC 6266: an ASCII fallback and the UTF-8 name.
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"roster.xlsx\"; filename*=UTF-8''{encoded}");
    (
        [
            (header::CONTENT_TYPE, XLSX.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// A new upload for a roster: written to a temporary file as it arrives,
/// never held in memory, refused (413) past `MAX_UPLOAD`.
pub async fn new_upload(s: &AppState) -> AppResult<Upload> {
    let store = match &s.files {
        Some(f) => (**f).clone(),
        None => FileStore::new(std::env::temp_dir().join("gongjiang-uploads")),
    };
    Ok(store
        .create("imports", "upload")
        .await?
        .with_limit(MAX_UPLOAD as u64))
}

/// Starts an import of the uploaded `file` into `org_id`'s subtree; it runs in
/// the background, waiting for a free slot when others are running.
pub async fn start(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    mode: &str,
    filename: &str,
    file: Upload,
) -> AppResult<i64> {
    let org_id = org_id.ok_or_else(|| AppError::invalid("org_id", "请选择导入到哪个组织"))?;
    crate::auth::checks::writable_org(s, c, org_id, crate::auth::Right::Roster).await?;
    let org = crate::org::store::get(&s.db, &c.scope(Right::Read), org_id).await?;
    let mode = Mode::parse(mode).map_err(|m| AppError::invalid("mode", m))?;
    if file.size == 0 {
        return Err(AppError::invalid("file", "上传的文件是空的"));
    }
    let file = file.into_temp().await?;
    let filename = if filename.trim().is_empty() {
        "roster.xlsx".to_string()
    } else {
        filename.trim().to_string()
    };
    let actor = Actor::of(c);
    let id = import::create_job(&s.db, &actor, &org, mode, &filename).await?;
    let progress = Arc::new(Progress::default());
    s.imports.insert(id, progress.clone());
    let s = s.clone();
    tokio::spawn(async move {
        // One slot per running import: the rest wait here, costing nothing but their file on disk.
        let slot = s.imports.slots.clone().acquire_owned().await;
        let job = import::Job {
            id,
            actor,
            org,
            mode,
            filename,
        };
        let result = import::run(
            &s.db,
            s.keys.clone(),
            &s.parser,
            &job,
            file.path(),
            progress,
        )
        .await;
        drop(slot);
        drop(file);
        if let Err(e) = result {
            tracing::error!("import {id} failed: {e:#}");
            let _ = sqlx::query(
                "UPDATE imports SET state = 'failed', message = $1, finished_at = $2 WHERE id = $3",
            )
            .bind("导入时发生内部错误，未写入任何数据；请稍后重试或联系管理员")
            .bind(crate::db::now_ms())
            .bind(id)
            .execute(&s.db.pool)
            .await;
        }
        s.imports.remove(id);
    });
    Ok(id)
}

/// Why a multipart body could not be read: too large (413) or cut off (422).
pub fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(format!("文件超过 {} MB 的上限", MAX_UPLOAD / 1024 / 1024))
    } else {
        AppError::invalid("file", format!("无法读取上传内容：{}", e.body_text()))
    }
}

#[derive(Deserialize)]
struct CreateQuery {
    org_id: Option<i64>,
    mode: Option<String>,
    filename: Option<String>,
}

/// `POST /api/v1/imports?org_id=&mode=&filename=` with the file as the body,
/// or a multipart form with `file`, `org_id` and `mode` fields. Either way the
/// file goes to disk as it arrives.
async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<CreateQuery>,
    headers: HeaderMap,
    req: Request,
) -> AppResult<(StatusCode, Json<Value>)> {
    use futures_util::StreamExt;
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (mut org_id, mut mode, mut filename) = (
        q.org_id,
        q.mode.unwrap_or_default(),
        q.filename.unwrap_or_default(),
    );
    let mut upload = new_upload(&s).await?;
    if is_multipart {
        let mut mp = <Multipart as axum::extract::FromRequest<AppState>>::from_request(req, &s)
            .await
            .map_err(|e| AppError::invalid("file", format!("无法读取上传内容：{e}")))?;
        while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
            let name = field.name().unwrap_or("").to_string();
            if name == "file" {
                filename = field.file_name().unwrap_or(&filename).to_string();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    upload.write(&chunk).await?;
                }
            } else {
                let text = field.text().await.unwrap_or_default();
                match name.as_str() {
                    "org_id" => org_id = text.trim().parse().ok(),
                    "mode" => mode = text,
                    _ => {}
                }
            }
        }
    } else {
        let mut body = req.into_body().into_data_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk
                .map_err(|e| AppError::invalid("file", format!("上传中断：{}", e.into_inner())))?;
            upload.write(&chunk).await?;
        }
    }
    let id = start(&s, &c, org_id, &mode, &filename, upload).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "state": "running" })),
    ))
}

/// The job as the caller may see it: live counters while it runs here.
pub async fn status(s: &AppState, c: &Caller, id: i64) -> AppResult<import::Outcome> {
    let Some((mut outcome, org_id)) = import::load(&s.db, &s.keys, id).await? else {
        return Err(AppError::not_found("导入任务"));
    };
    crate::org::store::get(&s.db, &c.scope(Right::Read), org_id)
        .await
        .map_err(|_| AppError::not_found("导入任务"))?;
    if outcome.state == "running" {
        if let Some(p) = s.imports.get(id) {
            outcome.rows_total = p.rows_total.load(Ordering::Relaxed);
            outcome.rows_done = p.rows_done.load(Ordering::Relaxed);
            outcome.rows_failed = p.rows_failed.load(Ordering::Relaxed);
        }
    }
    Ok(outcome)
}

async fn show(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<import::Outcome>> {
    Ok(Json(status(&s, &c, id).await?))
}

pub async fn report_bytes(s: &AppState, c: &Caller, id: i64) -> AppResult<Vec<u8>> {
    status(s, c, id).await?;
    import::load_report(&s.db, &s.keys, id)
        .await?
        .ok_or_else(|| AppError::NotFound("这次导入没有有误的行".into()))
}

async fn report(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    Ok(xlsx_response(
        report_bytes(&s, &c, id).await?,
        &format!("导入{id}-有误的行.xlsx"),
    ))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    pub org_id: Option<i64>,
    pub reveal: Option<String>,
}

/// Exports a subtree; whole numbers only with the reveal right, and audited either way.
pub async fn export_bytes(
    s: &AppState,
    c: &Caller,
    q: &ExportQuery,
) -> AppResult<(Vec<u8>, String)> {
    let read = c.scope(Right::Read);
    if read.paths.is_empty() {
        return Err(AppError::forbidden());
    }
    let org_id = match q.org_id {
        Some(id) => id,
        None => c
            .home_org()
            .ok_or_else(|| AppError::invalid("org_id", "请指定导出哪个组织"))?,
    };
    let org = crate::org::store::get(&s.db, &read, org_id).await?;
    let reveal = matches!(q.reveal.as_deref(), Some("1" | "true" | "yes"));
    if reveal && !c.scope(Right::Reveal).covers_path(&org.path) {
        return Err(AppError::Forbidden(
            "导出完整身份证号和手机号需要单独授权（由管理员授予）".into(),
        ));
    }
    let file = std::env::temp_dir().join(format!(
        "gongjiang-export-{}.xlsx",
        crate::auth::session::random_token()
    ));
    let result = super::export::export(&s.db, &s.keys, &Actor::of(c), &org, reveal, &file).await;
    let bytes = result.and_then(|_| Ok(std::fs::read(&file)?));
    let _ = std::fs::remove_file(&file);
    Ok((bytes?, format!("{}-会员名册.xlsx", org.name)))
}

async fn export(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let (bytes, name) = export_bytes(&s, &c, &q).await?;
    Ok(xlsx_response(bytes, &name))
}

async fn template(ApiCaller(_c): ApiCaller) -> AppResult<Response> {
    let bytes = super::export::template().map_err(anyhow::Error::from)?;
    Ok(xlsx_response(bytes, "会员名册模板.xlsx"))
}
