//! Mainland mobile numbers (11 digits starting with 1) and landlines.

#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Accepts `13812345678`, `+86 138-1234-5678`, full-width digits, and
    /// landlines such as `0574-88123456`; stores digits (and the dash of a landline).
    pub fn parse(input: &str) -> Result<Phone, String> {
        let s = crate::pii::to_half_width(input.trim());
        if s.is_empty() {
            return Err("手机号不能为空".into());
        }
        let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
        if s.chars()
            .any(|c| !(c.is_ascii_digit() || " -+()".contains(c)))
        {
            return Err(format!("电话号码“{}”含有非数字字符", input.trim()));
        }
        let mobile = digits
            .strip_prefix("86")
            .filter(|d| d.len() == 11)
            .unwrap_or(&digits);
        if mobile.len() == 11 && mobile.starts_with('1') {
            if !matches!(mobile.as_bytes()[1], b'3'..=b'9') {
                return Err(format!("手机号“{}”的号段无效", input.trim()));
            }
            return Ok(Phone(mobile.to_string()));
        }
        if digits.starts_with('0') && (10..=12).contains(&digits.len()) {
            return Ok(Phone(digits));
        }
        Err(format!(
            "手机号“{}”应为11位数字，当前为{}位",
            input.trim(),
            digits.len()
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// `138****5678`.
pub fn mask_phone(s: &str) -> String {
    if s.len() < 7 || !s.is_ascii() {
        return "****".into();
    }
    format!("{}****{}", &s[..3], &s[s.len() - 4..])
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(
            Phone::parse("138 1234 5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("+86 138-1234-5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("１３８１２３４５６７８").unwrap().masked(),
            "138****5678"
        );
        assert_eq!(
            Phone::parse("0574-88123456").unwrap().as_str(),
            "057488123456"
        );
        assert!(Phone::parse("12812345678").unwrap_err().contains("号段"));
        assert!(Phone::parse("1381234567").unwrap_err().contains("11位"));
        assert!(Phone::parse("138abc").unwrap_err().contains("非数字"));
    }
}
