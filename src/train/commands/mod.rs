//! The trainer's command handlers: where its errors become messages and
//! exit codes, as `crate::cmd` does for the product's commands.

pub mod dataset;
pub mod label;
pub mod train;
