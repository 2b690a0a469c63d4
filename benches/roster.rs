//! Roster benchmarks, on SQLite or PostgreSQL, through the real binary:
//!
//!   cargo bench --bench roster -- --backend sqlite --sizes 100000,1000000
//!   cargo bench --bench roster -- --backend postgres --sizes 100000,1000000
//!
//! 1. import: a synthetic city's roster written to .xlsx, then
//!    `gongjiang import members` as a child process: wall time, rows/s, peak RSS.
//! 2. search: `gongjiang serve` on the largest imported database; concurrent
//!    clients over HTTP search by name, surname, pinyin, initials, phone tail,
//!    card number and ID number, in the whole city and in one town: p50/p99.
//! 3. memory while serving and start-up to first answer.
//!
//! Prints a Markdown section for BENCHMARKS.md (and writes it under target/bench/).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gongjiang");

struct Args {
    backend: String,
    sizes: Vec<u64>,
    concurrency: Vec<usize>,
    requests: usize,
    pg_url: String,
}

fn args() -> Args {
    let mut a = Args {
        backend: "sqlite".into(),
        sizes: vec![100_000, 1_000_000],
        concurrency: vec![1, 4, 16],
        requests: 4000,
        pg_url: std::env::var("GONGJIANG_BENCH_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let next = || argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--backend" => a.backend = next(),
            "--sizes" => {
                a.sizes = next()
                    .split(',')
                    .filter_map(|s| s.trim().replace('_', "").parse().ok())
                    .collect()
            }
            "--concurrency" => {
                a.concurrency = next()
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect()
            }
            "--requests" => a.requests = next().parse().unwrap_or(4000),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

/// Runs a command to the end; (seconds, peak RSS in MiB, output).
fn run_measured(cmd: &mut Command) -> (f64, f64, String) {
    use std::os::unix::process::ExitStatusExt;
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let out = child.wait_with_output_rusage(pid);
    let secs = started.elapsed().as_secs_f64();
    let (status, rss_kib, text) = out;
    assert!(
        std::process::ExitStatus::from_raw(status).success(),
        "command failed: {text}"
    );
    (secs, rss_kib as f64 / 1024.0, text)
}

trait WaitRusage {
    fn wait_with_output_rusage(self, pid: libc::pid_t) -> (libc::c_int, i64, String);
}

impl WaitRusage for std::process::Child {
    /// Reads the child's output, then reaps it with wait4 to learn its peak RSS.
    fn wait_with_output_rusage(mut self, pid: libc::pid_t) -> (libc::c_int, i64, String) {
        use std::io::Read;
        let mut text = String::new();
        if let Some(mut o) = self.stdout.take() {
            let _ = o.read_to_string(&mut text);
        }
        if let Some(mut e) = self.stderr.take() {
            let _ = e.read_to_string(&mut text);
        }
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is plain data; wait4 fills it for our own child.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        loop {
            let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
            if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
            {
                continue;
            }
            break;
        }
        std::mem::forget(self);
        (status, ru.ru_maxrss, text)
    }
}

struct Db {
    url: String,
    key: PathBuf,
    pg_name: Option<String>,
}

async fn fresh_db(a: &Args, dir: &Path, tag: &str) -> Db {
    let key = dir.join(format!("{tag}.key"));
    if a.backend == "sqlite" {
        return Db {
            url: format!("sqlite://{}", dir.join(format!("{tag}.db")).display()),
            key,
            pg_name: None,
        };
    }
    sqlx::any::install_default_drivers();
    let name = format!("gj_bench_{tag}");
    let pool = sqlx::AnyPool::connect(&a.pg_url)
        .await
        .expect("PostgreSQL for the benchmark");
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&pool)
        .await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    let base = a
        .pg_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap();
    Db {
        url: format!("{base}/{name}"),
        key,
        pg_name: Some(name),
    }
}

/// A copy of `db` as it stands (its organisation tree), with its key.
async fn copy_db(a: &Args, db: &Db, dir: &Path, tag: &str) -> Db {
    let copy = fresh_db(a, dir, tag).await;
    std::fs::copy(&db.key, &copy.key).unwrap();
    if a.backend == "sqlite" {
        let from = db.url.trim_start_matches("sqlite://");
        let to = copy.url.trim_start_matches("sqlite://");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::copy(format!("{from}{suffix}"), format!("{to}{suffix}"));
        }
        return copy;
    }
    let pool = sqlx::AnyPool::connect(&a.pg_url).await.unwrap();
    let name = copy.pg_name.clone().unwrap();
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&pool)
        .await;
    sqlx::query(&format!(
        "CREATE DATABASE {name} TEMPLATE {}",
        db.pg_name.as_deref().unwrap()
    ))
    .execute(&pool)
    .await
    .unwrap();
    copy
}

