//! The chain's rules: how an entry is sealed, how a chain and a checkpoint
//! are checked. Pure: no database, no HTTP.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an entry's hash covers, in a fixed order.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub account_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub member_id: Option<i64>,
    pub org_id: Option<i64>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The previous hash and every field, each on its own line (fields are
/// escaped so that no two entries can serialise alike).
fn serialise(e: &Entry) -> Vec<u8> {
    let fields = [
        e.prev_hash.clone(),
        e.id.to_string(),
        e.at.to_string(),
        opt(e.account_id),
        e.actor.clone(),
        e.action.clone(),
        e.entity.clone(),
        opt(e.entity_id),
        opt(e.member_id),
        opt(e.org_id),
        e.detail.clone(),
    ];
    let mut out = vec![];
    for f in fields {
        out.extend(f.replace('\\', "\\\\").replace('\n', "\\n").as_bytes());
        out.push(b'\n');
    }
    out
}

/// The plain SHA-256 of an entry: the chain of databases written before the
/// keyed chain (anyone could recompute it).
pub fn entry_hash(e: &Entry) -> String {
    hex::encode(Sha256::digest(serialise(e)))
}

/// The keyed MAC of an entry: only the holder of the key file can make it.
pub fn entry_mac(key: &[u8; 32], e: &Entry) -> String {
    hex::encode(mac(key, &serialise(e)))
}

pub fn mac(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Why a chain is broken, naming the first bad entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Break {
    pub id: i64,
    pub reason: String,
}

/// Checks entries in id order: ids run 1, 2, 3 …, each links to the hash
/// before it, and each hash matches its fields — by plain SHA-256 before
/// `keyed_from`, by the keyed MAC from there on.
pub struct ChainCheck {
    key: [u8; 32],
    keyed_from: i64,
    expected_id: i64,
    prev_hash: String,
    pub checked: i64,
}

impl ChainCheck {
    pub fn new(key: [u8; 32], keyed_from: i64) -> ChainCheck {
        ChainCheck {
            key,
            keyed_from,
            expected_id: 1,
            prev_hash: GENESIS.to_string(),
            checked: 0,
        }
    }

    pub fn push(&mut self, e: &Entry) -> Result<(), Break> {
        if e.id != self.expected_id {
            return Err(Break {
                id: e.id,
                reason: format!(
                    "entry {} is missing (the next entry found is {})",
                    self.expected_id, e.id
                ),
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(Break {
                id: e.id,
                reason:
                    "its link to the entry before does not match (an entry was changed or removed)"
                        .into(),
            });
        }
        let expected = if e.id >= self.keyed_from {
            entry_mac(&self.key, e)
        } else {
            entry_hash(e)
        };
        if expected != e.hash {
            return Err(Break {
                id: e.id,
                reason: if e.id >= self.keyed_from {
                    "its seal does not match its content (the entry was edited or written without the key)".into()
                } else {
                    "its content does not match its hash (the entry was edited)".into()
                },
            });
        }
        self.expected_id += 1;
        self.prev_hash = e.hash.clone();
        self.checked += 1;
        Ok(())
    }

    /// The head records the last entry appended: entries cut off the end show
    /// here (unless the head was fixed too; checkpoints catch that).
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), Break> {
        if head_seq != self.expected_id - 1 || head_hash != self.prev_hash {
            return Err(Break {
                id: self.expected_id,
                reason: format!(
                    "the log ends at entry {} but {} entries were written",
                    self.expected_id - 1,
                    head_seq
                ),
            });
        }
        Ok(())
    }
}

/// A sealed statement "the log had `entries` entries, the last with hash
/// `head`, at `at`", kept outside the database.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub entries: i64,
    pub head: String,
    pub at: i64,
}

const CHECKPOINT_TAG: &str = "gongjiang-audit-checkpoint v1";

impl Checkpoint {
    fn sealed_text(&self) -> String {
        format!(
            "{CHECKPOINT_TAG} entries={} head={} at={}",
            self.entries, self.head, self.at
        )
    }

    /// The line as written and printed: the statement and its MAC.
    pub fn line(&self, key: &[u8; 32]) -> String {
        let text = self.sealed_text();
        format!("{text} mac={}", hex::encode(mac(key, text.as_bytes())))
    }

    /// Reads a line; `Err` when it is not a checkpoint or its MAC is wrong.
    pub fn parse(line: &str, key: &[u8; 32]) -> Result<Checkpoint, String> {
        let line = line.trim();
        let (text, tag) = line
            .rsplit_once(" mac=")
            .ok_or_else(|| "not a checkpoint line".to_string())?;
        let rest = text
            .strip_prefix(CHECKPOINT_TAG)
            .ok_or_else(|| "not a checkpoint line".to_string())?;
        let mut cp = Checkpoint {
            entries: -1,
            head: String::new(),
            at: 0,
        };
        for part in rest.split_whitespace() {
            match part.split_once('=') {
                Some(("entries", v)) => cp.entries = v.parse().map_err(|_| "bad count")?,
                Some(("head", v)) => cp.head = v.to_string(),
                Some(("at", v)) => cp.at = v.parse().map_err(|_| "bad time")?,
                _ => return Err(format!("unknown part {part}")),
            }
        }
        if cp.entries < 0 || cp.sealed_text() != text {
            return Err("not a checkpoint line".into());
        }
        if hex::encode(mac(key, text.as_bytes())) != tag {
            return Err("its seal does not match (written without the key, or edited)".into());
        }
        Ok(cp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    /// `n` entries, the first `legacy` of them chained by plain SHA-256.
    fn chain(n: i64, legacy: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|id| {
                let mut e = Entry {
                    id,
                    at: 1000 + id,
                    account_id: Some(7),
                    actor: "jiangshan".into(),
                    action: "member.update".into(),
                    entity: "member".into(),
                    entity_id: Some(id),
                    member_id: Some(id),
                    org_id: Some(4),
                    detail: format!("{{\"n\":{id}}}"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = if id <= legacy {
                    entry_hash(&e)
                } else {
                    entry_mac(&KEY, &e)
                };
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn check(entries: &[Entry], keyed_from: i64, head: (i64, &str)) -> Result<(), Break> {
        let mut c = ChainCheck::new(KEY, keyed_from);
        for e in entries {
            c.push(e)?;
        }
        c.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies_legacy_part_and_all() {
        let c = chain(5, 0);
        assert_eq!(check(&c, 1, (5, &c[4].hash)), Ok(()));
        let upgraded = chain(5, 2);
        assert_eq!(check(&upgraded, 3, (5, &upgraded[4].hash)), Ok(()));
    }

    #[test]
    fn edits_removals_and_truncation_are_found() {
        let c = chain(5, 0);
        let mut edited = c.clone();
        edited[2].detail = "{\"n\":99}".into();
        assert_eq!(check(&edited, 1, (5, &c[4].hash)).unwrap_err().id, 3);

        let mut removed = c.clone();
        removed.remove(1);
        assert_eq!(check(&removed, 1, (5, &c[4].hash)).unwrap_err().id, 3);

        assert_eq!(
            check(&c[..4], 1, (5, &c[4].hash)).unwrap_err().id,
            5,
            "a cut-off tail is found by the head"
        );
    }

    #[test]
    fn rewriting_without_the_key_is_found_even_when_rehashed_onward() {
        // The attacker edits entry 3 and recomputes every hash after it, the
        // way the plain SHA-256 chain allowed.
        let c = chain(5, 0);
        let mut forged = c.clone();
        forged[2].actor = "someone".into();
        let mut prev = forged[1].hash.clone();
        for e in forged.iter_mut().skip(2) {
            e.prev_hash = prev.clone();
            e.hash = entry_hash(e);
            prev = e.hash.clone();
        }
        let head = forged[4].hash.clone();
        assert_eq!(check(&forged, 1, (5, &head)).unwrap_err().id, 3);
        // …and with a wrong key too.
        let mut other = c.clone();
        other[2].actor = "someone".into();
        other[2].hash = entry_mac(&[9; 32], &other[2]);
        assert_eq!(check(&other, 1, (5, &c[4].hash)).unwrap_err().id, 3);
        // The legacy part is held by the first keyed entry's link.
        let upgraded = chain(5, 3);
        let mut old = upgraded.clone();
        old[1].actor = "someone".into();
        old[1].hash = entry_hash(&old[1]);
        old[2].prev_hash = old[1].hash.clone();
        old[2].hash = entry_hash(&old[2]);
        assert_eq!(check(&old, 4, (5, &upgraded[4].hash)).unwrap_err().id, 4);
    }

    #[test]
    fn checkpoints_are_sealed() {
        let cp = Checkpoint {
            entries: 42,
            head: "ab".repeat(32),
            at: 1_700_000_000_000,
        };
        let line = cp.line(&KEY);
        assert_eq!(Checkpoint::parse(&line, &KEY), Ok(cp.clone()));
        assert!(Checkpoint::parse(&line.replace("entries=42", "entries=37"), &KEY).is_err());
        assert!(Checkpoint::parse(&line, &[1; 32]).is_err());
        assert!(Checkpoint::parse("hello", &KEY).is_err());
    }

    #[test]
    fn newlines_cannot_forge_a_field_boundary() {
        let mut a = chain(1, 0).remove(0);
        let mut b = a.clone();
        a.actor = "x\nmember.update".into();
        a.action = "y".into();
        b.actor = "x".into();
        b.action = "member.update\ny".into();
        assert_ne!(entry_hash(&a), entry_hash(&b));
        assert_ne!(entry_mac(&KEY, &a), entry_mac(&KEY, &b));
    }
}
