//! SQL for the roster. ID numbers and phones are written encrypted with a
//! keyed hash beside them, and read back only as masks.

use super::rules::{MemberFields, SearchKey};
use crate::audit::{self, Actor, Event};
use crate::auth::{Access, Scope};
use crate::db::sql::{Arg, Sql};
use crate::db::Paging;
use crate::db::{now_ms, Db};
use crate::pii::{IdNumber, Keyring};
use crate::web::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    #[sqlx(skip)]
    pub id_number_masked: String,
    #[sqlx(skip)]
    pub phone_masked: Option<String>,
    pub org_id: i64,
    pub org_name: String,
    pub enterprise_id: Option<i64>,
    pub enterprise_name: Option<String>,
    pub ethnicity: String,
    pub education: String,
    pub political_status: String,
    pub occupation: String,
    pub skill_level: String,
    pub card_no: String,
    pub join_date: String,
    #[sqlx(try_from = "crate::db::IntFlag")]
    pub is_migrant_worker: bool,
    #[sqlx(try_from = "crate::db::IntFlag")]
    pub is_hardship: bool,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub org_path: String,
}

const COLS: &str = "m.id, m.name, m.gender, m.birth_date, m.id_number_enc, m.phone_enc, m.org_id, \
    o.name AS org_name, m.enterprise_id, e.name AS enterprise_name, m.ethnicity, m.education, \
    m.political_status, m.occupation, m.skill_level, m.card_no, m.join_date, m.is_migrant_worker, \
    m.is_hardship, m.status, m.created_at, m.updated_at, o.path AS org_path";
const FROM: &str = "FROM members m JOIN orgs o ON o.id = m.org_id LEFT JOIN enterprises e ON e.id = m.enterprise_id";

/// A member as read, its ID number and phone decrypted only to be masked.
fn from_row(r: &AnyRow, keys: &Keyring) -> Result<Member, sqlx::Error> {
    let id_enc: Vec<u8> = r.try_get("id_number_enc")?;
    let phone_enc: Option<Vec<u8>> = r.try_get("phone_enc")?;
    let unreadable = || "（无法解密）".to_string();
    Ok(Member {
        id_number_masked: keys
            .decrypt(&id_enc)
            .map(|s| crate::pii::idnumber::mask_id_number(&s))
            .unwrap_or_else(|_| unreadable()),
        phone_masked: phone_enc.map(|p| {
            keys.decrypt(&p)
                .map(|s| crate::pii::phone::mask_phone(&s))
                .unwrap_or_else(|_| unreadable())
        }),
        ..Member::from_row(r)?
    })
}

pub const ID_HASH: &str = "id_number";

/// Keyed hashes of an ID number's last 4 and last 6 digits (16 hex digits
/// each: an index key, not a secret of its own), for 身份证后4位 / 后6位 search.
pub fn id_tails(keys: &Keyring, id_number: &str) -> (String, String) {
    let tail = |n: usize| {
        let digits = id_number[id_number.len().saturating_sub(n)..].to_ascii_uppercase();
        keys.lookup_hash(&format!("id_tail{n}"), &digits)[..16].to_string()
    };
    (tail(4), tail(6))
}
pub const PHONE_HASH: &str = "phone";

pub async fn get(db: &Db, keys: &Keyring, scope: &Scope, id: i64) -> AppResult<Member> {
    let mut sql = Sql::new("");
    let p = sql.int(id);
    let pred = scope.member_predicate(&mut sql, "o.path", "m.id");
    sql.push(&format!("SELECT {COLS} {FROM} WHERE m.id = {p} AND {pred}"));
    match sql.query().fetch_optional(&db.pool).await? {
        Some(r) => Ok(from_row(&r, keys)?),
        None => Err(AppError::not_found("会员")),
    }
}

