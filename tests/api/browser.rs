//! A real browser on a phone-sized screen: headless Chromium driven through
//! chromedriver (WebDriver). A worker logs in, enrols in a session, opens the
//! check-in link the staff screen's QR code carries, checks in, rates the
//! course, sees the points, redeems an item and finds the order — by tapping
//! what the pages show. Each page must fit the phone's width (no sideways
//! scrolling); a screenshot of each step goes to target/browser-shots/.
//!
//! Without chromedriver the test is skipped with a note, unless CI is set or
//! GONGJIANG_BROWSER_TESTS=1, when it fails instead (.ci/run installs Debian's
//! chromium and chromium-driver).

use crate::pages::Browser as FormBrowser;
use crate::support::TestApp;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An iPhone-12-sized screen, in CSS pixels.
const WIDTH: u32 = 390;
const HEIGHT: u32 = 844;
/// How long a page may take to show what the test waits for (the suite runs in parallel on 2 cores).
const WAIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// chromedriver: found, started on a free port, killed with its browser on drop.
// ---------------------------------------------------------------------------

/// Whether a missing chromedriver fails the test (CI, or asked for) instead of skipping it.
fn browser_required() -> bool {
    let set = |name: &str| {
        std::env::var(name)
            .map(|v| !v.is_empty() && v != "0" && v != "false")
            .unwrap_or(false)
    };
    set("CI") || set("GONGJIANG_BROWSER_TESTS")
}

/// `GONGJIANG_CHROMEDRIVER`, else `chromedriver` on the PATH, else Debian's /usr/bin/chromedriver.
fn find_chromedriver() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GONGJIANG_CHROMEDRIVER").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("chromedriver"))
        .find(|p| p.is_file())
}

struct Chromedriver {
    child: Child,
    url: String,
    /// TMPDIR of chromedriver and Chromium: profiles and shared-memory files, removed after them.
    _tmp: tempfile::TempDir,
}

impl Chromedriver {
    async fn start(bin: &Path) -> Chromedriver {
        use std::os::unix::process::CommandExt;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let tmp = tempfile::tempdir().expect("a temp dir for the browser");
        let child = Command::new(bin)
            .arg(format!("--port={port}"))
            .env("TMPDIR", tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // A process group of its own, so that drop ends the browsers it started too.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _tmp: tmp,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = match http.get(format!("{}/status", driver.url)).send().await {
                Ok(r) => r
                    .json::<Value>()
                    .await
                    .ok()
                    .map(|v| v["value"]["ready"] == true),
                Err(_) => None,
            };
            if ready == Some(true) {
                return driver;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver ({}) did not answer on port {port} within {WAIT:?}",
                bin.display()
            );
            // Polling a process that is starting up, not synchronising with a page.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The group is chromedriver's own (process_group(0) above): it and the Chromium it ran.
        let pgid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on a process group this test created; no memory is involved.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// Headless Chromium emulating a phone: its width, touch, a mobile user agent,
/// and the page's `<meta name="viewport">` honoured as a phone would.
async fn phone_browser(driver: &Chromedriver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    // The worker says yes to each confirmation step (redeem, cancel).
    caps.insert("unhandledPromptBehavior".into(), json!("accept"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--lang=zh-CN",
                format!("--window-size={WIDTH},{HEIGHT}"),
            ],
            "mobileEmulation": {
                "deviceMetrics": {"width": WIDTH, "height": HEIGHT, "pixelRatio": 2.0, "mobile": true, "touch": true},
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
            },
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("chromedriver at {} started no Chromium: {e}", driver.url))
}

// ---------------------------------------------------------------------------
// The phone: go, wait, tap, and check each page fits the screen.
// ---------------------------------------------------------------------------

/// XPath: an element of class `class` whose text contains `text`.
fn with_text(tag: &str, class: &str, text: &str) -> String {
    format!("//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {class} ')][contains(normalize-space(.), '{text}')]")
}

struct Phone {
    c: Client,
    base: String,
    shots: PathBuf,
    prefix: String,
    step: usize,
}

impl Phone {
    async fn goto(&self, url_or_path: &str) {
        let url = if url_or_path.starts_with('/') {
            format!("{}{url_or_path}", self.base)
        } else {
            url_or_path.to_string()
        };
        self.c.goto(&url).await.expect("navigate");
    }

    /// Waits for the element (explicitly, never a fixed sleep); on a timeout the
    /// failure tells the URL and what the page says.
    async fn wait(&self, locator: Locator<'_>) -> Element {
        let what = format!("{locator:?}");
        match self
            .c
            .wait()
            .at_most(WAIT)
            .every(Duration::from_millis(50))
            .for_element(locator)
            .await
        {
            Ok(e) => e,
            Err(e) => {
                let url = self.c.current_url().await.map(|u| u.to_string());
                let text = self.body_text().await;
                panic!("waited for {what} ({e}) on {url:?}; the page says:\n{text}")
            }
        }
    }

    async fn wait_css(&self, css: &str) -> Element {
        self.wait(Locator::Css(css)).await
    }

    async fn wait_xpath(&self, xpath: &str) -> Element {
        self.wait(Locator::XPath(xpath)).await
    }

    /// Waits until the browser is at `path` (query included), e.g. after a tap on a link.
    async fn wait_path(&self, path: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self.c.current_url().await.expect("current url");
            let here = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            if here == path {
                return;
            }
            assert!(Instant::now() < deadline, "still at {here}, not {path}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn body_text(&self) -> String {
        match self.c.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(e) => format!("(no body: {e})"),
        }
    }

    async fn text(&self, css: &str) -> String {
        self.wait_css(css).await.text().await.expect("text")
    }

    /// A finger's tap: the element is brought to the middle of the screen first
    /// (not under the fixed tab bar), then clicked.
    async fn tap(&self, e: &Element) {
        let arg = serde_json::to_value(e).expect("element as an argument");
        self.c
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg])
            .await
            .expect("scroll into view");
        e.click().await.expect("tap");
    }

