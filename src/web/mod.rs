//! Shared web parts: the JSON and form extractors, the page layout.

pub mod api;
pub mod error;
pub mod files;
pub mod form;
pub mod org_picker;
pub mod pages;
pub mod phone;

use crate::auth::{Caller, Right};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use error::{AppError, FieldError};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// A JSON body whose parse errors come back as problem+json 422 naming the field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge("请求体过大（上限 2 MB）".into())
            } else {
                AppError::invalid("body", format!("无法读取请求体：{e}"))
            }
        })?;
        let mut value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| json_error(&e))?;
        integral_numbers_as_integers(&mut value);
        T::deserialize(value)
            .map(ApiJson)
            .map_err(|e| json_error(&e))
    }
}

/// JSON has one number type: `48.0` is the integer 48 to a JavaScript
/// client and to JSON Schema, so it is read as one (serde would refuse it for
/// an `i64` field). A fraction stays a fraction and is refused there.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Exactly representable and inside i64 (2^63 itself is not).
            if f.fract() == 0.0 && f >= -(2f64.powi(63)) && f < 2f64.powi(63) {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

fn json_error(e: &serde_json::Error) -> AppError {
    let msg = e.to_string();
    // serde names the field in backticks for missing/unknown fields.
    let field = msg
        .split('`')
        .nth(1)
        .filter(|_| msg.contains("field"))
        .unwrap_or("body")
        .to_string();
    AppError::Invalid(vec![FieldError {
        field,
        message: format!("JSON 格式或字段类型错误：{msg}"),
    }])
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A form posted from a console page: the caller is signed in and the form
/// carries the session's CSRF token. Every page form goes through this.
pub struct PageForm<T> {
    pub caller: Caller,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for PageForm<T> {
    type Rejection = axum::response::Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let (mut parts, body) = req.into_parts();
        let crate::auth::PageCaller(caller) =
            <crate::auth::PageCaller as axum::extract::FromRequestParts<AppState>>::from_request_parts(
                &mut parts, state,
            )
            .await?;
        let req = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| e.into_response())?;
        let token: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField {
            csrf: String::new(),
        });
        if token.csrf.is_empty() || !constant_time_eq(token.csrf.as_bytes(), caller.csrf.as_bytes())
        {
            return Err(pages::error_page(
                Some(&caller),
                &AppError::Forbidden(
                    "表单已过期或来源不明（CSRF 校验失败），请返回刷新页面后重试".into(),
                ),
            ));
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            pages::error_page(
                Some(&caller),
                &AppError::invalid("form", format!("表单内容有误：{e}")),
            )
        })?;
        Ok(PageForm { caller, form })
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A link in a navigation bar as a page shows it.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub on: bool,
}

/// The links of one bar this caller may follow, the open page's marked.
pub fn nav_links(phone: bool, caller: &Caller, active: &str) -> Vec<NavLink> {
    let r = crate::program::registry();
    let items = if phone { &r.phone_nav } else { &r.console_nav };
    items
        .iter()
        .filter(|i| i.show.allows(caller))
        .map(|i| NavLink {
            href: i.href,
            label: i.label,
            on: i.key == active,
        })
        .collect()
}

/// What the layout needs on every console page.
pub struct Nav {
    pub username: String,
    pub roles: String,
    pub csrf: String,
    pub active: &'static str,
    /// The bar: every program's entries this caller may see.
    pub links: Vec<NavLink>,
    pub is_member: bool,
}

impl Nav {
    pub fn new(caller: &Caller, active: &'static str) -> Nav {
        Nav {
            username: caller.username.clone(),
            roles: caller.roles_label(),
            csrf: caller.csrf.clone(),
            active,
            links: nav_links(false, caller, active),
            is_member: !caller.can(Right::Read),
        }
    }
}

/// Empty form fields mean "not given".
pub fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Field errors for a form template: the message beside a field, and its CSS class.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    pub fn from_error(e: &AppError) -> FormErrors {
        let mut list = e.field_errors();
        if list.is_empty() {
            list.push(FieldError::new("form", e.to_string()));
        }
        FormErrors(list)
    }

    pub fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
            .unwrap_or("")
    }

    pub fn cls(&self, field: &str) -> &'static str {
        if self.0.iter().any(|e| e.field == field) {
            "invalid"
        } else {
            ""
        }
    }

    /// Messages not tied to a visible field, shown above the form.
    pub fn general(&self, shown: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|e| !shown.contains(&e.field.as_str()))
            .map(|e| e.message.clone())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether any of these fields has an error (to open the form that has it).
    pub fn any(&self, fields: &[&str]) -> bool {
        self.0.iter().any(|e| fields.contains(&e.field.as_str()))
    }
}

/// The pager under a list (`templates/pager.html`): previous, next, and a
/// box to jump to a page, each keeping the list's filters.
#[derive(Debug, Clone)]
pub struct Pager {
    pub path: &'static str,
    pub page: i64,
    pub pages: i64,
    /// The filters as a query string ending in `&` ("" without filters).
    pub query: String,
    /// The filters, for the jump form's hidden fields.
    pub params: Vec<(String, String)>,
}

impl Pager {
    pub fn new(path: &'static str, page: i64, pages: i64, params: &[(&str, String)]) -> Pager {
        let params: Vec<(String, String)> = params
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let mut query = serde_urlencoded::to_string(&params).unwrap_or_default();
        if !query.is_empty() {
            query.push('&');
        }
        Pager {
            path,
            page,
            pages,
            query,
            params,
        }
    }
}

/// What was typed into one of a page's forms (`form` names which, when a page
/// has several), to show it again beside the errors after a mistake.
#[derive(Debug, Default, Clone)]
pub struct Typed {
    form: &'static str,
    values: Vec<(String, String)>,
}

impl Typed {
    /// The text fields of a submitted form (a struct of `String`s).
    pub fn of(form: &'static str, submitted: &impl serde::Serialize) -> Typed {
        let values = match serde_json::to_value(submitted) {
            Ok(serde_json::Value::Object(fields)) => fields
                .into_iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k, s)),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        };
        Typed { form, values }
    }

    /// What was typed into `field` of `form` ("" when that form was not the one sent).
    pub fn get(&self, form: &str, field: &str) -> &str {
        if self.form != form {
            return "";
        }
        self.values
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Whether `form` was sent (its fields hold what was typed, not defaults).
    pub fn sent(&self, form: &str) -> bool {
        !self.form.is_empty() && self.form == form
    }
}

#[cfg(test)]
mod number_tests {
    use super::integral_numbers_as_integers;
    use serde_json::json;

    #[test]
    fn integral_numbers_become_integers_and_fractions_stay() {
        let mut v = json!({"a": 48.0, "b": [1.0, -2.0, 2.5], "c": {"d": 1e300, "e": "3.0"}});
        integral_numbers_as_integers(&mut v);
        assert_eq!(
            v,
            json!({"a": 48, "b": [1, -2, 2.5], "c": {"d": 1e300, "e": "3.0"}})
        );
        assert!(v["a"].is_i64() && v["b"][2].is_f64() && v["c"]["d"].is_f64());
        let mut edge = json!([2f64.powi(63), -(2f64.powi(63))]);
        integral_numbers_as_integers(&mut edge);
        assert!(edge[0].is_f64(), "2^63 does not fit an i64");
        assert_eq!(edge[1], json!(i64::MIN));
    }
}
