//! The scoring engine's records: rubrics in versions, and per entry a board
//! of the reviewers' sheets and marks with their locks (migration 0024).
//! Every decision is the rules' (`rules::Board`); this file loads a board,
//! lets the rules judge the change, writes it and audits it, in one
//! transaction with the board's row locked, so two reviewers marking at once
//! never lose a mark and a locked sheet stays locked.

use super::rules::{self, Aspect, Board, Centi, Criterion, Deduction, Given, Method, Rubric};
use crate::audit::{self, Actor, Event};
use crate::auth::Scope;
use crate::db::{now_ms, Db, Tx};
use crate::web::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

/// A rubric as clients send and read it (marks in hundredths: 1000 is 10 marks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RubricDoc {
    pub criteria: Vec<CriterionDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CriterionDoc {
    pub label: String,
    pub aspects: Vec<AspectDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AspectDoc {
    /// Unique within the rubric (`A1`): marks are entered against it.
    pub key: String,
    pub label: String,
    /// The aspect's full marks, in hundredths.
    pub max: i64,
    /// Percent: 100 counts the aspect as it is.
    #[serde(default = "full_weight")]
    pub weight: u32,
    pub method: MethodDoc,
}

fn full_weight() -> u32 {
    100
}

/// How an aspect is marked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MethodDoc {
    /// Full marks or none.
    FullOrZero,
    /// Each fault found deducts its points, never below zero.
    Deductions { table: Vec<DeductionDoc> },
    /// 0–3 by each judge, with the descriptor of each of the four marks.
    Judged { descriptors: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeductionDoc {
    pub fault: String,
    /// Hundredths of a mark.
    pub points: i64,
}

impl RubricDoc {
    /// The rubric the rules mark by, or what is wrong with it (in Chinese).
    pub fn rubric(&self, version: u32) -> Result<Rubric, String> {
        let mut criteria = vec![];
        for c in &self.criteria {
            let mut aspects = vec![];
            for a in &c.aspects {
                let method = match &a.method {
                    MethodDoc::FullOrZero => Method::FullOrZero,
                    MethodDoc::Deductions { table } => Method::Deductions(
                        table
                            .iter()
                            .map(|d| Deduction {
                                fault: d.fault.trim().to_string(),
                                points: d.points,
                            })
                            .collect(),
                    ),
                    MethodDoc::Judged { descriptors } => {
                        let four: [String; 4] = descriptors.clone().try_into().map_err(|_| {
                            format!("评分要点“{}”须为 0、1、2、3 分各写明评判标准", a.label)
                        })?;
                        Method::Judged { descriptors: four }
                    }
                };
                aspects.push(Aspect {
                    key: a.key.trim().to_string(),
                    label: a.label.trim().to_string(),
                    max: a.max,
                    weight: a.weight,
                    method,
                });
            }
            criteria.push(Criterion {
                label: c.label.trim().to_string(),
                aspects,
            });
        }
        let rubric = Rubric { version, criteria };
        rubric.check()?;
        Ok(rubric)
    }

    pub fn of(rubric: &Rubric) -> RubricDoc {
        RubricDoc {
            criteria: rubric
                .criteria
                .iter()
                .map(|c| CriterionDoc {
                    label: c.label.clone(),
                    aspects: c
                        .aspects
                        .iter()
                        .map(|a| AspectDoc {
                            key: a.key.clone(),
                            label: a.label.clone(),
                            max: a.max,
                            weight: a.weight,
                            method: match &a.method {
                                Method::FullOrZero => MethodDoc::FullOrZero,
                                Method::Deductions(t) => MethodDoc::Deductions {
                                    table: t
                                        .iter()
                                        .map(|d| DeductionDoc {
                                            fault: d.fault.clone(),
                                            points: d.points,
                                        })
                                        .collect(),
                                },
                                Method::Judged { descriptors } => MethodDoc::Judged {
                                    descriptors: descriptors.to_vec(),
                                },
                            },
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A mark as stored: `met`, `unmet`, `faults:0,2`, `mark:2`.
pub fn given_text(given: &Given) -> String {
    match given {
        Given::Met(true) => "met".into(),
        Given::Met(false) => "unmet".into(),
        Given::Faults(found) => format!(
            "faults:{}",
            found
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
        Given::Mark(m) => format!("mark:{m}"),
    }
}

/// A stored mark read back (None for text this file never wrote).
pub fn given_of(text: &str) -> Option<Given> {
    match text {
        "met" => Some(Given::Met(true)),
        "unmet" => Some(Given::Met(false)),
        _ => {
            if let Some(found) = text.strip_prefix("faults:") {
                if found.is_empty() {
                    return Some(Given::Faults(vec![]));
                }
                let found: Result<Vec<usize>, _> = found.split(',').map(str::parse).collect();
                return found.ok().map(Given::Faults);
            }
            text.strip_prefix("mark:")?.parse().ok().map(Given::Mark)
        }
    }
}

/// Hundredths of a mark in words for people: 8833 → "88.33", 4000 → "40".
pub fn marks_text(c: Centi) -> String {
    let text = format!("{}.{:02}", c / 100, (c % 100).abs());
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A mark in words for the audit log and the pages: 达标, 未达标, 扣分项
/// 1、3 (numbered from 1), 2 分.
pub fn given_words(given: &Given) -> String {
    match given {
        Given::Met(true) => "达标".into(),
        Given::Met(false) => "未达标".into(),
        Given::Faults(found) if found.is_empty() => "无扣分".into(),
        Given::Faults(found) => format!(
            "扣分项 {}",
            found
                .iter()
                .map(|i| (i + 1).to_string())
                .collect::<Vec<_>>()
                .join("、")
        ),
        Given::Mark(m) => format!("{m} 分"),
    }
}

/// A rubric version as kept.
#[derive(Debug, Clone)]
pub struct StoredRubric {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub rubric: Rubric,
}

/// Keeps `doc` as the next version of the union's rubric called `name`
/// (the first is version 1). Refused outside `scope` (not found) and for a
/// rubric that cannot be marked (422 on `criteria`).
pub async fn add_rubric(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    org_id: i64,
    name: &str,
    doc: &RubricDoc,
) -> AppResult<StoredRubric> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid("name", "评分标准名称须为 1–60 个字"));
    }
    let path = org_path(db, org_id).await?;
    if !scope.covers_path(&path) {
        return Err(AppError::not_found("组织"));
    }
    let mut tx = db.begin().await?;
    let version: i64 = sqlx::query(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM scoring_rubrics WHERE org_id = $1 AND name = $2",
    )
    .bind(org_id)
    .bind(name)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let rubric = doc
        .rubric(version as u32)
        .map_err(|m| AppError::invalid("criteria", m))?;
    let body = serde_json::to_string(&RubricDoc::of(&rubric)).map_err(anyhow::Error::from)?;
    let id: i64 = sqlx::query(
        "INSERT INTO scoring_rubrics (org_id, name, version, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(org_id)
    .bind(name)
    .bind(version)
    .bind(&body)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let ev = Event::new("scoring.rubric", "scoring_rubric", id)
        .org(org_id)
        .detail(json!({"name": name, "version": version, "full_marks": marks_text(rubric.full_marks())}));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(StoredRubric {
        id,
        org_id,
        name: name.to_string(),
        rubric,
    })
}

async fn org_path(db: &Db, org_id: i64) -> AppResult<String> {
    sqlx::query("SELECT path FROM orgs WHERE id = $1")
        .bind(org_id)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .ok_or_else(|| AppError::not_found("组织"))
}

/// A rubric version by id.
pub async fn rubric<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    id: i64,
) -> AppResult<StoredRubric> {
    let row = sqlx::query("SELECT org_id, name, version, body FROM scoring_rubrics WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::not_found("评分标准"))?;
    let doc: RubricDoc =
        serde_json::from_str(&row.try_get::<String, _>(3)?).map_err(anyhow::Error::from)?;
    let version: i64 = row.try_get(2)?;
    Ok(StoredRubric {
        id,
        org_id: row.try_get(0)?,
        name: row.try_get(1)?,
        rubric: doc.rubric(version as u32).map_err(anyhow::Error::msg)?,
    })
}

/// Who a board scores, for conflicts of interest.
pub type Entrant = rules::Entrant;

/// Opens the board on which `program`'s entry `entry_ref` is marked against
/// `rubric_id`, kept at the union `org_id` (whose staff assign its reviewers
/// and close it); inside the program's own transaction. Returns its id.
pub async fn open_board(
    tx: &mut Tx,
    actor: &Actor,
    rubric_id: i64,
    org_id: i64,
    (program, entry_ref): (&'static str, i64),
    entrant: &Entrant,
) -> AppResult<i64> {
    // A union marks by its own rubrics or by those of a union above it.
    let ends = sqlx::query(
        "SELECT (SELECT o.path FROM scoring_rubrics r JOIN orgs o ON o.id = r.org_id WHERE r.id = $1), \
                (SELECT path FROM orgs WHERE id = $2)",
    )
    .bind(rubric_id)
    .bind(org_id)
    .fetch_one(&mut **tx)
    .await?;
    let (rubric_path, board_path): (Option<String>, Option<String>) =
        (ends.try_get(0)?, ends.try_get(1)?);
    match (rubric_path, board_path) {
        (Some(r), Some(b)) if b.starts_with(&r) => {}
        (Some(_), Some(_)) => {
            return Err(AppError::conflict(
                Some("rubric_id"),
                "只能使用本级或上级工会的评分标准",
            ))
        }
        (None, _) => return Err(AppError::not_found("评分标准")),
        (_, None) => return Err(AppError::not_found("组织")),
    }
    let id: Option<i64> = sqlx::query(
        "INSERT INTO scoring_boards (rubric_id, org_id, program, entry_ref, member_id, entrant_org_id, enterprise_id, nominated_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (program, entry_ref) DO NOTHING RETURNING id",
    )
    .bind(rubric_id)
    .bind(org_id)
    .bind(program)
    .bind(entry_ref)
    .bind(entrant.member_id)
    .bind(entrant.org_id)
    .bind(entrant.enterprise_id)
    .bind(entrant.nominated_by)
    .bind(now_ms())
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.try_get(0))
    .transpose()?;
    let id = id.ok_or_else(|| AppError::conflict(None, "这一参评对象已经在评审中"))?;
    let ev = Event::new("scoring.open", "scoring_board", id)
        .org(org_id)
        .detail(json!({"rubric": rubric_id}));
    audit::append(tx, actor, ev).await?;
    Ok(id)
}

/// A board as the rules see it, with what the store knows around it.
pub struct Loaded {
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub entrant: Entrant,
    pub rubric: StoredRubric,
    pub board: Board,
}

/// Loads a board inside `tx` with its row locked (a no-op update), so the
/// change that follows is judged on the board as it is.
async fn load_locked(tx: &mut Tx, board_id: i64) -> AppResult<Loaded> {
    load(tx, board_id, true).await
}

/// Loads a board; `lock` takes its row first (for a change).
async fn load(tx: &mut Tx, board_id: i64, lock: bool) -> AppResult<Loaded> {
    let columns =
        "rubric_id, org_id, member_id, entrant_org_id, enterprise_id, nominated_by, closed_at";
    let statement = if lock {
        format!("UPDATE scoring_boards SET rubric_id = rubric_id WHERE id = $1 RETURNING {columns}")
    } else {
        format!("SELECT {columns} FROM scoring_boards WHERE id = $1")
    };
    let row = sqlx::query(&statement)
        .bind(board_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| AppError::not_found("评审"))?;
    let rubric_id: i64 = row.try_get(0)?;
    let org_id: i64 = row.try_get(1)?;
    let entrant = Entrant {
        member_id: row.try_get(2)?,
        org_id: row.try_get(3)?,
        enterprise_id: row.try_get(4)?,
        nominated_by: row.try_get(5)?,
    };
    let closed = row.try_get::<Option<i64>, _>(6)?.is_some();
    let path: String = sqlx::query("SELECT path FROM orgs WHERE id = $1")
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    let rubric = rubric(&mut **tx, rubric_id).await?;
    let mut board = Board {
        closed,
        ..Board::default()
    };
    for s in sqlx::query("SELECT reviewer_id, locked_at FROM scoring_sheets WHERE board_id = $1")
        .bind(board_id)
        .fetch_all(&mut **tx)
        .await?
    {
        let sheet = board.sheets.entry(s.try_get(0)?).or_default();
        sheet.locked = s.try_get::<Option<i64>, _>(1)?.is_some();
    }
    for m in
        sqlx::query("SELECT reviewer_id, aspect_key, given FROM scoring_marks WHERE board_id = $1")
            .bind(board_id)
            .fetch_all(&mut **tx)
            .await?
    {
        let given: String = m.try_get(2)?;
        let given = given_of(&given).ok_or_else(|| anyhow::anyhow!("unreadable mark {given}"))?;
        board
            .sheets
            .entry(m.try_get(0)?)
            .or_default()
            .marks
            .insert(m.try_get(1)?, given);
    }
    Ok(Loaded {
        id: board_id,
        org_id,
        org_path: path,
        entrant,
        rubric,
        board,
    })
}

/// A board in reach of `scope` (staff's view: not found outside it).
async fn staffed(tx: &mut Tx, scope: &Scope, board_id: i64) -> AppResult<Loaded> {
    let loaded = load_locked(tx, board_id).await?;
    if !scope.covers_path(&loaded.org_path) {
        return Err(AppError::not_found("评审"));
    }
    Ok(loaded)
}

/// Assigns the member `reviewer_id` to the board; refused (409) for a
/// conflict of interest — the entrant themself, their nominee's nominator,
/// their union or their enterprise — and once the board is closed.
pub async fn assign(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    board_id: i64,
    reviewer_id: i64,
) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let loaded = staffed(&mut tx, scope, board_id).await?;
    if loaded.board.closed {
        return Err(AppError::conflict(None, "评分已最终锁定，不能再增加评委"));
    }
    let r = sqlx::query("SELECT org_id, enterprise_id FROM members WHERE id = $1")
        .bind(reviewer_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found("评委"))?;
    let reviewer = rules::Reviewer {
        member_id: Some(reviewer_id),
        org_id: r.try_get(0)?,
        enterprise_id: r.try_get(1)?,
    };
    if let Some(why) = rules::conflict(&reviewer, &loaded.entrant) {
        return Err(AppError::conflict(Some("reviewer_id"), why));
    }
    if loaded.board.sheets.contains_key(&reviewer_id) {
        return Err(AppError::conflict(
            Some("reviewer_id"),
            "这位评委已在本评审中",
        ));
    }
    sqlx::query("INSERT INTO scoring_sheets (board_id, reviewer_id) VALUES ($1, $2)")
        .bind(board_id)
        .bind(reviewer_id)
        .execute(&mut *tx)
        .await?;
    let ev = Event::new("scoring.assign", "scoring_board", board_id)
        .org(loaded.org_id)
        .member(reviewer_id);
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

/// The reviewer `reviewer_id` enters (or corrects) their mark on `aspect`:
/// 422 for a mark the aspect cannot take, 404 for a board they do not
/// review, 409 once their sheet or the board is locked.
pub async fn enter(
    db: &Db,
    actor: &Actor,
    reviewer_id: i64,
    board_id: i64,
    aspect: &str,
    given: Given,
) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let mut loaded = load_locked(&mut tx, board_id).await?;
    if !loaded.board.sheets.contains_key(&reviewer_id) {
        return Err(AppError::not_found("评审"));
    }
    // What the aspect can take, judged on a sheet of its own: a wrong mark
    // is the input's fault (422), a lock is the board's state (409).
    Board::assigned(&[reviewer_id])
        .enter(&loaded.rubric.rubric, reviewer_id, aspect, given.clone())
        .map_err(|m| AppError::invalid("given", m))?;
    let before = loaded
        .board
        .sheets
        .get(&reviewer_id)
        .and_then(|s| s.marks.get(aspect))
        .map(given_words);
    loaded
        .board
        .enter(&loaded.rubric.rubric, reviewer_id, aspect, given.clone())
        .map_err(|m| AppError::conflict(None, m))?;
    let text = given_text(&given);
    sqlx::query(
        "INSERT INTO scoring_marks (board_id, reviewer_id, aspect_key, given, entered_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (board_id, reviewer_id, aspect_key) DO UPDATE SET given = excluded.given, entered_at = excluded.entered_at",
    )
    .bind(board_id)
    .bind(reviewer_id)
    .bind(aspect)
    .bind(&text)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let ev = Event::new("scoring.mark", "scoring_board", board_id)
        .org(loaded.org_id)
        .member(reviewer_id)
        .detail(json!({"aspect": aspect, "given": given_words(&given), "before": before}));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

/// The reviewer locks their own sheet: refused (409) until every aspect is marked.
pub async fn lock_sheet(db: &Db, actor: &Actor, reviewer_id: i64, board_id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let mut loaded = load_locked(&mut tx, board_id).await?;
    if !loaded.board.sheets.contains_key(&reviewer_id) {
        return Err(AppError::not_found("评审"));
    }
    loaded
        .board
        .lock(&loaded.rubric.rubric, reviewer_id)
        .map_err(|m| AppError::conflict(None, m))?;
    set_sheet_lock(&mut tx, board_id, reviewer_id, Some(now_ms())).await?;
    let ev = Event::new("scoring.lock", "scoring_board", board_id)
        .org(loaded.org_id)
        .member(reviewer_id);
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

async fn set_sheet_lock(
    tx: &mut Tx,
    board_id: i64,
    reviewer_id: i64,
    at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE scoring_sheets SET locked_at = $1 WHERE board_id = $2 AND reviewer_id = $3",
    )
    .bind(at)
    .bind(board_id)
    .bind(reviewer_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Staff reopen one reviewer's sheet for re-marking (after a flag was
/// discussed), with the reason; refused once the board is closed.
pub async fn reopen(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    board_id: i64,
    reviewer_id: i64,
    reason: &str,
) -> AppResult<()> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "请写明重新打开评分的原因"));
    }
    let mut tx = db.begin().await?;
    let mut loaded = staffed(&mut tx, scope, board_id).await?;
    loaded
        .board
        .reopen(reviewer_id)
        .map_err(|m| AppError::conflict(None, m))?;
    set_sheet_lock(&mut tx, board_id, reviewer_id, None).await?;
    let ev = Event::new("scoring.reopen", "scoring_board", board_id)
        .org(loaded.org_id)
        .member(reviewer_id)
        .detail(json!({"reason": reason}));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

/// The final lock: refused (409) while a sheet is open, judged aspects lack
/// judges, or judges are more than a mark apart. Returns the result.
pub async fn close(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    board_id: i64,
) -> AppResult<rules::Outcome> {
    let mut tx = db.begin().await?;
    let mut loaded = staffed(&mut tx, scope, board_id).await?;
    loaded
        .board
        .close(&loaded.rubric.rubric)
        .map_err(|m| AppError::conflict(None, m))?;
    let outcome = rules::aggregate(&loaded.rubric.rubric, &loaded.board);
    sqlx::query("UPDATE scoring_boards SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL")
        .bind(now_ms())
        .bind(board_id)
        .execute(&mut *tx)
        .await?;
    let ev = Event::new("scoring.close", "scoring_board", board_id)
        .org(loaded.org_id)
        .detail(json!({"total": marks_text(outcome.total)}));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// A board's standing: the result so far (final once closed) and the flags
/// for the panel; `departure` is the threshold in percentage points for a
/// reviewer's marks against the others' (0: do not look).
pub struct Standing {
    pub outcome: rules::Outcome,
    pub flags: Vec<rules::Flag>,
    pub closed: bool,
    /// Reviewers and whether each has locked their sheet.
    pub sheets: Vec<(i64, bool)>,
    pub full_marks: Centi,
}

pub async fn standing(
    db: &Db,
    scope: &Scope,
    board_id: i64,
    departure: i64,
) -> AppResult<Standing> {
    let mut tx = db.begin_deferred().await?;
    let loaded = load(&mut tx, board_id, false).await?;
    tx.rollback().await?;
    if !scope.covers_path(&loaded.org_path) {
        return Err(AppError::not_found("评审"));
    }
    let rubric = &loaded.rubric.rubric;
    Ok(Standing {
        outcome: rules::aggregate(rubric, &loaded.board),
        flags: rules::flags(rubric, &loaded.board, departure),
        closed: loaded.board.closed,
        sheets: loaded
            .board
            .sheets
            .iter()
            .map(|(r, s)| (*r, s.locked))
            .collect(),
        full_marks: rubric.full_marks(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_stored_and_read_back_as_they_were_given() {
        for g in [
            Given::Met(true),
            Given::Met(false),
            Given::Faults(vec![]),
            Given::Faults(vec![0, 2, 2]),
            Given::Mark(0),
            Given::Mark(3),
        ] {
            assert_eq!(given_of(&given_text(&g)), Some(g));
        }
        assert_eq!(given_of("faults:x"), None);
        assert_eq!(given_of("mark:"), None);
        assert_eq!(given_of("maybe"), None);
    }

    #[test]
    fn marks_read_as_people_write_them() {
        assert_eq!(marks_text(8833), "88.33");
        assert_eq!(marks_text(4000), "40");
        assert_eq!(marks_text(10_000), "100");
        assert_eq!(marks_text(2550), "25.5");
        assert_eq!(marks_text(5), "0.05");
        assert_eq!(given_words(&Given::Faults(vec![0, 2])), "扣分项 1、3");
        assert_eq!(given_words(&Given::Mark(2)), "2 分");
    }
}
