//! What can go wrong, and whether it was the caller's input or the work itself.
//!
//! One `Error` for the whole crate; each area contributes variants. The CLI maps
//! [`Error::is_bad_input`] to exit code 2 and everything else to 1, the HTTP API maps
//! variants to status codes in `api/`.

use std::path::PathBuf;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in a file a syntax error sits (1-based, as editors count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file (or bundled resource) could not be parsed; nothing was written.
    #[error("{}{}: {message}", file.display(), position.map(|p| format!(":{}:{}", p.line, p.column)).unwrap_or_default())]
    Syntax {
        file: PathBuf,
        position: Option<Position>,
        message: String,
    },

    /// Reading a file failed.
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The caller asked for something that does not make sense (unknown format, bad IRI, …).
    #[error("{0}")]
    BadInput(String),

    /// A named query, graph or resource that does not exist.
    #[error("{0}")]
    NotFound(String),

    /// A SPARQL query or update that does not parse.
    #[error("SPARQL syntax error: {0}")]
    QuerySyntax(#[from] oxigraph::sparql::SparqlSyntaxError),

    /// A query that failed while it was evaluated.
    #[error("query evaluation failed: {0}")]
    QueryEvaluation(#[from] oxigraph::sparql::QueryEvaluationError),

    /// An update that failed while it was applied (nothing was changed).
    #[error("update failed: {0}")]
    UpdateEvaluation(#[from] oxigraph::sparql::UpdateEvaluationError),

    /// A query ran past its time limit and was cancelled.
    #[error("the query ran longer than the limit of {0:?} and was cancelled; narrow it (LIMIT, more specific patterns) or raise --query-timeout")]
    QueryTimeout(std::time::Duration),

    /// A query produced more results than the configured limit.
    #[error("the result has more than {0} rows or triples; add a LIMIT or raise --max-results")]
    ResultTooLarge(usize),

    /// The storage layer failed (disk, corruption, lock held by another process, …).
    #[error("store error: {0}")]
    Storage(#[from] oxigraph::store::StorageError),

    /// The search index failed.
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),

    /// Curated content that breaks the curation rules (shapes, references, duplicates); nothing was written.
    #[error("{0}")]
    Invalid(Box<crate::store::ValidationReport>),

    /// The validator itself could not run (the bundled shapes failed to compile, …).
    #[error("validation could not run: {0}")]
    Validation(String),

    /// A model that cannot be compiled (a construct that is not supported) or a simulation
    /// that failed (the solver did not converge, events loop); the message names the cause.
    #[error("{0}")]
    Simulation(String),

    /// Writing a result failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// True when the caller's input is at fault (exit code 2), false when the work failed (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Syntax { .. }
                | Error::Read { .. }
                | Error::BadInput(_)
                | Error::NotFound(_)
                | Error::Invalid(_)
        )
    }
}
