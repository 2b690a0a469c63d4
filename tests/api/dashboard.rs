//! The dashboard (issue 12): every figure is the total of the list it names,
//! for the root and for a town and every child row; the kept figures equal a
//! recount after a random mix of writes; a union sees nothing above itself.

use crate::pages::Browser;
use crate::support::{id_number, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Every figure of a dashboard (the organisation's and each child's): (key, value, list).
/// Every figure of a dashboard: (key, value, list, the list's field equal to value).
fn figures(d: &Value) -> Vec<(String, i64, String, String)> {
    let mut out = vec![];
    let mut take = |fs: &Value| {
        for f in fs.as_array().unwrap() {
            out.push((
                f["key"].as_str().unwrap().to_string(),
                f["value"].as_i64().unwrap(),
                f["list"].as_str().unwrap().to_string(),
                f["list_field"].as_str().unwrap().to_string(),
            ));
        }
    };
    for g in d["groups"].as_array().unwrap() {
        take(&g["figures"]);
    }
    for c in d["children"].as_array().unwrap() {
        take(&c["figures"]);
    }
    out
}

/// Opens the dashboard and follows every figure to its list: the list's
/// total is the figure. Returns the dashboard.
async fn every_figure_is_its_lists_total(app: &TestApp, token: &str, org: Option<i64>) -> Value {
    let path = match org {
        Some(id) => format!("/api/v1/dashboard?org_id={id}"),
        None => "/api/v1/dashboard".to_string(),
    };
    let (s, d) = app.get(token, &path).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let all = figures(&d);
    assert!(all.len() > 10, "{d}");
    for (key, value, list, field) in all {
        let (s, l) = app.get(token, &format!("{list}&per_page=1")).await;
        assert_eq!(s, StatusCode::OK, "{key}: {list} → {l}");
        assert_eq!(l[&field].as_i64(), Some(value), "{key}: {list} ({field})");
    }
    d
}

fn value(d: &Value, key: &str) -> i64 {
    d["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["figures"].as_array().unwrap())
        .find(|f| f["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {d}"))["value"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn every_figure_of_the_root_and_of_a_town_is_the_total_of_its_list() {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town_id = app.org_id("ZJ-NB-YZ-JS").await;
    // A member with a level, both flags and a join date this year, so that
    // none of the town's figures is trivially zero.
    let today = chrono_today();
    let (s, m) = app
        .post(
            &root,
            "/api/v1/members",
            json!({"name": "看板者", "id_number": id_number(9101), "org_id": app.org_id("JS-HUARUI").await,
                   "skill_level": "技师", "is_migrant_worker": true, "is_hardship": true, "join_date": today}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    // One of the town's members transfers out to 湖州: the town's 转出, not the root's.
    let leaver = app.member_of("JS-YIZHOU").await;
    let (s, t) = app
        .post(
            &root,
            &format!("/api/v1/members/{leaver}/transfer"),
            json!({"to_org_id": app.org_id("ZJ-HZ").await}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");

    let d = every_figure_is_its_lists_total(&app, &root, None).await;
    assert_eq!(
        value(&d, "members.transferred_out_year"),
        0,
        "nothing leaves the root"
    );
    assert_eq!(value(&d, "members.transferred_in_year"), 0);
    assert!(value(&d, "members.on_roll") > 0);
    assert!(
        !d["children"].as_array().unwrap().is_empty(),
        "the root has children"
    );
    let town = every_figure_is_its_lists_total(&app, &root, Some(town_id)).await;
    for key in [
        "members.high_skilled",
        "members.migrant",
        "members.hardship",
        "members.joined_month",
        "members.joined_year",
        "members.transferred_out_month",
        "members.transferred_out_year",
        "orgs.total",
        "enterprises.total",
    ] {
        assert!(value(&town, key) > 0, "{key} in {town}");
    }
    // 高技能人才 is 高级工 and above; 技能劳动者 everyone with a level.
    let levels: i64 = (1..=5)
        .map(|n| value(&town, &format!("members.level.{n}")))
        .sum();
    assert_eq!(value(&town, "members.skilled"), levels);
    let high: i64 = (1..=3)
        .map(|n| value(&town, &format!("members.level.{n}")))
        .sum();
    assert_eq!(value(&town, "members.high_skilled"), high);

    // The town's own admin: the same figures, and nothing above the town.
    let js = app.login("jiangshan").await;
    let own = every_figure_is_its_lists_total(&app, &js, None).await;
    assert_eq!(own["org"]["id"], town_id);
    assert_eq!(figures(&own), figures(&town));
    assert!(own["above"].as_array().unwrap().is_empty(), "{own}");
    assert_eq!(
        town["above"].as_array().unwrap().len(),
        3,
        "the root sees the province, the city and the district above the town: {town}"
    );
    let root_org = d["org"]["id"].as_i64().unwrap();
    let (s, _) = app
        .get(&js, &format!("/api/v1/dashboard?org_id={root_org}"))
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "the province is out of the town's sight"
    );
    // A worker has no dashboard.
    let worker = app.login("worker").await;
    let (s, _) = app.get(&worker, "/api/v1/dashboard").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// A number in Chinese digits, for names (a name holds no Arabic digits).
fn chinese(n: u32) -> String {
    n.to_string()
        .chars()
        .map(|d| {
            "零一二三四五六七八九"
                .chars()
                .nth(d as usize - '0' as usize)
                .unwrap()
        })
        .collect()
}

fn chrono_today() -> String {
    // Beijing is UTC+8: the dashboard's "today".
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 8 * 3600;
    let days = secs.div_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A seeded random mix of registrations, imports, edits of level, flags and
/// status, transfers, subtree moves and deletions: after each step the kept
/// figures equal a recount, and the town's dashboard still equals its lists.
#[tokio::test]
async fn the_kept_figures_equal_a_recount_after_a_random_mix_of_writes() {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town_id = app.org_id("ZJ-NB-YZ-JS").await;
    let orgs: Vec<i64> = {
        let (_, l) = app
            .get(
                &root,
                &format!("/api/v1/orgs?org_id={town_id}&per_page=200"),
            )
            .await;
        l["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect()
    };
    assert!(orgs.len() >= 3);
    let levels = ["", "初级工", "中级工", "高级工", "技师", "高级技师"];
    let statuses = ["在册", "转出", "退会"];
    // A small deterministic generator: the same mix on every run and backend.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut mine: Vec<i64> = vec![];
    let mut done = [0u32; 7];
    let mut paid: Vec<i64> = vec![];
    for step in 0..60u32 {
        let what = if mine.is_empty() { 0 } else { next(7) };
        let (s, body) = match (what, mine.is_empty()) {
            (0, _) | (_, true) => {
                let (s, m) = app
                    .post(
                        &root,
                        "/api/v1/members",
                        json!({"name": format!("混{}", chinese(step)), "id_number": id_number(9200 + step),
                               "org_id": orgs[next(orgs.len())], "skill_level": levels[next(levels.len())],
                               "is_migrant_worker": next(2) == 1, "is_hardship": next(3) == 0,
                               "join_date": "2026-03-01"}),
                    )
                    .await;
                if s == StatusCode::CREATED {
                    mine.push(m["id"].as_i64().unwrap());
                }
                (s, m)
            }
            (1, false) => {
                let id = mine[next(mine.len())];
                app.patch(
                    &root,
                    &format!("/api/v1/members/{id}"),
                    json!({"skill_level": levels[next(levels.len())], "is_migrant_worker": next(2) == 1,
                           "is_hardship": next(2) == 1, "status": statuses[next(statuses.len())]}),
                )
                .await
            }
            (2, false) => {
                let id = mine[next(mine.len())];
                app.post(
                    &root,
                    &format!("/api/v1/members/{id}/transfer"),
                    json!({"to_org_id": orgs[next(orgs.len())]}),
                )
                .await
            }
            (3, false) => {
                // A subtree move: a union (not the town) under another of the town's.
                let (a, b) = (orgs[1 + next(orgs.len() - 1)], orgs[next(orgs.len())]);
                app.patch(&root, &format!("/api/v1/orgs/{a}"), json!({"parent_id": b}))
                    .await
            }
            (6, false) => {
                // Points paid to (or taken from) a member: earned, and outstanding at
                // its union, and carried along by a transfer (the ledger keeps its
                // entries: a paid member is not deleted below).
                let id = mine[next(mine.len())];
                paid.push(id);
                let amount = [50, 20, 30][next(3)];
                app.post(
                    &root,
                    "/api/v1/points/entries",
                    json!({"member_id": id, "amount": amount, "reason": "随机积分"}),
                )
                .await
            }
            (4, false) if mine.iter().all(|m| paid.contains(m)) => {
                (StatusCode::OK, json!({"state": "rejected"}))
            }
            (4, false) => {
                let unpaid: Vec<usize> = (0..mine.len())
                    .filter(|i| !paid.contains(&mine[*i]))
                    .collect();
                let id = mine.remove(unpaid[next(unpaid.len())]);
                for sql in [
                    "DELETE FROM member_transfers WHERE member_id = $1",
                    "DELETE FROM members WHERE id = $1",
                ] {
                    sqlx::query(sql)
                        .bind(id)
                        .execute(&app.state.db.pool)
                        .await
                        .unwrap();
                }
                (StatusCode::OK, Value::Null)
            }
            _ => {
                let mut wb = rust_xlsxwriter::Workbook::new();
                let ws = wb.add_worksheet();
                ws.write_row(
                    0,
                    0,
                    [
                        "姓名",
                        "身份证号",
                        "技能等级",
                        "是否农民工",
                        "是否困难职工",
                        "入会日期",
                    ],
                )
                .unwrap();
                for r in 0..3u32 {
                    let n = 9500 + step * 10 + r;
                    ws.write_row(
                        1 + r,
                        0,
                        [
                            format!("导{}", chinese(n)),
                            id_number(n),
                            levels[next(levels.len())].to_string(),
                            ["是", "否"][next(2)].to_string(),
                            ["是", "否"][next(2)].to_string(),
                            "2026-05-04".to_string(),
                        ],
                    )
                    .unwrap();
                }
                let job = crate::imports::import(
                    &app,
                    &root,
                    orgs[next(orgs.len())],
                    "all",
                    "mix.xlsx",
                    wb.save_to_buffer().unwrap(),
                )
                .await;
                (StatusCode::OK, job)
            }
        };
        // Refusals (a move under its own child, say) are part of the mix too.
        assert!(s.as_u16() < 500, "step {step}: {s} {body}");
        if s.is_success() && body["state"] != "rejected" {
            done[what] += 1;
        }
        assert_eq!(
            app.member_counts_off().await,
            0,
            "step {step} ({what}): {body}"
        );
    }
    assert!(
        done.iter().all(|n| *n > 0),
        "every kind of write happened: {done:?}"
    );
    every_figure_is_its_lists_total(&app, &root, Some(town_id)).await;
}

/// The page: cards, the skill chart as SVG with words for a screen reader,
/// the children's table with links one level down, and the hall screen.
#[tokio::test]
async fn the_page_shows_figures_a_chart_and_the_children_in_chinese() {
    let app = TestApp::spawn().await;
    let town_id = app.org_id("ZJ-NB-YZ-JS").await;
    let mut b = Browser::login(&app, "admin", "gongjiang").await;
    // Staff land on the dashboard.
    let home = b.get("/").await;
    assert_eq!(home.location.as_deref(), Some("/dashboard"));
    let html = b.page(&format!("/dashboard?org_id={town_id}")).await.html;
    for needle in [
        "数据看板",
        "在册会员",
        "高技能人才",
        "技能等级",
        "<svg",
        "role=\"img\"",
        "下级组织",
        "合计",
        "数据大屏",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
    assert!(
        html.contains("/dashboard?org_id="),
        "children link one level down"
    );
    assert!(
        html.contains("/members?org_id="),
        "figures link to the member list"
    );
    let screen = b
        .page(&format!("/dashboard?org_id={town_id}&screen=1"))
        .await
        .html;
    assert!(
        screen.contains("http-equiv=\"refresh\""),
        "the hall screen refreshes itself"
    );
    assert!(screen.contains("退出大屏"));
    // The transfers a 转出 figure counts, as a page; a mistyped union id is no error page.
    let moves = b
        .page(&format!(
            "/transfers?org_id={town_id}&direction=out&from=2026-01-01&to=2026-12-31"
        ))
        .await
        .html;
    assert!(
        moves.contains("转出的会员") && moves.contains("转入组织"),
        "{moves}"
    );
    let typo = b.get("/transfers?org_id=abc&direction=out").await;
    assert_eq!(typo.status, StatusCode::OK, "{}", typo.html);
    // The sessions and the check-ins the academy's figures count, as pages.
    for (path, heading, column) in [
        ("/academy/delivered", "的培训场次", "签到人数"),
        ("/academy/attendance", "的培训签到", "举办单位"),
        ("/academy/trainees", "的参训人员", "签到次数"),
        ("/academy/completions", "的课程完成情况", "完成方式"),
    ] {
        let p = b
            .page(&format!(
                "{path}?org_id={town_id}&from=2026-01-01&to=2026-12-31"
            ))
            .await
            .html;
        assert!(p.contains(heading) && p.contains(column), "{p}");
        let typo = b.get(&format!("{path}?org_id=abc")).await;
        assert_eq!(typo.status, StatusCode::OK, "{}", typo.html);
    }
}

/// The trend of `key` on a dashboard.
fn line_of(d: &Value, key: &str) -> Value {
    d["trends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
        .unwrap_or_else(|| panic!("no trend {key}: {d}"))
        .clone()
}

fn target<'a>(d: &'a Value, key: &str) -> &'a Value {
    d["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["figure_key"] == key)
        .unwrap_or_else(|| panic!("no target for {key} in {}", d["targets"]))
}

/// 婺城's targets, the seeds' way: 技能劳动者 so many people, 高技能人才 30 %
/// of them; the gap in people; a child's own target rolled up; only an admin
/// of the union or above sets them; bad input changes nothing.
#[tokio::test]
async fn targets_show_the_gap_in_people_and_roll_up_from_the_children() {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let huarui = app.org_id("JS-HUARUI").await;
    let (_, d) = app
        .get(&root, &format!("/api/v1/dashboard?org_id={town}"))
        .await;
    let skilled = value(&d, "members.skilled");
    let high = value(&d, "members.high_skilled");
    let year = d["year"].as_i64().unwrap();

    let set = |org: i64, key: &str, kind: &str, t: Value| {
        let body =
            json!({"org_id": org, "year": year, "figure_key": key, "kind": kind, "target": t});
        let (app, root) = (&app, &root);
        async move { app.post(root, "/api/v1/dashboard/targets", body).await }
    };
    let (s, t) = set(town, "members.skilled", "count", json!(skilled + 1234)).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, t) = set(town, "members.high_skilled", "share", json!("30%")).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["target"], 300, "a share is kept in per mille");
    let (s, _) = set(huarui, "members.skilled", "count", json!("1万")).await;
    assert_eq!(s, StatusCode::CREATED);

    let (_, d) = app
        .get(&root, &format!("/api/v1/dashboard?org_id={town}"))
        .await;
    let count = target(&d, "members.skilled");
    assert_eq!(count["gap"], 1234);
    assert_eq!(count["gap_text"], "还差 1,234 人");
    assert_eq!(count["reached"], false);
    assert_eq!(count["children_target_total"], 10_000);
    let row = count["rollup"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["org"]["id"] == huarui)
        .unwrap();
    assert_eq!(row["target"], 10_000);
    assert_eq!(row["reached"], false);
    let share = target(&d, "members.high_skilled");
    let needed = (300 * skilled + 999) / 1000;
    assert_eq!(share["gap"], (needed - high).max(0), "{share}");
    assert_eq!(share["target_text"], "30.0%");
    // Setting again replaces; another year is a target of its own.
    let (s, _) = set(town, "members.skilled", "count", json!(1)).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, d) = app
        .get(&root, &format!("/api/v1/dashboard?org_id={town}"))
        .await;
    assert_eq!(target(&d, "members.skilled")["reached"], true);
    assert_eq!(target(&d, "members.skilled")["gap_text"], "已达成");
    let (_, other) = app
        .get(
            &root,
            &format!("/api/v1/dashboard?org_id={town}&year={}", year + 1),
        )
        .await;
    assert!(other["targets"].as_array().unwrap().is_empty());

    // Bad input: a clear error on the field, and nothing changes.
    let (s, a) = app
        .post(
            &root,
            "/api/v1/accounts",
            json!({"username": "js_officer", "password": "gongjiang", "role": "officer", "org_id": town}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let before = app.fingerprint().await;
    for (body, field) in [
        (
            json!({"org_id": town, "year": year, "figure_key": "members.on_roll", "kind": "share", "target": 30}),
            "kind",
        ),
        (
            json!({"org_id": town, "year": year, "figure_key": "members.skilled", "kind": "ratio", "target": 30}),
            "kind",
        ),
        (
            json!({"org_id": town, "year": year, "figure_key": "members.skilled", "kind": "count", "target": 0}),
            "target",
        ),
        (
            json!({"org_id": town, "year": year, "figure_key": "members.skilled", "kind": "count", "target": "很多"}),
            "target",
        ),
        (
            json!({"org_id": town, "year": year, "figure_key": "members.high_skilled", "kind": "share", "target": 130}),
            "target",
        ),
        (
            json!({"org_id": town, "year": year, "figure_key": "no.such", "kind": "count", "target": 5}),
            "figure_key",
        ),
        (
            json!({"org_id": town, "year": 1999, "figure_key": "members.skilled", "kind": "count", "target": 5}),
            "year",
        ),
    ] {
        let (s, e) = app
            .post(&root, "/api/v1/dashboard/targets", body.clone())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {e}");
        assert_eq!(e["errors"][0]["field"], field, "{body} → {e}");
    }
    // An officer may not set targets; the town's admin may not reach above the town.
    let officer = app.login("js_officer").await;
    let body = json!({"org_id": town, "year": year, "figure_key": "members.skilled", "kind": "count", "target": 5});
    let (s, _) = app.post(&officer, "/api/v1/dashboard/targets", body).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let js = app.login("jiangshan").await;
    let province = d["above"][0]["id"].as_i64().unwrap();
    let body = json!({"org_id": province, "year": year, "figure_key": "members.skilled", "kind": "count", "target": 5});
    let (s, _) = app.post(&js, "/api/v1/dashboard/targets", body).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(before, app.fingerprint().await, "refusals change nothing");

    // The town's admin removes the town's target (its own union).
    let id = target(&d, "members.skilled")["id"].as_i64().unwrap();
    let resp = app
        .client
        .delete(app.url(&format!("/api/v1/dashboard/targets/{id}")))
        .bearer_auth(&js)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (_, d) = app
        .get(&root, &format!("/api/v1/dashboard?org_id={town}"))
        .await;
    assert_eq!(
        d["targets"].as_array().unwrap().len(),
        1,
        "the share target stays"
    );
}

/// The report as .xlsx from the API: the sheets, a row per child, 本级 and
/// 合计, and 合计 equal to the dashboard's figures, as numbers.
#[tokio::test]
async fn the_report_holds_the_dashboards_figures_row_by_row() {
    use calamine::{Data, Reader};
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let (_, d) = app
        .get(&root, &format!("/api/v1/dashboard?org_id={town}"))
        .await;
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/dashboard/report.xlsx?org_id={town}")))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap().to_vec();
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = wb.worksheet_range("会员统计").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    let header: Vec<String> = rows[2].iter().map(|c| c.to_string()).collect();
    assert_eq!(header[0], "组织");
    let col = header.iter().position(|h| h == "在册会员（人）").unwrap();
    let children = d["children"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        3 + children.len() + 2,
        "title, unit, header, children, 本级, 合计"
    );
    for (i, c) in children.iter().enumerate() {
        assert_eq!(
            rows[3 + i][0].to_string(),
            c["org"]["name"].as_str().unwrap()
        );
    }
    let total = rows.last().unwrap();
    assert_eq!(total[0].to_string(), "合计");
    assert_eq!(total[col], Data::Float(value(&d, "members.on_roll") as f64));
    let own = &rows[rows.len() - 2];
    assert_eq!(own[0].to_string(), "本级");
    // Different people counted once have no own part by subtraction: 本级 says "—".
    let training = wb.worksheet_range("培训").unwrap();
    let rows: Vec<Vec<Data>> = training.rows().map(|r| r.to_vec()).collect();
    let header: Vec<String> = rows[2].iter().map(|c| c.to_string()).collect();
    let reached = header
        .iter()
        .position(|h| h.starts_with("本年参训人数"))
        .unwrap_or_else(|| panic!("{header:?}"));
    let sessions = header
        .iter()
        .position(|h| h.starts_with("本年培训场次"))
        .unwrap();
    let own = &rows[rows.len() - 2];
    assert_eq!(own[0].to_string(), "本级");
    assert_eq!(own[reached].to_string(), "—");
    assert!(matches!(own[sessions], Data::Float(_)), "{own:?}");
    let skills = wb.worksheet_range("技能等级").unwrap();
    let last: Vec<Data> = skills.rows().next_back().unwrap().to_vec();
    assert_eq!(
        last[1],
        Data::Float(value(&d, "members.skilled") as f64),
        "{last:?}"
    );
}

/// Trends (issue 12): the first run of the job back-fills the months before
/// from join dates (marked estimated, levels unknown), then keeps this
/// month's figures, which equal the dashboard's; a second run adds nothing
/// to the past and follows a change in this month.
#[tokio::test]
async fn trends_are_kept_month_by_month_and_back_filled_from_join_dates() {
    use gongjiang::member::months;
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let (_, d) = app
        .get(&root, &format!("/api/v1/dashboard?org_id={town}&months=6"))
        .await;
    let this_month: String = d["date"].as_str().unwrap()[..7].to_string();
    assert_eq!(d["months"].as_array().unwrap().len(), 6);
    assert_eq!(d["months"][5], this_month.as_str());

    // A member who joined three months ago and one with no join date.
    let three_back = months::months_before(&this_month, 3)[0].clone();
    let (s, m) = app
        .post(
            &root,
            "/api/v1/members",
            json!({"name": "趋势者", "id_number": id_number(9301), "org_id": app.org_id("JS-HUARUI").await,
                   "join_date": format!("{three_back}-15")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let db = &app.state.db;
    let back = months::backfill(db, &this_month).await.unwrap();
    assert!(back > 0, "the months before are back-filled once");
    assert_eq!(
        months::backfill(db, &this_month).await.unwrap(),
        0,
        "and only once"
    );
    months::snapshot(db, &this_month).await.unwrap();

    let (_, d) = app
        .get(&root, &format!("/api/v1/dashboard?org_id={town}&months=6"))
        .await;
    let line = |key: &str| line_of(&d, key);
    let roll = line("members.on_roll");
    assert_eq!(
        roll["values"][5].as_i64(),
        Some(value(&d, "members.on_roll"))
    );
    // Flows are drawn month by month from what the triggers keep: this
    // month's points paid out are what the ledger adds up for this month.
    let grantee = app.member_of("JS-YIZHOU").await;
    let (s, g) = app
        .post(
            &root,
            "/api/v1/points/entries",
            json!({"member_id": grantee, "amount": 7, "reason": "技能比武"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let (_, d) = app
        .get(&root, &format!("/api/v1/dashboard?org_id={town}&months=6"))
        .await;
    let period = gongjiang::program::Period::of(&format!("{this_month}-01"));
    let (_, ledger) = app
        .get(
            &root,
            &format!(
                "/api/v1/points/ledger?org_id={town}&flow=earned&from={}&to={}",
                period.month_start, period.month_end
            ),
        )
        .await;
    let earned = line_of(&d, "points.earned");
    assert!(ledger["sum"].as_i64().unwrap() >= 7, "{ledger}");
    assert_eq!(earned["values"][5], ledger["sum"], "{earned}");
    assert_eq!(earned["estimated"][5], false);
    for key in [
        "academy.sessions",
        "academy.attendance",
        "academy.completions",
        "points.redeemed",
    ] {
        assert_eq!(
            line_of(&d, key)["values"].as_array().unwrap().len(),
            6,
            "{key}"
        );
    }
    assert_eq!(roll["estimated"][5], false);
    assert_eq!(roll["estimated"][4], true, "last month is back-filled");
    // The month before the newcomer joined counts one fewer than the month it joined.
    let (before, joined) = (
        roll["values"][1].as_i64().unwrap(),
        roll["values"][2].as_i64().unwrap(),
    );
    assert!(joined > before, "{roll}");
    assert_eq!(
        line("members.skilled")["values"][4],
        Value::Null,
        "no history of levels"
    );
    assert_eq!(
        line("members.high_skilled")["values"][5].as_i64(),
        Some(value(&d, "members.high_skilled"))
    );
    // A change this month: the next run follows it.
    let (s, _) = app
        .patch(
            &root,
            &format!("/api/v1/members/{}", m["id"]),
            json!({"status": "退会"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    months::snapshot(db, &this_month).await.unwrap();
    let (_, d2) = app
        .get(&root, &format!("/api/v1/dashboard?org_id={town}&months=6"))
        .await;
    let now = d2["trends"][0]["values"][5].as_i64().unwrap();
    assert_eq!(now, roll["values"][5].as_i64().unwrap() - 1);
    let (s, e) = app
        .get(&root, &format!("/api/v1/dashboard?org_id={town}&months=99"))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // The page draws the lines.
    let mut b = crate::pages::Browser::login(&app, "admin", "gongjiang").await;
    let html = b.page(&format!("/dashboard?org_id={town}")).await.html;
    assert!(
        html.contains("按月趋势") && html.contains("<polyline"),
        "trend lines drawn"
    );
    assert!(html.contains("按入会日期估算"));
}
