// Web platform globals, as Node offers them: DOMException, Event, EventTarget, AbortController,
// AbortSignal, TextEncoder, TextDecoder, URL, URLSearchParams, atob, btoa, structuredClone,
// crypto (getRandomValues, randomUUID, subtle.digest) and performance.
//
// Runs once per session before the prelude, in the session's fresh context, and returns the
// globals for the prelude to define. Parsing URLs, coding text, hashing and random bytes are
// natives (see web.rs); they never allocate a buffer: every result buffer is made here, where
// a refused allocation is a catchable error rather than a fatal one. Built-ins relied on are
// captured up front, so a guest that tampers with prototypes breaks only its own view.
(function web(native) {
  'use strict';

  const ObjectDefineProperty = Object.defineProperty;
  const ObjectFreeze = Object.freeze;
  const ReflectConstruct = Reflect.construct;
  const MathCeil = Math.ceil;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectKeys = Object.keys;
  const ObjectCreate = Object.create;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectPrototypeToString = Object.prototype.toString;
  const ReflectApply = Reflect.apply;
  const ArrayIsArray = Array.isArray;
  const ArrayPrototypeFilter = Array.prototype.filter;
  const StringPrototypeToUpperCase = String.prototype.toUpperCase;
    const ArrayBufferIsView = ArrayBuffer.isView;
  const ArrayBufferCtor = ArrayBuffer;
  const Uint8ArrayCtor = Uint8Array;
  const DataViewCtor = DataView;
  const MapCtor = Map;
  const SetCtor = Set;
  const DateCtor = Date;
  const RegExpCtor = RegExp;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const RangeErrorCtor = RangeError;
  const PromiseCtor = Promise;
  const WeakMapCtor = WeakMap;
  const WeakMapGet = WeakMap.prototype.get;
  const WeakMapSet = WeakMap.prototype.set;
  const WeakSetCtor = WeakSet;
  const WeakSetAdd = WeakSet.prototype.add;
  const WeakSetHas = WeakSet.prototype.has;
  const Float32ArrayCtor = Float32Array;
  const Float64ArrayCtor = Float64Array;
  const FunctionPrototypeToString = Function.prototype.toString;
  const StringCtor = String;
  const SymbolFor = Symbol.for;
  const StringPrototypeCharCodeAt = String.prototype.charCodeAt;
  const StringPrototypeToLowerCase = String.prototype.toLowerCase;
  const StringPrototypeTrim = String.prototype.trim;
  const StringPrototypeReplace = String.prototype.replace;
  const StringPrototypeSlice = String.prototype.slice;
  const ArrayPrototypeIndexOf = Array.prototype.indexOf;
  const ArrayPrototypeSplice = Array.prototype.splice;
  const ArrayPrototypeSlice = Array.prototype.slice;
  const ArrayPrototypeSort = Array.prototype.sort;
  const ArrayPrototypePush = Array.prototype.push;
  const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
  const TypedArrayPrototypeSlice = TypedArrayPrototype.slice;
  const TypedArraySet = TypedArrayPrototype.set;
  const ArrayBufferPrototypeSlice = ArrayBuffer.prototype.slice;
  const ArrayBufferPrototypeTransfer = ArrayBuffer.prototype.transfer;
  const ArrayBufferDetached = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached').get;
  const SymbolIteratorKey = Symbol.iterator;
  const DatePrototypeGetTime = Date.prototype.getTime;
  const DateNow = Date.now;
  const MapPrototypeSet = Map.prototype.set;
  const MapPrototypeGet = Map.prototype.get;
  const MapPrototypeHas = Map.prototype.has;
  const MapPrototypeDelete = Map.prototype.delete;
  const StringPrototypeStartsWith = String.prototype.startsWith;
  const MapPrototypeEntries = Map.prototype.entries;
  const SetPrototypeAdd = Set.prototype.add;
  const SetPrototypeValues = Set.prototype.values;
  const PromiseResolve = Promise.resolve.bind(Promise);
  const PromiseReject = Promise.reject.bind(Promise);
  const globalObject = globalThis;
  const call = (fn, self, ...args) => ReflectApply(fn, self, args);
  const inspectSymbol = SymbolFor('nodejs.util.inspect.custom');

  const toStringTag = (ctor, tag) =>
    ObjectDefineProperty(ctor.prototype, Symbol.toStringTag, { value: tag, configurable: true });
  // How Node shows its web classes (customInspect in its internals): the constructor's name,
  // then the object's state as plain fields, a level less deep; the fields are a function
  // of the object, read only when it is shown.
  function inspectFields(ctor, fields) {
    ObjectDefineProperty(ctor.prototype, inspectSymbol, {
      value: function (depth, options, inspect) {
        if (typeof depth === 'number' && depth < 0) return this;
        const inner = { ...options, depth: typeof options.depth === 'number' ? options.depth - 1 : options.depth };
        return this.constructor.name + ' ' + inspect(fields(this), inner);
      },
      configurable: true,
      writable: true,
    });
  }

  // ---------------------------------------------------------------- DOMException
  const DOM_CODES = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4,
    InvalidCharacterError: 5, NoModificationAllowedError: 7, NotFoundError: 8,
    NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12,
    InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
    TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20,
    URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23,
    InvalidNodeTypeError: 24, DataCloneError: 25,
  };

  class DOMException extends ErrorCtor {
    #name;
    constructor(message = '', name = 'Error') {
      super(StringCtor(message));
      this.#name = StringCtor(name);
    }
    get name() { return this.#name; }
    get code() { return DOM_CODES[this.#name] || 0; }
  }
  toStringTag(DOMException, 'DOMException');

  // ---------------------------------------------------------------- Event, EventTarget
  const stoppedEvents = new WeakSetCtor();

  class Event {
    #type;
    #cancelable;
    #bubbles;
    #defaultPrevented = false;
    #timeStamp;
    target = null;
    currentTarget = null;
    constructor(type, options = undefined) {
      if (arguments.length === 0) {
        throw new TypeErrorCtor('The "type" argument must be specified');
      }
      this.#type = StringCtor(type);
      this.#cancelable = !!(options && options.cancelable);
      this.#bubbles = !!(options && options.bubbles);
      this.#timeStamp = now();
    }
    get type() { return this.#type; }
    get cancelable() { return this.#cancelable; }
    get bubbles() { return this.#bubbles; }
    get defaultPrevented() { return this.#cancelable && this.#defaultPrevented; }
    get timeStamp() { return this.#timeStamp; }
    get isTrusted() { return false; }
    preventDefault() { this.#defaultPrevented = true; }
    stopPropagation() {}
    stopImmediatePropagation() { call(WeakSetAdd, stoppedEvents, this); }
  }
  toStringTag(Event, 'Event');
  inspectFields(Event, (event) => ({ type: event.type, defaultPrevented: event.defaultPrevented,
    cancelable: event.cancelable, timeStamp: event.timeStamp }));

  // An Event with a payload (`detail`, null unless given).
  class CustomEvent extends Event {
    #detail;
    constructor(type, options = undefined) {
      if (arguments.length === 0) throw new TypeErrorCtor('The "type" argument must be specified');
      super(type, options);
      this.#detail = options !== null && options !== undefined && options.detail !== undefined ? options.detail : null;
    }
    get detail() { return this.#detail; }
  }
  toStringTag(CustomEvent, 'CustomEvent');

  // Node's `navigator` (since Node 21): what a sandboxed session can honestly say.
  class Navigator {
    constructor(key) {
      if (key !== navigatorKey) throw new TypeErrorCtor('Illegal constructor');
    }
    get hardwareConcurrency() { return 1; }
    get language() { return 'en-US'; }
    get languages() { return ['en-US']; }
    get platform() { return 'Linux x86_64'; }
    get userAgent() { return 'Node.js/22'; }
  }
  toStringTag(Navigator, 'Navigator');
  const navigatorKey = SymbolFor('secure-exec.navigator');
  const navigator = new Navigator(navigatorKey);

  const listenersOf = new WeakMapCtor();

  class EventTarget {
    constructor() {
      call(WeakMapSet, listenersOf, this, new MapCtor());
    }
    addEventListener(type, listener, options = undefined) {
      if (listener === null || listener === undefined) return;
      const map = call(WeakMapGet, listenersOf, this);
      if (map === undefined) throw new TypeErrorCtor('Illegal invocation');
      const key = StringCtor(type);
      let list = call(MapPrototypeGet, map, key);
      if (list === undefined) {
        list = [];
        call(MapPrototypeSet, map, key, list);
      }
      for (let i = 0; i < list.length; i++) if (list[i].listener === listener) return;
      const once = typeof options === 'object' && options !== null && !!options.once;
      list[list.length] = { listener, once };
      const signal = typeof options === 'object' && options !== null ? options.signal : undefined;
      if (signal !== undefined) {
        signal.addEventListener('abort', () => this.removeEventListener(key, listener), { once: true });
      }
    }
    removeEventListener(type, listener) {
      const map = call(WeakMapGet, listenersOf, this);
      if (map === undefined) return;
      const list = call(MapPrototypeGet, map, StringCtor(type));
      if (list === undefined) return;
      for (let i = 0; i < list.length; i++) {
        if (list[i].listener === listener) {
          call(ArrayPrototypeSplice, list, i, 1);
          return;
        }
      }
    }
    dispatchEvent(event) {
      if (!(event instanceof Event)) {
        throw new TypeErrorCtor('The "event" argument must be an instance of Event');
      }
      const map = call(WeakMapGet, listenersOf, this);
      event.target = this;
      event.currentTarget = this;
      const list = map === undefined ? undefined : call(MapPrototypeGet, map, event.type);
      if (list !== undefined) {
        const snapshot = call(ArrayPrototypeSlice, list);
        for (let i = 0; i < snapshot.length; i++) {
          const { listener, once } = snapshot[i];
          if (once) this.removeEventListener(event.type, listener);
          if (typeof listener === 'function') {
            call(listener, this, event);
          } else if (listener && typeof listener.handleEvent === 'function') {
            listener.handleEvent(event);
          }
          if (call(WeakSetHas, stoppedEvents, event)) break;
        }
      }
      event.currentTarget = null;
      return !event.defaultPrevented;
    }
  }
  toStringTag(EventTarget, 'EventTarget');

  // ---------------------------------------------------------------- AbortController
  const abortInternals = new WeakMapCtor();

  class AbortSignal extends EventTarget {
    constructor(key) {
      if (key !== abortInternals) throw new TypeErrorCtor('Illegal constructor');
      super();
      call(WeakMapSet, abortInternals, this, { aborted: false, reason: undefined });
      this.onabort = null;
    }
    get aborted() { return call(WeakMapGet, abortInternals, this).aborted; }
    get reason() { return call(WeakMapGet, abortInternals, this).reason; }
    throwIfAborted() {
      if (this.aborted) throw this.reason;
    }
    static abort(reason) {
      const signal = new AbortSignal(abortInternals);
      abortSignal(signal, reason);
      return signal;
    }
    static timeout(ms) {
      const signal = new AbortSignal(abortInternals);
      const timer = globalObject.setTimeout(() => {
        abortSignal(signal, new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      }, ms);
      // As Node's: the timeout keeps nothing alive by itself.
      if (timer !== null && typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
      return signal;
    }
    static any(signals) {
      const signal = new AbortSignal(abortInternals);
      for (const source of signals) {
        if (source.aborted) {
          abortSignal(signal, source.reason);
          return signal;
        }
      }
      for (const source of signals) {
        source.addEventListener('abort', () => abortSignal(signal, source.reason), { once: true });
      }
      return signal;
    }
  }
  toStringTag(AbortSignal, 'AbortSignal');
  inspectFields(AbortSignal, (signal) => ({ aborted: signal.aborted }));

  function abortSignal(signal, reason) {
    const state = call(WeakMapGet, abortInternals, signal);
    if (state.aborted) return;
    state.aborted = true;
    state.reason = reason === undefined
      ? new DOMException('This operation was aborted', 'AbortError') : reason;
    const event = new Event('abort');
    if (typeof signal.onabort === 'function') call(signal.onabort, signal, event);
    signal.dispatchEvent(event);
  }

  class AbortController {
    #signal = new AbortSignal(abortInternals);
    get signal() { return this.#signal; }
    abort(reason) { abortSignal(this.#signal, reason); }
  }
  toStringTag(AbortController, 'AbortController');
  inspectFields(AbortController, (controller) => ({ signal: controller.signal }));

  // ---------------------------------------------------------------- TextEncoder, TextDecoder
  function toUint8(input, what) {
    if (input instanceof ArrayBufferCtor) return new Uint8ArrayCtor(input);
    if (ArrayBufferIsView(input)) {
      return new Uint8ArrayCtor(input.buffer, input.byteOffset, input.byteLength);
    }
    if (ObjectPrototypeToString.call(input) === '[object SharedArrayBuffer]') {
      return new Uint8ArrayCtor(input);
    }
    throw new TypeErrorCtor('The "' + what + '" argument must be an instance of ArrayBuffer or ArrayBufferView');
  }

  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') {
      const text = StringCtor(input);
      const out = new Uint8ArrayCtor(native.utf8Length(text));
      native.utf8Write(text, out);
      return out;
    }
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8ArrayCtor)) {
        throw new TypeErrorCtor('The "dest" argument must be an instance of Uint8Array');
      }
      const [read, written] = native.utf8Write(StringCtor(source), destination);
      return { read, written };
    }
  }
  toStringTag(TextEncoder, 'TextEncoder');
  // Node shows a TextEncoder as its one field alone.
  ObjectDefineProperty(TextEncoder.prototype, inspectSymbol, {
    value(depth) { return typeof depth === 'number' && depth < 0 ? this : { encoding: this.encoding }; },
    configurable: true,
    writable: true,
  });

  const ENCODING_LABELS = {
    'utf-8': 'utf-8', 'utf8': 'utf-8', 'unicode-1-1-utf-8': 'utf-8', 'unicode11utf8': 'utf-8',
    'unicode20utf8': 'utf-8', 'x-unicode20utf8': 'utf-8',
    'utf-16le': 'utf-16le', 'utf-16': 'utf-16le', 'ucs-2': 'utf-16le', 'unicode': 'utf-16le',
    'csunicode': 'utf-16le', 'iso-10646-ucs-2': 'utf-16le', 'unicodefeff': 'utf-16le',
  };

  // UTF-8 and UTF-16LE are decoded by `decode` (web.rs), the stream's unfinished bytes kept
  // here; the other encodings (UTF-16BE and the legacy ones) by `legacyDecode`
  // (text_decoders.rs), which keeps a streaming decoder's state under an id.
  const BOM_ENCODINGS = { __proto__: null, 'utf-8': true, 'utf-16le': true, 'utf-16be': true };
  class TextDecoder {
    #encoding;
    #fatal;
    #ignoreBOM;
    #pending = null;
    #bomSeen = false;
    #legacy;
    #stream = 0;
    constructor(label = 'utf-8', options = undefined) {
      const text = StringCtor(label);
      const key = call(StringPrototypeToLowerCase, call(StringPrototypeTrim, text));
      const encoding = ENCODING_LABELS[key] !== undefined ? ENCODING_LABELS[key] : native.textEncoding(key);
      if (encoding === undefined || encoding === 'replacement' || encoding === 'x-user-defined') {
        const err = new RangeErrorCtor('The "' + (encoding === undefined ? text : encoding) + '" encoding is not supported');
        err.code = 'ERR_ENCODING_NOT_SUPPORTED';
        throw err;
      }
      this.#encoding = encoding;
      this.#legacy = encoding !== 'utf-8' && encoding !== 'utf-16le';
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return this.#encoding; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input = undefined, options = undefined) {
      const stream = !!(options && options.stream);
      let bytes = input === undefined ? new Uint8ArrayCtor(0) : toUint8(input, 'input');
      if (this.#pending !== null) {
        const joined = new Uint8ArrayCtor(this.#pending.length + bytes.length);
        call(TypedArraySet, joined, this.#pending, 0);
        call(TypedArraySet, joined, bytes, this.#pending.length);
        bytes = joined;
        this.#pending = null;
      }
      let text;
      let consumed;
      try {
        // Indexed, not destructured: destructuring would go through the guest's
        // Array.prototype[Symbol.iterator].
        if (this.#legacy) {
          const id = this.#stream;
          this.#stream = 0;
          const decoded = native.legacyDecode(this.#encoding, bytes, this.#fatal, stream, id);
          text = decoded[0];
          this.#stream = decoded[1];
          consumed = bytes.length;
        } else {
          const decoded = native.decode(this.#encoding, bytes, this.#fatal, stream);
          text = decoded[0];
          consumed = decoded[1];
        }
      } catch (err) {
        this.#bomSeen = false;
        if (err instanceof TypeErrorCtor) err.code = 'ERR_ENCODING_INVALID_ENCODED_DATA';
        throw err;
      }
      if (consumed < bytes.length) this.#pending = call(TypedArrayPrototypeSlice, bytes, consumed);
      if (!this.#bomSeen && text.length > 0) {
        this.#bomSeen = true;
        if (!this.#ignoreBOM && BOM_ENCODINGS[this.#encoding] === true &&
          call(StringPrototypeCharCodeAt, text, 0) === 0xFEFF) {
          text = call(StringPrototypeSlice, text, 1);
        }
      }
      if (!stream) {
        this.#bomSeen = false;
        this.#pending = null;
      }
      return text;
    }
  }
  toStringTag(TextDecoder, 'TextDecoder');
  inspectFields(TextDecoder, (decoder) => ({ encoding: decoder.encoding, fatal: decoder.fatal,
    ignoreBOM: decoder.ignoreBOM }));

  // ---------------------------------------------------------------- atob, btoa
  // Base64 over natives (buffer.rs), with Node's errors.
  const missingInput = () => {
    const err = new TypeErrorCtor('The "input" argument must be specified');
    err.code = 'ERR_MISSING_ARGS';
    return err;
  };
  function btoa(input) {
    if (arguments.length === 0) throw missingInput();
    const encoded = native.btoa(`${input}`);
    if (encoded === undefined) throw new DOMException('Invalid character', 'InvalidCharacterError');
    return encoded;
  }

  function atob(input) {
    if (arguments.length === 0) throw missingInput();
    const decoded = native.atob(`${input}`);
    if (decoded === 1) throw new DOMException('Invalid character', 'InvalidCharacterError');
    if (decoded === 2) {
      throw new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
    }
    return decoded;
  }

  // ---------------------------------------------------------------- URL, URLSearchParams
  const PARTS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname',
    'port', 'pathname', 'search', 'hash'];
  const urlState = new WeakMapCtor();
  const paramsState = new WeakMapCtor();

  function invalidUrl(input) {
    const err = new TypeErrorCtor('Invalid URL');
    err.code = 'ERR_INVALID_URL';
    err.input = input;
    return err;
  }

  function partsObject(parts) {
    const out = {};
    for (let i = 0; i < PARTS.length; i++) out[PARTS[i]] = parts[i];
    return out;
  }

  const blobURLs = new MapCtor();
  // The id of a `blob:nodedata:` URL, or undefined.
  function blobURLId(url) {
    let parsed;
    try {
      parsed = new URL(StringCtor(url));
    } catch {
      return undefined;
    }
    const path = parsed.pathname;
    if (parsed.protocol !== 'blob:' || !call(StringPrototypeStartsWith, path, 'nodedata:')) return undefined;
    return path;
  }
  const resolveObjectURL = (url) => {
    const id = blobURLId(url);
    return id === undefined ? undefined : call(MapPrototypeGet, blobURLs, id);
  };
  const missingUrl = () => {
    const err = new TypeErrorCtor('The "url" argument must be specified');
    err.code = 'ERR_MISSING_ARGS';
    return err;
  };
  // The parts of the URL `text` names against `base`, or null where it names none.
  const urlParts = (text, base) => (base === undefined ? native.urlParse(text) : native.urlParse(text, StringCtor(base)));
  class URL {
    constructor(input, base = undefined) {
      if (arguments.length === 0) throw missingUrl();
      const text = StringCtor(input);
      const parts = urlParts(text, base);
      if (parts === null) throw invalidUrl(text);
      call(WeakMapSet, urlState, this, { parts: partsObject(parts), params: null });
    }
    static canParse(input, base = undefined) {
      return urlParts(StringCtor(input), base) !== null;
    }
    static parse(input, base = undefined) {
      if (arguments.length === 0) throw missingUrl();
      const parts = urlParts(StringCtor(input), base);
      if (parts === null) return null;
      const url = ObjectCreate(URL.prototype);
      call(WeakMapSet, urlState, url, { parts: partsObject(parts), params: null });
      return url;
    }
    // Blob URLs (`blob:nodedata:<uuid>`) for the session's own Blobs, as Node's.
    static createObjectURL(obj) {
      if (obj === null || typeof obj !== 'object' || (call(ObjectPrototypeToString, obj) !== '[object Blob]' &&
        call(ObjectPrototypeToString, obj) !== '[object File]')) {
        const received = obj === null || obj === undefined ? 'Received ' + obj
          : typeof obj === 'object' ? 'Received an instance of ' + (obj.constructor && obj.constructor.name || 'Object')
            : 'Received type ' + typeof obj + ' (' + (typeof obj === 'string' ? "'" + obj + "'" : StringCtor(obj)) + ')';
        const err = new TypeErrorCtor('The "obj" argument must be an instance of Blob. ' + received);
        err.code = 'ERR_INVALID_ARG_TYPE';
        throw err;
      }
      const id = 'nodedata:' + randomUUID();
      call(MapPrototypeSet, blobURLs, id, obj);
      return 'blob:' + id;
    }
    static revokeObjectURL(url) {
      if (arguments.length === 0) throw missingUrl();
      const id = blobURLId(url);
      if (id !== undefined) call(MapPrototypeDelete, blobURLs, id);
    }
    get searchParams() {
      const state = call(WeakMapGet, urlState, this);
      if (state.params === null) {
        state.params = new URLSearchParams(state.parts.search);
        call(WeakMapGet, paramsState, state.params).url = this;
      }
      return state.params;
    }
    toString() { return call(WeakMapGet, urlState, this).parts.href; }
    toJSON() { return this.toString(); }
    [inspectSymbol](depth, options, inspect) {
      if (typeof depth === 'number' && depth < 0) return this;
      const parts = call(WeakMapGet, urlState, this).parts;
      const shown = {
        href: parts.href, origin: parts.origin, protocol: parts.protocol,
        username: parts.username, password: parts.password, host: parts.host,
        hostname: parts.hostname, port: parts.port, pathname: parts.pathname,
        search: parts.search, searchParams: this.searchParams, hash: parts.hash,
      };
      return 'URL ' + inspect(shown, { ...options, depth });
    }
  }
  toStringTag(URL, 'URL');

  function setPart(url, part, value) {
    const state = call(WeakMapGet, urlState, url);
    const parts = native.urlSet(state.parts.href, part, StringCtor(value));
    if (parts === null) throw invalidUrl(StringCtor(value));
    state.parts = partsObject(parts);
    if (state.params !== null && part !== 'searchParams') {
      refreshParams(state.params, state.parts.search);
    }
  }

  for (const part of PARTS) {
    const descriptor = {
      get() { return call(WeakMapGet, urlState, this).parts[part]; },
      enumerable: true,
      configurable: true,
    };
    if (part !== 'origin') descriptor.set = function (value) { setPart(this, part, value); };
    ObjectDefineProperty(URL.prototype, part, descriptor);
  }

  function parseParams(init) {
    const list = [];
    if (init === undefined || init === null) return list;
    if (typeof init === 'object' || typeof init === 'function') {
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const items = [...pair];
          if (items.length !== 2) {
            const err = new TypeErrorCtor('Each query pair must be an iterable [name, value] tuple');
            err.code = 'ERR_INVALID_TUPLE';
            throw err;
          }
          list[list.length] = [StringCtor(items[0]), StringCtor(items[1])];
        }
        return list;
      }
      for (const key of ObjectKeys(init)) list[list.length] = [key, StringCtor(init[key])];
      return list;
    }
    let text = StringCtor(init);
    if (text[0] === '?') text = call(StringPrototypeSlice, text, 1);
    const flat = native.formParse(text);
    for (let i = 0; i + 1 < flat.length; i += 2) list[list.length] = [flat[i], flat[i + 1]];
    return list;
  }

  function refreshParams(params, search) {
    call(WeakMapGet, paramsState, params).list = parseParams(search);
  }

  function serializeParams(list) {
    const flat = [];
    for (let i = 0; i < list.length; i++) {
      flat[flat.length] = list[i][0];
      flat[flat.length] = list[i][1];
    }
    return native.formSerialize(flat);
  }

  class URLSearchParams {
    constructor(init = undefined) {
      call(WeakMapSet, paramsState, this, { list: parseParams(init), url: null });
    }
    #list() { return call(WeakMapGet, paramsState, this).list; }
    #update() {
      const state = call(WeakMapGet, paramsState, this);
      if (state.url !== null) {
        const search = serializeParams(state.list);
        const urlInternal = call(WeakMapGet, urlState, state.url);
        const parts = native.urlSet(urlInternal.parts.href, 'search', search);
        if (parts !== null) urlInternal.parts = partsObject(parts);
      }
    }
    get size() { return this.#list().length; }
    append(name, value) {
      const list = this.#list();
      list[list.length] = [StringCtor(name), StringCtor(value)];
      this.#update();
    }
    delete(name, value = undefined) {
      const key = StringCtor(name);
      const state = call(WeakMapGet, paramsState, this);
      const kept = [];
      for (const pair of state.list) {
        if (pair[0] === key && (value === undefined || pair[1] === StringCtor(value))) continue;
        kept[kept.length] = pair;
      }
      state.list = kept;
      this.#update();
    }
    get(name) {
      const key = StringCtor(name);
      for (const pair of this.#list()) if (pair[0] === key) return pair[1];
      return null;
    }
    getAll(name) {
      const key = StringCtor(name);
      const out = [];
      for (const pair of this.#list()) if (pair[0] === key) out[out.length] = pair[1];
      return out;
    }
    has(name, value = undefined) {
      const key = StringCtor(name);
      for (const pair of this.#list()) {
        if (pair[0] === key && (value === undefined || pair[1] === StringCtor(value))) return true;
      }
      return false;
    }
    set(name, value) {
      const key = StringCtor(name);
      const state = call(WeakMapGet, paramsState, this);
      const kept = [];
      let done = false;
      for (const pair of state.list) {
        if (pair[0] !== key) {
          kept[kept.length] = pair;
        } else if (!done) {
          kept[kept.length] = [key, StringCtor(value)];
          done = true;
        }
      }
      if (!done) kept[kept.length] = [key, StringCtor(value)];
      state.list = kept;
      this.#update();
    }
    sort() {
      // A stable sort by name, comparing UTF-16 code units as the standard says.
      const list = this.#list();
      call(ArrayPrototypeSort, list, (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.#update();
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function') {
        throw new TypeErrorCtor('The "callback" argument must be of type function');
      }
      for (const pair of this.#list()) call(callback, thisArg, pair[1], pair[0], this);
    }
    *entries() { for (const pair of this.#list()) yield [pair[0], pair[1]]; }
    *keys() { for (const pair of this.#list()) yield pair[0]; }
    *values() { for (const pair of this.#list()) yield pair[1]; }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return serializeParams(this.#list()); }
    [inspectSymbol](depth, options, inspect) {
      if (typeof depth === 'number' && depth < 0) return '[Object]';
      const inner = { ...options, depth: typeof depth === 'number' ? depth - 1 : depth };
      const output = [];
      for (const [name, value] of this.#list()) {
        output[output.length] = inspect(name, inner) + ' => ' + inspect(value, inner);
      }
      let length = -2;
      for (let i = 0; i < output.length; i++) length += output[i].length + 2;
      // Node's own layout, closing brace included.
      if (length > 80) return 'URLSearchParams {\n  ' + output.join(',\n  ') + ' }';
      if (output.length > 0) return 'URLSearchParams { ' + output.join(', ') + ' }';
      return 'URLSearchParams {}';
    }
  }
  toStringTag(URLSearchParams, 'URLSearchParams');

  // ---------------------------------------------------------------- structuredClone
  // The structured clone algorithm for the values a session can make: primitives, wrappers,
  // Date, RegExp, Map, Set, arrays, plain objects, ArrayBuffer, typed arrays, DataView and
  // errors, with shared references and cycles kept. Anything else is a DataCloneError.
  const ERROR_TYPES = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

  function cloneError(what) {
    return new DOMException(what + ' could not be cloned.', 'DataCloneError');
  }

  function structuredClone(value, options = undefined) {
    if (arguments.length === 0) {
      throw new TypeErrorCtor('The "value" argument must be specified');
    }
    // ArrayBuffers in `transfer` move: the clone gets their contents and they are detached
    // (once the whole value is cloned, so that views over them read them first).
    const moved = [];
    const list = options !== undefined && options !== null ? options.transfer : undefined;
    if (list !== undefined) {
      if (list === null || typeof list[SymbolIteratorKey] !== 'function') {
        throw new TypeErrorCtor('Optional transferList argument must be an iterable');
      }
      for (const item of list) {
        if (call(ObjectPrototypeToString, item) !== '[object ArrayBuffer]') {
          if (item !== null && typeof item === 'object' && call(ObjectPrototypeToString, item) === '[object MessagePort]') {
            throw new DOMException('Transferring a MessagePort is not supported in secure-exec', 'DataCloneError');
          }
          throw new TypeErrorCtor('Found invalid object in transferList');
        }
        if (call(ArrayPrototypeIndexOf, moved, item) !== -1) {
          throw new DOMException('Transfer list contains duplicate ArrayBuffer', 'DataCloneError');
        }
        if (call(ArrayBufferDetached, item)) {
          throw new DOMException('An ArrayBuffer is detached and could not be cloned.', 'DataCloneError');
        }
        call(ArrayPrototypePush, moved, item);
      }
    }
    const seen = new MapCtor();
    const clone = (input) => {
      if (input === null || (typeof input !== 'object' && typeof input !== 'function')) {
        if (typeof input === 'symbol') throw cloneError(StringCtor(input.toString()));
        return input;
      }
      if (typeof input === 'function') throw cloneError(describe(input));
      if (call(MapPrototypeHas, seen, input)) return call(MapPrototypeGet, seen, input);
      const tag = call(ObjectPrototypeToString, input);
      let out;
      switch (tag) {
        case '[object Boolean]': case '[object Number]': case '[object String]':
        case '[object BigInt]':
          out = Object(input.valueOf());
          break;
        case '[object Date]':
          out = new DateCtor(call(DatePrototypeGetTime, input));
          break;
        case '[object RegExp]':
          out = new RegExpCtor(input.source, input.flags);
          break;
        case '[object ArrayBuffer]':
          out = call(ArrayBufferPrototypeSlice, input, 0);
          break;
        case '[object Map]':
          out = new MapCtor();
          call(MapPrototypeSet, seen, input, out);
          for (const [k, v] of call(MapPrototypeEntries, input)) call(MapPrototypeSet, out, clone(k), clone(v));
          return out;
        case '[object Set]':
          out = new SetCtor();
          call(MapPrototypeSet, seen, input, out);
          for (const v of call(SetPrototypeValues, input)) call(SetPrototypeAdd, out, clone(v));
          return out;
        case '[object Error]': {
          const name = input.name;
          const Ctor = typeof name === 'string' && ERROR_TYPES[name] ? ERROR_TYPES[name] : ErrorCtor;
          out = new Ctor(input.message === undefined ? undefined : StringCtor(input.message));
          call(MapPrototypeSet, seen, input, out);
          if (typeof input.stack === 'string') out.stack = input.stack;
          if ('cause' in input) out.cause = clone(input.cause);
          return out;
        }
        default:
          if (ArrayBufferIsView(input)) {
            const buffer = clone(input.buffer);
            const Ctor = input instanceof DataViewCtor ? DataViewCtor : ObjectGetPrototypeOf(input).constructor;
            const length = input instanceof DataViewCtor ? input.byteLength : input.length;
            out = new Ctor(buffer, input.byteOffset, length);
            break;
          }
          if (ArrayIsArray(input)) {
            out = new Array(input.length);
            call(MapPrototypeSet, seen, input, out);
            for (const key of ObjectKeys(input)) out[key] = clone(input[key]);
            return out;
          }
          if (tag !== '[object Object]' || input instanceof PromiseCtor) {
            throw cloneError(tag === '[object Object]' ? '#<Promise>' : tag);
          }
          out = {};
          call(MapPrototypeSet, seen, input, out);
          for (const key of ObjectKeys(input)) out[key] = clone(input[key]);
          return out;
      }
      call(MapPrototypeSet, seen, input, out);
      return out;
    };
    const result = clone(value);
    for (const buffer of moved) call(ArrayBufferPrototypeTransfer, buffer);
    return result;
  }

  function describe(fn) {
    try { return call(FunctionPrototypeToString, fn); } catch { return 'function'; }
  }

  // ---------------------------------------------------------------- crypto, performance
  const MAX_RANDOM_BYTES = 65536;
  const DIGESTS = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

  function getRandomValues(array) {
    if (!ArrayBufferIsView(array) || array instanceof DataViewCtor ||
        array instanceof Float32ArrayCtor || array instanceof Float64ArrayCtor) {
      throw new DOMException(
        'The data argument must be an integer-type TypedArray', 'TypeMismatchError');
    }
    if (array.byteLength > MAX_RANDOM_BYTES) {
      throw new DOMException(
        "The ArrayBufferView's byte length (" + array.byteLength + ') exceeds the number of bytes of entropy available via this API (65536)',
        'QuotaExceededError');
    }
    native.randomFill(array);
    return array;
  }

  function randomUUID() {
    const bytes = new Uint8ArrayCtor(16);
    native.randomFill(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = '';
    for (let i = 0; i < 16; i++) {
      hex += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
      if (i === 3 || i === 5 || i === 7 || i === 9) hex += '-';
    }
    return hex;
  }

  // ---------------------------------------------------------------- SubtleCrypto
  // Web Crypto over the natives node:crypto uses too: HMAC, AES-GCM, AES-CBC, AES-CTR, PBKDF2
  // and HKDF (keys as raw bytes or JWK), the signature algorithms RSASSA-PKCS1-v1_5, RSA-PSS,
  // ECDSA (P-256, P-384) and Ed25519, RSA-OAEP, and ECDH (P-256, P-384): asymmetric keys as
  // SPKI, PKCS #8, JWK or raw public bytes. X25519, AES-KW and the rest are refused with
  // NotSupportedError.
  const keySlots = new WeakMapCtor();
  class CryptoKey {
    constructor() { throw new TypeErrorCtor('Illegal constructor'); }
    get type() { return slots(this).type; }
    get extractable() { return slots(this).extractable; }
    get algorithm() { return slots(this).algorithm; }
    get usages() { return slots(this).usages; }
  }
  toStringTag(CryptoKey, 'CryptoKey');
  function slots(key) {
    const found = call(WeakMapGet, keySlots, key);
    if (found === undefined) throw new TypeErrorCtor('Illegal invocation');
    return found;
  }
  const ALGORITHMS = ['HMAC', 'AES-GCM', 'AES-CBC', 'AES-CTR', 'PBKDF2', 'HKDF',
    'RSASSA-PKCS1-V1_5', 'RSA-PSS', 'ECDSA', 'ED25519', 'RSA-OAEP', 'ECDH', 'X25519'];
  const UNSUPPORTED = ['ED448', 'X448', 'AES-KW'];
  // Signature algorithms over the natives node:crypto's keys use (keys.rs), by their names as
  // Web Crypto spells them.
  const SIGNATURES = { 'RSASSA-PKCS1-V1_5': 'RSASSA-PKCS1-v1_5', 'RSA-PSS': 'RSA-PSS', ECDSA: 'ECDSA',
    ED25519: 'Ed25519' };
  // Every algorithm over a key pair, by its Web Crypto spelling.
  const PAIRS = { ...SIGNATURES, 'RSA-OAEP': 'RSA-OAEP', ECDH: 'ECDH', X25519: 'X25519' };
  // What each half of a pair may be used for, in the order Node lists them.
  const PAIR_USAGES = { 'RSA-OAEP': [['decrypt', 'unwrapKey'], ['encrypt', 'wrapKey']],
    ECDH: [['deriveKey', 'deriveBits'], []], X25519: [['deriveKey', 'deriveBits'], []] };
  const pairUsages = (name, isPrivate) =>
    (PAIR_USAGES[name] === undefined ? [['sign'], ['verify']] : PAIR_USAGES[name])[isPrivate ? 0 : 1];
  // Node's wording of a bad usage, importing and generating.
  const USAGE_KIND = { 'RSA-OAEP': ['an RSA-OAEP', 'a RSA'], ECDH: ['a ECDH', 'an ECDH'],
    X25519: ['a X25519', 'an X25519'] };
  const usageKind = (name, generating) =>
    (USAGE_KIND[name] === undefined ? 'a ' + SIGNATURES[name] : USAGE_KIND[name][generating ? 1 : 0]);
  const CURVES = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' };
  const USAGES = { HMAC: ['sign', 'verify'], 'AES-GCM': ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
    'AES-CBC': ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'], 'AES-CTR': ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
    PBKDF2: ['deriveBits', 'deriveKey'], HKDF: ['deriveBits', 'deriveKey'] };
  const JWK_AES = { 'AES-GCM': 'GCM', 'AES-CBC': 'CBC', 'AES-CTR': 'CTR' };
  const HASH_BLOCK = { 'SHA-1': 64, 'SHA-256': 64, 'SHA-384': 128, 'SHA-512': 128 };
  const notSupported = (what) => new DOMException(what, 'NotSupportedError');
  function algorithmName(algorithm) {
    const name = typeof algorithm === 'string' ? algorithm
      : algorithm !== null && typeof algorithm === 'object' ? algorithm.name : undefined;
    if (typeof name !== 'string') throw new TypeErrorCtor('Algorithm: name is missing');
    const upper = StringCtor(name).toUpperCase();
    if (call(ArrayPrototypeIndexOf, ALGORITHMS, upper) !== -1) return upper;
    if (call(ArrayPrototypeIndexOf, UNSUPPORTED, upper) !== -1) {
      throw notSupported(name + ' is not supported in secure-exec');
    }
    throw notSupported('Unrecognized algorithm name');
  }
  function hashName(hash) {
    const name = typeof hash === 'string' ? hash : hash !== null && typeof hash === 'object' ? hash.name : undefined;
    const upper = typeof name === 'string' ? StringCtor(name).toUpperCase() : '';
    if (DIGESTS[upper] === undefined) throw notSupported('Unrecognized hash name');
    return upper;
  }
  const nativeHash = (hash) => call(StringPrototypeReplace, call(StringPrototypeToLowerCase, hash), '-', '');
  function hmac(hash, key, data) {
    const out = new Uint8ArrayCtor(DIGESTS[hash]);
    native.hmac(nativeHash(hash), key, data, out);
    return out;
  }
  const copyOf = (input, what) => call(TypedArrayPrototypeSlice, toUint8(input, what));
  function makeKey(algorithm, bytes, extractable, usages) {
    const key = { __proto__: CryptoKey.prototype };
    call(WeakMapSet, keySlots, key, { type: 'secret', extractable: !!extractable, algorithm,
      usages: ObjectFreeze([...usages]), bytes });
    return key;
  }
  // Node's wording, by what is being made.
  const KEY_KIND = { HMAC: 'an HMAC', 'AES-GCM': 'an AES', 'AES-CBC': 'an AES', 'AES-CTR': 'an AES',
    PBKDF2: 'a PBKDF2', HKDF: 'a HKDF' };
  function checkUsages(name, usages, importing) {
    if (!ArrayIsArray(usages)) throw new TypeErrorCtor('keyUsages must be an array');
    for (const usage of usages) {
      if (call(ArrayPrototypeIndexOf, USAGES[name], usage) === -1) {
        throw new DOMException('Unsupported key usage for ' + KEY_KIND[name] + ' key', 'SyntaxError');
      }
    }
    if (usages.length === 0) {
      throw new DOMException(importing ? 'Usages cannot be empty when importing a secret key.'
        : 'Usages cannot be empty when creating a key.', 'SyntaxError');
    }
  }
  // The algorithm a key of `bytes` gets, checking the bytes fit it.
  function keyAlgorithm(name, params, bytes) {
    if (name === 'HMAC') {
      if (bytes.byteLength === 0) throw new DOMException('Zero-length key is not supported', 'DataError');
      const length = params.length === undefined ? bytes.byteLength * 8 : params.length;
      if (length > bytes.byteLength * 8 || length <= (bytes.byteLength - 1) * 8) {
        throw new DOMException('Invalid key length', 'DataError');
      }
      return { name, hash: { name: hashName(params.hash) }, length };
    }
    if (JWK_AES[name] !== undefined) {
      if (bytes.byteLength !== 16 && bytes.byteLength !== 24 && bytes.byteLength !== 32) {
        throw new DOMException('Invalid key length', 'DataError');
      }
      return { name, length: bytes.byteLength * 8 };
    }
    return { name };
  }
  function base64url(bytes) {
    return native.bufferSlice(bytes, 0, bytes.byteLength, 'base64url');
  }
  function fromBase64url(text) {
    const plain = atob(call(StringPrototypeReplace, call(StringPrototypeReplace, StringCtor(text), /-/g, '+'), /_/g, '/'));
    const out = new Uint8ArrayCtor(plain.length);
    for (let i = 0; i < plain.length; i++) out[i] = call(StringPrototypeCharCodeAt, plain, i);
    return out;
  }
  // ---- asymmetric keys: canonical DER (PKCS #8 or SPKI) in the key's slot.
  function checkPairUsages(name, usages, allowed, generating) {
    if (!ArrayIsArray(usages)) throw new TypeErrorCtor('keyUsages must be an array');
    for (const usage of usages) {
      if (call(ArrayPrototypeIndexOf, allowed, usage) === -1) {
        throw new DOMException('Unsupported key usage for ' + usageKind(name, generating) + ' key', 'SyntaxError');
      }
    }
  }
  // The algorithm of an asymmetric key, checked against what `der` holds.
  function pairAlgorithm(name, params, der, isPrivate) {
    const described = native.keyDescribe(der, isPrivate);
    const expected = name === 'ECDSA' || name === 'ECDH' ? 'ec' : name === 'ED25519' ? 'ed25519'
      : name === 'X25519' ? 'x25519' : 'rsa';
    if (described[0] !== expected) throw new DOMException('Invalid key type', 'DataError');
    if (expected === 'rsa') {
      return { name: PAIRS[name], modulusLength: described[1],
        publicExponent: call(TypedArrayPrototypeSlice, described[2]), hash: { name: hashName(params.hash) } };
    }
    if (expected === 'ec') {
      if (CURVES[params.namedCurve] !== described[1]) throw new DOMException('Named curve mismatch', 'DataError');
      return { name: PAIRS[name], namedCurve: params.namedCurve };
    }
    return { name: PAIRS[name] };
  }
  function makePairKey(algorithm, der, isPrivate, extractable, usages) {
    const key = { __proto__: CryptoKey.prototype };
    call(WeakMapSet, keySlots, key, { type: isPrivate ? 'private' : 'public', extractable: !!extractable,
      algorithm, usages: ObjectFreeze([...usages]), der, isPrivate });
    return key;
  }
  function importPairKey(name, format, keyData, algorithm, extractable, usages) {
    let der;
    let isPrivate;
    if (format === 'spki' || format === 'pkcs8') {
      isPrivate = format === 'pkcs8';
      try {
        der = native.keyRead(copyOf(keyData, 'keyData'), 'der', format, isPrivate);
      } catch {
        throw new DOMException('Invalid keyData', 'DataError');
      }
    } else if (format === 'jwk' || format === 'raw') {
      const parts = {};
      let kty;
      let crv;
      if (format === 'jwk') {
        if (keyData === null || typeof keyData !== 'object') throw new DOMException('Invalid keyData', 'DataError');
        for (const member of ['n', 'e', 'd', 'p', 'q', 'x', 'y']) {
          if (typeof keyData[member] === 'string') parts[member] = fromBase64url(keyData[member]);
        }
        kty = StringCtor(keyData.kty);
        crv = StringCtor(keyData.crv);
        isPrivate = keyData.d !== undefined;
      } else {
        // Raw public keys: an uncompressed EC point, or Ed25519's 32 bytes.
        const bytes = copyOf(keyData, 'keyData');
        isPrivate = false;
        if (name === 'ECDSA' || name === 'ECDH') {
          const half = (bytes.byteLength - 1) / 2;
          if (bytes[0] !== 4 || half !== (algorithm.namedCurve === 'P-384' ? 48 : 32)) {
            throw new DOMException('Invalid keyData', 'DataError');
          }
          parts.x = bytes.subarray(1, 1 + half);
          parts.y = bytes.subarray(1 + half);
          kty = 'EC';
          crv = algorithm.namedCurve;
        } else if (name === 'ED25519' || name === 'X25519') {
          parts.x = bytes;
          kty = 'OKP';
          crv = name === 'ED25519' ? 'Ed25519' : 'X25519';
        } else {
          throw notSupported('Unable to import ' + PAIRS[name] + ' key with format raw');
        }
      }
      try {
        der = native.keyFromJwk(kty, crv, parts, isPrivate);
      } catch {
        throw new DOMException('Invalid keyData', 'DataError');
      }
    } else {
      throw notSupported('Unable to import ' + PAIRS[name] + ' key with format ' + format);
    }
    checkPairUsages(name, usages, pairUsages(name, isPrivate), false);
    if (isPrivate && usages.length === 0) {
      throw new DOMException('Usages cannot be empty when importing a private key.', 'SyntaxError');
    }
    return makePairKey(pairAlgorithm(name, algorithm, der, isPrivate), der, isPrivate, extractable, usages);
  }
  const JWS_HASH = { 'SHA-1': '1', 'SHA-256': '256', 'SHA-384': '384', 'SHA-512': '512' };
  function exportPairKey(format, slot) {
    const name = call(StringPrototypeToUpperCase, slot.algorithm.name);
    if (format === 'spki' || format === 'pkcs8') {
      if ((format === 'pkcs8') !== slot.isPrivate) {
        throw new DOMException('Unable to export a ' + slot.type + ' key as ' + format, 'InvalidAccessError');
      }
      return call(TypedArrayPrototypeSlice, native.keyWrite(slot.der, slot.isPrivate, format, false)).buffer;
    }
    const parts = native.keyJwk(slot.der, slot.isPrivate);
    const members = {};
    for (let i = 0; i < parts.length; i += 2) members[parts[i]] = parts[i + 1];
    if (format === 'raw') {
      if (name === 'RSA-OAEP') {
        throw new DOMException('Unable to export a raw RSA-OAEP ' + slot.type + ' key', 'InvalidAccessError');
      }
      if (slot.isPrivate || name === 'RSASSA-PKCS1-V1_5' || name === 'RSA-PSS') {
        throw new DOMException('Unable to export a ' + slot.type + ' key as raw', 'InvalidAccessError');
      }
      if (name === 'ED25519' || name === 'X25519') return call(TypedArrayPrototypeSlice, members.x).buffer;
      const point = new Uint8ArrayCtor(1 + members.x.byteLength + members.y.byteLength);
      point[0] = 4;
      call(TypedArraySet, point, members.x, 1);
      call(TypedArraySet, point, members.y, 1 + members.x.byteLength);
      return point.buffer;
    }
    if (format !== 'jwk') throw notSupported('Unable to export a key as ' + format);
    // Members in the order Node writes them.
    const jwk = { key_ops: [...slot.usages], ext: true };
    const add = (names) => {
      for (const member of names) if (members[member] !== undefined) jwk[member] = base64url(members[member]);
    };
    if (name === 'ECDSA' || name === 'ECDH') {
      jwk.kty = 'EC';
      add(['x', 'y']);
      jwk.crv = slot.algorithm.namedCurve;
      add(['d']);
    } else if (name === 'ED25519' || name === 'X25519') {
      jwk.crv = name === 'ED25519' ? 'Ed25519' : 'X25519';
      add(['d', 'x']);
      jwk.kty = 'OKP';
      if (name === 'ED25519') jwk.alg = 'Ed25519';
    } else {
      jwk.kty = 'RSA';
      add(['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi']);
      const hash = JWS_HASH[slot.algorithm.hash.name];
      jwk.alg = name !== 'RSA-OAEP' ? (name === 'RSA-PSS' ? 'PS' : 'RS') + hash
        : 'RSA-OAEP' + (hash === '1' ? '' : '-' + hash);
    }
    return jwk;
  }
  function generatePair(name, algorithm, extractable, usages) {
    checkPairUsages(name, usages, [...pairUsages(name, true), ...pairUsages(name, false)], true);
    let der;
    if (name === 'ECDSA' || name === 'ECDH') {
      if (CURVES[algorithm.namedCurve] === undefined) throw notSupported('Unrecognized namedCurve');
      der = native.keyGenerate('ec', 0, 0, algorithm.namedCurve);
    } else if (name === 'ED25519' || name === 'X25519') {
      der = native.keyGenerate(name === 'ED25519' ? 'ed25519' : 'x25519', 0, 0, '');
    } else {
      const exponentBytes = toUint8(algorithm.publicExponent, 'publicExponent');
      let exponent = 0;
      for (let i = 0; i < exponentBytes.byteLength; i++) exponent = exponent * 256 + exponentBytes[i];
      try {
        der = native.keyGenerate('rsa', algorithm.modulusLength, exponent, '');
      } catch (err) {
        throw new DOMException(err.message, 'OperationError');
      }
    }
    // In Node's order of each half's usages, whatever order they were asked in.
    const keep = (allowed) => call(ArrayPrototypeFilter, allowed, (usage) => call(ArrayPrototypeIndexOf, usages, usage) !== -1);
    const privateUsages = keep(pairUsages(name, true));
    if (privateUsages.length === 0) throw new DOMException('Usages cannot be empty when creating a key.', 'SyntaxError');
    return {
      publicKey: makePairKey(pairAlgorithm(name, algorithm, der[1], false), der[1], false, true, keep(pairUsages(name, false))),
      privateKey: makePairKey(pairAlgorithm(name, algorithm, der[0], true), der[0], true, extractable, privateUsages),
    };
  }
  // What `keySign` / `keyVerify` are told for a Web Crypto signature algorithm: digest, RSA
  // padding, PSS salt, and ECDSA's raw r || s.
  function signatureScheme(name, algorithm, slot) {
    if (name === 'ED25519') return ['', 1, -2, 'der'];
    if (name === 'ECDSA') return [nativeHash(hashName(algorithm.hash)), 1, -2, 'ieee-p1363'];
    const hash = nativeHash(slot.algorithm.hash.name);
    if (name === 'RSA-PSS') {
      if (typeof algorithm.saltLength !== 'number') throw new TypeErrorCtor('algorithm.saltLength must be a number');
      return [hash, 6, algorithm.saltLength, 'der'];
    }
    return [hash, 1, -2, 'der'];
  }
  function pairSlot(key, name, usage) {
    const slot = slots(key);
    if (call(StringPrototypeToUpperCase, slot.algorithm.name) !== name || call(ArrayPrototypeIndexOf, slot.usages, usage) === -1) {
      throw new DOMException('Unable to use this key to ' + usage, 'InvalidAccessError');
    }
    return slot;
  }

  function importKey(format, keyData, algorithm, extractable, usages) {
    const name = algorithmName(algorithm);
    if (PAIRS[name] !== undefined) return importPairKey(name, format, keyData, algorithm, extractable, usages);
    checkUsages(name, usages, true);
    let bytes;
    if (format === 'raw') {
      bytes = copyOf(keyData, 'keyData');
    } else if (format === 'jwk' && name !== 'PBKDF2' && name !== 'HKDF') {
      if (keyData === null || typeof keyData !== 'object' || keyData.kty !== 'oct' || typeof keyData.k !== 'string') {
        throw new DOMException('Invalid keyData', 'DataError');
      }
      bytes = fromBase64url(keyData.k);
    } else {
      throw notSupported('Unable to import ' + name + ' key with format ' + format);
    }
    if ((name === 'PBKDF2' || name === 'HKDF') && extractable) {
      throw new DOMException(name + ' keys are not extractable', 'SyntaxError');
    }
    return makeKey(keyAlgorithm(name, algorithm, bytes), bytes, extractable, usages);
  }
  function exportKey(format, key) {
    const slot = slots(key);
    // Node 20 names this one InvalidAccessException.
    if (!slot.extractable) throw new DOMException('key is not extractable', 'InvalidAccessException');
    if (slot.der !== undefined) return exportPairKey(format, slot);
    if (format === 'raw') return call(TypedArrayPrototypeSlice, slot.bytes).buffer;
    if (format !== 'jwk') throw notSupported('Unable to export a raw secret key as ' + format);
    const name = slot.algorithm.name;
    const jwk = { key_ops: [...slot.usages], ext: true, kty: 'oct', k: base64url(slot.bytes) };
    if (name === 'HMAC') jwk.alg = 'HS' + call(StringPrototypeSlice, slot.algorithm.hash.name, 4);
    else jwk.alg = 'A' + slot.algorithm.length + JWK_AES[name];
    return jwk;
  }
  function generateKey(algorithm, extractable, usages) {
    const name = algorithmName(algorithm);
    if (PAIRS[name] !== undefined) return generatePair(name, algorithm, extractable, usages);
    if (name === 'PBKDF2' || name === 'HKDF') throw notSupported('Unable to generate a ' + name + ' key');
    checkUsages(name, usages, false);
    let length = algorithm.length;
    if (name === 'HMAC') {
      const hash = hashName(algorithm.hash);
      if (length === undefined) length = HASH_BLOCK[hash] * 8;
      const bytes = new Uint8ArrayCtor(MathCeil(length / 8));
      native.randomFill(bytes);
      // In Node's key order for a generated key.
      return makeKey({ name, length, hash: { name: hash } }, bytes, extractable, usages);
    }
    if (length !== 128 && length !== 192 && length !== 256) {
      throw new DOMException('AES key length must be 128, 192, or 256 bits', 'OperationError');
    }
    const bytes = new Uint8ArrayCtor(length / 8);
    native.randomFill(bytes);
    return makeKey(keyAlgorithm(name, algorithm, bytes), bytes, extractable, usages);
  }
  function usable(key, name, usage) {
    const slot = slots(key);
    if (slot.algorithm.name !== name || call(ArrayPrototypeIndexOf, slot.usages, usage) === -1) {
      throw new DOMException('Unable to use this key to ' + usage, 'InvalidAccessError');
    }
    return slot;
  }
  function sign(algorithm, key, data) {
    const name = algorithmName(algorithm);
    if (SIGNATURES[name] !== undefined) {
      const slot = pairSlot(key, name, 'sign');
      const [hash, padding, salt, encoding] = signatureScheme(name, algorithm, slot);
      const signature = native.keySign(slot.der, true, toUint8(data, 'data'), hash, padding, salt, encoding);
      return call(TypedArrayPrototypeSlice, signature).buffer;
    }
    if (name !== 'HMAC') throw notSupported('Unable to sign with ' + name);
    const slot = usable(key, name, 'sign');
    return hmac(slot.algorithm.hash.name, slot.bytes, toUint8(data, 'data')).buffer;
  }
  function verify(algorithm, key, signature, data) {
    const name = algorithmName(algorithm);
    if (SIGNATURES[name] !== undefined) {
      const slot = pairSlot(key, name, 'verify');
      const [hash, padding, salt, encoding] = signatureScheme(name, algorithm, slot);
      return native.keyVerify(slot.der, false, toUint8(data, 'data'), toUint8(signature, 'signature'),
        hash, padding, salt, encoding);
    }
    if (name !== 'HMAC') throw notSupported('Unable to verify with ' + name);
    const slot = usable(key, name, 'verify');
    const expected = hmac(slot.algorithm.hash.name, slot.bytes, toUint8(data, 'data'));
    const given = toUint8(signature, 'signature');
    if (given.byteLength !== expected.byteLength) return false;
    let diff = 0;
    for (let i = 0; i < given.byteLength; i++) diff |= given[i] ^ expected[i];
    return diff === 0;
  }
  // CTR over any length: whole blocks natively, the tail through one more key-stream block.
  function ctr(key, counter, data, inc32) {
    const whole = data.byteLength - (data.byteLength % 16);
    const out = new Uint8ArrayCtor(data.byteLength);
    if (whole > 0) native.aesCtr(key, counter, data.subarray(0, whole), out.subarray(0, whole), inc32);
    if (whole < data.byteLength) {
      const stream = new Uint8ArrayCtor(16);
      native.aesCtr(key, counter, new Uint8ArrayCtor(16), stream, inc32);
      for (let i = whole; i < data.byteLength; i++) out[i] = data[i] ^ stream[i - whole];
    }
    return out;
  }
  function gcm(slot, params, data, decrypt) {
    const iv = toUint8(params.iv, 'iv');
    const tagLength = params.tagLength === undefined ? 128 : params.tagLength;
    if (call(ArrayPrototypeIndexOf, [32, 64, 96, 104, 112, 120, 128], tagLength) === -1) {
      throw new DOMException(tagLength + ' is not a valid AES-GCM tag length', 'OperationError');
    }
    if (iv.byteLength === 0) throw new DOMException('Invalid initialization vector', 'OperationError');
    const aad = params.additionalData === undefined ? new Uint8ArrayCtor(0) : toUint8(params.additionalData, 'additionalData');
    const j0 = new Uint8ArrayCtor(16);
    native.aesGcmJ0(slot.bytes, iv, j0);
    const counter = call(TypedArrayPrototypeSlice, j0);
    for (let i = 15; i >= 12; i--) {
      counter[i] = (counter[i] + 1) & 0xff;
      if (counter[i] !== 0) break;
    }
    const tagBytes = tagLength / 8;
    const text = decrypt ? data.subarray(0, data.byteLength - tagBytes) : data;
    if (decrypt && data.byteLength < tagBytes) throw new DOMException('The provided data is too small.', 'OperationError');
    const tag = new Uint8ArrayCtor(16);
    if (decrypt) {
      native.aesGcmTag(slot.bytes, j0, aad, text, tag);
      let diff = 0;
      for (let i = 0; i < tagBytes; i++) diff |= tag[i] ^ data[text.byteLength + i];
      if (diff !== 0) throw new DOMException('The operation failed for an operation-specific reason', 'OperationError');
      return ctr(slot.bytes, counter, text, true);
    }
    const sealed = ctr(slot.bytes, counter, text, true);
    native.aesGcmTag(slot.bytes, j0, aad, sealed, tag);
    const out = new Uint8ArrayCtor(sealed.byteLength + tagBytes);
    call(TypedArraySet, out, sealed, 0);
    call(TypedArraySet, out, tag.subarray(0, tagBytes), sealed.byteLength);
    return out;
  }
  function cbc(slot, params, data, decrypt) {
    const iv = copyOf(params.iv, 'iv');
    if (iv.byteLength !== 16) throw new DOMException('algorithm.iv must contain exactly 16 bytes', 'OperationError');
    if (!decrypt) {
      const pad = 16 - (data.byteLength % 16);
      const padded = new Uint8ArrayCtor(data.byteLength + pad).fill(pad);
      call(TypedArraySet, padded, data, 0);
      const out = new Uint8ArrayCtor(padded.byteLength);
      native.aesCbc(slot.bytes, iv, padded, out, false);
      return out;
    }
    const failed = () => new DOMException('The operation failed for an operation-specific reason', 'OperationError');
    if (data.byteLength === 0 || data.byteLength % 16 !== 0) throw failed();
    const out = new Uint8ArrayCtor(data.byteLength);
    native.aesCbc(slot.bytes, iv, data, out, true);
    const pad = out[out.byteLength - 1];
    if (pad < 1 || pad > 16) throw failed();
    for (let i = out.byteLength - pad; i < out.byteLength; i++) if (out[i] !== pad) throw failed();
    return out.subarray(0, out.byteLength - pad);
  }
  function ctrMode(slot, params, data) {
    const counter = copyOf(params.counter, 'counter');
    const length = params.length;
    if (counter.byteLength !== 16) throw new DOMException('algorithm.counter must contain exactly 16 bytes', 'OperationError');
    if (typeof length !== 'number' || length < 1 || length > 128) {
      throw new DOMException('algorithm.length must be between 1 and 128', 'OperationError');
    }
    // The counter's low `length` bits must not wrap within this message (a 128-bit increment
    // is then the same thing).
    if (length < 53) {
      let low = 0;
      for (let i = 0; i < 7; i++) low += counter[15 - i] * 2 ** (8 * i);
      low %= 2 ** length;
      if (low + MathCeil(data.byteLength / 16) > 2 ** length) {
        throw new DOMException('The counter would wrap within this message', 'OperationError');
      }
    }
    return ctr(slot.bytes, counter, data, false);
  }
  // RSA-OAEP with the key's digest and the algorithm's label; a failure says no more than
  // Web Crypto's OperationError.
  function oaep(algorithm, key, data, decrypt) {
    if (slots(key).der !== undefined && slots(key).isPrivate !== decrypt) {
      throw new DOMException('The requested operation is not valid for the provided key', 'InvalidAccessError');
    }
    const slot = pairSlot(key, 'RSA-OAEP', decrypt ? 'decrypt' : 'encrypt');
    const label = algorithm.label === undefined ? undefined : copyOf(algorithm.label, 'label');
    try {
      return call(TypedArrayPrototypeSlice, native.keyCrypt(slot.der, slot.isPrivate, decrypt ? 1 : 0,
        toUint8(data, 'data'), 4, nativeHash(slot.algorithm.hash.name), label)).buffer;
    } catch {
      throw new DOMException('The operation failed for an operation-specific reason', 'OperationError');
    }
  }
  function crypt(algorithm, key, data, decrypt) {
    const name = algorithmName(algorithm);
    if (name === 'RSA-OAEP') return oaep(algorithm, key, data, decrypt);
    const slot = usable(key, name, decrypt ? 'decrypt' : 'encrypt');
    const bytes = toUint8(data, 'data');
    const out = name === 'AES-GCM' ? gcm(slot, algorithm, bytes, decrypt)
      : name === 'AES-CBC' ? cbc(slot, algorithm, bytes, decrypt)
        : name === 'AES-CTR' ? ctrMode(slot, algorithm, bytes) : undefined;
    if (out === undefined) throw notSupported('Unable to ' + (decrypt ? 'decrypt' : 'encrypt') + ' with ' + name);
    return call(TypedArrayPrototypeSlice, out).buffer;
  }
  // ECDH's shared secret (the x coordinate) or X25519's, cut to `length` bits (the bits past
  // it in the last byte zeroed, as Node does); `null` for all of it.
  function ecdhBits(algorithm, baseKey, length, usage) {
    const publicKey = algorithm.public;
    if (publicKey === undefined) {
      throw new TypeErrorCtor("Failed to normalize algorithm: passed algorithm can not be converted to " +
        "'EcdhKeyDeriveParams' because 'public' is required in 'EcdhKeyDeriveParams'.");
    }
    const mine = slots(baseKey);
    if (call(ArrayPrototypeIndexOf, mine.usages, usage) === -1) {
      throw new DOMException('baseKey does not have ' + usage + ' usage', 'InvalidAccessError');
    }
    const theirs = slots(publicKey);
    const agreeing = (slot) => slot.algorithm.name === 'ECDH' || slot.algorithm.name === 'X25519';
    if (!agreeing(theirs) || !agreeing(mine)) {
      throw new DOMException('Keys must be ECDH, X25519, or X448 keys', 'InvalidAccessError');
    }
    if (theirs.algorithm.name !== mine.algorithm.name) {
      throw new DOMException('The public and private keys must be of the same type', 'InvalidAccessError');
    }
    if (theirs.type !== 'public') throw new DOMException('algorithm.public must be a public key', 'InvalidAccessError');
    if (!mine.isPrivate) throw new DOMException('baseKey must be a private key', 'InvalidAccessError');
    if (theirs.algorithm.namedCurve !== mine.algorithm.namedCurve) {
      throw new DOMException('Named curve mismatch', 'InvalidAccessError');
    }
    let bits;
    try {
      bits = native.keyAgree(mine.der, true, theirs.der, false);
    } catch {
      throw new DOMException('Failed to derive a shared secret', 'OperationError');
    }
    if (length === null || length === undefined) return bits.buffer;
    const bytes = MathCeil(length / 8);
    if (bits.byteLength < bytes) throw new DOMException('derived bit length is too small', 'OperationError');
    const out = call(TypedArrayPrototypeSlice, bits, 0, bytes);
    if (length % 8 !== 0) out[bytes - 1] &= (0xff << (8 - (length % 8))) & 0xff;
    return out.buffer;
  }
  function deriveBits(algorithm, baseKey, length) {
    const name = algorithmName(algorithm);
    if (name === 'ECDH' || name === 'X25519') return ecdhBits(algorithm, baseKey, length, 'deriveBits');
    const slot = usable(baseKey, name, 'deriveBits');
    if (typeof length !== 'number' || length <= 0 || length % 8 !== 0) {
      throw new DOMException('length must be a positive multiple of 8', 'OperationError');
    }
    const hash = hashName(algorithm.hash);
    const out = new Uint8ArrayCtor(length / 8);
    const salt = toUint8(algorithm.salt, 'salt');
    if (name === 'PBKDF2') {
      if (!(algorithm.iterations > 0)) throw new DOMException('iterations cannot be zero', 'OperationError');
      native.pbkdf2(nativeHash(hash), slot.bytes, salt, algorithm.iterations, out);
    } else if (name === 'HKDF') {
      if (out.byteLength > 255 * DIGESTS[hash]) throw new DOMException('Invalid key length', 'OperationError');
      native.hkdf(nativeHash(hash), slot.bytes, salt, toUint8(algorithm.info, 'info'), out);
    } else {
      throw notSupported('Unable to derive bits with ' + name);
    }
    return out.buffer;
  }
  function deriveKey(algorithm, baseKey, derived, extractable, usages) {
    const name = algorithmName(algorithm);
    const agreement = name === 'ECDH' || name === 'X25519';
    if (!agreement) usable(baseKey, name, 'deriveKey');
    const target = algorithmName(derived);
    const length = target === 'HMAC'
      ? (derived.length === undefined ? HASH_BLOCK[hashName(derived.hash)] * 8 : derived.length)
      : derived.length;
    const slot = slots(baseKey);
    const bits = agreement ? ecdhBits(algorithm, baseKey, length, 'deriveKey')
      : deriveBits(algorithm, makeKey(slot.algorithm, slot.bytes, false, ['deriveBits']), length);
    return importKey('raw', bits, derived, extractable, usages);
  }
  // Each method answers with a promise, errors included.
  const promising = (fn) => function (...args) {
    try {
      return PromiseResolve(ReflectApply(fn, undefined, args));
    } catch (err) {
      return PromiseReject(err);
    }
  };

  // Crypto and SubtleCrypto as classes, as Node's: one instance each, the methods on their
  // prototypes; `new` of either is refused.
  const cryptoKey = Symbol('crypto');
  const illegal = () => {
    const err = new TypeErrorCtor('Illegal constructor');
    err.code = 'ERR_ILLEGAL_CONSTRUCTOR';
    return err;
  };
  const invalidThis = (type) => {
    const err = new TypeErrorCtor('Value of "this" must be of type ' + type);
    err.code = 'ERR_INVALID_THIS';
    return err;
  };
  class SubtleCrypto {
    constructor(key) {
      if (key !== cryptoKey) throw illegal();
    }
  }
  toStringTag(SubtleCrypto, 'SubtleCrypto');
  const subtleMethods = {
    digest(algorithm, data) {
      try {
        const name = typeof algorithm === 'object' && algorithm !== null ? algorithm.name : algorithm;
        const key = call(StringPrototypeToLowerCase, StringCtor(name));
        const canonical = key === 'sha-1' ? 'SHA-1' : key === 'sha-256' ? 'SHA-256'
          : key === 'sha-384' ? 'SHA-384' : key === 'sha-512' ? 'SHA-512' : undefined;
        if (canonical === undefined) {
          return PromiseReject(new DOMException('Unrecognized algorithm name', 'NotSupportedError'));
        }
        const out = new Uint8ArrayCtor(DIGESTS[canonical]);
        native.digest(canonical, toUint8(data, 'data'), out);
        return PromiseResolve(out.buffer);
      } catch (err) {
        return PromiseReject(err);
      }
    },
    importKey: promising(importKey),
    exportKey: promising(exportKey),
    generateKey: promising(generateKey),
    sign: promising(sign),
    verify: promising(verify),
    encrypt: promising((algorithm, key, data) => crypt(algorithm, key, data, false)),
    decrypt: promising((algorithm, key, data) => crypt(algorithm, key, data, true)),
    deriveBits: promising(deriveBits),
    deriveKey: promising(deriveKey),
    wrapKey: promising(() => { throw notSupported('wrapKey is not supported in secure-exec'); }),
    unwrapKey: promising(() => { throw notSupported('unwrapKey is not supported in secure-exec'); }),
  };
  for (const name of ObjectKeys(subtleMethods)) {
    ObjectDefineProperty(SubtleCrypto.prototype, name, { value: subtleMethods[name], writable: true,
      enumerable: true, configurable: true });
  }
  const subtle = new SubtleCrypto(cryptoKey);

  class Crypto {
    constructor(key) {
      if (key !== cryptoKey) throw illegal();
    }
    get subtle() {
      if (!(this instanceof Crypto)) throw invalidThis('Crypto');
      return subtle;
    }
    getRandomValues(array) {
      if (!(this instanceof Crypto)) throw invalidThis('Crypto');
      return getRandomValues(array);
    }
    randomUUID() {
      if (!(this instanceof Crypto)) throw invalidThis('Crypto');
      return randomUUID();
    }
  }
  toStringTag(Crypto, 'Crypto');
  for (const name of ['subtle', 'getRandomValues', 'randomUUID']) {
    ObjectDefineProperty(Crypto.prototype, name, { enumerable: true });
  }
  const crypto = new Crypto(cryptoKey);

  function now() {
    return native.now();
  }
  // ---------------------------------------------------------------- performance timeline
  // performance.mark / measure and PerformanceObserver, for marks and measures (the entry
  // types a sandboxed session can honestly give). Entries stay until cleared, on the
  // session's own heap.
  const timeline = [];
  const observers = [];
  class PerformanceEntry {
    #name;
    #type;
    #start;
    #duration;
    #detail;
    constructor(name, type, start, duration, detail) {
      this.#name = name;
      this.#type = type;
      this.#start = start;
      this.#duration = duration;
      this.#detail = detail;
    }
    get name() { return this.#name; }
    get entryType() { return this.#type; }
    get startTime() { return this.#start; }
    get duration() { return this.#duration; }
    get detail() { return this.#detail; }
    toJSON() {
      return { name: this.#name, entryType: this.#type, startTime: this.#start, duration: this.#duration,
        detail: this.#detail };
    }
  }
  toStringTag(PerformanceEntry, 'PerformanceEntry');
  class PerformanceMark extends PerformanceEntry {}
  toStringTag(PerformanceMark, 'PerformanceMark');
  class PerformanceMeasure extends PerformanceEntry {}
  toStringTag(PerformanceMeasure, 'PerformanceMeasure');
  const byStart = (a, b) => a.startTime - b.startTime;
  const select = (entries, name, type) => {
    const out = [];
    for (const entry of entries) {
      if ((name === undefined || entry.name === name) && (type === undefined || entry.entryType === type)) {
        out[out.length] = entry;
      }
    }
    return call(ArrayPrototypeSort, out, byStart);
  };
  class PerformanceObserverEntryList {
    #entries;
    constructor(entries) { this.#entries = entries; }
    getEntries() { return select(this.#entries); }
    getEntriesByName(name, type) { return select(this.#entries, StringCtor(name), type); }
    getEntriesByType(type) { return select(this.#entries, undefined, StringCtor(type)); }
  }
  toStringTag(PerformanceObserverEntryList, 'PerformanceObserverEntryList');
  const SUPPORTED_TYPES = ObjectFreeze(['mark', 'measure']);
  class PerformanceObserver {
    #callback;
    #types = [];
    #queue = [];
    #scheduled = false;
    constructor(callback) {
      if (typeof callback !== 'function') {
        throw new TypeErrorCtor('The "callback" argument must be of type function');
      }
      this.#callback = callback;
    }
    static get supportedEntryTypes() { return SUPPORTED_TYPES; }
    observe(options = {}) {
      const types = options.entryTypes !== undefined ? options.entryTypes : [options.type];
      this.#types = [];
      for (const type of types) {
        if (call(ArrayPrototypeIndexOf, SUPPORTED_TYPES, type) !== -1) this.#types[this.#types.length] = type;
      }
      if (call(ArrayPrototypeIndexOf, observers, this) === -1) observers[observers.length] = this;
      if (options.buffered) for (const entry of timeline) this.enqueue(entry);
    }
    disconnect() {
      const at = call(ArrayPrototypeIndexOf, observers, this);
      if (at !== -1) call(ArrayPrototypeSplice, observers, at, 1);
      this.#queue = [];
    }
    takeRecords() {
      const records = this.#queue;
      this.#queue = [];
      return records;
    }
    enqueue(entry) {
      if (call(ArrayPrototypeIndexOf, this.#types, entry.entryType) === -1) return;
      this.#queue[this.#queue.length] = entry;
      if (this.#scheduled) return;
      this.#scheduled = true;
      // Delivered a macrotask later, as Node's.
      globalObject.setTimeout(() => {
        this.#scheduled = false;
        const records = this.takeRecords();
        if (records.length > 0) call(this.#callback, this, new PerformanceObserverEntryList(records), this);
      }, 0);
    }
  }
  toStringTag(PerformanceObserver, 'PerformanceObserver');
  function record(entry) {
    timeline[timeline.length] = entry;
    for (const observer of [...observers]) observer.enqueue(entry);
    return entry;
  }
  function markTime(name) {
    if (typeof name === 'number') return name;
    let found;
    for (const entry of timeline) if (entry.entryType === 'mark' && entry.name === name) found = entry;
    if (found === undefined) {
      throw new DOMException('The "' + name + '" performance mark has not been set', 'SyntaxError');
    }
    return found.startTime;
  }
  function mark(name, options = {}) {
    if (arguments.length === 0) throw new TypeErrorCtor('The "name" argument must be specified');
    const start = options.startTime === undefined ? now() : Number(options.startTime);
    const detail = options.detail === undefined ? null : structuredClone(options.detail);
    return record(new PerformanceMark(StringCtor(name), 'mark', start, 0, detail));
  }
  function measure(name, startOrOptions, endMark) {
    let start = 0;
    let end;
    let detail = null;
    if (startOrOptions !== null && typeof startOrOptions === 'object') {
      const { start: from, end: to, duration } = startOrOptions;
      if (startOrOptions.detail !== undefined) detail = structuredClone(startOrOptions.detail);
      if (from !== undefined) start = markTime(from);
      if (to !== undefined) end = markTime(to);
      else if (duration !== undefined) end = start + Number(duration);
      if (from === undefined && to !== undefined && duration !== undefined) start = end - Number(duration);
    } else if (startOrOptions !== undefined) {
      start = markTime(startOrOptions);
    }
    if (endMark !== undefined) end = markTime(endMark);
    if (end === undefined) end = now();
    return record(new PerformanceMeasure(StringCtor(name), 'measure', start, end - start, detail));
  }
  function clear(type, name) {
    for (let i = timeline.length - 1; i >= 0; i--) {
      if (timeline[i].entryType === type && (name === undefined || timeline[i].name === StringCtor(name))) {
        call(ArrayPrototypeSplice, timeline, i, 1);
      }
    }
  }

  let timeOrigin;
  const performanceMembers = {
    now,
    get timeOrigin() {
      if (timeOrigin === undefined) timeOrigin = DateNow() - now();
      return timeOrigin;
    },
    toJSON() { return { timeOrigin: this.timeOrigin }; },
    mark,
    measure,
    getEntries: () => select(timeline),
    getEntriesByName: (name, type) => select(timeline, StringCtor(name), type),
    getEntriesByType: (type) => select(timeline, undefined, StringCtor(type)),
    clearMarks: (name) => clear('mark', name),
    clearMeasures: (name) => clear('measure', name),
    // A wrapper that runs `fn`; no 'function' entries are made (not an observed type here).
    timerify: (fn) => {
      if (typeof fn !== 'function') throw new TypeErrorCtor('The "fn" argument must be of type function');
      return function timerified(...args) {
        return new.target ? ReflectConstruct(fn, args, new.target) : ReflectApply(fn, this, args);
      };
    },
  };
  // Performance as Node's: an EventTarget, its one instance `performance`, members on the
  // prototype.
  const performanceKey = Symbol('performance');
  class Performance extends EventTarget {
    constructor(key) {
      if (key !== performanceKey) throw illegal();
      super();
    }
  }
  for (const name of ObjectKeys(performanceMembers)) {
    const descriptor = ObjectGetOwnPropertyDescriptor(performanceMembers, name);
    descriptor.enumerable = true;
    ObjectDefineProperty(Performance.prototype, name, descriptor);
  }
  toStringTag(Performance, 'Performance');
  const performance = new Performance(performanceKey);
  // Resource timing entries come from fetches a browser makes; none are made here.
  class PerformanceResourceTiming extends PerformanceEntry {
    constructor() {
      throw illegal();
    }
  }
  toStringTag(PerformanceResourceTiming, 'PerformanceResourceTiming');

  // `events.getEventListeners(target, type)`: the listeners an EventTarget holds.
  function eventListeners(target, type) {
    const map = call(WeakMapGet, listenersOf, target);
    const list = map === undefined ? undefined : call(MapPrototypeGet, map, StringCtor(type));
    const out = [];
    if (list !== undefined) for (let i = 0; i < list.length; i++) out[i] = list[i].listener;
    return out;
  }

  return {
    DOMException, Event, CustomEvent, EventTarget, AbortController, AbortSignal, TextEncoder, TextDecoder,
    Navigator, navigator,
    URL, URLSearchParams, atob, btoa, structuredClone, crypto, CryptoKey, performance, eventListeners, inspectFields,
    PerformanceEntry, PerformanceMark, PerformanceMeasure, PerformanceObserver, PerformanceObserverEntryList,
    Crypto, SubtleCrypto, Performance, PerformanceResourceTiming, resolveObjectURL,
  };
})
