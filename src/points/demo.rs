//! The points part of the demo (`gongjiang demo`, `seed demo`): the town's
//! earning rules and catalogue, and points for the demo worker to spend. Not
//! in the tests' fixture. Added once: skipped when the town has rules.

use crate::db::{now_ms, Db};
use crate::points::rules::ItemFields;
use crate::points::store as points;
use anyhow::Context;
use sqlx::Row;

pub async fn load(db: &Db) -> anyhow::Result<String> {
    let actor = crate::audit::Actor::system("seed:demo");
    let err = crate::seed::demo::app_err;
    let town = org(db, "ZJ-NB-YZ-JS").await?;
    let had: i64 = sqlx::query("SELECT COUNT(*) FROM point_rules WHERE org_id = $1")
        .bind(town)
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    if had > 0 {
        return Ok("demo points: already there".into());
    }
    for (code, label, pts, days) in [
        ("course_completed", "完成课程", 20, Some(365)),
        ("feedback", "提交课程评价", 5, Some(365)),
    ] {
        let f = points::RuleFields {
            code: code.into(),
            label: label.into(),
            points: pts,
            active: true,
            valid_days: days,
        };
        points::set_rule(db, &actor, &crate::auth::Access::everything(), town, &f)
            .await
            .map_err(err)?;
    }
    for (name, price, stock, limit) in [
        ("劳保手套（10双）", 20, 200, 2),
        ("不锈钢保温杯", 50, 30, 1),
        ("《数控加工工艺》图书", 80, 20, 1),
        ("体检套餐（职工专享）", 300, 10, 1),
    ] {
        let f = ItemFields {
            name: Some(name.into()),
            price: Some(price),
            stock: Some(stock),
            per_member_limit: Some(limit),
            ..Default::default()
        };
        points::create_item(db, &actor, &crate::auth::Access::everything(), town, &f)
            .await
            .map_err(err)?;
    }

    // The demo worker has points to spend (valid for a year).
    let worker: Option<(i64, i64)> = sqlx::query(
        "SELECT m.id, m.org_id FROM accounts a JOIN members m ON m.id = a.member_id WHERE a.username = 'worker'",
    )
    .fetch_optional(&db.pool)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
    .transpose()?;
    if let Some((member_id, org_id)) = worker {
        let e = points::NewEntry {
            member_id,
            org_id,
            amount: 120,
            reason: "参加 2026 年职工技能比武",
            source: "manual",
            source_id: None,
            key: Some("demo:worker:welcome"),
            expires_at: crate::ledger::rules::expiry(now_ms(), Some(365)),
        };
        crate::ledger::store::add_entry(db, &actor, e)
            .await
            .map_err(err)?;
    }
    Ok(
        "demo points: the town's earning rules, 4 catalogue items, 120 points for the demo worker"
            .into(),
    )
}

async fn org(db: &Db, code: &str) -> anyhow::Result<i64> {
    crate::org::store::get_by_code(db, code)
        .await?
        .map(|o| o.id)
        .with_context(|| format!("demo org {code}"))
}
