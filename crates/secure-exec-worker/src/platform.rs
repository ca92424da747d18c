//! Process-wide V8 set-up: ICU data, flags and the platform, done once before any isolate.

use std::sync::Once;

static INIT: Once = Once::new();

/// Initialises V8 for this process. Idempotent.
pub(crate) fn init() {
    INIT.call_once(|| {
        // ICU must be loaded before V8 initialises, or `Intl` and `toLocaleString` fall back to
        // a build without locale data. A failure here means a broken build, so it is fatal.
        if let Err(err) = v8::icu::set_common_data_78(deno_core_icudata::ICU_DATA) {
            panic!("cannot load ICU data: error {err}");
        }
        v8::icu::set_default_locale("en-US");
        // The guest gets no handle on the collector: `gc()` would let it probe heap timing.
        v8::V8::set_flags_from_string("--no-expose-gc");
        let platform = v8::new_default_platform(0, false).make_shared();
        v8::V8::initialize_platform(platform);
        v8::V8::initialize();
    });
}
