//! What a built wheel is, read from its name and its RECORD (pure, but for `files`):
//!
//! - the modules it ships, which the smoke test imports: the top-level packages and modules, and
//!   for a namespace package (a folder without `__init__.py`, as genkit's `genkit/plugins/x`) the
//!   first regular package or module inside it; the distribution's name says nothing about them
//!   (`pydantic-ai-slim` ships `pydantic_ai`, a sample ships `main.py`);
//! - its platform tags, and whether an index takes them (PyPI refuses `linux_*`).

use std::collections::BTreeSet;
use std::path::Path;

use super::zip;
use crate::config::PlatformRule;
use crate::error::{fail, Code};

/// The distribution file name prefix of a Python package (`My-Pkg` → `my_pkg`).
pub fn normalize_dist(name: &str) -> String {
    crate::workspace::pep508::normalize(name).replace('-', "_")
}

/// The paths the wheel's RECORD lists (`NAME-VERSION.dist-info/RECORD`, named like the file).
pub fn files(wheel: &Path) -> anyhow::Result<Vec<String>> {
    let file = wheel.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let mut parts = file.split('-');
    let record = format!("{}-{}.dist-info/RECORD", parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let bytes = zip::read(wheel, &record)?.ok_or_else(|| {
        fail(
            Code::ArtifactInvalid,
            format!("{file} has no {record}"),
            "a wheel lists its files in its RECORD: check the build backend; nothing was published",
        )
    })?;
    Ok(parse_record(&String::from_utf8_lossy(&bytes)))
}

/// The first field of each line of a RECORD (CSV: a path with a comma is quoted).
pub fn parse_record(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let path = match line.strip_prefix('"') {
                Some(rest) => rest.split_once("\",").map_or(rest, |(p, _)| p).replace("\"\"", "\""),
                None => line.split(',').next().unwrap_or("").to_string(),
            };
            (!path.is_empty()).then_some(path)
        })
        .collect()
}

/// The modules a wheel with `files` ships, sorted: what `import` reaches once it is installed.
pub fn modules(files: &[String]) -> Vec<String> {
    let has = |p: &str| files.iter().any(|f| f == p);
    let mut out = BTreeSet::new();
    for f in files {
        let parts: Vec<&str> = f.split('/').collect();
        let (dirs, file) = parts.split_at(parts.len() - 1);
        // metadata, scripts and headers are not importable
        if dirs.first().is_some_and(|d| d.ends_with(".dist-info") || d.ends_with(".data")) {
            continue;
        }
        let Some(stem) = module_stem(file[0]) else { continue };
        // the first folder down the path that is a regular package is the module; with none,
        // the folders are namespace packages and the file itself is the module
        let package = (1..=dirs.len()).find(|&k| has(&format!("{}/__init__.py", dirs[..k].join("/"))));
        let path: Vec<&str> = match package {
            Some(k) => dirs[..k].to_vec(),
            None => dirs.iter().copied().chain([stem]).collect(),
        };
        if path.iter().all(|p| is_identifier(p)) {
            out.insert(path.join("."));
        }
    }
    out.into_iter().collect()
}

/// `mod.py` → `mod`; an extension module `mod.cpython-311-x86_64-linux-gnu.so` or `mod.pyd` → `mod`.
fn module_stem(file: &str) -> Option<&str> {
    if let Some(stem) = file.strip_suffix(".py") {
        return Some(stem);
    }
    if file.ends_with(".so") || file.ends_with(".pyd") {
        return file.split('.').next();
    }
    None
}

