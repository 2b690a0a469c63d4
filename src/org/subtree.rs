//! Subtree totals under a move (migration 0018). Triggers keep every
//! organisation's subtree figures on each member's write; a move of a whole
//! subtree is kept here, in the move's transaction: the moved subtree's
//! totals leave the unions it no longer lies under and join the new ones, its
//! ancestors are rewritten, and the transfers crossing the edges of the
//! unions whose subtrees changed are counted again (whether a transfer
//! crossed a union's edge depends on where its two ends lie now).

use crate::auth::Scope;
use crate::db::sql::Sql;
use crate::db::{placeholders, Backend, Db, Tx};
use crate::web::error::AppResult;
use sqlx::Row;
use std::collections::HashMap;

/// The columns of `org_subtree_figures` (0018–0021): each a sum over the
/// subtree's organisations, so a moved subtree carries its own totals.
const FIGURES: [&str; 14] = [
    "n",
    "on_roll",
    "skill_5",
    "skill_4",
    "skill_3",
    "skill_2",
    "skill_1",
    "migrant",
    "hardship",
    "points_outstanding",
    "orgs",
    "enterprises",
    "courses",
    "cadres_in_office",
];

/// The columns of `org_subtree_months` that are sums over organisations
/// (joins by the member's union, points by the union that wrote them,
/// sessions and check-ins by the session's union, completions by the
/// course's, cadre points by the cadre's); transfers are not — whether one
/// crossed an edge depends on both its ends.
const MONTHLY: [&str; 7] = [
    "joined",
    "points_earned",
    "points_redeemed",
    "sessions",
    "checkins",
    "completions",
    "cadre_points",
];

