//! The roster's figures month by month (migration 0016), for the dashboard's
//! trend lines: a snapshot of every union's subtree taken by the server's job
//! while the month runs, and the months before the first snapshot back-filled
//! from join dates (members on the roll who had joined by each month's end,
//! at their union of today — marked estimated).

use crate::auth::Scope;
use crate::db::sql::{Arg, Sql};
use crate::db::{now_ms, Db};
use crate::web::error::AppResult;
use sqlx::Row;
use std::collections::HashMap;

/// How many months before the first snapshot are back-filled.
pub const BACKFILL_MONTHS: usize = 12;

/// Rows a statement upserts at a time (each 9 arguments).
const BATCH: usize = 50;

/// One month of a subtree; the figures other than `on_roll` are unknown for back-filled months.
#[derive(Debug, Clone, PartialEq)]
pub struct Month {
    pub month: String,
    pub on_roll: i64,
    pub skilled: Option<i64>,
    pub high_skilled: Option<i64>,
    pub migrant: Option<i64>,
    pub hardship: Option<i64>,
    pub estimated: bool,
}

/// The union ids a path names, itself last: '/1/5/23/' → 1, 5, 23.
fn ids_on(path: &str) -> impl Iterator<Item = i64> + '_ {
    path.split('/').filter_map(|p| p.parse().ok())
}

/// Adds each union's own figures to itself and every union above it.
fn rolled_up<const N: usize>(own: &[(String, [i64; N])]) -> HashMap<i64, [i64; N]> {
    let mut out: HashMap<i64, [i64; N]> = HashMap::new();
    for (path, v) in own {
        for id in ids_on(path) {
            let t = out.entry(id).or_insert([0; N]);
            for i in 0..N {
                t[i] += v[i];
            }
        }
    }
    out
}

type Row5 = (i64, String, [Option<i64>; 5], bool);

/// Writes rows (org_id, month, on_roll, skilled …, estimated) in one
/// statement inside `tx`; an existing row is replaced, or kept when `keep`.
async fn write(tx: &mut crate::db::Tx, rows: &[Row5], keep: bool) -> AppResult<()> {
    let now = now_ms();
    let mut sql = Sql::new(
        "INSERT INTO member_months (org_id, month, on_roll, skilled, high_skilled, migrant, hardship, estimated, taken_at) VALUES ",
    );
    let mut values = vec![];
    for (org, month, v, estimated) in rows {
        let mut p = vec![sql.int(*org), sql.text(month.clone())];
        for x in v {
            p.push(sql.arg(Arg::OptInt(*x)));
        }
        p.push(sql.int(i64::from(*estimated)));
        p.push(sql.int(now));
        values.push(format!("({})", p.join(", ")));
    }
    sql.push(&values.join(", "));
    sql.push(match keep {
        true => " ON CONFLICT (org_id, month) DO NOTHING",
        false => " ON CONFLICT (org_id, month) DO UPDATE SET on_roll = excluded.on_roll, \
             skilled = excluded.skilled, high_skilled = excluded.high_skilled, migrant = excluded.migrant, \
             hardship = excluded.hardship, estimated = excluded.estimated, taken_at = excluded.taken_at",
    });
    sql.query().execute(&mut **tx).await?;
    Ok(())
}

/// Takes `month`'s snapshot (`YYYY-MM`) of every union's subtree from the
/// kept counts; the rows written.
pub async fn snapshot(db: &Db, month: &str) -> AppResult<usize> {
    let rows = sqlx::query(
        "SELECT o.path, COALESCE(c.on_roll, 0), COALESCE(c.skill_5 + c.skill_4 + c.skill_3 + c.skill_2 + c.skill_1, 0), \
         COALESCE(c.skill_3 + c.skill_2 + c.skill_1, 0), COALESCE(c.migrant, 0), COALESCE(c.hardship, 0) \
         FROM orgs o LEFT JOIN org_member_counts c ON c.org_id = o.id",
    )
    .fetch_all(&db.pool)
    .await?;
    let own: Vec<(String, [i64; 5])> = rows
        .iter()
        .map(|r| -> Result<_, sqlx::Error> {
            Ok((
                r.try_get(0)?,
                [
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                ],
            ))
        })
        .collect::<Result<_, _>>()?;
    let rows: Vec<Row5> = rolled_up(&own)
        .into_iter()
        .map(|(org, v)| (org, month.to_string(), v.map(Some), false))
        .collect();
    // Short transactions, so that other writers get in between: a snapshot
    // cut short is taken whole at the next run.
    for chunk in rows.chunks(BATCH) {
        let mut tx = db.begin().await?;
        write(&mut tx, chunk, false).await?;
        tx.commit().await?;
    }
    Ok(rows.len())
}

