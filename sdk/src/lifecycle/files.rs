//! The files of a case under protocol 1.1 (§23): what each message of a track
//! references, the per-file and per-case limits, and `files_received`, by which the
//! receiver of a message says it holds every file the message references. For a
//! transfer with materials, that is when the time limit starts (§19).

use super::{Case, Track};
use crate::calendar::CalendarDate;
use crate::error::{Error, LifecycleError};
use crate::id::{MessageId, NodeId};
use crate::message::{Envelope, FileRef, FilesReceived};
use serde::{Deserialize, Serialize};

/// The files one message of a track references (messages of protocol 1.1 or later).
/// (Lists, not maps: a track has few such messages, and the WASM build stays small.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFiles {
    /// The message.
    pub message: MessageId,
    /// The message's receiver, the one who fetches the files and says so.
    pub receiver: NodeId,
    /// The references, as the message gives them: (1.1) those of a body opened or
    /// sealed here with their files' keys (§24.6), which a case kept at rest beside the
    /// sealed bytes must not keep ([`crate::mask::clear_file_keys`]).
    pub references: Vec<FileRef>,
    /// Whether a `files_received` answered the message.
    #[serde(default)]
    pub acknowledged: bool,
}

/// Whether file exchange applies to `envelope`: its protocol is 1.1 or later.
pub(super) fn exchanges_files(envelope: &Envelope) -> bool {
    envelope.protocol >= crate::file::SINCE
}

impl Case {
    /// Checks the limits of §23.6 for `envelope`'s files with those the case's messages
    /// referenced already (protocol 1.1 or later; 1.0 messages are not limited).
    pub(super) fn check_file_limits(&self, envelope: &Envelope) -> Result<(), Error> {
        if !exchanges_files(envelope) {
            return Ok(());
        }
        let known = self
            .tracks
            .iter()
            .flat_map(|t| &t.files)
            .flat_map(|f| &f.references);
        let new = crate::file::references(&envelope.body);
        crate::file::check_limits(known.chain(new)).map_err(Error::from)
    }
}

impl Track {
    /// Records the files `envelope` references, if file exchange applies to it.
    pub(super) fn record_files(&mut self, envelope: &Envelope) {
        let references = crate::file::references(&envelope.body);
        if !exchanges_files(envelope) || references.is_empty() {
            return;
        }
        self.files.push(MessageFiles {
            message: envelope.id.clone(),
            receiver: envelope.to.clone(),
            references: references.into_iter().cloned().collect(),
            acknowledged: false,
        });
    }

    /// The files of message `id` of the track, if it references any.
    fn files_of(&self, id: Option<&MessageId>) -> Option<&MessageFiles> {
        id.and_then(|id| self.files.iter().find(|f| &f.message == id))
    }

    /// The day the time limit runs from: the day the authority said it holds the
    /// transfer's files, for a 1.1 transfer with materials; else the receipt's day.
    pub fn clock_starts_on(&self) -> Option<CalendarDate> {
        if self.awaits_files {
            self.files_received_on
        } else {
            self.received_on
        }
    }

    /// Checks a `files_received` against the track, in the order of §23.5: it answers
    /// a message of the track that references files (`message.not_an_answer`), comes
    /// from that message's receiver (`lifecycle.wrong_party`), lists exactly its files,
    /// each once (`message.not_an_answer`), and is the first for that message
    /// (`lifecycle.illegal_transition`).
    pub(super) fn check_files_received(
        &self,
        envelope: &Envelope,
        body: &FilesReceived,
        message_type: &str,
    ) -> Result<(), Error> {
        let answered = envelope.in_reply_to.as_ref();
        let files = self.files_of(answered);
        let not_an_answer = |reason| Track::not_an_answer(answered, reason);
        let Some(files) = files else {
            return Err(not_an_answer(
                "answers no message of the track that references files",
            ));
        };
        if envelope.from != files.receiver {
            return Err(LifecycleError::WrongParty {
                message_type: message_type.to_string(),
                sender: envelope.from.to_string(),
            }
            .into());
        }
        // The same set: no digest twice, each one referenced, each referenced one listed.
        let listed = &body.files;
        let twice = listed
            .iter()
            .enumerate()
            .any(|(i, digest)| listed[..i].contains(digest));
        // (§24.6) A sealed file by the digest of its sealed bytes, which hops may read.
        let referenced = |digest| files.references.iter().any(|r| r.address() == digest);
        let all_listed = files
            .references
            .iter()
            .all(|r| listed.contains(r.address()));
        if twice || !listed.iter().all(referenced) || !all_listed {
            return Err(not_an_answer(
                "files differs from the digests the answered message references",
            ));
        }
        if files.acknowledged {
            return Err(self.illegal(message_type));
        }
        Ok(())
    }

    /// Applies an accepted `files_received`: its message is acknowledged, and for the
    /// transfer's files the time limit starts on the day it was created.
    pub(super) fn apply_files_received(&mut self, envelope: &Envelope) {
        let Some(answered) = envelope.in_reply_to.as_ref() else {
            return;
        };
        if let Some(files) = self.files.iter_mut().find(|f| &f.message == answered) {
            files.acknowledged = true;
        }
        if answered == &self.transfer && self.files_received_on.is_none() {
            self.files_received_on = Some(CalendarDate::in_china(&envelope.created));
        }
    }
}
