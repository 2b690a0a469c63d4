//! SQL for course categories: the four built in (`CATEGORIES`) and those an
//! admin adds at a union, which are offered to the courses of that union's subtree.

use crate::academy::CATEGORIES;
use crate::audit::{self, Actor, Event};
use crate::auth::Scope;
use crate::db::sql::Sql;
use crate::db::{now_ms, Db};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Category {
    /// None for a built-in category.
    pub id: Option<i64>,
    pub name: String,
    #[sqlx(default)]
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

const COLS: &str = "c.id, c.name, c.org_id, o.name AS org_name";

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
        .map(Category::from_row)
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
        out.push(Category::from_row(&r)?);
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
