//! `v8.serialize` and `v8.deserialize`: V8's own structured-clone wire format, with typed
//! arrays and Buffers written as Node's `DefaultSerializer` writes them (as host objects: a
//! type index, a length and the view's bytes alone, never the rest of a pooled buffer), so
//! what Node serialized reads here and back.
//!
//! Neither side allocates guest memory where a refusal would be fatal: the serialized bytes
//! are charged to the session's budget while held and copied into a Buffer the guest's own
//! code allocates, and a deserialized view lies over the input the guest gave, or (where its
//! alignment needs one) over a copy charged to the budget like any ArrayBuffer. V8 runs no
//! JavaScript while it deserializes, so the views are made here.

use v8::{ValueDeserializerHelper as _, ValueSerializerHelper as _};

use super::set_function;
use super::web::{bytes_mut, view};

pub(super) fn install(scope: &mut v8::PinScope<'_, '_>, natives: v8::Local<'_, v8::Object>) {
    set_function(scope, natives, "v8Serialize", serialize);
    set_function(scope, natives, "v8Deserialize", deserialize);
}

/// Node's numbering of the view types (`arrayBufferViewTypes` in its `v8` module); 10 is its
/// Buffer.
const BUFFER_INDEX: u32 = 10;

fn view_index(value: v8::Local<'_, v8::Value>) -> Option<u32> {
    Some(if value.is_int8_array() {
        0
    } else if value.is_uint8_array() {
        1
    } else if value.is_uint8_clamped_array() {
        2
    } else if value.is_int16_array() {
        3
    } else if value.is_uint16_array() {
        4
    } else if value.is_int32_array() {
        5
    } else if value.is_uint32_array() {
        6
    } else if value.is_float32_array() {
        7
    } else if value.is_float64_array() {
        8
    } else if value.is_data_view() {
        9
    } else if value.is_big_int64_array() {
        11
    } else if value.is_big_uint64_array() {
        12
    } else {
        return None;
    })
}

struct Writer {
    buffer_prototype: v8::Global<v8::Value>,
}

impl v8::ValueSerializerImpl for Writer {
    fn throw_data_clone_error<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        message: v8::Local<'s, v8::String>,
    ) {
        let error = v8::Exception::error(scope, message);
        scope.throw_exception(error);
    }

    fn write_host_object<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        object: v8::Local<'s, v8::Object>,
        serializer: &dyn v8::ValueSerializerHelper,
    ) -> Option<bool> {
        let value: v8::Local<'_, v8::Value> = object.into();
        let buffer_prototype = v8::Local::new(scope, &self.buffer_prototype);
        let is_buffer =
            object.get_prototype(scope).is_some_and(|p| p.strict_equals(buffer_prototype));
        let index = if is_buffer { Some(BUFFER_INDEX) } else { view_index(value) };
        let (Some(index), Ok(view)) = (index, v8::Local::<v8::ArrayBufferView>::try_from(value))
        else {
            let message = v8::String::new(scope, "Unserializable host object")?;
            let error = v8::Exception::type_error(scope, message);
            scope.throw_exception(error);
            return None;
        };
        let length = view.byte_length();
        let Ok(length32) = u32::try_from(length) else {
            let message = v8::String::new(scope, "a view over 4 GiB cannot be serialized")?;
            let error = v8::Exception::range_error(scope, message);
            scope.throw_exception(error);
            return None;
        };
        serializer.write_uint32(index);
        serializer.write_uint32(length32);
        // Read in place (a small typed array from the heap), never moved off it: that would
        // allocate a backing store, here where a refusal could not be answered.
        let mut storage = [0u8; v8::TYPED_ARRAY_MAX_SIZE_IN_HEAP];
        serializer.write_raw_bytes(view.get_contents(&mut storage));
        Some(true)
    }
}

/// `v8Serialize(value, bufferPrototype, allocate)`: the serialized bytes, in a buffer of
/// `allocate(length)`.
fn serialize(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(allocate) = v8::Local::<v8::Function>::try_from(args.get(2)) else { return };
    let writer = Writer { buffer_prototype: v8::Global::new(scope, args.get(1)) };
    let bytes = {
        let serializer = v8::ValueSerializer::new(scope, Box::new(writer));
        serializer.set_treat_array_buffer_views_as_host_objects(true);
        serializer.write_header();
        let context = scope.get_current_context();
        if serializer.write_value(context, args.get(0)) != Some(true) {
            return;
        }
        serializer.release()
    };
    // Held outside the heap until the guest's buffer has it.
    if !super::hold(scope, bytes.len()) {
        return;
    }
    let length = v8::Number::new(scope, bytes.len() as f64);
    let undefined = v8::undefined(scope);
    let out = allocate.call(scope, undefined.into(), &[length.into()]);
    if let Some(target) = out.and_then(|out| view(scope, out).map(|view| (out, view))) {
        let (out, target) = target;
        let slot = bytes_mut(scope, target);
        if slot.len() == bytes.len() {
            slot.copy_from_slice(&bytes);
            rv.set(out);
        }
    }
    super::state(scope).budget.release_held(bytes.len());
}

