//! Topics: `{root}/{org}/{vehicle}/telemetry|batch`, and the device scope they imply.

use uuid::Uuid;

use crate::device_auth::Device;

/// What a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One canonical reading, as the body of `POST /v1/telemetry`.
    Telemetry,
    /// `{"readings": [...]}`, as the body of `POST /v1/telemetry/batch`.
    Batch,
}

/// Where a message was published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The organization (second level).
    pub org: String,
    /// The vehicle (third level).
    pub vehicle: String,
    /// The payload kind (last level).
    pub kind: Kind,
}

impl Route {
    /// The route of `topic` under `root`, if it is one of ours.
    pub fn parse(root: &str, topic: &str) -> Option<Self> {
        let rest = topic.strip_prefix(root)?.strip_prefix('/')?;
        let mut levels = rest.split('/');
        let (org, vehicle, kind) = (levels.next()?, levels.next()?, levels.next()?);
        if levels.next().is_some() || org.is_empty() || vehicle.is_empty() {
            return None;
        }
        let kind = match kind {
            "telemetry" => Kind::Telemetry,
            "batch" => Kind::Batch,
            _ => return None,
        };
        Some(Self {
            org: org.to_owned(),
            vehicle: vehicle.to_owned(),
            kind,
        })
    }

    /// The device the broker let publish here: one of the organization's, allowed this
    /// vehicle only. The broker does not tell which key it was, so the key id is nil
    /// (vehicles such a message claims are recorded as claimed by `device-key:` nil).
    pub fn device(&self) -> Device {
        Device {
            key_id: Uuid::nil(),
            org_id: self.org.clone(),
            vehicle_ids: vec![self.vehicle.clone()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_map_to_routes_and_nothing_else_does() {
        let r = Route::parse("fleet", "fleet/acme/VH-1/telemetry").unwrap();
        assert_eq!(
            (r.org.as_str(), r.vehicle.as_str(), r.kind),
            ("acme", "VH-1", Kind::Telemetry)
        );
        assert_eq!(
            Route::parse("a/b", "a/b/o/v/batch").unwrap().kind,
            Kind::Batch
        );
        for bad in [
            "fleet/acme/VH-1/other",
            "fleet/acme/VH-1/telemetry/x",
            "fleet//VH-1/telemetry",
            "fleet/acme//batch",
            "fleetx/acme/VH-1/telemetry",
            "other/acme/VH-1/telemetry",
        ] {
            assert_eq!(Route::parse("fleet", bad), None, "{bad}");
        }
        let d = r.device();
        assert!(d.allows("VH-1") && !d.allows("VH-2"));
        assert_eq!(d.org_id, "acme");
    }
}
