//! `GET /files/lessons/{id}`: a lesson's uploaded video, served with HTTP
//! ranges (seeking) to those who may see its course — a page session or an
//! API token.

use crate::academy::ops;
use crate::academy::store;
use crate::auth::{ApiCaller, PageCaller};
use crate::state::AppState;
use crate::web::error::AppError;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().route("/files/lessons/{id}", get(video))
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
        ops::view(&s, &caller, &course).await?;
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
