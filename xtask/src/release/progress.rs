//! Per-package progress. On a terminal: a live table of states with elapsed
//! times, redrawn in place. Elsewhere (CI, pipes, tests): one line per state change.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Waiting,
    Building,
    Publishing,
    Polling,
    Verifying,
    SmokeTesting,
    Done,
    AlreadyPublished,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Building => "building",
            State::Publishing => "publishing",
            State::Polling => "polling",
            State::Verifying => "verifying",
            State::SmokeTesting => "smoke-testing",
            State::Done => "done",
            State::AlreadyPublished => "already published",
            State::Failed => "failed",
        }
    }
}

pub struct Progress {
    live: bool,
    start: Instant,
    rows: Mutex<Rows>,
}

struct Rows {
    names: Vec<String>,
    states: Vec<(State, Instant)>,
    drawn: usize,
}

impl Progress {
    pub fn new(names: Vec<String>, allow_live: bool) -> Progress {
        let now = Instant::now();
        let live = allow_live && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let states = vec![(State::Waiting, now); names.len()];
        Progress { live, start: now, rows: Mutex::new(Rows { names, states, drawn: 0 }) }
    }

    pub fn set(&self, i: usize, state: State) {
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        rows.states[i] = (state, Instant::now());
        if self.live {
            self.redraw(&mut rows);
        } else {
            eprintln!("[{:>7.1}s] {}: {}", self.start.elapsed().as_secs_f64(), rows.names[i], state.as_str());
        }
    }

    fn redraw(&self, rows: &mut Rows) {
        let mut err = std::io::stderr().lock();
        if rows.drawn > 0 {
            let _ = write!(err, "\x1b[{}A", rows.drawn);
        }
        let width = rows.names.iter().map(String::len).max().unwrap_or(0);
        for (name, (state, since)) in rows.names.iter().zip(&rows.states) {
            let secs = match state {
                State::Waiting => String::new(),
                _ => format!("{:.1}s", since.elapsed().as_secs_f64()),
            };
            let _ = writeln!(err, "\x1b[2K  {name:<width$}  {:<17} {secs}", state.as_str());
        }
        let _ = err.flush();
        rows.drawn = rows.names.len();
    }
}
