//! Reading rosters: .xlsx streamed cell by cell (bounded memory), .xls, and
//! .csv in UTF-8 or GBK (what Excel in China saves). Every reader hands out
//! rows with their sheet and 1-based row number, as Excel numbers them.
//!
//! The server never calls these readers itself: it runs them in a child
//! process (see `isolate`), and `check_bounds` refuses a file whose declared
//! sizes would make the parser reserve more than a roster can need.

use super::rules::Cell;
use anyhow::{bail, Context};
use calamine::{Data, DataRef, Reader, Xls, Xlsx};
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Csv,
}

/// By content first (zip or OLE signature), then by name.
pub fn detect_format(head: &[u8], filename: &str) -> Format {
    if head.starts_with(b"PK\x03\x04") {
        return Format::Xlsx;
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Format::Xls;
    }
    let lower = filename.to_lowercase();
    if lower.ends_with(".xlsx") {
        Format::Xlsx
    } else if lower.ends_with(".xls") {
        Format::Xls
    } else {
        Format::Csv
    }
}

/// Where a roster comes from: a file on disk (CLI) or an upload held in memory.
pub enum Source {
    Path(std::path::PathBuf),
    Bytes(Vec<u8>),
}

/// What the reader reports as it goes.
pub trait RowSink {
    /// A sheet begins; `rows_hint` is its size if the file says (for progress).
    fn sheet(&mut self, name: &str, rows_hint: usize);
    /// One non-empty row; return false to stop reading.
    fn row(&mut self, row_number: u32, cells: Vec<Cell>) -> bool;
}

/// Cells beyond this column are not read (a roster has a few dozen columns).
pub const MAX_COLUMNS: usize = 512;
/// Excel's own last row; a sheet claiming more is not a workbook Excel wrote.
pub const MAX_ROW: u32 = 1_048_576;
/// Unzipped size of an .xlsx's shared strings (held in memory while reading).
pub const MAX_SHARED_STRINGS_BYTES: u64 = 256 * 1024 * 1024;
/// Unzipped size of any other part read whole (workbook, styles, relationships).
pub const MAX_PART_BYTES: u64 = 32 * 1024 * 1024;
/// Cells an .xls sheet may span (its reader holds a sheet as a full rectangle):
/// 65,536 rows × 60 columns.
pub const MAX_XLS_CELLS: u64 = 65_536 * 60;

/// Reads a roster in this process. Only the parser child (and unit tests) call
/// this; the server goes through `isolate::Parser::read`.
pub fn read(source: &Source, filename: &str, sink: &mut dyn RowSink) -> anyhow::Result<()> {
    let mut head = [0u8; 8];
    let format = match source {
        Source::Path(p) => {
            let n = std::fs::File::open(p)
                .with_context(|| format!("cannot open {}", p.display()))?
                .read(&mut head)
                .unwrap_or(0);
            detect_format(&head[..n], filename)
        }
        Source::Bytes(b) => detect_format(&b[..b.len().min(8)], filename),
    };
    check_bounds(format, source, filename)?;
    match (format, source) {
        (Format::Xlsx, Source::Path(p)) => {
            let wb: Xlsx<_> = calamine::open_workbook(p).map_err(|e| unreadable(filename, e))?;
            read_xlsx(wb, sink)
        }
        (Format::Xlsx, Source::Bytes(b)) => {
            let wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(b.as_slice()))
                .map_err(|e| unreadable(filename, e))?;
            read_xlsx(wb, sink)
        }
        (Format::Xls, Source::Path(p)) => {
            let f = BufReader::new(std::fs::File::open(p)?);
            let wb: Xls<_> = Xls::new(f).map_err(|e| unreadable(filename, e))?;
            read_xls(wb, sink)
        }
        (Format::Xls, Source::Bytes(b)) => {
            let wb: Xls<_> =
                Xls::new(Cursor::new(b.as_slice())).map_err(|e| unreadable(filename, e))?;
            read_xls(wb, sink)
        }
        (Format::Csv, Source::Path(p)) => read_csv(&std::fs::read(p)?, filename, sink),
        (Format::Csv, Source::Bytes(b)) => read_csv(b, filename, sink),
    }
}

/// Refuses a file whose declared sizes exceed what a roster can need, before
/// any parser reserves memory for them: the unzipped size of every part an
/// .xlsx reader holds whole (counted while inflating, so a lying header does
/// not help), and the rectangle every .xls sheet claims or its cells span.
pub fn check_bounds(format: Format, source: &Source, filename: &str) -> anyhow::Result<()> {
    match (format, source) {
        (Format::Xlsx, Source::Path(p)) => check_xlsx(std::fs::File::open(p)?, filename),
        (Format::Xlsx, Source::Bytes(b)) => check_xlsx(Cursor::new(b.as_slice()), filename),
        (Format::Xls, Source::Path(p)) => check_xls(std::fs::File::open(p)?, filename),
        (Format::Xls, Source::Bytes(b)) => check_xls(Cursor::new(b.as_slice()), filename),
        (Format::Csv, _) => Ok(()),
    }
}

