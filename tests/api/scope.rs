//! The scope matrix: every endpoint × every role × a target inside and outside
//! the role's subtree. Every refused request is checked to have changed nothing.

use crate::support::{credit_code, id_number, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

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
    /// Inside 姜山镇 (the town's subtree).
    Inside,
    /// In 湖州 / 邱隘: outside the town, inside the province.
    Outside,
    /// The worker's own member record.
    Own,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Read,
    Roster,
    Orgs,
    Accounts,
    Reveal,
}

#[derive(Clone, Copy, Debug)]
enum Endpoint {
    GetOrg,
    PatchOrg,
    PostOrg,
    GetEnterprise,
    PatchEnterprise,
    PostEnterprise,
    GetMember,
    PatchMember,
    PostMember,
    TransferMember,
    GetTransfers,
    GetAccount,
    PostAccount,
    PatchAccount,
    RevealMember,
}

impl Endpoint {
    const ALL: [Endpoint; 15] = [
        Endpoint::GetOrg,
        Endpoint::PatchOrg,
        Endpoint::PostOrg,
        Endpoint::GetEnterprise,
        Endpoint::PatchEnterprise,
        Endpoint::PostEnterprise,
        Endpoint::GetMember,
        Endpoint::PatchMember,
        Endpoint::PostMember,
        Endpoint::TransferMember,
        Endpoint::GetTransfers,
        Endpoint::GetAccount,
        Endpoint::PostAccount,
        Endpoint::PatchAccount,
        Endpoint::RevealMember,
    ];

    fn kind(self) -> Kind {
        use Endpoint::*;
        match self {
            GetOrg | GetEnterprise | GetMember | GetTransfers => Kind::Read,
            PatchEnterprise | PostEnterprise | PatchMember | PostMember | TransferMember => {
                Kind::Roster
            }
            PatchOrg | PostOrg => Kind::Orgs,
            GetAccount | PostAccount | PatchAccount => Kind::Accounts,
            RevealMember => Kind::Reveal,
        }
    }

    fn is_member_record(self) -> bool {
        matches!(
            self,
            Endpoint::GetMember
                | Endpoint::PatchMember
                | Endpoint::TransferMember
                | Endpoint::GetTransfers
                | Endpoint::RevealMember
        )
    }

    fn success(self) -> StatusCode {
        match self {
            Endpoint::PostOrg
            | Endpoint::PostEnterprise
            | Endpoint::PostMember
            | Endpoint::PostAccount => StatusCode::CREATED,
            _ => StatusCode::OK,
        }
    }
}

/// The rule under test, stated once: what each role may do where. (The demo
/// `admin` holds the reveal right; nobody else does until an admin grants it.)
fn expected(actor: Actor, ep: Endpoint, target: Target) -> StatusCode {
    use Actor::*;
    let ok = ep.success();
    let (nf, fb) = (StatusCode::NOT_FOUND, StatusCode::FORBIDDEN);
    if actor == RootAdmin {
        return ok;
    }
    if actor == Worker {
        // A member sees their own record and nothing else; they may change nothing.
        return match (target, ep.kind()) {
            (Target::Own, Kind::Read) => ok,
            (Target::Own, _) => fb,
            (_, Kind::Accounts) => fb,
            _ => nf,
        };
    }
    let right = matches!(
        (actor, ep.kind()),
        (_, Kind::Read)
            | (TownAdmin, Kind::Roster | Kind::Orgs | Kind::Accounts)
            | (TownOfficer, Kind::Roster)
    );
    match (ep.kind(), target, right) {
        // Without the accounts right at all, the accounts endpoints are forbidden wherever.
        (Kind::Accounts, _, false) => fb,
        (_, Target::Outside, _) => nf,
        (_, _, true) => ok,
        (_, _, false) => fb,
    }
}

struct Ids {
    org: i64,
    sibling_org: i64,
    enterprise: i64,
    member: i64,
    account: i64,
}