fn is_identifier(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Does a wheel with `files` ship the module `import` (`a.b`: `a/b.py`, `a/b/__init__.py`, an
/// extension module `a/b.*.so`, or a namespace folder `a/b/`)?
pub fn ships(files: &[String], import: &str) -> bool {
    let path = import.replace('.', "/");
    files.iter().any(|f| {
        f == &format!("{path}.py")
            || f.starts_with(&format!("{path}/"))
            || f.strip_prefix(&format!("{path}.")).is_some_and(|rest| rest.ends_with(".so") || rest.ends_with(".pyd"))
    })
}

/// The platform tags of a wheel file name (`…-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`).
pub fn platforms(file: &str) -> Vec<&str> {
    let stem = file.strip_suffix(".whl").unwrap_or(file);
    stem.rsplit('-').next().map(|p| p.split('.').collect()).unwrap_or_default()
}

/// Does an index with `rule` take a wheel for `platform`? PyPI's rule is its upload check
/// (warehouse `forklift/legacy.py`, `_valid_platform_tag`).
pub fn accepts(rule: PlatformRule, platform: &str) -> bool {
    match rule {
        PlatformRule::Any => true,
        PlatformRule::Pypi => pypi_accepts(platform),
    }
}

fn pypi_accepts(platform: &str) -> bool {
    const FIXED: &[&str] = &[
        "any",
        "win32",
        "win_arm64",
        "win_amd64",
        "win_ia64",
        "manylinux1_x86_64",
        "manylinux1_i686",
        "manylinux2010_x86_64",
        "manylinux2010_i686",
        "manylinux2014_x86_64",
        "manylinux2014_i686",
        "manylinux2014_aarch64",
        "manylinux2014_armv7l",
        "manylinux2014_ppc64",
        "manylinux2014_ppc64le",
        "manylinux2014_s390x",
        "linux_armv6l",
        "linux_armv7l",
    ];
    const LINUX: &[&str] = &["x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"];
    const MACOS: &[&str] =
        &["ppc", "ppc64", "i386", "x86_64", "arm64", "intel", "fat", "fat3", "fat64", "universal", "universal2"];
    const MACOS_MAJORS: &[&str] = &["11", "12", "13", "14", "15", "26"];
    if FIXED.contains(&platform) {
        return true;
    }
    // `{many,musl}linux_X_Y_ARCH` (PEP 600, 656): manylinux also takes ppc64
    for (prefix, extra) in [("manylinux_", Some("ppc64")), ("musllinux_", None)] {
        if let Some([_, _, arch]) = platform.strip_prefix(prefix).and_then(|r| numbered(r, 2)).as_deref() {
            return LINUX.contains(arch) || extra == Some(*arch);
        }
    }
    // `macosx_10_MINOR_ARCH`, or `macosx_MAJOR_0_ARCH` from macOS 11 on
    if let Some([major, minor, arch]) = platform.strip_prefix("macosx_").and_then(|r| numbered(r, 2)).as_deref() {
        return MACOS.contains(arch) && (*major == "10" || (MACOS_MAJORS.contains(major) && *minor == "0"));
    }
    // `ios_X_Y_ARCH_{iphoneos,iphonesimulator}`, `android_API_ARCH`
    if let Some(rest) = platform.strip_prefix("ios_") {
        let arch = rest.strip_suffix("_iphoneos").or_else(|| rest.strip_suffix("_iphonesimulator"));
        if let Some([_, _, arch]) = arch.and_then(|r| numbered(r, 2)).as_deref() {
            return ["arm64", "x86_64"].contains(arch);
        }
    }
    if let Some([_, arch]) = platform.strip_prefix("android_").and_then(|r| numbered(r, 1)).as_deref() {
        return ["armeabi_v7a", "arm64_v8a", "x86", "x86_64"].contains(arch);
    }
    false
}

/// `2_17_x86_64` with `n` = 2 → `["2", "17", "x86_64"]`: `n` numbers, then the rest.
fn numbered(s: &str, n: usize) -> Option<Vec<&str>> {
    let mut out = vec![];
    let mut rest = s;
    for _ in 0..n {
        let (num, tail) = rest.split_once('_')?;
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push(num);
        rest = tail;
    }
    (!rest.is_empty()).then(|| {
        out.push(rest);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(paths: &[&str]) -> Vec<String> {
        paths.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn modules_of_real_wheel_shapes() {
        // genkit's plugins: a namespace package down to the plugin
        let genkit = list(&[
            "genkit/plugins/anthropic/__init__.py",
            "genkit/plugins/anthropic/models.py",
            "genkit/py.typed",
            "genkit_plugin_anthropic-0.1.0.dist-info/METADATA",
            "genkit_plugin_anthropic-0.1.0.dist-info/RECORD",
        ]);
        assert_eq!(modules(&genkit), ["genkit.plugins.anthropic"]);
        // pydantic-ai-slim ships pydantic_ai; a sample ships main.py; maturin an extension module
        let slim = list(&["pydantic_ai/__init__.py", "pydantic_ai/agent/__init__.py", "pydantic_ai/models/openai.py"]);
        assert_eq!(modules(&slim), ["pydantic_ai"]);
        assert_eq!(modules(&list(&["main.py", "sample-0.1.dist-info/RECORD"])), ["main"]);
        let native = list(&["fast/__init__.py", "fast/_native.cpython-311-x86_64-linux-gnu.so", "_fast_c.abi3.so"]);
        assert_eq!(modules(&native), ["_fast_c", "fast"]);
        // not importable: scripts, stubs-only folders, names that are no identifiers, a meta-package
        let other = list(&["x-1.0.data/scripts/tool.py", "foo-stubs/__init__.pyi", "my-dir/x.py", "README.md"]);
        assert!(modules(&other).is_empty(), "{:?}", modules(&other));
        assert!(modules(&list(&["meta-1.0.dist-info/METADATA"])).is_empty());
    }

    #[test]
    fn what_a_wheel_ships() {
        let files = list(&["genkit/plugins/anthropic/__init__.py", "pydantic_ai/agent.py", "fast/_n.cpython-311.so"]);
        for yes in ["genkit", "genkit.plugins", "genkit.plugins.anthropic", "pydantic_ai.agent", "fast._n"] {
            assert!(ships(&files, yes), "{yes}");
        }
        for no in ["genkit_plugin_anthropic", "genkit.plugin", "pydantic_ai.models", "fast._"] {
            assert!(!ships(&files, no), "{no}");
        }
    }

    #[test]
    fn record_lines() {
        let record = "a/__init__.py,sha256=x,3\n\"a/b,c.py\",sha256=y,4\nx-1.dist-info/RECORD,,\n";
        assert_eq!(parse_record(record), ["a/__init__.py", "a/b,c.py", "x-1.dist-info/RECORD"]);
    }

    #[test]
    fn pypi_platform_rule() {
        let tags = platforms("m-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
        assert_eq!(tags, ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]);
        assert_eq!(platforms("m-1.0-1build-py3-none-any.whl"), ["any"]);
        for ok in [
            "any",
            "manylinux_2_28_aarch64",
            "manylinux_2_17_ppc64",
            "musllinux_1_2_x86_64",
            "manylinux2014_x86_64",
            "win_amd64",
            "macosx_10_12_x86_64",
            "macosx_11_0_arm64",
            "macosx_14_0_universal2",
            "linux_armv7l",
            "ios_13_0_arm64_iphoneos",
            "android_21_arm64_v8a",
        ] {
            assert!(accepts(PlatformRule::Pypi, ok), "{ok}");
        }
        for refused in [
            "linux_x86_64",
            "linux_aarch64",
            "musllinux_1_2_ppc64",
            "macosx_11_3_arm64",
            "manylinux_x_y_x86_64",
            "freebsd_14_0_amd64",
            "ios_13_0_arm64",
        ] {
            assert!(!accepts(PlatformRule::Pypi, refused), "{refused}");
            assert!(accepts(PlatformRule::Any, refused));
        }
    }
}
