//! The points ledger and the redemption catalogue: idempotent entries, a balance
//! that never goes below zero, stock never oversold under 200 simultaneous buyers.

use crate::support::{member_token, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

async fn town_members(app: &TestApp, n: i64) -> Vec<i64> {
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let path: String = sqlx::query("SELECT path FROM orgs WHERE id = $1")
        .bind(town)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    sqlx::query("SELECT m.id FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.path >= $1 AND o.path < $2 ORDER BY m.id LIMIT $3")
        .bind(&path)
        .bind(gongjiang::auth::scope::path_upper(&path))
        .bind(n)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn balance(app: &TestApp, token: &str, member: i64) -> i64 {
    let (s, b) = app
        .get(token, &format!("/api/v1/points/balance?member_id={member}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["balance"].as_i64().unwrap()
}

/// Every balance is the sum of its entries and never below zero.
async fn ledger_is_consistent(app: &TestApp) {
    let rows = sqlx::query(
        "SELECT b.member_id, b.balance, (SELECT CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) FROM point_entries e WHERE e.member_id = b.member_id) FROM point_balances b",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    for r in rows {
        let (m, bal, sum): (i64, i64, i64) = (r.get(0), r.get(1), r.get(2));
        assert!(bal >= 0, "member {m} below zero");
        assert_eq!(
            bal, sum,
            "member {m}: balance is not the sum of the entries"
        );
        // What is left of expiring lots is part of the balance, never more.
        let lots: i64 = sqlx::query("SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM point_entries WHERE member_id = $1 AND remaining > 0")
            .bind(m)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
            .get(0);
        assert!(
            lots <= bal,
            "member {m}: lots {lots} exceed the balance {bal}"
        );
        let negative: i64 = sqlx::query(
            "SELECT COUNT(*) FROM point_entries WHERE member_id = $1 AND remaining < 0",
        )
        .bind(m)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
        assert_eq!(negative, 0, "member {m}: a lot below zero");
    }
}

#[tokio::test]
async fn entries_are_idempotent_and_never_overdraw() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let ms = town_members(&app, 2).await;
    let (a, b) = (ms[0], ms[1]);
    let body = json!({"member_id": a, "amount": 100, "reason": "参加技能培训", "idempotency_key": "train-2024-05-a"});
    let (s, first) = app
        .post(&staff, "/api/v1/points/entries", body.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, again) = app.post(&staff, "/api/v1/points/entries", body).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the same key twice adds nothing the second time"
    );
    assert_eq!(again["id"], first["id"]);
    assert_eq!(balance(&app, &staff, a).await, 100);

    let before = app.fingerprint().await;
    let (s, _) = app.post(&staff, "/api/v1/points/entries", json!({"member_id": b, "amount": 5, "reason": "x", "idempotency_key": "train-2024-05-a"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "a key belongs to one member");
    let (s, e) = app
        .post(
            &staff,
            "/api/v1/points/entries",
            json!({"member_id": a, "amount": -101, "reason": "扣分"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("积分不足"));
    let (s, e) = app
        .post(
            &staff,
            "/api/v1/points/entries",
            json!({"member_id": a, "amount": 0, "reason": ""}),
        )
        .await;
    assert_eq!(
        (s, e["errors"].as_array().unwrap().len()),
        (StatusCode::UNPROCESSABLE_ENTITY, 2)
    );
    let outside = app.member_of("ZJ-HZ").await;
    let (s, _) = app
        .post(
            &staff,
            "/api/v1/points/entries",
            json!({"member_id": outside, "amount": 5, "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        before,
        app.fingerprint().await,
        "refused entries change nothing"
    );

    let (s, _) = app
        .post(
            &staff,
            "/api/v1/points/entries",
            json!({"member_id": a, "amount": -100, "reason": "扣分"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "down to exactly zero is fine");
    assert_eq!(balance(&app, &staff, a).await, 0);
    // A member sees their own balance without naming themself, and nobody else's.
    let worker = app.login("worker").await;
    let (s, own) = app.get(&worker, "/api/v1/points/balance").await;
    assert_eq!((s, own["balance"].as_i64()), (StatusCode::OK, Some(0)));
    let (s, _) = app
        .get(&worker, &format!("/api/v1/points/balance?member_id={b}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    ledger_is_consistent(&app).await;
}

#[tokio::test]
async fn redeeming_limits_cancelling_and_fulfilling() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let ms = town_members(&app, 2).await;
    let (rich, poor) = (ms[0], ms[1]);
    app.post(
        &staff,
        "/api/v1/points/entries",
        json!({"member_id": rich, "amount": 100, "reason": "培训"}),
    )
    .await;
    let (s, item) = app.post(&staff, "/api/v1/catalog/items", json!({"org_id": town, "name": "劳保手套", "price": 30, "stock": 2, "per_member_limit": 1})).await;
    assert_eq!(s, StatusCode::CREATED, "{item}");
    let id = item["id"].as_i64().unwrap();
    let (s, e) = app
        .post(
            &staff,
            "/api/v1/catalog/items",
            json!({"org_id": town, "name": "", "price": 0}),
        )
        .await;
    assert_eq!(
        (s, e["errors"].as_array().unwrap().len()),
        (StatusCode::UNPROCESSABLE_ENTITY, 3)
    );

    // Both members get accounts (the poor one signs in later, on the phone).
    let (rt, _) = (
        member_token(&app, rich).await,
        member_token(&app, poor).await,
    );
    // Members of the town see the town's catalogue.
    let (_, list) = app.get(&rt, "/api/v1/catalog/items").await;
    assert_eq!(list["items"][0]["id"], id);
    let (s, order) = app
        .call(
            Method::POST,
            &format!("/api/v1/catalog/items/{id}/redeem"),
            Some(&rt),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    assert_eq!(order["points"], 30);
    // Staff see who ordered by name and union, never as #id (issue 10).
    let (_, rich_member) = app.get(&staff, &format!("/api/v1/members/{rich}")).await;
    let name = rich_member["name"].as_str().unwrap().to_string();
    assert_eq!(order["member_name"], name.as_str());
    let mut page = crate::pages::Browser::login(&app, "jiangshan", "gongjiang").await;
    let html = page.page("/points").await.html;
    assert!(
        html.contains(&format!(">{name}</a>（")),
        "the pending order names its member"
    );
    assert!(
        !html.contains(&format!(">#{rich}<")),
        "no member appears as #id"
    );
    // On the phone, 兑换 is off with its reason: at the limit, or short of points.
    for (member, why) in [(rich, "已达每人限兑"), (poor, "积分不足")] {
        let username = format!("m{member}");
        let id = gongjiang::auth::store::id_by_username(&app.state.db, &app.state.keys, &username)
            .await
            .unwrap()
            .unwrap();
        gongjiang::auth::store::set_password(
            &app.state.db,
            &gongjiang::audit::Actor::cli(),
            id,
            "gongjiang",
        )
        .await
        .unwrap();
        let mut phone = crate::pages::Browser::login(&app, &username, "gongjiang").await;
        let html = phone.page("/m/catalog").await.html;
        assert!(
            html.contains(&format!("disabled>{why}</button>")),
            "{why}: {html}"
        );
    }
    // A new password ended the members' tokens: they sign in again.
    let (rt, pt) = (
        app.login(&format!("m{rich}")).await,
        app.login(&format!("m{poor}")).await,
    );
    assert_eq!(balance(&app, &staff, rich).await, 70);
    let (_, it) = app
        .get(&staff, &format!("/api/v1/catalog/items/{id}"))
        .await;
    assert_eq!(it["stock"], 1);

    let before = app.fingerprint().await;
    let (s, e) = app
        .call(
            Method::POST,
            &format!("/api/v1/catalog/items/{id}/redeem"),
            Some(&rt),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one per member: {e}");
    let (s, e) = app
        .call(
            Method::POST,
            &format!("/api/v1/catalog/items/{id}/redeem"),
            Some(&pt),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "too few points: {e}");
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/catalog/items/{id}/redeem"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "staff without a member record do not redeem"
    );
    assert_eq!(
        before,
        app.fingerprint().await,
        "refused redemptions leave stock and points as they were"
    );

    // The member cancels: points and stock come back, once.
    let oid = order["id"].as_i64().unwrap();
    let (s, c) = app
        .call(
            Method::POST,
            &format!("/api/v1/orders/{oid}/cancel"),
            Some(&rt),
            None,
        )
        .await;
    assert_eq!(
        (s, c["state"].as_str()),
        (StatusCode::OK, Some("cancelled"))
    );
    assert_eq!(balance(&app, &staff, rich).await, 100);
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/orders/{oid}/cancel"),
            Some(&rt),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(balance(&app, &staff, rich).await, 100, "no second refund");
    // Redeem again and the union hands it out.
    let (_, o2) = app
        .call(
            Method::POST,
            &format!("/api/v1/catalog/items/{id}/redeem"),
            Some(&rt),
            None,
        )
        .await;
    let o2 = o2["id"].as_i64().unwrap();
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/orders/{o2}/fulfil"),
            Some(&rt),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "members do not fulfil their own orders"
    );
    let (s, f) = app
        .call(
            Method::POST,
            &format!("/api/v1/orders/{o2}/fulfil"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(
        (s, f["state"].as_str()),
        (StatusCode::OK, Some("fulfilled"))
    );
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/orders/{o2}/cancel"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "a fulfilled order is not cancelled"
    );
    // Another town's staff cannot see the item or the order.
    let (_, mine) = app.get(&rt, "/api/v1/orders").await;
    assert_eq!(mine["total"], 2);
    ledger_is_consistent(&app).await;
}

#[tokio::test]
async fn two_hundred_buyers_fifty_in_stock() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let buyers = town_members(&app, 200).await;
    assert_eq!(buyers.len(), 200);
    for m in &buyers {
        let (s, _) = app
            .post(
                &staff,
                "/api/v1/points/entries",
                json!({"member_id": m, "amount": 100, "reason": "启动积分"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (_, item) = app.post(&staff, "/api/v1/catalog/items", json!({"org_id": town, "name": "电影票", "price": 10, "stock": 50, "per_member_limit": 1})).await;
    let id = item["id"].as_i64().unwrap();
    let mut tokens = vec![];
    for m in &buyers {
        tokens.push(member_token(&app, *m).await);
    }
    // All at once.
    let path = format!("/api/v1/catalog/items/{id}/redeem");
    let requests: Vec<_> = tokens.iter().map(|t| (t.clone(), None)).collect();
    let statuses = posts_at_once(&app, &path, requests).await;
    let ok = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let sold_out = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!(
        (ok, sold_out),
        (50, 150),
        "exactly the stock is sold: {statuses:?}"
    );
    let (_, it) = app
        .get(&staff, &format!("/api/v1/catalog/items/{id}"))
        .await;
    assert_eq!(it["stock"], 0);
    let spent: i64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM redemption_orders WHERE item_id = $1",
    )
    .bind(id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
    .get(0);
    assert_eq!(spent, 500);
    let total: i64 = sqlx::query("SELECT CAST(SUM(balance) AS BIGINT) FROM point_balances")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(total, 200 * 100 - 500, "points and stock add up");
    ledger_is_consistent(&app).await;
    // Each redemption appended its two audit entries in one go: the chain
    // holds, with one order entry and one ledger entry per redemption.
    let verified = gongjiang::audit::store::verify(&app.state.db)
        .await
        .unwrap();
    assert!(verified.is_ok(), "audit chain broken: {verified:?}");
    let (_, redeemed) = app.get(&staff, "/api/v1/audit?action=catalog.redeem").await;
    assert_eq!(redeemed["total"], 50, "{redeemed}");
}

#[derive(Debug, Clone)]
enum Op {
    /// Earn points that never expire, expire tomorrow, or expired already
    /// (as if the sweep had not run yet).
    Earn(usize, i64, Option<i64>),
    Spend(usize, i64),
    Redeem(usize, usize),
    Cancel(usize),
    /// The hourly expiry run.
    Sweep,
}

/// Random interleavings of earning, spending, redeeming and cancelling keep
/// every balance at or above zero and equal to the sum of its entries, and
/// every item's stock equal to what its live orders left.
#[test]
fn random_interleavings_keep_the_ledger_consistent() {
    use proptest::prelude::*;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, members, items, staff) = rt.block_on(async {
        let app = TestApp::spawn().await;
        let members = town_members(&app, 4).await;
        let staff = gongjiang::audit::Actor::system("proptest");
        let town = app.org_id("ZJ-NB-YZ-JS").await;
        let mut items = vec![];
        for (name, price, stock) in [("水杯", 7, 5), ("雨伞", 23, 3)] {
            let f = gongjiang::points::rules::ItemFields {
                name: Some(name.into()),
                price: Some(price),
                stock: Some(stock),
                per_member_limit: Some(0),
                ..Default::default()
            };
            items.push(
                gongjiang::points::store::create_item(
                    &app.state.db,
                    &staff,
                    &gongjiang::auth::Access::everything(),
                    town,
                    &f,
                )
                .await
                .unwrap(),
            );
        }
        (app, members, items, staff)
    });
    let op = prop_oneof![
        (
            0..4usize,
            1..40i64,
            prop_oneof![Just(None), Just(Some(-1i64)), Just(Some(86_400_000i64))]
        )
            .prop_map(|(m, a, e)| Op::Earn(m, a, e)),
        Just(Op::Sweep),
        (0..4usize, 1..40i64).prop_map(|(m, a)| Op::Spend(m, a)),
        (0..4usize, 0..2usize).prop_map(|(m, i)| Op::Redeem(m, i)),
        (0..20usize).prop_map(Op::Cancel),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 24,
        ..Default::default()
    });
    runner
        .run(&proptest::collection::vec(op, 1..30), |ops| {
            rt.block_on(async {
                let db = &app.state.db;
                for op in ops {
                    let now = gongjiang::db::now_ms();
                    let entry = |m: usize, amount: i64, expires: Option<i64>| gongjiang::ledger::store::NewEntry {
                        member_id: members[m],
                        org_id: 1,
                        amount,
                        reason: "prop",
                        source: "manual",
                        source_id: None,
                        key: None,
                        expires_at: expires.map(|e| now + e),
                    };
                    let _ = match op {
                        Op::Earn(m, a, e) => gongjiang::ledger::store::add_entry(db, &staff, entry(m, a, e)).await.map(|_| ()),
                        Op::Spend(m, a) => gongjiang::ledger::store::add_entry(db, &staff, entry(m, -a, None)).await.map(|_| ()),
                        Op::Sweep => gongjiang::ledger::store::expire_due(db, &staff, now).await.map(|_| ()),
                        Op::Redeem(m, i) => {
                            let item = gongjiang::points::store::item(db, &gongjiang::auth::Scope::everything(), items[i]).await.unwrap();
                            gongjiang::points::store::redeem(db, &staff, members[m], 1, &item).await.map(|_| ())
                        }
                        Op::Cancel(k) => {
                            let orders = gongjiang::points::store::orders(db, &gongjiang::auth::Scope::everything()).await.unwrap();
                            match orders.get(k % orders.len().max(1)) {
                                Some(o) => gongjiang::points::store::cancel(db, &staff, o).await.map(|_| ()),
                                None => Ok(()),
                            }
                        }
                    };
                }
                ledger_is_consistent(&app).await;
                for (i, initial) in items.iter().zip([5i64, 3]) {
                    let live: i64 = sqlx::query("SELECT COUNT(*) FROM redemption_orders WHERE item_id = $1 AND state <> 'cancelled'").bind(*i).fetch_one(&db.pool).await.unwrap().get(0);
                    let stock: i64 = sqlx::query("SELECT stock FROM catalog_items WHERE id = $1").bind(*i).fetch_one(&db.pool).await.unwrap().get(0);
                    assert_eq!(stock, initial - live, "stock of item {i}");
                    assert!(stock >= 0);
                }
            });
            Ok(())
        })
        .unwrap();
}

/// The worker's phone: balance, catalogue, redeem, orders, cancel — through
/// the pages, with their CSRF token, at a phone's width of HTML.
#[tokio::test]
async fn a_worker_redeems_on_the_phone_pages() {
    use crate::pages::{csrf_of, Browser};
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let own: i64 = sqlx::query("SELECT member_id FROM accounts WHERE username = 'worker'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    app.post(
        &staff,
        "/api/v1/points/entries",
        json!({"member_id": own, "amount": 80, "reason": "参加技能培训"}),
    )
    .await;
    let (_, item) = app.post(&staff, "/api/v1/catalog/items", json!({"org_id": town, "name": "保温杯", "price": 50, "stock": 3, "per_member_limit": 1})).await;
    let id = item["id"].as_i64().unwrap();

    let mut b = Browser::login(&app, "worker", "gongjiang").await;
    let home = b.page("/m").await;
    assert!(
        home.html.contains("可用积分") && home.html.contains(">80<"),
        "{}",
        home.html
    );
    assert!(home.html.contains("width=device-width"));
    let hist = b.page("/m/points").await;
    assert!(hist.html.contains("参加技能培训") && hist.html.contains("+80"));
    let cat = b.page("/m/catalog").await;
    assert!(cat.html.contains("保温杯") && cat.html.contains("每人限 1 件"));
    let csrf = csrf_of(&cat.html);

    let before = app.fingerprint().await;
    let refused = b
        .post(&format!("/m/catalog/{id}/redeem"), &[("csrf", "forged")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(before, app.fingerprint().await);

    let done = b
        .post(&format!("/m/catalog/{id}/redeem"), &[("csrf", &csrf)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let orders = b.page(done.location.as_deref().unwrap()).await;
    assert!(
        orders.html.contains("兑换成功") && orders.html.contains("待领取"),
        "{}",
        orders.html
    );
    assert_eq!(balance(&app, &staff, own).await, 30);
    // Over the limit: the catalogue says why.
    let again = b
        .post(&format!("/m/catalog/{id}/redeem"), &[("csrf", &csrf)])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.html.contains("每人限兑"), "{}", again.html);
    // Cancel gives the points back.
    let oid: i64 = sqlx::query("SELECT id FROM redemption_orders WHERE member_id = $1")
        .bind(own)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    let cancelled = b
        .post(&format!("/m/orders/{oid}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    assert!(b.page("/m/orders").await.html.contains("已取消"));
    assert_eq!(balance(&app, &staff, own).await, 80);
    // Staff without a member record are sent nowhere near these pages.
    let mut s = Browser::login(&app, "jiangshan", "gongjiang").await;
    assert_eq!(s.get("/m").await.status, StatusCode::FORBIDDEN);
    ledger_is_consistent(&app).await;
}

#[tokio::test]
async fn rules_pay_once_per_event_and_the_nearest_union_decides() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let (town, yizhou, huarui) = (
        app.org_id("ZJ-NB-YZ-JS").await,
        app.org_id("JS-YIZHOU").await,
        app.org_id("JS-HUARUI").await,
    );
    let (s, r) = app
        .post(
            &staff,
            "/api/v1/points/rules",
            json!({"org_id": town, "code": "course_completed", "label": "完成课程", "points": 10}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, _) = app.post(&staff, "/api/v1/points/rules", json!({"org_id": yizhou, "code": "course_completed", "label": "完成一舟学院课程", "points": 15})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = app
        .post(
            &staff,
            "/api/v1/points/rules",
            json!({"org_id": town, "code": "坏代码", "label": "", "points": 0}),
        )
        .await;
    assert_eq!(
        (s, e["errors"].as_array().unwrap().len()),
        (StatusCode::UNPROCESSABLE_ENTITY, 3)
    );

    let (h, y) = (
        app.member_of("JS-HUARUI").await,
        app.member_of("JS-YIZHOU").await,
    );
    let award =
        |m: i64, event: &str| json!({"member_id": m, "rule": "course_completed", "event": event});
    let (s, a) = app
        .post(&staff, "/api/v1/points/awards", award(h, "course:1"))
        .await;
    assert_eq!(
        (s, a["balance"].as_i64()),
        (StatusCode::CREATED, Some(10)),
        "{a}"
    );
    let (s, a) = app
        .post(&staff, "/api/v1/points/awards", award(h, "course:1"))
        .await;
    assert_eq!(
        (s, a["balance"].as_i64(), a["added"].as_bool()),
        (StatusCode::OK, Some(10), Some(false)),
        "the same event pays once"
    );
    let (_, a) = app
        .post(&staff, "/api/v1/points/awards", award(h, "course:2"))
        .await;
    assert_eq!(a["balance"], 20);
    let (_, a) = app
        .post(&staff, "/api/v1/points/awards", award(y, "course:1"))
        .await;
    assert_eq!(
        a["balance"], 15,
        "一舟's own rule is nearer than the town's"
    );
    let (_, rules) = app
        .get(&staff, &format!("/api/v1/points/rules?member_id={y}"))
        .await;
    assert_eq!(rules["items"][0]["points"], 15);

    let before = app.fingerprint().await;
    let (s, _) = app
        .post(
            &staff,
            "/api/v1/points/awards",
            json!({"member_id": h, "rule": "no_such_rule", "event": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .post(
            &staff,
            "/api/v1/points/awards",
            award(app.member_of("ZJ-HZ").await, "course:1"),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "湖州 is outside the town");
    assert_eq!(before, app.fingerprint().await);

    // The leaderboard ranks what was earned; a tie shares its rank; a subtree sees its own.
    let other = town_members(&app, 300)
        .await
        .into_iter()
        .find(|m| *m != h && *m != y)
        .unwrap();
    app.post(
        &staff,
        "/api/v1/points/entries",
        json!({"member_id": other, "amount": 15, "reason": "志愿服务"}),
    )
    .await;
    let (s, board) = app
        .get(&staff, &format!("/api/v1/points/leaderboard?org_id={town}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{board}");
    let ranks: Vec<(i64, i64, i64)> = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["rank"].as_i64().unwrap(),
                x["member_id"].as_i64().unwrap(),
                x["points"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ranks[0], (1, h, 20));
    assert_eq!(
        (ranks[1].0, ranks[2].0, ranks[1].2, ranks[2].2),
        (2, 2, 15, 15),
        "{ranks:?}"
    );
    let (_, hb) = app
        .get(
            &staff,
            &format!("/api/v1/points/leaderboard?org_id={huarui}"),
        )
        .await;
    assert!(hb["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["member_id"] != y));
    let (_, future) = app
        .get(
            &staff,
            &format!("/api/v1/points/leaderboard?org_id={town}&from=2099-01-01"),
        )
        .await;
    assert_eq!(future["total"], 0);
    // The same event sent sixteen times at once pays once, and every one of
    // them is answered (SQLite once answered "database is locked" as 500).
    let raced = award(h, "course:race");
    let requests = (0..16)
        .map(|_| (staff.clone(), Some(raced.clone())))
        .collect();
    let mut statuses = posts_at_once(&app, "/api/v1/points/awards", requests).await;
    statuses.sort();
    assert_eq!(
        (
            statuses[..15].iter().all(|s| *s == StatusCode::OK),
            statuses[15]
        ),
        (true, StatusCode::CREATED),
        "{statuses:?}"
    );
    let (_, b) = app
        .get(&staff, &format!("/api/v1/points/balance?member_id={h}"))
        .await;
    assert_eq!(b["balance"], 30, "course:1, course:2 and the raced one");
    ledger_is_consistent(&app).await;
}

#[tokio::test]
async fn staff_run_the_catalogue_from_the_console() {
    use crate::pages::{csrf_of, Browser};
    let app = TestApp::spawn().await;
    let own: i64 = sqlx::query("SELECT member_id FROM accounts WHERE username = 'worker'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    let town = app.org_id("ZJ-NB-YZ-JS").await.to_string();
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let page = b.page("/points").await;
    let csrf = csrf_of(&page.html);
    assert!(page.html.contains("上架物品") && page.html.contains("保存规则"));

    let bad = b
        .post(
            "/points/items",
            &[
                ("csrf", &csrf),
                ("org_id", &town),
                ("name", ""),
                ("price", "0"),
                ("stock", "x"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.html.contains("不是整数") || bad.html.contains("请填写"),
        "{}",
        bad.html
    );
    let ok = b
        .post(
            "/points/items",
            &[
                ("csrf", &csrf),
                ("org_id", &town),
                ("name", "雨伞"),
                ("price", "20"),
                ("stock", "5"),
                ("per_member_limit", "0"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.html.contains("已上架“雨伞”"));
    let rule = b
        .post(
            "/points/rules",
            &[
                ("csrf", &csrf),
                ("org_id", &town),
                ("code", "feedback"),
                ("label", "提交课程反馈"),
                ("points", "2"),
            ],
        )
        .await;
    assert!(
        rule.html.contains("规则“提交课程反馈”已保存"),
        "{}",
        rule.html
    );
    let granted = b
        .post(
            "/points/grant",
            &[
                ("csrf", &csrf),
                ("member_id", &format!("编号 {own}")),
                ("amount", "40"),
                ("reason", "优秀学员"),
            ],
        )
        .await;
    assert!(granted.html.contains("记 40 分"), "{}", granted.html);
    assert!(granted.html.contains("今年积分排行") && granted.html.contains(">40<"));

    // The worker redeems; the order waits on the console until it is handed out.
    let mut w = Browser::login(&app, "worker", "gongjiang").await;
    let cat = w.page("/m/catalog").await;
    let id: i64 = sqlx::query("SELECT id FROM catalog_items WHERE name = '雨伞'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        w.post(
            &format!("/m/catalog/{id}/redeem"),
            &[("csrf", &csrf_of(&cat.html))]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    let page = b.page("/points").await;
    let oid: i64 = sqlx::query("SELECT id FROM redemption_orders")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    assert!(page.html.contains(&format!("/points/orders/{oid}/fulfil")));
    let f = b
        .post(&format!("/points/orders/{oid}/fulfil"), &[("csrf", &csrf)])
        .await;
    assert!(f.html.contains("已发放"), "{}", f.html);
    assert!(w.page("/m/orders").await.html.contains("已领取"));
    // Without the CSRF token nothing happens.
    let before = app.fingerprint().await;
    let forged = b
        .post(
            "/points/grant",
            &[
                ("csrf", "nope"),
                ("member_id", &format!("编号 {own}")),
                ("amount", "99"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(before, app.fingerprint().await);
}

/// Lets time pass for one lot: its validity ends a second ago.
async fn run_out(app: &TestApp, lot: i64) {
    sqlx::query("UPDATE point_entries SET expires_at = $1 WHERE id = $2")
        .bind(gongjiang::db::now_ms() - 1_000)
        .bind(lot)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
}

async fn remaining(app: &TestApp, lot: i64) -> i64 {
    sqlx::query("SELECT remaining FROM point_entries WHERE id = $1")
        .bind(lot)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0)
}

/// Points that a rule makes valid for N days: spent first, never spendable once
/// run out, swept by a debit entry (balance = sum of entries), given back to
/// their own lot when an order is cancelled; rankings keep the lifetime total.
#[tokio::test]
async fn points_expire_soonest_first_and_refunds_keep_their_expiry() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let m = town_members(&app, 1).await[0];

    let (s, e) = app
        .post(&staff, "/api/v1/points/rules", json!({"org_id": town, "code": "signin", "label": "签到", "points": 5, "valid_days": 0}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["errors"][0]["field"], "valid_days");
    let (s, rule) = app
        .post(&staff, "/api/v1/points/rules", json!({"org_id": town, "code": "signin", "label": "签到", "points": 5, "valid_days": 7}))
        .await;
    assert_eq!(
        (s, rule["valid_days"].as_i64()),
        (StatusCode::CREATED, Some(7))
    );
    let (s, paid) = app
        .post(
            &staff,
            "/api/v1/points/awards",
            json!({"member_id": m, "rule": "signin", "event": "2026-11-22"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{paid}");
    let week = paid["entry"]["expires_at"].as_i64().unwrap()
        - paid["entry"]["created_at"].as_i64().unwrap();
    assert!(
        (week - 7 * 86_400_000).abs() < 5_000,
        "valid for 7 days: {week}"
    );

    let (_, lot) = app
        .post(
            &staff,
            "/api/v1/points/entries",
            json!({"member_id": m, "amount": 100, "reason": "季度之星", "valid_days": 30}),
        )
        .await;
    let lot = lot["id"].as_i64().unwrap();
    let (s, e) = app
        .post(
            &staff,
            "/api/v1/points/entries",
            json!({"member_id": m, "amount": -1, "reason": "更正", "valid_days": 30}),
        )
        .await;
    assert_eq!(
        (s, e["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("valid_days"))
    );
    app.post(
        &staff,
        "/api/v1/points/entries",
        json!({"member_id": m, "amount": 50, "reason": "长期有效"}),
    )
    .await;
    let (_, b) = app
        .get(&staff, &format!("/api/v1/points/balance?member_id={m}"))
        .await;
    assert_eq!(
        (b["balance"].as_i64(), b["lifetime"].as_i64()),
        (Some(155), Some(155))
    );
    assert_eq!(b["expiring_30d"], 105);
    assert!(b["next_expiry_at"].as_i64().unwrap() > gongjiang::db::now_ms() + 6 * 86_400_000);

    // A 30-point redemption takes from the lots that expire first: the 5-point
    // signin lot (7 days), then 25 of the 100 (30 days); the 50 stay whole.
    let (_, item) = app
        .post(&staff, "/api/v1/catalog/items", json!({"org_id": town, "name": "工具包", "price": 30, "stock": 5, "per_member_limit": 0}))
        .await;
    let item = item["id"].as_i64().unwrap();
    let worker = member_token(&app, m).await;
    let redeem = format!("/api/v1/catalog/items/{item}/redeem");
    let (s, order) = app.call(Method::POST, &redeem, Some(&worker), None).await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    assert_eq!(remaining(&app, lot).await, 75);

    // The 100-point lot runs out: its 75 are no longer spendable, before any sweep.
    run_out(&app, lot).await;
    assert_eq!(balance(&app, &staff, m).await, 50);
    let before = app.fingerprint().await;
    let (_, dear) = app
        .post(
            &staff,
            "/api/v1/catalog/items",
            json!({"org_id": town, "name": "电钻", "price": 60, "stock": 5, "per_member_limit": 0}),
        )
        .await;
    let dear = dear["id"].as_i64().unwrap();
    let after_item = app.fingerprint().await;
    assert_ne!(before, after_item);
    let (s, e) = app
        .call(
            Method::POST,
            &format!("/api/v1/catalog/items/{dear}/redeem"),
            Some(&worker),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // A refused redemption leaves nothing behind, not even the sweep it began with.
    assert_eq!(after_item, app.fingerprint().await);

    // The hourly sweep writes the expiry as a debit entry, once.
    let actor = gongjiang::audit::Actor::system("test");
    let now = gongjiang::db::now_ms();
    assert_eq!(
        gongjiang::ledger::store::expire_due(&app.state.db, &actor, now)
            .await
            .unwrap(),
        75
    );
    assert_eq!(
        gongjiang::ledger::store::expire_due(&app.state.db, &actor, now)
            .await
            .unwrap(),
        0
    );
    let (_, hist) = app
        .get(&staff, &format!("/api/v1/points/entries?member_id={m}"))
        .await;
    assert_eq!(hist["items"][0]["amount"], -75);
    assert!(hist["items"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("到期"));
    assert_eq!(balance(&app, &staff, m).await, 50);
    ledger_is_consistent(&app).await;

    // Cancelling the order gives the 25 back to their (expired) lot and the 5
    // to the signin lot: only the 5 are spendable again; the sweep takes the 25.
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/orders/{}/cancel", order["id"]),
            Some(&worker),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(remaining(&app, lot).await, 25);
    assert_eq!(balance(&app, &staff, m).await, 55);
    assert_eq!(
        gongjiang::ledger::store::expire_due(&app.state.db, &actor, gongjiang::db::now_ms())
            .await
            .unwrap(),
        25
    );
    let (_, b) = app
        .get(&staff, &format!("/api/v1/points/balance?member_id={m}"))
        .await;
    assert_eq!(
        (b["balance"].as_i64(), b["lifetime"].as_i64()),
        (Some(55), Some(155)),
        "a refund is not earning"
    );
    ledger_is_consistent(&app).await;
    let (_, audit) = app.get(&staff, "/api/v1/audit?action=points.expire").await;
    assert_eq!(audit["total"], 2, "{audit}");
}

/// An item redeemable until a day: after it, members no longer see it and a
/// redemption is refused (409) with the date, changing nothing; staff can
/// move or remove the end.
#[tokio::test]
async fn items_can_only_be_redeemed_until_their_last_day() {
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let m = town_members(&app, 1).await[0];
    app.post(
        &staff,
        "/api/v1/points/entries",
        json!({"member_id": m, "amount": 100, "reason": "技能比武"}),
    )
    .await;
    let (s, e) = app
        .post(&staff, "/api/v1/catalog/items", json!({"org_id": town, "name": "月饼", "price": 10, "stock": 5, "valid_until": "2026-02-30"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["errors"][0]["field"], "valid_until");
    // An end already past is refused (so is 1900): to end redemption now, staff take the item off.
    for past in ["2020-09-30", "1900-01-01"] {
        let (s, e) = app
            .post(&staff, "/api/v1/catalog/items", json!({"org_id": town, "name": "月饼", "price": 10, "stock": 5, "valid_until": past}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(
            e["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("不能早于今天"),
            "{e}"
        );
    }
    let (s, item) = app
        .post(&staff, "/api/v1/catalog/items", json!({"org_id": town, "name": "月饼", "price": 10, "stock": 5, "valid_until": "2090-09-30"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{item}");
    let id = item["id"].as_i64().unwrap();
    // Time passes: the item's last day (2020-09-30) is behind us.
    let ended = gongjiang::db::date_start_ms("2020-09-30", true).unwrap();
    sqlx::query("UPDATE catalog_items SET valid_until = $1 WHERE id = $2")
        .bind(ended)
        .bind(id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();

    let worker = member_token(&app, m).await;
    let (_, list) = app.get(&worker, "/api/v1/catalog/items").await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != id),
        "an ended item is not offered: {list}"
    );
    let before = app.fingerprint().await;
    let (s, e) = app
        .call(
            Method::POST,
            &format!("/api/v1/catalog/items/{id}/redeem"),
            Some(&worker),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(
        e["detail"].as_str().unwrap().contains("2020-09-30 截止"),
        "{e}"
    );
    assert_eq!(before, app.fingerprint().await);

    // Staff move the end into the future, then remove it.
    let (s, moved) = app
        .patch(
            &staff,
            &format!("/api/v1/catalog/items/{id}"),
            json!({"valid_until": "2099-12-31"}),
        )
        .await;
    assert_eq!(
        (s, moved["valid_until"].as_str()),
        (StatusCode::OK, Some("2099-12-31"))
    );
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/catalog/items/{id}/redeem"),
            Some(&worker),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, kept) = app
        .patch(
            &staff,
            &format!("/api/v1/catalog/items/{id}"),
            json!({"stock": 9}),
        )
        .await;
    assert_eq!(kept["valid_until"], "2099-12-31", "what is left out stays");
    let (_, open) = app
        .patch(
            &staff,
            &format!("/api/v1/catalog/items/{id}"),
            json!({"valid_until": ""}),
        )
        .await;
    assert!(open["valid_until"].is_null(), "{open}");
}

/// Staff grant points to a member named as they know them: by name when the
/// name is unique, and when two people share it the form lists both (union,
/// member number) and grants nothing.
#[tokio::test]
async fn staff_grant_points_by_name_or_number() {
    use crate::pages::{csrf_of, Browser};
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let yizhou = app.org_id("JS-YIZHOU").await;
    let huarui = app.org_id("JS-HUARUI").await;
    let mut ids = vec![];
    for (n, org) in [(901, yizhou), (902, huarui)] {
        let (s, m) = app
            .post(&staff, "/api/v1/members", json!({"name": "欧阳同名", "id_number": crate::support::id_number(n), "org_id": org}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        ids.push(m["id"].as_i64().unwrap());
    }
    let (_, one) = app
        .post(&staff, "/api/v1/members", json!({"name": "司马独一", "id_number": crate::support::id_number(903), "org_id": yizhou}))
        .await;
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let page = b.page("/points").await;
    let csrf = csrf_of(&page.html);

    let before = app.fingerprint().await;
    let twice = b
        .post(
            "/points/grant",
            &[
                ("csrf", &csrf),
                ("member_id", "欧阳同名"),
                ("amount", "10"),
                ("reason", "技能比武"),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        twice.html.contains("有 2 位")
            && twice.html.contains(&format!("编号 {}", ids[0]))
            && twice.html.contains(&format!("编号 {}", ids[1])),
        "{}",
        twice.html
    );
    assert_eq!(before, app.fingerprint().await);

    let by_name = b
        .post(
            "/points/grant",
            &[
                ("csrf", &csrf),
                ("member_id", "司马独一"),
                ("amount", "10"),
                ("reason", "技能比武"),
            ],
        )
        .await;
    assert!(
        by_name.status.is_success() || by_name.status == StatusCode::SEE_OTHER,
        "{}",
        by_name.html
    );
    assert_eq!(balance(&app, &staff, one["id"].as_i64().unwrap()).await, 10);
    let by_number = b
        .post(
            "/points/grant",
            &[
                ("csrf", &csrf),
                // As the refusal above lists it: 编号 N (digits alone are a card number).
                ("member_id", &format!("编号 {}", ids[1])),
                ("amount", "7"),
                ("reason", "技能比武"),
            ],
        )
        .await;
    assert!(by_number.status.is_success() || by_number.status == StatusCode::SEE_OTHER);
    assert_eq!(balance(&app, &staff, ids[1]).await, 7);
}

/// Sends every `(token, body)` as a POST to `path` at the same moment and
/// returns the statuses in the order given.
async fn posts_at_once(
    app: &TestApp,
    path: &str,
    requests: Vec<(String, Option<Value>)>,
) -> Vec<StatusCode> {
    let url = app.url(path);
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(token, body)| {
            let mut request = app.client.post(url.clone()).bearer_auth(token);
            if let Some(body) = body {
                request = request.json(&body);
            }
            tokio::spawn(async move { request.send().await.unwrap().status() })
        })
        .collect();
    let mut statuses = vec![];
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

#[tokio::test]
async fn the_rule_form_names_events_in_chinese_generates_codes_and_keeps_what_was_typed() {
    use crate::pages::{csrf_of, Browser};
    let app = TestApp::spawn().await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let mut b = Browser::login(&app, "jiangshan", "gongjiang").await;
    let page = b.page("/points").await;
    let csrf = csrf_of(&page.html);
    // The academy's events are offered by name; no code is asked for.
    assert!(
        page.html
            .contains(r#"<option value="course_completed" >完成课程</option>"#),
        "{}",
        page.html
    );
    assert!(page.html.contains(">课程评价</option>") && page.html.contains("其他事项（填写名称）"));
    assert!(!page.html.contains("规则代码"));

    // A mistake keeps what was typed, in that form only.
    let bad = b
        .post(
            "/points/rules",
            &[
                ("csrf", &csrf),
                ("org_id", &town.to_string()),
                ("code", ""),
                ("label", "志愿服务"),
                ("points", "0"),
                ("valid_days", "30"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains(r#"value="志愿服务""#), "{}", bad.html);
    assert!(bad
        .html
        .contains(r#"name="valid_days" min="1" max="3650" value="30""#));
    assert!(bad.html.contains(r#"<option value="" selected>其他事项"#));

    // A rule of the union's own gets a generated code; saved again by name, it changes.
    for points in ["3", "4"] {
        let ok = b
            .post(
                "/points/rules",
                &[
                    ("csrf", &csrf),
                    ("org_id", &town.to_string()),
                    ("code", ""),
                    ("label", "志愿服务"),
                    ("points", points),
                ],
            )
            .await;
        assert!(ok.html.contains("规则“志愿服务”已保存"), "{}", ok.html);
    }
    // An event keeps its own name when none is typed.
    let ok = b
        .post(
            "/points/rules",
            &[
                ("csrf", &csrf),
                ("org_id", &town.to_string()),
                ("code", "feedback"),
                ("label", ""),
                ("points", "2"),
            ],
        )
        .await;
    assert!(ok.html.contains("规则“课程评价”已保存"), "{}", ok.html);
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT code, label, points FROM point_rules WHERE org_id = $1 ORDER BY code",
    )
    .bind(town)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("custom-1".to_string(), "志愿服务".to_string(), 4),
            ("feedback".to_string(), "课程评价".to_string(), 2)
        ]
    );
    // The union's own rule is now a choice of the form, by its name.
    let page = b.page("/points").await;
    assert!(
        page.html
            .contains(r#"<option value="custom-1" >志愿服务</option>"#),
        "{}",
        page.html
    );
    // The API may leave the code out too.
    let token = app.login("jiangshan").await;
    let (s, r) = app
        .post(
            &token,
            "/api/v1/points/rules",
            serde_json::json!({"org_id": town, "label": "献血", "points": 20}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["code"], "custom-2");
}
