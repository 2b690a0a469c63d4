//! Starts the real app on a random port against a fresh database: a temp
//! SQLite file, or — when GONGJIANG_TEST_POSTGRES holds a URL — a new
//! PostgreSQL database created for this test.

use gongjiang::app::{self, AppState};
use gongjiang::config;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Row;
use std::net::SocketAddr;

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub client: reqwest::Client,
    pub db_url: String,
    pub key_file: std::path::PathBuf,
    pub dir: tempfile::TempDir,
}

pub fn postgres_url() -> Option<String> {
    std::env::var("GONGJIANG_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
}

/// A fresh, empty database URL (SQLite in `dir`, or a new PostgreSQL database).
pub async fn fresh_db_url(dir: &std::path::Path) -> String {
    match postgres_url() {
        None => format!("sqlite://{}", dir.join("test.db").display()),
        Some(admin_url) => {
            sqlx::any::install_default_drivers();
            let token = gongjiang::auth::session::random_token()
                .to_lowercase()
                .replace(['-', '_'], "");
            let name = format!("gj_test_{}", &token[..16]);
            let pool = sqlx::AnyPool::connect(&admin_url)
                .await
                .expect("GONGJIANG_TEST_POSTGRES is set but PostgreSQL does not answer");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .expect("create test database");
            pool.close().await;
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin_url);
            format!("{base}/{name}")
        }
    }
}

impl TestApp {
    /// The app with the demo data loaded.
    pub async fn spawn() -> TestApp {
        let app = TestApp::spawn_empty().await;
        load_fixture(&app.state.db, &app.state.keys).await;
        app
    }

    pub async fn spawn_empty() -> TestApp {
        TestApp::spawn_configured(|s| s).await
    }

