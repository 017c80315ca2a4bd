//! One file of a package, as fetching reads it and the licence reader and
//! the file selection look at it.

/// One file of a package, with its path inside the package.
#[derive(Debug, Clone)]
pub struct PackageFile {
    pub path: String,
    pub bytes: Vec<u8>,
}
