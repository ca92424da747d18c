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
        // The guest gets no handle on the collector: `gc()` would let it probe heap timing.
        v8::V8::set_flags_from_string("--no-expose-gc");
        // Sparkplug code is compiled on the session's own thread: a background compile that
        // cannot allocate on a heap at its limit is a fatal out-of-memory of the whole process
        // (the near-heap-limit callback serves only the isolate's own thread).
        v8::V8::set_flags_from_string("--no-concurrent-sparkplug");
        // A fixed pool, counted, since the sandboxed worker cannot list its threads later.
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
        let platform = v8::new_default_platform(workers as u32, false).make_shared();
        crate::threads::add_permanent(workers as u32);
        v8::V8::initialize_platform(platform.clone());
        v8::V8::initialize();
        platform
    });
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
