//! End-to-end tests: each builds real git repositories in temporary folders and
//! runs the built `xtask` binary against them.

mod bad_input;
mod bad_release;
mod changelogs;
mod ci;
mod cli;
mod corpus;
mod crash;
mod crate_upload;
mod discovery;
mod faults;
mod fixtures;
#[path = "../../xtask/src/forge/stand_in.rs"]
mod forge_server;
mod init;
mod interrupted;
mod modes;
mod plan;
mod proxy;
mod pypi_limiter;
mod python_release;
mod python_shapes;
mod rate_limits;
mod real_release;
mod registries;
mod release;
mod release_pr;
mod scale;
mod shared_targets;
mod staged;
#[path = "../../xtask/src/stand_in_http.rs"]
mod stand_in_http;
mod support;
mod tags;
mod tls;
mod trusted;
#[path = "../../xtask/src/trusted/stand_in/mod.rs"]
mod trusted_server;
mod waits;

// the stand-ins are shared with the unit tests of `xtask`, where they name `crate::registry`.
use xtask::registry;
