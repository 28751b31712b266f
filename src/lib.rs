//! # twinpath
//!
//! A knowledge-graph and pathway reasoning engine for virtual human twins: one RDF store
//! holds curated biology and patient twins, reachable through SPARQL, a command line and an
//! HTTP API. Everything goes through one [`Engine`].
//!
//! A first walk, on an in-memory store with the bundled content:
//!
//! ```
//! use twinpath::{Engine, QueryAnswer, QueryLimits, store::{Dataset, NoProgress}};
//!
//! let engine = Engine::in_memory(QueryLimits::default())?;
//! let loaded = engine.load_bundled(&NoProgress)?;
//! assert!(loaded.triples() > 0);
//!
//! // Each source has its own named graph; the catalog records every load.
//! let answer = engine.query(
//!     "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
//!     &Dataset::default(),
//! )?;
//! let QueryAnswer::Solutions { rows, .. } = answer else { unreachable!() };
//! assert!(rows.len() == 1);
//!
//! // The curated maps are validated when they load. RDFS entailment adds what the vocabulary
//! // implies: ERBB2 is curated as an oncogene, and so is a biological entity.
//! let entailed = engine.query(
//!     "PREFIX tw: <https://twinpath.org/ns#> PREFIX gene: <https://twinpath.org/id/gene/>
//!      ASK { gene:ERBB2 a tw:Oncogene, tw:BiologicalEntity }",
//!     &Dataset::default(),
//! )?;
//! assert_eq!(entailed, QueryAnswer::Boolean(true));
//!
//! // The vocabulary is queryable like everything else.
//! let genes = engine.query(
//!     "PREFIX tw: <https://twinpath.org/ns#> ASK { tw:Gene a ?kind }",
//!     &Dataset::default(),
//! )?;
//! assert_eq!(genes, QueryAnswer::Boolean(true));
//! # Ok::<_, twinpath::Error>(())
//! ```

pub mod api;
pub mod cli;
pub mod engine;
pub mod error;
pub mod import;
pub mod model;
pub mod queries;
pub mod reason;
pub mod search;
pub mod sim;
pub mod store;
pub mod twin;
pub mod vocab;

pub use engine::Engine;
pub use error::{Error, Result};
pub use store::{QueryAnswer, QueryLimits};
