//! Pure rules of sign-in and of granting rights.

/// Where a login may send the browser afterwards: a path on this site only —
/// `/` followed by a path character, never `//` or `/\` (another host to a
/// browser), never a control character (a tab is dropped by browsers, CR/LF
/// would split the header), never a backslash anywhere.
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && next.len() <= 2000
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\')
}

/// The stored login for what someone types at sign-in: a phone number (as
/// the roster takes it, spaces, dashes and full-width digits too) is kept
/// only as its keyed hash, so no phone sits in the accounts table or the
/// session cache in clear; anything else (a staff username) as typed,
/// lowercased. `hash` is the keyed lookup hash of a phone.
pub fn login_key(typed: &str, hash: impl Fn(&str) -> String) -> String {
    match crate::pii::Phone::parse(typed) {
        Ok(p) if p.as_str().len() == 11 && p.as_str().starts_with('1') => {
            format!("tel:{}", hash(p.as_str()))
        }
        _ => typed.trim().to_lowercase(),
    }
}

/// Who may grant the right to see whole ID numbers and phones over a union.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealGrant {
    /// An admin of a union above: granted at once.
    Above,
    /// An admin of the same union: a request that a second admin confirms.
    SameUnion,
    /// The account itself.
    SelfGrant,
    /// No admin right over that union.
    NoRight,
}

/// Decides from the granter's admin subtrees (paths) and the account's union.
pub fn reveal_grant(granter_admin_paths: &[String], own: bool, union_path: &str) -> RevealGrant {
    if own {
        return RevealGrant::SelfGrant;
    }
    if granter_admin_paths
        .iter()
        .any(|p| union_path.starts_with(p.as_str()) && union_path != p)
    {
        RevealGrant::Above
    } else if granter_admin_paths.iter().any(|p| p == union_path) {
        RevealGrant::SameUnion
    } else {
        RevealGrant::NoRight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths() {
        for ok in ["/", "/members?q=张", "/m/courses/3", "/orgs/1#x"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "/\t/evil.com",
            "/x\r\nSet-Cookie: a=b",
            "https://evil.com",
            "evil.com",
            "",
            "/a\\b",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
        assert!(!is_local_path(&format!("/{}", "a".repeat(2000))));
    }

    #[test]
    fn reveal_is_granted_from_above_or_by_two() {
        let town = "/1/2/3/".to_string();
        assert_eq!(
            reveal_grant(&["/1/".into()], false, &town),
            RevealGrant::Above
        );
        assert_eq!(
            reveal_grant(std::slice::from_ref(&town), false, &town),
            RevealGrant::SameUnion
        );
        assert_eq!(
            reveal_grant(std::slice::from_ref(&town), true, &town),
            RevealGrant::SelfGrant
        );
        assert_eq!(
            reveal_grant(&["/1/9/".into()], false, &town),
            RevealGrant::NoRight
        );
        assert_eq!(
            reveal_grant(std::slice::from_ref(&town), false, "/1/2/3/4/"),
            RevealGrant::Above,
            "a town admin grants to an enterprise union below"
        );
    }
}

#[cfg(test)]
mod login_key_tests {
    use super::login_key;

    #[test]
    fn a_phone_is_kept_as_its_hash_however_it_is_typed_and_a_username_as_typed() {
        let hash = |p: &str| format!("h({p})");
        assert_eq!(login_key("139 0000-1000", hash), "tel:h(13900001000)");
        assert_eq!(
            login_key("１３９００００１０００", hash),
            "tel:h(13900001000)"
        );
        assert_eq!(login_key(" JiangShan ", hash), "jiangshan");
        // A landline is no login of a worker: as typed.
        assert_eq!(login_key("057487654321", hash), "057487654321");
    }
}
