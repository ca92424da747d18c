//! The session's host-call client: natives that ask the host for files and modules.
//!
//! `hostCall(...)` sends one `HostCall` and either blocks the session thread until its reply
//! (the sync APIs: `readFileSync`, `require`) or returns a call id at once (promises and
//! callbacks), whose reply the event loop hands to the prelude's `hostReply` as a macrotask. A
//! blocked call wakes for a stop (cancel, timeout, memory, shutdown) as for its reply, so the
//! time it waits counts toward the session's timeout but never toward its CPU time.
//!
//! Reply bytes stay in Rust until the guest copies them into a buffer it allocated itself
//! (`takeData`) or asks for them as text (`takeText`): as in `web.rs`, natives never allocate
//! JavaScript buffers.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use secure_exec_proto::limits::{HOST_IO_CHUNK, MAX_HOST_CALLS_IN_FLIGHT, MAX_TIME_MS};
use secure_exec_proto::v1::{self, FsOp, host_call, worker_message};

use super::web::{admit_string, bytes_mut, throw_range_error, throw_type_error, view};
use super::{new_string, set_function, sources, state};
use crate::control::Unanswered;

/// The operation number the guest passes for module resolution (file operations use
/// `FsOp`'s numbers).
const OP_RESOLVE: i32 = 100;

/// Bits of `hostCall`'s `flags` argument.
mod flag {
    pub(super) const RECURSIVE: u32 = 1;
    pub(super) const FORCE: u32 = 2;
    pub(super) const APPEND: u32 = 4;
    pub(super) const EXCLUSIVE: u32 = 8;
    pub(super) const POSITIONED: u32 = 16;
    pub(super) const MUST_EXIST: u32 = 32;
    pub(super) const WRITABLE: u32 = 64;
    /// RESOLVE: `import` rather than `require`.
    pub(super) const ESM: u32 = 1;
    /// RESOLVE: read the module too.
    pub(super) const LOAD: u32 = 2;
}

/// Calls a session has sent and not had answered, besides a blocking one: one below the
/// host's bound, so that a blocking call (at most one: it blocks the session) always has room.
const MAX_SENT: usize = MAX_HOST_CALLS_IN_FLIGHT - 1;

/// What a queued call is charged besides its encoded size (its place in the queue, its id).
const QUEUED_OVERHEAD: usize = 128;

/// A reply's bytes, and for a module's source the SHA-256 the host gave with them.
#[derive(Debug)]
struct ReplyData {
    bytes: Vec<u8>,
    digest: Option<sources::Digest>,
}

/// A session's host calls in flight and reply bytes not yet taken.
#[derive(Debug, Default)]
pub(crate) struct HostCalls {
    next_id: u64,
    /// Calls whose replies go to the event loop (sent or queued).
    pending: HashSet<u64>,
    /// Asynchronous and sent-ahead calls on their way to the host or back.
    sent: HashSet<u64>,
    /// Asynchronous calls past [`MAX_SENT`], sent as replies free room, in order, as Node's
    /// thread pool queues work; their data is charged to the session's memory budget here.
    queued: VecDeque<(v1::HostCall, usize)>,
    /// Reply bytes by call id, until the guest takes them.
    data: HashMap<u64, ReplyData>,
    /// Calls sent ahead (`hostSend`) whose replies wait for `hostWait`.
    parked: HashSet<u64>,
    /// Replies to parked calls that arrived while the event loop ran.
    parked_replies: HashMap<u64, v1::HostReply>,
}

impl HostCalls {
    /// Whether replies are still awaited: the session is not finished while they are.
    pub(crate) fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Takes `id` off the pending set; `false` for a reply nobody waits for. A reply to a
    /// call sent ahead is kept for its `hostWait`.
    fn settle(&mut self, reply: v1::HostReply) -> Option<v1::HostReply> {
        self.sent.remove(&reply.call_id);
        if self.pending.remove(&reply.call_id) {
            return Some(reply);
        }
        if self.parked.contains(&reply.call_id) {
            self.parked_replies.insert(reply.call_id, reply);
        }
        None
    }
}

/// A reply for the event loop: the call is settled (see [`HostCalls::settle`]) and queued calls
/// go out into the room it left.
pub(crate) fn settle_reply(
    session: &mut crate::state::SessionState,
    reply: v1::HostReply,
) -> Option<v1::HostReply> {
    let reply = session.host.settle(reply);
    send_queued(session);
    reply
}

