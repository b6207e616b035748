//! The decision consumer (group `scheduling`): each `agent.decision.made` that asks for
//! work becomes a job, booked at once when critical, offered as three options otherwise.
//! A reviewed decision (with `supersedes`) takes the place of the one it overrides.

use shared_runtime::consumer::{Handler, HandlerError};
use shared_schemas::events::DecisionMade;
use shared_schemas::{Event, RawEnvelope};

use crate::pipeline::booking::{Booker, Placed};

/// Consumer group of scheduling on the agent's decisions.
pub const GROUP: &str = "scheduling";

/// The event types scheduling books work from.
pub const EVENT_TYPES: [&str; 1] = [DecisionMade::TYPE];

/// Books decisions.
#[derive(Debug, Clone)]
pub struct DecisionConsumer {
    booker: Booker,
}

impl DecisionConsumer {
    /// A consumer booking with `booker`.
    pub fn new(booker: Booker) -> Self {
        Self { booker }
    }
}

#[async_trait::async_trait]
impl Handler for DecisionConsumer {
    async fn handle(&self, event: &RawEnvelope) -> Result<(), HandlerError> {
        let decision = event
            .decode::<DecisionMade>()
            .map_err(HandlerError::permanent)?;
        let placed = self
            .booker
            .on_decision(&decision, GROUP)
            .await
            .map_err(HandlerError::Transient)?;
        let outcome = match placed {
            Placed::Booked(id) => {
                tracing::info!(appointment = %id, vehicle = %decision.payload.vehicle_id, "critical work auto-booked");
                "booked"
            }
            Placed::Proposed(_) => "proposed",
            Placed::Planned(_) => "planned",
            Placed::Unplaceable(_) => "unplaceable",
            Placed::Nothing => "nothing",
        };
        metrics::counter!("scheduling_decisions_total", "outcome" => outcome).increment(1);
        Ok(())
    }
}
