//! Errors of the C-MAPSS pipeline.

use std::path::PathBuf;

/// Everything that can go wrong reading data, training, or loading an artifact.
#[derive(Debug, thiserror::Error)]
pub enum CmapssError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error (in the message, so not also reported as a source).
        error: std::io::Error,
    },
    /// A line of a data file is malformed.
    #[error("{source_name}:{line}: {message}")]
    Parse {
        /// The file (or other source) name.
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The data are well-formed but unusable (e.g. empty, mismatched lengths).
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// A learner failed.
    #[error("training failed: {0}")]
    Training(String),
    /// An artifact could not be written or read, or is of an unsupported version.
    #[error("artifact {path}: {message}")]
    Artifact {
        /// The artifact file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Result alias of this module.
pub type Result<T> = std::result::Result<T, CmapssError>;
