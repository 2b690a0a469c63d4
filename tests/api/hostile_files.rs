//! Files made to hurt the server (findings 1, 2 and the long cell of the
//! security review): each is built here, uploaded through the API, and must end
//! its own import with a Chinese message while the server keeps answering and
//! its memory stays where it was.

use crate::imports::{finished, import, upload};
use crate::support::{id_number, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{Cursor, Write};

/// The resident memory of this process (the server runs inside the test binary).
fn rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

// ---------------------------------------------------------------- .xls (BIFF8)

fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend(typ.to_le_bytes());
    out.extend((data.len() as u16).to_le_bytes());
    out.extend(data);
}

fn bof(dt: u16) -> Vec<u8> {
    let mut d = vec![];
    d.extend(0x0600u16.to_le_bytes()); // BIFF8
    d.extend(dt.to_le_bytes());
    d.extend([0u8; 12]);
    d
}

fn number(row: u16, col: u16, v: f64) -> Vec<u8> {
    let mut d = vec![];
    d.extend(row.to_le_bytes());
    d.extend(col.to_le_bytes());
    d.extend(0u16.to_le_bytes());
    d.extend(v.to_le_bytes());
    d
}

/// A one-sheet .xls whose sheet claims `dims` (rows, cols) in its DIMENSIONS
/// record and holds cells at `cells`.
pub fn hostile_xls(dims: (u32, u16), cells: &[(u16, u16)]) -> Vec<u8> {
    let mut sheet = vec![];
    record(&mut sheet, 0x0809, &bof(0x0010));
    let mut d = vec![];
    d.extend(0u32.to_le_bytes());
    d.extend(dims.0.to_le_bytes());
    d.extend(0u16.to_le_bytes());
    d.extend(dims.1.to_le_bytes());
    d.extend(0u16.to_le_bytes());
    record(&mut sheet, 0x0200, &d);
    for (r, c) in cells {
        record(&mut sheet, 0x0203, &number(*r, *c, 1.0));
    }
    record(&mut sheet, 0x000A, &[]);

    let name = b"Sheet1";
    let globals_len = {
        // BOF + BoundSheet + EOF, to know where the sheet starts.
        4 + 16 + 4 + (6 + 2 + name.len()) + 4
    };
    let mut globals = vec![];
    record(&mut globals, 0x0809, &bof(0x0005));
    let mut bs = vec![];
    bs.extend((globals_len as u32).to_le_bytes());
    bs.extend([0u8, 0u8, name.len() as u8, 0u8]);
    bs.extend(name);
    record(&mut globals, 0x0085, &bs);
    record(&mut globals, 0x000A, &[]);
    assert_eq!(globals.len(), globals_len);
    globals.extend(sheet);

    let mut file = Cursor::new(vec![]);
    {
        let mut cfb = cfb::CompoundFile::create_with_version(cfb::Version::V3, &mut file).unwrap();
        let mut s = cfb.create_stream("/Workbook").unwrap();
        s.write_all(&globals).unwrap();
        s.flush().unwrap();
        drop(s);
        cfb.flush().unwrap();
    }
    file.into_inner()
}

