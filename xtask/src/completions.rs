//! `completions bash|zsh|fish`: shell completions for `cargo xtask`, read
//! from the help texts in `flags` (the one table of commands and flags: a
//! flag that `--help` shows is completed, and the tests keep `parse` and the
//! help texts in step). The values a flag takes come from the same `Choice`
//! lists that parsing accepts.

use crate::flags::{self, ChangelogFormat, CheckFormat, Choice, CompletionShell as Shell, PlanFormat};

/// A command: its name, its one-line description and its flags.
#[derive(Debug)]
pub struct CommandSpec {
    pub name: &'static str,
    pub about: &'static str,
    pub flags: Vec<Flag>,
    /// What its free word is (`explain CODE`, `help COMMAND`, `completions SHELL`).
    pub word: Values,
}

/// A flag as its help text shows it.
#[derive(Debug)]
pub struct Flag {
    pub long: &'static str,
    pub short: Option<&'static str>,
    /// The value it takes (`DIR`, `FORMAT`…), and what completes it.
    pub value: Option<Values>,
    pub about: &'static str,
}

/// What completes a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    None,
    Dirs,
    Files,
    Words(Vec<&'static str>),
    /// A value with nothing to offer (a package name, a number).
    Free,
}

/// `completions SHELL`: the script on stdout.
pub fn run(shell: Shell) -> anyhow::Result<()> {
    print!("{}", render(shell));
    Ok(())
}

/// The script for `shell`.
pub fn render(shell: Shell) -> String {
    let (global, commands) = (global_flags(), commands());
    match shell {
        Shell::Bash => bash(&global, &commands),
        Shell::Zsh => zsh(&global, &commands),
        Shell::Fish => fish(&global, &commands),
    }
}

// ---- the table, read from the help texts --------------------------------------------------------

/// The global options (`--root`, `--config`, …), from the top help text.
pub fn global_flags() -> Vec<Flag> {
    options(section(flags::HELP, "GLOBAL OPTIONS:"), "")
}

/// Every command of the top help text with its flags.
pub fn commands() -> Vec<CommandSpec> {
    let mut out = vec![];
    for line in section(flags::HELP, "COMMANDS:").lines() {
        let Some((name, about)) = line.trim().split_once(char::is_whitespace) else { continue };
        let help = flags::command_help(name).unwrap_or("");
        let flags = if name == "help" { vec![] } else { options(section(help, "OPTIONS:"), name) };
        out.push(CommandSpec { name, about: about.trim(), flags, word: word_of(name) });
    }
    out
}

/// The lines of `text` after `heading`, up to the next blank line.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let Some(start) = text.find(heading).map(|i| i + heading.len()) else { return "" };
    let rest = text[start..].trim_start_matches('\n');
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}

/// The flags of an OPTIONS section: `    -h, --help    Show this text`,
/// `    --format FORMAT    table (default)…`; continuation lines are skipped.
fn options(section: &'static str, command: &str) -> Vec<Flag> {
    let mut out = vec![];
    for line in section.lines() {
        let spec = line.trim_start();
        if !spec.starts_with('-') || line.len() - spec.len() > 4 {
            continue; // a continuation of the description above
        }
        let (names, about) = match spec.find("  ") {
            Some(i) => (&spec[..i], spec[i..].trim()),
            None => (spec, ""),
        };
        let mut words = names.split_whitespace();
        let mut short = None;
        let mut long = words.next().unwrap_or("");
        if let Some(s) = long.strip_suffix(',') {
            short = Some(s);
            long = words.next().unwrap_or("");
        }
        let value = words.next().map(|placeholder| values(command, long, placeholder));
        out.push(Flag { long, short, value, about });
    }
    out
}

