//! ES modules: the V8 side of the loader in `node.js`.
//!
//! `node.js` decides what every specifier means (resolution is a host call, CommonJS and
//! built-ins become synthetic modules); these natives compile, link, instantiate and evaluate,
//! and keep the session's module table: each module gets a small integer id that the guest
//! glue uses, and V8's callbacks (resolve during instantiation, `import()`, `import.meta`) find
//! their way back to the glue through it. Compiling happens here, in the isolate: a parser's
//! failure on hostile source (nesting too deep) is a SyntaxError or RangeError in the guest.

use std::collections::HashMap;

use super::code_cache;
use super::web::throw_type_error;
use super::{new_string, set_function, state};

/// The session's ES modules.
#[derive(Debug, Default)]
pub(crate) struct ModuleTable {
    entries: Vec<Entry>,
    /// Module ids by V8's identity hash (which may collide: each bucket is checked).
    by_hash: HashMap<i32, Vec<usize>>,
    /// What each (module, specifier) pair links to.
    links: HashMap<(usize, String), usize>,
    /// `importDynamic(specifier, referrer, type)` and `initMeta(meta, path)` of `node.js`.
    hooks: Option<(v8::Global<v8::Function>, v8::Global<v8::Function>)>,
    /// The entry module's evaluation: still pending when the event loop runs dry means an
    /// unsettled top-level await.
    pub(crate) entry: Option<v8::Global<v8::Promise>>,
}

#[derive(Debug)]
struct Entry {
    module: v8::Global<v8::Module>,
    path: String,
    /// For synthetic modules: returns the object whose properties are the exports.
    evaluate: Option<v8::Global<v8::Function>>,
    exports: Vec<String>,
}

impl ModuleTable {
    fn find(
        &self,
        scope: &mut v8::PinScope<'_, '_>,
        module: v8::Local<'_, v8::Module>,
    ) -> Option<usize> {
        let bucket = self.by_hash.get(&module.get_identity_hash().get())?;
        bucket.iter().copied().find(|&id| v8::Local::new(scope, &self.entries[id].module) == module)
    }

    fn add(&mut self, module: v8::Local<'_, v8::Module>, entry: Entry) -> usize {
        let id = self.entries.len();
        self.by_hash.entry(module.get_identity_hash().get()).or_default().push(id);
        self.entries.push(entry);
        id
    }
}

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "compileModule", compile_module);
    set_function(scope, natives, "syntheticModule", synthetic_module);
    set_function(scope, natives, "linkModule", link_module);
    set_function(scope, natives, "instantiateModule", instantiate_module);
    set_function(scope, natives, "evaluateModule", evaluate_module);
    set_function(scope, natives, "moduleNamespace", module_namespace);
    set_function(scope, natives, "moduleHooks", module_hooks);
    set_function(scope, natives, "trackEntry", track_entry);
    set_function(scope, natives, "promiseState", promise_state);
}

/// Callbacks every session isolate gets: `import()` and `import.meta`.
pub(crate) fn configure_isolate(isolate: &mut v8::Isolate) {
    isolate.set_host_import_module_dynamically_callback(import_dynamically);
    isolate.set_host_initialize_import_meta_object_callback(init_import_meta);
}

fn id_arg(scope: &mut v8::PinScope<'_, '_>, value: v8::Local<'_, v8::Value>) -> Option<usize> {
    let id = value.integer_value(scope).and_then(|n| usize::try_from(n).ok());
    let known = id.filter(|&id| id < state(scope).modules.entries.len());
    if known.is_none() {
        throw_type_error(scope, "unknown module id");
    }
    known
}

fn module_of<'s>(scope: &mut v8::PinScope<'s, '_>, id: usize) -> v8::Local<'s, v8::Module> {
    let global = state(scope).modules.entries[id].module.clone();
    v8::Local::new(scope, global)
}

