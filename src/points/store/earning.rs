//! SQL for earning rules: what a union pays for an event (a course finished,
//! feedback given), each code from the nearest union up the tree, paid once
//! per member and event through the ledger.

use crate::audit::{self, Actor, Event};
use crate::db::sql::Sql;
use crate::db::{now_ms, Db, Tx};
use crate::ledger::store::{by_key, Entry, NewEntry};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Rule {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub code: String,
    pub label: String,
    pub points: i64,
    #[sqlx(try_from = "crate::db::IntFlag")]
    pub active: bool,
    /// How many days its points stay valid; `None`: they do not expire.
    pub valid_days: Option<i64>,
}

const RULE_COLS: &str =
    "r.id, r.org_id, o.name AS org_name, r.code, r.label, r.points, r.active, r.valid_days";

/// A rule as checked by `rules::parse_rule` and `crate::ledger::rules::parse_valid_days`.
pub struct RuleFields {
    pub code: String,
    pub label: String,
    pub points: i64,
    pub active: bool,
    pub valid_days: Option<i64>,
}

/// Creates or changes a union's rule of a code (the scope was checked by the caller).
/// Creates or changes a rule of `org_id`, a union in reach of `access`.
pub async fn set_rule(
    db: &Db,
    actor: &Actor,
    access: &crate::auth::Access,
    org_id: i64,
    f: &RuleFields,
) -> AppResult<Rule> {
    crate::org::store::writable(db, access, org_id).await?;
    let RuleFields {
        code,
        label,
        points,
        active,
        valid_days,
    } = f;
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO point_rules (org_id, code, label, points, active, created_at, valid_days) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (org_id, code) DO UPDATE SET label = excluded.label, points = excluded.points, active = excluded.active, \
         valid_days = excluded.valid_days RETURNING id",
    )
    .bind(org_id)
    .bind(code)
    .bind(label)
    .bind(points)
    .bind(*active as i64)
    .bind(now_ms())
    .bind(valid_days)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let ev = Event::new("points.rule", "point_rule", id)
        .org(org_id)
        .detail(
            json!({ "code": code, "points": points, "active": active, "valid_days": valid_days }),
        );
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    let row = sqlx::query(&format!(
        "SELECT {RULE_COLS} FROM point_rules r JOIN orgs o ON o.id = r.org_id WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_one(&db.pool)
    .await?;
    Ok(Rule::from_row(&row)?)
}

/// Rules in force for a member of the union at `path`: each code from the
/// nearest union on the way up that defines it.
pub async fn rules_for(db: &Db, path: &str) -> AppResult<Vec<Rule>> {
    let mut sql = Sql::new("");
    let pred = crate::auth::Scope::offered_to(path).org_predicate(&mut sql, "o.path");
    sql.push(&format!(
        "SELECT {RULE_COLS} FROM point_rules r JOIN orgs o ON o.id = r.org_id WHERE {pred} ORDER BY r.code, length(o.path) DESC"
    ));
    let mut out: Vec<Rule> = vec![];
    for r in sql.fetch_all(&db.pool).await? {
        let rule = Rule::from_row(&r)?;
        if out.last().map(|l| l.code != rule.code).unwrap_or(true) {
            out.push(rule);
        }
    }
    Ok(out)
}

/// Every union's generated rule codes (`custom-N`), for a new one to take a free N.
pub async fn custom_codes(db: &Db) -> AppResult<Vec<String>> {
    let rows = sqlx::query("SELECT DISTINCT code FROM point_rules WHERE code LIKE 'custom-%'")
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?)
}

/// The rule of `code` in force for a member of the union at `path`, if it is active.
async fn rule_in_force(tx: &mut Tx, path: &str, code: &str) -> AppResult<Option<Rule>> {
    let mut sql = Sql::new("");
    let pred = crate::auth::Scope::offered_to(path).org_predicate(&mut sql, "o.path");
    let c = sql.text(code.to_string());
    sql.push(&format!(
        "SELECT {RULE_COLS} FROM point_rules r JOIN orgs o ON o.id = r.org_id WHERE {pred} AND r.code = {c} \
         ORDER BY length(o.path) DESC LIMIT 1"
    ));
    let row = sql.query().fetch_optional(&mut **tx).await?;
    Ok(row
        .map(|r| Rule::from_row(&r))
        .transpose()?
        .filter(|r| r.active))
}

/// Pays a member by a rule for one source event inside the caller's
/// transaction, exactly once however often the event is reported: the entry
/// and whether it was added now, or `None` when no active rule of that code
/// applies to the member's union.
pub async fn award_in(
    tx: &mut Tx,
    actor: &Actor,
    member: &MemberAt<'_>,
    code: &str,
    event: &str,
) -> AppResult<Option<(Entry, bool)>> {
    let Some(rule) = rule_in_force(tx, member.path, code).await? else {
        return Ok(None);
    };
    // Once per member and event: two members finishing course 42 are two events.
    let key = format!("rule:{code}:{}:{event}", member.id);
    let entry = NewEntry {
        member_id: member.id,
        org_id: member.org_id,
        amount: rule.points,
        reason: &rule.label,
        source: "rule",
        source_id: Some(rule.id),
        key: Some(&key),
        expires_at: crate::ledger::rules::expiry(now_ms(), rule.valid_days),
    };
    crate::ledger::store::add_in(tx, actor, entry)
        .await
        .map(Some)
}

/// Who a rule pays: the member and where they are.
pub struct MemberAt<'a> {
    pub id: i64,
    pub org_id: i64,
    pub path: &'a str,
}

/// `award_in` in a transaction of its own (the API's award); no such rule is a 422.
pub async fn award(
    db: &Db,
    actor: &Actor,
    member_id: i64,
    member_org: i64,
    member_path: &str,
    code: &str,
    event: &str,
) -> AppResult<(Entry, bool)> {
    let mut tx = db.begin().await?;
    let who = MemberAt {
        id: member_id,
        org_id: member_org,
        path: member_path,
    };
    let paid = award_in(&mut tx, actor, &who, code, event).await?;
    let Some(paid) = paid else {
        return Err(AppError::invalid(
            "rule",
            format!("没有适用于该会员的积分规则“{code}”"),
        ));
    };
    tx.commit().await?;
    Ok(paid)
}

/// What a rule has paid a member for one event, now or before (0: nothing).
pub async fn paid_by_rule(db: &Db, code: &str, member_id: i64, event: &str) -> AppResult<i64> {
    let key = format!("rule:{code}:{member_id}:{event}");
    Ok(by_key(db, &key).await?.map(|e| e.amount).unwrap_or(0))
}

/// Pays a rule once for an event inside the caller's transaction and says how
/// much was paid now: 0 when it was paid before, or when the member's unions
/// have no such rule (the activity still counts, without points).
pub async fn pay_rule_in(
    tx: &mut Tx,
    actor: &Actor,
    m: &crate::member::store::Member,
    code: &str,
    event: &str,
) -> AppResult<i64> {
    let who = MemberAt {
        id: m.id,
        org_id: m.org_id,
        path: &m.org_path,
    };
    Ok(match award_in(tx, actor, &who, code, event).await? {
        Some((entry, true)) => entry.amount,
        Some((_, false)) | None => 0,
    })
}

/// `pay_rule_in` in a transaction of its own.
pub async fn pay_rule(
    db: &Db,
    actor: &Actor,
    m: &crate::member::store::Member,
    code: &str,
    event: &str,
) -> AppResult<i64> {
    let mut tx = db.begin().await?;
    let paid = pay_rule_in(&mut tx, actor, m, code, event).await?;
    tx.commit().await?;
    Ok(paid)
}