/// What completes the value of `flag` of `command`, shown as `placeholder`.
fn values(command: &str, flag: &str, placeholder: &str) -> Values {
    fn words<T: Choice>() -> Values {
        Values::Words(T::ALL.iter().map(|(w, _)| *w).collect())
    }
    match (command, flag, placeholder) {
        (_, _, "DIR") => Values::Dirs,
        (_, _, "FILE") => Values::Files,
        ("plan", "--format", _) => words::<PlanFormat>(),
        ("graph", "--format", _) => words::<crate::graph::Format>(),
        ("check", "--format", _) => words::<CheckFormat>(),
        ("changelog", "--format", _) => words::<ChangelogFormat>(),
        (_, "--pre", _) => Values::Words(vec!["rc", "alpha", "beta"]),
        (_, "--bump", _) => Values::Words(vec!["patch", "minor", "major"]),
        _ => Values::Free,
    }
}

/// What a command's free word is.
fn word_of(command: &str) -> Values {
    match command {
        "explain" => Values::Words(crate::error::Code::ALL.iter().map(|c| c.id()).collect()),
        "help" => Values::Words(
            section(flags::HELP, "COMMANDS:").lines().filter_map(|l| l.split_whitespace().next()).collect(),
        ),
        "completions" => Values::Words(Shell::ALL.iter().map(|(w, _)| *w).collect()),
        _ => Values::None,
    }
}

// ---- bash ---------------------------------------------------------------------------------------

const BASH_HEAD: &str = r#"# bash completion for `cargo xtask` (xtask-release). Load it from ~/.bashrc:
#     source <(cargo xtask completions bash)
# Words after `cargo xtask` are completed here; every other cargo command goes
# to the completion cargo had before (rustup's), loaded on demand.

_cargo_xtask() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" i
    for ((i = 2; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            --root|--config) ((i++)) ;;
            -*) ;;
            *) cmd="${COMP_WORDS[i]}"; break ;;
        esac
    done
    case "$prev" in
"#;

const BASH_TAIL: &str = r#"
_cargo_xtask_or_cargo() {
    if [[ "${COMP_WORDS[1]}" == xtask ]]; then
        _cargo_xtask
    elif [[ -n "$_cargo_xtask_before" ]]; then
        "$_cargo_xtask_before" "$@"
    fi
}

