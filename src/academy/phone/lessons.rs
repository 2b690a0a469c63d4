//! The phone player (课程回放): the video, how much of it has been credited,
//! and the script (`/static/lesson.js`) that reports the position while it
//! plays, so the server can credit watch time.

use crate::academy::ops;
use crate::academy::store;
use crate::auth::PageCaller;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::phone::{nav, MNav};
use crate::web::PageForm;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/lessons/{id}", get(player))
        .route("/m/lessons/{id}/progress", post(player_progress))
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
) -> AppResult<Json<ops::Watched>> {
    let position: i64 = f
        .position_ms
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("position_ms", "播放位置应为毫秒数"))?;
    Ok(Json(ops::watch(&s, &c, id, position).await?))
}