async fn ids(app: &TestApp, root_token: &str, target: Target, worker_member: i64) -> Ids {
    let (org_code, sibling_code) = match target {
        Target::Inside | Target::Own => ("JS-HUARUI", "JS-JINGMI"),
        Target::Outside => ("QY-HENGDA", "ZJ-NB-YZ-QY"),
    };
    let org = app.org_id(org_code).await;
    // An account to read and edit, made by the root admin in the target organisation.
    let name = format!("acct{}{}", org, rand_suffix());
    let (s, acct) = app
        .post(
            root_token,
            "/api/v1/accounts",
            json!({"username": name, "password": "secret-123", "role": "viewer", "org_id": org}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{acct}");
    Ids {
        org,
        sibling_org: app.org_id(sibling_code).await,
        enterprise: app.enterprise_of(org_code).await,
        member: if target == Target::Own {
            worker_member
        } else {
            app.member_of(org_code).await
        },
        account: acct["id"].as_i64().unwrap(),
    }
}

fn rand_suffix() -> String {
    gongjiang::auth::session::random_token()[..6]
        .to_lowercase()
        .replace(['-', '_'], "x")
}

async fn request(
    app: &TestApp,
    token: &str,
    ep: Endpoint,
    ids: &Ids,
    n: u32,
) -> (StatusCode, serde_json::Value) {
    use Endpoint::*;
    let (method, path, body) = match ep {
        GetOrg => (Method::GET, format!("/api/v1/orgs/{}", ids.org), None),
        PatchOrg => (
            Method::PATCH,
            format!("/api/v1/orgs/{}", ids.org),
            Some(json!({"name": format!("改名工会{n}")})),
        ),
        PostOrg => (
            Method::POST,
            "/api/v1/orgs".into(),
            Some(
                json!({"code": format!("NEW-{n}"), "name": "新建分会", "kind": "企业工会", "parent_id": ids.org}),
            ),
        ),
        GetEnterprise => (
            Method::GET,
            format!("/api/v1/enterprises/{}", ids.enterprise),
            None,
        ),
        PatchEnterprise => (
            Method::PATCH,
            format!("/api/v1/enterprises/{}", ids.enterprise),
            Some(json!({"industry": format!("行业{n}")})),
        ),
        PostEnterprise => (
            Method::POST,
            "/api/v1/enterprises".into(),
            Some(
                json!({"credit_code": credit_code(n), "name": format!("新企业{n}"), "org_id": ids.org}),
            ),
        ),
        GetMember => (Method::GET, format!("/api/v1/members/{}", ids.member), None),
        PatchMember => (
            Method::PATCH,
            format!("/api/v1/members/{}", ids.member),
            Some(json!({"occupation": format!("工种{n}")})),
        ),
        PostMember => (
            Method::POST,
            "/api/v1/members".into(),
            Some(
                json!({"name": "新会员", "id_number": id_number(n), "phone": "13900001111", "org_id": ids.org}),
            ),
        ),
        TransferMember => (
            Method::POST,
            format!("/api/v1/members/{}/transfer", ids.member),
            Some(json!({"to_org_id": ids.sibling_org})),
        ),
        GetTransfers => (
            Method::GET,
            format!("/api/v1/members/{}/transfers", ids.member),
            None,
        ),
        GetAccount => (
            Method::GET,
            format!("/api/v1/accounts/{}", ids.account),
            None,
        ),
        PostAccount => (
            Method::POST,
            "/api/v1/accounts".into(),
            Some(
                json!({"username": format!("new{n}"), "password": "secret-123", "role": "officer", "org_id": ids.org}),
            ),
        ),
        PatchAccount => (
            Method::PATCH,
            format!("/api/v1/accounts/{}", ids.account),
            Some(json!({"password": "another-secret"})),
        ),
        RevealMember => (
            Method::POST,
            format!("/api/v1/members/{}/reveal", ids.member),
            Some(json!({"purpose": "matrix"})),
        ),
    };
    app.call(method, &path, Some(token), body).await
}

async fn run_matrix_for(actor: Actor) {
    let app = TestApp::spawn().await;
    let root = app.login("admin").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let worker_member: i64 = {
        let t = app.login("worker").await;
        app.get(&t, "/api/v1/me").await.1["member_id"]
            .as_i64()
            .unwrap()
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
            let (s, b) = app
                .post(&root, "/api/v1/accounts", json!({"username": name, "password": "gongjiang", "role": role, "org_id": town}))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            app.login(name).await
        }
    };
    let mut n = 0;
    let mut failures = vec![];
    for target in [Target::Inside, Target::Outside, Target::Own] {
        if target == Target::Own && actor != Actor::Worker {
            continue;
        }
        for ep in Endpoint::ALL {
            if target == Target::Own && !ep.is_member_record() {
                continue;
            }
            n += 1;
            let ids = ids(&app, &root, target, worker_member).await;
            let before = app.fingerprint().await;
            let (status, body) = request(&app, &token, ep, &ids, 1000 * actor as u32 + n).await;
            let want = expected(actor, ep, target);
            if status != want {
                failures.push(format!(
                    "{actor:?} {ep:?} {target:?}: got {status}, want {want}: {body}"
                ));
            }
            if !status.is_success() {
                assert_eq!(
                    before,
                    app.fingerprint().await,
                    "{actor:?} {ep:?} {target:?} was refused ({status}) but changed data"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "scope matrix failures:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn matrix_root_admin() {
    run_matrix_for(Actor::RootAdmin).await;
}

#[tokio::test]
async fn matrix_town_admin() {
    run_matrix_for(Actor::TownAdmin).await;
}

#[tokio::test]
async fn matrix_town_officer() {
    run_matrix_for(Actor::TownOfficer).await;
}

#[tokio::test]
async fn matrix_town_viewer() {
    run_matrix_for(Actor::TownViewer).await;
}

#[tokio::test]
async fn matrix_worker() {
    run_matrix_for(Actor::Worker).await;
}

/// Lists hold only the caller's subtree, whatever filter is asked for.
#[tokio::test]
async fn lists_are_scoped_to_the_subtree() {
    let app = TestApp::spawn().await;
    let town = app.login("jiangshan").await;
    let root = app.login("admin").await;
    let huzhou = app.org_id("ZJ-HZ").await;
    let town_id = app.org_id("ZJ-NB-YZ-JS").await;

    let (_, orgs) = app.get(&town, "/api/v1/orgs?per_page=200").await;
    let names: Vec<&str> = orgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"姜山镇总工会") && names.contains(&"华瑞电器股份有限公司工会"));
    assert!(
        !names
            .iter()
            .any(|n| n.contains("湖州") || n.contains("邱隘") || n.contains("宁波市")),
        "{names:?}"
    );
    assert_eq!(orgs["total"].as_i64().unwrap() as usize, names.len());

    let (_, all) = app.get(&root, "/api/v1/members?per_page=1").await;
    let (_, mine) = app.get(&town, "/api/v1/members?per_page=200").await;
    let (_, town_by_root) = app
        .get(
            &root,
            &format!("/api/v1/members?org_id={town_id}&per_page=1"),
        )
        .await;
    assert!(mine["total"].as_i64().unwrap() < all["total"].as_i64().unwrap());
    assert_eq!(
        mine["total"], town_by_root["total"],
        "the town admin sees exactly the town's subtree"
    );
    for m in mine["items"].as_array().unwrap() {
        let org = m["org_id"].as_i64().unwrap();
        let (s, _) = app.get(&town, &format!("/api/v1/orgs/{org}")).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "member {} is in an org the town cannot see",
            m["id"]
        );
    }
    // Asking for another subtree by filter is a 404, not a leak.
    let (s, _) = app
        .get(&town, &format!("/api/v1/members?org_id={huzhou}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .get(&town, &format!("/api/v1/enterprises?org_id={huzhou}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, ents) = app.get(&town, "/api/v1/enterprises?per_page=200").await;
    assert!(ents["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| !e["name"].as_str().unwrap().contains("恒达")));

    // The worker's list is their own record.
    let worker = app.login("worker").await;
    let (_, own) = app.get(&worker, "/api/v1/members").await;
    assert_eq!(own["total"], 1);
    let (_, orgs) = app.get(&worker, "/api/v1/orgs").await;
    assert_eq!(orgs["total"], 0);

    // Accounts: the town admin sees the town's accounts only.
    let (_, accts) = app.get(&town, "/api/v1/accounts").await;
    let users: Vec<&str> = accts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert!(
        users.contains(&"jiangshan") && users.contains(&"worker") && !users.contains(&"admin"),
        "{users:?}"
    );
}

#[tokio::test]
async fn without_a_token_everything_is_401() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/orgs",
        "/api/v1/orgs/1",
        "/api/v1/members",
        "/api/v1/members/1",
        "/api/v1/enterprises",
        "/api/v1/accounts",
        "/api/v1/me",
    ] {
        let (s, body) = app.call(Method::GET, path, None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["status"], 401);
        let (s, _) = app.call(Method::GET, path, Some("not-a-token"), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path} with a bad token");
    }
    let before = app.fingerprint().await;
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/members",
            None,
            Some(json!({"name": "x", "id_number": id_number(1), "org_id": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(before, app.fingerprint().await);
}
