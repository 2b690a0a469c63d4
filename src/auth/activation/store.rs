//! SQL for opening member accounts in bulk and activating them.

use crate::auth::scope::path_upper;
use crate::auth::Scope;
use crate::db::sql::Sql;
use crate::db::{now_ms, Db, Tx};
use crate::member::store::{ID_HASH, PHONE_HASH};
use crate::pii::Keyring;
use sqlx::Row;

/// A member on the roll without an account, as the sheet of codes names them.
pub struct Candidate {
    pub member_id: i64,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
    /// The whole phone (decrypted): it becomes the login.
    pub phone: Option<String>,
}

/// Members on the roll in `org_path`'s subtree, inside `scope`, without an
/// account (only `member_ids` when given), at most `limit`, by union and name.
pub async fn members_without_account(
    db: &Db,
    keys: &Keyring,
    scope: &Scope,
    org_path: &str,
    member_ids: Option<&[i64]>,
    limit: i64,
) -> anyhow::Result<Vec<Candidate>> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    let (lo, hi) = (sql.text(org_path), sql.text(path_upper(org_path)));
    let only = match member_ids {
        Some(ids) => {
            let list: Vec<String> = ids.iter().map(|id| sql.int(*id)).collect();
            format!(" AND m.id IN ({})", list.join(", "))
        }
        None => String::new(),
    };
    let limit = sql.int(limit);
    sql.push(&format!(
        "SELECT m.id, m.name, m.org_id, o.name, m.phone_enc FROM members m JOIN orgs o ON o.id = m.org_id \
         WHERE {pred} AND o.path >= {lo} AND o.path < {hi} AND m.status = '在册'{only} \
         AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.member_id = m.id) \
         ORDER BY o.path, m.name_pinyin, m.id LIMIT {limit}"
    ));
    let mut out = vec![];
    for r in sql.fetch_all(&db.pool).await? {
        let phone = match r.try_get::<Option<Vec<u8>>, _>(4)? {
            Some(enc) => Some(keys.decrypt(&enc)?),
            None => None,
        };
        out.push(Candidate {
            member_id: r.try_get(0)?,
            name: r.try_get(1)?,
            org_id: r.try_get(2)?,
            org_name: r.try_get(3)?,
            phone: phone.filter(|p| !p.is_empty()),
        });
    }
    Ok(out)
}

/// Which of these logins (as stored) are taken.
pub async fn taken_usernames(
    db: &Db,
    names: &[String],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let mut out = std::collections::HashSet::new();
    for chunk in names.chunks(500) {
        let mut sql = Sql::new("");
        let list: Vec<String> = chunk.iter().map(|n| sql.text(n.clone())).collect();
        sql.push(&format!(
            "SELECT username FROM accounts WHERE username IN ({})",
            list.join(", ")
        ));
        for r in sql.fetch_all(&db.pool).await? {
            out.insert(r.try_get(0)?);
        }
    }
    Ok(out)
}

/// A member's account waiting for activation: an unusable password, the
/// keyed hash of its code and when the code lapses.
pub async fn create_pending(
    tx: &mut Tx,
    (username, shown): (&str, &str),
    member_id: i64,
    org_id: i64,
    code_hash: Option<&str>,
    expires_at: i64,
) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    let id: i64 = sqlx::query(
        "INSERT INTO accounts (username, password_hash, member_id, disabled, created_at, updated_at, activation_hash, activation_expires_at, login_shown) \
         VALUES ($1, '!', $2, 0, $3, $3, $4, $5, $6) RETURNING id",
    )
    .bind(username)
    .bind(member_id)
    .bind(now)
    .bind(code_hash)
    .bind(expires_at)
    .bind(shown)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    sqlx::query("INSERT INTO assignments (account_id, role, org_id) VALUES ($1, 'member', $2)")
        .bind(id)
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// An account to open for a member, waiting for its worker.
pub struct Pending {
    /// The login as stored (the phone's keyed hash) and as shown (masked).
    pub username: String,
    pub shown: String,
    pub member_id: i64,
    pub org_id: i64,
    pub code_hash: String,
}

