//! Roster imports with real files (made by LibreOffice: see tests/fixtures),
//! exports, and a process killed in the middle of an import.

use crate::support::TestApp;
use calamine::{Data, Reader};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Uploads a file as an import; returns the job id.
pub async fn upload(
    app: &TestApp,
    token: &str,
    org: i64,
    mode: &str,
    name: &str,
    data: Vec<u8>,
) -> (StatusCode, Value) {
    upload_with(
        app,
        token,
        &format!("org_id={org}&mode={mode}&filename={name}"),
        data,
    )
    .await
}

/// Uploads a file as an import with the query given (kind, flags …).
pub async fn upload_with(
    app: &TestApp,
    token: &str,
    query: &str,
    data: Vec<u8>,
) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/imports?{query}")))
        .bearer_auth(token)
        .body(data)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Waits for a job to leave `running` (bounded: a test must end).
pub async fn finished(app: &TestApp, token: &str, id: i64) -> Value {
    for _ in 0..1200 {
        let (s, job) = app.get(token, &format!("/api/v1/imports/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{job}");
        if job["state"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("import {id} did not finish");
}

pub async fn import(
    app: &TestApp,
    token: &str,
    org: i64,
    mode: &str,
    name: &str,
    data: Vec<u8>,
) -> Value {
    let (s, body) = upload(app, token, org, mode, name, data).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    finished(app, token, body["id"].as_i64().unwrap()).await
}

fn has_error(job: &Value, row: u64, column: &str, fragment: &str) -> bool {
    job["errors"].as_array().unwrap().iter().any(|e| {
        e["row"] == row && e["column"] == column && e["reason"].as_str().unwrap().contains(fragment)
    })
}

fn read_xlsx(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn messy_rosters_report_every_bad_row_and_write_nothing_when_checked() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let org = app.org_id("JS-HUARUI").await;
    let before = app.fingerprint().await;
    for file in ["messy_roster.xlsx", "messy_roster.xls"] {
        let job = import(&app, &t, org, "check", file, fixture(file)).await;
        assert_eq!(job["state"], "checked", "{file}: {job}");
        assert_eq!(
            job["rows_total"], 9,
            "{file}: title, note, blank and header rows are not members"
        );
        assert_eq!(job["rows_failed"], 6, "{file}: {job}");
        assert!(
            job["message"].as_str().unwrap().contains("填写说明"),
            "the sheet without a header is named as skipped"
        );
        // Each messy case, with its row number as Excel shows it and its column.
        assert!(
            has_error(&job, 7, "身份证号", "存成了数字"),
            "{file}: {job}"
        );
        assert!(has_error(&job, 7, "身份证号", "3.30203E+17"), "{file}");
        assert!(has_error(&job, 8, "身份证号", "校验位"), "{file}");
        assert!(has_error(&job, 9, "手机号码", "11位"), "{file}");
        assert!(has_error(&job, 9, "技能等级", "大师"), "{file}");
        assert!(has_error(&job, 10, "身份证号", "与第 6 行"), "{file}");
        assert!(has_error(&job, 11, "性别", "不符"), "{file}");
        assert!(has_error(&job, 13, "工作单位", "不存在的公司"), "{file}");
        assert!(job["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["sheet"] == "会员名单"));

        // The bad rows as a workbook with 错误原因, re-importable as it is.
        let id = job["id"].as_i64().unwrap();
        let resp = app
            .client
            .get(app.url(&format!("/api/v1/imports/{id}/report.xlsx")))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let rows = read_xlsx(resp.bytes().await.unwrap().to_vec());
        assert!(
            rows[0].contains(&"错误原因".to_string()) && rows[0].contains(&"身份证号".to_string()),
            "{:?}",
            rows[0]
        );
        assert_eq!(rows.len(), 7, "a heading and the six bad rows");
        let reason_col = rows[0].iter().position(|h| h == "错误原因").unwrap();
        assert!(rows[1][reason_col].contains("存成了数字"), "{:?}", rows[1]);
        let row_col = rows[0].iter().position(|h| h == "行号").unwrap();
        assert_eq!(rows[1][row_col], "7");
    }
    assert_eq!(
        before,
        app.fingerprint().await,
        "checking writes nothing, not even an audit entry"
    );
}

#[tokio::test]
async fn all_or_nothing_then_valid_rows_then_the_same_file_again() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let org = app.org_id("JS-HUARUI").await;
    let before = app.fingerprint().await;
    let job = import(
        &app,
        &t,
        org,
        "all",
        "messy_roster.xlsx",
        fixture("messy_roster.xlsx"),
    )
    .await;
    assert_eq!(job["state"], "rejected", "{job}");
    assert_eq!(job["rows_created"], 0);
    assert_eq!(
        before,
        app.fingerprint().await,
        "one bad row and nothing is written"
    );

    let (_, count0) = app
        .get(&t, &format!("/api/v1/members?org_id={org}&per_page=1"))
        .await;
    let job = import(
        &app,
        &t,
        org,
        "valid",
        "messy_roster.xlsx",
        fixture("messy_roster.xlsx"),
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(
        (
            job["rows_created"].as_i64(),
            job["rows_updated"].as_i64(),
            job["rows_failed"].as_i64()
        ),
        (Some(3), Some(0), Some(6))
    );
    let (_, zhang) = app.get(&t, "/api/v1/members?q=11010519491231002X").await;
    let z = &zhang["items"][0];
    assert_eq!(z["name"], "张伟", "the full-width space is gone");
    assert_eq!(z["id_number_masked"], "110105************");
    assert_eq!(z["phone_masked"], "138****5678", "full-width digits read");
    assert_eq!(z["skill_level"], "中级工");
    assert_eq!(z["join_date"], "2020-05-01", "a date cell");
    assert_eq!(z["is_migrant_worker"], true);
    assert_eq!(z["enterprise_name"], "华瑞电器股份有限公司");
    let (_, zhou) = app
        .get(
            &t,
            &format!("/api/v1/members?q={}&org_id={org}", "%E5%91%A8%E6%9D%B0"),
        )
        .await;
    assert_eq!(
        zhou["items"][0]["enterprise_name"], "华瑞电器股份有限公司",
        "an empty 单位 means the union's own enterprise"
    );
    assert_eq!(zhou["items"][0]["skill_level"], "高级技师");

    // The same file again adds nobody: it updates.
    let job = import(
        &app,
        &t,
        org,
        "valid",
        "messy_roster.xlsx",
        fixture("messy_roster.xlsx"),
    )
    .await;
    assert_eq!(
        (job["rows_created"].as_i64(), job["rows_updated"].as_i64()),
        (Some(0), Some(3)),
        "{job}"
    );
    let (_, count) = app
        .get(&t, &format!("/api/v1/members?org_id={org}&per_page=1"))
        .await;
    assert_eq!(
        count["total"].as_i64().unwrap(),
        count0["total"].as_i64().unwrap() + 3
    );
    assert_eq!(
        app.member_counts_off().await,
        0,
        "the kept counts follow a rolled-back and a committed import"
    );
    let (_, log) = app.get(&t, "/api/v1/audit?action=member.import").await;
    assert_eq!(log["total"], 2, "each committed import is one audit entry");
    assert_eq!(log["items"][0]["detail"]["updated"], 3);
}

#[tokio::test]
async fn a_gbk_csv_from_excel_imports() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let org = app.org_id("JS-HUARUI").await;
    let job = import(
        &app,
        &t,
        org,
        "all",
        "clean_roster_gbk.csv",
        fixture("clean_roster_gbk.csv"),
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["rows_created"], 5);
    let (_, found) = app.get(&t, "/api/v1/members?q=%E5%AD%99%E6%82%A6").await;
    assert_eq!(found["items"][0]["name"], "孙悦");
    assert_eq!(found["items"][0]["skill_level"], "中级工");
}

#[tokio::test]
async fn bad_uploads_are_refused_clearly_and_change_nothing() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let org = app.org_id("JS-HUARUI").await;
    let before = app.fingerprint().await;
    let (s, e) = upload(&app, &t, org, "all", "x.xlsx", vec![]).await;
    assert_eq!(
        (s, e["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("file"))
    );
    let (s, e) = upload(&app, &t, org, "sometimes", "x.csv", b"a,b".to_vec()).await;
    assert_eq!(
        (s, e["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("mode"))
    );
    let (s, _) = upload(
        &app,
        &t,
        app.org_id("ZJ-HZ").await,
        "all",
        "x.csv",
        b"a,b".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another town's roster");
    let worker = app.login("worker").await;
    let (s, _) = upload(&app, &worker, org, "all", "x.csv", b"a,b".to_vec()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let job = import(
        &app,
        &t,
        org,
        "all",
        "photo.xlsx",
        b"PK\x03\x04 this is not really a workbook".to_vec(),
    )
    .await;
    assert_eq!(job["state"], "failed");
    assert!(
        job["message"].as_str().unwrap().contains("无法读取"),
        "{job}"
    );
    let job = import(
        &app,
        &t,
        org,
        "all",
        "list.csv",
        "编号,名字\n1,张三\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(job["state"], "failed");
    assert!(
        job["message"].as_str().unwrap().contains("没有找到表头"),
        "{job}"
    );
    let job = import(&app, &t, org, "all", "binary.csv", vec![0, 159, 146, 150]).await;
    assert_eq!(job["state"], "failed");
    assert_eq!(before, app.fingerprint().await);
}

#[tokio::test]
async fn a_person_registered_elsewhere_is_not_moved_by_an_import() {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let t = app.login("jiangshan").await;
    let huzhou = app.org_id("ZJ-HZ").await;
    let org = app.org_id("JS-HUARUI").await;
    let elsewhere = crate::support::id_number(77);
    let (s, m) = app
        .post(
            &root,
            "/api/v1/members",
            json!({"name": "湖州人", "id_number": elsewhere, "org_id": huzhou}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let csv = format!(
        "姓名,身份证号\n外地人,{elsewhere}\n本地人,{}\n",
        crate::support::id_number(78)
    );
    let job = import(&app, &t, org, "valid", "r.csv", csv.into_bytes()).await;
    assert_eq!(
        (job["rows_created"].as_i64(), job["rows_failed"].as_i64()),
        (Some(1), Some(1)),
        "{job}"
    );
    assert!(has_error(&job, 2, "身份证号", "其他工会"), "{job}");
    assert!(
        !job.to_string().contains("湖州"),
        "the town is not told where the person is"
    );
    let (_, still) = app
        .get(&root, &format!("/api/v1/members/{}", m["id"]))
        .await;
    assert_eq!(
        (still["org_id"].as_i64(), still["name"].as_str()),
        (Some(huzhou), Some("湖州人"))
    );
}

#[tokio::test]
async fn exports_are_masked_unless_revealed_and_import_back_as_updates() {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town = app.login("jiangshan").await;
    let org = app.org_id("JS-HUARUI").await;
    let get = |token: String, path: String| {
        let app = &app;
        async move {
            let resp = app
                .client
                .get(app.url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (resp.status(), resp.bytes().await.unwrap().to_vec())
        }
    };
    let (s, bytes) = get(
        town.clone(),
        format!("/api/v1/members/export.xlsx?org_id={org}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let rows = read_xlsx(bytes);
    assert_eq!(rows[0][..3], ["姓名", "身份证号", "手机号码"]);
    assert_eq!(rows.len(), 51, "华瑞 has 50 demo members");
    assert!(
        rows[1][1].contains("**********") && rows[1][2].contains("****"),
        "{:?}",
        rows[1]
    );

    let (s, _) = get(
        town.clone(),
        format!("/api/v1/members/export.xlsx?org_id={org}&reveal=1"),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "revealing needs its own right");
    let (s, bytes) = get(
        root.clone(),
        format!("/api/v1/members/export.xlsx?org_id={org}&reveal=1"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let full = read_xlsx(bytes.clone());
    assert_eq!(full[1][1].len(), 18, "{:?}", full[1]);
    assert!(gongjiang::pii::IdNumber::parse(&full[1][1]).is_ok());
    let (_, log) = app.get(&root, "/api/v1/audit?action=member.export").await;
    assert_eq!(log["total"], 2);
    assert_eq!(log["items"][0]["detail"]["revealed"], true);

    // An export with whole numbers is a valid roster: importing it back changes no one's count.
    let job = import(&app, &root, org, "all", "export.xlsx", bytes).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(
        (job["rows_created"].as_i64(), job["rows_updated"].as_i64()),
        (Some(0), Some(50))
    );

    let (s, tpl) = get(town, "/api/v1/members/template.xlsx".into()).await;
    assert_eq!(s, StatusCode::OK);
    let rows = read_xlsx(tpl);
    assert_eq!(rows[0][0], "姓名");
    assert!(rows[0].contains(&"技能等级".to_string()));
}

/// 导出 Excel exports what the list shows: its search and filters; the audit
/// entry records the filter, never a whole number searched for (issue 10).
#[tokio::test]
async fn an_export_holds_what_the_list_shows_and_its_audit_entry_the_filter() {
    let app = TestApp::spawn().await;
    let town = app.login("jiangshan").await;
    let org = app.org_id("JS-HUARUI").await;
    let export = |path: String| {
        let (app, town) = (&app, town.clone());
        async move {
            let resp = app
                .client
                .get(app.url(&path))
                .bearer_auth(town)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            read_xlsx(resp.bytes().await.unwrap().to_vec())
        }
    };
    for level in ["中级工", "高级工"] {
        let (_, list) = app
            .get(
                &town,
                &format!("/api/v1/members?org_id={org}&skill_level={level}&per_page=200"),
            )
            .await;
        let rows = export(format!(
            "/api/v1/members/export.xlsx?org_id={org}&skill_level={level}"
        ))
        .await;
        assert_eq!(
            rows.len() as u64 - 1,
            list["total"].as_u64().unwrap(),
            "{level}"
        );
        let col = rows[0].iter().position(|h| h == "技能等级").unwrap();
        assert!(rows[1..].iter().all(|r| r[col] == level), "{level}");
    }
    let (_, list) = app
        .get(&town, &format!("/api/v1/members?org_id={org}&per_page=1"))
        .await;
    let name = list["items"][0]["name"].as_str().unwrap().to_string();
    let (_, found) = app
        .get(
            &town,
            &format!("/api/v1/members?org_id={org}&q={name}&per_page=200"),
        )
        .await;
    let rows = export(format!("/api/v1/members/export.xlsx?org_id={org}&q={name}")).await;
    assert_eq!(rows.len() as u64 - 1, found["total"].as_u64().unwrap());
    assert!(rows[1..].iter().any(|r| r[0] == name));
    let member = list["items"][0]["id"].as_i64().unwrap();
    let idn: String = {
        let enc: Vec<u8> = sqlx::query("SELECT id_number_enc FROM members WHERE id = $1")
            .bind(member)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
            .get(0);
        app.state.keys.decrypt(&enc).unwrap()
    };
    let rows = export(format!("/api/v1/members/export.xlsx?org_id={org}&q={idn}")).await;
    assert_eq!(rows.len(), 2, "a whole ID number exports its one member");
    let root = app.login("admin").await;
    let (_, log) = app.get(&root, "/api/v1/audit?action=member.export").await;
    let details: Vec<String> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].to_string())
        .collect();
    assert!(details.iter().any(|d| d.contains("高级工")), "{details:?}");
    assert!(details.iter().any(|d| d.contains(&name)), "{details:?}");
    assert!(
        !details.iter().any(|d| d.contains(&idn)),
        "no whole ID number in the log"
    );
}

#[tokio::test]
async fn killed_in_the_middle_an_import_leaves_nothing_and_runs_again() {
    let app = TestApp::spawn_empty().await;
    let bin = env!("CARGO_BIN_EXE_gongjiang");
    let roster = app.dir.path().join("big.xlsx");
    let cli = |args: &[&str]| {
        let mut c = std::process::Command::new(bin);
        c.args(args)
            .arg("--db")
            .arg(&app.db_url)
            .arg("--key-file")
            .arg(&app.key_file)
            .env_remove("GONGJIANG_DB")
            .env_remove("GONGJIANG_KEY_FILE");
        c
    };
    // The city's tree goes into the database, its 40,000 people into a workbook.
    let out = cli(&[
        "seed",
        "synthetic",
        "--members",
        "40000",
        "--seed",
        "3",
        "--xlsx",
        roster.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let members = || async {
        sqlx::Row::get::<i64, _>(
            &sqlx::query("SELECT COUNT(*) FROM members")
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap(),
            0,
        )
    };
    assert_eq!(members().await, 0);

    let mut child = cli(&[
        "import",
        "members",
        roster.to_str().unwrap(),
        "--org",
        "SYN",
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    // Wait until the import has begun (its job row exists; a loaded machine may
    // take a while to start the process), then let it write for a second.
    let mut started = false;
    for _ in 0..600 {
        let n: i64 = sqlx::Row::get(
            &sqlx::query("SELECT COUNT(*) FROM imports")
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap(),
            0,
        );
        if n > 0 {
            started = true;
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it was seen starting"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(started, "the import did not start within a minute");
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import should still be running when it is killed; make the roster bigger"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(members().await, 0, "no partial rows after a kill");
    let state: String = sqlx::Row::get(
        &sqlx::query("SELECT state FROM imports")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap(),
        0,
    );
    assert_eq!(
        state, "running",
        "the job row is all the killed process left"
    );

    let out = cli(&[
        "import",
        "members",
        roster.to_str().unwrap(),
        "--org",
        "SYN",
    ])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(members().await, 40000);
    let states: Vec<String> = sqlx::query("SELECT state FROM imports ORDER BY id")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| sqlx::Row::get(r, 0))
        .collect();
    assert_eq!(
        states,
        ["failed", "done"],
        "the killed run is marked as interrupted when the database is next opened"
    );
}
