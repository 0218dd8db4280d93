//! Wheels built on a CI matrix: the platforms a native Python package ships
//! wheels for (`[matrix] platforms`), the runner and build target each one
//! takes in the generated workflow, and the names the files must have. Pure.
//!
//! A platform is a wheel platform tag (`manylinux_2_28_x86_64`,
//! `macosx_11_0_arm64`, `win_amd64`); `sdist` is the source distribution,
//! built once per package on the matrix too, so that the publishing job
//! needs no compiler.

/// What `[matrix] platforms` is when the file does not set it: what
/// maturin's own generated workflow builds, less the 32-bit targets.
pub const DEFAULT_PLATFORMS: &[&str] = &[
    "manylinux_2_28_x86_64",
    "manylinux_2_28_aarch64",
    "musllinux_1_2_x86_64",
    "macosx_10_12_x86_64",
    "macosx_11_0_arm64",
    "win_amd64",
];

/// The source distribution's entry of the matrix.
pub const SDIST: &str = "sdist";

/// Where one platform's wheels are built: the runner, maturin's `--target`,
/// and the manylinux/musllinux policy (`2_28`, `musllinux_1_2`) for Linux.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runner {
    pub os: &'static str,
    pub target: &'static str,
    pub manylinux: Option<String>,
}

/// The runner of a platform, `None` for a platform no hosted runner builds
/// (the config's reader refuses it).
pub fn runner(platform: &str) -> Option<Runner> {
    if platform == SDIST {
        return Some(Runner { os: "ubuntu-latest", target: "", manylinux: None });
    }
    let linux = |policy: &str, arch: &str| -> Option<Runner> {
        let target = match arch {
            "x86_64" => "x86_64",
            "aarch64" => "aarch64",
            "armv7l" => "armv7",
            "ppc64le" => "ppc64le",
            "s390x" => "s390x",
            "i686" => "i686",
            _ => return None,
        };
        Some(Runner { os: "ubuntu-latest", target, manylinux: Some(policy.to_string()) })
    };
    if let Some(rest) = platform.strip_prefix("manylinux_") {
        let (policy, arch) = split_policy(rest)?;
        return linux(&policy, arch);
    }
    if let Some(rest) = platform.strip_prefix("musllinux_") {
        let (policy, arch) = split_policy(rest)?;
        return linux(&format!("musllinux_{policy}"), arch);
    }
    if let Some(rest) = platform.strip_prefix("macosx_") {
        let (version, arch) = split_policy(rest)?;
        version.split('_').all(|p| p.parse::<u32>().is_ok()).then_some(())?;
        return match arch {
            "x86_64" => Some(Runner { os: "macos-13", target: "x86_64", manylinux: None }),
            "arm64" => Some(Runner { os: "macos-14", target: "aarch64", manylinux: None }),
            _ => None,
        };
    }
    match platform {
        "win_amd64" => Some(Runner { os: "windows-latest", target: "x64", manylinux: None }),
        "win32" => Some(Runner { os: "windows-latest", target: "x86", manylinux: None }),
        "win_arm64" => Some(Runner { os: "windows-11-arm", target: "aarch64", manylinux: None }),
        _ => None,
    }
}

/// cibuildwheel's `CIBW_BUILD` selector of a platform's wheels (every
/// CPython it builds): `cp*-manylinux_x86_64`, `cp*-macosx_arm64`, `cp*-win_amd64`.
pub fn cibuildwheel_build(platform: &str) -> String {
    let family = if let Some(os) = ["manylinux", "musllinux", "macosx"].iter().find(|os| platform.starts_with(*os)) {
        format!("{os}_{}", arch_of(platform))
    } else {
        platform.to_string()
    };
    format!("cp*-{family}")
}

/// The architecture of a platform tag with a version (`manylinux_2_28_x86_64` → `x86_64`).
fn arch_of(platform: &str) -> &str {
    platform.splitn(4, '_').nth(3).unwrap_or("")
}

/// `2_28_x86_64` → (`2_28`, `x86_64`): two numbers, then the architecture.
fn split_policy(rest: &str) -> Option<(String, &str)> {
    let mut parts = rest.splitn(3, '_');
    let (major, minor, arch) = (parts.next()?, parts.next()?, parts.next()?);
    (major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok()).then(|| (format!("{major}_{minor}"), arch))
}

/// The file name, or for wheels its pattern, a platform's build of
/// `dist`-`version` makes: `core-1.2.0.tar.gz`, `core-1.2.0-*-manylinux_2_28_x86_64.whl`.
pub fn file_pattern(dist: &str, version: &str, platform: &str) -> String {
    if platform == SDIST {
        format!("{dist}-{version}.tar.gz")
    } else {
        format!("{dist}-{version}-*-{platform}.whl")
    }
}

/// Whether `file` is a wheel of `dist`-`version` for `platform`: the name's
/// last part is the platform tag set (`manylinux_2_17_x86_64.manylinux2014_x86_64`).
pub fn wheel_for(file: &str, dist: &str, version: &str, platform: &str) -> bool {
    let Some(stem) = file.strip_suffix(".whl") else { return false };
    let Some(rest) = stem.strip_prefix(&format!("{dist}-{version}-")) else { return false };
    let parts: Vec<&str> = rest.split('-').collect();
    // [build tag,] python tag, abi tag, platform tag
    (parts.len() == 3 || parts.len() == 4) && parts[parts.len() - 1].split('.').any(|p| p == platform)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_platform_has_a_runner() {
        for p in DEFAULT_PLATFORMS {
            assert!(runner(p).is_some(), "{p}");
        }
        assert_eq!(runner("manylinux_2_28_aarch64").unwrap().manylinux.as_deref(), Some("2_28"));
        assert_eq!(runner("musllinux_1_2_x86_64").unwrap().manylinux.as_deref(), Some("musllinux_1_2"));
        assert_eq!(runner("macosx_11_0_arm64").unwrap().os, "macos-14");
        for bad in ["linux_x86_64", "manylinux2014_x86_64", "macosx_x_arm64", "win_mips", "any"] {
            assert!(runner(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_wheel_is_matched_by_its_platform_tag_set() {
        let f = "fast_core-1.2.0-cp39-abi3-manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl";
        assert!(wheel_for(f, "fast_core", "1.2.0", "manylinux_2_28_x86_64"));
        assert!(!wheel_for(f, "fast_core", "1.2.0", "manylinux_2_28_aarch64"));
        assert!(!wheel_for(f, "fast_core", "1.2.1", "manylinux_2_28_x86_64"));
        assert!(!wheel_for(f, "fast", "1.2.0", "manylinux_2_28_x86_64"));
        assert!(wheel_for("a-1-1b-cp311-cp311-win_amd64.whl", "a", "1", "win_amd64"));
        assert_eq!(file_pattern("a", "1", "win_amd64"), "a-1-*-win_amd64.whl");
        assert_eq!(file_pattern("a", "1", SDIST), "a-1.tar.gz");
        assert_eq!(cibuildwheel_build("manylinux_2_28_x86_64"), "cp*-manylinux_x86_64");
        assert_eq!(cibuildwheel_build("musllinux_1_2_aarch64"), "cp*-musllinux_aarch64");
        assert_eq!(cibuildwheel_build("macosx_11_0_arm64"), "cp*-macosx_arm64");
        assert_eq!(cibuildwheel_build("macosx_10_12_x86_64"), "cp*-macosx_x86_64");
        assert_eq!(cibuildwheel_build("win_amd64"), "cp*-win_amd64");
    }
}
