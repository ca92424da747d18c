//! A session's native objects that outlive a call (a streaming `TextDecoder`'s state, a running
//! hash), by the id the guest's glue holds. Each is charged to the session's memory budget
//! while held, so that a guest leaving many open ends in `ERR_MEMORY_LIMIT`, not in the
//! worker's memory; all go with the session.

use std::collections::HashMap;

use crate::budget::MemoryBudget;

/// Objects of one kind, each charged `CHARGE` bytes.
pub(crate) struct Held<T, const CHARGE: usize> {
    open: HashMap<u32, T>,
    next: u32,
}

impl<T, const CHARGE: usize> Default for Held<T, CHARGE> {
    fn default() -> Self {
        Self { open: HashMap::new(), next: 0 }
    }
}

impl<T, const CHARGE: usize> std::fmt::Debug for Held<T, CHARGE> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held").field("open", &self.open.len()).finish()
    }
}

impl<T, const CHARGE: usize> Held<T, CHARGE> {
    /// Keeps `value` under a new id (never 0); `None` if its charge does not fit the budget
    /// (the session is stopped).
    pub(crate) fn keep(&mut self, budget: &MemoryBudget, value: T) -> Option<u32> {
        if !budget.charge_held(CHARGE) {
            return None;
        }
        self.next = self.next.wrapping_add(1).max(1);
        self.open.insert(self.next, value);
        Some(self.next)
    }

    /// Takes the object `id` out, its charge given back.
    pub(crate) fn take(&mut self, budget: &MemoryBudget, id: u32) -> Option<T> {
        let value = self.open.remove(&id)?;
        budget.release_held(CHARGE);
        Some(value)
    }

    pub(crate) fn get(&self, id: u32) -> Option<&T> {
        self.open.get(&id)
    }

    pub(crate) fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        self.open.get_mut(&id)
    }
}

/// An id argument as the glue passes it (a number from 1 up); 0 for anything else.
pub(crate) fn id_arg(value: v8::Local<'_, v8::Value>) -> u32 {
    let id = v8::Local::<v8::Number>::try_from(value).map_or(0.0, |n| n.value());
    if id >= 1.0 && id <= f64::from(u32::MAX) { id as u32 } else { 0 }
}
