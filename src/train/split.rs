//! Which split (train, dev, test) a data file's rows belong to: their
//! packages', so that data cannot be passed off as another split by
//! renaming a file. Evaluation records it; the rules
//! ([`super::rules`]) act on it.

use std::path::Path;

use super::data::Row;
use super::dataset::{split_for, Split};
use super::error::TrainError;

/// Which split a data file holds, from its rows' packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSplit {
    Train,
    Dev,
    Test,
    /// Rows without a `package` (the user's own data): no rule applies.
    Unknown,
}

impl DataSplit {
    pub fn as_str(self) -> &'static str {
        match self {
            DataSplit::Train => "train",
            DataSplit::Dev => "dev",
            DataSplit::Test => "test",
            DataSplit::Unknown => "unknown",
        }
    }
}

/// The split of `rows`. Rows of different splits in one file are an error:
/// a score over them would mean nothing.
pub fn data_split(path: &Path, rows: &[Row]) -> Result<DataSplit, TrainError> {
    let mut found: Option<DataSplit> = None;
    for row in rows {
        let split = match row.package.as_deref() {
            Some(p) => match split_for(p) {
                Split::Train => DataSplit::Train,
                Split::Dev => DataSplit::Dev,
                Split::Test => DataSplit::Test,
            },
            None => DataSplit::Unknown,
        };
        match found {
            None => found = Some(split),
            Some(f) if f == split => {}
            Some(f) => {
                return Err(TrainError::Settings(format!(
                    "{} mixes {} and {} rows (the split is the package's); score each split \
                     on its own",
                    path.display(),
                    f.as_str(),
                    split.as_str()
                )))
            }
        }
    }
    Ok(found.unwrap_or(DataSplit::Unknown))
}