/// Sends queued calls while fewer than [`MAX_SENT`] are out.
fn send_queued(session: &mut crate::state::SessionState) {
    while session.host.sent.len() < MAX_SENT {
        let Some((call, charged)) = session.host.queued.pop_front() else { return };
        session.budget.release_held(charged);
        session.host.sent.insert(call.call_id);
        let message = v1::WorkerMessage { kind: Some(worker_message::Kind::HostCall(call)) };
        if session.output.sink().send(message).is_err() {
            // The connection is gone; the session is being shut down.
            return;
        }
    }
}

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "hostCall", host_call_native);
    set_function(scope, natives, "hostSend", host_send);
    set_function(scope, natives, "netCall", net_call);
    set_function(scope, natives, "hostWait", host_wait);
    set_function(scope, natives, "takeData", take_data);
    set_function(scope, natives, "takeText", take_text);
    if let Some(key) = v8::String::new(scope, "hostChunk") {
        let value = v8::Number::new(scope, HOST_IO_CHUNK as f64);
        natives.set(scope, key.into(), value.into());
    }
}

/// How a call's reply is awaited.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The session thread blocks until the reply.
    Blocking,
    /// The reply goes to the prelude's `hostReply` from the event loop.
    Async,
    /// Sent ahead; the reply waits for `hostWait(id)`.
    Ahead,
}

/// `hostCall(op, path, to, data, offset, length, flags, async)`: a blocking call returns the
/// reply (see [`reply_object`]); an async one returns its id.
fn host_call_native(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    rv: v8::ReturnValue<'_>,
) {
    let mode = if args.get(7).boolean_value(scope) { Mode::Async } else { Mode::Blocking };
    call_host(scope, &args, rv, mode);
}

/// `netCall(op, handle, method, url, headers, body, redirect, raw)`: one step of a network
/// request (`headers` a flat array of names and values); always asynchronous, returns the
/// call's id.
fn net_call(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let op = args.get(0).int32_value(scope).unwrap_or(0);
    if v1::NetOp::try_from(op).is_err() {
        return throw_type_error(scope, "unknown network operation");
    }
    let handle = args.get(1).integer_value(scope).and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    let method = args.get(2).to_rust_string_lossy(scope);
    let url = args.get(3).to_rust_string_lossy(scope);
    let mut headers = Vec::new();
    if let Ok(list) = v8::Local::<v8::Array>::try_from(args.get(4)) {
        let mut size = 0;
        for i in (0..list.length().saturating_sub(1)).step_by(2) {
            let (Some(name), Some(value)) =
                (list.get_index(scope, i), list.get_index(scope, i + 1))
            else {
                return;
            };
            let header = v1::Header {
                name: name.to_rust_string_lossy(scope),
                value: value.to_rust_string_lossy(scope),
            };
            size += header.name.len() + header.value.len();
            if size > HOST_IO_CHUNK {
                return throw_range_error(scope, "the request headers are too large");
            }
            headers.push(header);
        }
    }
    let Some(body) = chunk_arg(scope, args.get(5)) else { return };
    let redirect = args.get(6).int32_value(scope).unwrap_or(0);
    let raw = args.get(7).boolean_value(scope);
    let call =
        host_call::Op::Net(v1::NetCall { op, handle, method, url, headers, body, redirect, raw });
    send_call(scope, call, Mode::Async, &mut rv);
}

/// The bytes of a view argument (at most one chunk), empty for `undefined`; `None` after
/// throwing.
fn chunk_arg(scope: &mut v8::PinScope<'_, '_>, value: v8::Local<'_, v8::Value>) -> Option<Vec<u8>> {
    if value.is_undefined() {
        return Some(Vec::new());
    }
    let source = view(scope, value)?;
    if source.byte_length() > HOST_IO_CHUNK {
        throw_range_error(scope, "a host call carries at most one chunk of data");
        return None;
    }
    Some(bytes_mut(scope, source).to_vec())
}

/// `hostSend(op, path, to, data, offset, length, flags)`: sends a call ahead of need (module
/// prefetch) and returns its id for `hostWait`.
fn host_send(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    rv: v8::ReturnValue<'_>,
) {
    call_host(scope, &args, rv, Mode::Ahead);
}

