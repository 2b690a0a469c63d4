//! Backup and restore of the whole database, for `gongjiang backup` and
//! `gongjiang restore`.
//!
//! SQLite: `VACUUM INTO` writes a compact copy from one read transaction, so
//! the copy is consistent while the server goes on writing (WAL readers do not
//! block writers). PostgreSQL: `pg_dump --format=custom` and `pg_restore`,
//! which must be installed (Debian: postgresql-client).

use super::{backend_of, sqlite_file, Backend, Db};
use anyhow::{bail, Context};
use sqlx::{AnyConnection, AnyPool, Row};
use std::path::Path;

/// What a backup or a restore holds, to print and to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub bytes: u64,
    pub orgs: i64,
    pub members: i64,
    pub audit_entries: i64,
}

/// Writes a backup of the database at `db_url` to `out` (which must not exist).
pub async fn backup(db_url: &str, out: &Path) -> anyhow::Result<Contents> {
    if out.exists() {
        bail!(
            "{} already exists: choose a new file name (a backup never overwrites one)",
            out.display()
        );
    }
    match backend_of(db_url)? {
        Backend::Sqlite => {
            let db = Db::connect(db_url).await?;
            pool_counts(&db.pool)
                .await
                .context("the database has no Gongjiang data to back up")?;
            let target = out
                .to_str()
                .context("the backup file name is not valid UTF-8")?;
            sqlx::query("VACUUM INTO $1")
                .bind(target)
                .execute(&db.pool)
                .await
                .with_context(|| format!("cannot write the backup to {}", out.display()))?;
            db.pool.close().await;
            sqlite_contents(out).await
        }
        Backend::Postgres => {
            // The counts and the dump read one snapshot: exported from a
            // transaction held open while pg_dump runs, so the printed counts
            // are exactly what the file holds.
            let db = Db::connect(db_url).await?;
            let mut conn = db.pool.acquire().await?;
            sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *conn)
                .await?;
            let snapshot: String = sqlx::query("SELECT pg_export_snapshot()")
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            let mut c = counts(&mut conn).await?;
            let dumped = run_tool(
                "pg_dump",
                &[
                    "--format=custom",
                    "--no-owner",
                    &format!("--snapshot={snapshot}"),
                    "--file",
                    &out.to_string_lossy(),
                    "--dbname",
                    db_url,
                ],
            );
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            dumped?;
            c.bytes = std::fs::metadata(out)?.len();
            Ok(c)
        }
    }
}

/// Restores the backup `file` into the database at `db_url`, which must be new
/// (a SQLite file that does not exist yet, or a PostgreSQL database without
/// Gongjiang tables): a restore never overwrites data.
pub async fn restore(file: &Path, db_url: &str) -> anyhow::Result<Contents> {
    if !file.is_file() {
        bail!("backup file {} not found", file.display());
    }
    match backend_of(db_url)? {
        Backend::Sqlite => {
            let target =
                sqlite_file(db_url).context("restore into a SQLite file: --db sqlite://FILE")?;
            if target.exists() {
                bail!(
                    "{} already exists: restore into a new file, then move it into place with the server stopped",
                    target.display()
                );
            }
            let expected = sqlite_contents(file)
                .await
                .with_context(|| format!("{} is not a Gongjiang SQLite backup", file.display()))?;
            // A fresh copy rather than a file copy: the result is checked and
            // compact, and the backup itself is only read.
            let source = read_only(file).await?;
            sqlx::query("VACUUM INTO $1")
                .bind(
                    target
                        .to_str()
                        .context("the target file name is not valid UTF-8")?,
                )
                .execute(&source)
                .await
                .with_context(|| format!("cannot write {}", target.display()))?;
            source.close().await;
            let restored = sqlite_contents(&target).await?;
            if (restored.orgs, restored.members, restored.audit_entries)
                != (expected.orgs, expected.members, expected.audit_entries)
            {
                bail!("the restored database does not hold what the backup holds");
            }
            Ok(restored)
        }
        Backend::Postgres => {
            let db = Db::connect(db_url).await?;
            if pool_counts(&db.pool).await.is_ok() {
                bail!(
                    "the database already holds Gongjiang data: restore into a new, empty database"
                );
            }
            db.pool.close().await;
            run_tool(
                "pg_restore",
                &[
                    "--no-owner",
                    "--exit-on-error",
                    "--dbname",
                    db_url,
                    &file.to_string_lossy(),
                ],
            )?;
            let db = Db::connect(db_url).await?;
            let mut c = pool_counts(&db.pool).await?;
            c.bytes = std::fs::metadata(file)?.len();
            Ok(c)
        }
    }
}

/// A SQLite file opened read-only, without the server's pragmas (they
/// write: WAL mode), so a backup is only ever read.
async fn read_only(file: &Path) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    AnyPool::connect(&format!("sqlite://{}?mode=ro", file.display()))
        .await
        .with_context(|| format!("cannot open {}", file.display()))
}

async fn sqlite_contents(file: &Path) -> anyhow::Result<Contents> {
    let pool = read_only(file).await?;
    let ok: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await?
        .try_get(0)?;
    if ok != "ok" {
        bail!("{} is damaged: {ok}", file.display());
    }
    let mut c = pool_counts(&pool).await?;
    pool.close().await;
    c.bytes = std::fs::metadata(file)?.len();
    Ok(c)
}

/// What a database holds, counted on one connection (so inside its
/// transaction, if one is open). Fails when the tables are not there.
async fn counts(conn: &mut AnyConnection) -> anyhow::Result<Contents> {
    let mut n = [0i64; 3];
    for (slot, table) in n.iter_mut().zip(["orgs", "members", "audit_log"]) {
        let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}");
        *slot = sqlx::query(&sql).fetch_one(&mut *conn).await?.try_get(0)?;
    }
    Ok(Contents {
        bytes: 0,
        orgs: n[0],
        members: n[1],
        audit_entries: n[2],
    })
}

async fn pool_counts(pool: &AnyPool) -> anyhow::Result<Contents> {
    counts(&mut *pool.acquire().await?).await
}

/// Runs a PostgreSQL client tool, with a clear error when it is not installed.
fn run_tool(tool: &str, args: &[&str]) -> anyhow::Result<()> {
    let out = std::process::Command::new(tool).args(args).output();
    let out = match out {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{tool} is not installed: install the PostgreSQL client tools (Debian/Ubuntu: apt install postgresql-client), the same major version as the server or newer"
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot run {tool}")),
    };
    if !out.status.success() {
        bail!(
            "{tool} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
