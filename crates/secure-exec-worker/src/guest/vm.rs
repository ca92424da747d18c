//! Node's `vm` over contexts of the session's own isolate: `vm.createContext` makes a V8
//! context whose global object forwards to the guest's object as Node's contextify does
//! (interceptors below), and scripts and functions are compiled and run in it.
//!
//! A context made here is no boundary and grants nothing: it lives in the same isolate, under
//! the same heap limit, CPU limit and watchdog as the session, and its global has only V8's
//! built-ins. What it reaches of the session's world is what the guest puts in its object.
//!
//! Code caches the guest hands in (`cachedData`) are never consumed: V8 trusts a cache's
//! bytes, so one crafted by the guest could corrupt the heap. Such scripts compile from
//! source and report `cachedDataRejected`.
//!
//! A script's `timeout` is a deadline the watchdog keeps (`watchdog::ScriptTimer`): past it
//! the watchdog interrupts the script, and this module resumes the isolate and throws
//! `ERR_SCRIPT_EXECUTION_TIMEOUT`, unless the session itself was stopped meanwhile.

use std::time::{Duration, Instant};

use super::host::{ErrorClass, throw_coded_as};
use super::web::{small_bytes_value, throw_type_error};
use super::{set_function, state};
use crate::watchdog::Interrupted;

/// Marks a script compiled by `vm` in its origin's host-defined options, so that its
/// `import()` is refused as Node refuses it without an `importModuleDynamically` callback.
const NO_DYNAMIC_IMPORT: u32 = 1;
/// `importModuleDynamically` was a function, which is not supported.
const IMPORT_CALLBACK: u32 = 2;

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "vmContext", vm_context);
    set_function(scope, natives, "vmRun", vm_run);
    set_function(scope, natives, "vmCompile", vm_compile);
    set_function(scope, natives, "vmCompileFunction", vm_compile_function);
}

/// How an `import()` in a `vm` script is refused, from its origin's host-defined options;
/// `None` for every other script.
pub(super) fn refused_import(
    scope: &mut v8::PinScope<'_, '_>,
    options: v8::Local<'_, v8::Data>,
) -> Option<(ErrorClass, &'static str, &'static str)> {
    let options = v8::Local::<v8::FixedArray>::try_from(options).ok()?;
    if options.length() != 1 {
        return None;
    }
    let mark = v8::Local::<v8::Value>::try_from(options.get(scope, 0)?).ok()?;
    match mark.uint32_value(scope)? {
        NO_DYNAMIC_IMPORT => Some((
            ErrorClass::TypeError,
            "ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING",
            "A dynamic import callback was not specified.",
        )),
        IMPORT_CALLBACK => Some((
            ErrorClass::Error,
            "ERR_NOT_SUPPORTED",
            "vm's importModuleDynamically callback is not supported in secure-exec",
        )),
        _ => None,
    }
}

// ------------------------------------------------------------------------- contexts

