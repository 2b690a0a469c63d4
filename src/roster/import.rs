//! The import job. A blocking thread reads and validates rows and does the
//! cryptography; bounded batches go to the writer, which applies them in ONE
//! transaction. So a file is all-or-nothing unless the user asks for the valid
//! rows, a check is a transaction rolled back, and a process killed halfway
//! leaves no row behind: the transaction never committed.

use super::columns::{detect_header, Column, Header, HEADER_SEARCH_ROWS};
use super::isolate::Parser;
use super::read::RowSink;
use super::rules::{read_row, unregistered_employer, Cell, Lookup};
use super::running::Progress;
use crate::audit::{self, Event};
use crate::db::{now_ms, Backend, Db};
use crate::member::rules::MemberFields;
use crate::member::store::{id_tails, phone_tail, search_keys, ID_HASH, PHONE_HASH};
use crate::org::store::Org;
use crate::pii::Keyring;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub use super::outcome::{Job, Kind, Mode, Outcome, RowError};

/// Errors kept for the API and the page (all rows still count).
const ERRORS_KEPT: usize = 1000;
/// Bad rows kept for the downloadable report.
const REPORT_ROWS_KEPT: usize = 100_000;
const BATCH: usize = 500;

/// Organisations and enterprises a row may name, within the target subtree.
async fn lookup(db: &Db, org: &Org, register_employers: bool) -> Result<Lookup, sqlx::Error> {
    let scope = crate::auth::Scope::new(vec![org.path.clone()], None);
    let mut l = Lookup {
        target_org: org.id,
        target_org_name: org.name.clone(),
        register_employers,
        ..Default::default()
    };
    for o in crate::org::store::tree(db, &scope)
        .await
        .map_err(app_to_sqlx)?
    {
        l.orgs.insert(o.name.clone(), o.id);
        l.orgs.insert(o.code.clone(), o.id);
    }
    let rows = sqlx::query(
        "SELECT e.id, e.name, e.org_id FROM enterprises e JOIN orgs o ON o.id = e.org_id WHERE o.path >= $1 AND o.path < $2",
    )
    .bind(&org.path)
    .bind(crate::auth::scope::path_upper(&org.path))
    .fetch_all(&db.pool)
    .await?;
    let mut own = vec![];
    for r in rows {
        let (id, name, org_id): (i64, String, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        if org_id == org.id {
            own.push(id);
        }
        l.enterprises.insert(name, (id, org_id));
    }
    if own.len() == 1 {
        l.default_enterprise = Some(own[0]);
    }
    Ok(l)
}

fn app_to_sqlx(e: crate::web::error::AppError) -> sqlx::Error {
    sqlx::Error::Protocol(e.to_string())
}

/// A valid row with its ciphertexts and keys, ready to write.
struct Prepared {
    sheet: usize,
    row: u32,
    org_id: i64,
    enterprise_id: Option<i64>,
    new_employer: Option<String>,
    fields: MemberFields,
    id_enc: Vec<u8>,
    id_hash: String,
    phone_enc: Option<Vec<u8>>,
    phone_hash: Option<String>,
    phone_tail: Option<String>,
    /// The ID number's tail search keys (see `member::store::id_tails`).
    id_tails: (String, String),
    pinyin: String,
    initials: String,
}

/// A bad row for the report: its values by column, and why.
struct BadRow {
    sheet: usize,
    row: u32,
    values: Vec<(Column, String)>,
    reasons: Vec<String>,
}

/// The reader side: header detection per sheet, validation, duplicates within
/// the file, encryption; hands batches to the writer.
struct Validator<'a> {
    keys: &'a Keyring,
    lookup: &'a Lookup,
    progress: &'a Progress,
    tx: tokio::sync::mpsc::Sender<Vec<Prepared>>,
    batch: Vec<Prepared>,
    sheets: Vec<String>,
    header: Option<Header>,
    rows_before_header: usize,
    headers_found: usize,
    skipped_sheets: Vec<String>,
    columns: Vec<Column>,
    seen: HashMap<u128, (usize, u32)>,
    errors: Vec<RowError>,
    bad: Vec<BadRow>,
    writer_gone: bool,
    /// Employers named that are not registered, with how many rows name each.
    unregistered: std::collections::BTreeMap<String, u32>,
}

