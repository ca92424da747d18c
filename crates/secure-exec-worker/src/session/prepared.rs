//! A session thread's isolate, made before the thread knows which session it will serve.

use std::sync::Arc;

use super::Admitter;

use crate::budget::MemoryBudget;
use crate::control::Control;
use crate::guest::{self, Hooks, HostCalls, ModuleTable};
use crate::output::Output;
use crate::state::SessionState;

/// The most a session's young generation starts with: three semi-spaces' worth (two and the
/// young large-object space) of 4 MB.
const MAX_INITIAL_YOUNG: usize = 12 * 1024 * 1024;

/// An isolate and context with the guest environment installed, not yet used by any session.
///
/// Field order is drop order, and it matters: the handles go before the isolate they belong
/// to, and the budget (whose address the heap-limit callback holds) after it.
pub(super) struct Prepared {
    pub(super) environment: Result<(v8::Global<v8::Context>, Hooks), String>,
    pub(super) isolate: v8::OwnedIsolate,
    _budget: Arc<MemoryBudget>,
}

impl Prepared {
    /// `ahead`: also build the parts of the environment recent sessions used.
    pub(super) fn new(
        memory_limit: u64,
        control: &Arc<Control>,
        admitter: &dyn Admitter,
        ahead: bool,
    ) -> Self {
        let memory = usize::try_from(memory_limit).unwrap_or(usize::MAX);
        let budget = MemoryBudget::new(memory, Arc::clone(control));
        let limits = v8::CreateParams::default().heap_limits(0, memory);
        // V8 starts the young generation at its smallest and grows it after collections; a
        // session lives a few milliseconds, so it would pay those collections (two scavenges
        // of a megabyte each while lodash loads, 0.8 ms apiece, nearly everything surviving)
        // and never profit from the growth. Starting at the size the memory limit allows
        // (12 MB at the default limit), capped, takes them out of most sessions.
        let young = limits.max_young_generation_size_in_bytes().min(MAX_INITIAL_YOUNG);
        let params = limits
            .set_initial_young_generation_size_in_bytes(young)
            .array_buffer_allocator(budget.allocator())
            .allow_atomics_wait(false);
        let mut isolate = v8::Isolate::new(params);
        budget.install_heap_callback(&mut isolate);
        isolate.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
        isolate.set_promise_reject_callback(guest::promise_reject_callback);
        isolate.set_slot(SessionState {
            control: Arc::clone(control),
            // Replaced on assignment; nothing can print before then.
            output: Output::new(0, admitter.sink().clone(), 0),
            budget: Arc::clone(&budget),
            uncaught: None,
            started: std::time::Instant::now(),
            rejections: Vec::new(),
            host: HostCalls::default(),
            modules: ModuleTable::default(),
            sources: Default::default(),
            load_node: None,
            run_ticks: None,
            dispatch_uncaught: None,
            used: 0,
            brotli: Default::default(),
            text_decoders: Default::default(),
            hashers: Default::default(),
            world: 0,
            listener_threw: false,
            script_timer: None,
            uncached: Vec::new(),
            script_caches: Vec::new(),
        });
        guest::configure_isolate(&mut isolate);
        control.attach_isolate(isolate.thread_safe_handle());
        let environment = {
            v8::scope!(let scope, &mut isolate);
            let context = v8::Context::new(scope, Default::default());
            let scope = &mut v8::ContextScope::new(scope, context);
            guest::install(scope, memory_limit).map(|hooks| {
                // A session already waiting for this spare builds only what it uses.
                if ahead && control.id() == 0 && memory_limit >= guest::demand::MIN_MEMORY_LIMIT {
                    guest::prepare(scope, &hooks);
                }
                (v8::Global::new(scope, context), hooks)
            })
        };
        Self { environment, isolate, _budget: budget }
    }
}
