//! Pools, migrations and the few portable-SQL helpers. One SQL text runs on
//! SQLite and PostgreSQL through sqlx's Any driver; the backend comes from the
//! URL's scheme.

pub mod backup;
pub mod sql;

use anyhow::{bail, Context};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// What the audit chain is sealed with; set once the key file is loaded
    /// (`config::open`). Without it, nothing can be audited, so nothing written.
    pub seal: Option<Arc<Seal>>,
}

/// The key that seals the audit chain, and where its checkpoints are kept:
/// both outside the database.
#[derive(Debug)]
pub struct Seal {
    pub audit_key: [u8; 32],
    pub checkpoint_file: Option<PathBuf>,
}

/// A transaction, carrying the seal so that an audit entry appended inside it
/// is sealed. It derefs to the connection, as sqlx's own transaction does:
/// `&mut *tx` is an executor.
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    pub seal: Option<Arc<Seal>>,
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

/// Which backend a URL names, with a clear error for anything else.
pub fn backend_of(url: &str) -> anyhow::Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        bail!("unsupported database URL '{url}': use sqlite://FILE or postgres://USER@HOST/DB")
    }
}

/// The file behind a SQLite URL (`sqlite://gongjiang.db?mode=rwc` → `gongjiang.db`).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// WAL for readers beside one writer. `GONGJIANG_SQLITE_CACHE_MIB` sets the
/// page cache per connection (SQLite's default 2 MiB unless set): a profile of
/// search at a million members is mostly page reads through the kernel, but an
/// 8 MiB cache did not measurably speed it up on the 2-core machine (A/B within
/// noise) while costing 2.5× the memory; a memory map halved the time but is
/// counted in RSS once per connection (1.9 GB). See BENCHMARKS.md.
fn sqlite_pragmas() -> String {
    let cache_mib = sqlite_cache_mib();
    format!(
        "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA foreign_keys = ON; PRAGMA cache_size = -{};",
        cache_mib * 1024
    )
}

/// The page cache of each SQLite connection, in MiB.
pub fn sqlite_cache_mib() -> i64 {
    std::env::var("GONGJIANG_SQLITE_CACHE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v| (1..=4096).contains(v))
        .unwrap_or(2)
}

impl Db {
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        let mut url = url.to_string();
        if backend == Backend::Sqlite && !url.contains("mode=") {
            url.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
        let mut opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        opts = match backend {
            Backend::Sqlite => {
                let pragmas: std::sync::Arc<str> = sqlite_pragmas().into();
                opts.max_connections(8).after_connect(move |conn, _| {
                    let pragmas = pragmas.clone();
                    Box::pin(async move {
                        conn.execute(sqlx::raw_sql(&pragmas)).await?;
                        Ok(())
                    })
                })
            }
            Backend::Postgres => opts.max_connections(16),
        };
        let pool = opts
            .connect(&url)
            .await
            .with_context(|| format!("cannot open database {}", redact(&url)))?;
        Ok(Db {
            pool,
            backend,
            seal: None,
        })
    }

    /// The same database with its audit seal.
    pub fn sealed(mut self, seal: Seal) -> Db {
        self.seal = Some(Arc::new(seal));
        self
    }

    /// A transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that reads and then writes while
    /// another connection commits fails with "database is locked"
    /// (SQLITE_BUSY_SNAPSHOT) instead of waiting its turn under the busy
    /// timeout — concurrent awards answered 500 that way. A long transaction
    /// that reads a while before it writes uses [`Db::begin_deferred`].
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            inner,
            seal: self.seal.clone(),
        })
    }

    /// A transaction that takes SQLite's write lock only at its first write:
    /// for the roster import, which parses its file while it runs and must not
    /// hold every other writer up for that time (it retries nothing; a clash
    /// at its first write fails the import with its message).
    pub async fn begin_deferred(&self) -> Result<Tx, sqlx::Error> {
        Ok(Tx {
            inner: self.pool.begin().await?,
            seal: self.seal.clone(),
        })
    }

    /// Applies the embedded migrations that this database has not seen yet.
    pub async fn migrate(&self) -> anyhow::Result<Vec<i64>> {
        self.migrate_to(i64::MAX).await
    }

    /// Applies pending migrations up to `last` (tests build old schemas with it).
    pub async fn migrate_to(&self, last: i64) -> anyhow::Result<Vec<i64>> {
        self.pool
            .execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, \
                 name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .await?;
        let done: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.get::<i64, _>(0))
            .collect();
        let mut applied = vec![];
        for m in migrations() {
            if done.contains(&m.version) || m.version > last {
                continue;
            }
            let sql = match self.backend {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            let mut tx = self.begin().await?;
            tx.execute(sqlx::raw_sql(sql))
                .await
                .with_context(|| format!("migration {:04}_{} failed", m.version, m.name))?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(m.version)
            .bind(m.name)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            applied.push(m.version);
        }
        Ok(applied)
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>, sqlx::Error> {
        let row: Option<AnyRow> = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Hides a password in a URL before it reaches a message.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &userinfo[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `$n` placeholders for a list, starting at `first`: `$3, $4, $5`.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// A 0/1 column read as a `bool` by a `FromRow` derive (the Any driver
/// reads both backends' booleans, stored as integers, as `i64` only):
/// `#[sqlx(try_from = "crate::db::IntFlag")] pub active: bool`.
pub struct IntFlag(i64);

impl sqlx::Type<sqlx::Any> for IntFlag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }

    /// Any integer width: PostgreSQL's columns are INTEGER, SQLite's BIGINT.
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for IntFlag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        <i64 as sqlx::Decode<sqlx::Any>>::decode(value).map(IntFlag)
    }
}

