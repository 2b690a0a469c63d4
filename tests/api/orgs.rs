//! The union tree over HTTP: create, edit, move a subtree with rights at both ends.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn create_and_validate_organisations() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let (s, o) = app.post(&t, "/api/v1/orgs", json!({"code": "JS-NEW", "name": "姜山新材料有限公司工会", "kind": "企业工会", "parent_id": town})).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["parent_id"], town);
    assert_eq!(o["kind"], "企业工会");
    let id = o["id"].as_i64().unwrap();
    let (s, got) = app.get(&t, &format!("/api/v1/orgs/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got, o);

    let before = app.fingerprint().await;
    let (s, e) = app
        .post(
            &t,
            "/api/v1/orgs",
            json!({"code": "JS-NEW", "name": "重复代码", "kind": "企业工会", "parent_id": town}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(e["errors"][0]["field"], "code");
    let (s, e) = app
        .post(
            &t,
            "/api/v1/orgs",
            json!({"code": "坏代码", "name": "", "kind": "公司", "parent_id": town}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["errors"].as_array().unwrap().len(), 3, "{e}");
    let (s, _) = app
        .post(
            &t,
            "/api/v1/orgs",
            json!({"code": "JS-X", "name": "无上级", "kind": "企业工会"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(before, app.fingerprint().await);

    let (_, children) = app
        .get(&t, &format!("/api/v1/orgs?parent_id={town}&per_page=100"))
        .await;
    assert!(children["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == "JS-NEW"));
    let (_, found) = app
        .get(&t, "/api/v1/orgs?q=%E6%96%B0%E6%9D%90%E6%96%99")
        .await;
    assert_eq!(found["total"], 1);
}

#[tokio::test]
async fn moving_a_subtree_needs_rights_at_both_ends() {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town = app.login("jiangshan").await;
    let huarui = app.org_id("JS-HUARUI").await;
    let jingmi = app.org_id("JS-JINGMI").await;
    let qiuai = app.org_id("ZJ-NB-YZ-QY").await;
    let town_id = app.org_id("ZJ-NB-YZ-JS").await;
    let member = app.member_of("JS-HUARUI").await;
    let before = app.fingerprint().await;

    // The town admin cannot move a union out to 邱隘 (not theirs), nor a node under its own child.
    let (s, _) = app
        .patch(
            &town,
            &format!("/api/v1/orgs/{huarui}"),
            json!({"parent_id": qiuai}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .patch(
            &town,
            &format!("/api/v1/orgs/{town_id}"),
            json!({"parent_id": huarui}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the town admin has no rights over the district above"
    );
    let (s, e) = app
        .patch(
            &root,
            &format!("/api/v1/orgs/{town_id}"),
            json!({"parent_id": huarui}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a node cannot go under its own descendant: {e}"
    );
    assert_eq!(before, app.fingerprint().await);

    // Inside the town it may move a union under another of its unions (a branch, say).
    let (s, o) = app
        .patch(
            &town,
            &format!("/api/v1/orgs/{huarui}"),
            json!({"parent_id": jingmi}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["parent_id"], jingmi);
    let (_, list) = app
        .get(
            &town,
            &format!("/api/v1/members?org_id={jingmi}&per_page=1"),
        )
        .await;
    let (_, list_h) = app
        .get(
            &town,
            &format!("/api/v1/members?org_id={huarui}&per_page=1"),
        )
        .await;
    assert_eq!(
        list["total"].as_i64().unwrap(),
        35 + list_h["total"].as_i64().unwrap(),
        "精密's subtree now holds 华瑞's members"
    );

    // The province moves it to 邱隘: the town no longer sees it or its members; 邱隘's subtree does.
    let (s, _) = app
        .patch(
            &root,
            &format!("/api/v1/orgs/{huarui}"),
            json!({"parent_id": qiuai}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&town, &format!("/api/v1/orgs/{huarui}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&town, &format!("/api/v1/members/{member}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, q) = app
        .get(&root, &format!("/api/v1/members?org_id={qiuai}&per_page=1"))
        .await;
    assert_eq!(
        q["total"].as_i64().unwrap(),
        20 + list_h["total"].as_i64().unwrap()
    );
    // Search reads the path each member carries: it moved with the subtree.
    assert_eq!(app.members_with_a_stale_path().await, 0);
    assert_eq!(app.member_counts_off().await, 0);
    let (_, m) = app.get(&root, &format!("/api/v1/members/{member}")).await;
    let name = m["name"].as_str().unwrap().to_string();
    let ids = |page: &serde_json::Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    let (_, found) = app
        .get(&town, &format!("/api/v1/members?q={name}&per_page=100"))
        .await;
    assert!(
        !ids(&found).contains(&member),
        "the town's search no longer finds a member moved out"
    );
    let (_, found) = app
        .get(
            &root,
            &format!("/api/v1/members?org_id={qiuai}&q={name}&per_page=100"),
        )
        .await;
    assert!(
        ids(&found).contains(&member),
        "邱隘's search finds it: {found}"
    );
    // A root cannot move.
    let zj = app.org_id("ZJ").await;
    let (s, _) = app
        .patch(
            &root,
            &format!("/api/v1/orgs/{zj}"),
            json!({"parent_id": qiuai}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn openapi_describes_the_contract() {
    let app = TestApp::spawn_empty().await;
    let resp = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let spec: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    for (path, methods) in [
        ("/api/v1/session", &["post", "delete"][..]),
        ("/api/v1/orgs", &["get", "post"]),
        ("/api/v1/orgs/{id}", &["get", "patch"]),
        ("/api/v1/enterprises", &["get", "post"]),
        ("/api/v1/enterprises/{id}", &["get", "patch"]),
        ("/api/v1/members", &["get", "post"]),
        ("/api/v1/members/{id}", &["get", "patch"]),
        ("/api/v1/members/{id}/transfer", &["post"]),
        ("/api/v1/members/{id}/transfers", &["get"]),
        ("/api/v1/accounts", &["get", "post"]),
        ("/api/v1/accounts/{id}", &["get", "patch"]),
        ("/api/v1/me", &["get"]),
        ("/api/v1/points/entries", &["post", "get"]),
        ("/api/v1/points/balance", &["get"]),
        ("/api/v1/catalog/items", &["post", "get"]),
        ("/api/v1/catalog/items/{id}", &["get", "patch"]),
        ("/api/v1/catalog/items/{id}/redeem", &["post"]),
        ("/api/v1/orders", &["get"]),
        ("/api/v1/orders/{id}/cancel", &["post"]),
        ("/api/v1/orders/{id}/fulfil", &["post"]),
        ("/api/v1/points/rules", &["post", "get"]),
        ("/api/v1/points/awards", &["post"]),
        ("/api/v1/points/leaderboard", &["get"]),
        ("/api/v1/cadres", &["post", "get"]),
        ("/api/v1/cadres/{id}", &["get", "patch"]),
        ("/api/v1/cadre-points/items", &["post", "get"]),
        ("/api/v1/cadre-points/items/{id}", &["patch"]),
        ("/api/v1/cadre-points/entries", &["post", "get"]),
        ("/api/v1/cadre-points/entries/{id}/reverse", &["post"]),
        ("/api/v1/cadre-points/ranking", &["get"]),
        ("/api/v1/courses", &["post", "get"]),
        ("/api/v1/courses/{id}", &["get", "patch"]),
        ("/api/v1/courses/{id}/sessions", &["post"]),
        ("/api/v1/courses/{id}/feedback", &["put", "get"]),
        ("/api/v1/sessions/{id}/enrol", &["post"]),
        ("/api/v1/sessions/{id}/cancel", &["post"]),
        ("/api/v1/sessions/{id}/checkin", &["post"]),
        ("/api/v1/sessions/{id}/roster", &["get"]),
        ("/api/v1/courses/{id}/lessons", &["post", "get"]),
        ("/api/v1/lessons/{id}/progress", &["post"]),
        ("/api/v1/lessons/{id}/video", &["put"]),
        ("/api/v1/academies", &["post", "get"]),
        ("/api/v1/academies/{id}", &["get"]),
        ("/api/v1/academies/{id}/staff", &["post"]),
        ("/api/v1/academy/messages", &["post", "get"]),
        ("/api/v1/academy/messages/{id}/answer", &["post"]),
        ("/api/v1/academy/categories", &["post", "get"]),
        ("/api/v1/members/{id}/reveal", &["post"]),
        ("/api/v1/members/export.xlsx", &["get"]),
        ("/api/v1/members/template.xlsx", &["get"]),
        ("/api/v1/imports", &["post"]),
        ("/api/v1/imports/{id}", &["get"]),
        ("/api/v1/imports/{id}/report.xlsx", &["get"]),
        ("/api/v1/audit", &["get"]),
    ] {
        for m in methods {
            assert!(
                spec["paths"][path][m].is_object(),
                "{m} {path} missing from the OpenAPI document"
            );
        }
    }
    // The reveal right is part of the account contract.
    for schema in ["Account", "AccountPatch"] {
        assert!(
            spec["components"]["schemas"][schema]["properties"]["can_reveal"].is_object(),
            "{schema} lacks can_reveal"
        );
    }
    // Every reference points at a schema that exists (a typo would pass silently otherwise).
    let text = spec.to_string();
    for part in text.split("\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(
            spec["components"]["schemas"][name].is_object(),
            "$ref to missing schema {name}"
        );
    }
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

/// Every operation in the document is served: asked without a token, it
/// answers 401 (or, for logging in, 422 for the empty body), never the
/// router's 404 or 405. The other direction, that nothing is served that is
/// not in the document, holds by construction: API routes are registered
/// only through `routes!` on an `OpenApiRouter`, which documents what it
/// registers (`layers::no_api_route_is_registered_outside_the_document`).
#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::spawn_empty().await;
    let spec: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", "1");
        assert!(
            !concrete.contains('{'),
            "a path parameter other than id: {path}"
        );
        for (method, op) in item.as_object().unwrap() {
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let resp = app
                .client
                .request(method.clone(), app.url(&concrete))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let public = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            let expected = if public {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::UNAUTHORIZED
            };
            assert_eq!(resp.status(), expected, "{method} {path}");
            operations += 1;
        }
    }
    assert!(operations >= 70, "only {operations} operations documented");
}

#[tokio::test]
async fn malformed_requests_are_problems_too() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    // `call` asserts that every API error is application/problem+json.
    for (method, path) in [
        (reqwest::Method::GET, "/api/v1/members?org_id=abc"),
        (reqwest::Method::GET, "/api/v1/members/abc"),
        (reqwest::Method::GET, "/api/v1/no-such-thing"),
        (reqwest::Method::DELETE, "/api/v1/orgs"),
    ] {
        let (s, body) = app.call(method.clone(), path, Some(&t), None).await;
        assert!(s.is_client_error(), "{method} {path}: {s}");
        assert_eq!(body["status"], s.as_u16(), "{method} {path}: {body}");
        assert!(!body["detail"].as_str().unwrap().is_empty());
    }
}

/// The document's examples are what a client copies first: each one of a
/// checked number (GB 11643 ID number, GB 32100 credit code, phone) passes
/// the server's own check. (The credit code example once had a wrong check
/// character.)
#[tokio::test]
async fn documented_examples_of_checked_numbers_pass_their_check() {
    let app = TestApp::spawn_empty().await;
    let spec: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    let mut stack = vec![&spec];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(o) => {
                if let (Some(format), Some(example)) = (
                    o.get("format").and_then(|f| f.as_str()),
                    o.get("example").and_then(|e| e.as_str()),
                ) {
                    let verdict = match format {
                        "gb11643" => gongjiang::pii::IdNumber::parse(example).map(|_| ()),
                        "gb32100" => gongjiang::pii::CreditCode::parse(example).map(|_| ()),
                        _ => Ok(()),
                    };
                    assert_eq!(verdict, Ok(()), "example {example} ({format})");
                    checked += 1;
                }
                stack.extend(o.values());
            }
            serde_json::Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    assert!(checked >= 3, "checked {checked} examples");
}

/// A documented list of values is the rule's own: no placeholder a derive
/// made up for a blank choice ("None", "Unknown" were once offered as a
/// skill level and an enterprise size, and refused by the server).
#[tokio::test]
async fn documented_value_lists_hold_only_values_the_server_takes() {
    let app = TestApp::spawn_empty().await;
    let spec: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        for v in schema["enum"].as_array().into_iter().flatten() {
            let v = v.as_str().unwrap_or_default();
            assert!(!["None", "Unknown"].contains(&v), "{name} offers {v:?}");
        }
    }
    let list = |name: &str| -> Vec<String> {
        schemas[name]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list("SkillLevel").last().map(String::as_str), Some(""));
    assert!(list("EnterpriseSize").contains(&"微型".to_string()));
}

/// A town admin edits its own union's name and contact; sending the parent it
/// already has is no move; another parent is (issue 10).
#[tokio::test]
async fn a_town_admin_edits_its_own_union_and_moves_only_when_the_parent_changes() {
    let app = TestApp::spawn().await;
    let t = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let county = app.org_id("ZJ-NB-YZ").await;
    let (s, o) = app
        .patch(&t, &format!("/api/v1/orgs/{town}"), json!({"name": "姜山镇总工会（新）", "leader": "王芳", "phone": "0574-88123456", "parent_id": county}))
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(
        (
            o["name"].as_str(),
            o["leader"].as_str(),
            o["phone"].as_str()
        ),
        (
            Some("姜山镇总工会（新）"),
            Some("王芳"),
            Some("057488123456")
        )
    );
    let (s, e) = app
        .patch(&t, &format!("/api/v1/orgs/{town}"), json!({"phone": "12x"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let elsewhere = app.org_id("ZJ-NB").await;
    let (s, _) = app
        .patch(
            &t,
            &format!("/api/v1/orgs/{town}"),
            json!({"parent_id": elsewhere}),
        )
        .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );
    // The console form sends everything, parent included.
    let mut b = crate::pages::Browser::login(&app, "jiangshan", "gongjiang").await;
    let form = b.page(&format!("/orgs/{town}")).await;
    assert!(
        form.html.contains("id=\"e-leader\""),
        "the edit form has the contact fields"
    );
    let csrf = crate::pages::csrf_of(&form.html);
    let page = b
        .post(
            &format!("/orgs/{town}"),
            &[
                ("csrf", &csrf),
                ("code", "ZJ-NB-YZ-JS"),
                ("name", "姜山镇总工会"),
                ("kind", "乡镇街道总工会"),
                ("parent_id", &county.to_string()),
                ("leader", "李华"),
                ("phone", ""),
            ],
        )
        .await;
    assert!(page.status.is_redirection(), "{}", page.html);
    let (_, o) = app.get(&t, &format!("/api/v1/orgs/{town}")).await;
    assert_eq!(
        (
            o["name"].as_str(),
            o["leader"].as_str(),
            o["phone"].as_str()
        ),
        (Some("姜山镇总工会"), Some("李华"), Some(""))
    );
}
