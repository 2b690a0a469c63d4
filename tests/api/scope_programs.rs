//! The scope matrix of the programs (academy, points, catalogue, cadre points):
//! every endpoint × every role × a target inside 姜山镇, outside it (an
//! enterprise union under 湖州), the worker's own record, and an id that does
//! not exist. The expected status comes from one rule (`expected`); every
//! refused request is checked to have changed no row of any table, every
//! successful write to have changed one, and a 404 outside the caller's reach
//! to read exactly like the 404 of an id that does not exist.

use crate::support::{id_number, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Actor {
    RootAdmin,
    TownAdmin,
    TownOfficer,
    TownViewer,
    Worker,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    /// At 浙江一舟 (JS-YIZHOU), inside 姜山镇 — the worker's own union.
    Inside,
    /// At an enterprise union under 湖州 (ZJ-HZ), outside the town.
    Outside,
    /// The worker's own member record (points only).
    Own,
    /// An id nobody has.
    Missing,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Endpoint {
    GetCourse,
    PatchCourse,
    PostSession,
    PostLesson,
    GetLessons,
    GetRoster,
    GetItem,
    PatchItem,
    PostPoints,
    GetBalance,
    GetCadre,
    PostCadreEntry,
}

impl Endpoint {
    const ALL: [Endpoint; 12] = [
        Endpoint::GetCourse,
        Endpoint::PatchCourse,
        Endpoint::PostSession,
        Endpoint::PostLesson,
        Endpoint::GetLessons,
        Endpoint::GetRoster,
        Endpoint::GetItem,
        Endpoint::PatchItem,
        Endpoint::PostPoints,
        Endpoint::GetBalance,
        Endpoint::GetCadre,
        Endpoint::PostCadreEntry,
    ];

    fn writes(self) -> bool {
        use Endpoint::*;
        matches!(
            self,
            PatchCourse | PostSession | PostLesson | PatchItem | PostPoints | PostCadreEntry
        )
    }

    fn is_member_record(self) -> bool {
        matches!(self, Endpoint::PostPoints | Endpoint::GetBalance)
    }

    fn is_cadre(self) -> bool {
        matches!(self, Endpoint::GetCadre | Endpoint::PostCadreEntry)
    }

    fn success(self) -> StatusCode {
        use Endpoint::*;
        match self {
            PostSession | PostLesson | PostPoints | PostCadreEntry => StatusCode::CREATED,
            _ => StatusCode::OK,
        }
    }
}

/// The rule under test, stated once.
fn expected(ep: Endpoint, actor: Actor, target: Target) -> StatusCode {
    use Endpoint::*;
    let ok = ep.success();
    let (nf, fb) = (StatusCode::NOT_FOUND, StatusCode::FORBIDDEN);
    // Cadre points are staff business: a member account is refused before any
    // lookup, so the answer is the same 403 whatever the id (no existence leak).
    if actor == Actor::Worker && ep.is_cadre() {
        return fb;
    }
    // Nothing there: 404 for everyone, the root admin too.
    if target == Target::Missing {
        return nf;
    }
    // The root admin holds every right over the whole province.
    if actor == Actor::RootAdmin {
        return ok;
    }
    if actor == Actor::Worker {
        return match (ep, target) {
            // A member sees the courses (and their lessons) and the active items
            // of their own union or a union above it.
            (GetCourse | GetLessons | GetItem, Target::Inside) => ok,
            // ...but is not staff: changing a course or an item, or reading a
            // session's roster, is forbidden.
            (PatchCourse | PostSession | PostLesson | GetRoster | PatchItem, Target::Inside) => fb,
            // Their own balance they read; points they may not grant themselves.
            (GetBalance, Target::Own) => ok,
            (PostPoints, Target::Own) => fb,
            // Other members' points, and everything at another union: not found.
            _ => nf,
        };
    }
    // Staff: outside the town's subtree nothing exists (404, never 403).
    if target == Target::Outside {
        return nf;
    }
    // Inside: every staff role holds the read right (a session's roster
    // included); writing needs the roster right, which the viewer lacks.
    if ep.writes() && actor == Actor::TownViewer {
        fb
    } else {
        ok
    }
}

/// The records one target names.
#[derive(Clone, Copy)]
pub(crate) struct Fixture {
    pub(crate) course: i64,
    pub(crate) session: i64,
    pub(crate) item: i64,
    pub(crate) member: i64,
    pub(crate) cadre: i64,
    pub(crate) cadre_item: i64,
}

const NOBODY: i64 = 999_999_999;

pub(crate) fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

pub(crate) async fn created(app: &TestApp, root: &str, path: &str, body: Value) -> Value {
    let (s, b) = app.post(root, path, body).await;
    assert_eq!(s, StatusCode::CREATED, "{path}: {b}");
    b
}

pub(crate) fn day_ms() -> (i64, i64) {
    let start = gongjiang::db::now_ms() + 86_400_000;
    (start, start + 2 * 3_600_000)
}

/// A course with a session and a lesson, a catalogue item, a member, and a
/// cadre with a rule item, all at union `org`, made through the API by the root admin.
pub(crate) async fn fixture(app: &TestApp, root: &str, org: i64, n: u32) -> Fixture {
    let course = id_of(
        &created(
            app,
            root,
            "/api/v1/courses",
            json!({"org_id": org, "title": format!("矩阵课程{n}"), "category": "职业技能"}),
        )
        .await,
    );
    let (starts_at, ends_at) = day_ms();
    let session = created(
        app,
        root,
        &format!("/api/v1/courses/{course}/sessions"),
        json!({"place": "职工之家", "starts_at": starts_at, "ends_at": ends_at, "capacity": 30}),
    )
    .await["session"]["id"]
        .as_i64()
        .unwrap();
    created(
        app,
        root,
        &format!("/api/v1/courses/{course}/lessons"),
        json!({"title": "第一讲", "duration_ms": 600_000}),
    )
    .await;
    let item = id_of(
        &created(
            app,
            root,
            "/api/v1/catalog/items",
            json!({"org_id": org, "name": format!("劳保手套{n}"), "price": 10, "stock": 5}),
        )
        .await,
    );
    let member = id_of(
        &created(
            app,
            root,
            "/api/v1/members",
            json!({"name": "矩阵会员", "id_number": id_number(n), "phone": "13900001111", "org_id": org}),
        )
        .await,
    );
    let cadre = id_of(
        &created(
            app,
            root,
            "/api/v1/cadres",
            json!({"org_id": org, "name": "矩阵干部", "title": "委员"}),
        )
        .await,
    );
    let cadre_item = id_of(
        &created(
            app,
            root,
            "/api/v1/cadre-points/items",
            json!({"org_id": org, "label": "组织矩阵培训", "points": 3}),
        )
        .await,
    );
    Fixture {
        course,
        session,
        item,
        member,
        cadre,
        cadre_item,
    }
}

async fn request(
    app: &TestApp,
    token: &str,
    ep: Endpoint,
    f: &Fixture,
    n: u32,
) -> (StatusCode, Value) {
    use Endpoint::*;
    let (course, item) = (f.course, f.item);
    let (method, path, body) = match ep {
        GetCourse => (Method::GET, format!("/api/v1/courses/{course}"), None),
        PatchCourse => (
            Method::PATCH,
            format!("/api/v1/courses/{course}"),
            Some(json!({"watch_percent": 80})),
        ),
        PostSession => {
            let (starts_at, ends_at) = day_ms();
            (
                Method::POST,
                format!("/api/v1/courses/{course}/sessions"),
                Some(
                    json!({"place": format!("会议室{n}"), "starts_at": starts_at, "ends_at": ends_at, "capacity": 20}),
                ),
            )
        }
        PostLesson => (
            Method::POST,
            format!("/api/v1/courses/{course}/lessons"),
            Some(json!({"title": format!("第{n}讲"), "duration_ms": 300_000})),
        ),
        GetLessons => (
            Method::GET,
            format!("/api/v1/courses/{course}/lessons"),
            None,
        ),
        GetRoster => (
            Method::GET,
            format!("/api/v1/sessions/{}/roster", f.session),
            None,
        ),
        GetItem => (Method::GET, format!("/api/v1/catalog/items/{item}"), None),
        PatchItem => (
            Method::PATCH,
            format!("/api/v1/catalog/items/{item}"),
            Some(json!({"stock": 7})),
        ),
        PostPoints => (
            Method::POST,
            "/api/v1/points/entries".into(),
            Some(json!({"member_id": f.member, "amount": 5, "reason": format!("矩阵{n}")})),
        ),
        GetBalance => (
            Method::GET,
            format!("/api/v1/points/balance?member_id={}", f.member),
            None,
        ),
        GetCadre => (Method::GET, format!("/api/v1/cadres/{}", f.cadre), None),
        PostCadreEntry => (
            Method::POST,
            "/api/v1/cadre-points/entries".into(),
            Some(
                json!({"cadre_id": f.cadre, "item_id": f.cadre_item, "evidence": format!("签到表{n}"), "occurred_on": gongjiang::cadre::ops::today()}),
            ),
        ),
    };
    app.call(method, &path, Some(token), body).await
}

/// Every row of the programs' tables as text, then every row `fingerprint`
/// covers (the foundation and the audit log): equal means nothing changed.
pub(crate) async fn all_rows(app: &TestApp) -> String {
    const TABLES: &[(&str, &str, &str)] = &[
        ("courses", "id, org_id, title, category, teacher_member_id, description, watch_percent, academy_id, updated_at", "id"),
        ("course_sessions", "id, course_id, org_id, place, starts_at, ends_at, capacity, centralised, checkin_token", "id"),
        ("lessons", "id, course_id, org_id, title, video_url, duration_ms, video_file", "id"),
        ("lesson_progress", "lesson_id, member_id, watched_ms, position_ms, reported_at", "lesson_id, member_id"),
        ("course_feedback", "id, course_id, member_id, rating, comment, updated_at", "id"),
        ("course_categories", "id, org_id, name", "id"),
        ("enrolment_targets", "kind, target_id, capacity", "kind, target_id"),
        ("enrolments", "id, kind, target_id, member_id, org_id, state, position, updated_at", "id"),
        ("academies", "id, org_id, name, kind, parent_id", "id"),
        ("academy_staff", "academy_id, member_id, role", "academy_id, member_id"),
        ("academy_messages", "id, org_id, member_id, body, answer, answered_by, answered_at", "id"),
        ("point_entries", "id, member_id, org_id, amount, reason, source, source_id, idempotency_key, account_id, expires_at, remaining", "id"),
        ("point_balances", "member_id, balance, lifetime", "member_id"),
        ("point_lot_uses", "debit_id, lot_id, amount", "debit_id, lot_id"),
        ("point_rules", "id, org_id, code, label, points, active, valid_days", "id"),
        ("catalog_items", "id, org_id, name, description, price, stock, per_member_limit, active, valid_until, updated_at", "id"),
        ("redemption_orders", "id, item_id, member_id, org_id, points, state, updated_at", "id"),
        ("cadres", "id, org_id, name, title, member_id, active, updated_at", "id"),
        ("cadre_rule_items", "id, org_id, label, points, active", "id"),
        ("cadre_entries", "id, cadre_id, org_id, item_id, points, label, evidence, occurred_on, reverses_id, account_id", "id"),
    ];
    let mut out = String::new();
    for (table, cols, order) in TABLES {
        // Every cell as text on both backends, NULL shown as such.
        let cells: Vec<String> = cols
            .split(", ")
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), '<null>')"))
            .collect();
        let q = format!("SELECT {} FROM {table} ORDER BY {order}", cells.join(", "));
        out.push_str(table);
        out.push('\n');
        for row in sqlx::query(&q)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"))
        {
            for i in 0..row.len() {
                out.push_str(&row.get::<String, _>(i));
                out.push('|');
            }
            out.push('\n');
        }
    }
    out.push_str(&app.fingerprint().await);
    out
}

