//! The points on the dashboard: earned and redeemed this year and the
//! balances outstanding, per subtree, read from the totals the triggers keep
//! (migration 0019); and the lists those figures open, which add the same
//! amounts up from the ledger itself.

use crate::auth::Scope;
use crate::db::sql::Sql;
use crate::db::{Db, Paging};
use crate::web::error::AppResult;
use serde::Serialize;
use sqlx::Row;

/// Earned and redeemed in a year, and outstanding now, of one subtree.
pub struct Figures {
    pub earned: i64,
    pub redeemed: i64,
    pub outstanding: i64,
}

pub async fn figures(db: &Db, scopes: &[Scope], year: &str) -> AppResult<Vec<Figures>> {
    use crate::org::subtree;
    let held = subtree::totals(db, scopes, &["points_outstanding"]).await?;
    let (first, last) = (format!("{year}-01"), format!("{year}-12"));
    let flows = subtree::months(
        db,
        scopes,
        &["points_earned", "points_redeemed"],
        (&first, &last),
    )
    .await?;
    Ok(held
        .iter()
        .zip(&flows)
        .map(|(h, f)| Figures {
            earned: f[0],
            redeemed: f[1],
            outstanding: h[0],
        })
        .collect())
}

/// Which entries a ledger list holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Flow {
    /// What the unions paid out (refunds of cancelled orders aside).
    Earned,
    /// Spent on redemptions, net of refunds.
    Redeemed,
}

impl Flow {
    fn filter(self) -> &'static str {
        match self {
            Flow::Earned => "e.amount > 0 AND e.source <> 'refund'",
            Flow::Redeemed => "e.source IN ('redeem', 'refund')",
        }
    }

    /// How an entry adds to the list's sum: earned as written, redeemed as spent.
    fn sign(self) -> i64 {
        match self {
            Flow::Earned => 1,
            Flow::Redeemed => -1,
        }
    }
}

/// A ledger entry among those of many unions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Line {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    /// The union that wrote it.
    pub org_name: String,
    /// As the ledger holds it: positive earns, negative spends.
    pub amount: i64,
    pub reason: String,
    pub created_at: i64,
}

/// The entries of `flow` written by the scope's unions in `[from_ms, to_ms)`,
/// newest first, how many, and their sum (`flow`'s way: redeemed counts spent points up).
pub async fn ledger(
    db: &Db,
    scope: &Scope,
    flow: Flow,
    (from_ms, to_ms): (i64, i64),
    paging: Paging,
) -> AppResult<(Vec<Line>, i64, i64)> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    let (a, b) = (sql.int(from_ms), sql.int(to_ms));
    let cond = format!(
        "{pred} AND {} AND e.created_at >= {a} AND e.created_at < {b}",
        flow.filter()
    );
    let row = sql
        .clone()
        .push(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) \
             FROM point_entries e JOIN orgs o ON o.id = e.org_id WHERE {cond}"
        ))
        .fetch_all(&db.pool)
        .await?;
    let (total, sum): (i64, i64) = match row.first() {
        Some(r) => (r.try_get(0)?, r.try_get::<i64, _>(1)? * flow.sign()),
        None => (0, 0),
    };
    let (lim, off) = (sql.int(paging.per_page), sql.int(paging.offset()));
    sql.push(&format!(
        "SELECT e.id, e.member_id, m.name, o.name, e.amount, e.reason, e.created_at \
         FROM point_entries e JOIN orgs o ON o.id = e.org_id JOIN members m ON m.id = e.member_id \
         WHERE {cond} ORDER BY e.created_at DESC, e.id DESC LIMIT {lim} OFFSET {off}"
    ));
    let items = sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| -> Result<Line, sqlx::Error> {
            Ok(Line {
                id: r.try_get(0)?,
                member_id: r.try_get(1)?,
                member_name: r.try_get(2)?,
                org_name: r.try_get(3)?,
                amount: r.try_get(4)?,
                reason: r.try_get(5)?,
                created_at: r.try_get(6)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((items, total, sum))
}

/// A member's balance, in a list of the balances of a subtree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Holding {
    pub member_id: i64,
    pub member_name: String,
    pub org_name: String,
    pub balance: i64,
}

/// The members of the scope's subtrees holding points, most first, how many, and the sum held.
pub async fn holdings(
    db: &Db,
    scope: &Scope,
    paging: Paging,
) -> AppResult<(Vec<Holding>, i64, i64)> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "m.org_path");
    let cond = format!("{pred} AND b.balance > 0");
    let row = sql
        .clone()
        .push(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(b.balance), 0) AS BIGINT) \
             FROM point_balances b JOIN members m ON m.id = b.member_id WHERE {cond}"
        ))
        .fetch_all(&db.pool)
        .await?;
    let (total, sum): (i64, i64) = match row.first() {
        Some(r) => (r.try_get(0)?, r.try_get(1)?),
        None => (0, 0),
    };
    let (lim, off) = (sql.int(paging.per_page), sql.int(paging.offset()));
    sql.push(&format!(
        "SELECT b.member_id, m.name, o.name, b.balance \
         FROM point_balances b JOIN members m ON m.id = b.member_id JOIN orgs o ON o.id = m.org_id \
         WHERE {cond} ORDER BY b.balance DESC, b.member_id LIMIT {lim} OFFSET {off}"
    ));
    let items = sql
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| -> Result<Holding, sqlx::Error> {
            Ok(Holding {
                member_id: r.try_get(0)?,
                member_name: r.try_get(1)?,
                org_name: r.try_get(2)?,
                balance: r.try_get(3)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((items, total, sum))
}

/// The points one member earned (grants and rule payments, not refunds),
/// the newest `limit`, for their growth record.
pub async fn earned_record(
    db: &Db,
    member_id: i64,
    limit: i64,
) -> AppResult<Vec<crate::program::RecordItem>> {
    let rows = sqlx::query(
        "SELECT e.created_at, e.amount, e.reason, o.name FROM point_entries e JOIN orgs o ON o.id = e.org_id \
         WHERE e.member_id = $1 AND e.amount > 0 AND e.source <> 'refund' ORDER BY e.id DESC LIMIT $2",
    )
    .bind(member_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let (amount, reason): (i64, String) = (r.try_get(1)?, r.try_get(2)?);
            Ok(crate::program::RecordItem::new(
                "points_earned",
                r.try_get(0)?,
                format!("获得 {amount} 积分：{reason}"),
                r.try_get(3)?,
            ))
        })
        .collect()
}
