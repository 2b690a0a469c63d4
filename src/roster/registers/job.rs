//! The import job of a register: read the file whole in the parser child,
//! check every row, then write in ONE transaction (or, for a check or a
//! refused file, write nothing).

use super::rules::{
    covering_union, detect_header, place_orgs, read_enterprise_row, read_org_row, Col, Existing,
    Header, Parent, Placed, Refusal, Tree, ENTERPRISE_COLUMNS, ORG_COLUMNS,
};
use crate::audit::{self, Event};
use crate::db::Db;
use crate::enterprise::store::{by_credit_codes, upsert_in, ImportedEnterprise};
use crate::org::store::{all_codes, insert_in, update_in, ImportedOrg};
use crate::pii::Keyring;
use crate::roster::columns::HEADER_SEARCH_ROWS;
use crate::roster::isolate::Parser;
use crate::roster::outcome::{Job, Kind, Mode, Outcome, RowError};
use crate::roster::read::RowSink;
use crate::roster::rules::Cell;
use crate::roster::running::Progress;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Rows a register file may hold (a province's tree, a city's enterprises).
pub const MAX_ROWS: usize = 100_000;
/// Errors kept for the API and the page (every bad row is in the report).
const ERRORS_KEPT: usize = 1000;

/// A data row, where it stands in the file.
struct Line {
    sheet: usize,
    row: u32,
    cells: Vec<Cell>,
    header: usize,
}

/// Reads every sheet: finds its header under titles, keeps the rows below.
struct Collector {
    columns: &'static [Col],
    needed: &'static [Col],
    progress: Arc<Progress>,
    sheets: Vec<String>,
    headers: Vec<Header>,
    current: Option<usize>,
    above_header: usize,
    skipped_sheets: Vec<String>,
    lines: Vec<Line>,
    too_many: bool,
}

impl RowSink for Collector {
    fn sheet(&mut self, name: &str, _rows_hint: usize) {
        if !self.sheets.is_empty() && self.current.is_none() {
            self.skipped_sheets
                .push(self.sheets.last().cloned().unwrap_or_default());
        }
        self.sheets.push(name.to_string());
        self.current = None;
        self.above_header = 0;
    }

    fn row(&mut self, row_number: u32, cells: Vec<Cell>) -> bool {
        let Some(header) = self.current else {
            self.above_header += 1;
            if self.above_header <= HEADER_SEARCH_ROWS {
                let texts: Vec<String> = cells.iter().map(Cell::display).collect();
                if let Some(h) = detect_header(&texts, self.columns, self.needed) {
                    self.headers.push(h);
                    self.current = Some(self.headers.len() - 1);
                }
            }
            return true;
        };
        if self.lines.len() >= MAX_ROWS {
            self.too_many = true;
            return false;
        }
        self.lines.push(Line {
            sheet: self.sheets.len() - 1,
            row: row_number,
            cells,
            header,
        });
        self.progress.rows_total.fetch_add(1, Ordering::Relaxed);
        true
    }
}

/// A refused row, for the error list and the report.
struct Bad {
    line: usize,
    reasons: Vec<Refusal>,
}

pub async fn run(
    db: &Db,
    keys: &Keyring,
    parser: &Parser,
    job: &Job,
    path: &std::path::Path,
    progress: &Arc<Progress>,
) -> anyhow::Result<Outcome> {
    let (columns, needed): (&'static [Col], &'static [Col]) = match job.kind {
        Kind::Orgs => (&ORG_COLUMNS, &[Col::OrgName, Col::OrgKind]),
        _ => (&ENTERPRISE_COLUMNS, &[Col::EntName, Col::CreditCode]),
    };
    let mut c = Collector {
        columns,
        needed,
        progress: progress.clone(),
        sheets: vec![],
        headers: vec![],
        current: None,
        above_header: 0,
        skipped_sheets: vec![],
        lines: vec![],
        too_many: false,
    };
    let (parser, path, filename) = (parser.clone(), path.to_path_buf(), job.filename.clone());
    let (mut c, read_result) = tokio::task::spawn_blocking(move || {
        let r = parser.read(&path, &filename, &mut c);
        (c, r)
    })
    .await?;
    if c.current.is_none() {
        if let Some(last) = c.sheets.last().cloned() {
            c.skipped_sheets.push(last);
        }
    }
    finish(db, keys, job, progress, c, read_result).await
}