/// `vmContext(object, contextify, allowStrings)`: a new context's global proxy. With
/// `contextify`, the global forwards to `object` (Node's contextified object); without, it is
/// a plain global (`vm.constants.DONT_CONTEXTIFY`).
fn vm_context<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(sandbox) = v8::Local::<v8::Object>::try_from(args.get(0)) else {
        return throw_type_error(scope, "a vm context needs an object");
    };
    let contextify = args.get(1).boolean_value(scope);
    let strings = args.get(2).boolean_value(scope);
    let template = v8::ObjectTemplate::new(scope);
    // The interceptors' data: the object, and the global proxy once the context exists
    // (until then they intercept nothing, as V8 sets up the global through them). Own
    // elements from the start, so no setter or getter the guest put on Array.prototype runs.
    let undefined = v8::undefined(scope).into();
    let data = v8::Array::new_with_elements(scope, &[sandbox.into(), undefined]);
    if contextify {
        template.set_named_property_handler(
            v8::NamedPropertyHandlerConfiguration::new()
                .getter(get)
                .setter(set)
                .descriptor(describe)
                .deleter(delete)
                .enumerator(enumerate)
                .definer(define)
                .data(data.into()),
        );
        // Indexed names (`globalThis[0]`) the same way, by their string.
        template.set_indexed_property_handler(
            v8::IndexedPropertyHandlerConfiguration::new()
                .getter(get_indexed)
                .setter(set_indexed)
                .descriptor(describe_indexed)
                .deleter(delete_indexed)
                .definer(define_indexed)
                .data(data.into()),
        );
    }
    let current = scope.get_current_context();
    let context = v8::Context::new(
        scope,
        v8::ContextOptions { global_template: Some(template), ..Default::default() },
    );
    // The same token as the session's context: V8 checks access to another context's global
    // by it, and the guest's own code must reach the globals it made.
    let token = current.get_security_token(scope);
    context.set_security_token(token);
    context.set_allow_generation_from_strings(strings);
    let global = context.global(scope);
    if contextify {
        if let Some(at) = v8::String::new(scope, "1") {
            data.create_data_property(scope, at.into(), global.into());
        }
    }
    rv.set(global.into());
}

/// The contextified object and its context's global proxy, from an interceptor's data.
fn parts<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: &v8::PropertyCallbackArguments<'s>,
) -> Option<(v8::Local<'s, v8::Object>, v8::Local<'s, v8::Object>)> {
    let data = v8::Local::<v8::Array>::try_from(args.data()).ok()?;
    let sandbox = v8::Local::<v8::Object>::try_from(data.get_index(scope, 0)?).ok()?;
    let global = v8::Local::<v8::Object>::try_from(data.get_index(scope, 1)?).ok()?;
    Some((sandbox, global))
}

/// A read of the global: the object's property (its prototype chain included), else the
/// global's own (V8's built-ins); the object itself reads as the global.
fn get<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    key: v8::Local<'s, v8::Name>,
    args: v8::PropertyCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_, v8::Value>,
) -> v8::Intercepted {
    let Some((sandbox, global)) = parts(scope, &args) else { return v8::Intercepted::kNo };
    let found = sandbox
        .get_real_named_property(scope, key)
        .or_else(|| global.get_real_named_property(scope, key));
    match found {
        Some(value) => {
            rv.set(if value == sandbox { global.into() } else { value });
            v8::Intercepted::kYes
        }
        None => v8::Intercepted::kNo,
    }
}

/// A write to the global goes to the object (and, not intercepted, to the global too, as
/// Node's does), except where either holds it read-only.
fn set<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    key: v8::Local<'s, v8::Name>,
    value: v8::Local<'s, v8::Value>,
    args: v8::PropertyCallbackArguments<'s>,
    _rv: v8::ReturnValue<'_, v8::Boolean>,
) -> v8::Intercepted {
    let Some((sandbox, global)) = parts(scope, &args) else { return v8::Intercepted::kNo };
    let on_global = global.get_real_named_property_attributes(scope, key);
    let on_sandbox = sandbox.get_real_named_property_attributes(scope, key);
    let read_only = [&on_global, &on_sandbox].into_iter().flatten().any(|a| a.is_read_only());
    if read_only {
        return v8::Intercepted::kNo;
    }
    let declared = on_global.is_some() || on_sandbox.is_some();
    // Node also leaves alone an undeclared name assigned in strict code (`x = 1`, a
    // ReferenceError) but not a property (`this.x = 1`), telling them apart by the receiver,
    // which this V8 does not give interceptors; both are written, and V8 still throws for
    // the first.
    if !declared && key.is_symbol() {
        return v8::Intercepted::kNo;
    }
    if sandbox.set(scope, key.into(), value).is_none() {
        return v8::Intercepted::kNo;
    }
    // An accessor on the object took the write: the global must not get a data copy.
    if on_sandbox.is_some() {
        if let Some(descriptor) = sandbox
            .get_own_property_descriptor(scope, key)
            .and_then(|d| v8::Local::<v8::Object>::try_from(d).ok())
        {
            for name in ["get", "set"] {
                let Some(name) = v8::String::new(scope, name) else { continue };
                if descriptor.has_own_property(scope, name.into()).unwrap_or(false) {
                    return v8::Intercepted::kYes;
                }
            }
        }
    }
    v8::Intercepted::kNo
}

