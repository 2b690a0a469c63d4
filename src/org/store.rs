//! SQL for the union tree. Every read and write takes the caller's scope.

use super::rules;
use crate::audit::{self, Actor, Event};
use crate::auth::scope::path_upper;
use crate::auth::{Access, Scope};
use crate::db::sql::Sql;
use crate::db::Paging;
use crate::db::{like_escape, now_ms, Db};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Org {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<i64>,
    /// 负责人 ("" when not recorded).
    pub leader: String,
    /// The union office's telephone ("" when not recorded).
    pub phone: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub path: String,
}

impl Org {
    pub fn depth(&self) -> usize {
        rules::depth(&self.path)
    }
}

const COLS: &str = "o.id, o.code, o.name, o.kind, o.parent_id, o.leader, o.phone, o.path";

pub struct NewOrg {
    pub code: String,
    pub name: String,
    pub kind: String,
}

/// Fields a PATCH may change; `parent_id` moves the subtree.
#[derive(Default)]
pub struct OrgPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub parent_id: Option<i64>,
    pub leader: Option<String>,
    pub phone: Option<String>,
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> AppResult<Org> {
    let mut sql = Sql::new("");
    let p = sql.int(id);
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT {COLS} FROM orgs o WHERE o.id = {p} AND {pred}"
    ));
    let row = sql.query().fetch_optional(&db.pool).await?;
    match row {
        Some(r) => Ok(Org::from_row(&r)?),
        None => Err(AppError::not_found("组织")),
    }
}

/// Unscoped lookup by code, for the CLI (which runs with the machine's rights).
pub async fn get_by_code(db: &Db, code: &str) -> Result<Option<Org>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM orgs o WHERE o.code = $1"))
        .bind(code)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| Org::from_row(&r)).transpose()
}

pub async fn list(
    db: &Db,
    scope: &Scope,
    q: Option<&str>,
    parent_id: Option<i64>,
    paging: Paging,
) -> AppResult<(Vec<Org>, i64)> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    let mut filter = format!(" FROM orgs o WHERE {pred}");
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let p = sql.text(format!("%{}%", like_escape(q)));
        filter.push_str(&format!(
            " AND (o.name LIKE {p} ESCAPE '\\' OR o.code LIKE {p} ESCAPE '\\')"
        ));
    }
    if let Some(parent) = parent_id {
        let p = sql.int(parent);
        filter.push_str(&format!(" AND o.parent_id = {p}"));
    }
    let mut count = sql.clone();
    count.push(&format!("SELECT COUNT(*){filter}"));
    let total = count.fetch_count(&db.pool).await?;
    let lim = sql.int(paging.per_page);
    let off = sql.int(paging.offset());
    sql.push(&format!(
        "SELECT {COLS}{filter} ORDER BY o.path LIMIT {lim} OFFSET {off}"
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    let items = rows.iter().map(Org::from_row).collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// How many organisations each scope holds, in one statement (the dashboard).
pub async fn count_in(db: &Db, scopes: &[Scope]) -> AppResult<Vec<i64>> {
    // Kept per subtree by the triggers of migration 0020.
    let n = super::subtree::totals(db, scopes, &["orgs"]).await?;
    Ok(n.into_iter().map(|v| v[0]).collect())
}

/// The whole visible tree in path order (parents before children).
pub async fn tree(db: &Db, scope: &Scope) -> AppResult<Vec<Org>> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT {COLS} FROM orgs o WHERE {pred} ORDER BY o.path"
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    Ok(rows.iter().map(Org::from_row).collect::<Result<_, _>>()?)
}

/// Members on the roll (在册) of each organisation in the scope and below
/// it, by organisation id: one grouped count, summed up the tree here.
pub async fn member_totals(
    db: &Db,
    scope: &Scope,
) -> AppResult<std::collections::HashMap<i64, i64>> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT o.id, o.path, (SELECT COUNT(*) FROM members m WHERE m.org_id = o.id AND m.status = '在册') \
         FROM orgs o WHERE {pred}"
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    let mut by_path: std::collections::HashMap<String, (i64, i64)> = Default::default();
    let mut own = vec![];
    for r in &rows {
        let (id, path, n): (i64, String, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        by_path.insert(path.clone(), (id, 0));
        own.push((path, n));
    }
    // Each organisation's own members count for it and every ancestor shown.
    for (path, n) in own {
        for (i, _) in path.match_indices('/').skip(1) {
            if let Some(t) = by_path.get_mut(&path[..=i]) {
                t.1 += n;
            }
        }
    }
    Ok(by_path.into_values().collect())
}

/// The direct children of an organisation, those in the scope.
pub async fn children(db: &Db, scope: &Scope, parent_id: i64) -> AppResult<Vec<Org>> {
    let mut sql = Sql::new("");
    let p = sql.int(parent_id);
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT {COLS} FROM orgs o WHERE o.parent_id = {p} AND {pred} ORDER BY o.path"
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    Ok(rows.iter().map(Org::from_row).collect::<Result<_, _>>()?)
}

async fn code_taken(db: &Db, code: &str, except: Option<i64>) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM orgs WHERE code = $1 AND id <> $2")
        .bind(code)
        .bind(except.unwrap_or(-1))
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    Ok(n > 0)
}