async fn drop_db(a: &Args, db: &Db) {
    if let Some(name) = &db.pg_name {
        if let Ok(pool) = sqlx::AnyPool::connect(&a.pg_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await;
        }
    }
}

fn gj(db: &Db, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .arg("--db")
        .arg(&db.url)
        .arg("--key-file")
        .arg(&db.key)
        .env_remove("GONGJIANG_DB")
        .env_remove("GONGJIANG_KEY_FILE");
    c
}

struct ImportFigure {
    raw_s: f64,
    rows: u64,
    write_xlsx_s: f64,
    xlsx_mb: f64,
    import_s: f64,
    import_rss_mb: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn vm_kib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix(field).map(|v| {
                    v.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<f64>()
                        .unwrap_or(0.0)
                })
            })
        })
        .unwrap_or(0.0)
}

#[tokio::main]
async fn main() {
    let a = args();
    let dir = tempfile::tempdir_in(
        std::env::var("GONGJIANG_BENCH_DIR")
            .unwrap_or_else(|_| std::env::temp_dir().display().to_string()),
    )
    .unwrap();
    let mut md = format!("### {} — roster benchmarks\n\n", a.backend);
    let mut imports = vec![];
    let mut last_db = None;
    for &n in &a.sizes {
        let db = fresh_db(&a, dir.path(), &format!("import{n}")).await;
        let xlsx = dir.path().join(format!("roster{n}.xlsx"));
        eprintln!("[{}] writing a {n}-row roster …", a.backend);
        let (write_s, _, _) = run_measured(&mut gj(
            &db,
            &[
                "seed",
                "synthetic",
                "--members",
                &n.to_string(),
                "--seed",
                "42",
                "--xlsx",
                xlsx.to_str().unwrap(),
            ],
        ));
        let xlsx_mb = std::fs::metadata(&xlsx)
            .map(|m| m.len() as f64 / 1e6)
            .unwrap_or(0.0);
        // The raw limit first, on a copy of the same database (the tree only).
        let raw_db = copy_db(&a, &db, dir.path(), &format!("raw{n}")).await;
        eprintln!("[{}] raw baseline on {n} rows …", a.backend);
        let (raw_s, raw_rows) = raw_import(&a, &raw_db, &xlsx).await;
        assert_eq!(raw_rows, n, "the raw baseline read every row");
        drop_db(&a, &raw_db).await;
        eprintln!("[{}] importing {n} rows …", a.backend);
        let (import_s, rss, out) = run_measured(&mut gj(
            &db,
            &["import", "members", xlsx.to_str().unwrap(), "--org", "SYN"],
        ));
        assert!(
            out.contains(&format!("新增 {n} 人")),
            "import did not add every row: {out}"
        );
        eprintln!(
            "[{}] {n} rows in {import_s:.1} s, peak {rss:.0} MiB",
            a.backend
        );
        imports.push(ImportFigure {
            raw_s,
            rows: n,
            write_xlsx_s: write_s,
            xlsx_mb,
            import_s,
            import_rss_mb: rss,
        });
        let _ = std::fs::remove_file(&xlsx);
        if let Some(prev) = last_db.replace(db) {
            drop_db(&a, &prev).await;
        }
    }
    md.push_str("**Import** (`gongjiang import members FILE --org SYN`, all-or-nothing, one transaction; the roster is a synthetic city written to .xlsx by `seed synthetic --xlsx`):\n\n");
    md.push_str("| rows | .xlsx size | import wall time | rows/s | peak RSS of the importer | raw baseline (same file, same schema; C API / COPY) | import ÷ raw |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for f in &imports {
        md.push_str(&format!(
            "| {} | {:.0} MB | {:.1} s | {:.0} | {:.0} MiB | {:.1} s | {:.2}× |\n",
            f.rows,
            f.xlsx_mb,
            f.import_s,
            f.rows as f64 / f.import_s,
            f.import_rss_mb,
            f.raw_s,
            f.import_s / f.raw_s
        ));
    }
    md.push_str(&format!(
        "\nWriting the synthetic roster itself (`seed synthetic --xlsx`): {}.\n\n",
        imports
            .iter()
            .map(|f| format!("{} rows in {:.1} s", f.rows, f.write_xlsx_s))
            .collect::<Vec<_>>()
            .join(", ")
    ));

    let Some(db) = last_db else { return };
    let members = a.sizes.iter().max().copied().unwrap_or(0);
    md.push_str(&search(&a, &db, members).await);
    drop_db(&a, &db).await;
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/bench/roster-{}.md", a.backend));
    let _ = std::fs::create_dir_all(out.parent().unwrap());
    let _ = std::fs::write(&out, &md);
    println!("{md}");
}