async fn run_matrix_for(actor: Actor) {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let huzhou = app.org_id("ZJ-HZ").await;
    let worker_member = {
        let t = app.login("worker").await;
        app.get(&t, "/api/v1/me").await.1["member_id"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        worker_member,
        app.member_of("JS-YIZHOU").await,
        "the worker is a member of JS-YIZHOU"
    );
    // An enterprise union under 湖州, for the outside target.
    let hz_union = id_of(
        &created(
            &app,
            &root,
            "/api/v1/orgs",
            json!({"code": "HZ-MATRIX", "name": "湖州矩阵模具有限公司工会", "kind": "企业工会", "parent_id": huzhou}),
        )
        .await,
    );
    let inside = fixture(&app, &root, app.org_id("JS-YIZHOU").await, 1).await;
    let outside = fixture(&app, &root, hz_union, 2).await;
    let own = Fixture {
        member: worker_member,
        ..inside
    };
    let missing = Fixture {
        course: NOBODY,
        session: NOBODY,
        item: NOBODY,
        member: NOBODY,
        cadre: NOBODY,
        cadre_item: NOBODY,
    };
    let token = match actor {
        Actor::RootAdmin => root.clone(),
        Actor::TownAdmin => app.login("jiangshan").await,
        Actor::Worker => app.login("worker").await,
        Actor::TownOfficer | Actor::TownViewer => {
            let (role, name) = if actor == Actor::TownOfficer {
                ("officer", "officer1")
            } else {
                ("viewer", "viewer1")
            };
            created(
                &app,
                &root,
                "/api/v1/accounts",
                json!({"username": name, "password": "gongjiang", "role": role, "org_id": town}),
            )
            .await;
            app.login(name).await
        }
    };

    let mut n = 100;
    let mut failures = vec![];
    let mut outside_refusals = std::collections::HashMap::new();
    for (target, f) in [
        (Target::Inside, inside),
        (Target::Outside, outside),
        (Target::Own, own),
        (Target::Missing, missing),
    ] {
        if target == Target::Own && actor != Actor::Worker {
            continue;
        }
        for ep in Endpoint::ALL {
            if target == Target::Own && !ep.is_member_record() {
                continue;
            }
            n += 1;
            let cell = format!("{ep:?} × {actor:?} × {target:?}");
            let before = all_rows(&app).await;
            let (status, body) = request(&app, &token, ep, &f, n).await;
            let after = all_rows(&app).await;
            let want = expected(ep, actor, target);
            if status != want {
                failures.push(format!("{cell}: got {status}, want {want}: {body}"));
            }
            if !status.is_success() && before != after {
                failures.push(format!("{cell}: refused ({status}) but changed data"));
            }
            if status.is_success() && ep.writes() && before == after {
                failures.push(format!(
                    "{cell}: succeeded ({status}) but no row changed — the fingerprint misses a table"
                ));
            }
            // Out of reach must read exactly like not there: the same status and body.
            match (target, status) {
                (Target::Outside, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN) => {
                    outside_refusals.insert(format!("{ep:?}"), (status, body));
                }
                (Target::Missing, _) => {
                    if let Some((s, b)) = outside_refusals.get(&format!("{ep:?}")) {
                        if (*s, b) != (status, &body) {
                            failures.push(format!(
                                "{ep:?} × {actor:?}: outside answers {s} {b}, a missing id {status} {body} — tells what exists"
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "program scope matrix failures:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn programs_matrix_root_admin() {
    run_matrix_for(Actor::RootAdmin).await;
}

#[tokio::test]
async fn programs_matrix_town_admin() {
    run_matrix_for(Actor::TownAdmin).await;
}

#[tokio::test]
async fn programs_matrix_town_officer() {
    run_matrix_for(Actor::TownOfficer).await;
}

#[tokio::test]
async fn programs_matrix_town_viewer() {
    run_matrix_for(Actor::TownViewer).await;
}

#[tokio::test]
async fn programs_matrix_worker() {
    run_matrix_for(Actor::Worker).await;
}

/// The rule itself, tabulated for a reader and pinned against accidental edits.
#[test]
fn the_rule_as_a_table() {
    use Actor::*;
    let row = |ep: Endpoint, target: Target| -> Vec<u16> {
        [RootAdmin, TownAdmin, TownOfficer, TownViewer, Worker]
            .iter()
            .map(|a| expected(ep, *a, target).as_u16())
            .collect()
    };
    assert_eq!(
        row(Endpoint::GetCourse, Target::Inside),
        [200, 200, 200, 200, 200]
    );
    assert_eq!(
        row(Endpoint::GetRoster, Target::Inside),
        [200, 200, 200, 200, 403]
    );
    assert_eq!(
        row(Endpoint::PostSession, Target::Inside),
        [201, 201, 201, 403, 403]
    );
    assert_eq!(
        row(Endpoint::PatchItem, Target::Inside),
        [200, 200, 200, 403, 403]
    );
    assert_eq!(
        row(Endpoint::PostCadreEntry, Target::Outside),
        [201, 404, 404, 404, 403]
    );
    assert_eq!(row(Endpoint::GetBalance, Target::Own)[4], 200);
    assert_eq!(
        row(Endpoint::GetCadre, Target::Missing),
        [404, 404, 404, 404, 403]
    );
}
