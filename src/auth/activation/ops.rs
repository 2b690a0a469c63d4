//! Opening member accounts in bulk (page, API, CLI) and a worker's own
//! activation (phone page, API).

use super::rules::{self, VALID_DAYS};
use super::store::{self, Candidate};
use crate::audit::{self, Actor, Event};
use crate::auth::{password, Caller, Right};
use crate::db::{format_ms, now_ms, Db};
use crate::org::store::Org;
use crate::pii::{IdNumber, Keyring, Phone};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;

/// Members one action may open accounts for (a town of 40,000 fits).
pub const MAX_AT_ONCE: i64 = 100_000;
const CODE_HASH: &str = "activation";

/// Which members get accounts (`POST /api/v1/accounts/bulk`).
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct BulkBody {
    /// The union whose subtree's members get accounts (accounts right there).
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub org_id: Option<i64>,
    /// Only these members of the subtree (default: every member on the roll
    /// without an account).
    #[serde(default)]
    #[schema(nullable = false, max_items = 10000)]
    pub member_ids: Option<Vec<i64>>,
}

/// An account opened: who, where, the login and the one-time code.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Issued {
    pub member_id: i64,
    pub name: String,
    pub org_name: String,
    /// The login: the member's phone number, masked (`139****1000`) as
    /// the roster shows it; the worker knows their own.
    pub username: String,
    /// Shown this once, as printed (`AB3D-7KQM`); only its keyed hash is kept.
    pub code: String,
}

/// A member left without an account, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Skipped {
    pub member_id: i64,
    pub name: String,
    pub org_name: String,
    pub reason: String,
}

/// What a bulk action did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub created: Vec<Issued>,
    pub skipped: Vec<Skipped>,
    /// When the codes lapse (date and time, local).
    pub expires: String,
}

