//! The outcome of a console or phone form, in one place: done (usually a
//! redirect), the form shown again with its errors and what was typed (a
//! mistake the user can fix), or the error page (anything else).

use crate::auth::Caller;
use crate::web::error::{AppError, AppResult};
use crate::web::pages::{OrPage, PageResult};
use axum::response::{IntoResponse, Redirect, Response};
use std::future::Future;

impl AppError {
    /// A mistake the form can show beside its fields: bad input, a clash, a
    /// record named in the form that is not there.
    pub fn is_form_error(&self) -> bool {
        matches!(
            self,
            AppError::Invalid(_)
                | AppError::Conflict { .. }
                | AppError::NotFound(_)
                | AppError::Limited { .. }
        )
    }
}

/// Finishes a form: `done` with the result, `again` with a form error, the
/// error page otherwise.
pub async fn finish<T, Again, Fut>(
    c: &Caller,
    result: AppResult<T>,
    done: impl FnOnce(T) -> Response,
    again: Again,
) -> PageResult
where
    Again: FnOnce(AppError) -> Fut,
    Fut: Future<Output = PageResult>,
{
    match result {
        Ok(v) => Ok(done(v)),
        Err(e) if e.is_form_error() => again(e).await,
        Err(e) => Err(e).or_page(c),
    }
}

/// The usual `done`: see the page at `to`.
pub fn see(to: impl AsRef<str>) -> Response {
    Redirect::to(to.as_ref()).into_response()
}
