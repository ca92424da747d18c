//! Node's `util.types`: the same checks Node makes, by V8 itself, so that proxies, async
//! generator functions, module namespaces and objects that only look like errors or promises
//! are told apart exactly as in Node.

use super::set_function;

type Check = fn(&v8::Value) -> bool;

/// Node 20's `util.types`, in the order `typeChecks()` lists them. `isKeyObject` and
/// `isCryptoKey` are answered by `node.js`, which knows its key classes.
const CHECKS: &[(&str, Check)] = &[
    ("isAnyArrayBuffer", |v| v.is_array_buffer() || v.is_shared_array_buffer()),
    ("isArgumentsObject", |v| v.is_arguments_object()),
    ("isArrayBuffer", |v| v.is_array_buffer()),
    ("isArrayBufferView", |v| v.is_array_buffer_view()),
    ("isAsyncFunction", |v| v.is_async_function()),
    ("isBigInt64Array", |v| v.is_big_int64_array()),
    ("isBigIntObject", |v| v.is_big_int_object()),
    ("isBigUint64Array", |v| v.is_big_uint64_array()),
    ("isBooleanObject", |v| v.is_boolean_object()),
    ("isBoxedPrimitive", |v| {
        v.is_number_object()
            || v.is_string_object()
            || v.is_boolean_object()
            || v.is_big_int_object()
            || v.is_symbol_object()
    }),
    ("isCryptoKey", |_| false),
    ("isDataView", |v| v.is_data_view()),
    ("isDate", |v| v.is_date()),
    ("isExternal", |v| v.is_external()),
    ("isFloat32Array", |v| v.is_float32_array()),
    ("isFloat64Array", |v| v.is_float64_array()),
    ("isGeneratorFunction", |v| v.is_generator_function()),
    ("isGeneratorObject", |v| v.is_generator_object()),
    ("isInt16Array", |v| v.is_int16_array()),
    ("isInt32Array", |v| v.is_int32_array()),
    ("isInt8Array", |v| v.is_int8_array()),
    ("isKeyObject", |_| false),
    ("isMap", |v| v.is_map()),
    ("isMapIterator", |v| v.is_map_iterator()),
    ("isModuleNamespaceObject", |v| v.is_module_namespace_object()),
    ("isNativeError", |v| v.is_native_error()),
    ("isNumberObject", |v| v.is_number_object()),
    ("isPromise", |v| v.is_promise()),
    ("isProxy", |v| v.is_proxy()),
    ("isRegExp", |v| v.is_reg_exp()),
    ("isSet", |v| v.is_set()),
    ("isSetIterator", |v| v.is_set_iterator()),
    ("isSharedArrayBuffer", |v| v.is_shared_array_buffer()),
    ("isStringObject", |v| v.is_string_object()),
    ("isSymbolObject", |v| v.is_symbol_object()),
    ("isTypedArray", |v| v.is_typed_array()),
    ("isUint16Array", |v| v.is_uint16_array()),
    ("isUint32Array", |v| v.is_uint32_array()),
    ("isUint8Array", |v| v.is_uint8_array()),
    ("isUint8ClampedArray", |v| v.is_uint8_clamped_array()),
    ("isWeakMap", |v| v.is_weak_map()),
    ("isWeakSet", |v| v.is_weak_set()),
];

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "typeChecks", type_checks);
    set_function(scope, natives, "isType", is_type);
    set_function(scope, natives, "proxyDetails", proxy_details);
}

/// `proxyDetails(value)`: `undefined` for anything but a proxy, `null` for a revoked one,
/// else `[target, handler]`, read without running any of its traps (util.inspect shows a
/// proxy by its target, as Node does).
fn proxy_details(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(proxy) = v8::Local::<v8::Proxy>::try_from(args.get(0)) else { return };
    if proxy.is_revoked() {
        rv.set_null();
        return;
    }
    let items = [proxy.get_target(scope), proxy.get_handler(scope)];
    rv.set(v8::Array::new_with_elements(scope, &items).into());
}

/// `typeChecks()`: the names of the checks, in `isType`'s numbering.
fn type_checks(
    scope: &mut v8::PinScope<'_, '_>,
    _args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let mut names = Vec::with_capacity(CHECKS.len());
    for (name, _) in CHECKS {
        let Ok(name) = super::new_string(scope, name) else { return };
        names.push(name.into());
    }
    rv.set(v8::Array::new_with_elements(scope, &names).into());
}

/// `isType(index, value)`: check number `index` of `value`.
fn is_type(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let index = args.get(0).uint32_value(scope).and_then(|i| usize::try_from(i).ok());
    let answer = index.and_then(|i| CHECKS.get(i)).is_some_and(|(_, check)| check(&args.get(1)));
    rv.set_bool(answer);
}
