//! Activation codes: eight characters a person can read off a slip and type
//! on a phone (no 0/O, 1/I/L), about 40 bits; only their keyed hash is kept.

/// The characters of a code.
pub const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const LENGTH: usize = 8;
/// Days a code may be used.
pub const VALID_DAYS: i64 = 30;

/// A new code from `random` bytes (one per character).
pub fn code_from(random: &[u8; LENGTH]) -> String {
    random
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// A code as typed: full-width made half-width, spaces and dashes dropped,
/// lower case raised.
pub fn normalise(typed: &str) -> String {
    crate::pii::to_half_width(typed)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A code shown in groups of four, as printed: `AB3D-7KQM`.
pub fn grouped(code: &str) -> String {
    let (a, b) = code.split_at(code.len().min(4));
    if b.is_empty() {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_as_printed() {
        let code = code_from(&[0, 1, 2, 30, 31, 200, 255, 7]);
        assert_eq!(code.len(), LENGTH);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(normalise(&grouped(&code).to_lowercase()), code);
        assert_eq!(normalise(" ab3d－7kqm "), "AB3D7KQM");
        // No look-alikes to confuse on a slip.
        for c in b"01OIL" {
            assert!(!ALPHABET.contains(c));
        }
    }
}