    /// The page is usable on the phone: laid out at the phone's width (the
    /// viewport meta tag works) and nothing wider, so no sideways scrolling.
    /// Then a screenshot of this step.
    async fn check(&mut self, name: &str) {
        let m = self
            .c
            .execute(
                "return {inner: window.innerWidth, doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, url: location.pathname};",
                vec![],
            )
            .await
            .expect("measure the page");
        let (inner, doc, body) = (
            m["inner"].as_u64().unwrap_or(0),
            m["doc"].as_u64().unwrap_or(u64::MAX),
            m["body"].as_u64().unwrap_or(u64::MAX),
        );
        assert_eq!(
            inner,
            u64::from(WIDTH),
            "{name} ({}): laid out {inner} px wide on a {WIDTH} px phone",
            m["url"]
        );
        assert!(
            doc <= inner && body <= inner,
            "{name} ({}): {doc} px of page (body {body}) on a {inner} px screen scrolls sideways",
            m["url"]
        );
        self.step += 1;
        let png = self.c.screenshot().await.expect("screenshot");
        let file = self
            .shots
            .join(format!("{}-{:02}-{name}.png", self.prefix, self.step));
        if let Err(e) = std::fs::write(&file, png) {
            eprintln!("browser test: cannot save {}: {e}", file.display());
        }
    }
}

// ---------------------------------------------------------------------------
// The worker's morning.
// ---------------------------------------------------------------------------

/// chromedriver, or `None` to skip (where the browser tests are not required).
fn chromedriver_or_skip() -> Option<PathBuf> {
    let found = find_chromedriver();
    if found.is_none() {
        assert!(
            !browser_required(),
            "the browser test needs chromedriver and Chromium (Debian: apt-get install chromium \
             chromium-driver; or set GONGJIANG_CHROMEDRIVER), and CI or GONGJIANG_BROWSER_TESTS=1 \
             says it must run"
        );
        eprintln!(
            "skipped the browser test: no chromedriver (apt-get install chromium chromium-driver)"
        );
    }
    found
}

impl Phone {
    async fn open(app: &TestApp, driver: &Chromedriver) -> Phone {
        let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-shots");
        std::fs::create_dir_all(&shots).expect("target/browser-shots");
        Phone {
            c: phone_browser(driver).await,
            base: app.url(""),
            shots,
            prefix: if app.db_url.starts_with("postgres") {
                "postgres".into()
            } else {
                "sqlite".into()
            },
            step: 0,
        }
    }

    /// Fills in the login form and signs in (staff land on their dashboard).
    async fn sign_in(&self, username: &str) {
        self.goto("/login").await;
        self.wait_css("#username")
            .await
            .send_keys(username)
            .await
            .unwrap();
        self.wait_css("#password")
            .await
            .send_keys("gongjiang")
            .await
            .unwrap();
        let login = self.wait_xpath("//button[normalize-space()='登录']").await;
        self.tap(&login).await;
    }

    /// Signs in through the login form and waits for the phone home page.
    async fn login(&mut self, username: &str) {
        self.sign_in(username).await;
        self.wait_css(".m-balance").await;
        self.wait_path("/m").await;
    }
}

