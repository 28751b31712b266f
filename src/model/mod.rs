//! Plain typed values that the reasoning and simulation layers work on; nothing in here knows
//! the store, HTTP or the terminal.

pub mod logical;
pub mod math;
pub mod network;
pub mod reactions;

pub use network::{Edge, Network, NetworkBuilder, Node, NodeId, Sign};
