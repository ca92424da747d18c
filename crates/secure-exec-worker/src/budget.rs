//! A session's memory budget: the V8 heap limit plus ArrayBuffer backing stores.
//!
//! The heap is capped with V8's own limit. When V8 is about to hit it, the near-heap-limit
//! callback stops the session and grants a temporary raise so V8 can unwind instead of
//! aborting the process (our V8 build needs far more than doubling a small heap: one
//! `new Array(1e6)` is already 8 MB). Backing stores live outside the heap, so a per-isolate
//! allocator counts them and refuses any allocation that would take heap plus buffers past the
//! budget. A refusal is not yet a stop: V8 answers a refused backing store by collecting
//! garbage and asking again, up to [`ALLOCATION_ATTEMPTS`] times, and buffers the session no
//! longer holds (a stream's spent chunks) are only given back when V8 collects them. Only when
//! the last attempt, after a full collection, is refused too is the session stopped the same
//! way as at the heap limit.

use std::ffi::c_void;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::control::{Control, Stop};

/// Raise granted to V8 once the session is stopped, so termination can unwind.
const HEAP_HEADROOM: usize = 256 * 1024 * 1024;
/// After this many raises the process is left to V8's fatal OOM handling (a crash the host
/// reports), rather than growing without bound.
const MAX_RAISES: usize = 4;
/// How many times V8 asks for one backing store before it gives up: once, twice more after
/// old-generation collections, and once after collecting all it can
/// (`Heap::AllocateExternalBackingStore`).
const ALLOCATION_ATTEMPTS: usize = 4;

/// The state shared by the heap callback and the ArrayBuffer allocator of one isolate.
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    limit: usize,
    /// Bytes in live ArrayBuffer backing stores, and module sources the session holds.
    buffers: AtomicUsize,
    /// Heap used at the last sample; buffers may use what the heap leaves of the budget.
    heap_sample: AtomicUsize,
    raises: AtomicUsize,
    /// Backing-store allocations refused in a row (see [`ALLOCATION_ATTEMPTS`]).
    refused: AtomicUsize,
    /// Fault injection: grant no headroom, so the next heap-limit hit is a fatal V8 OOM.
    no_headroom: AtomicBool,
    control: Arc<Control>,
}

impl MemoryBudget {
    pub(crate) fn new(limit: usize, control: Arc<Control>) -> Arc<Self> {
        Arc::new(Self {
            limit,
            buffers: AtomicUsize::new(0),
            heap_sample: AtomicUsize::new(0),
            raises: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            no_headroom: AtomicBool::new(false),
            control,
        })
    }

    pub(crate) fn record_heap_used(&self, used: usize) {
        self.heap_sample.store(used, Ordering::Relaxed);
    }

    #[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
    pub(crate) fn disable_headroom(&self) {
        self.no_headroom.store(true, Ordering::Relaxed);
    }

    /// An allocator for this isolate's ArrayBuffers, charging this budget.
    pub(crate) fn allocator(self: &Arc<Self>) -> v8::UniqueRef<v8::Allocator> {
        let handle = Arc::into_raw(Arc::clone(self));
        // SAFETY: `handle` is a live `Arc<MemoryBudget>` whose count we own; VTABLE's
        // functions expect exactly that, and `drop_handle` gives the count back.
        unsafe { v8::new_rust_allocator(handle, &VTABLE) }
    }

    /// Installs the near-heap-limit callback. `self` must outlive the isolate.
    pub(crate) fn install_heap_callback(self: &Arc<Self>, isolate: &mut v8::Isolate) {
        let data = Arc::as_ptr(self) as *mut c_void;
        isolate.add_near_heap_limit_callback(near_heap_limit, data);
    }

    /// ArrayBuffer bytes the session holds.
    pub(crate) fn buffer_bytes(&self) -> usize {
        self.buffers.load(Ordering::Relaxed)
    }

    /// A backing store holding a copy of `bytes`, charged to this budget until V8 frees it,
    /// as the allocator's are; `None` if it does not fit (the session goes on: the caller
    /// throws a catchable error). For natives that must make an ArrayBuffer where V8 would
    /// end the process on a refused allocation.
    pub(crate) fn charged_copy(
        self: &Arc<Self>,
        bytes: &[u8],
    ) -> Option<v8::UniqueRef<v8::BackingStore>> {
        let len = bytes.len();
        if !self.try_charge(len) {
            return None;
        }
        // SAFETY: malloc with a non-zero size.
        let data = unsafe { libc::malloc(len.max(1)) };
        if data.is_null() {
            self.refund(len);
            return None;
        }
        // SAFETY: `data` has room for `len` bytes and does not overlap `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), data.cast::<u8>(), len) };
        let handle = Arc::into_raw(Arc::clone(self));
        // SAFETY: `data` is `len` bytes of malloc'd memory that only the store owns from here;
        // `free_copy` frees it and gives back the charge and the `Arc` count in `handle`.
        Some(unsafe {
            v8::ArrayBuffer::new_backing_store_from_ptr(data, len, free_copy, handle as *mut c_void)
        })
    }