/// The member staff mean by what they typed in a form (a member number, or a
/// name as on the roster), among the members `scope` covers. `field` names
/// the form field for the error (422) that says what was not found or which
/// people share the name.
pub async fn resolve(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    scope: &Scope,
    input: &str,
    field: &str,
) -> AppResult<Member> {
    use super::rules::{member_ref, pick_by_name, MemberRef};
    match member_ref(input) {
        None => Err(AppError::invalid(field, "请填写会员姓名或会员编号")),
        Some(MemberRef::Number(id)) => get(db, keys, scope, id).await.map_err(|_| {
            AppError::invalid(
                field,
                format!("没有编号为 {id} 的会员（或不在您的管辖范围内）"),
            )
        }),
        Some(MemberRef::Picked(name, id)) => match get(db, keys, scope, id).await {
            Ok(m) if m.name == name => Ok(m),
            _ => Err(AppError::invalid(
                field,
                format!("没有找到会员“{name}”，请重新输入姓名并从列表中选择"),
            )),
        },
        Some(MemberRef::Name(name)) => {
            let f = Filter {
                q: Some(name.clone()),
                ..Default::default()
            };
            let found = list(
                db,
                keys,
                actor,
                scope,
                &f,
                crate::db::Paging::new(Some(1), Some(8)),
            )
            .await?;
            // A card number or an ID tail names one person by itself; a name
            // must be the whole name (张 alone is nobody in particular).
            let by_key = !super::rules::search_keys_for(&name).iter().any(|k| {
                matches!(
                    k,
                    SearchKey::NameExact(_)
                        | SearchKey::NamePrefix(_)
                        | SearchKey::NameFrom2(_)
                        | SearchKey::NameFrom3(_)
                        | SearchKey::PinyinExact(_)
                        | SearchKey::PinyinPrefix(_)
                        | SearchKey::InitialsExact(_)
                        | SearchKey::InitialsPrefix(_)
                )
            });
            if by_key && found.items.len() == 1 {
                return Ok(found.items[0].clone());
            }
            pick_by_name(
                &name,
                &found.items,
                |m| m.name.as_str(),
                |m| format!("{}（{}，编号 {}）", m.name, m.org_name, m.id),
            )
            .cloned()
            .map_err(|message| AppError::invalid(field, message))
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub q: Option<String>,
    /// Where `q` may match the last 4 or 6 of an ID number (see
    /// `Caller::id_tail_scope`); `None`: it does not.
    pub id_tails: Option<Scope>,
    pub skill_level: Option<String>,
    /// That level or above (高级工: 高级工, 技师, 高级技师).
    pub min_skill_level: Option<String>,
    pub status: Option<String>,
    pub enterprise_id: Option<i64>,
    pub migrant: Option<bool>,
    pub hardship: Option<bool>,
    /// Joined on or after, on or before (`YYYY-MM-DD`).
    pub joined_from: Option<String>,
    pub joined_to: Option<String>,
}

/// A page of members and how many there are in all.
#[derive(Debug, Clone)]
pub struct Listing {
    pub items: Vec<Member>,
    pub total: i64,
    /// False when a search stopped counting (see `SEARCH_COUNT_CAP`): "1000 or more".
    pub total_is_exact: bool,
}

/// A search counts at most this many matches of each kind: past that, people
/// refine the search rather than page through it.
pub const SEARCH_COUNT_CAP: i64 = 1000;

/// The filters besides `q` (skill level, status, employer), as `AND …` terms
/// (the list and its export filter alike).
pub fn extra_filters(sql: &mut Sql, f: &Filter) -> String {
    let mut out = String::new();
    if let Some(level) = f.skill_level.as_deref().filter(|s| !s.is_empty()) {
        out.push_str(&format!(
            " AND m.skill_level = {}",
            sql.text(level.to_string())
        ));
    }
    if let Some(status) = f.status.as_deref().filter(|s| !s.is_empty()) {
        out.push_str(&format!(" AND m.status = {}", sql.text(status.to_string())));
    }
    if let Some(eid) = f.enterprise_id {
        out.push_str(&format!(" AND m.enterprise_id = {}", sql.int(eid)));
    }
    if let Some(level) = f.min_skill_level.as_deref().filter(|s| !s.is_empty()) {
        let levels: Vec<String> = super::rules::levels_from(level)
            .iter()
            .map(|l| sql.text(*l))
            .collect();
        out.push_str(&match levels.is_empty() {
            true => " AND 1 = 0".to_string(),
            false => format!(" AND m.skill_level IN ({})", levels.join(", ")),
        });
    }
    for (col, flag) in [
        ("m.is_migrant_worker", f.migrant),
        ("m.is_hardship", f.hardship),
    ] {
        match flag {
            Some(true) => out.push_str(&format!(" AND {col} <> 0")),
            Some(false) => out.push_str(&format!(" AND {col} = 0")),
            None => {}
        }
    }
    if let Some(from) = f.joined_from.as_deref().filter(|s| !s.is_empty()) {
        out.push_str(&format!(
            " AND m.join_date >= {}",
            sql.text(from.to_string())
        ));
    }
    if let Some(to) = f.joined_to.as_deref().filter(|s| !s.is_empty()) {
        // A date with no join date is '', which sorts first: say so.
        out.push_str(&format!(
            " AND m.join_date <> '' AND m.join_date <= {}",
            sql.text(to.to_string())
        ));
    }
    out
}

/// A subtree's member figures for the dashboard: the counts the database
/// keeps per organisation (migration 0014, members on the roll), and joins in
/// two periods.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub on_roll: i64,
    /// By level, lowest first (`rules::SKILL_LEVELS`).
    pub levels: [i64; 5],
    pub migrant: i64,
    pub hardship: i64,
    pub joined_month: i64,
    pub joined_year: i64,
    /// Transfers across the subtree's edge (within it they are neither).
    pub transferred_in_month: i64,
    pub transferred_out_month: i64,
    pub transferred_in_year: i64,
    pub transferred_out_year: i64,
}

/// Which way a transfer crosses a subtree's edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    In,
    Out,
}

/// Transfers `t` (joined to `f`, the union left, and `d`, the one joined) that cross the scope's edge.
fn crossing(sql: &mut Sql, scope: &Scope, way: Crossing) -> String {
    let into = scope.org_predicate(sql, "d.path");
    let from = scope.org_predicate(sql, "f.path");
    match way {
        Crossing::In => format!("{into} AND NOT {from}"),
        Crossing::Out => format!("{from} AND NOT {into}"),
    }
}

const CROSSING_FROM: &str =
    "member_transfers t JOIN orgs f ON f.id = t.from_org_id JOIN orgs d ON d.id = t.to_org_id";

/// A transfer into or out of a subtree, for the list the dashboard links to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Crossed {
    pub member_id: i64,
    pub member_name: String,
    pub from_org_name: String,
    pub to_org_name: String,
    pub at: i64,
}

