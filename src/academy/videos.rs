//! Replays (课程回放): lesson videos uploaded into the server's file store,
//! served (with seeking) only to those who may see the course, and the phone
//! player that reports its position so the server can credit watch time.

use super::api::{self, Viewer};
use super::{rules, store};
use crate::audit::Actor;
use crate::auth::{ApiCaller, Caller, PageCaller};
use crate::files::{max_upload_bytes, video_extension, Upload};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult, Errors};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::phone::{nav, MNav};
use crate::web::{constant_time_eq, FormErrors, PageForm};
use askama::Template;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::Value;

pub fn router() -> Router<AppState> {
    let big = DefaultBodyLimit::max(max_upload_bytes());
    Router::new()
        .route("/api/v1/lessons/{id}/video", put(upload_api).layer(big))
        .route("/files/lessons/{id}", get(video))
        .route(
            "/academy/courses/{id}/lessons",
            post(create_lesson_page).layer(big),
        )
        .route("/m/lessons/{id}", get(player))
        .route("/m/lessons/{id}/progress", post(player_progress))
}

/// A lesson and its course, if the caller is staff who may change the course.
async fn writable(s: &AppState, c: &Caller, id: i64) -> AppResult<(store::Lesson, store::Course)> {
    let lesson = store::lesson(&s.db, id).await?;
    let course = store::course(&s.db, lesson.course_id).await?;
    match api::view(s, c, &course).await? {
        Viewer::Staff { can_write: true } => Ok((lesson, course)),
        _ => Err(AppError::forbidden()),
    }
}

/// Stores the upload as the lesson's video and removes the one it replaces.
async fn attach(
    s: &AppState,
    c: &Caller,
    lesson: &store::Lesson,
    course: &store::Course,
    upload: Upload,
) -> AppResult<()> {
    let files = s.files()?;
    let size = upload.size;
    if size == 0 {
        return Err(AppError::invalid("file", "视频文件是空的"));
    }
    let name = upload.finish(files).await?;
    match store::set_video(&s.db, &Actor::of(c), lesson, course.org_id, &name, size).await {
        Ok(Some(old)) => files.remove(&old).await,
        Ok(None) => {}
        Err(e) => {
            files.remove(&name).await;
            return Err(e);
        }
    }
    Ok(())
}

/// `PUT /api/v1/lessons/{id}/video`: the video file as the body, with its
/// Content-Type (video/mp4, video/webm, video/ogg). Replaces the lesson's link.
async fn upload_api(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Json<store::Lesson>> {
    let (lesson, course) = writable(&s, &c, id).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ext = video_extension(content_type).map_err(|m| AppError::invalid("content_type", m))?;
    let mut upload = s.files()?.create("lessons", ext).await?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| too_large_or_invalid(&e.to_string()))?;
        upload.write(&chunk).await?;
    }
    attach(&s, &c, &lesson, &course, upload).await?;
    Ok(Json(store::lesson(&s.db, id).await?))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large_or_invalid("length limit")
    } else {
        too_large_or_invalid(&e.body_text())
    }
}

fn too_large_or_invalid(message: &str) -> AppError {
    if message.contains("length limit") {
        AppError::TooLarge(format!(
            "文件超过 {} MB 的上限",
            max_upload_bytes() / 1024 / 1024
        ))
    } else {
        AppError::invalid("file", format!("上传中断：{message}"))
    }
}

/// `GET /files/lessons/{id}`: the uploaded video, to staff over the course
/// and its members (a page session or an API token), with HTTP ranges.
async fn video(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let caller = match ApiCaller::from_request_parts(&mut parts, &s).await {
        Ok(ApiCaller(c)) => c,
        Err(_) => match PageCaller::from_request_parts(&mut parts, &s).await {
            Ok(PageCaller(c)) => c,
            Err(_) => return AppError::Unauthorized.into_response(),
        },
    };
    let served = async {
        let lesson = store::lesson(&s.db, id).await?;
        let course = store::course(&s.db, lesson.course_id).await?;
        api::view(&s, &caller, &course).await?;
        let file = store::video_file(&s.db, id)
            .await?
            .ok_or_else(|| AppError::not_found("视频文件"))?;
        s.files()?
            .serve(&file, Request::from_parts(parts, body))
            .await
    }
    .await;
    served.unwrap_or_else(IntoResponse::into_response)
}