/// Opens accounts for the members of `org`'s subtree without one (the caller
/// has checked the accounts right there), in one transaction, audited.
pub async fn issue(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    scope: &crate::auth::Scope,
    org: &Org,
    member_ids: Option<&[i64]>,
) -> AppResult<BulkResult> {
    let candidates =
        store::members_without_account(db, keys, scope, &org.path, member_ids, MAX_AT_ONCE).await?;
    let login = |p: &str| crate::auth::store::login_of(keys, p);
    let logins: Vec<String> = candidates
        .iter()
        .filter_map(|c| c.phone.as_deref().map(login))
        .collect();
    let taken = store::taken_usernames(db, &logins).await?;
    let expires_at = now_ms() + VALID_DAYS * 86_400_000;
    let (mut created, mut skipped) = (vec![], vec![]);
    let mut used: HashSet<String> = HashSet::new();
    let mut pending = vec![];
    for Candidate {
        member_id,
        name,
        org_id,
        org_name,
        phone,
    } in candidates
    {
        let key = phone.as_deref().map(login).unwrap_or_default();
        let reason = match &phone {
            None => Some("名册中没有手机号：请先补充手机号（手机号就是登录名）"),
            Some(_) if taken.contains(&key) || used.contains(&key) => {
                Some("手机号已被其他账号使用：请核对名册中的手机号")
            }
            Some(p)
                if Phone::parse(p)
                    .map(|x| !x.as_str().starts_with('1'))
                    .unwrap_or(true) =>
            {
                Some("名册中的电话不是手机号：请补充手机号（手机号就是登录名）")
            }
            _ => None,
        };
        if let Some(reason) = reason {
            skipped.push(Skipped {
                member_id,
                name,
                org_name,
                reason: reason.into(),
            });
            continue;
        }
        let phone = phone.unwrap_or_default();
        let shown = crate::pii::phone::mask_phone(&phone);
        let mut random = [0u8; rules::LENGTH];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let code = rules::code_from(&random);
        let code_hash = keys.lookup_hash(CODE_HASH, &code);
        used.insert(key.clone());
        pending.push(store::Pending {
            username: key,
            shown: shown.clone(),
            member_id,
            org_id,
            code_hash,
        });
        created.push(Issued {
            member_id,
            name,
            org_name,
            username: shown,
            code: rules::grouped(&code),
        });
    }
    let mut tx = db.begin().await?;
    store::create_pending_many(&mut tx, &pending, expires_at).await?;
    let ev = Event::new("account.bulk", "org", org.id)
        .org(org.id)
        .detail(json!({ "created": created.len(), "skipped": skipped.len(), "selected": member_ids.map(|m| m.len()) }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(BulkResult {
        created,
        skipped,
        expires: format_ms(expires_at),
    })
}

/// Bulk accounts for a caller with the accounts right at `org_id`.
pub async fn bulk(s: &AppState, c: &Caller, b: &BulkBody) -> AppResult<BulkResult> {
    let org_id = b
        .org_id
        .ok_or_else(|| AppError::invalid("org_id", "请选择为哪个组织的会员开通账号"))?;
    let access = c.access(Right::Accounts);
    let org = crate::org::store::writable(&s.db, &access, org_id).await?;
    if b.member_ids.as_ref().is_some_and(|m| m.len() > 10_000) {
        return Err(AppError::invalid("member_ids", "一次最多选择 10000 人"));
    }
    issue(
        &s.db,
        &s.keys,
        &Actor::of(c),
        &access.change,
        &org,
        b.member_ids.as_deref(),
    )
    .await
}

/// The codes as a workbook to hand out: one sheet of accounts, one of the
/// members left without one and why.
pub fn codes_workbook(r: &BulkResult, activate_url: &str) -> anyhow::Result<Vec<u8>> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("激活码")?;
    ws.write_row_with_format(
        0,
        0,
        [
            "姓名",
            "所属工会",
            "登录手机号",
            "激活码",
            "有效期至",
            "激活网址",
        ],
        &bold,
    )?;
    for (i, w) in [10, 28, 14, 12, 18, 40].iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    for (n, a) in r.created.iter().enumerate() {
        let row = n as u32 + 1;
        ws.write_string(row, 0, &a.name)?;
        ws.write_string(row, 1, &a.org_name)?;
        ws.write_string(row, 2, &a.username)?;
        ws.write_string(row, 3, &a.code)?;
        ws.write_string(row, 4, &r.expires)?;
        ws.write_string(row, 5, activate_url)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("未开通")?;
    ws.write_row_with_format(0, 0, ["姓名", "所属工会", "原因"], &bold)?;
    ws.set_column_width(1, 28)?;
    ws.set_column_width(2, 50)?;
    for (n, m) in r.skipped.iter().enumerate() {
        let row = n as u32 + 1;
        ws.write_string(row, 0, &m.name)?;
        ws.write_string(row, 1, &m.org_name)?;
        ws.write_string(row, 2, &m.reason)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// A worker's activation (`POST /api/v1/activation`): the phone, a new
/// password, and either the code or name + ID number.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct ActivationBody {
    #[serde(default)]
    #[schema(required = true, nullable = false, max_length = 32)]
    pub phone: String,
    /// At least 8 characters.
    #[serde(default)]
    #[schema(required = true, nullable = false, min_length = 8, max_length = 256)]
    pub password: String,
    /// The one-time code from the union (with or without its dash).
    #[serde(default)]
    #[schema(nullable = false, max_length = 32)]
    pub code: Option<String>,
    /// Without a code: the name and ID number as on the roster.
    #[serde(default)]
    #[schema(nullable = false, max_length = 100)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, max_length = 32)]
    pub id_number: Option<String>,
}

/// Said for every wrong combination, whichever field was wrong.
pub const NO_MATCH: &str =
    "信息不匹配：请核对手机号和激活码（或姓名、身份证号）后重试；多次失败需等待一段时间";

/// Activates the account the combination names; returns its id. Rate-limited
/// like the login (by phone and by address); a wrong combination says only
/// `NO_MATCH`.
pub async fn activate(s: &AppState, b: &ActivationBody, addr: &str) -> AppResult<i64> {
    password::validate_new(&b.password).map_err(|m| AppError::invalid("password", m))?;
    let key = format!("activate:{}", b.phone.trim());
    if let Some(wait) = s.limiter.check(&key, addr) {
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait,
        });
    }
    match matching_account(s, b).await? {
        Some(id) => {
            let hash = password::hash_async(b.password.clone()).await?;
            let mut tx = s.db.begin().await?;
            if !store::activate(&mut tx, id, &hash).await? {
                // Activated meanwhile by another request: as if it did not match.
                s.limiter.record_failure(&key, addr);
                return Err(AppError::invalid("activation", NO_MATCH));
            }
            let org_id = store::org_of(&mut tx, id).await?;
            let actor = Actor {
                account_id: Some(id),
                // The login is the phone: the log names it masked, as pages do.
                name: format!("会员 {}", crate::pii::phone::mask_phone(b.phone.trim())),
                org_id,
            };
            let mut ev = Event::new("account.activate", "account", id)
                .detail(json!({ "with": if b.code.is_some() { "code" } else { "id_number" } }));
            if let Some(org) = org_id {
                ev = ev.org(org);
            }
            audit::append(&mut tx, &actor, ev).await?;
            tx.commit().await?;
            s.limiter.record_success(&key, addr);
            Ok(id)
        }
        None => {
            s.limiter.record_failure(&key, addr);
            Err(AppError::invalid("activation", NO_MATCH))
        }
    }
}

/// The pending account the combination names, opening one for a member on
/// the roll who has none; None for any wrong combination.
async fn matching_account(s: &AppState, b: &ActivationBody) -> AppResult<Option<i64>> {
    let Ok(phone) = Phone::parse(&b.phone) else {
        return Ok(None);
    };
    let phone = phone.as_str().to_string();
    let login = crate::auth::store::login_of(&s.keys, &phone);
    let code = b
        .code
        .as_deref()
        .map(rules::normalise)
        .filter(|c| !c.is_empty());
    if let Some(code) = code {
        let Some(a) = store::account_by_username(&s.db, &login).await? else {
            return Ok(None);
        };
        let hash = s.keys.lookup_hash(CODE_HASH, &code);
        let fits = a.pending
            && !a.disabled
            && a.expires_at > now_ms()
            && a.code_hash
                .as_deref()
                .is_some_and(|h| crate::web::constant_time_eq(h.as_bytes(), hash.as_bytes()));
        return Ok(fits.then_some(a.id));
    }
    let (Some(name), Some(idn)) = (b.name.as_deref(), b.id_number.as_deref()) else {
        return Ok(None);
    };
    let Ok(idn) = IdNumber::parse(idn) else {
        return Ok(None);
    };
    let Some((member_id, org_id)) =
        store::member_matching(&s.db, &s.keys, name.trim(), idn.as_str(), &phone).await?
    else {
        return Ok(None);
    };
    match store::account_of_member(&s.db, member_id).await? {
        Some(a) if a.pending && !a.disabled => Ok(Some(a.id)),
        Some(_) => Err(AppError::conflict(
            None,
            "这个会员的账号已经开通：请用手机号和密码登录；忘记密码请联系所在工会重置",
        )),
        None => {
            if store::account_by_username(&s.db, &login).await?.is_some() {
                return Err(AppError::conflict(
                    None,
                    "这个手机号已被其他账号使用：请联系所在工会",
                ));
            }
            let mut tx = s.db.begin().await?;
            let id = store::create_pending(
                &mut tx,
                (&login, &crate::pii::phone::mask_phone(&phone)),
                member_id,
                org_id,
                None,
                0,
            )
            .await?;
            tx.commit().await?;
            Ok(Some(id))
        }
    }
}