/// Starts the server on the database, loads it with concurrent searches, and measures.
async fn search(a: &Args, db: &Db, members: u64) -> String {
    // An admin at the city for the searches, and the keys to pick real search terms.
    let mut add = gj(
        db,
        &[
            "user",
            "add",
            "--username",
            "benchadmin",
            "--org",
            "SYN",
            "--role",
            "admin",
            "--password-stdin",
        ],
    );
    let mut child = add
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"bench-password\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let (pool_db, keys) = gongjiang::config::open(&db.url, Some(&db.key))
        .await
        .unwrap();
    let town: (i64, i64) = {
        use sqlx::Row;
        let r = sqlx::query("SELECT o.id, COUNT(*) FROM orgs o JOIN orgs e ON e.parent_id = o.id JOIN members m ON m.org_id = e.id WHERE o.kind = '乡镇街道总工会' GROUP BY o.id ORDER BY o.id LIMIT 1")
            .fetch_one(&pool_db.pool)
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    let terms = sample_terms(&pool_db, &keys).await;
    let plans = explain_tiers(a, &pool_db, &keys, town.0, &terms).await;
    // Members to read one at a time: the ceiling search is held against.
    let member_ids: Vec<i64> = {
        use sqlx::Row;
        sqlx::query("SELECT id FROM members WHERE id % 101 = 3 LIMIT 500")
            .fetch_all(&pool_db.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    pool_db.pool.close().await;

    let client = reqwest::Client::new();
    let (mut server, base, token, startup) = start_server(BIN, db, &client).await;
    let rss_idle = vm_kib(server.id(), "VmRSS:") / 1024.0;

    // Every kind of key, in the whole city and in one town.
    let mut plan: Vec<(String, String)> = vec![];
    for i in 0..a.requests {
        let (kind, q) = &terms[i % terms.len()];
        let scope = if i % 2 == 0 {
            String::new()
        } else {
            format!("&org_id={}", town.0)
        };
        plan.push((
            kind.clone(),
            format!(
                "{base}/api/v1/members?per_page=20&q={}{scope}",
                urlencode(q)
            ),
        ));
    }
    // Warm the caches once, as a running server would be.
    for (_, url) in plan.iter().take(terms.len()) {
        let _ = client.get(url).bearer_auth(&token).send().await;
    }
    let plan = std::sync::Arc::new(plan);
    let reads: Vec<(String, String)> = (0..a.requests)
        .map(|i| {
            let id = member_ids[i % member_ids.len()];
            (
                "one-row read".to_string(),
                format!("{base}/api/v1/members/{id}"),
            )
        })
        .collect();
    let reads = std::sync::Arc::new(reads);
    // The plain list at the city's root, with its total: pages 1 to 50.
    let lists: Plan = std::sync::Arc::new(
        (0..a.requests)
            .map(|i| {
                (
                    "root list".to_string(),
                    format!("{base}/api/v1/members?per_page=20&page={}", 1 + i % 50),
                )
            })
            .collect(),
    );
    // The dashboard (issue 12) of the bench admin's own union, the root, and of one town.
    let dashboards: Plan = std::sync::Arc::new(
        (0..(a.requests / 4).min(400))
            .map(|i| match i % 2 {
                0 => ("root".to_string(), format!("{base}/api/v1/dashboard")),
                _ => (
                    "town".to_string(),
                    format!("{base}/api/v1/dashboard?org_id={}", town.0),
                ),
            })
            .collect(),
    );
    let _ = load(&reads, &client, &token, 1).await;
    let mut md = String::new();
    for &concurrency in &a.concurrency {
        // The one-row read and the search, one after the other at the same
        // client count: the read is the ceiling of the same stack.
        let (read, read_s) = load(&reads, &client, &token, concurrency).await;
        let (all, load_s) = load(&plan, &client, &token, concurrency).await;
        let (search_rate, read_rate) = (all.len() as f64 / load_s, read.len() as f64 / read_s);
        md.push_str(&format!(
            "**Search** over HTTP (`GET /api/v1/members?q=…`, 20 a page, ranked, with the total), {members} members, **{concurrency} concurrent client(s)**, {} requests: half in the whole city, half in one town ({} members); {:.0} searches/s against {:.0}/s for a one-row read (`GET /api/v1/members/{{id}}`, same auth and scope) in the same run: **{:.0} %**.\n\n",
            all.len(), town.1, search_rate, read_rate, 100.0 * search_rate / read_rate
        ));
        md.push_str(&latency_table(&terms, &all));
        let mut r: Vec<f64> = read.iter().map(|(_, ms)| *ms).collect();
        r.sort_by(|x, y| x.partial_cmp(y).unwrap());
        md.push_str(&format!(
            "One-row read: p50 {:.1} ms, p99 {:.1} ms.\n\n",
            percentile(&r, 0.5),
            percentile(&r, 0.99)
        ));
        let (list, list_s) = load(&lists, &client, &token, concurrency).await;
        let mut l: Vec<f64> = list.iter().map(|(_, ms)| *ms).collect();
        l.sort_by(|x, y| x.partial_cmp(y).unwrap());
        md.push_str(&format!(
            "Member list at the root of {members} (`GET /api/v1/members?page=1…50`, with its total): {:.0}/s, p50 {:.1} ms, p99 {:.1} ms.\n\n",
            list.len() as f64 / list_s,
            percentile(&l, 0.5),
            percentile(&l, 0.99)
        ));
    }
    // The dashboard after the searches, so that a slow one cannot cost their figures.
    for &concurrency in &a.concurrency {
        let (dash, dash_s) = load(&dashboards, &client, &token, concurrency).await;
        let of = |kind: &str| {
            let mut v: Vec<f64> = dash
                .iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, ms)| *ms)
                .collect();
            v.sort_by(|x, y| x.partial_cmp(y).unwrap());
            (percentile(&v, 0.5), percentile(&v, 0.99))
        };
        let ((r50, r99), (t50, t99)) = (of("root"), of("town"));
        md.push_str(&format!(
            "Dashboard (`GET /api/v1/dashboard`: every figure of the subtree and of each child), **{concurrency} client(s)**: {:.0}/s; the root of {members} p50 {r50:.1} ms, p99 {r99:.1} ms; a town p50 {t50:.1} ms, p99 {t99:.1} ms.\n\n",
            dash.len() as f64 / dash_s,
        ));
    }
    let rss_loaded = vm_kib(server.id(), "VmRSS:") / 1024.0;
    let rss_peak = vm_kib(server.id(), "VmHWM:") / 1024.0;
    let _ = server.kill();
    let _ = server.wait();
    // What a change bought: the same load on the same database served by
    // this build and by an earlier one (GONGJIANG_BENCH_BEFORE), alternately.
    if let Ok(before) = std::env::var("GONGJIANG_BENCH_BEFORE") {
        md.push_str(
            &compare_builds(
                &before,
                db,
                &client,
                [&plan, &reads, &lists],
                &a.concurrency,
            )
            .await,
        );
    }
    md.push_str(&plans);

    md.push_str(&format!(
        "**Serving**: start-up to first answer {:.2} s; RSS {:.0} MiB idle after start, {:.0} MiB after the search load (peak {:.0} MiB).\n\n",
        startup, rss_idle, rss_loaded, rss_peak
    ));
    md
}

/// Starts `bin` serving `db` and signs the bench admin in: (server, base URL,
/// token, seconds to the first answer).
async fn start_server(
    bin: &str,
    db: &Db,
    client: &reqwest::Client,
) -> (std::process::Child, String, String, f64) {
    let port = portpicker();
    let started = Instant::now();
    let mut cmd = gj(db, &["serve", "--listen", &format!("127.0.0.1:{port}")]);
    let cmd = cmd.stdout(Stdio::null()).stderr(Stdio::null());
    // Same arguments, maybe another build.
    let server = Command::new(bin)
        .args(cmd.get_args())
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env_remove("GONGJIANG_DB")
        .env_remove("GONGJIANG_KEY_FILE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    loop {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false)
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let startup = started.elapsed().as_secs_f64();
    let token: String = client
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"username": "benchadmin", "password": "bench-password"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    (server, base, token, startup)
}

type Plan = std::sync::Arc<Vec<(String, String)>>;

/// This build against `before` on the same database and load, in alternating
/// rounds (before, this, before, this): searches/s and p99 per client count,
/// and the one-row read of the same server beside each.
async fn compare_builds(
    before: &str,
    db: &Db,
    client: &reqwest::Client,
    [plan, reads, lists]: [&Plan; 3],
    concurrency: &[usize],
) -> String {
    let mut md = format!(
        "**This build against the one before** (`{before}`), same database and load, alternating rounds:\n\n| round | build | clients | searches/s | search p50 | search p99 | one-row reads/s | search ÷ read | root list p50 | root list p99 |\n| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    );
    for round in 1..=2 {
        for (label, bin) in [("before", before), ("this", BIN)] {
            let (mut server, base, token, _) = start_server(bin, db, client).await;
            // The URLs name the first server's port: point them at this one.
            let port_of = |p: &Plan| -> Plan {
                std::sync::Arc::new(
                    p.iter()
                        .map(|(k, u)| {
                            let path = u.splitn(4, '/').nth(3).unwrap_or_default();
                            (k.clone(), format!("{base}/{path}"))
                        })
                        .collect(),
                )
            };
            let (plan, reads, lists) = (port_of(plan), port_of(reads), port_of(lists));
            for (_, url) in plan.iter().take(64) {
                let _ = client.get(url).bearer_auth(&token).send().await;
            }
            for &c in concurrency {
                let (read, read_s) = load(&reads, client, &token, c).await;
                let (all, s) = load(&plan, client, &token, c).await;
                let mut v: Vec<f64> = all.iter().map(|(_, ms)| *ms).collect();
                v.sort_by(|x, y| x.partial_cmp(y).unwrap());
                let (list, _) = load(&lists, client, &token, c).await;
                let mut l: Vec<f64> = list.iter().map(|(_, ms)| *ms).collect();
                l.sort_by(|x, y| x.partial_cmp(y).unwrap());
                let (rate, read_rate) = (all.len() as f64 / s, read.len() as f64 / read_s);
                md.push_str(&format!(
                    "| {round} | {label} | {c} | {rate:.0} | {:.1} ms | {:.1} ms | {read_rate:.0} | {:.0} % | {:.1} ms | {:.1} ms |\n",
                    percentile(&v, 0.5),
                    percentile(&v, 0.99),
                    100.0 * rate / read_rate,
                    percentile(&l, 0.5),
                    percentile(&l, 0.99)
                ));
            }
            let _ = server.kill();
            let _ = server.wait();
        }
    }
    md.push('\n');
    md
}

/// Runs the planned requests with `concurrency` clients; (kind, ms) per request and the wall time.
async fn load(
    plan: &std::sync::Arc<Vec<(String, String)>>,
    client: &reqwest::Client,
    token: &str,
    concurrency: usize,
) -> (Vec<(String, f64)>, f64) {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = vec![];
    for _ in 0..concurrency {
        let (plan, next, client, token) = (
            plan.clone(),
            next.clone(),
            client.clone(),
            token.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let mut out: Vec<(String, f64)> = vec![];
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((kind, url)) = plan.get(i) else {
                    break;
                };
                let t = Instant::now();
                let resp = client.get(url).bearer_auth(&token).send().await.unwrap();
                assert!(resp.status().is_success(), "{url}: {}", resp.status());
                let _ = resp.bytes().await;
                out.push((kind.clone(), t.elapsed().as_secs_f64() * 1000.0));
            }
            out
        }));
    }
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (all, started.elapsed().as_secs_f64())
}