// ----------------------------------------------------------- .xlsx zip bomb

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in data {
        crc ^= *b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Deflate (fixed Huffman) of `prefix` followed by `repeats` × 258 copies of
/// its last byte: 13 bits of output for every 258 bytes unzipped.
fn deflate_bomb(prefix: &[u8], repeats: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, v: u64, n: u32) {
            self.acc |= v << self.n;
            self.n += n;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code goes in most significant bit first.
        fn code(&mut self, v: u64, n: u32) {
            let mut r = 0u64;
            for i in 0..n {
                r |= ((v >> i) & 1) << (n - 1 - i);
            }
            self.put(r, n);
        }
    }
    let mut b = Bits {
        out: Vec::with_capacity((repeats * 13 / 8) as usize + 64),
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // final block
    b.put(1, 2); // fixed Huffman
    for &c in prefix {
        if c < 144 {
            b.code(0x30 + c as u64, 8);
        } else {
            b.code(0x190 + (c as u64 - 144), 9);
        }
    }
    for _ in 0..repeats {
        b.code(0xC5, 8); // length 258
        b.code(0, 5); // distance 1
    }
    b.code(0, 7); // end of block
    b.put(0, 7);
    b.out
}

/// A zip with the given entries: (name, bytes as stored, method, unzipped size, crc).
fn zip_of(entries: &[(String, Vec<u8>, u16, u64, u32)]) -> Vec<u8> {
    let mut out = vec![];
    let mut central = vec![];
    for (name, data, method, size, crc) in entries {
        let offset = out.len() as u32;
        let head = |sig: u32, central: bool| {
            let mut h = vec![];
            h.extend(sig.to_le_bytes());
            if central {
                h.extend(20u16.to_le_bytes());
            }
            h.extend(20u16.to_le_bytes());
            h.extend(0u16.to_le_bytes());
            h.extend(method.to_le_bytes());
            h.extend(0u32.to_le_bytes()); // time, date
            h.extend(crc.to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((*size as u32).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes());
            if central {
                h.extend([0u8; 6]); // comment length, disk, internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(head(0x0403_4b50, false));
        out.extend(data);
        central.extend(head(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A real workbook (a roster header and one person) whose shared strings unzip
/// to `unzipped` bytes: the parts of a valid .xlsx, then the bomb.
pub fn zip_bomb_xlsx(unzipped: u64) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_row(0, 0, ["姓名", "身份证号"]).unwrap();
    ws.write_row(1, 0, ["张伟", id_number(1).as_str()]).unwrap();
    let real = wb.save_to_buffer().unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(real)).unwrap();
    let mut entries = vec![];
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = vec![];
        std::io::Read::read_to_end(&mut f, &mut data).unwrap();
        if name == "xl/sharedStrings.xml" {
            continue;
        }
        let (size, crc) = (data.len() as u64, crc32(&data));
        entries.push((name, data, 0u16, size, crc));
    }
    let prefix = b"<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><si><t>A";
    let repeats = (unzipped - prefix.len() as u64) / 258;
    let size = prefix.len() as u64 + repeats * 258;
    entries.push((
        "xl/sharedStrings.xml".into(),
        deflate_bomb(prefix, repeats),
        8,
        size,
        0,
    ));
    zip_of(&entries)
}

// ------------------------------------------------------------------ the tests

/// Keeps a copy of a generated file when `GONGJIANG_FIXTURES_OUT` names a folder
/// (to measure the release server with the same files: see BENCHMARKS.md).
fn keep(name: &str, data: &[u8]) {
    if let Some(dir) = std::env::var_os("GONGJIANG_FIXTURES_OUT") {
        let _ = std::fs::write(std::path::Path::new(&dir).join(name), data);
    }
}

/// Uploads a hostile file while watching `/healthz` and this process's memory;
/// returns the finished job and the highest RSS seen (MB) above the start.
async fn import_watched(app: &TestApp, name: &str, data: Vec<u8>) -> (Value, u64) {
    let token = app.login("jiangshan").await;
    let org = app.org_id("ZJ-NB-YZ-JS").await;
    let before = rss_mb();
    let (status, body) = upload(app, &token, org, "all", name, data).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["id"].as_i64().unwrap();
    let mut peak = before;
    let job = loop {
        let health = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(
            health.status(),
            StatusCode::OK,
            "the server answers throughout"
        );
        peak = peak.max(rss_mb());
        let (_, job) = app.get(&token, &format!("/api/v1/imports/{id}")).await;
        if job["state"] != "running" {
            break job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    (job, peak.saturating_sub(before))
}

#[tokio::test]
async fn an_xls_claiming_a_huge_sheet_fails_its_import_not_the_server() {
    let app = TestApp::spawn().await;
    let before = app.fingerprint().await;
    // The DIMENSIONS record claims 0x100000 rows × 0x4000 columns.
    let dims = hostile_xls((0x10_0000, 0x4000), &[(0, 0)]);
    keep("dimensions.xls", &dims);
    assert!(dims.len() < 9_000, "a file of a few KB: {}", dims.len());
    let (job, grew) = import_watched(&app, "名单.xls", dims).await;
    assert_eq!(job["state"], "failed", "{job}");
    let msg = job["message"].as_str().unwrap();
    assert!(msg.contains("1048576 行 × 16384 列"), "{msg}");
    eprintln!("xls claiming 0x100000 × 0x4000: server RSS grew {grew} MB");

    // One cell at 65535,65535 beside one at 0,0: the cells span 4 billion.
    let far = hostile_xls((1, 1), &[(0, 0), (65535, 65535)]);
    keep("far-cell.xls", &far);
    let (job, grew2) = import_watched(&app, "名单.xls", far).await;
    assert_eq!(job["state"], "failed", "{job}");
    let msg = job["message"].as_str().unwrap();
    assert!(msg.contains("65536 行 × 65536 列"), "{msg}");
    assert!(grew.max(grew2) < 100, "RSS grew {grew} / {grew2} MB");
    assert_eq!(
        app.fingerprint().await[..],
        before[..],
        "nothing written but the audit log stays"
    );
}

#[tokio::test]
async fn a_parser_that_dies_ends_the_import_with_a_message() {
    // Past the checks, a parser that still runs out of its memory limit (here
    // a legitimate-looking sheet, with the child's limit set far too low) ends
    // the import, and the server goes on.
    let app = TestApp::spawn().await;
    let mut parser = gongjiang::roster::isolate::Parser::with_exe(env!("CARGO_BIN_EXE_gongjiang"));
    parser.memory_bytes = 8 * 1024 * 1024;
    let state = app.state.clone().with_parser(parser);
    let org = gongjiang::org::store::get_by_code(&state.db, "ZJ-NB-YZ-JS")
        .await
        .unwrap()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("名单.xls");
    std::fs::write(&file, hostile_xls((2, 2), &[(0, 0), (1, 1)])).unwrap();
    let actor = gongjiang::audit::Actor::cli();
    let mode = gongjiang::roster::import::Mode::All;
    let kind = gongjiang::roster::import::Kind::Members;
    let id = gongjiang::roster::store::create_job(&state.db, &actor, &org, kind, mode, "名单.xls")
        .await
        .unwrap();
    let job = gongjiang::roster::import::Job {
        id,
        actor,
        org,
        kind,
        mode,
        filename: "名单.xls".into(),
        register_employers: false,
    };
    let outcome = gongjiang::roster::import::run(
        &state.db,
        state.keys.clone(),
        &state.parser,
        &job,
        &file,
        Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.state, "failed");
    assert!(outcome.message.contains("无法读取"), "{}", outcome.message);
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_zip_bomb_fails_its_import_and_the_memory_stays_flat() {
    let app = TestApp::spawn().await;
    // 1.7 GB of shared strings, as in the review (this one ~10 MB zipped).
    let bomb = zip_bomb_xlsx(1_700_000_000);
    keep("zip-bomb.xlsx", &bomb);
    let (job, grew) = import_watched(&app, "名单.xlsx", bomb).await;
    assert_eq!(job["state"], "failed", "{job}");
    let msg = job["message"].as_str().unwrap();
    assert!(
        msg.contains("共享字符串") && msg.contains("256 MB"),
        "{msg}"
    );
    eprintln!("xlsx zip bomb (1.7 GB shared strings): server RSS grew {grew} MB");
    assert!(grew < 100, "RSS grew {grew} MB");
}

#[tokio::test]
async fn uploads_stream_to_disk_and_past_the_limit_answer_413() {
    let app = TestApp::spawn().await;
    let token = app.login("jiangshan").await;
    let org = app.org_id("ZJ-NB-YZ-JS").await;
    let path = format!("/api/v1/imports?org_id={org}&mode=check&filename=big.csv");
    let before = rss_mb();
    // Four 200 MB uploads at once: bodies held in memory would take 800 MB.
    let mut tasks = vec![];
    for _ in 0..4 {
        let (app_addr, token, path) = (app.addr, token.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let fake = TestAppRef { addr: app_addr };
            fake.send(&token, &path, 200 << 20).await
        }));
    }
    let mut peak = before;
    while !tasks.iter().all(|t| t.is_finished()) {
        peak = peak.max(rss_mb());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for t in tasks {
        let answer = t.await.unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 202"),
            "{}",
            &answer[..answer.len().min(300)]
        );
    }
    let grew = peak.saturating_sub(before);
    eprintln!("four concurrent 200 MB uploads: RSS grew {grew} MB");
    assert!(grew < 150, "RSS grew {grew} MB");

    // Over the 256 MB limit: 413, problem+json.
    let answer = TestAppRef { addr: app.addr }
        .send(&token, &path, 300 << 20)
        .await;
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "{}",
        &answer[..answer.len().min(300)]
    );
    assert!(answer.contains("application/problem+json"), "{answer}");
}

/// Sends a body of `size` bytes without ever holding it, over a raw socket.
struct TestAppRef {
    addr: std::net::SocketAddr,
}

impl TestAppRef {
    async fn send(&self, token: &str, path: &str, size: u64) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut sock = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
        );
        sock.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![b'a'; 1 << 20];
        let mut sent = 0u64;
        while sent < size {
            let n = chunk.len().min((size - sent) as usize);
            if sock.write_all(&chunk[..n]).await.is_err() {
                break;
            }
            sent += n as u64;
        }
        let mut answer = String::new();
        let _ = sock.read_to_string(&mut answer).await;
        answer
    }
}

#[tokio::test]
async fn a_cell_over_32767_characters_is_a_row_error() {
    let app = TestApp::spawn().await;
    let token = app.login("jiangshan").await;
    let org = app.org_id("ZJ-NB-YZ-JS").await;
    let long = "很".repeat(40_000);
    let csv = format!(
        "姓名,身份证号,工种\n张三,{},{long}\n李四,{},焊工\n",
        id_number(801),
        id_number(802)
    );
    let job = import(&app, &token, org, "all", "名单.csv", csv.into_bytes()).await;
    assert_eq!(job["state"], "rejected", "{job}");
    let errors = job["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{job}");
    assert_eq!(errors[0]["row"], 2);
    assert!(
        errors[0]["reason"].as_str().unwrap().contains("32767"),
        "{job}"
    );
    // The error workbook is there too, the long text cut to what Excel holds.
    let id = job["id"].as_i64().unwrap();
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/imports/{id}/report.xlsx")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let _ = finished(&app, &token, id).await;
}

#[tokio::test]
async fn imports_beyond_the_slots_wait_their_turn() {
    let app = TestApp::spawn().await;
    let token = app.login("jiangshan").await;
    let org = app.org_id("ZJ-NB-YZ-JS").await;
    // Every slot taken (as by imports already running).
    let slots = app.state.imports.slots.clone();
    let held = slots.clone().acquire_many_owned(2).await.unwrap();
    assert_eq!(
        slots.available_permits(),
        0,
        "two imports run at once by default"
    );
    let csv = format!("姓名,身份证号\n排队,{}\n", id_number(901));
    let (status, body) = upload(&app, &token, org, "check", "排队.csv", csv.into_bytes()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["id"].as_i64().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, job) = app.get(&token, &format!("/api/v1/imports/{id}")).await;
    assert_eq!(job["state"], "running", "it waits: {job}");
    assert_eq!(job["rows_done"], 0, "and has not started: {job}");
    drop(held);
    let job = finished(&app, &token, id).await;
    assert_eq!(job["state"], "checked", "{job}");
}
