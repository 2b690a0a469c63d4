//! The audit log: append-only (triggers refuse UPDATE and DELETE) and chained
//! by hash, so an entry edited behind the application's back shows up in
//! `gongjiang audit verify`. Every write and every reveal of personal data
//! appends an entry inside the same transaction as the change itself.

pub mod pages;
pub mod store;

pub use store::{append, append_all, append_now, Actor, Event};

use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an entry's hash covers, in a fixed order.
#[derive(Debug, Clone, PartialEq)]
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

/// SHA-256 over the previous hash and every field, each on its own line
/// (fields are escaped so that no two entries can serialise alike).
pub fn entry_hash(e: &Entry) -> String {
    let mut h = Sha256::new();
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
    for f in fields {
        h.update(f.replace('\\', "\\\\").replace('\n', "\\n").as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// Why a chain is broken, naming the first bad entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Break {
    pub id: i64,
    pub reason: String,
}

/// Checks entries in id order: ids run 1, 2, 3 …, each links to the hash
/// before it, and each hash matches its fields.
pub struct ChainCheck {
    expected_id: i64,
    prev_hash: String,
    pub checked: i64,
}

impl Default for ChainCheck {
    fn default() -> Self {
        ChainCheck {
            expected_id: 1,
            prev_hash: GENESIS.to_string(),
            checked: 0,
        }
    }
}

impl ChainCheck {
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
        if entry_hash(e) != e.hash {
            return Err(Break {
                id: e.id,
                reason: "its content does not match its hash (the entry was edited)".into(),
            });
        }
        self.expected_id += 1;
        self.prev_hash = e.hash.clone();
        self.checked += 1;
        Ok(())
    }

    /// The head records the last entry appended: entries cut off the end show here.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
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
                e.hash = entry_hash(&e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn check(entries: &[Entry], head: (i64, &str)) -> Result<(), Break> {
        let mut c = ChainCheck::default();
        for e in entries {
            c.push(e)?;
        }
        c.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(check(&c, (5, &c[4].hash)), Ok(()));
    }

    #[test]
    fn edits_removals_and_truncation_are_found() {
        let c = chain(5);
        let mut edited = c.clone();
        edited[2].detail = "{\"n\":99}".into();
        assert_eq!(check(&edited, (5, &c[4].hash)).unwrap_err().id, 3);

        let mut rehashed = c.clone();
        rehashed[2].actor = "someone".into();
        rehashed[2].hash = entry_hash(&rehashed[2]);
        assert_eq!(
            check(&rehashed, (5, &c[4].hash)).unwrap_err().id,
            4,
            "re-hashing one entry breaks the next link"
        );

        let mut removed = c.clone();
        removed.remove(1);
        assert_eq!(check(&removed, (5, &c[4].hash)).unwrap_err().id, 3);

        assert_eq!(
            check(&c[..4], (5, &c[4].hash)).unwrap_err().id,
            5,
            "a cut-off tail is found by the head"
        );
    }

    #[test]
    fn newlines_cannot_forge_a_field_boundary() {
        let mut a = chain(1).remove(0);
        let mut b = a.clone();
        a.actor = "x\nmember.update".into();
        a.action = "y".into();
        b.actor = "x".into();
        b.action = "member.update\ny".into();
        assert_ne!(entry_hash(&a), entry_hash(&b));
    }
}
