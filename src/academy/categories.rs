//! Course categories: the four built in (`CATEGORIES`) and those an admin adds
//! at a union, which are offered to the courses of that union's subtree.
//! The store, the JSON API and the console page `/academy/categories`.

use super::{rules, CATEGORIES};
use crate::audit::{self, Actor, Event};
use crate::auth::{ApiCaller, Caller, PageCaller, Right, Scope};
use crate::db::sql::Sql;
use crate::db::{now_ms, Db};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::org_picker::{org_options, OrgOption};
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::{ApiJson, FormErrors, Nav, PageForm};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::Row;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/academy/categories", post(api_create).get(api_list))
        .route("/academy/categories", get(page).post(page_create))
}

// ---------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Category {
    /// None for a built-in category.
    pub id: Option<i64>,
    pub name: String,
    pub builtin: bool,
    /// The union that added it (None for a built-in).
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
}

impl Category {
    fn builtins() -> Vec<Category> {
        CATEGORIES
            .iter()
            .map(|n| Category {
                id: None,
                name: n.to_string(),
                builtin: true,
                org_id: None,
                org_name: None,
            })
            .collect()
    }
}

const COLS: &str = "c.id, c.name, c.org_id, o.name";

fn category_of(r: &AnyRow) -> Result<Category, sqlx::Error> {
    Ok(Category {
        id: Some(r.try_get(0)?),
        name: r.try_get(1)?,
        builtin: false,
        org_id: Some(r.try_get(2)?),
        org_name: Some(r.try_get(3)?),
    })
}

/// The categories added at the unions on a path: the union itself and every one above.
async fn added_on_path(db: &Db, path: &str) -> AppResult<Vec<Category>> {
    let mut sql = Sql::new("");
    let prefixes: Vec<String> = crate::org::rules::ancestor_paths(path)
        .into_iter()
        .map(|p| sql.text(p))
        .collect();
    if prefixes.is_empty() {
        return Ok(vec![]);
    }
    sql.push(&format!(
        "SELECT {COLS} FROM course_categories c JOIN orgs o ON o.id = c.org_id \
         WHERE o.path IN ({}) ORDER BY o.path, c.id",
        prefixes.join(", ")
    ));
    Ok(sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(category_of)
        .collect::<Result<_, _>>()?)
}

/// What a course at the union on `path` may be filed under: the built-ins,
/// then those added at that union and above (the highest union's first).
pub async fn offered_on_path(db: &Db, path: &str) -> AppResult<Vec<Category>> {
    let mut out = Category::builtins();
    out.extend(added_on_path(db, path).await?);
    Ok(out)
}

/// Whether `name` is a category a course at `org_id` may have: a built-in or
/// one added at that union or above; else the message for the field.
pub async fn check(db: &Db, org_id: i64, name: &str) -> AppResult<Result<(), String>> {
    let name = name.trim();
    if CATEGORIES.contains(&name) {
        return Ok(Ok(()));
    }
    let path: Option<String> = sqlx::query("SELECT path FROM orgs WHERE id = $1")
        .bind(org_id)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    let offered = match path {
        Some(p) => offered_on_path(db, &p).await?,
        None => Category::builtins(),
    };
    if !name.is_empty() && offered.iter().any(|c| c.name == name) {
        return Ok(Ok(()));
    }
    let names: Vec<&str> = offered.iter().map(|c| c.name.as_str()).collect();
    let names = names.join("、");
    Ok(Err(if name.is_empty() {
        format!("课程类别应为：{names}")
    } else {
        format!("课程类别应为：{names}（“{name}”不是本工会或上级工会的类别）")
    }))
}