/// `compileModule(source, path, url)`: `[id, requests]`, each request `[specifier, type]` (the
/// `type` import attribute, or undefined). Stack traces name the module by `url` (a `file://`
/// URL, as in Node). A syntax error is thrown.
fn compile_module<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(source) = v8::Local::<v8::String>::try_from(args.get(0)) else {
        return throw_type_error(scope, "module source must be a string");
    };
    let Ok(name) = v8::Local::<v8::String>::try_from(args.get(1)) else {
        return throw_type_error(scope, "module path must be a string");
    };
    let path = name.to_rust_string_lossy(scope);
    let name = v8::Local::<v8::String>::try_from(args.get(2)).unwrap_or(name);
    let key = code_cache::key_of(scope, code_cache::Kind::Module, source);
    let cached = key.as_ref().and_then(code_cache::get);
    let origin =
        v8::ScriptOrigin::new(scope, name.into(), 0, 0, false, 0, None, false, false, true, None);
    let (mut source, options) = code_cache::source(source, &origin, cached.as_deref());
    let Some(module) = v8::script_compiler::compile_module2(
        scope,
        &mut source,
        options,
        v8::script_compiler::NoCacheReason::NoReason,
    ) else {
        return;
    };
    code_cache::remember(scope, key, cached.is_some(), &source, |scope| {
        let script = module.get_unbound_module_script(scope);
        code_cache::Compiled::Module(v8::Global::new(scope, script))
    });
    let requests = module.get_module_requests();
    let mut listed = Vec::with_capacity(requests.length());
    for i in 0..requests.length() {
        let Some(request) = requests.get(scope, i) else { continue };
        let Ok(request) = v8::Local::<v8::ModuleRequest>::try_from(request) else { continue };
        let specifier = request.get_specifier();
        let kind = attribute_type(scope, request.get_import_attributes(), 3);
        listed.push(v8::Array::new_with_elements(scope, &[specifier.into(), kind]).into());
    }
    let global = v8::Global::new(scope, module);
    let entry = Entry { module: global, path, evaluate: None, exports: Vec::new() };
    let id = state(scope).modules.add(module, entry);
    let id = v8::Number::new(scope, id as f64);
    let requests = v8::Array::new_with_elements(scope, &listed);
    rv.set(v8::Array::new_with_elements(scope, &[id.into(), requests.into()]).into());
}

/// The `type` import attribute in `attributes` (entries of `stride` values: key, value, and
/// for module requests a source offset), or undefined.
fn attribute_type<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    attributes: v8::Local<'s, v8::FixedArray>,
    stride: usize,
) -> v8::Local<'s, v8::Value> {
    let mut i = 0;
    while i + 1 < attributes.length() {
        let key = attributes.get(scope, i).and_then(|k| v8::Local::<v8::Value>::try_from(k).ok());
        if key.is_some_and(|k| k.to_rust_string_lossy(scope) == "type") {
            if let Some(value) =
                attributes.get(scope, i + 1).and_then(|v| v8::Local::<v8::Value>::try_from(v).ok())
            {
                return value;
            }
        }
        i += stride;
    }
    v8::undefined(scope).into()
}

/// `syntheticModule(path, exportNames, evaluate)`: a module whose exports are the properties
/// of what `evaluate()` returns (built-ins, CommonJS, JSON).
fn synthetic_module<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_>,
) {
    let path = args.get(0).to_rust_string_lossy(scope);
    let Ok(names) = v8::Local::<v8::Array>::try_from(args.get(1)) else {
        return throw_type_error(scope, "export names must be an array");
    };
    let Ok(evaluate) = v8::Local::<v8::Function>::try_from(args.get(2)) else {
        return throw_type_error(scope, "evaluate must be a function");
    };
    let mut exports = Vec::with_capacity(names.length() as usize);
    let mut keys = Vec::with_capacity(names.length() as usize);
    for i in 0..names.length() {
        let Some(name) = names.get_index(scope, i) else { return };
        let Ok(name) = v8::Local::<v8::String>::try_from(name) else {
            return throw_type_error(scope, "export names must be strings");
        };
        let text = name.to_rust_string_lossy(scope);
        if exports.contains(&text) {
            continue;
        }
        exports.push(text);
        keys.push(name);
    }
    let Ok(module_name) = new_string(scope, &path) else { return };
    let module = v8::Module::create_synthetic_module(scope, module_name, &keys, synthetic_steps);
    let entry = Entry {
        module: v8::Global::new(scope, module),
        path,
        evaluate: Some(v8::Global::new(scope, evaluate)),
        exports,
    };
    let id = state(scope).modules.add(module, entry);
    rv.set_double(id as f64);
}

