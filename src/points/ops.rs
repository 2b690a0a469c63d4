//! What can be done with points, for the API, the console and the phone
//! pages alike: the ledger (entries, balances, awards by rule), the catalogue
//! and its orders, earning rules, the leaderboard. Scope is decided in the
//! stores; the shared caller checks are in `auth::checks`.

use super::rules::{self, ItemFields};
use super::store::{self, Item, Order, Rule, RuleFields};
use crate::audit::Actor;
use crate::auth::{checks, Caller, Right, Scope};
use crate::db::Paging;
use crate::fields::Errors;
use crate::ledger::rules as ledger_rules;
use crate::ledger::store::{Entry, NewEntry, Standing};
use crate::member::store::Member;
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

/// "Expiring soon" on the balance: within 30 days.
pub const EXPIRING_SOON_MS: i64 = 30 * ledger_rules::DAY_MS;

/// A manual entry (`POST /api/v1/points/entries`, staff).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EntryInput {
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub member_id: Option<i64>,
    /// Points: positive earns, negative deducts; never 0, at most 100,000 either way.
    #[serde(default)]
    #[schema(required = true, nullable = false, schema_with = entry_amount)]
    pub amount: Option<i64>,
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 200,
        pattern = r"\S"
    )]
    pub reason: Option<String>,
    /// The same key never adds twice (safe retries).
    #[serde(default)]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub idempotency_key: Option<String>,
    /// Days the granted points stay valid (positive amounts only); omitted: no expiry.
    #[serde(default)]
    #[schema(nullable = false, minimum = 1, maximum = 3650)]
    pub valid_days: Option<i64>,
}

/// Points one entry gives or takes: not zero, within ±`MAX_ENTRY`.
fn entry_amount() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::web::api::nonzero_within(ledger_rules::MAX_ENTRY)
}

/// An entry and the balance after it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Posted {
    pub entry: Entry,
    pub id: i64,
    /// False when the idempotency key (or the rule's event) was seen before: nothing was added.
    pub added: bool,
    pub balance: i64,
    pub lifetime: i64,
}

async fn posted(s: &AppState, member_id: i64, entry: Entry, added: bool) -> AppResult<Posted> {
    let (balance, lifetime) = crate::ledger::store::balance(&s.db, member_id).await?;
    Ok(Posted {
        id: entry.id,
        entry,
        added,
        balance,
        lifetime,
    })
}

/// A member's points.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Balance {
    pub member_id: i64,
    /// Spendable now.
    pub balance: i64,
    /// Earned in all (refunds not counted).
    pub lifetime: i64,
    /// Of the balance, what expires within 30 days.
    pub expiring_30d: i64,
    /// When the first of those expire (epoch ms).
    pub next_expiry_at: Option<i64>,
}

pub async fn add_entry(s: &AppState, c: &Caller, b: &EntryInput) -> AppResult<Posted> {
    let m = checks::writable_member(s, c, b.member_id, Right::Roster).await?;
    let mut e = Errors::default();
    let amount = e.take(
        "amount",
        b.amount
            .ok_or_else(|| "请填写积分数 amount".to_string())
            .and_then(ledger_rules::parse_amount),
    );
    let reason = e.take(
        "reason",
        ledger_rules::parse_reason(b.reason.as_deref().unwrap_or("")),
    );
    let key = match b.idempotency_key.as_deref() {
        Some(k) => e.take("idempotency_key", ledger_rules::parse_key(k)),
        None => None,
    };
    let valid_days = match b.valid_days {
        Some(_) if b.amount.unwrap_or(0) < 0 => {
            e.add("valid_days", "扣减积分不设有效期");
            None
        }
        Some(d) => e.take("valid_days", ledger_rules::parse_valid_days(d)),
        None => None,
    };
    e.finish()?;
    let (reason, amount) = (reason.unwrap_or_default(), amount.unwrap_or(0));
    let entry = NewEntry {
        member_id: m.id,
        org_id: m.org_id,
        amount,
        reason: &reason,
        source: "manual",
        source_id: None,
        key: key.as_deref(),
        expires_at: ledger_rules::expiry(crate::db::now_ms(), valid_days),
    };
    let (entry, added) = crate::ledger::store::add_entry(&s.db, &Actor::of(c), entry).await?;
    posted(s, m.id, entry, added).await
}

pub async fn balance(s: &AppState, c: &Caller, member_id: Option<i64>) -> AppResult<Balance> {
    let m = checks::member_in_view(s, c, member_id).await?;
    let (balance, lifetime) = crate::ledger::store::balance(&s.db, m.id).await?;
    let (expiring, next_expiry) =
        crate::ledger::store::expiring(&s.db, m.id, crate::db::now_ms(), EXPIRING_SOON_MS).await?;
    Ok(Balance {
        member_id: m.id,
        balance,
        lifetime,
        expiring_30d: expiring,
        next_expiry_at: next_expiry,
    })
}