/// `hostWait(id)`: the reply to a call sent ahead, blocking until it is here.
fn host_wait(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let id = args.get(0).integer_value(scope).and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    let session = state(scope);
    if !session.host.parked.remove(&id) {
        return throw_type_error(scope, "no call was sent ahead with this id");
    }
    let reply = match session.host.parked_replies.remove(&id) {
        Some(reply) => Ok(reply),
        None => {
            let control = std::sync::Arc::clone(&session.control);
            let reply = control.wait_reply(id, Duration::from_millis(MAX_TIME_MS));
            let session = state(scope);
            session.host.sent.remove(&id);
            send_queued(session);
            reply
        }
    };
    answer(scope, reply, &mut rv);
}

fn answer(
    scope: &mut v8::PinScope<'_, '_>,
    reply: Result<v1::HostReply, Unanswered>,
    rv: &mut v8::ReturnValue<'_>,
) {
    match reply {
        Ok(reply) => {
            if let Some(object) = reply_object(scope, reply) {
                rv.set(object.into());
            }
        }
        // The stop has already asked V8 to terminate; returning lets it.
        Err(Unanswered::Stopped(_)) => {}
        Err(Unanswered::TimedOut) => {
            throw_coded(scope, "ERR_HOST_CALL_TIMEOUT", "the host did not answer a call");
        }
    }
}

fn call_host(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
    mode: Mode,
) {
    let op = args.get(0).int32_value(scope).unwrap_or(0);
    let path = args.get(1).to_rust_string_lossy(scope);
    let to = args.get(2).to_rust_string_lossy(scope);
    let Some(data) = chunk_arg(scope, args.get(3)) else { return };
    let offset = args.get(4).integer_value(scope).and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    let length = args.get(5).integer_value(scope).and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    let flags = args.get(6).uint32_value(scope).unwrap_or(0);

    let call = if op == OP_RESOLVE {
        host_call::Op::Resolve(v1::ResolveCall {
            specifier: path,
            from_dir: to,
            esm: flags & flag::ESM != 0,
            load: flags & flag::LOAD != 0,
        })
    } else {
        if FsOp::try_from(op).is_err() {
            return throw_type_error(scope, "unknown host operation");
        }
        let length =
            if op == FsOp::Read as i32 { length.clamp(1, HOST_IO_CHUNK as u64) } else { length };
        // CHMOD takes its bits in `offset`; UTIMES its times (milliseconds, fractional or
        // before 1970) in `offset` and `length`, read again as numbers.
        let (atime_ms, mtime_ms) = if op == FsOp::Utimes as i32 {
            let atime = args.get(4).number_value(scope).unwrap_or(f64::NAN);
            (atime, args.get(5).number_value(scope).unwrap_or(f64::NAN))
        } else {
            (0.0, 0.0)
        };
        let mode =
            if op == FsOp::Chmod as i32 { u32::try_from(offset).unwrap_or(u32::MAX) } else { 0 };
        host_call::Op::Fs(v1::FsCall {
            op,
            path,
            to,
            data,
            offset,
            length,
            recursive: flags & flag::RECURSIVE != 0,
            force: flags & flag::FORCE != 0,
            append: flags & flag::APPEND != 0,
            exclusive: flags & flag::EXCLUSIVE != 0,
            positioned: flags & flag::POSITIONED != 0,
            must_exist: flags & flag::MUST_EXIST != 0,
            writable: flags & flag::WRITABLE != 0,
            mode,
            atime_ms,
            mtime_ms,
        })
    };

    send_call(scope, call, mode, &mut rv);
}