fn synthetic_steps<'s>(
    context: v8::Local<'s, v8::Context>,
    module: v8::Local<'s, v8::Module>,
) -> Option<v8::Local<'s, v8::Value>> {
    // SAFETY: V8 calls this during evaluation, on the isolate's thread, inside its context.
    v8::callback_scope!(unsafe scope, context);
    let table = std::mem::take(&mut state(scope).modules);
    let found = table.find(scope, module).map(|id| {
        let entry = &table.entries[id];
        (entry.evaluate.clone(), entry.exports.clone())
    });
    state(scope).modules = table;
    let (Some(evaluate), exports) = found? else { return None };
    let evaluate = v8::Local::new(scope, evaluate);
    let undefined = v8::undefined(scope);
    let values = evaluate.call(scope, undefined.into(), &[])?;
    let values = v8::Local::<v8::Object>::try_from(values).ok()?;
    for name in exports {
        let key = v8::String::new(scope, &name)?;
        let value = values.get(scope, key.into())?;
        module.set_synthetic_module_export(scope, key, value)?;
    }
    // V8 hands this value to whoever evaluates the module: a settled promise, as a source
    // module's evaluation gives.
    let resolver = v8::PromiseResolver::new(scope)?;
    let undefined = v8::undefined(scope);
    resolver.resolve(scope, undefined.into())?;
    Some(resolver.get_promise(scope).into())
}

/// `linkModule(id, specifier, targetId)`: what `specifier` in module `id` resolves to.
fn link_module<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(from) = id_arg(scope, args.get(0)) else { return };
    let specifier = args.get(1).to_rust_string_lossy(scope);
    let Some(to) = id_arg(scope, args.get(2)) else { return };
    state(scope).modules.links.insert((from, specifier), to);
}

fn resolve_linked<'s>(
    context: v8::Local<'s, v8::Context>,
    specifier: v8::Local<'s, v8::String>,
    _attributes: v8::Local<'s, v8::FixedArray>,
    referrer: v8::Local<'s, v8::Module>,
) -> Option<v8::Local<'s, v8::Module>> {
    // SAFETY: V8 calls this during instantiation, on the isolate's thread, in its context.
    v8::callback_scope!(unsafe scope, context);
    let specifier = specifier.to_rust_string_lossy(scope);
    let table = std::mem::take(&mut state(scope).modules);
    let target = table
        .find(scope, referrer)
        .and_then(|from| table.links.get(&(from, specifier.clone())).copied())
        .map(|to| table.entries[to].module.clone());
    state(scope).modules = table;
    match target {
        Some(module) => Some(v8::Local::new(scope, module)),
        None => {
            let message = format!("the module '{specifier}' was not linked");
            if let Ok(text) = new_string(scope, &message) {
                let error = v8::Exception::error(scope, text);
                scope.throw_exception(error);
            }
            None
        }
    }
}

/// `instantiateModule(id)`: links the graph (every request must have been linked).
fn instantiate_module<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'_>,
) {
    let Some(id) = id_arg(scope, args.get(0)) else { return };
    let module = module_of(scope, id);
    if module.get_status() == v8::ModuleStatus::Uninstantiated {
        let _ = module.instantiate_module(scope, resolve_linked);
    }
}

/// `evaluateModule(id)`: the promise of the module's evaluation (top-level await included).
fn evaluate_module<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(id) = id_arg(scope, args.get(0)) else { return };
    let module = module_of(scope, id);
    if let Some(result) = module.evaluate(scope) {
        rv.set(result);
    }
}

/// `moduleNamespace(id)`.
fn module_namespace<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(id) = id_arg(scope, args.get(0)) else { return };
    let module = module_of(scope, id);
    if matches!(
        module.get_status(),
        v8::ModuleStatus::Uninstantiated | v8::ModuleStatus::Instantiating
    ) {
        return throw_type_error(scope, "the module is not instantiated");
    }
    rv.set(module.get_module_namespace());
}

