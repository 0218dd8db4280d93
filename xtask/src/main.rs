//! The `xtask` binary: everything lives in the library (`lib.rs`).

fn main() -> std::process::ExitCode {
    xtask::cli()
}
