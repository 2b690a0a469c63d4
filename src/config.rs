//! Opening a database with its key file: where the key lives, and the checks
//! that keep a wrong key from ever writing unreadable personal data.

use crate::db::{backend_of, sqlite_file, Backend, Db};
use crate::pii::Keyring;
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

pub const DEFAULT_DB: &str = "sqlite://gongjiang.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const FINGERPRINT_KEY: &str = "key_fingerprint";

/// The key file for a database: the flag if given, else beside the SQLite file.
pub fn key_path(db_url: &str, key_file: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = key_file {
        return Ok(p.to_path_buf());
    }
    match backend_of(db_url)? {
        Backend::Sqlite => match sqlite_file(db_url) {
            Some(f) => Ok(f.with_extension("key")),
            None => bail!("an in-memory SQLite database needs --key-file (or GONGJIANG_KEY_FILE)"),
        },
        Backend::Postgres => bail!(
            "--key-file (or GONGJIANG_KEY_FILE) is required with PostgreSQL: the key that encrypts ID numbers \
             and phones never goes into the database"
        ),
    }
}

/// Where the audit log's checkpoints are kept: beside the key file, outside
/// the database (`gongjiang.key` → `gongjiang.audit-checkpoints`).
pub fn checkpoint_path(key_path: &Path) -> PathBuf {
    key_path.with_extension("audit-checkpoints")
}

/// Where uploaded files go: `GONGJIANG_FILES` if set, else beside the SQLite
/// file (`gongjiang.files/`), else beside the key file (PostgreSQL).
pub fn files_dir(db_url: &str, key_file: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("GONGJIANG_FILES").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(file) = sqlite_file(db_url) {
        return Ok(file.with_extension("files"));
    }
    let key = key_path(db_url, key_file)?;
    Ok(key
        .parent()
        .map(|d| d.join("gongjiang-files"))
        .unwrap_or_else(|| PathBuf::from("gongjiang-files")))
}

/// The database file is its owner's alone (0600): created so before SQLite
/// opens it, and tightened if it was not. SQLite gives its WAL and shared-memory
/// files the database file's permissions.
fn private_sqlite_files(file: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if !file.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(file)
            .with_context(|| format!("cannot create {}", file.display()))?;
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot make {} private", path.display()))?;
        }
    }
    Ok(())
}

/// Connects, applies migrations, and loads the key (creating it only for a
/// database that has never had one).
pub async fn open(db_url: &str, key_file: Option<&Path>) -> anyhow::Result<(Db, Keyring)> {
    let key_path = key_path(db_url, key_file)?;
    if let Some(file) = sqlite_file(db_url) {
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        private_sqlite_files(&file)?;
    }
    let db = Db::connect(db_url).await?;
    db.migrate().await?;
    let stored = db.setting(FINGERPRINT_KEY).await?;
    let (keys, created) = Keyring::load_or_create(&key_path, stored.is_none())?;
    match stored {
        Some(fp) if fp != keys.fingerprint() => bail!(
            "key file {} does not match this database (it was written with another key); \
             point --key-file at the key this database was created with",
            key_path.display()
        ),
        Some(_) => {}
        None => db.set_setting(FINGERPRINT_KEY, &keys.fingerprint()).await?,
    }
    let db = db.sealed(crate::db::Seal {
        audit_key: keys.audit_key(),
        checkpoint_file: Some(checkpoint_path(&key_path)),
    });
    crate::audit::store::seal_chain(&db).await?;
    crate::roster::store::mark_interrupted(&db).await?;
    let hashed = crate::auth::store::hash_phone_logins(&db, &keys).await?;
    if hashed > 0 {
        tracing::info!("{hashed} phone logins are now kept as keyed hashes");
    }
    let tails = crate::member::store::backfill_id_tails(&db, &keys).await?;
    if tails > 0 {
        tracing::info!(
            "filled ID-tail search keys for {tails} members written by an older version"
        );
    }
    let filled = crate::member::store::backfill_search_keys(&db, &keys).await?;
    if filled > 0 {
        tracing::info!("filled search keys for {filled} members written by an older version");
    }
    if created {
        eprintln!(
            "Created key file {} — back it up: without it the ID numbers and phones in this database cannot be read.",
            key_path.display()
        );
    }
    Ok((db, keys))
}