/// The subtree of `node` now hangs under `new_parent`; `left` and `joined`
/// are the unions above it only before and only after (`rules::ancestors_changed`).
pub async fn moved(
    tx: &mut Tx,
    backend: Backend,
    node: i64,
    new_parent: i64,
    (left, joined): (&[i64], &[i64]),
) -> Result<(), sqlx::Error> {
    for (unions, sign) in [(left, -1i64), (joined, 1)] {
        if unions.is_empty() {
            continue;
        }
        let n = unions.len();
        let set = FIGURES
            .iter()
            .map(|c| format!("{c} = {c} + $1 * (SELECT s.{c} FROM org_subtree_figures s WHERE s.org_id = $2)"))
            .collect::<Vec<_>>()
            .join(", ");
        let statement = format!(
            "UPDATE org_subtree_figures SET {set} WHERE org_id IN ({})",
            placeholders(3, n)
        );
        let mut q = sqlx::query(&statement).bind(sign).bind(node);
        for u in unions {
            q = q.bind(*u);
        }
        q.execute(&mut **tx).await?;
        let monthly = MONTHLY.join(", ");
        let carried = MONTHLY.map(|c| format!("$2 * {c}")).join(", ");
        let nonzero = MONTHLY.map(|c| format!("{c} <> 0")).join(" OR ");
        let added = MONTHLY
            .map(|c| format!("{c} = org_subtree_months.{c} + excluded.{c}"))
            .join(", ");
        let statement = format!(
            "INSERT INTO org_subtree_months (org_id, month, {monthly}) \
             SELECT $1, month, {carried} FROM org_subtree_months WHERE org_id = $3 AND ({nonzero}) \
             ON CONFLICT (org_id, month) DO UPDATE SET {added}"
        );
        for u in unions {
            sqlx::query(&statement)
                .bind(*u)
                .bind(sign)
                .bind(node)
                .execute(&mut **tx)
                .await?;
        }
    }
    // The subtree's ancestry: what lay above the node goes, the new parent's comes.
    sqlx::query(
        "DELETE FROM org_ancestors WHERE org_id IN (SELECT org_id FROM org_ancestors WHERE ancestor_id = $1) \
         AND ancestor_id IN (SELECT ancestor_id FROM org_ancestors WHERE org_id = $1 AND ancestor_id <> $1)",
    )
    .bind(node)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO org_ancestors (org_id, ancestor_id) \
         SELECT d.org_id, p.ancestor_id FROM org_ancestors d, org_ancestors p \
         WHERE d.ancestor_id = $1 AND p.org_id = $2",
    )
    .bind(node)
    .bind(new_parent)
    .execute(&mut **tx)
    .await?;
    let (month, year) = match backend {
        Backend::Sqlite => (
            "strftime('%Y-%m', t.at / 1000 + 28800, 'unixepoch')",
            "strftime('%Y', s.starts_at / 1000 + 28800, 'unixepoch')",
        ),
        Backend::Postgres => (
            "month_of_ms(t.at)",
            "substr(month_of_ms(s.starts_at), 1, 4)",
        ),
    };
    for union in left.iter().chain(joined) {
        // The people its sessions reached (0023): a set, not a sum, so read again.
        sqlx::query("DELETE FROM org_subtree_reach WHERE org_id = $1")
            .bind(*union)
            .execute(&mut **tx)
            .await?;
        sqlx::query(&format!(
            "INSERT INTO org_subtree_reach (org_id, year, member_id) \
             SELECT DISTINCT a.ancestor_id, {year}, e.member_id \
             FROM enrolments e JOIN course_sessions s ON s.id = e.target_id JOIN org_ancestors a ON a.org_id = s.org_id \
             WHERE a.ancestor_id = $1 AND e.kind = 'course_session' AND e.state = 'attended'"
        ))
        .bind(*union)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM org_subtree_years WHERE org_id = $1")
            .bind(*union)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO org_subtree_years (org_id, year, reached) \
             SELECT org_id, year, COUNT(*) FROM org_subtree_reach WHERE org_id = $1 GROUP BY org_id, year",
        )
        .bind(*union)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE org_subtree_months SET transferred_in = 0, transferred_out = 0 WHERE org_id = $1",
        )
        .bind(*union)
        .execute(&mut **tx)
        .await?;
        for (column, inside, outside) in [
            ("transferred_in", "to_org_id", "from_org_id"),
            ("transferred_out", "from_org_id", "to_org_id"),
        ] {
            sqlx::query(&format!(
                "INSERT INTO org_subtree_months (org_id, month, {column}) \
                 SELECT $1, {month}, COUNT(*) FROM member_transfers t \
                 WHERE t.{inside} IN (SELECT org_id FROM org_ancestors WHERE ancestor_id = $1) \
                   AND t.{outside} NOT IN (SELECT org_id FROM org_ancestors WHERE ancestor_id = $1) \
                 GROUP BY 2 \
                 ON CONFLICT (org_id, month) DO UPDATE SET {column} = excluded.{column}"
            ))
            .bind(*union)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Figures of each scope's subtrees from one statement, whatever the number
/// of scopes (the dashboard asks for a union and each of its children):
/// `statement(sql, roots)` reads the subtree roots listed in `roots` and
/// selects, one row per root, the root's id and then `width` numbers; a
/// scope's figures are the sums over its roots (a root without a row counts 0).
pub async fn per_subtree(
    db: &Db,
    scopes: &[Scope],
    width: usize,
    statement: impl FnOnce(&mut Sql, &str) -> String,
) -> AppResult<Vec<Vec<i64>>> {
    let roots: Vec<Vec<i64>> = scopes.iter().map(Scope::subtree_roots).collect();
    let mut all: Vec<i64> = roots.iter().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    if all.is_empty() {
        return Ok(vec![vec![0; width]; scopes.len()]);
    }
    let mut sql = Sql::new("");
    let listed = all
        .iter()
        .map(|id| sql.int(*id))
        .collect::<Vec<_>>()
        .join(", ");
    let text = statement(&mut sql, &listed);
    sql.push(&text);
    let mut found: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in sql.fetch_all(&db.pool).await? {
        let values = (1..=width)
            .map(|i| r.try_get::<i64, _>(i))
            .collect::<Result<Vec<_>, _>>()?;
        found.insert(r.try_get(0)?, values);
    }
    Ok(roots
        .iter()
        .map(|rs| {
            let mut sum = vec![0; width];
            for v in rs.iter().filter_map(|r| found.get(r)) {
                for (s, x) in sum.iter_mut().zip(v) {
                    *s += x;
                }
            }
            sum
        })
        .collect())
}

/// Columns of the kept subtree totals (`org_subtree_figures`), per scope.
pub async fn totals(db: &Db, scopes: &[Scope], columns: &[&str]) -> AppResult<Vec<Vec<i64>>> {
    debug_assert!(columns.iter().all(|c| FIGURES.contains(c)));
    let selected = columns
        .iter()
        .map(|c| format!("CAST({c} AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    per_subtree(db, scopes, columns.len(), |_, roots| {
        format!("SELECT org_id, {selected} FROM org_subtree_figures WHERE org_id IN ({roots})")
    })
    .await
}

/// How many different members the sessions of each scope's subtree reached
/// in `year` (`org_subtree_years`, 0023). A scope of several subtrees sums
/// theirs: a person trained in two of them counts twice there.
pub async fn reached(db: &Db, scopes: &[Scope], year: &str) -> AppResult<Vec<i64>> {
    let n = per_subtree(db, scopes, 1, |sql, roots| {
        let y = sql.text(year);
        format!(
            "SELECT org_id, CAST(reached AS BIGINT) FROM org_subtree_years \
             WHERE org_id IN ({roots}) AND year = {y}"
        )
    })
    .await?;
    Ok(n.into_iter().map(|v| v[0]).collect())
}

/// Columns of the kept monthly figures of one scope's subtree, month by month:
/// for each column, a value per month of `months` (`YYYY-MM`; 0 where nothing
/// happened). The trend charts draw them.
pub async fn by_month(
    db: &Db,
    scope: &Scope,
    columns: &[&str],
    months: &[String],
) -> AppResult<Vec<Vec<i64>>> {
    debug_assert!(columns.iter().all(|c| MONTHLY.contains(c)));
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(vec![vec![]; columns.len()]);
    };
    let roots = scope.subtree_roots();
    let mut values = vec![vec![0; months.len()]; columns.len()];
    if roots.is_empty() {
        return Ok(values);
    }
    let mut sql = Sql::new("");
    let listed = roots
        .iter()
        .map(|id| sql.int(*id))
        .collect::<Vec<_>>()
        .join(", ");
    let (a, b) = (sql.text(first), sql.text(last));
    let selected = columns
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    sql.push(&format!(
        "SELECT month, {selected} FROM org_subtree_months \
         WHERE org_id IN ({listed}) AND month >= {a} AND month <= {b} GROUP BY month"
    ));
    for r in sql.fetch_all(&db.pool).await? {
        let month: String = r.try_get(0)?;
        if let Some(i) = months.iter().position(|m| *m == month) {
            for (c, column) in values.iter_mut().enumerate() {
                column[i] = r.try_get(c + 1)?;
            }
        }
    }
    Ok(values)
}

/// Columns of the kept monthly figures (`org_subtree_months`) summed over the
/// months `first..=last` (`YYYY-MM`), per scope.
pub async fn months(
    db: &Db,
    scopes: &[Scope],
    columns: &[&str],
    (first, last): (&str, &str),
) -> AppResult<Vec<Vec<i64>>> {
    debug_assert!(columns
        .iter()
        .all(|c| MONTHLY.contains(c) || c.starts_with("transferred_")));
    let selected = columns
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    per_subtree(db, scopes, columns.len(), |sql, roots| {
        let (a, b) = (sql.text(first), sql.text(last));
        format!(
            "SELECT org_id, {selected} FROM org_subtree_months \
             WHERE org_id IN ({roots}) AND month >= {a} AND month <= {b} GROUP BY org_id"
        )
    })
    .await
}
