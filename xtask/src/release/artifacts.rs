//! `release --artifacts DIR`: the files a CI matrix built from the staged
//! release commit, checked against the record's expectations (`record::Expected`)
//! before anything is published. Every expected file is there (an sdist by
//! name, at least one wheel per platform); each one's name and embedded
//! metadata (the wheel's METADATA and WHEEL tags, the sdist's PKG-INFO) say
//! the recorded package and version; a file of a matrix package with another
//! version is refused (built from another commit). What passes replaces the
//! package's build step; the rest of the release goes as usual.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::publish::read_from_tar;
use super::record::Expected;
use super::wheel::normalize_dist;
use super::zip;
use crate::error::{fail, Code};
use crate::matrix;
use crate::plan::Plan;
use crate::version::{same_version, Ecosystem};
use crate::workspace::pep508::normalize;

/// The files taken for each package (by its journal key), sorted.
pub type Taken = BTreeMap<String, Vec<PathBuf>>;

/// What is wrong with the folder, one line each.
#[derive(Debug, Default)]
struct Findings {
    missing: Vec<String>,
    mismatched: Vec<String>,
}

/// Checks `dir` against `expected` (read-only: a dry run does it too).
pub fn take(dir: &Path, expected: &[Expected], plan: &Plan) -> anyhow::Result<Taken> {
    let files = list(dir)?;
    let mut found = Findings::default();
    let mut taken = Taken::new();
    for (package, version) in packages(expected) {
        let key = plan.releases().find(|e| e.ecosystem == Ecosystem::Python && e.name == package).map(|e| e.key());
        let key = key.unwrap_or(&package).to_string();
        let mine: Vec<&Expected> = expected.iter().filter(|x| x.package == package).collect();
        let chosen = match_files(&files, &package, &version, &mine, &mut found);
        taken.insert(key, chosen);
    }
    report(dir, found)?;
    Ok(taken)
}

/// Each package the record expects artifacts of, with its version, in order.
fn packages(expected: &[Expected]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![];
    for x in expected {
        if !out.iter().any(|(p, _)| *p == x.package) {
            out.push((x.package.clone(), x.version.clone()));
        }
    }
    out
}

/// The files of one package: each expected one found and its metadata checked;
/// a file of the package with another version is a mismatch.
fn match_files(
    files: &[PathBuf],
    package: &str,
    version: &str,
    mine: &[&Expected],
    found: &mut Findings,
) -> Vec<PathBuf> {
    let dist = normalize_dist(package);
    let name_of = |p: &PathBuf| p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    let ours: Vec<&PathBuf> = files.iter().filter(|p| name_of(p).starts_with(&format!("{dist}-"))).collect();
    let mut chosen = vec![];
    for x in mine {
        let hits: Vec<&PathBuf> = ours
            .iter()
            .copied()
            .filter(|p| match x.platform.as_str() {
                matrix::SDIST => name_of(p) == x.file,
                platform => matrix::wheel_for(&name_of(p), &dist, version, platform),
            })
            .collect();
        if hits.is_empty() {
            found.missing.push(format!("{} ({package} {version}, {})", x.file, x.platform));
        }
        for p in hits {
            if !chosen.contains(p) {
                chosen.push(p.clone());
            }
        }
    }
    for p in &ours {
        if !chosen.contains(p) {
            found.mismatched.push(format!("{} is not one of {package} {version}'s expected files", name_of(p)));
        }
    }
    for p in &chosen {
        if let Err(why) = embedded(p, &name_of(p), package, version) {
            found.mismatched.push(why);
        }
    }
    chosen.sort();
    chosen
}

