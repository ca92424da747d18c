//! Running hashes and HMACs for `crypto.createHash` / `createHmac` once their input grows:
//! `node.js` gathers small inputs and digests them in one call, and past a threshold opens a
//! hasher here and feeds it as data comes, so that hashing a stream of any length holds one
//! hasher's state, not the stream, as in Node.
//!
//! A hasher lives in the session's table under an id until its digest, until `node.js`'s
//! finalization registry closes it for a hash object collected unfinished, or until the
//! session ends; each is charged to the session's memory budget. Input is taken a megabyte at
//! a time, with a look between pieces at whether the session was stopped.

use hmac::{Mac, SimpleHmac};
use sha1::Digest;

use super::held::{Held, id_arg};
use super::web::{
    bytes, bytes_mut, owned_bytes, stop_check, throw_range_error, throw_type_error, view,
};
use super::{set_function, state};

/// What an open hasher is charged (its state is at most a few hundred bytes; this bounds how
/// many a session can leave open).
const HASHER_CHARGE: usize = 1024;
/// Input hashed between two looks at whether the session was stopped.
const PIECE: usize = 1024 * 1024;

/// A hash or HMAC in progress.
pub(crate) trait Running {
    fn update(&mut self, data: &[u8]);
    fn finish(self: Box<Self>) -> Vec<u8>;
    fn copy(&self) -> Box<dyn Running>;
}

#[derive(Clone)]
struct Plain<D>(D);

impl<D: Digest + Clone + 'static> Running for Plain<D> {
    fn update(&mut self, data: &[u8]) {
        Digest::update(&mut self.0, data);
    }
    fn finish(self: Box<Self>) -> Vec<u8> {
        self.0.finalize().to_vec()
    }
    fn copy(&self) -> Box<dyn Running> {
        Box::new(self.clone())
    }
}

#[derive(Clone)]
struct Keyed<M>(M);

impl<M: Mac + Clone + 'static> Running for Keyed<M> {
    fn update(&mut self, data: &[u8]) {
        Mac::update(&mut self.0, data);
    }
    fn finish(self: Box<Self>) -> Vec<u8> {
        self.0.finalize().into_bytes().to_vec()
    }
    fn copy(&self) -> Box<dyn Running> {
        Box::new(self.clone())
    }
}

/// A running hash of the named algorithm (as `crypto.getHashes()` spells it), keyed when
/// `key` is given; `None` for a name it does not know.
fn open(name: &str, key: Option<&[u8]>) -> Option<Box<dyn Running>> {
    fn make<D>(key: Option<&[u8]>) -> Option<Box<dyn Running>>
    where
        D: Digest + Clone + sha1::digest::core_api::BlockSizeUser + 'static,
    {
        Some(match key {
            None => Box::new(Plain(D::new())),
            // HMAC takes a key of any length.
            Some(key) => Box::new(Keyed(SimpleHmac::<D>::new_from_slice(key).ok()?)),
        })
    }
    match name {
        "md5" => make::<md5::Md5>(key),
        "sha1" => make::<sha1::Sha1>(key),
        "sha224" => make::<sha2::Sha224>(key),
        "sha256" => make::<sha2::Sha256>(key),
        "sha384" => make::<sha2::Sha384>(key),
        "sha512" => make::<sha2::Sha512>(key),
        _ => None,
    }
}

/// A session's open hashers, by the id `node.js` holds.
pub(crate) type Hashers = Held<Box<dyn Running>, HASHER_CHARGE>;

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "hashOpen", hash_open);
    set_function(scope, natives, "hashUpdate", hash_update);
    set_function(scope, natives, "hashDigest", hash_digest);
    set_function(scope, natives, "hashCopy", hash_copy);
    set_function(scope, natives, "hashClose", hash_close);
}

/// Keeps `running` under a new id; 0 if it does not fit the budget (the session is stopped).
fn keep(scope: &mut v8::PinScope<'_, '_>, running: Box<dyn Running>) -> u32 {
    let session = state(scope);
    session.hashers.keep(&session.budget, running).unwrap_or(0)
}

/// Takes the hasher `id` out of the table, its charge given back.
fn take(scope: &mut v8::PinScope<'_, '_>, id: u32) -> Option<Box<dyn Running>> {
    let session = state(scope);
    session.hashers.take(&session.budget, id)
}

/// `hashOpen(name, key)`: a running hash (an HMAC with `key`, a view) and its id.
fn hash_open(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let name = args.get(0).to_rust_string_lossy(scope);
    let key = if args.get(1).is_undefined() {
        None
    } else {
        let Some(key) = owned_bytes(scope, args.get(1)) else { return };
        Some(key)
    };
    let Some(running) = open(&name, key.as_deref()) else {
        return throw_type_error(scope, &format!("Invalid digest: {name}"));
    };
    let id = keep(scope, running);
    rv.set_double(f64::from(id));
}

/// `hashUpdate(id, data)`: feeds the bytes of a view to the hasher.
fn hash_update(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let id = id_arg(args.get(0));
    let Some(data) = view(scope, args.get(1)) else { return };
    let data = bytes(scope, data);
    let halted = stop_check(scope);
    let Some(running) = state(scope).hashers.get_mut(id) else {
        return throw_type_error(scope, "no running hash with this id");
    };
    for piece in data.chunks(PIECE) {
        if halted() {
            // The session's termination takes over once this returns.
            return;
        }
        running.update(piece);
    }
}

/// `hashDigest(id, out)`: the digest into `out` (sized by `node.js`); the hasher is gone.
fn hash_digest(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let id = id_arg(args.get(0));
    let Some(out) = view(scope, args.get(1)) else { return };
    let Some(running) = take(scope, id) else {
        return throw_type_error(scope, "no running hash with this id");
    };
    let digest = running.finish();
    let target = bytes_mut(scope, out);
    if target.len() != digest.len() {
        return throw_range_error(scope, "digest output of the wrong size");
    }
    target.copy_from_slice(&digest);
}

/// `hashCopy(id)`: a second hasher with the state of the first, and its id.
fn hash_copy(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let id = id_arg(args.get(0));
    let Some(copy) = state(scope).hashers.get(id).map(|running| running.copy()) else {
        return throw_type_error(scope, "no running hash with this id");
    };
    let id = keep(scope, copy);
    rv.set_double(f64::from(id));
}

/// `hashClose(id)`: drops a hasher that will not be digested (its object was collected).
fn hash_close(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let id = id_arg(args.get(0));
    let _ = take(scope, id);
}
