//! Redemptions under 200 concurrent buyers, through the release server:
//!
//!   cargo bench --bench points                      (SQLite and PostgreSQL in one run)
//!   cargo bench --bench points -- --backend sqlite   (or postgres: one of them)
//!   GONGJIANG_BENCH_BEFORE=<older gongjiang binary> cargo bench --bench points
//!     (that build and this one serve the same load in alternating rounds)
//!
//! A synthetic town of members with points and member accounts; one item with
//! ample stock; 200 clients redeem at once until N redemptions are done. Then
//! stock and points are checked to add up (no oversell, no lost points).

use sqlx::Row;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gongjiang");
const BUYERS: usize = 200;
const REDEMPTIONS: usize = 6000;

#[tokio::main]
async fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let backends: Vec<String> = match argv
        .iter()
        .position(|a| a == "--backend")
        .and_then(|i| argv.get(i + 1))
    {
        Some(b) => vec![b.clone()],
        // Both in one run, so that their ratio is measured on one machine at one time.
        None => vec!["sqlite".into(), "postgres".into()],
    };
    sqlx::any::install_default_drivers();
    // An older build of the server (GONGJIANG_BENCH_BEFORE=<its gongjiang binary>)
    // serves the same load in alternating rounds: before, this, before, this.
    let before = std::env::var("GONGJIANG_BENCH_BEFORE").ok();
    let builds: Vec<(&str, &str)> = match &before {
        Some(b) => vec![("before", b.as_str()), ("this", BIN)],
        None => vec![("this", BIN)],
    };
    let rounds = if before.is_some() { 2 } else { 1 };
    let mut md = format!(
        "Redemptions under {BUYERS} concurrent buyers, {REDEMPTIONS} per run; after every run stock = 1,000,000 − orders and the points balances = granted − 10 × orders (checked).\n\n| round | build | backend | redemptions/s | p50 | p99 |\n| ---: | --- | --- | ---: | ---: | ---: |\n"
    );
    let mut rates: Vec<(&str, String, f64)> = vec![];
    for round in 1..=rounds {
        for &(label, bin) in &builds {
            for backend in &backends {
                eprintln!("[points] round {round}, {label}, {backend} …");
                let (rate, p50, p99) = run(backend, bin).await;
                md.push_str(&format!(
                    "| {round} | {label} | {backend} | {rate:.0} | {p50:.1} ms | {p99:.1} ms |\n"
                ));
                rates.push((label, backend.clone(), rate));
            }
        }
    }
    let mean = |label: &str, backend: &str| {
        let v: Vec<f64> = rates
            .iter()
            .filter(|(l, b, _)| *l == label && b == backend)
            .map(|(_, _, r)| *r)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    md.push('\n');
    if let (Some(s), Some(p)) = (mean("this", "sqlite"), mean("this", "postgres")) {
        md.push_str(&format!(
            "PostgreSQL ÷ SQLite (this build): **{:.0} %**.\n",
            100.0 * p / s
        ));
    }
    for backend in &backends {
        if let (Some(b), Some(t)) = (mean("before", backend), mean("this", backend)) {
            md.push_str(&format!(
                "{backend}, this build ÷ the one before: **{:.2}×**.\n",
                t / b
            ));
        }
    }
    println!("{md}");
}