/// The name and version the file carries inside, and a wheel's tags.
fn embedded(path: &Path, file: &str, package: &str, version: &str) -> Result<(), String> {
    let (meta, tags) = if let Some(stem) = file.strip_suffix(".tar.gz") {
        let text = read_from_tar(path, &format!("{stem}/PKG-INFO"), "").map_err(|e| format!("{file}: {e}"))?;
        (text, None)
    } else {
        let mut parts = file.split('-');
        let info = format!("{}-{}.dist-info", parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let read = |member: &str| -> Result<String, String> {
            let bytes = zip::read(path, &format!("{info}/{member}")).map_err(|e| format!("{file}: {e}"))?;
            let bytes = bytes.ok_or_else(|| {
                format!("{file} has no {info}/{member}: it is no wheel of {package} {version} (one of another version, renamed?)")
            })?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        };
        (read("METADATA")?, Some(read("WHEEL")?))
    };
    let field = |k: &str| meta.lines().find_map(|l| l.strip_prefix(k)).map(str::trim).unwrap_or("").to_string();
    let (name, inside) = (field("Name: "), field("Version: "));
    if normalize(&name) != normalize(package) {
        return Err(format!("{file} says it is the package `{name}`, the record says {package}"));
    }
    if !same_version(Ecosystem::Python, &inside, version) {
        return Err(format!("{file} says version `{inside}`, the record says {version} (built from another commit?)"));
    }
    if let Some(wheel) = tags {
        // the last three parts of the name: Python, ABI and platform tags
        let parts: Vec<&str> = file.strip_suffix(".whl").unwrap_or(file).split('-').collect();
        let named = parts[parts.len().saturating_sub(3)..].join("-");
        let listed: Vec<&str> = wheel.lines().filter_map(|l| l.strip_prefix("Tag: ")).map(str::trim).collect();
        if !expand(&named).iter().all(|t| listed.contains(&t.as_str())) {
            return Err(format!("{file}: its WHEEL file lists the tags {}, its name says {named}", listed.join(", ")));
        }
    }
    Ok(())
}

/// A compressed tag set (`cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64`) as single tags.
fn expand(tags: &str) -> Vec<String> {
    let parts: Vec<&str> = tags.split('-').collect();
    let [py, abi, plat] = parts[..] else { return vec![tags.to_string()] };
    let mut out = vec![];
    for p in py.split('.') {
        for a in abi.split('.') {
            for pl in plat.split('.') {
                out.push(format!("{p}-{a}-{pl}"));
            }
        }
    }
    out
}

/// Every `.whl` and `.tar.gz` under `dir`, at any depth (a workflow's
/// download puts each artifact in a folder of its own unless told to merge).
fn list(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Err(fail(
            Code::ArtifactMissing,
            format!("--artifacts {}: no such folder", dir.display()),
            "name the folder the CI matrix's artifacts were downloaded into; nothing was published",
        ));
    }
    let mut out = vec![];
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| crate::shell::fs::error("list", &d, e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                todo.push(path);
            } else if name.ends_with(".whl") || name.ends_with(".tar.gz") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The folder's problems as one error: what is missing first (XR180), else what does not match (XR181).
fn report(dir: &Path, found: Findings) -> anyhow::Result<()> {
    let shown = dir.display();
    if !found.missing.is_empty() {
        return Err(fail(
            Code::ArtifactMissing,
            format!("{shown} lacks {} expected artifact(s): {}", found.missing.len(), found.missing.join("; ")),
            "nothing was published: let the matrix jobs that build them finish (or run them again), download \
             every artifact into the folder, then run `cargo xtask release --artifacts DIR` again",
        ));
    }
    if !found.mismatched.is_empty() {
        return Err(fail(
            Code::ArtifactMismatch,
            format!("{shown}: {}", found.mismatched.join("; ")),
            "nothing was published: build the artifacts from the staged release commit (the matrix checks out \
             the commit that carries .xtask-release/plan.json), and leave other builds out of the folder",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compressed_tag_set_is_expanded() {
        assert_eq!(
            expand("cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64"),
            vec!["cp39-abi3-manylinux_2_17_x86_64", "cp39-abi3-manylinux2014_x86_64"]
        );
        assert_eq!(expand("py2.py3-none-any"), vec!["py2-none-any", "py3-none-any"]);
    }
}
