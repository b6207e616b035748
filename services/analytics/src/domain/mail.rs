//! Mail the service sends: password resets, invitations, scheduled reports.

/// One message to one address: a text body and at most one attachment.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// An attached file (a report's PDF).
    pub attachment: Option<Attachment>,
}

/// A file attached to a mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// File name shown to the recipient.
    pub filename: String,
    /// MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// The password-reset message.
pub fn reset(to: &str, link: &str, valid_minutes: u64) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Reset your fleet platform password".to_owned(),
        text: format!(
            "Someone (hopefully you) asked to reset the password of {to} on the fleet platform.\n\n\
             Set a new password here (the link works once, for {valid_minutes} minutes):\n{link}\n\n\
             If you did not ask for this, ignore this message: your password is unchanged."
        ),
        attachment: None,
    }
}

/// The invitation message.
pub fn invitation(to: &str, inviter: &str, org: &str, link: &str, valid_hours: u64) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "You are invited to the fleet platform".to_owned(),
        text: format!(
            "{inviter} invited you to organization {org} on the fleet platform.\n\n\
             Choose your password here (the link works once, for {valid_hours} hours):\n{link}\n"
        ),
        attachment: None,
    }
}
