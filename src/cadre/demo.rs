//! The cadre points part of the demo, in the tests' fixture too.

use crate::auth::Scope;
use crate::db::Db;
use crate::seed::demo::app_err;

/// A few union cadres of 姜山镇, its rule items and this year's entries, so
/// the cadre points page is not empty. Added once: skipped when the town has cadres.
pub async fn load(db: &Db) -> anyhow::Result<String> {
    let actor = &crate::audit::Actor::system("seed:demo");
    use crate::cadre::store as cadre;
    let town = crate::seed::demo::org_id_by_code(db, "ZJ-NB-YZ-JS").await?;
    let had: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT COUNT(*) FROM cadres WHERE org_id = $1")
            .bind(town)
            .fetch_one(&db.pool)
            .await?,
        0,
    )?;
    if had > 0 {
        return Ok("demo cadre points: already there".into());
    }
    let mut items = vec![];
    for (label, points) in [
        ("组织培训一次", 5),
        ("按时报送报表", 2),
        ("未按时报送报表", -2),
        ("开展困难职工走访", 3),
    ] {
        items.push(
            cadre::create_item(db, actor, town, label, points)
                .await
                .map_err(app_err)?,
        );
    }
    let yizhou = crate::seed::demo::org_id_by_code(db, "JS-YIZHOU").await?;
    let year = crate::cadre::ops::this_year();
    let year_start = format!("{year:04}-01-01");
    // (union, name, post, [(item, days ago, evidence)])
    type DemoCadre = (
        i64,
        &'static str,
        &'static str,
        &'static [(usize, i64, &'static str)],
    );
    let people: [DemoCadre; 5] = [
        (
            town,
            "陈建国",
            "镇总工会主席",
            &[
                (0, 60, "镇工会技能培训班通知及签到表"),
                (1, 30, "季度报表报送回执"),
                (3, 10, "走访慰问记录表"),
            ],
        ),
        (
            town,
            "林晓燕",
            "镇总工会副主席",
            &[(0, 45, "安全生产培训签到表"), (1, 20, "季度报表报送回执")],
        ),
        (
            town,
            "周海波",
            "经费审查委员会主任",
            &[
                (1, 50, "经审报告报送回执"),
                (2, 15, "报表逾期三天，镇总工会通报"),
            ],
        ),
        (
            yizhou,
            "吴丽娟",
            "企业工会主席",
            &[
                (0, 40, "新员工入会培训签到表"),
                (1, 25, "会员统计表报送回执"),
                (2, 5, "年报逾期，区总工会通报"),
            ],
        ),
        (
            yizhou,
            "郑志强",
            "女职工委员会主任",
            &[
                (3, 35, "困难女职工走访记录"),
                (1, 12, "女职工统计表报送回执"),
            ],
        ),
    ];
    let everything = Scope::everything();
    for (org_id, name, title, entries) in people {
        let new = cadre::NewCadre {
            org_id,
            name: name.into(),
            title: title.into(),
            member_id: None,
        };
        let id = cadre::create_cadre(db, actor, &new)
            .await
            .map_err(app_err)?;
        let c = cadre::cadre(db, &everything, id, year)
            .await
            .map_err(app_err)?;
        for (item, days_ago, evidence) in entries {
            let day = crate::db::format_ms(crate::db::now_ms() - days_ago * 86_400_000);
            let day = day
                .get(..10)
                .unwrap_or(&year_start)
                .max(year_start.as_str());
            cadre::add_entry(db, actor, &c, &items[*item], evidence, day)
                .await
                .map_err(app_err)?;
        }
    }
    Ok("demo cadre points: the town's cadres, rule items and this year's entries".into())
}
