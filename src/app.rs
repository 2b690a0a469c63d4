//! Router assembly and serving: the top of the house.

pub use crate::state::AppState;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;

/// The whole app: every program's API and pages from the list of programs,
/// the OpenAPI document made from the same API routers, and the house's own
/// routes (health, static files).
pub fn router(state: AppState) -> Router {
    crate::program::register(crate::programs::registry());
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .route("/m", get(crate::web::phone::home))
        .route("/static/app.css", get(stylesheet))
        .route(
            "/static/lesson.js",
            get(|| script(include_str!("../static/lesson.js"))),
        )
        .route(
            "/static/import-job.js",
            get(|| script(include_str!("../static/import-job.js"))),
        )
        .route(
            "/static/confirm.js",
            get(|| script(include_str!("../static/confirm.js"))),
        )
        .route(
            "/static/picker.js",
            get(|| script(include_str!("../static/picker.js"))),
        )
        .route(
            "/static/tree.js",
            get(|| script(include_str!("../static/tree.js"))),
        );
    let mut documented = utoipa::openapi::OpenApi::default();
    for p in crate::programs::PROGRAMS {
        let (api, doc) = (p.api)().split_for_parts();
        documented.merge(doc);
        app = app.merge(api).merge((p.pages)());
    }
    let document = serde_json::to_value(crate::openapi::document(documented))
        .expect("the OpenAPI document serialises");
    app.route(
        "/api/v1/openapi.json",
        get(move || {
            let document = document.clone();
            async move { axum::Json(document) }
        }),
    )
    .layer(middleware::from_fn(api_errors_as_problems))
    .layer(middleware::from_fn(page_errors_as_pages))
    .layer(middleware::from_fn_with_state(
        state.behind_https,
        security_headers,
    ))
    .with_state(state)
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(&state.db.pool).await {
        Ok(_) => "ok".into_response(),
        Err(e) => {
            tracing::error!("health check: {e}");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
                .into_response()
        }
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
        .into_response()
}

/// What the pages may load: scripts only from this server (no inline script
/// anywhere), styles from here and inline attributes, images inline (the QR
/// codes), lesson videos from here or the links staff gave.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; media-src 'self' https: http:; object-src 'none'; base-uri 'none'; \
    frame-ancestors 'none'; form-action 'self'";

async fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn security_headers(
    axum::extract::State(behind_https): axum::extract::State<bool>,
    req: Request,
    next: Next,
) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    if behind_https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages and answers carry personal data: never keep them in a shared cache.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// Console and phone addresses answer the product's own Chinese error page for
/// what axum answers itself in plain text or nothing: an unknown address
/// (404), a path whose id does not parse (400), a method a page lacks (405).
async fn page_errors_as_pages(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_page =
        !(path.starts_with("/api/") || path.starts_with("/static/") || path == "/healthz");
    let resp = next.run(req).await;
    let status = resp.status();
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let message = match status.as_u16() {
        404 => "没有这个页面：地址可能输错了，或者内容已被删除。请从首页或菜单进入",
        400 => "地址不正确（其中的编号应为数字）：请从页面上的链接进入",
        405 => "这个页面不支持这种操作：请返回后重试",
        _ => return resp,
    };
    if !is_page || is_html {
        return resp;
    }
    let mut page =
        crate::web::pages::error_page(None, &crate::web::error::AppError::NotFound(message.into()));
    *page.status_mut() = status;
    page
}

/// Every error under /api/ is problem+json, including the ones axum answers
/// itself: a query or path that does not parse (400), an unknown route (404),
/// a method the route lacks (405), a body too large (413).
async fn api_errors_as_problems(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_api || is_problem || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    let detail = match status.as_u16() {
        404 if text.is_empty() => "没有这个接口（请查看 /api/v1/openapi.json）".to_string(),
        405 => "这个接口不支持该请求方法".to_string(),
        _ if text.is_empty() => status.canonical_reason().unwrap_or("Error").to_string(),
        _ => format!("请求格式错误：{text}"),
    };
    let body = serde_json::json!({
        "type": "about:blank", "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(), "detail": detail, "errors": [],
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// Serves until Ctrl-C; `on_ready` learns the bound address (port 0 in tests).
pub async fn serve(state: AppState, listen: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    tracing::info!("serving on http://{addr}");
    eprintln!("Gongjiang is serving on http://{addr}  (Ctrl-C stops it)");
    crate::programs::start_jobs(&state.db);
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// Starts the app on an already-bound listener in the background (tests, benchmarks).
pub fn spawn(state: AppState, listener: tokio::net::TcpListener) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("server stopped: {e}");
        }
    })
}