/// The member's credited watch time of the course's first lesson, as the API shows it.
async fn watched_ms(app: &TestApp, token: &str, course: i64) -> i64 {
    let (_, l) = app
        .get(token, &format!("/api/v1/courses/{course}/lessons"))
        .await;
    l["items"][0]["watched_ms"].as_i64().unwrap_or(-1)
}

/// The replay on the phone: the player plays a real video (a 10-second WebM,
/// static/demo/lesson.webm) and reports its position as it goes; the server
/// credits only what was really played. A jump to the end counts for nothing;
/// playing it through completes the course and pays its rule once.
#[tokio::test]
async fn a_worker_watches_a_replay_on_the_phone() {
    let Some(bin) = chromedriver_or_skip() else {
        return;
    };
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    let (s, r) = app
        .post(
            &staff,
            "/api/v1/points/rules",
            json!({"org_id": town, "code": "course_completed", "label": "完成课程", "points": 30}),
        )
        .await;
    assert!(s.is_success(), "{r}");
    let yizhou = app.org_id("JS-YIZHOU").await;
    let (_, course) = app
        .post(
            &staff,
            "/api/v1/courses",
            json!({"org_id": yizhou, "title": "数控车床对刀", "category": "职业技能"}),
        )
        .await;
    let cid = course["id"].as_i64().expect("course id");
    let (_, lesson) = app
        .post(
            &staff,
            &format!("/api/v1/courses/{cid}/lessons"),
            json!({"title": "第一讲 对刀", "duration_ms": 10_000}),
        )
        .await;
    let lid = lesson["id"].as_i64().expect("lesson id");
    let video =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("static/demo/lesson.webm"))
            .expect("static/demo/lesson.webm");
    let up = app
        .client
        .put(app.url(&format!("/api/v1/lessons/{lid}/video")))
        .bearer_auth(&staff)
        .header("content-type", "video/webm")
        .body(video)
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), reqwest::StatusCode::OK);
    let worker_id: i64 = sqlx::query("SELECT member_id FROM accounts WHERE username = 'worker'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
        .get(0);
    let worker = crate::support::member_token(&app, worker_id).await;

    let driver = Chromedriver::start(&bin).await;
    let mut p = Phone::open(&app, &driver).await;
    p.login("worker").await;
    p.goto(&format!("/m/courses/{cid}")).await;
    let link = p.wait_css(&format!("a[href='/m/lessons/{lid}']")).await;
    p.tap(&link).await;
    p.wait_path(&format!("/m/lessons/{lid}")).await;
    p.wait_css("video#player").await;
    p.check("replay").await;

    // A script that jumps to the end and reports it: nothing is credited.
    let jumped = p
        .c
        .execute_async(
            "const [done] = arguments; const v = document.getElementById('player'); \
             const go = () => { v.currentTime = 9.5; v.dispatchEvent(new Event('pause')); setTimeout(() => done(v.currentTime), 500); }; \
             if (v.readyState >= 1) go(); else v.addEventListener('loadedmetadata', go, { once: true });",
            vec![],
        )
        .await
        .expect("seek");
    assert!(
        jumped.as_f64().unwrap_or(0.0) > 9.0,
        "the video seeked: {jumped}"
    );
    // The report reached the server (its position is stored) and earned nothing.
    let deadline = Instant::now() + WAIT;
    loop {
        let row = sqlx::query("SELECT position_ms, watched_ms FROM lesson_progress WHERE lesson_id = $1 AND member_id = $2")
            .bind(lid)
            .bind(worker_id)
            .fetch_optional(&app.state.db.pool)
            .await
            .unwrap();
        if let Some(r) = row {
            let (position, credited): (i64, i64) = (r.get(0), r.get(1));
            if position >= 9_000 {
                assert_eq!(credited, 0, "a jump earns nothing");
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the player never reported the jump"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(watched_ms(&app, &worker, cid).await, 0);

    // Played through (muted, as a phone in a pocket would not): the page
    // reports as it plays, the server credits real time, the course completes.
    let started = Instant::now();
    p.c.execute(
        "const v = document.getElementById('player'); v.muted = true; v.currentTime = 0; v.play();",
        vec![],
    )
    .await
    .expect("play");
    p.wait_css("#done:not([hidden])").await;
    let played = started.elapsed().as_millis() as i64;
    let credited = watched_ms(&app, &worker, cid).await;
    assert!(
        (9_000..=10_000).contains(&credited) && credited <= played * 11 / 10 + 2_000,
        "credited {credited} ms for {played} ms of playing"
    );
    let percent = p.text("#percent").await;
    assert!(
        percent.parse::<i64>().unwrap_or(0) >= 90,
        "the page shows {percent}%"
    );
    p.check("replay-done").await;
    let (_, b) = app
        .get(
            &staff,
            &format!("/api/v1/points/balance?member_id={worker_id}"),
        )
        .await;
    assert_eq!(b["balance"], 30, "the course_completed rule paid once: {b}");
}

#[tokio::test]
async fn a_worker_on_a_phone_enrols_checks_in_rates_and_redeems() {
    let Some(bin) = chromedriver_or_skip() else {
        return;
    };
    let started = Instant::now();

    // What staff set up through the API: points for completing a course and
    // for feedback, an item to spend them on, a course with a session on now.
    let app = TestApp::spawn().await;
    let staff = app.login("jiangshan").await;
    let town = app.org_id("ZJ-NB-YZ-JS").await;
    for (code, label, points) in [
        ("course_completed", "完成课程", 30),
        ("feedback", "提交课程反馈", 5),
    ] {
        let (s, r) = app
            .post(
                &staff,
                "/api/v1/points/rules",
                json!({"org_id": town, "code": code, "label": label, "points": points}),
            )
            .await;
        assert!(s.is_success(), "{r}");
    }
    let (s, item) = app
        .post(
            &staff,
            "/api/v1/catalog/items",
            json!({"org_id": town, "name": "工具包", "description": "扳手 螺丝刀 卷尺", "price": 35, "stock": 10}),
        )
        .await;
    assert!(s.is_success(), "{item}");
    let item_id = item["id"].as_i64().expect("item id");
    let yizhou = app.org_id("JS-YIZHOU").await;
    let (_, course) = app
        .post(
            &staff,
            "/api/v1/courses",
            json!({"org_id": yizhou, "title": "数控车床操作", "category": "职业技能"}),
        )
        .await;
    let cid = course["id"].as_i64().expect("course id");
    let now = gongjiang::db::now_ms();
    let (_, session) = app
        .post(
            &staff,
            &format!("/api/v1/courses/{cid}/sessions"),
            json!({"place": "一舟学院 201 教室", "starts_at": now - 600_000, "ends_at": now + 3_600_000, "capacity": 10, "centralised": true}),
        )
        .await;
    let sid = session["session"]["id"].as_i64().expect("session id");
    let token = session["checkin_token"]
        .as_str()
        .expect("token")
        .to_string();
    let row = sqlx::query(
        "SELECT a.member_id, m.name FROM accounts a JOIN members m ON m.id = a.member_id WHERE a.username = 'worker'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let (worker_id, worker_name): (i64, String) = (row.get(0), row.get(1));

    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-shots");
    std::fs::create_dir_all(&shots).expect("target/browser-shots");
    let driver = Chromedriver::start(&bin).await;
    let mut p = Phone {
        c: phone_browser(&driver).await,
        base: app.url(""),
        shots,
        prefix: if app.db_url.starts_with("postgres") {
            "postgres".into()
        } else {
            "sqlite".into()
        },
        step: 0,
    };

    // Log in; a worker lands on the phone pages.
    p.goto("/login").await;
    p.wait_css("#username").await;
    p.check("login").await;
    p.wait_css("#username")
        .await
        .send_keys("worker")
        .await
        .unwrap();
    p.wait_css("#password")
        .await
        .send_keys("gongjiang")
        .await
        .unwrap();
    let login = p.wait_xpath("//button[normalize-space()='登录']").await;
    p.tap(&login).await;
    p.wait_css(".m-balance").await;
    p.wait_path("/m").await;
    assert_eq!(p.text(".m-big").await, "0", "a new worker has no points");
    assert_eq!(p.text(".m-who").await, worker_name);
    p.check("home").await;

    // The courses tab: the session, and enrolling in it.
    let tab = p.wait_css("nav.m-tabs a[href='/m/courses']").await;
    p.tap(&tab).await;
    let card = format!("//section[.//a[@href='/m/courses/{cid}']]");
    let text = p.wait_xpath(&card).await.text().await.unwrap();
    for want in [
        "数控车床操作",
        "一舟学院 201 教室",
        "集中培训",
        "已报 0 / 限 10 人",
    ] {
        assert!(
            text.contains(want),
            "{want:?} not in the course card: {text}"
        );
    }
    p.check("courses").await;
    let enrol = p
        .wait_xpath(&format!("{card}//button[normalize-space()='报名']"))
        .await;
    p.tap(&enrol).await;
    p.wait_xpath(&with_text("p", "ok-box", "报名成功")).await;
    let text = p.wait_xpath(&card).await.text().await.unwrap();
    assert!(
        text.contains("已报名") && text.contains("已报 1 / 限 10 人"),
        "after enrolling: {text}"
    );
    p.check("enrolled").await;

    // The staff screen's QR code carries the check-in link; the phone opens it.
    let mut staff_page = FormBrowser::login(&app, "jiangshan", "gongjiang").await;
    let screen = staff_page.page(&format!("/academy/sessions/{sid}")).await;
    let path_at = screen.html.find("/m/checkin/").expect("the check-in link");
    let link_at = screen.html[..path_at]
        .rfind("http://")
        .expect("an absolute link");
    let link: String = screen.html[link_at..]
        .chars()
        .take_while(|c| !matches!(c, '<' | '"' | ' '))
        .collect();
    assert_eq!(
        link,
        app.url(&format!("/m/checkin/{sid}?token={token}")),
        "the QR link is this session's check-in page on this server"
    );
    assert!(screen.html.contains(&worker_name) && screen.html.contains("已报名"));
    p.goto(&link).await;
    let confirm = p.wait_xpath("//button[normalize-space()='确认签到']").await;
    assert!(p.text(".m-card").await.contains("数控车床操作"));
    p.check("check-in").await;
    p.tap(&confirm).await;
    let ok = p.wait_xpath(&with_text("p", "ok-box", "签到成功")).await;
    let ok = ok.text().await.unwrap();
    assert!(ok.contains("获得 30 积分"), "checked in: {ok}");
    p.check("checked-in").await;

    // Rate the course: five stars and a comment.
    let rate = p.wait_xpath("//a[contains(., '去评价这门课')]").await;
    p.tap(&rate).await;
    let comment = p.wait_css("textarea#comment").await;
    let form = format!("form[action='/m/courses/{cid}']");
    let submit = p.wait_css(&format!("{form} button[type=submit]")).await;
    assert_eq!(submit.text().await.unwrap(), "提交评价");
    let five = p.wait_css("input[name=rating][value='5']").await;
    p.tap(&five).await;
    assert!(
        five.is_selected().await.unwrap(),
        "the fifth star is chosen"
    );
    comment.send_keys("实操多，收获大").await.unwrap();
    p.check("rate").await;
    p.tap(&submit).await;
    let thanks = p.wait_xpath(&with_text("p", "ok-box", "感谢评价")).await;
    let thanks = thanks.text().await.unwrap();
    assert!(thanks.contains("获得 5 积分"), "rated: {thanks}");
    let again = p.wait_css(&format!("{form} button[type=submit]")).await;
    assert_eq!(again.text().await.unwrap(), "修改评价");
    let five = p.wait_css("input[name=rating][value='5']").await;
    assert!(five.is_selected().await.unwrap(), "the rating is kept");
    let kept = p.wait_css("textarea#comment").await.prop("value").await;
    assert_eq!(kept.unwrap().as_deref(), Some("实操多，收获大"));
    p.check("rated").await;

    // The points earned, on the home page and in the statement.
    let tab = p.wait_css("nav.m-tabs a[href='/m']").await;
    p.tap(&tab).await;
    p.wait_css(".m-balance").await;
    assert_eq!(
        p.text(".m-big").await,
        "35",
        "30 for the course + 5 for feedback"
    );
    assert!(p.text(".m-balance").await.contains("累计获得 35 分"));
    p.check("points-earned").await;
    let statement = p.wait_css("a.m-row[href='/m/points']").await;
    p.tap(&statement).await;
    p.wait_path("/m/points").await;
    p.wait_css(".m-plus").await;
    let text = p.text(".m-main").await;
    assert!(
        text.contains("+30") && text.contains("+5"),
        "the statement: {text}"
    );
    p.check("statement").await;

    // The catalogue: redeem the tool kit.
    let tab = p.wait_css("nav.m-tabs a[href='/m/catalog']").await;
    p.tap(&tab).await;
    let card = "//section[.//div[contains(@class, 'm-item-name')][normalize-space()='工具包']]";
    let text = p.wait_xpath(card).await.text().await.unwrap();
    assert!(
        text.contains("35 积分") && text.contains("剩 10 件"),
        "the item: {text}"
    );
    assert!(p.text(".m-top").await.contains("余额 35"));
    let redeem = p
        .wait_xpath(&format!("{card}//button[normalize-space()='兑换']"))
        .await;
    assert!(redeem.is_enabled().await.unwrap(), "35 points buy it");
    p.check("catalog").await;
    p.tap(&redeem).await;
    let placed = p.wait_xpath(&with_text("p", "ok-box", "兑换成功")).await;
    let placed = placed.text().await.unwrap();
    let order_id: i64 = placed
        .split("订单号 ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("an order number in {placed:?}"));
    p.check("order-placed").await;

    // My orders: the order waits to be collected; the points are spent.
    let tab = p.wait_css("nav.m-tabs a[href='/m/orders']").await;
    p.tap(&tab).await;
    p.wait_path("/m/orders").await;
    let text = p
        .wait_xpath(&format!(
            "//section[contains(normalize-space(.), '订单号 {order_id}')]"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("工具包") && text.contains("待领取") && text.contains("35 积分"),
        "the order: {text}"
    );
    p.check("my-orders").await;
    let tab = p.wait_css("nav.m-tabs a[href='/m']").await;
    p.tap(&tab).await;
    p.wait_css(".m-balance").await;
    assert_eq!(p.text(".m-big").await, "0");
    assert!(p
        .text("a.m-row[href='/m/orders']")
        .await
        .contains("1 件待领取"));
    p.check("home-after").await;
    p.c.close().await.expect("close the browser");
    drop(driver);

    // What the database holds now, through the API.
    let worker = app.login("worker").await;
    let (_, balance) = app.get(&worker, "/api/v1/points/balance").await;
    assert_eq!(
        (balance["balance"].as_i64(), balance["lifetime"].as_i64()),
        (Some(0), Some(35)),
        "{balance}"
    );
    let (_, entries) = app.get(&worker, "/api/v1/points/entries").await;
    let mut amounts: Vec<i64> = entries["items"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["amount"].as_i64())
        .collect();
    amounts.sort();
    assert_eq!(amounts, [-35, 5, 30], "{entries}");
    let (_, orders) = app.get(&worker, "/api/v1/orders").await;
    assert_eq!(orders["total"], 1, "{orders}");
    let order = &orders["items"][0];
    assert_eq!(
        (
            order["id"].as_i64(),
            order["item_id"].as_i64(),
            order["points"].as_i64(),
            order["state"].as_str(),
            order["member_id"].as_i64()
        ),
        (
            Some(order_id),
            Some(item_id),
            Some(35),
            Some("placed"),
            Some(worker_id)
        ),
        "{order}"
    );
    let (_, roster) = app
        .get(&staff, &format!("/api/v1/sessions/{sid}/roster"))
        .await;
    let mine = roster["items"]
        .as_array()
        .expect("roster")
        .iter()
        .find(|e| e["member_id"] == worker_id)
        .unwrap_or_else(|| panic!("the worker is on the roster: {roster}"));
    assert_eq!(mine["state"], "attended", "{roster}");
    let (_, feedback) = app
        .get(&staff, &format!("/api/v1/courses/{cid}/feedback"))
        .await;
    let fb = &feedback["items"][0];
    assert_eq!(
        (
            fb["member_id"].as_i64(),
            fb["rating"].as_i64(),
            fb["comment"].as_str()
        ),
        (Some(worker_id), Some(5), Some("实操多，收获大")),
        "{feedback}"
    );
    let (_, items) = app.get(&staff, "/api/v1/catalog/items").await;
    let kit = items["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == item_id)
        .expect("the tool kit");
    assert_eq!(kit["stock"], 9, "{kit}");
    eprintln!(
        "browser test ({}): {} steps in {:.1} s, screenshots in target/browser-shots/",
        p.prefix,
        p.step,
        started.elapsed().as_secs_f64()
    );
}

/// Issue 10: a worker of a town built from its sample sheets gets an account
/// in bulk, activates it on the phone with the code from the slip, lands on
/// the phone home and enrols in a course.
#[tokio::test]
async fn a_worker_activates_on_the_phone_and_enrols() {
    let Some(bin) = chromedriver_or_skip() else {
        return;
    };
    let app = TestApp::spawn().await;
    let admin = app.login("admin").await;
    let town = crate::activation::town(&app, &admin).await;
    let (s, r) = app
        .post(&admin, "/api/v1/accounts/bulk", json!({"org_id": town}))
        .await;
    assert!(s.is_success(), "{r}");
    let hu = r["created"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "胡志强")
        .expect("胡志强 got an account")
        .clone();
    let code = hu["code"].as_str().unwrap().to_string();
    let firm = app.org_id("ZQ-JG").await;
    let (_, course) = app
        .post(
            &admin,
            "/api/v1/courses",
            json!({"org_id": firm, "title": "钳工技能提升", "category": "职业技能"}),
        )
        .await;
    let cid = course["id"].as_i64().expect("course id");
    let now = gongjiang::db::now_ms();
    let (s, session) = app
        .post(
            &admin,
            &format!("/api/v1/courses/{cid}/sessions"),
            json!({"place": "精工机械培训室", "starts_at": now + 86_400_000, "ends_at": now + 90_000_000, "capacity": 30}),
        )
        .await;
    assert!(s.is_success(), "{session}");

    let driver = Chromedriver::start(&bin).await;
    let mut p = Phone::open(&app, &driver).await;
    p.prefix.push_str("-activate");
    p.goto("/login").await;
    let link = p.wait_xpath("//a[@href='/m/activate']").await;
    p.tap(&link).await;
    p.wait_css("#phone").await;
    p.check("activate").await;
    p.wait_css("#phone")
        .await
        .send_keys("13905741000")
        .await
        .unwrap();
    // A mistyped code first: the form says so and keeps what was typed.
    p.wait_css("#code")
        .await
        .send_keys("AAAA-BBBB")
        .await
        .unwrap();
    for id in ["#password", "#password2"] {
        p.wait_css(id)
            .await
            .send_keys("qianggong-2026")
            .await
            .unwrap();
    }
    let go = p
        .wait_xpath("//button[normalize-space()='激活并登录']")
        .await;
    p.tap(&go).await;
    p.wait_xpath(&with_text("p", "error-box", "信息不匹配"))
        .await;
    let kept = p.wait_css("#phone").await.prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("13905741000"));
    let code_box = p.wait_css("#code").await;
    code_box.clear().await.unwrap();
    code_box.send_keys(&code.to_lowercase()).await.unwrap();
    for id in ["#password", "#password2"] {
        p.wait_css(id)
            .await
            .send_keys("qianggong-2026")
            .await
            .unwrap();
    }
    let go = p
        .wait_xpath("//button[normalize-space()='激活并登录']")
        .await;
    p.tap(&go).await;
    p.wait_css(".m-balance").await;
    p.wait_path("/m").await;
    assert_eq!(p.text(".m-who").await, "胡志强");
    p.check("activated").await;

    let tab = p.wait_css("nav.m-tabs a[href='/m/courses']").await;
    p.tap(&tab).await;
    let card = format!("//section[.//a[@href='/m/courses/{cid}']]");
    let enrol = p
        .wait_xpath(&format!("{card}//button[normalize-space()='报名']"))
        .await;
    p.tap(&enrol).await;
    p.wait_xpath(&with_text("p", "ok-box", "报名成功")).await;
    let text = p.wait_xpath(&card).await.text().await.unwrap();
    assert!(text.contains("已报名"), "after enrolling: {text}");
    p.check("enrolled").await;
    p.c.close().await.ok();
}

/// The tree's rows the phone shows (their names and codes).
async fn shown_rows(p: &Phone) -> Vec<String> {
    p.c.execute(
        "return Array.from(document.querySelectorAll('#org-tree li')).filter(li => !li.hidden).map(li => li.dataset.find);",
        vec![],
    )
    .await
    .unwrap()
    .as_array()
    .unwrap()
    .iter()
    .map(|v| v.as_str().unwrap().to_string())
    .collect()
}

/// Staff on a phone: the bar folds behind 菜单, the tree folds and finds a
/// union, tables scroll in their box (the page itself never sideways), a
/// union picker narrows as one types, and a member field offers names.
#[tokio::test]
async fn staff_use_the_console_on_a_phone() {
    let Some(bin) = chromedriver_or_skip() else {
        return;
    };
    let app = TestApp::spawn().await;
    let driver = Chromedriver::start(&bin).await;
    let mut p = Phone::open(&app, &driver).await;
    p.prefix.push_str("-console");
    p.sign_in("admin").await;
    let menu = p.wait_css("label.menu-button").await;
    assert!(menu.is_displayed().await.unwrap(), "菜单 shows on a phone");
    let first_link = p.wait_css("header nav a").await;
    assert!(
        !first_link.is_displayed().await.unwrap(),
        "the bar is folded"
    );
    p.tap(&menu).await;
    assert!(
        first_link.is_displayed().await.unwrap(),
        "菜单 opens the bar"
    );
    p.check("console-menu").await;

    // The tree: the province and its cities at first (deeper branches
    // folded); the province's ▾ folds its branch, the search finds a union
    // by name with the way down to it.
    p.goto("/orgs").await;
    let find = p.wait_css("#tree-find").await;
    let first = shown_rows(&p).await;
    assert!(first.len() > 1 && first[0].ends_with(" ZJ"), "{first:?}");
    p.check("console-tree").await;
    let fold = p.wait_css("#org-tree li button.fold").await;
    p.tap(&fold).await;
    let folded = shown_rows(&p).await;
    assert!(
        folded[0].ends_with(" ZJ") && !folded.iter().any(|f| f.contains("ZJ-HZ")),
        "the province folded: {folded:?}"
    );
    p.tap(&fold).await;
    assert_eq!(shown_rows(&p).await, first, "opened again");
    find.send_keys("一舟").await.unwrap();
    let found = shown_rows(&p).await;
    // The union and the way down to it.
    assert!(found.len() > 2 && found[0].ends_with(" ZJ"), "{found:?}");
    assert!(found.last().unwrap().contains("JS-YIZHOU"), "{found:?}");

    // A wide table scrolls inside its box.
    p.goto("/members").await;
    p.wait_css("table").await;
    p.check("console-members").await;

    // The union picker narrows as one types; the member field offers names.
    p.goto("/points").await;
    let filter = p.wait_css("input.org-filter").await;
    filter.send_keys("一舟").await.unwrap();
    let picked =
        p.c.execute(
            "var s = document.querySelector('#i-org'); return s.options[s.selectedIndex].text;",
            vec![],
        )
        .await
        .unwrap();
    assert!(picked.as_str().unwrap().contains("一舟"), "{picked}");
    let member = p.wait_css("#g-member").await;
    let name: String = sqlx::query_scalar("SELECT m.name FROM members m JOIN orgs o ON o.id = m.org_id WHERE o.code = 'JS-YIZHOU' ORDER BY m.id LIMIT 1")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    member.send_keys(&name).await.unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let offered = p
            .c
            .execute("var l = document.getElementById(document.querySelector('#g-member').getAttribute('list')); return Array.from(l.options).map(o => o.value);", vec![])
            .await
            .unwrap();
        let offered: Vec<String> = offered
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        if offered
            .iter()
            .any(|v| v.starts_with(&format!("{name}（编号 ")))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no offer for {name}: {offered:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    p.check("console-picker").await;
}

/// The dashboard in a real browser (issue 12): staff land on it at the root,
/// open the demo town's, follow a figure to the list it counts (the same
/// number of people), and download the report.
#[tokio::test]
async fn staff_open_the_dashboard_follow_a_figure_and_download_the_report() {
    let Some(bin) = chromedriver_or_skip() else {
        return;
    };
    let app = TestApp::spawn().await;
    let driver = Chromedriver::start(&bin).await;
    let mut p = Phone::open(&app, &driver).await;
    p.prefix.push_str("-dashboard");
    p.sign_in("admin").await;
    // Staff land on the dashboard of their own union: the root.
    p.wait_path("/dashboard").await;
    p.wait_css("figure.chart svg[role='img']").await;
    assert!(p.body_text().await.contains("下级组织"));
    p.check("dashboard-root").await;

    let town = app.org_id("ZJ-NB-YZ-JS").await;
    p.goto(&format!("/dashboard?org_id={town}")).await;
    let card = p
        .wait_xpath("//a[contains(@class,'card')][.//span[@class='label' and normalize-space()='高技能人才']]")
        .await;
    let shown: String = card
        .find(Locator::Css(".value"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    p.check("dashboard-town").await;
    p.tap(&card).await;
    // The member list, filtered as the figure counts, says the same number.
    let said = p.wait_xpath("//p[contains(., '高级工及以上')]").await;
    let text = said.text().await.unwrap();
    assert!(
        text.contains(&format!("共 {shown} 人")),
        "{text} (the card said {shown})"
    );

    // The report, downloaded by the browser with its own session.
    p.goto(&format!("/dashboard?org_id={town}")).await;
    let link = p
        .wait_xpath("//a[contains(normalize-space(), '下载统计报表')]")
        .await;
    let href = link.attr("href").await.unwrap().unwrap();
    let got = p
        .c
        .execute_async(
            "var done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done({
               status: r.status, type: r.headers.get('content-type'),
               size: b.byteLength, zip: new Uint8Array(b)[0] === 0x50 && new Uint8Array(b)[1] === 0x4b
             }))).catch(e => done({error: String(e)}));",
            vec![serde_json::json!(href)],
        )
        .await
        .unwrap();
    assert_eq!(got["status"], 200, "{got}");
    assert!(
        got["type"]
            .as_str()
            .unwrap_or_default()
            .contains("spreadsheetml"),
        "{got}"
    );
    assert!(
        got["zip"].as_bool().unwrap_or(false) && got["size"].as_u64().unwrap_or(0) > 1000,
        "{got}"
    );
}
