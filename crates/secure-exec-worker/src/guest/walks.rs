//! What earlier sessions' prefetch walks asked the host for, so that a later session's walk
//! can ask for all of it at once.
//!
//! Before a CommonJS module runs, node.js sends the literal requires of its source to the
//! host, then those of the files that come back, a level at a time: a package costs as many
//! round trips as its require graph is deep (zod: four). The requests a walk makes are fixed
//! by the sources it meets and how the world resolves them, so the worker remembers them,
//! keyed by the walk's root (its source's digest and path) and by the world the session runs
//! in (a number the host gives each `SystemDriver` and its clones): the next walk from the
//! same root in the same world sends the remembered requests without waiting for the levels,
//! as many at a time as stay under the session's limit of calls in flight, and then walks as
//! before, taking answers that are already on their way.
//!
//! A remembered request is only ever a hint: the host answers it under the session's own
//! world, as it answers any request, and an answer the walk does not meet is dropped unread.
//! Hints pass from one session to another only within one world, so one tenant's modules
//! never decide what another tenant's sessions ask for. (Each session of a world has its own
//! in-memory `/`: a hint learned from files one session wrote there reaches another session
//! only if that one has the same root text at the same path, and then costs it at most a
//! bounded number of requests its own world answers.)

use std::sync::Arc;

use sha2::{Digest as _, Sha256};

use super::digest_store::{Digest, DigestStore};
use super::{new_string, set_function, state};

/// Bytes of remembered requests the worker keeps; the oldest walks go first.
const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Requests remembered per walk (node.js's MAX_WALK bounds the files a walk fetches).
const MAX_REQUESTS: usize = 512;

static STORE: DigestStore<Arc<[String]>> = DigestStore::new(MAX_BYTES);

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "walkHint", walk_hint);
    set_function(scope, natives, "rememberWalk", remember_walk);
}

/// The key of a walk from `text` at `path` in the session's world.
fn key_of(
    scope: &mut v8::PinScope<'_, '_>,
    text: v8::Local<'_, v8::Value>,
    path: v8::Local<'_, v8::Value>,
) -> Option<Digest> {
    let world = state(scope).world;
    if world == 0 {
        return None;
    }
    let text = v8::Local::<v8::String>::try_from(text).ok()?;
    let path = v8::Local::<v8::String>::try_from(path).ok()?;
    let mut hash = Sha256::new();
    hash.update(world.to_le_bytes());
    match super::sources::known(scope, text) {
        Some(source) => {
            hash.update([1]);
            hash.update(source.digest());
        }
        None => {
            hash.update([0]);
            hash.update(Sha256::digest(text.to_rust_string_lossy(scope).as_bytes()));
        }
    }
    hash.update(path.to_rust_string_lossy(scope).as_bytes());
    Some(hash.finalize().into())
}

/// `walkHint(source, path)`: the requests the last walk from this root made (keys of
/// `dir + '\0' + specifier`), or undefined.
fn walk_hint(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(key) = key_of(scope, args.get(0), args.get(1)) else { return };
    let Some(requests) = STORE.get(&key) else { return };
    let mut keys = Vec::with_capacity(requests.len());
    for request in requests.iter() {
        let Ok(request) = new_string(scope, request) else { return };
        keys.push(request.into());
    }
    rv.set(v8::Array::new_with_elements(scope, &keys).into());
}

/// `rememberWalk(source, path, keys)`: the requests a walk from this root made.
fn remember_walk(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(key) = key_of(scope, args.get(0), args.get(1)) else { return };
    let Ok(list) = v8::Local::<v8::Array>::try_from(args.get(2)) else { return };
    let count = (list.length() as usize).min(MAX_REQUESTS);
    let mut requests = Vec::with_capacity(count);
    let mut bytes = 0;
    for i in 0..count {
        let Some(item) = list.get_index(scope, i as u32) else { return };
        let Ok(item) = v8::Local::<v8::String>::try_from(item) else { return };
        let item = item.to_rust_string_lossy(scope);
        bytes += item.len() + std::mem::size_of::<String>();
        requests.push(item);
    }
    if STORE.get(&key).is_some_and(|kept| *kept == *requests) {
        return;
    }
    STORE.replace(key, requests.into(), bytes);
}