_cargo_xtask_before=$(complete -p cargo 2>/dev/null | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
if [[ -z "$_cargo_xtask_before" ]] && declare -F _completion_loader >/dev/null; then
    _completion_loader cargo 2>/dev/null
    _cargo_xtask_before=$(complete -p cargo 2>/dev/null | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
fi
[[ "$_cargo_xtask_before" == _cargo_xtask_or_cargo ]] && _cargo_xtask_before=""
complete -o default -F _cargo_xtask_or_cargo cargo
"#;

fn bash(global: &[Flag], commands: &[CommandSpec]) -> String {
    let compgen = |v: &Values| match v {
        Values::Dirs => Some("COMPREPLY=($(compgen -d -- \"$cur\"))".to_string()),
        Values::Files => Some("COMPREPLY=($(compgen -f -- \"$cur\"))".to_string()),
        Values::Words(w) => Some(format!("COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))", w.join(" "))),
        Values::Free => Some("COMPREPLY=()".to_string()),
        Values::None => None,
    };
    let mut s = String::from(BASH_HEAD);
    // the values of global flags, wherever they are
    for f in global.iter().filter(|f| f.value.is_some()) {
        let reply = compgen(f.value.as_ref().expect("filtered")).expect("a value");
        s += &format!("        {}) {reply}; return ;;\n", f.long);
    }
    s += "    esac\n    case \"$cmd\" in\n";
    let names: Vec<&str> = commands.iter().map(|c| c.name).collect();
    let global_words: Vec<&str> = global.iter().flat_map(|f| f.short.into_iter().chain([f.long])).collect();
    s += &format!(
        "        \"\") COMPREPLY=($(compgen -W \"{} {}\" -- \"$cur\")) ;;\n",
        names.join(" "),
        global_words.join(" ")
    );
    for c in commands {
        s += &format!("        {})\n", c.name);
        let valued: Vec<&Flag> = c.flags.iter().filter(|f| f.value.is_some()).collect();
        if !valued.is_empty() {
            s += "            case \"$prev\" in\n";
            for f in valued {
                let reply = compgen(f.value.as_ref().expect("filtered")).expect("a value");
                s += &format!("                {}) {reply}; return ;;\n", f.long);
            }
            s += "            esac\n";
        }
        let mut flags: Vec<&str> = c.flags.iter().flat_map(|f| f.short.into_iter().chain([f.long])).collect();
        flags.extend(global_words.iter().copied().filter(|w| !words_has(&c.flags, w)));
        let flags = format!("COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))", flags.join(" "));
        match &c.word {
            // its free word, unless a flag is begun
            Values::Words(w) => {
                let words = format!("COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))", w.join(" "));
                s += &format!("            if [[ \"$cur\" == -* ]]; then {flags}; else {words}; fi ;;\n");
            }
            _ => s += &format!("            {flags} ;;\n"),
        }
    }
    s += "    esac\n}\n";
    s += BASH_TAIL;
    s
}

fn words_has(flags: &[Flag], word: &str) -> bool {
    flags.iter().any(|f| f.long == word || f.short == Some(word))
}

// ---- zsh ----------------------------------------------------------------------------------------

/// `text` inside a zsh `[...]` description or a `_describe` item.
fn zsh_text(text: &str) -> String {
    text.replace('\'', "'\\''").replace('[', "(").replace(']', ")").replace(':', "\\:")
}

fn zsh_flag(f: &Flag) -> String {
    let about = zsh_text(f.about);
    let action = match &f.value {
        None => String::new(),
        Some(Values::Dirs) => ":dir:_files -/".into(),
        Some(Values::Files) => ":file:_files".into(),
        Some(Values::Words(w)) => format!(":value:({})", w.join(" ")),
        Some(_) => ":value: ".into(),
    };
    let eq = if f.value.is_some() { "=" } else { "" };
    match f.short {
        Some(short) => format!("'({short} {long})'{{{short},{long}{eq}}}'[{about}]{action}'", long = f.long),
        None => format!("'{}{eq}[{about}]{action}'", f.long),
    }
}

const ZSH_HEAD: &str = r#"#compdef cargo-xtask
# zsh completion for `cargo xtask` (xtask-release). cargo's own zsh completion calls
# `_cargo-xtask` for `cargo xtask …`. Load it from ~/.zshrc, after compinit:
#     source <(cargo xtask completions zsh)

_cargo-xtask() {
    local curcontext="$curcontext" state line ret=1
    typeset -A opt_args
    _arguments -C \
"#;

/// After the global flags: the command word, then the list of commands.
const ZSH_COMMANDS: &str = r#"        '1:command:->command' \
        '*::arg:->args' && ret=0
    case $state in
        command)
            local -a commands
            commands=(
"#;

/// After the list of commands: each command's arguments.
const ZSH_ARGS: &str = r#"            )
            _describe -t commands 'command' commands && ret=0
            ;;
        args)
            case $line[1] in
"#;

const ZSH_TAIL: &str = r#"            esac
            ;;
    esac
    return ret
}

compdef _cargo-xtask cargo-xtask 2>/dev/null
"#;

fn zsh(global: &[Flag], commands: &[CommandSpec]) -> String {
    let mut s = String::from(ZSH_HEAD);
    for f in global {
        s += &format!("        {} \\\n", zsh_flag(f));
    }
    s += ZSH_COMMANDS;
    for c in commands {
        s += &format!("                '{}:{}'\n", c.name, zsh_text(c.about));
    }
    s += ZSH_ARGS;
    for c in commands {
        s += &zsh_command(c);
    }
    s += ZSH_TAIL;
    s
}

/// One command's case in `args`: its flags, then its free word.
fn zsh_command(c: &CommandSpec) -> String {
    let mut s = format!("                {})\n                    _arguments \\\n", c.name);
    for f in &c.flags {
        s += &format!("                        {} \\\n", zsh_flag(f));
    }
    match &c.word {
        Values::Words(w) => s += &format!("                        '1:word:({})' && ret=0\n", w.join(" ")),
        _ => s += "                        && ret=0\n",
    }
    s += "                    ;;\n";
    s
}

// ---- fish ---------------------------------------------------------------------------------------

fn fish_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\'', "\\'")
}

