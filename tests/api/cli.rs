//! The real `gongjiang` binary: migrations and the key file, the idempotent
//! demo seed, adding accounts and setting passwords from standard input, and
//! the refusals that keep a wrong key or URL from touching the data.

use crate::support;
use gongjiang::app::{self, AppState};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs the binary with `args`, writing `stdin` to it. The environment that
/// would point it at some other database or key is removed, so only the flags
/// count. Runs on a blocking thread: an in-process server may be running on
/// this test's runtime meanwhile.
async fn gongjiang(args: &[&str], stdin: Option<&str>) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let stdin = stdin.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gongjiang"))
            .args(&args)
            .env_remove("GONGJIANG_DB")
            .env_remove("GONGJIANG_KEY_FILE")
            .env_remove("GONGJIANG_LISTEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start gongjiang");
        // Dropping the handle closes stdin, so a command reading it never waits.
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        drop(child.stdin.take());
        child.wait_with_output().expect("wait for gongjiang")
    })
    .await
    .expect("join")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        o.status,
        stdout(o),
        stderr(o)
    );
}

/// Asserts the command failed and said `needle` on stderr.
fn assert_fails_with(o: &Output, needle: &str, what: &str) {
    assert!(
        !o.status.success(),
        "{what} should fail; stdout: {}",
        stdout(o)
    );
    assert!(
        stderr(o).contains(needle),
        "{what}: stderr does not mention {needle:?}:\n{}",
        stderr(o)
    );
}

/// A fresh database and the path for its key file (not created yet).
struct Setup {
    _dir: tempfile::TempDir,
    url: String,
    key: PathBuf,
}

impl Setup {
    async fn new() -> Setup {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = support::fresh_db_url(dir.path()).await;
        let key = dir.path().join("k.key");
        Setup {
            _dir: dir,
            url,
            key,
        }
    }

    fn key(&self) -> &str {
        self.key.to_str().expect("utf-8 temp path")
    }

