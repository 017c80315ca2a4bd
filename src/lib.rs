
pub mod enrich;
