//! The warranty service as a tool, when `AGENT_WARRANTY_URL` is set: the vehicle's
//! claim history (`GET /v1/vehicles/{id}/claims`): what failed, when, at what odometer
//! and how the claim stands, without costs or fraud analysis (they judge the claimant,
//! not the vehicle). A part replaced recently that fails again is diagnostic evidence.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shared_runtime::auth::ServiceTokens;

use super::ToolError;
use super::health::segment;
use super::http::ServiceClient;

/// Most claims shown to a model.
const MOST: usize = 20;
/// Longest description shown, characters.
const DESCRIPTION_CHARS: usize = 200;

/// The HTTP client of the warranty service.
#[derive(Clone, Debug)]
pub struct WarrantyClient(ServiceClient);

impl WarrantyClient {
    /// A client of the warranty service at `base`.
    pub fn new(base: &str, tokens: Arc<ServiceTokens>, timeout: Duration) -> anyhow::Result<Self> {
        ServiceClient::new("warranty", base, tokens, timeout).map(Self)
    }

    /// The vehicle's warranty claims, newest first; none when warranty knows neither a
    /// contract nor a claim of it.
    pub async fn claim_history(&self, org_id: &str, vehicle_id: &str) -> Result<Value, ToolError> {
        let path = format!("/v1/vehicles/{}/claims", segment(vehicle_id));
        let query = [("org_id", org_id.to_owned()), ("limit", MOST.to_string())];
        let list = match self.0.get(&path, &query).await {
            Ok(list) => list,
            Err(ToolError::NotFound(_)) => {
                return Ok(
                    json!({"claims": [], "note": "no warranty contract or claim of this vehicle"}),
                );
            }
            Err(e) => return Err(e),
        };
        let mut claims = list
            .as_array()
            .cloned()
            .ok_or_else(|| ToolError::Unavailable("unexpected answer: not a list".to_owned()))?;
        claims.iter_mut().for_each(shorten);
        Ok(json!({ "claims": claims }))
    }
}

/// Cuts a claim's description to [`DESCRIPTION_CHARS`]: a model needs the gist.
fn shorten(claim: &mut Value) {
    if let Some(d) = claim.get("description").and_then(Value::as_str)
        && d.chars().count() > DESCRIPTION_CHARS
    {
        let cut: String = d.chars().take(DESCRIPTION_CHARS).collect();
        claim["description"] = json!(format!("{cut}…"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_description_is_cut_and_a_short_one_kept() {
        let mut long = json!({"claim_id": "c1", "description": "x".repeat(500)});
        shorten(&mut long);
        assert_eq!(
            long["description"].as_str().unwrap().chars().count(),
            DESCRIPTION_CHARS + 1
        );
        let mut short = json!({"description": "pads worn"});
        shorten(&mut short);
        assert_eq!(short["description"], "pads worn");
    }
}
