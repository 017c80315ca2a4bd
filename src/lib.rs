//! snipdex: a terminal snippet manager that knows what your snippets are about.
//!
//! ```text
//! file saved ─► watch ─► ingest ─► store (SQLite, source of truth) ─► index (tantivy, derived)
//!                                    │                                   ▲
//!                                    └─► enrichment queue (a table) ─► enrich worker ─┘
//!                                                                         │
//!  keys ─► app::update (pure) ─► tui: effects ─► store / clipboard / $EDITOR └─► AppEvent ─► ui::draw
//! ```
//!
//! SQLite ([`store`]) is the truth; the tantivy index ([`index`]) is derived
//! from it through a transactional outbox and can always be rebuilt.

pub mod app;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod domain;
pub mod editor;
pub mod enrich;
pub mod exit;
pub mod index;
pub mod ingest;
pub mod intake;
pub mod interchange;
pub mod library;
pub mod logging;
pub mod model;
pub mod paths;
pub mod store;
pub mod sync;
pub mod train;
pub mod tui;
pub mod ui;
pub mod watch;

#[cfg(unix)]
#[doc(hidden)]
pub mod testsupport;