fn check_xlsx<R: Read + Seek>(reader: R, filename: &str) -> anyhow::Result<()> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| unreadable(filename, e))?;
    if zip.len() > 10_000 {
        bail!(
            "文件“{filename}”包含的部件过多（{} 个），不是正常的 Excel 文件",
            zip.len()
        );
    }
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| unreadable(filename, e))?;
        let full_name = part.name().map(|n| n.to_string()).unwrap_or_default();
        let name = full_name.to_ascii_lowercase();
        let cap = if name.ends_with("sharedstrings.xml") {
            MAX_SHARED_STRINGS_BYTES
        } else if name.contains("worksheets/") || name.contains("media/") || part.is_dir() {
            // Sheets are read as a stream, cell by cell; pictures are never read.
            continue;
        } else {
            MAX_PART_BYTES
        };
        let inflated = std::io::copy(&mut (&mut part).take(cap + 1), &mut std::io::sink())
            .map_err(|e| unreadable(filename, e))?;
        if inflated > cap {
            let what = if cap == MAX_SHARED_STRINGS_BYTES {
                "文字内容（共享字符串）"
            } else {
                "部件"
            };
            bail!(
                "文件“{filename}”中的{what}“{}”解压后超过 {} MB，超出名册文件的合理大小：文件可能经过特殊构造或已损坏",
                full_name,
                cap / 1024 / 1024
            );
        }
    }
    Ok(())
}

/// A sheet's bounding box, as the .xls reader will size it.
#[derive(Default)]
struct Span {
    rows: Option<(u32, u32)>,
    cols: Option<(u32, u32)>,
}

impl Span {
    fn add(&mut self, row: u32, col: u32) {
        let grow = |v: &mut Option<(u32, u32)>, x: u32| {
            *v = Some(match *v {
                None => (x, x),
                Some((lo, hi)) => (lo.min(x), hi.max(x)),
            })
        };
        grow(&mut self.rows, row);
        grow(&mut self.cols, col);
    }

    fn cells(&self) -> u64 {
        match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => (r1 - r0 + 1) as u64 * (c1 - c0 + 1) as u64,
            _ => 0,
        }
    }
}

fn check_xls<R: Read + Seek>(reader: R, filename: &str) -> anyhow::Result<()> {
    let mut cfb = cfb::CompoundFile::open(reader).map_err(|e| unreadable(filename, e))?;
    let stream = ["/Workbook", "/Book"]
        .into_iter()
        .find(|s| cfb.is_stream(s));
    let Some(stream) = stream else {
        // No workbook stream: the reader says so itself.
        return Ok(());
    };
    let mut s = std::io::BufReader::new(cfb.open_stream(stream)?);
    let too_big = |what: String| {
        anyhow::anyhow!(
            "文件“{filename}”的工作表{what}，超出 .xls 名册的合理范围（最多 {MAX_XLS_CELLS} 个单元格）：文件可能经过特殊构造或已损坏；请在 Excel 中另存为 .xlsx 后重试"
        )
    };
    let (mut span, mut total, mut depth) = (Span::default(), 0u64, 0usize);
    let mut head = [0u8; 4];
    let mut data = vec![0u8; 65_536];
    loop {
        match s.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(unreadable(filename, e)),
        }
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = u16::from_le_bytes([head[2], head[3]]) as usize;
        let d = &mut data[..len];
        if s.read_exact(d).is_err() {
            break;
        }
        let u16_at = |i: usize| {
            d.get(i..i + 2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]) as u32)
        };
        let u32_at = |i: usize| {
            d.get(i..i + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        match typ {
            // BOF: a sheet (or a substream inside one) begins.
            0x0809 => {
                depth += 1;
                if depth == 1 {
                    span = Span::default();
                }
            }
            // EOF: the sheet ends; what it spans is what the reader will hold.
            0x000A => {
                if depth <= 1 {
                    total += span.cells();
                    if span.cells() > MAX_XLS_CELLS || total > 2 * MAX_XLS_CELLS {
                        let (r, c) = (span.rows.unwrap_or((0, 0)), span.cols.unwrap_or((0, 0)));
                        return Err(too_big(format!(
                            "中的数据分布在 {} 行 × {} 列的范围内",
                            r.1 - r.0 + 1,
                            c.1 - c.0 + 1
                        )));
                    }
                    span = Span::default();
                }
                depth = depth.saturating_sub(1);
            }
            // DIMENSIONS: the rectangle the sheet claims (the reader reserves it).
            0x0200 if depth <= 1 => {
                let (rf, rl, cf, cl) = match len {
                    10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
                    14 | 16 => (u32_at(0), u32_at(4), u16_at(8), u16_at(10)),
                    _ => continue,
                };
                let (Some(rf), Some(rl), Some(cf), Some(cl)) = (rf, rl, cf, cl) else {
                    continue;
                };
                let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
                if rl >= 1 && cl >= 1 {
                    let rows = (rl as i64 - 1) - rf as i64 + 1;
                    let cols = (cl as i64 - 1) - cf as i64 + 1;
                    if rows < 1 || cols < 1 || (rows as u64) * (cols as u64) > MAX_XLS_CELLS {
                        return Err(too_big(format!("声明了 {rows} 行 × {cols} 列")));
                    }
                }
            }
            // Cells: Number, Label, RString, BoolErr, Rk, LabelSst, Formula.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 if depth <= 1 => {
                if let (Some(r), Some(c)) = (u16_at(0), u16_at(2)) {
                    span.add(r, c);
                }
            }
            // MulRk: one row, a run of columns.
            0x00BD if depth <= 1 && len >= 6 => {
                if let (Some(r), Some(c0), Some(c1)) = (u16_at(0), u16_at(2), u16_at(len - 2)) {
                    span.add(r, c0);
                    span.add(r, c1.max(c0));
                }
            }
            _ => {}
        }
    }
    if span.cells() > MAX_XLS_CELLS {
        return Err(too_big("的范围过大".into()));
    }
    Ok(())
}

