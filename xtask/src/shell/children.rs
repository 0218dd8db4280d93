//! Children never outlive a release.
//!
//! Every child starts in a process group of its own (so that what it starts in
//! turn, rustc under cargo or a build backend under uv, can be stopped with it)
//! and, on Linux, is killed by the kernel when the xtask dies (`PR_SET_PDEATHSIG`),
//! however it dies. Ctrl-C, SIGTERM and SIGHUP reach the children's groups too:
//! the xtask passes them on before it dies of them. While a release holds its
//! lock (`track`), each running child is recorded in
//! `.git/xtask-release/children/PID` with its start time; what a SIGKILL left
//! there is stopped by the next release, resume or abandon before it touches
//! any file (`stop_left_behind`). Without `/proc` (no start time to tell a
//! reused PID from ours) records are only cleared, never acted on.
//!
//! What must happen before the xtask dies of such a signal (revoking registry
//! tokens) registers with `on_interrupt`: the handler then wakes a thread that
//! runs it and dies of the signal afterwards.
//!
//! git is the exception: it stays in the xtask's process group, because a push
//! or a signed tag may ask on the terminal (ssh passphrase, credentials, gpg),
//! which a process outside the terminal's foreground group cannot; it starts
//! nothing long-lived here (hooks are off), and PDEATHSIG still ends it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Ctx;
#[cfg(test)]
use super::Mode;

/// Where running children are recorded (`.git/xtask-release/children`), while a release holds the lock.
static RECORDS: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The process groups of the children running now, for the signal handler
/// (which may only read atomics). 0 is a free slot.
static LIVE: [AtomicI32; 64] = [const { AtomicI32::new(0) }; 64];

/// Work that must be done when Ctrl-C, SIGTERM or SIGHUP arrives, before the
/// xtask dies of it (revoking registry tokens), by id.
type Cleanup = std::sync::Arc<dyn Fn() + Send + Sync>;
static CLEANUPS: Mutex<Vec<(u64, Cleanup)>> = Mutex::new(Vec::new());

/// The write end of the pipe the signal handler wakes the cleanup thread through (-1: none yet).
static WAKE: AtomicI32 = AtomicI32::new(-1);

/// `cleanup` runs (on a thread of its own) when a signal that ends the xtask
/// arrives, after the children were told and before the xtask dies; a second
/// signal ends it at once. Until the returned guard is dropped.
pub fn on_interrupt(cleanup: Cleanup) -> Interrupt {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Ordering::SeqCst);
    start_cleanup_thread();
    install_signal_handlers();
    CLEANUPS.lock().unwrap_or_else(|e| e.into_inner()).push((id, cleanup));
    Interrupt(id)
}

/// A registered cleanup; dropping it unregisters it.
pub struct Interrupt(u64);

impl Drop for Interrupt {
    fn drop(&mut self) {
        CLEANUPS.lock().unwrap_or_else(|e| e.into_inner()).retain(|(id, _)| *id != self.0);
    }
}

/// The thread that runs the cleanups when the handler wakes it, then dies of the signal.
fn start_cleanup_thread() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let mut fds = [0 as libc::c_int; 2];
            // SAFETY: a plain pipe(2) into a local array
            if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
                return;
            }
            let read = fds[0];
            std::thread::spawn(move || {
                let mut sig = 0u8;
                // SAFETY: reads one byte into a local from the pipe this thread owns
                while unsafe { libc::read(read, (&mut sig as *mut u8).cast(), 1) } == 1 {
                    let cleanups: Vec<Cleanup> =
                        CLEANUPS.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(_, c)| c.clone()).collect();
                    for c in cleanups {
                        c();
                    }
                    // SAFETY: the handler restored the default action: the process ends of the signal
                    unsafe {
                        libc::raise(libc::c_int::from(sig));
                    }
                }
            });
            WAKE.store(fds[1], Ordering::SeqCst);
        });
    }
}

/// From now on, running children are recorded under `state/children/`.
pub fn track(state: &Path) {
    *RECORDS.lock().unwrap_or_else(|e| e.into_inner()) = Some(state.join("children"));
}

/// Prepares `command` to start as a child that cannot outlive the xtask.
pub(super) fn configure(command: &mut Command) {
    let own_group = leads_group(command);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if own_group {
            command.process_group(0);
        }
        #[cfg(target_os = "linux")]
        {
            // SAFETY: the closure runs in the forked child before exec and only
            // makes async-signal-safe calls (prctl, getppid).
            let parent = std::process::id() as libc::pid_t;
            unsafe {
                command.pre_exec(move || {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    // the xtask died between fork and prctl: nothing to do for it
                    if libc::getppid() != parent {
                        return Err(std::io::Error::other("the xtask that started it is gone"));
                    }
                    Ok(())
                });
            }
        }
    }
    #[cfg(not(unix))]
    let _ = own_group;
    install_signal_handlers();
}

/// A running child: recorded while it lives, forgotten on drop.
pub(super) struct Running {
    slot: Option<usize>,
    record: Option<PathBuf>,
}