/// Transfers into (or out of) the scope's subtrees made in `[from_ms, to_ms)`, newest first, and how many.
pub async fn transfers_crossing(
    db: &Db,
    scope: &Scope,
    way: Crossing,
    (from_ms, to_ms): (i64, i64),
    paging: Paging,
) -> AppResult<(Vec<Crossed>, i64)> {
    let mut sql = Sql::new("");
    let cross = crossing(&mut sql, scope, way);
    let (a, b) = (sql.int(from_ms), sql.int(to_ms));
    let filter = format!(
        "FROM {CROSSING_FROM} JOIN members m ON m.id = t.member_id WHERE {cross} AND t.at >= {a} AND t.at < {b}"
    );
    let total = sql
        .clone()
        .push(&format!("SELECT COUNT(*) {filter}"))
        .fetch_count(&db.pool)
        .await?;
    let (lim, off) = (sql.int(paging.per_page), sql.int(paging.offset()));
    sql.push(&format!(
        "SELECT t.member_id, m.name, f.name, d.name, t.at {filter} ORDER BY t.at DESC, t.id DESC LIMIT {lim} OFFSET {off}"
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    let items = rows
        .iter()
        .map(|r| -> Result<Crossed, sqlx::Error> {
            Ok(Crossed {
                member_id: r.try_get(0)?,
                member_name: r.try_get(1)?,
                from_org_name: r.try_get(2)?,
                to_org_name: r.try_get(3)?,
                at: r.try_get(4)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// The dashboard's member figures of each scope's subtrees, read from the
/// subtree totals the triggers keep (migration 0018): one row per subtree
/// root for the roll and the skill mix, one per root and month for joins
/// and transfers — whatever the size of the subtree, and in three
/// statements however many scopes. `month` is the month and `year` the
/// year the period figures count (`2026-12`, `2026`).
pub async fn figures(
    db: &Db,
    scopes: &[Scope],
    month: &str,
    year: &str,
) -> AppResult<Vec<Figures>> {
    use crate::org::subtree;
    let roll = subtree::totals(
        db,
        scopes,
        &[
            "on_roll", "skill_5", "skill_4", "skill_3", "skill_2", "skill_1", "migrant", "hardship",
        ],
    )
    .await?;
    let moves = ["joined", "transferred_in", "transferred_out"];
    let this_month = subtree::months(db, scopes, &moves, (month, month)).await?;
    let (first, last) = (format!("{year}-01"), format!("{year}-12"));
    let this_year = subtree::months(db, scopes, &moves, (&first, &last)).await?;
    Ok(roll
        .iter()
        .zip(this_month.iter().zip(&this_year))
        .map(|(r, (m, y))| Figures {
            on_roll: r[0],
            levels: [r[1], r[2], r[3], r[4], r[5]],
            migrant: r[6],
            hardship: r[7],
            joined_month: m[0],
            joined_year: y[0],
            transferred_in_month: m[1],
            transferred_out_month: m[2],
            transferred_in_year: y[1],
            transferred_out_year: y[2],
        })
        .collect())
}

/// Members in the scope. Without a search: by organisation (tree order) then
/// member id — the order of the `(org_path, id)` index, so the first page of a
/// million-member subtree needs no sort. With
/// one (`q`), see `search`.
pub async fn list(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    scope: &Scope,
    f: &Filter,
    paging: Paging,
) -> AppResult<Listing> {
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        return search(db, keys, actor, scope, f, q, paging).await;
    }
    let mut sql = Sql::new("");
    let pred = scope.member_predicate(&mut sql, "m.org_path", "m.id");
    let filter = format!(" WHERE {pred}{}", extra_filters(&mut sql, f));
    let total = if extra_filters(&mut Sql::new(""), f).is_empty()
        && scope.own_member.is_none()
        && scope.offered_to.is_none()
    {
        // Every member of some subtrees: their subtree totals, which the
        // database keeps (migration 0018) — one row per subtree.
        let mut count = Sql::new("");
        let roots: Vec<String> = scope
            .subtree_roots()
            .into_iter()
            .map(|id| count.int(id))
            .collect();
        if roots.is_empty() {
            0
        } else {
            count.push(&format!(
                "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM org_subtree_figures WHERE org_id IN ({})",
                roots.join(", ")
            ));
            count.fetch_count(&db.pool).await?
        }
    } else {
        let mut count = sql.clone();
        count.push(&format!("SELECT COUNT(*) FROM members m{filter}"));
        count.fetch_count(&db.pool).await?
    };
    let lim = sql.int(paging.per_page);
    let off = sql.int(paging.offset());
    // The page's ids from the `(org_path, id)` index alone, then only their
    // rows joined: a deep page skips index entries, not joined rows.
    sql.push(&format!(
        "SELECT {COLS} {FROM} WHERE m.id IN (SELECT m.id FROM members m{filter} \
         ORDER BY m.org_path, m.id LIMIT {lim} OFFSET {off}) ORDER BY m.org_path, m.id"
    ));
    let rows = sql.fetch_all(&db.pool).await?;
    let items = rows
        .iter()
        .map(|r| from_row(r, keys))
        .collect::<Result<_, _>>()?;
    Ok(Listing {
        items,
        total,
        total_is_exact: true,
    })
}

/// One kind of match as SQL, and the order its index keeps (so a page needs no
/// sort). Every search index is `(key, org_path, id)`: for an exact key a
/// subtree is one range of it, for a prefix the subtree check reads the index,
/// not the member's row.
fn tier_sql(sql: &mut Sql, keys: &Keyring, key: &SearchKey) -> (String, &'static str) {
    match key {
        SearchKey::IdNumber(idn) => (
            format!(
                "m.id_number_hash = {}",
                sql.text(keys.lookup_hash(ID_HASH, idn.as_str()))
            ),
            "m.id",
        ),
        SearchKey::Phone(ph) => (
            format!(
                "m.phone_hash = {}",
                sql.text(keys.lookup_hash(PHONE_HASH, ph.as_str()))
            ),
            "m.id",
        ),
        SearchKey::PhoneTail(t) => (
            format!("m.phone_tail = {}", sql.text(t.clone())),
            "m.org_path, m.id",
        ),
        SearchKey::IdTail(t) => {
            // The tail's keyed hash, as `id_tails` keeps it.
            let (col, domain) = if t.len() == 4 {
                ("m.id_tail4", "id_tail4")
            } else {
                ("m.id_tail6", "id_tail6")
            };
            let hash = keys.lookup_hash(domain, t)[..16].to_string();
            (format!("{col} = {}", sql.text(hash)), "m.org_path, m.id")
        }
        SearchKey::CardNo(c) => (
            format!("m.card_no = {}", sql.text(c.clone())),
            "m.org_path, m.id",
        ),
        SearchKey::NameExact(n) => (
            format!("m.name = {}", sql.text(n.clone())),
            "m.org_path, m.id",
        ),
        // A surname alone: its own index key (migration 0013), the path after it.
        SearchKey::NamePrefix(n) if n.chars().count() == 1 => (
            format!("substr(m.name, 1, 1) = {}", sql.text(n.clone())),
            "m.org_path, m.id",
        ),
        SearchKey::NamePrefix(n) => (prefix_range(sql, "m.name", n), "m.name, m.org_path, m.id"),
        SearchKey::NameFrom2(n) => (
            prefix_range(sql, "substr(m.name, 2)", n),
            "substr(m.name, 2), m.org_path, m.id",
        ),
        SearchKey::NameFrom3(n) => (
            prefix_range(sql, "substr(m.name, 3)", n),
            "substr(m.name, 3), m.org_path, m.id",
        ),
        SearchKey::PinyinExact(p) => (
            format!("m.name_pinyin = {}", sql.text(p.clone())),
            "m.org_path, m.id",
        ),
        SearchKey::InitialsExact(p) => (
            format!("m.name_initials = {}", sql.text(p.clone())),
            "m.org_path, m.id",
        ),
        SearchKey::PinyinPrefix(p) => (
            prefix_range(sql, "m.name_pinyin", p),
            "m.name_pinyin, m.org_path, m.id",
        ),
        // Two initials, the broadest people type: their own key, as a surname.
        SearchKey::InitialsPrefix(p) if p.len() == 2 => (
            format!("substr(m.name_initials, 1, 2) = {}", sql.text(p.clone())),
            "m.org_path, m.id",
        ),
        SearchKey::InitialsPrefix(p) => (
            prefix_range(sql, "m.name_initials", p),
            "m.name_initials, m.org_path, m.id",
        ),
    }
}

/// `FROM … WHERE` for tier `i`: in scope (the member's own `org_path`, no
/// join), matching it and none of the tiers before it (so nobody appears twice).
/// `from` is the table part: the members alone for a count, with the joins a
/// row needs for a page.
fn tier_from(
    sql: &mut Sql,
    keys: &Keyring,
    scope: &Scope,
    f: &Filter,
    tiers: &[SearchKey],
    i: usize,
    from: &str,
) -> (String, &'static str) {
    let mut pred = scope.member_predicate(sql, "m.org_path", "m.id");
    if let (SearchKey::IdTail(_), Some(within)) = (&tiers[i], &f.id_tails) {
        pred = format!("{pred} AND {}", within.org_predicate(sql, "m.org_path"));
    }
    let (cond, order) = tier_sql(sql, keys, &tiers[i]);
    let mut w = format!(" {from} WHERE {pred} AND {cond}");
    for earlier in &tiers[..i] {
        let (c, _) = tier_sql(sql, keys, earlier);
        // COALESCE: a NULL (say, no phone) is "did not match", not "unknown".
        w.push_str(&format!(" AND NOT COALESCE(({c}), FALSE)"));
    }
    w.push_str(&extra_filters(sql, f));
    (w, order)
}

/// Tier `i`'s count, stopped at `SEARCH_COUNT_CAP`, as a scalar subquery.
fn tier_count(
    sql: &mut Sql,
    keys: &Keyring,
    scope: &Scope,
    f: &Filter,
    tiers: &[SearchKey],
    i: usize,
) -> String {
    let (from, _) = tier_from(sql, keys, scope, f, tiers, i, "FROM members m");
    let cap = sql.int(SEARCH_COUNT_CAP);
    format!("(SELECT COUNT(*) FROM (SELECT 1{from} LIMIT {cap}) t{i})")
}

/// Tier `i`'s rows `offset..offset + limit` in full, in the order its index keeps.
#[allow(clippy::too_many_arguments)]
fn tier_page(
    keys: &Keyring,
    scope: &Scope,
    f: &Filter,
    tiers: &[SearchKey],
    i: usize,
    limit: i64,
    offset: i64,
) -> Sql {
    let mut page = Sql::new("");
    let (from, order) = tier_from(&mut page, keys, scope, f, tiers, i, FROM);
    let (lim, off) = (page.int(limit), page.int(offset));
    page.text = format!("SELECT {COLS}{from} ORDER BY {order} LIMIT {lim} OFFSET {off}");
    page
}

/// The kinds of match a search for `q` runs, in rank order.
fn search_tiers(f: &Filter, q: &str) -> Vec<SearchKey> {
    super::rules::search_keys_for(q)
        .into_iter()
        .filter(|k| !matches!(k, SearchKey::IdTail(_)) || f.id_tails.is_some())
        .collect()
}

/// The queries a search runs for `q`, one count and one first page per kind
/// of match (`SearchKey` as debug text), exactly as `search` builds them: the
/// roster benchmark prints their plans.
pub fn search_queries(
    keys: &Keyring,
    scope: &Scope,
    f: &Filter,
    q: &str,
) -> Vec<(String, Sql, Sql)> {
    let tiers = search_tiers(f, q);
    (0..tiers.len())
        .map(|i| {
            let mut count = Sql::new("");
            count.text = format!(
                "SELECT {}",
                tier_count(&mut count, keys, scope, f, &tiers, i)
            );
            let page = tier_page(keys, scope, f, &tiers, i, 20, 0);
            let kind = format!("{:?}", tiers[i]);
            let kind = kind.split('(').next().unwrap_or_default().to_string();
            (kind, count, page)
        })
        .collect()
}

/// A search, ranked by kind of match (exact ID, phone, card, exact name, name
/// prefix, name substring, pinyin, initials …). Each kind is its own query that
/// walks its index in order, so a page costs about its own size and a count stops
/// at `SEARCH_COUNT_CAP`, even for 张 among a million members. All the counts go
/// in one statement (one round trip), then one page query per kind the page
/// reaches (usually one).
async fn search(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    scope: &Scope,
    f: &Filter,
    q: &str,
    paging: Paging,
) -> AppResult<Listing> {
    let tiers = search_tiers(f, q);
    if tiers.is_empty() {
        // Nothing to match on (the keys always give one today; an empty
        // SELECT would be a syntax error, not "no one").
        return Ok(Listing {
            items: vec![],
            total: 0,
            total_is_exact: true,
        });
    }
    // A whole ID number or phone is a lookup of personal data: limited and audited.
    let whole_number = match tiers.first() {
        Some(SearchKey::IdNumber(_)) => Some(super::lookups::Kind::IdNumber),
        Some(SearchKey::Phone(_)) => Some(super::lookups::Kind::Phone),
        _ => None,
    };
    if let Some(kind) = whole_number {
        super::lookups::admit(db, actor, kind).await?;
    }
    let mut counts = Sql::new("");
    let each: Vec<String> = (0..tiers.len())
        .map(|i| tier_count(&mut counts, keys, scope, f, &tiers, i))
        .collect();
    counts.text = format!("SELECT {}", each.join(", "));
    let row = counts.query().fetch_one(&db.pool).await?;
    let mut found_whole = false;
    let (mut total, mut exact) = (0i64, true);
    let (mut skip, mut need) = (paging.offset(), paging.per_page);
    let mut items = vec![];
    for i in 0..tiers.len() {
        let mut n: i64 = row.try_get(i)?;
        found_whole |= i == 0 && n > 0;
        // An ID tail that finds someone is a personal-data lookup: audited
        // and limited; past the day's allowance the tail part is left out
        // (the phone-tail and card matches still answer).
        if n > 0 && matches!(tiers[i], SearchKey::IdTail(_)) {
            match super::lookups::admit(db, actor, super::lookups::Kind::IdTail).await {
                Ok(()) => {
                    super::lookups::record(db, actor, super::lookups::Kind::IdTail, true).await?
                }
                Err(AppError::Limited { .. }) => n = 0,
                Err(e) => return Err(e),
            }
        }
        total += n;
        exact &= n < SEARCH_COUNT_CAP;
        if need == 0 || n == 0 {
            continue;
        }
        if skip >= n && n < SEARCH_COUNT_CAP {
            skip -= n;
            continue;
        }
        let page = tier_page(keys, scope, f, &tiers, i, need, skip);
        let found = page
            .fetch_all(&db.pool)
            .await?
            .iter()
            .map(|r| from_row(r, keys))
            .collect::<Result<Vec<_>, _>>()?;
        need -= found.len() as i64;
        skip = 0;
        items.extend(found);
    }
    if let Some(kind) = whole_number {
        super::lookups::record(db, actor, kind, found_whole).await?;
    }
    Ok(Listing {
        items,
        total,
        total_is_exact: exact,
    })
}

/// Where an ID number is already registered: (member id, org path, org name).
pub async fn find_by_id_number(
    db: &Db,
    keys: &Keyring,
    idn: &IdNumber,
) -> AppResult<Option<(i64, String, String)>> {
    let row = sqlx::query(
        "SELECT m.id, o.path, o.name FROM members m JOIN orgs o ON o.id = m.org_id WHERE m.id_number_hash = $1",
    )
    .bind(keys.lookup_hash(ID_HASH, idn.as_str()))
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)),
        None => None,
    })
}

/// The 409 for an ID number that is someone's already; it says where only
/// when the caller may see that member.
pub async fn check_id_free(
    db: &Db,
    keys: &Keyring,
    read: &Scope,
    idn: &IdNumber,
    except: i64,
) -> AppResult<()> {
    if let Some((id, path, org_name)) = find_by_id_number(db, keys, idn).await? {
        if id == except {
            return Ok(());
        }
        let msg = if read.covers_path(&path) {
            format!("该身份证号已登记为会员（编号 {id}，{org_name}），一人只能登记一次")
        } else {
            "该身份证号已在其他工会登记为会员，一人只能登记一次；如需调入，请联系对方工会办理转会"
                .to_string()
        };
        return Err(AppError::conflict(Some("id_number"), msg));
    }
    Ok(())
}

/// A member the caller may change: 404 out of sight, 403 in sight without the right.
pub async fn writable(db: &Db, keys: &Keyring, access: &Access, id: i64) -> AppResult<Member> {
    let m = get(db, keys, &access.see, id).await?;
    access.check_member(&m.org_path, m.id)?;
    Ok(m)
}

/// The union and the employer a member is registered at: the union in reach
/// of `access`, the employer (if any) in sight.
pub async fn check_placement(
    db: &Db,
    access: &Access,
    org_id: i64,
    enterprise_id: Option<i64>,
) -> AppResult<()> {
    crate::org::store::writable(db, access, org_id).await?;
    if let Some(eid) = enterprise_id {
        crate::enterprise::store::get(db, &access.see, eid).await?;
    }
    Ok(())
}

/// Registers a member at `org_id` (in reach of `access`), employed by
/// `enterprise_id` (in sight).
pub async fn create(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    access: &Access,
    f: &MemberFields,
    org_id: i64,
    enterprise_id: Option<i64>,
) -> AppResult<i64> {
    check_placement(db, access, org_id, enterprise_id).await?;
    let read = &access.see;
    let Some(idn) = &f.id_number else {
        return Err(AppError::invalid("id_number", "身份证号不能为空"));
    };
    check_id_free(db, keys, read, idn, -1).await?;
    let phone = f.phone.clone().flatten();
    let name = f.name.clone().unwrap_or_default();
    let (pinyin, initials) = search_keys(&name);
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO members (org_id, enterprise_id, name, gender, birth_date, id_number_enc, id_number_hash, \
         phone_enc, phone_hash, ethnicity, education, political_status, occupation, skill_level, card_no, \
         join_date, is_migrant_worker, is_hardship, status, created_at, updated_at, name_pinyin, name_initials, phone_tail, \
         id_tail4, id_tail6, org_path) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, $21, $22, $23, $24, $25, \
         (SELECT path FROM orgs WHERE id = $1)) \
         RETURNING id",
    )
    .bind(org_id)
    .bind(enterprise_id)
    .bind(name.clone())
    .bind(idn.gender().label())
    .bind(idn.birth_date())
    .bind(keys.encrypt(idn.as_str()))
    .bind(keys.lookup_hash(ID_HASH, idn.as_str()))
    .bind(phone.as_ref().map(|p| keys.encrypt(p.as_str())))
    .bind(phone.as_ref().map(|p| keys.lookup_hash(PHONE_HASH, p.as_str())))
    .bind(f.ethnicity.clone().unwrap_or_default())
    .bind(f.education.clone().unwrap_or_default())
    .bind(f.political_status.clone().unwrap_or_default())
    .bind(f.occupation.clone().unwrap_or_default())
    .bind(f.skill_level.clone().unwrap_or_default())
    .bind(f.card_no.clone().unwrap_or_default())
    .bind(f.join_date.clone().unwrap_or_default())
    .bind(f.is_migrant_worker.unwrap_or(false) as i64)
    .bind(f.is_hardship.unwrap_or(false) as i64)
    .bind(f.status.clone().unwrap_or_else(|| "在册".into()))
    .bind(now)
    .bind(pinyin)
    .bind(initials)
    .bind(phone.as_ref().map(|p| phone_tail(p.as_str())).unwrap_or_default())
    .bind(id_tails(keys, idn.as_str()).0)
    .bind(id_tails(keys, idn.as_str()).1)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let ev = Event::new("member.create", "member", id)
        .member(id)
        .org(org_id)
        .detail(json!({ "name": name }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// The whole ID number and phone of a member the caller may reveal (404 out
/// of sight, 403 without the reveal right there), written to the audit log.
pub async fn reveal(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    access: &Access,
    id: i64,
    purpose: &str,
) -> AppResult<(Member, String, Option<String>)> {
    let m = get(db, keys, &access.see, id).await?;
    access
        .check_member(&m.org_path, m.id)
        .map_err(|e| match e {
            AppError::Forbidden(_) => AppError::Forbidden(
                "查看完整身份证号和手机号需要单独授权（由管理员授予），每次查看都会记录".into(),
            ),
            other => other,
        })?;
    let row = sqlx::query("SELECT id_number_enc, phone_enc FROM members WHERE id = $1")
        .bind(m.id)
        .fetch_one(&db.pool)
        .await?;
    let id_number = keys.decrypt(&row.try_get::<Vec<u8>, _>(0)?)?;
    let phone = match row.try_get::<Option<Vec<u8>>, _>(1)? {
        Some(p) => Some(keys.decrypt(&p)?),
        None => None,
    };
    let ev = Event::new("member.reveal", "member", m.id)
        .member(m.id)
        .org(m.org_id)
        .detail(json!({ "purpose": purpose }));
    audit::append_now(db, actor, ev).await?;
    Ok((m, id_number, phone))
}

/// Fills search keys for members written before they existed (schema 1):
/// pinyin from the name, the phone tail from the decrypted phone.
pub async fn backfill_search_keys(db: &Db, keys: &Keyring) -> anyhow::Result<u64> {
    // Done once after the upgrade, then remembered: start-up stays instant.
    const DONE: &str = "search_keys_backfilled";
    if db.setting(DONE).await?.is_some() {
        return Ok(0);
    }
    let mut after = 0i64;
    let mut done = 0u64;
    loop {
        let rows = sqlx::query(
            "SELECT id, name, phone_enc FROM members WHERE name_pinyin = '' AND id > $1 ORDER BY id LIMIT 1000",
        )
        .bind(after)
        .fetch_all(&db.pool)
        .await?;
        if rows.is_empty() {
            db.set_setting(DONE, "1").await?;
            return Ok(done);
        }
        let mut tx = db.begin().await?;
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            let name: String = r.try_get(1)?;
            let phone: Option<Vec<u8>> = r.try_get(2)?;
            let (pinyin, initials) = search_keys(&name);
            let tail = match phone {
                Some(p) => phone_tail(&keys.decrypt(&p)?),
                None => String::new(),
            };
            sqlx::query("UPDATE members SET name_pinyin = $1, name_initials = $2, phone_tail = $3 WHERE id = $4")
                .bind(pinyin)
                .bind(initials)
                .bind(tail)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            after = id;
            done += 1;
        }
        tx.commit().await?;
    }
}

/// Fills the ID-tail search keys of members written before they existed
/// (schema 10), from the decrypted ID numbers; once, then remembered.
pub async fn backfill_id_tails(db: &Db, keys: &Keyring) -> anyhow::Result<u64> {
    const DONE: &str = "id_tails_backfilled";
    if db.setting(DONE).await?.is_some() {
        return Ok(0);
    }
    let mut after = 0i64;
    let mut done = 0u64;
    loop {
        let rows = sqlx::query(
            "SELECT id, id_number_enc FROM members WHERE id_tail4 = '' AND id > $1 ORDER BY id LIMIT 1000",
        )
        .bind(after)
        .fetch_all(&db.pool)
        .await?;
        if rows.is_empty() {
            db.set_setting(DONE, "1").await?;
            return Ok(done);
        }
        let mut tx = db.begin().await?;
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            let idn = keys.decrypt(&r.try_get::<Vec<u8>, _>(1)?)?;
            let (t4, t6) = id_tails(keys, &idn);
            sqlx::query("UPDATE members SET id_tail4 = $1, id_tail6 = $2 WHERE id = $3")
                .bind(t4)
                .bind(t6)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            after = id;
            done += 1;
        }
        tx.commit().await?;
    }
}

/// `col` starts with `prefix`, as an index range (portable: no LIKE collation rules).
fn prefix_range(sql: &mut Sql, col: &str, prefix: &str) -> String {
    let lo = sql.text(prefix.to_string());
    let hi = sql.text(format!("{prefix}\u{10FFFF}"));
    format!("({col} >= {lo} AND {col} < {hi})")
}

/// Full pinyin and initials of a name: 张伟 → ("zhangwei", "zw").
pub fn search_keys(name: &str) -> (String, String) {
    use pinyin::ToPinyin;
    let mut full = String::new();
    let mut initials = String::new();
    for (i, (c, p)) in name.chars().zip(name.to_pinyin()).enumerate() {
        // A surname reads its own way: 曾 is zeng, not ceng; 单 is shan, not dan.
        if let Some(reading) = (i == 0).then(|| surname_reading(c)).flatten() {
            full.push_str(reading);
            initials.push_str(&reading[..1]);
            continue;
        }
        match p {
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(p.first_letter());
            }
            // Latin letters in a name (rare) count as themselves.
            None if c.is_ascii_alphanumeric() => {
                full.push(c.to_ascii_lowercase());
                initials.push(c.to_ascii_lowercase());
            }
            None => {}
        }
    }
    (full, initials)
}

