//! What can be done with rosters as files: import one as a job, follow it,
//! fetch its report of bad rows, export a subtree, get the blank template.

use super::import;
use super::outcome::{Kind, Mode, Outcome};
use super::running::Progress;
use super::store;
use crate::audit::Actor;
use crate::auth::{Caller, Right};
use crate::files::{FileStore, Upload};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use serde::Deserialize;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Uploads up to this size (a million-row .xlsx is about 60 MB).
pub const MAX_UPLOAD: usize = 256 * 1024 * 1024;

/// A new upload for a roster: written to a temporary file as it arrives,
/// never held in memory, refused (413) past `MAX_UPLOAD`.
pub async fn new_upload(s: &AppState) -> AppResult<Upload> {
    let store = match &s.files {
        Some(f) => (**f).clone(),
        None => FileStore::new(std::env::temp_dir().join("gongjiang-uploads")),
    };
    Ok(store
        .create("imports", "upload")
        .await?
        .with_limit(MAX_UPLOAD as u64))
}

/// What an upload is to become: which register, into where, how.
pub struct StartImport<'a> {
    pub org_id: Option<i64>,
    /// members (default), orgs or enterprises.
    pub kind: &'a str,
    pub mode: &'a str,
    pub filename: &'a str,
    /// Members only: register the roster's unregistered employers with it.
    pub register_employers: bool,
}

/// Starts an import of the uploaded `file` into `org_id`'s subtree (the
/// roster right there for members and enterprises, the organisations right
/// for the tree); it runs in the background, waiting for a free slot when
/// others are running.
pub async fn start(
    s: &AppState,
    c: &Caller,
    what: StartImport<'_>,
    file: Upload,
) -> AppResult<i64> {
    let StartImport {
        org_id,
        kind,
        mode,
        filename,
        register_employers,
    } = what;
    let kind = Kind::parse(kind).map_err(|m| AppError::invalid("kind", m))?;
    let org_id = org_id.ok_or_else(|| AppError::invalid("org_id", "请选择导入到哪个组织"))?;
    let right = if kind == Kind::Orgs {
        Right::Orgs
    } else {
        Right::Roster
    };
    let org = crate::org::store::writable(&s.db, &c.access(right), org_id).await?;
    let mode = Mode::parse(mode).map_err(|m| AppError::invalid("mode", m))?;
    if file.size == 0 {
        return Err(AppError::invalid("file", "上传的文件是空的"));
    }
    let file = file.into_temp().await?;
    let filename = if filename.trim().is_empty() {
        "roster.xlsx".to_string()
    } else {
        filename.trim().to_string()
    };
    let actor = Actor::of(c);
    let id = store::create_job(&s.db, &actor, &org, kind, mode, &filename).await?;
    let progress = Arc::new(Progress::default());
    s.imports.insert(id, progress.clone());
    let s = s.clone();
    tokio::spawn(async move {
        // One slot per running import: the rest wait here, costing nothing but their file on disk.
        let slot = s.imports.slots.clone().acquire_owned().await;
        let job = import::Job {
            id,
            actor,
            org,
            kind,
            mode,
            filename,
            register_employers,
        };
        let result = import::run(
            &s.db,
            s.keys.clone(),
            &s.parser,
            &job,
            file.path(),
            progress,
        )
        .await;
        drop(slot);
        drop(file);
        if let Err(e) = result {
            tracing::error!("import {id} failed: {e:#}");
            let message = "导入时发生内部错误，未写入任何数据；请稍后重试或联系管理员";
            let _ = store::mark_failed(&s.db, id, message).await;
        }
        s.imports.remove(id);
    });
    Ok(id)
}

