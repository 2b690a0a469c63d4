//! SQL for the audit log.

use super::{entry_hash, Break, ChainCheck, Entry};
use crate::db::{now_ms, Db, Tx};
use crate::web::sql::Sql;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Who did it: an account, or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: Option<i64>,
    pub name: String,
    /// The account's own union: where an entry about the account's own doing
    /// (a search, a refused attempt) is filed.
    pub org_id: Option<i64>,
}

impl Actor {
    pub fn of(c: &crate::auth::Caller) -> Actor {
        Actor {
            account_id: Some(c.account_id),
            name: c.username.clone(),
            org_id: c.assignments.first().map(|a| a.org_id),
        }
    }

    /// The server or a loader acting on its own (`system:points-expiry`, `seed:demo`).
    pub fn system(name: &str) -> Actor {
        Actor {
            account_id: None,
            name: name.to_string(),
            org_id: None,
        }
    }

    /// The command line acts with the rights of whoever holds the key file.
    pub fn cli() -> Actor {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "?".into());
        Actor::system(&format!("cli:{user}"))
    }
}

/// What happened. `detail` never holds an ID number or a phone in plain text.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: Option<i64>,
    pub member_id: Option<i64>,
    pub org_id: Option<i64>,
    pub detail: Value,
}

impl Event {
    pub fn new(action: &'static str, entity: &'static str, entity_id: i64) -> Event {
        Event {
            action,
            entity,
            entity_id: Some(entity_id),
            member_id: None,
            org_id: None,
            detail: Value::Null,
        }
    }

    pub fn member(mut self, id: i64) -> Event {
        self.member_id = Some(id);
        self
    }

    pub fn org(mut self, id: i64) -> Event {
        self.org_id = Some(id);
        self
    }

    pub fn detail(mut self, detail: Value) -> Event {
        self.detail = detail;
        self
    }
}

/// Appends an entry inside the caller's transaction, chained to the one before.
pub async fn append(tx: &mut Tx, actor: &Actor, ev: Event) -> Result<i64, sqlx::Error> {
    Ok(append_all(tx, actor, vec![ev]).await?[0])
}

