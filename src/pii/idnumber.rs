//! Resident ID numbers (GB 11643-1999): 6-digit area, 8-digit birth date,
//! 3-digit sequence (odd = male), and a mod 11-2 check character.

use std::fmt;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A valid 18-character resident ID number, upper-case `X`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    pub fn label(self) -> &'static str {
        match self {
            Gender::Male => "男",
            Gender::Female => "女",
        }
    }
}

/// The check character for the first 17 digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += c.to_digit(10)? * w;
    }
    Some(CHECK_CHARS[(sum % 11) as usize])
}

impl IdNumber {
    /// Parses a resident ID number; trims, accepts a lower-case `x` and
    /// full-width digits, and explains what is wrong in Chinese.
    pub fn parse(input: &str) -> Result<IdNumber, String> {
        let s: String = crate::pii::to_half_width(input.trim()).to_ascii_uppercase();
        if s.is_empty() {
            return Err("身份证号不能为空".into());
        }
        if s.len() != 18 || !s.is_ascii() {
            return Err(format!("身份证号应为18位，当前为{}位", s.chars().count()));
        }
        let (body, last) = s.split_at(17);
        if !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err("身份证号前17位必须是数字".into());
        }
        let last = last.chars().next().unwrap_or(' ');
        if !(last.is_ascii_digit() || last == 'X') {
            return Err("身份证号最后一位必须是数字或X".into());
        }
        let (y, m, d) = (
            body[6..10].parse::<i32>().unwrap_or(0),
            body[10..12].parse::<u32>().unwrap_or(0),
            body[12..14].parse::<u32>().unwrap_or(0),
        );
        if !(1900..=2100).contains(&y) || !crate::pii::is_valid_date(y, m, d) {
            return Err(format!(
                "身份证号中的出生日期 {} 不是有效日期",
                &body[6..14]
            ));
        }
        let expected = check_char(body).unwrap_or(' ');
        if expected != last {
            return Err(format!(
                "身份证号校验位错误（应为 {expected}），请核对是否录入有误"
            ));
        }
        Ok(IdNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth date as `YYYY-MM-DD`.
    pub fn birth_date(&self) -> String {
        let s = &self.0;
        format!("{}-{}-{}", &s[6..10], &s[10..12], &s[12..14])
    }

    pub fn gender(&self) -> Gender {
        let seq = self.0.as_bytes()[16] - b'0';
        if seq % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// `330203************`: the area code only. The birth date (shown beside
    /// it) and the gender leave 500 sequence numbers, and the check character
    /// follows from them: too many to guess past the whole-number search limit
    /// (see `member::lookups`). Showing the last two, as before, left nine.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

/// Masks any stored ID-number text the way the console shows it.
pub fn mask_id_number(s: &str) -> String {
    if s.len() != 18 || !s.is_ascii() {
        return "******".into();
    }
    format!("{}{}", &s[..6], "*".repeat(12))
}

impl fmt::Debug for IdNumber {
    // Never print a whole ID number into logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// Builds a valid ID number from its parts (demo and synthetic data).
pub fn compose(area: &str, birth: (i32, u32, u32), seq: u32) -> String {
    let first17 = format!(
        "{area}{:04}{:02}{:02}{:03}",
        birth.0,
        birth.1,
        birth.2,
        seq % 1000
    );
    let c = check_char(&first17).unwrap_or('0');
    format!("{first17}{c}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn standard_samples_validate() {
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(
            IdNumber::parse("440524188001010014").is_err(),
            "1880 is before 1900"
        );
        let id = IdNumber::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), "1949-12-31");
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.masked(), "110105************");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(IdNumber::parse("11010519491231002")
            .unwrap_err()
            .contains("18位"));
        assert!(IdNumber::parse("110105194912310021")
            .unwrap_err()
            .contains("校验位"));
        assert!(IdNumber::parse("110105194902300021")
            .unwrap_err()
            .contains("有效日期"));
        assert!(IdNumber::parse("1101051949123100A1")
            .unwrap_err()
            .contains("数字"));
        assert!(IdNumber::parse("  ").unwrap_err().contains("不能为空"));
    }

    #[test]
    fn full_width_digits_are_accepted() {
        let id = IdNumber::parse("１１０１０５１９４９１２３１００２Ｘ").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    proptest! {
        #[test]
        fn composed_numbers_round_trip(y in 1930i32..2010, m in 1u32..=12, d in 1u32..=28, seq in 0u32..1000) {
            let s = compose("330212", (y, m, d), seq);
            let id = IdNumber::parse(&s).unwrap();
            prop_assert_eq!(id.birth_date(), format!("{y:04}-{m:02}-{d:02}"));
            prop_assert_eq!(id.gender() == Gender::Male, seq % 2 == 1);
        }

        #[test]
        fn any_single_digit_change_is_caught(y in 1930i32..2010, seq in 0u32..1000, pos in 0usize..17, delta in 1u8..10) {
            let s = compose("330212", (y, 6, 15), seq);
            let mut b = s.into_bytes();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(b).unwrap();
            // A changed digit either breaks the check character or the date; never passes.
            prop_assert!(IdNumber::parse(&changed).is_err());
        }

        #[test]
        fn lowercase_x_is_the_same_person(y in 1930i32..2010, seq in 0u32..1000) {
            let s = compose("330212", (y, 1, 1), seq);
            let lower = s.to_lowercase();
            prop_assert_eq!(IdNumber::parse(&s).unwrap(), IdNumber::parse(&lower).unwrap());
        }
    }
}
