//! Exporting a subtree's roster to .xlsx in the import columns (so an export
//! can be edited and imported back), masked unless the caller may reveal and
//! asks to; every export is audited. Rows are streamed from the database into
//! a constant-memory workbook.

use super::columns::Column;
use crate::audit::{self, Actor, Event};
use crate::db::Db;
use crate::org::store::Org;
use crate::pii::idnumber::mask_id_number;
use crate::pii::phone::mask_phone;
use crate::pii::Keyring;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde_json::json;
use sqlx::Row;

fn heading(ws: &mut Worksheet) -> Result<(), XlsxError> {
    let bold = Format::new()
        .set_bold()
        .set_background_color(rust_xlsxwriter::Color::RGB(0xF2F2F2));
    for (i, c) in Column::ALL.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, c.title(), &bold)?;
        ws.set_column_width(i as u16, if *c == Column::IdNumber { 22 } else { 14 })?;
    }
    Ok(())
}

/// The blank template: the headings, columns formatted as text so Excel
/// keeps whole ID numbers, and one example row to replace.
pub fn template() -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("会员名册")?;
    heading(ws)?;
    let text = Format::new().set_num_format("@");
    for i in 0..Column::ALL.len() {
        ws.set_column_format(i as u16, &text)?;
    }
    let example = [
        "张伟",
        "11010519491231002X",
        "13812345678",
        "女",
        "1949-12-31",
        "汉族",
        "高中",
        "群众",
        "",
        "",
        "车工",
        "中级工",
        "",
        "2020-05-01",
        "否",
        "否",
        "在册",
    ];
    let grey = Format::new()
        .set_font_color(rust_xlsxwriter::Color::Gray)
        .set_num_format("@");
    for (i, v) in example.iter().enumerate() {
        ws.write_string_with_format(1, i as u16, *v, &grey)?;
    }
    let notes = wb.add_worksheet();
    notes.set_name("填写说明")?;
    for (i, line) in [
        "第一行是表头，列的顺序可以调整，名称可用常见写法（如“身份证号码”“公民身份号码”“联系电话”）。",
        "必填：姓名、身份证号。身份证号列请保持“文本”格式，否则 Excel 会把它变成 3.30203E+17 并丢失末位。",
        "技能等级：初级工、中级工、高级工、技师、高级技师（也可写 五级…一级）。",
        "所属工会：留空则导入到所选组织；填写时须是所选组织或其下级组织的名称。",
        "工作单位：须是已登记的企业名称；所选组织只覆盖一家企业时可留空。",
        "同一身份证号再次导入会更新该会员的信息，不会重复登记。",
    ]
    .iter()
    .enumerate()
    {
        notes.write_string(i as u32, 0, *line)?;
    }
    wb.save_to_buffer()
}

/// What an export holds: a subtree, the caller's scope inside it, the member
/// list's filters, whole numbers or masked.
pub struct Export<'a> {
    pub org: &'a Org,
    pub scope: &'a crate::auth::Scope,
    pub filter: &'a crate::member::store::Filter,
    pub reveal: bool,
}

/// Rows a search's export may hold (a search counts at most
/// `SEARCH_COUNT_CAP` matches of each kind).
const SEARCH_EXPORT_MAX: i64 = 10_000;

const EXPORT_COLS: &str = "SELECT m.id, m.name, m.id_number_enc, m.phone_enc, m.gender, m.birth_date, m.ethnicity, m.education, \
     m.political_status, o.name, e.name, m.occupation, m.skill_level, m.card_no, m.join_date, \
     m.is_migrant_worker, m.is_hardship, m.status, o.path \
     FROM members m JOIN orgs o ON o.id = m.org_id LEFT JOIN enterprises e ON e.id = m.enterprise_id";