/// The staff form on a course page: a lesson with a link or an uploaded file
/// (multipart, so its CSRF token is checked here, before the file is read).
async fn create_lesson_page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(course_id): Path<i64>,
    mut mp: Multipart,
) -> PageResult {
    let r: AppResult<()> = async {
        let course = store::course(&s.db, course_id).await?;
        match api::view(&s, &c, &course).await? {
            Viewer::Staff { can_write: true } => {}
            _ => return Err(AppError::forbidden()),
        }
        let (mut csrf_ok, mut title, mut duration, mut url) =
            (false, String::new(), String::new(), String::new());
        let mut upload: Option<Upload> = None;
        while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
            let name = field.name().unwrap_or("").to_string();
            if name == "file" {
                if !csrf_ok {
                    break;
                }
                let has_file = field.file_name().is_some_and(|n| !n.is_empty());
                if !has_file {
                    continue;
                }
                let ct = field.content_type().unwrap_or("").to_string();
                let ext = video_extension(&ct).map_err(|m| AppError::invalid("file", m))?;
                let mut up = s.files()?.create("lessons", ext).await?;
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    up.write(&chunk).await?;
                }
                upload = Some(up).filter(|u| u.size > 0);
                continue;
            }
            let text = field.text().await.unwrap_or_default();
            match name.as_str() {
                "csrf" => {
                    csrf_ok =
                        !text.is_empty() && constant_time_eq(text.as_bytes(), c.csrf.as_bytes())
                }
                "title" => title = text,
                "duration" => duration = text,
                "video_url" => url = text.trim().to_string(),
                _ => {}
            }
        }
        if !csrf_ok {
            return Err(AppError::Forbidden(
                "表单已过期或来源不明（CSRF 校验失败），请返回刷新页面后重试".into(),
            ));
        }
        let mut e = Errors::default();
        let title = e.take("title", crate::org::rules::parse_name(&title));
        let duration = e.take("duration", rules::parse_duration(&duration));
        if upload.is_none() && url.is_empty() {
            e.add("file", "请选择视频文件，或填写视频链接");
        }
        let url = e
            .take("video_url", rules::parse_video_url(&url))
            .unwrap_or_default();
        e.finish()?;
        let lesson = store::create_lesson(
            &s.db,
            &Actor::of(&c),
            &course,
            &title.unwrap_or_default(),
            if upload.is_some() { "" } else { &url },
            duration.unwrap_or(0),
        )
        .await?;
        if let Some(up) = upload {
            attach(&s, &c, &lesson, &course, up).await?;
        }
        Ok(())
    }
    .await;
    match r {
        Ok(()) => {
            Ok(Redirect::to(&format!("/academy/courses/{course_id}#lessons")).into_response())
        }
        Err(e @ (AppError::Invalid(_) | AppError::TooLarge(_))) => {
            let mut errors = FormErrors::from_error(&e);
            if let AppError::TooLarge(m) = &e {
                errors = FormErrors::from_error(&AppError::invalid("file", m.clone()));
            }
            super::staff::course_view(&s, &c, course_id, errors, e.status()).await
        }
        Err(e) => Err(e).or_page(&c),
    }
}

#[derive(Template)]
#[template(path = "m/lesson.html")]
struct PlayerPage {
    m: MNav,
    course: store::Course,
    lesson: store::Lesson,
    watched_ms: i64,
    position_ms: i64,
    percent: i64,
    course_done: bool,
}

impl PlayerPage {
    fn minutes(&self, ms: &i64) -> String {
        let s = *ms / 1000;
        format!("{}:{:02}", s / 60, s % 60)
    }

    fn watched_percent(&self) -> i64 {
        (self.watched_ms * 100 / self.lesson.duration_ms.max(1)).min(100)
    }
}

/// The phone player: the video, how much of it has been credited, and a few
/// lines of script that report the position while it plays.
async fn player(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
) -> PageResult {
    let (m, member) = nav(&s, &c, "courses").await.or_page(&c)?;
    let lesson = store::lesson(&s.db, id).await.or_page(&c)?;
    let course = store::course(&s.db, lesson.course_id).await.or_page(&c)?;
    if !member.org_path.starts_with(&course.org_path) {
        return Err(AppError::not_found("课程")).or_page(&c);
    }
    let progress = store::progress(&s.db, id, member.id).await.or_page(&c)?;
    let percent = store::watch_percent(&s.db, course.id).await.or_page(&c)?;
    let course_done = store::watched_all(&s.db, course.id, member.id)
        .await
        .or_page(&c)?;
    Ok(render_with(
        StatusCode::OK,
        &PlayerPage {
            m,
            course,
            lesson,
            watched_ms: progress.map(|p| p.watched_ms).unwrap_or(0),
            position_ms: progress.map(|p| p.position_ms).unwrap_or(0),
            percent,
            course_done,
        },
    ))
}

#[derive(Deserialize)]
struct PositionForm {
    #[serde(default)]
    position_ms: String,
}

/// The player's report (form-encoded with the page's CSRF token); answers JSON.
async fn player_progress(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller: c, form: f }: PageForm<PositionForm>,
) -> AppResult<Json<Value>> {
    let position: i64 = f
        .position_ms
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("position_ms", "播放位置应为毫秒数"))?;
    Ok(Json(api::watch(&s, &c, id, position).await?))
}