/// An organisation the caller may change: 404 out of sight, 403 in sight without the right.
pub async fn writable(db: &Db, access: &Access, id: i64) -> AppResult<Org> {
    let org = get(db, &access.see, id).await?;
    access.check(&org.path, "组织")?;
    Ok(org)
}

/// Creates an organisation under `parent_id`, which must be in reach of
/// `access`; `None` for both makes a root (CLI and seed only).
pub async fn create(
    db: &Db,
    actor: &Actor,
    access: Option<&Access>,
    new: NewOrg,
    parent_id: Option<i64>,
) -> AppResult<Org> {
    let parent_path = match (access, parent_id) {
        (Some(access), Some(pid)) => Some(writable(db, access, pid).await?.path),
        (None, Some(pid)) => Some(get(db, &Scope::everything(), pid).await?.path),
        (Some(_), None) => return Err(AppError::invalid("parent_id", "请选择上级组织")),
        (None, None) => None,
    };
    if code_taken(db, &new.code, None).await? {
        return Err(AppError::conflict(
            Some("code"),
            format!("组织代码“{}”已被使用", new.code),
        ));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO orgs (code, name, kind, parent_id, path, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(&new.code)
    .bind(&new.name)
    .bind(&new.kind)
    .bind(parent_id)
    // Paths are unique; until the id is known, the (unique) code stands in.
    .bind(format!("#{}", new.code))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let path = match &parent_path {
        Some(pp) => rules::child_path(pp, id),
        None => rules::root_path(id),
    };
    sqlx::query("UPDATE orgs SET path = $1 WHERE id = $2")
        .bind(&path)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let ev = Event::new("org.create", "org", id).org(id).detail(
        json!({ "code": new.code, "name": new.name, "kind": new.kind, "parent_id": parent_id }),
    );
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(Org {
        id,
        code: new.code,
        name: new.name,
        kind: new.kind,
        parent_id,
        leader: String::new(),
        phone: String::new(),
        path,
    })
}

/// Edits an organisation in reach of `access`; a new parent moves the whole
/// subtree, which needs the right at both ends (the old parent and the new one).
pub async fn update(
    db: &Db,
    actor: &Actor,
    access: &Access,
    id: i64,
    patch: OrgPatch,
) -> AppResult<Org> {
    let org = writable(db, access, id).await?;
    let scope = &access.change;
    if let Some(code) = &patch.code {
        if code_taken(db, code, Some(id)).await? {
            return Err(AppError::conflict(
                Some("code"),
                format!("组织代码“{code}”已被使用"),
            ));
        }
    }
    let mut new_path = None;
    let mut moved_under = None;
    if let Some(new_parent) = patch.parent_id.filter(|p| Some(*p) != org.parent_id) {
        let Some(old_parent) = org.parent_id else {
            return Err(AppError::invalid("parent_id", "顶级组织不能移动"));
        };
        // Both ends must be in the scope; outside it, the parent does not exist for this caller.
        get(db, scope, old_parent)
            .await
            .map_err(|_| AppError::Forbidden("移动组织需要原上级和新上级两端的管理权限".into()))?;
        let target = get(db, scope, new_parent)
            .await
            .map_err(|_| AppError::NotFound("新的上级组织不存在或不在您的管辖范围内".into()))?;
        rules::check_move(&org.path, &target.path)
            .map_err(|m| AppError::invalid("parent_id", m))?;
        new_path = Some(rules::child_path(&target.path, id));
        moved_under = Some((new_parent, target.path.clone()));
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE orgs SET code = COALESCE($1, code), name = COALESCE($2, name), kind = COALESCE($3, kind), \
         parent_id = COALESCE($4, parent_id), updated_at = $5, leader = COALESCE($7, leader), \
         phone = COALESCE($8, phone) WHERE id = $6",
    )
    .bind(patch.code.clone())
    .bind(patch.name.clone())
    .bind(patch.kind.clone())
    .bind(patch.parent_id)
    .bind(now_ms())
    .bind(id)
    .bind(patch.leader.clone())
    .bind(patch.phone.clone())
    .execute(&mut *tx)
    .await?;
    if let Some(np) = &new_path {
        // Rewrite the path prefix of the node and every descendant in one statement.
        sqlx::query(
            "UPDATE orgs SET path = $1 || substr(path, CAST($2 AS INTEGER)) WHERE path >= $3 AND path < $4",
        )
        .bind(np.clone())
        .bind(org.path.len() as i64 + 1)
        .bind(org.path.clone())
        .bind(path_upper(&org.path))
        .execute(&mut *tx)
        .await?;
        // The members of the subtree carry its path (search reads it there).
        sqlx::query(
            "UPDATE members SET org_path = $1 || substr(org_path, CAST($2 AS INTEGER)) \
             WHERE org_path >= $3 AND org_path < $4",
        )
        .bind(np.clone())
        .bind(org.path.len() as i64 + 1)
        .bind(org.path.clone())
        .bind(path_upper(&org.path))
        .execute(&mut *tx)
        .await?;
    }
    if let Some((parent, parent_path)) = &moved_under {
        let (left, joined) = rules::ancestors_changed(&org.path, parent_path);
        super::subtree::moved(&mut tx, db.backend, id, *parent, (&left, &joined)).await?;
    }
    let detail = json!({
        "code": patch.code, "name": patch.name, "kind": patch.kind, "leader": patch.leader, "phone": patch.phone,
        "moved_from": new_path.as_ref().and(org.parent_id), "moved_to": new_path.as_ref().and(patch.parent_id),
    });
    audit::append(
        &mut tx,
        actor,
        Event::new("org.update", "org", id).org(id).detail(detail),
    )
    .await?;
    tx.commit().await?;
    get(db, &Scope::everything(), id).await
}

/// Members and enterprises in a subtree, for the organisation page (of an
/// organisation the caller sees: it counts its whole subtree).
pub async fn subtree_counts(db: &Db, scope: &Scope, org: &Org) -> AppResult<(i64, i64, i64)> {
    if !scope.covers_path(&org.path) {
        return Err(AppError::not_found("组织"));
    }
    let hi = path_upper(&org.path);
    let orgs: i64 = sqlx::query("SELECT COUNT(*) FROM orgs WHERE path >= $1 AND path < $2")
        .bind(&org.path)
        .bind(&hi)
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    let ents: i64 = sqlx::query(
        "SELECT COUNT(*) FROM enterprises e JOIN orgs o ON o.id = e.org_id WHERE o.path >= $1 AND o.path < $2",
    )
    .bind(&org.path)
    .bind(&hi)
    .fetch_one(&db.pool)
    .await?
    .try_get(0)?;
    let members: i64 = sqlx::query(
        "SELECT COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.path >= $1 AND o.path < $2",
    )
    .bind(&org.path)
    .bind(&hi)
    .fetch_one(&db.pool)
    .await?
    .try_get(0)?;
    Ok((orgs - 1, ents, members))
}

/// A union as an import writes it, inside the import's transaction (which
/// has checked the right at the subtree imported into).
pub struct ImportedOrg<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub leader: &'a str,
    pub phone: &'a str,
}

/// Creates a union under the parent (id and path) and returns its id and path.
pub async fn insert_in(
    tx: &mut crate::db::Tx,
    o: &ImportedOrg<'_>,
    parent: (i64, &str),
) -> Result<(i64, String), sqlx::Error> {
    let now = now_ms();
    let id: i64 = sqlx::query(
        "INSERT INTO orgs (code, name, kind, parent_id, path, leader, phone, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(o.code)
    .bind(o.name)
    .bind(o.kind)
    .bind(parent.0)
    .bind(format!("#{}", o.code))
    .bind(o.leader)
    .bind(o.phone)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    let path = rules::child_path(parent.1, id);
    sqlx::query("UPDATE orgs SET path = $1 WHERE id = $2")
        .bind(&path)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok((id, path))
}

/// Changes a union's name and kind; its leader and phone only where given.
pub async fn update_in(
    tx: &mut crate::db::Tx,
    id: i64,
    o: &ImportedOrg<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orgs SET name = $1, kind = $2, leader = CASE WHEN $3 = '' THEN leader ELSE $3 END, \
         phone = CASE WHEN $4 = '' THEN phone ELSE $4 END, updated_at = $5 WHERE id = $6",
    )
    .bind(o.name)
    .bind(o.kind)
    .bind(o.leader)
    .bind(o.phone)
    .bind(now_ms())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every code in use, for codes an import generates and codes it may not take.
pub async fn all_codes(db: &Db) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT code FROM orgs")
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
}
