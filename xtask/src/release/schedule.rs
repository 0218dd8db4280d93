//! The scheduler: each package starts as soon as everything it waits for has
//! succeeded (not level by level), at most `jobs` at a time, on std threads.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};

/// Runs `work(i)` for every node once all of `deps[i]` succeeded, on at most
/// `jobs` threads. After a failure nothing new starts; running work finishes.
/// Returns each node's result (`None`: never started).
pub fn schedule<T: Send>(
    deps: &[Vec<usize>],
    jobs: usize,
    work: impl Fn(usize) -> anyhow::Result<T> + Sync,
) -> Vec<Option<anyhow::Result<T>>> {
    struct S<T> {
        waiting_on: Vec<usize>,
        ready: VecDeque<usize>,
        running: usize,
        failed: bool,
        results: Vec<Option<anyhow::Result<T>>>,
    }
    let n = deps.len();
    let mut dependents = vec![vec![]; n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(i);
        }
    }
    let waiting_on: Vec<usize> = deps.iter().map(Vec::len).collect();
    let ready: VecDeque<usize> = (0..n).filter(|&i| waiting_on[i] == 0).collect();
    let state = Mutex::new(S { waiting_on, ready, running: 0, failed: false, results: (0..n).map(|_| None).collect() });
    let wake = Condvar::new();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, n.max(1)) {
            scope.spawn(|| loop {
                let i = {
                    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                    loop {
                        if s.failed || (s.ready.is_empty() && s.running == 0) {
                            wake.notify_all();
                            return;
                        }
                        if let Some(i) = s.ready.pop_front() {
                            s.running += 1;
                            break i;
                        }
                        s = wake.wait(s).unwrap_or_else(|e| e.into_inner());
                    }
                };
                let result = work(i);
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                s.running -= 1;
                if result.is_ok() {
                    for &d in &dependents[i] {
                        s.waiting_on[d] -= 1;
                        if s.waiting_on[d] == 0 {
                            s.ready.push_back(d);
                        }
                    }
                } else {
                    s.failed = true;
                }
                s.results[i] = Some(result);
                wake.notify_all();
            });
        }
    });
    state.into_inner().unwrap_or_else(|e| e.into_inner()).results
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A gate a test opens from another node's work: waiting on it times out
    /// (and fails the test) instead of hanging when the schedule is wrong.
    struct Gate(Mutex<bool>, Condvar);

    impl Gate {
        fn new() -> Gate {
            Gate(Mutex::new(false), Condvar::new())
        }
        fn open(&self) {
            *self.0.lock().unwrap() = true;
            self.1.notify_all();
        }
        fn wait(&self) -> bool {
            let g = self.0.lock().unwrap();
            let (g, _) = self.1.wait_timeout_while(g, Duration::from_secs(10), |open| !*open).unwrap();
            *g
        }
    }

    #[test]
    fn starts_each_node_when_its_own_dependencies_finish() {
        // a ; b ; c needs b ; d needs a. a cannot finish until c has run:
        // a level-by-level scheduler would never start c, and a times out.
        let deps = vec![vec![], vec![], vec![1], vec![0]];
        let c_ran = Gate::new();
        let order = Mutex::new(vec![]);
        let results = schedule(&deps, 2, |i| {
            if i == 0 && !c_ran.wait() {
                anyhow::bail!("c never ran while a was running");
            }
            order.lock().unwrap().push(i);
            if i == 2 {
                c_ran.open();
            }
            Ok(i)
        });
        assert!(results.iter().all(|r| matches!(r, Some(Ok(_)))), "{results:?}");
        let order = order.into_inner().unwrap();
        let at = |n: usize| order.iter().position(|&i| i == n).unwrap();
        assert!(at(2) < at(0) && at(0) < at(3), "{order:?}");
    }

    #[test]
    fn a_failure_stops_new_work() {
        let deps = vec![vec![], vec![0], vec![1]];
        let ran = AtomicUsize::new(0);
        let results = schedule(&deps, 3, |i| {
            ran.fetch_add(1, Ordering::SeqCst);
            if i == 1 {
                anyhow::bail!("boom")
            }
            Ok(())
        });
        assert_eq!(ran.load(Ordering::SeqCst), 2);
        assert!(results[1].as_ref().unwrap().is_err());
        assert!(results[2].is_none());
    }

    #[test]
    fn runs_up_to_the_job_limit_and_never_more() {
        // every node waits until three run at once (or times out): the peak
        // must reach the limit, and must never pass it
        let deps = vec![vec![]; 9];
        let now = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let three = Gate::new();
        schedule(&deps, 3, |_| {
            let c = now.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(c, Ordering::SeqCst);
            if c == 3 {
                three.open();
            }
            let reached = three.wait();
            now.fetch_sub(1, Ordering::SeqCst);
            anyhow::ensure!(reached, "three jobs never ran at once");
            Ok(())
        });
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
