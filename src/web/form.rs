//! The outcome of a console or phone form, in one place: done (usually a
//! redirect), the form shown again with its errors and what was typed (a
//! mistake the user can fix), or the error page (anything else).

use crate::auth::Caller;
use crate::web::error::{AppError, AppResult};
use crate::web::pages::{OrPage, PageResult};
use axum::response::{IntoResponse, Redirect};
use std::future::Future;

impl AppError {
    /// A mistake the form can show beside its fields: bad input, a clash, a
    /// record named in the form that is not there, a file too big. A refusal
    /// of the caller's role (403) is the error page: the form may not even be
    /// shown to that caller, and the page says why.
    pub fn is_form_error(&self) -> bool {
        matches!(
            self,
            AppError::Invalid(_)
                | AppError::Conflict { .. }
                | AppError::NotFound(_)
                | AppError::TooLarge(_)
                | AppError::Limited { .. }
        )
    }

    /// The message a form shows for it: the first field's, else the error's own.
    pub fn form_message(&self) -> String {
        self.field_errors()
            .into_iter()
            .map(|f| f.message)
            .next()
            .unwrap_or_else(|| self.to_string())
    }
}

/// Finishes a form: `done` with the result (a redirect, or the page again
/// with a notice), `again` with a form error (the form with its errors and
/// what was typed), the error page otherwise. Every console and phone form
/// ends here, so they all tell a mistake from a failure the same way.
pub async fn finish<T, DoneFut, AgainFut>(
    c: &Caller,
    result: AppResult<T>,
    done: impl FnOnce(T) -> DoneFut,
    again: impl FnOnce(AppError) -> AgainFut,
) -> PageResult
where
    DoneFut: Future<Output = PageResult>,
    AgainFut: Future<Output = PageResult>,
{
    match result {
        Ok(v) => done(v).await,
        Err(e) if e.is_form_error() => again(e).await,
        Err(e) => Err(e).or_page(c),
    }
}

/// The usual `done`: see the page at `to`.
pub fn see(to: impl AsRef<str>) -> std::future::Ready<PageResult> {
    std::future::ready(Ok(Redirect::to(to.as_ref()).into_response()))
}