fn latency_table(terms: &[(String, String)], all: &[(String, f64)]) -> String {
    let mut md = String::from("| key | requests | p50 | p99 |\n| --- | ---: | ---: | ---: |\n");
    let mut kinds: Vec<String> = terms.iter().map(|(k, _)| k.clone()).collect();
    kinds.sort();
    kinds.dedup();
    for k in kinds {
        let mut v: Vec<f64> = all
            .iter()
            .filter(|(kind, _)| *kind == k)
            .map(|(_, ms)| *ms)
            .collect();
        v.sort_by(|x, y| x.partial_cmp(y).unwrap());
        md.push_str(&format!(
            "| {k} | {} | {:.1} ms | {:.1} ms |\n",
            v.len(),
            percentile(&v, 0.5),
            percentile(&v, 0.99)
        ));
    }
    let mut overall: Vec<f64> = all.iter().map(|(_, ms)| *ms).collect();
    overall.sort_by(|x, y| x.partial_cmp(y).unwrap());
    md.push_str(&format!(
        "| **all** | {} | {:.1} ms | {:.1} ms |\n\n",
        overall.len(),
        percentile(&overall, 0.5),
        percentile(&overall, 0.99)
    ));
    md
}

/// Real search terms from the data: names, surnames, pinyin, initials, phone tails, cards, IDs.
async fn sample_terms(
    db: &gongjiang::db::Db,
    keys: &gongjiang::pii::Keyring,
) -> Vec<(String, String)> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT name, name_pinyin, name_initials, phone_tail, card_no, id_number_enc FROM members WHERE id % 997 = 1 LIMIT 40")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let mut terms: Vec<(String, String)> = vec![];
    for r in rows {
        let name: String = r.get(0);
        terms.push(("name (姓名)".into(), name.clone()));
        terms.push((
            "surname (姓)".into(),
            name.chars().next().unwrap().to_string(),
        ));
        terms.push(("full pinyin".into(), r.get::<String, _>(1)));
        terms.push(("initials".into(), r.get::<String, _>(2)));
        terms.push(("phone tail (尾号)".into(), r.get::<String, _>(3)));
        terms.push(("card number".into(), r.get::<String, _>(4)));
        // A whole ID number or phone is a personal-data lookup, limited per
        // account and day (issue 8): it stays out of a load of thousands.
        let _ = keys;
    }
    terms.sort_by(|a, b| a.0.cmp(&b.0));
    let mut by_kind: Vec<(String, String)> = vec![];
    // Interleave kinds so every stretch of the load mixes them.
    let kinds: Vec<String> = {
        let mut k: Vec<String> = terms.iter().map(|t| t.0.clone()).collect();
        k.dedup();
        k
    };
    let per: Vec<Vec<&(String, String)>> = kinds
        .iter()
        .map(|k| terms.iter().filter(|t| &t.0 == k).collect())
        .collect();
    for i in 0..per.iter().map(|v| v.len()).max().unwrap_or(0) {
        for v in &per {
            if let Some(t) = v.get(i) {
                by_kind.push((*t).clone());
            }
        }
    }
    by_kind
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn portpicker() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The plan of every query a search runs, for one term of each kind, in the
/// town (the database's own EXPLAIN: QUERY PLAN on SQLite).
async fn explain_tiers(
    a: &Args,
    db: &gongjiang::db::Db,
    keys: &gongjiang::pii::Keyring,
    town: i64,
    terms: &[(String, String)],
) -> String {
    use sqlx::Row;
    let path: String = sqlx::query("SELECT path FROM orgs WHERE id = $1")
        .bind(town)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0);
    let scope = gongjiang::auth::Scope::new(vec![path], None);
    let filter = gongjiang::member::store::Filter::default();
    let mut md = String::from(
        "**Plans** of each search tier's queries in the town (count, then first page):\n\n```\n",
    );
    let mut seen = std::collections::BTreeSet::new();
    for (kind, q) in terms {
        if !seen.insert(kind.clone()) {
            continue;
        }
        md.push_str(&format!("== {kind}\n"));
        for (tier, count, page) in
            gongjiang::member::store::search_queries(keys, &scope, &filter, q)
        {
            for (what, mut sql) in [("count", count), ("page", page)] {
                let sqlite = a.backend == "sqlite";
                sql.text = format!(
                    "{}{}",
                    if sqlite {
                        "EXPLAIN QUERY PLAN "
                    } else {
                        "EXPLAIN "
                    },
                    sql.text
                );
                let rows = sql.fetch_all(&db.pool).await.unwrap();
                md.push_str(&format!("-- {tier} {what}\n"));
                for r in rows {
                    let line: String = r.get(if sqlite { 3 } else { 0 });
                    md.push_str(&format!("   {line}\n"));
                }
            }
        }
    }
    md.push_str("```\n\n");
    md
}

