// The guest's network: fetch (with Headers, Request, Response, FormData, Blob), the
// `node:http` and `node:https` clients, and `dns.lookup`. Loaded with the module loader on first
// use (node.js).
//
// The worker opens no socket: every request is a few host calls on one handle (`netCall`:
// UPLOAD, FETCH, READ, CLOSE), made by the host under the session's network policy. A response
// body is read one piece per READ, when the guest asks for it, so the host reads the server no
// faster than the guest consumes.
(function net(native, deps) {
  'use strict';

  // `require` of `buffer`, `events` and `stream` waits for the first http request: the stream
  // module itself looks for the `Blob` global, which is defined here.
  const { netAsync, web, process, setTimeout, clearTimeout, concat } = deps;
  const { URL, URLSearchParams, TextEncoder, TextDecoder, DOMException, AbortController } = web;
  // The WHATWG streams library (npm), loaded only when a stream is asked for: `await
  // response.json()` reads the body straight from the host without one.
  let streamsModule;
  function streams() {
    if (streamsModule === undefined) streamsModule = deps.streams();
    return streamsModule;
  }
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectFreeze = Object.freeze;
  const ObjectKeys = Object.keys;
  const ArrayIsArray = Array.isArray;
  const ArrayBufferIsView = ArrayBuffer.isView;
  const StringCtor = String;
  const TypeErrorCtor = TypeError;
  const ErrorCtor = Error;
  const PromiseCtor = Promise;
  const Uint8ArrayCtor = Uint8Array;
  const ArrayBufferCtor = ArrayBuffer;
  const SymbolIterator = Symbol.iterator;
  const SymbolToStringTag = Symbol.toStringTag;
  const JSONParse = JSON.parse;
  const JSONStringify = JSON.stringify;

  const OP = { UPLOAD: 1, FETCH: 2, READ: 3, CLOSE: 4, LOOKUP: 5 };
  const REDIRECT = { follow: 0, manual: 1, error: 2 };
  const CHUNK = native.hostChunk;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  function toStringTag(Ctor, tag) {
    ObjectDefineProperty(Ctor.prototype, SymbolToStringTag, { value: tag, configurable: true });
  }

  function coded(Ctor, code, message) {
    const err = new Ctor(message);
    err.code = code;
    return err;
  }

  // ---------------------------------------------------------------- host calls
  let lastHandle = 0;

  function netCall(op, handle, method, url, headers, body, redirect, raw) {
    return new PromiseCtor((resolve) => {
      netAsync([op, handle, method, url, headers, body, redirect, raw], resolve);
    });
  }

  function replyError(reply) {
    const err = new ErrorCtor(reply.message);
    err.code = reply.error;
    if (reply.error === 'ENOTFOUND') {
      err.errno = -3008;
      err.syscall = 'getaddrinfo';
    }
    return err;
  }

  function takeBytes(reply) {
    const bytes = new Uint8ArrayCtor(reply.size);
    if (reply.size > 0) native.takeData(reply.id, bytes);
    return bytes;
  }

  // Sends a request; resolves with its handle and the response's head. `body` is bytes or
  // undefined; bodies larger than one call travel in UPLOAD pieces first.
  async function send(method, url, headers, body, redirect, raw, onHandle) {
    const handle = ++lastHandle;
    if (onHandle !== undefined) onHandle(handle);
    let last = body;
    if (body !== undefined && body.length > CHUNK) {
      let offset = 0;
      while (body.length - offset > CHUNK) {
        const reply = await netCall(OP.UPLOAD, handle, '', '', undefined,
          body.subarray(offset, offset + CHUNK), 0, false);
        if (reply.error !== undefined) throw replyError(reply);
        offset += CHUNK;
      }
      last = body.subarray(offset);
    }
    const reply = await netCall(OP.FETCH, handle, method, url, headers, last, redirect, raw);
    if (reply.error !== undefined) throw replyError(reply);
    return { handle, head: reply };
  }

  // The next piece of a response body: `{ bytes, eof }`.
  async function read(handle) {
    const reply = await netCall(OP.READ, handle, '', '', undefined, undefined, 0, false);
    if (reply.error !== undefined) throw replyError(reply);
    return { bytes: takeBytes(reply), eof: reply.eof === true };
  }

  function close(handle) {
    netCall(OP.CLOSE, handle, '', '', undefined, undefined, 0, false);
  }

  // ---------------------------------------------------------------- bodies
  function toBytes(view) {
    if (view instanceof ArrayBufferCtor) return new Uint8ArrayCtor(view);
    return new Uint8ArrayCtor(view.buffer, view.byteOffset, view.byteLength);
  }

  function streamOfBytes(bytes) {
    return new (streams().ReadableStream)({
      type: 'bytes',
      start(controller) {
        if (bytes.length > 0) controller.enqueue(bytes.slice());
        controller.close();
      },
    });
  }

  // A response body from the host: pulled one piece per read, closed when cancelled.
  function streamOfHandle(handle, signal) {
    let done = false;
    const stream = new (streams().ReadableStream)({
      async pull(controller) {
        try {
          const { bytes, eof } = await read(handle);
          if (bytes.length > 0) controller.enqueue(bytes);
          if (eof) {
            done = true;
            controller.close();
          }
        } catch (err) {
          done = true;
          controller.error(signal !== undefined && signal.aborted ? signal.reason : err);
        }
      },
      cancel() {
        if (!done) close(handle);
        done = true;
      },
    }, { highWaterMark: 0 });
    if (signal !== undefined) {
      signal.addEventListener('abort', () => {
        if (done) return;
        done = true;
        close(handle);
      }, { once: true });
    }
    return stream;
  }

  // What a body init becomes: bytes (or a stream) and the content type it implies.
  function extractBody(init) {
    if (init === null || init === undefined) return { bytes: null, stream: null, type: null };
    if (typeof init === 'string') {
      return { bytes: encoder.encode(init), stream: null, type: 'text/plain;charset=UTF-8' };
    }
    if (init instanceof URLSearchParams) {
      return { bytes: encoder.encode(init.toString()), stream: null,
        type: 'application/x-www-form-urlencoded;charset=UTF-8' };
    }
    if (init instanceof ArrayBufferCtor || ArrayBufferIsView(init)) {
      return { bytes: toBytes(init).slice(), stream: null, type: null };
    }
    if (init instanceof Blob) {
      return { bytes: blobBytes(init).slice(), stream: null, type: init.type || null };
    }
    if (init instanceof FormData) return encodeFormData(init);
    if (typeof init === 'object' && typeof init.getReader === 'function') {
      return { bytes: null, stream: init, type: null };
    }
    if (typeof init === 'object' && typeof init[Symbol.asyncIterator] === 'function') {
      return { bytes: null, stream: streams().ReadableStream.from(init), type: null };
    }
    return { bytes: encoder.encode(StringCtor(init)), stream: null, type: 'text/plain;charset=UTF-8' };
  }

  const bodies = new WeakMap();

  // The Body mixin: `body`, `bodyUsed`, and the readers.
  class BodyMixin {
    get body() {
      const state = bodies.get(this);
      if (state.stream === null && state.bytes !== null) state.stream = streamOfBytes(state.bytes);
      if (state.stream === null && state.handle !== undefined) {
        state.stream = state.used ? streamOfBytes(new Uint8ArrayCtor(0)) : streamOfHandle(state.handle, state.signal);
        if (state.used) state.stream.getReader();
        state.handle = undefined;
      }
      return state.stream;
    }
    get bodyUsed() {
      const state = bodies.get(this);
      return state.used || (state.stream !== null && state.stream.locked && state.bytes === null);
    }
    async arrayBuffer() {
      const bytes = await consume(this);
      return bytes.buffer.byteLength === bytes.length && bytes.byteOffset === 0
        ? bytes.buffer : bytes.slice().buffer;
    }
    async bytes() { return consume(this); }
    async text() { return decoder.decode(await consume(this)); }
    async json() { return JSONParse(decoder.decode(await consume(this))); }
    async blob() {
      const type = this.headers.get('content-type') || '';
      return new Blob([await consume(this)], { type });
    }
    async formData() {
      const type = this.headers.get('content-type') || '';
      const text = decoder.decode(await consume(this));
      if (type.startsWith('application/x-www-form-urlencoded')) {
        const form = new FormData();
        for (const [name, value] of new URLSearchParams(text)) form.append(name, value);
        return form;
      }
      throw coded(TypeErrorCtor, 'ERR_NOT_SUPPORTED',
        'formData() reads only application/x-www-form-urlencoded bodies in secure-exec');
    }
  }

  async function consume(owner) {
    const state = bodies.get(owner);
    if (unusable(state)) throw new TypeErrorCtor('Body is unusable: Body has already been read');
    state.used = true;
    if (state.stream === null && state.handle !== undefined) return drain(state.handle, state.signal);
    if (state.stream === null) return state.bytes === null ? new Uint8ArrayCtor(0) : state.bytes;
    return readAll(state.stream);
  }

  // Every byte of a stream (strings encoded as UTF-8).
  async function readAll(stream) {
    const reader = stream.getReader();
    const chunks = [];
    let total = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const chunk = typeof value === 'string' ? encoder.encode(value) : toBytes(value);
      chunks.push(chunk);
      total += chunk.length;
    }
    return concat(chunks, total);
  }

  // A response body read whole, straight from the host.
  async function drain(handle, signal) {
    let closed = false;
    const onAbort = () => {
      if (!closed) close(handle);
      closed = true;
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const chunks = [];
    let total = 0;
    try {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        let piece;
        try {
          piece = await read(handle);
        } catch (err) {
          closed = true;
          throw signal.aborted ? signal.reason : err;
        }
        chunks.push(piece.bytes);
        total += piece.bytes.length;
        if (piece.eof) {
          closed = true;
          return concat(chunks, total);
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  // A body read or being read (its stream locked) cannot be read or cloned again.
  function unusable(state) {
    return state.used || (state.stream !== null && state.stream.locked);
  }

  // The body of a clone of `owner` (`what`: 'Request' or 'Response'): the same bytes, or one
  // branch of its stream, split in two (the other branch stays with `owner`).
  function cloneBody(owner, what) {
    const state = bodies.get(owner);
    if (unusable(state)) throw new TypeErrorCtor(what + '.clone: Body has already been consumed.');
    // A body still at the host becomes a stream, to be split in two.
    if (state.handle !== undefined) void owner.body;
    if (state.stream !== null && state.bytes === null) {
      const [one, two] = state.stream.tee();
      state.stream = one;
      return { bytes: null, stream: two, used: false };
    }
    return { bytes: state.bytes, stream: null, used: false };
  }

  function mixBody(Ctor) {
    for (const key of ['body', 'bodyUsed', 'arrayBuffer', 'bytes', 'text', 'json', 'blob', 'formData']) {
      ObjectDefineProperty(Ctor.prototype, key,
        Object.getOwnPropertyDescriptor(BodyMixin.prototype, key));
    }
  }

  // `set` on a list of [name, value] pairs (Headers, FormData): the new pair takes the place of
  // the first with that name, the others with it go; at the end if there was none.
  function replaceEntries(list, key, value, given) {
    const at = list.findIndex((entry) => entry[0] === key);
    const kept = list.filter((entry) => entry[0] !== key);
    kept.splice(at === -1 ? kept.length : at, 0, given === undefined ? [key, value] : [key, value, given]);
    return kept;
  }

  // ---------------------------------------------------------------- Headers
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const headerLists = new WeakMap();

  function normalizeValue(value) {
    return StringCtor(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  }

  class Headers {
    constructor(init) {
      headerLists.set(this, []);
      if (init === undefined || init === null) return;
      if (init instanceof Headers) {
        for (const [name, value] of headerLists.get(init)) this.append(name, value);
      } else if (typeof init[SymbolIterator] === 'function') {
        for (const pair of init) {
          const entry = [...pair];
          if (entry.length !== 2) {
            throw new TypeErrorCtor('Headers constructor: expected name/value pair to be length 2, found ' + entry.length + '.');
          }
          this.append(entry[0], entry[1]);
        }
      } else if (typeof init === 'object') {
        for (const name of ObjectKeys(init)) this.append(name, init[name]);
      } else {
        throw new TypeErrorCtor("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
      }
    }
    append(name, value) {
      const key = checkName(name);
      value = checkValue(value, name);
      headerLists.get(this).push([key, value, StringCtor(name)]);
    }
    set(name, value) {
      const key = checkName(name);
      value = checkValue(value, name);
      headerLists.set(this, replaceEntries(headerLists.get(this), key, value, StringCtor(name)));
    }
    delete(name) {
      const key = checkName(name);
      headerLists.set(this, headerLists.get(this).filter((entry) => entry[0] !== key));
    }
    get(name) {
      const key = checkName(name);
      const values = headerLists.get(this).filter((e) => e[0] === key).map((e) => e[1]);
      return values.length === 0 ? null : values.join(', ');
    }
    has(name) {
      const key = checkName(name);
      return headerLists.get(this).some((entry) => entry[0] === key);
    }
    getSetCookie() {
      return headerLists.get(this).filter((e) => e[0] === 'set-cookie').map((e) => e[1]);
    }
    forEach(callback, thisArg) {
      for (const [name, value] of this) callback.call(thisArg, value, name, this);
    }
    *entries() {
      const names = [...new Set(headerLists.get(this).map((e) => e[0]))].sort();
      for (const name of names) {
        if (name === 'set-cookie') {
          for (const value of this.getSetCookie()) yield [name, value];
        } else {
          yield [name, this.get(name)];
        }
      }
    }
    *keys() { for (const [name] of this.entries()) yield name; }
    *values() { for (const [, value] of this.entries()) yield value; }
    [SymbolIterator]() { return this.entries(); }
  }
  toStringTag(Headers, 'Headers');
  // As undici shows them: each name as first given, its values joined.
  web.inspectFields(Headers, (headers) => {
    const shown = {};
    const names = new Map();
    for (const [key, value, given] of headerLists.get(headers)) {
      if (!names.has(key)) names.set(key, given === undefined ? key : given);
      const name = names.get(key);
      shown[name] = shown[name] === undefined ? value : shown[name] + ', ' + value;
    }
    return shown;
  });

  function checkName(name) {
    const text = StringCtor(name);
    if (!TOKEN.test(text)) throw new TypeErrorCtor('Headers.append: "' + text + '" is an invalid header name.');
    return text.toLowerCase();
  }

  function checkValue(value, name) {
    const text = normalizeValue(value);
    if (/[\0\r\n]/.test(text)) {
      throw new TypeErrorCtor('Headers.append: "' + text + '" is an invalid header value for "' + name + '".');
    }
    return text;
  }

  function flatHeaders(headers) {
    const flat = [];
    for (const [name, value] of headerLists.get(headers)) flat.push(name, value);
    return flat;
  }

  function headersFromFlat(flat) {
    const headers = new Headers();
    const list = headerLists.get(headers);
    for (let i = 0; i + 1 < flat.length; i += 2) list.push([flat[i].toLowerCase(), flat[i + 1]]);
    return headers;
  }

  // ---------------------------------------------------------------- Blob, File
  const blobParts = new WeakMap();

  function blobBytes(blob) { return blobParts.get(blob); }

  class Blob {
    constructor(parts = [], options = {}) {
      const chunks = [];
      let total = 0;
      for (const part of parts) {
        let bytes;
        if (part instanceof Blob) bytes = blobBytes(part);
        else if (part instanceof ArrayBufferCtor || ArrayBufferIsView(part)) bytes = toBytes(part).slice();
        else bytes = encoder.encode(StringCtor(part));
        chunks.push(bytes);
        total += bytes.length;
      }
      blobParts.set(this, concat(chunks, total));
      const type = options.type === undefined ? '' : StringCtor(options.type);
      ObjectDefineProperty(this, '_type', { value: /^[\x20-\x7e]*$/.test(type) ? type.toLowerCase() : '' });
    }
    get size() { return blobBytes(this).length; }
    get type() { return this._type; }
    async text() { return decoder.decode(blobBytes(this)); }
    async arrayBuffer() { return blobBytes(this).slice().buffer; }
    async bytes() { return blobBytes(this).slice(); }
    slice(start = 0, end = this.size, type = '') {
      const size = this.size;
      const from = start < 0 ? Math.max(size + start, 0) : Math.min(start, size);
      const to = end < 0 ? Math.max(size + end, 0) : Math.min(end, size);
      return new Blob([blobBytes(this).subarray(from, Math.max(from, to))], { type });
    }
    stream() { return streamOfBytes(blobBytes(this)); }
  }
  toStringTag(Blob, 'Blob');
  web.inspectFields(Blob, (blob) => ({ size: blob.size, type: blob.type }));

  class File extends Blob {
    constructor(parts, name, options = {}) {
      super(parts, options);
      ObjectDefineProperty(this, '_name', { value: StringCtor(name) });
      ObjectDefineProperty(this, '_lastModified', {
        value: options.lastModified === undefined ? Date.now() : Number(options.lastModified),
      });
    }
    get name() { return this._name; }
    get lastModified() { return this._lastModified; }
  }
  toStringTag(File, 'File');
  web.inspectFields(File, (file) => ({ size: file.size, type: file.type, name: file.name,
    lastModified: file.lastModified }));

  // ---------------------------------------------------------------- FormData
  const formEntries = new WeakMap();

  function formValue(value, filename) {
    if (value instanceof Blob) {
      if (!(value instanceof File) || filename !== undefined) {
        return new File([value], filename === undefined ? 'blob' : filename, { type: value.type });
      }
      return value;
    }
    return StringCtor(value);
  }

  class FormData {
    constructor(form) {
      if (form !== undefined) throw new TypeErrorCtor('FormData: a form element is not supported');
      formEntries.set(this, []);
    }
    append(name, value, filename) { formEntries.get(this).push([StringCtor(name), formValue(value, filename)]); }
    set(name, value, filename) {
      const key = StringCtor(name);
      formEntries.set(this, replaceEntries(formEntries.get(this), key, formValue(value, filename)));
    }
    get(name) {
      const entry = formEntries.get(this).find((e) => e[0] === StringCtor(name));
      return entry === undefined ? null : entry[1];
    }
    getAll(name) { return formEntries.get(this).filter((e) => e[0] === StringCtor(name)).map((e) => e[1]); }
    has(name) { return formEntries.get(this).some((e) => e[0] === StringCtor(name)); }
    delete(name) { formEntries.set(this, formEntries.get(this).filter((e) => e[0] !== StringCtor(name))); }
    forEach(callback, thisArg) { for (const [name, value] of this) callback.call(thisArg, value, name, this); }
    *entries() { yield* formEntries.get(this).map((entry) => [entry[0], entry[1]]); }
    *keys() { for (const [name] of this.entries()) yield name; }
    *values() { for (const [, value] of this.entries()) yield value; }
    [SymbolIterator]() { return this.entries(); }
  }
  toStringTag(FormData, 'FormData');

  function encodeFormData(form) {
    let boundary = '----formdata-secure-exec-';
    const random = new Uint8ArrayCtor(12);
    web.crypto.getRandomValues(random);
    for (const byte of random) boundary += (byte % 10).toString();
    const escape = (text) => text.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
    const chunks = [];
    let total = 0;
    const push = (bytes) => { chunks.push(bytes); total += bytes.length; };
    for (const [name, value] of form) {
      let head = '--' + boundary + '\r\nContent-Disposition: form-data; name="' + escape(name) + '"';
      if (typeof value === 'string') {
        push(encoder.encode(head + '\r\n\r\n' + value.replace(/\r(?!\n)|(?<!\r)\n/g, '\r\n') + '\r\n'));
      } else {
        head += '; filename="' + escape(value.name) + '"\r\nContent-Type: ' +
          (value.type || 'application/octet-stream') + '\r\n\r\n';
        push(encoder.encode(head));
        push(blobBytes(value));
        push(encoder.encode('\r\n'));
      }
    }
    push(encoder.encode('--' + boundary + '--\r\n'));
    return { bytes: concat(chunks, total), stream: null,
      type: 'multipart/form-data; boundary=' + boundary };
  }

  // ---------------------------------------------------------------- Request, Response
  const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH'];
  const requestState = new WeakMap();

  function normalizeMethod(method) {
    const text = StringCtor(method);
    if (!TOKEN.test(text)) throw new TypeErrorCtor("'" + text + "' is not a valid HTTP method.");
    const upper = text.toUpperCase();
    if (upper === 'CONNECT' || upper === 'TRACE' || upper === 'TRACK') {
      throw new TypeErrorCtor("'" + text + "' HTTP method is unsupported.");
    }
    return METHODS.includes(upper) ? upper : text;
  }

  class Request {
    constructor(input, init = {}) {
      let base;
      if (input instanceof Request) {
        base = requestState.get(input);
      } else {
        let url;
        try {
          url = new URL(StringCtor(input));
        } catch (cause) {
          throw new TypeErrorCtor('Failed to parse URL from ' + StringCtor(input), { cause });
        }
        if (url.username !== '' || url.password !== '') {
          throw new TypeErrorCtor('Request cannot be constructed from a URL that includes credentials: ' + url.href);
        }
        base = { url: url.href, method: 'GET', headers: new Headers(), redirect: 'follow',
          signal: undefined, bodyState: { bytes: null, stream: null, used: false } };
      }
      const method = init.method !== undefined ? normalizeMethod(init.method) : base.method;
      const headers = new Headers(init.headers !== undefined ? init.headers : base.headers);
      const redirect = init.redirect !== undefined ? StringCtor(init.redirect) : base.redirect;
      if (!(redirect in REDIRECT)) {
        throw new TypeErrorCtor("Failed to construct 'Request': The provided value '" + redirect + "' is not a valid enum value of type RequestRedirect.");
      }
      let bodyState = { bytes: base.bodyState.bytes, stream: base.bodyState.stream, used: false };
      if (init.body !== undefined && init.body !== null) {
        if (method === 'GET' || method === 'HEAD') {
          throw new TypeErrorCtor('Request with GET/HEAD method cannot have body.');
        }
        const extracted = extractBody(init.body);
        bodyState = { bytes: extracted.bytes, stream: extracted.stream, used: false };
        if (extracted.type !== null && !headers.has('content-type')) headers.set('content-type', extracted.type);
      }
      const controller = new AbortController();
      const signal = init.signal !== undefined ? init.signal : base.signal;
      if (signal !== undefined && signal !== null) {
        if (signal.aborted) controller.abort(signal.reason);
        else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
      }
      requestState.set(this, { url: base.url, method, headers, redirect, signal: controller.signal, bodyState });
      bodies.set(this, bodyState);
    }
    get url() { return requestState.get(this).url; }
    get method() { return requestState.get(this).method; }
    get headers() { return requestState.get(this).headers; }
    get redirect() { return requestState.get(this).redirect; }
    get signal() { return requestState.get(this).signal; }
    get cache() { return 'default'; }
    get credentials() { return 'same-origin'; }
    get mode() { return 'cors'; }
    get referrer() { return 'about:client'; }
    get keepalive() { return false; }
    get duplex() { return 'half'; }
    get destination() { return ''; }
    get referrerPolicy() { return ''; }
    get integrity() { return ''; }
    get isReloadNavigation() { return false; }
    get isHistoryNavigation() { return false; }
    clone() {
      const body = cloneBody(this, 'Request');
      return new Request(this, { body: body.stream ?? body.bytes ?? undefined });
    }
  }
  mixBody(Request);
  toStringTag(Request, 'Request');
  web.inspectFields(Request, (request) => ({ method: request.method, url: request.url, headers: request.headers,
    destination: request.destination, referrer: request.referrer, referrerPolicy: request.referrerPolicy,
    mode: request.mode, credentials: request.credentials, cache: request.cache, redirect: request.redirect,
    integrity: request.integrity, keepalive: request.keepalive, isReloadNavigation: request.isReloadNavigation,
    isHistoryNavigation: request.isHistoryNavigation, signal: request.signal }));

  const responseState = new WeakMap();

  class Response {
    constructor(body = null, init = {}) {
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!(status >= 200 && status <= 599) || !Number.isInteger(status)) {
        throw new RangeError('init["status"] must be in the range of 200 to 599, inclusive.');
      }
      const headers = new Headers(init.headers);
      let bodyState = { bytes: null, stream: null, used: false };
      if (body !== null && body !== undefined) {
        if (status === 204 || status === 205 || status === 304) {
          throw new TypeErrorCtor('Response constructor: Invalid response status code ' + status);
        }
        const extracted = extractBody(body);
        bodyState = { bytes: extracted.bytes, stream: extracted.stream, used: false };
        if (extracted.type !== null && !headers.has('content-type')) headers.set('content-type', extracted.type);
      }
      responseState.set(this, { status, statusText: init.statusText === undefined ? '' : StringCtor(init.statusText),
        headers, url: '', redirected: false, type: 'default' });
      bodies.set(this, bodyState);
    }
    get status() { return responseState.get(this).status; }
    get statusText() { return responseState.get(this).statusText; }
    get ok() { const status = this.status; return status >= 200 && status <= 299; }
    get headers() { return responseState.get(this).headers; }
    get url() { return responseState.get(this).url; }
    get redirected() { return responseState.get(this).redirected; }
    get type() { return responseState.get(this).type; }
    clone() {
      const body = cloneBody(this, 'Response');
      const copy = new Response(null, { status: 200 });
      const mine = responseState.get(this);
      responseState.set(copy, { ...mine, headers: new Headers(mine.headers) });
      bodies.set(copy, body);
      return copy;
    }
    static json(data, init = {}) {
      const text = JSONStringify(data);
      if (text === undefined) throw new TypeErrorCtor('Value is not JSON serializable');
      const headers = new Headers(init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(text, { ...init, headers });
    }
    static error() {
      const response = new Response(null, { status: 200 });
      const state = responseState.get(response);
      state.status = 0;
      state.type = 'error';
      return response;
    }
    static redirect(url, status = 302) {
      if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError('Invalid status code ' + status);
      return new Response(null, { status, headers: { location: new URL(StringCtor(url)).href } });
    }
  }
  mixBody(Response);
  toStringTag(Response, 'Response');
  web.inspectFields(Response, (response) => ({ status: response.status, statusText: response.statusText,
    headers: response.headers, body: response.body, bodyUsed: response.bodyUsed, ok: response.ok,
    redirected: response.redirected, type: response.type, url: response.url }));

  // ---------------------------------------------------------------- fetch
  function fetchFailed(err) {
    const failure = new TypeErrorCtor('fetch failed: ' + err.message, { cause: err });
    if (err.code !== undefined) failure.code = err.code;
    return failure;
  }

  async function requestBytes(state) {
    if (state.bytes !== null) return state.bytes;
    if (state.stream === null) return undefined;
    return readAll(state.stream);
  }

  // The response to a `data:` URL (`data:[type][;base64],payload`).
  function dataResponse(url) {
    const comma = url.indexOf(',');
    if (comma === -1) throw coded(TypeErrorCtor, 'ERR_INVALID_URL', 'invalid data: URL');
    let type = url.slice(5, comma).trim();
    let payload = url.slice(comma + 1);
    const base64 = /;\s*base64\s*$/i.test(type);
    if (base64) type = type.replace(/;\s*base64\s*$/i, '');
    let bytes;
    if (base64) {
      const text = web.atob(decodeURIComponent(payload).replace(/[\t\n\f\r ]/g, ''));
      bytes = new Uint8ArrayCtor(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    } else {
      const hash = payload.indexOf('#');
      if (hash !== -1) payload = payload.slice(0, hash);
      bytes = percentDecodeBytes(payload);
    }
    if (type === '' || type.startsWith(';')) type = 'text/plain' + (type || ';charset=US-ASCII');
    const response = new Response(bytes, { status: 200, headers: { 'content-type': type } });
    const state = responseState.get(response);
    state.statusText = 'OK';
    state.url = url;
    state.type = 'basic';
    return response;
  }

  function percentDecodeBytes(text) {
    const raw = encoder.encode(text);
    const out = new Uint8ArrayCtor(raw.length);
    let n = 0;
    for (let i = 0; i < raw.length; i++) {
      const hex = raw[i] === 0x25 && i + 2 < raw.length ? String.fromCharCode(raw[i + 1], raw[i + 2]) : '';
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        out[n++] = parseInt(hex, 16);
        i += 2;
      } else {
        out[n++] = raw[i];
      }
    }
    return out.subarray(0, n);
  }

  function fetch(input, init = undefined) {
    let request;
    try {
      request = new Request(input, init);
    } catch (err) {
      return PromiseCtor.reject(err);
    }
    const { url, method, headers, redirect, signal } = requestState.get(request);
    if (signal.aborted) return PromiseCtor.reject(signal.reason);
    return new PromiseCtor((resolve, reject) => {
      let handle;
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        if (handle !== undefined) close(handle);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const scheme = url.slice(0, url.indexOf(':'));
      if (scheme === 'data') {
        // A data: URL is answered here, as Node does, without the host.
        settled = true;
        try {
          resolve(dataResponse(url));
        } catch (err) {
          reject(fetchFailed(err));
        }
        return;
      }
      if (scheme !== 'http' && scheme !== 'https') {
        settled = true;
        reject(fetchFailed(coded(TypeErrorCtor, 'ERR_INVALID_URL_SCHEME',
          'the URL scheme "' + scheme + '" is not supported; fetch reaches http and https')));
        return;
      }
      const sent = new Headers(headers);
      if (!sent.has('accept')) sent.set('accept', '*/*');
      if (!sent.has('accept-language')) sent.set('accept-language', '*');
      if (!sent.has('sec-fetch-mode')) sent.set('sec-fetch-mode', 'cors');
      if (!sent.has('user-agent')) sent.set('user-agent', 'node');
      (async () => {
        const body = await requestBytes(bodies.get(request));
        if (settled) return;
        const { handle: used, head } = await send(method, url, flatHeaders(sent), body,
          REDIRECT[redirect], false, (h) => { handle = h; });
        if (settled) {
          close(used);
          return;
        }
        settled = true;
        const response = new Response(null, { status: 200 });
        const state = responseState.get(response);
        state.status = head.status;
        state.statusText = head.statusText;
        state.headers = headersFromFlat(head.headers);
        state.url = head.url;
        state.redirected = head.redirected;
        state.type = 'basic';
        const nullBody = method === 'HEAD' || head.status === 204 || head.status === 205 || head.status === 304;
        if (nullBody) {
          close(used);
          bodies.set(response, { bytes: null, stream: null, used: false });
        } else {
          bodies.set(response, { bytes: null, stream: null, handle: used, signal, used: false });
        }
        resolve(response);
      })().catch((err) => {
        if (settled) return;
        settled = true;
        reject(fetchFailed(err));
      });
    });
  }

  // ---------------------------------------------------------------- node:http client
  const STATUS_CODES = {
    100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints',
    200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information',
    204: 'No Content', 205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status',
    208: 'Already Reported', 226: 'IM Used', 300: 'Multiple Choices', 301: 'Moved Permanently',
    302: 'Found', 303: 'See Other', 304: 'Not Modified', 305: 'Use Proxy',
    307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request',
    401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
    405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required',
    408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 411: 'Length Required',
    412: 'Precondition Failed', 413: 'Payload Too Large', 414: 'URI Too Long',
    415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed',
    418: "I'm a Teapot", 421: 'Misdirected Request', 422: 'Unprocessable Entity',
    423: 'Locked', 424: 'Failed Dependency', 425: 'Too Early', 426: 'Upgrade Required',
    428: 'Precondition Required', 429: 'Too Many Requests',
    431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
    500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
    503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
    506: 'Variant Also Negotiates', 507: 'Insufficient Storage', 508: 'Loop Detected',
    509: 'Bandwidth Limit Exceeded', 510: 'Not Extended',
    511: 'Network Authentication Required',
  };
  const HTTP_METHODS = ['ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD',
    'LINK', 'LOCK', 'M-SEARCH', 'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE',
    'NOTIFY', 'OPTIONS', 'PATCH', 'POST', 'PROPFIND', 'PROPPATCH', 'PURGE', 'PUT', 'QUERY',
    'REBIND', 'REPORT', 'SEARCH', 'SOURCE', 'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK',
    'UNLOCK', 'UNSUBSCRIBE'];

  function notSupported(module, member) {
    return coded(ErrorCtor, 'ERR_NOT_SUPPORTED', module + '.' + member + '() is not available ' +
      "in secure-exec: the sandbox's '" + module + "' module is a client (its requests go " +
      'through the host) and cannot listen');
  }

  // The classes of the http(s) modules, made on first use (see `deps` above).
  let httpClasses;
  function http() {
    if (httpClasses !== undefined) return httpClasses;
    const Buffer = deps.require('buffer').Buffer;
    const EventEmitter = deps.require('events');
    const stream = deps.require('stream');
    // An agent holds no sockets here (the host does); the class exists so that clients that
    // make one keep working.
    class Agent extends EventEmitter {
      constructor(options = {}) {
        super();
        this.options = { path: null, ...options };
        this.keepAlive = options.keepAlive === true;
        this.maxSockets = options.maxSockets || Infinity;
        this.maxFreeSockets = options.maxFreeSockets || 256;
        this.sockets = {};
        this.freeSockets = {};
        this.requests = {};
      }
      destroy() {}
    }

    // Node's joining of repeated headers in `message.headers`.
    const SINGLE = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag',
      'expires', 'from', 'host', 'if-modified-since', 'if-unmodified-since', 'last-modified',
      'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server',
      'user-agent']);

    function nodeHeaders(flat) {
      const headers = {};
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const name = flat[i].toLowerCase();
        const value = flat[i + 1];
        if (name === 'set-cookie') {
          (headers[name] || (headers[name] = [])).push(value);
        } else if (headers[name] === undefined) {
          headers[name] = value;
        } else if (!SINGLE.has(name)) {
          headers[name] += (name === 'cookie' ? '; ' : ', ') + value;
        }
      }
      return headers;
    }

    class IncomingMessage extends stream.Readable {
      constructor(handle, head) {
        super();
        this._handle = handle;
        this._done = false;
        this.statusCode = head.status;
        this.statusMessage = head.statusText || STATUS_CODES[head.status] || '';
        this.headers = nodeHeaders(head.headers);
        this.rawHeaders = head.headers.slice();
        this.trailers = {};
        this.rawTrailers = [];
        this.httpVersion = '1.1';
        this.httpVersionMajor = 1;
        this.httpVersionMinor = 1;
        this.complete = false;
        this.url = '';
        this.method = null;
        this.aborted = false;
        this.socket = null;
      }
      get headersDistinct() {
        const out = {};
        for (let i = 0; i + 1 < this.rawHeaders.length; i += 2) {
          const name = this.rawHeaders[i].toLowerCase();
          (out[name] || (out[name] = [])).push(this.rawHeaders[i + 1]);
        }
        return out;
      }
      _read() {
        if (this._done) return;
        read(this._handle).then(({ bytes, eof }) => {
          if (bytes.length > 0) this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
          if (eof) {
            this._done = true;
            this.complete = true;
            this.push(null);
          }
        }, (err) => {
          this._done = true;
          this.destroy(err);
        });
      }
      _destroy(err, callback) {
        if (!this._done) {
          this._done = true;
          close(this._handle);
        }
        if (!this.complete && !this.aborted) {
          this.aborted = true;
          this.emit('aborted');
        }
        // As Node: an error is emitted only if someone listens for one.
        callback(this.listenerCount('error') > 0 ? err : null);
      }
      setTimeout(ms, callback) {
        if (callback !== undefined) this.once('timeout', callback);
        return this;
      }
    }

    function requestOptions(input, options, defaultProtocol) {
      let opts = {};
      if (typeof input === 'string' || input instanceof URL) {
        const url = new URL(StringCtor(input));
        opts = { protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port, path: url.pathname + url.search,
          auth: url.username !== '' ? decodeURIComponent(url.username) + ':' + decodeURIComponent(url.password) : undefined };
        if (options !== undefined && typeof options === 'object') opts = { ...opts, ...options };
      } else if (input !== null && typeof input === 'object') {
        opts = { ...input };
      }
      const protocol = opts.protocol || defaultProtocol;
      if (protocol !== defaultProtocol) {
        throw coded(TypeErrorCtor, 'ERR_INVALID_PROTOCOL',
          'Protocol "' + protocol + '" not supported. Expected "' + defaultProtocol + '"');
      }
      let host = opts.hostname || opts.host || 'localhost';
      if (opts.hostname === undefined && typeof opts.host === 'string') host = opts.host.replace(/:\d+$/, '');
      const port = opts.port !== undefined && opts.port !== '' && opts.port !== null
        ? Number(opts.port) : (protocol === 'https:' ? 443 : 80);
      const path = opts.path === undefined || opts.path === null ? '/' : StringCtor(opts.path);
      if (/[\u0000-\u0020]/.test(path)) {
        throw coded(TypeErrorCtor, 'ERR_UNESCAPED_CHARACTERS', 'Request path contains unescaped characters');
      }
      const method = opts.method === undefined ? 'GET' : StringCtor(opts.method).toUpperCase();
      if (!TOKEN.test(method)) {
        throw coded(TypeErrorCtor, 'ERR_INVALID_HTTP_TOKEN', 'Method must be a valid HTTP token ["' + opts.method + '"]');
      }
      const hostText = host.includes(':') ? '[' + host + ']' : host;
      const defaultPort = protocol === 'https:' ? 443 : 80;
      const url = protocol + '//' + hostText + (port === defaultPort ? '' : ':' + port) + path;
      return { opts, url, method, hostText, port, defaultPort };
    }

    class ClientRequest extends stream.Writable {
      constructor(input, options, callback, defaultProtocol) {
        // Finishing the body is not the end of a request: the response is still to come.
        super({ autoDestroy: false });
        if (typeof options === 'function') {
          callback = options;
          options = undefined;
        }
        const { opts, url, method, hostText, port, defaultPort } = requestOptions(input, options, defaultProtocol);
        this.method = method;
        this.path = opts.path === undefined ? new URL(url).pathname + new URL(url).search : StringCtor(opts.path);
        this.host = hostText;
        this.protocol = defaultProtocol;
        this.reusedSocket = false;
        this.aborted = false;
        this.finished = false;
        this.destroyed = false;
        this.socket = null;
        this._url = url;
        this._headers = new Map();
        this._chunks = [];
        this._total = 0;
        this._handle = undefined;
        this._timer = undefined;
        if (opts.headers !== undefined && opts.headers !== null) {
          if (ArrayIsArray(opts.headers)) {
            for (let i = 0; i + 1 < opts.headers.length; i += 2) this.setHeader(opts.headers[i], opts.headers[i + 1]);
          } else {
            for (const name of ObjectKeys(opts.headers)) this.setHeader(name, opts.headers[name]);
          }
        }
        if (!this.hasHeader('host') && opts.setHost !== false) {
          this.setHeader('Host', hostText + (port === defaultPort ? '' : ':' + port));
        }
        if (opts.auth !== undefined && !this.hasHeader('authorization')) {
          this.setHeader('Authorization', 'Basic ' + Buffer.from(StringCtor(opts.auth)).toString('base64'));
        }
        if (callback !== undefined) this.once('response', callback);
        if (opts.timeout !== undefined) this.setTimeout(opts.timeout);
        if (opts.signal !== undefined) {
          const signal = opts.signal;
          if (signal.aborted) process.nextTick(() => this.destroy(abortError(signal)));
          else signal.addEventListener('abort', () => this.destroy(abortError(signal)), { once: true });
        }
      }
      setHeader(name, value) {
        if (this._sent) {
          throw coded(ErrorCtor, 'ERR_HTTP_HEADERS_SENT', 'Cannot set headers after they are sent to the client');
        }
        const text = StringCtor(name);
        if (!TOKEN.test(text)) throw coded(TypeErrorCtor, 'ERR_INVALID_HTTP_TOKEN', 'Header name must be a valid HTTP token ["' + text + '"]');
        this._headers.set(text.toLowerCase(), [text, value]);
        return this;
      }
      getHeader(name) {
        const entry = this._headers.get(StringCtor(name).toLowerCase());
        return entry === undefined ? undefined : entry[1];
      }
      getHeaders() {
        const out = {};
        for (const [key, [, value]] of this._headers) out[key] = value;
        return out;
      }
      getHeaderNames() { return [...this._headers.keys()]; }
      getRawHeaderNames() { return [...this._headers.values()].map((entry) => entry[0]); }
      hasHeader(name) { return this._headers.has(StringCtor(name).toLowerCase()); }
      removeHeader(name) { this._headers.delete(StringCtor(name).toLowerCase()); }
      flushHeaders() {}
      setNoDelay() {}
      setSocketKeepAlive() {}
      setTimeout(ms, callback) {
        if (callback !== undefined) this.once('timeout', callback);
        if (this._timer !== undefined) clearTimeout(this._timer);
        this._timer = ms > 0 ? setTimeout(() => this.emit('timeout'), ms) : undefined;
        return this;
      }
      abort() {
        if (this.aborted) return;
        this.aborted = true;
        process.nextTick(() => this.emit('abort'));
        this.destroy();
      }
      _write(chunk, encoding, callback) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
        this._chunks.push(toBytes(bytes));
        this._total += bytes.length;
        callback();
      }
      _final(callback) {
        this._sent = true;
        this.finished = true;
        const flat = [];
        for (const [, [name, value]] of this._headers) {
          if (ArrayIsArray(value)) for (const item of value) flat.push(name, StringCtor(item));
          else flat.push(name, StringCtor(value));
        }
        const body = this._total > 0 ? concat(this._chunks, this._total) : undefined;
        this._chunks = [];
        callback();
        send(this.method, this._url, flat, body, REDIRECT.manual, true, (h) => { this._handle = h; })
          .then(({ handle, head }) => {
            if (this._timer !== undefined) clearTimeout(this._timer);
            if (this.destroyed) {
              close(handle);
              return;
            }
            const response = new IncomingMessage(handle, head);
            response.req = this;
            this.res = response;
            if (!this.emit('response', response)) response.resume();
          }, (err) => {
            if (this._timer !== undefined) clearTimeout(this._timer);
            if (!this.destroyed) this.destroy(err);
          });
      }
      // As Node: destroyed before its response, a request fails with 'socket hang up' (unless
      // aborted); after it, the response is aborted and the request itself has no error.
      _destroy(err, callback) {
        if (this._timer !== undefined) clearTimeout(this._timer);
        if (this.res === undefined) {
          if (this._handle !== undefined) close(this._handle);
          callback(err || (this.aborted ? null : connResetError()));
          return;
        }
        if (!this.res.complete) this.res.destroy(coded(ErrorCtor, 'ECONNRESET', 'aborted'));
        callback(err);
      }
    }

    httpClasses = { Agent, IncomingMessage, ClientRequest, Buffer };
    return httpClasses;
  }

  function connResetError() {
    return coded(ErrorCtor, 'ECONNRESET', 'socket hang up');
  }

  function abortError(signal) {
    const err = new ErrorCtor('The operation was aborted', { cause: signal.reason });
    err.name = 'AbortError';
    err.code = 'ABORT_ERR';
    return err;
  }

  function httpModule(protocol) {
    const { Agent, ClientRequest, IncomingMessage } = http();
    const globalAgent = new Agent({ keepAlive: true });
    const request = (input, options, callback) => new ClientRequest(input, options, callback, protocol);
    const get = (input, options, callback) => {
      const req = request(input, options, callback);
      req.end();
      return req;
    };
    const module = {
      Agent, ClientRequest, IncomingMessage, globalAgent, request, get,
      METHODS: HTTP_METHODS.slice(), STATUS_CODES: { ...STATUS_CODES },
      maxHeaderSize: 16384,
      validateHeaderName(name) {
        if (!TOKEN.test(StringCtor(name))) throw coded(TypeErrorCtor, 'ERR_INVALID_HTTP_TOKEN', 'Header name must be a valid HTTP token ["' + name + '"]');
      },
      validateHeaderValue(name, value) {
        if (value === undefined) throw coded(TypeErrorCtor, 'ERR_HTTP_INVALID_HEADER_VALUE', 'Invalid value "undefined" for header "' + name + '"');
        if (/[^\t\x20-\x7e\x80-\xff]/.test(StringCtor(value))) throw coded(TypeErrorCtor, 'ERR_INVALID_CHAR', 'Invalid character in header content ["' + name + '"]');
      },
    };
    for (const name of ['createServer', 'Server', 'ServerResponse', 'OutgoingMessage']) {
      module[name] = function () { throw notSupported(protocol.slice(0, -1), name); };
    }
    return module;
  }

  // ---------------------------------------------------------------- node:dns
  function lookupAll(hostname) {
    return netCall(OP.LOOKUP, 0, '', StringCtor(hostname), undefined, undefined, 0, false)
      .then((reply) => {
        if (reply.error !== undefined) {
          const err = replyError(reply);
          if (err.code === 'ENOTFOUND') err.hostname = hostname;
          throw err;
        }
        return (reply.addresses || []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      });
  }

  function lookupPromise(hostname, options) {
    if (typeof hostname !== 'string') {
      return PromiseCtor.reject(coded(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE',
        'The "hostname" argument must be of type string.'));
    }
    const opts = typeof options === 'number' ? { family: options } : (options || {});
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family || 0);
    return lookupAll(hostname).then((found) => {
      let list = family === 0 ? found : found.filter((entry) => entry.family === family);
      if (opts.order === 'ipv4first' || opts.verbatim === false) {
        list = list.filter((e) => e.family === 4).concat(list.filter((e) => e.family === 6));
      }
      if (list.length === 0) {
        const err = coded(ErrorCtor, 'ENOTFOUND', 'getaddrinfo ENOTFOUND ' + hostname);
        err.hostname = hostname;
        throw err;
      }
      return opts.all ? list : list[0];
    });
  }

  function lookup(hostname, options, callback) {
    if (typeof options === 'function') {
      callback = options;
      options = {};
    }
    if (typeof callback !== 'function') {
      throw coded(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE', 'The "callback" argument must be of type function.');
    }
    lookupPromise(hostname, options).then((found) => {
      if (ArrayIsArray(found)) callback(null, found);
      else callback(null, found.address, found.family);
    }, (err) => callback(err));
    return {};
  }

  function dnsModule() {
    const promises = { lookup: lookupPromise };
    const dns = { lookup, promises, ADDRCONFIG: 1024, V4MAPPED: 2048, ALL: 256 };
    // The error codes, as Node names them (`dns.NOTFOUND` is 'ENOTFOUND').
    for (const name of ['NODATA', 'FORMERR', 'SERVFAIL', 'NOTFOUND', 'NOTIMP', 'REFUSED', 'BADQUERY',
      'BADNAME', 'BADFAMILY', 'BADRESP', 'CONNREFUSED', 'TIMEOUT', 'EOF', 'FILE', 'NOMEM', 'DESTRUCTION',
      'BADSTR', 'BADFLAGS', 'NONAME', 'BADHINTS', 'NOTINITIALIZED', 'LOADIPHLPAPI', 'ADDRGETNETWORKPARAMS',
      'CANCELLED']) {
      dns[name] = 'E' + name;
      promises[name] = 'E' + name;
    }
    for (const name of ['lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCaa',
      'resolveCname', 'resolveMx', 'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv',
      'resolveTxt', 'reverse', 'setServers', 'getServers', 'Resolver']) {
      dns[name] = function () {
        throw coded(ErrorCtor, 'ERR_NOT_SUPPORTED', 'dns.' + name + '() is not available in ' +
          'secure-exec: the sandbox answers dns.lookup only');
      };
      promises[name] = dns[name];
    }
    // The order lookups with `all` give addresses in: kept, as the host answers in its order.
    let resultOrder = 'verbatim';
    const ORDERS = ['ipv4first', 'ipv6first', 'verbatim'];
    dns.getDefaultResultOrder = () => resultOrder;
    dns.setDefaultResultOrder = (order) => {
      if (!ORDERS.includes(order)) {
        throw coded(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE', "The argument 'dnsOrder' must be one of: " +
          "'verbatim', 'ipv4first', 'ipv6first'. Received " + (typeof order === 'string' ? "'" + order + "'" : StringCtor(order)));
      }
      resultOrder = order;
    };
    promises.getDefaultResultOrder = dns.getDefaultResultOrder;
    promises.setDefaultResultOrder = dns.setDefaultResultOrder;
    return dns;
  }

  // CompressionStream / DecompressionStream: zlib's engines (deflate, deflate-raw, gzip) as a
  // TransformStream's two sides, as Node makes them.
  const COMPRESSION_FORMATS = ['deflate', 'deflate-raw', 'gzip'];
  function zlibTransform(format, compress) {
    if (!COMPRESSION_FORMATS.includes(format)) {
      const err = new TypeErrorCtor("The argument 'format' is invalid. Received " +
        (typeof format === 'string' ? "'" + format + "'" : StringCtor(format)));
      err.code = 'ERR_INVALID_ARG_VALUE';
      throw err;
    }
    const zlib = deps.require('zlib');
    const engine = compress
      ? (format === 'gzip' ? zlib.createGzip() : format === 'deflate' ? zlib.createDeflate() : zlib.createDeflateRaw())
      : (format === 'gzip' ? zlib.createGunzip() : format === 'deflate' ? zlib.createInflate() : zlib.createInflateRaw());
    let controller;
    engine.on('data', (chunk) => controller.enqueue(new Uint8ArrayCtor(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    const ended = new PromiseCtor((resolve, reject) => {
      engine.on('end', resolve);
      engine.on('error', reject);
    });
    // A failure (corrupt input) errors the readable side at once, not only at the end.
    ended.catch((err) => controller.error(err));
    return new (streams().TransformStream)({
      start(c) { controller = c; },
      transform(chunk) {
        if (!ArrayBufferIsView(chunk) && !(chunk instanceof ArrayBufferCtor)) {
          const err = new TypeErrorCtor('The "chunk" argument must be an instance of ArrayBuffer or ArrayBufferView');
          err.code = 'ERR_INVALID_ARG_TYPE';
          throw err;
        }
        return new PromiseCtor((resolve, reject) => engine.write(toBytes(chunk), (err) => (err ? reject(err) : resolve())));
      },
      flush() {
        engine.end();
        return ended;
      },
    });
  }
  const transforms = new WeakMap();
  class CompressionStream {
    constructor(format) { transforms.set(this, zlibTransform(format, true)); }
    get readable() { return transforms.get(this).readable; }
    get writable() { return transforms.get(this).writable; }
  }
  toStringTag(CompressionStream, 'CompressionStream');
  class DecompressionStream {
    constructor(format) { transforms.set(this, zlibTransform(format, false)); }
    get readable() { return transforms.get(this).readable; }
    get writable() { return transforms.get(this).writable; }
  }
  toStringTag(DecompressionStream, 'DecompressionStream');
  for (const Class of [CompressionStream, DecompressionStream]) {
    web.inspectFields(Class, (pair) => ({ readable: pair.readable, writable: pair.writable }));
  }

  // TextEncoderStream / TextDecoderStream: the encoding standard's streams over a
  // TransformStream, as Node's (a surrogate pair split between chunks is kept together).
  const codecs = new WeakMap();
  const codec = (self, type) => {
    const state = codecs.get(self);
    if (state === undefined || !(self instanceof type)) {
      throw coded(TypeErrorCtor, 'ERR_INVALID_THIS', 'Value of "this" must be of type ' + type.name);
    }
    return state;
  };
  class TextEncoderStream {
    constructor() {
      const encoder = new TextEncoder();
      let pendingHighSurrogate = null;
      const transform = new (streams().TransformStream)({
        transform(chunk, controller) {
          chunk = StringCtor(chunk);
          let finalChunk = '';
          for (let i = 0; i < chunk.length; i++) {
            const item = chunk[i];
            const codepoint = item.charCodeAt(0);
            if (pendingHighSurrogate !== null) {
              const highSurrogate = pendingHighSurrogate;
              pendingHighSurrogate = null;
              if (codepoint >= 0xDC00 && codepoint <= 0xDFFF) {
                finalChunk += highSurrogate + item;
                continue;
              }
              finalChunk += '\uFFFD';
            }
            if (codepoint >= 0xD800 && codepoint <= 0xDBFF) {
              pendingHighSurrogate = item;
              continue;
            }
            if (codepoint >= 0xDC00 && codepoint <= 0xDFFF) {
              finalChunk += '\uFFFD';
              continue;
            }
            finalChunk += item;
          }
          if (finalChunk) controller.enqueue(encoder.encode(finalChunk));
        },
        flush(controller) {
          if (pendingHighSurrogate !== null) controller.enqueue(new Uint8ArrayCtor([0xEF, 0xBF, 0xBD]));
        },
      });
      codecs.set(this, { coder: encoder, transform });
    }
    get encoding() { return codec(this, TextEncoderStream).coder.encoding; }
    get readable() { return codec(this, TextEncoderStream).transform.readable; }
    get writable() { return codec(this, TextEncoderStream).transform.writable; }
  }
  toStringTag(TextEncoderStream, 'TextEncoderStream');
  class TextDecoderStream {
    constructor(encoding = 'utf-8', options = {}) {
      const decoder = new TextDecoder(encoding, options);
      const transform = new (streams().TransformStream)({
        transform(chunk, controller) {
          const value = decoder.decode(chunk, { stream: true });
          if (value) controller.enqueue(value);
        },
        flush(controller) {
          const value = decoder.decode();
          if (value) controller.enqueue(value);
          controller.terminate();
        },
      });
      codecs.set(this, { coder: decoder, transform });
    }
    get encoding() { return codec(this, TextDecoderStream).coder.encoding; }
    get fatal() { return codec(this, TextDecoderStream).coder.fatal; }
    get ignoreBOM() { return codec(this, TextDecoderStream).coder.ignoreBOM; }
    get readable() { return codec(this, TextDecoderStream).transform.readable; }
    get writable() { return codec(this, TextDecoderStream).transform.writable; }
  }
  toStringTag(TextDecoderStream, 'TextDecoderStream');
  web.inspectFields(TextEncoderStream, (stream) => ({ encoding: stream.encoding, readable: stream.readable,
    writable: stream.writable }));
  web.inspectFields(TextDecoderStream, (stream) => ({ encoding: stream.encoding, fatal: stream.fatal,
    ignoreBOM: stream.ignoreBOM, readable: stream.readable, writable: stream.writable }));

  return {
    fetch, Headers, Request, Response, FormData, Blob, File, CompressionStream, DecompressionStream,
    TextEncoderStream, TextDecoderStream,
    get ReadableByteStreamController() { return streams().ReadableByteStreamController; },
    get ReadableStreamBYOBReader() { return streams().ReadableStreamBYOBReader; },
    get ReadableStreamBYOBRequest() { return streams().ReadableStreamBYOBRequest; },
    get ReadableStreamDefaultController() { return streams().ReadableStreamDefaultController; },
    get TransformStreamDefaultController() { return streams().TransformStreamDefaultController; },
    get WritableStreamDefaultController() { return streams().WritableStreamDefaultController; },
    get WritableStreamDefaultWriter() { return streams().WritableStreamDefaultWriter; },
    get ReadableStream() { return streams().ReadableStream; },
    get ReadableStreamDefaultReader() { return streams().ReadableStreamDefaultReader; },
    get WritableStream() { return streams().WritableStream; },
    get TransformStream() { return streams().TransformStream; },
    get ByteLengthQueuingStrategy() { return streams().ByteLengthQueuingStrategy; },
    get CountQueuingStrategy() { return streams().CountQueuingStrategy; },
    get streamWeb() {
      return ObjectFreeze({ ...streams(), CompressionStream, DecompressionStream, TextEncoderStream, TextDecoderStream });
    },
    httpModule, dns: dnsModule(),
    DOMException,
  };
});