impl From<IntFlag> for bool {
    fn from(f: IntFlag) -> bool {
        f.0 != 0
    }
}

pub struct Migration {
    pub version: i64,
    pub name: String,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

static SQLITE_MIGRATIONS: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/migrations/sqlite");
static POSTGRES_MIGRATIONS: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/migrations/postgres");

/// `0007_academy_desk.sql` → (7, "0007_academy_desk").
fn migration_name(file: &str) -> Option<(i64, String)> {
    let stem = file.strip_suffix(".sql")?;
    let version = stem.split('_').next()?.parse().ok()?;
    Some((version, stem.to_string()))
}

/// The migrations embedded in the binary, found in `migrations/{sqlite,postgres}`
/// (nothing to list by hand): in version order, each with both dialects. A file
/// in one folder without its twin in the other is left out here and fails the
/// test that keeps them in step.
pub fn migrations() -> Vec<Migration> {
    let mut out: Vec<Migration> = SQLITE_MIGRATIONS
        .files()
        .filter_map(|f| {
            let file = f.path().file_name()?.to_str()?;
            let (version, name) = migration_name(file)?;
            let postgres = POSTGRES_MIGRATIONS.get_file(file)?.contents_utf8()?;
            Some(Migration {
                version,
                name,
                sqlite: f.contents_utf8()?,
                postgres,
            })
        })
        .collect();
    out.sort_by_key(|m| m.version);
    out
}

/// The schema version this binary brings.
pub fn schema_version() -> i64 {
    migrations().last().map(|m| m.version).unwrap_or(0)
}

/// A page of a list: which page, and how many on it.
pub const MAX_PER_PAGE: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Paging {
        Paging {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE),
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    pub fn pages(&self, total: i64) -> i64 {
        ((total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// The first millisecond of a Beijing-time day (`next`: of the day after), for date filters.
pub fn date_start_ms(date: &str, next: bool) -> Result<i64, String> {
    let d = crate::pii::parse_date(date)?;
    let parts: Vec<i64> = d.split('-').filter_map(|p| p.parse().ok()).collect();
    let month = time::Month::try_from(parts[1] as u8).map_err(|e| e.to_string())?;
    let day = time::Date::from_calendar_date(parts[0] as i32, month, parts[2] as u8)
        .map_err(|e| e.to_string())?;
    let day = if next {
        day.next_day().unwrap_or(day)
    } else {
        day
    };
    let offset = time::UtcOffset::from_hms(8, 0, 0).map_err(|e| e.to_string())?;
    Ok(day.midnight().assume_offset(offset).unix_timestamp() * 1000)
}

/// `2026-11-23T09:30` (an `<input type="datetime-local">`, Beijing time) as epoch milliseconds.
pub fn datetime_local_ms(v: &str) -> Result<i64, String> {
    let bad = || format!("时间“{}”无效，请写成 2026-11-23 09:30", v.trim());
    let (date, time) = v.trim().split_once(['T', ' ']).ok_or_else(bad)?;
    let day = date_start_ms(date, false)?;
    let (h, m) = time.split_once(':').ok_or_else(bad)?;
    let (h, m): (i64, i64) = (
        h.parse().map_err(|_| bad())?,
        m.get(..2).unwrap_or(m).parse().map_err(|_| bad())?,
    );
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(day + h * 3_600_000 + m * 60_000)
}

/// Epoch milliseconds as Beijing time, `2024-05-01 08:30`.
/// The first millisecond of a day in Beijing (`YYYY-MM-DD`), as stored times count.
pub fn day_start_ms(date: &str) -> Option<i64> {
    let part = |r: std::ops::Range<usize>| date.get(r).and_then(|v| v.parse::<i32>().ok());
    let (y, m, d) = (part(0..4)?, part(5..7)?, part(8..10)?);
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let day = time::Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()?;
    let offset = time::UtcOffset::from_hms(8, 0, 0).ok()?;
    Some(day.midnight().assume_offset(offset).unix_timestamp() * 1000)
}

pub fn format_ms(ms: i64) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    match time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000) {
        Ok(t) => {
            let t = t.to_offset(offset);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                t.month() as u8,
                t.day(),
                t.hour(),
                t.minute()
            )
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_in_step_on_both_backends() {
        let list = |dir: &str| {
            let mut v: Vec<String> =
                std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
            v.sort();
            v
        };
        let sqlite = list("sqlite");
        assert_eq!(
            sqlite,
            list("postgres"),
            "every migration needs both a SQLite and a PostgreSQL file"
        );
        let embedded: Vec<String> = migrations()
            .iter()
            .map(|m| format!("{}.sql", m.name))
            .collect();
        assert_eq!(
            sqlite, embedded,
            "every migration file is embedded, in order"
        );
        for (i, m) in migrations().iter().enumerate() {
            assert_eq!(
                m.version,
                i as i64 + 1,
                "versions run 1, 2, 3 … without a gap"
            );
            assert!(m.name.starts_with(&format!("{:04}_", m.version)));
        }
    }

    #[test]
    fn urls() {
        assert_eq!(backend_of("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(
            backend_of("postgres://postgres@127.0.0.1/test").unwrap(),
            Backend::Postgres
        );
        assert!(backend_of("mysql://x")
            .unwrap_err()
            .to_string()
            .contains("unsupported"));
        assert_eq!(
            sqlite_file("sqlite://data/g.db?mode=rwc"),
            Some(PathBuf::from("data/g.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(like_escape("a%b_c"), "a\\%b\\_c");
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
    }
}

#[cfg(test)]
mod paging_and_time_tests {
    use super::*;

    #[test]
    fn paging_clamps() {
        let p = Paging::new(Some(0), Some(10_000));
        assert_eq!((p.page, p.per_page), (1, MAX_PER_PAGE));
        assert_eq!(Paging::new(Some(3), Some(20)).offset(), 40);
        assert_eq!(Paging::new(None, Some(20)).pages(41), 3);
        assert_eq!(Paging::new(None, None).pages(0), 1);
    }

    #[test]
    fn beijing_time() {
        assert_eq!(format_ms(0), "1970-01-01 08:00");
        let ms = datetime_local_ms("2026-11-23T09:30").unwrap();
        assert_eq!(format_ms(ms), "2026-11-23 09:30");
        assert!(datetime_local_ms("2026-11-23T25:00").is_err());
        assert!(datetime_local_ms("tomorrow").is_err());
    }
}
