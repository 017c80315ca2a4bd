pub mod enrich;
