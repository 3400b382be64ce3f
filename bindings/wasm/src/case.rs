//! A case's lifecycle on the portal's side: verified messages applied in order.

use crate::convert::{timestamp, to_js, CaseStatusName, ItemStateName, TrackList};
use crate::error::{JsResult, OrThrow};
use crate::registry::JsRegistry;
use crate::verify::VerifiedMessage;
use tongban::calendar::CalendarDate;
use tongban::CaseId;
use wasm_bindgen::prelude::*;

/// A case: one track per transferred item, each following the lifecycle of §18.
#[wasm_bindgen(js_name = Case)]
pub struct JsCase(tongban::lifecycle::Case);

#[wasm_bindgen(js_class = Case)]
impl JsCase {
    /// An empty case.
    #[wasm_bindgen(constructor)]
    pub fn new(case_id: &str) -> JsResult<JsCase> {
        Ok(JsCase(tongban::lifecycle::Case::new(
            CaseId::parse(case_id).or_throw()?,
        )))
    }

    /// Applies a verified message; returns the new state of the item it moved. An
    /// illegal step throws (`lifecycle.*`) and changes nothing.
    pub fn apply(
        &mut self,
        message: &VerifiedMessage,
        registry: &JsRegistry,
    ) -> JsResult<ItemStateName> {
        let state = self.0.apply(&message.0, &registry.0).or_throw()?;
        Ok(JsValue::from_str(state.as_str()).unchecked_into())
    }

    /// The window that opened the case (with the case id, its identity, §18); `undefined`
    /// until a transfer is applied. A message of another window's case with the same id
    /// throws `lifecycle.other_window`.
    #[wasm_bindgen(getter)]
    pub fn window(&self) -> Option<String> {
        self.0.window().map(|node| node.to_string())
    }

    /// The aggregate status: `empty`, `in_progress`, `decided` or `completed`.
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> CaseStatusName {
        let status = match self.0.status() {
            tongban::lifecycle::CaseStatus::Empty => "empty",
            tongban::lifecycle::CaseStatus::InProgress => "in_progress",
            tongban::lifecycle::CaseStatus::Decided => "decided",
            tongban::lifecycle::CaseStatus::Completed => "completed",
        };
        JsValue::from_str(status).unchecked_into()
    }

    /// The tracks with their deadlines on the day (China time) of `now` (default now),
    /// on the registry's calendar (§19); `deadline` is null until the case is received,
    /// `committed_deadline` (1.1) also when the item promises no shorter limit,
    /// `theme_deadline` (1.1) also for a track of no theme (一事联办), and
    /// `rectification_deadline` (1.1) until a poor evaluation opens a rectification.
    pub fn tracks(&self, registry: &JsRegistry, now: Option<String>) -> JsResult<TrackList> {
        let today = CalendarDate::in_china(&timestamp(now)?);
        let mut tracks = Vec::new();
        for track in self.0.tracks() {
            let calendar = registry.0.calendar();
            let deadline = track.deadline(today, calendar).or_throw()?;
            let committed = track.committed_deadline(today, calendar).or_throw()?;
            let theme = track.theme_deadline(today, calendar).or_throw()?;
            let rectification = track.rectification_deadline(today, calendar).or_throw()?;
            let mut value = serde_json::to_value(track).map_err(crate::error::argument)?;
            value["deadline"] = serde_json::to_value(deadline).map_err(crate::error::argument)?;
            value["committed_deadline"] =
                serde_json::to_value(committed).map_err(crate::error::argument)?;
            value["theme_deadline"] =
                serde_json::to_value(theme).map_err(crate::error::argument)?;
            value["rectification_deadline"] =
                serde_json::to_value(rectification).map_err(crate::error::argument)?;
            tracks.push(value);
        }
        Ok(to_js(&tracks)?.unchecked_into())
    }
}
