//! End-to-end tests: each builds real git repositories in temporary folders and
//! runs the built `xtask` binary against them.

mod bad_input;
mod cli;
mod crash;
mod fixtures;
mod plan;
mod registries;
mod release;
mod scale;
mod support;
mod faults;
mod proxy;
mod bad_release;