/// `moduleHooks(importDynamic, initMeta)`: where V8's callbacks go.
fn module_hooks<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'_>,
) {
    let (Ok(import), Ok(meta)) = (
        v8::Local::<v8::Function>::try_from(args.get(0)),
        v8::Local::<v8::Function>::try_from(args.get(1)),
    ) else {
        return throw_type_error(scope, "module hooks must be functions");
    };
    let hooks = (v8::Global::new(scope, import), v8::Global::new(scope, meta));
    state(scope).modules.hooks = Some(hooks);
}

/// `trackEntry(promise)`: the entry module's evaluation, checked when the session ends.
fn track_entry<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'_>,
) {
    if let Ok(promise) = v8::Local::<v8::Promise>::try_from(args.get(0)) {
        let promise = v8::Global::new(scope, promise);
        state(scope).modules.entry = Some(promise);
    }
}

/// `promiseState(promise, peek)`: `[0]` pending, `[1, value]` fulfilled, `[2, reason]`
/// rejected. For `require()` of an ES module, which must know at once whether its evaluation
/// finished (and throws a rejection, handling it), and for `util.inspect` (`peek`: a look that
/// leaves a rejection unhandled).
fn promise_state<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(promise) = v8::Local::<v8::Promise>::try_from(args.get(0)) else {
        return throw_type_error(scope, "expected a promise");
    };
    let (state, value) = match promise.state() {
        v8::PromiseState::Pending => (0, None),
        v8::PromiseState::Fulfilled => (1, Some(promise.result(scope))),
        v8::PromiseState::Rejected => {
            // The rejection is handed to the caller, who throws it: it is not unhandled.
            if !args.get(1).is_true() {
                promise.mark_as_handled();
            }
            (2, Some(promise.result(scope)))
        }
    };
    let state = v8::Integer::new(scope, state).into();
    let items = match value {
        Some(value) => vec![state, value],
        None => vec![state],
    };
    rv.set(v8::Array::new_with_elements(scope, &items).into());
}

/// `import()`: handed to `node.js`, loading it first if the session has not yet.
fn import_dynamically<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    options: v8::Local<'s, v8::Data>,
    resource: v8::Local<'s, v8::Value>,
    specifier: v8::Local<'s, v8::String>,
    attributes: v8::Local<'s, v8::FixedArray>,
) -> Option<v8::Local<'s, v8::Promise>> {
    // A `vm` script's import is refused as Node refuses it (the promise rejects with it).
    if let Some((class, code, message)) = super::vm::refused_import(scope, options) {
        super::host::throw_coded_as(scope, class, code, message);
        return None;
    }
    if state(scope).modules.hooks.is_none() {
        // The prelude's loader hook loads node.js, which registers the module hooks.
        let load = state(scope).load_node.clone()?;
        let load = v8::Local::new(scope, load);
        let undefined = v8::undefined(scope);
        load.call(scope, undefined.into(), &[])?;
    }
    let (import, _) = state(scope).modules.hooks.clone()?;
    let import = v8::Local::new(scope, import);
    let kind = attribute_type(scope, attributes, 2);
    let undefined = v8::undefined(scope);
    let result = import.call(scope, undefined.into(), &[specifier.into(), resource, kind])?;
    v8::Local::<v8::Promise>::try_from(result).ok()
}

extern "C" fn init_import_meta(
    context: v8::Local<'_, v8::Context>,
    module: v8::Local<'_, v8::Module>,
    meta: v8::Local<'_, v8::Object>,
) {
    // SAFETY: V8 calls this on the isolate's thread, in its context.
    v8::callback_scope!(unsafe scope, context);
    let table = std::mem::take(&mut state(scope).modules);
    let found = table.find(scope, module).map(|id| table.entries[id].path.clone());
    let hook = table.hooks.as_ref().map(|(_, meta)| meta.clone());
    state(scope).modules = table;
    let (Some(path), Some(hook)) = (found, hook) else { return };
    let Ok(path) = new_string(scope, &path) else { return };
    let hook = v8::Local::new(scope, hook);
    let undefined = v8::undefined(scope);
    let _ = hook.call(scope, undefined.into(), &[meta.into(), path.into()]);
}
