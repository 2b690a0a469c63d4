//! Field encryption (AES-256-GCM) and lookup hashes (HMAC-SHA256) with keys
//! from a key file that never goes into the database.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{bail, Context};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::Path;

type HmacSha256 = Hmac<Sha256>;

const FILE_HEADER: &str = "gongjiang-key-v1";

/// The two keys: one encrypts, one makes lookup hashes.
#[derive(Clone)]
pub struct Keyring {
    cipher: Aes256Gcm,
    mac_key: [u8; 32],
}

impl Keyring {
    pub fn from_bytes(enc: [u8; 32], mac: [u8; 32]) -> Keyring {
        Keyring {
            cipher: Aes256Gcm::new(&enc.into()),
            mac_key: mac,
        }
    }

    pub fn generate() -> Keyring {
        let mut enc = [0u8; 32];
        let mut mac = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut enc);
        rand::rngs::OsRng.fill_bytes(&mut mac);
        Keyring::from_bytes(enc, mac)
    }

    /// Reads a key file, or creates one (mode 0600) when `create` is allowed
    /// and the file does not exist.
    pub fn load_or_create(path: &Path, create: bool) -> anyhow::Result<(Keyring, bool)> {
        if path.exists() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read key file {}", path.display()))?;
            return Ok((
                Self::parse_file(&text).with_context(|| format!("key file {}", path.display()))?,
                false,
            ));
        }
        if !create {
            bail!(
                "key file {} does not exist; the personal data in this database cannot be read without the key it was written with",
                path.display()
            );
        }
        let mut enc = [0u8; 32];
        let mut mac = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut enc);
        rand::rngs::OsRng.fill_bytes(&mut mac);
        let text = format!(
            "{FILE_HEADER}\nenc={}\nmac={}\n",
            hex::encode(enc),
            hex::encode(mac)
        );
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        write_private(path, text.as_bytes())
            .with_context(|| format!("cannot create key file {}", path.display()))?;
        Ok((Keyring::from_bytes(enc, mac), true))
    }

    fn parse_file(text: &str) -> anyhow::Result<Keyring> {
        let mut lines = text.lines();
        if lines.next() != Some(FILE_HEADER) {
            bail!("not a gongjiang key file");
        }
        let mut enc = None;
        let mut mac = None;
        for line in lines {
            if let Some(v) = line.strip_prefix("enc=") {
                enc = Some(decode32(v)?);
            } else if let Some(v) = line.strip_prefix("mac=") {
                mac = Some(decode32(v)?);
            }
        }
        match (enc, mac) {
            (Some(e), Some(m)) => Ok(Keyring::from_bytes(e, m)),
            _ => bail!("key file lacks enc= or mac="),
        }
    }

    /// Random nonce ‖ ciphertext.
    pub fn encrypt(&self, plain: &str) -> Vec<u8> {
        self.encrypt_bytes(plain.as_bytes())
    }

    pub fn encrypt_bytes(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        // Encryption with a valid key and a 12-byte nonce cannot fail.
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain)
            .unwrap_or_default();
        out.extend(ct);
        out
    }

    pub fn decrypt(&self, data: &[u8]) -> anyhow::Result<String> {
        Ok(String::from_utf8(self.decrypt_bytes(data)?)?)
    }

    pub fn decrypt_bytes(&self, data: &[u8]) -> anyhow::Result<Vec<u8>> {
        if data.len() < 12 {
            bail!("ciphertext too short");
        }
        let (nonce, ct) = data.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| anyhow::anyhow!("cannot decrypt: wrong key file or damaged data"))
    }

    /// Hex HMAC of a normalised value, for exact lookups and uniqueness.
    pub fn lookup_hash(&self, kind: &str, value: &str) -> String {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.mac_key).expect("HMAC takes any key length");
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The key the audit chain is sealed with: derived from the lookup key, so
    /// it lives only in the key file, and never equal to any lookup hash.
    pub fn audit_key(&self) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.mac_key).expect("HMAC takes any key length");
        mac.update(b"gongjiang audit chain v1");
        mac.finalize().into_bytes().into()
    }

    /// Identifies the key without revealing it; kept in the database so a
    /// wrong key file is refused instead of writing unreadable data.
    pub fn fingerprint(&self) -> String {
        self.lookup_hash("fingerprint", "gongjiang")[..16].to_string()
    }
}

fn decode32(v: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(v.trim()).context("key is not hex")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("key must be 32 bytes"))
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_fresh_nonce() {
        let k = Keyring::generate();
        let a = k.encrypt("11010519491231002X");
        let b = k.encrypt("11010519491231002X");
        assert_ne!(a, b);
        assert_eq!(k.decrypt(&a).unwrap(), "11010519491231002X");
        assert!(Keyring::generate().decrypt(&a).is_err());
        assert_eq!(k.lookup_hash("id", "x"), k.lookup_hash("id", "x"));
        assert_ne!(k.lookup_hash("id", "x"), k.lookup_hash("phone", "x"));
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.key");
        assert!(Keyring::load_or_create(&p, false).is_err());
        let (k1, created) = Keyring::load_or_create(&p, true).unwrap();
        assert!(created);
        let (k2, created) = Keyring::load_or_create(&p, true).unwrap();
        assert!(!created);
        assert_eq!(k1.fingerprint(), k2.fingerprint());
    }
}
