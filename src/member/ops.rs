//! What can be done with the roster, for the API and the console alike.

use super::rules::{self, RawMember};
use super::store::{self, Member, Transfer};
use crate::audit::Actor;
use crate::auth::{Caller, Right};
use crate::db::Paging;
use crate::state::AppState;
use crate::web::api::Page;
use crate::web::error::{AppError, AppResult};
use serde::{Deserialize, Deserializer, Serialize};

/// Which members a list shows.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this union's subtree.
    pub org_id: Option<i64>,
    /// A name, pinyin, initials, a card number, the last four digits of a phone,
    /// or a whole phone or ID number (those are limited per account and audited).
    pub q: Option<String>,
    /// 初级工, 中级工, 高级工, 技师 or 高级技师 (五级 … 一级 are read too).
    pub skill_level: Option<String>,
    #[param(value_type = Option<MemberStatus>)]
    pub status: Option<String>,
    pub enterprise_id: Option<i64>,
    /// That level or above: 高级工 lists 高技能人才 (高级工, 技师, 高级技师); 初级工 everyone with a level.
    pub min_skill_level: Option<String>,
    /// 农民工 (true) or not (false).
    pub is_migrant_worker: Option<bool>,
    /// 困难职工 (true) or not (false).
    pub is_hardship: Option<bool>,
    /// Joined on or after this date (YYYY-MM-DD).
    pub joined_from: Option<String>,
    /// Joined on or before this date (YYYY-MM-DD).
    pub joined_to: Option<String>,
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

fn double_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// Membership status.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub enum MemberStatus {
    #[schema(rename = "在册")]
    OnRoll,
    #[schema(rename = "转出")]
    TransferredOut,
    #[schema(rename = "退会")]
    Left,
}

/// The five national skill levels, or "" for none.
pub struct SkillLevel;

impl utoipa::PartialSchema for SkillLevel {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::web::api::texts_schema(
            "The five national skill levels, or \"\" for none.",
            &rules::SKILL_LEVELS,
            true,
        )
    }
}

impl utoipa::ToSchema for SkillLevel {}

/// Political status, or "" for not recorded.
pub struct PoliticalStatus;

impl utoipa::PartialSchema for PoliticalStatus {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::web::api::texts_schema(
            "Political status, or \"\" for not recorded.",
            &rules::POLITICAL,
            true,
        )
    }
}

impl utoipa::ToSchema for PoliticalStatus {}

/// The fields of a member besides its name, ID number and union.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct MemberDetails {
    /// A mobile (11 digits) or a landline with its area code; "" clears it.
    #[serde(default)]
    #[schema(
        nullable = false,
        pattern = r"^(1[3-9][0-9]{9}|0[0-9]{9,11})?$",
        example = "13957712345"
    )]
    pub phone: Option<String>,
    /// The employer, an enterprise the caller sees; null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub enterprise_id: Option<Option<i64>>,
    #[serde(default)]
    #[schema(nullable = false, max_length = 20)]
    pub ethnicity: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, max_length = 20)]
    pub education: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, value_type = Option<PoliticalStatus>)]
    pub political_status: Option<String>,
    /// 工种.
    #[serde(default)]
    #[schema(nullable = false, max_length = 50)]
    pub occupation: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, value_type = Option<SkillLevel>)]
    pub skill_level: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, pattern = r"^[A-Za-z0-9-]{0,32}$")]
    pub card_no: Option<String>,
    /// YYYY-MM-DD (1900–2100), or "".
    #[serde(default)]
    #[schema(
        nullable = false,
        pattern = r"^((19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"
    )]
    pub join_date: Option<String>,
    #[serde(default)]
    #[schema(nullable = false)]
    pub is_migrant_worker: Option<bool>,
    #[serde(default)]
    #[schema(nullable = false)]
    pub is_hardship: Option<bool>,
    #[serde(default)]
    #[schema(nullable = false, value_type = Option<MemberStatus>)]
    pub status: Option<String>,
}

/// A new member (`POST /api/v1/members`).
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewMember {
    /// 1–30 characters, no digits or symbols (spaces are dropped).
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        max_length = 30,
        pattern = r"^[^0-9@#$%^&*<>\s]+$"
    )]
    pub name: Option<String>,
    /// 18 characters (GB 11643), with a valid birth date and check character.
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        format = "gb11643",
        pattern = r"^[0-9]{17}[0-9X]$",
        example = "11010519491231002X"
    )]
    pub id_number: Option<String>,
    /// The union (roster right there).
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub org_id: Option<i64>,
    #[serde(flatten)]
    pub details: MemberDetails,
}

