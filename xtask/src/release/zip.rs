//! Reads one file out of a zip archive (a wheel): the central directory, then
//! the member, stored or deflated. Written by hand (an inflate is ~120 lines)
//! rather than adding a zip crate and its compression dependencies for the one
//! read the release needs: a version literal inside a built wheel.

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
                8 => inflate(raw).map(Some).map_err(&bad),
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

/// Raw DEFLATE (RFC 1951).
pub fn inflate(input: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut bits = Bits { data: input, pos: 0, bit: 0 };
    let mut out = Vec::with_capacity(input.len() * 3);
    loop {
        let last = bits.take(1)?;
        match bits.take(2)? {
            0 => {
                bits.align();
                let len = bits.take(16)? as usize;
                let _nlen = bits.take(16)?;
                let start = bits.pos;
                out.extend_from_slice(input.get(start..start + len).ok_or("stored block past the end")?);
                bits.pos += len;
            }
            1 => {
                let mut lengths = [0u8; 288];
                lengths[..144].fill(8);
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                lengths[280..].fill(8);
                let lit = Huffman::new(&lengths)?;
                let dist = Huffman::new(&[5u8; 30])?;
                codes(&mut bits, &mut out, &lit, &dist)?;
            }
            2 => {
                let (lit, dist) = dynamic(&mut bits)?;
                codes(&mut bits, &mut out, &lit, &dist)?;
            }
            _ => return Err("invalid block type"),
        }
        if last == 1 {
            return Ok(out);
        }
    }
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
}

impl Bits<'_> {
    fn take(&mut self, n: u32) -> Result<u32, &'static str> {
        let mut v = 0;
        for i in 0..n {
            let byte = *self.data.get(self.pos).ok_or("unexpected end of data")?;
            v |= u32::from((byte >> self.bit) & 1) << i;
            self.bit += 1;
            if self.bit == 8 {
                self.bit = 0;
                self.pos += 1;
            }
        }
        Ok(v)
    }
    fn align(&mut self) {
        if self.bit != 0 {
            self.bit = 0;
            self.pos += 1;
        }
    }
}

/// A canonical Huffman code: symbol counts per length and symbols by code.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Result<Huffman, &'static str> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[l as usize] += 1;
        }
        counts[0] = 0;
        let mut offsets = [0u16; 16];
        for i in 1..16 {
            offsets[i] = offsets[i - 1] + counts[i - 1];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[offsets[l as usize] as usize] = sym as u16;
                offsets[l as usize] += 1;
            }
        }
        Ok(Huffman { counts, symbols })
    }

    fn decode(&self, bits: &mut Bits) -> Result<u16, &'static str> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.take(1)? as i32;
            let count = i32::from(self.counts[len]);
            if code - count < first {
                return Ok(self.symbols[(index + (code - first)) as usize]);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("invalid Huffman code")
    }
}

const LEN_BASE: [u16; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

fn codes(bits: &mut Bits, out: &mut Vec<u8>, lit: &Huffman, dist: &Huffman) -> Result<(), &'static str> {
    loop {
        let sym = lit.decode(bits)? as usize;
        match sym {
            0..=255 => out.push(sym as u8),
            256 => return Ok(()),
            257..=285 => {
                let i = sym - 257;
                let len = LEN_BASE[i] as usize + bits.take(u32::from(LEN_EXTRA[i]))? as usize;
                let d = dist.decode(bits)? as usize;
                if d >= 30 {
                    return Err("invalid distance symbol");
                }
                let back = DIST_BASE[d] as usize + bits.take(u32::from(DIST_EXTRA[d]))? as usize;
                if back > out.len() {
                    return Err("distance too far back");
                }
                let start = out.len() - back;
                for k in 0..len {
                    out.push(out[start + k]);
                }
            }
            _ => return Err("invalid literal/length symbol"),
        }
    }
}

fn dynamic(bits: &mut Bits) -> Result<(Huffman, Huffman), &'static str> {
    let nlen = bits.take(5)? as usize + 257;
    let ndist = bits.take(5)? as usize + 1;
    let ncode = bits.take(4)? as usize + 4;
    const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
    let mut code_lengths = [0u8; 19];
    for &i in ORDER.iter().take(ncode) {
        code_lengths[i] = bits.take(3)? as u8;
    }
    let code = Huffman::new(&code_lengths)?;
    let mut lengths = vec![0u8; nlen + ndist];
    let mut i = 0;
    while i < nlen + ndist {
        let sym = code.decode(bits)?;
        let (value, repeat) = match sym {
            0..=15 => (sym as u8, 1),
            16 => (*lengths.get(i.wrapping_sub(1)).ok_or("repeat with no previous length")?, 3 + bits.take(2)?),
            17 => (0, 3 + bits.take(3)?),
            18 => (0, 11 + bits.take(7)?),
            _ => return Err("invalid code length symbol"),
        };
        for _ in 0..repeat {
            *lengths.get_mut(i).ok_or("too many code lengths")? = value;
            i += 1;
        }
    }
    Ok((Huffman::new(&lengths[..nlen])?, Huffman::new(&lengths[nlen..])?))
}

#[cfg(test)]
mod tests;