    /// Whether `bytes` more (a string a native is about to create, memory it is about to
    /// take) fit the budget beside `heap_used` and the live buffers.
    pub(crate) fn fits(&self, heap_used: usize, bytes: usize) -> bool {
        let buffers = self.buffers.load(Ordering::Relaxed);
        heap_used.saturating_add(buffers).saturating_add(bytes) <= self.limit
    }

    /// As [`fits`](Self::fits); if not, the session is stopped with `ERR_MEMORY_LIMIT`, as the
    /// heap limit would stop it: V8 lets a native create a string past the limit without
    /// calling the near-heap-limit callback.
    pub(crate) fn admit(&self, heap_used: usize, bytes: usize) -> bool {
        if !self.fits(heap_used, bytes) {
            self.control.stop(Stop::MemoryLimit);
            return false;
        }
        true
    }

    /// Charges `len` bytes the session holds outside its heap until it ends (shared module
    /// sources); false, and the session stopped, if they do not fit.
    pub(crate) fn charge_held(&self, len: usize) -> bool {
        self.charge(len)
    }

    /// Gives back bytes charged with [`charge_held`](Self::charge_held) that the session no
    /// longer holds (a closed Brotli stream's coder).
    pub(crate) fn release_held(&self, len: usize) {
        self.refund(len);
    }

    /// Like [`charge_held`](Self::charge_held), but a refusal leaves the session running: the
    /// caller collects garbage and asks again with `charge_held`.
    pub(crate) fn try_charge_held(&self, len: usize) -> bool {
        self.try_charge(len)
    }

    fn charge(&self, len: usize) -> bool {
        if self.try_charge(len) {
            return true;
        }
        self.control.stop(Stop::MemoryLimit);
        false
    }

    /// A backing store's charge: refused attempts stop the session only once V8 has
    /// collected all it can and still asks.
    fn charge_buffer(&self, len: usize) -> bool {
        if self.try_charge(len) {
            self.refused.store(0, Ordering::Relaxed);
            return true;
        }
        if self.refused.fetch_add(1, Ordering::Relaxed) + 1 >= ALLOCATION_ATTEMPTS {
            self.refused.store(0, Ordering::Relaxed);
            self.control.stop(Stop::MemoryLimit);
        }
        false
    }

    fn try_charge(&self, len: usize) -> bool {
        let heap = self.heap_sample.load(Ordering::Relaxed);
        let mut current = self.buffers.load(Ordering::Relaxed);
        loop {
            let after = current.saturating_add(len);
            if after.saturating_add(heap) > self.limit {
                return false;
            }
            match self.buffers.compare_exchange_weak(
                current,
                after,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    fn refund(&self, len: usize) {
        self.buffers.fetch_sub(len, Ordering::Relaxed);
    }
}

unsafe extern "C" fn near_heap_limit(data: *mut c_void, current: usize, _initial: usize) -> usize {
    // SAFETY: `data` is the `MemoryBudget` registered in `install_heap_callback`, which the
    // session keeps alive until after the isolate is disposed.
    let budget = unsafe { &*(data as *const MemoryBudget) };
    budget.control.stop(Stop::MemoryLimit);
    if budget.no_headroom.load(Ordering::Relaxed)
        || budget.raises.fetch_add(1, Ordering::Relaxed) >= MAX_RAISES
    {
        return current;
    }
    current.saturating_add(HEAP_HEADROOM)
}

static VTABLE: v8::RustAllocatorVtable<MemoryBudget> =
    v8::RustAllocatorVtable { allocate, allocate_uninitialized, free, drop: drop_handle };

unsafe extern "C" fn allocate(budget: &MemoryBudget, len: usize) -> *mut c_void {
    if !budget.charge_buffer(len) {
        return std::ptr::null_mut();
    }
    // SAFETY: calloc with a non-zero size; a zero-length buffer still gets a unique pointer.
    let ptr = unsafe { libc::calloc(len.max(1), 1) };
    if ptr.is_null() {
        budget.refund(len);
    }
    ptr
}

unsafe extern "C" fn allocate_uninitialized(budget: &MemoryBudget, len: usize) -> *mut c_void {
    if !budget.charge_buffer(len) {
        return std::ptr::null_mut();
    }
    // SAFETY: malloc with a non-zero size.
    let ptr = unsafe { libc::malloc(len.max(1)) };
    if ptr.is_null() {
        budget.refund(len);
    }
    ptr
}

unsafe extern "C" fn free(budget: &MemoryBudget, data: *mut c_void, len: usize) {
    // SAFETY: V8 frees only what `allocate*` returned, with the length it asked for.
    unsafe { libc::free(data) };
    budget.refund(len);
}

/// The deleter of a [`MemoryBudget::charged_copy`] store (V8 may call it on any thread).
unsafe extern "C" fn free_copy(data: *mut c_void, len: usize, handle: *mut c_void) {
    // SAFETY: `data` is the malloc'd copy, freed once, here.
    unsafe { libc::free(data) };
    // SAFETY: the count taken by `Arc::into_raw` in `charged_copy`, released exactly once.
    let budget = unsafe { Arc::from_raw(handle as *const MemoryBudget) };
    budget.refund(len);
}

unsafe extern "C" fn drop_handle(handle: *const MemoryBudget) {
    // SAFETY: the count taken by `Arc::into_raw` in `allocator`, released exactly once.
    drop(unsafe { Arc::from_raw(handle) });
}
