//! What preflight finds: a problem, its fix and its code. Its own file so that
//! the checks beside preflight (`credentials`) can report one without
//! importing preflight, which calls them.

use crate::error::Code;

pub struct Problem {
    pub problem: String,
    pub fix: String,
    /// The code the failure takes when this problem is among those found.
    pub code: Code,
}
