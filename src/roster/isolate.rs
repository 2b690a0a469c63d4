//! Workbooks are parsed in a child process of this same binary, never in the
//! server. A parser is a large body of code reading a file a stranger wrote:
//! a crafted file can make it reserve memory it will never get, and a failed
//! allocation aborts the whole process. So the child runs with an address-space
//! and a CPU-time limit of its own (`setrlimit`), checks the file's declared
//! sizes before the parser sees it (see `read::check_bounds`), and streams rows
//! back over a pipe in a small binary framing. If it dies, that import ends with
//! a clear message and the server goes on serving. A thread would share the
//! server's memory and its abort; a seccomp sandbox would need far more code
//! for the same guarantee here.

use super::read::{self, RowSink, Source};
use super::rules::Cell;
use anyhow::{bail, Context};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// The hidden subcommand the child runs: `gongjiang __parse-sheet FILE NAME`.
pub const SUBCOMMAND: &str = "__parse-sheet";

/// How to start a parser child and what it may use.
#[derive(Debug, Clone)]
pub struct Parser {
    /// The gongjiang binary (the server's own executable).
    pub exe: PathBuf,
    /// Address space of the child: `GONGJIANG_PARSER_MEMORY_MB` (default 1024).
    pub memory_bytes: u64,
    /// CPU seconds of the child: `GONGJIANG_PARSER_CPU_SECS` (default 900).
    pub cpu_secs: u64,
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|v| *v > 0)
        .unwrap_or(default)
}

impl Parser {
    /// This process's own binary as the parser (the server and the CLI).
    pub fn current_exe() -> Parser {
        Parser::with_exe(std::env::current_exe().unwrap_or_else(|_| PathBuf::from("gongjiang")))
    }

    /// Another gongjiang binary (tests and benchmarks run inside their own executables).
    pub fn with_exe(exe: impl Into<PathBuf>) -> Parser {
        Parser {
            exe: exe.into(),
            memory_bytes: env_u64("GONGJIANG_PARSER_MEMORY_MB", 1024) * 1024 * 1024,
            cpu_secs: env_u64("GONGJIANG_PARSER_CPU_SECS", 900),
        }
    }