/// Sends `call` and, for a blocking one, waits for its reply.
fn send_call(
    scope: &mut v8::PinScope<'_, '_>,
    call: host_call::Op,
    mode: Mode,
    rv: &mut v8::ReturnValue<'_>,
) {
    let session = state(scope);
    let full = session.host.sent.len() >= MAX_SENT;
    if mode == Mode::Ahead && full {
        // Sending ahead is only a head start: the caller loads the module when it needs it.
        let message = format!(
            "ERR_HOST_CALL_LIMIT: a session may have at most {MAX_HOST_CALLS_IN_FLIGHT} host calls \
             in flight"
        );
        return throw_coded(scope, "ERR_HOST_CALL_LIMIT", &message);
    }
    session.host.next_id += 1;
    let id = session.host.next_id;
    let message = v1::HostCall { session_id: session.control.id(), call_id: id, op: Some(call) };
    if mode == Mode::Async && full {
        // The call as it will go out (its data, paths, headers), and what keeping it costs:
        // past the budget the session stops (ERR_MEMORY_LIMIT), as for any memory it holds.
        let charged = prost::Message::encoded_len(&message) + QUEUED_OVERHEAD;
        if !session.budget.charge_held(charged) {
            return;
        }
        session.host.queued.push_back((message, charged));
        session.host.pending.insert(id);
        rv.set_double(id as f64);
        return;
    }
    let sent = session
        .output
        .sink()
        .send(v1::WorkerMessage { kind: Some(worker_message::Kind::HostCall(message)) });
    if sent.is_err() {
        // The connection is gone; the session is being shut down.
        return;
    }
    match mode {
        Mode::Async => {
            session.host.sent.insert(id);
            session.host.pending.insert(id);
            rv.set_double(id as f64);
        }
        Mode::Ahead => {
            session.host.sent.insert(id);
            session.host.parked.insert(id);
            rv.set_double(id as f64);
        }
        Mode::Blocking => {
            let control = std::sync::Arc::clone(&session.control);
            let reply = control.wait_reply(id, Duration::from_millis(MAX_TIME_MS));
            answer(scope, reply, rv);
        }
    }
}

pub(super) fn throw_coded(scope: &mut v8::PinScope<'_, '_>, code: &str, message: &str) {
    throw_coded_as(scope, ErrorClass::Error, code, message);
}

/// The constructor of an error a native throws.
#[derive(Clone, Copy)]
pub(super) enum ErrorClass {
    Error,
    TypeError,
    RangeError,
}

/// Throws an error of `class` with Node's `code` property.
pub(super) fn throw_coded_as(
    scope: &mut v8::PinScope<'_, '_>,
    class: ErrorClass,
    code: &str,
    message: &str,
) {
    let (Ok(text), Ok(key), Ok(value)) =
        (new_string(scope, message), new_string(scope, "code"), new_string(scope, code))
    else {
        return;
    };
    let error = match class {
        ErrorClass::Error => v8::Exception::error(scope, text),
        ErrorClass::TypeError => v8::Exception::type_error(scope, text),
        ErrorClass::RangeError => v8::Exception::range_error(scope, text),
    };
    if let Ok(object) = v8::Local::<v8::Object>::try_from(error) {
        // OpenSSL's errors (`error:02000079:rsa routines::oaep decoding error`) carry their
        // library and reason too, as Node gives them.
        let mut parts = message.split(':');
        if let (Some("error"), Some(_), Some(library), Some(""), Some(reason)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        {
            for (name, text) in [("library", library), ("reason", reason)] {
                if let (Ok(name), Ok(text)) = (new_string(scope, name), new_string(scope, text)) {
                    object.set(scope, name.into(), text.into());
                }
            }
        }
        object.set(scope, key.into(), value.into());
    }
    scope.throw_exception(error);
}

/// The reply as the guest's glue reads it: `{ id, error, message, size, stat, names, kinds,
/// path, format }`; the bytes (`size` of them) wait in Rust for `takeData` / `takeText`.
pub(crate) fn reply_object<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    reply: v1::HostReply,
) -> Option<v8::Local<'s, v8::Object>> {
    let object = v8::Object::new(scope);
    let set = |scope: &mut v8::PinScope<'s, '_>, key: &str, value: v8::Local<'s, v8::Value>| {
        if let Ok(key) = new_string(scope, key) {
            object.set(scope, key.into(), value);
        }
    };
    let id = v8::Number::new(scope, reply.call_id as f64);
    set(scope, "id", id.into());
    if !reply.error_code.is_empty() {
        let code = new_string(scope, &reply.error_code).ok()?;
        let message = new_string(scope, &reply.error_message).ok()?;
        set(scope, "error", code.into());
        set(scope, "message", message.into());
        return Some(object);
    }
    let size = v8::Number::new(scope, reply.data.len() as f64);
    set(scope, "size", size.into());
    if !reply.data.is_empty() {
        let digest = sources::Digest::try_from(reply.digest.as_slice()).ok();
        let data = ReplyData { bytes: reply.data, digest };
        state(scope).host.data.insert(reply.call_id, data);
    }
    if let Some(stat) = reply.stat {
        let fields = [
            f64::from(stat.kind),
            stat.size as f64,
            f64::from(stat.mode),
            stat.mtime_ms,
            stat.atime_ms,
            stat.ctime_ms,
            stat.birthtime_ms,
            stat.ino as f64,
            stat.nlink as f64,
        ];
        let values: Vec<v8::Local<'s, v8::Value>> =
            fields.iter().map(|n| v8::Number::new(scope, *n).into()).collect();
        let array = v8::Array::new_with_elements(scope, &values);
        set(scope, "stat", array.into());
    }
    if !reply.entries.is_empty() {
        let mut names = Vec::with_capacity(reply.entries.len());
        let mut kinds = Vec::with_capacity(reply.entries.len());
        for entry in &reply.entries {
            names.push(new_string(scope, &entry.name).ok()?.into());
            kinds.push(v8::Integer::new(scope, entry.kind).into());
        }
        let names = v8::Array::new_with_elements(scope, &names);
        let kinds = v8::Array::new_with_elements(scope, &kinds);
        set(scope, "names", names.into());
        set(scope, "kinds", kinds.into());
    }
    if let Some(head) = reply.response {
        let status = v8::Number::new(scope, f64::from(head.status));
        set(scope, "status", status.into());
        let text = new_string(scope, &head.status_text).ok()?;
        set(scope, "statusText", text.into());
        let mut pairs = Vec::with_capacity(head.headers.len() * 2);
        for header in &head.headers {
            pairs.push(new_string(scope, &header.name).ok()?.into());
            pairs.push(new_string(scope, &header.value).ok()?.into());
        }
        let headers = v8::Array::new_with_elements(scope, &pairs);
        set(scope, "headers", headers.into());
        let url = new_string(scope, &head.url).ok()?;
        set(scope, "url", url.into());
        let redirected = v8::Boolean::new(scope, head.redirected);
        set(scope, "redirected", redirected.into());
    }
    if reply.eof {
        let eof = v8::Boolean::new(scope, true);
        set(scope, "eof", eof.into());
    }
    if !reply.addresses.is_empty() {
        let mut addresses = Vec::with_capacity(reply.addresses.len());
        for address in &reply.addresses {
            addresses.push(new_string(scope, address).ok()?.into());
        }
        let addresses = v8::Array::new_with_elements(scope, &addresses);
        set(scope, "addresses", addresses.into());
    }
    let path = new_string(scope, &reply.path).ok()?;
    set(scope, "path", path.into());
    let format = new_string(scope, &reply.format).ok()?;
    set(scope, "format", format.into());
    Some(object)
}

