//! Reach, for every operation the API documents: the list is read from
//! `/api/v1/openapi.json`, so a new program's endpoints are covered the day
//! they exist (and an endpoint this file does not know how to aim fails the
//! test until it is added to `aim`).
//!
//! The town admin (姜山镇) aims each operation at records of a union under
//! 湖州 — outside its subtree — and at ids nobody has. Out of reach must read
//! exactly like missing (same status, same problem), be a 404, and change no
//! row; a list must not hold the outside record. The per-role matrices
//! (`scope.rs`, `scope_programs.rs`) go deeper on the core endpoints.

use crate::imports::{finished, upload};
use crate::scope_programs::{all_rows, created, fixture, id_of};
use crate::support::{credit_code, member_token, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const NOBODY: i64 = 999_999_999;

/// One record of each kind, all at the same union.
#[derive(Clone, Copy)]
struct Ids {
    org: i64,
    enterprise: i64,
    member: i64,
    account: i64,
    course: i64,
    session: i64,
    lesson: i64,
    item: i64,
    order: i64,
    academy: i64,
    message: i64,
    cadre: i64,
    cadre_item: i64,
    cadre_entry: i64,
    import: i64,
    target: i64,
    /// A union and a member inside the caller's reach, for the other fields
    /// of a body (the same in both variants).
    inside_org: i64,
    inside_member: i64,
}

impl Ids {
    fn missing(inside_org: i64, inside_member: i64) -> Ids {
        Ids {
            org: NOBODY,
            enterprise: NOBODY,
            member: NOBODY,
            account: NOBODY,
            course: NOBODY,
            session: NOBODY,
            lesson: NOBODY,
            item: NOBODY,
            order: NOBODY,
            academy: NOBODY,
            message: NOBODY,
            cadre: NOBODY,
            cadre_item: NOBODY,
            cadre_entry: NOBODY,
            target: NOBODY,
            import: NOBODY,
            inside_org,
            inside_member,
        }
    }

    /// The record a `/…/{id}` path names.
    fn for_path(&self, path: &str) -> Option<i64> {
        let rest = path.strip_prefix("/api/v1/")?;
        let kind = &rest[..rest.find("/{id}")?];
        Some(match kind {
            "orgs" => self.org,
            "enterprises" => self.enterprise,
            "members" => self.member,
            "accounts" => self.account,
            "courses" => self.course,
            "sessions" => self.session,
            "lessons" => self.lesson,
            "catalog/items" => self.item,
            "orders" => self.order,
            "academies" => self.academy,
            "academy/messages" => self.message,
            "cadres" => self.cadre,
            "cadre-points/items" => self.cadre_item,
            "cadre-points/entries" => self.cadre_entry,
            "imports" => self.import,
            "dashboard/targets" => self.target,
            _ => return None,
        })
    }
}

type Request = (String, Option<Value>);

enum Aim {
    /// Asked about the outside record and about one that does not exist.
    Hidden(Box<dyn Fn(&Ids) -> Request>),
    /// Raw upload (an import) naming the union in its query.
    Upload(Box<dyn Fn(&Ids) -> String>),
    /// A list of the caller's reach: the outside record is not in it.
    Listed(String, fn(&Ids) -> i64),
    /// Not about a record of some union, and why.
    Unscoped(&'static str),
}

fn hidden(f: impl Fn(&Ids) -> Request + 'static) -> Aim {
    Aim::Hidden(Box::new(f))
}

fn today() -> String {
    gongjiang::cadre::ops::today()
}

/// How to aim each documented operation outside the caller's reach.
fn aim(method: &str, path: &str) -> Option<Aim> {
    let p = path.to_string();
    if path.contains("{id}") {
        // The body a request needs to get past its own checks; the id in
        // the path is what differs.
        let body: fn(&Ids) -> Option<Value> = match (method, path) {
            ("post", "/api/v1/academies/{id}/staff") => {
                |x| Some(json!({"member_id": x.inside_member, "role": "教务"}))
            }
            ("post", "/api/v1/academy/messages/{id}/answer") => {
                |_| Some(json!({"answer": "已收到"}))
            }
            ("patch", "/api/v1/accounts/{id}") => |_| Some(json!({"disabled": false})),
            ("post", "/api/v1/cadre-points/entries/{id}/reverse") => {
                |_| Some(json!({"reason": "录入有误"}))
            }
            ("patch", "/api/v1/cadre-points/items/{id}") => |_| Some(json!({"active": false})),
            ("patch", "/api/v1/cadres/{id}") => |_| Some(json!({"title": "主席"})),
            ("patch", "/api/v1/catalog/items/{id}") => |_| Some(json!({"stock": 9})),
            ("patch", "/api/v1/courses/{id}") => |_| Some(json!({"watch_percent": 70})),
            ("put", "/api/v1/courses/{id}/feedback") => |_| Some(json!({"rating": 5})),
            ("post", "/api/v1/courses/{id}/lessons") => {
                |_| Some(json!({"title": "外部一讲", "duration_ms": 600_000}))
            }
            ("post", "/api/v1/courses/{id}/sessions") => |_| {
                let (starts_at, ends_at) = crate::scope_programs::day_ms();
                Some(
                    json!({"place": "会议室", "starts_at": starts_at, "ends_at": ends_at, "capacity": 10}),
                )
            },
            ("patch", "/api/v1/enterprises/{id}") => |_| Some(json!({"industry": "制造业"})),
            ("post", "/api/v1/lessons/{id}/progress") => |_| Some(json!({"position_ms": 1000})),
            ("patch", "/api/v1/members/{id}") => |_| Some(json!({"occupation": "钳工"})),
            ("post", "/api/v1/members/{id}/reveal") => |_| Some(json!({"purpose": "核对"})),
            ("post", "/api/v1/members/{id}/transfer") => {
                |x| Some(json!({"to_org_id": x.inside_org}))
            }
            ("patch", "/api/v1/orgs/{id}") => |_| Some(json!({"name": "改名工会"})),
            ("post", "/api/v1/sessions/{id}/checkin") => |_| Some(json!({"token": "x"})),
            ("get", _) => |_| None,
            _ => |_| Some(json!({})),
        };
        return Some(hidden(move |x| {
            let id = x
                .for_path(&p)
                .unwrap_or_else(|| panic!("no record kind for {p}"));
            (p.replace("{id}", &id.to_string()), body(x))
        }));
    }
    let q = |query: &'static str, pick: fn(&Ids) -> i64| {
        let p = p.clone();
        hidden(move |x| (format!("{p}?{query}={}", pick(x)), None))
    };
    let with = |make: fn(&Ids) -> Value| {
        let p = p.clone();
        hidden(move |x| (p.clone(), Some(make(x))))
    };
    Some(match (method, path) {
        ("post", "/api/v1/session") => Aim::Unscoped("logging in names no union"),
        ("delete", "/api/v1/session") => Aim::Unscoped("logging out ends one's own token"),
        ("get", "/api/v1/me") => Aim::Unscoped("the caller itself"),
        ("get", "/api/v1/members/template.xlsx") => Aim::Unscoped("an empty workbook"),
        ("get", "/api/v1/orgs/template.xlsx") => Aim::Unscoped("an empty workbook"),
        ("get", "/api/v1/enterprises/template.xlsx") => Aim::Unscoped("an empty workbook"),
        ("post", "/api/v1/activation") => {
            Aim::Unscoped("a worker's own activation, before any sign-in, names no union")
        }
        ("post", "/api/v1/academy/messages") => {
            Aim::Unscoped("a member writes to its own union; staff are refused")
        }
        ("get", "/api/v1/academies") => Aim::Listed(p, |x| x.academy),
        ("get", "/api/v1/accounts") => Aim::Listed(p, |x| x.account),
        ("get", "/api/v1/courses") => Aim::Listed(p, |x| x.course),
        ("get", "/api/v1/orders") => Aim::Listed(p, |x| x.order),
        ("get", "/api/v1/academy/messages") => q("org_id", |x| x.org),
        ("get", "/api/v1/academy/categories") => q("org_id", |x| x.org),
        ("get", "/api/v1/audit") => q("member_id", |x| x.member),
        ("get", "/api/v1/cadre-points/entries") => q("cadre_id", |x| x.cadre),
        ("get", "/api/v1/cadre-points/items") => q("org_id", |x| x.org),
        ("get", "/api/v1/cadre-points/ranking") => q("org_id", |x| x.org),
        ("get", "/api/v1/cadres") => q("org_id", |x| x.org),
        ("get", "/api/v1/catalog/items") => q("org_id", |x| x.org),
        ("get", "/api/v1/dashboard") => q("org_id", |x| x.org),
        ("get", "/api/v1/transfers") => q("org_id", |x| x.org),
        ("get", "/api/v1/sessions") => q("org_id", |x| x.org),
        ("get", "/api/v1/attendances") => q("org_id", |x| x.org),
        ("get", "/api/v1/trainees") => q("org_id", |x| x.org),
        ("get", "/api/v1/completions") => q("org_id", |x| x.org),
        ("get", "/api/v1/points/ledger") => q("org_id", |x| x.org),
        ("get", "/api/v1/points/holdings") => q("org_id", |x| x.org),
        ("get", "/api/v1/dashboard/report.xlsx") => q("org_id", |x| x.org),
        ("get", "/api/v1/enterprises") => q("org_id", |x| x.org),
        ("get", "/api/v1/members") => q("org_id", |x| x.org),
        ("get", "/api/v1/members/export.xlsx") => q("org_id", |x| x.org),
        ("get", "/api/v1/orgs") => q("parent_id", |x| x.org),
        ("get", "/api/v1/points/balance") => q("member_id", |x| x.member),
        ("get", "/api/v1/points/entries") => q("member_id", |x| x.member),
        ("get", "/api/v1/points/leaderboard") => q("org_id", |x| x.org),
        ("get", "/api/v1/points/rules") => q("org_id", |x| x.org),
        ("post", "/api/v1/imports") => Aim::Upload(Box::new(|x| {
            format!(
                "/api/v1/imports?org_id={}&mode=check&filename=名册.xlsx",
                x.org
            )
        })),
        ("post", "/api/v1/academies") => {
            with(|x| json!({"org_id": x.org, "name": "外部分院", "kind": "branch"}))
        }
        ("post", "/api/v1/academy/categories") => {
            with(|x| json!({"org_id": x.org, "name": "外部类别"}))
        }
        ("post", "/api/v1/accounts/bulk") => with(|x| json!({"org_id": x.org})),
        ("post", "/api/v1/accounts") => with(
            |x| json!({"username": "reach1", "password": "gongjiang", "role": "viewer", "org_id": x.org}),
        ),
        ("post", "/api/v1/cadre-points/entries") => with(
            |x| json!({"cadre_id": x.cadre, "item_id": x.cadre_item, "evidence": "签到表", "occurred_on": today()}),
        ),
        ("post", "/api/v1/cadre-points/items") => {
            with(|x| json!({"org_id": x.org, "label": "外部培训", "points": 2}))
        }
        ("post", "/api/v1/cadres") => with(|x| json!({"org_id": x.org, "name": "外部干部"})),
        ("post", "/api/v1/catalog/items") => {
            with(|x| json!({"org_id": x.org, "name": "外部手套", "price": 10, "stock": 5}))
        }
        ("post", "/api/v1/courses") => {
            with(|x| json!({"org_id": x.org, "title": "外部课程", "category": "职业技能"}))
        }
        ("post", "/api/v1/enterprises") => with(
            |x| json!({"credit_code": credit_code(91), "name": "外部企业有限公司", "org_id": x.org}),
        ),
        ("post", "/api/v1/members") => with(
            |x| json!({"name": "外部会员", "id_number": crate::support::id_number(91), "phone": "13900002222", "org_id": x.org}),
        ),
        ("post", "/api/v1/dashboard/targets") => with(
            |x| json!({"org_id": x.org, "year": 2026, "figure_key": "members.skilled", "kind": "count", "target": 5}),
        ),
        ("post", "/api/v1/orgs") => with(
            |x| json!({"code": "REACH-1", "name": "外部工会", "kind": "企业工会", "parent_id": x.org}),
        ),
        ("post", "/api/v1/points/awards") => {
            with(|x| json!({"member_id": x.member, "rule": "attend", "event": "reach-1"}))
        }
        ("post", "/api/v1/points/entries") => {
            with(|x| json!({"member_id": x.member, "amount": 5, "reason": "外部"}))
        }
        ("post", "/api/v1/points/rules") => {
            with(|x| json!({"org_id": x.org, "code": "reach", "label": "外部规则", "points": 1}))
        }
        _ => return None,
    })
}

/// Records of every kind at a new enterprise union under 湖州, made by the root admin.
async fn outside_records(app: &TestApp, root: &str) -> Ids {
    let huzhou = app.org_id("ZJ-HZ").await;
    let org = id_of(
        &created(
            app,
            root,
            "/api/v1/orgs",
            json!({"code": "HZ-REACH", "name": "湖州远方精工有限公司工会", "kind": "企业工会", "parent_id": huzhou}),
        )
        .await,
    );
    let f = fixture(app, root, org, 3).await;
    let enterprise = id_of(
        &created(
            app,
            root,
            "/api/v1/enterprises",
            json!({"credit_code": credit_code(77), "name": "湖州远方精工有限公司", "org_id": org}),
        )
        .await,
    );
    let account = id_of(
        &created(
            app,
            root,
            "/api/v1/accounts",
            json!({"username": "hz-viewer", "password": "gongjiang", "role": "viewer", "org_id": org}),
        )
        .await,
    );
    let (_, lessons) = app
        .get(root, &format!("/api/v1/courses/{}/lessons", f.course))
        .await;
    let lesson = id_of(&lessons["items"][0]["lesson"]);
    created(
        app,
        root,
        "/api/v1/academies",
        json!({"org_id": huzhou, "name": "湖州总院", "kind": "main"}),
    )
    .await;
    let academy = id_of(
        &created(
            app,
            root,
            "/api/v1/academies",
            json!({"org_id": org, "name": "远方精工分院", "kind": "branch"}),
        )
        .await,
    );
    let worker = member_token(app, f.member).await;
    let message = id_of(
        &created(
            app,
            &worker,
            "/api/v1/academy/messages",
            json!({"body": "想学数控编程"}),
        )
        .await,
    );
    created(
        app,
        root,
        "/api/v1/points/entries",
        json!({"member_id": f.member, "amount": 100, "reason": "培训奖励"}),
    )
    .await;
    let order = id_of(
        &created(
            app,
            &worker,
            &format!("/api/v1/catalog/items/{}/redeem", f.item),
            json!({}),
        )
        .await,
    );
    let cadre_entry = id_of(
        &created(
            app,
            root,
            "/api/v1/cadre-points/entries",
            json!({"cadre_id": f.cadre, "item_id": f.cadre_item, "evidence": "签到表", "occurred_on": today()}),
        )
        .await,
    );
    let target = id_of(
        &created(
            app,
            root,
            "/api/v1/dashboard/targets",
            json!({"org_id": org, "year": 2026, "figure_key": "members.skilled", "kind": "count", "target": 100}),
        )
        .await,
    );
    let sheet = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/messy_roster.xlsx"),
    )
    .unwrap();
    let (s, job) = upload(app, root, org, "check", "名册.xlsx", sheet).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let import = id_of(&job);
    finished(app, root, import).await;
    Ids {
        org,
        enterprise,
        member: f.member,
        account,
        course: f.course,
        session: f.session,
        lesson,
        item: f.item,
        order,
        academy,
        message,
        cadre: f.cadre,
        cadre_item: f.cadre_item,
        cadre_entry,
        import,
        target,
        inside_org: 0,
        inside_member: 0,
    }
}

