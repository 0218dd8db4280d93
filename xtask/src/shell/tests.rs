/// Every subprocess goes through this module: no other source file may
/// start one on its own (`.run()`, `.read()`, `.output()` on an xshell
/// command, or `std::process::Command`).
#[test]
fn no_subprocess_bypasses_the_runner() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = vec![];
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            // the runner: shell.rs and its submodules (shell/children.rs configures each child)
            let runner = path.ends_with("shell.rs") || path.parent().is_some_and(|d| d.ends_with("src/shell"));
            if path.extension().is_none_or(|e| e != "rs") || runner {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                // `.stdin(TEXT)` on an xshell command is lost in `start`: `output_with_input` feeds stdin
                let bypass =
                    ["process::Command", ".run()", ".read()", ".output()", ".read_stderr()", ".spawn()", ").stdin("]
                        .iter()
                        .any(|m| line.contains(m));
                if bypass {
                    offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "subprocesses outside shell.rs:\n{}", offenders.join("\n"));
}

/// The dry run is one switch: only this module (the mode switch) and
/// flags/ (which parses `--dry-run`) may branch on the mode. Anywhere
/// else a step describes its effect once (`Ctx::effect`) and the mode
/// decides whether it happens; a value that differs by mode is picked
/// here (`Mode::pick`), never by an `if` of the caller's.
#[test]
fn no_dry_run_branch_outside_the_mode_switch() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = vec![];
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let switch = path.ends_with("shell.rs")
                || path.parent().is_some_and(|d| d.ends_with("src/shell") || d.ends_with("src/flags"));
            if path.extension().is_none_or(|e| e != "rs") || switch {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                if branches_on_mode(code) {
                    offenders.push(format!("{}:{}: {}", path.display(), n + 1, code));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "{} dry-run branch(es) outside the mode switch (shell.rs):\n{}",
        offenders.len(),
        offenders.join("\n")
    );
}

/// A line that reads the mode as a flag (`dry_run`, the identifier) or
/// branches on a `Mode` (`if`/`match`/`==` with `Mode::` or `.mode`).
fn branches_on_mode(code: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let flag = code
        .match_indices("dry_run")
        .any(|(at, m)| !code[..at].ends_with(ident) && !code[at + m.len()..].starts_with(ident));
    let branch = ["if ", "match ", "=>", "==", "!=", "matches!"].iter().any(|b| code.contains(b));
    flag || (branch && (code.contains("Mode::") || code.contains(".mode ") || code.contains(".mode)")))
}

#[test]
fn the_tidy_check_sees_a_branch() {
    assert!(branches_on_mode("if ctx.dry_run {"));
    assert!(branches_on_mode("let jobs = if opts.mode == Mode::DryRun { 1 } else { jobs };"));
    assert!(branches_on_mode("match self.ctx.mode {"));
    assert!(!branches_on_mode("fn dry_run_banner(ctx: &Ctx) {"));
    assert!(!branches_on_mode("let ctx = Ctx::new(Mode::DryRun, root);"));
}

/// What a query is fed reaches the program's stdin (`git cat-file --batch` reads its requests there).
#[test]
fn a_query_is_fed_its_input() {
    let sh = xshell::Shell::new().unwrap();
    let input = "one\n".repeat(100_000); // more than a pipe holds
    let out = super::output_with_input(xshell::cmd!(sh, "cat"), input.clone(), crate::error::Code::Git, "").unwrap();
    assert_eq!(out.len(), input.len());
}