pub async fn entries(
    s: &AppState,
    c: &Caller,
    member_id: Option<i64>,
    paging: Paging,
) -> AppResult<(Vec<Entry>, i64)> {
    let m = checks::member_in_view(s, c, member_id).await?;
    crate::ledger::store::entries(&s.db, m.id, paging).await
}

/// A catalogue item's fields (`POST`, and what a `PATCH` gives).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ItemInput {
    /// The union whose catalogue it is in (cannot change later).
    #[serde(default)]
    #[schema(nullable = false)]
    pub org_id: Option<i64>,
    #[serde(default)]
    #[schema(nullable = false, min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(nullable = false, max_length = 500)]
    pub description: Option<String>,
    /// Points it costs.
    #[serde(default)]
    #[schema(nullable = false, minimum = 1, maximum = 1000000)]
    pub price: Option<i64>,
    #[serde(default)]
    #[schema(nullable = false, minimum = 0, maximum = 1000000)]
    pub stock: Option<i64>,
    /// Live orders a member may hold (0: no limit).
    #[serde(default)]
    #[schema(nullable = false, minimum = 0, maximum = 10000)]
    pub per_member_limit: Option<i64>,
    #[serde(default)]
    #[schema(nullable = false)]
    pub active: Option<bool>,
    /// The last day it can be redeemed (YYYY-MM-DD, today or later); "" removes the end.
    #[serde(default)]
    #[schema(
        nullable = false,
        pattern = r"^(20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"
    )]
    pub valid_until: Option<String>,
}

/// A new catalogue item (`POST`): [`ItemInput`] with the fields a new item
/// must have marked required in the document (the union, name, price, stock),
/// so one type is read and one rule (`rules::check_item`) decides.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct NewItem(pub ItemInput);

impl utoipa::PartialSchema for NewItem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{schema::Schema, RefOr};
        let mut schema = <ItemInput as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.required = ["org_id", "name", "price", "stock"]
                .map(String::from)
                .to_vec();
        }
        schema
    }
}

impl utoipa::ToSchema for NewItem {}

impl ItemInput {
    fn fields(&self, now: i64) -> AppResult<ItemFields> {
        let valid_until = self
            .valid_until
            .as_deref()
            .map(|v| rules::parse_valid_until(v, now))
            .transpose()
            .map_err(|m| AppError::invalid("valid_until", m))?;
        Ok(ItemFields {
            name: self.name.clone(),
            description: self.description.clone(),
            price: self.price,
            stock: self.stock,
            per_member_limit: self.per_member_limit,
            active: self.active,
            valid_until,
        })
    }
}

/// What of the catalogue the caller sees: staff their subtrees; a member what
/// its union and the unions above offer.
async fn catalog_scope(s: &AppState, c: &Caller) -> AppResult<Scope> {
    let read = c.scope(Right::Read);
    let own = match c.member_id {
        Some(_) => checks::own_member(s, c).await.ok().map(|m| m.org_path),
        None => None,
    };
    Ok(Scope::new(read.paths, None).with_offered_to(own.as_deref()))
}

pub async fn create_item(s: &AppState, c: &Caller, b: &ItemInput) -> AppResult<Item> {
    let org_id = b
        .org_id
        .ok_or_else(|| AppError::invalid("org_id", "请指定物品所属工会 org_id"))?;
    let access = c.access(Right::Roster);
    crate::org::store::writable(&s.db, &access, org_id).await?;
    let f = b.fields(crate::db::now_ms())?;
    rules::check_item(&f, true)?;
    let id = store::create_item(&s.db, &Actor::of(c), &access, org_id, &f).await?;
    store::item(&s.db, &access.see, id).await
}

pub async fn item(s: &AppState, c: &Caller, id: i64) -> AppResult<Item> {
    store::item(&s.db, &catalog_scope(s, c).await?, id).await
}

pub async fn update_item(s: &AppState, c: &Caller, id: i64, b: &ItemInput) -> AppResult<Item> {
    let mut access = c.access(Right::Roster);
    access.see = catalog_scope(s, c).await?;
    // Who may see it but not change it (a viewer, a member) is refused (403).
    let item = store::writable_item(&s.db, &access, id).await?;
    if b.org_id.is_some_and(|o| o != item.org_id) {
        return Err(AppError::invalid(
            "org_id",
            "兑换物品所属工会不能修改：请在新的工会重新上架该物品",
        ));
    }
    let f = b.fields(crate::db::now_ms())?;
    rules::check_item(&f, false)?;
    store::update_item(&s.db, &Actor::of(c), &access, id, &f).await?;
    store::item(&s.db, &access.see, id).await
}