fn unreadable(filename: &str, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("无法读取文件“{filename}”（{e}）：请上传 .xlsx、.xls 或 .csv 文件")
}

fn cell_of(v: DataRef<'_>) -> Cell {
    match v {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s),
        DataRef::SharedString(s) => Cell::Text(s.to_string()),
        DataRef::Float(f) => Cell::Number(f),
        DataRef::Int(i) => Cell::Number(i as f64),
        DataRef::Bool(b) => Cell::Bool(b),
        DataRef::DateTime(d) => {
            let (y, m, dd, ..) = d.to_ymd_hms_milli();
            Cell::Date(y as i32, m as u32, dd as u32)
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s),
        DataRef::Error(e) => Cell::Text(format!("#{e}")),
    }
}

fn is_blank(cells: &[Cell]) -> bool {
    cells
        .iter()
        .all(|c| matches!(c, Cell::Empty) || matches!(c, Cell::Text(s) if s.trim().is_empty()))
}

/// Streams every sheet: one row in memory at a time (plus the shared strings).
fn read_xlsx<RS: Read + Seek>(mut wb: Xlsx<RS>, sink: &mut dyn RowSink) -> anyhow::Result<()> {
    for name in wb.sheet_names() {
        let mut cells_reader = wb
            .worksheet_cells_reader(&name)
            .map_err(|e| anyhow::anyhow!("工作表“{name}”无法读取：{e}"))?;
        let dims = cells_reader.dimensions();
        sink.sheet(
            &name,
            (dims.end.0 as usize + 1).saturating_sub(dims.start.0 as usize),
        );
        let mut current: Option<u32> = None;
        let mut row: Vec<Cell> = vec![];
        let mut go_on = true;
        while let Some(cell) = cells_reader
            .next_cell()
            .map_err(|e| anyhow::anyhow!("工作表“{name}”读取出错：{e}"))?
        {
            let (r, c) = cell.get_position();
            if r >= MAX_ROW {
                bail!("工作表“{name}”的行号超过 Excel 的上限 {MAX_ROW} 行：文件已损坏");
            }
            if c as usize >= MAX_COLUMNS {
                continue;
            }
            if current != Some(r) {
                if let Some(prev) = current {
                    if !is_blank(&row) && !sink.row(prev + 1, std::mem::take(&mut row)) {
                        go_on = false;
                        break;
                    }
                }
                row.clear();
                current = Some(r);
            }
            let c = c as usize;
            if row.len() <= c {
                row.resize(c + 1, Cell::Empty);
            }
            row[c] = cell_of(cell.get_value().clone());
        }
        if go_on {
            if let Some(prev) = current {
                if !is_blank(&row) && !sink.row(prev + 1, row) {
                    return Ok(());
                }
            }
        } else {
            return Ok(());
        }
    }
    Ok(())
}

