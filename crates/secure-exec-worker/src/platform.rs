//! Process-wide V8 set-up: ICU data, flags and the platform, done once before any isolate.

use std::sync::OnceLock;

static PLATFORM: OnceLock<v8::SharedRef<v8::Platform>> = OnceLock::new();

/// Initialises V8 for this process. Idempotent.
pub(crate) fn init() {
    PLATFORM.get_or_init(|| {
        // ICU must be loaded before V8 initialises, or `Intl` and `toLocaleString` fall back to
        // a build without locale data. A failure here means a broken build, so it is fatal.
        if let Err(err) = v8::icu::set_common_data_78(deno_core_icudata::ICU_DATA) {
            panic!("cannot load ICU data: error {err}");
        }
        v8::icu::set_default_locale("en-US");
        // V8 seeds each isolate's generator (Math.random, the string hash seed) from
        // /dev/urandom, which the sandbox does not let it open; without a source of its own it
        // falls back to the time of day, a guessable seed.
        v8::V8::set_entropy_source(|buffer: &mut [u8]| kernel_random(buffer));
        // The guest gets no handle on the collector: `gc()` would let it probe heap timing.
        v8::V8::set_flags_from_string("--no-expose-gc");
        // Sparkplug code is compiled on the session's own thread: a background compile that
        // cannot allocate on a heap at its limit is a fatal out-of-memory of the whole process
        // (the near-heap-limit callback serves only the isolate's own thread).
        v8::V8::set_flags_from_string("--no-concurrent-sparkplug");
        // The same for Maglev and TurboFan (and their on-stack replacement): a concurrent job
        // allocates its code's tables on the heap from a background thread, and at the limit
        // that ended the worker (a hot function in a 4 MB session on a busy machine).
        v8::V8::set_flags_from_string("--no-concurrent-recompilation");
        v8::V8::set_flags_from_string("--no-concurrent-osr");
        // Array buffers (every typed array: this V8 build keeps none on the heap) are swept on
        // the session's thread: freed where they were allocated, not from a background thread
        // against the session's malloc arena, and counted in the session's CPU time. Creating
        // small typed arrays became about twice as fast.
        v8::V8::set_flags_from_string("--no-concurrent-array-buffer-sweeping");
        // A fixed pool, counted, since the sandboxed worker cannot list its threads later.
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
        let platform = v8::new_default_platform(workers as u32, false).make_shared();
        crate::threads::add_permanent(workers as u32);
        v8::V8::initialize_platform(platform.clone());
        v8::V8::initialize();
        platform
    });
}

/// Fills `buffer` with random bytes from the kernel (getrandom, which the sandbox allows).
pub(crate) fn kernel_random(buffer: &mut [u8]) -> bool {
    let mut filled = 0;
    while filled < buffer.len() {
        let rest = &mut buffer[filled..];
        // SAFETY: getrandom writes at most `rest.len()` bytes into the slice we own.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        filled += n.unsigned_abs();
    }
    true
}

/// Runs the foreground tasks V8 posted for `isolate` (for example the completion of an
/// asynchronous WebAssembly compile). Returns whether any ran.
pub(crate) fn run_foreground_tasks(isolate: &v8::Isolate) -> bool {
    let Some(platform) = PLATFORM.get() else { return false };
    let mut ran = false;
    while v8::Platform::pump_message_loop(platform, isolate, false) {
        ran = true;
    }
    ran
}
