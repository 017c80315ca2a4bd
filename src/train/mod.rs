//! Tooling that prepares what the task adapters are trained on.

pub mod label;
