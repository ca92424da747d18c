// The guest environment: a small, Node-like world built from nothing but the natives the
// worker hands in. It runs once per session, before the guest's code, in a fresh context.
//
// Everything the worker calls later (timers, exports, exit code) is returned from this
// function and kept by the worker; the guest can replace globals but cannot reach these
// closures. Built-ins the prelude relies on are captured up front, so a guest that tampers
// with `Map.prototype` or `JSON` breaks only its own view of the world.
(function prelude(native, memoryLimit, maxTimers) {
  'use strict';

  const ObjectDefineProperty = Object.defineProperty;
  const ObjectDefineProperties = Object.defineProperties;
  const ObjectHasOwn = Object.hasOwn;
  const ObjectKeys = Object.keys;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectGetOwnPropertyNames = Object.getOwnPropertyNames;
  const ObjectGetOwnPropertySymbols = Object.getOwnPropertySymbols;
  const ObjectPrototypePropertyIsEnumerable = Object.prototype.propertyIsEnumerable;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectPrototypeToString = Object.prototype.toString;
  const ObjectFreeze = Object.freeze;
  const ObjectAssign = Object.assign;
  const ObjectPrototypeHasOwnProperty = Object.hasOwn;
  const StringPrototypeRepeat = String.prototype.repeat;
  const SetCtor = Set;
  const MapCtor = Map;
  const SymbolToPrimitive = Symbol.toPrimitive;
  const SymbolToStringTag = Symbol.toStringTag;
  const WeakMapCtor = WeakMap;
  const WeakMapGet = WeakMap.prototype.get;
  const WeakMapSet = WeakMap.prototype.set;
  const ArrayIsArray = Array.isArray;
  const FunctionPrototypeToString = Function.prototype.toString;
  const ReflectApply = Reflect.apply;
  const SafeMap = Map;
  const MapPrototypeGet = Map.prototype.get;
  const MapPrototypeSet = Map.prototype.set;
  const MapPrototypeDelete = Map.prototype.delete;
  const MapPrototypeEntries = Map.prototype.entries;
  const MapPrototypeClear = Map.prototype.clear;
  const MapPrototypeKeys = Map.prototype.keys;
  const ArrayPrototypeUnshift = Array.prototype.unshift;
  const ArrayBufferIsView = ArrayBuffer.isView;
  // The Node release whose API the guest world follows.
  const NODE_VERSION = '22.12.0';
  const MapPrototypeGetSize = ObjectGetOwnPropertyDescriptor(Map.prototype, 'size').get;
  const SetPrototypeValues = Set.prototype.values;
  const SetPrototypeGetSize = ObjectGetOwnPropertyDescriptor(Set.prototype, 'size').get;
  const DateNow = Date.now;
  const DatePrototypeToISOString = Date.prototype.toISOString;
  const DatePrototypeGetTime = Date.prototype.getTime;
  const RegExpPrototypeToString = RegExp.prototype.toString;
  const ErrorPrototypeToString = Error.prototype.toString;
  const JSONStringify = JSON.stringify;
  const NumberIsNaN = Number.isNaN;
  const MathMax = Math.max;
  const MathFloor = Math.floor;
  const MathMin = Math.min;
  const MathSqrt = Math.sqrt;
  const MathRound = Math.round;
  const StringPrototypePadStart = String.prototype.padStart;
  const StringPrototypePadEnd = String.prototype.padEnd;
  const StringPrototypeReplace = String.prototype.replace;
  const StringPrototypeIncludes = String.prototype.includes;
  const StringPrototypeSlice = String.prototype.slice;
  const StringPrototypeSplit = String.prototype.split;
  const ArrayPrototypeJoin = Array.prototype.join;
  const ArrayPrototypePush = Array.prototype.push;
  const ArrayPrototypeSplice = Array.prototype.splice;
  const ArrayPrototypeMap = Array.prototype.map;
  const PromiseResolve = Promise.resolve.bind(Promise);
  const PromiseCtor = Promise;
  const PromisePrototypeThen = Promise.prototype.then;
  const Uint8ArrayCtor = Uint8Array;
  const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
  const TypedArrayLength = ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, 'length').get;
  const TypedArrayName = ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get;
  const ArrayBufferByteLength = ObjectGetOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
  const SharedArrayBufferByteLength = ObjectGetOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'byteLength').get;
  const DataViewGetter = (name) => ObjectGetOwnPropertyDescriptor(DataView.prototype, name).get;
  const DataViewByteLength = DataViewGetter('byteLength');
  const DataViewByteOffset = DataViewGetter('byteOffset');
  const DataViewBuffer = DataViewGetter('buffer');
  const SymbolPrototypeToString = Symbol.prototype.toString;
  const BigIntPrototypeToString = BigInt.prototype.toString;
  const NumberPrototypeToString = Number.prototype.toString;
  const NumberIsFinite = Number.isFinite;
  const MathTrunc = Math.trunc;
  const StringPrototypeToUpperCase = String.prototype.toUpperCase;
  const StringPrototypeCharCodeAt = String.prototype.charCodeAt;
  const ArrayPrototypeSort = Array.prototype.sort;
  const StringCtor = String;
  const TypeErrorCtor = TypeError;
  const ErrorCtor = Error;
  const globalObject = globalThis;
  // JavaScript's own constructors (taken before any global of the environment is defined), for
  // util.format's `%s`, as Node takes them at its start.
  const BUILT_IN_NAMES = new SetCtor(ObjectGetOwnPropertyNames(globalObject).filter((name) => /^[A-Z][a-zA-Z0-9]+$/.test(name)));

  const call = (fn, self, ...args) => ReflectApply(fn, self, args);

  // ---------------------------------------------------------------- inspect
  // A subset of Node's util.inspect: enough that `console.log({ a: 1 })` prints `{ a: 1 }`.

  const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const INSPECT_CUSTOM = Symbol.for('nodejs.util.inspect.custom');
  const BREAK_LENGTH = 80;
  const MAX_ARRAY_ITEMS = 100;
  const MORE_ITEMS = /^\.\.\. \d+ more items?$/;
  const MAX_STRING_LENGTH = 10000;

  // Node's strEscape: single quotes unless the string holds one (then double quotes, or
  // backticks if it holds both), control characters and lone surrogates escaped.
  const ESCAPED_SINGLE = /[\x00-\x1f\x27\x5c\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
  const ESCAPED = /[\x00-\x1f\x5c\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
  function escapeChar(ch) {
    switch (ch) {
      case '\b': return '\\b';
      case '\t': return '\\t';
      case '\n': return '\\n';
      case '\f': return '\\f';
      case '\r': return '\\r';
      case "'": return "\\'";
      case '\\': return '\\\\';
      default: {
        const code = call(StringPrototypeCharCodeAt, ch, 0);
        if (code >= 0xd800) return '\\u' + call(NumberPrototypeToString, code, 16);
        return '\\x' + (code < 16 ? '0' : '') + call(StringPrototypeToUpperCase, call(NumberPrototypeToString, code, 16));
      }
    }
  }
  function quote(str) {
    let mark = "'";
    if (call(StringPrototypeIncludes, str, "'")) {
      if (!call(StringPrototypeIncludes, str, '"')) mark = '"';
      else if (!call(StringPrototypeIncludes, str, '`') && !call(StringPrototypeIncludes, str, '${')) mark = '`';
    }
    return mark + call(StringPrototypeReplace, str, mark === "'" ? ESCAPED_SINGLE : ESCAPED, escapeChar) + mark;
  }

  function formatKey(key) {
    if (typeof key === 'symbol') return '[' + call(SymbolPrototypeToString, key) + ']';
    return IDENTIFIER.test(key) ? key : quote(key);
  }

  // util.inspect's `numericSeparator`: `1_234_567.123_4`.
  function separateStart(digits) {
    let out = '';
    let i = digits.length;
    const start = digits[0] === '-' ? 1 : 0;
    for (; i >= start + 4; i -= 3) out = '_' + call(StringPrototypeSlice, digits, i - 3, i) + out;
    return i === digits.length ? digits : call(StringPrototypeSlice, digits, 0, i) + out;
  }
  function separateEnd(digits) {
    let out = '';
    let i = 0;
    for (; i < digits.length - 3; i += 3) out += call(StringPrototypeSlice, digits, i, i + 3) + '_';
    return i === 0 ? digits : out + call(StringPrototypeSlice, digits, i);
  }
  function formatNumber(value, separated) {
    if (!separated) return value === 0 && 1 / value < 0 ? '-0' : StringCtor(value);
    const integer = MathTrunc(value);
    const digits = StringCtor(integer);
    if (integer === value) {
      return !NumberIsFinite(value) || call(StringPrototypeIncludes, digits, 'e') ? digits : separateStart(digits);
    }
    if (NumberIsNaN(value)) return digits;
    return separateStart(digits) + '.' + separateEnd(call(StringPrototypeSlice, StringCtor(value), digits.length + 1));
  }

  function formatPrimitive(value, nested, ctx) {
    switch (typeof value) {
      case 'string': {
        if (!nested) return value;
        const max = ctx === undefined ? MAX_STRING_LENGTH : ctx.maxStringLength;
        if (value.length > max) {
          return quote(call(StringPrototypeSlice, value, 0, max)) +
            '... ' + (value.length - max) + ' more character' + (value.length - max > 1 ? 's' : '');
        }
        return quote(value);
      }
      case 'number':
        return formatNumber(value, ctx !== undefined && ctx.numericSeparator);
      case 'bigint': {
        const digits = call(BigIntPrototypeToString, value);
        return (ctx !== undefined && ctx.numericSeparator ? separateStart(digits) : digits) + 'n';
      }
      case 'symbol':
        return call(SymbolPrototypeToString, value);
      case 'undefined':
        return 'undefined';
      case 'boolean':
        return value ? 'true' : 'false';
      default:
        return 'null';
    }
  }

  function isInstance(obj, ctor) {
    try { return obj instanceof ctor; } catch { return false; }
  }

  function constructorName(obj) {
    let proto = obj;
    for (let depth = 0; proto !== null && depth < 100; depth++) {
      const descriptor = ObjectGetOwnPropertyDescriptor(proto, 'constructor');
      // As Node: only a constructor the object is an instance of names it (a class's own
      // prototype object is shown as a plain object).
      if (descriptor !== undefined && typeof descriptor.value === 'function' &&
          typeof descriptor.value.name === 'string' && descriptor.value.name !== '' &&
          isInstance(obj, descriptor.value)) {
        return descriptor.value.name;
      }
      proto = ObjectGetPrototypeOf(proto);
    }
    return null;
  }

  // As Node's getFunctionBase / getClassBase: the kind of function (async, generator), a
  // class's superclass.
  function formatFunction(fn) {
    let source = '';
    try { source = call(FunctionPrototypeToString, fn); } catch { /* revoked proxy */ }
    const name = typeof fn.name === 'string' && fn.name !== '' ? fn.name : null;
    if (call(StringPrototypeSlice, source, 0, 5) === 'class') {
      let base = 'class ' + (name || '(anonymous)');
      const parent = ObjectGetPrototypeOf(fn);
      if (parent === null) base += ' extends [null prototype]';
      else if (typeof parent.name === 'string' && parent.name !== '') base += ' extends ' + parent.name;
      return '[' + base + ']';
    }
    let kind = '';
    try { kind = fn[SymbolToStringTag]; } catch { kind = ''; }
    const type = kind === 'AsyncFunction' || kind === 'GeneratorFunction' || kind === 'AsyncGeneratorFunction'
      ? kind : 'Function';
    return name ? '[' + type + ': ' + name + ']' : '[' + type + ' (anonymous)]';
  }

  // As Node's improveStack: an error whose constructor's name is not the one its stack
  // starts with is shown under its constructor's (`MyError: ...` for a subclass of Error that
  // kept the name 'Error').
  function improveStack(stack, constructor, name) {
    let len = name.length;
    if (constructor === null || (call(StringPrototypeSlice, name, -5) === 'Error' &&
        call(StringPrototypeSlice, stack, 0, len) === name &&
        (stack.length === len || stack[len] === ':' || stack[len] === '\n'))) {
      let fallback = 'Error';
      if (constructor === null) {
        const start = /^([A-Z][a-z_ A-Z0-9[\]()-]+)(?::|\n\s+at)/.exec(stack) || /^([a-z_A-Z0-9-]*Error)$/.exec(stack);
        fallback = (start && start[1]) || '';
        len = fallback.length;
        fallback = fallback || 'Error';
      }
      const prefix = constructor === null ? '[' + fallback + ': null prototype]' : constructor;
      if (name !== prefix) {
        if (call(StringPrototypeIncludes, prefix, name)) {
          stack = len === 0 ? prefix + ': ' + stack : prefix + call(StringPrototypeSlice, stack, len);
        } else {
          stack = prefix + ' [' + name + ']' + call(StringPrototypeSlice, stack, len);
        }
      }
    }
    return stack;
  }

  // An error as Node's util.inspect shows it: its stack (in brackets when it has no frames),
  // then its own properties, its cause and an AggregateError's errors.
  function formatErrorValue(err, ctx, depth, indentation) {
    let stack;
    try { stack = err.stack ? StringCtor(err.stack) : call(ErrorPrototypeToString, err); } catch { stack = '[Error]'; }
    let name;
    try { name = err.name !== null && err.name !== undefined ? StringCtor(err.name) : 'Error'; } catch { name = 'Error'; }
    let keys;
    try { keys = ownKeys(err, ctx.showHidden); } catch { keys = []; }
    if (!ctx.showHidden) {
      for (const key of ['name', 'message', 'stack']) {
        const index = keys.indexOf(key);
        let shown = false;
        try { shown = call(StringPrototypeIncludes, stack, err[key]); } catch { shown = false; }
        if (index !== -1 && shown) call(ArrayPrototypeSplice, keys, index, 1);
      }
    }
    try {
      if ('cause' in err && !keys.includes('cause')) call(ArrayPrototypePush, keys, 'cause');
      if (ArrayIsArray(err.errors) && !keys.includes('errors')) call(ArrayPrototypePush, keys, 'errors');
    } catch { /* a throwing proxy or getter shows no more */ }
    stack = improveStack(stack, constructorName(err), name);
    let message;
    try { message = err.message; } catch { message = undefined; }
    let at = (message && typeof message === 'string' && stack.indexOf(message)) || -1;
    if (at !== -1) at += message.length;
    if (stack.indexOf('\n    at', at) === -1) stack = '[' + stack + ']';
    if (indentation !== 0) stack = call(StringPrototypeReplace, stack, /\n/g, '\n' + call(StringPrototypeRepeat, ' ', indentation));
    const ref = refOf(ctx, err);
    const base = ref === '' ? stack : ref + ' ' + stack;
    if (keys.length === 0) return base;
    if (depth > ctx.maxDepth) return '[' + (constructorName(err) || 'Error') + ']';
    ctx.seen.push(err);
    try {
      ctx.currentDepth = depth;
      return reduceToSingleLine(ctx, depth, ['{', '}'], ownEntries(err, ctx, depth, indentation, false, keys),
        indentation, undefined, base);
    } finally {
      ctx.seen.pop();
    }
  }

  function formatError(err) {
    let stack;
    try { stack = err.stack; } catch { /* throwing getter */ }
    if (typeof stack === 'string' && stack !== '') return stack;
    try { return call(ErrorPrototypeToString, err); } catch { return '[Error]'; }
  }

  // Node's util.inspect groups the entries of an array of more than six into aligned columns
  // (groupArrayElements): numbers padded at the start, anything else at the end.
  function groupArrayElements(ctx, output, indentation, value) {
    let totalLength = 0;
    let maxLength = 0;
    let outputLength = output.length;
    // The "... more items" entry is not grouped (a string value would be quoted).
    const more = output.length > 0 && MORE_ITEMS.test(output[output.length - 1]);
    if (more) outputLength--;
    const separatorSpace = 2;
    const dataLen = [];
    for (let i = 0; i < outputLength; i++) {
      const len = output[i].length;
      dataLen[i] = len;
      totalLength += len + separatorSpace;
      if (maxLength < len) maxLength = len;
    }
    const actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + indentation < ctx.breakLength &&
        (totalLength / actualMax > 5 || maxLength <= 6)) {
      const averageBias = MathSqrt(actualMax - totalLength / output.length);
      const biasedMax = MathMax(actualMax - 3 - averageBias, 1);
      const columns = MathMin(
        MathRound(MathSqrt(2.5 * biasedMax * outputLength) / biasedMax),
        MathFloor((ctx.breakLength - indentation) / actualMax),
        ctx.compact * 4,
        15,
      );
      if (columns <= 1) return output;
      const maxLineLength = [];
      for (let i = 0; i < columns; i++) {
        let lineLength = 0;
        for (let j = i; j < output.length; j += columns) {
          if (dataLen[j] > lineLength) lineLength = dataLen[j];
        }
        call(ArrayPrototypePush, maxLineLength, lineLength + separatorSpace);
      }
      let padStart = true;
      for (let i = 0; i < output.length; i++) {
        if (typeof value[i] !== 'number' && typeof value[i] !== 'bigint') {
          padStart = false;
          break;
        }
      }
      const grouped = [];
      for (let i = 0; i < outputLength; i += columns) {
        const max = MathMin(i + columns, outputLength);
        let line = '';
        let j = i;
        for (; j < max - 1; j++) {
          const cell = output[j] + ', ';
          line += padStart ? call(StringPrototypePadStart, cell, maxLineLength[j - i], ' ')
            : call(StringPrototypePadEnd, cell, maxLineLength[j - i], ' ');
        }
        line += padStart
          ? call(StringPrototypePadStart, output[j], maxLineLength[j - i] - separatorSpace, ' ')
          : output[j];
        call(ArrayPrototypePush, grouped, line);
      }
      if (more) call(ArrayPrototypePush, grouped, output[outputLength]);
      return grouped;
    }
    return output;
  }

  // Node's test (util.inspect's isBelowBreakLength): the entries, a separator each, and
  // `start` must fit the break length, with no line break in them or in the base.
  function fitsOneLine(ctx, entries, start, base) {
    let total = entries.length + start;
    for (const entry of entries) {
      total += entry.length;
      if (call(StringPrototypeIncludes, entry, '\n')) return false;
    }
    return total <= ctx.breakLength && !call(StringPrototypeIncludes, base, '\n');
  }

  // Node's reduceToSingleString. `base` goes before the braces (`<ref *1>`, an error's
  // stack). With a numeric `compact` (3 unless asked), an object goes on one line if it fits
  // and holds fewer than `compact` levels of objects below it; with `compact: false`, never.
  function reduceToSingleLine(ctx, depth, braces, entries, indentation, array, base = '') {
    if (ctx.compact === true) {
      // The old style: as many entries a line as fit, the first beside the brace.
      if (fitsOneLine(ctx, entries, 0, base)) {
        return braces[0] + (base === '' ? '' : ' ' + base) + ' ' + call(ArrayPrototypeJoin, entries, ', ') + ' ' + braces[1];
      }
      const pad = call(StringPrototypeRepeat, ' ', indentation);
      const lead = base === '' && braces[0].length === 1 ? ' ' : (base === '' ? '' : ' ' + base) + '\n' + pad + '  ';
      return braces[0] + lead + call(ArrayPrototypeJoin, entries, ',\n' + pad + '  ') + ' ' + braces[1];
    }
    const head = (base === '' ? '' : base + ' ') + braces[0];
    // One entry (or group of entries) a line, indented under the head.
    const lines = (items) => {
      const pad = '\n' + call(StringPrototypeRepeat, ' ', indentation + 2);
      return head + pad + call(ArrayPrototypeJoin, items, ',' + pad) + '\n' +
        call(StringPrototypeRepeat, ' ', indentation) + braces[1];
    };
    if (ctx.compact >= 1) {
      if (array !== undefined && entries.length > 6) {
        const grouped = groupArrayElements(ctx, entries, indentation, array);
        if (grouped.length !== entries.length) return lines(grouped);
      }
      const start = entries.length + indentation + braces[0].length + base.length + 10;
      if (ctx.currentDepth - depth < ctx.compact && fitsOneLine(ctx, entries, start, base)) {
        return head + ' ' + call(ArrayPrototypeJoin, entries, ', ') + ' ' + braces[1];
      }
    }
    return lines(entries);
  }

  // As Node: objects a circular reference points at are numbered in the order the references
  // are met; the reference reads `[Circular *N]` and the object itself `<ref *N>`.
  function circularIndex(ctx, value) {
    if (ctx.circular === undefined) ctx.circular = new SafeMap();
    let index = call(MapPrototypeGet, ctx.circular, value);
    if (index === undefined) {
      index = call(MapPrototypeGetSize, ctx.circular) + 1;
      call(MapPrototypeSet, ctx.circular, value, index);
    }
    return index;
  }
  function refOf(ctx, value) {
    const index = ctx.circular === undefined ? undefined : call(MapPrototypeGet, ctx.circular, value);
    return index === undefined ? '' : '<ref *' + index + '>';
  }

  // As Node: the enumerable own keys, then the enumerable symbols; with `showHidden`, every
  // own name and symbol, those not enumerable shown in brackets.
  function ownKeys(obj, showHidden) {
    const symbols = ObjectGetOwnPropertySymbols(obj);
    if (showHidden) return [...ObjectGetOwnPropertyNames(obj), ...symbols];
    const keys = ObjectKeys(obj);
    for (const symbol of symbols) {
      if (call(ObjectPrototypePropertyIsEnumerable, obj, symbol)) call(ArrayPrototypePush, keys, symbol);
    }
    return keys;
  }

  // How Node names a plain object or class instance by its constructor and a
  // `Symbol.toStringTag` not among its entries: `PublicKeyObject [KeyObject] `.
  function objectPrefix(value, name) {
    let tag = '';
    try {
      const own = value[SymbolToStringTag];
      if (typeof own === 'string' && !call(ObjectPrototypePropertyIsEnumerable, value, SymbolToStringTag)) tag = own;
    } catch {
      tag = '';
    }
    if (ObjectGetPrototypeOf(value) === null) {
      return '[Object: null prototype] ' + (tag !== '' && tag !== 'Object' ? '[' + tag + '] ' : '');
    }
    if (name !== null && name !== 'Object') return name + (tag !== '' && tag !== name ? ' [' + tag + ']' : '') + ' ';
    return tag !== '' ? 'Object [' + tag + '] ' : '';
  }
  // The kinds util.inspect shows by their contents rather than as plain objects.
  const SHOWN_BY_KIND = ['[object Map]', '[object Set]', '[object Promise]', '[object WeakMap]', '[object WeakSet]',
    '[object ArrayBuffer]', '[object SharedArrayBuffer]', '[object DataView]'];
  // How Node names a built-in object by its constructor and kind: `MyBuffer [ArrayBuffer] `.
  function builtinPrefix(name, kind) {
    if (name === null) return '[' + kind + ': null prototype] ';
    return name === kind ? name + ' ' : name + ' [' + kind + '] ';
  }
  function ownEntries(obj, ctx, depth, indentation, skipIndices, chosen) {
    const entries = [];
    let keys = chosen;
    if (keys === undefined) {
      try { keys = ownKeys(obj, ctx.showHidden); } catch { return entries; }
    }
    for (const key of keys) {
      if (skipIndices && typeof key === 'string' && IDENTIFIER.test(key) === false &&
          StringCtor(key >>> 0) === key) continue;
      let value;
      let name = formatKey(key);
      try {
        const descriptor = ObjectGetOwnPropertyDescriptor(obj, key);
        if (descriptor && descriptor.enumerable === false && typeof key === 'string') {
          name = '[' + key + ']';
        }
        if (descriptor && (descriptor.get || descriptor.set)) {
          call(ArrayPrototypePush, entries, name + ': ' + formatAccessor(obj, descriptor, ctx, depth, indentation));
          continue;
        }
        // A key asked for that is not own (an inherited error cause) is read through.
        value = descriptor ? descriptor.value : obj[key];
      } catch {
        value = undefined;
      }
      call(ArrayPrototypePush, entries,
        name + ': ' + formatValue(value, ctx, depth + 1, indentation + 2));
    }
    return entries;
  }

  // An accessor property: `[Getter]`, or with the `getters` option what the getter returns
  // (`[Getter: 42]`, `[Getter] { a: 1 }` for an object).
  function formatAccessor(obj, descriptor, ctx, depth, indentation) {
    const label = descriptor.get === undefined ? 'Setter' : descriptor.set === undefined ? 'Getter' : 'Getter/Setter';
    const wanted = ctx.getters === true || (ctx.getters === 'get' && descriptor.set === undefined) ||
      (ctx.getters === 'set' && descriptor.set !== undefined);
    if (descriptor.get === undefined || !wanted) return '[' + label + ']';
    try {
      const got = call(descriptor.get, obj);
      if (got === null) return '[' + label + ': null]';
      if (typeof got === 'object') return '[' + label + '] ' + formatValue(got, ctx, depth + 1, indentation + 2);
      return '[' + label + ': ' + formatValue(got, ctx, depth + 1, indentation + 2) + ']';
    } catch (err) {
      let message;
      try { message = err.message; } catch { message = undefined; }
      return '[' + label + ': <Inspection threw (' + message + ')>]';
    }
  }

  // As Node: past `maxArrayLength` (100 unless asked), a collection shows how many entries
  // were left out.
  function moreItems(entries, size) {
    if (size > entries.length) {
      const more = size - entries.length;
      call(ArrayPrototypePush, entries, '... ' + more + ' more item' + (more > 1 ? 's' : ''));
    }
  }

  function formatValue(value, ctx, depth, indentation) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      return formatPrimitive(value, depth > 0 || ctx.quoteStrings, ctx);
    }
    // As Node: a proxy is shown by its target, read without running a trap (`showProxy`
    // shows both it and its handler).
    let proxy = native.proxyDetails(value);
    if (proxy !== undefined) {
      if (proxy === null) return '<Revoked Proxy>';
      if (ctx.showProxy) {
        if (depth > ctx.maxDepth) return 'Proxy [Array]';
        ctx.currentDepth = depth;
        const parts = [formatValue(proxy[0], ctx, depth + 1, indentation + 2),
          formatValue(proxy[1], ctx, depth + 1, indentation + 2)];
        return reduceToSingleLine(ctx, depth, ['Proxy [', ']'], parts, indentation, undefined);
      }
      while (proxy !== undefined && proxy !== null) {
        value = proxy[0];
        proxy = native.proxyDetails(value);
      }
      if (proxy === null) return '<Revoked Proxy>';
    }
    // As Node: an object may say how it is shown, through util.inspect.custom. It gets the
    // depth left, the options (the depth asked of this inspect call, as Node passes them) and
    // inspect itself; a string it returns is used as it is (re-indented to where it stands),
    // anything else is shown in its place.
    let custom;
    if (ctx.customInspect) {
      try { custom = value[INSPECT_CUSTOM]; } catch { custom = undefined; }
    }
    if (typeof custom === 'function' && custom !== inspect) {
      const left = ctx.maxDepth === Infinity ? null : ctx.maxDepth - depth;
      const shown = ReflectApply(custom, value, [left, ctx.options, inspect]);
      if (shown !== value) {
        if (typeof shown !== 'string') return formatValue(shown, ctx, depth, indentation);
        return indentation === 0 ? shown
          : call(StringPrototypeReplace, shown, /\n/g, '\n' + ' '.repeat(indentation));
      }
    }
    if (ctx.seen.includes(value)) return '[Circular *' + circularIndex(ctx, value) + ']';
    if (typeof value === 'function') {
      const base = formatFunction(value);
      if (depth > ctx.maxDepth) return base;
      ctx.seen.push(value);
      let extra;
      try {
        ctx.currentDepth = depth;
        extra = ownEntries(value, ctx, depth, indentation, false);
      } finally {
        ctx.seen.pop();
      }
      const ref = refOf(ctx, value);
      if (extra.length === 0) return ref === '' ? base : ref + ' ' + base;
      return reduceToSingleLine(ctx, depth, [base + ' {', '}'], extra, indentation, undefined, ref);
    }

    const tag = call(ObjectPrototypeToString, value);
    if (tag === '[object Error]' || value instanceof ErrorCtor) return formatErrorValue(value, ctx, depth, indentation);
    if (tag === '[object Date]' || tag === '[object RegExp]') {
      let base;
      if (tag === '[object RegExp]') {
        base = call(RegExpPrototypeToString, value);
      } else {
        const time = call(DatePrototypeGetTime, value);
        base = NumberIsNaN(time) ? 'Invalid Date' : call(DatePrototypeToISOString, value);
      }
      // Own properties follow, as in Node: `1970-01-01T00:00:00.000Z { extra: 1 }`.
      if (depth <= ctx.maxDepth) ctx.currentDepth = depth;
      const extra = depth > ctx.maxDepth ? [] : ownEntries(value, ctx, depth, indentation, false);
      return extra.length === 0 ? base : reduceToSingleLine(ctx, depth, ['{', '}'], extra, indentation, undefined, base);
    }
    if (tag === '[object Boolean]' || tag === '[object Number]' || tag === '[object String]') {
      return '[' + tag.slice(8, -1) + ': ' + formatPrimitive(value.valueOf(), true, ctx) + ']';
    }
    if (tag === '[object Symbol]' || tag === '[object BigInt]') {
      let inner;
      try { inner = formatPrimitive(value.valueOf(), true, ctx); } catch { inner = '?'; }
      return '[' + tag.slice(8, -1) + ': ' + inner + ']';
    }

    const isArray = ArrayIsArray(value);
    let typedName;
    try { typedName = call(TypedArrayName, value); } catch { typedName = undefined; }
    const name = constructorName(value);

    if (depth > ctx.maxDepth) {
      // As Node: an empty object, array or collection is shown whole at any depth.
      let keys;
      try { keys = ownKeys(value, ctx.showHidden); } catch { keys = [0]; }
      const plain = !isArray && typedName === undefined && !SHOWN_BY_KIND.includes(tag);
      if (isArray && value.length === 0 && (keys.length === 0 || (keys.length === 1 && keys[0] === 'length'))) {
        return name !== null && name !== 'Array' ? name + '(0) []' : '[]';
      }
      if (typedName !== undefined && call(TypedArrayLength, value) === 0) return typedName + '(0) []';
      if ((tag === '[object Map]' || tag === '[object Set]') && keys.length === 0 &&
          (tag === '[object Map]' ? call(MapPrototypeGetSize, value) : call(SetPrototypeGetSize, value)) === 0) {
        return tag.slice(8, -1) + '(0) {}';
      }
      if (plain && keys.length === 0) return objectPrefix(value, name) + '{}';
      if (isArray) return '[Array]';
      return '[' + (name || 'Object') + ']';
    }

    ctx.seen.push(value);
    ctx.currentDepth = depth;
    try {
      let entries = [];
      let braces;
      if (isArray || typedName !== undefined) {
        const length = isArray ? value.length : call(TypedArrayLength, value);
        const shown = length > ctx.maxItems ? ctx.maxItems : length;
        let holes = 0;
        for (let i = 0; i < shown; i++) {
          if (isArray && !(i in value)) { holes++; continue; }
          if (holes > 0) {
            call(ArrayPrototypePush, entries, '<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>');
            holes = 0;
          }
          call(ArrayPrototypePush, entries, formatValue(value[i], ctx, depth + 1, indentation + 2));
        }
        if (holes > 0) {
          call(ArrayPrototypePush, entries, '<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>');
        }
        if (length > shown) {
          call(ArrayPrototypePush, entries, '... ' + (length - shown) + ' more item' + (length - shown > 1 ? 's' : ''));
        }
        if (isArray) entries = entries.concat(ownEntries(value, ctx, depth, indentation, true));
        const prefix = typedName !== undefined ? kindPrefix(name, typedName, '(' + length + ')')
          : name !== null && name !== 'Array' ? name + '(' + length + ') ' : '';
        if (entries.length === 0) return prefix + '[]';
        braces = [prefix + '[', ']'];
      } else if (tag === '[object Map]') {
        const size = call(MapPrototypeGetSize, value);
        for (const [k, v] of call(MapPrototypeEntries, value)) {
          if (entries.length >= ctx.maxItems) break;
          call(ArrayPrototypePush, entries,
            formatValue(k, ctx, depth + 1, indentation + 2) + ' => ' +
            formatValue(v, ctx, depth + 1, indentation + 2));
        }
        moreItems(entries, size);
        if (entries.length === 0) return kindPrefix(name, 'Map', '(0)') + '{}';
        braces = [kindPrefix(name, 'Map', '(' + size + ')') + '{', '}'];
      } else if (tag === '[object Set]') {
        const size = call(SetPrototypeGetSize, value);
        for (const v of call(SetPrototypeValues, value)) {
          if (entries.length >= ctx.maxItems) break;
          call(ArrayPrototypePush, entries, formatValue(v, ctx, depth + 1, indentation + 2));
        }
        moreItems(entries, size);
        if (entries.length === 0) return kindPrefix(name, 'Set', '(0)') + '{}';
        braces = [kindPrefix(name, 'Set', '(' + size + ')') + '{', '}'];
      } else if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') {
        // As Node: the first bytes in hex, then the length, then any own properties.
        const shared = tag === '[object SharedArrayBuffer]';
        const kind = shared ? 'SharedArrayBuffer' : 'ArrayBuffer';
        let bytes;
        try { bytes = new Uint8ArrayCtor(value); } catch { bytes = undefined; }
        const byteLength = 'byteLength: ' +
          formatValue(call(shared ? SharedArrayBufferByteLength : ArrayBufferByteLength, value), ctx, depth + 1, indentation + 2);
        if (bytes === undefined) {
          entries = ['(detached)', byteLength];
        } else {
          const shown = bytes.length < ctx.maxItems ? bytes.length : ctx.maxItems;
          let hex = '';
          for (let i = 0; i < shown; i++) {
            hex += (i === 0 ? '' : ' ') + (bytes[i] < 16 ? '0' : '') + call(NumberPrototypeToString, bytes[i], 16);
          }
          const remaining = bytes.length - shown;
          if (remaining > 0) hex += ' ... ' + remaining + ' more byte' + (remaining > 1 ? 's' : '');
          entries = ['[Uint8Contents]: <' + hex + '>', byteLength];
        }
        entries = entries.concat(ownEntries(value, ctx, depth, indentation, false));
        braces = [builtinPrefix(name, kind) + '{', '}'];
      } else if (tag === '[object Promise]') {
        // As Node: the state and the value or reason, seen without handling a rejection.
        const state = native.promiseState(value, true);
        entries = [state[0] === 0 ? '<pending>'
          : (state[0] === 2 ? '<rejected> ' : '') + formatValue(state[1], ctx, depth + 1, indentation + 2)];
        entries = entries.concat(ownEntries(value, ctx, depth, indentation, false));
        braces = [builtinPrefix(name, 'Promise') + '{', '}'];
      } else if (tag === '[object WeakMap]' || tag === '[object WeakSet]') {
        entries = ['<items unknown>'].concat(ownEntries(value, ctx, depth, indentation, false));
        braces = [builtinPrefix(name, tag.slice(8, -1)) + '{', '}'];
      } else if (tag === '[object DataView]') {
        entries = ['byteLength: ' + formatValue(call(DataViewByteLength, value), ctx, depth + 1, indentation + 2),
          'byteOffset: ' + formatValue(call(DataViewByteOffset, value), ctx, depth + 1, indentation + 2),
          'buffer: ' + formatValue(call(DataViewBuffer, value), ctx, depth + 1, indentation + 2)];
        entries = entries.concat(ownEntries(value, ctx, depth, indentation, false));
        braces = [builtinPrefix(name, 'DataView') + '{', '}'];
      } else {
        entries = ownEntries(value, ctx, depth, indentation, false);
        const prefix = objectPrefix(value, name);
        if (entries.length === 0) return prefix + '{}';
        braces = [prefix + '{', '}'];
      }
      // `sorted`: the entries of an object or collection in order (an array's stay as they are).
      if (ctx.sorted && !isArray && typedName === undefined) {
        call(ArrayPrototypeSort, entries, typeof ctx.sorted === 'function' ? ctx.sorted : undefined);
      }
      return reduceToSingleLine(ctx, depth, braces, entries, indentation,
        isArray || typedName !== undefined ? value : undefined, refOf(ctx, value));
    } finally {
      ctx.seen.pop();
    }
  }

  // util.inspect: strings come out quoted, even at the top (console.log prints a top-level
  // string as it is, through `format`, not through here).
  function inspect(value, options) {
    const given = options !== null && typeof options === 'object' ? options : {};
    const maxDepth = given.depth === null ? Infinity : typeof given.depth === 'number' ? given.depth : 2;
    const limit = given.maxArrayLength;
    const maxItems = typeof limit === 'number' && limit >= 0 ? MathFloor(limit)
      : limit === null ? Infinity : MAX_ARRAY_ITEMS;
    const stringLimit = given.maxStringLength;
    const compact = given.compact === undefined ? 3 : given.compact === false ? 0 : given.compact;
    const ctx = {
      seen: [], maxDepth, quoteStrings: true, showHidden: given.showHidden === true, maxItems,
      maxStringLength: typeof stringLimit === 'number' && stringLimit >= 0 ? MathFloor(stringLimit)
        : stringLimit === null ? Infinity : MAX_STRING_LENGTH,
      compact: compact === true || typeof compact === 'number' ? compact : 3,
      breakLength: typeof given.breakLength === 'number' ? given.breakLength : BREAK_LENGTH,
      sorted: given.sorted, getters: given.getters, numericSeparator: given.numericSeparator === true,
      showProxy: given.showProxy === true, customInspect: given.customInspect !== false,
      currentDepth: 0,
    };
    // What a custom inspector is handed, as Node hands it the caller's options.
    ctx.options = { ...given, depth: maxDepth === Infinity ? null : maxDepth };
    return formatValue(value, ctx, 0, 0);
  }

  // How a typed array, Map or Set of a subclass is introduced, as Node's getPrefix: `Buffer(2)
  // [Uint8Array] `.
  function kindPrefix(name, kind, size) {
    return name !== null && name !== kind ? name + size + ' [' + kind + '] ' : kind + size + ' ';
  }

  function format(...args) {
    return formatWithOptions(undefined, ...args);
  }

  // Node's test of whether `%s` inspects an object: its toString is the one of a built-in
  // prototype (Object, Date, Error, ...), not one of its own or of a class of the guest's.
  function hasBuiltInToString(value) {
    try {
      if (typeof value.toString !== 'function') return true;
      if (call(ObjectPrototypeHasOwnProperty, value, 'toString')) return false;
      let pointer = value;
      do {
        pointer = ObjectGetPrototypeOf(pointer);
      } while (pointer !== null && !call(ObjectPrototypeHasOwnProperty, pointer, 'toString'));
      if (pointer === null) return true;
      const descriptor = ObjectGetOwnPropertyDescriptor(pointer, 'constructor');
      return descriptor !== undefined && typeof descriptor.value === 'function' && BUILT_IN_NAMES.has(descriptor.value.name);
    } catch {
      return true;
    }
  }

  // util.formatWithOptions: `options` go to every inspected value (`%o` keeps its own depth).
  function formatWithOptions(options, ...args) {
    if (args.length === 0) return '';
    const first = args[0];
    let index = 0;
    let out = '';
    if (typeof first === 'string' && args.length > 1) {
      index = 1;
      out = call(StringPrototypeReplace, first, /%[sdifjoOc%]/g, (spec) => {
        if (spec === '%%') return '%';
        if (index >= args.length) return spec;
        const arg = args[index++];
        switch (spec) {
          case '%s':
            // As Node: numbers and bigints as inspect shows them, an object whose toString is
            // its own by that toString, any other object inspected one level deep.
            if (typeof arg === 'number' || typeof arg === 'bigint') return formatPrimitive(arg, false);
            if (typeof arg !== 'object' || arg === null || !hasBuiltInToString(arg)) return StringCtor(arg);
            return inspect(arg, { ...options, depth: 0, compact: 3 });
          case '%d':
          case '%i': {
            if (typeof arg === 'bigint') return call(BigIntPrototypeToString, arg) + 'n';
            if (typeof arg === 'symbol') return 'NaN';
            const n = Number(arg);
            return formatPrimitive(spec === '%i' ? MathFloor(n) : n, false);
          }
          case '%f':
            return typeof arg === 'symbol' ? 'NaN' : StringCtor(Number(arg));
          case '%j':
            try { return JSONStringify(arg); } catch { return '[Circular]'; }
          case '%c':
            return '';
          default:
            return inspect(arg, spec === '%o' ? ObjectAssign({}, options, { depth: 4, showHidden: true })
              : options || { depth: 2 });
        }
      });
    } else {
      out = typeof first === 'string' ? first : inspect(first, options);
      index = 1;
    }
    for (; index < args.length; index++) {
      const arg = args[index];
      out += ' ' + (typeof arg === 'string' ? arg : inspect(arg, options));
    }
    return out;
  }

  // ---------------------------------------------------------------- console
  const STDOUT = 1;
  const STDERR = 2;
  const counts = new SafeMap();
  const timers_ = new SafeMap();
  let groupIndent = '';

  function write(stream, args) {
    let text = format(...args);
    if (groupIndent !== '') {
      text = groupIndent + call(ArrayPrototypeJoin, call(StringPrototypeSplit, text, '\n'), '\n' + groupIndent);
    }
    native.print(stream, text + '\n');
  }

  const console = {
    log: (...args) => write(STDOUT, args),
    info: (...args) => write(STDOUT, args),
    debug: (...args) => write(STDOUT, args),
    warn: (...args) => write(STDERR, args),
    error: (...args) => write(STDERR, args),
    trace: (...args) => {
      const err = new ErrorCtor(format(...args));
      err.name = 'Trace';
      native.print(STDERR, formatError(err) + '\n');
    },
    dir: (value, options) => native.print(STDOUT, inspect(value, options) + '\n'),
    assert: (condition, ...args) => {
      if (!condition) write(STDERR, ['Assertion failed' + (args.length ? ':' : ''), ...args]);
    },
    count: (label = 'default') => {
      const n = (call(MapPrototypeGet, counts, label) || 0) + 1;
      call(MapPrototypeSet, counts, label, n);
      write(STDOUT, [label + ': ' + n]);
    },
    countReset: (label = 'default') => { call(MapPrototypeDelete, counts, label); },
    time: (label = 'default') => { call(MapPrototypeSet, timers_, label, DateNow()); },
    timeEnd: (label = 'default') => {
      const start = call(MapPrototypeGet, timers_, label);
      if (start === undefined) return;
      call(MapPrototypeDelete, timers_, label);
      write(STDOUT, [label + ': ' + (DateNow() - start) + 'ms']);
    },
    timeLog: (label = 'default', ...args) => {
      const start = call(MapPrototypeGet, timers_, label);
      if (start !== undefined) write(STDOUT, [label + ': ' + (DateNow() - start) + 'ms', ...args]);
    },
    group: (...args) => { if (args.length) write(STDOUT, args); groupIndent += '  '; },
    groupEnd: () => { groupIndent = call(StringPrototypeSlice, groupIndent, 2); },
    table: (data, properties) => {
      if (data === null || typeof data !== 'object') return write(STDOUT, [data]);
      native.print(STDOUT, indentGroup(renderTable(data, properties)) + '\n');
    },
  };

  // ---------------------------------------------------------------- console.table
  // Node's table: a row per entry (index, key, or iteration index), a column per property
  // seen (or the ones asked for), `Values` for primitives; cells are inspected shallowly and
  // left-aligned between box-drawing lines.
  const BOX = { h: '\u2500', v: '\u2502', tl: '\u250c', tm: '\u252c', tr: '\u2510', ml: '\u251c',
    mm: '\u253c', mr: '\u2524', bl: '\u2514', bm: '\u2534', br: '\u2518' };
  function indentGroup(text) {
    if (groupIndent === '') return text;
    return groupIndent + call(ArrayPrototypeJoin, call(StringPrototypeSplit, text, '\n'), '\n' + groupIndent);
  }
  function cell(value) {
    const deep = value !== null && typeof value === 'object' && !ArrayIsArray(value) && ObjectKeys(value).length > 2;
    return call(StringPrototypeReplace, inspect(value, { depth: deep ? -1 : 0, maxArrayLength: 3 }), /\n\s*/g, ' ');
  }
  function renderTable(data, properties) {
    const indexes = (length) => {
      const out = [];
      for (let i = 0; i < length; i++) out[i] = cell(i);
      return out;
    };
    if (data instanceof MapCtor) {
      const keys = [];
      const values = [];
      for (const [key, value] of data) {
        keys[keys.length] = cell(key);
        values[values.length] = cell(value);
      }
      return drawTable(['(iteration index)', 'Key', 'Values'], [indexes(keys.length), keys, values]);
    }
    if (data instanceof SetCtor) {
      const values = [];
      for (const value of data) values[values.length] = cell(value);
      return drawTable(['(iteration index)', 'Values'], [indexes(values.length), values]);
    }
    const columns = new SafeMap();
    const plain = [];
    let primitives = false;
    const rowKeys = ObjectKeys(data);
    for (let i = 0; i < rowKeys.length; i++) {
      const item = data[rowKeys[i]];
      const primitive = item === null || (typeof item !== 'function' && typeof item !== 'object');
      if (properties === undefined && primitive) {
        primitives = true;
        plain[i] = cell(item);
        continue;
      }
      for (const key of properties === undefined ? ObjectKeys(item) : properties) {
        let column = call(MapPrototypeGet, columns, key);
        if (column === undefined) {
          column = [];
          call(MapPrototypeSet, columns, key, column);
        }
        column[i] = primitive || !ObjectPrototypeHasOwnProperty(item, key) ? '' : cell(item[key]);
      }
    }
    const head = ['(index)'];
    const body = [rowKeys];
    for (const [key, column] of columns) {
      head[head.length] = StringCtor(key);
      body[body.length] = column;
    }
    if (primitives) {
      head[head.length] = 'Values';
      body[body.length] = plain;
    }
    return drawTable(head, body);
  }
  function drawTable(head, columns) {
    const widths = [];
    let longest = 0;
    for (const column of columns) if (column.length > longest) longest = column.length;
    const rows = [];
    for (let i = 0; i < head.length; i++) {
      widths[i] = head[i].length;
      for (let j = 0; j < longest; j++) {
        if (rows[j] === undefined) rows[j] = [];
        const value = ObjectPrototypeHasOwnProperty(columns[i], j) && columns[i][j] !== undefined ? columns[i][j] : '';
        rows[j][i] = value;
        if (value.length > widths[i]) widths[i] = value.length;
      }
    }
    const row = (cells) => {
      let out = BOX.v + ' ';
      for (let i = 0; i < cells.length; i++) {
        out += cells[i] + call(StringPrototypeRepeat, ' ', widths[i] - cells[i].length);
        out += i === cells.length - 1 ? ' ' + BOX.v : ' ' + BOX.v + ' ';
      }
      return out;
    };
    const line = (left, middle, right) => {
      const parts = [];
      for (let i = 0; i < widths.length; i++) parts[i] = call(StringPrototypeRepeat, BOX.h, widths[i] + 2);
      return left + call(ArrayPrototypeJoin, parts, middle) + right;
    };
    let out = line(BOX.tl, BOX.tm, BOX.tr) + '\n' + row(head) + '\n' + line(BOX.ml, BOX.mm, BOX.mr) + '\n';
    for (const cells of rows) out += row(cells) + '\n';
    return out + line(BOX.bl, BOX.bm, BOX.br);
  }
  console.groupCollapsed = console.group;
  console.dirxml = console.log;
  // Clears a terminal; output here is never one (as Node's when stdout is not a TTY).
  console.clear = () => {};
  // The inspector's hooks: there is no inspector.
  for (const name of ['profile', 'profileEnd', 'timeStamp']) console[name] = () => {};
  // `new console.Console(stdout, stderr)`, built with the module loader on first use.
  lazyProperties(console, ['Console'], () => ({ Console: loadNode().Console }), true);

  // ---------------------------------------------------------------- async context
  // AsyncLocalStorage's frame (async_hooks, node.js) follows promise jobs by itself (V8 keeps
  // it with each continuation); timers, ticks and host-call callbacks carry it here, from
  // where they were scheduled to where they run. Until a storage exists there is nothing to
  // carry, and nothing is paid.
  let frames = false;
  function useAsyncContext() { frames = true; }
  function currentFrame() { return frames ? native.asyncContext() : undefined; }
  function inFrame(frame, callback, self, args) {
    if (!frames) return ReflectApply(callback, self, args);
    const prior = native.asyncContext();
    native.setAsyncContext(frame);
    try {
      return ReflectApply(callback, self, args);
    } finally {
      native.setAsyncContext(prior);
    }
  }

  // ---------------------------------------------------------------- timers
  // Timers live here; the worker asks `nextTimer()` how long it may sleep and calls
  // `fireTimer()` to run the earliest due one, with a microtask checkpoint after each. Pending
  // timers sit in a binary heap ordered by (due, creation), so each fire is O(log n); a cleared
  // timer's heap entry goes stale and is skipped (the heap is rebuilt when mostly stale). At
  // most `maxTimers` may be pending: one more ends the session with ERR_TIMER_LIMIT.
  const timers = new SafeMap(); // id -> { callback, args, due, repeat, seq }
  const heap = []; // [due, seq, id]
  let stale = 0;
  let nextTimerId = 1;
  // Pending timers that keep the session alive (not unref'd).
  let refed = 0;
  let nextSeq = 1;

  function toDelay(delay) {
    const n = Number(delay);
    return n >= 1 && n <= 2147483647 ? MathFloor(n) : 1;
  }

  function before(a, b) {
    return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  }

  function heapPush(entry) {
    let i = heap.length;
    heap[i] = entry;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      const swap = heap[i]; heap[i] = heap[parent]; heap[parent] = swap;
      i = parent;
    }
  }

  function heapPop() {
    const top = heap[0];
    const last = heap[heap.length - 1];
    heap.length = heap.length - 1;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < heap.length && before(heap[left], heap[least])) least = left;
        if (right < heap.length && before(heap[right], heap[least])) least = right;
        if (least === i) break;
        const swap = heap[i]; heap[i] = heap[least]; heap[least] = swap;
        i = least;
      }
    }
    return top;
  }

  function isLive(entry) {
    const timer = call(MapPrototypeGet, timers, entry[2]);
    return timer !== undefined && timer.seq === entry[1];
  }

  function schedule(id, timer, ms) {
    timer.due = DateNow() + ms;
    timer.seq = nextSeq++;
    heapPush([timer.due, timer.seq, id]);
  }

  function addTimer(callback, delay, args, repeat) {
    if (typeof callback !== 'function') {
      throw new TypeErrorCtor('The "callback" argument must be of type function. Received ' +
        inspect(callback));
    }
    if (call(MapPrototypeGetSize, timers) >= maxTimers) {
      native.timerLimit();
      throw new ErrorCtor('too many pending timers');
    }
    const id = nextTimerId++;
    const ms = toDelay(delay);
    const timer = { callback, args, due: 0, ms, repeat: repeat ? ms : 0, seq: 0, frame: currentFrame(),
      ref: true };
    call(MapPrototypeSet, timers, id, timer);
    refed++;
    schedule(id, timer, ms);
    return id;
  }

  // A timer the guest holds: Node's Timeout and Immediate objects (`unref()` lets the session
  // end while the timer waits; the timer is known by its id as a primitive, as in Node).
  const timerIds = new WeakMapCtor();
  function timerHandle(Class, id) {
    const handle = new Class();
    call(WeakMapSet, timerIds, handle, id);
    return handle;
  }
  const idOf = (handle) => call(WeakMapGet, timerIds, handle);
  function setRef(id, on) {
    const timer = call(MapPrototypeGet, timers, id);
    if (timer !== undefined && timer.ref !== on) {
      timer.ref = on;
      refed += on ? 1 : -1;
    }
  }
  class Immediate {
    ref() { setRef(idOf(this), true); return this; }
    unref() { setRef(idOf(this), false); return this; }
    hasRef() {
      const timer = call(MapPrototypeGet, timers, idOf(this));
      return timer !== undefined && timer.ref;
    }
  }
  class Timeout extends Immediate {
    // Starts the wait again from now, with the same delay.
    refresh() {
      const id = idOf(this);
      const timer = call(MapPrototypeGet, timers, id);
      if (timer !== undefined) {
        stale++;
        schedule(id, timer, timer.ms);
      }
      return this;
    }
    close() { clearTimer(this); return this; }
    [SymbolToPrimitive]() { return idOf(this); }
  }

  function clearTimer(handle) {
    let id = handle;
    if (typeof handle === 'object' && handle !== null) id = idOf(handle);
    else if (typeof handle === 'string') id = Number(handle);
    const timer = typeof id === 'number' ? call(MapPrototypeGet, timers, id) : undefined;
    if (timer === undefined) return;
    call(MapPrototypeDelete, timers, id);
    if (timer.ref) refed--;
    stale++;
    if (stale > 1024 && stale > heap.length / 2) {
      // Mostly cancelled entries: rebuild from the live timers.
      heap.length = 0;
      stale = 0;
      for (const [liveId, timer] of call(MapPrototypeEntries, timers)) {
        heapPush([timer.due, timer.seq, liveId]);
      }
    }
  }

  // The earliest live heap entry, dropping stale ones on the way.
  function earliest() {
    while (heap.length > 0 && !isLive(heap[0])) {
      heapPop();
      if (stale > 0) stale--;
    }
    return heap.length > 0 ? heap[0] : undefined;
  }

  // For the worker: milliseconds until the earliest timer; `-1 - that` when only unref'd
  // timers are left (they fire if the session goes on for something else, but keep nothing
  // alive); -Infinity when there is none.
  function nextTimer() {
    const next = earliest();
    if (next === undefined) return -Infinity;
    const delay = MathMax(0, next[0] - DateNow());
    return refed > 0 ? delay : -1 - delay;
  }

  function fireTimer() {
    const next = earliest();
    if (next === undefined) return;
    heapPop();
    const id = next[2];
    const timer = call(MapPrototypeGet, timers, id);
    if (timer.repeat > 0) {
      schedule(id, timer, timer.repeat);
    } else {
      call(MapPrototypeDelete, timers, id);
      if (timer.ref) refed--;
    }
    inFrame(timer.frame, timer.callback, globalObject, timer.args);
  }

  function queueMicrotask(callback) {
    if (typeof callback !== 'function') {
      throw new TypeErrorCtor('The "callback" argument must be of type function. Received ' +
        inspect(callback));
    }
    // An exception in a microtask is an uncaught exception, not a rejected promise.
    call(PromisePrototypeThen, PromiseResolve(), () => {
      try { callback(); } catch (err) { if (!dispatchUncaught(err)) native.reportError(err); }
    });
  }

  // ---------------------------------------------------------------- process.nextTick
  // Node's tick queue: after every macrotask the worker calls `runTicks` and runs promise jobs,
  // in turn, until both are empty, so ticks run before promise jobs, as in Node. Triples of
  // (callback, args, async context frame) in one flat array.
  const ticks = [];
  let tickHead = 0;
  function runTicks() {
    if (tickHead >= ticks.length) return false;
    while (tickHead < ticks.length) {
      const callback = ticks[tickHead];
      const args = ticks[tickHead + 1];
      const frame = ticks[tickHead + 2];
      ticks[tickHead] = undefined;
      ticks[tickHead + 1] = undefined;
      ticks[tickHead + 2] = undefined;
      tickHead += 3;
      // A tick that schedules a tick forever must cost CPU, not memory: drop what has run.
      if (tickHead >= 4096) {
        call(ArrayPrototypeSplice, ticks, 0, tickHead);
        tickHead = 0;
      }
      try {
        inFrame(frame, callback, undefined, args);
      } catch (err) {
        if (dispatchUncaught(err)) continue;
        ticks.length = 0;
        tickHead = 0;
        native.reportError(err);
        return true;
      }
    }
    ticks.length = 0;
    tickHead = 0;
    return true;
  }

  // ---------------------------------------------------------------- stdout, stderr
  // process.stdout and process.stderr: writable streams enough for `src.pipe(process.stdout)`,
  // `stream.pipeline(..., process.stdout)` and 'drain'/'finish' listeners, without loading the
  // stream library. Output is never a terminal and never full: every write is taken at once.
  function outputStream(fd) {
    const listeners = new SafeMap();
    let finished = false;
    // No `isTTY`: Node leaves it undefined for output that is not a terminal.
    const stream = {
      fd,
      writable: true,
      writableLength: 0,
      writableHighWaterMark: 16384,
      writableNeedDrain: false,
      writableEnded: false,
      writableFinished: false,
      writableObjectMode: false,
      writableCorked: 0,
      destroyed: false,
      _isStdio: true,
      write(chunk, encoding, callback) {
        if (typeof encoding === 'function') callback = encoding;
        let text;
        if (typeof chunk === 'string') {
          text = chunk;
        } else if (ArrayBufferIsView(chunk)) {
          text = native.decode('utf-8', chunk, false, false)[0];
        } else {
          throw coded(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE', 'The "chunk" argument must be of type ' +
            'string or an instance of Buffer, TypedArray, or DataView. Received ' + inspect(chunk));
        }
        native.print(fd, text);
        if (typeof callback === 'function') process.nextTick(callback, null);
        return true;
      },
      end(chunk, encoding, callback) {
        if (typeof chunk === 'function') { callback = chunk; chunk = undefined; }
        if (typeof encoding === 'function') { callback = encoding; encoding = undefined; }
        if (chunk !== undefined && chunk !== null) stream.write(chunk, encoding);
        // The session's output stays open: later writes still print, as Node's stdio does.
        if (!finished) {
          finished = true;
          stream.writableEnded = true;
          process.nextTick(() => {
            stream.writableFinished = true;
            stream.emit('finish');
          });
        }
        if (typeof callback === 'function') process.nextTick(callback);
        return stream;
      },
      cork() {},
      uncork() {},
      setDefaultEncoding() { return stream; },
      destroy() { return stream; },
      // Listeners, as an EventEmitter keeps them (once-wrappers know their listener).
      on(event, listener) { return add(event, listener, false, false); },
      addListener(event, listener) { return add(event, listener, false, false); },
      prependListener(event, listener) { return add(event, listener, false, true); },
      once(event, listener) { return add(event, listener, true, false); },
      prependOnceListener(event, listener) { return add(event, listener, true, true); },
      off(event, listener) { return remove(event, listener); },
      removeListener(event, listener) { return remove(event, listener); },
      removeAllListeners(event) {
        if (event === undefined) call(MapPrototypeClear, listeners);
        else call(MapPrototypeDelete, listeners, event);
        return stream;
      },
      emit(event, ...args) {
        const list = call(MapPrototypeGet, listeners, event);
        if (list === undefined || list.length === 0) {
          if (event === 'error') throw args[0];
          return false;
        }
        for (const listener of [...list]) ReflectApply(listener, stream, args);
        return true;
      },
      listeners: (event) => [...(call(MapPrototypeGet, listeners, event) || [])].map((l) => l.listener || l),
      rawListeners: (event) => [...(call(MapPrototypeGet, listeners, event) || [])],
      listenerCount: (event) => (call(MapPrototypeGet, listeners, event) || []).length,
      eventNames: () => [...call(MapPrototypeKeys, listeners)],
      setMaxListeners() { return stream; },
      getMaxListeners: () => 10,
      // A terminal's size and colours: there is no terminal.
      hasColors: () => false,
      getColorDepth: () => 1,
    };
    function add(event, listener, once, first) {
      if (typeof listener !== 'function') {
        throw coded(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE',
          'The "listener" argument must be of type function. Received ' + inspect(listener));
      }
      const list = call(MapPrototypeGet, listeners, event) || [];
      let entry = listener;
      if (once) {
        entry = function (...args) {
          remove(event, entry);
          return ReflectApply(listener, this, args);
        };
        entry.listener = listener;
      }
      if (first) call(ArrayPrototypeUnshift, list, entry);
      else call(ArrayPrototypePush, list, entry);
      call(MapPrototypeSet, listeners, event, list);
      return stream;
    }
    function remove(event, listener) {
      const list = call(MapPrototypeGet, listeners, event);
      if (list !== undefined) {
        for (let i = list.length - 1; i >= 0; i--) {
          if (list[i] === listener || list[i].listener === listener) {
            call(ArrayPrototypeSplice, list, i, 1);
            break;
          }
        }
      }
      return stream;
    }
    return stream;
  }

  // ---------------------------------------------------------------- process, module
  // `env`, `argv` and `module.filename` are filled in when the session is assigned. As in
  // Node, `process` is an instance of a constructor named `process` (`util.inspect` shows it).
  const ProcessConstructor = { process: function () {} }.process;
  const process = {
    __proto__: ProcessConstructor.prototype,
    env: {},
    argv: [],
    exitCode: undefined,
    exit(code) {
      if (code !== undefined) process.exitCode = code;
      // As in Node, 'exit' listeners run before the process ends (once).
      emitExit();
      native.exit(process.exitCode);
    },
    nextTick(callback, ...args) {
      if (typeof callback !== 'function') {
        throw new TypeErrorCtor('The "callback" argument must be of type function. Received ' +
          inspect(callback));
      }
      call(ArrayPrototypePush, ticks, callback, args, currentFrame());
    },
    stdout: outputStream(STDOUT),
    stderr: outputStream(STDERR),
    // Honest values for a sandbox: a Node-compatible runtime with no host identity to show.
    platform: 'linux',
    arch: 'x64',
    version: 'v' + NODE_VERSION,
    versions: ObjectFreeze({ node: NODE_VERSION, v8: native.v8Version, 'secure-exec': native.workerVersion }),
    release: ObjectFreeze({ name: 'node' }),
    pid: 1,
    ppid: 0,
    title: 'node',
    argv0: 'node',
    execArgv: [],
    execPath: '/usr/local/bin/node',
    // What Node 22 reports of its build; no inspector reaches a session.
    features: ObjectDefineProperties({ inspector: false, debug: false, uv: true, ipv6: true, tls_alpn: true,
      tls_sni: true, tls_ocsp: true, tls: true }, {
      cached_builtins: { get: () => true, enumerable: true, configurable: true },
      require_module: { get: () => true, enumerable: true, configurable: true },
      typescript: { get: () => false, enumerable: true, configurable: true },
    }),
    config: ObjectFreeze({ variables: ObjectFreeze({}) }),
    umask: () => 0o022,
    uptime: () => native.now() / 1000,
    hrtime(previous) {
      const ms = native.now();
      let seconds = MathFloor(ms / 1000);
      let nanos = MathFloor((ms - seconds * 1000) * 1e6);
      if (previous !== undefined) {
        seconds -= previous[0];
        nanos -= previous[1];
        if (nanos < 0) { seconds -= 1; nanos += 1e9; }
      }
      return [seconds, nanos];
    },
    cpuUsage(previous) {
      const [cpu] = native.usage();
      const user = previous === undefined ? cpu : cpu - previous.user;
      return { user, system: 0 };
    },
    memoryUsage() {
      const [, used, total, buffers] = native.usage();
      return { rss: total + buffers, heapTotal: total, heapUsed: used, external: buffers, arrayBuffers: buffers };
    },
    emitWarning(warning, type, code) {
      if (type !== null && typeof type === 'object') ({ type, code } = type);
      let error = warning;
      if (typeof warning === 'string') {
        error = new ErrorCtor(warning);
        error.name = typeof type === 'string' ? type : 'Warning';
        if (code !== undefined) error.code = code;
      }
      // As in Node: printed, and the 'warning' event emitted, on the next tick.
      process.nextTick(() => {
        const prefix = error.code === undefined ? '' : '[' + error.code + '] ';
        const flag = error.name === 'DeprecationWarning' ? '--trace-deprecation' : '--trace-warnings';
        native.print(STDERR, '(node:1) ' + prefix + error.name + ': ' + error.message +
          '\n(Use `node ' + flag + ' ...` to show where the warning was created)\n');
        processEmit('warning', error);
      });
    },
  };
  process.hrtime.bigint = () => BigInt(MathFloor(native.now() * 1e6));
  process.memoryUsage.rss = () => process.memoryUsage().rss;
  // `process` is an event emitter in Node; here it keeps listeners and calls them when
  // emitted, but the sandbox itself emits only 'warning'.
  const processListeners = new SafeMap();
  function processEmit(event, ...args) {
    const listeners = call(MapPrototypeGet, processListeners, event);
    if (listeners === undefined || listeners.length === 0) return false;
    for (const listener of [...listeners]) ReflectApply(listener, process, args);
    return true;
  }
  function addListener(event, listener, once, prepend) {
    const listeners = call(MapPrototypeGet, processListeners, event) || [];
    const wrapped = once ? function (...args) { removeListener(event, wrapped); return ReflectApply(listener, this, args); } : listener;
    if (once) wrapped.listener = listener;
    if (prepend) call(ArrayPrototypeUnshift, listeners, wrapped);
    else call(ArrayPrototypePush, listeners, wrapped);
    call(MapPrototypeSet, processListeners, event, listeners);
    return process;
  }
  function removeListener(event, listener) {
    const listeners = call(MapPrototypeGet, processListeners, event);
    if (listeners !== undefined) {
      // The last one added, as an EventEmitter removes.
      let at = listeners.length - 1;
      while (at >= 0 && listeners[at] !== listener && listeners[at].listener !== listener) at--;
      if (at >= 0) listeners.splice(at, 1);
    }
    return process;
  }
  process.on = process.addListener = (event, listener) => addListener(event, listener, false, false);
  process.prependListener = (event, listener) => addListener(event, listener, false, true);
  process.once = (event, listener) => addListener(event, listener, true, false);
  process.prependOnceListener = (event, listener) => addListener(event, listener, true, true);
  process.rawListeners = (event) => [...(call(MapPrototypeGet, processListeners, event) || [])];
  process.eventNames = () => [...call(MapPrototypeKeys, processListeners)];
  process.off = process.removeListener = removeListener;
  process.removeAllListeners = (event) => {
    if (event === undefined) call(MapPrototypeClear, processListeners);
    else call(MapPrototypeDelete, processListeners, event);
    return process;
  };
  process.emit = processEmit;
  // Node's 'uncaughtException' and 'unhandledRejection': an error nobody caught goes to the
  // listeners, and the session goes on. The worker calls this before it would end the session
  // over such an error (`promise` given for a rejection); a listener that throws ends it with
  // its own error.
  function dispatchUncaught(err, promise) {
    if (promise !== undefined) {
      let taken;
      try {
        taken = processEmit('unhandledRejection', err, promise);
      } catch (thrown) {
        // As in Node: what an 'unhandledRejection' listener throws is uncaught in its turn.
        if (emitUncaught(thrown, 'uncaughtException')) return true;
        throw thrown;
      }
      if (taken) return true;
    }
    const taken = emitUncaught(err, promise !== undefined ? 'unhandledRejection' : 'uncaughtException');
    if (!taken) fatalExit();
    return taken;
  }
  // An error nobody took ends the session as it ends Node's process: exit code 1, with the
  // 'exit' listeners run first (what they throw is ignored, as there).
  function fatalExit() {
    if (exiting) return;
    process.exitCode = 1;
    try {
      emitExit();
    } catch {
      // Ignored, as in Node; a stop still ends the session, since V8 cannot catch it.
    }
  }
  // An 'uncaughtException' listener that throws ends the session with exit code 7, as Node.
  function emitUncaught(err, origin) {
    try {
      if (captureUncaught !== null) {
        captureUncaught(err);
        return true;
      }
      return processEmit('uncaughtException', err, origin);
    } catch (thrown) {
      native.listenerThrew();
      throw thrown;
    }
  }
  let exiting = false;
  // The end of the session: 'exit' listeners run, synchronously, once. With `before` (the
  // worker's loop found nothing left to do), 'beforeExit' instead, which may give the session
  // more work; whether it had listeners.
  function emitExit(before) {
    if (before === true) return !exiting && processEmit('beforeExit', process.exitCode === undefined ? 0 : process.exitCode);
    if (exiting) return;
    exiting = true;
    processEmit('exit', process.exitCode === undefined ? 0 : process.exitCode);
  }
  process.listeners = (event) => [...(call(MapPrototypeGet, processListeners, event) || [])]
    .map((l) => (ObjectHasOwn(l, 'listener') ? l.listener : l));
  process.listenerCount = (event) => (call(MapPrototypeGet, processListeners, event) || []).length;
  process.setMaxListeners = () => process;
  process.getMaxListeners = () => 10;
  ObjectDefineProperty(process, Symbol.toStringTag, { value: 'process' });

  // The entry module; the worker fills in its filename, path and paths (`configure`). Its
  // `require` is inherited, as from Node's Module.prototype (node.js makes it a Module).
  const module = { __proto__: { require: (id) => require(id) }, id: '.', path: '/', exports: {},
    filename: '', loaded: false, children: [], paths: [] };
  // Per-session settings the worker fills in when the session is assigned.
  const session = { cwd: '/' };
  process.cwd = () => session.cwd;
  function coded(Ctor, code, message) {
    const err = new Ctor(message);
    err.code = code;
    return err;
  }
  process.chdir = () => {
    throw coded(ErrorCtor, 'ERR_NOT_SUPPORTED', 'process.chdir() is not supported in secure-exec');
  };
  // The guest is uid and gid 0, the owner of every file in its world (as `stat` reports); no
  // host user is behind it.
  process.getuid = process.geteuid = process.getgid = process.getegid = () => 0;
  process.getgroups = () => [0];
  // The CommonJS entry; an ES module entry has none (runModule), as in Node.
  process.mainModule = module;
  process.constrainedMemory = () => memoryLimit;
  process.availableMemory = () => {
    const [, used, , buffers] = native.usage();
    return MathMax(0, memoryLimit - used - buffers);
  };
  process.resourceUsage = () => {
    const [cpu, , total, buffers] = native.usage();
    return { userCPUTime: cpu, systemCPUTime: 0, maxRSS: MathFloor((total + buffers) / 1024),
      sharedMemorySize: 0, unsharedDataSize: 0, unsharedStackSize: 0, minorPageFault: 0,
      majorPageFault: 0, swappedOut: 0, fsRead: 0, fsWrite: 0, ipcSent: 0, ipcReceived: 0,
      signalsCount: 0, voluntaryContextSwitches: 0, involuntaryContextSwitches: 0 };
  };
  // No other process exists in the sandbox; the guest may only probe itself (signal 0).
  process.kill = (pid, signal = 'SIGTERM') => {
    if (pid != process.pid) {
      const err = coded(ErrorCtor, 'ESRCH', 'kill ESRCH');
      err.errno = -3;
      err.syscall = 'kill';
      throw err;
    }
    if (signal === 0) return true;
    throw coded(ErrorCtor, 'ERR_NOT_SUPPORTED', 'process.kill() with a signal is not supported in secure-exec');
  };
  // As Node's: ends at once, without 'exit' listeners, as a process killed by SIGABRT.
  process.abort = () => native.exit(134);
  process.sourceMapsEnabled = false;
  process.setSourceMapsEnabled = () => {};
  process.allowedNodeEnvironmentFlags = new Set();
  let captureUncaught = null;
  process.setUncaughtExceptionCaptureCallback = (fn) => {
    if (fn !== null && typeof fn !== 'function') {
      throw coded(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE',
        'The "fn" argument must be of type function or null. Received ' + inspect(fn));
    }
    if (fn !== null && captureUncaught !== null) {
      throw coded(ErrorCtor, 'ERR_UNCAUGHT_EXCEPTION_CAPTURE_ALREADY_SET',
        '`process.setupUncaughtExceptionCapture()` was called while a capture callback was already active');
    }
    captureUncaught = fn;
  };
  process.hasUncaughtExceptionCaptureCallback = () => captureUncaught !== null;
  process.getBuiltinModule = (id) => loadNode().getBuiltinModule(id);
  process.loadEnvFile = (path) => loadNode().loadEnvFile(path);
  // No input: an empty stream that ends (built with the stream module, on first use).
  lazyProperties(process, ['stdin'], () => ({ stdin: loadNode().stdin() }), true);

  // ---------------------------------------------------------------- host calls
  // Replies to asynchronous host calls come back through `hostReply`, one macrotask each; a
  // callback that throws is an uncaught exception, as in Node.
  const hostWaiters = new SafeMap();
  function hostAsync(args, callback) {
    const id = ReflectApply(native.hostCall, undefined, [...args, true]);
    call(MapPrototypeSet, hostWaiters, id, [callback, currentFrame()]);
    return id;
  }
  // A network call (net.js): always asynchronous.
  function netAsync(args, callback) {
    const id = ReflectApply(native.netCall, undefined, args);
    call(MapPrototypeSet, hostWaiters, id, [callback, currentFrame()]);
    return id;
  }
  function hostReply(id, reply) {
    const waiter = call(MapPrototypeGet, hostWaiters, id);
    call(MapPrototypeDelete, hostWaiters, id);
    if (waiter !== undefined) inFrame(waiter[1], waiter[0], undefined, [reply]);
  }

  // The module loader and Node's built-in modules (node.js) are built on the first
  // `require`, so sessions that load nothing pay nothing for them. When most recent sessions
  // did load them, the worker builds them in a spare, before its session is known
  // (`prepare`): node.js's own top level reads nothing of the session, and what does (the
  // entry module's paths, the import hooks) waits for `attach`, on the first use as before.
  let node;
  let detached;
  function buildNode() {
    if (detached === undefined) {
      detached = native.loadNode(native, { process, module, session, hostAsync, netAsync, inspect,
        format, formatWithOptions, useAsyncContext, renderTable,
        queueMicrotask, loadWeb: () => loadWeb(), lazyProperties, PART,
        setTimeout: (callback, delay, ...args) => addTimer(callback, delay, args, false),
        setImmediate: (callback, ...args) => addTimer(callback, 0, args, false),
        setInterval: (callback, delay, ...args) => addTimer(callback, delay, args, true),
        clearTimeout: clearTimer, unrefTimer: (id) => setRef(id, false) });
    }
    return detached;
  }
  function loadNode() {
    if (node === undefined) {
      node = buildNode().attach();
      native.used(PART.NODE);
    }
    return node;
  }
  // What the worker may build ahead: `parts` is a mask of PART bits.
  const PART = { NODE: 1, VENDOR: 2, WEB: 4 };
  function prepare(parts) {
    if (parts & PART.WEB) buildWeb();
    if (parts & (PART.NODE | PART.VENDOR)) buildNode();
    if (parts & PART.VENDOR) detached.buildVendor();
  }
  function require(name) {
    return loadNode().mainRequire(name);
  }
  function runModule(source, filename) {
    process.mainModule = undefined;
    loadNode().runEntryModule(source, filename);
  }
  require.resolve = (name, options) => loadNode().mainRequire.resolve(name, options);
  require.resolve.paths = (name) => loadNode().mainRequire.resolve.paths(name);
  ObjectDefineProperty(require, 'cache', { get: () => loadNode().mainRequire.cache });
  ObjectDefineProperty(require, 'extensions', { get: () => loadNode().mainRequire.extensions });
  ObjectDefineProperty(require, 'main', { get: () => module });

  // ---------------------------------------------------------------- WebAssembly memory
  // WebAssembly memories live outside the V8 heap and outside the ArrayBuffer allocator, so
  // they are budgeted here: every memory gets a maximum (clamped to the session's memory
  // limit; growth past it fails as WebAssembly defines), and the maxima of all memories a
  // session creates may not add up to more than the limit. Module bytes are checked and their
  // memory section rewritten before V8 sees them; the original constructors stay in this
  // closure, and the prototypes point back at the wrappers.
  const WA = globalObject.WebAssembly;
  if (WA !== undefined) {
    const PAGE = 65536;
    const budgetPages = MathFloor(memoryLimit / PAGE);
    let reservedPages = 0;
    const RangeErrorCtor = RangeError;
    const OriginalModule = WA.Module;
    const OriginalInstance = WA.Instance;
    const OriginalMemory = WA.Memory;
    const moduleMaxima = new WeakMapCtor();

    const overBudget = (pages) => new RangeErrorCtor(
      'WebAssembly memory of ' + pages + ' pages (' + pages * PAGE + ' bytes) would exceed the ' +
      "session's memory limit of " + memoryLimit + ' bytes');

    function reserve(pages) {
      if (reservedPages + pages > budgetPages) throw overBudget(reservedPages + pages);
      reservedPages += pages;
    }

    function toBytes(source) {
      if (source instanceof ArrayBuffer) return new Uint8ArrayCtor(source).slice();
      if (ArrayBufferIsView(source)) {
        return new Uint8ArrayCtor(source.buffer, source.byteOffset, source.byteLength).slice();
      }
      throw new TypeErrorCtor('WebAssembly module source must be an ArrayBuffer or a view of one');
    }

    function readLeb(bytes, at) {
      let value = 0;
      let scale = 1;
      for (let i = 0; i < 10; i++) {
        if (at.pos >= bytes.length) throw new RangeErrorCtor('truncated WebAssembly module');
        const byte = bytes[at.pos++];
        value += (byte & 0x7f) * scale;
        scale *= 128;
        if ((byte & 0x80) === 0) return value;
      }
      throw new RangeErrorCtor('malformed LEB128 in WebAssembly module');
    }

    function writeLeb(out, value) {
      do {
        let byte = value % 128;
        value = MathFloor(value / 128);
        if (value > 0) byte |= 0x80;
        out.push(byte);
      } while (value > 0);
    }

    // Returns [rewritten bytes, maxima in pages of the memories the module defines].
    function clampModule(source) {
      const bytes = toBytes(source);
      if (bytes.length < 8) return [bytes, []];
      const out = [];
      for (let i = 0; i < 8; i++) out.push(bytes[i]);
      const maxima = [];
      const at = { pos: 8 };
      while (at.pos < bytes.length) {
        const id = bytes[at.pos++];
        const size = readLeb(bytes, at);
        const start = at.pos;
        const end = start + size;
        if (end > bytes.length) throw new RangeErrorCtor('truncated WebAssembly module');
        if (id !== 5) {
          out.push(id);
          writeLeb(out, size);
          for (let i = start; i < end; i++) out.push(bytes[i]);
          at.pos = end;
          continue;
        }
        const body = [];
        const count = readLeb(bytes, at);
        writeLeb(body, count);
        for (let m = 0; m < count; m++) {
          const flags = bytes[at.pos++];
          if (flags > 7) throw new RangeErrorCtor('unsupported WebAssembly memory flags ' + flags);
          const initial = readLeb(bytes, at);
          const declared = (flags & 1) ? readLeb(bytes, at) : Infinity;
          if (initial > budgetPages) throw overBudget(initial);
          const maximum = declared < budgetPages ? declared : budgetPages;
          maxima.push(maximum);
          body.push(flags | 1);
          writeLeb(body, initial);
          writeLeb(body, maximum);
        }
        if (at.pos !== end) throw new RangeErrorCtor('malformed WebAssembly memory section');
        out.push(5);
        writeLeb(out, body.length);
        for (let i = 0; i < body.length; i++) out.push(body[i]);
      }
      return [new Uint8ArrayCtor(out), maxima];
    }

    function sum(list) {
      let total = 0;
      for (let i = 0; i < list.length; i++) total += list[i];
      return total;
    }

    function compile(source) {
      const [bytes, maxima] = clampModule(source);
      const module = new OriginalModule(bytes);
      call(WeakMapSet, moduleMaxima, module, maxima);
      return module;
    }

    function instantiate(module, imports) {
      const pages = sum(call(WeakMapGet, moduleMaxima, module) || []);
      reserve(pages);
      try {
        return new OriginalInstance(module, imports);
      } catch (err) {
        reservedPages -= pages;
        throw err;
      }
    }

    const Module = function Module(source) {
      if (new.target === undefined) throw new TypeErrorCtor("Constructor WebAssembly.Module requires 'new'");
      return compile(source);
    };
    const Instance = function Instance(module, imports) {
      if (new.target === undefined) throw new TypeErrorCtor("Constructor WebAssembly.Instance requires 'new'");
      return instantiate(module, imports);
    };
    const Memory = function Memory(descriptor) {
      if (new.target === undefined) throw new TypeErrorCtor("Constructor WebAssembly.Memory requires 'new'");
      const initial = descriptor === null || typeof descriptor !== 'object' ? NaN : Number(descriptor.initial);
      const declared = descriptor && descriptor.maximum !== undefined ? Number(descriptor.maximum) : Infinity;
      if (!(initial >= 0)) return new OriginalMemory(descriptor);
      const maximum = declared < budgetPages ? declared : budgetPages;
      if (initial > maximum) throw overBudget(initial);
      reserve(maximum);
      try {
        return new OriginalMemory({ initial, maximum, shared: !!descriptor.shared });
      } catch (err) {
        reservedPages -= maximum;
        throw err;
      }
    };
    for (const [wrapper, original] of [[Module, OriginalModule], [Instance, OriginalInstance], [Memory, OriginalMemory]]) {
      for (const key of ObjectGetOwnPropertyNames(original)) {
        if (key !== 'prototype' && key !== 'length' && key !== 'name') {
          ObjectDefineProperty(wrapper, key, ObjectGetOwnPropertyDescriptor(original, key));
        }
      }
      ObjectDefineProperty(wrapper, 'prototype', { value: original.prototype });
      ObjectDefineProperty(original.prototype, 'constructor', { value: wrapper, writable: true, configurable: true });
      ObjectDefineProperty(WA, original.name, { value: wrapper, writable: true, configurable: true });
    }
    ObjectDefineProperty(WA, 'compile', {
      value: (source) => new Promise((resolve) => resolve(compile(source))),
      writable: true, configurable: true,
    });
    ObjectDefineProperty(WA, 'instantiate', {
      value: (source, imports) => new Promise((resolve) => {
        if (source instanceof OriginalModule) {
          resolve(instantiate(source, imports));
        } else {
          const module = compile(source);
          resolve({ module, instance: instantiate(module, imports) });
        }
      }),
      writable: true, configurable: true,
    });
    // Streaming needs `Response`, which the guest does not have.
    delete WA.compileStreaming;
    delete WA.instantiateStreaming;
  }

  const define = (name, value) => ObjectDefineProperty(globalObject, name, {
    value, writable: true, configurable: true, enumerable: false,
  });
  define('console', console);
  define('process', process);
  define('global', globalObject);
  define('setTimeout', (callback, delay, ...args) =>
    timerHandle(Timeout, addTimer(callback, delay, args, false)));
  define('setInterval', (callback, delay, ...args) =>
    timerHandle(Timeout, addTimer(callback, delay, args, true)));
  define('setImmediate', (callback, ...args) => timerHandle(Immediate, addTimer(callback, 0, args, false)));
  // `util.promisify(setTimeout)` gives the promise form, as in Node.
  const PROMISIFY = Symbol.for('nodejs.util.promisify.custom');
  globalObject.setTimeout[PROMISIFY] = (delay, value) =>
    new PromiseCtor((resolve) => addTimer(() => resolve(value), delay, [], false));
  globalObject.setImmediate[PROMISIFY] = (value) =>
    new PromiseCtor((resolve) => addTimer(() => resolve(value), 0, [], false));
  define('clearTimeout', clearTimer);
  define('clearInterval', clearTimer);
  define('clearImmediate', clearTimer);
  define('queueMicrotask', queueMicrotask);
  // The web platform globals (web.js) are built on first use.
  const WEB_GLOBALS = ['DOMException', 'Event', 'CustomEvent', 'EventTarget', 'AbortController', 'AbortSignal',
    'Navigator', 'navigator',
    'TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'atob', 'btoa', 'structuredClone',
    'crypto', 'CryptoKey', 'performance', 'PerformanceEntry', 'PerformanceMark', 'PerformanceMeasure',
    'PerformanceObserver', 'PerformanceObserverEntryList', 'Crypto', 'SubtleCrypto', 'Performance',
    'PerformanceResourceTiming'];
  // Defines `keys` of `target` as accessors that call `load()` once; each puts its plain value
  // in its own place on first use (a guest that assigns one first just gets its own value).
  function lazyProperties(target, keys, load, enumerable) {
    let values;
    const loadAll = () => {
      if (values === undefined) values = load();
      return values;
    };
    const settle = (key, value) => ObjectDefineProperty(target, key, {
      value, writable: true, configurable: true, enumerable,
    });
    for (const key of keys) {
      const get = () => {
        const value = loadAll()[key];
        const descriptor = ObjectGetOwnPropertyDescriptor(target, key);
        if (descriptor !== undefined && descriptor.get === get) settle(key, value);
        return value;
      };
      ObjectDefineProperty(target, key, {
        get,
        set(value) { settle(key, value); },
        configurable: true,
        enumerable,
      });
    }
    return loadAll;
  }
  // Built by the first session that touches one, or ahead in a spare (`prepare`); either way
  // the first touch is what tells the worker that sessions use them.
  let web;
  const buildWeb = () => {
    if (web === undefined) web = native.loadWeb(native);
    return web;
  };
  const loadWeb = lazyProperties(globalObject, WEB_GLOBALS, () => {
    native.used(PART.WEB);
    return buildWeb();
  }, false);
  // fetch and what goes with it (net.js, built with the module loader, whose Buffer and
  // streams it uses).
  const NET_GLOBALS = ['fetch', 'Headers', 'Request', 'Response', 'FormData', 'Blob', 'File',
    'ReadableStream', 'ReadableStreamDefaultReader', 'WritableStream', 'TransformStream',
    'ByteLengthQueuingStrategy', 'CountQueuingStrategy', 'CompressionStream', 'DecompressionStream',
    'TextEncoderStream', 'TextDecoderStream', 'ReadableByteStreamController', 'ReadableStreamBYOBReader',
    'ReadableStreamBYOBRequest', 'ReadableStreamDefaultController', 'TransformStreamDefaultController',
    'WritableStreamDefaultController', 'WritableStreamDefaultWriter'];
  lazyProperties(globalObject, NET_GLOBALS, () => loadNode().net(), false);
  lazyProperties(globalObject, ['MessageChannel', 'MessagePort', 'MessageEvent', 'BroadcastChannel'],
    () => loadNode().messaging(), false);

  // Node's `Buffer` global, built (with the module loader) on first use.
  ObjectDefineProperty(globalObject, 'Buffer', {
    get() {
      const BufferCtor = loadNode().requireBuiltin('buffer').Buffer;
      define('Buffer', BufferCtor);
      return BufferCtor;
    },
    set(value) { define('Buffer', value); },
    configurable: true,
    enumerable: false,
  });

  // Formats one value of each common kind without printing anything: run once before the
  // worker caches the prelude's compiled code, so console.log's code is in the cache too.
  function warmUp() {
    const sample = { n: 1, s: 'x', list: [1, 'two', null], nested: { deep: [true] }, f() {} };
    format('%s %d %j', 'text', 42, sample);
    format(sample, new Map([[1, 2]]), new Set([1]), new Uint8Array(2), new Error('warm-up'));

  }

  return { module, process, require, nextTimer, fireTimer, inspect, warmUp, hostReply, session,
    dispatchUncaught,
    loadNode, runModule, emitExit, runTicks, prepare };
})
