//! The scheduler: each package starts as soon as everything it waits for has
//! succeeded (not level by level), at most `jobs` at a time, on std threads.
//! Of the ready packages, the one with the longest chain of dependents behind
//! it starts first (the critical path). A package that waits for something
//! other than the machine (a registry's rate limit, the index) gives its slot
//! up meanwhile (`Slot::idle`), so what is ready builds while it waits.

use std::sync::{Condvar, Mutex};

/// A running package's hold on a job slot.
pub struct Slot<'a> {
    /// The package's chain of dependents, itself included: who goes first.
    pub priority: usize,
    state: &'a Mutex<Counts>,
    wake: &'a Condvar,
    jobs: usize,
}

/// What the threads share besides the results.
struct Counts {
    /// Packages holding a slot.
    running: usize,
    /// Packages started and not finished, with a slot or idle.
    active: usize,
    /// Idle packages waiting to take a slot back (they go before new ones).
    resuming: usize,
}

impl Slot<'_> {
    /// Runs `wait` without holding a slot, then takes one back (before any
    /// package not started yet).
    pub fn idle<T>(&self, wait: impl FnOnce() -> T) -> T {
        {
            let mut c = self.state.lock().unwrap_or_else(|e| e.into_inner());
            c.running -= 1;
            self.wake.notify_all();
        }
        let out = wait();
        let mut c = self.state.lock().unwrap_or_else(|e| e.into_inner());
        c.resuming += 1;
        while c.running >= self.jobs {
            c = self.wake.wait(c).unwrap_or_else(|e| e.into_inner());
        }
        c.resuming -= 1;
        c.running += 1;
        out
    }
}

/// Each node's priority: the length of the longest chain of nodes that wait
/// on it, itself included.
fn chain_lengths(dependents: &[Vec<usize>], deps: &[Vec<usize>]) -> Vec<usize> {
    let n = deps.len();
    let mut len = vec![0usize; n];
    // dependents before their dependencies: repeat until stable (the graph is acyclic, n rounds at most)
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..n {
            let l = 1 + dependents[i].iter().map(|&d| len[d]).max().unwrap_or(0);
            if l != len[i] {
                len[i] = l;
                changed = true;
            }
        }
    }
    len
}

/// Runs `work(i, slot)` for every node once all of `deps[i]` succeeded, at
/// most `jobs` holding a slot at once. After a failure nothing new starts;
/// started work finishes. Returns each node's result (`None`: never started).
pub fn schedule<T: Send>(
    deps: &[Vec<usize>],
    jobs: usize,
    work: impl Fn(usize, &Slot) -> anyhow::Result<T> + Sync,
) -> Vec<Option<anyhow::Result<T>>> {
    struct S<T> {
        waiting_on: Vec<usize>,
        ready: Vec<usize>,
        failed: bool,
        results: Vec<Option<anyhow::Result<T>>>,
    }
    let n = deps.len();
    let jobs = jobs.max(1);
    let mut dependents = vec![vec![]; n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(i);
        }
    }
    let chain = chain_lengths(&dependents, deps);
    let waiting_on: Vec<usize> = deps.iter().map(Vec::len).collect();
    let ready: Vec<usize> = (0..n).filter(|&i| waiting_on[i] == 0).collect();
    let state = Mutex::new(S { waiting_on, ready, failed: false, results: (0..n).map(|_| None).collect() });
    let counts = Mutex::new(Counts { running: 0, active: 0, resuming: 0 });
    let wake = Condvar::new();
    // the longest chain first, then the release order
    let next = |ready: &mut Vec<usize>| -> Option<usize> {
        let at = (0..ready.len()).min_by_key(|&k| (std::cmp::Reverse(chain[ready[k]]), ready[k]))?;
        Some(ready.remove(at))
    };
    // idle packages free their slots: enough threads for every package, at most 64
    let threads = n.min(jobs.max(64)).max(1);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = {
                    let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
                    loop {
                        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                        if s.failed || (s.ready.is_empty() && c.active == 0) {
                            wake.notify_all();
                            return;
                        }
                        if c.running < jobs && c.resuming == 0 {
                            if let Some(i) = next(&mut s.ready) {
                                c.running += 1;
                                c.active += 1;
                                break i;
                            }
                        }
                        drop(s);
                        c = wake.wait(c).unwrap_or_else(|e| e.into_inner());
                    }
                };
                let slot = Slot { priority: chain[i], state: &counts, wake: &wake, jobs };
                let result = work(i, &slot);
                let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                c.running -= 1;
                c.active -= 1;
                if result.is_ok() {
                    for &d in &dependents[i] {
                        s.waiting_on[d] -= 1;
                        if s.waiting_on[d] == 0 {
                            s.ready.push(d);
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
        let results = schedule(&deps, 2, |i, _| {
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
        let results = schedule(&deps, 3, |i, _| {
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
        schedule(&deps, 3, |_, _| {
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

    /// With one slot, of two ready packages the one with the longer chain of
    /// dependents behind it starts first: the release's critical path.
    #[test]
    fn ready_work_starts_longest_chain_first() {
        // 0 alone; 1 ← 2 ← 3 (3 needs 2 needs 1)
        let deps = vec![vec![], vec![], vec![1], vec![2]];
        let order = Mutex::new(vec![]);
        schedule(&deps, 1, |i, _| {
            order.lock().unwrap().push(i);
            Ok(())
        });
        assert_eq!(order.into_inner().unwrap(), vec![1, 2, 0, 3]);
    }

    /// A package that waits idle (for a registry's token) gives its slot to
    /// the next ready one: with one slot, 1 runs while 0 waits for it.
    #[test]
    fn a_package_waiting_idle_lends_its_slot() {
        let deps = vec![vec![], vec![]];
        let second_ran = Gate::new();
        let results = schedule(&deps, 1, |i, slot| {
            if i == 0 {
                anyhow::ensure!(slot.idle(|| second_ran.wait()), "1 never ran while 0 waited");
            } else {
                second_ran.open();
            }
            Ok(())
        });
        assert!(results.iter().all(|r| matches!(r, Some(Ok(())))), "{results:?}");
    }
}
