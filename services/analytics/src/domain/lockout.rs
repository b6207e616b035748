//! Backoff after failed logins: the first `after` failures cost nothing; each further
//! one locks the address for `base`, doubled per failure, at most an hour.

use std::time::Duration;

/// Longest lock.
pub const MAX_LOCK: Duration = Duration::from_secs(3600);

/// How long to lock after the `failures`-th consecutive failure (`None`: no lock yet).
pub fn lock_for(failures: u32, after: u32, base: Duration) -> Option<Duration> {
    let beyond = failures.checked_sub(after)?;
    let factor = 1u32.checked_shl(beyond.min(20)).unwrap_or(u32::MAX);
    Some(base.saturating_mul(factor).min(MAX_LOCK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_at_the_threshold_double_and_are_capped() {
        let base = Duration::from_secs(60);
        assert_eq!(lock_for(4, 5, base), None);
        assert_eq!(lock_for(5, 5, base), Some(Duration::from_secs(60)));
        assert_eq!(lock_for(6, 5, base), Some(Duration::from_secs(120)));
        assert_eq!(lock_for(8, 5, base), Some(Duration::from_secs(480)));
        assert_eq!(lock_for(500, 5, base), Some(MAX_LOCK));
    }
}
