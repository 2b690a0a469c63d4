//! `/api/v1/imports` (roster import jobs), `/api/v1/members/export.xlsx` and
//! `/api/v1/members/template.xlsx`: read the request, call an operation, answer.

use super::ops::{self, ExportQuery, MAX_UPLOAD};
use super::outcome::Outcome;
use crate::auth::ApiCaller;
use crate::state::AppState;
use crate::web::api::{ReadErrors, WriteErrors};
use crate::web::error::{AppError, AppResult};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    let (schemas, paths, create) = routes!(create);
    OpenApiRouter::new()
        .routes((
            schemas,
            paths,
            create.layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        ))
        .routes(routes!(show))
        .routes(routes!(report))
        .routes(routes!(export))
        .routes(routes!(template))
        .routes(routes!(org_template))
        .routes(routes!(enterprise_template))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CreateQuery {
    /// The union to import into (roster right there).
    org_id: Option<i64>,
    /// check (write nothing), all (all or nothing, the default), valid (skip bad rows).
    #[param(value_type = Option<ImportMode>)]
    mode: Option<String>,
    /// members (the roster, the default), orgs (the union tree; organisations
    /// right) or enterprises (the enterprise register).
    #[param(value_type = Option<ImportKind>)]
    kind: Option<String>,
    /// The file's name (for the job list and the format when the content does not tell).
    filename: Option<String>,
    /// Members: `1` registers the employers (工作单位) not registered yet, by
    /// name, marked 待补充信用代码; otherwise their rows are refused.
    #[param(pattern = "^(1|0|true|false|)$")]
    register_employers: Option<String>,
}

/// How an import treats bad rows.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
enum ImportMode {
    Check,
    All,
    Valid,
}

/// What a file is imported into.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
enum ImportKind {
    Members,
    Orgs,
    Enterprises,
}

/// The roster file itself as the body: not empty (an empty upload is refused).
struct RosterFile;

impl utoipa::PartialSchema for RosterFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type("application/octet-stream")
            .min_length(Some(1))
            .description(Some("The roster: .xlsx, .xls or .csv (UTF-8 or GBK)."))
            .into()
    }
}

impl utoipa::ToSchema for RosterFile {}

/// The multipart form of an upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ImportForm {
    /// The roster: .xlsx, .xls or .csv (UTF-8 or GBK).
    #[schema(content_media_type = "application/octet-stream", min_length = 1)]
    file: Vec<u8>,
    #[schema(nullable = false)]
    org_id: Option<i64>,
    #[schema(nullable = false, value_type = Option<ImportMode>)]
    mode: Option<String>,
    #[schema(nullable = false, value_type = Option<ImportKind>)]
    kind: Option<String>,
    #[schema(nullable = false)]
    register_employers: Option<String>,
}

/// A job that was started.
#[derive(Serialize, utoipa::ToSchema)]
struct Started {
    id: i64,
    /// Always `running`: follow it at `GET /api/v1/imports/{id}`.
    state: &'static str,
}

/// Starts an import of a roster, the union tree or the enterprise register
/// (`kind`): the file as the body (with `org_id`, `mode`,
/// `filename` in the query) or a multipart form. It goes to disk as it arrives.
#[utoipa::path(post, path = "/api/v1/imports", operation_id = "create_import", tag = "imports", params(CreateQuery),
    request_body(content(
        (RosterFile = "application/octet-stream"),
        (ImportForm = "multipart/form-data"),
    )),
    responses((status = 202, description = "the job, running", body = Started), WriteErrors))]
