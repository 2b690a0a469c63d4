//! The academy's part of the demo (`gongjiang demo`, `seed demo`), so a first
//! look shows 姜山金领学院 at work: a main academy with two enterprise
//! branches, courses taught by members with sessions this week, one replay,
//! and one session already held, with a dozen workers signed in.
//! The tests' fixture leaves it out, so tests start from an empty academy.
//! Added once: skipped when the town has its academy.

use crate::academy::store as academy;
use crate::auth::Scope;
use crate::db::{now_ms, Db};
use anyhow::Context;
use sqlx::Row;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// A 10-second test-pattern video (WebM), the demo's first replay; the
/// browser test plays the same file.
const DEMO_VIDEO: &[u8] = include_bytes!("../../static/demo/lesson.webm");

/// Loads the academy part of the demo; the demo replay's video goes into
/// `files` (the server's file store).
pub async fn load(db: &Db, files: &crate::files::FileStore) -> anyhow::Result<String> {
    let actor = crate::audit::Actor::system("seed:demo");
    let everything = Scope::everything();
    let town = org(db, "ZJ-NB-YZ-JS").await?;
    let had: i64 = sqlx::query("SELECT COUNT(*) FROM academies WHERE org_id = $1")
        .bind(town)
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    if had > 0 {
        return Ok("demo academy: already there".into());
    }
    let err = crate::seed::demo::app_err;
    for (code, name, kind) in [
        ("ZJ-NB-YZ-JS", "姜山金领学院", "main"),
        ("JS-YIZHOU", "姜山金领学院一舟分院", "branch"),
        ("JS-HUARUI", "姜山金领学院华瑞分院", "branch"),
    ] {
        let o = crate::org::store::get(db, &everything, org(db, code).await?)
            .await
            .map_err(err)?;
        academy::create_academy(db, &actor, &o, name, kind)
            .await
            .map_err(err)?;
    }
    // Courses, each taught by the most skilled member of its union.
    let today = now_ms() / DAY * DAY - 8 * HOUR; // Beijing midnight
    let courses = [
        (
            "JS-YIZHOU",
            "数控车床操作与编程",
            "职业技能",
            "劳模工匠授课：对刀、编程与常见故障排除，现场实操。",
            1,
            14,
        ),
        (
            "JS-HUARUI",
            "电工安全与低压配电",
            "职业技能",
            "持证电工必修：安全规程、配电柜检修。",
            3,
            19,
        ),
        (
            "ZJ-NB-YZ-JS",
            "Excel 办公技巧",
            "办公技能",
            "排班表、工资条、数据透视表。",
            2,
            19,
        ),
        (
            "ZJ-NB-YZ-JS",
            "劳模工匠讲堂",
            "思想政治",
            "劳模精神、劳动精神、工匠精神。",
            5,
            9,
        ),
    ];
    let mut n = 0;
    let mut held = None;
    for (code, title, category, description, in_days, at_hour) in courses {
        let org_id = org(db, code).await?;
        let path: String = sqlx::query("SELECT path FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_one(&db.pool)
            .await?
            .try_get(0)?;
        let teacher: Option<i64> = sqlx::query(
            "SELECT m.id FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.path >= $1 AND o.path < $2 ORDER BY \
             CASE m.skill_level WHEN '高级技师' THEN 0 WHEN '技师' THEN 1 WHEN '高级' THEN 2 ELSE 3 END, m.id LIMIT 1",
        )
        .bind(&path)
        .bind(crate::auth::scope::path_upper(&path))
        .fetch_optional(&db.pool)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        let id = academy::create_course(db, &actor, org_id, title, category, teacher, description)
            .await
            .map_err(err)?;
        let course = academy::course(db, id).await.map_err(err)?;
        let starts = today + in_days * DAY + at_hour * HOUR;
        let session = academy::NewSession {
            place: if code == "ZJ-NB-YZ-JS" {
                "姜山镇职工服务中心 3 楼"
            } else {
                "企业职工学校教室"
            },
            starts_at: starts,
            ends_at: starts + 2 * HOUR,
            capacity: 30,
            centralised: category == "职业技能",
        };
        academy::create_session(db, &actor, &course, &session)
            .await
            .map_err(err)?;
        if code == "ZJ-NB-YZ-JS" && category == "思想政治" {
            held = Some((course.clone(), path.clone()));
        }
        if n == 0 {
            // One replay with its video in the file store, so the phone player can be tried.
            let lesson =
                academy::create_lesson(db, &actor, &course, "第一讲 示例视频（10 秒）", "", 10_000)
                    .await
                    .map_err(err)?;
            let mut upload = files.create("lessons", "webm").await.map_err(err)?;
            upload.write(DEMO_VIDEO).await.map_err(err)?;
            let size = upload.size;
            let name = upload.finish(files).await.map_err(err)?;
            academy::set_video(db, &actor, &lesson, org_id, &name, size)
                .await
                .map_err(err)?;
        }
        n += 1;
    }

    let signed_in = match held {
        Some((course, path)) => held_last_week(db, &actor, &course, &path).await?,
        None => 0,
    };
    Ok(format!(
        "demo academy: 1 main academy, 2 branches, {n} courses with sessions this week (one with a replay), \
         one session held with {signed_in} check-ins"
    ))
}

/// A session of `course` held a few days ago (within this year, so the
/// dashboard's 本年 figures count it), with the first dozen workers of the
/// town enrolled and signed in, each completing the course. Returns the
/// check-ins.
async fn held_last_week(
    db: &Db,
    actor: &crate::audit::Actor,
    course: &academy::Course,
    town_path: &str,
) -> anyhow::Result<usize> {
    let err = crate::seed::demo::app_err;
    let now = now_ms();
    let year = |ms: i64| crate::db::format_ms(ms).get(..4).map(str::to_string);
    let starts = if year(now - 3 * DAY) == year(now) {
        now - 3 * DAY
    } else {
        now - 2 * HOUR
    };
    let session = academy::NewSession {
        place: "姜山镇职工服务中心 3 楼",
        starts_at: starts,
        ends_at: starts + 2 * HOUR,
        capacity: 30,
        centralised: true,
    };
    let id = academy::create_session(db, actor, course, &session)
        .await
        .map_err(err)?;
    let workers = sqlx::query(
        "SELECT m.id, m.org_id FROM members m WHERE m.org_path >= $1 AND m.org_path < $2 AND m.status = '在册' \
         ORDER BY m.id LIMIT 12",
    )
    .bind(town_path)
    .bind(crate::auth::scope::path_upper(town_path))
    .fetch_all(&db.pool)
    .await?;
    for w in &workers {
        let (member, org): (i64, i64) = (w.try_get(0)?, w.try_get(1)?);
        crate::enrolment::store::enrol(db, actor, crate::academy::SESSION, id, member, org)
            .await
            .map_err(err)?;
        let mut tx = db.begin().await?;
        crate::enrolment::store::attend(&mut tx, actor, crate::academy::SESSION, id, member)
            .await
            .map_err(err)?;
        academy::record_completion(&mut *tx, course.id, member, academy::CompletedVia::Session)
            .await?;
        tx.commit().await?;
    }
    Ok(workers.len())
}

async fn org(db: &Db, code: &str) -> anyhow::Result<i64> {
    crate::org::store::get_by_code(db, code)
        .await?
        .map(|o| o.id)
        .with_context(|| format!("demo org {code}"))
}
