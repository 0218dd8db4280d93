//! The zip reader against `sample.zip`, made by Python's `zipfile` (a deflated
//! member with a dynamic Huffman block, a stored member, a dist-info file), and
//! inflate against fixed-Huffman and stored blocks made by zlib.

use std::path::Path;

use super::*;

fn sample() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/release/zip/sample.zip")
}

fn init_py() -> String {
    let mut text = String::from("\"\"\"A package.\"\"\"\n__version__ = \"2.0.0\"\n");
    for i in 0..200 {
        text.push_str(&format!("x{i} = {}\n", i * i));
    }
    text
}

#[test]
fn reads_deflated_and_stored_members() {
    let got = read(&sample(), "pkg/__init__.py").unwrap().unwrap();
    assert_eq!(String::from_utf8(got).unwrap(), init_py());
    let got = read(&sample(), "pkg/stored.txt").unwrap().unwrap();
    assert_eq!(got, b"stored text");
    let got = read(&sample(), "pkg-2.0.0.dist-info/METADATA").unwrap().unwrap();
    assert_eq!(got, b"Name: pkg\nVersion: 2.0.0\n");
    assert_eq!(read(&sample(), "pkg/missing.py").unwrap(), None);
}

#[test]
fn inflates_fixed_and_stored_blocks() {
    let fixed = [203, 72, 205, 201, 201, 87, 200, 64, 39, 1];
    assert_eq!(inflate(&fixed).unwrap(), b"hello hello hello hello");
    let stored = [1, 7, 0, 248, 255, 115, 116, 111, 114, 101, 100, 33];
    assert_eq!(inflate(&stored).unwrap(), b"stored!");
}

#[test]
fn broken_archives_are_errors_not_panics() {
    let data = std::fs::read(sample()).unwrap();
    let tmp = crate::test_support::TempDir::new("zip");
    let dir = &tmp.0;
    for cut in [0, 10, data.len() / 2, data.len() - 30, data.len() - 1] {
        let path = dir.join(format!("cut-{cut}.zip"));
        std::fs::write(&path, &data[..cut]).unwrap();
        assert!(read(&path, "pkg/__init__.py").is_err(), "a zip cut at {cut} read");
    }
    // a corrupted deflate stream
    let mut bad = data.clone();
    for b in bad.iter_mut().skip(60).take(40) {
        *b ^= 0x5a;
    }
    let path = dir.join("flipped.zip");
    std::fs::write(&path, &bad).unwrap();
    let got = read(&path, "pkg/__init__.py");
    assert!(got.is_err() || got.unwrap().is_some_and(|b| b != init_py().as_bytes()), "garbage in, the same text out");
}
