//! Rendering console pages, and errors as pages.

use super::error::AppError;
use super::Nav;
use crate::auth::Caller;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

pub fn render<T: Template>(t: &T) -> Response {
    render_with(StatusCode::OK, t)
}

pub fn render_with<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("template failed: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面渲染失败").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Option<Nav>,
    title: String,
    message: String,
}

pub fn error_page(caller: Option<&Caller>, err: &AppError) -> Response {
    if matches!(err, AppError::Unauthorized) {
        return Redirect::to("/login").into_response();
    }
    if let AppError::Internal(e) = err {
        tracing::error!("internal error: {e:#}");
    }
    let title = match err {
        AppError::NotFound(_) => "未找到",
        AppError::Forbidden(_) => "无权操作",
        AppError::Conflict { .. } => "记录冲突",
        AppError::Invalid(_) => "提交的内容有误",
        AppError::TooManyRequests { .. } | AppError::Limited { .. } => "请稍后再试",
        _ => "出错了",
    };
    let mut message = err.to_string();
    if let AppError::Invalid(errors) = err {
        message = errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("；");
    }
    let page = ErrorPage {
        nav: caller.map(|c| Nav::new(c, "")),
        title: title.into(),
        message,
    };
    render_with(err.status(), &page)
}

/// A page handler's result: a response, or an error shown as a page.
pub struct PageError {
    // Boxed: a Caller is large, and this travels in every page handler's Result.
    pub caller: Option<Box<Caller>>,
    pub error: AppError,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.caller.as_deref(), &self.error)
    }
}

pub type PageResult = Result<Response, PageError>;

/// Attaches the caller to an error so the error page keeps the navigation.
pub trait OrPage<T> {
    fn or_page(self, caller: &Caller) -> Result<T, PageError>;
}

impl<T, E: Into<AppError>> OrPage<T> for Result<T, E> {
    fn or_page(self, caller: &Caller) -> Result<T, PageError> {
        self.map_err(|e| PageError {
            caller: Some(Box::new(caller.clone())),
            error: e.into(),
        })
    }
}
