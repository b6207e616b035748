//! A claim's life: submitted → validating → approved / rejected / needs_review →
//! (a reviewer decides) → paid or closed. Only the moves listed here are allowed.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a claim is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Filed, not yet looked at.
    Submitted,
    /// Coverage and analysis running.
    Validating,
    /// Covered and approved (automatically or by a reviewer).
    Approved,
    /// Refused (not covered, or by a reviewer).
    Rejected,
    /// Waiting for a reviewer.
    NeedsReview,
    /// Approved and paid out.
    Paid,
    /// Done with (after a decision or payment).
    Closed,
}

impl ClaimStatus {
    /// Every status.
    pub const ALL: [Self; 7] = [
        Self::Submitted,
        Self::Validating,
        Self::Approved,
        Self::Rejected,
        Self::NeedsReview,
        Self::Paid,
        Self::Closed,
    ];

    /// The wire and column name, e.g. `needs_review`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Validating => "validating",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::NeedsReview => "needs_review",
            Self::Paid => "paid",
            Self::Closed => "closed",
        }
    }

    /// The status named `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether a claim may move from `self` to `to`.
    pub fn can_become(self, to: Self) -> bool {
        use ClaimStatus::{Approved, Closed, NeedsReview, Paid, Rejected, Submitted, Validating};
        matches!(
            (self, to),
            (Submitted, Validating)
                | (Validating, Approved | Rejected | NeedsReview)
                | (NeedsReview, Approved | Rejected)
                | (Approved, Paid | Closed)
                | (Rejected | Paid, Closed)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::ClaimStatus::*;
    use super::*;

    #[test]
    fn only_the_listed_moves_are_allowed() {
        assert!(Submitted.can_become(Validating));
        assert!(Validating.can_become(NeedsReview));
        assert!(NeedsReview.can_become(Approved));
        assert!(Approved.can_become(Paid));
        assert!(Paid.can_become(Closed));
        assert!(Rejected.can_become(Closed));
        assert!(!Submitted.can_become(Approved));
        assert!(!Rejected.can_become(Paid));
        assert!(!Paid.can_become(Approved));
        assert!(!Closed.can_become(Submitted));
        assert!(!NeedsReview.can_become(Paid));
    }

    #[test]
    fn names_round_trip() {
        for s in ClaimStatus::ALL {
            assert_eq!(ClaimStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(ClaimStatus::parse("lost"), None);
    }
}
