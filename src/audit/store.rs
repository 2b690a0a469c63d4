//! SQL for the audit log.

use super::chain::{entry_mac, Break, ChainCheck, Checkpoint, Entry};
use crate::db::sql::Sql;
use crate::db::{now_ms, Db, Tx};
use serde_json::Value;
use sqlx::FromRow;
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
    let Some(seal) = tx.seal.clone() else {
        // A database opened without its key file cannot seal an entry: refuse
        // the write rather than leave a hole anyone could fill.
        return Err(sqlx::Error::Protocol(
            "the audit log cannot be written without the key file (database opened unsealed)"
                .into(),
        ));
    };
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
        e.hash = entry_mac(&seal.audit_key, &e);
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

/// Where the keyed chain begins, kept sealed in the settings (an attacker who
/// moved it forward could rewrite the keyed part as plain SHA-256).
const KEYED_FROM: &str = "audit_keyed_from";
/// What the one check of the plain chain found on upgrade, if it was broken.
const LEGACY_BREAK: &str = "audit_legacy_break";

fn seal_of(db: &Db) -> anyhow::Result<&crate::db::Seal> {
    db.seal
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("the database was opened without its key file"))
}

fn keyed_from_value(key: &[u8; 32], from: i64) -> String {
    let tag = hex::encode(super::chain::mac(
        key,
        format!("{KEYED_FROM}={from}").as_bytes(),
    ));
    format!("{from}:{tag}")
}

/// Upgrades a database to the keyed chain once: the plain SHA-256 chain so far
/// is verified (a break is remembered and reported by every verify after), and
/// entries from the next one on are sealed with the key. Runs in one
/// transaction holding the head row, so no entry slips in between.
pub async fn seal_chain(db: &Db) -> anyhow::Result<()> {
    if db.setting(KEYED_FROM).await?.is_some() {
        return Ok(());
    }
    let key = seal_of(db)?.audit_key;
    let legacy = verify_plain(db).await?;
    let mut tx = db.begin().await?;
    let head: i64 = sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(KEYED_FROM)
        .bind(keyed_from_value(&key, head + 1))
        .execute(&mut *tx)
        .await?;
    if let Err(b) = &legacy {
        tracing::warn!(
            "the audit log written before this version is broken at entry {}: {}",
            b.id,
            b.reason
        );
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(LEGACY_BREAK)
        .bind(format!("{}:{}", b.id, b.reason))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The plain chain as it was before the keyed one (checked once, on upgrade).
async fn verify_plain(db: &Db) -> anyhow::Result<Result<i64, Break>> {
    let mut check = ChainCheck::new([0; 32], i64::MAX);
    walk(db, &mut check, &mut |_| {}).await
}

/// Walks the chain in pages, then checks the head.
async fn walk(
    db: &Db,
    check: &mut ChainCheck,
    seen: &mut dyn FnMut(&Entry),
) -> anyhow::Result<Result<i64, Break>> {
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
            let e = Entry::from_row(r)?;
            after = e.id;
            if let Err(b) = check.push(&e) {
                return Ok(Err(b));
            }
            seen(&e);
        }
    }
    let head = sqlx::query("SELECT seq, last_hash FROM audit_head WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    Ok(check
        .finish(head.try_get(0)?, &head.try_get::<String, _>(1)?)
        .map(|_| check.checked))
}

/// The checkpoints kept for this database (its file beside the key file), and
/// `extra` lines given by the caller; a line whose seal is wrong is an error.
fn checkpoints(db: &Db, extra: &[String]) -> anyhow::Result<Result<Vec<Checkpoint>, Break>> {
    let seal = seal_of(db)?;
    let mut lines: Vec<String> = extra.to_vec();
    if let Some(f) = &seal.checkpoint_file {
        if let Ok(text) = std::fs::read_to_string(f) {
            lines.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_string),
            );
        }
    }
    let mut out = vec![];
    for (i, l) in lines.iter().enumerate() {
        match Checkpoint::parse(l, &seal.audit_key) {
            Ok(cp) => out.push(cp),
            Err(why) => {
                return Ok(Err(Break {
                    id: 0,
                    reason: format!("checkpoint {} is not valid: {why}", i + 1),
                }))
            }
        }
    }
    Ok(Ok(out))
}