/// Writes the members an export holds to an .xlsx at `out` (a file, so a
/// million rows never sit in memory), audited with its filter; returns the
/// number of rows. With a search (`q`) it holds the search's matches.
pub async fn export(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    x: &Export<'_>,
    out: &std::path::Path,
) -> anyhow::Result<i64> {
    let (org, reveal) = (x.org, x.reveal);
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name("会员名册")?;
    heading(ws)?;
    let hi = crate::auth::scope::path_upper(&org.path);
    let mut n: u32 = 0;
    let within = crate::auth::Scope::new(vec![org.path.clone()], None);
    let searched = match x.filter.q.as_deref() {
        Some(_) => Some(search_ids(db, keys, actor, &within, x.filter).await?),
        None => None,
    };
    let mut after = (String::new(), 0i64);
    let mut chunks = searched.as_deref().map(|ids| ids.chunks(500));
    loop {
        let mut sql = crate::db::sql::Sql::new("");
        let pred = x.scope.member_predicate(&mut sql, "o.path", "m.id");
        let (lo, up) = (sql.text(org.path.clone()), sql.text(hi.clone()));
        let terms = crate::member::store::extra_filters(&mut sql, x.filter);
        let tail = match chunks.as_mut() {
            Some(it) => match it.next() {
                Some(ids) => {
                    let list: Vec<String> = ids.iter().map(|id| sql.int(*id)).collect();
                    format!(" AND m.id IN ({}) ORDER BY o.path, m.id", list.join(", "))
                }
                None => break,
            },
            // Keyset pages in roster order: (org path, member id).
            None => {
                let (a0, a1) = (sql.text(after.0.clone()), sql.int(after.1));
                format!(
                    " AND (o.path > {a0} OR (o.path = {a0} AND m.id > {a1})) ORDER BY o.path, m.id LIMIT 5000"
                )
            }
        };
        sql.push(&format!(
            "{EXPORT_COLS} WHERE {pred} AND o.path >= {lo} AND o.path < {up}{terms}{tail}"
        ));
        let rows = sql.fetch_all(&db.pool).await?;
        if rows.is_empty() && chunks.is_none() {
            break;
        }
        for r in &rows {
            n += 1;
            let id_number = keys.decrypt(&r.try_get::<Vec<u8>, _>(2)?)?;
            let phone = match r.try_get::<Option<Vec<u8>>, _>(3)? {
                Some(p) => keys.decrypt(&p)?,
                None => String::new(),
            };
            let (id_number, phone) = if reveal {
                (id_number, phone)
            } else {
                (
                    mask_id_number(&id_number),
                    if phone.is_empty() {
                        phone
                    } else {
                        mask_phone(&phone)
                    },
                )
            };
            let yes_no = |v: i64| if v != 0 { "是" } else { "否" };
            let values: [String; 17] = [
                r.try_get(1)?,
                id_number,
                phone,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
                r.try_get(7)?,
                r.try_get(8)?,
                r.try_get(9)?,
                r.try_get::<Option<String>, _>(10)?.unwrap_or_default(),
                r.try_get(11)?,
                r.try_get(12)?,
                r.try_get(13)?,
                r.try_get(14)?,
                yes_no(r.try_get(15)?).into(),
                yes_no(r.try_get(16)?).into(),
                r.try_get(17)?,
            ];
            for (i, v) in values.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(n, i as u16, v)?;
                }
            }
            after = (r.try_get(18)?, r.try_get(0)?);
        }
    }
    wb.save(out)?;
    let f = x.filter;
    // A number searched for (whole, or the tail of an ID number or phone)
    // is not written into the log: with the birth date a tail is most of one.
    let q = f.q.as_deref().map(|q| {
        if q.chars().filter(char::is_ascii_digit).count() >= 3 {
            "（号码，已隐去）".to_string()
        } else {
            q.to_string()
        }
    });
    let ev = Event::new("member.export", "org", org.id)
        .org(org.id)
        .detail(json!({ "rows": n, "revealed": reveal, "filter": {
            "q": q, "skill_level": f.skill_level, "status": f.status, "enterprise_id": f.enterprise_id,
        } }));
    audit::append_now(db, actor, ev).await?;
    // A copy of the data leaves: so does a checkpoint of the log that records it.
    audit::store::checkpoint(db).await?;
    Ok(n as i64)
}

/// The ids a search finds inside the subtree, as the list finds them (its
/// whole-number searches counted and audited the same way).
async fn search_ids(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    within: &crate::auth::Scope,
    f: &crate::member::store::Filter,
) -> anyhow::Result<Vec<i64>> {
    let mut ids = vec![];
    let mut page = 1;
    while (ids.len() as i64) < SEARCH_EXPORT_MAX {
        let paging = crate::db::Paging::new(Some(page), Some(crate::db::MAX_PER_PAGE));
        let listing = crate::member::store::list(db, keys, actor, within, f, paging)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let got = listing.items.len() as i64;
        ids.extend(listing.items.iter().map(|m| m.id));
        if got < paging.per_page {
            break;
        }
        page += 1;
    }
    Ok(ids)
}
