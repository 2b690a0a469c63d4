//! Lesson videos: who may attach one, and attaching it (the API's upload and
//! the console's form both call this).

use crate::academy::ops::{self, Viewer};
use crate::academy::store;
use crate::audit::Actor;
use crate::auth::Caller;
use crate::files::Upload;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};

/// A lesson and its course, if the caller is staff who may change the course.
pub async fn writable(
    s: &AppState,
    c: &Caller,
    id: i64,
) -> AppResult<(store::Lesson, store::Course)> {
    let lesson = store::lesson(&s.db, id).await?;
    let course = store::course(&s.db, lesson.course_id).await?;
    match ops::view(s, c, &course).await? {
        Viewer::Staff { can_write: true } => Ok((lesson, course)),
        _ => Err(AppError::forbidden()),
    }
}

/// Stores the upload as the lesson's video and removes the one it replaces.
pub async fn attach(
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

/// Why an upload could not be read: past the upload limit (413) or cut off (422).
pub fn too_large_or_invalid(message: &str) -> AppError {
    if message.contains("length limit") {
        AppError::TooLarge(format!(
            "文件超过 {} MB 的上限",
            crate::files::max_upload_bytes() / 1024 / 1024
        ))
    } else {
        AppError::invalid("file", format!("上传中断：{message}"))
    }
}