impl Validator<'_> {
    fn fail(&mut self, row: u32, values: Vec<(Column, String)>, reasons: Vec<(String, String)>) {
        self.progress.rows_failed.fetch_add(1, Ordering::Relaxed);
        self.progress.rows_done.fetch_add(1, Ordering::Relaxed);
        let sheet = self.sheets.len() - 1;
        for (column, reason) in &reasons {
            if self.errors.len() < ERRORS_KEPT {
                self.errors.push(RowError {
                    sheet: self.sheets[sheet].clone(),
                    row,
                    column: column.clone(),
                    reason: reason.clone(),
                });
            }
        }
        if self.bad.len() < REPORT_ROWS_KEPT {
            let reasons = reasons
                .into_iter()
                .map(|(c, r)| format!("{c}：{r}"))
                .collect();
            self.bad.push(BadRow {
                sheet,
                row,
                values,
                reasons,
            });
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() || self.writer_gone {
            return;
        }
        if self
            .tx
            .blocking_send(std::mem::take(&mut self.batch))
            .is_err()
        {
            self.writer_gone = true;
        }
    }
}

impl RowSink for Validator<'_> {
    fn sheet(&mut self, name: &str, rows_hint: usize) {
        if self.sheets.last().is_some() && self.header.is_none() {
            let last = self.sheets.last().cloned().unwrap_or_default();
            self.skipped_sheets.push(last);
        }
        self.sheets.push(name.to_string());
        self.header = None;
        self.rows_before_header = 0;
        self.progress
            .rows_total
            .fetch_add(rows_hint as i64, Ordering::Relaxed);
    }

    fn row(&mut self, row_number: u32, cells: Vec<Cell>) -> bool {
        let Some(header) = &self.header else {
            // Rows above the header (titles, notes) are not members.
            self.progress.rows_total.fetch_sub(1, Ordering::Relaxed);
            self.rows_before_header += 1;
            if self.rows_before_header <= HEADER_SEARCH_ROWS {
                let texts: Vec<String> = cells.iter().map(Cell::display).collect();
                if let Some(h) = detect_header(&texts) {
                    for (c, _) in &h.columns {
                        if !self.columns.contains(c) {
                            self.columns.push(*c);
                        }
                    }
                    self.header = Some(h);
                    self.headers_found += 1;
                }
            }
            return !self.writer_gone;
        };
        let values: Vec<(Column, String)> = header
            .columns
            .iter()
            .map(|(c, i)| (*c, cells.get(*i).map(Cell::display).unwrap_or_default()))
            .collect();
        if let Some(name) = unregistered_employer(header, &cells, self.lookup) {
            *self.unregistered.entry(name).or_default() += 1;
        }
        match read_row(header, &cells, self.lookup) {
            Err(errs) => {
                let reasons = errs
                    .into_iter()
                    .map(|e| (e.column.to_string(), e.message))
                    .collect();
                self.fail(row_number, values, reasons);
            }
            Ok(valid) => {
                let Some(idn) = valid.fields.id_number.clone() else {
                    return true;
                };
                let id_hash = self.keys.lookup_hash(ID_HASH, idn.as_str());
                let short = u128::from_str_radix(&id_hash[..32], 16).unwrap_or(0);
                let sheet = self.sheets.len() - 1;
                if let Some((s, r)) = self.seen.get(&short) {
                    let where_ = if *s == sheet {
                        format!("第 {r} 行")
                    } else {
                        format!("工作表“{}”第 {r} 行", self.sheets[*s])
                    };
                    self.fail(
                        row_number,
                        values,
                        vec![(
                            Column::IdNumber.title().into(),
                            format!("与{where_}的身份证号重复：同一人只能登记一次"),
                        )],
                    );
                    return !self.writer_gone;
                }
                self.seen.insert(short, (sheet, row_number));
                let phone = valid.fields.phone.clone().flatten();
                let name = valid.fields.name.clone().unwrap_or_default();
                let (pinyin, initials) = search_keys(&name);
                self.batch.push(Prepared {
                    sheet,
                    row: row_number,
                    org_id: valid.org_id,
                    enterprise_id: valid.enterprise_id,
                    new_employer: valid.new_employer,
                    id_enc: self.keys.encrypt(idn.as_str()),
                    id_hash,
                    phone_enc: phone.as_ref().map(|p| self.keys.encrypt(p.as_str())),
                    phone_hash: phone
                        .as_ref()
                        .map(|p| self.keys.lookup_hash(PHONE_HASH, p.as_str())),
                    phone_tail: phone.as_ref().map(|p| phone_tail(p.as_str())),
                    id_tails: id_tails(self.keys, idn.as_str()),
                    pinyin,
                    initials,
                    fields: valid.fields,
                });
                if self.batch.len() >= BATCH {
                    self.flush();
                }
            }
        }
        !self.writer_gone
    }
}