/// The catalogue: staff see their subtree's (or one union's); a member what is on offer to them.
pub async fn items(s: &AppState, c: &Caller, org_id: Option<i64>) -> AppResult<Vec<Item>> {
    let scope = if c.can(Right::Read) {
        checks::list_scope(s, c, org_id).await?
    } else {
        let m = checks::own_member(s, c).await?;
        Scope::offered_to(&m.org_path)
    };
    store::items(&s.db, &scope).await
}

/// Redeems an item as the caller's member record (a member, or staff who are members).
pub async fn redeem(s: &AppState, c: &Caller, id: i64) -> AppResult<Order> {
    let Ok(member) = checks::own_member(s, c).await else {
        // Staff without a member record see the item (else 404) but may not redeem.
        item(s, c, id).await?;
        return Err(AppError::Forbidden("只有会员账号可以兑换".into()));
    };
    let offered = Scope::offered_to(&member.org_path);
    let item = match store::item(&s.db, &offered, id).await {
        Ok(i) => i,
        Err(AppError::NotFound(_)) => {
            // Seen by staff but not offered to their own union.
            store::item(&s.db, &c.scope(Right::Read), id).await?;
            return Err(AppError::Forbidden("此物品不面向您所在的工会".into()));
        }
        Err(e) => return Err(e),
    };
    store::redeem(&s.db, &Actor::of(c), member.id, member.org_id, &item).await
}

/// Orders the caller sees: staff their subtree's, a member its own.
pub async fn orders(s: &AppState, c: &Caller) -> AppResult<Vec<Order>> {
    let scope = if c.can(Right::Read) {
        c.scope(Right::Read)
    } else {
        Scope::member(checks::own_member(s, c).await?.id)
    };
    store::orders(&s.db, &scope).await
}

/// What the caller may see of orders, and act on: staff with the roster right
/// over an order's union; its member (cancelling only).
fn order_access(c: &Caller) -> crate::auth::Access {
    let mut access = c.access(Right::Roster);
    access.see = Scope::new(access.see.paths, c.member_id);
    access
}

pub async fn cancel(s: &AppState, c: &Caller, id: i64) -> AppResult<Order> {
    let o = store::actionable_order(&s.db, &order_access(c), id, true).await?;
    store::cancel(&s.db, &Actor::of(c), &o).await
}

pub async fn fulfil(s: &AppState, c: &Caller, id: i64) -> AppResult<Order> {
    let o = store::actionable_order(&s.db, &order_access(c), id, false).await?;
    store::fulfil(&s.db, &Actor::of(c), &o).await
}

/// A union's earning rule (`POST /api/v1/points/rules`): created, or changed by its code.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RuleInput {
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub org_id: Option<i64>,
    /// 1–32 of a–z, 0–9, `_ . -` (e.g. `course_completed`). Omitted: the
    /// code of the rule in force with this `label`, else a new `custom-N`.
    #[serde(default)]
    #[schema(nullable = false, pattern = r"^[a-z0-9_.-]{1,32}$")]
    pub code: Option<String>,
    /// What staff call it. May be omitted for an event a program pays by
    /// (`course_completed`: 完成课程).
    #[serde(default)]
    #[schema(nullable = false, min_length = 1, max_length = 50, pattern = r"\S")]
    pub label: Option<String>,
    #[serde(default)]
    #[schema(required = true, nullable = false, minimum = 1, maximum = 10000)]
    pub points: Option<i64>,
    #[serde(default)]
    #[schema(nullable = false)]
    pub active: Option<bool>,
    /// Days each payment's points stay valid; omitted: they do not expire.
    #[serde(default)]
    #[schema(nullable = false, minimum = 1, maximum = 3650)]
    pub valid_days: Option<i64>,
}