/// One row as the raw baseline writes it: the product's columns, in its order.
struct RawRow {
    org_id: i64,
    enterprise_id: Option<i64>,
    text: [String; 17],
    id_enc: Vec<u8>,
    phone_enc: Option<Vec<u8>>,
    phone_hash: Option<String>,
    migrant: i64,
}

/// The columns the raw baseline writes: `INSERT` of `roster/import.rs`, the
/// same schema, indexes and triggers. `text` holds, in order: name, gender,
/// birth date, ID hash, phone tail, pinyin, initials, ethnicity, education,
/// political status, occupation, skill level, card, join date, ID tail 4,
/// ID tail 6, org path.
const RAW_COLUMNS: &str = "org_id, enterprise_id, name, gender, birth_date, id_number_hash, phone_tail, \
    name_pinyin, name_initials, ethnicity, education, political_status, occupation, skill_level, card_no, \
    join_date, id_tail4, id_tail6, org_path, id_number_enc, phone_enc, phone_hash, is_migrant_worker, \
    is_hardship, status, created_at, updated_at";

/// Reads `xlsx` on a thread of its own, as the product does: calamine's
/// streaming cell reader, the ID number's checksum, AES-GCM of the ID number
/// and phone with their keyed hashes (and the ID tails'), the name's pinyin;
/// batches of rows go to the writer.
fn raw_reader(
    xlsx: PathBuf,
    keys: gongjiang::pii::Keyring,
    unions: std::collections::HashMap<String, (i64, String, Option<i64>)>,
) -> (
    std::thread::JoinHandle<u64>,
    std::sync::mpsc::Receiver<Vec<RawRow>>,
) {
    use calamine::Reader;
    use gongjiang::roster::columns::Column;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<RawRow>>(4);
    let reader = std::thread::spawn(move || {
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
        let name = wb.sheet_names()[0].clone();
        let mut cells = wb.worksheet_cells_reader(&name).unwrap();
        let mut row: Vec<String> = vec![];
        let mut header: Vec<String> = vec![];
        let (mut current, mut n) = (0u32, 0u64);
        let mut batch = vec![];
        let finish_row =
            |row: &mut Vec<String>, header: &mut Vec<String>, batch: &mut Vec<RawRow>| {
                if header.is_empty() {
                    *header = std::mem::take(row);
                    return;
                }
                let col = |c: Column| {
                    header
                        .iter()
                        .position(|h| h == c.title())
                        .and_then(|i| row.get(i))
                        .cloned()
                        .unwrap_or_default()
                };
                let idn = gongjiang::pii::IdNumber::parse(&col(Column::IdNumber)).unwrap();
                let phone = gongjiang::pii::Phone::parse(&col(Column::Phone)).ok();
                let (org_id, path, enterprise_id) = unions[&col(Column::Org)].clone();
                let name = col(Column::Name);
                let (pinyin, initials) = gongjiang::member::store::search_keys(&name);
                let (t4, t6) = gongjiang::member::store::id_tails(&keys, idn.as_str());
                let tail = phone
                    .as_ref()
                    .map(|p| gongjiang::member::store::phone_tail(p.as_str()))
                    .unwrap_or_default();
                batch.push(RawRow {
                    org_id,
                    enterprise_id,
                    text: [
                        name,
                        idn.gender().label().to_string(),
                        idn.birth_date(),
                        keys.lookup_hash(gongjiang::member::store::ID_HASH, idn.as_str()),
                        tail,
                        pinyin,
                        initials,
                        col(Column::Ethnicity),
                        col(Column::Education),
                        col(Column::PoliticalStatus),
                        col(Column::Occupation),
                        col(Column::SkillLevel),
                        col(Column::CardNo),
                        col(Column::JoinDate),
                        t4,
                        t6,
                        path,
                    ],
                    id_enc: keys.encrypt(idn.as_str()),
                    phone_enc: phone.as_ref().map(|p| keys.encrypt(p.as_str())),
                    phone_hash: phone.as_ref().map(|p| {
                        keys.lookup_hash(gongjiang::member::store::PHONE_HASH, p.as_str())
                    }),
                    migrant: (col(Column::MigrantWorker) == "是") as i64,
                });
            };
        while let Some(cell) = cells.next_cell().unwrap() {
            let (r, c) = cell.get_position();
            if r != current {
                finish_row(&mut row, &mut header, &mut batch);
                if batch.len() >= 1000 {
                    n += batch.len() as u64;
                    tx.send(std::mem::take(&mut batch)).unwrap();
                }
                row.clear();
                current = r;
            }
            let c = c as usize;
            if row.len() <= c {
                row.resize(c + 1, String::new());
            }
            // The synthetic roster is text throughout (`write_string`).
            row[c] = match cell.get_value() {
                calamine::DataRef::String(s) => s.clone(),
                calamine::DataRef::SharedString(s) => s.to_string(),
                other => panic!("a synthetic roster holds text only: {other:?}"),
            };
        }
        finish_row(&mut row, &mut header, &mut batch);
        n += batch.len() as u64;
        tx.send(batch).unwrap();
        n
    });
    (reader, rx)
}

