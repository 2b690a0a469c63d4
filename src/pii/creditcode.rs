//! 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-character set;
//! the 9-character organisation code inside it (GB 11714) has its own check.

const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditCode(String);

fn value(c: char) -> Option<u32> {
    CHARSET.find(c).map(|i| i as u32)
}

/// The 18th character for the first 17.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value(c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    CHARSET.chars().nth(check as usize)
}

/// The check character of a 9-character organisation code (GB 11714).
pub fn org_code_check(first8: &str) -> Option<char> {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0;
    for (c, w) in first8.chars().zip(W) {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10)?,
    })
}

impl CreditCode {
    pub fn parse(input: &str) -> Result<CreditCode, String> {
        let s = crate::pii::to_half_width(input.trim()).to_ascii_uppercase();
        if s.is_empty() {
            return Err("统一社会信用代码不能为空".into());
        }
        if s.chars().count() != 18 {
            return Err(format!(
                "统一社会信用代码应为18位，当前为{}位",
                s.chars().count()
            ));
        }
        if let Some(bad) = s.chars().find(|c| value(*c).is_none()) {
            return Err(format!(
                "统一社会信用代码含有不允许的字符“{bad}”（不使用 I、O、S、V、Z）"
            ));
        }
        let expected = check_char(&s[..17]).unwrap_or(' ');
        if !s.ends_with(expected) {
            return Err(format!(
                "统一社会信用代码校验位错误（应为 {expected}），请核对"
            ));
        }
        Ok(CreditCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Builds a valid code: department, category, area, an 8-character body
/// whose organisation-code check is computed, then the final check.
pub fn compose(prefix2: &str, area6: &str, body8: &str) -> String {
    let oc = org_code_check(body8).unwrap_or('0');
    let first17 = format!("{prefix2}{area6}{body8}{oc}");
    let c = check_char(&first17).unwrap_or('0');
    format!("{first17}{c}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_sample_validates() {
        assert!(CreditCode::parse("91350100M000100Y43").is_ok());
        assert_eq!(org_code_check("M000100Y"), Some('4'));
        assert!(CreditCode::parse("91350100M000100Y44")
            .unwrap_err()
            .contains("校验位"));
        assert!(CreditCode::parse("91350100M000100Y4")
            .unwrap_err()
            .contains("18位"));
        assert!(CreditCode::parse("91350100M000100O43")
            .unwrap_err()
            .contains("不允许"));
        assert_eq!(
            CreditCode::parse(" 91350100m000100y43 ").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        for (i, w) in WEIGHTS.iter().enumerate() {
            assert_eq!(*w, 3u32.pow(i as u32) % 31);
        }
    }

    proptest! {
        #[test]
        fn composed_codes_validate(body in "[0-9]{8}") {
            let code = compose("91", "330212", &body);
            prop_assert!(CreditCode::parse(&code).is_ok(), "{}", code);
        }

        #[test]
        fn a_changed_character_is_caught(body in "[0-9]{8}", pos in 0usize..17, delta in 1usize..31) {
            let code = compose("91", "330212", &body);
            let mut chars: Vec<char> = code.chars().collect();
            let i = CHARSET.find(chars[pos]).unwrap();
            chars[pos] = CHARSET.chars().nth((i + delta) % 31).unwrap();
            let changed: String = chars.into_iter().collect();
            prop_assert!(CreditCode::parse(&changed).is_err());
        }
    }
}
