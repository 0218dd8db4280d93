//! End-to-end tests: each builds real git repositories in temporary folders and
//! runs the built `xtask` binary against them.

mod bad_input;
mod bad_release;
mod cli;
mod corpus;
mod crash;
mod faults;
mod fixtures;
mod init;
mod modes;
mod plan;
mod proxy;
mod registries;
mod release;
mod scale;
mod support;
mod waits;