/// Changes to a member (`PATCH`): what is left out stays. A move to another
/// union is a transfer.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct MemberPatch {
    #[serde(default)]
    #[schema(nullable = false, max_length = 30, pattern = r"^[^0-9@#$%^&*<>\s]+$")]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(
        nullable = false,
        format = "gb11643",
        pattern = r"^[0-9]{17}[0-9X]$",
        example = "11010519491231002X"
    )]
    pub id_number: Option<String>,
    /// Refused: use `POST /api/v1/members/{id}/transfer`.
    #[serde(default)]
    #[schema(ignore)]
    pub org_id: Option<i64>,
    #[serde(flatten)]
    pub details: MemberDetails,
}

impl MemberDetails {
    pub fn raw(&self, name: Option<String>, id_number: Option<String>) -> RawMember {
        RawMember {
            name,
            id_number,
            phone: self.phone.clone(),
            ethnicity: self.ethnicity.clone(),
            education: self.education.clone(),
            political_status: self.political_status.clone(),
            occupation: self.occupation.clone(),
            skill_level: self.skill_level.clone(),
            card_no: self.card_no.clone(),
            join_date: self.join_date.clone(),
            is_migrant_worker: self.is_migrant_worker,
            is_hardship: self.is_hardship,
            status: self.status.clone(),
        }
    }
}

/// A transfer to another union (`POST /api/v1/members/{id}/transfer`).
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct TransferInput {
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub to_org_id: Option<i64>,
    #[serde(default)]
    #[schema(nullable = false)]
    pub enterprise_id: Option<i64>,
    #[serde(default)]
    #[schema(nullable = false, max_length = 200)]
    pub reason: Option<String>,
}

/// Why the whole numbers are looked at (for the audit log).
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct RevealInput {
    #[serde(default)]
    #[schema(nullable = false, max_length = 200)]
    pub purpose: Option<String>,
}

/// A member's whole ID number and phone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    pub id: i64,
    pub id_number: String,
    pub phone: Option<String>,
}

pub async fn list(s: &AppState, c: &Caller, q: &ListQuery) -> AppResult<Page<Member>> {
    let paging = Paging::new(q.page, q.per_page);
    let mut scope = crate::auth::checks::list_scope(s, c, q.org_id).await?;
    if q.org_id.is_none() {
        scope.own_member = c.scope(Right::Read).own_member;
    }
    let level = match q.skill_level.as_deref() {
        Some(l) => {
            Some(rules::parse_skill_level(l).map_err(|m| AppError::invalid("skill_level", m))?)
        }
        None => None,
    };
    let filter = store::Filter {
        q: q.q.clone(),
        id_tails: c.id_tail_scope(),
        skill_level: level,
        status: match q.status.as_deref().map(rules::parse_status).transpose() {
            Ok(status) => status.filter(|s| !s.is_empty()),
            Err(m) => return Err(AppError::invalid("status", m)),
        },
        enterprise_id: q.enterprise_id,
        min_skill_level: level_named("min_skill_level", q.min_skill_level.as_deref())?,
        migrant: q.is_migrant_worker,
        hardship: q.is_hardship,
        joined_from: date_named("joined_from", q.joined_from.as_deref())?,
        joined_to: date_named("joined_to", q.joined_to.as_deref())?,
    };
    let l = store::list(&s.db, &s.keys, &Actor::of(c), &scope, &filter, paging).await?;
    let mut page = Page::of(l.items, l.total, paging);
    page.total_is_exact = Some(l.total_is_exact);
    Ok(page)
}

/// A skill level a list is filtered by, read as rosters write it; empty is no filter.
pub fn level_named(field: &str, v: Option<&str>) -> AppResult<Option<String>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        Some(l) => rules::parse_skill_level(l)
            .map(|l| Some(l).filter(|l| !l.is_empty()))
            .map_err(|m| AppError::invalid(field, m)),
        None => Ok(None),
    }
}

/// A date a list is filtered by (`YYYY-MM-DD` and the ways rosters write it); empty is no filter.
pub fn date_named(field: &str, v: Option<&str>) -> AppResult<Option<String>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        Some(d) => crate::pii::parse_date(d)
            .map(Some)
            .map_err(|m| AppError::invalid(field, m)),
        None => Ok(None),
    }
}

/// A yes/no a list is filtered by; empty is no filter.
pub fn flag_named(field: &str, v: Option<&str>) -> AppResult<Option<bool>> {
    rules::parse_flag(v.unwrap_or_default()).map_err(|m| AppError::invalid(field, m))
}

pub async fn get(s: &AppState, c: &Caller, id: i64) -> AppResult<Member> {
    store::get(&s.db, &s.keys, &c.scope(Right::Read), id).await
}

