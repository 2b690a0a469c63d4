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

/// Writes every member of `org`'s subtree to an .xlsx at `out` (a file, so a
/// million rows never sit in memory); returns the number of rows.
pub async fn export(
    db: &Db,
    keys: &Keyring,
    actor: &Actor,
    org: &Org,
    reveal: bool,
    out: &std::path::Path,
) -> anyhow::Result<i64> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name("会员名册")?;
    heading(ws)?;
    let hi = crate::auth::scope::path_upper(&org.path);
    let mut after = (String::new(), 0i64);
    let mut n: u32 = 0;
    // Keyset pages in roster order: (org path, member id).
    loop {
        let rows = sqlx::query(
            "SELECT m.id, m.name, m.id_number_enc, m.phone_enc, m.gender, m.birth_date, m.ethnicity, m.education, \
             m.political_status, o.name, e.name, m.occupation, m.skill_level, m.card_no, m.join_date, \
             m.is_migrant_worker, m.is_hardship, m.status, o.path \
             FROM members m JOIN orgs o ON o.id = m.org_id LEFT JOIN enterprises e ON e.id = m.enterprise_id \
             WHERE o.path >= $1 AND o.path < $2 AND (o.path > $3 OR (o.path = $3 AND m.id > $4)) \
             ORDER BY o.path, m.id LIMIT 5000",
        )
        .bind(&org.path)
        .bind(&hi)
        .bind(&after.0)
        .bind(after.1)
        .fetch_all(&db.pool)
        .await?;
        if rows.is_empty() {
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
    let ev = Event::new("member.export", "org", org.id)
        .org(org.id)
        .detail(json!({ "rows": n, "revealed": reveal }));
    audit::append_now(db, actor, ev).await?;
    // A copy of the data leaves: so does a checkpoint of the log that records it.
    audit::store::checkpoint(db).await?;
    Ok(n as i64)
}
