//! SQL for the roster's import jobs (the `imports` table). The job's own
//! writing of members happens inside its one transaction in `import::run`.

use super::outcome::{Kind, Mode, Outcome, RowError};
use crate::audit::Actor;
use crate::auth::Scope;
use crate::db::sql::Sql;
use crate::db::{format_ms, now_ms, Db};
use crate::org::store::Org;
use crate::pii::Keyring;
use crate::web::error::{AppError, AppResult};
use sqlx::Row;

/// "host:pid" of this process, kept on a running job.
pub fn runner_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{}:{}", host.trim(), std::process::id())
}

/// Jobs left `running` by a process of this host that no longer exists were
/// cut off (killed, power lost): their transaction never committed.
pub async fn mark_interrupted(db: &Db) -> anyhow::Result<()> {
    let host = runner_id().split(':').next().unwrap_or("").to_string();
    let rows = sqlx::query("SELECT id, runner FROM imports WHERE state = 'running'")
        .fetch_all(&db.pool)
        .await?;
    for r in rows {
        let id: i64 = r.try_get(0)?;
        let runner: String = r.try_get(1)?;
        let Some((h, pid)) = runner.split_once(':') else {
            continue;
        };
        if h == host && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            sqlx::query("UPDATE imports SET state = 'failed', message = $1, finished_at = $2 WHERE id = $3 AND state = 'running'")
                .bind("导入过程中程序被中断，本次导入未写入任何数据，可以重新导入")
                .bind(now_ms())
                .bind(id)
                .execute(&db.pool)
                .await?;
        }
    }
    Ok(())
}

/// Registers a job; the caller has checked the right to write `org`'s roster.
pub async fn create_job(
    db: &Db,
    actor: &Actor,
    org: &Org,
    kind: Kind,
    mode: Mode,
    filename: &str,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO imports (org_id, account_id, actor, runner, filename, mode, state, created_at, kind) \
         VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8) RETURNING id",
    )
    .bind(org.id)
    .bind(actor.account_id)
    .bind(&actor.name)
    .bind(runner_id())
    .bind(filename)
    .bind(mode.as_str())
    .bind(now_ms())
    .bind(kind.as_str())
    .fetch_one(&db.pool)
    .await?;
    row.try_get(0)
}

pub async fn finish<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    exec: E,
    keys: &Keyring,
    o: &Outcome,
) -> Result<(), sqlx::Error> {
    // The error list and the report quote the rows, ID numbers included: stored encrypted.
    let errors = keys.encrypt(&serde_json::to_string(&o.errors).unwrap_or_default());
    sqlx::query(
        "UPDATE imports SET state = $1, rows_total = $2, rows_done = $3, rows_failed = $4, rows_created = $5, \
         rows_updated = $6, message = $7, errors_enc = $8, report_enc = $9, finished_at = $10 WHERE id = $11",
    )
    .bind(&o.state)
    .bind(o.rows_total)
    .bind(o.rows_done)
    .bind(o.rows_failed)
    .bind(o.rows_created)
    .bind(o.rows_updated)
    .bind(&o.message)
    .bind(errors)
    .bind(o.report.as_ref().map(|r| keys.encrypt_bytes(r)))
    .bind(now_ms())
    .bind(o.id)
    .execute(exec)
    .await?;
    Ok(())
}

/// The state of a job as stored (for jobs not running in this process).
pub async fn load(db: &Db, keys: &Keyring, id: i64) -> anyhow::Result<Option<(Outcome, i64)>> {
    let row = sqlx::query(
        "SELECT id, state, mode, rows_total, rows_done, rows_failed, rows_created, rows_updated, message, errors_enc, org_id, kind \
         FROM imports WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let errors: Vec<RowError> = match r.try_get::<Option<Vec<u8>>, _>(9)? {
        Some(enc) => serde_json::from_str(&keys.decrypt(&enc)?).unwrap_or_default(),
        None => vec![],
    };
    Ok(Some((
        Outcome {
            id: r.try_get(0)?,
            kind: r.try_get(11)?,
            state: r.try_get(1)?,
            mode: r.try_get(2)?,
            rows_total: r.try_get(3)?,
            rows_done: r.try_get(4)?,
            rows_failed: r.try_get(5)?,
            rows_created: r.try_get(6)?,
            rows_updated: r.try_get(7)?,
            message: r.try_get(8)?,
            errors,
            report: None,
        },
        r.try_get(10)?,
    )))
}

pub async fn load_report(db: &Db, keys: &Keyring, id: i64) -> anyhow::Result<Option<Vec<u8>>> {
    let row = sqlx::query("SELECT report_enc FROM imports WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    match row
        .map(|r| r.try_get::<Option<Vec<u8>>, _>(0))
        .transpose()?
        .flatten()
    {
        Some(enc) => Ok(Some(keys.decrypt_bytes(&enc)?)),
        None => Ok(None),
    }
}

/// A job that failed outside its own run (an internal error): nothing was written.
pub async fn mark_failed(db: &Db, id: i64, message: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE imports SET state = 'failed', message = $1, finished_at = $2 WHERE id = $3",
    )
    .bind(message)
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A job as stored, when its union is in the scope (else "not found").
pub async fn job(db: &Db, keys: &Keyring, scope: &Scope, id: i64) -> AppResult<Outcome> {
    let Some((outcome, org_id)) = load(db, keys, id).await? else {
        return Err(AppError::not_found("导入任务"));
    };
    crate::org::store::get(db, scope, org_id)
        .await
        .map_err(|_| AppError::not_found("导入任务"))?;
    Ok(outcome)
}

/// The last imports into unions of the scope, newest first.
pub struct RecentImport {
    pub id: i64,
    /// 会员名册, 组织架构 or 企业名录.
    pub what: &'static str,
    pub filename: String,
    pub org_name: String,
    pub actor: String,
    pub state: String,
    pub message: String,
    pub at: String,
}

pub async fn recent(db: &Db, scope: &Scope) -> AppResult<Vec<RecentImport>> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT i.id, i.filename, o.name, i.actor, i.state, i.message, i.created_at, i.kind FROM imports i \
         JOIN orgs o ON o.id = i.org_id WHERE {pred} ORDER BY i.id DESC LIMIT 20"
    ));
    let mut out = vec![];
    for r in sql.fetch_all(&db.pool).await? {
        out.push(RecentImport {
            id: r.try_get(0)?,
            what: Kind::parse(&r.try_get::<String, _>(7)?)
                .unwrap_or(Kind::Members)
                .label(),
            filename: r.try_get(1)?,
            org_name: r.try_get(2)?,
            actor: r.try_get(3)?,
            state: r.try_get(4)?,
            message: r.try_get(5)?,
            at: format_ms(r.try_get(6)?),
        });
    }
    Ok(out)
}
