//! The terminal UI's model: a pure state machine ([`update`]) that turns
//! events into state and [`Effect`]s, the keymap, and the geometry both
//! `update` and `ui` compute with. No IO: the runtime that reads events,
//! performs effects and draws is `crate::tui`, one layer up.
//!
//! ```text
//! input thread ──┐                         ┌─► store / clipboard / $EDITOR
//! tick thread ───┤                         │   enrichment queue, model
//! search worker ─┤                         │   (tui: the runtime)
//! library sync ──┼─► AppEvent ─► update ─► Effect
//! watcher ───────┤   (one channel)  │
//! enrich worker ─┤                  └─► AppState ─► ui::draw
//! model download ┘
//! ```

mod effect;
mod enrich;
mod event;
mod input;
pub mod keymap;
mod keys;
pub mod layout;
pub mod matching;
mod navigate;
mod state;
#[cfg(test)]
pub(crate) mod testkit;
pub mod text;
mod update;

pub use effect::Effect;
pub use enrich::{
    capitalized, field_text, EnrichPhase, EnrichStatus, FieldValue, FieldsDialog, ModelState,
};
pub use event::{AppEvent, EditorOutcome, IndexStatus};
pub use input::{Edit, LineInput};
pub use state::{AppState, ConfirmDelete, Message, Mode, Screen, TagPicker};
pub use update::update;
