//! `tongban file`: file references (PROTOCOL §6, §23) for the files a message names.
//!
//! - `tongban file ref PATH` reads a file in pieces and prints its reference
//!   `{"name", "sha256", "media_type", "size"}`, ready to put in a message;
//! - `tongban file check REF PATH` checks a file against a reference (a file holding
//!   it, `-` for standard input, or the JSON itself): its size, then its SHA-256.

use crate::{io_failure, read_input, Failure, Output, PROTOCOL_READ_LIMIT, USAGE};
use clap::Subcommand;
use std::io::Read;
use std::path::{Path, PathBuf};
use tongban::file::{FileCheck, FileHasher};
use tongban::FileRef;

/// The `file` subcommands.
#[derive(Subcommand)]
pub(crate) enum FileCommand {
    /// Print the reference of a file: its name, SHA-256, media type and size.
    Ref {
        /// The file.
        path: PathBuf,
        /// What the file is, e.g. 身份证复印件 (default: the file's name without its
        /// extension).
        #[arg(long)]
        name: Option<String>,
        /// Its media type (default: from the extension: pdf, ofd, jpg, jpeg, png, tif,
        /// tiff, xml, json, txt).
        #[arg(long)]
        media_type: Option<String>,
    },
    /// Check a file against a reference: exit 0 if its size and SHA-256 match.
    Check {
        /// The reference: a file holding its JSON, `-` for standard input, or the JSON.
        reference: String,
        /// The file.
        path: PathBuf,
    },
}

/// Media types by file extension, for `file ref` without `--media-type`.
const MEDIA_TYPES: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("ofd", "application/ofd"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("xml", "application/xml"),
    ("json", "application/json"),
    ("txt", "text/plain"),
];

pub(crate) fn run(command: FileCommand) -> Result<Output, Failure> {
    match command {
        FileCommand::Ref {
            path,
            name,
            media_type,
        } => {
            let media_type = match media_type {
                Some(media_type) => media_type,
                None => media_type_of(&path)?,
            };
            let name = name.unwrap_or_else(|| {
                path.file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
            });
            let mut hasher = FileHasher::new();
            read_in_pieces(&path, |piece| {
                hasher.update(piece);
                Ok(())
            })?;
            let reference = hasher.into_reference(&name, &media_type);
            let value = serde_json::to_value(&reference).unwrap_or_default();
            Ok(Output::Value(
                format!("reference of {}", path.display()),
                value,
            ))
        }
        FileCommand::Check { reference, path } => {
            let reference = read_reference(&reference)?;
            let size = std::fs::metadata(&path)
                .map_err(|e| io_failure("read", Some(&path), e))?
                .len();
            let mut check = FileCheck::new(&reference);
            if size != reference.size {
                // Wrong size: refused without reading the file.
                return Err(
                    tongban::Error::from(tongban::error::FileError::SizeMismatch {
                        sha256: reference.sha256.to_string(),
                        expected: reference.size,
                        actual: size,
                    })
                    .into(),
                );
            }
            read_in_pieces(&path, |piece| {
                check
                    .update(piece)
                    .map_err(|e| tongban::Error::from(e).into())
            })?;
            check.finish().map_err(tongban::Error::from)?;
            let value =
                serde_json::json!({"path": path.display().to_string(), "reference": reference});
            Ok(Output::Value(
                format!("{} matches its reference", path.display()),
                value,
            ))
        }
    }
}

/// The media type of `path` by its extension.
fn media_type_of(path: &Path) -> Result<String, Failure> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    MEDIA_TYPES
        .iter()
        .find(|(known, _)| *known == extension)
        .map(|(_, media_type)| (*media_type).to_string())
        .ok_or_else(|| Failure {
            code: USAGE,
            message: format!(
                "cannot tell the media type of {} from its extension; give --media-type",
                path.display()
            ),
        })
}

/// Feeds a file to `each` in pieces of 64 KiB, never holding it whole.
fn read_in_pieces(
    path: &Path,
    mut each: impl FnMut(&[u8]) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let mut file = std::fs::File::open(path).map_err(|e| io_failure("read", Some(path), e))?;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|e| io_failure("read", Some(path), e))?;
        if read == 0 {
            return Ok(());
        }
        each(&buffer[..read])?;
    }
}

/// A reference from a file, standard input (`-`) or the JSON itself.
fn read_reference(argument: &str) -> Result<FileRef, Failure> {
    let bytes = if argument.trim_start().starts_with('{') {
        argument.as_bytes().to_vec()
    } else {
        read_input(Some(Path::new(argument)), PROTOCOL_READ_LIMIT)?
    };
    let value = tongban::json::parse(&bytes).map_err(tongban::Error::from)?;
    tongban::shape::from_value(&value).map_err(|e| Failure {
        code: "message.invalid",
        message: format!(
            "not a file reference {{\"name\", \"sha256\", \"media_type\", \"size\"}}: {e}"
        ),
    })
}
