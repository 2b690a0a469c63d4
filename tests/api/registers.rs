//! Importing the union tree and the enterprise register (issue 10): the demo
//! town's sample sheets (openpyxl, merged titles: demo/town/make_sheets.py)
//! build a town end to end; messy files report every bad row with sheet, row,
//! column and reason and write nothing unless asked; GBK CSV as Excel saves it.

use crate::imports::finished;
use crate::support::{credit_code, TestApp};
use calamine::Reader;
use reqwest::StatusCode;
use serde_json::Value;

pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/demo/town/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Uploads `data` as an import of `kind`; returns the status and the started job.
async fn upload(
    app: &TestApp,
    token: &str,
    kind: &str,
    org: i64,
    mode: &str,
    name: &str,
    data: Vec<u8>,
) -> (StatusCode, Value) {
    let query = format!("kind={kind}&org_id={org}&mode={mode}&filename={name}");
    crate::imports::upload_with(app, token, &query, data).await
}

pub async fn import(
    app: &TestApp,
    token: &str,
    kind: &str,
    org: i64,
    mode: &str,
    name: &str,
    data: Vec<u8>,
) -> Value {
    let (s, body) = upload(app, token, kind, org, mode, name, data).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    finished(app, token, body["id"].as_i64().unwrap()).await
}

fn has_error(job: &Value, row: u64, column: &str, fragment: &str) -> bool {
    job["errors"].as_array().unwrap().iter().any(|e| {
        e["row"] == row && e["column"] == column && e["reason"].as_str().unwrap().contains(fragment)
    })
}

/// Excel in China saves CSV in GBK.
fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

#[tokio::test]
async fn the_sample_sheets_build_a_town_and_imported_again_update_it() {
    let app = TestApp::spawn().await;
    let t = app.login("admin").await;
    let county = app.org_id("ZJ-NB-YZ").await;
    let job = import(
        &app,
        &t,
        "orgs",
        county,
        "all",
        "1-组织架构.xlsx",
        sample("1-组织架构.xlsx"),
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["kind"], "orgs");
    assert_eq!(job["rows_created"], 6, "{job}");
    // Children were listed before their parents; each sits where the file says.
    let town = app.org_id("ZQ").await;
    let (_, org) = app.get(&t, &format!("/api/v1/orgs/{town}")).await;
    assert_eq!(org["parent_id"], county);
    assert_eq!(org["leader"], "李文华");
    let village = app.org_id("ZQ-DC").await;
    let (_, firm) = app
        .get(&t, &format!("/api/v1/orgs/{}", app.org_id("ZQ-JG").await))
        .await;
    assert_eq!(firm["parent_id"], village);
    let (_, children) = app
        .get(
            &t,
            &format!("/api/v1/orgs?parent_id={}", app.org_id("ZQ-HA").await),
        )
        .await;
    assert_eq!(children["items"][0]["name"], "宁波合岙食品有限公司工会");
    assert!(
        children["items"][0]["code"]
            .as_str()
            .unwrap()
            .starts_with("ZJ-NB-YZ-"),
        "a blank code is generated: {children}"
    );

    let job = import(
        &app,
        &t,
        "enterprises",
        town,
        "all",
        "2-企业名录.xlsx",
        sample("2-企业名录.xlsx"),
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["rows_created"], 4);
    let (_, ents) = app
        .get(&t, &format!("/api/v1/enterprises?org_id={town}"))
        .await;
    assert_eq!(ents["total"], 4);
    let food = ents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "宁波合岙食品有限公司")
        .unwrap();
    assert_eq!(food["org_name"], "宁波合岙食品有限公司工会");
    assert_eq!(food["contact"], "林芳");

    let job = import(
        &app,
        &t,
        "members",
        town,
        "all",
        "3-会员名册.xlsx",
        sample("3-会员名册.xlsx"),
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["rows_created"], 10);
    let (_, members) = app.get(&t, &format!("/api/v1/members?org_id={town}")).await;
    assert_eq!(members["total"], 10);

    // The same three files again: updates, nothing doubled.
    let before_orgs = app.get(&t, "/api/v1/orgs?per_page=200").await.1["total"].clone();
    for (kind, org, file) in [
        ("orgs", county, "1-组织架构.xlsx"),
        ("enterprises", town, "2-企业名录.xlsx"),
        ("members", town, "3-会员名册.xlsx"),
    ] {
        let job = import(&app, &t, kind, org, "all", file, sample(file)).await;
        assert_eq!(job["state"], "done", "{kind}: {job}");
        assert_eq!(job["rows_created"], 0, "{kind}: {job}");
    }
    assert_eq!(
        app.get(&t, "/api/v1/orgs?per_page=200").await.1["total"],
        before_orgs
    );
    let (_, audit) = app.get(&t, "/api/v1/audit?action=org.import").await;
    assert_eq!(audit["total"], 2, "{audit}");
}