/// A property's descriptor is the object's, where the object has it.
fn describe<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    key: v8::Local<'s, v8::Name>,
    args: v8::PropertyCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_, v8::Value>,
) -> v8::Intercepted {
    let Some((sandbox, _)) = parts(scope, &args) else { return v8::Intercepted::kNo };
    if sandbox.has_own_property(scope, key).unwrap_or(false) {
        if let Some(descriptor) = sandbox.get_own_property_descriptor(scope, key) {
            rv.set(descriptor);
            return v8::Intercepted::kYes;
        }
    }
    v8::Intercepted::kNo
}

/// `Object.defineProperty(globalThis, ...)` defines on the object too.
fn define<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    key: v8::Local<'s, v8::Name>,
    descriptor: &v8::PropertyDescriptor,
    args: v8::PropertyCallbackArguments<'s>,
    _rv: v8::ReturnValue<'_, v8::Boolean>,
) -> v8::Intercepted {
    let Some((sandbox, global)) = parts(scope, &args) else { return v8::Intercepted::kNo };
    if let Some(attributes) = global.get_real_named_property_attributes(scope, key) {
        if attributes.is_read_only() && attributes.is_dont_delete() {
            return v8::Intercepted::kNo;
        }
    }
    let undefined: v8::Local<'_, v8::Value> = v8::undefined(scope).into();
    let mut copy = if descriptor.has_get() || descriptor.has_set() {
        v8::PropertyDescriptor::new_from_get_set(
            if descriptor.has_get() { descriptor.get() } else { undefined },
            if descriptor.has_set() { descriptor.set() } else { undefined },
        )
    } else {
        let value = if descriptor.has_value() { descriptor.value() } else { undefined };
        if descriptor.has_writable() {
            v8::PropertyDescriptor::new_from_value_writable(value, descriptor.writable())
        } else {
            v8::PropertyDescriptor::new_from_value(value)
        }
    };
    if descriptor.has_enumerable() {
        copy.set_enumerable(descriptor.enumerable());
    }
    if descriptor.has_configurable() {
        copy.set_configurable(descriptor.configurable());
    }
    let _ = sandbox.define_property(scope, key, &copy);
    v8::Intercepted::kNo
}

/// `delete` deletes from the object; where the object refuses, the global keeps its own.
fn delete<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    key: v8::Local<'s, v8::Name>,
    args: v8::PropertyCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_, v8::Boolean>,
) -> v8::Intercepted {
    let Some((sandbox, _)) = parts(scope, &args) else { return v8::Intercepted::kNo };
    if sandbox.delete(scope, key.into()).unwrap_or(false) {
        return v8::Intercepted::kNo;
    }
    rv.set_bool(false);
    v8::Intercepted::kYes
}

/// The global's keys are the object's (enumerable, its prototypes' included).
fn enumerate<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::PropertyCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_, v8::Array>,
) {
    let Some((sandbox, _)) = parts(scope, &args) else { return };
    let strings = v8::GetPropertyNamesArgs {
        key_conversion: v8::KeyConversionMode::ConvertToString,
        ..Default::default()
    };
    if let Some(names) = sandbox.get_property_names(scope, strings) {
        rv.set(names);
    }
}

/// An index as the property name it stands for.
fn index_name<'s>(scope: &mut v8::PinScope<'s, '_>, index: u32) -> Option<v8::Local<'s, v8::Name>> {
    v8::String::new(scope, &index.to_string()).map(Into::into)
}

fn get_indexed<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    index: u32,
    args: v8::PropertyCallbackArguments<'s>,
    rv: v8::ReturnValue<'_, v8::Value>,
) -> v8::Intercepted {
    match index_name(scope, index) {
        Some(key) => get(scope, key, args, rv),
        None => v8::Intercepted::kNo,
    }
}