async fn send(
    app: &TestApp,
    token: &str,
    method: &Method,
    (path, body): Request,
) -> (StatusCode, Value) {
    app.call(method.clone(), &path, Some(token), body).await
}

/// Out of reach answers what missing answers: the same 404 and problem, or
/// — for a filter over a list (`?member_id=` in the audit log) — the same
/// empty page.
fn hidden_like_missing(
    what: &str,
    (s_out, out): (StatusCode, &Value),
    (s_none, none): (StatusCode, &Value),
) {
    assert_eq!(
        (s_out, &out["detail"]),
        (s_none, &none["detail"]),
        "{what}: {out} / {none}"
    );
    match s_out {
        StatusCode::NOT_FOUND => {}
        StatusCode::OK => assert_eq!(out["total"], 0, "{what} shows what is out of reach: {out}"),
        other => panic!("{what}: {other} {out}"),
    }
}

#[tokio::test]
async fn out_of_reach_reads_like_missing_for_every_documented_operation() {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town = app.login("jiangshan").await;
    let inside_org = app.org_id("JS-YIZHOU").await;
    let inside_member = app.member_of("JS-YIZHOU").await;
    let outside = Ids {
        inside_org,
        inside_member,
        ..outside_records(&app, &root).await
    };
    let missing = Ids::missing(inside_org, inside_member);
    let spec: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sheet = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/messy_roster.xlsx"),
    )
    .unwrap();
    let (mut unknown, mut unscoped, mut checked) = (Vec::new(), Vec::new(), 0);
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let Some(aim) = aim(method, path) else {
                unknown.push(format!("{method} {path}"));
                continue;
            };
            let m: Method = method.to_uppercase().parse().unwrap();
            let what = format!("{method} {path}");
            let before = all_rows(&app).await;
            match aim {
                Aim::Hidden(request) => {
                    let (s_out, out) = send(&app, &town, &m, request(&outside)).await;
                    let (s_none, none) = send(&app, &town, &m, request(&missing)).await;
                    hidden_like_missing(&what, (s_out, &out), (s_none, &none));
                }
                Aim::Upload(url) => {
                    let path_of = |x: &Ids| url(x);
                    let answer = |p: String| {
                        let data = sheet.clone();
                        let (app, town) = (&app, &town);
                        async move {
                            let resp = app
                                .client
                                .post(app.url(&p))
                                .bearer_auth(town)
                                .body(data)
                                .send()
                                .await
                                .unwrap();
                            (
                                resp.status(),
                                resp.json::<Value>().await.unwrap_or(Value::Null),
                            )
                        }
                    };
                    let (s_out, out) = answer(path_of(&outside)).await;
                    let (s_none, none) = answer(path_of(&missing)).await;
                    hidden_like_missing(&what, (s_out, &out), (s_none, &none));
                }
                Aim::Listed(list, pick) => {
                    let (s, page) = app.get(&town, &format!("{list}?per_page=200")).await;
                    assert_eq!(s, StatusCode::OK, "{what}: {page}");
                    let id = pick(&outside);
                    let items = page["items"]
                        .as_array()
                        .unwrap_or_else(|| panic!("{what}: {page}"));
                    assert!(
                        !items.iter().any(|i| i["id"].as_i64() == Some(id)),
                        "{what} lists the outside record {id}"
                    );
                }
                Aim::Unscoped(why) => {
                    unscoped.push(format!("{what}: {why}"));
                    continue;
                }
            }
            assert_eq!(before, all_rows(&app).await, "{what} changed a row");
            checked += 1;
        }
    }
    assert_eq!(
        unknown,
        Vec::<String>::new(),
        "operations this test cannot aim yet: add them to `aim`"
    );
    assert!(checked >= 65, "only {checked} operations checked");
    // Only what names no union at all goes unchecked: sign-in and sign-out,
    // the caller itself, a member's own message, a worker's own activation and
    // three blank templates.
    assert!(unscoped.len() <= 8, "{unscoped:#?}");
}
