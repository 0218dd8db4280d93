//! Differential fuzzing of the hand-written PEP 440 against `pep440_rs`:
//! see `pep440_reference_check.rs`. The runtime pays nothing: only this crate
//! depends on the reference.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "pep440_reference_check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    if let Err(why) = check::check(data) {
        panic!("{why}");
    }
});