/// The categories that apply anywhere in `scope`: the built-ins, those added
/// at the scope's unions and above, and those added below them. A course form
/// offers them all; creating the course checks the chosen union.
pub async fn in_scope(db: &Db, scope: &Scope) -> AppResult<Vec<Category>> {
    let mut sql = Sql::new("");
    let mut above: Vec<String> = vec![];
    for p in &scope.paths {
        for a in crate::org::rules::ancestor_paths(p) {
            above.push(sql.text(a));
        }
    }
    let inside = scope.org_predicate(&mut sql, "o.path");
    let above = if above.is_empty() {
        "1 = 0".to_string()
    } else {
        format!("o.path IN ({})", above.join(", "))
    };
    sql.push(&format!(
        "SELECT {COLS} FROM course_categories c JOIN orgs o ON o.id = c.org_id \
         WHERE {above} OR {inside} ORDER BY o.path, c.id"
    ));
    let mut out = Category::builtins();
    for r in sql.fetch_all(&db.pool).await? {
        out.push(category_of(&r)?);
    }
    Ok(out)
}

/// The names for a course form's select, each once.
pub async fn names_in_scope(db: &Db, scope: &Scope) -> AppResult<Vec<String>> {
    let mut names: Vec<String> = vec![];
    for c in in_scope(db, scope).await? {
        if !names.contains(&c.name) {
            names.push(c.name);
        }
    }
    Ok(names)
}

/// Adds a category at a union: 409 for a built-in name or one that the union
/// or a union above already offers.
pub async fn create(
    db: &Db,
    actor: &Actor,
    org: &crate::org::store::Org,
    name: &str,
) -> AppResult<Category> {
    if CATEGORIES.contains(&name) {
        return Err(AppError::conflict(
            Some("name"),
            format!("“{name}”是内置类别，无需添加"),
        ));
    }
    if let Some(c) = added_on_path(db, &org.path)
        .await?
        .into_iter()
        .find(|c| c.name == name)
    {
        let at = c.org_name.unwrap_or_default();
        return Err(AppError::conflict(
            Some("name"),
            if c.org_id == Some(org.id) {
                format!("“{at}”已有类别“{name}”")
            } else {
                format!("上级工会“{at}”已有类别“{name}”，下级课程可直接使用")
            },
        ));
    }
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO course_categories (org_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(org.id)
    .bind(name)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    audit::append(
        &mut tx,
        actor,
        Event::new("course.category", "course_category", id)
            .org(org.id)
            .detail(json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(Category {
        id: Some(id),
        name: name.to_string(),
        builtin: false,
        org_id: Some(org.id),
        org_name: Some(org.name.clone()),
    })
}

// ---------------------------------------------------------------------------
// Shared by the API and the page
// ---------------------------------------------------------------------------

/// Adds a category for the caller: the union must be visible (else 404) and
/// the caller an admin over it (Right::Orgs, else 403); then the name is checked.
pub async fn create_for(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    name: &str,
) -> AppResult<Category> {
    let org_id = org_id.ok_or_else(|| AppError::invalid("org_id", "请指定工会 org_id"))?;
    let org = crate::org::store::get(&s.db, &c.scope(Right::Read), org_id).await?;
    if !c.scope(Right::Orgs).covers_path(&org.path) {
        return Err(AppError::Forbidden(
            "添加课程类别需该工会（或上级工会）的管理员账号".into(),
        ));
    }
    let name = rules::parse_category(name).map_err(|e| AppError::invalid("name", e))?;
    create(&s.db, &Actor::of(c), &org, &name).await
}

// ---------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct CategoryBody {
    org_id: Option<i64>,
    name: Option<String>,
}

/// `POST /api/v1/academy/categories` `{org_id, name}` (admin) → 201.
async fn api_create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<CategoryBody>,
) -> AppResult<(StatusCode, Json<Category>)> {
    let cat = create_for(&s, &c, b.org_id, b.name.as_deref().unwrap_or("")).await?;
    Ok((StatusCode::CREATED, Json(cat)))
}

#[derive(Deserialize)]
struct ListQuery {
    org_id: Option<i64>,
}

/// The union whose offer is asked for: org_id when the caller sees it (a
/// member: their union or one above), else the member's union or the
/// caller's first staff union.
async fn union_path(s: &AppState, c: &Caller, org_id: Option<i64>) -> AppResult<(i64, String)> {
    let own = match c.member_id {
        Some(mid) if !c.can(Right::Read) => Some(
            crate::member::store::get(&s.db, &s.keys, &Scope::new(vec![], Some(mid)), mid).await?,
        ),
        _ => None,
    };
    let id = match (org_id, &own, c.home_org()) {
        (Some(id), _, _) => id,
        (None, Some(m), _) => return Ok((m.org_id, m.org_path.clone())),
        (None, None, Some(home)) => home,
        (None, None, None) => return Err(AppError::invalid("org_id", "请指定工会 org_id")),
    };
    if let Some(m) = own {
        let path: Option<String> = sqlx::query("SELECT path FROM orgs WHERE id = $1")
            .bind(id)
            .fetch_optional(&s.db.pool)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        return match path {
            Some(p) if m.org_path.starts_with(&p) => Ok((id, p)),
            _ => Err(AppError::not_found("组织")),
        };
    }
    let org = crate::org::store::get(&s.db, &c.scope(Right::Read), id).await?;
    Ok((org.id, org.path))
}

/// `GET /api/v1/academy/categories?org_id=`: the built-ins plus those of the union and its ancestors.
async fn api_list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let (org_id, path) = union_path(&s, &c, q.org_id).await?;
    let items = offered_on_path(&s.db, &path).await?;
    Ok(Json(
        json!({ "org_id": org_id, "total": items.len(), "items": items }),
    ))
}