async fn finish(
    db: &Db,
    keys: &Keyring,
    job: &Job,
    progress: &Progress,
    c: Collector,
    read_result: anyhow::Result<()>,
) -> anyhow::Result<Outcome> {
    let needed: Vec<&str> = c.needed.iter().map(|c| c.title()).collect();
    let mut outcome = Outcome {
        id: job.id,
        kind: job.kind.as_str().into(),
        state: "failed".into(),
        mode: job.mode.as_str().into(),
        rows_total: c.lines.len() as i64,
        rows_done: 0,
        rows_failed: 0,
        rows_created: 0,
        rows_updated: 0,
        message: String::new(),
        errors: vec![],
        report: None,
    };
    if let Err(e) = read_result
        .as_ref()
        .map_err(|e| e.to_string())
        .and_then(|_| {
            if c.too_many {
                Err(format!(
                    "文件超过 {MAX_ROWS} 行，请分成几个文件导入；未写入任何数据"
                ))
            } else if c.headers.is_empty() {
                Err(format!(
                    "没有找到表头：表格前{HEADER_SEARCH_ROWS}行中需要有“{}”两列",
                    needed.join("”和“")
                ))
            } else {
                Ok(())
            }
        })
    {
        outcome.message = e;
        crate::roster::store::finish(&db.pool, keys, &outcome).await?;
        return Ok(outcome);
    }
    let target = Existing {
        id: job.org.id,
        code: job.org.code.clone(),
        name: job.org.name.clone(),
        parent_id: job.org.parent_id,
    };
    let scope = crate::auth::Scope::new(vec![job.org.path.clone()], None);
    let subtree_orgs = crate::org::store::tree(db, &scope)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let paths: HashMap<i64, String> = subtree_orgs
        .iter()
        .map(|o| (o.id, o.path.clone()))
        .collect();
    let subtree: Vec<Existing> = subtree_orgs
        .into_iter()
        .map(|o| Existing {
            id: o.id,
            code: o.code,
            name: o.name,
            parent_id: o.parent_id,
        })
        .collect();
    // Codes in use matter to the tree only (generated codes, codes taken elsewhere).
    let taken = if job.kind == Kind::Orgs {
        all_codes(db).await?
    } else {
        HashSet::new()
    };
    let inside: HashSet<&str> = subtree.iter().map(|e| e.code.as_str()).collect();
    let elsewhere: HashSet<String> = taken
        .iter()
        .filter(|c| !inside.contains(c.as_str()))
        .cloned()
        .collect();
    let tree = Tree {
        target: &target,
        subtree: &subtree,
        codes_elsewhere: &elsewhere,
        codes_taken: &taken,
    };
    let mut bad: Vec<Bad> = vec![];
    let writes = job.mode != Mode::Check;
    // A check writes nothing, so it takes no write lock while it places rows.
    let mut tx = if writes {
        db.begin().await?
    } else {
        db.begin_deferred().await?
    };
    let (mut created, mut updated) = (0i64, 0i64);
    match job.kind {
        Kind::Orgs => {
            let rows: Vec<_> = c
                .lines
                .iter()
                .enumerate()
                .map(
                    |(i, l)| match read_org_row(&c.headers[l.header], &l.cells) {
                        Ok(r) => Some(r),
                        Err(reasons) => {
                            bad.push(Bad { line: i, reasons });
                            None
                        }
                    },
                )
                .collect();
            let (placed, refused) = place_orgs(&rows, &tree);
            bad.extend(refused.into_iter().map(|(line, r)| Bad {
                line,
                reasons: vec![r],
            }));
            if writes && (bad.is_empty() || job.mode == Mode::Valid) {
                let mut made: HashMap<usize, (i64, String)> = HashMap::new();
                for (i, what) in placed {
                    let Some(r) = &rows[i] else { continue };
                    let o = ImportedOrg {
                        code: "",
                        name: &r.name,
                        kind: &r.kind,
                        leader: &r.leader,
                        phone: &r.phone,
                    };
                    match what {
                        Placed::Update { id } => {
                            update_in(&mut tx, id, &o).await?;
                            updated += 1;
                        }
                        Placed::Create { code, parent } => {
                            let (pid, ppath) = match parent {
                                Parent::Org(id) => {
                                    (id, paths.get(&id).cloned().unwrap_or_default())
                                }
                                Parent::Row(j) => made
                                    .get(&j)
                                    .cloned()
                                    .ok_or_else(|| anyhow::anyhow!("parent row {j} not written"))?,
                            };
                            let o = ImportedOrg { code: &code, ..o };
                            made.insert(i, insert_in(&mut tx, &o, (pid, &ppath)).await?);
                            created += 1;
                        }
                    }
                    progress.rows_done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        _ => {
            let rows: Vec<_> = c
                .lines
                .iter()
                .enumerate()
                .filter_map(
                    |(i, l)| match read_enterprise_row(&c.headers[l.header], &l.cells) {
                        Ok(r) => Some((i, r)),
                        Err(reasons) => {
                            bad.push(Bad { line: i, reasons });
                            None
                        }
                    },
                )
                .collect();
            let codes: Vec<String> = rows.iter().map(|(_, r)| r.credit_code.clone()).collect();
            let registered = by_credit_codes(db, &codes).await?;
            let mut first_row: HashMap<&str, usize> = HashMap::new();
            let mut valid = vec![];
            for (i, r) in &rows {
                if let Some(first) = first_row.get(r.credit_code.as_str()) {
                    let l = &c.lines[*first];
                    bad.push(Bad {
                        line: *i,
                        reasons: vec![(
                            Col::CreditCode.title().into(),
                            format!(
                                "与{}第 {} 行的统一社会信用代码重复：同一企业在一个文件中只能出现一次",
                                sheet_of(&c.sheets, l.sheet, c.lines[*i].sheet),
                                l.row
                            ),
                        )],
                    });
                    continue;
                }
                first_row.insert(&r.credit_code, *i);
                let org_id = match covering_union(r.org.as_deref(), &tree) {
                    Ok(id) => id,
                    Err(reason) => {
                        bad.push(Bad {
                            line: *i,
                            reasons: vec![reason],
                        });
                        continue;
                    }
                };
                let (existing, org_id) = match registered.get(&r.credit_code) {
                    // Registered in the subtree: a blank 所属工会 leaves it where it is.
                    Some(e) if e.org_path.starts_with(&job.org.path) => {
                        (Some(e.id), if r.org.is_none() { e.org_id } else { org_id })
                    }
                    Some(_) => {
                        bad.push(Bad {
                            line: *i,
                            reasons: vec![(
                                Col::CreditCode.title().into(),
                                "该企业已由本组织以外的其他工会登记；如需调入请联系对方工会".into(),
                            )],
                        });
                        continue;
                    }
                    None => (None, org_id),
                };
                valid.push((r, org_id, existing));
            }
            if writes && (bad.is_empty() || job.mode == Mode::Valid) {
                for (r, org_id, existing) in valid {
                    let e = ImportedEnterprise {
                        credit_code: &r.credit_code,
                        name: &r.name,
                        org_id,
                        industry: &r.industry,
                        size: &r.size,
                        address: &r.address,
                        contact: &r.contact,
                        contact_phone: &r.contact_phone,
                    };
                    upsert_in(&mut tx, &e, existing).await?;
                    if existing.is_some() {
                        updated += 1;
                    } else {
                        created += 1;
                    }
                    progress.rows_done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    bad.sort_by_key(|b| b.line);
    let failed = bad.len() as i64;
    let total = c.lines.len() as i64;
    progress.rows_failed.store(failed, Ordering::Relaxed);
    progress.rows_done.store(total, Ordering::Relaxed);
    outcome.rows_done = total;
    outcome.rows_failed = failed;
    for b in &bad {
        let l = &c.lines[b.line];
        for (column, reason) in &b.reasons {
            if outcome.errors.len() < ERRORS_KEPT {
                outcome.errors.push(RowError {
                    sheet: c.sheets[l.sheet].clone(),
                    row: l.row,
                    column: column.clone(),
                    reason: reason.clone(),
                });
            }
        }
    }
    let skipped = if c.skipped_sheets.is_empty() {
        String::new()
    } else {
        format!(
            "；工作表 {} 中没有找到表头，已跳过",
            c.skipped_sheets
                .iter()
                .map(|s| format!("“{s}”"))
                .collect::<Vec<_>>()
                .join("、")
        )
    };
    let unit = if job.kind == Kind::Orgs {
        "个组织"
    } else {
        "家企业"
    };
    let commit = match job.mode {
        Mode::Check => {
            outcome.state = "checked".into();
            outcome.message =
                format!("检查完成：共 {total} 行，{failed} 行有误；未写入任何数据{skipped}");
            false
        }
        Mode::All if failed > 0 => {
            outcome.state = "rejected".into();
            outcome.message = format!("共 {total} 行，其中 {failed} 行有误；按“有错误则全部不导入”方式，未写入任何数据。请修改后重新导入，或选择“只导入正确的行”{skipped}");
            false
        }
        _ => {
            outcome.state = "done".into();
            outcome.rows_created = created;
            outcome.rows_updated = updated;
            outcome.message = format!(
                "导入完成：新增 {created} {unit}，更新 {updated} {unit}{}{skipped}",
                if failed > 0 {
                    format!("，跳过有误的 {failed} 行")
                } else {
                    String::new()
                }
            );
            true
        }
    };
    if !bad.is_empty() {
        outcome.report = Some(report_workbook(&c, &bad)?);
    }
    if commit {
        let action = if job.kind == Kind::Orgs {
            ("org.import", "org")
        } else {
            ("enterprise.import", "enterprise")
        };
        let ev = Event::new(action.0, "import", job.id)
            .org(job.org.id)
            .detail(json!({
                "filename": job.filename, "mode": job.mode.as_str(), "rows": total,
                "created": created, "updated": updated, "failed": failed,
            }));
        audit::append(&mut tx, &job.actor, ev).await?;
        crate::roster::store::finish(&mut *tx, keys, &outcome).await?;
        tx.commit().await?;
    } else {
        tx.rollback().await?;
        crate::roster::store::finish(&db.pool, keys, &outcome).await?;
    }
    Ok(outcome)
}

/// "" for the row's own sheet, else the other sheet's name.
fn sheet_of(sheets: &[String], sheet: usize, own: usize) -> String {
    if sheet == own {
        String::new()
    } else {
        format!("工作表“{}”", sheets[sheet])
    }
}

/// The bad rows as a workbook: the file's columns as it had them, then 错误原因,
/// 工作表 and 行号. Fixed, it can be imported again as it is.
fn report_workbook(c: &Collector, bad: &[Bad]) -> anyhow::Result<Vec<u8>> {
    let cols: Vec<Col> = c
        .columns
        .iter()
        .copied()
        .filter(|col| c.headers.iter().any(|h| h.index(*col).is_some()))
        .collect();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let red = rust_xlsxwriter::Format::new().set_font_color(rust_xlsxwriter::Color::Red);
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let ws = wb.add_worksheet();
    ws.set_name("有误的行")?;
    let mut heading: Vec<&str> = cols.iter().map(|c| c.title()).collect();
    heading.extend(["错误原因", "工作表", "行号"]);
    ws.write_row_with_format(0, 0, heading, &bold)?;
    for i in 0..cols.len() {
        ws.set_column_width(i as u16, 18)?;
    }
    ws.set_column_width(cols.len() as u16, 60)?;
    for (n, b) in bad.iter().enumerate() {
        let r = n as u32 + 1;
        let l = &c.lines[b.line];
        let h = &c.headers[l.header];
        for (i, col) in cols.iter().enumerate() {
            let v = h
                .index(*col)
                .and_then(|at| l.cells.get(at))
                .map(Cell::display)
                .unwrap_or_default();
            ws.write_string_with_format(r, i as u16, crate::roster::rules::excel_cell(&v), &text)?;
        }
        let base = cols.len() as u16;
        let reasons: Vec<String> = b
            .reasons
            .iter()
            .map(|(col, why)| format!("{col}：{why}"))
            .collect();
        ws.write_string_with_format(
            r,
            base,
            crate::roster::rules::excel_cell(&reasons.join("；")),
            &red,
        )?;
        ws.write_string(r, base + 1, &c.sheets[l.sheet])?;
        ws.write_number(r, base + 2, l.row as f64)?;
    }
    Ok(wb.save_to_buffer()?)
}