    /// `args` followed by `--db URL --key-file K`.
    async fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut all = args.to_vec();
        all.extend(["--db", &self.url, "--key-file", self.key()]);
        gongjiang(&all, stdin).await
    }

    /// The database with the demo data, through the binary.
    async fn seeded(self) -> Setup {
        let o = self.run(&["seed", "demo"], None).await;
        assert_ok(&o, "seed demo");
        self
    }

    async fn count(&self, table: &str) -> i64 {
        let db = gongjiang::db::Db::connect(&self.url)
            .await
            .expect("connect");
        let n = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .get(0);
        db.pool.close().await;
        n
    }

    async fn account_exists(&self, username: &str) -> bool {
        let db = gongjiang::db::Db::connect(&self.url)
            .await
            .expect("connect");
        // Staff usernames are stored as typed (a phone would be its hash).
        let found = sqlx::query("SELECT id FROM accounts WHERE username = $1")
            .bind(username)
            .fetch_optional(&db.pool)
            .await
            .expect("lookup")
            .is_some();
        db.pool.close().await;
        found
    }

    /// The app in this process, on the same database and key, as `serve` would run it.
    async fn serve(&self) -> Api {
        let (db, keys) = gongjiang::config::open(&self.url, Some(Path::new(self.key())))
            .await
            .expect("open");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = AppState::new(db, keys).with_parser(
            gongjiang::roster::isolate::Parser::with_exe(env!("CARGO_BIN_EXE_gongjiang")),
        );
        app::spawn(state, listener);
        Api {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
        }
    }
}

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    /// POST /api/v1/session: the status, and the token on success.
    async fn login(&self, username: &str, password: &str) -> (StatusCode, Option<String>) {
        let resp = self
            .client
            .post(format!("{}/api/v1/session", self.base))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        (status, body["token"].as_str().map(str::to_string))
    }

    async fn me(&self, token: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(format!("{}/api/v1/me", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn migrate_creates_the_key_and_seeding_twice_adds_nothing() {
    let s = Setup::new().await;
    assert!(!s.key.exists());

    let migrated = s.run(&["migrate"], None).await;
    assert_ok(&migrated, "migrate");
    assert!(
        stdout(&migrated).contains("schema version"),
        "{}",
        stdout(&migrated)
    );
    assert!(s.key.exists(), "migrate creates the key file");
    assert!(
        stderr(&migrated).contains("back it up"),
        "the operator is told to back up the key"
    );
    let key_text = std::fs::read_to_string(&s.key).unwrap();

    let first = s.run(&["seed", "demo"], None).await;
    assert_ok(&first, "first seed");
    assert!(
        !stdout(&first).contains(" 0 members added"),
        "{}",
        stdout(&first)
    );
    let (members, orgs, accounts) = (
        s.count("members").await,
        s.count("orgs").await,
        s.count("accounts").await,
    );
    assert!(members > 0 && orgs > 0 && accounts > 0);
    // The first look shows the academy at work: campuses, courses, a catalogue.
    let (academies, courses, items, entries) = (
        s.count("academies").await,
        s.count("courses").await,
        s.count("catalog_items").await,
        s.count("point_entries").await,
    );
    assert_eq!(academies, 3, "{}", stdout(&first));
    assert!(courses > 0 && items > 0 && entries > 0);
    // One replay, its video in the file store beside the database.
    let files = gongjiang::config::files_dir(&s.url, Some(&s.key)).unwrap();
    let stored = || {
        std::fs::read_dir(files.join("lessons"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert_eq!(s.count("lessons").await, 1);
    assert_eq!(stored(), 1, "{}", files.display());

    let second = s.run(&["seed", "demo"], None).await;
    assert_ok(&second, "second seed");
    assert!(
        stdout(&second).contains("0 organisations, 0 enterprises, 0 members, 0 accounts added"),
        "second seed should add nothing: {}",
        stdout(&second)
    );
    assert!(stdout(&second).contains("demo academy: already there"));
    assert_eq!(s.count("members").await, members);
    assert_eq!(s.count("orgs").await, orgs);
    assert_eq!(s.count("accounts").await, accounts);
    assert_eq!(s.count("academies").await, academies);
    assert_eq!(s.count("courses").await, courses);
    assert_eq!(s.count("catalog_items").await, items);
    assert_eq!(s.count("point_entries").await, entries);
    assert_eq!((s.count("lessons").await, stored()), (1, 1));
    assert_eq!(
        std::fs::read_to_string(&s.key).unwrap(),
        key_text,
        "an existing key is never replaced"
    );
}

#[tokio::test]
async fn user_add_creates_an_account_that_can_log_in() {
    let s = Setup::new().await.seeded().await;
    let o = s
        .run(
            &[
                "user",
                "add",
                "--username",
                "officer1",
                "--org",
                "ZJ-NB-YZ-JS",
                "--role",
                "officer",
                "--password-stdin",
            ],
            Some("officer-pass-1\n"),
        )
        .await;
    assert_ok(&o, "user add");
    assert!(stdout(&o).contains("account officer1"), "{}", stdout(&o));

    let api = s.serve().await;
    let (status, token) = api.login("officer1", "officer-pass-1").await;
    assert_eq!(status, StatusCode::OK);
    let (status, me) = api.me(&token.expect("token")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["assignments"][0]["role"], "officer", "{me}");
    assert_eq!(me["assignments"][0]["org_name"], "姜山镇总工会", "{me}");
}

#[tokio::test]
async fn user_add_refuses_bad_input_and_adds_nothing() {
    let s = Setup::new().await.seeded().await;
    let accounts = s.count("accounts").await;
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["--org", "ZJ-NB-YZ-JS", "--role", "boss"],
            "officer-pass-1\n",
            "未知角色“boss”",
        ),
        (
            &["--org", "NO-SUCH-ORG", "--role", "officer"],
            "officer-pass-1\n",
            "no organisation with code 'NO-SUCH-ORG'",
        ),
        (
            &["--org", "ZJ-NB-YZ-JS", "--role", "officer"],
            "short\n",
            "at least 8 characters",
        ),
        (
            &["--org", "ZJ-NB-YZ-JS", "--role", "member"],
            "member-pass-1\n",
            "--member-id",
        ),
    ];
    for (i, (flags, password, message)) in cases.into_iter().enumerate() {
        let username = format!("bad{i}");
        let mut args = vec![
            "user",
            "add",
            "--username",
            username.as_str(),
            "--password-stdin",
        ];
        args.extend_from_slice(flags);
        let o = s.run(&args, Some(password)).await;
        assert_fails_with(&o, message, &format!("user add {flags:?}"));
        assert!(!s.account_exists(&username).await, "{username} was added");
    }
    assert_eq!(s.count("accounts").await, accounts);

    // The password never goes on the command line: without --password-stdin there is no account.
    let o = s
        .run(
            &[
                "user",
                "add",
                "--username",
                "nopass",
                "--org",
                "ZJ-NB-YZ-JS",
                "--role",
                "officer",
            ],
            None,
        )
        .await;
    assert_fails_with(&o, "--password-stdin", "user add without --password-stdin");
    assert_eq!(s.count("accounts").await, accounts);
}

#[tokio::test]
async fn user_passwd_changes_the_password_and_ends_sessions() {
    let s = Setup::new().await.seeded().await;
    let add = &[
        "user",
        "add",
        "--username",
        "officer1",
        "--org",
        "ZJ-NB-YZ-JS",
        "--role",
        "officer",
        "--password-stdin",
    ];
    assert_ok(&s.run(add, Some("first-pass-1\n")).await, "user add");
    let api = s.serve().await;
    let (_, token) = api.login("officer1", "first-pass-1").await;
    let token = token.expect("login with the first password");
    // Served once, so the server keeps the caller in memory.
    assert_eq!(api.me(&token).await.0, StatusCode::OK);

    let o = s
        .run(
            &[
                "user",
                "passwd",
                "--username",
                "officer1",
                "--password-stdin",
            ],
            Some("second-pass-2\n"),
        )
        .await;
    assert_ok(&o, "user passwd");

    assert_eq!(
        api.login("officer1", "first-pass-1").await.0,
        StatusCode::UNAUTHORIZED,
        "old password still works"
    );
    assert_eq!(
        api.login("officer1", "second-pass-2").await.0,
        StatusCode::OK,
        "new password does not work"
    );
    assert_eq!(
        api.me(&token).await.0,
        StatusCode::UNAUTHORIZED,
        "a token from before the change still works"
    );

    let o = s
        .run(
            &["user", "passwd", "--username", "nobody", "--password-stdin"],
            Some("second-pass-2\n"),
        )
        .await;
    assert_fails_with(
        &o,
        "no account named 'nobody'",
        "passwd of an unknown account",
    );
}

#[tokio::test]
async fn a_key_file_from_another_database_is_refused() {
    let s = Setup::new().await;
    assert_ok(&s.run(&["migrate"], None).await, "migrate");
    // A real key, but made for a different database.
    let other = Setup::new().await;
    assert_ok(
        &other.run(&["migrate"], None).await,
        "migrate the other database",
    );

    let o = gongjiang(
        &["migrate", "--db", &s.url, "--key-file", other.key()],
        None,
    )
    .await;
    assert_fails_with(&o, "does not match", "migrate with another database's key");
    let o = gongjiang(
        &["seed", "demo", "--db", &s.url, "--key-file", other.key()],
        None,
    )
    .await;
    assert_fails_with(&o, "does not match", "seed with another database's key");
    assert_eq!(
        s.count("members").await,
        0,
        "nothing was written with the wrong key"
    );

    // A missing key for a database that has one is not silently replaced either.
    let missing = s.key.with_file_name("missing.key");
    let o = gongjiang(
        &[
            "migrate",
            "--db",
            &s.url,
            "--key-file",
            missing.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_fails_with(&o, "does not exist", "migrate with a missing key");
    assert!(!missing.exists());
}

#[tokio::test]
async fn database_urls_are_checked_before_connecting() {
    // Port 1 has no server: were the key check after connecting, the error would be a connection error.
    let o = gongjiang(
        &["migrate", "--db", "postgres://nobody@127.0.0.1:1/none"],
        None,
    )
    .await;
    assert_fails_with(&o, "--key-file", "postgres without --key-file");

    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.key");
    let o = gongjiang(
        &[
            "migrate",
            "--db",
            "mysql://x",
            "--key-file",
            key.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_fails_with(&o, "unsupported", "a mysql URL");
    assert!(
        !key.exists(),
        "no key is made for a database that cannot be used"
    );
}

#[tokio::test]
async fn serve_help_mentions_the_environment() {
    let o = gongjiang(&["serve", "--help"], None).await;
    assert_ok(&o, "serve --help");
    assert!(stdout(&o).contains("GONGJIANG_DB"), "{}", stdout(&o));
    assert!(stdout(&o).contains("GONGJIANG_KEY_FILE"), "{}", stdout(&o));
}

#[tokio::test]
async fn top_level_help_mentions_the_environment() {
    let o = gongjiang(&["--help"], None).await;
    assert_ok(&o, "--help");
    assert!(
        stdout(&o).contains("GONGJIANG_DB"),
        "`gongjiang --help` does not name GONGJIANG_DB:\n{}",
        stdout(&o)
    );
}

/// `backup` while a writer is appending audited entries, then `restore` into
/// a new database: the copy is one consistent moment (the sealed audit chain
/// verifies with the same key), it holds what `backup` said it held, and
/// neither command overwrites anything.
#[tokio::test]
async fn backup_under_a_running_writer_restores_whole() {
    let live = Setup::new().await.seeded().await;
    let out_dir = tempfile::tempdir().unwrap();
    let backup = out_dir.path().join("gongjiang.backup");
    let backup_arg = backup.to_str().unwrap().to_string();

    // The writer: audited entries, one transaction each, until told to stop.
    let (db, _) = gongjiang::config::open(&live.url, Some(live.key.as_path()))
        .await
        .expect("open live database");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut written = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut tx = db.begin().await.unwrap();
                gongjiang::audit::store::append(
                    &mut tx,
                    &gongjiang::audit::Actor::cli(),
                    gongjiang::audit::store::Event::new("test.write", "test", written as i64),
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                written += 1;
            }
            written
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let o = live.run(&["backup", "-o", &backup_arg], None).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert_ok(&o, "backup");
    assert!(
        written > 10,
        "the writer ran during the backup ({written} entries)"
    );
    let said = stdout(&o);
    assert!(said.contains("backup written"), "{said}");
    assert!(
        said.contains(live.key()),
        "names the key file to keep: {said}"
    );
    assert!(said.contains("file store"), "names the file store: {said}");
    let audit_in_backup: i64 = said
        .split(" audit entries")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the audit count is printed");
    assert!(
        audit_in_backup < live.count("audit_log").await,
        "the writer went on after the copy"
    );

    // A second backup to the same file is refused, and the file is untouched.
    let size = std::fs::metadata(&backup).unwrap().len();
    let again = live.run(&["backup", "-o", &backup_arg], None).await;
    assert_fails_with(&again, "already exists", "backup over an existing file");
    assert_eq!(std::fs::metadata(&backup).unwrap().len(), size);

    // Restore into a new database with a copy of the key.
    let restored = Setup::new().await;
    std::fs::copy(&live.key, &restored.key).unwrap();
    let o = restored.run(&["restore", &backup_arg], None).await;
    assert_ok(&o, "restore");
    assert_eq!(restored.count("audit_log").await, audit_in_backup);
    assert_eq!(restored.count("members").await, live.count("members").await);
    let v = restored.run(&["audit", "verify"], None).await;
    assert_ok(&v, "audit verify on the restored database");
    assert!(stdout(&v).contains("audit log intact"), "{}", stdout(&v));

    // Restoring over data is refused and changes nothing.
    let o = restored.run(&["restore", &backup_arg], None).await;
    assert!(!o.status.success(), "restore over data: {}", stdout(&o));
    assert_eq!(restored.count("audit_log").await, audit_in_backup);
    // A file that is no backup is refused with a clear error.
    let junk = out_dir.path().join("junk.backup");
    std::fs::write(&junk, b"not a database").unwrap();
    let fresh = Setup::new().await;
    let o = fresh.run(&["restore", junk.to_str().unwrap()], None).await;
    assert!(!o.status.success(), "restoring junk: {}", stdout(&o));
}

/// Logs written to a file (here a pipe) carry no terminal colour codes.
#[tokio::test]
async fn logs_to_a_file_have_no_colour_codes() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("g.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_gongjiang"))
        .args(["serve", "--db", &db, "--listen", "127.0.0.1:0"])
        .env_remove("GONGJIANG_DB")
        .env_remove("GONGJIANG_KEY_FILE")
        .env_remove("GONGJIANG_LISTEN")
        .env("GONGJIANG_LOG", "gongjiang=info")
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start gongjiang");
    let stderr = child.stderr.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains("serving on"))
    })
    .await
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("the server logs where it serves");
    assert!(
        !line.contains('\u{1b}'),
        "colour codes in a log file: {line:?}"
    );
    assert!(line.contains("INFO"), "{line}");
}

/// `gongjiang report`: the report upward as .xlsx from the command line, its
/// 合计 the dashboard's figures; an unknown organisation is refused clearly.
#[tokio::test]
async fn report_writes_the_workbook_unions_send_upward() {
    use calamine::Reader;
    let s = Setup::new().await.seeded().await;
    let out = s._dir.path().join("报表.xlsx");
    let o = s
        .run(
            &[
                "report",
                "--org",
                "ZJ-NB-YZ-JS",
                "--year",
                "2026",
                "-o",
                out.to_str().unwrap(),
            ],
            None,
        )
        .await;
    assert_ok(&o, "report");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out).expect("a real workbook");
    let names = wb.sheet_names();
    assert!(names.contains(&"会员统计".to_string()), "{names:?}");
    assert!(names.contains(&"技能等级".to_string()), "{names:?}");
    let sheet = wb.worksheet_range("会员统计").unwrap();
    let rows: Vec<Vec<calamine::Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert!(
        rows[0][0].to_string().contains("2026"),
        "title: {:?}",
        rows[0]
    );
    assert!(rows[1][0].to_string().starts_with("填报单位："));
    let last = rows.last().unwrap();
    assert_eq!(last[0].to_string(), "合计");
    assert!(
        matches!(last[1], calamine::Data::Float(_)),
        "numbers as numbers: {last:?}"
    );
    let o = s
        .run(
            &["report", "--org", "NO-SUCH", "-o", out.to_str().unwrap()],
            None,
        )
        .await;
    assert_fails_with(&o, "NO-SUCH", "report of an unknown organisation");
}