#[tokio::test]
async fn a_messy_tree_reports_every_bad_row_and_writes_only_when_asked() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let csv = gbk("姜山镇村级工会组织架构表,,,,,\n\
         序号,工会名称,组织代码,上级工会,组织类型,工会主席\n\
         1,甲村联合工会,JCUN,,联合工会,张三\n\
         2,甲村一厂工会,,甲村联合工会,企业工会,\n\
         3,循环一,XH1,XH2,企业工会,\n\
         4,循环二,XH2,XH1,企业工会,\n\
         5,无上级,,不存在的工会,企业工会,\n\
         6,类型错,,JCUN,公司,\n\
         7,占用代码,ZJ,JCUN,企业工会,\n\
         8,,,JCUN,企业工会,\n");
    let before = app.fingerprint().await;
    let job = import(&app, &t, "orgs", town, "check", "村级工会.csv", csv.clone()).await;
    assert_eq!(job["state"], "checked", "{job}");
    assert_eq!(job["rows_total"], 8);
    assert_eq!(job["rows_failed"], 6, "{job}");
    assert!(has_error(&job, 5, "上级组织", "循环"), "{job}");
    assert!(has_error(&job, 6, "上级组织", "循环"));
    assert!(has_error(&job, 7, "上级组织", "不存在的工会"));
    assert!(has_error(&job, 8, "组织类型", "可选"));
    assert!(has_error(&job, 9, "组织代码", "其他组织使用"));
    assert!(has_error(&job, 10, "组织名称", "不能为空"));
    assert_eq!(job["errors"][0]["sheet"], "村级工会");
    let job = import(&app, &t, "orgs", town, "all", "村级工会.csv", csv.clone()).await;
    assert_eq!(job["state"], "rejected");
    assert!(job["message"]
        .as_str()
        .unwrap()
        .contains("有错误则全部不导入"));
    assert_eq!(
        app.fingerprint().await,
        before,
        "a check or a refused file writes nothing"
    );

    // The report lists the bad rows with their reasons, ready to fix.
    let id = job["id"].as_i64().unwrap();
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/imports/{id}/report.xlsx")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap().to_vec();
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = wb.worksheet_range("有误的行").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(
        rows[0][..5],
        ["组织名称", "组织代码", "上级组织", "组织类型", "负责人"]
    );
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[1][0], "循环一");
    assert!(rows[1][5].contains("循环"), "{:?}", rows[1]);

    let job = import(&app, &t, "orgs", town, "valid", "村级工会.csv", csv).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["rows_created"], 2);
    let village = app.org_id("JCUN").await;
    let (_, kids) = app
        .get(&t, &format!("/api/v1/orgs?parent_id={village}"))
        .await;
    assert_eq!(kids["items"][0]["name"], "甲村一厂工会");
    assert_eq!(
        app.get(&t, &format!("/api/v1/orgs/{village}")).await.1["parent_id"],
        town
    );
}

#[tokio::test]
async fn enterprises_are_checked_updated_and_kept_within_reach() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let existing = app.enterprise_of("JS-HUARUI").await;
    let (_, huarui) = app
        .get(&t, &format!("/api/v1/enterprises/{existing}"))
        .await;
    let code = huarui["credit_code"].as_str().unwrap().to_string();
    let (new1, new2) = (credit_code(901), credit_code(902));
    let mut wrong = credit_code(903);
    wrong.pop();
    wrong.push(if code.ends_with('1') { '2' } else { '1' });
    let csv = gbk(&format!(
        "企业名称,统一社会信用代码,所属工会,行业,规模,地址,联系人,联系电话\n\
         华瑞电器（更名）,{code},JS-HUARUI,电气机械,大型,姜山镇华瑞路1号,李明,13805740001\n\
         新企业一,{new1},姜山镇总工会,纺织业,小型,,王五,0574-88123456\n\
         新企业二,{new2},不存在的工会,,,,,\n\
         新企业三,{wrong},,,,,,\n\
         新企业一重复,{new1},,,,,,\n\
         新企业四,{},,,巨型,,,12345\n",
        credit_code(904)
    ));
    let job = import(
        &app,
        &t,
        "enterprises",
        town,
        "check",
        "企业.csv",
        csv.clone(),
    )
    .await;
    assert_eq!(job["rows_failed"], 4, "{job}");
    assert!(has_error(&job, 4, "所属工会", "不存在的工会"), "{job}");
    assert!(has_error(&job, 5, "统一社会信用代码", ""), "{job}");
    assert!(has_error(&job, 6, "统一社会信用代码", "第 3 行"), "{job}");
    assert!(has_error(&job, 7, "规模", "巨型"));
    assert!(has_error(&job, 7, "联系电话", ""));
    let job = import(&app, &t, "enterprises", town, "valid", "企业.csv", csv).await;
    assert_eq!(
        (job["rows_created"].as_i64(), job["rows_updated"].as_i64()),
        (Some(1), Some(1)),
        "{job}"
    );
    let (_, huarui) = app
        .get(&t, &format!("/api/v1/enterprises/{existing}"))
        .await;
    assert_eq!(huarui["name"], "华瑞电器（更名）");
    assert_eq!(huarui["address"], "姜山镇华瑞路1号");
    assert_eq!(huarui["size"], "大型");
    // Again with 所属工会 left blank: it stays with its union, not the town.
    let csv = format!("企业名称,统一社会信用代码,行业\n华瑞电器,{code},电器\n");
    let job = import(
        &app,
        &t,
        "enterprises",
        town,
        "all",
        "企业.csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(job["rows_updated"], 1, "{job}");
    let (_, huarui) = app
        .get(&t, &format!("/api/v1/enterprises/{existing}"))
        .await;
    assert_eq!(huarui["org_id"], app.org_id("JS-HUARUI").await);
    assert_eq!(huarui["industry"], "电器");

    // An enterprise of another union's subtree is not taken over.
    let admin = app.login("admin").await;
    let elsewhere = app.enterprise_of("SC-PANGANG").await;
    let (_, other) = app
        .get(&admin, &format!("/api/v1/enterprises/{elsewhere}"))
        .await;
    let csv = format!(
        "企业名称,统一社会信用代码\n冒名,{}\n",
        other["credit_code"].as_str().unwrap()
    );
    let before = app.fingerprint().await;
    let job = import(
        &app,
        &t,
        "enterprises",
        town,
        "all",
        "企业.csv",
        csv.into_bytes(),
    )
    .await;
    assert!(has_error(&job, 2, "统一社会信用代码", "其他工会"), "{job}");
    assert!(
        !job.to_string().contains(other["name"].as_str().unwrap()),
        "nothing of the other union leaks"
    );
    assert_eq!(app.fingerprint().await, before);
}

