//! Subtree totals under a move (migration 0018). Triggers keep every
//! organisation's subtree figures on each member's write; a move of a whole
//! subtree is kept here, in the move's transaction: the moved subtree's
//! totals leave the unions it no longer lies under and join the new ones, its
//! ancestors are rewritten, and the transfers crossing the edges of the
//! unions whose subtrees changed are counted again (whether a transfer
//! crossed a union's edge depends on where its two ends lie now).

use crate::db::{placeholders, Backend, Tx};

/// The columns of `org_subtree_figures` (0018, 0019): each a sum over the
/// subtree's organisations, so a moved subtree carries its own totals.
const FIGURES: [&str; 10] = [
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
];

/// The columns of `org_subtree_months` that are sums over organisations
/// (joins by the member's union, points by the union that wrote them);
/// transfers are not — whether one crossed an edge depends on both its ends.
const MONTHLY: [&str; 3] = ["joined", "points_earned", "points_redeemed"];

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
    let month = match backend {
        Backend::Sqlite => "strftime('%Y-%m', t.at / 1000 + 28800, 'unixepoch')",
        Backend::Postgres => "month_of_ms(t.at)",
    };
    for union in left.iter().chain(joined) {
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