pub async fn set_rule(s: &AppState, c: &Caller, b: &RuleInput) -> AppResult<Rule> {
    let org_id = b
        .org_id
        .ok_or_else(|| AppError::invalid("org_id", "请指定规则所属工会 org_id"))?;
    let access = c.access(Right::Roster);
    let org = crate::org::store::writable(&s.db, &access, org_id).await?;
    let in_force = store::rules_for(&s.db, &org.path).await?;
    let events = &crate::program::registry().point_events;
    let typed_code = b.code.as_deref().map(str::trim).unwrap_or("");
    let mut label = b.label.as_deref().unwrap_or("").trim().to_string();
    if label.is_empty() {
        // A rule in force, or an event of a program, is named already.
        if let Some(r) = in_force.iter().find(|r| r.code == typed_code) {
            label = r.label.clone();
        } else if let Some((_, name)) = events.iter().find(|(c, _)| *c == typed_code) {
            label = name.to_string();
        }
    }
    let code = match typed_code {
        "" => {
            let named: Vec<(&str, &str)> = in_force
                .iter()
                .map(|r| (r.code.as_str(), r.label.as_str()))
                .chain(events.iter().copied())
                .collect();
            let taken = store::custom_codes(&s.db).await?;
            let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
            rules::code_for_label(&label, &named, &taken)
        }
        c => c.to_string(),
    };
    let (code, label, points) = rules::parse_rule(&code, &label, b.points.unwrap_or(0))?;
    let valid_days = b
        .valid_days
        .map(ledger_rules::parse_valid_days)
        .transpose()
        .map_err(|m| AppError::invalid("valid_days", m))?;
    let f = RuleFields {
        code,
        label,
        points,
        active: b.active.unwrap_or(true),
        valid_days,
    };
    store::set_rule(&s.db, &Actor::of(c), &access, org_id, &f).await
}

/// The rules in force for a member (or for the members of an organisation).
pub async fn rules_in_force(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    member_id: Option<i64>,
) -> AppResult<Vec<Rule>> {
    let path = match (org_id, member_id) {
        (Some(org), _) => {
            crate::org::store::get(&s.db, &c.scope(Right::Read), org)
                .await?
                .path
        }
        (None, m) => checks::member_in_view(s, c, m).await?.org_path,
    };
    store::rules_for(&s.db, &path).await
}

/// Pays a rule once per event (`POST /api/v1/points/awards`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AwardInput {
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub member_id: Option<i64>,
    /// The rule's code.
    #[serde(default)]
    #[schema(required = true, nullable = false, pattern = r"^[A-Za-z0-9_.-]{1,32}$")]
    pub rule: Option<String>,
    /// What happened, once per member (e.g. `course:42`).
    #[serde(default)]
    #[schema(
        required = true,
        nullable = false,
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub event: Option<String>,
}

pub async fn award(s: &AppState, c: &Caller, b: &AwardInput) -> AppResult<Posted> {
    let m = checks::writable_member(s, c, b.member_id, Right::Roster).await?;
    let mut e = Errors::default();
    let rule = e.take(
        "rule",
        b.rule
            .clone()
            .map(|r| r.trim().to_lowercase())
            .filter(|r| !r.is_empty())
            .ok_or_else(|| "请指定规则代码 rule".to_string()),
    );
    let event = e.take(
        "event",
        b.event
            .as_deref()
            .map(|v| {
                ledger_rules::key_text(v)
                    .ok_or_else(|| "事件 event 应为 1–128 个字符，不含控制字符".to_string())
            })
            .unwrap_or_else(|| Err("请指定事件 event（如 course:42）".into())),
    );
    e.finish()?;
    let (entry, added) = store::award(
        &s.db,
        &Actor::of(c),
        m.id,
        m.org_id,
        &m.org_path,
        &rule.unwrap_or_default(),
        &event.unwrap_or_default(),
    )
    .await?;
    posted(s, m.id, entry, added).await
}

/// Points earned in a period in a subtree, most first.
pub async fn leaderboard(
    s: &AppState,
    c: &Caller,
    org_id: Option<i64>,
    from: Option<&str>,
    to: Option<&str>,
    limit: Option<i64>,
) -> AppResult<(i64, i64, i64, Vec<Standing>)> {
    let org = checks::viewed_org(s, c, org_id).await?;
    let day = |field: &str, v: Option<&str>, next: bool, default: i64| -> AppResult<i64> {
        match v.map(str::trim).filter(|v| !v.is_empty()) {
            Some(d) => crate::db::date_start_ms(d, next).map_err(|m| AppError::invalid(field, m)),
            None => Ok(default),
        }
    };
    let year_start = crate::db::date_start_ms(
        &format!("{}-01-01", &crate::db::format_ms(crate::db::now_ms())[..4]),
        false,
    )
    .unwrap_or(0);
    let from = day("from", from, false, year_start)?;
    let to = day("to", to, true, crate::db::now_ms() + 1)?;
    let items = crate::ledger::store::leaderboard(
        &s.db,
        &org.path,
        from,
        to,
        limit.unwrap_or(50).clamp(1, 500),
    )
    .await?;
    Ok((org.id, from, to, items))
}

/// The member record of a member account, for the phone pages.
pub async fn own_member(s: &AppState, c: &Caller) -> AppResult<Member> {
    checks::own_member(s, c).await
}
