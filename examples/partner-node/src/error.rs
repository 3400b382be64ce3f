//! The node's own errors. Their codes never travel on the wire, except `node.storage`
//! (HTTP 500), which tells a sender to try again later.

use thiserror::Error;

/// Codes of the node's own errors, with their meaning (documented in the README).
pub const NODE_CODES: &[(&str, &str)] = &[
    (
        "node.config",
        "the configuration file, key file or registry file is missing or invalid",
    ),
    (
        "node.storage",
        "the database could not be opened, read or written",
    ),
    ("node.listen", "an address could not be bound"),
];

/// An error of the node itself.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NodeError {
    /// Bad configuration (`node.config`).
    #[error("configuration: {reason}")]
    Config {
        /// What is wrong, naming the setting.
        reason: String,
    },
    /// The database failed (`node.storage`).
    #[error("storage: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// An address could not be bound (`node.listen`).
    #[error("cannot listen on {address}: {reason}")]
    Listen {
        /// The address.
        address: String,
        /// Why.
        reason: String,
    },
}

impl NodeError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            NodeError::Config { .. } => "node.config",
            NodeError::Storage { .. } => "node.storage",
            NodeError::Listen { .. } => "node.listen",
        }
    }
}

impl From<rusqlite::Error> for NodeError {
    fn from(error: rusqlite::Error) -> Self {
        NodeError::Storage {
            reason: error.to_string(),
        }
    }
}

impl From<postgres::Error> for NodeError {
    fn from(error: postgres::Error) -> Self {
        NodeError::Storage {
            reason: error.to_string(),
        }
    }
}