/// Surnames whose reading differs from the character's first reading.
fn surname_reading(c: char) -> Option<&'static str> {
    Some(match c {
        '曾' => "zeng",
        '单' => "shan",
        '仇' => "qiu",
        '区' => "ou",
        '解' => "xie",
        '朴' => "piao",
        '覃' => "qin",
        '查' => "zha",
        '盖' => "ge",
        '乐' => "yue",
        '缪' => "miao",
        '秘' => "bi",
        '繁' => "po",
        '尉' => "yu",
        '员' => "yun",
        '种' => "chong",
        '翟' => "zhai",
        '燕' => "yan",
        '过' => "guo",
        '折' => "she",
        _ => return None,
    })
}

/// The last four digits of a phone, for 尾号 search (the rest stays encrypted).
pub fn phone_tail(phone: &str) -> String {
    phone[phone.len().saturating_sub(4)..].to_string()
}

/// Applies the given fields to a member in reach of `access`.
/// `enterprise_id`: `Some(None)` clears it; a new one must be in sight.
pub async fn update(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    access: &Access,
    id: i64,
    f: &MemberFields,
    enterprise_id: Option<Option<i64>>,
) -> AppResult<()> {
    writable(db, keys, access, id).await?;
    if let Some(Some(eid)) = enterprise_id {
        crate::enterprise::store::get(db, &access.see, eid).await?;
    }
    let read = &access.see;
    if let Some(idn) = &f.id_number {
        // Changing a member's ID number answers whether another member holds
        // the new one: a whole-number lookup like a search, limited the same way.
        let current: Option<String> =
            sqlx::query_scalar("SELECT id_number_hash FROM members WHERE id = $1")
                .bind(id)
                .fetch_optional(&db.pool)
                .await?;
        if current.as_deref() != Some(keys.lookup_hash(ID_HASH, idn.as_str()).as_str()) {
            super::lookups::admit(db, actor, super::lookups::Kind::IdNumber).await?;
            let free = check_id_free(db, keys, read, idn, id).await;
            let taken = matches!(free, Err(AppError::Conflict { .. }));
            super::lookups::record(db, actor, super::lookups::Kind::IdNumber, taken).await?;
            free?;
        }
    }
    let mut sql = Sql::new("UPDATE members SET updated_at = ");
    let now = sql.int(now_ms());
    sql.push(&now);
    let set = |sql: &mut Sql, col: &str, v: Option<String>| {
        if let Some(v) = v {
            let p = sql.text(v);
            sql.push(&format!(", {col} = {p}"));
        }
    };
    set(&mut sql, "name", f.name.clone());
    if let Some(name) = &f.name {
        let (pinyin, initials) = search_keys(name);
        set(&mut sql, "name_pinyin", Some(pinyin));
        set(&mut sql, "name_initials", Some(initials));
    }
    set(&mut sql, "ethnicity", f.ethnicity.clone());
    set(&mut sql, "education", f.education.clone());
    set(&mut sql, "political_status", f.political_status.clone());
    set(&mut sql, "occupation", f.occupation.clone());
    set(&mut sql, "skill_level", f.skill_level.clone());
    set(&mut sql, "card_no", f.card_no.clone());
    set(&mut sql, "join_date", f.join_date.clone());
    set(&mut sql, "status", f.status.clone());
    if let Some(idn) = &f.id_number {
        set(&mut sql, "gender", Some(idn.gender().label().to_string()));
        set(&mut sql, "birth_date", Some(idn.birth_date()));
        set(
            &mut sql,
            "id_number_hash",
            Some(keys.lookup_hash(ID_HASH, idn.as_str())),
        );
        let p = sql.arg(Arg::OptBytes(Some(keys.encrypt(idn.as_str()))));
        sql.push(&format!(", id_number_enc = {p}"));
        let (t4, t6) = id_tails(keys, idn.as_str());
        set(&mut sql, "id_tail4", Some(t4));
        set(&mut sql, "id_tail6", Some(t6));
    }
    if let Some(phone) = &f.phone {
        let enc = sql.arg(Arg::OptBytes(
            phone.as_ref().map(|p| keys.encrypt(p.as_str())),
        ));
        let hash = sql.arg(Arg::OptText(
            phone
                .as_ref()
                .map(|p| keys.lookup_hash(PHONE_HASH, p.as_str())),
        ));
        let tail = sql.text(
            phone
                .as_ref()
                .map(|p| phone_tail(p.as_str()))
                .unwrap_or_default(),
        );
        sql.push(&format!(
            ", phone_enc = {enc}, phone_hash = {hash}, phone_tail = {tail}"
        ));
    }
    for (col, v) in [
        ("is_migrant_worker", f.is_migrant_worker),
        ("is_hardship", f.is_hardship),
    ] {
        if let Some(v) = v {
            let p = sql.int(v as i64);
            sql.push(&format!(", {col} = {p}"));
        }
    }
    if let Some(eid) = enterprise_id {
        let p = sql.arg(Arg::OptInt(eid));
        sql.push(&format!(", enterprise_id = {p}"));
    }
    let p = sql.int(id);
    sql.push(&format!(" WHERE id = {p}"));
    let mut tx = db.begin().await?;
    sql.query().execute(&mut *tx).await?;
    let org: i64 = sqlx::query("SELECT org_id FROM members WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let ev = Event::new("member.update", "member", id)
        .member(id)
        .org(org)
        .detail(json!({ "fields": f.given_fields() }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_keys() {
        assert_eq!(search_keys("张伟"), ("zhangwei".into(), "zw".into()));
        assert_eq!(search_keys("曾小明"), ("zengxiaoming".into(), "zxm".into()));
        assert_eq!(search_keys("单田芳"), ("shantianfang".into(), "stf".into()));
        assert_eq!(
            search_keys("吴曾"),
            ("wuceng".into(), "wc".into()),
            "only the surname reads specially"
        );
        assert_eq!(phone_tail("13812345678"), "5678");
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Transfer {
    pub id: i64,
    pub from_org_id: i64,
    pub from_org_name: String,
    pub to_org_id: i64,
    pub to_org_name: String,
    pub reason: String,
    pub by: Option<String>,
    pub at: i64,
}

/// Where a transfer goes.
pub struct TransferTo<'a> {
    pub org_id: i64,
    pub enterprise_id: Option<i64>,
    pub reason: &'a str,
}

/// 会员转会: moves a member in reach of `access` to another union in reach,
/// and keeps the record of it (the rules: `rules::check_transfer`).
pub async fn transfer(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    access: &Access,
    member_id: i64,
    to: &TransferTo<'_>,
) -> AppResult<()> {
    let (to_org_id, enterprise_id, reason) = (to.org_id, to.enterprise_id, to.reason);
    let m = writable(db, keys, access, member_id).await?;
    check_placement(db, access, to_org_id, enterprise_id).await?;
    let reason = super::rules::check_transfer(m.org_id, to_org_id, &m.status, reason)?;
    let reason = reason.as_str();
    let from_org_id = m.org_id;
    let now = now_ms();
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE members SET org_id = $1, org_path = (SELECT path FROM orgs WHERE id = $1), enterprise_id = $2, \
         updated_at = $3 WHERE id = $4",
    )
    .bind(to_org_id)
    .bind(enterprise_id)
    .bind(now)
    .bind(member_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO member_transfers (member_id, from_org_id, to_org_id, reason, account_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(member_id)
    .bind(from_org_id)
    .bind(to_org_id)
    .bind(reason)
    .bind(actor.account_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // The member's own account moves with them: the new union administers it,
    // and the old one no longer sees it (accounts are scoped by assignment).
    let moved = sqlx::query(
        "UPDATE assignments SET org_id = $1 WHERE role = 'member' \
         AND account_id IN (SELECT id FROM accounts WHERE member_id = $2)",
    )
    .bind(to_org_id)
    .bind(member_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let ev = Event::new("member.transfer", "member", member_id)
        .member(member_id)
        .org(to_org_id)
        .detail(json!({
            "from_org_id": from_org_id, "to_org_id": to_org_id, "reason": reason, "accounts_moved": moved,
        }));
    audit::append(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

/// The transfers of a member in the scope, oldest first.
pub async fn transfers(
    db: &Db,
    keys: &Keyring,
    scope: &Scope,
    member_id: i64,
) -> AppResult<Vec<Transfer>> {
    get(db, keys, scope, member_id).await?;
    let rows = sqlx::query(
        "SELECT t.id, t.from_org_id, f.name, t.to_org_id, d.name, t.reason, COALESCE(a.login_shown, a.username), t.at \
         FROM member_transfers t JOIN orgs f ON f.id = t.from_org_id JOIN orgs d ON d.id = t.to_org_id \
         LEFT JOIN accounts a ON a.id = t.account_id WHERE t.member_id = $1 ORDER BY t.at, t.id",
    )
    .bind(member_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = vec![];
    for r in rows {
        out.push(Transfer {
            id: r.try_get(0)?,
            from_org_id: r.try_get(1)?,
            from_org_name: r.try_get(2)?,
            to_org_id: r.try_get(3)?,
            to_org_name: r.try_get(4)?,
            reason: r.try_get(5)?,
            by: r.try_get(6)?,
            at: r.try_get(7)?,
        });
    }
    Ok(out)
}