fn set_indexed<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    index: u32,
    value: v8::Local<'s, v8::Value>,
    args: v8::PropertyCallbackArguments<'s>,
    rv: v8::ReturnValue<'_, v8::Boolean>,
) -> v8::Intercepted {
    match index_name(scope, index) {
        Some(key) => set(scope, key, value, args, rv),
        None => v8::Intercepted::kNo,
    }
}

fn describe_indexed<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    index: u32,
    args: v8::PropertyCallbackArguments<'s>,
    rv: v8::ReturnValue<'_, v8::Value>,
) -> v8::Intercepted {
    match index_name(scope, index) {
        Some(key) => describe(scope, key, args, rv),
        None => v8::Intercepted::kNo,
    }
}

fn delete_indexed<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    index: u32,
    args: v8::PropertyCallbackArguments<'s>,
    rv: v8::ReturnValue<'_, v8::Boolean>,
) -> v8::Intercepted {
    match index_name(scope, index) {
        Some(key) => delete(scope, key, args, rv),
        None => v8::Intercepted::kNo,
    }
}

fn define_indexed<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    index: u32,
    descriptor: &v8::PropertyDescriptor,
    args: v8::PropertyCallbackArguments<'s>,
    rv: v8::ReturnValue<'_, v8::Boolean>,
) -> v8::Intercepted {
    match index_name(scope, index) {
        Some(key) => define(scope, key, descriptor, args, rv),
        None => v8::Intercepted::kNo,
    }
}

// -------------------------------------------------------------------------- scripts

/// A `vm` script's origin: the guest's file name and offsets, and the mark its `import()`
/// is judged by (`import` 0 takes the session's own loader).
fn origin<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: &v8::FunctionCallbackArguments<'s>,
    at: i32,
) -> v8::ScriptOrigin<'s> {
    let name = args.get(at);
    let line = args.get(at + 1).int32_value(scope).unwrap_or(0);
    let column = args.get(at + 2).int32_value(scope).unwrap_or(0);
    let import = args.get(at + 3).uint32_value(scope).unwrap_or(NO_DYNAMIC_IMPORT);
    let options = (import != 0).then(|| {
        let options = v8::PrimitiveArray::new(scope, 1);
        let mark = v8::Integer::new_from_unsigned(scope, import);
        options.set(scope, 0, mark.into());
        options.into()
    });
    v8::ScriptOrigin::new(scope, name, line, column, false, 0, None, false, false, false, options)
}

/// The context whose global proxy `target` is; the current one for undefined.
fn target_context<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    target: v8::Local<'s, v8::Value>,
) -> Option<v8::Local<'s, v8::Context>> {
    if target.is_undefined() {
        return Some(scope.get_current_context());
    }
    let context = v8::Local::<v8::Object>::try_from(target)
        .ok()
        .and_then(|global| global.get_creation_context(scope));
    if context.is_none() {
        throw_type_error(scope, "not a vm context");
    }
    context
}

type Catching<'a, 'b, 'c, 'd> = v8::PinnedRef<'a, v8::TryCatch<'b, 'c, v8::HandleScope<'d>>>;

/// `vmCompile(code, filename, lineOffset, columnOffset, import, produceCachedData)`: checks
/// the script compiles (its SyntaxError thrown, decorated); returns `[cachedData or
/// undefined, sourceMapURL]`.
fn vm_compile<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(code) = v8::Local::<v8::String>::try_from(args.get(0)) else {
        return throw_type_error(scope, "code must be a string");
    };
    let produce = args.get(5).boolean_value(scope);
    let origin = origin(scope, &args, 1);
    v8::tc_scope!(let tc, scope);
    let mut source = v8::script_compiler::Source::new(code, Some(&origin));
    let Some(script) = v8::script_compiler::compile_unbound_script(
        tc,
        &mut source,
        v8::script_compiler::CompileOptions::NoCompileOptions,
        v8::script_compiler::NoCacheReason::NoReason,
    ) else {
        return rethrow(tc, true);
    };
    let cache: v8::Local<'_, v8::Value> = match produce.then(|| script.create_code_cache()) {
        Some(Some(data)) => small_bytes_value(tc, data.to_vec()),
        _ => v8::undefined(tc).into(),
    };
    let url = script.get_source_mapping_url(tc);
    rv.set(v8::Array::new_with_elements(tc, &[cache, url]).into());
}

