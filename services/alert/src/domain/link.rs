//! Signed one-click acknowledge links: `{public}/v1/alerts/{alert}/ack?token=…`.
//!
//! The token is URL-safe base64 of the recipient's contact id (16 bytes), the expiry
//! (Unix seconds, 8 bytes big-endian) and an HMAC-SHA256 over the alert id, the contact
//! id and the expiry, keyed with `ALERT_LINK_SECRET`. A token for one alert does not
//! work for another; nobody without the secret can make one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

const LEN: usize = 16 + 8 + 32;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a token at all.
    #[error("the acknowledge token is malformed")]
    Malformed,
    /// The signature does not match (forged, or for another alert).
    #[error("the acknowledge token is not valid for this alert")]
    Forged,
    /// Past its expiry.
    #[error("the acknowledge link expired at {0}")]
    Expired(DateTime<Utc>),
}

/// Signs and checks acknowledge tokens.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(***)")
    }
}

impl LinkSigner {
    /// A signer with `secret`.
    pub fn new(secret: &str) -> Self {
        Self {
            key: secret.as_bytes().to_vec(),
        }
    }

    fn mac(&self, alert_id: Uuid, contact_id: Uuid, exp: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| {
            // HMAC accepts keys of any length; unreachable.
            HmacSha256::new_from_slice(b"-").unwrap_or_else(|_| unreachable!())
        });
        mac.update(b"fleet-alert-ack:v1:");
        mac.update(alert_id.as_bytes());
        mac.update(contact_id.as_bytes());
        mac.update(&exp.to_be_bytes());
        mac
    }

    /// A token acknowledging `alert_id` on behalf of `contact_id` until `expires`.
    pub fn sign(&self, alert_id: Uuid, contact_id: Uuid, expires: DateTime<Utc>) -> String {
        let exp = expires.timestamp();
        let tag = self.mac(alert_id, contact_id, exp).finalize().into_bytes();
        let mut raw = Vec::with_capacity(LEN);
        raw.extend_from_slice(contact_id.as_bytes());
        raw.extend_from_slice(&exp.to_be_bytes());
        raw.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The contact a valid token speaks for.
    pub fn verify(
        &self,
        alert_id: Uuid,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Uuid, LinkError> {
        let raw = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| LinkError::Malformed)?;
        if raw.len() != LEN {
            return Err(LinkError::Malformed);
        }
        let contact_id = Uuid::from_slice(&raw[..16]).map_err(|_| LinkError::Malformed)?;
        let mut exp_bytes = [0u8; 8];
        exp_bytes.copy_from_slice(&raw[16..24]);
        let exp = i64::from_be_bytes(exp_bytes);
        // Constant-time comparison.
        self.mac(alert_id, contact_id, exp)
            .verify_slice(&raw[24..])
            .map_err(|_| LinkError::Forged)?;
        let expires = DateTime::from_timestamp(exp, 0).ok_or(LinkError::Malformed)?;
        if now >= expires {
            return Err(LinkError::Expired(expires));
        }
        Ok(contact_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_alert_and_until_they_expire() {
        let s = LinkSigner::new("link-secret-for-tests");
        let (alert, other, contact) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let now = Utc::now();
        let t = s.sign(alert, contact, now + chrono::Duration::hours(1));
        assert_eq!(s.verify(alert, &t, now), Ok(contact));
        assert_eq!(s.verify(other, &t, now), Err(LinkError::Forged));
        assert_eq!(
            LinkSigner::new("another-secret").verify(alert, &t, now),
            Err(LinkError::Forged)
        );
        assert!(matches!(
            s.verify(alert, &t, now + chrono::Duration::hours(2)),
            Err(LinkError::Expired(_))
        ));
        assert_eq!(
            s.verify(alert, "not-a-token", now),
            Err(LinkError::Malformed)
        );
        // A flipped bit in the expiry breaks the signature.
        let mut raw = URL_SAFE_NO_PAD.decode(&t).unwrap();
        raw[20] ^= 1;
        assert_eq!(
            s.verify(alert, &URL_SAFE_NO_PAD.encode(raw), now),
            Err(LinkError::Forged)
        );
    }
}