/// What the reader found, handed back when it is done.
struct ReadResult {
    sheets: Vec<String>,
    headers_found: usize,
    skipped_sheets: Vec<String>,
    columns: Vec<Column>,
    errors: Vec<RowError>,
    bad: Vec<BadRow>,
    fatal: Option<String>,
    unregistered: std::collections::BTreeMap<String, u32>,
}

/// The SQLite page cache of an import's connection while it runs, in MiB
/// (within the import's memory budget of 300 MB at a million rows).
pub const IMPORT_CACHE_MIB: i64 = 64;

/// Rows an insert statement carries (26 arguments each). On SQLite not more
/// than 16: sqlx binds each SQLite argument by looking its name up in a list,
/// so a statement's binding costs the square of its arguments (200 rows were
/// slower than one). PostgreSQL takes a whole batch in one round trip.
fn insert_rows_per_statement(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 16,
        Backend::Postgres => BATCH,
    }
}

/// Rows an import adds before PostgreSQL's roster tables are vacuumed and
/// analysed right after it (see `vacuum_after_import`).
const VACUUM_AFTER_ROWS: i64 = 10_000;

/// After a large import PostgreSQL has neither statistics for the new rows
/// nor a visibility map that covers them until autovacuum gets there
/// (minutes at a million rows, and then it competes with the searches):
/// searches' index-only scans visit the heap meanwhile. Done at once here;
/// the import has committed, so a failure is only logged.
async fn vacuum_after_import(db: &Db) {
    let tables = "members, org_member_counts, org_subtree_figures, org_subtree_months";
    if let Err(e) = sqlx::raw_sql(&format!("VACUUM (ANALYZE) {tables}"))
        .execute(&db.pool)
        .await
    {
        tracing::warn!("VACUUM (ANALYZE) after an import failed: {e}");
    }
}

/// The PostgreSQL setting that holds back the member insert triggers for the
/// import's own transaction (migration 0022); the figures are added at once
/// by `add_deferred_figures` before the commit.
const DEFER_FIGURES: &str = "SELECT set_config('gongjiang.defer_member_figures', $1, true)";

