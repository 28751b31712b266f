//! The one integration test binary: the store, the HTTP API and the command line, driven as
//! their users drive them (the real router, the real binary, RocksDB on disk).

mod common;

mod api;
mod cli;
mod curation;
mod logical;
mod ode;
mod queries;
mod reason;
mod search;
mod store;
mod twins;

mod bench;
