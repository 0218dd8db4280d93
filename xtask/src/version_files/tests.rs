//! Version literals and `[[version-files]]`: detection across file names and
//! layouts against `tests/golden/version-literals.txt`, byte-exact rewrites.

use std::fmt::Write as _;

use super::*;
use crate::test_support::TempDir;

/// A scratch folder (removed on drop) with a helper to write files into it.
struct Scratch(TempDir);

impl Scratch {
    fn new(label: &str) -> Scratch {
        Scratch(TempDir::new(label))
    }
    fn root(&self) -> &std::path::Path {
        &self.0 .0
    }
    fn write(&self, rel: &str, text: &str) {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn project(name: &str, version: &str) -> String {
    format!(
        "[project]\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"x\"\nlicense = \"MIT\"\n\n\
         [build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n"
    )
}

/// A uv workspace with one package per layout the detection knows.
fn layouts() -> Scratch {
    let s = Scratch::new("layouts");
    s.write("pyproject.toml", "[tool.uv.workspace]\nmembers = [\"pkgs/*\"]\n");
    let cases: &[(&str, &str, &str, &str)] = &[
        ("src-init", "1.0.0", "src/src_init/__init__.py", "\"\"\"Docs.\"\"\"\n__version__ = \"1.0.0\"\n"),
        ("flat-version-const", "2.0.0", "flat_version_const/_version.py", "VERSION = '2.0.0'\n"),
        ("annotated", "0.1.0", "src/annotated/version.py", "__version__: str = \"0.1.0\"  # bumped by release\n"),
        ("about", "3.0.0rc1", "about/__about__.py", "__title__ = \"about\"\n__version__ = \"3.0.0rc1\"\n"),
        ("final-annotation", "1.1.0", "src/final_annotation/__init__.py", "__version__: Final[str] = \"1.1.0\"\n"),
        ("differs", "1.0.0", "src/differs/__init__.py", "__version__ = \"0.9.0\"\n"),
        ("computed", "1.0.0", "src/computed/__init__.py", "__version__ = importlib.metadata.version(\"computed\")\n"),
        ("indented", "1.0.0", "src/indented/__init__.py", "if True:\n    __version__ = \"1.0.0\"\n"),
        ("compared", "1.0.0", "src/compared/__init__.py", "VERSION == \"1.0.0\"\n"),
        ("normalized", "1.0.0", "src/normalized/__init__.py", "__version__ = \"1.0\"\n"),
    ];
    for (name, version, file, text) in cases {
        s.write(&format!("pkgs/{name}/pyproject.toml"), &project(name, version));
        s.write(&format!("pkgs/{name}/{file}"), text);
    }
    s
}

#[test]
fn literals_are_found_in_every_file_name_and_layout() {
    let s = layouts();
    let config = Config::default();
    let ws = Workspace::discover(s.root(), &config).unwrap();
    let mut out = String::new();
    for p in &ws.packages {
        let _ = writeln!(out, "{} {}", p.name, p.version_text);
        for place in places(s.root(), &config, &ws, p).unwrap() {
            if let Place::Literal(l) = place {
                let _ = writeln!(out, "  moves with it: {}:{} {} = {:?}", l.path, l.line, l.name, l.value);
            }
        }
        for (_, d) in disagreements(s.root(), &config, &ws, p) {
            let _ = writeln!(out, "  check: {d}");
        }
    }
    crate::changelog::tests::golden("version-literals.txt", &out);
}

#[test]
fn literal_lines_parse_and_others_do_not() {
    let yes = [
        ("__version__ = \"1.2.0\"", "__version__", "1.2.0"),
        ("__version__='1.2.0'", "__version__", "1.2.0"),
        ("VERSION = \"1.2.0\"  # comment", "VERSION", "1.2.0"),
        ("__version__: str = \"1.2.0\"", "__version__", "1.2.0"),
        ("__version__ : Final[str] = '1.2.0rc1'", "__version__", "1.2.0rc1"),
    ];
    for (line, name, value) in yes {
        let (n, v, range) = parse_literal(line).unwrap_or_else(|| panic!("{line}"));
        assert_eq!((n, v), (name, value), "{line}");
        assert_eq!(&line[range], value);
    }
    for line in [
        "    __version__ = \"1.2.0\"",
        "__version__ = get_version()",
        "__version__ == \"1.2.0\"",
        "__version__ = \"1.2.0\" + suffix",
        "__version__ = f\"{major}.0\"",
        "__version_info__ = (1, 2, 0)",
        "VERSION_TUPLE = (1, 2)",
        "__version__ = \"\"",
    ] {
        assert_eq!(parse_literal(line), None, "{line}");
    }
}

#[test]
fn rewrites_keep_every_other_byte() {
    let config = Config::default();
    let text =
        "# -*- coding: utf-8 -*-\r\n__all__ = ['x']\r\n__version__: str = '1.0.0'  # keep\r\nVERSION = \"1.0.0\"\r\n";
    let place = Place::Literal(Literal {
        path: "x/__init__.py".into(),
        line: 3,
        name: "__version__".into(),
        value: "1.0.0".into(),
    });
    let out = rewrite(text, &place, &config, "x", "1.0.0", "2.0.0").unwrap();
    assert_eq!(
        out,
        "# -*- coding: utf-8 -*-\r\n__all__ = ['x']\r\n__version__: str = '2.0.0'  # keep\r\nVERSION = \"1.0.0\"\r\n"
    );
    // the literal changed since it was found: nothing to rewrite
    assert_eq!(rewrite(&out, &place, &config, "x", "1.0.0", "2.0.0"), None);
}

fn configured(find: VersionFind, package: Option<&str>) -> Config {
    Config {
        version_files: vec![VersionFileConfig { path: "README.md".into(), package: package.map(Into::into), find }],
        ..Config::default()
    }
}

#[test]
fn templates_replace_the_current_version_and_patterns_any() {
    let readme = "Add it:\n\n```toml\ncore = \"1.2\"\ncore-extra = \"1.2\"\n```\n\nor `core = \"=1.2.3\"`; core 1.2.3 is current.\n";
    let place = Place::Configured { path: "README.md".into(), entry: 0 };

    let config = configured(VersionFind::Template("{name} = \"{major}.{minor}\"".into()), None);
    let out = rewrite(readme, &place, &config, "core", "1.2.3", "1.3.0").unwrap();
    assert_eq!(out, readme.replace("core = \"1.2\"", "core = \"1.3\""));
    assert!(out.contains("core-extra = \"1.2\""), "another crate's line stays: {out}");
    assert_eq!(rewrite(readme, &place, &config, "core", "2.0.0", "2.1.0"), None, "1.2 is not 2.0");

    let config = configured(VersionFind::Template("core {version} is current".into()), Some("core"));
    let out = rewrite(readme, &place, &config, "core", "1.2.3", "1.3.0").unwrap();
    assert!(out.ends_with("core 1.3.0 is current.\n"), "{out}");

    // a pattern finds the version whatever it is now (the file may lag behind)
    let config = configured(VersionFind::Pattern("core = \"={version}\"".into()), Some("core"));
    let out = rewrite(readme, &place, &config, "core", "1.9.0", "2.0.0").unwrap();
    assert_eq!(out, readme.replace("core = \"=1.2.3\"", "core = \"=2.0.0\""));
    let config = configured(VersionFind::Pattern("nothing = \"{version}\"".into()), Some("core"));
    assert_eq!(rewrite(readme, &place, &config, "core", "1.2.3", "2.0.0"), None);
}

#[test]
fn configuration_is_checked() {
    let parse = |t: &str| Config::parse(t).map_err(|e| format!("{e:#}"));
    let c = parse("[[version-files]]\npath = \"docs/*.md\"\npackage = \"core\"\ntemplate = 'core = \"{version}\"'\n")
        .unwrap();
    assert_eq!(c.version_files[0].path, "docs/*.md");
    assert_eq!(c.version_files[0].find, VersionFind::Template("core = \"{version}\"".into()));
    for bad in [
        "[[version-files]]\npath = \"README.md\"\npackage = \"core\"\n",
        "[[version-files]]\npath = \"README.md\"\npackage = \"core\"\ntemplate = \"x\"\npattern = \"{version}\"\n",
        "[[version-files]]\npath = \"README.md\"\npackage = \"core\"\ntemplate = \"no placeholder\"\n",
        "[[version-files]]\npath = \"README.md\"\ntemplate = \"v{version}\"\n",
        "[[version-files]]\npath = \"/etc/passwd\"\npackage = \"core\"\ntemplate = \"{version}\"\n",
        "[[version-files]]\npath = \"README.md\"\npackage = \"core\"\npattern = \"{version}-{version}\"\n",
        "[version-files]\npath = \"README.md\"\n",
        "[[version-files]]\npath = \"README.md\"\npackage = \"core\"\ntemplate = \"{version}\"\nregex = \"x\"\n",
    ] {
        assert!(parse(bad).is_err(), "accepted: {bad}");
    }
}
