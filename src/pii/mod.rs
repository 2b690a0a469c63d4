//! Personal data: validation of ID numbers, credit codes and phones,
//! field encryption, keyed hashes and masking.

pub mod creditcode;
pub mod crypto;
pub mod idnumber;
pub mod phone;

pub use creditcode::CreditCode;
pub use crypto::Keyring;
pub use idnumber::IdNumber;
pub use phone::Phone;

/// Full-width ASCII (Ｘ, １, ＠, ideographic space) to half-width: rosters typed
/// with a Chinese input method are full of them.
pub fn to_half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn is_valid_date(y: i32, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Parses `YYYY-MM-DD` (also `YYYY/MM/DD`, `YYYY.MM.DD`, `YYYYMMDD`) into the canonical form.
pub fn parse_date(input: &str) -> Result<String, String> {
    let s = to_half_width(input.trim());
    let parts: Vec<&str> = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        vec![&s[0..4], &s[4..6], &s[6..8]]
    } else {
        s.split(['-', '/', '.']).collect()
    };
    let bad = || format!("日期“{}”无效，请写成 2024-05-01 的形式", input.trim());
    if parts.len() != 3 {
        return Err(bad());
    }
    let y: i32 = parts[0].parse().map_err(|_| bad())?;
    let m: u32 = parts[1].parse().map_err(|_| bad())?;
    let d: u32 = parts[2].parse().map_err(|_| bad())?;
    if !(1900..=2100).contains(&y) || !is_valid_date(y, m, d) {
        return Err(bad());
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width() {
        assert_eq!(to_half_width("１３８　Ａｂ"), "138 Ab");
        assert_eq!(to_half_width("张伟"), "张伟");
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2024/2/29").unwrap(), "2024-02-29");
        assert_eq!(parse_date("20240501").unwrap(), "2024-05-01");
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("yesterday").is_err());
    }
}