/// Adds the members this import inserted to the kept counts and subtree
/// totals in three grouped statements (PostgreSQL, migration 0022): the
/// ancestors' rows are locked from here to the commit, not for the import.
async fn add_deferred_figures(tx: &mut crate::db::Tx, added: &[i64]) -> anyhow::Result<()> {
    sqlx::query(DEFER_FIGURES)
        .bind("off")
        .execute(&mut **tx)
        .await?;
    if added.is_empty() {
        return Ok(());
    }
    let ids = added
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    sqlx::query(
        "CREATE TEMP TABLE member_parts ON COMMIT DROP AS \
         SELECT org_id, status, skill_level, is_migrant_worker, is_hardship, join_date FROM members LIMIT 0",
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO member_parts SELECT org_id, status, skill_level, is_migrant_worker, is_hardship, join_date \
         FROM members WHERE id = ANY(string_to_array($1, ',')::BIGINT[])",
    )
    .bind(ids)
    .execute(&mut **tx)
    .await?;
    sqlx::query("SELECT member_parts_add()")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Inserts the people of `rows` not yet on the roll, in one statement; the
/// ID-number hashes of those it added with their new ids (a person already
/// registered anywhere is left out by the unique hash, for the update that
/// follows).
async fn insert_rows(
    tx: &mut crate::db::Tx,
    rows: &[Prepared],
    now: i64,
) -> anyhow::Result<HashMap<String, i64>> {
    use crate::db::sql::{Arg, Sql};
    let mut sql = Sql::new("");
    let mut values = Vec::with_capacity(rows.len());
    for p in rows {
        let f = &p.fields;
        let idn = f
            .id_number
            .clone()
            .ok_or_else(|| anyhow::anyhow!("row without ID number"))?;
        let org = sql.int(p.org_id);
        let cells = [
            org.clone(),
            sql.arg(Arg::OptInt(p.enterprise_id)),
            sql.text(f.name.clone().unwrap_or_default()),
            sql.text(idn.gender().label()),
            sql.text(idn.birth_date()),
            sql.arg(Arg::OptBytes(Some(p.id_enc.clone()))),
            sql.text(p.id_hash.clone()),
            sql.arg(Arg::OptBytes(p.phone_enc.clone())),
            sql.arg(Arg::OptText(p.phone_hash.clone())),
            sql.text(p.phone_tail.clone().unwrap_or_default()),
            sql.text(p.pinyin.clone()),
            sql.text(p.initials.clone()),
            sql.text(f.ethnicity.clone().unwrap_or_default()),
            sql.text(f.education.clone().unwrap_or_default()),
            sql.text(f.political_status.clone().unwrap_or_default()),
            sql.text(f.occupation.clone().unwrap_or_default()),
            sql.text(f.skill_level.clone().unwrap_or_default()),
            sql.text(f.card_no.clone().unwrap_or_default()),
            sql.text(f.join_date.clone().unwrap_or_default()),
            sql.int(f.is_migrant_worker.unwrap_or(false) as i64),
            sql.int(f.is_hardship.unwrap_or(false) as i64),
            sql.text(f.status.clone().unwrap_or_else(|| "在册".into())),
            sql.int(now),
            sql.int(now),
            sql.text(p.id_tails.0.clone()),
            sql.text(p.id_tails.1.clone()),
            format!("(SELECT path FROM orgs WHERE id = {org})"),
        ];
        values.push(format!("({})", cells.join(", ")));
    }
    sql.text = format!(
        "INSERT INTO members (org_id, enterprise_id, name, gender, birth_date, id_number_enc, id_number_hash, \
         phone_enc, phone_hash, phone_tail, name_pinyin, name_initials, ethnicity, education, political_status, occupation, \
         skill_level, card_no, join_date, is_migrant_worker, is_hardship, status, created_at, updated_at, id_tail4, id_tail6, org_path) \
         VALUES {} ON CONFLICT (id_number_hash) DO NOTHING RETURNING id_number_hash, id",
        values.join(", ")
    );
    Ok(sql
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// A person already on the roll in the same organisation: the file's values
/// replace the stored ones, and what the file leaves blank stays as it was.
const UPDATE: &str = "UPDATE members SET name = $1, enterprise_id = COALESCE($2, enterprise_id), \
     phone_enc = COALESCE($3, phone_enc), phone_hash = COALESCE($4, phone_hash), phone_tail = COALESCE($5, phone_tail), \
     name_pinyin = $6, name_initials = $7, ethnicity = COALESCE($8, ethnicity), education = COALESCE($9, education), \
     political_status = COALESCE($10, political_status), occupation = COALESCE($11, occupation), \
     skill_level = COALESCE($12, skill_level), card_no = COALESCE($13, card_no), join_date = COALESCE($14, join_date), \
     is_migrant_worker = COALESCE($15, is_migrant_worker), is_hardship = COALESCE($16, is_hardship), \
     status = COALESCE($17, status), updated_at = $18 \
     WHERE id_number_hash = $19 AND org_id = $20 RETURNING id";

/// Runs an import to the end, whatever it imports. `progress` is live while it runs.
pub async fn run(
    db: &Db,
    keys: Arc<Keyring>,
    parser: &Parser,
    job: &Job,
    path: &std::path::Path,
    progress: Arc<Progress>,
) -> anyhow::Result<Outcome> {
    match job.kind {
        Kind::Members => run_members(db, keys, parser, job, path, progress).await,
        Kind::Orgs | Kind::Enterprises => {
            super::registers::job::run(db, &keys, parser, job, path, &progress).await
        }
    }
}

async fn run_members(
    db: &Db,
    keys: Arc<Keyring>,
    parser: &Parser,
    job: &Job,
    path: &std::path::Path,
    progress: Arc<Progress>,
) -> anyhow::Result<Outcome> {
    let (actor, job_id, org, mode, filename) = (
        &job.actor,
        job.id,
        &job.org,
        job.mode,
        job.filename.as_str(),
    );
    let lookup = Arc::new(lookup(db, org, job.register_employers).await?);
    let (tx_batches, mut rx) = tokio::sync::mpsc::channel::<Vec<Prepared>>(4);
    let reader = {
        let (keys, lookup, progress, filename, parser, path) = (
            keys.clone(),
            lookup.clone(),
            progress.clone(),
            filename.to_string(),
            parser.clone(),
            path.to_path_buf(),
        );
        tokio::task::spawn_blocking(move || {
            let mut v = Validator {
                keys: &keys,
                lookup: &lookup,
                progress: &progress,
                tx: tx_batches,
                batch: vec![],
                sheets: vec![],
                header: None,
                rows_before_header: 0,
                headers_found: 0,
                skipped_sheets: vec![],
                columns: vec![],
                seen: HashMap::new(),
                errors: vec![],
                bad: vec![],
                writer_gone: false,
                unregistered: Default::default(),
            };
            let fatal = parser
                .read(&path, &filename, &mut v)
                .err()
                .map(|e| e.to_string());
            if v.header.is_none() {
                if let Some(last) = v.sheets.last().cloned() {
                    v.skipped_sheets.push(last);
                }
            }
            v.flush();
            ReadResult {
                sheets: v.sheets,
                headers_found: v.headers_found,
                skipped_sheets: v.skipped_sheets,
                columns: v.columns,
                errors: v.errors,
                bad: v.bad,
                fatal,
                unregistered: v.unregistered,
            }
        })
    };

    let now = now_ms();
    let mut tx = db.begin_deferred().await?;
    // A roster's rows go into a dozen indexes at once: past SQLite's small
    // default cache, every index page is written out and read back through
    // the kernel (half the import's time). The import's connection gets a
    // cache of its own while it runs, and gives it back before it ends.
    if db.backend == Backend::Sqlite {
        let grow = format!("PRAGMA cache_size = -{}", IMPORT_CACHE_MIB * 1024);
        sqlx::query(&grow).execute(&mut *tx).await?;
    }
    // On PostgreSQL the figures of the rows it adds wait for the commit.
    let defer_figures = db.backend == Backend::Postgres;
    if defer_figures {
        sqlx::query(DEFER_FIGURES)
            .bind("on")
            .execute(&mut *tx)
            .await?;
    }
    let mut added_ids: Vec<i64> = vec![];
    let (mut created, mut updated) = (0i64, 0i64);
    let mut conflicts: Vec<(Prepared, String)> = vec![];
    let mut registered: HashMap<String, i64> = HashMap::new();
    while let Some(mut batch) = rx.recv().await {
        for p in batch.iter_mut() {
            if let Some(name) = p.new_employer.take() {
                let id = match registered.get(&name) {
                    Some(id) => *id,
                    None => {
                        let id =
                            crate::enterprise::store::insert_pending_in(&mut tx, &name, p.org_id)
                                .await?;
                        registered.insert(name, id);
                        id
                    }
                };
                p.enterprise_id = Some(id);
            }
        }
        // New people in statements of many rows (one round trip for each,
        // not one for every row); the people already on the roll are the
        // rows the insert left out, updated one by one.
        let mut rest: Vec<Prepared> = vec![];
        while !batch.is_empty() {
            let rows = batch.len().min(insert_rows_per_statement(db.backend));
            let chunk: Vec<Prepared> = batch.drain(..rows).collect();
            let added = insert_rows(&mut tx, &chunk, now).await?;
            created += added.len() as i64;
            progress
                .rows_done
                .fetch_add(added.len() as i64, Ordering::Relaxed);
            if defer_figures {
                added_ids.extend(added.values());
            }
            rest.extend(
                chunk
                    .into_iter()
                    .filter(|p| !added.contains_key(&p.id_hash)),
            );
        }
        for p in rest {
            let f = &p.fields;
            let changed = sqlx::query(UPDATE)
                .bind(f.name.clone().unwrap_or_default())
                .bind(p.enterprise_id)
                .bind(p.phone_enc.clone())
                .bind(p.phone_hash.clone())
                .bind(p.phone_tail.clone())
                .bind(&p.pinyin)
                .bind(&p.initials)
                .bind(f.ethnicity.clone())
                .bind(f.education.clone())
                .bind(f.political_status.clone())
                .bind(f.occupation.clone())
                .bind(f.skill_level.clone())
                .bind(f.card_no.clone())
                .bind(f.join_date.clone())
                .bind(f.is_migrant_worker.map(|b| b as i64))
                .bind(f.is_hardship.map(|b| b as i64))
                .bind(f.status.clone())
                .bind(now)
                .bind(&p.id_hash)
                .bind(p.org_id)
                .fetch_optional(&mut *tx)
                .await?;
            if changed.is_some() {
                updated += 1;
            } else {
                // One person, one member: registered elsewhere, so this is a transfer, not an import.
                let at = sqlx::query("SELECT o.name, o.path FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.id_number_hash = $1")
                    .bind(&p.id_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                let reason = match at {
                    Some(r) if r.try_get::<String, _>(1)?.starts_with(&org.path) => {
                        format!("此人已在“{}”登记；如需调动请办理转会", r.try_get::<String, _>(0)?)
                    }
                    _ => "此人已在其他工会登记为会员（一人只能登记一次）；如需调入请联系对方工会办理转会".into(),
                };
                progress.rows_failed.fetch_add(1, Ordering::Relaxed);
                conflicts.push((p, reason));
            }
            progress.rows_done.fetch_add(1, Ordering::Relaxed);
        }
    }
    let mut read = reader.await?;
    for (p, reason) in conflicts {
        if read.errors.len() < ERRORS_KEPT {
            read.errors.push(RowError {
                sheet: read.sheets[p.sheet].clone(),
                row: p.row,
                column: Column::IdNumber.title().into(),
                reason: reason.clone(),
            });
        }
        if read.bad.len() < REPORT_ROWS_KEPT {
            read.bad.push(BadRow {
                sheet: p.sheet,
                row: p.row,
                values: values_of(&p.fields, &lookup, p.org_id, p.enterprise_id),
                reasons: vec![format!("身份证号：{reason}")],
            });
        }
    }
    read.bad.sort_by_key(|b| (b.sheet, b.row));
    read.errors
        .sort_by_key(|e| (read.sheets.iter().position(|s| *s == e.sheet), e.row));

    let failed = progress.rows_failed.load(Ordering::Relaxed);
    let done = progress.rows_done.load(Ordering::Relaxed);
    progress.rows_total.store(done, Ordering::Relaxed);
    let mut outcome = Outcome {
        id: job_id,
        kind: Kind::Members.as_str().into(),
        state: String::new(),
        mode: mode.as_str().into(),
        rows_total: done,
        rows_done: done,
        rows_failed: failed,
        rows_created: 0,
        rows_updated: 0,
        message: String::new(),
        errors: read.errors,
        report: None,
    };
    let skipped = if read.skipped_sheets.is_empty() {
        String::new()
    } else {
        format!(
            "；工作表 {} 中没有找到表头，已跳过",
            read.skipped_sheets
                .iter()
                .map(|s| format!("“{s}”"))
                .collect::<Vec<_>>()
                .join("、")
        )
    };
    let skipped = format!(
        "{skipped}{}",
        unregistered_note(
            &read.unregistered,
            job.register_employers,
            read.fatal.is_none() && mode != Mode::Check && !(mode == Mode::All && failed > 0)
        )
    );
    let commit = if let Some(fatal) = read.fatal {
        outcome.state = "failed".into();
        outcome.message = fatal;
        false
    } else if read.headers_found == 0 {
        outcome.state = "failed".into();
        outcome.message =
            format!("没有找到表头：表格前{HEADER_SEARCH_ROWS}行中需要有“姓名”和“身份证号”两列");
        false
    } else if mode == Mode::Check {
        outcome.state = "checked".into();
        outcome.message =
            format!("检查完成：共 {done} 行，{failed} 行有误；未写入任何数据{skipped}");
        false
    } else if mode == Mode::All && failed > 0 {
        outcome.state = "rejected".into();
        outcome.message = format!("共 {done} 行，其中 {failed} 行有误；按“有错误则全部不导入”方式，未写入任何数据。请修改后重新导入，或选择“只导入正确的行”{skipped}");
        false
    } else {
        outcome.state = "done".into();
        outcome.rows_created = created;
        outcome.rows_updated = updated;
        outcome.message = format!(
            "导入完成：新增 {created} 人，更新 {updated} 人{}{skipped}",
            if failed > 0 {
                format!("，跳过有误的 {failed} 行")
            } else {
                String::new()
            }
        );
        true
    };
    if !read.bad.is_empty() {
        outcome.report = Some(report_workbook(&read.sheets, &read.columns, &read.bad)?);
    }
    if db.backend == Backend::Sqlite {
        let back = format!(
            "PRAGMA cache_size = -{}",
            crate::db::sqlite_cache_mib() * 1024
        );
        sqlx::query(&back).execute(&mut *tx).await?;
    }
    if commit {
        let ev = Event::new("member.import", "import", job_id).org(org.id).detail(json!({
            "filename": filename, "mode": mode.as_str(), "rows": done, "created": created, "updated": updated, "failed": failed,
        }));
        audit::append(&mut tx, actor, ev).await?;
        super::store::finish(&mut *tx, keys.as_ref(), &outcome).await?;
        if defer_figures {
            add_deferred_figures(&mut tx, &added_ids).await?;
        }
        tx.commit().await?;
        if db.backend == Backend::Postgres && created >= VACUUM_AFTER_ROWS {
            vacuum_after_import(db).await;
        }
    } else {
        tx.rollback().await?;
        super::store::finish(&db.pool, keys.as_ref(), &outcome).await?;
    }
    Ok(outcome)
}

/// The employers a roster names that are not registered: how many, the
/// first ones with their rows, and what happens to them.
fn unregistered_note(
    names: &std::collections::BTreeMap<String, u32>,
    register: bool,
    written: bool,
) -> String {
    if names.is_empty() {
        return String::new();
    }
    let mut by_rows: Vec<(&String, &u32)> = names.iter().collect();
    by_rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let listed: Vec<String> = by_rows
        .iter()
        .take(10)
        .map(|(n, c)| format!("{n}（{c} 人）"))
        .collect();
    let more = if names.len() > 10 { "等" } else { "" };
    let what = match (register, written) {
        (true, true) => "已随名册登记为企业，标记为“待补充信用代码”，请在“企业”页补全",
        (true, false) => "导入时将登记为企业（待补充信用代码）",
        (false, _) => "可先在“企业”中登记，或导入时选择“同时登记未登记的工作单位”",
    };
    format!(
        "；名册中有 {} 个工作单位尚未登记：{}{more}，{what}",
        names.len(),
        listed.join("、")
    )
}

/// A valid row's values as the report shows them (for rows the database refused).
fn values_of(
    f: &MemberFields,
    lookup: &Lookup,
    org_id: i64,
    enterprise_id: Option<i64>,
) -> Vec<(Column, String)> {
    let org = lookup
        .orgs
        .iter()
        .find(|(k, v)| **v == org_id && !k.is_ascii())
        .map(|(k, _)| k.clone())
        .unwrap_or_default();
    let ent = enterprise_id
        .and_then(|e| {
            lookup
                .enterprises
                .iter()
                .find(|(_, (id, _))| *id == e)
                .map(|(k, _)| k.clone())
        })
        .unwrap_or_default();
    vec![
        (Column::Name, f.name.clone().unwrap_or_default()),
        (
            Column::IdNumber,
            f.id_number
                .as_ref()
                .map(|i| i.as_str().to_string())
                .unwrap_or_default(),
        ),
        (
            Column::Phone,
            f.phone
                .clone()
                .flatten()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
        ),
        (Column::Org, org),
        (Column::Enterprise, ent),
        (Column::Occupation, f.occupation.clone().unwrap_or_default()),
        (
            Column::SkillLevel,
            f.skill_level.clone().unwrap_or_default(),
        ),
        (Column::CardNo, f.card_no.clone().unwrap_or_default()),
    ]
}

/// The bad rows as a workbook: the file's own columns, plus 工作表, 行号 and
/// 错误原因. Fixed, it can be imported again as it is.
fn report_workbook(
    sheets: &[String],
    columns: &[Column],
    bad: &[BadRow],
) -> anyhow::Result<Vec<u8>> {
    let mut cols: Vec<Column> = Column::ALL
        .into_iter()
        .filter(|c| columns.contains(c))
        .collect();
    if cols.is_empty() {
        cols = vec![Column::Name, Column::IdNumber];
    }
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let red = rust_xlsxwriter::Format::new().set_font_color(rust_xlsxwriter::Color::Red);
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name("有误的行")?;
    let mut heading: Vec<&str> = cols.iter().map(|c| c.title()).collect();
    heading.extend(["错误原因", "工作表", "行号"]);
    ws.write_row_with_format(0, 0, heading, &bold)?;
    ws.set_column_width(cols.len() as u16, 60)?;
    for (i, c) in cols.iter().enumerate() {
        ws.set_column_width(i as u16, if *c == Column::IdNumber { 22 } else { 14 })?;
    }
    for (n, b) in bad.iter().enumerate() {
        let r = n as u32 + 1;
        for (i, c) in cols.iter().enumerate() {
            let v = b
                .values
                .iter()
                .find(|(col, _)| col == c)
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            // Written as text, so Excel keeps the whole ID number this time
            // (and cut to what a cell holds: the reason says it was longer).
            ws.write_string_with_format(r, i as u16, super::rules::excel_cell(v), &text)?;
        }
        let base = cols.len() as u16;
        ws.write_string_with_format(
            r,
            base,
            super::rules::excel_cell(&b.reasons.join("；")),
            &red,
        )?;
        ws.write_string(
            r,
            base + 1,
            sheets.get(b.sheet).map(String::as_str).unwrap_or(""),
        )?;
        ws.write_number(r, base + 2, b.row as f64)?;
    }
    Ok(wb.save_to_buffer()?)
}
