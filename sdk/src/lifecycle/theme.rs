//! Themes (一事联办, 1.1): the transfers of a case handled under a theme name it, one
//! track per item, hand its shared materials in as one set, and each track is also due
//! within the theme's overall limit (§18, §19).

use super::{Case, Track};
use crate::error::{Error, LifecycleError, RouteError};
use crate::id::{AgreementId, ItemCode};
use crate::message::{FileRef, Transfer};
use crate::registry::Registry;
use serde::{Deserialize, Serialize};

/// (1.1) What a track of a theme keeps of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeTrack {
    /// The theme's code.
    pub code: ItemCode,
    /// The theme's overall limit in working days, as the registry gave it when the
    /// transfer was applied.
    pub time_limit_working_days: u32,
    /// The theme's shared materials that the track's transfer handed in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_materials: Vec<FileRef>,
}

impl Case {
    /// What a track opened by `transfer` under `agreement` keeps of its theme, once
    /// the transfer fits the case: the case's transfers all name the same theme (or
    /// none), and a shared material is the same file in each transfer that hands it in
    /// (`lifecycle.theme_mismatch`).
    pub(super) fn theme_of(
        &self,
        transfer: &Transfer,
        agreement: &AgreementId,
        registry: &Registry,
    ) -> Result<Option<ThemeTrack>, Error> {
        let mismatch = |reason: String| -> Error {
            LifecycleError::ThemeMismatch {
                case: self.id.to_string(),
                reason,
            }
            .into()
        };
        let code_of = |track: &Track| track.theme.as_ref().map(|t| t.code.clone());
        if let Some(other) = self.tracks.iter().find(|t| code_of(t) != transfer.theme) {
            let named = |code: Option<ItemCode>| match code {
                Some(code) => format!("theme {code}"),
                None => "no theme".into(),
            };
            return Err(mismatch(format!(
                "it names {} where the transfer of item {} names {}",
                named(transfer.theme.clone()),
                other.item,
                named(code_of(other)),
            )));
        }
        let Some(code) = &transfer.theme else {
            return Ok(None);
        };
        let theme = registry
            .theme(agreement, code)
            .filter(|theme| theme.items.contains(&transfer.item))
            .ok_or_else(|| RouteError::NotInTheme {
                theme: code.to_string(),
                item: transfer.item.to_string(),
                agreement: agreement.to_string(),
            })?;
        let shared: Vec<FileRef> = transfer
            .materials
            .iter()
            .filter(|file| theme.shared_materials.contains(&file.name))
            .cloned()
            .collect();
        for file in &shared {
            let differs = self
                .tracks
                .iter()
                .filter_map(|t| t.theme.as_ref().map(|theme| (t, theme)))
                .find_map(|(t, theme)| {
                    theme
                        .shared_materials
                        .iter()
                        .any(|held| held.name == file.name && held.sha256 != file.sha256)
                        .then_some(t)
                });
            if let Some(other) = differs {
                return Err(mismatch(format!(
                    "shared material {:?} is another file than the one the transfer of item {} handed in",
                    file.name, other.item
                )));
            }
        }
        Ok(Some(ThemeTrack {
            code: code.clone(),
            time_limit_working_days: theme.time_limit_working_days,
            shared_materials: shared,
        }))
    }
}
