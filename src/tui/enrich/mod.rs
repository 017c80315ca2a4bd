//! Enrichment as the runtime does it: the handle on the worker the caller
//! started ([`EnrichControl`]: pause, wake, stop, queue regeneration, fetch
//! the model) and the effects that use it.

mod control;
mod effects;

pub use control::{declined_marker, EnrichControl};