fn fish_flag(condition: &str, f: &Flag) -> String {
    let mut s = format!("complete -c cargo -n '{condition}' -l {}", f.long.trim_start_matches("--"));
    if let Some(short) = f.short {
        s += &format!(" -s {}", short.trim_start_matches('-'));
    }
    match &f.value {
        None => {}
        Some(Values::Dirs) => s += " -r -a '(__fish_complete_directories)'",
        Some(Values::Files) => s += " -r -F",
        Some(Values::Words(w)) => s += &format!(" -x -a '{}'", w.join(" ")),
        Some(_) => s += " -x",
    }
    s + &format!(" -d '{}'\n", fish_text(f.about))
}

fn fish(global: &[Flag], commands: &[CommandSpec]) -> String {
    let names: Vec<&str> = commands.iter().map(|c| c.name).collect();
    let mut s = String::from(
        "# fish completion for `cargo xtask` (xtask-release). Save it where fish finds it:\n\
         #     cargo xtask completions fish > ~/.config/fish/completions/cargo-xtask.fish\n\
         # and source it from cargo's (or run `cargo xtask completions fish | source`).\n\n",
    );
    s += "function __cargo_xtask_no_command\n    __fish_seen_subcommand_from xtask; and not __fish_seen_subcommand_from ";
    s += &names.join(" ");
    s += "\nend\n\n";
    let in_xtask = "__fish_seen_subcommand_from xtask";
    for f in global {
        s += &fish_flag(in_xtask, f);
    }
    for c in commands {
        s += &format!("complete -c cargo -f -n __cargo_xtask_no_command -a {} -d '{}'\n", c.name, fish_text(c.about));
    }
    for c in commands {
        let condition = format!("{in_xtask}; and __fish_seen_subcommand_from {}", c.name);
        for f in &c.flags {
            s += &fish_flag(&condition, f);
        }
        if let Values::Words(w) = &c.word {
            s += &format!("complete -c cargo -f -n '{condition}' -a '{}'\n", w.join(" "));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag `parse` reads is in a help text, and every flag a help text
    /// shows is accepted by its command: the table completions read is whole.
    #[test]
    fn help_texts_and_parse_know_the_same_flags() {
        let source = include_str!("flags/mod.rs");
        let helps: Vec<&str> = commands().iter().filter_map(|c| flags::command_help(c.name)).collect();
        let code = &source[source.find("pub enum Command").unwrap()..];
        for (at, _) in code.match_indices("\"--") {
            let flag: String = code[at + 1..].chars().take_while(|c| c.is_alphanumeric() || *c == '-').collect();
            assert!(
                helps.iter().any(|h| h.contains(&format!("{flag} ")) || h.contains(&format!("{flag}\n"))),
                "{flag} is parsed but in no help text"
            );
        }
        for c in commands() {
            for f in &c.flags {
                let mut args = vec![c.name.to_string(), f.long.to_string()];
                if let Some(v) = &f.value {
                    args.push(match v {
                        Values::Words(w) => w[0].to_string(),
                        _ if f.long == "--jobs" => "2".into(),
                        _ => "x".into(),
                    });
                }
                if matches!(c.word, Values::Words(_)) && f.long != "--list" && f.long != "--help" {
                    args.push(match &c.word {
                        Values::Words(w) => w[0].to_string(),
                        _ => unreachable!(),
                    });
                }
                let raw = args.iter().map(std::ffi::OsString::from).collect();
                if let Err(e) = flags::parse(raw) {
                    let text = format!("{e:#}");
                    assert!(
                        !text.contains("unknown flag") && !text.contains("unexpected argument"),
                        "{args:?}: {text}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_command_and_flag_is_in_every_script() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = render(shell);
            for c in commands() {
                assert!(script.contains(c.name), "{shell:?}: {}", c.name);
                for f in &c.flags {
                    let name = if shell == Shell::Fish { format!("-l {}", &f.long[2..]) } else { f.long.to_string() };
                    assert!(script.contains(&name), "{shell:?}: {} {}", c.name, f.long);
                }
            }
        }
    }
}