/// `vmRun(target, code, filename, lineOffset, columnOffset, import, timeoutMs,
/// displayErrors)`: runs the script in the context of `target` (a global from `vmContext`;
/// undefined for the session's), within `timeoutMs` when it is not 0.
fn vm_run<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(code) = v8::Local::<v8::String>::try_from(args.get(1)) else {
        return throw_type_error(scope, "code must be a string");
    };
    let Some(context) = target_context(scope, args.get(0)) else { return };
    let timeout = args.get(6).uint32_value(scope).unwrap_or(0);
    let display = args.get(7).boolean_value(scope);
    let origin = origin(scope, &args, 2);
    let scope = &mut v8::ContextScope::new(scope, context);
    v8::tc_scope!(let tc, scope);
    let mut timed_out = false;
    let result = v8::Script::compile(tc, code, Some(&origin))
        .and_then(|script| within(tc, timeout, &mut timed_out, |scope| script.run(scope)));
    match result {
        Some(value) => rv.set(value),
        None => rethrow(tc, display && !timed_out),
    }
}

/// `vmCompileFunction(code, filename, lineOffset, columnOffset, import, params, target,
/// extensions, produceCachedData)`: a function of `params` with `code` as its body, compiled
/// in `target`'s context with `extensions` (objects) in its scope chain; returns
/// `[function, cachedData or undefined]`.
fn vm_compile_function<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(code) = v8::Local::<v8::String>::try_from(args.get(0)) else {
        return throw_type_error(scope, "code must be a string");
    };
    let params = strings_of(scope, args.get(5));
    let extensions = objects_of(scope, args.get(7));
    let produce = args.get(8).boolean_value(scope);
    let Some(context) = target_context(scope, args.get(6)) else { return };
    let origin = origin(scope, &args, 1);
    let scope = &mut v8::ContextScope::new(scope, context);
    v8::tc_scope!(let tc, scope);
    let mut source = v8::script_compiler::Source::new(code, Some(&origin));
    let Some(function) = v8::script_compiler::compile_function(
        tc,
        &mut source,
        &params,
        &extensions,
        v8::script_compiler::CompileOptions::NoCompileOptions,
        v8::script_compiler::NoCacheReason::NoReason,
    ) else {
        if !tc.has_caught() {
            // V8 refuses some arguments without an exception (a parameter that is no name, an
            // extension that is a proxy), where Node's process crashes.
            throw_type_error(
                tc,
                "vm.compileFunction() cannot compile with these params or contextExtensions",
            );
            tc.rethrow();
            return;
        }
        return rethrow(tc, true);
    };
    let cache = produce.then(|| function.create_code_cache()).flatten();
    let cache = match cache.map(|data| data.to_vec()) {
        Some(bytes) => small_bytes_value(tc, bytes),
        None => v8::undefined(tc).into(),
    };
    rv.set(v8::Array::new_with_elements(tc, &[function.into(), cache]).into());
}

/// Sends a caught exception on to the guest, decorated first if `display` (Node's
/// `displayErrors`); a termination goes on by itself.
fn rethrow(tc: &mut Catching<'_, '_, '_, '_>, display: bool) {
    if !tc.has_caught() || tc.has_terminated() {
        return;
    }
    if display {
        decorate(tc);
    }
    tc.rethrow();
}