/// `takeData(id, target)`: copies a reply's bytes into `target` (at least `size` bytes, which
/// the guest allocated); returns how many.
fn take_data(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let id = args.get(0).integer_value(scope).and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    let Some(target) = view(scope, args.get(1)) else { return };
    let target = bytes_mut(scope, target);
    let Some(ReplyData { bytes: data, .. }) = state(scope).host.data.remove(&id) else {
        rv.set_double(0.0);
        return;
    };
    let n = data.len().min(target.len());
    target[..n].copy_from_slice(&data[..n]);
    rv.set_double(n as f64);
}

/// `takeText(id)`: a reply's bytes as a string (invalid UTF-8 becomes U+FFFD, as Node's
/// `toString()` does). Used for module sources: all but the smallest become strings over the
/// worker's shared copy of the same text (`sources.rs`).
fn take_text(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let id = args.get(0).integer_value(scope).and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    let Some(ReplyData { bytes: data, digest }) = state(scope).host.data.remove(&id) else {
        rv.set(v8::String::empty(scope).into());
        return;
    };
    if data.len() >= sources::MIN_SHARED {
        match sources::take(scope, &data, digest) {
            Ok(text) => rv.set(text.into()),
            Err(sources::Refused::Memory) => {}
            Err(sources::Refused::TooLong) => {
                throw_range_error(scope, "the file is longer than a string may be");
            }
        }
        return;
    }
    let text = String::from_utf8_lossy(&data);
    if !admit_string(scope, &text) {
        return;
    }
    match v8::String::new_from_utf8(scope, text.as_bytes(), v8::NewStringType::Normal) {
        Some(text) => rv.set(text.into()),
        None => throw_range_error(scope, "the file is longer than a string may be"),
    }
}
