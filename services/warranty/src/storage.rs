//! Claim documents on disk: `<data_dir>/attachments/<claim>/<sha256>`, named by their
//! checksum so a file is what its name says, and typed by their content, never by what
//! the client declared.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Most documents on one claim.
pub const MAX_DOCUMENTS: usize = 10;

/// The type of a document from its first bytes: PDF, JPEG or PNG; `None` for anything
/// else.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `s` looks like a SHA-256 in hex (a safe file name).
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The documents of the service, under one folder.
#[derive(Debug, Clone)]
pub struct Storage {
    root: PathBuf,
}

impl Storage {
    /// Documents under `<data_dir>/attachments`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("attachments"),
        }
    }

    fn path(&self, claim: Uuid, sha: &str) -> PathBuf {
        self.root.join(claim.to_string()).join(sha)
    }

    /// Writes `bytes` as a document of `claim` (through a temporary file, so a reader
    /// never sees half a document).
    pub async fn put(&self, claim: Uuid, sha: &str, bytes: &[u8]) -> std::io::Result<()> {
        let dir = self.root.join(claim.to_string());
        tokio::fs::create_dir_all(&dir).await?;
        let tmp = dir.join(format!(".{sha}.{}", Uuid::new_v4()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, self.path(claim, sha)).await
    }

    /// The bytes of document `sha` of `claim`, `None` when absent.
    pub async fn get(&self, claim: Uuid, sha: &str) -> std::io::Result<Option<Vec<u8>>> {
        if !is_sha256_hex(sha) {
            return Ok(None);
        }
        match tokio::fs::read(self.path(claim, sha)).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Removes the documents of `claim` (a filing that did not commit).
    pub async fn discard(&self, claim: Uuid) {
        let _ = tokio::fs::remove_dir_all(self.root.join(claim.to_string())).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content() {
        assert_eq!(sniff(b"%PDF-1.4\n..."), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"just some text named invoice.pdf"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn checksums_are_hex_sha256() {
        let h = sha256_hex(b"abc");
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_sha256_hex(&h));
        assert!(!is_sha256_hex("../../etc/passwd"));
    }

    #[tokio::test]
    async fn documents_round_trip() {
        let dir = std::env::temp_dir().join(format!("warranty-storage-{}", Uuid::new_v4()));
        let s = Storage::new(&dir);
        let claim = Uuid::new_v4();
        let sha = sha256_hex(b"%PDF-x");
        s.put(claim, &sha, b"%PDF-x").await.unwrap();
        assert_eq!(
            s.get(claim, &sha).await.unwrap().as_deref(),
            Some(&b"%PDF-x"[..])
        );
        assert_eq!(s.get(claim, &sha256_hex(b"other")).await.unwrap(), None);
        s.discard(claim).await;
        assert_eq!(s.get(claim, &sha).await.unwrap(), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
