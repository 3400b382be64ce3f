//! The trust registry: parsed and checked once, shared by verifiers and cases.

use crate::convert::{bytes, document, timestamp, to_js, Bytes, FormObject, RegistryObject};
use crate::error::{argument, JsResult, OrThrow};
use std::rc::Rc;
use tongban::calendar::CalendarDate;
use tongban::{AgreementId, ItemCode, NodeId};
use wasm_bindgen::prelude::*;

/// A verified trust registry (§15): members and their keys, agreements, catalogues with
/// form schemas, and the working-day calendar. Parse it once and pass it to every
/// `Verifier` and `Case`.
#[wasm_bindgen(js_name = Registry)]
pub struct JsRegistry(pub(crate) Rc<tongban::registry::Registry>);

#[wasm_bindgen(js_class = Registry)]
impl JsRegistry {
    /// Loads a registry already trusted (a stored copy that passed `bootstrap` or
    /// `update` before): signatures and consistency are checked, expiry is not.
    pub fn load(text: &Bytes) -> JsResult<JsRegistry> {
        let registry = tongban::registry::Registry::load_trusted(&bytes(text, "registry")?);
        Ok(JsRegistry(Rc::new(registry.or_throw()?)))
    }

    /// Trusts a registry for the first time: signed by its own operators' threshold
    /// and not expired at `now` (default now).
    pub fn bootstrap(text: &Bytes, now: Option<String>) -> JsResult<JsRegistry> {
        let now = timestamp(now)?;
        let registry = tongban::registry::Registry::bootstrap(&bytes(text, "registry")?, &now);
        Ok(JsRegistry(Rc::new(registry.or_throw()?)))
    }

    /// The next registry, accepted only as this one's operators allow (§16): a higher
    /// version, not expired at `now`, signed by enough of the current operators.
    pub fn update(&self, text: &Bytes, now: Option<String>) -> JsResult<JsRegistry> {
        let now = timestamp(now)?;
        let next = self.0.update(&bytes(text, "registry")?, &now).or_throw()?;
        Ok(JsRegistry(Rc::new(next)))
    }

    /// The registry's version.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> f64 {
        // Versions are below 2^53 (the registry's numbers are safe integers).
        self.0.version() as f64
    }

    /// SHA-256 of the registry's canonical bytes.
    #[wasm_bindgen(getter)]
    pub fn sha256(&self) -> String {
        self.0.digest().to_string()
    }

    /// The registry document.
    pub fn document(&self) -> JsResult<RegistryObject> {
        Ok(to_js(self.0.document())?.unchecked_into())
    }

    /// Checks form data against the form schema of `item` under `agreement`, as the
    /// receiver will: throws `item.form_invalid` naming the first field at fault, or
    /// `item.unknown` for an item outside the agreement's catalogue.
    #[wasm_bindgen(js_name = checkForm)]
    pub fn check_form(&self, agreement: &str, item: &str, form: &FormObject) -> JsResult<()> {
        let agreement = AgreementId::parse(agreement).or_throw()?;
        let item = ItemCode::parse(item).or_throw()?;
        let serde_json::Value::Object(form) = document(form, "form data")? else {
            return Err(argument("form data must be an object"));
        };
        self.0.check_form(&agreement, &item, &form).or_throw()
    }

    /// The day `workingDays` working days after `date` (YYYY-MM-DD) on the registry's
    /// calendar (§19).
    #[wasm_bindgen(js_name = addWorkingDays)]
    pub fn add_working_days(&self, date: &str, working_days: u32) -> JsResult<String> {
        let day = CalendarDate::parse(date).or_throw()?;
        let due = self
            .0
            .calendar()
            .add_working_days(day, working_days)
            .or_throw()?;
        Ok(due.to_string())
    }

    /// The version a message from `a` to `b` is written in (§20): the highest both list
    /// that this package writes, if any.
    pub fn negotiate(&self, a: &str, b: &str) -> JsResult<Option<String>> {
        let a = NodeId::parse(a).or_throw()?;
        let b = NodeId::parse(b).or_throw()?;
        Ok(self.0.negotiate(&a, &b).map(|v| v.to_string()))
    }
}
