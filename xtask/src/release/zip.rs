//! Reads one file out of a zip archive (a wheel): the central directory, then
//! the member, stored or deflated. The directory walk is written by hand (a
//! zip crate brings far more than the one read the release needs: a version
//! literal inside a built wheel); the inflate is flate2's (miniz_oxide).

use std::path::Path;

use crate::error::{fail, Code};
use crate::shell;

/// The bytes of `member` in the zip file at `path`; `Ok(None)` when the
/// archive has no such member.
pub fn read(path: &Path, member: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let data = shell::fs::read(path)?;
    let bad = |why: &str| {
        fail(
            Code::ArtifactInvalid,
            format!("{} is not a readable zip archive: {why}", path.display()),
            "rebuild it; the release does not publish an archive it cannot read",
        )
    };
    let eocd = (0..data.len().saturating_sub(21))
        .rev()
        .find(|&i| data[i..].starts_with(b"PK\x05\x06"))
        .ok_or_else(|| bad("no end of central directory"))?;
    let count = u16_at(&data, eocd + 10).ok_or_else(|| bad("truncated"))? as usize;
    let mut at = u32_at(&data, eocd + 16).ok_or_else(|| bad("truncated"))? as usize;
    for _ in 0..count {
        if !data.get(at..).is_some_and(|d| d.starts_with(b"PK\x01\x02")) {
            return Err(bad("broken central directory"));
        }
        let field = |off: usize| u16_at(&data, at + off).map(usize::from).ok_or_else(|| bad("truncated"));
        let method = field(10)?;
        let size = u32_at(&data, at + 20).ok_or_else(|| bad("truncated"))? as usize;
        let (name_len, extra_len, comment_len) = (field(28)?, field(30)?, field(32)?);
        let local = u32_at(&data, at + 42).ok_or_else(|| bad("truncated"))? as usize;
        let name = data.get(at + 46..at + 46 + name_len).ok_or_else(|| bad("truncated"))?;
        if name == member.as_bytes() {
            if !data.get(local..).is_some_and(|d| d.starts_with(b"PK\x03\x04")) {
                return Err(bad("broken local header"));
            }
            let skip =
                30 + u16_at(&data, local + 26).unwrap_or(0) as usize + u16_at(&data, local + 28).unwrap_or(0) as usize;
            let raw = data.get(local + skip..local + skip + size).ok_or_else(|| bad("truncated member"))?;
            return match method {
                0 => Ok(Some(raw.to_vec())),
                8 => inflate(raw).map(Some).map_err(|e| bad(&e)),
                m => Err(bad(&format!("compression method {m}"))),
            };
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(None)
}

fn u16_at(d: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(i..i + 4)?.try_into().ok()?))
}

/// Raw DEFLATE (RFC 1951), by flate2's pure-Rust backend (miniz_oxide).
pub fn inflate(input: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(input.len() * 3);
    std::io::Read::read_to_end(&mut flate2::read::DeflateDecoder::new(input), &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests;
