//! Callers are never stored in clear: durable stores key them by
//! HMAC-SHA256 with a secret from the configuration.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The secret that turns a caller id into the key it is stored under.
#[derive(Clone)]
pub struct CallerKey(Vec<u8>);

impl std::fmt::Debug for CallerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallerKey(..)")
    }
}

impl CallerKey {
    /// A key from a secret; `None` when the secret is shorter than 16 bytes.
    pub fn new(secret: &[u8]) -> Option<CallerKey> {
        (secret.len() >= 16).then(|| CallerKey(secret.to_vec()))
    }

    /// The stored form of a caller id (lower-case hex).
    pub fn hash(&self, caller: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(caller.trim().as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_stable_and_not_the_caller() {
        let k = CallerKey::new(b"0123456789abcdef0123").unwrap();
        let h = k.hash("13800000000");
        assert_eq!(h.len(), 64);
        assert_eq!(h, k.hash(" 13800000000 "));
        assert!(!h.contains("13800000000"));
        let other = CallerKey::new(b"another secret of enough length").unwrap();
        assert_ne!(h, other.hash("13800000000"));
        assert!(CallerKey::new(b"short").is_none());
    }
}
