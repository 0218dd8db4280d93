//! The local registries live in the `bench` crate, shared with the release
//! benchmark: see bench/src/registries.rs.

use std::path::Path;

pub use bench::registries::*;

pub fn sha256_file(path: &Path) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}