async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<CreateQuery>,
    headers: HeaderMap,
    req: Request,
) -> AppResult<(StatusCode, Json<Started>)> {
    use futures_util::StreamExt;
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (mut org_id, mut mode, mut filename, mut kind) = (
        q.org_id,
        q.mode.unwrap_or_default(),
        q.filename.unwrap_or_default(),
        q.kind.unwrap_or_default(),
    );
    let mut register = q.register_employers.unwrap_or_default();
    let mut upload = ops::new_upload(&s).await?;
    if is_multipart {
        let mut mp = <Multipart as axum::extract::FromRequest<AppState>>::from_request(req, &s)
            .await
            .map_err(|e| AppError::invalid("file", format!("无法读取上传内容：{e}")))?;
        while let Some(mut field) = mp
            .next_field()
            .await
            .map_err(crate::web::files::multipart_error(MAX_UPLOAD))?
        {
            let name = field.name().unwrap_or("").to_string();
            if name == "file" {
                filename = field.file_name().unwrap_or(&filename).to_string();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(crate::web::files::multipart_error(MAX_UPLOAD))?
                {
                    upload.write(&chunk).await?;
                }
            } else {
                let text = field.text().await.unwrap_or_default();
                match name.as_str() {
                    "org_id" => org_id = text.trim().parse().ok(),
                    "mode" => mode = text,
                    "kind" => kind = text,
                    "register_employers" => register = text,
                    _ => {}
                }
            }
        }
    } else {
        let mut body = req.into_body().into_data_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk
                .map_err(|e| AppError::invalid("file", format!("上传中断：{}", e.into_inner())))?;
            upload.write(&chunk).await?;
        }
    }
    let what = ops::StartImport {
        org_id,
        kind: &kind,
        mode: &mode,
        filename: &filename,
        register_employers: matches!(register.trim(), "1" | "true" | "yes" | "on"),
    };
    let id = ops::start(&s, &c, what, upload).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Started {
            id,
            state: "running",
        }),
    ))
}

/// An import job: live counts while it runs, then how it ended and its errors.
#[utoipa::path(get, path = "/api/v1/imports/{id}", operation_id = "get_import", tag = "imports",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, description = "the job", body = Outcome), ReadErrors))]
async fn show(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Json<Outcome>> {
    Ok(Json(ops::status(&s, &c, id).await?))
}

/// The bad rows as a workbook with a 错误原因 column, to fix and import again.
#[utoipa::path(get, path = "/api/v1/imports/{id}/report.xlsx", operation_id = "get_import_report", tag = "imports",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, description = "Excel workbook (attachment)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), ReadErrors))]
async fn report(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    Ok(crate::web::files::xlsx_response(
        ops::report(&s, &c, id).await?,
        &format!("导入{id}-有误的行.xlsx"),
    ))
}

/// A subtree's roster as a workbook (masked unless `reveal=1` with the right; audited).
#[utoipa::path(get, path = "/api/v1/members/export.xlsx", operation_id = "export_members", tag = "imports", params(ExportQuery),
    responses((status = 200, description = "Excel workbook (attachment)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), ReadErrors))]
async fn export(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let (bytes, name) = ops::export(&s, &c, &q).await?;
    Ok(crate::web::files::xlsx_response(bytes, &name))
}

/// The blank roster with its columns and a 填写说明 sheet.
#[utoipa::path(get, path = "/api/v1/members/template.xlsx", operation_id = "get_member_template", tag = "imports",
    responses((status = 200, description = "Excel workbook (attachment)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), ReadErrors))]
async fn template(ApiCaller(_c): ApiCaller) -> AppResult<Response> {
    let bytes = super::export::template().map_err(anyhow::Error::from)?;
    Ok(crate::web::files::xlsx_response(bytes, "会员名册模板.xlsx"))
}

/// The blank union tree with its columns and a 填写说明 sheet.
#[utoipa::path(get, path = "/api/v1/orgs/template.xlsx", operation_id = "get_org_template", tag = "imports",
    responses((status = 200, description = "Excel workbook (attachment)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), ReadErrors))]
async fn org_template(ApiCaller(_c): ApiCaller) -> AppResult<Response> {
    register_template(super::outcome::Kind::Orgs)
}

/// The blank enterprise register with its columns and a 填写说明 sheet.
#[utoipa::path(get, path = "/api/v1/enterprises/template.xlsx", operation_id = "get_enterprise_template", tag = "imports",
    responses((status = 200, description = "Excel workbook (attachment)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), ReadErrors))]
async fn enterprise_template(ApiCaller(_c): ApiCaller) -> AppResult<Response> {
    register_template(super::outcome::Kind::Enterprises)
}

fn register_template(kind: super::outcome::Kind) -> AppResult<Response> {
    let (bytes, name) = super::registers::template::template(kind).map_err(anyhow::Error::from)?;
    Ok(crate::web::files::xlsx_response(bytes, name))
}