    /// An empty app whose state is changed by `configure` before it serves.
    pub async fn spawn_configured(configure: impl FnOnce(AppState) -> AppState) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = fresh_db_url(dir.path()).await;
        let key_file = dir.path().join("test.key");
        let (db, keys) = config::open(&db_url, Some(&key_file))
            .await
            .expect("open database");
        let state = AppState::new(db, keys)
            .with_files(dir.path().join("files"))
            .with_parser(gongjiang::roster::isolate::Parser::with_exe(env!(
                "CARGO_BIN_EXE_gongjiang"
            )));
        let state = configure(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        app::spawn(state.clone(), listener);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            addr,
            state,
            client,
            db_url,
            key_file,
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn login(&self, username: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                Some(serde_json::json!({"username": username, "password": "gongjiang"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().expect("token").to_string()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = resp.text().await.expect("body");
        // Every API error is problem+json.
        if (status.is_client_error() || status.is_server_error()) && path.starts_with("/api/") {
            assert_eq!(
                ctype, "application/problem+json",
                "{path} answered {status} with {ctype}: {text}"
            );
        }
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn org_id(&self, code: &str) -> i64 {
        gongjiang::org::store::get_by_code(&self.state.db, code)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    /// Some member of an organisation (lowest id).
    pub async fn member_of(&self, code: &str) -> i64 {
        let org = self.org_id(code).await;
        sqlx::query("SELECT MIN(id) FROM members WHERE org_id = $1")
            .bind(org)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
            .get(0)
    }

    /// Members whose kept union path is not their union's (issue 11: always none).
    pub async fn members_with_a_stale_path(&self) -> i64 {
        sqlx::query(
            "SELECT COUNT(*) FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.org_path <> o.path",
        )
        .fetch_one(&self.state.db.pool)
        .await
        .unwrap()
        .get(0)
    }

    /// Organisations whose kept member figures (migrations 0012, 0014) are
    /// not a recount of their members, plus the subtree totals (0018) that
    /// are not a recount (issues 11 and 12: always none).
    pub async fn member_counts_off(&self) -> i64 {
        let own: i64 = sqlx::query(
            "SELECT COUNT(*) FROM orgs o LEFT JOIN org_member_counts c ON c.org_id = o.id \
             LEFT JOIN (SELECT org_id, COUNT(*) AS n, \
                 SUM(CASE WHEN status = '在册' THEN 1 ELSE 0 END) AS on_roll, \
                 SUM(CASE WHEN status = '在册' AND skill_level = '初级工' THEN 1 ELSE 0 END) AS skill_5, \
                 SUM(CASE WHEN status = '在册' AND skill_level = '中级工' THEN 1 ELSE 0 END) AS skill_4, \
                 SUM(CASE WHEN status = '在册' AND skill_level = '高级工' THEN 1 ELSE 0 END) AS skill_3, \
                 SUM(CASE WHEN status = '在册' AND skill_level = '技师' THEN 1 ELSE 0 END) AS skill_2, \
                 SUM(CASE WHEN status = '在册' AND skill_level = '高级技师' THEN 1 ELSE 0 END) AS skill_1, \
                 SUM(CASE WHEN status = '在册' AND is_migrant_worker <> 0 THEN 1 ELSE 0 END) AS migrant, \
                 SUM(CASE WHEN status = '在册' AND is_hardship <> 0 THEN 1 ELSE 0 END) AS hardship \
               FROM members GROUP BY org_id) r ON r.org_id = o.id \
             WHERE COALESCE(c.n, 0) <> COALESCE(r.n, 0) OR COALESCE(c.on_roll, 0) <> COALESCE(r.on_roll, 0) \
                OR COALESCE(c.skill_5, 0) <> COALESCE(r.skill_5, 0) OR COALESCE(c.skill_4, 0) <> COALESCE(r.skill_4, 0) \
                OR COALESCE(c.skill_3, 0) <> COALESCE(r.skill_3, 0) OR COALESCE(c.skill_2, 0) <> COALESCE(r.skill_2, 0) \
                OR COALESCE(c.skill_1, 0) <> COALESCE(r.skill_1, 0) OR COALESCE(c.migrant, 0) <> COALESCE(r.migrant, 0) \
                OR COALESCE(c.hardship, 0) <> COALESCE(r.hardship, 0)",
        )
        .fetch_one(&self.state.db.pool)
        .await
        .unwrap()
        .get(0);
        own + self.subtree_figures_off().await
    }

    /// Rows of the subtree totals (migration 0018) that differ from a recount
    /// by path: ancestors, the roll and skill mix per subtree, and joins and
    /// transfers per subtree and month; 0 when all agree.
    pub async fn subtree_figures_off(&self) -> i64 {
        let month_of = |at: &str| match self.state.db.backend {
            gongjiang::db::Backend::Sqlite => {
                format!("strftime('%Y-%m', {at} / 1000 + 28800, 'unixepoch')")
            }
            gongjiang::db::Backend::Postgres => format!("month_of_ms({at})"),
        };
        let (month, entry_month, session_month) = (
            month_of("t.at"),
            month_of("e.created_at"),
            month_of("s.starts_at"),
        );
        let under = |a: &str, b: &str| format!("{a}.path LIKE {b}.path || '%'");
        let figures = "n, on_roll, skill_5, skill_4, skill_3, skill_2, skill_1, migrant, hardship";
        let recount = String::from(
            "SELECT o.id AS org_id, COUNT(*) AS n, \
                 SUM(CASE WHEN status = '在册' THEN 1 ELSE 0 END) AS on_roll, \
                 SUM(CASE WHEN status = '在册' AND skill_level = '初级工' THEN 1 ELSE 0 END) AS skill_5, \
                 SUM(CASE WHEN status = '在册' AND skill_level = '中级工' THEN 1 ELSE 0 END) AS skill_4, \
                 SUM(CASE WHEN status = '在册' AND skill_level = '高级工' THEN 1 ELSE 0 END) AS skill_3, \
                 SUM(CASE WHEN status = '在册' AND skill_level = '技师' THEN 1 ELSE 0 END) AS skill_2, \
                 SUM(CASE WHEN status = '在册' AND skill_level = '高级技师' THEN 1 ELSE 0 END) AS skill_1, \
                 SUM(CASE WHEN status = '在册' AND is_migrant_worker <> 0 THEN 1 ELSE 0 END) AS migrant, \
                 SUM(CASE WHEN status = '在册' AND is_hardship <> 0 THEN 1 ELSE 0 END) AS hardship \
                 , CAST(COALESCE((SELECT SUM(b.balance) FROM point_balances b JOIN members h ON h.id = b.member_id \
                     WHERE h.org_path LIKE o.path || '%'), 0) AS BIGINT) AS points_outstanding \
             FROM orgs o JOIN members m ON m.org_path LIKE o.path || '%' GROUP BY o.id, o.path",
        );
        let kept = format!(
            "SELECT org_id, {figures}, points_outstanding FROM org_subtree_figures WHERE n <> 0"
        );
        let months = format!(
            "SELECT org_id, month, SUM(joined) AS joined, SUM(t_in) AS t_in, SUM(t_out) AS t_out, \
                 SUM(earned) AS earned, SUM(redeemed) AS redeemed, SUM(sessions) AS sessions, \
                 SUM(checkins) AS checkins, SUM(cadre) AS cadre FROM ( \
               SELECT o.id AS org_id, substr(m.join_date, 1, 7) AS month, 1 AS joined, 0 AS t_in, 0 AS t_out, \
                   0 AS earned, 0 AS redeemed, 0 AS sessions, 0 AS checkins, 0 AS cadre \
                 FROM orgs o JOIN members m ON m.org_path LIKE o.path || '%' WHERE m.join_date <> '' \
               UNION ALL SELECT o.id, {month}, 0, 1, 0, 0, 0, 0, 0, 0 FROM member_transfers t \
                 JOIN orgs d ON d.id = t.to_org_id JOIN orgs f ON f.id = t.from_org_id \
                 JOIN orgs o ON {} AND NOT {} \
               UNION ALL SELECT o.id, {month}, 0, 0, 1, 0, 0, 0, 0, 0 FROM member_transfers t \
                 JOIN orgs d ON d.id = t.to_org_id JOIN orgs f ON f.id = t.from_org_id \
                 JOIN orgs o ON {} AND NOT {} \
               UNION ALL SELECT o.id, {entry_month}, 0, 0, 0, \
                   CASE WHEN e.amount > 0 AND e.source <> 'refund' THEN e.amount ELSE 0 END, \
                   CASE WHEN e.source IN ('redeem', 'refund') THEN -e.amount ELSE 0 END, 0, 0, 0 \
                 FROM point_entries e JOIN orgs w ON w.id = e.org_id JOIN orgs o ON {} \
               UNION ALL SELECT o.id, {session_month}, 0, 0, 0, 0, 0, 1, 0, 0 \
                 FROM course_sessions s JOIN orgs w ON w.id = s.org_id JOIN orgs o ON {} \
               UNION ALL SELECT o.id, {session_month}, 0, 0, 0, 0, 0, 0, 1, 0 \
                 FROM enrolments e JOIN course_sessions s ON s.id = e.target_id JOIN orgs w ON w.id = s.org_id \
                 JOIN orgs o ON {} WHERE e.kind = 'course_session' AND e.state = 'attended' \
               UNION ALL SELECT o.id, substr(e.occurred_on, 1, 7), 0, 0, 0, 0, 0, 0, 0, e.points \
                 FROM cadre_entries e JOIN cadres c ON c.id = e.cadre_id JOIN orgs w ON w.id = c.org_id JOIN orgs o ON {} \
             ) x GROUP BY org_id, month \
             HAVING SUM(joined) <> 0 OR SUM(t_in) <> 0 OR SUM(t_out) <> 0 OR SUM(earned) <> 0 OR SUM(redeemed) <> 0 \
                 OR SUM(sessions) <> 0 OR SUM(checkins) <> 0 OR SUM(cadre) <> 0",
            under("d", "o"),
            under("f", "o"),
            under("f", "o"),
            under("d", "o"),
            under("w", "o"),
            under("w", "o"),
            under("w", "o"),
            under("w", "o"),
        );
        let kept_months = "SELECT org_id, month, joined, transferred_in, transferred_out, points_earned, points_redeemed, \
             sessions, checkins, cadre_points \
             FROM org_subtree_months WHERE joined <> 0 OR transferred_in <> 0 OR transferred_out <> 0 \
             OR points_earned <> 0 OR points_redeemed <> 0 OR sessions <> 0 OR checkins <> 0 OR cadre_points <> 0";
        let ancestors = format!(
            "SELECT o.id, a.id FROM orgs o JOIN orgs a ON {}",
            under("o", "a")
        );
        let kept_ancestors = "SELECT org_id, ancestor_id FROM org_ancestors";
        let sizes = format!(
            "SELECT o.id, (SELECT COUNT(*) FROM orgs x WHERE {u}), \
               (SELECT COUNT(*) FROM enterprises e JOIN orgs x ON x.id = e.org_id WHERE {u}), \
               (SELECT COUNT(*) FROM courses c JOIN orgs x ON x.id = c.org_id WHERE {u}), \
               (SELECT COUNT(*) FROM cadres c JOIN orgs x ON x.id = c.org_id WHERE {u} AND c.active <> 0) \
             FROM orgs o",
            u = under("x", "o"),
        );
        let kept_sizes =
            "SELECT org_id, orgs, enterprises, courses, cadres_in_office FROM org_subtree_figures";
        let completions = format!(
            "SELECT o.id, {}, COUNT(*) FROM course_completions k JOIN courses c ON c.id = k.course_id \
             JOIN orgs w ON w.id = c.org_id JOIN orgs o ON {} GROUP BY o.id, 2",
            month_of("k.completed_at"),
            under("w", "o")
        );
        let kept_completions =
            "SELECT org_id, month, completions FROM org_subtree_months WHERE completions <> 0";
        let session_year = match self.state.db.backend {
            gongjiang::db::Backend::Sqlite => {
                "strftime('%Y', s.starts_at / 1000 + 28800, 'unixepoch')".to_string()
            }
            gongjiang::db::Backend::Postgres => "substr(month_of_ms(s.starts_at), 1, 4)".into(),
        };
        let attended = format!(
            "FROM enrolments e JOIN course_sessions s ON s.id = e.target_id JOIN orgs w ON w.id = s.org_id \
             JOIN orgs o ON {} WHERE e.kind = 'course_session' AND e.state = 'attended'",
            under("w", "o")
        );
        let reach = format!("SELECT DISTINCT o.id, {session_year}, e.member_id {attended}");
        let kept_reach = "SELECT org_id, year, member_id FROM org_subtree_reach";
        let reached = format!(
            "SELECT o.id, {session_year}, COUNT(DISTINCT e.member_id) {attended} GROUP BY o.id, 2"
        );
        let kept_reached = "SELECT org_id, year, reached FROM org_subtree_years WHERE reached <> 0";
        let mut off = 0;
        for (a, b) in [
            (recount.as_str(), kept.as_str()),
            (months.as_str(), kept_months),
            (ancestors.as_str(), kept_ancestors),
            (sizes.as_str(), kept_sizes),
            (completions.as_str(), kept_completions),
            (reach.as_str(), kept_reach),
            (reached.as_str(), kept_reached),
        ] {
            for (x, y) in [(a, b), (b, a)] {
                let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM ({x} EXCEPT {y}) d"))
                    .fetch_one(&self.state.db.pool)
                    .await
                    .unwrap()
                    .get(0);
                off += n;
            }
        }
        // Every check-in completed its course (recorded once per member and course).
        let unrecorded: i64 = sqlx::query(
            "SELECT COUNT(*) FROM (SELECT s.course_id, e.member_id FROM enrolments e \
             JOIN course_sessions s ON s.id = e.target_id WHERE e.kind = 'course_session' AND e.state = 'attended' \
             EXCEPT SELECT course_id, member_id FROM course_completions) d",
        )
        .fetch_one(&self.state.db.pool)
        .await
        .unwrap()
        .get(0);
        off + unrecorded
    }

    pub async fn enterprise_of(&self, code: &str) -> i64 {
        let org = self.org_id(code).await;
        sqlx::query("SELECT MIN(id) FROM enterprises WHERE org_id = $1")
            .bind(org)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
            .get(0)
    }

    /// Every row the API can change, as text: equal before and after means nothing changed.
    pub async fn fingerprint(&self) -> String {
        let queries = [
            "SELECT id, code, name, kind, COALESCE(parent_id, 0), path, updated_at FROM orgs ORDER BY id",
            "SELECT id, credit_code, name, industry, size, org_id, updated_at FROM enterprises ORDER BY id",
            "SELECT org_id, n FROM org_member_counts WHERE n <> 0 ORDER BY org_id",
            "SELECT id, org_id, org_path, COALESCE(enterprise_id, 0), name, id_number_hash, COALESCE(phone_hash, ''), occupation, skill_level, status, updated_at FROM members ORDER BY id",
            "SELECT id, member_id, from_org_id, to_org_id FROM member_transfers ORDER BY id",
            "SELECT id, username, password_hash, disabled, updated_at FROM accounts ORDER BY id",
            "SELECT id, account_id, role, org_id FROM assignments ORDER BY id",
            "SELECT id, org_id, year, figure_key, kind, target FROM dashboard_targets ORDER BY id",
            // Entries that record a read (a whole-number lookup) are not changes.
            "SELECT id, action, hash FROM audit_log WHERE action NOT LIKE 'member.lookup%' ORDER BY id",
        ];
        let mut out = String::new();
        for q in queries {
            for row in sqlx::query(q).fetch_all(&self.state.db.pool).await.unwrap() {
                for i in 0..row.len() {
                    let cell = row
                        .try_get::<i64, _>(i)
                        .map(|v| v.to_string())
                        .or_else(|_| row.try_get::<String, _>(i))
                        .unwrap_or_default();
                    out.push_str(&cell);
                    out.push('|');
                }
                out.push('\n');
            }
        }
        out
    }
}

/// The demo data the tests start from: every program's fixture steps.
pub async fn load_fixture(db: &gongjiang::db::Db, keys: &gongjiang::pii::Keyring) {
    let demo = gongjiang::program::Demo {
        db: db.clone(),
        keys: keys.clone(),
        files: None,
    };
    gongjiang::programs::load_demo(&demo, false)
        .await
        .expect("demo data");
}

/// A new valid ID number, different for each `n`.
pub fn id_number(n: u32) -> String {
    gongjiang::pii::idnumber::compose("330212", (1990, 1 + n % 12, 1 + n % 28), 500 + n % 500)
}

pub fn credit_code(n: u32) -> String {
    gongjiang::pii::creditcode::compose("91", "330212", &format!("{:08}", 70_000_000 + n))
}

impl Drop for TestApp {
    /// Drops this test's PostgreSQL database (FORCE ends the app's own connections).
    fn drop(&mut self) {
        let (Some(admin_url), true) = (postgres_url(), self.db_url.starts_with("postgres")) else {
            return;
        };
        let Some(name) = self.db_url.rsplit('/').next().map(str::to_string) else {
            return;
        };
        // Drop runs inside the test's runtime; a thread of its own may block.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let pool = sqlx::AnyPool::connect(&admin_url).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&pool)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// A member account (role member) for a demo member, with an API token; set up
/// directly so 200 of them do not cost 200 password hashes.
pub async fn member_token(app: &TestApp, member_id: i64) -> String {
    let db = &app.state.db;
    let org: i64 = sqlx::query("SELECT org_id FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0);
    let now = gongjiang::db::now_ms();
    let id: i64 = sqlx::query("INSERT INTO accounts (username, password_hash, member_id, disabled, created_at, updated_at) VALUES ($1, 'x', $2, 0, $3, $3) RETURNING id")
        .bind(format!("m{member_id}"))
        .bind(member_id)
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
    gongjiang::auth::session::create(db, id, gongjiang::auth::session::API)
        .await
        .unwrap()
}
