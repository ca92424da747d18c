//! Enforces CPU-time and wall-clock limits for every session from one thread.
//!
//! A session registers its thread's CPU clock (`pthread_getcpuclockid`) and its deadlines.
//! The watchdog sleeps exactly until the earliest moment a limit could be reached: CPU time
//! advances no faster than wall time, so a session with `r` ms of CPU budget left cannot run
//! out sooner than `r` ms from now. On waking it reads the clocks, stops the sessions that are
//! over, and sleeps again. Overshoot is therefore the wake-up latency, not a polling period.
//!
//! A session may also set a deadline for one script (`vm`'s `timeout`): when it passes, the
//! watchdog interrupts the script's execution without stopping the session, which the session
//! thread then resumes and turns into the guest's exception (`ScriptTimer`).
//!
//! It also notices a session that was told to stop but does not (a native call that never
//! returns): after [`STOP_GRACE`] the worker aborts, because a thread it cannot stop would hold
//! its isolate and slot forever. The host reports that as a process crash.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::control::{Control, Stop, lock};

/// How long a session may keep running after being told to stop.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Shortest sleep between checks, so a nearly exhausted budget does not spin the watchdog.
const MIN_SLEEP: Duration = Duration::from_micros(200);

/// Handle to the watchdog thread; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    entries: Mutex<Entries>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Entries {
    next_key: u64,
    list: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    key: u64,
    control: Arc<Control>,
    clock: libc::clockid_t,
    /// Absolute reading of the thread's CPU clock at which the session is over its limit.
    cpu_deadline: Option<Duration>,
    wall_deadline: Instant,
    stop_sent_at: Option<Instant>,
    /// When the script the session runs under a timeout must be interrupted.
    script_deadline: Option<Instant>,
    /// The script deadline passed and the script was interrupted.
    script_fired: bool,
}

/// Removes the session from the watchdog when dropped.
#[derive(Debug)]
pub(crate) struct Watch {
    shared: Arc<Shared>,
    key: u64,
}

/// The calling thread's CPU clock and its current reading.
pub(crate) fn current_thread_clock() -> Option<(libc::clockid_t, Duration)> {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: pthread_self is always valid for the calling thread; the out-pointer is ours.
    let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
    if rc != 0 {
        return None;
    }
    read_clock(clock).map(|now| (clock, now))
}

pub(crate) fn read_clock(clock: libc::clockid_t) -> Option<Duration> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into our timespec; an invalid clock returns an error.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return None;
    }
    Some(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

impl Watchdog {
    /// Starts the watchdog thread.
    pub(crate) fn start() -> std::io::Result<Self> {
        let shared = Arc::new(Shared { entries: Mutex::default(), changed: Condvar::new() });
        let thread_shared = Arc::clone(&shared);
        std::thread::Builder::new().name("watchdog".into()).spawn(move || {
            let _live = crate::threads::enter();
            run(&thread_shared)
        })?;
        Ok(Self { shared })
    }

    /// Watches the calling session thread. `cpu_used` is the thread clock's reading when the
    /// session's code started, so isolate set-up does not count against the guest.
    pub(crate) fn watch(
        &self,
        control: Arc<Control>,
        clock: libc::clockid_t,
        cpu_used: Duration,
        cpu_limit: Option<Duration>,
        wall_limit: Duration,
    ) -> Watch {
        let mut entries = lock(&self.shared.entries);
        entries.next_key += 1;
        let key = entries.next_key;
        entries.list.push(Entry {
            key,
            control,
            clock,
            cpu_deadline: cpu_limit.map(|limit| cpu_used + limit),
            wall_deadline: Instant::now() + wall_limit,
            stop_sent_at: None,
            script_deadline: None,
            script_fired: false,
        });
        drop(entries);
        self.shared.changed.notify_one();
        Watch { shared: Arc::clone(&self.shared), key }
    }
}

impl Watch {
    /// The session thread's handle on its script deadline.
    pub(crate) fn script_timer(&self) -> ScriptTimer {
        ScriptTimer { shared: Arc::clone(&self.shared), key: self.key }
    }
}

/// Sets and clears a watched session's script deadline, from its own thread. Once the
/// session's watch is dropped it does nothing.
#[derive(Debug, Clone)]
pub(crate) struct ScriptTimer {
    shared: Arc<Shared>,
    key: u64,
}

impl ScriptTimer {
    /// Interrupts the session's script at `deadline`, or at an earlier one already set (a
    /// script under a timeout running another); returns the deadline it replaces, for
    /// [`ScriptTimer::disarm`].
    pub(crate) fn arm(&self, deadline: Instant) -> Option<Instant> {
        let mut entries = lock(&self.shared.entries);
        let entry = entries.list.iter_mut().find(|entry| entry.key == self.key)?;
        let previous = entry.script_deadline;
        entry.script_deadline = Some(previous.map_or(deadline, |earlier| earlier.min(deadline)));
        entry.script_fired = false;
        drop(entries);
        self.shared.changed.notify_one();
        previous
    }

    /// Puts back the `previous` deadline and says whether the script was interrupted since
    /// [`ScriptTimer::arm`], and for whom. Under the watchdog's lock, so the deadline cannot
    /// pass unseen between the script's end and this.
    pub(crate) fn disarm(&self, previous: Option<Instant>) -> Interrupted {
        let mut entries = lock(&self.shared.entries);
        let Some(entry) = entries.list.iter_mut().find(|entry| entry.key == self.key) else {
            return Interrupted::No;
        };
        entry.script_deadline = previous;
        if !entry.script_fired {
            Interrupted::No
        } else if previous.is_some_and(|earlier| earlier <= Instant::now()) {
            // The enclosing script's deadline has passed too: the interruption stays marked
            // and goes on up to that script.
            Interrupted::Enclosing
        } else {
            entry.script_fired = false;
            Interrupted::This
        }
    }
}

/// Whether a script run under a deadline was interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interrupted {
    No,
    /// Its own deadline passed.
    This,
    /// An enclosing script's deadline passed.
    Enclosing,
}