/// Walks the whole chain: `Ok(n)` is the number of entries checked. Checked
/// besides the links and seals: where the keyed part begins (sealed), the
/// plain part's one check on upgrade, and every checkpoint kept outside the
/// database (and any given in `extra`) — the log must still hold at least the
/// entries a checkpoint counted, the last of them unchanged.
pub async fn verify_with(db: &Db, extra: &[String]) -> anyhow::Result<Result<i64, Break>> {
    let key = seal_of(db)?.audit_key;
    let any: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    let keyed_from = match db.setting(KEYED_FROM).await? {
        Some(v) => {
            let from = v.split(':').next().and_then(|n| n.parse::<i64>().ok());
            match from {
                Some(n) if keyed_from_value(&key, n) == v => n,
                _ => {
                    return Ok(Err(Break {
                        id: 1,
                        reason: "the record of where the sealed chain begins was changed".into(),
                    }))
                }
            }
        }
        None if any == 0 => 1,
        None => {
            return Ok(Err(Break {
                id: 1,
                reason: "the record of where the sealed chain begins is missing".into(),
            }))
        }
    };
    if let Some(b) = db.setting(LEGACY_BREAK).await? {
        let (id, reason) = b.split_once(':').unwrap_or(("1", &b));
        return Ok(Err(Break {
            id: id.parse().unwrap_or(1),
            reason: format!("{reason} (found when this database was upgraded to the sealed chain)"),
        }));
    }
    let cps = match checkpoints(db, extra)? {
        Ok(c) => c,
        Err(b) => return Ok(Err(b)),
    };
    let wanted: std::collections::HashSet<i64> = cps.iter().map(|c| c.entries).collect();
    let mut hashes = std::collections::HashMap::new();
    let mut check = ChainCheck::new(key, keyed_from);
    let result = walk(db, &mut check, &mut |e| {
        if wanted.contains(&e.id) {
            hashes.insert(e.id, e.hash.clone());
        }
    })
    .await?;
    let n = match result {
        Ok(n) => n,
        Err(b) => return Ok(Err(b)),
    };
    for cp in &cps {
        let day = crate::db::format_ms(cp.at);
        if cp.entries > n {
            return Ok(Err(Break {
                id: n + 1,
                reason: format!(
                    "entries {}–{} were removed: the checkpoint of {day} counted {} entries, the log now holds {n}",
                    n + 1,
                    cp.entries,
                    cp.entries
                ),
            }));
        }
        if cp.entries > 0 && hashes.get(&cp.entries) != Some(&cp.head) {
            return Ok(Err(Break {
                id: cp.entries,
                reason: format!("it is not the entry the checkpoint of {day} recorded"),
            }));
        }
    }
    Ok(Ok(n))
}

/// `verify_with` and the checkpoints kept beside the key file.
pub async fn verify(db: &Db) -> anyhow::Result<Result<i64, Break>> {
    verify_with(db, &[]).await
}

/// The log's head now as a sealed checkpoint line; appended to the checkpoint
/// file (when it differs from the last one there). Written by `audit verify`,
/// by every export, and by the server every few minutes.
pub async fn checkpoint(db: &Db) -> anyhow::Result<String> {
    let seal = seal_of(db)?;
    let head = sqlx::query("SELECT seq, last_hash FROM audit_head WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    let cp = Checkpoint {
        entries: head.try_get(0)?,
        head: head.try_get(1)?,
        at: now_ms(),
    };
    let line = cp.line(&seal.audit_key);
    if let Some(file) = &seal.checkpoint_file {
        let last = std::fs::read_to_string(file)
            .ok()
            .and_then(|t| t.lines().last().map(str::to_string))
            .and_then(|l| Checkpoint::parse(&l, &seal.audit_key).ok());
        if last.is_none_or(|l| l.entries != cp.entries || l.head != cp.head) {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(file)?;
            writeln!(f, "{line}")?;
            f.sync_all()?;
        }
    }
    Ok(line)
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
    paging: crate::db::Paging,
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
    Ok((
        rows.iter().map(Entry::from_row).collect::<Result<_, _>>()?,
        total,
    ))
}

/// The names of the members, unions and accounts entries point at, for
/// people reading the log (an account by the member's name, else its login
/// as shown).
pub async fn names(
    db: &Db,
    refs: &[(super::readable::Ref, i64)],
) -> Result<std::collections::HashMap<(super::readable::Ref, i64), String>, sqlx::Error> {
    use super::readable::Ref;
    let mut out = std::collections::HashMap::new();
    for (kind, select) in [
        (Ref::Member, "SELECT id, name FROM members WHERE id IN"),
        (Ref::Org, "SELECT id, name FROM orgs WHERE id IN"),
        (
            Ref::Account,
            "SELECT a.id, COALESCE(m.name, a.login_shown, a.username) FROM accounts a \
             LEFT JOIN members m ON m.id = a.member_id WHERE a.id IN",
        ),
    ] {
        let mut ids: Vec<i64> = refs
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, id)| *id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(500) {
            let mut sql = Sql::new("");
            let list: Vec<String> = chunk.iter().map(|id| sql.int(*id)).collect();
            sql.push(&format!("{select} ({})", list.join(", ")));
            for r in sql.fetch_all(&db.pool).await? {
                out.insert((kind, r.try_get::<i64, _>(0)?), r.try_get::<String, _>(1)?);
            }
        }
    }
    Ok(out)
}