// ---------------------------------------------------------------------------
// The console page
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "academy/categories.html")]
struct CategoriesPage {
    nav: Option<Nav>,
    categories: Vec<Category>,
    orgs: Vec<OrgOption>,
    org_id: i64,
    name: String,
    notice: String,
    errors: FormErrors,
    can_add: bool,
}

async fn view(
    s: &AppState,
    c: &Caller,
    org_id: i64,
    name: String,
    notice: String,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    if !c.can(Right::Read) {
        return Ok(Redirect::to("/m/courses").into_response());
    }
    let categories = in_scope(&s.db, &c.scope(Right::Read)).await.or_page(c)?;
    let orgs = org_options(s, &c.scope(Right::Orgs)).await.or_page(c)?;
    let page = CategoriesPage {
        nav: Some(Nav::new(c, "academy")),
        categories,
        orgs,
        org_id: if org_id > 0 {
            org_id
        } else {
            c.home_org().unwrap_or(0)
        },
        name,
        notice,
        errors,
        can_add: c.can(Right::Orgs),
    };
    Ok(render_with(status, &page))
}

#[derive(Deserialize)]
struct AddedQuery {
    added: Option<String>,
}

async fn page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<AddedQuery>,
) -> PageResult {
    let notice = q
        .added
        .map(|n| format!("已添加类别“{n}”"))
        .unwrap_or_default();
    view(
        &s,
        &c,
        0,
        String::new(),
        notice,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
struct CategoryForm {
    org_id: Option<String>,
    #[serde(default)]
    name: String,
}

async fn page_create(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<CategoryForm>,
) -> PageResult {
    let org_id = f.org_id.as_deref().and_then(|v| v.trim().parse().ok());
    match create_for(&s, &c, org_id, &f.name).await {
        Ok(cat) => {
            let q = serde_urlencoded::to_string([("added", &cat.name)]).unwrap_or_default();
            Ok(Redirect::to(&format!("/academy/categories?{q}")).into_response())
        }
        Err(
            e @ (AppError::Invalid(_)
            | AppError::Conflict { .. }
            | AppError::NotFound(_)
            | AppError::Forbidden(_)),
        ) => {
            view(
                &s,
                &c,
                org_id.unwrap_or(0),
                f.name,
                String::new(),
                FormErrors::from_error(&e),
                e.status(),
            )
            .await
        }
        Err(e) => Err(e).or_page(&c),
    }
}