/// One run on a fresh database served by `bin`: (redemptions/s, p50 ms, p99 ms).
async fn run(backend: &str, bin: &str) -> (f64, f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.key");
    let pg_admin = std::env::var("GONGJIANG_BENCH_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let url = if backend == "postgres" {
        let pool = sqlx::AnyPool::connect(&pg_admin).await.unwrap();
        let _ = sqlx::query("DROP DATABASE IF EXISTS gj_bench_points WITH (FORCE)")
            .execute(&pool)
            .await;
        sqlx::query("CREATE DATABASE gj_bench_points")
            .execute(&pool)
            .await
            .unwrap();
        format!("{}/gj_bench_points", pg_admin.rsplit_once('/').unwrap().0)
    } else {
        format!("sqlite://{}", dir.path().join("p.db").display())
    };

    // Members, points, accounts and one item, straight through the library.
    let (db, keys) = gongjiang::config::open(&url, Some(&key)).await.unwrap();
    gongjiang::seed::synthetic::build(
        &db,
        &keys,
        BUYERS as u64,
        5,
        gongjiang::seed::synthetic::Target::Database,
    )
    .await
    .unwrap();
    let members: Vec<(i64, i64)> = sqlx::query("SELECT id, org_id FROM members ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let actor = gongjiang::audit::Actor::system("bench");
    let root = gongjiang::org::store::get_by_code(&db, gongjiang::seed::synthetic::ROOT_CODE)
        .await
        .unwrap()
        .unwrap();
    let mut tokens = vec![];
    let now = gongjiang::db::now_ms();
    for (m, org) in &members {
        let e = gongjiang::ledger::store::NewEntry {
            member_id: *m,
            org_id: *org,
            amount: 100_000,
            reason: "bench",
            source: "manual",
            source_id: None,
            key: None,
            expires_at: None,
        };
        gongjiang::ledger::store::add_entry(&db, &actor, e)
            .await
            .unwrap();
        let id: i64 = sqlx::query("INSERT INTO accounts (username, password_hash, member_id, disabled, created_at, updated_at) VALUES ($1, 'x', $2, 0, $3, $3) RETURNING id")
            .bind(format!("buyer{m}"))
            .bind(m)
            .bind(now)
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .get(0);
        sqlx::query("INSERT INTO assignments (account_id, role, org_id) VALUES ($1, 'member', $2)")
            .bind(id)
            .bind(org)
            .execute(&db.pool)
            .await
            .unwrap();
        tokens.push(
            gongjiang::auth::session::create(&db, id, gongjiang::auth::session::API)
                .await
                .unwrap(),
        );
    }
    let f = gongjiang::points::rules::ItemFields {
        name: Some("电影票".into()),
        price: Some(10),
        stock: Some(1_000_000),
        per_member_limit: Some(0),
        ..Default::default()
    };
    let item = gongjiang::points::store::create_item(
        &db,
        &actor,
        &gongjiang::auth::Access::everything(),
        root.id,
        &f,
    )
    .await
    .unwrap();
    db.pool.close().await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(bin)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--db",
            &url,
            "--key-file",
        ])
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(BUYERS)
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while !client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .map(|r| r.status().is_success())
        .unwrap_or(false)
    {
        assert!(started.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let url = format!("{base}/api/v1/catalog/items/{item}/redeem");
    let started = Instant::now();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            let (client, url, done) = (client.clone(), url.clone(), done.clone());
            tokio::spawn(async move {
                let mut lat = vec![];
                while done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < REDEMPTIONS {
                    let t0 = Instant::now();
                    let s = client
                        .post(&url)
                        .bearer_auth(&t)
                        .send()
                        .await
                        .unwrap()
                        .status();
                    assert_eq!(s, reqwest::StatusCode::CREATED);
                    lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                }
                lat
            })
        })
        .collect();
    let mut lat = vec![];
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = server.kill();
    let _ = server.wait();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];

    let (db, _) = gongjiang::config::open(&url_of(backend, &pg_admin, dir.path()), Some(&key))
        .await
        .unwrap();
    let stock: i64 = sqlx::query("SELECT stock FROM catalog_items WHERE id = $1")
        .bind(item)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0);
    let orders: i64 = sqlx::query("SELECT COUNT(*) FROM redemption_orders")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0);
    let points: i64 = sqlx::query("SELECT CAST(SUM(balance) AS BIGINT) FROM point_balances")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(stock, 1_000_000 - orders, "stock and orders add up");
    assert_eq!(
        points,
        members.len() as i64 * 100_000 - orders * 10,
        "points and orders add up"
    );
    if backend == "postgres" {
        if let Ok(pool) = sqlx::AnyPool::connect(&pg_admin).await {
            db.pool.close().await;
            let _ = sqlx::query("DROP DATABASE IF EXISTS gj_bench_points WITH (FORCE)")
                .execute(&pool)
                .await;
        }
    }
    (lat.len() as f64 / secs, pct(0.5), pct(0.99))
}

fn url_of(backend: &str, pg_admin: &str, dir: &std::path::Path) -> String {
    if backend == "postgres" {
        format!("{}/gj_bench_points", pg_admin.rsplit_once('/').unwrap().0)
    } else {
        format!("sqlite://{}", dir.join("p.db").display())
    }
}
