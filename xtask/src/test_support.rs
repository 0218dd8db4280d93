//! What the unit tests share. The end-to-end tests (`tests/e2e`) have their own.

use std::path::PathBuf;

/// A folder under the system temp dir, removed on drop (kept with KEEP_TEST_DIRS=1).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("xtask-unit-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A crate at `dir` (named after its last folder), version 1.0.0, no dependencies.
pub fn package(dir: &str) -> crate::workspace::Package {
    crate::workspace::Package {
        name: dir.rsplit('/').next().unwrap_or(dir).to_string(),
        ecosystem: crate::version::Ecosystem::Cargo,
        dir: dir.to_string(),
        manifest: format!("{dir}/Cargo.toml"),
        version_text: "1.0.0".into(),
        version: None,
        version_source: crate::workspace::VersionSource::Manifest,
        unpublishable: None,
        deps: vec![],
        description: None,
        license: true,
        built_from: None,
    }
}