/// The import's raw limit on the same file into a copy of the same database
/// (issue 11): `raw_reader`, and each row written through the database's
/// fastest path — SQLite's C API, one prepared statement in one transaction;
/// PostgreSQL's `COPY … FROM STDIN`. Seconds, and rows written.
async fn raw_import(a: &Args, db: &Db, xlsx: &Path) -> (f64, u64) {
    use sqlx::Row;
    let started = Instant::now();
    let (pool_db, keys) = gongjiang::config::open(&db.url, Some(&db.key))
        .await
        .unwrap();
    let unions = sqlx::query(
        "SELECT o.name, o.id, o.path, (SELECT MIN(e.id) FROM enterprises e WHERE e.org_id = o.id) FROM orgs o",
    )
    .fetch_all(&pool_db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get::<String, _>(0), (r.get(1), r.get(2), r.get(3))))
    .collect();
    pool_db.pool.close().await;
    let (reader, rx) = raw_reader(xlsx.to_path_buf(), keys, unions);
    let now = gongjiang::db::now_ms();
    if a.backend == "sqlite" {
        let file = db.url.trim_start_matches("sqlite://").to_string();
        tokio::task::spawn_blocking(move || raw_sqlite(&file, rx, now))
            .await
            .unwrap();
    } else {
        raw_postgres(&db.url, rx, now).await;
    }
    let n = reader.join().unwrap();
    (started.elapsed().as_secs_f64(), n)
}

