//! Validating an enterprise.

use crate::fields::{Errors, Invalid};
use crate::pii::CreditCode;

pub const SIZES: [&str; 4] = ["大型", "中型", "小型", "微型"];

#[derive(Debug, Default, Clone)]
pub struct RawEnterprise {
    pub credit_code: Option<String>,
    pub name: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct EnterpriseFields {
    pub credit_code: Option<String>,
    pub name: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
}

fn short_text(v: &str, label: &str, max: usize) -> Result<String, String> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(format!("{label}不能超过{max}个字"));
    }
    Ok(v.to_string())
}

fn parse_size(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() || SIZES.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(format!("企业规模应为：{}", SIZES.join("、")))
    }
}

/// `require_all` for a new enterprise; a PATCH validates only what it gives.
pub fn parse(raw: &RawEnterprise, require_all: bool) -> Result<EnterpriseFields, Invalid> {
    let mut errs = Errors::default();
    let credit_code = match raw.credit_code.as_deref() {
        Some(v) => errs.take(
            "credit_code",
            CreditCode::parse(v).map(|c| c.as_str().to_string()),
        ),
        None if require_all => {
            errs.add("credit_code", "统一社会信用代码不能为空");
            None
        }
        None => None,
    };
    let name = match raw.name.as_deref() {
        Some(v) => errs.take("name", crate::org::rules::parse_name(v)),
        None if require_all => {
            errs.add("name", "企业名称不能为空");
            None
        }
        None => None,
    };
    let industry = raw
        .industry
        .as_deref()
        .and_then(|v| errs.take("industry", short_text(v, "行业", 50)));
    let size = raw
        .size
        .as_deref()
        .and_then(|v| errs.take("size", parse_size(v)));
    errs.finish()?;
    Ok(EnterpriseFields {
        credit_code,
        name,
        industry,
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_fields_and_all_errors_at_once() {
        let err = parse(&RawEnterprise::default(), true).unwrap_err();
        assert_eq!(err.field_errors().len(), 2);
        let raw = RawEnterprise {
            credit_code: Some("91350100M000100Y44".into()),
            name: Some("".into()),
            size: Some("巨型".into()),
            ..Default::default()
        };
        let fields: Vec<String> = parse(&raw, true)
            .unwrap_err()
            .field_errors()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["credit_code", "name", "size"]);
        assert!(parse(
            &RawEnterprise {
                industry: Some("制造业".into()),
                ..Default::default()
            },
            false
        )
        .is_ok());
    }
}