/// Records a child that just started (`group`: it leads its own process group).
pub(super) fn started(pid: u32, group: bool) -> Running {
    let group = group.then_some(pid as i32);
    let slot = group
        .and_then(|g| LIVE.iter().position(|s| s.compare_exchange(0, g, Ordering::SeqCst, Ordering::SeqCst).is_ok()));
    let dir = RECORDS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let record = dir.and_then(|dir| record(&dir, pid));
    Running { slot, record }
}

/// `dir/PID`, holding the child's start time (how a reused PID is told apart).
fn record(dir: &Path, pid: u32) -> Option<PathBuf> {
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(pid.to_string());
    std::fs::write(&path, start_time(pid).unwrap_or_default()).ok()?;
    Some(path)
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            LIVE[slot].store(0, Ordering::SeqCst);
        }
        if let Some(path) = &self.record {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Does a child of `command` lead its own process group (see `configure`)?
pub(super) fn leads_group(command: &Command) -> bool {
    cfg!(unix) && command.get_program() != "git"
}

/// Stops what an interrupted release left running (the process groups its
/// records name) and waits until it is gone, before anything is touched.
/// A dry run only says what it would stop.
pub fn stop_left_behind(ctx: &Ctx, state: &Path) -> anyhow::Result<()> {
    let dir = state.join("children");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(()) };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(pid) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let recorded = std::fs::read_to_string(&path).unwrap_or_default();
        // only a record with a start time is acted on (Linux): a PID reused
        // since (another start time) is not ours, and a group whose leader is
        // gone cannot have been reused while its members live
        let ours = !recorded.is_empty() && start_time(pid).is_none_or(|now| now == recorded);
        if ours && group_alive(pid) {
            ctx.effect(format_args!("stop process group {pid}, left running by the interrupted release"), || {
                println!("  stopping process group {pid}, left running by the interrupted release");
                stop_group(pid);
                Ok(())
            })?;
        }
        ctx.quietly(|| super::fs::remove_file(&path))?;
    }
    Ok(())
}

/// Kills process group `pid` and waits (10 s at most) until it is gone.
fn stop_group(pid: u32) {
    kill_group(pid);
    let deadline = Instant::now() + Duration::from_secs(10);
    while group_alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if group_alive(pid) {
        eprintln!("warning: process group {pid} is still running after SIGKILL");
    }
}

/// The start time of `pid` (Linux: clock ticks since boot, `/proc/PID/stat` field 22).
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19).map(str::to_string)
}

/// Does any live process (zombies do not count) belong to process group `pgid`?
fn group_alive(pgid: u32) -> bool {
    if Path::new("/proc/self/stat").exists() {
        let Ok(entries) = std::fs::read_dir("/proc") else { return false };
        let pgid = pgid.to_string();
        return entries.flatten().any(|e| {
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { return false };
            let Some((_, rest)) = stat.rsplit_once(')') else { return false };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // state, ppid, pgrp
            fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid
        });
    }
    #[cfg(unix)]
    {
        // SAFETY: signal 0 only checks that the group exists
        unsafe { libc::kill(-(pgid as libc::pid_t), 0) == 0 }
    }
    #[cfg(not(unix))]
    false
}

fn kill_group(pgid: u32) {
    #[cfg(unix)]
    // SAFETY: a plain system call on a process group this release started
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = pgid;
}

/// Ctrl-C, SIGTERM and SIGHUP go to the xtask's process group only; the
/// children's groups get them from here, then the xtask dies of the signal.
fn install_signal_handlers() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                // SAFETY: `pass_on` only reads atomics and makes async-signal-safe calls
                unsafe {
                    libc::signal(sig, pass_on as *const () as libc::sighandler_t);
                }
            }
        });
    }
}

#[cfg(unix)]
extern "C" fn pass_on(sig: libc::c_int) {
    for slot in &LIVE {
        let group = slot.load(Ordering::SeqCst);
        if group > 0 {
            // SAFETY: kill, signal and raise are async-signal-safe
            unsafe {
                libc::kill(-group, sig);
            }
        }
    }
    let wake = WAKE.load(Ordering::SeqCst);
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        // cleanups to run first: the cleanup thread dies of the signal once they are done
        if wake >= 0 {
            let byte = sig as u8;
            if libc::write(wake, (&byte as *const u8).cast(), 1) == 1 {
                return;
            }
        }
        libc::raise(sig);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A child recorded and left running (as a SIGKILL of the xtask leaves it),
    /// with a child of its own: the next lock holder stops the whole group.
    #[test]
    fn a_recorded_group_left_running_is_stopped() {
        let tmp = crate::test_support::TempDir::new("children");
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 30 & wait"]);
        configure(&mut command);
        let mut child = command.spawn().unwrap();
        let pid = child.id();
        let path = record(&tmp.0.join("children"), pid).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert!(group_alive(pid));
        let ctx = Ctx::new(Mode::DryRun, tmp.0.clone());
        stop_left_behind(&ctx, &tmp.0).unwrap();
        assert!(group_alive(pid) && path.exists(), "a dry run stops nothing");
        let ctx = Ctx { mode: Mode::Write, ..ctx };
        stop_left_behind(&ctx, &tmp.0).unwrap();
        assert!(!group_alive(pid), "the group outlived stop_left_behind");
        assert!(!path.exists(), "the record is left");
        assert!(!child.wait().unwrap().success());
    }
}