/// The `BACKFILL_MONTHS` months before `month`, when no month has been kept
/// yet: each union's members on the roll who had joined by the month's end.
pub async fn backfill(db: &Db, month: &str) -> AppResult<usize> {
    let any: i64 = sqlx::query("SELECT COUNT(*) FROM (SELECT 1 FROM member_months LIMIT 1) t")
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    if any > 0 {
        return Ok(0);
    }
    let months = months_before(month, BACKFILL_MONTHS);
    let Some(first) = months.first() else {
        return Ok(0);
    };
    // Each union's members on the roll by month of joining (those before the
    // window count from its first month on).
    let rows = sqlx::query(
        "SELECT o.path, CASE WHEN substr(m.join_date, 1, 7) < $1 THEN '' ELSE substr(m.join_date, 1, 7) END AS jm, COUNT(*) \
         FROM members m JOIN orgs o ON o.id = m.org_id \
         WHERE m.status = '在册' AND m.join_date <> '' GROUP BY o.path, jm",
    )
    .bind(first.clone())
    .fetch_all(&db.pool)
    .await?;
    let mut own: Vec<(String, Vec<i64>)> = vec![];
    let mut at: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        let (path, joined, n): (String, String, i64) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let i = *at.entry(path.clone()).or_insert_with(|| {
            own.push((path.clone(), vec![0; months.len()]));
            own.len() - 1
        });
        // Counted in every month from the one joined in.
        for (k, m) in months.iter().enumerate() {
            if joined.is_empty() || joined.as_str() <= m.as_str() {
                own[i].1[k] += n;
            }
        }
    }
    // One transaction: the back-fill runs once (it is skipped when any month
    // is kept), so it must land whole or not at all.
    let mut tx = db.begin().await?;
    let mut written = 0;
    for (k, m) in months.iter().enumerate() {
        let per_month: Vec<(String, [i64; 1])> =
            own.iter().map(|(p, v)| (p.clone(), [v[k]])).collect();
        let rows: Vec<Row5> = rolled_up(&per_month)
            .into_iter()
            .map(|(org, v)| (org, m.clone(), [Some(v[0]), None, None, None, None], true))
            .collect();
        for chunk in rows.chunks(BATCH) {
            write(&mut tx, chunk, true).await?;
        }
        written += rows.len();
    }
    tx.commit().await?;
    Ok(written)
}

/// The `n` months before `month` (`YYYY-MM`), oldest first.
pub fn months_before(month: &str, n: usize) -> Vec<String> {
    let (y, m) = match (
        month.get(..4).and_then(|y| y.parse::<i64>().ok()),
        month.get(5..7).and_then(|m| m.parse::<i64>().ok()),
    ) {
        (Some(y), Some(m)) if (1..=12).contains(&m) => (y, m),
        _ => return vec![],
    };
    let index = y * 12 + (m - 1);
    (1..=n as i64)
        .rev()
        .map(|back| {
            let i = index - back;
            format!("{:04}-{:02}", i.div_euclid(12), i.rem_euclid(12) + 1)
        })
        .collect()
}

/// One union's months from `from` on (`YYYY-MM`), within the scope, oldest first.
pub async fn of(db: &Db, scope: &Scope, org_id: i64, from: &str) -> AppResult<Vec<Month>> {
    let mut sql = Sql::new("");
    let pred = scope.org_predicate(&mut sql, "o.path");
    let (id, from) = (sql.int(org_id), sql.text(from));
    sql.push(&format!(
        "SELECT mm.month, mm.on_roll, mm.skilled, mm.high_skilled, mm.migrant, mm.hardship, mm.estimated \
         FROM member_months mm JOIN orgs o ON o.id = mm.org_id WHERE {pred} AND mm.org_id = {id} AND mm.month >= {from} \
         ORDER BY mm.month"
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    Ok(rows
        .iter()
        .map(|r| -> Result<Month, sqlx::Error> {
            Ok(Month {
                month: r.try_get(0)?,
                on_roll: r.try_get(1)?,
                skilled: r.try_get(2)?,
                high_skilled: r.try_get(3)?,
                migrant: r.try_get(4)?,
                hardship: r.try_get(5)?,
                estimated: r.try_get::<i64, _>(6)? != 0,
            })
        })
        .collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_back_across_a_new_year() {
        assert_eq!(
            months_before("2026-02", 3),
            ["2025-11", "2025-12", "2026-01"]
        );
        assert_eq!(months_before("2026-12", 1), ["2026-11"]);
        assert!(months_before("bad", 3).is_empty());
    }

    #[test]
    fn a_union_counts_itself_and_everything_below_it() {
        let own = vec![
            ("/1/".to_string(), [1]),
            ("/1/5/".to_string(), [10]),
            ("/1/5/23/".to_string(), [100]),
        ];
        let t = rolled_up(&own);
        assert_eq!(t[&1], [111]);
        assert_eq!(t[&5], [110]);
        assert_eq!(t[&23], [100]);
    }
}