#[tokio::test]
async fn imports_of_registers_are_refused_clearly_out_of_reach_or_without_a_header() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let county = app.org_id("ZJ-NB-YZ").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let csv = "组织名称,组织类型\n新工会,企业工会\n".as_bytes().to_vec();
    let (s, body) = upload(&app, &t, "orgs", county, "all", "a.csv", csv.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, body) = upload(&app, &t, "unions", town, "all", "a.csv", csv).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("orgs（组织架构）"), "{body}");
    let job = import(
        &app,
        &t,
        "enterprises",
        town,
        "all",
        "a.csv",
        "名称,电话\n甲,1\n".into(),
    )
    .await;
    assert_eq!(job["state"], "failed");
    assert!(
        job["message"].as_str().unwrap().contains("企业名称"),
        "{job}"
    );
    // The templates come with their notes.
    for path in [
        "/api/v1/orgs/template.xlsx",
        "/api/v1/enterprises/template.xlsx",
    ] {
        let resp = app
            .client
            .get(app.url(path))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let bytes = resp.bytes().await.unwrap().to_vec();
        let wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert!(wb.sheet_names().contains(&"填写说明".to_string()), "{path}");
    }
}

#[tokio::test]
async fn a_roster_naming_unregistered_employers_lists_them_and_registers_them_when_asked() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let people: Vec<String> = (0..3).map(crate::support::id_number).collect();
    let csv = gbk(&format!(
        "姓名,身份证号,手机号码,工作单位\n\
         赵一,{},13905740301,姜山新开五金厂\n\
         钱二,{},13905740302,姜山新开五金厂\n\
         孙三,{},13905740303,姜山小作坊\n",
        people[0], people[1], people[2]
    ));
    let before = app.fingerprint().await;
    let job = import(&app, &t, "members", town, "check", "名册.csv", csv.clone()).await;
    let message = job["message"].as_str().unwrap();
    assert!(message.contains("2 个工作单位尚未登记"), "{message}");
    assert!(message.contains("姜山新开五金厂（2 人）"), "{message}");
    let job = import(&app, &t, "members", town, "all", "名册.csv", csv.clone()).await;
    assert_eq!(job["state"], "rejected", "{job}");
    assert!(
        has_error(&job, 2, "工作单位", "--register-employers"),
        "{job}"
    );
    assert_eq!(app.fingerprint().await, before);

    let query = format!("org_id={town}&mode=all&filename=名册.csv&register_employers=1");
    let (s, started) = crate::imports::upload_with(&app, &t, &query, csv).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let job = finished(&app, &t, started["id"].as_i64().unwrap()).await;
    assert_eq!(job["state"], "done", "{job}");
    assert!(
        job["message"].as_str().unwrap().contains("待补充信用代码"),
        "{job}"
    );
    let (_, found) = app
        .get(
            &t,
            "/api/v1/enterprises?q=%E5%A7%9C%E5%B1%B1%E6%96%B0%E5%BC%80",
        )
        .await;
    let e = &found["items"][0];
    assert_eq!(e["credit_code_pending"], true, "{found}");
    assert_eq!(e["credit_code"], "");
    let (_, members) = app.get(&t, "/api/v1/members?q=%E8%B5%B5%E4%B8%80").await;
    assert_eq!(members["items"][0]["enterprise_id"], e["id"], "{members}");
    // Completing the code clears the mark.
    let id = e["id"].as_i64().unwrap();
    let (s, done) = app
        .patch(
            &t,
            &format!("/api/v1/enterprises/{id}"),
            serde_json::json!({"credit_code": credit_code(950)}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["credit_code_pending"], false);
}
