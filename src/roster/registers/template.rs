//! The blank sheets staff fill in: the union tree and the enterprise
//! register, each with an example row and a 填写说明 sheet.

use super::rules::{Col, ENTERPRISE_COLUMNS, ORG_COLUMNS};
use crate::roster::outcome::Kind;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The template of a register and its file name.
pub fn template(kind: Kind) -> Result<(Vec<u8>, &'static str), XlsxError> {
    let (columns, example, notes, sheet, file): (&[Col], &[&str], &[&str], &str, &str) =
        match kind {
            Kind::Orgs => (
                &ORG_COLUMNS,
                &["东村联合工会", "DC-01", "", "联合工会", "王芳", "0574-88123456"],
                &[
                    "每行一个工会组织；表头不必在第一行，列名可用常见写法（如“工会名称”“上级工会”“工会主席”）。",
                    "必填：组织名称、组织类型。组织类型可选：省总工会、市总工会、区县总工会、乡镇街道总工会、产业工会、联合工会、企业工会。",
                    "组织代码：2–32位字母、数字、- 或 _，全系统唯一；留空则自动生成。",
                    "上级组织：填上级的组织代码或名称；可以是本文件中的另一行（顺序不限），也可以是已有的组织；留空则直接挂在所选组织之下。",
                    "组织代码已存在的行会更新该组织的名称、类型和联系方式，不会重复建立；调整上级请在组织页面办理“移动”。",
                ],
                "组织架构",
                "组织架构模板.xlsx",
            ),
            _ => (
                &ENTERPRISE_COLUMNS,
                &[
                    "宁波华瑞电器有限公司",
                    "91330212MA2GQ6KX52",
                    "",
                    "电气机械和器材制造业",
                    "中型",
                    "宁波市鄞州区姜山镇明光北路88号",
                    "李明",
                    "13812345678",
                ],
                &[
                    "每行一家企业；表头不必在第一行，列名可用常见写法（如“单位名称”“信用代码”）。",
                    "必填：企业名称、统一社会信用代码（18位，系统会核对校验位）。",
                    "所属工会：填工会的组织代码或名称，须是所选组织或其下级；留空则登记在所选组织。",
                    "规模可选：大型、中型、小型、微型，可留空。",
                    "统一社会信用代码已登记的企业会被更新，留空的列保持原样，不会重复登记。",
                ],
                "企业名录",
                "企业名录模板.xlsx",
            ),
        };
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let grey = Format::new()
        .set_font_color(rust_xlsxwriter::Color::Gray)
        .set_num_format("@");
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    for (i, c) in columns.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, c.title(), &bold)?;
        ws.set_column_format(i as u16, &text)?;
        ws.set_column_width(i as u16, 20)?;
    }
    for (i, v) in example.iter().enumerate() {
        ws.write_string_with_format(1, i as u16, *v, &grey)?;
    }
    let ns = wb.add_worksheet();
    ns.set_name("填写说明")?;
    ns.set_column_width(0, 100)?;
    for (i, line) in notes.iter().enumerate() {
        ns.write_string(i as u32, 0, *line)?;
    }
    Ok((wb.save_to_buffer()?, file))
}