fn read_xls<RS: Read + Seek>(mut wb: Xls<RS>, sink: &mut dyn RowSink) -> anyhow::Result<()> {
    for name in wb.sheet_names() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| anyhow::anyhow!("工作表“{name}”无法读取：{e}"))?;
        sink.sheet(&name, range.height());
        let start = range.start().map(|(r, _)| r).unwrap_or(0);
        let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
        for (i, r) in range.rows().enumerate() {
            let mut cells = vec![Cell::Empty; first_col];
            cells.extend(r.iter().map(|d| match d {
                Data::Empty => Cell::Empty,
                Data::String(s) => Cell::Text(s.clone()),
                Data::Float(f) => Cell::Number(*f),
                Data::Int(i) => Cell::Number(*i as f64),
                Data::Bool(b) => Cell::Bool(*b),
                Data::DateTime(d) => {
                    let (y, m, dd, ..) = d.to_ymd_hms_milli();
                    Cell::Date(y as i32, m as u32, dd as u32)
                }
                Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
                Data::Error(e) => Cell::Text(format!("#{e}")),
            }));
            if !is_blank(&cells) && !sink.row(start + i as u32 + 1, cells) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// UTF-8 (with or without BOM) if the bytes are UTF-8; otherwise GB18030, a
/// superset of GBK.
pub fn decode_text(bytes: &[u8]) -> (std::borrow::Cow<'_, str>, &'static str) {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(b) {
        Ok(s) => (std::borrow::Cow::Borrowed(s), "UTF-8"),
        Err(_) => (encoding_rs::GB18030.decode_without_bom_handling(b).0, "GBK"),
    }
}

fn read_csv(bytes: &[u8], filename: &str, sink: &mut dyn RowSink) -> anyhow::Result<()> {
    if bytes.contains(&0) {
        bail!("文件“{filename}”不是表格文件：请上传 .xlsx、.xls 或 .csv 文件");
    }
    let (text, _encoding) = decode_text(bytes);
    let lines = text.bytes().filter(|b| *b == b'\n').count() + 1;
    let name = Path::new(filename)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    sink.sheet(&name, lines);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let bytes = text.as_bytes();
    let (mut line, mut counted_to) = (1u32, 0usize);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // The line the record starts on; the parser reports blank lines before it as its start.
                let mut at = record
                    .position()
                    .map(|p| p.byte() as usize)
                    .unwrap_or(counted_to);
                while matches!(bytes.get(at), Some(b'\n' | b'\r')) {
                    at += 1;
                }
                line += bytes[counted_to.min(at)..at]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count() as u32;
                counted_to = counted_to.max(at);
                let cells: Vec<Cell> = record
                    .iter()
                    .map(|s| {
                        if s.is_empty() {
                            Cell::Empty
                        } else {
                            Cell::Text(s.to_string())
                        }
                    })
                    .collect();
                if !is_blank(&cells) && !sink.row(line, cells) {
                    break;
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                bail!("CSV 文件第 {line} 行无法解析：{e}")
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect(Vec<(String, usize)>, Vec<(u32, Vec<Cell>)>);
    impl RowSink for Collect {
        fn sheet(&mut self, name: &str, hint: usize) {
            self.0.push((name.to_string(), hint));
        }
        fn row(&mut self, n: u32, cells: Vec<Cell>) -> bool {
            self.1.push((n, cells));
            true
        }
    }

    #[test]
    fn gbk_csv_is_decoded_and_rows_keep_their_numbers() {
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,身份证号\n\n张伟,11010519491231002X\n");
        let mut c = Collect::default();
        read(&Source::Bytes(gbk.into_owned()), "名单.csv", &mut c).unwrap();
        assert_eq!(c.1.len(), 2, "the blank line is skipped");
        assert_eq!(
            c.1[0],
            (
                1,
                vec![Cell::Text("姓名".into()), Cell::Text("身份证号".into())]
            )
        );
        assert_eq!(c.1[1].0, 3, "row numbers are the file's line numbers");
        assert_eq!(c.1[1].1[0], Cell::Text("张伟".into()));
        assert_eq!(decode_text("\u{feff}张".as_bytes()).1, "UTF-8");
    }

    #[test]
    fn formats_are_told_by_content() {
        assert_eq!(detect_format(b"PK\x03\x04", "x.csv"), Format::Xlsx);
        assert_eq!(detect_format(&[0xD0, 0xCF, 0x11, 0xE0], "x"), Format::Xls);
        assert_eq!(detect_format(b"a,b", "x.csv"), Format::Csv);
        let mut c = Collect::default();
        assert!(read(&Source::Bytes(vec![0, 1, 2, 3]), "x.bin", &mut c)
            .unwrap_err()
            .to_string()
            .contains(".xlsx"));
    }
}
