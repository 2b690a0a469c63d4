//! The staff form on a course page that adds a lesson: a link, or a video
//! uploaded with it (multipart, so its CSRF token is checked here, before the
//! file is read).

use crate::academy::ops::lessons::attach;
use crate::academy::ops::{self, Viewer};
use crate::academy::{rules, store};
use crate::audit::Actor;
use crate::auth::PageCaller;
use crate::files::{max_upload_bytes, video_extension, Upload};
use crate::state::AppState;
use crate::web::constant_time_eq;
use crate::web::error::{AppError, AppResult, Errors};
use crate::web::pages::PageResult;
use crate::web::{form, FormErrors};
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::routing::post;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/academy/courses/{id}/lessons",
        post(create_lesson_page).layer(DefaultBodyLimit::max(max_upload_bytes())),
    )
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    crate::web::files::multipart_error(max_upload_bytes())(e)
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
        match ops::view(&s, &c, &course).await? {
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
    let (s, c) = (&s, &c);
    form::finish(
        c,
        r,
        |()| form::see(format!("/academy/courses/{course_id}#lessons")),
        |e| async move {
            let errors = match &e {
                AppError::TooLarge(m) => {
                    FormErrors::from_error(&AppError::invalid("file", m.clone()))
                }
                _ => FormErrors::from_error(&e),
            };
            crate::academy::console::courses::course_view(s, c, course_id, errors, e.status()).await
        },
    )
    .await
}