struct Reader {
    /// The guest's input: its buffer and where the view starts in it.
    buffer: v8::Global<v8::ArrayBuffer>,
    byte_offset: usize,
    /// The start of the copy the deserializer reads, to place a host object's bytes.
    base: *const u8,
    buffer_prototype: v8::Global<v8::Value>,
}

impl Reader {
    /// A view of type `index` over `bytes`: over the input itself where its alignment allows,
    /// as Node makes it, else over a copy.
    fn view<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        index: u32,
        bytes: &[u8],
    ) -> Option<v8::Local<'s, v8::Object>> {
        let size = match index {
            3 | 4 => 2,
            5..=7 => 4,
            8 | 11 | 12 => 8,
            _ => 1,
        };
        let at = self.byte_offset + (bytes.as_ptr() as usize).wrapping_sub(self.base as usize);
        let (buffer, at) = if at % size == 0 {
            (v8::Local::new(scope, &self.buffer), at)
        } else {
            let budget = std::sync::Arc::clone(&super::state(scope).budget);
            let Some(store) = budget.charged_copy(bytes) else {
                let message = v8::String::new(scope, "Array buffer allocation failed")?;
                let error = v8::Exception::range_error(scope, message);
                scope.throw_exception(error);
                return None;
            };
            (v8::ArrayBuffer::with_backing_store(scope, &store.make_shared()), 0)
        };
        let length = bytes.len() / size;
        let view: v8::Local<'_, v8::Object> = match index {
            0 => v8::Int8Array::new(scope, buffer, at, length)?.into(),
            1 | BUFFER_INDEX => v8::Uint8Array::new(scope, buffer, at, length)?.into(),
            2 => v8::Uint8ClampedArray::new(scope, buffer, at, length)?.into(),
            3 => v8::Int16Array::new(scope, buffer, at, length)?.into(),
            4 => v8::Uint16Array::new(scope, buffer, at, length)?.into(),
            5 => v8::Int32Array::new(scope, buffer, at, length)?.into(),
            6 => v8::Uint32Array::new(scope, buffer, at, length)?.into(),
            7 => v8::Float32Array::new(scope, buffer, at, length)?.into(),
            8 => v8::Float64Array::new(scope, buffer, at, length)?.into(),
            9 => v8::DataView::new(scope, buffer, at, length).into(),
            11 => v8::BigInt64Array::new(scope, buffer, at, length)?.into(),
            _ => v8::BigUint64Array::new(scope, buffer, at, length)?.into(),
        };
        if index == BUFFER_INDEX {
            let prototype = v8::Local::new(scope, &self.buffer_prototype);
            view.set_prototype(scope, prototype)?;
        }
        Some(view)
    }
}

impl v8::ValueDeserializerImpl for Reader {
    fn read_host_object<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        deserializer: &dyn v8::ValueDeserializerHelper,
    ) -> Option<v8::Local<'s, v8::Object>> {
        let (mut index, mut length) = (0u32, 0u32);
        let read = deserializer.read_uint32(&mut index)
            && deserializer.read_uint32(&mut length)
            && index <= 12;
        let bytes = if read { deserializer.read_raw_bytes(length as usize) } else { None };
        let Some(bytes) = bytes else {
            let message = v8::String::new(scope, "Unable to deserialize cloned data.")?;
            let error = v8::Exception::error(scope, message);
            scope.throw_exception(error);
            return None;
        };
        self.view(scope, index, bytes)
    }
}

/// `v8Deserialize(bytes, bufferPrototype)`: the value `bytes` hold, its typed arrays and
/// Buffers viewing the input, as Node's.
fn deserialize(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Some(input) = view(scope, args.get(0)) else { return };
    let Some(buffer) = input.buffer(scope) else { return };
    // A copy for V8 to read: views made over the input along the way must not see it move.
    let mut storage = [0u8; v8::TYPED_ARRAY_MAX_SIZE_IN_HEAP];
    let data = input.get_contents(&mut storage).to_vec();
    let reader = Reader {
        buffer: v8::Global::new(scope, buffer),
        byte_offset: input.byte_offset(),
        base: data.as_ptr(),
        buffer_prototype: v8::Global::new(scope, args.get(1)),
    };
    let deserializer = v8::ValueDeserializer::new(scope, Box::new(reader), &data);
    let context = scope.get_current_context();
    if deserializer.read_header(context) != Some(true) {
        return;
    }
    if let Some(value) = deserializer.read_value(context) {
        rv.set(value);
    }
}
