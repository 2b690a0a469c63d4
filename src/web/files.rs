//! Files over HTTP, both ways: a workbook as a download, and the errors of an
//! upload read from a multipart body.

use crate::web::error::AppError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

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

/// Why a multipart body could not be read: past `limit` bytes (413) or cut off (422).
pub fn multipart_error(
    limit: usize,
) -> impl Fn(axum::extract::multipart::MultipartError) -> AppError {
    move |e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(format!("文件超过 {} MB 的上限", limit / 1024 / 1024))
        } else {
            AppError::invalid("file", format!("无法读取上传内容：{}", e.body_text()))
        }
    }
}