    /// Reads `path` in a child and hands its rows to `sink` (blocking).
    pub fn read(&self, path: &Path, filename: &str, sink: &mut dyn RowSink) -> anyhow::Result<()> {
        let mut child = Command::new(&self.exe)
            .arg(SUBCOMMAND)
            .arg(path)
            .arg(filename)
            .env(
                "GONGJIANG_PARSER_MEMORY_MB",
                (self.memory_bytes / 1024 / 1024).to_string(),
            )
            .env("GONGJIANG_PARSER_CPU_SECS", self.cpu_secs.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start the sheet parser {}", self.exe.display()))?;
        let stdout = child
            .stdout
            .take()
            .context("the sheet parser has no output pipe")?;
        let mut frames = BufReader::with_capacity(1 << 16, stdout);
        let outcome = relay(&mut frames, sink);
        if !matches!(outcome, Relay::Stopped) {
            // Read to the end so the child is not blocked on a full pipe while we wait.
            let _ = std::io::copy(&mut frames, &mut std::io::sink());
        }
        if matches!(outcome, Relay::Stopped) {
            let _ = child.kill();
        }
        let status = child.wait()?;
        match outcome {
            Relay::Stopped | Relay::Finished => Ok(()),
            Relay::Fatal(message) => bail!(message),
            Relay::Broken => {
                use std::os::unix::process::ExitStatusExt;
                let why = match status.signal() {
                    Some(libc::SIGXCPU) | Some(libc::SIGKILL) => "解析时间超过上限",
                    Some(_) => "解析所需内存超过上限",
                    None => "解析程序意外退出",
                };
                bail!("文件“{filename}”无法读取（{why}）：文件可能已损坏或声明了异常大的表格范围；请在 Excel 中另存为 .xlsx 后重试")
            }
        }
    }
}

enum Relay {
    Finished,
    /// The sink asked to stop.
    Stopped,
    Fatal(String),
    /// The child died or wrote nonsense.
    Broken,
}

fn relay(frames: &mut impl BufRead, sink: &mut dyn RowSink) -> Relay {
    loop {
        match decode(frames) {
            Ok(Frame::Sheet(name, rows)) => sink.sheet(&name, rows as usize),
            Ok(Frame::Row(n, cells)) => {
                if !sink.row(n, cells) {
                    return Relay::Stopped;
                }
            }
            Ok(Frame::End) => return Relay::Finished,
            Ok(Frame::Fatal(m)) => return Relay::Fatal(m),
            Err(_) => return Relay::Broken,
        }
    }
}

/// The child: limits itself, reads the file, writes frames to stdout.
pub fn child_main(args: &[String]) -> ExitCode {
    let (Some(path), Some(filename)) = (args.first(), args.get(1)) else {
        eprintln!("usage: gongjiang {SUBCOMMAND} FILE NAME");
        return ExitCode::from(2);
    };
    limit_self(
        env_u64("GONGJIANG_PARSER_MEMORY_MB", 1024) * 1024 * 1024,
        env_u64("GONGJIANG_PARSER_CPU_SECS", 900),
    );
    let stdout = std::io::stdout().lock();
    let mut out = FrameWriter {
        w: BufWriter::with_capacity(1 << 16, stdout),
        failed: false,
    };
    let result = read::read(&Source::Path(PathBuf::from(path)), filename, &mut out);
    let last = match result {
        Ok(()) => Frame::End,
        Err(e) => Frame::Fatal(e.to_string()),
    };
    let _ = encode(&mut out.w, &last);
    match out.w.flush() {
        Ok(()) if !out.failed => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

fn limit_self(memory_bytes: u64, cpu_secs: u64) {
    // SAFETY: setrlimit with a valid resource and a pointer to a live struct.
    unsafe {
        let mem = libc::rlimit {
            rlim_cur: memory_bytes,
            rlim_max: memory_bytes,
        };
        libc::setrlimit(libc::RLIMIT_AS, &mem);
        let cpu = libc::rlimit {
            rlim_cur: cpu_secs,
            rlim_max: cpu_secs + 5,
        };
        libc::setrlimit(libc::RLIMIT_CPU, &cpu);
    }
}

struct FrameWriter<W: Write> {
    w: W,
    failed: bool,
}

impl<W: Write> RowSink for FrameWriter<W> {
    fn sheet(&mut self, name: &str, rows_hint: usize) {
        let f = Frame::Sheet(name.to_string(), rows_hint.min(u32::MAX as usize) as u32);
        self.failed |= encode(&mut self.w, &f).is_err();
    }

    fn row(&mut self, row_number: u32, cells: Vec<Cell>) -> bool {
        self.failed |= encode(&mut self.w, &Frame::Row(row_number, cells)).is_err();
        // The parent stopped reading: stop parsing.
        !self.failed
    }
}

/// What goes over the pipe.
#[derive(Debug, PartialEq)]
enum Frame {
    Sheet(String, u32),
    Row(u32, Vec<Cell>),
    End,
    Fatal(String),
}

/// No cell longer than this crosses the pipe: longer text is a row error anyway
/// (see `rules::MAX_CELL_CHARS`), and the cut keeps the parent's memory bounded.
const MAX_CELL_BYTES: usize = 4 * 32_768;
const MAX_CELLS_PER_ROW: usize = read::MAX_COLUMNS;

fn put_str(w: &mut impl Write, s: &str) -> std::io::Result<()> {
    w.write_all(&(s.len() as u32).to_le_bytes())?;
    w.write_all(s.as_bytes())
}

fn encode(w: &mut impl Write, f: &Frame) -> std::io::Result<()> {
    match f {
        Frame::Sheet(name, rows) => {
            w.write_all(b"S")?;
            w.write_all(&rows.to_le_bytes())?;
            put_str(w, name)
        }
        Frame::Row(n, cells) => {
            w.write_all(b"R")?;
            w.write_all(&n.to_le_bytes())?;
            let count = cells.len().min(MAX_CELLS_PER_ROW);
            w.write_all(&(count as u16).to_le_bytes())?;
            for c in &cells[..count] {
                match c {
                    Cell::Empty => w.write_all(&[0])?,
                    Cell::Text(s) => {
                        w.write_all(&[1])?;
                        let mut end = s.len().min(MAX_CELL_BYTES);
                        while !s.is_char_boundary(end) {
                            end -= 1;
                        }
                        put_str(w, &s[..end])?;
                    }
                    Cell::Number(x) => {
                        w.write_all(&[2])?;
                        w.write_all(&x.to_le_bytes())?;
                    }
                    Cell::Date(y, m, d) => {
                        w.write_all(&[3])?;
                        w.write_all(&y.to_le_bytes())?;
                        w.write_all(&[*m as u8, *d as u8])?;
                    }
                    Cell::Bool(b) => w.write_all(&[4, *b as u8])?,
                }
            }
            Ok(())
        }
        Frame::End => w.write_all(b"E"),
        Frame::Fatal(m) => {
            w.write_all(b"F")?;
            put_str(w, m)
        }
    }
}

fn get<const N: usize>(r: &mut impl Read) -> std::io::Result<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b)?;
    Ok(b)
}

fn get_str(r: &mut impl Read, max: usize) -> std::io::Result<String> {
    let len = u32::from_le_bytes(get::<4>(r)?) as usize;
    if len > max {
        return Err(std::io::Error::other("frame too long"));
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf)?;
    String::from_utf8(buf).map_err(std::io::Error::other)
}

fn decode(r: &mut impl Read) -> std::io::Result<Frame> {
    let [tag] = get::<1>(r)?;
    Ok(match tag {
        b'S' => {
            let rows = u32::from_le_bytes(get::<4>(r)?);
            Frame::Sheet(get_str(r, 4096)?, rows)
        }
        b'R' => {
            let n = u32::from_le_bytes(get::<4>(r)?);
            let count = u16::from_le_bytes(get::<2>(r)?) as usize;
            if count > MAX_CELLS_PER_ROW {
                return Err(std::io::Error::other("row too wide"));
            }
            let mut cells = Vec::with_capacity(count);
            for _ in 0..count {
                let [kind] = get::<1>(r)?;
                cells.push(match kind {
                    0 => Cell::Empty,
                    1 => Cell::Text(get_str(r, MAX_CELL_BYTES)?),
                    2 => Cell::Number(f64::from_le_bytes(get::<8>(r)?)),
                    3 => {
                        let y = i32::from_le_bytes(get::<4>(r)?);
                        let [m, d] = get::<2>(r)?;
                        Cell::Date(y, m as u32, d as u32)
                    }
                    4 => Cell::Bool(get::<1>(r)?[0] != 0),
                    _ => return Err(std::io::Error::other("unknown cell")),
                });
            }
            Frame::Row(n, cells)
        }
        b'E' => Frame::End,
        b'F' => Frame::Fatal(get_str(r, 64 * 1024)?),
        _ => return Err(std::io::Error::other("unknown frame")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let frames = vec![
            Frame::Sheet("名单".into(), 3),
            Frame::Row(
                2,
                vec![
                    Cell::Text("张伟".into()),
                    Cell::Empty,
                    Cell::Number(3.5),
                    Cell::Date(2024, 12, 31),
                    Cell::Bool(true),
                ],
            ),
            Frame::Fatal("坏了".into()),
            Frame::End,
        ];
        let mut buf = vec![];
        for f in &frames {
            encode(&mut buf, f).unwrap();
        }
        let mut r = buf.as_slice();
        for f in frames {
            assert_eq!(decode(&mut r).unwrap(), f);
        }
        assert!(decode(&mut r).is_err(), "end of the pipe");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let mut buf = vec![];
        let long = "字".repeat(MAX_CELL_BYTES);
        encode(&mut buf, &Frame::Row(1, vec![Cell::Text(long)])).unwrap();
        match decode(&mut buf.as_slice()).unwrap() {
            Frame::Row(_, cells) => match &cells[0] {
                Cell::Text(s) => assert!(s.len() <= MAX_CELL_BYTES && s.chars().all(|c| c == '字')),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_truncated_pipe_is_broken_not_finished() {
        let mut buf = vec![];
        encode(&mut buf, &Frame::Sheet("a".into(), 1)).unwrap();
        encode(&mut buf, &Frame::Row(1, vec![Cell::Text("x".into())])).unwrap();
        buf.truncate(buf.len() - 1);
        struct Count(usize);
        impl RowSink for Count {
            fn sheet(&mut self, _: &str, _: usize) {}
            fn row(&mut self, _: u32, _: Vec<Cell>) -> bool {
                self.0 += 1;
                true
            }
        }
        let mut c = Count(0);
        assert!(matches!(relay(&mut buf.as_slice(), &mut c), Relay::Broken));
        assert_eq!(c.0, 0);
    }
}