fn raw_sqlite(file: &str, rx: std::sync::mpsc::Receiver<Vec<RawRow>>, now: i64) {
    use libsqlite3_sys as ffi;
    use std::ffi::CString;
    let exec = |db: *mut ffi::sqlite3, sql: &str| {
        let sql = CString::new(sql).unwrap();
        let rc = unsafe {
            ffi::sqlite3_exec(
                db,
                sql.as_ptr(),
                None,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        assert_eq!(rc, ffi::SQLITE_OK, "{sql:?}");
    };
    let path = CString::new(file).unwrap();
    let mut db = std::ptr::null_mut();
    // The product's own settings (db/mod.rs): WAL, synchronous NORMAL,
    // foreign keys, and the page cache its import takes.
    unsafe {
        assert_eq!(ffi::sqlite3_open(path.as_ptr(), &mut db), ffi::SQLITE_OK);
    }
    exec(
        db,
        &format!(
            "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA cache_size = -{}; BEGIN IMMEDIATE",
            gongjiang::roster::import::IMPORT_CACHE_MIB * 1024
        ),
    );
    let places: Vec<String> = (1..=27).map(|i| format!("?{i}")).collect();
    let sql = CString::new(format!(
        "INSERT INTO members ({RAW_COLUMNS}) VALUES ({})",
        places.join(", ")
    ))
    .unwrap();
    let mut stmt = std::ptr::null_mut();
    unsafe {
        assert_eq!(
            ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut stmt, std::ptr::null_mut()),
            ffi::SQLITE_OK
        );
    }
    let bind_text = |stmt: *mut ffi::sqlite3_stmt, i: i32, s: &str| unsafe {
        ffi::sqlite3_bind_text(
            stmt,
            i,
            s.as_ptr() as *const _,
            s.len() as i32,
            ffi::SQLITE_TRANSIENT(),
        );
    };
    let bind_blob = |stmt: *mut ffi::sqlite3_stmt, i: i32, b: &[u8]| unsafe {
        ffi::sqlite3_bind_blob(
            stmt,
            i,
            b.as_ptr() as *const _,
            b.len() as i32,
            ffi::SQLITE_TRANSIENT(),
        );
    };
    for batch in rx {
        for r in batch {
            unsafe {
                ffi::sqlite3_bind_int64(stmt, 1, r.org_id);
                match r.enterprise_id {
                    Some(e) => ffi::sqlite3_bind_int64(stmt, 2, e),
                    None => ffi::sqlite3_bind_null(stmt, 2),
                };
            }
            for (k, t) in r.text.iter().enumerate() {
                bind_text(stmt, 3 + k as i32, t);
            }
            bind_blob(stmt, 20, &r.id_enc);
            match (&r.phone_enc, &r.phone_hash) {
                (Some(p), Some(h)) => {
                    bind_blob(stmt, 21, p);
                    bind_text(stmt, 22, h);
                }
                _ => unsafe {
                    ffi::sqlite3_bind_null(stmt, 21);
                    ffi::sqlite3_bind_null(stmt, 22);
                },
            }
            unsafe {
                ffi::sqlite3_bind_int64(stmt, 23, r.migrant);
                ffi::sqlite3_bind_int64(stmt, 24, 0);
            }
            bind_text(stmt, 25, "在册");
            unsafe {
                ffi::sqlite3_bind_int64(stmt, 26, now);
                ffi::sqlite3_bind_int64(stmt, 27, now);
                assert_eq!(ffi::sqlite3_step(stmt), ffi::SQLITE_DONE);
                ffi::sqlite3_reset(stmt);
            }
        }
    }
    unsafe {
        ffi::sqlite3_finalize(stmt);
    }
    exec(db, "COMMIT");
    unsafe {
        ffi::sqlite3_close(db);
    }
}

async fn raw_postgres(url: &str, rx: std::sync::mpsc::Receiver<Vec<RawRow>>, now: i64) {
    use sqlx::Connection;
    let mut conn = sqlx::postgres::PgConnection::connect(url).await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    let mut copy = tx
        .copy_in_raw(&format!("COPY members ({RAW_COLUMNS}) FROM STDIN"))
        .await
        .unwrap();
    // COPY's text format: tab-separated, \N for NULL, bytea as \\x hex.
    let text = |s: &str, out: &mut String| {
        for ch in s.chars() {
            match ch {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
    };
    let hex = |b: &[u8], out: &mut String| {
        out.push_str("\\\\x");
        for x in b {
            out.push_str(&format!("{x:02x}"));
        }
    };
    let (rx_async, mut rx_rows) = tokio::sync::mpsc::channel::<Vec<RawRow>>(4);
    std::thread::spawn(move || {
        for b in rx {
            if rx_async.blocking_send(b).is_err() {
                break;
            }
        }
    });
    while let Some(batch) = rx_rows.recv().await {
        let mut out = String::with_capacity(batch.len() * 400);
        for r in batch {
            out.push_str(&r.org_id.to_string());
            out.push('\t');
            match r.enterprise_id {
                Some(e) => out.push_str(&e.to_string()),
                None => out.push_str("\\N"),
            }
            for t in &r.text {
                out.push('\t');
                text(t, &mut out);
            }
            out.push('\t');
            hex(&r.id_enc, &mut out);
            match (&r.phone_enc, &r.phone_hash) {
                (Some(p), Some(h)) => {
                    out.push('\t');
                    hex(p, &mut out);
                    out.push('\t');
                    text(h, &mut out);
                }
                _ => out.push_str("\t\\N\t\\N"),
            }
            out.push_str(&format!("\t{}\t0\t在册\t{now}\t{now}\n", r.migrant));
        }
        copy.send(out.into_bytes()).await.unwrap();
    }
    copy.finish().await.unwrap();
    tx.commit().await.unwrap();
}
