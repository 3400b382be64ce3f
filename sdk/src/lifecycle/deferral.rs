//! Materials accepted as missing (容缺受理, 1.1): a track keeps what its transfer deferred
//! until a supplement hands it in, takes such a supplement while the case is pending,
//! and refuses an approving decision while anything is outstanding (§18).

use super::Track;
use crate::error::{Error, LifecycleError};
use crate::message::{Body, Decision, DecisionOutcome, DeferredMaterial, Envelope, Transfer};

impl Track {
    /// What `transfer` defers, outstanding from the start.
    pub(super) fn deferred_by(transfer: &Transfer) -> Vec<DeferredMaterial> {
        transfer.deferred_materials.clone().unwrap_or_default()
    }

    /// Whether `body` is a supplement that hands in an outstanding material while the
    /// track is pending: it is taken there without changing the state (in
    /// `supplement_requested`, where the transition table takes every supplement, it
    /// moves the track to `supplemented` as any does).
    pub(super) fn hands_in_outstanding(&self, body: &Body) -> bool {
        let Body::Supplement(supplement) = body else {
            return false;
        };
        self.state.is_pending()
            && supplement.materials.iter().any(|file| {
                let name = file.name.as_str();
                self.outstanding_materials
                    .iter()
                    .any(|d| d.material == name)
            })
    }

    /// Refuses an approving decision while a deferred material is outstanding
    /// (`lifecycle.materials_outstanding`); a refusal is always allowed.
    pub(super) fn check_outstanding(&self, body: &Body) -> Result<(), Error> {
        let approves = matches!(
            body,
            Body::Decision(Decision {
                outcome: DecisionOutcome::Approved,
                ..
            })
        );
        if !approves || self.outstanding_materials.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = (self.outstanding_materials.iter())
            .map(|d| d.material.as_str())
            .collect();
        Err(LifecycleError::MaterialsOutstanding {
            materials: names.join(", "),
        }
        .into())
    }

    /// Strikes off the outstanding materials a supplement hands in.
    pub(super) fn record_handed_in(&mut self, envelope: &Envelope) {
        if let Body::Supplement(supplement) = &envelope.body {
            self.outstanding_materials
                .retain(|d| !supplement.materials.iter().any(|m| m.name == d.material));
        }
    }
}
