//! The alert domain, free of HTTP and SQL: severities and their channels, the escalation
//! chain, recipients' preferences and quiet hours, acknowledge links and message text,
//! maintenance-planning items and their digest email, notices (appointments, warranty
//! claims).

pub mod alert;
pub mod appointment;
pub mod claim;
pub mod contact;
pub mod digest;
pub mod link;
pub mod message;
pub mod notice;
pub mod planning;
pub mod policy;
