//! A worker-wide map from SHA-256 digests to shared values, bounded by the bytes its values
//! hold, the oldest entries going first: the stores of compiled code (`code_cache.rs`) and of
//! module sources (`sources.rs`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

pub(crate) type Digest = [u8; 32];

struct Entries<V> {
    values: HashMap<Digest, (V, usize)>,
    order: VecDeque<Digest>,
    bytes: usize,
}

pub(crate) struct DigestStore<V> {
    max_bytes: usize,
    entries: Mutex<Option<Entries<V>>>,
}

impl<V: Clone> DigestStore<V> {
    pub(crate) const fn new(max_bytes: usize) -> Self {
        Self { max_bytes, entries: Mutex::new(None) }
    }

    pub(crate) fn get(&self, key: &Digest) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.as_ref().and_then(|e| e.values.get(key)).map(|(value, _)| value.clone())
    }

    /// Keeps `value` under `key` in place of what was kept there.
    pub(crate) fn replace(&self, key: Digest, value: V, size: usize) {
        {
            let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(entries) = guard.as_mut() {
                if let Some((_, gone)) = entries.values.remove(&key) {
                    entries.bytes -= gone;
                    entries.order.retain(|kept| *kept != key);
                }
            }
        }
        self.insert(key, value, size);
    }

    /// Keeps `value` (holding `size` bytes) under `key`, unless something is kept there
    /// already; returns what is kept under `key` now. A value larger than a quarter of the
    /// store is not kept.
    pub(crate) fn insert(&self, key: Digest, value: V, size: usize) -> V {
        if size > self.max_bytes / 4 {
            return value;
        }
        let mut guard = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entries = guard.get_or_insert_with(|| Entries {
            values: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
        });
        if let Some((kept, _)) = entries.values.get(&key) {
            return kept.clone();
        }
        while entries.bytes + size > self.max_bytes {
            let Some(oldest) = entries.order.pop_front() else { break };
            if let Some((_, gone)) = entries.values.remove(&oldest) {
                entries.bytes -= gone;
            }
        }
        entries.bytes += size;
        entries.order.push_back(key);
        entries.values.insert(key, (value.clone(), size));
        value
    }
}
