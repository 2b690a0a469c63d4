//! The one application error. The API answers it as problem+json (RFC 9457)
//! with a per-field `errors` list; pages render it (see `web::pages`).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use crate::fields::{Errors, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("请先登录")]
    Unauthorized,
    #[error("用户名或密码错误，或账号已停用")]
    LoginFailed,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Conflict {
        message: String,
        field: Option<String>,
    },
    #[error("提交的内容有误")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    TooLarge(String),
    #[error("尝试次数过多，请 {retry_after_secs} 秒后再试")]
    TooManyRequests { retry_after_secs: u64 },
    /// A limit of its own kind reached, said in its own words (429).
    #[error("{message}")]
    Limited {
        message: String,
        retry_after_secs: u64,
    },
    #[error("服务器内部错误")]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: &str) -> AppError {
        AppError::NotFound(format!("{what}不存在或不在您的管辖范围内"))
    }

    pub fn forbidden() -> AppError {
        AppError::Forbidden("您的角色无权进行此操作".into())
    }

    pub fn conflict(field: Option<&str>, message: impl Into<String>) -> AppError {
        AppError::Conflict {
            message: message.into(),
            field: field.map(str::to_string),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized | AppError::LoginFailed => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } | AppError::Limited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            AppError::Invalid(errors) => errors.clone(),
            AppError::Conflict {
                message,
                field: Some(f),
            } => vec![FieldError::new(f, message.clone())],
            _ => vec![],
        }
    }

    /// Logs an internal error with its cause chain; the caller sees a generic message.
    fn log(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!("internal error: {e:#}");
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> AppError {
        if crate::db::is_unique_violation(&e) {
            // Pre-checks give the friendly message; this covers a race between two writers.
            return AppError::conflict(None, "记录已存在（唯一性冲突），请刷新后重试");
        }
        AppError::Internal(e.into())
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    errors: Vec<FieldError>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let problem = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.to_string(),
            errors: self.field_errors(),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut resp = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if let AppError::TooManyRequests { retry_after_secs }
        | AppError::Limited {
            retry_after_secs, ..
        } = self
        {
            if let Ok(v) = retry_after_secs.to_string().parse() {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<crate::fields::Invalid> for AppError {
    fn from(e: crate::fields::Invalid) -> AppError {
        AppError::Invalid(e.0)
    }
}
