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
    states: Vec<State>,
    /// When each package left `waiting`, and when it reached its end.
    started: Vec<Option<Instant>>,
    finished: Vec<Option<Instant>>,
    /// What a package waits for (a rate limit and until when), shown after its state.
    notes: Vec<String>,
    drawn: usize,
}

impl Progress {
    pub fn new(names: Vec<String>, allow_live: bool) -> Progress {
        let now = Instant::now();
        let live = allow_live && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let n = names.len();
        let rows = Rows {
            names,
            states: vec![State::Waiting; n],
            started: vec![None; n],
            finished: vec![None; n],
            notes: vec![String::new(); n],
            drawn: 0,
        };
        Progress { live, start: now, rows: Mutex::new(rows) }
    }

    pub fn set(&self, i: usize, state: State) {
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        rows.states[i] = state;
        rows.notes[i].clear();
        if state != State::Waiting {
            rows.started[i].get_or_insert(now);
        }
        if matches!(state, State::Done | State::AlreadyPublished | State::Failed) {
            rows.finished[i] = Some(now);
        }
        if self.live {
            self.redraw(&mut rows);
        } else {
            eprintln!("[{:>7.1}s] {}: {}", self.start.elapsed().as_secs_f64(), rows.names[i], state.as_str());
        }
    }

    /// What package `i` waits for now ("rate limit: …; next upload in 40 s").
    /// Outside a terminal a line is printed when what it waits for changes,
    /// not for every second of the countdown.
    pub fn note(&self, i: usize, text: &str) {
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        let what = |t: &str| t.split(';').next().unwrap_or_default().to_string();
        let changed = what(&rows.notes[i]) != what(text);
        rows.notes[i] = text.to_string();
        if self.live {
            self.redraw(&mut rows);
        } else if changed {
            eprintln!("[{:>7.1}s] {}: waiting ({text})", self.start.elapsed().as_secs_f64(), rows.names[i]);
        }
    }

    /// Redraws the live table so that elapsed times move between state changes.
    pub fn tick(&self) {
        if self.live {
            let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
            self.redraw(&mut rows);
        }
    }

    fn redraw(&self, rows: &mut Rows) {
        let mut err = std::io::stderr().lock();
        if rows.drawn > 0 {
            let _ = write!(err, "\x1b[{}A", rows.drawn);
        }
        let width = rows.names.iter().map(String::len).max().unwrap_or(0);
        for (i, (name, state)) in rows.names.iter().zip(&rows.states).enumerate() {
            let secs = match (rows.started[i], rows.finished[i]) {
                (Some(s), Some(f)) => format!("{:.1}s", (f - s).as_secs_f64()),
                (Some(s), None) => format!("{:.1}s", s.elapsed().as_secs_f64()),
                _ => String::new(),
            };
            let note = if rows.notes[i].is_empty() { String::new() } else { format!("  ({})", rows.notes[i]) };
            let _ = writeln!(err, "\x1b[2K  {name:<width$}  {:<17} {secs}{note}", state.as_str());
        }
        let _ = err.flush();
        rows.drawn = rows.names.len();
    }
}