impl Drop for Watch {
    fn drop(&mut self) {
        // Removal happens on the session thread before it exits, so the watchdog never reads
        // the CPU clock of a thread that is gone.
        lock(&self.shared.entries).list.retain(|entry| entry.key != self.key);
    }
}

/// The limit `entry` has reached, if any; otherwise shortens the sleep to when it could.
fn over_limit(entry: &Entry, now: Instant, shorten: &mut impl FnMut(Duration)) -> Option<Stop> {
    if now >= entry.wall_deadline {
        return Some(Stop::Timeout);
    }
    let mut next = entry.wall_deadline - now;
    if let Some(deadline) = entry.cpu_deadline {
        // The clock of a live, registered thread cannot fail; if it did, the wall-clock
        // deadline would still bound the session.
        if let Some(used) = read_clock(entry.clock) {
            if used >= deadline {
                return Some(Stop::CpuTimeLimit);
            }
            next = next.min(deadline - used);
        }
    }
    shorten(next.max(MIN_SLEEP));
    None
}

fn run(shared: &Shared) {
    let mut entries = lock(&shared.entries);
    loop {
        let now = Instant::now();
        let mut sleep: Option<Duration> = None;
        let mut shorten = |d: Duration| sleep = Some(sleep.map_or(d, |s| s.min(d)));
        for entry in &mut entries.list {
            if entry.stop_sent_at.is_none() {
                if entry.control.stopped().is_some() {
                    entry.stop_sent_at = Some(now);
                } else if let Some(reason) = over_limit(entry, now, &mut shorten) {
                    entry.control.stop(reason);
                    entry.stop_sent_at = Some(now);
                } else if let Some(deadline) = entry.script_deadline.filter(|_| !entry.script_fired)
                {
                    if now >= deadline {
                        entry.script_fired = true;
                        entry.control.interrupt();
                    } else {
                        shorten((deadline - now).max(MIN_SLEEP));
                    }
                }
            }
            if let Some(sent) = entry.stop_sent_at {
                let waited = now.duration_since(sent);
                if waited > STOP_GRACE {
                    eprintln!(
                        "secure-exec-worker: session {} did not stop within {:?}; aborting the \
                         worker",
                        entry.control.id(),
                        STOP_GRACE
                    );
                    std::process::abort();
                }
                shorten(STOP_GRACE - waited + MIN_SLEEP);
            }
        }
        entries = match sleep {
            Some(duration) => {
                shared
                    .changed
                    .wait_timeout(entries, duration)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0
            }
            None => shared.changed.wait(entries).unwrap_or_else(std::sync::PoisonError::into_inner),
        };
    }
}