/// Opens many pending accounts, a few hundred rows a statement: a town's
/// 40,000 take a few hundred statements, not 80,000, so the write lock is
/// held briefly. Each gets the member role at its member's union.
pub async fn create_pending_many(
    tx: &mut Tx,
    rows: &[Pending],
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    for chunk in rows.chunks(400) {
        let mut sql = Sql::new("");
        let mut values = vec![];
        for p in chunk {
            values.push(format!(
                "({}, '!', {}, 0, {}, {}, {}, {}, {})",
                sql.text(p.username.clone()),
                sql.int(p.member_id),
                sql.int(now),
                sql.int(now),
                sql.text(p.code_hash.clone()),
                sql.int(expires_at),
                sql.text(p.shown.clone()),
            ));
        }
        sql.push(&format!(
            "INSERT INTO accounts (username, password_hash, member_id, disabled, created_at, updated_at, activation_hash, activation_expires_at, login_shown) VALUES {}",
            values.join(", ")
        ));
        sql.query().execute(&mut **tx).await?;
        let mut grant = Sql::new("");
        let ids: Vec<String> = chunk.iter().map(|p| grant.int(p.member_id)).collect();
        grant.push(&format!(
            "INSERT INTO assignments (account_id, role, org_id) SELECT a.id, 'member', m.org_id \
             FROM accounts a JOIN members m ON m.id = a.member_id WHERE a.member_id IN ({})",
            ids.join(", ")
        ));
        grant.query().execute(&mut **tx).await?;
    }
    Ok(())
}

/// A member account by its login: id, member, code hash, code expiry, and
/// whether it still waits for activation.
pub struct MemberAccount {
    pub id: i64,
    pub member_id: Option<i64>,
    pub code_hash: Option<String>,
    pub expires_at: i64,
    pub pending: bool,
    pub disabled: bool,
}

pub async fn account_by_username(
    db: &Db,
    username: &str,
) -> Result<Option<MemberAccount>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, member_id, activation_hash, activation_expires_at, password_hash, disabled FROM accounts WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| account_of(&r)).transpose()
}

pub async fn account_of_member(
    db: &Db,
    member_id: i64,
) -> Result<Option<MemberAccount>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, member_id, activation_hash, activation_expires_at, password_hash, disabled FROM accounts WHERE member_id = $1",
    )
    .bind(member_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| account_of(&r)).transpose()
}

fn account_of(r: &sqlx::any::AnyRow) -> Result<MemberAccount, sqlx::Error> {
    Ok(MemberAccount {
        id: r.try_get(0)?,
        member_id: r.try_get(1)?,
        code_hash: r.try_get(2)?,
        expires_at: r.try_get(3)?,
        pending: r.try_get::<String, _>(4)? == "!",
        disabled: r.try_get::<i64, _>(5)? != 0,
    })
}

/// The member with this ID number, if the name and the phone are theirs:
/// (member id, org id). Compared through the keyed hashes, never in the clear.
pub async fn member_matching(
    db: &Db,
    keys: &Keyring,
    name: &str,
    id_number: &str,
    phone: &str,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, org_id FROM members WHERE id_number_hash = $1 AND phone_hash = $2 AND name = $3 AND status = '在册'",
    )
    .bind(keys.lookup_hash(ID_HASH, id_number))
    .bind(keys.lookup_hash(PHONE_HASH, phone))
    .bind(name)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// Sets the worker's password and ends the wait (the code can never be used again).
pub async fn activate(
    tx: &mut Tx,
    account_id: i64,
    password_hash: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE accounts SET password_hash = $1, activation_hash = NULL, activation_expires_at = 0, updated_at = $2 \
         WHERE id = $3 AND password_hash = '!'",
    )
    .bind(password_hash)
    .bind(now_ms())
    .bind(account_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The union an account belongs to (its first assignment), for the audit log.
pub async fn org_of(tx: &mut Tx, account_id: i64) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("SELECT MIN(org_id) FROM assignments WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(&mut **tx)
        .await?;
    row.try_get(0)
}