/// Appends several entries in one go. The head row is the one lock every
/// audited write in the system shares, so a transaction takes it last, just
/// before it commits, and holds it for three statements however many entries
/// it writes. Returns their ids.
pub async fn append_all(
    tx: &mut Tx,
    actor: &Actor,
    events: Vec<Event>,
) -> Result<Vec<i64>, sqlx::Error> {
    if events.is_empty() {
        return Ok(vec![]);
    }
    let n = events.len() as i64;
    let head =
        sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, last_hash")
            .bind(n)
            .fetch_one(&mut **tx)
            .await?;
    let last: i64 = head.try_get(0)?;
    let mut prev_hash: String = head.try_get(1)?;
    let at = now_ms();
    let mut entries = Vec::with_capacity(events.len());
    for (i, ev) in events.into_iter().enumerate() {
        let mut e = Entry {
            id: last - n + 1 + i as i64,
            at,
            account_id: actor.account_id,
            actor: actor.name.clone(),
            action: ev.action.to_string(),
            entity: ev.entity.to_string(),
            entity_id: ev.entity_id,
            member_id: ev.member_id,
            org_id: ev.org_id,
            detail: if ev.detail.is_null() {
                String::new()
            } else {
                ev.detail.to_string()
            },
            prev_hash,
            hash: String::new(),
        };
        e.hash = entry_hash(&e);
        prev_hash = e.hash.clone();
        entries.push(e);
    }
    let rows: Vec<String> = (0..entries.len())
        .map(|i| {
            let p: Vec<String> = (1..=12).map(|k| format!("${}", i * 12 + k)).collect();
            format!("({})", p.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO audit_log (id, at, account_id, actor, action, entity, entity_id, member_id, org_id, detail, prev_hash, hash) VALUES {}",
        rows.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for e in &entries {
        q = q
            .bind(e.id)
            .bind(e.at)
            .bind(e.account_id)
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.entity)
            .bind(e.entity_id)
            .bind(e.member_id)
            .bind(e.org_id)
            .bind(&e.detail)
            .bind(&e.prev_hash)
            .bind(&e.hash);
    }
    q.execute(&mut **tx).await?;
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(&prev_hash)
        .execute(&mut **tx)
        .await?;
    Ok(entries.iter().map(|e| e.id).collect())
}

/// Appends one entry in a transaction of its own (reveals, exports).
pub async fn append_now(db: &Db, actor: &Actor, ev: Event) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let id = append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(id)
}

const COLS: &str = "id, at, account_id, actor, action, entity, entity_id, member_id, org_id, detail, prev_hash, hash";

fn from_row(r: &AnyRow) -> Result<Entry, sqlx::Error> {
    Ok(Entry {
        id: r.try_get(0)?,
        at: r.try_get(1)?,
        account_id: r.try_get(2)?,
        actor: r.try_get(3)?,
        action: r.try_get(4)?,
        entity: r.try_get(5)?,
        entity_id: r.try_get(6)?,
        member_id: r.try_get(7)?,
        org_id: r.try_get(8)?,
        detail: r.try_get(9)?,
        prev_hash: r.try_get(10)?,
        hash: r.try_get(11)?,
    })
}

/// Walks the whole chain in pages; `Ok(n)` is the number of entries checked.
pub async fn verify(db: &Db) -> anyhow::Result<Result<i64, Break>> {
    let mut check = ChainCheck::default();
    let mut after = 0i64;
    loop {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT 5000"
        ))
        .bind(after)
        .fetch_all(&db.pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let e = from_row(r)?;
            after = e.id;
            if let Err(b) = check.push(&e) {
                return Ok(Err(b));
            }
        }
    }
    let head = sqlx::query("SELECT seq, last_hash FROM audit_head WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    Ok(check
        .finish(head.try_get(0)?, &head.try_get::<String, _>(1)?)
        .map(|_| check.checked))
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub member_id: Option<i64>,
    pub account_id: Option<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// Entries about records in the scope (by organisation), newest first.
pub async fn list(
    db: &Db,
    scope: &crate::auth::Scope,
    f: &Filter,
    paging: crate::web::Paging,
) -> Result<(Vec<Entry>, i64), sqlx::Error> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    let mut filter = format!(" FROM audit_log a JOIN orgs o ON o.id = a.org_id WHERE {pred}");
    if let Some(v) = f.member_id {
        let p = sql.int(v);
        filter.push_str(&format!(" AND a.member_id = {p}"));
    }
    if let Some(v) = f.account_id {
        let p = sql.int(v);
        filter.push_str(&format!(" AND a.account_id = {p}"));
    }
    if let Some(v) = f.actor.as_deref().filter(|s| !s.is_empty()) {
        let p = sql.text(v.to_string());
        filter.push_str(&format!(" AND a.actor = {p}"));
    }
    if let Some(v) = f.action.as_deref().filter(|s| !s.is_empty()) {
        let p = sql.text(v.to_string());
        filter.push_str(&format!(" AND a.action = {p}"));
    }
    if let Some(v) = f.from_ms {
        let p = sql.int(v);
        filter.push_str(&format!(" AND a.at >= {p}"));
    }
    if let Some(v) = f.to_ms {
        let p = sql.int(v);
        filter.push_str(&format!(" AND a.at < {p}"));
    }
    let mut count = sql.clone();
    count.push(&format!("SELECT COUNT(*){filter}"));
    let total = count.fetch_count(&db.pool).await?;
    let lim = sql.int(paging.per_page);
    let off = sql.int(paging.offset());
    let cols: Vec<String> = COLS.split(", ").map(|c| format!("a.{c}")).collect();
    sql.push(&format!(
        "SELECT {}{filter} ORDER BY a.id DESC LIMIT {lim} OFFSET {off}",
        cols.join(", ")
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}