/// The job as the caller may see it: live counters while it runs here.
pub async fn status(s: &AppState, c: &Caller, id: i64) -> AppResult<Outcome> {
    let mut outcome = store::job(&s.db, &s.keys, &c.scope(Right::Read), id).await?;
    if outcome.state == "running" {
        if let Some(p) = s.imports.get(id) {
            outcome.rows_total = p.rows_total.load(Ordering::Relaxed);
            outcome.rows_done = p.rows_done.load(Ordering::Relaxed);
            outcome.rows_failed = p.rows_failed.load(Ordering::Relaxed);
        }
    }
    Ok(outcome)
}

/// The workbook of a job's bad rows.
pub async fn report(s: &AppState, c: &Caller, id: i64) -> AppResult<Vec<u8>> {
    store::job(&s.db, &s.keys, &c.scope(Right::Read), id).await?;
    store::load_report(&s.db, &s.keys, id)
        .await?
        .ok_or_else(|| AppError::NotFound("这次导入没有有误的行".into()))
}

#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The subtree (default: the caller's own union).
    pub org_id: Option<i64>,
    /// `1`: whole ID numbers and phones (the reveal right; audited).
    pub reveal: Option<String>,
    /// The member list's own filters: the export holds what the list shows.
    pub q: Option<String>,
    pub skill_level: Option<String>,
    #[param(value_type = Option<crate::member::ops::MemberStatus>)]
    pub status: Option<String>,
    pub enterprise_id: Option<i64>,
    /// That level or above (the list's `min_skill_level`).
    pub min_skill_level: Option<String>,
    /// 农民工: `true` or `false`.
    pub is_migrant_worker: Option<String>,
    /// 困难职工: `true` or `false`.
    pub is_hardship: Option<String>,
    /// Joined on or after / on or before (YYYY-MM-DD).
    pub joined_from: Option<String>,
    pub joined_to: Option<String>,
}

/// A subtree's roster as a workbook and its file name; whole numbers only
/// with the reveal right, and audited either way.
pub async fn export(s: &AppState, c: &Caller, q: &ExportQuery) -> AppResult<(Vec<u8>, String)> {
    use crate::member::ops as member_ops;
    if !c.can(Right::Read) {
        return Err(AppError::forbidden());
    }
    let org = crate::auth::checks::viewed_org(s, c, q.org_id).await?;
    let reveal = matches!(q.reveal.as_deref(), Some("1" | "true" | "yes"));
    if reveal {
        let access = c.access(Right::Reveal);
        access.check(&org.path, "组织").map_err(|e| match e {
            AppError::Forbidden(_) => {
                AppError::Forbidden("导出完整身份证号和手机号需要单独授权（由管理员授予）".into())
            }
            other => other,
        })?;
    }
    let file = std::env::temp_dir().join(format!(
        "gongjiang-export-{}.xlsx",
        crate::auth::session::random_token()
    ));
    // The roster is personal data: the file is the server's alone while it is written.
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file)
            .map_err(anyhow::Error::from)?;
    }
    let filter = crate::member::store::Filter {
        q: q.q.clone().filter(|v| !v.trim().is_empty()),
        id_tails: c.id_tail_scope(),
        skill_level: q.skill_level.clone(),
        status: q.status.clone(),
        enterprise_id: q.enterprise_id,
        min_skill_level: member_ops::level_named("min_skill_level", q.min_skill_level.as_deref())?,
        migrant: member_ops::flag_named("is_migrant_worker", q.is_migrant_worker.as_deref())?,
        hardship: member_ops::flag_named("is_hardship", q.is_hardship.as_deref())?,
        joined_from: member_ops::date_named("joined_from", q.joined_from.as_deref())?,
        joined_to: member_ops::date_named("joined_to", q.joined_to.as_deref())?,
    };
    let what = super::export::Export {
        org: &org,
        scope: &c.scope(Right::Read),
        filter: &filter,
        reveal,
    };
    let result = super::export::export(&s.db, &s.keys, &Actor::of(c), &what, &file).await;
    let bytes = result.and_then(|_| Ok(std::fs::read(&file)?));
    let _ = std::fs::remove_file(&file);
    Ok((bytes?, format!("{}-会员名册.xlsx", org.name)))
}