/// Node's decoration of an error from a `vm` script: its stack is prefixed, once, by where
/// it was thrown (`file:line`), that source line, and carets under the place.
fn decorate(tc: &mut Catching<'_, '_, '_, '_>) {
    /// Node's bound on the underline.
    const MAX_UNDERLINE: usize = 1020;
    let (Some(exception), Some(message)) = (tc.exception(), tc.message()) else { return };
    if !exception.is_native_error() {
        return;
    }
    let Ok(error) = v8::Local::<v8::Object>::try_from(exception) else { return };
    let (Some(mark), Some(key)) =
        (v8::String::new(tc, "secure-exec:vm-decorated"), v8::String::new(tc, "stack"))
    else {
        return;
    };
    let mark = v8::Private::for_api(tc, Some(mark));
    if error.get_private(tc, mark).is_some_and(|done| done.is_true()) {
        return;
    }
    let Some(stack) = error.get(tc, key.into()).filter(|stack| stack.is_string()) else { return };
    let stack = stack.to_rust_string_lossy(tc);
    let name = message.get_script_resource_name(tc).map(|name| name.to_rust_string_lossy(tc));
    let line = message.get_line_number(tc).unwrap_or(0);
    let source = message.get_source_line(tc).map(|line| line.to_rust_string_lossy(tc));
    let source = source.unwrap_or_default();
    let (start, end) = (message.get_start_column(), message.get_end_column());
    let underline: String = source
        .chars()
        .take(end.min(MAX_UNDERLINE))
        .enumerate()
        .map(|(at, c)| match (at >= start, c) {
            (true, _) => '^',
            (false, '\t') => '\t',
            (false, _) => ' ',
        })
        .collect();
    let name = name.unwrap_or_default();
    let decorated = format!("{name}:{line}\n{source}\n{underline}\n\n{stack}");
    let Some(decorated) = v8::String::new(tc, &decorated) else { return };
    error.set(tc, key.into(), decorated.into());
    let done = v8::Boolean::new(tc, true);
    error.set_private(tc, mark, done.into());
}

fn elements<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Vec<v8::Local<'s, v8::Value>> {
    let Ok(array) = v8::Local::<v8::Array>::try_from(value) else { return Vec::new() };
    (0..array.length()).filter_map(|i| array.get_index(scope, i)).collect()
}

fn strings_of<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Vec<v8::Local<'s, v8::String>> {
    elements(scope, value).into_iter().filter_map(|v| v8::Local::try_from(v).ok()).collect()
}

fn objects_of<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Vec<v8::Local<'s, v8::Object>> {
    elements(scope, value).into_iter().filter_map(|v| v8::Local::try_from(v).ok()).collect()
}

/// Runs `run` with the session's script deadline set `timeout_ms` ahead (none for 0). If the
/// watchdog interrupted it and the session was not stopped, the isolate runs on and the
/// guest gets Node's `ERR_SCRIPT_EXECUTION_TIMEOUT`; a deadline that passed just as the script
/// ended is undone the same way, so it cannot end the next script.
fn within<'s, T>(
    scope: &mut v8::PinScope<'s, '_>,
    timeout_ms: u32,
    timed_out: &mut bool,
    run: impl FnOnce(&mut v8::PinScope<'s, '_>) -> Option<T>,
) -> Option<T> {
    let timer = (timeout_ms > 0).then(|| state(scope).script_timer.clone()).flatten();
    let Some(timer) = timer else { return run(scope) };
    let deadline = Instant::now() + Duration::from_millis(u64::from(timeout_ms));
    let previous = timer.arm(deadline);
    let result = run(scope);
    if timer.disarm(previous) != Interrupted::This {
        return result;
    }
    let control = std::sync::Arc::clone(&state(scope).control);
    if !control.resume() {
        return None;
    }
    if result.is_some() {
        return result;
    }
    *timed_out = true;
    let message = format!("Script execution timed out after {timeout_ms}ms");
    throw_coded_as(scope, ErrorClass::Error, "ERR_SCRIPT_EXECUTION_TIMEOUT", &message);
    None
}