/// Registers a member at `org_id` (roster right there).
pub async fn create(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    enterprise_id: Option<i64>,
    raw: &RawMember,
) -> AppResult<Member> {
    let org_id = org_id.ok_or_else(|| AppError::invalid("org_id", "请指定所属工会组织 org_id"))?;
    let access = c.access(Right::Roster);
    // Out of reach is answered before the fields are looked at.
    store::check_placement(&s.db, &access, org_id, enterprise_id).await?;
    let fields = rules::parse(raw, true)?;
    let id = store::create(
        &s.db,
        &s.keys,
        &Actor::of(c),
        &access,
        &fields,
        org_id,
        enterprise_id,
    )
    .await?;
    store::get(&s.db, &s.keys, &access.see, id).await
}

/// Changes a member's fields (roster right at the member's union).
pub async fn update(
    s: &AppState,
    c: &Caller,
    id: i64,
    enterprise_id: Option<Option<i64>>,
    raw: &RawMember,
) -> AppResult<Member> {
    let access = c.access(Right::Roster);
    store::writable(&s.db, &s.keys, &access, id).await?;
    let fields = rules::parse(raw, false)?;
    store::update(
        &s.db,
        &s.keys,
        &Actor::of(c),
        &access,
        id,
        &fields,
        enterprise_id,
    )
    .await?;
    store::get(&s.db, &s.keys, &access.see, id).await
}

/// 会员转会 (roster right at both unions).
pub async fn transfer(s: &AppState, c: &Caller, id: i64, t: &TransferInput) -> AppResult<Member> {
    let access = c.access(Right::Roster);
    store::writable(&s.db, &s.keys, &access, id).await?;
    let to = t
        .to_org_id
        .ok_or_else(|| AppError::invalid("to_org_id", "请选择转入的工会组织"))?;
    store::transfer(
        &s.db,
        &s.keys,
        &Actor::of(c),
        &access,
        id,
        &store::TransferTo {
            org_id: to,
            enterprise_id: t.enterprise_id,
            reason: t.reason.as_deref().unwrap_or(""),
        },
    )
    .await?;
    store::get(&s.db, &s.keys, &c.scope(Right::Read), id).await
}

pub async fn transfers(s: &AppState, c: &Caller, id: i64) -> AppResult<Vec<Transfer>> {
    store::transfers(&s.db, &s.keys, &c.scope(Right::Read), id).await
}

/// The whole numbers, audited (the reveal right at the member's union).
pub async fn reveal(
    s: &AppState,
    c: &Caller,
    id: i64,
    purpose: &str,
) -> AppResult<(Member, Revealed)> {
    let (m, id_number, phone) = store::reveal(
        &s.db,
        &s.keys,
        &Actor::of(c),
        &c.access(Right::Reveal),
        id,
        purpose.trim(),
    )
    .await?;
    Ok((
        m,
        Revealed {
            id,
            id_number,
            phone,
        },
    ))
}

/// Transfers into or out of a union's subtree in a period (the dashboard's 转入 / 转出).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TransfersQuery {
    /// The union whose subtree's edge is crossed (default: the caller's own).
    pub org_id: Option<i64>,
    /// `in` (转入: from outside the subtree) or `out` (转出: to outside it).
    #[param(value_type = TransferDirection, inline)]
    pub direction: Option<String>,
    /// From this day on (YYYY-MM-DD, Beijing time).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Up to and including this day.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    #[param(minimum = 1)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// Which way a transfer crosses the subtree's edge (the document's words for `direction`).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum TransferDirection {
    In,
    Out,
}

pub async fn transfers_crossing(
    s: &AppState,
    c: &Caller,
    q: &TransfersQuery,
) -> AppResult<(
    crate::org::store::Org,
    store::Crossing,
    Page<store::Crossed>,
)> {
    if !c.can(Right::Read) {
        return Err(AppError::Forbidden("仅工作人员可以查看转会记录".into()));
    }
    // Out of sight reads like missing before anything else is looked at.
    let org = crate::auth::checks::viewed_org(s, c, q.org_id).await?;
    let way = match q.direction.as_deref().map(str::trim) {
        Some("in") | Some("转入") => store::Crossing::In,
        Some("out") | Some("转出") => store::Crossing::Out,
        _ => {
            return Err(AppError::invalid(
                "direction",
                "请指定 in（转入）或 out（转出）",
            ))
        }
    };
    let day = |field: &str, v: &Option<String>, default: i64| -> AppResult<i64> {
        match date_named(field, v.as_deref())? {
            Some(d) => {
                crate::db::day_start_ms(&d).ok_or_else(|| AppError::invalid(field, "日期无效"))
            }
            None => Ok(default),
        }
    };
    let from = day("from", &q.from, 0)?;
    let to = day("to", &q.to, i64::MAX - 86_400_000)? + 86_400_000;
    let scope = c.scope(Right::Read).narrowed_to(&org.path);
    let paging = Paging::new(q.page, q.per_page);
    let (items, total) = store::transfers_crossing(&s.db, &scope, way, (from, to), paging).await?;
    Ok((org, way, Page::of(items, total, paging)))
}
