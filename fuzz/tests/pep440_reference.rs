//! The PEP 440 differential check without libFuzzer: every seed and
//! regression input, then a seeded mutator over them (`XTASK_FUZZ_ITERATIONS`
//! inputs, 20,000 by default). Runs on any toolchain: `cargo test` in `fuzz/`.

use std::path::Path;

#[path = "../fuzz_targets/pep440_reference_check.rs"]
mod check;

fn inputs(dir: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn seeds_and_regressions_agree_with_the_reference() {
    let mut failures = vec![];
    for input in inputs("seeds/pep440_reference").into_iter().chain(inputs("regressions/pep440_reference")) {
        if let Err(why) = check::check(&input) {
            failures.push(why);
        }
    }
    assert!(failures.is_empty(), "{} disagreement(s):\n{}", failures.len(), failures.join("\n"));
}

/// xorshift64*: the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "0",
    "1",
    "2",
    "9",
    "10",
    "00",
    "01",
    ".",
    "-",
    "_",
    "+",
    "!",
    "*",
    ".*",
    "a",
    "b",
    "c",
    "rc",
    "alpha",
    "beta",
    "pre",
    "preview",
    "post",
    "rev",
    "r",
    "dev",
    "v",
    "V",
    "RC",
    "Dev",
    "ubuntu",
    " ",
    "==",
    "!=",
    "<=",
    ">=",
    "<",
    ">",
    "~=",
    ",",
    "\0",
    "18446744073709551615",
    "18446744073709551616",
];

fn mutate(rng: &mut Rng, pool: &[Vec<u8>]) -> Vec<u8> {
    let mut out = pool[rng.below(pool.len())].clone();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(4) {
            0 | 1 => {
                let piece = PIECES[rng.below(PIECES.len())].as_bytes();
                out.splice(at..at, piece.iter().copied());
            }
            2 if !out.is_empty() => {
                let end = (at + 1 + rng.below(3)).min(out.len());
                out.drain(at.min(end)..end);
            }
            _ => {
                let other = &pool[rng.below(pool.len())];
                let from = rng.below(other.len() + 1);
                out.splice(at..at, other[from..].iter().copied());
            }
        }
    }
    out
}

#[test]
fn mutated_inputs_agree_with_the_reference() {
    let n: usize = std::env::var("XTASK_FUZZ_ITERATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let pool = inputs("seeds/pep440_reference");
    assert!(!pool.is_empty(), "no seeds");
    let mut rng = Rng(0x5eed_0440);
    let mut failures = std::collections::BTreeSet::new();
    for _ in 0..n {
        let input = mutate(&mut rng, &pool);
        if let Err(why) = check::check(&input) {
            failures.insert(why);
        }
    }
    let shown: Vec<&String> = failures.iter().take(40).collect();
    assert!(failures.is_empty(), "{} disagreement(s), first ones:\n{shown:#?}", failures.len());
}
