//! The report sent upward (上报报表), as unions send it in Excel: one sheet per
//! group of figures (会员统计, 技能等级, and whatever programs contribute —
//! 培训, 积分 …), a title and the 填报单位 / 填报日期 rows, a row per child
//! organisation, then 本级 and 合计; numbers as numbers, shares as percentages.
//! Built from the dashboard's own figures, so the report and the screen agree.

use super::model::Dashboard;
use crate::program::Figure;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// One sheet: its name and the figures it has columns for (keys, in order).
struct Sheet {
    name: String,
    keys: Vec<String>,
}

/// The sheets of a dashboard: each group's figures outside any distribution,
/// then each distribution with the whole it divides and the other shares of
/// that whole (技能等级: 技能劳动者, the five levels, 高技能人才).
fn sheets(d: &Dashboard) -> Vec<Sheet> {
    let all: Vec<&Figure> = d.groups.iter().flat_map(|g| g.figures.iter()).collect();
    let mut out = vec![];
    for g in &d.groups {
        let keys: Vec<String> = g
            .figures
            .iter()
            .filter(|f| f.distribution.is_none())
            .map(|f| f.key.clone())
            .collect();
        if !keys.is_empty() {
            out.push(Sheet {
                name: match g.title.as_str() {
                    "会员" => "会员统计".to_string(),
                    t => t.to_string(),
                },
                keys,
            });
        }
        let mut names: Vec<&str> = vec![];
        for f in &g.figures {
            if let Some(n) = f.distribution.as_deref() {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        for name in names {
            let parts: Vec<&Figure> = g
                .figures
                .iter()
                .filter(|f| f.distribution.as_deref() == Some(name))
                .collect();
            let whole = parts.first().and_then(|f| f.share_of.clone());
            let mut keys: Vec<String> = whole.iter().cloned().collect();
            keys.extend(parts.iter().map(|f| f.key.clone()));
            keys.extend(
                all.iter()
                    .filter(|f| {
                        f.distribution.is_none() && f.share_of.is_some() && f.share_of == whole
                    })
                    .map(|f| f.key.clone()),
            );
            out.push(Sheet {
                name: name.trim_end_matches("构成").to_string(),
                keys,
            });
        }
    }
    out
}

fn value_of(figures: &[Figure], key: &str) -> i64 {
    figures.iter().find(|f| f.key == key).map_or(0, |f| f.value)
}

/// The workbook of `d`, titled for `year`.
pub fn workbook(d: &Dashboard) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap()
        .set_background_color(rust_xlsxwriter::Color::RGB(0xF2F2F2));
    let cell = Format::new().set_border(FormatBorder::Thin);
    let number = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0");
    let percent = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.0%");
    let sum = Format::new().set_bold().set_border(FormatBorder::Thin);
    let sum_number = sum.clone().set_num_format("#,##0");
    let sum_percent = sum.clone().set_num_format("0.0%");
    let own: Vec<Figure> = d
        .groups
        .iter()
        .flat_map(|g| g.figures.iter().cloned())
        .collect();
    let complete = d.children.len() as i64 == d.children_total;
    for sheet in sheets(d) {
        let figures: Vec<&Figure> = sheet
            .keys
            .iter()
            .filter_map(|k| own.iter().find(|f| &f.key == k))
            .collect();
        // A share gets a percentage column beside it when its whole is on the sheet.
        let mut columns: Vec<(String, &Figure, bool)> = vec![];
        for f in &figures {
            columns.push((format!("{}（{}）", f.label, f.unit), f, false));
            if f.share_of.as_ref().is_some_and(|w| sheet.keys.contains(w)) {
                columns.push((format!("{}占比", f.label), f, true));
            }
        }
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name)?;
        let last = columns.len() as u16;
        ws.merge_range(
            0,
            0,
            0,
            last,
            &format!(
                "{}{}统计表（{} 年）",
                d.org.name,
                sheet.name.trim_end_matches("统计"),
                d.year
            ),
            &title,
        )?;
        ws.write_string(1, 0, format!("填报单位：{}", d.org.name))?;
        ws.write_string(1, last.max(1), format!("填报日期：{}", d.date))?;
        ws.write_string_with_format(2, 0, "组织", &head)?;
        ws.set_column_width(0, 28)?;
        for (i, (label, _, _)) in columns.iter().enumerate() {
            ws.write_string_with_format(2, i as u16 + 1, label, &head)?;
            ws.set_column_width(i as u16 + 1, 14)?;
        }
        let share = |figures: &[Figure], f: &Figure| -> Option<f64> {
            let whole = value_of(figures, f.share_of.as_deref()?);
            (whole > 0).then(|| value_of(figures, &f.key) as f64 / whole as f64)
        };
        let mut row = 3u32;
        for child in &d.children {
            ws.write_string_with_format(row, 0, &child.org.name, &cell)?;
            for (i, (_, f, is_share)) in columns.iter().enumerate() {
                let col = i as u16 + 1;
                match is_share {
                    false => ws.write_number_with_format(
                        row,
                        col,
                        value_of(&child.figures, &f.key) as f64,
                        &number,
                    )?,
                    true => match share(&child.figures, f) {
                        Some(p) => ws.write_number_with_format(row, col, p, &percent)?,
                        None => ws.write_string_with_format(row, col, "—", &cell)?,
                    },
                };
            }
            row += 1;
        }
        if complete && !d.children.is_empty() {
            ws.write_string_with_format(row, 0, "本级", &sum)?;
            for (i, (_, f, is_share)) in columns.iter().enumerate() {
                let col = i as u16 + 1;
                if *is_share {
                    ws.write_string_with_format(row, col, "", &sum)?;
                    continue;
                }
                if !f.additive {
                    // Different people counted once: no own part by subtraction.
                    ws.write_string_with_format(row, col, "—", &sum)?;
                    continue;
                }
                let children: i64 = d
                    .children
                    .iter()
                    .map(|c| value_of(&c.figures, &f.key))
                    .sum();
                ws.write_number_with_format(row, col, (f.value - children) as f64, &sum_number)?;
            }
            row += 1;
        }
        ws.write_string_with_format(row, 0, "合计", &sum)?;
        for (i, (_, f, is_share)) in columns.iter().enumerate() {
            let col = i as u16 + 1;
            match is_share {
                false => ws.write_number_with_format(row, col, f.value as f64, &sum_number)?,
                true => match share(&own, f) {
                    Some(p) => ws.write_number_with_format(row, col, p, &sum_percent)?,
                    None => ws.write_string_with_format(row, col, "—", &sum)?,
                },
            };
        }
        if !complete {
            ws.write_string(
                row + 1,
                0,
                format!(
                    "注：共 {} 个直属下级组织，表中列出前 {} 个；合计含全部。",
                    d.children_total,
                    d.children.len()
                ),
            )?;
        }
    }
    wb.save_to_buffer()
}
