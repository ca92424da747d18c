// The guest's Node: the CommonJS module loader, `fs` and `fs/promises` over host calls, and
// the registry of built-in modules. Loaded on the session's first `require` (prelude.js).
//
// Every file or module operation is a host call (`native.hostCall`): the worker opens
// nothing itself. Each fs operation is written once, as a generator that yields host requests
// and receives their replies; `runSync` answers them with blocking calls, `runAsync` with
// asynchronous ones, so the sync, callback and promise forms cannot drift apart.
(function node(native, prelude) {
  'use strict';

  const { process, session, hostAsync } = prelude;
  const mainModule = prelude.module;
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectFreeze = Object.freeze;
  const ObjectSetPrototypeOf = Object.setPrototypeOf;
  const ObjectKeys = Object.keys;
  const ObjectAssign = Object.assign;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectHasOwn = Object.hasOwn;
  const ReflectApply = Reflect.apply;
  const SafeMap = Map;
  const MapPrototypeGet = Map.prototype.get;
  const MapPrototypeSet = Map.prototype.set;
  const MapPrototypeHas = Map.prototype.has;
  const MapPrototypeDelete = Map.prototype.delete;
  const MapPrototypeSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size').get;
  const ArrayIsArray = Array.isArray;
  const ArrayPrototypeSplice = Array.prototype.splice;
  const ArrayPrototypeIndexOf = Array.prototype.indexOf;
  const ArrayPrototypeIncludes = Array.prototype.includes;
  const ObjectPrototypeHasOwnProperty = Object.hasOwn;
  const RegExpCtor = RegExp;
  const StringPrototypeToWellFormed = String.prototype.toWellFormed;
  const SymbolCtor = Symbol;
  const SymbolAsyncIterator = Symbol.asyncIterator;
  const SymbolDispose = Symbol.dispose;
  // V8's longest string on 64-bit machines (buffer.constants.MAX_STRING_LENGTH).
  const STRING_MAX_LENGTH = 2 ** 29 - 24;
  const ArrayPrototypePush = Array.prototype.push;
  const ArrayPrototypeJoin = Array.prototype.join;
  const ArrayPrototypeSlice = Array.prototype.slice;
  const ArrayPrototypeShift = Array.prototype.shift;
  const ArrayPrototypeUnshift = Array.prototype.unshift;
  const ArrayPrototypeSort = Array.prototype.sort;
  const RegExpPrototypeTest = RegExp.prototype.test;
  const StringPrototypeSlice = String.prototype.slice;
  const StringPrototypeStartsWith = String.prototype.startsWith;
  const StringPrototypeCharCodeAt = String.prototype.charCodeAt;
  const StringPrototypePadStart = String.prototype.padStart;
  const StringPrototypeTrim = String.prototype.trim;
  const NumberPrototypeToString = Number.prototype.toString;
  const NumberCtor = Number;
  const StringPrototypeIndexOf = String.prototype.indexOf;
  const StringPrototypeLastIndexOf = String.prototype.lastIndexOf;
  const StringPrototypeToLowerCase = String.prototype.toLowerCase;
  const StringPrototypeIncludes = String.prototype.includes;
  const StringPrototypeSplit = String.prototype.split;
  const StringPrototypeReplace = String.prototype.replace;
  const JSONParse = JSON.parse;
  const PromiseCtor = Promise;
  const PromisePrototypeThen = Promise.prototype.then;
  const Uint8ArrayCtor = Uint8Array;
  const ArrayBufferIsView = ArrayBuffer.isView;
  const ErrorCtor = Error;
  const ErrorCaptureStackTrace = Error.captureStackTrace;
  const TypeErrorCtor = TypeError;
  const RangeErrorCtor = RangeError;
  const DateCtor = Date;
  const MathFloor = Math.floor;
  const MathMax = Math.max;
  const NumberIsInteger = Number.isInteger;
  const StringCtor = String;
  const SymbolFor = Symbol.for;
  const SymbolIterator = Symbol.iterator;
  const FunctionPrototypeCall = Function.prototype.call;
  const call = (fn, self, ...args) => ReflectApply(fn, self, args);

  // A first-in, first-out queue whose `shift` is O(1): Array.prototype.shift copies the whole
  // array once it is large (a backlog of 50,000 lines took readline's async iterator 2.4 s),
  // as Node's FixedQueue avoids. Taken slots are cleared; the array is compacted once half of
  // it is taken.
  class Fifo {
    #items = [];
    #head = 0;
    get length() { return this.#items.length - this.#head; }
    push(item) { call(ArrayPrototypePush, this.#items, item); }
    shift() {
      if (this.#head === this.#items.length) return undefined;
      const item = this.#items[this.#head];
      this.#items[this.#head++] = undefined;
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
        this.#items = call(ArrayPrototypeSlice, this.#items, this.#head);
        this.#head = 0;
      }
      return item;
    }
  }

  const CHUNK = native.hostChunk;
  const OP = { READ: 1, WRITE: 2, STAT: 3, LSTAT: 4, READDIR: 5, MKDIR: 6, RMDIR: 7, UNLINK: 8,
    RENAME: 9, COPY: 10, REALPATH: 11, ACCESS: 12, READLINK: 13, RM: 14, TRUNCATE: 15,
    CHMOD: 16, UTIMES: 17, SYMLINK: 18, RESOLVE: 100 };
  const FLAG = { RECURSIVE: 1, FORCE: 2, APPEND: 4, EXCLUSIVE: 8, POSITIONED: 16, MUST_EXIST: 32,
    WRITABLE: 64, ESM: 1, LOAD: 2 };
  const KIND = { FILE: 1, DIRECTORY: 2, SYMLINK: 3 };
  // libuv's negative errno values, as Node reports them in `err.errno`.
  const ERRNO = { EPERM: -1, ENOENT: -2, EIO: -5, EBADF: -9, EACCES: -13, EEXIST: -17,
    EXDEV: -18, ENOTDIR: -20, EISDIR: -21, EINVAL: -22, ENOSPC: -28, EROFS: -30,
    ENAMETOOLONG: -36, ENOTEMPTY: -39, ELOOP: -40 };

  // ---------------------------------------------------------------- errors
  function codedError(Ctor, code, message) {
    const err = new Ctor(message);
    err.code = code;
    // The stack starts where the guest's call came in, not inside this file's helpers.
    ErrorCaptureStackTrace(err, codedError);
    return err;
  }

  // An error from OpenSSL as Node reports one: `message` is OpenSSL's
  // (`error:1C80006B:Provider routines::wrong final block length`), and its library and reason
  // are properties too.
  function osslError(code, message) {
    const err = new ErrorCtor(message);
    const parts = call(StringPrototypeSplit, message, ':');
    err.library = parts[2];
    err.reason = parts[4];
    err.code = code;
    ErrorCaptureStackTrace(err, osslError);
    return err;
  }

  function describeReceived(value) {
    if (value === null) return 'Received null';
    if (value === undefined) return 'Received undefined';
    if (typeof value === 'function') return 'Received function ' + (value.name || '<anonymous>');
    if (typeof value === 'object') {
      const ctor = value.constructor;
      if (ctor && ctor.name) return 'Received an instance of ' + ctor.name;
      return 'Received ' + prelude.inspect(value, { depth: -1 });
    }
    let shown = prelude.inspect(value);
    if (shown.length > 28) shown = call(StringPrototypeSlice, shown, 0, 25) + '...';
    return 'Received type ' + typeof value + ' (' + shown + ')';
  }

  // A dotted name is an options property, as Node words it.
  function invalidArgType(name, expected, value) {
    const kind = call(StringPrototypeIncludes, name, '.') ? ' property' : ' argument';
    return codedError(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE',
      'The "' + name + '"' + kind + ' must be ' + expected + '. ' + describeReceived(value));
  }

  // An integer argument within [min, max], refused as Node's validateInteger refuses it.
  function integerArg(value, name, min, max) {
    if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
    if (!NumberIsInteger(value)) {
      throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE', 'The value of "' + name +
        '" is out of range. It must be an integer. Received ' + prelude.inspect(value));
    }
    if (value < min || value > max) {
      throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE', 'The value of "' + name +
        '" is out of range. It must be >= ' + min + ' && <= ' + max + '. Received ' + prelude.inspect(value));
    }
    return value;
  }

  function notSupported(what) {
    return codedError(ErrorCtor, 'ERR_NOT_SUPPORTED', what + ' is not supported in secure-exec');
  }

  // A failed host call as Node reports a failed system call.
  function fsError(reply, syscall, path, dest) {
    const code = reply.error;
    if (call(StringPrototypeStartsWith, code, 'ERR_')) {
      return codedError(ErrorCtor, code, code + ': ' + reply.message);
    }
    let message = code + ': ' + reply.message + ', ' + syscall;
    if (path !== undefined) message += " '" + path + "'";
    if (dest !== undefined) message += " -> '" + dest + "'";
    const err = new ErrorCtor(message);
    err.errno = ERRNO[code] === undefined ? -5 : ERRNO[code];
    err.code = code;
    err.syscall = syscall;
    if (path !== undefined) err.path = path;
    if (dest !== undefined) err.dest = dest;
    return err;
  }

  // ---------------------------------------------------------------- paths
  // Just what the loader and `fs` need; the `path` module itself is Node's own code.
  function normalizeParts(path) {
    const parts = [];
    for (const part of call(StringPrototypeSplit, path, '/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') parts.length = parts.length > 0 ? parts.length - 1 : 0;
      else call(ArrayPrototypePush, parts, part);
    }
    return '/' + call(ArrayPrototypeJoin, parts, '/');
  }

  function resolvePath(path) {
    // The empty path names nothing (the host answers ENOENT), as in Node.
    if (path === '') return '';
    return normalizeParts(call(StringPrototypeStartsWith, path, '/') ? path : session.cwd + '/' + path);
  }

  function dirname(path) {
    const at = call(StringPrototypeLastIndexOf, path, '/');
    return at <= 0 ? '/' : call(StringPrototypeSlice, path, 0, at);
  }

  // ---------------------------------------------------------------- buffers
  let BufferCtor;
  function Buffer() {
    if (BufferCtor === undefined) BufferCtor = requireBuiltin('buffer').Buffer;
    return BufferCtor;
  }

  function toBuffer(bytes) {
    return Buffer().from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  function concat(chunks, total) {
    if (chunks.length === 1 && chunks[0].byteLength === total) return chunks[0];
    const out = new Uint8ArrayCtor(total);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }

  // The bytes a write is given: a string (in `encoding`), a Buffer, any ArrayBuffer view.
  function dataBytes(data, encoding, name) {
    if (typeof data === 'string') return Buffer().from(data, encoding || 'utf8');
    if (ArrayBufferIsView(data)) {
      return new Uint8ArrayCtor(data.buffer, data.byteOffset, data.byteLength);
    }
    throw invalidArgType(name || 'data',
      'of type string or an instance of Buffer, TypedArray, or DataView', data);
  }

  // ---------------------------------------------------------------- host calls
  function hostSync(request) {
    const reply = ReflectApply(native.hostCall, undefined, [...request, false]);
    // No reply: the session was stopped while it waited, and V8 is terminating it.
    if (reply === undefined) throw new ErrorCtor('the session was stopped');
    return reply;
  }

  function takeBytes(reply) {
    const bytes = new Uint8ArrayCtor(reply.size);
    if (reply.size > 0) native.takeData(reply.id, bytes);
    return bytes;
  }

  function runSync(operation) {
    let step = operation.next();
    while (!step.done) step = operation.next(hostSync(step.value));
    return step.value;
  }

  function runAsync(operation, callback) {
    let first = true;
    function advance(reply) {
      let step;
      try {
        step = operation.next(reply);
      } catch (err) {
        // Argument errors are thrown at once in Node; everything after is asynchronous.
        if (first && typeof err.code === 'string' && call(StringPrototypeStartsWith, err.code, 'ERR_INVALID_ARG')) {
          throw err;
        }
        finish(err);
        return;
      }
      if (step.done) {
        finish(null, step.value);
      } else {
        first = false;
        hostAsync(step.value, advance);
      }
    }
    // An answer reached without a host call (a cached stat, a write to stdout, EBADF) still
    // arrives asynchronously, as Node's do.
    function finish(err, value) {
      if (first) prelude.setImmediate(() => callback(err, value));
      else callback(err, value);
    }
    advance(undefined);
  }

  function promised(operation) {
    return new PromiseCtor((resolve, reject) => {
      runAsync(operation, (err, value) => (err ? reject(err) : resolve(value)));
    });
  }

  // ---------------------------------------------------------------- fs arguments
  function toPathString(path, name) {
    if (typeof path === 'string') {
      // Node refuses strings with NUL bytes.
    } else if (ArrayBufferIsView(path)) {
      path = toBuffer(path).toString('utf8');
    } else if (path !== null && typeof path === 'object' && path.href !== undefined &&
               path.protocol !== undefined) {
      if (path.protocol !== 'file:') {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
      }
      path = decodeURIComponent(path.pathname);
    } else {
      throw invalidArgType(name || 'path', 'of type string or an instance of Buffer or URL', path);
    }
    if (call(StringPrototypeIncludes, path, '\u0000')) {
      throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
        "The argument '" + (name || 'path') + "' must be a string, Uint8Array, or URL without " +
        'null bytes. Received ' + prelude.inspect(path));
    }
    return path;
  }

  function options(value, defaults) {
    if (value === undefined || value === null || typeof value === 'function') return defaults;
    if (typeof value === 'string') return ObjectAssign({}, defaults, { encoding: value });
    if (typeof value !== 'object') throw invalidArgType('options', 'of type object', value);
    return ObjectAssign({}, defaults, value);
  }

  function decode(bytes, encoding) {
    if (encoding === undefined || encoding === null || encoding === 'buffer') return toBuffer(bytes);
    return toBuffer(bytes).toString(encoding);
  }

  // ---------------------------------------------------------------- Stats, Dirent
  class Stats {
    constructor(fields) {
      this.dev = 0;
      this.mode = fields[2];
      this.nlink = fields[8];
      this.uid = 0;
      this.gid = 0;
      this.rdev = 0;
      this.blksize = 4096;
      this.ino = fields[7];
      this.size = fields[1];
      this.blocks = MathFloor((fields[1] + 511) / 512);
      this.atimeMs = fields[4];
      this.mtimeMs = fields[3];
      this.ctimeMs = fields[5];
      this.birthtimeMs = fields[6];
      this.atime = new DateCtor(fields[4]);
      this.mtime = new DateCtor(fields[3]);
      this.ctime = new DateCtor(fields[5]);
      this.birthtime = new DateCtor(fields[6]);
    }
    isFile() { return (this.mode & 0o170000) === 0o100000; }
    isDirectory() { return (this.mode & 0o170000) === 0o040000; }
    isSymbolicLink() { return (this.mode & 0o170000) === 0o120000; }
    isBlockDevice() { return false; }
    isCharacterDevice() { return false; }
    isFIFO() { return false; }
    isSocket() { return false; }
  }

  class Dirent {
    constructor(name, kind, parentPath) {
      this.name = name;
      this.parentPath = parentPath;
      this.path = parentPath;
      ObjectDefineProperty(this, KIND_SYMBOL, { value: kind });
    }
    isFile() { return this[KIND_SYMBOL] === KIND.FILE; }
    isDirectory() { return this[KIND_SYMBOL] === KIND.DIRECTORY; }
    isSymbolicLink() { return this[KIND_SYMBOL] === KIND.SYMLINK; }
    isBlockDevice() { return false; }
    isCharacterDevice() { return false; }
    isFIFO() { return false; }
    isSocket() { return false; }
  }
  const KIND_SYMBOL = Symbol('kind');

  // Node's options for minimatch (fs.glob, path.matchesGlob) on POSIX.
  const GLOB_OPTIONS = ObjectFreeze({ windowsPathsNoEscape: true, nonegate: true, nocomment: true,
    optimizationLevel: 2, platform: 'linux', nocaseMagicOnly: true });

  // ---------------------------------------------------------------- fs operations
  // Each yields host requests `[op, path, to, data, offset, length, flags]` and gets replies.

  // The process's standard streams by the paths Node reaches them through: stdin is empty,
  // stdout and stderr are the session's output.
  const STANDARD_PATHS = { '/dev/stdin': 0, '/dev/stdout': 1, '/dev/stderr': 2 };
  function standardStream(path) {
    if (typeof path === 'number') return path >= 0 && path <= 2 ? path : undefined;
    return typeof path === 'string' ? STANDARD_PATHS[path] : undefined;
  }

  function* readFileOp(path, opts) {
    if (standardStream(path) === 0) return decode(new Uint8ArrayCtor(0), opts.encoding);
    // A number is an open descriptor, as in Node: read from its position on, which moves.
    const entry = typeof path === 'number' ? descriptor(path, 'fstat') : undefined;
    const file = entry !== undefined ? entry.path : resolvePath(toPathString(path));
    if (entry !== undefined && !entry.readable) throw fsError({ error: 'EBADF', message: 'bad file descriptor' }, 'read');
    const start = entry !== undefined ? entry.position : 0;
    // A file larger than one call is read into one buffer of the size its first reply gives,
    // as Node reads into one buffer of the size fstat gives: the pieces are not held twice.
    // Bytes past that size (the file grew meanwhile) are gathered after it.
    let whole;
    const chunks = [];
    let total = 0;
    for (;;) {
      const reply = yield [OP.READ, file, '', undefined, start + total, CHUNK, 0];
      // Node opens a directory fine and fails on the read.
      if (reply.error === 'EISDIR') throw fsError(reply, 'read');
      if (reply.error) throw fsError(reply, 'open', typeof path === 'number' ? undefined : toPathString(path));
      if (whole === undefined && total === 0 && reply.size === CHUNK && reply.stat !== undefined &&
        reply.stat[1] - start > CHUNK) {
        whole = new Uint8ArrayCtor(reply.stat[1] - start);
      }
      const size = reply.size;
      if (whole !== undefined && chunks.length === 0 && total + size <= whole.byteLength) {
        if (size > 0) native.takeData(reply.id, whole.subarray(total, total + size));
      } else {
        call(ArrayPrototypePush, chunks, takeBytes(reply));
      }
      total += size;
      if (size < CHUNK) break;
    }
    if (entry !== undefined) entry.position += total;
    let bytes;
    if (whole === undefined) {
      bytes = concat(chunks, total);
    } else if (chunks.length === 0) {
      bytes = total === whole.byteLength ? whole : whole.subarray(0, total);
    } else {
      call(ArrayPrototypeUnshift, chunks, whole);
      bytes = concat(chunks, total);
    }
    return decode(bytes, opts.encoding);
  }

  function openMode(flag) {
    switch (flag) {
      case 'a': case 'a+': case 'as': case 'as+': return { append: true, exclusive: false };
      case 'ax': case 'xa': case 'ax+': case 'xa+': return { append: true, exclusive: true };
      case 'w': case 'w+': return { append: false, exclusive: false };
      case 'wx': case 'xw': case 'wx+': case 'xw+': return { append: false, exclusive: true };
      default:
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
          "The argument 'flags' is invalid. Received " + prelude.inspect(flag));
    }
  }

  function* writeFileOp(path, data, opts) {
    // An open descriptor (or stdout, stderr) is written from its position on, not truncated,
    // as in Node.
    const standard = standardStream(path);
    if (typeof path === 'number' || standard === 1 || standard === 2) {
      const fd = standard !== undefined ? standard : path;
      const whole = dataBytes(data, opts.encoding);
      let written = 0;
      while (written < whole.byteLength) {
        written += yield* writeOp(fd, whole, written, whole.byteLength - written, null);
      }
      return undefined;
    }
    const shown = toPathString(path);
    const file = resolvePath(shown);
    const bytes = dataBytes(data, opts.encoding);
    const mode = openMode(opts.flag || 'w');
    let flags = (mode.append ? FLAG.APPEND : 0) | (mode.exclusive ? FLAG.EXCLUSIVE : 0);
    let offset = 0;
    do {
      const end = offset + CHUNK < bytes.byteLength ? offset + CHUNK : bytes.byteLength;
      const piece = offset === 0 && end === bytes.byteLength ? bytes : bytes.subarray(offset, end);
      const reply = yield [OP.WRITE, file, '', piece, 0, 0, flags];
      if (reply.error) throw fsError(reply, 'open', shown);
      offset = end;
      flags = FLAG.APPEND;
    } while (offset < bytes.byteLength);
    return undefined;
  }

  function* statOp(path, opts, follow) {
    const shown = toPathString(path);
    const reply = yield [follow ? OP.STAT : OP.LSTAT, resolvePath(shown), '', undefined, 0, 0, 0];
    if (reply.error) {
      if (opts.throwIfNoEntry === false && reply.error === 'ENOENT') return undefined;
      throw fsError(reply, follow ? 'stat' : 'lstat', shown);
    }
    return new Stats(reply.stat);
  }

  function* readdirOp(path, opts) {
    const shown = toPathString(path);
    const dir = resolvePath(shown);
    const out = [];
    // `recursive` lists the whole tree, breadth-first as Node does.
    const queue = [[dir, '']];
    for (let i = 0; i < queue.length; i++) {
      const [at, prefix] = queue[i];
      const reply = yield [OP.READDIR, at, '', undefined, 0, 0, 0];
      if (reply.error) throw fsError(reply, 'scandir', i === 0 ? shown : at);
      const names = reply.names || [];
      const kinds = reply.kinds || [];
      for (let k = 0; k < names.length; k++) {
        const name = prefix === '' ? names[k] : prefix + '/' + names[k];
        if (opts.withFileTypes) {
          call(ArrayPrototypePush, out, new Dirent(names[k], kinds[k], i === 0 ? shown : at));
        } else {
          call(ArrayPrototypePush, out,
            opts.encoding === 'buffer' ? Buffer().from(name) : name);
        }
        if (opts.recursive && kinds[k] === KIND.DIRECTORY) {
          call(ArrayPrototypePush, queue, [at === '/' ? '/' + names[k] : at + '/' + names[k], name]);
        }
      }
    }
    return out;
  }

  function* simpleOp(op, syscall, path, flags, to) {
    const shown = toPathString(path);
    const dest = to === undefined ? undefined : toPathString(to, 'dest');
    const reply = yield [op, resolvePath(shown), dest === undefined ? '' : resolvePath(dest),
      undefined, 0, 0, flags];
    if (reply.error) throw fsError(reply, syscall, shown, dest);
    return reply;
  }

  function* mkdirOp(path, opts) {
    const reply = yield* simpleOp(OP.MKDIR, 'mkdir', path, opts.recursive ? FLAG.RECURSIVE : 0);
    if (!opts.recursive || reply.path === '') return undefined;
    // Node returns the first directory it made, spelt as the caller spelt the path: drop as
    // many trailing components as lie below it.
    const shown = toPathString(path);
    const below = countParts(resolvePath(shown)) - countParts(reply.path);
    let result = shown;
    for (let i = 0; i < below; i++) {
      result = call(StringPrototypeSlice, result, 0, call(StringPrototypeLastIndexOf, trimSlashes(result), '/'));
    }
    return result;
  }

  function countParts(path) {
    return normalizeParts(path) === '/' ? 0 : call(StringPrototypeSplit, normalizeParts(path), '/').length - 1;
  }

  function trimSlashes(path) {
    let end = path.length;
    while (end > 1 && path[end - 1] === '/') end--;
    return call(StringPrototypeSlice, path, 0, end);
  }

  function* existsOp(path) {
    let file;
    try {
      file = resolvePath(toPathString(path));
    } catch {
      return false;
    }
    const reply = yield [OP.ACCESS, file, '', undefined, 0, 0, 0];
    return !reply.error;
  }

  function accessOp(path, mode) {
    return voidOp(OP.ACCESS, 'access', path, (mode & 2) !== 0 ? FLAG.WRITABLE : 0);
  }

  // Node's ERR_FS_EISDIR (a system error of its own, not an errno one).
  function isDirectoryError(syscall, why, path, errno) {
    const err = codedError(ErrorCtor, 'ERR_FS_EISDIR',
      'Path is a directory: ' + syscall + ' returned EISDIR (' + why + ') ' + path);
    err.errno = errno;
    err.syscall = syscall;
    err.path = path;
    return err;
  }

  function* rmOp(path, opts) {
    const flags = (opts.recursive ? FLAG.RECURSIVE : 0) | (opts.force ? FLAG.FORCE : 0);
    const shown = toPathString(path);
    const reply = yield [OP.RM, resolvePath(shown), '', undefined, 0, 0, flags];
    if (reply.error) {
      if (reply.error === 'EISDIR') {
        throw isDirectoryError('rm', 'is a directory', shown, 21);
      }
      throw fsError(reply, 'rm', shown);
    }
    return undefined;
  }

  function copyFileOp(src, dest, mode) {
    return voidOp(OP.COPY, 'copyfile', src, (mode & 1) !== 0 ? FLAG.EXCLUSIVE : 0, dest);
  }

  function* realpathOp(path) {
    const shown = toPathString(path);
    const absolute = resolvePath(shown);
    const reply = yield [OP.REALPATH, absolute, '', undefined, 0, 0, 0];
    // Node's realpath walks the path with lstat, and reports the absolute path it tried; a
    // link whose target is missing fails the stat it checks every link's target with.
    if (reply.error === 'ENOENT') {
      const link = yield [OP.LSTAT, absolute, '', undefined, 0, 0, 0];
      if (!link.error && link.stat[0] === KIND.SYMLINK) throw fsError(reply, 'stat', absolute);
    }
    if (reply.error) throw fsError(reply, 'lstat', absolute);
    return reply.path;
  }

  function* readlinkOp(path) {
    return (yield* simpleOp(OP.READLINK, 'readlink', path, 0)).path;
  }

  // The target is stored as given (relative to the link's directory when relative); the
  // `type` argument only matters on Windows.
  function* symlinkOp(target, path) {
    const to = toPathString(target, 'target');
    const shown = toPathString(path);
    const reply = yield [OP.SYMLINK, resolvePath(shown), to, undefined, 0, 0, 0];
    if (reply.error) throw fsError(reply, 'symlink', to, shown);
    return undefined;
  }

  function* truncateOp(path, len) {
    const shown = toPathString(path);
    const reply = yield [OP.TRUNCATE, resolvePath(shown), '', undefined, len || 0, 0, 0];
    if (reply.error) throw fsError(reply, 'open', shown);
    return undefined;
  }

  // ---------------------------------------------------------------- descriptors
  // The host keeps no open files: a descriptor is a guest-side record of a path, its mode and
  // position, and every read or write names the path.
  const descriptors = new SafeMap();
  let nextDescriptor = 3;

  function descriptor(fd, syscall) {
    if (typeof fd !== 'number' || !NumberIsInteger(fd)) throw invalidArgType('fd', 'of type number', fd);
    const entry = call(MapPrototypeGet, descriptors, fd);
    if (entry === undefined) throw fsError({ error: 'EBADF', message: 'bad file descriptor' }, syscall);
    return entry;
  }

  // open(2)'s numeric flags (fs.constants): the access mode, O_CREAT, O_EXCL, O_TRUNC and
  // O_APPEND; the others (O_NOFOLLOW, O_SYNC, ...) change nothing in this world.
  function* openNumeric(file, shown, flags) {
    const { O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND } = fs.constants;
    const writable = (flags & (O_WRONLY | O_RDWR)) !== 0;
    const create = (flags & O_CREAT) !== 0;
    if (create && (flags & O_EXCL) !== 0) {
      const reply = yield [OP.WRITE, file, '', undefined, 0, 0, FLAG.EXCLUSIVE];
      if (reply.error) throw fsError(reply, 'open', shown);
    } else if (create && (flags & O_TRUNC) !== 0 && writable) {
      const reply = yield [OP.WRITE, file, '', undefined, 0, 0, 0];
      if (reply.error) throw fsError(reply, 'open', shown);
    } else {
      const found = yield [OP.STAT, file, '', undefined, 0, 0, 0];
      if (found.error && !(create && found.error === 'ENOENT')) throw fsError(found, 'open', shown);
      if (found.error) {
        const made = yield [OP.WRITE, file, '', undefined, 0, 0, FLAG.EXCLUSIVE];
        if (made.error) throw fsError(made, 'open', shown);
      } else if (writable && found.stat[0] === KIND.DIRECTORY) {
        throw fsError({ error: 'EISDIR', message: 'illegal operation on a directory' }, 'open', shown);
      } else if (writable) {
        const access = yield [OP.ACCESS, file, '', undefined, 0, 0, FLAG.WRITABLE];
        if (access.error) throw fsError(access, 'open', shown);
        if ((flags & O_TRUNC) !== 0) {
          const cut = yield [OP.TRUNCATE, file, '', undefined, 0, 0, 0];
          if (cut.error) throw fsError(cut, 'open', shown);
        }
      }
    }
    const fd = nextDescriptor++;
    call(MapPrototypeSet, descriptors, fd, { path: file, shown, position: 0,
      readable: (flags & O_WRONLY) === 0, writable, append: (flags & O_APPEND) !== 0 });
    return fd;
  }

  function* openOp(path, flags) {
    const shown = toPathString(path);
    const file = resolvePath(shown);
    if (typeof flags === 'number') return yield* openNumeric(file, shown, flags);
    const flag = flags === undefined || flags === null ? 'r' : flags;
    const readable = flag === 'r' || flag === 'rs' || flag === 'sr' || flag === 'r+' ||
      call(StringPrototypeIncludes, flag, '+');
    const writable = flag !== 'r' && flag !== 'rs' && flag !== 'sr';
    if (flag === 'r' || flag === 'r+' || flag === 'rs' || flag === 'sr' || flag === 'rs+') {
      const reply = yield [OP.STAT, file, '', undefined, 0, 0, 0];
      if (reply.error) throw fsError(reply, 'open', shown);
      if (flag !== 'r' && reply.stat[0] === KIND.DIRECTORY) {
        throw fsError({ error: 'EISDIR', message: 'illegal operation on a directory' }, 'open', shown);
      }
      if (writable) {
        const access = yield [OP.ACCESS, file, '', undefined, 0, 0, FLAG.WRITABLE];
        if (access.error) throw fsError(access, 'open', shown);
      }
    } else {
      const mode = openMode(flag);
      // Creates the file (and truncates it for `w`) as open(2) would.
      const reply = yield [OP.WRITE, file, '', undefined, 0, 0,
        (mode.append ? FLAG.APPEND : 0) | (mode.exclusive ? FLAG.EXCLUSIVE : 0)];
      if (reply.error) throw fsError(reply, 'open', shown);
    }
    const fd = nextDescriptor++;
    call(MapPrototypeSet, descriptors, fd, { path: file, shown, position: 0, readable, writable,
      append: call(StringPrototypeStartsWith, flag, 'a') });
    return fd;
  }

  function viewArgs(buffer, offset, length, position) {
    if (!ArrayBufferIsView(buffer)) {
      throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer);
    }
    if (offset !== null && typeof offset === 'object') {
      ({ offset, length, position } = offset);
    }
    offset = offset === undefined || offset === null ? 0 : offset;
    length = length === undefined || length === null ? buffer.byteLength - offset : length;
    if (offset < 0 || length < 0 || offset + length > buffer.byteLength) {
      throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE',
        'The value of "length" is out of range. It must be <= ' + (buffer.byteLength - offset) +
        '. Received ' + length);
    }
    return { bytes: new Uint8ArrayCtor(buffer.buffer, buffer.byteOffset + offset, length), position };
  }

  function* readOp(fd, buffer, offset, length, position) {
    // The standard streams: stdin (0) is empty; stdout (1) and stderr (2) are the session's
    // output, as console's (writeOp).
    if (fd === 0) {
      viewArgs(buffer, offset, length, position);
      return 0;
    }
    const entry = descriptor(fd, 'read');
    const { bytes, position: at } = viewArgs(buffer, offset, length, position);
    if (!entry.readable) throw fsError({ error: 'EBADF', message: 'bad file descriptor' }, 'read');
    const start = typeof at === 'number' && at >= 0 ? at : entry.position;
    let done = 0;
    while (done < bytes.byteLength) {
      const want = bytes.byteLength - done < CHUNK ? bytes.byteLength - done : CHUNK;
      const reply = yield [OP.READ, entry.path, '', undefined, start + done, want, 0];
      if (reply.error) throw fsError(reply, 'read');
      const got = takeBytes(reply);
      bytes.set(got, done);
      done += got.byteLength;
      if (got.byteLength < want) break;
    }
    if (!(typeof at === 'number' && at >= 0)) entry.position += done;
    return done;
  }

  function* writeOp(fd, data, offset, length, position) {
    const entry = fd === 1 || fd === 2 ? undefined : descriptor(fd, 'write');
    let bytes;
    let at;
    if (typeof data === 'string') {
      // write(fd, string[, position[, encoding]])
      bytes = dataBytes(data, typeof length === 'string' ? length : 'utf8');
      at = offset;
    } else {
      ({ bytes, position: at } = viewArgs(data, offset, length, position));
    }
    if (entry === undefined) {
      native.print(fd, toBuffer(bytes).toString('utf8'));
      return bytes.byteLength;
    }
    if (!entry.writable) throw fsError({ error: 'EBADF', message: 'bad file descriptor' }, 'write');
    const start = typeof at === 'number' && at >= 0 ? at : entry.position;
    let done = 0;
    do {
      const end = done + CHUNK < bytes.byteLength ? done + CHUNK : bytes.byteLength;
      const flags = entry.append ? FLAG.APPEND : FLAG.POSITIONED | FLAG.MUST_EXIST;
      const reply = yield [OP.WRITE, entry.path, '', bytes.subarray(done, end), start + done, 0, flags];
      if (reply.error) throw fsError(reply, 'write');
      done = end;
    } while (done < bytes.byteLength);
    if (!(typeof at === 'number' && at >= 0) && !entry.append) entry.position += done;
    return done;
  }

  function* fstatOp(fd) {
    const entry = descriptor(fd, 'fstat');
    const reply = yield [OP.STAT, entry.path, '', undefined, 0, 0, 0];
    if (reply.error) throw fsError(reply, 'fstat');
    return new Stats(reply.stat);
  }

  function* closeOp(fd) {
    descriptor(fd, 'close');
    call(MapPrototypeDelete, descriptors, fd);
    return undefined;
  }

  function* ftruncateOp(fd, len) {
    const entry = descriptor(fd, 'ftruncate');
    const reply = yield [OP.TRUNCATE, entry.path, '', undefined, len || 0, 0, 0];
    if (reply.error) throw fsError(reply, 'ftruncate');
    return undefined;
  }

  // A directory `prefix` + six random characters, made exclusively (another name on a clash).
  function* mkdtempOp(prefix) {
    const shown = toPathString(prefix, 'prefix');
    const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    const random = new Uint8ArrayCtor(6);
    for (let attempt = 0; ; attempt++) {
      prelude.loadWeb().crypto.getRandomValues(random);
      let name = shown;
      for (const byte of random) name += CHARS[byte % CHARS.length];
      const reply = yield [OP.MKDIR, resolvePath(name), '', undefined, 0, 0, 0];
      if (!reply.error) return name;
      if (reply.error !== 'EEXIST' || attempt >= 100) throw fsError(reply, 'mkdtemp', shown + 'XXXXXX');
    }
  }

  // `fs.cp`: a file, or with `recursive` a whole tree, copied entry by entry.
  function* cpOp(src, dest, opts) {
    const from = toPathString(src, 'src');
    const to = toPathString(dest, 'dest');
    const stat = yield [opts.dereference ? OP.STAT : OP.LSTAT, resolvePath(from), '', undefined, 0, 0, 0];
    if (stat.error) throw fsError(stat, 'cp', from);
    if (stat.stat[0] === KIND.SYMLINK) {
      // As Node's cp: a link is copied as a link, to its target made absolute (unless
      // `verbatimSymlinks`), replacing a link already at the destination.
      let target = yield* readlinkOp(from);
      if (!opts.verbatimSymlinks && !call(StringPrototypeStartsWith, target, '/')) {
        target = resolvePath(dirname(resolvePath(from)) + '/' + target);
      }
      const existing = yield [OP.LSTAT, resolvePath(to), '', undefined, 0, 0, 0];
      if (!existing.error && existing.stat[0] === KIND.SYMLINK) yield* voidOp(OP.UNLINK, 'unlink', to, 0);
      return yield* symlinkOp(target, to);
    }
    if (stat.stat[0] === KIND.DIRECTORY) {
      if (!opts.recursive) {
        // Node says EISDIR but gives EINVAL's number here.
        throw isDirectoryError('cp', from + ' is a directory (not copied)', from, 22);
      }
      yield* mkdirOp(to, { recursive: true });
      const entries = yield* readdirOp(from, { withFileTypes: true });
      for (const entry of entries) {
        yield* cpOp(from + '/' + entry.name, to + '/' + entry.name, opts);
      }
      return undefined;
    }
    const force = opts.force !== false;
    const reply = yield [OP.COPY, resolvePath(from), resolvePath(to), undefined, 0, 0,
      force ? 0 : FLAG.EXCLUSIVE];
    if (reply.error && !(reply.error === 'EEXIST' && !opts.errorOnExist)) {
      throw fsError(reply, 'cp', from, to);
    }
    return undefined;
  }

  // `fs.opendir`: a directory's entries, read at open, handed out one at a time.
  class Dir {
    #entries = new Fifo();
    #closed = false;
    constructor(path, entries) {
      this.path = path;
      for (let i = 0; i < entries.length; i++) this.#entries.push(entries[i]);
    }
    #open() {
      if (this.#closed) {
        throw codedError(ErrorCtor, 'ERR_DIR_CLOSED', 'Directory handle was closed');
      }
    }
    #next() {
      this.#open();
      return this.#entries.length === 0 ? null : this.#entries.shift();
    }
    readSync() { return this.#next(); }
    read(callback) {
      if (typeof callback === 'function') {
        let entry;
        try {
          entry = this.#next();
        } catch (err) {
          prelude.queueMicrotask(() => callback(err));
          return undefined;
        }
        prelude.queueMicrotask(() => callback(null, entry));
        return undefined;
      }
      try {
        return PromiseCtor.resolve(this.#next());
      } catch (err) {
        return PromiseCtor.reject(err);
      }
    }
    closeSync() {
      this.#open();
      this.#closed = true;
    }
    close(callback) {
      let failure = null;
      try {
        this.closeSync();
      } catch (err) {
        failure = err;
      }
      if (typeof callback === 'function') {
        prelude.queueMicrotask(() => callback(failure));
        return undefined;
      }
      return failure === null ? PromiseCtor.resolve() : PromiseCtor.reject(failure);
    }
    async *entries() {
      try {
        for (;;) {
          const entry = this.#next();
          if (entry === null) return;
          yield entry;
        }
      } finally {
        if (!this.#closed) this.#closed = true;
      }
    }
    [Symbol.asyncIterator]() { return this.entries(); }
  }

  function* opendirOp(path) {
    const shown = toPathString(path);
    const entries = yield* readdirOp(shown, { withFileTypes: true });
    return new Dir(shown, entries);
  }

  // ---------------------------------------------------------------- fs module
  function lastCallback(args, name) {
    const callback = args[args.length - 1];
    if (typeof callback !== 'function') throw invalidArgType('cb', 'of type function', callback);
    return callback;
  }

  // Defines `name` (callback), `nameSync` and `promises.name` from one operation.
  const fs = {};
  const promises = {};
  function define(name, makeOperation, { sync = true, promise = true } = {}) {
    if (sync) {
      fs[name + 'Sync'] = function (...args) { return runSync(makeOperation(args)); };
    }
    fs[name] = function (...args) {
      const callback = lastCallback(args, name);
      const operation = makeOperation(call(ArrayPrototypeSlice, args, 0, args.length - 1));
      runAsync(operation, (err, value) => {
        if (err) callback(err);
        else callback(null, value);
      });
    };
    if (promise) promises[name] = function (...args) { return promised(makeOperation(args)); };
  }

  // fs.glob: Node 22's, over minimatch with Node's options. Each pattern is walked from its
  // literal prefix, a directory entered only when the pattern can still match below it;
  // `exclude` (a function of the path, or of the Dirent with `withFileTypes`) drops an entry
  // and all below it. Paths come out as the pattern is written: relative to `cwd` or absolute.
  function* globOp(pattern, opts) {
    const patterns = ArrayIsArray(pattern) ? pattern : [pattern];
    for (const each of patterns) {
      if (typeof each !== 'string') throw invalidArgType('pattern', 'of type string or an instance of Array', pattern);
    }
    if (opts === null || typeof opts !== 'object') throw invalidArgType('options', 'of type object', opts);
    const cwd = opts.cwd === undefined ? session.cwd : toPathString(opts.cwd, 'options.cwd');
    const { exclude, withFileTypes } = opts;
    if (exclude !== undefined && typeof exclude !== 'function') {
      throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE',
        'The "options.exclude" property must be of type function. ' + describeReceived(exclude));
    }
    const { Minimatch, GLOBSTAR } = npm('minimatch');
    const found = new SafeMap();
    const out = [];
    const fullOf = (shown) => resolvePath(shown === '' ? cwd : shown[0] === '/' ? shown : cwd + '/' + shown);
    const entry = (name, kind, dirShown) => {
      const shown = dirShown === '' ? name : dirShown === '/' ? '/' + name : dirShown + '/' + name;
      return { shown, item: withFileTypes ? new Dirent(name, kind, fullOf(dirShown)) : shown };
    };
    const excluded = (item) => exclude !== undefined && exclude(item) === true;
    for (const each of patterns) {
      const matcher = new Minimatch(each, GLOB_OPTIONS);
      for (const parts of matcher.set) {
        let literal = 0;
        while (literal < parts.length && typeof parts[literal] === 'string') literal++;
        if (literal === parts.length) {
          // No magic: the path itself, if it is there.
          const shown = call(ArrayPrototypeJoin, parts, '/');
          const reply = yield [OP.LSTAT, fullOf(shown), '', undefined, 0, 0, 0];
          if (reply.error) continue;
          const at = call(StringPrototypeLastIndexOf, shown, '/');
          const { item } = entry(at === -1 ? shown : call(StringPrototypeSlice, shown, at + 1), reply.stat[0],
            at === -1 ? '' : at === 0 ? '/' : call(StringPrototypeSlice, shown, 0, at));
          if (!call(MapPrototypeHas, found, shown) && !excluded(item)) {
            call(MapPrototypeSet, found, shown, true);
            call(ArrayPrototypePush, out, item);
          }
          continue;
        }
        const start = literal === 1 && parts[0] === '' ? '/' : call(ArrayPrototypeJoin, call(ArrayPrototypeSlice, parts, 0, literal), '/');
        // The literal prefix itself may match too: `a/**` gives `a`, as Node's glob does.
        const itself = matcher.match(start) || (literal === parts.length - 1 && parts[literal] === GLOBSTAR);
        if (start !== '' && start !== '/' && !call(MapPrototypeHas, found, start) && itself) {
          const reply = yield [OP.LSTAT, fullOf(start), '', undefined, 0, 0, 0];
          const at = call(StringPrototypeLastIndexOf, start, '/');
          const own = reply.error ? undefined : entry(call(StringPrototypeSlice, start, at + 1), reply.stat[0],
            at === -1 ? '' : at === 0 ? '/' : call(StringPrototypeSlice, start, 0, at));
          if (own !== undefined && !excluded(own.item)) {
            call(MapPrototypeSet, found, start, true);
            call(ArrayPrototypePush, out, own.item);
          }
        }
        const queue = [start];
        for (let i = 0; i < queue.length; i++) {
          const dirShown = queue[i];
          const reply = yield [OP.READDIR, fullOf(dirShown), '', undefined, 0, 0, 0];
          if (reply.error) continue;
          const names = reply.names || [];
          const kinds = reply.kinds || [];
          for (let k = 0; k < names.length; k++) {
            const { shown, item } = entry(names[k], kinds[k], dirShown);
            if (excluded(item)) continue;
            if (!call(MapPrototypeHas, found, shown) && matcher.match(shown)) {
              call(MapPrototypeSet, found, shown, true);
              call(ArrayPrototypePush, out, item);
            }
            if (kinds[k] === KIND.DIRECTORY && matcher.match(shown, true)) call(ArrayPrototypePush, queue, shown);
          }
        }
      }
    }
    return out;
  }
  fs.globSync = (pattern, opts = {}) => runSync(globOp(pattern, opts));
  fs.glob = function glob(pattern, opts, callback) {
    if (typeof opts === 'function') { callback = opts; opts = {}; }
    if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    runAsync(globOp(pattern, opts === undefined ? {} : opts), (err, value) => (err ? callback(err) : callback(null, value)));
  };
  promises.glob = async function* glob(pattern, opts = {}) {
    yield* await promised(globOp(pattern, opts));
  };

  define('readFile', ([path, opts]) => readFileOp(path, options(opts, { encoding: null, flag: 'r' })));
  define('writeFile', ([path, data, opts]) =>
    writeFileOp(path, data, options(opts, { encoding: 'utf8', flag: 'w' })));
  define('appendFile', ([path, data, opts]) =>
    writeFileOp(path, data, options(opts, { encoding: 'utf8', flag: 'a' })));
  define('stat', ([path, opts]) => statOp(path, options(opts, {}), true));
  define('lstat', ([path, opts]) => statOp(path, options(opts, {}), false));
  define('readdir', ([path, opts]) => readdirOp(path, options(opts, { encoding: 'utf8' })));
  define('mkdir', ([path, opts]) =>
    mkdirOp(path, typeof opts === 'number' ? {} : options(opts, { recursive: false })));
  // The operations whose result is nothing.
  function* voidOp(op, syscall, path, flags, to) {
    yield* simpleOp(op, syscall, path, flags, to);
    return undefined;
  }
  define('rmdir', ([path, opts]) =>
    voidOp(OP.RMDIR, 'rmdir', path, options(opts, {}).recursive ? FLAG.RECURSIVE : 0));
  define('rm', ([path, opts]) => rmOp(path, options(opts, {})));
  define('unlink', ([path]) => voidOp(OP.UNLINK, 'unlink', path, 0));
  define('rename', ([from, to]) => voidOp(OP.RENAME, 'rename', from, 0, to));
  define('copyFile', ([src, dest, mode]) => copyFileOp(src, dest, mode || 0));
  define('access', ([path, mode]) => accessOp(path, mode || 0));
  define('realpath', ([path]) => realpathOp(path));
  define('readlink', ([path]) => readlinkOp(path));
  define('symlink', ([target, path]) => symlinkOp(target, path));
  define('truncate', ([path, len]) => truncateOp(path, len));
  define('mkdtemp', ([prefix]) => mkdtempOp(prefix));
  define('cp', ([src, dest, opts]) => cpOp(src, dest, options(opts, { recursive: false })));
  define('opendir', ([path]) => opendirOp(path));
  define('open', ([path, flags]) => openOp(path, flags), { promise: false });
  define('read', ([fd, buffer, offset, length, position]) =>
    readOp(fd, buffer, offset, length, position), { promise: false });
  define('write', ([fd, data, offset, length, position]) =>
    writeOp(fd, data, offset, length, position), { promise: false });
  define('fstat', ([fd]) => fstatOp(fd), { promise: false });
  define('close', ([fd]) => closeOp(fd), { promise: false });
  define('ftruncate', ([fd, len]) => ftruncateOp(fd, len), { promise: false });
  // chmod: the permission bits, as a number or an octal string.
  function fileMode(mode) {
    let bits = mode;
    if (typeof mode === 'string') {
      if (!/^[0-7]+$/.test(mode)) {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
          "The argument 'mode' must be a 32-bit unsigned integer or an octal string. Received " + prelude.inspect(mode));
      }
      bits = parseInt(mode, 8);
    }
    if (typeof bits !== 'number') throw invalidArgType('mode', 'of type number', mode);
    if (!NumberIsInteger(bits) || bits < 0 || bits > 4294967295) {
      throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE',
        'The value of "mode" is out of range. It must be >= 0 && <= 4294967295. Received ' + bits);
    }
    return bits & 0o7777;
  }
  function* chmodOp(path, mode) {
    const shown = toPathString(path);
    const bits = fileMode(mode);
    const reply = yield [OP.CHMOD, resolvePath(shown), '', undefined, bits, 0, 0];
    if (reply.error) throw fsError(reply, 'chmod', shown);
    return undefined;
  }
  // utimes: seconds (a number, a numeric string) or a Date, to milliseconds.
  function timeMs(value, name) {
    if (value instanceof DateCtor) return value.getTime();
    if (typeof value === 'string' && value !== '' && value === value.trim() && !Number.isNaN(Number(value))) {
      return Number(value) * 1000;
    }
    if (typeof value === 'number' || typeof value === 'bigint') {
      const n = Number(value);
      return Number.isFinite(n) ? n * 1000 : DateCtor.now();
    }
    throw invalidArgType(name, 'of type number or an instance of Date', value);
  }
  function* utimesOp(path, atime, mtime) {
    const shown = toPathString(path);
    const at = timeMs(atime, 'atime');
    const mt = timeMs(mtime, 'mtime');
    const reply = yield [OP.UTIMES, resolvePath(shown), '', undefined, at, mt, 0];
    if (reply.error) throw fsError(reply, 'utime', shown);
    return undefined;
  }
  // chown: the guest is uid and gid 0 and owns every file; giving a file to itself (or -1,
  // "unchanged") succeeds where the file may change, any other owner is EPERM.
  function* chownOp(path, uid, gid, syscall) {
    const shown = toPathString(path);
    for (const [name, id] of [['uid', uid], ['gid', gid]]) {
      if (typeof id !== 'number') throw invalidArgType(name, 'of type number', id);
      if (!NumberIsInteger(id) || id < -1 || id > 4294967295) {
        throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE', 'The value of "' + name +
          '" is out of range. It must be >= -1 && <= 4294967295. Received ' + id);
      }
    }
    const reply = yield [OP.ACCESS, resolvePath(shown), '', undefined, 0, 0, FLAG.WRITABLE];
    if (reply.error) throw fsError(reply, syscall, shown);
    if ((uid !== 0 && uid !== -1) || (gid !== 0 && gid !== -1)) {
      throw fsError({ error: 'EPERM', message: 'operation not permitted' }, syscall, shown);
    }
    return undefined;
  }
  define('chmod', ([path, mode]) => chmodOp(path, mode));
  define('utimes', ([path, atime, mtime]) => utimesOp(path, atime, mtime));
  define('chown', ([path, uid, gid]) => chownOp(path, uid, gid, 'chown'));
  define('lchown', ([path, uid, gid]) => chownOp(path, uid, gid, 'lchown'));
  define('fchmod', ([fd, mode]) => chmodOp(descriptor(fd, 'fchmod').path, mode), { promise: false });
  define('futimes', ([fd, atime, mtime]) => utimesOp(descriptor(fd, 'futime').path, atime, mtime), { promise: false });
  define('fchown', ([fd, uid, gid]) => chownOp(descriptor(fd, 'fchown').path, uid, gid, 'fchown'), { promise: false });

  // A write is with the host when it returns: there is nothing left to flush.
  function* syncOp(fd, syscall) {
    descriptor(fd, syscall);
    return undefined;
  }
  define('fsync', ([fd]) => syncOp(fd, 'fsync'), { promise: false });
  define('fdatasync', ([fd]) => syncOp(fd, 'fdatasync'), { promise: false });
  // Scatter and gather: one read or write per buffer, stopping at a short read.
  function* vectorOp(fd, buffers, position, write) {
    if (!ArrayIsArray(buffers)) throw invalidArgType('buffers', 'an instance of ArrayBufferView[]', buffers);
    let total = 0;
    for (const buffer of buffers) {
      const at = typeof position === 'number' ? position + total : position;
      const n = write ? yield* writeOp(fd, buffer, 0, buffer.byteLength, at)
        : yield* readOp(fd, buffer, 0, buffer.byteLength, at);
      total += n;
      if (n < buffer.byteLength) break;
    }
    return total;
  }
  define('readv', ([fd, buffers, position]) => vectorOp(fd, buffers, position, false), { promise: false });
  define('writev', ([fd, buffers, position]) => vectorOp(fd, buffers, position, true), { promise: false });
  // They call back with (err, bytes, buffers), as Node's.
  for (const name of ['readv', 'writev']) {
    const plain = fs[name];
    fs[name] = function (fd, buffers, ...rest) {
      const callback = rest[rest.length - 1];
      ReflectApply(plain, undefined, [fd, buffers, ...call(ArrayPrototypeSlice, rest, 0, -1),
        (err, n) => callback(err, n, buffers)]);
    };
  }
  fs.realpathSync.native = fs.realpathSync;
  fs.realpath.native = fs.realpath;

  fs.existsSync = (path) => runSync(existsOp(path));
  fs.exists = (path, callback) => runAsync(existsOp(path), (err, found) => callback(!err && found));
  // `fs.read` calls back with (err, bytesRead, buffer); `fs.write` with (err, written, data).
  const readWithBuffer = fs.read;
  fs.read = function (fd, buffer, ...rest) {
    const callback = rest[rest.length - 1];
    ReflectApply(readWithBuffer, undefined, [fd, buffer, ...call(ArrayPrototypeSlice, rest, 0, -1),
      (err, n) => callback(err, n, buffer)]);
  };
  const writeWithData = fs.write;
  fs.write = function (fd, data, ...rest) {
    const callback = rest[rest.length - 1];
    ReflectApply(writeWithData, undefined, [fd, data, ...call(ArrayPrototypeSlice, rest, 0, -1),
      (err, n) => callback(err, n, data)]);
  };

  // FileHandle: the promise API's descriptor.
  class FileHandle {
    constructor(fd) { this.fd = fd; }
    read(buffer, offset, length, position) {
      if (buffer === undefined) buffer = Buffer().alloc(16384);
      return promised(readOp(this.fd, buffer, offset, length, position))
        .then((bytesRead) => ({ bytesRead, buffer }));
    }
    write(data, offset, length, position) {
      return promised(writeOp(this.fd, data, offset, length, position))
        .then((bytesWritten) => ({ bytesWritten, buffer: data }));
    }
    readFile(opts) {
      return promised(readFileOp(this.fd, options(opts, { encoding: null })));
    }
    writeFile(data, opts) {
      return promised(writeFileOp(this.fd, data, options(opts, { encoding: 'utf8', flag: 'w' })));
    }
    appendFile(data, opts) {
      return promised(writeFileOp(this.fd, data, options(opts, { encoding: 'utf8', flag: 'a' })));
    }
    stat() { return promised(fstatOp(this.fd)); }
    chmod(mode) { return promised(chmodOp(descriptor(this.fd, 'fchmod').path, mode)); }
    chown(uid, gid) { return promised(chownOp(descriptor(this.fd, 'fchown').path, uid, gid, 'fchown')); }
    utimes(atime, mtime) { return promised(utimesOp(descriptor(this.fd, 'futime').path, atime, mtime)); }
    sync() { return promised(syncOp(this.fd, 'fsync')); }
    datasync() { return promised(syncOp(this.fd, 'fdatasync')); }
    readv(buffers, position) {
      return promised(vectorOp(this.fd, buffers, position, false)).then((bytesRead) => ({ bytesRead, buffers }));
    }
    writev(buffers, position) {
      return promised(vectorOp(this.fd, buffers, position, true)).then((bytesWritten) => ({ bytesWritten, buffers }));
    }
    truncate(len) { return promised(ftruncateOp(this.fd, len)); }
    close() { return promised(closeOp(this.fd)); }
  }
  promises.open = (path, flags) => promised(openOp(path, flags)).then((fd) => new FileHandle(fd));

  // Streams over the same host calls: each read or write a call of its own (a chunk at most),
  // in order, so a stream never holds more than its high-water mark.
  fs.createReadStream = function createReadStream(path, opts) {
    const { Readable } = requireBuiltin('stream');
    const o = options(opts, {});
    const shown = typeof path === 'string' || path === null || path === undefined ? path : toPathString(path);
    const file = o.fd !== undefined ? descriptor(o.fd, 'read').path : resolvePath(toPathString(path));
    let position = typeof o.start === 'number' ? o.start : 0;
    const end = typeof o.end === 'number' ? o.end : Infinity;
    const highWaterMark = o.highWaterMark || 64 * 1024;
    const stream = new Readable({
      highWaterMark,
      encoding: o.encoding,
      emitClose: o.emitClose !== false,
      construct(callback) {
        // Opens (here: finds) the file first, as Node's stream does, so a missing file is an
        // 'error' even when nobody reads.
        hostAsync([OP.STAT, file, '', undefined, 0, 0, 0], (reply) => {
          callback(reply.error ? fsError(reply, 'open', shown) : undefined);
        });
      },
      read(size) {
        let want = size || highWaterMark;
        if (want > CHUNK) want = CHUNK;
        if (end - position + 1 < want) want = end - position + 1;
        if (want <= 0) {
          this.push(null);
          return;
        }
        hostAsync([OP.READ, file, '', undefined, position, want, 0], (reply) => {
          if (reply.error) {
            this.destroy(reply.error === 'EISDIR' ? fsError(reply, 'read') : fsError(reply, 'open', shown));
            return;
          }
          const bytes = takeBytes(reply);
          position += bytes.byteLength;
          stream.bytesRead += bytes.byteLength;
          this.push(bytes.byteLength === 0 ? null : toBuffer(bytes));
        });
      },
    });
    stream.path = shown;
    stream.bytesRead = 0;
    stream.pending = false;
    // As Node's ReadStream: closing is destroying, with a callback on 'close'.
    stream.close = (callback) => {
      if (typeof callback === 'function') stream.once('close', () => callback());
      stream.destroy();
    };
    return stream;
  };

  fs.createWriteStream = function createWriteStream(path, opts) {
    const { Writable } = requireBuiltin('stream');
    const o = options(opts, { flags: 'w', encoding: 'utf8' });
    const shown = toPathString(path);
    const file = resolvePath(shown);
    const mode = openMode(o.flags);
    let position = typeof o.start === 'number' ? o.start : undefined;
    const stream = new Writable({
      decodeStrings: true,
      defaultEncoding: o.encoding,
      emitClose: o.emitClose !== false,
      construct(callback) {
        // Creates (or truncates) the file as open(2) would, before the first write.
        const flags = (mode.append || position !== undefined ? FLAG.APPEND : 0) |
          (mode.exclusive ? FLAG.EXCLUSIVE : 0);
        hostAsync([OP.WRITE, file, '', undefined, 0, 0, flags], (reply) => {
          callback(reply.error ? fsError(reply, 'open', shown) : undefined);
        });
      },
      write(chunk, encoding, callback) {
        const bytes = dataBytes(chunk, encoding);
        let done = 0;
        const next = () => {
          const end = done + CHUNK < bytes.byteLength ? done + CHUNK : bytes.byteLength;
          const flags = position === undefined ? FLAG.APPEND : FLAG.POSITIONED | FLAG.MUST_EXIST;
          hostAsync([OP.WRITE, file, '', bytes.subarray(done, end), position || 0, 0, flags], (reply) => {
            if (reply.error) {
              callback(fsError(reply, 'write'));
              return;
            }
            stream.bytesWritten += end - done;
            if (position !== undefined) position += end - done;
            done = end;
            if (done < bytes.byteLength) next();
            else callback();
          });
        };
        next();
      },
    });
    stream.path = shown;
    stream.bytesWritten = 0;
    stream.pending = false;
    // As Node's WriteStream: what was written is finished first, then the stream closes.
    stream.close = (callback) => {
      if (typeof callback === 'function') stream.once('close', () => callback());
      if (stream.writableEnded) stream.destroy();
      else stream.end(() => stream.destroy());
    };
    return stream;
  };

  // Linux's values, in Node's order.
  fs.constants = ObjectFreeze({ UV_FS_SYMLINK_DIR: 1, UV_FS_SYMLINK_JUNCTION: 2, O_RDONLY: 0,
    O_WRONLY: 1, O_RDWR: 2, UV_DIRENT_UNKNOWN: 0, UV_DIRENT_FILE: 1, UV_DIRENT_DIR: 2,
    UV_DIRENT_LINK: 3, UV_DIRENT_FIFO: 4, UV_DIRENT_SOCKET: 5, UV_DIRENT_CHAR: 6,
    UV_DIRENT_BLOCK: 7, EXTENSIONLESS_FORMAT_JAVASCRIPT: 0, EXTENSIONLESS_FORMAT_WASM: 1,
    S_IFMT: 61440, S_IFREG: 32768, S_IFDIR: 16384, S_IFCHR: 8192, S_IFBLK: 24576, S_IFIFO: 4096,
    S_IFLNK: 40960, S_IFSOCK: 49152, O_CREAT: 64, O_EXCL: 128, UV_FS_O_FILEMAP: 0, O_NOCTTY: 256,
    O_TRUNC: 512, O_APPEND: 1024, O_DIRECTORY: 65536, O_NOATIME: 262144, O_NOFOLLOW: 131072,
    O_SYNC: 1052672, O_DSYNC: 4096, O_DIRECT: 16384, O_NONBLOCK: 2048, S_IRWXU: 448,
    S_IRUSR: 256, S_IWUSR: 128, S_IXUSR: 64, S_IRWXG: 56, S_IRGRP: 32, S_IWGRP: 16, S_IXGRP: 8,
    S_IRWXO: 7, S_IROTH: 4, S_IWOTH: 2, S_IXOTH: 1, F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
    UV_FS_COPYFILE_EXCL: 1, COPYFILE_EXCL: 1, UV_FS_COPYFILE_FICLONE: 2, COPYFILE_FICLONE: 2,
    UV_FS_COPYFILE_FICLONE_FORCE: 4, COPYFILE_FICLONE_FORCE: 4 });
  ObjectAssign(fs, { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 });
  promises.constants = fs.constants;
  fs.Stats = Stats;
  fs.Dirent = Dirent;
  fs.promises = promises;
  for (const name of ['watch', 'watchFile', 'unwatchFile', 'link', 'lchmod', 'lutimes',
    'statfs']) {
    const fail = () => { throw notSupported('fs.' + name + '()'); };
    fs[name] = fail;
    fs[name + 'Sync'] = fail;
    promises[name] = () => PromiseCtor.reject(notSupported('fs.promises.' + name + '()'));
  }
  // The classes behind createReadStream and createWriteStream.
  fs.ReadStream = fs.FileReadStream = function ReadStream(path, opts) { return fs.createReadStream(path, opts); };
  fs.WriteStream = fs.FileWriteStream = function WriteStream(path, opts) { return fs.createWriteStream(path, opts); };
  fs.Dir = Dir;
  fs.openAsBlob = (path, opts) => promised(readFileOp(path, { encoding: null, flag: 'r' }))
    .then((bytes) => new (net().Blob)([bytes], { type: opts && opts.type !== undefined ? StringCtor(opts.type) : '' }));

  // ---------------------------------------------------------------- prefetch
  // Every module is a host call; one after another they cost a round trip each. So before a
  // module runs, the literal `require('...')` calls in its source are sent ahead, all at once
  // (the host answers them in parallel), and `require` takes the answer when it gets there.
  // A scan, not a parse (`native.literalRequires`, at most 48 per module, remembered per
  // source by the worker): a miss costs nothing but the unused answer.
  const prefetched = new SafeMap();
  let aheadDisabled = false;

  function sendAhead(table, key, request) {
    if (aheadDisabled || call(MapPrototypeHas, table, key)) return;
    try {
      call(MapPrototypeSet, table, key, ReflectApply(native.hostSend, undefined, request));
    } catch {
      // Too many calls in flight: load the rest one at a time.
      aheadDisabled = true;
    }
  }

  // The answer to a call sent ahead for `key`, if there was one.
  function takeAhead(table, key) {
    const id = call(MapPrototypeGet, table, key);
    if (id === undefined) return undefined;
    call(MapPrototypeDelete, table, key);
    const reply = native.hostWait(id);
    if (reply === undefined) throw new ErrorCtor('the session was stopped');
    return reply;
  }

  function dropData(reply) {
    if (reply.size > 0) native.takeData(reply.id, new Uint8ArrayCtor(0));
  }

  // The key under which `specifier` from `dir` is sent ahead; undefined when it needs no host
  // call (a built-in, or resolved before).
  function aheadKey(dir, specifier, known) {
    try {
      if (builtinName(specifier) !== undefined) return undefined;
    } catch {
      return undefined;
    }
    const key = dir + '\u0000' + specifier;
    return call(MapPrototypeHas, known, key) ? undefined : key;
  }

  // Walks the literal requires ahead of execution, a level at a time: every request of a level
  // goes out together and the answers' sources are scanned for the next level, so by the time
  // the modules run, their files are here. Bounded per walk; sources are kept as strings (on
  // the session's own heap) until their module loads.
  const MAX_WALK = 256;
  // Remembered requests in flight at once (the host-call limit is 64 a session).
  const HINTS_IN_FLIGHT = 40;
  const ready = new SafeMap();
  const scanned = new SafeMap();

  function prefetchRequires(filename, source) {
    call(MapPrototypeSet, scanned, filename, true);
    // What the last walk from this root in this world asked for goes out without waiting for
    // the levels (walks.rs), as many at a time as stay under the session's limit of calls in
    // flight; the walk below takes those answers as it meets their keys, and asks for
    // anything new itself.
    const hint = aheadDisabled ? undefined : native.walkHint(source, filename);
    let hinted = 0;
    const topUp = () => {
      while (hint !== undefined && hinted < hint.length && !aheadDisabled &&
          call(MapPrototypeSize, prefetched) < HINTS_IN_FLIGHT) {
        const key = hint[hinted++];
        if (call(MapPrototypeHas, resolved, key) || call(MapPrototypeHas, ready, key)) continue;
        if (call(MapPrototypeHas, prefetched, key)) continue;
        const at = call(StringPrototypeIndexOf, key, '\u0000');
        sendAhead(prefetched, key, [OP.RESOLVE, call(StringPrototypeSlice, key, at + 1),
          call(StringPrototypeSlice, key, 0, at), undefined, 0, 0, FLAG.LOAD]);
      }
    };
    topUp();
    const asked = [];
    let level = [[filename, source]];
    let walked = 0;
    while (level.length > 0 && walked < MAX_WALK && !aheadDisabled) {
      const sent = [];
      const inLevel = new SafeMap();
      for (const [file, text] of level) {
        const dir = dirname(file);
        for (const id of native.literalRequires(text)) {
          const key = aheadKey(dir, id, resolved);
          if (key === undefined || call(MapPrototypeHas, ready, key)) continue;
          if (call(MapPrototypeHas, inLevel, key)) continue;
          if (!call(MapPrototypeHas, prefetched, key)) {
            sendAhead(prefetched, key, [OP.RESOLVE, id, dir, undefined, 0, 0, FLAG.LOAD]);
          }
          if (call(MapPrototypeHas, prefetched, key)) {
            call(MapPrototypeSet, inLevel, key, true);
            call(ArrayPrototypePush, sent, key);
            call(ArrayPrototypePush, asked, key);
          }
        }
      }
      level = [];
      for (const key of sent) {
        const reply = takeAhead(prefetched, key);
        topUp();
        let text;
        if (!reply.error && reply.format === 'commonjs' && moduleCache[reply.path] === undefined) {
          text = reply.size > 0 ? native.takeText(reply.id) : '';
          walked++;
          if (!call(MapPrototypeHas, scanned, reply.path)) {
            call(MapPrototypeSet, scanned, reply.path, true);
            call(ArrayPrototypePush, level, [reply.path, text]);
          }
        }
        call(MapPrototypeSet, ready, key, { reply, text });
      }
    }
    if (!aheadDisabled && asked.length > 0) native.rememberWalk(source, filename, asked);
  }


  // ---------------------------------------------------------------- modules
  // Modules the sandbox cannot offer: requiring one throws ERR_NOT_SUPPORTED naming it.
  // Modules the sandbox cannot offer load (packages that require them at the top still
  // work), but every function in them throws ERR_NOT_SUPPORTED naming the module; the few pure
  // values they hold are real.
  const UNSUPPORTED = {
    async_hooks: ['createHook', 'executionAsyncId', 'triggerAsyncId', 'executionAsyncResource'],
    child_process: ['ChildProcess', 'exec', 'execFile', 'execFileSync', 'execSync', 'fork', 'spawn', 'spawnSync'],
    cluster: ['fork', 'setupPrimary', 'setupMaster', 'disconnect'],
    dgram: ['createSocket', 'Socket'],
    http2: ['connect', 'createServer', 'createSecureServer'],
    inspector: ['open', 'close', 'url', 'waitForDebugger', 'Session'],
    'inspector/promises': ['open', 'close', 'url', 'waitForDebugger', 'Session'],
    // Deprecated since Node 4, still required by a few old packages.
    domain: ['Domain', 'createDomain', 'create'],
    // Node's internal modules of the same, reachable by name.
    _tls_common: ['SecureContext', 'createSecureContext', 'translatePeerCertificate'],
    _tls_wrap: ['TLSSocket', 'Server', 'createServer', 'connect'],
    net: ['BlockList', 'Server', 'Socket', 'SocketAddress', 'connect', 'createConnection', 'createServer'],
    repl: ['start', 'REPLServer'],
    tls: ['SecureContext', 'Server', 'TLSSocket', 'connect', 'createSecureContext', 'createServer'],
    trace_events: ['createTracing', 'getEnabledCategories'],
    v8: ['cachedDataVersionTag', 'getHeapSnapshot', 'setFlagsFromString', 'writeHeapSnapshot'],
    wasi: ['WASI'],
    worker_threads: ['Worker', 'receiveMessageOnPort', 'markAsUntransferable'],
  };
  // The values that are real in those modules.
  const UNSUPPORTED_VALUES = {
    domain: { active: null },
    // The session's own heap, as its limit bounds it (the rest of V8 is not the guest's to see).
    v8: {
      // V8's wire format, views written as Node's DefaultSerializer writes them
      // (serialization.rs).
      serialize(value) {
        const B = Buffer();
        // A Buffer of its own, as Node's serializer releases one (never a pool's slice).
        return native.v8Serialize(value, B.prototype, (length) => B.allocUnsafeSlow(length));
      },
      deserialize(buffer) {
        if (!ArrayBufferIsView(buffer)) {
          throw new TypeErrorCtor('buffer must be a TypedArray or a DataView');
        }
        return native.v8Deserialize(buffer, Buffer().prototype);
      },
      getHeapStatistics() {
        const usage = process.memoryUsage();
        const limit = process.constrainedMemory();
        return {
          total_heap_size: usage.heapTotal,
          total_heap_size_executable: 0,
          total_physical_size: usage.heapTotal,
          total_available_size: MathMax(0, limit - usage.heapUsed - usage.external),
          used_heap_size: usage.heapUsed,
          heap_size_limit: limit,
          malloced_memory: 0,
          peak_malloced_memory: 0,
          does_zap_garbage: 0,
          number_of_native_contexts: 1,
          number_of_detached_contexts: 0,
          total_global_handles_size: 0,
          used_global_handles_size: 0,
          external_memory: usage.external,
        };
      },
      getHeapSpaceStatistics: () => [],
      getHeapCodeStatistics: () => ({ code_and_metadata_size: 0, bytecode_and_metadata_size: 0,
        external_script_source_size: 0, cpu_profiler_metadata_size: 0 }),
    },
    // Protocol constants (HTTP/2's numbers and header names), which clients such as undici
    // read at their top even when they never open an HTTP/2 session.
    http2: () => ({
      sensitiveHeaders: SymbolCtor('nodejs.http2.sensitiveHeaders'),
      constants: ObjectFreeze({
        NGHTTP2_ERR_FRAME_SIZE_ERROR: -522, NGHTTP2_SESSION_SERVER: 0, NGHTTP2_SESSION_CLIENT: 1,
        NGHTTP2_STREAM_STATE_IDLE: 1, NGHTTP2_STREAM_STATE_OPEN: 2,
        NGHTTP2_STREAM_STATE_RESERVED_LOCAL: 3, NGHTTP2_STREAM_STATE_RESERVED_REMOTE: 4,
        NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL: 5, NGHTTP2_STREAM_STATE_HALF_CLOSED_REMOTE: 6,
        NGHTTP2_STREAM_STATE_CLOSED: 7, NGHTTP2_FLAG_NONE: 0, NGHTTP2_FLAG_END_STREAM: 1,
        NGHTTP2_FLAG_END_HEADERS: 4, NGHTTP2_FLAG_ACK: 1, NGHTTP2_FLAG_PADDED: 8,
        NGHTTP2_FLAG_PRIORITY: 32, DEFAULT_SETTINGS_HEADER_TABLE_SIZE: 4096,
        DEFAULT_SETTINGS_ENABLE_PUSH: 1, DEFAULT_SETTINGS_MAX_CONCURRENT_STREAMS: 4294967295,
        DEFAULT_SETTINGS_INITIAL_WINDOW_SIZE: 65535, DEFAULT_SETTINGS_MAX_FRAME_SIZE: 16384,
        DEFAULT_SETTINGS_MAX_HEADER_LIST_SIZE: 65535, DEFAULT_SETTINGS_ENABLE_CONNECT_PROTOCOL: 0,
        MAX_MAX_FRAME_SIZE: 16777215, MIN_MAX_FRAME_SIZE: 16384, MAX_INITIAL_WINDOW_SIZE: 2147483647,
        NGHTTP2_SETTINGS_HEADER_TABLE_SIZE: 1, NGHTTP2_SETTINGS_ENABLE_PUSH: 2,
        NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS: 3, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE: 4,
        NGHTTP2_SETTINGS_MAX_FRAME_SIZE: 5, NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE: 6,
        NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL: 8, PADDING_STRATEGY_NONE: 0,
        PADDING_STRATEGY_ALIGNED: 1, PADDING_STRATEGY_MAX: 2, PADDING_STRATEGY_CALLBACK: 1,
        NGHTTP2_NO_ERROR: 0, NGHTTP2_PROTOCOL_ERROR: 1, NGHTTP2_INTERNAL_ERROR: 2,
        NGHTTP2_FLOW_CONTROL_ERROR: 3, NGHTTP2_SETTINGS_TIMEOUT: 4, NGHTTP2_STREAM_CLOSED: 5,
        NGHTTP2_FRAME_SIZE_ERROR: 6, NGHTTP2_REFUSED_STREAM: 7, NGHTTP2_CANCEL: 8,
        NGHTTP2_COMPRESSION_ERROR: 9, NGHTTP2_CONNECT_ERROR: 10, NGHTTP2_ENHANCE_YOUR_CALM: 11,
        NGHTTP2_INADEQUATE_SECURITY: 12, NGHTTP2_HTTP_1_1_REQUIRED: 13, NGHTTP2_DEFAULT_WEIGHT: 16,
        HTTP2_HEADER_STATUS: ':status', HTTP2_HEADER_METHOD: ':method',
        HTTP2_HEADER_AUTHORITY: ':authority', HTTP2_HEADER_SCHEME: ':scheme',
        HTTP2_HEADER_PATH: ':path', HTTP2_HEADER_PROTOCOL: ':protocol',
        HTTP2_HEADER_ACCEPT_ENCODING: 'accept-encoding',
        HTTP2_HEADER_ACCEPT_LANGUAGE: 'accept-language', HTTP2_HEADER_ACCEPT_RANGES: 'accept-ranges',
        HTTP2_HEADER_ACCEPT: 'accept',
        HTTP2_HEADER_ACCESS_CONTROL_ALLOW_CREDENTIALS: 'access-control-allow-credentials',
        HTTP2_HEADER_ACCESS_CONTROL_ALLOW_HEADERS: 'access-control-allow-headers',
        HTTP2_HEADER_ACCESS_CONTROL_ALLOW_METHODS: 'access-control-allow-methods',
        HTTP2_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN: 'access-control-allow-origin',
        HTTP2_HEADER_ACCESS_CONTROL_EXPOSE_HEADERS: 'access-control-expose-headers',
        HTTP2_HEADER_ACCESS_CONTROL_REQUEST_HEADERS: 'access-control-request-headers',
        HTTP2_HEADER_ACCESS_CONTROL_REQUEST_METHOD: 'access-control-request-method',
        HTTP2_HEADER_AGE: 'age', HTTP2_HEADER_AUTHORIZATION: 'authorization',
        HTTP2_HEADER_CACHE_CONTROL: 'cache-control', HTTP2_HEADER_CONNECTION: 'connection',
        HTTP2_HEADER_CONTENT_DISPOSITION: 'content-disposition',
        HTTP2_HEADER_CONTENT_ENCODING: 'content-encoding',
        HTTP2_HEADER_CONTENT_LENGTH: 'content-length', HTTP2_HEADER_CONTENT_TYPE: 'content-type',
        HTTP2_HEADER_COOKIE: 'cookie', HTTP2_HEADER_DATE: 'date', HTTP2_HEADER_ETAG: 'etag',
        HTTP2_HEADER_FORWARDED: 'forwarded', HTTP2_HEADER_HOST: 'host',
        HTTP2_HEADER_IF_MODIFIED_SINCE: 'if-modified-since',
        HTTP2_HEADER_IF_NONE_MATCH: 'if-none-match', HTTP2_HEADER_IF_RANGE: 'if-range',
        HTTP2_HEADER_LAST_MODIFIED: 'last-modified', HTTP2_HEADER_LINK: 'link',
        HTTP2_HEADER_LOCATION: 'location', HTTP2_HEADER_RANGE: 'range',
        HTTP2_HEADER_REFERER: 'referer', HTTP2_HEADER_SERVER: 'server',
        HTTP2_HEADER_SET_COOKIE: 'set-cookie',
        HTTP2_HEADER_STRICT_TRANSPORT_SECURITY: 'strict-transport-security',
        HTTP2_HEADER_TRANSFER_ENCODING: 'transfer-encoding', HTTP2_HEADER_TE: 'te',
        HTTP2_HEADER_UPGRADE_INSECURE_REQUESTS: 'upgrade-insecure-requests',
        HTTP2_HEADER_UPGRADE: 'upgrade', HTTP2_HEADER_USER_AGENT: 'user-agent',
        HTTP2_HEADER_VARY: 'vary', HTTP2_HEADER_X_CONTENT_TYPE_OPTIONS: 'x-content-type-options',
        HTTP2_HEADER_X_FRAME_OPTIONS: 'x-frame-options', HTTP2_HEADER_KEEP_ALIVE: 'keep-alive',
        HTTP2_HEADER_PROXY_CONNECTION: 'proxy-connection',
        HTTP2_HEADER_X_XSS_PROTECTION: 'x-xss-protection', HTTP2_HEADER_ALT_SVC: 'alt-svc',
        HTTP2_HEADER_CONTENT_SECURITY_POLICY: 'content-security-policy',
        HTTP2_HEADER_EARLY_DATA: 'early-data', HTTP2_HEADER_EXPECT_CT: 'expect-ct',
        HTTP2_HEADER_ORIGIN: 'origin', HTTP2_HEADER_PURPOSE: 'purpose',
        HTTP2_HEADER_TIMING_ALLOW_ORIGIN: 'timing-allow-origin',
        HTTP2_HEADER_X_FORWARDED_FOR: 'x-forwarded-for', HTTP2_HEADER_PRIORITY: 'priority',
        HTTP2_HEADER_ACCEPT_CHARSET: 'accept-charset',
        HTTP2_HEADER_ACCESS_CONTROL_MAX_AGE: 'access-control-max-age', HTTP2_HEADER_ALLOW: 'allow',
        HTTP2_HEADER_CONTENT_LANGUAGE: 'content-language',
        HTTP2_HEADER_CONTENT_LOCATION: 'content-location', HTTP2_HEADER_CONTENT_MD5: 'content-md5',
        HTTP2_HEADER_CONTENT_RANGE: 'content-range', HTTP2_HEADER_DNT: 'dnt',
        HTTP2_HEADER_EXPECT: 'expect', HTTP2_HEADER_EXPIRES: 'expires', HTTP2_HEADER_FROM: 'from',
        HTTP2_HEADER_IF_MATCH: 'if-match', HTTP2_HEADER_IF_UNMODIFIED_SINCE: 'if-unmodified-since',
        HTTP2_HEADER_MAX_FORWARDS: 'max-forwards', HTTP2_HEADER_PREFER: 'prefer',
        HTTP2_HEADER_PROXY_AUTHENTICATE: 'proxy-authenticate',
        HTTP2_HEADER_PROXY_AUTHORIZATION: 'proxy-authorization', HTTP2_HEADER_REFRESH: 'refresh',
        HTTP2_HEADER_RETRY_AFTER: 'retry-after', HTTP2_HEADER_TRAILER: 'trailer',
        HTTP2_HEADER_TK: 'tk', HTTP2_HEADER_VIA: 'via', HTTP2_HEADER_WARNING: 'warning',
        HTTP2_HEADER_WWW_AUTHENTICATE: 'www-authenticate',
        HTTP2_HEADER_HTTP2_SETTINGS: 'http2-settings', HTTP2_METHOD_ACL: 'ACL',
        HTTP2_METHOD_BASELINE_CONTROL: 'BASELINE-CONTROL', HTTP2_METHOD_BIND: 'BIND',
        HTTP2_METHOD_CHECKIN: 'CHECKIN', HTTP2_METHOD_CHECKOUT: 'CHECKOUT',
        HTTP2_METHOD_CONNECT: 'CONNECT', HTTP2_METHOD_COPY: 'COPY', HTTP2_METHOD_DELETE: 'DELETE',
        HTTP2_METHOD_GET: 'GET', HTTP2_METHOD_HEAD: 'HEAD', HTTP2_METHOD_LABEL: 'LABEL',
        HTTP2_METHOD_LINK: 'LINK', HTTP2_METHOD_LOCK: 'LOCK', HTTP2_METHOD_MERGE: 'MERGE',
        HTTP2_METHOD_MKACTIVITY: 'MKACTIVITY', HTTP2_METHOD_MKCALENDAR: 'MKCALENDAR',
        HTTP2_METHOD_MKCOL: 'MKCOL', HTTP2_METHOD_MKREDIRECTREF: 'MKREDIRECTREF',
        HTTP2_METHOD_MKWORKSPACE: 'MKWORKSPACE', HTTP2_METHOD_MOVE: 'MOVE',
        HTTP2_METHOD_OPTIONS: 'OPTIONS', HTTP2_METHOD_ORDERPATCH: 'ORDERPATCH',
        HTTP2_METHOD_PATCH: 'PATCH', HTTP2_METHOD_POST: 'POST', HTTP2_METHOD_PRI: 'PRI',
        HTTP2_METHOD_PROPFIND: 'PROPFIND', HTTP2_METHOD_PROPPATCH: 'PROPPATCH',
        HTTP2_METHOD_PUT: 'PUT', HTTP2_METHOD_REBIND: 'REBIND', HTTP2_METHOD_REPORT: 'REPORT',
        HTTP2_METHOD_SEARCH: 'SEARCH', HTTP2_METHOD_TRACE: 'TRACE', HTTP2_METHOD_UNBIND: 'UNBIND',
        HTTP2_METHOD_UNCHECKOUT: 'UNCHECKOUT', HTTP2_METHOD_UNLINK: 'UNLINK',
        HTTP2_METHOD_UNLOCK: 'UNLOCK', HTTP2_METHOD_UPDATE: 'UPDATE',
        HTTP2_METHOD_UPDATEREDIRECTREF: 'UPDATEREDIRECTREF',
        HTTP2_METHOD_VERSION_CONTROL: 'VERSION-CONTROL', HTTP_STATUS_CONTINUE: 100,
        HTTP_STATUS_SWITCHING_PROTOCOLS: 101, HTTP_STATUS_PROCESSING: 102,
        HTTP_STATUS_EARLY_HINTS: 103, HTTP_STATUS_OK: 200, HTTP_STATUS_CREATED: 201,
        HTTP_STATUS_ACCEPTED: 202, HTTP_STATUS_NON_AUTHORITATIVE_INFORMATION: 203,
        HTTP_STATUS_NO_CONTENT: 204, HTTP_STATUS_RESET_CONTENT: 205, HTTP_STATUS_PARTIAL_CONTENT: 206,
        HTTP_STATUS_MULTI_STATUS: 207, HTTP_STATUS_ALREADY_REPORTED: 208, HTTP_STATUS_IM_USED: 226,
        HTTP_STATUS_MULTIPLE_CHOICES: 300, HTTP_STATUS_MOVED_PERMANENTLY: 301, HTTP_STATUS_FOUND: 302,
        HTTP_STATUS_SEE_OTHER: 303, HTTP_STATUS_NOT_MODIFIED: 304, HTTP_STATUS_USE_PROXY: 305,
        HTTP_STATUS_TEMPORARY_REDIRECT: 307, HTTP_STATUS_PERMANENT_REDIRECT: 308,
        HTTP_STATUS_BAD_REQUEST: 400, HTTP_STATUS_UNAUTHORIZED: 401,
        HTTP_STATUS_PAYMENT_REQUIRED: 402, HTTP_STATUS_FORBIDDEN: 403, HTTP_STATUS_NOT_FOUND: 404,
        HTTP_STATUS_METHOD_NOT_ALLOWED: 405, HTTP_STATUS_NOT_ACCEPTABLE: 406,
        HTTP_STATUS_PROXY_AUTHENTICATION_REQUIRED: 407, HTTP_STATUS_REQUEST_TIMEOUT: 408,
        HTTP_STATUS_CONFLICT: 409, HTTP_STATUS_GONE: 410, HTTP_STATUS_LENGTH_REQUIRED: 411,
        HTTP_STATUS_PRECONDITION_FAILED: 412, HTTP_STATUS_PAYLOAD_TOO_LARGE: 413,
        HTTP_STATUS_URI_TOO_LONG: 414, HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE: 415,
        HTTP_STATUS_RANGE_NOT_SATISFIABLE: 416, HTTP_STATUS_EXPECTATION_FAILED: 417,
        HTTP_STATUS_TEAPOT: 418, HTTP_STATUS_MISDIRECTED_REQUEST: 421,
        HTTP_STATUS_UNPROCESSABLE_ENTITY: 422, HTTP_STATUS_LOCKED: 423,
        HTTP_STATUS_FAILED_DEPENDENCY: 424, HTTP_STATUS_TOO_EARLY: 425,
        HTTP_STATUS_UPGRADE_REQUIRED: 426, HTTP_STATUS_PRECONDITION_REQUIRED: 428,
        HTTP_STATUS_TOO_MANY_REQUESTS: 429, HTTP_STATUS_REQUEST_HEADER_FIELDS_TOO_LARGE: 431,
        HTTP_STATUS_UNAVAILABLE_FOR_LEGAL_REASONS: 451, HTTP_STATUS_INTERNAL_SERVER_ERROR: 500,
        HTTP_STATUS_NOT_IMPLEMENTED: 501, HTTP_STATUS_BAD_GATEWAY: 502,
        HTTP_STATUS_SERVICE_UNAVAILABLE: 503, HTTP_STATUS_GATEWAY_TIMEOUT: 504,
        HTTP_STATUS_HTTP_VERSION_NOT_SUPPORTED: 505, HTTP_STATUS_VARIANT_ALSO_NEGOTIATES: 506,
        HTTP_STATUS_INSUFFICIENT_STORAGE: 507, HTTP_STATUS_LOOP_DETECTED: 508,
        HTTP_STATUS_BANDWIDTH_LIMIT_EXCEEDED: 509, HTTP_STATUS_NOT_EXTENDED: 510,
        HTTP_STATUS_NETWORK_AUTHENTICATION_REQUIRED: 511
      }),
    }),
    cluster: { isMaster: true, isPrimary: true, isWorker: false, workers: {}, settings: {} },
    net: {
      isIP: (input) => (isIPv4(input) ? 4 : isIPv6(input) ? 6 : 0),
      isIPv4: (input) => isIPv4(input),
      isIPv6: (input) => isIPv6(input),
    },
    worker_threads: { isMainThread: true, parentPort: null, workerData: null, threadId: 0, resourceLimits: {}, SHARE_ENV: Symbol('SHARE_ENV') },
  };

  function isIPv4(input) {
    return typeof input === 'string' &&
      /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(input);
  }

  function isIPv6(input) {
    if (typeof input !== 'string' || !call(StringPrototypeIncludes, input, ':')) return false;
    try {
      return new (prelude.loadWeb().URL)('http://[' + input + ']/').hostname.length > 2;
    } catch {
      return false;
    }
  }

  function unavailableModule(name) {
    const module = {};
    for (const member of UNSUPPORTED[name]) {
      module[member] = function () {
        throw codedError(ErrorCtor, 'ERR_NOT_SUPPORTED', name + '.' + member + '() is not ' +
          "available in secure-exec: the sandbox cannot offer the '" + name + "' module");
      };
    }
    const values = UNSUPPORTED_VALUES[name];
    ObjectAssign(module, typeof values === 'function' ? values() : values || {});
    // Ports and channels work within the session (makeMessaging).
    if (name === 'worker_threads') {
      prelude.lazyProperties(module, ['MessageChannel', 'MessagePort', 'BroadcastChannel'], makeMessaging, true);
    }
    return module;
  }

  const builtinFactories = new SafeMap();
  const builtinCache = new SafeMap();
  function registerBuiltin(name, factory) { call(MapPrototypeSet, builtinFactories, name, factory); }

  for (const name of ObjectKeys(UNSUPPORTED)) registerBuiltin(name, () => unavailableModule(name));
  registerBuiltin('fs', () => fs);
  registerBuiltin('fs/promises', () => promises);
  registerBuiltin('process', () => process);
  registerBuiltin('module', () => moduleBuiltin);
  // Well-kept npm implementations, bundled (vendor.js), built on first use; the glue below
  // fits them to Node's module shapes and adds what the sandbox answers itself.
  let vendor;
  let vendorUsed = false;
  function buildVendor() {
    if (vendor === undefined) {
      vendor = native.loadVendor(process, utilTypes(), makeAssertionError(), okMessage,
        { slice: native.bufferSlice, write: native.bufferWrite, byteLength: native.bufferByteLength });
    }
    return vendor;
  }
  function npm(name) {
    if (!vendorUsed) {
      vendorUsed = true;
      native.used(prelude.PART.VENDOR);
    }
    return buildVendor()[name]();
  }
  // `util.types`: V8's own checks (types.rs), as in Node; npm's util and assert use them too.
  function utilTypes() {
    const types = {};
    const names = native.typeChecks();
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      // Length 0, as Node's natives declare no parameters.
      types[name] = { [name]() { return native.isType(i, arguments[0]); } }[name];
    }
    // The key classes are the guest environment's own (crypto here, CryptoKey in web.js).
    types.isKeyObject = { isKeyObject() { return arguments[0] instanceof KeyObject; } }.isKeyObject;
    types.isCryptoKey = { isCryptoKey() { return arguments[0] instanceof prelude.loadWeb().CryptoKey; } }.isCryptoKey;
    return types;
  }
  for (const name of ['events', 'punycode', 'string_decoder']) {
    registerBuiltin(name, () => npm(name));
  }
  registerBuiltin('assert', () => npm('assert'));

  // The message of `assert.ok(value)` / `assert(value)` without one, as Node makes it: the call
  // quoted from its source file ("The expression evaluated to a falsy value: assert.ok(x)").
  // The call is found by scanning the source from where V8 places it (the callee's last name);
  // undefined (and `false == true`) when the file cannot be read or the call not found, as
  // Node for code without a file.
  const okMessages = new SafeMap();
  function okMessage(fn) {
    const holder = {};
    const limit = ErrorCtor.stackTraceLimit;
    ErrorCtor.stackTraceLimit = 1;
    ErrorCaptureStackTrace(holder, fn);
    ErrorCtor.stackTraceLimit = limit;
    const frame = call(StringPrototypeSplit, StringCtor(holder.stack), '\n')[1] || '';
    const place = /\(?([^\s()]+):(\d+):(\d+)\)?$/.exec(call(StringPrototypeTrim, frame));
    if (place === null) return undefined;
    let file = place[1];
    if (call(StringPrototypeStartsWith, file, 'secure-exec:') || call(StringPrototypeStartsWith, file, 'node:')) {
      return undefined;
    }
    const key = file + ':' + place[2] + ':' + place[3];
    if (call(MapPrototypeHas, okMessages, key)) return call(MapPrototypeGet, okMessages, key);
    let message;
    try {
      if (call(StringPrototypeStartsWith, file, 'file://')) file = decodeURIComponent(call(StringPrototypeSlice, file, 7));
      // At most the first MiB of the file, as Node reads at most 512 KiB to find the line.
      const bytes = Buffer().allocUnsafe(1 << 20);
      const fd = fs.openSync(file, 'r');
      let read;
      try {
        read = fs.readSync(fd, bytes, 0, bytes.length, 0);
      } finally {
        fs.closeSync(fd);
      }
      let code = bytes.toString('utf8', 0, read);
      for (let line = 1; line < NumberCtor(place[2]); line++) {
        const next = call(StringPrototypeIndexOf, code, '\n');
        if (next === -1) return undefined;
        code = call(StringPrototypeSlice, code, next + 1);
      }
      const column = NumberCtor(place[3]) - 1;
      const found = callAround(code, column);
      if (found !== undefined) {
        const [start, end] = found;
        const lines = call(StringPrototypeSplit, call(StringPrototypeReplace, call(StringPrototypeSlice, code, start, end),
          /[\x00-\x08\x0b\x0c\x0e-\x1f]/g, (c) => (c === '\b' ? '\\b' : c === '\f' ? '\\f'
            : '\\u' + call(StringPrototypePadStart, call(NumberPrototypeToString, call(StringPrototypeCharCodeAt, c, 0), 16), 4, '0'))),
          '\n');
        let text = lines[0];
        // Later lines lose the indentation of the first, as Node normalises it.
        for (let i = 1; i < lines.length; i++) {
          let at = 0;
          while (at < start && (lines[i][at] === ' ' || lines[i][at] === '\t')) at++;
          text += '\n  ' + call(StringPrototypeSlice, lines[i], at);
        }
        message = 'The expression evaluated to a falsy value:\n\n  ' + text + '\n';
      }
    } catch {
      message = undefined;
    }
    call(MapPrototypeSet, okMessages, key, message);
    return message;
  }
  const isNameChar = (c) => c !== undefined && /[\w$\u0080-\uffff]/.test(c);
  // The call V8 places at `offset` of the first line (at its callee's last name, or at its
  // arguments for a computed callee): `[start, end]`.
  function callAround(code, offset) {
    let open = offset;
    if (code[offset] !== '(') {
      while (isNameChar(code[open])) open++;
      while (code[open] === ' ' || code[open] === '\t') open++;
      if (code[open] === '?' && code[open + 1] === '.') open += 2;
      if (code[open] !== '(' || open === offset) return undefined;
    }
    const start = calleeStart(code, code[offset] === '(' ? offset : offset + 1);
    const end = skipBalanced(code, open);
    return start === undefined || end === undefined ? undefined : [start, end];
  }
  // Where the callee ending before `end` starts, on this line: back over names joined by dots
  // and the bracketed parts after them.
  function calleeStart(code, end) {
    let at = end - 1;
    while (at >= 0 && (code[at] === ' ' || code[at] === '\t')) at--;
    let start;
    for (;;) {
      if (code[at] === ')' || code[at] === ']') {
        let depth = 0;
        for (; at >= 0; at--) {
          if (code[at] === ')' || code[at] === ']') depth++;
          else if (code[at] === '(' || code[at] === '[') depth--;
          if (depth === 0) break;
        }
        if (at < 0) return undefined;
        start = at;
        at--;
        // A call or index right after a name or another group belongs to the chain.
        if (isNameChar(code[at]) || code[at] === ')' || code[at] === ']') continue;
      } else if (isNameChar(code[at])) {
        while (at >= 0 && isNameChar(code[at])) at--;
        start = at + 1;
      } else {
        return start;
      }
      let dot = at;
      while (dot >= 0 && (code[dot] === ' ' || code[dot] === '\t')) dot--;
      if (code[dot] !== '.') return start;
      dot--;
      if (code[dot] === '?') dot--;
      while (dot >= 0 && (code[dot] === ' ' || code[dot] === '\t')) dot--;
      at = dot;
    }
  }
  // The index after the bracket group opening at `at`, past strings, templates, comments and
  // regular expressions; undefined if it never closes.
  function skipBalanced(code, at) {
    const closers = [];
    let previous = '(';
    for (let i = at; i < code.length; i++) {
      const c = code[i];
      if (c === '(' || c === '[' || c === '{') {
        call(ArrayPrototypePush, closers, c === '(' ? ')' : c === '[' ? ']' : '}');
      } else if (c === ')' || c === ']' || c === '}') {
        if (closers.pop() !== c) return undefined;
        if (closers.length === 0) return i + 1;
        if (c === '}' && closers[closers.length - 1] === '`') {
          closers.pop();
          i = skipTemplate(code, i + 1, closers);
          if (i === undefined) return undefined;
        }
      } else if (c === '"' || c === "'") {
        i++;
        while (i < code.length && code[i] !== c) i += code[i] === '\\' ? 2 : 1;
      } else if (c === '`') {
        i = skipTemplate(code, i + 1, closers);
        if (i === undefined) return undefined;
      } else if (c === '/' && code[i + 1] === '/') {
        while (i < code.length && code[i] !== '\n') i++;
      } else if (c === '/' && code[i + 1] === '*') {
        i = call(StringPrototypeIndexOf, code, '*/', i + 2);
        if (i === -1) return undefined;
        i++;
      } else if (c === '/' && /[(,=:[!&|?{};+\-*%<>~^]/.test(previous)) {
        // A regular expression literal, where an operand is expected.
        i++;
        let inClass = false;
        while (i < code.length && (code[i] !== '/' || inClass)) {
          if (code[i] === '\\') i++;
          else if (code[i] === '[') inClass = true;
          else if (code[i] === ']') inClass = false;
          i++;
        }
      }
      if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') previous = code[i];
    }
    return undefined;
  }
  // The index of a template's closing backquote, or of the `{` of a `${` (its `}` is pushed
  // with the template still open on `closers`).
  function skipTemplate(code, i, closers) {
    for (; i < code.length; i++) {
      if (code[i] === '\\') { i++; continue; }
      if (code[i] === '`') return i;
      if (code[i] === '$' && code[i + 1] === '{') {
        if (closers === undefined) return undefined;
        call(ArrayPrototypePush, closers, '`', '}');
        return i + 1;
      }
    }
    return undefined;
  }

  // Node's AssertionError (lib/internal/assert/assertion_error.js of Node 20, MIT), which the
  // bundled assert package throws in place of its own older one (vendor.js's patch): the same
  // messages and diffs, over the guest's util.inspect.
  function makeAssertionError() {
    const kReadableOperator = {
      deepStrictEqual: 'Expected values to be strictly deep-equal:',
      strictEqual: 'Expected values to be strictly equal:',
      strictEqualObject: 'Expected "actual" to be reference-equal to "expected":',
      deepEqual: 'Expected values to be loosely deep-equal:',
      notDeepStrictEqual: 'Expected "actual" not to be strictly deep-equal to:',
      notStrictEqual: 'Expected "actual" to be strictly unequal to:',
      notStrictEqualObject: 'Expected "actual" not to be reference-equal to "expected":',
      notDeepEqual: 'Expected "actual" not to be loosely deep-equal to:',
      notIdentical: 'Values have same structure but are not reference-equal:',
      notDeepEqualUnequal: 'Expected values not to be loosely deep-equal:',
    };
    // Comparing short primitives shows === / !== instead of a diff.
    const kMaxShortLength = 12;
    const inspect = prelude.inspect;
    const copyError = (source) => {
      const target = ObjectAssign({ __proto__: ObjectGetPrototypeOf(source) }, source);
      ObjectDefineProperty(target, 'message', { value: source.message });
      return target;
    };
    // Whatever the guest set as inspect's defaults, messages show everything compared.
    const inspectValue = (value) => inspect(value, { compact: false, customInspect: false, depth: 1000,
      maxArrayLength: Infinity, showHidden: false, showProxy: false, sorted: true, getters: true });
    const getErrorMessage = (operator, message) => message || kReadableOperator[operator];
    function createErrDiff(actual, expected, operator, message = '') {
      let other = '';
      let res = '';
      let end = '';
      let skipped = false;
      const actualInspected = inspectValue(actual);
      const actualLines = actualInspected.split('\n');
      const expectedLines = inspectValue(expected).split('\n');
      let i = 0;
      let indicator = '';
      if (operator === 'strictEqual' &&
        ((typeof actual === 'object' && actual !== null && typeof expected === 'object' && expected !== null) ||
          (typeof actual === 'function' && typeof expected === 'function'))) {
        operator = 'strictEqualObject';
      }
      if (actualLines.length === 1 && expectedLines.length === 1 && actualLines[0] !== expectedLines[0]) {
        const actualRaw = actualLines[0];
        const expectedRaw = expectedLines[0];
        const inputLength = actualRaw.length + expectedRaw.length;
        if (inputLength <= kMaxShortLength) {
          if ((typeof actual !== 'object' || actual === null) && (typeof expected !== 'object' || expected === null) &&
            (actual !== 0 || expected !== 0)) {
            return getErrorMessage(operator, message) + '\n\n' + actualLines[0] + ' !== ' + expectedLines[0] + '\n';
          }
        } else if (operator !== 'strictEqualObject') {
          // No terminal: Node's width of 80 columns.
          if (inputLength < 80) {
            while (actualRaw[i] === expectedRaw[i]) i++;
            if (i > 2) {
              indicator = '\n  ' + ' '.repeat(i) + '^';
              i = 0;
            }
          }
        }
      }
      // Drop the identical lines at the end (keeping three).
      let a = actualLines[actualLines.length - 1];
      let b = expectedLines[expectedLines.length - 1];
      while (a === b) {
        if (i++ < 3) end = '\n  ' + a + end;
        else other = a;
        actualLines.pop();
        expectedLines.pop();
        if (actualLines.length === 0 || expectedLines.length === 0) break;
        a = actualLines[actualLines.length - 1];
        b = expectedLines[expectedLines.length - 1];
      }
      const maxLines = MathMax(actualLines.length, expectedLines.length);
      if (maxLines === 0) {
        // Identical, but not the same object.
        const lines = actualInspected.split('\n');
        if (lines.length > 50) {
          lines[46] = '...';
          while (lines.length > 47) lines.pop();
        }
        return kReadableOperator.notIdentical + '\n\n' + lines.join('\n') + '\n';
      }
      if (i >= 5) {
        end = '\n...' + end;
        skipped = true;
      }
      if (other !== '') {
        end = '\n  ' + other + end;
        other = '';
      }
      let printedLines = 0;
      let identical = 0;
      const msg = getErrorMessage(operator, message) + '\n+ actual - expected';
      const skippedMsg = ' ... Lines skipped';
      let lines = actualLines;
      let plusMinus = '+';
      let maxLength = expectedLines.length;
      if (actualLines.length < maxLines) {
        lines = expectedLines;
        plusMinus = '-';
        maxLength = actualLines.length;
      }
      const printIdentical = (from) => {
        if (identical > 2) {
          if (identical > 3) {
            if (identical > 4) {
              if (identical === 5) {
                res += '\n  ' + from[i - 3];
                printedLines++;
              } else {
                res += '\n...';
                skipped = true;
              }
            }
            res += '\n  ' + from[i - 2];
            printedLines++;
          }
          res += '\n  ' + from[i - 1];
          printedLines++;
        }
        identical = 0;
      };
      for (i = 0; i < maxLines; i++) {
        if (maxLength < i + 1) {
          // Only one side has lines left.
          printIdentical(lines);
          if (lines === actualLines) res += '\n' + plusMinus + ' ' + lines[i];
          else other += '\n' + plusMinus + ' ' + lines[i];
          printedLines++;
        } else {
          const expectedLine = expectedLines[i];
          let actualLine = actualLines[i];
          // Lines that differ only by a trailing comma are the same.
          let divergingLines = actualLine !== expectedLine &&
            (!actualLine.endsWith(',') || actualLine.slice(0, -1) !== expectedLine);
          if (divergingLines && expectedLine.endsWith(',') && expectedLine.slice(0, -1) === actualLine) {
            divergingLines = false;
            actualLine += ',';
          }
          if (divergingLines) {
            printIdentical(actualLines);
            // Consecutive diverging lines show as +++--- rather than +-+-+-.
            res += '\n+ ' + actualLine;
            other += '\n- ' + expectedLine;
            printedLines += 2;
          } else {
            res += other;
            other = '';
            identical++;
            if (identical <= 2) {
              res += '\n  ' + actualLine;
              printedLines++;
            }
          }
        }
        // About 50 lines at most.
        if (printedLines > 50 && i < maxLines - 2) {
          return msg + skippedMsg + '\n' + res + '\n...' + other + '\n...';
        }
      }
      return msg + (skipped ? skippedMsg : '') + '\n' + res + other + end + indicator;
    }
    function addEllipsis(string) {
      const lines = string.split('\n', 11);
      if (lines.length > 10) {
        lines.length = 10;
        return lines.join('\n') + '\n...';
      } else if (string.length > 512) {
        return string.slice(512) + '...';
      }
      return string;
    }
    class AssertionError extends ErrorCtor {
      constructor(options) {
        if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
        const { message, operator, stackStartFn, details, stackStartFunction } = options;
        let { actual, expected } = options;
        const limit = ErrorCtor.stackTraceLimit;
        ErrorCtor.stackTraceLimit = 0;
        if (message != null) {
          if (operator === 'deepStrictEqual' || operator === 'strictEqual') {
            super(createErrDiff(actual, expected, operator, message));
          } else {
            super(StringCtor(message));
          }
        } else {
          // Errors compared show as copies, without their stacks.
          if (typeof actual === 'object' && actual !== null && typeof expected === 'object' && expected !== null &&
            'stack' in actual && actual instanceof ErrorCtor && 'stack' in expected && expected instanceof ErrorCtor) {
            actual = copyError(actual);
            expected = copyError(expected);
          }
          if (operator === 'deepStrictEqual' || operator === 'strictEqual') {
            super(createErrDiff(actual, expected, operator));
          } else if (operator === 'notDeepStrictEqual' || operator === 'notStrictEqual') {
            let base = kReadableOperator[operator];
            const res = inspectValue(actual).split('\n');
            if (operator === 'notStrictEqual' && ((typeof actual === 'object' && actual !== null) ||
              typeof actual === 'function')) {
              base = kReadableOperator.notStrictEqualObject;
            }
            if (res.length > 50) {
              res[46] = '...';
              while (res.length > 47) res.pop();
            }
            if (res.length === 1) super(base + (res[0].length > 5 ? '\n\n' : ' ') + res[0]);
            else super(base + '\n\n' + res.join('\n') + '\n');
          } else {
            let res = inspectValue(actual);
            let other = inspectValue(expected);
            const knownOperator = kReadableOperator[operator];
            if (operator === 'notDeepEqual' && res === other) {
              res = knownOperator + '\n\n' + res;
              if (res.length > 1024) res = res.slice(0, 1021) + '...';
              super(res);
            } else {
              if (res.length > 512) res = res.slice(0, 509) + '...';
              if (other.length > 512) other = other.slice(0, 509) + '...';
              if (operator === 'deepEqual') {
                res = knownOperator + '\n\n' + res + '\n\nshould loosely deep-equal\n\n';
              } else {
                const newOp = kReadableOperator[operator + 'Unequal'];
                if (newOp) res = newOp + '\n\n' + res + '\n\nshould not loosely deep-equal\n\n';
                else other = ' ' + operator + ' ' + other;
              }
              super(res + other);
            }
          }
        }
        ErrorCtor.stackTraceLimit = limit;
        this.generatedMessage = !message;
        ObjectDefineProperty(this, 'name', { value: 'AssertionError [ERR_ASSERTION]', enumerable: false,
          writable: true, configurable: true });
        this.code = 'ERR_ASSERTION';
        if (details) {
          this.actual = undefined;
          this.expected = undefined;
          this.operator = undefined;
          for (let i = 0; i < details.length; i++) {
            this['message ' + i] = details[i].message;
            this['actual ' + i] = details[i].actual;
            this['expected ' + i] = details[i].expected;
            this['operator ' + i] = details[i].operator;
            this['stack trace ' + i] = details[i].stack;
          }
        } else {
          this.actual = actual;
          this.expected = expected;
          this.operator = operator;
        }
        ErrorCaptureStackTrace(this, stackStartFn || stackStartFunction);
        // The stack is made with the code in the name, which is then set back.
        this.stack; // eslint-disable-line no-unused-expressions
        this.name = 'AssertionError';
      }
      toString() {
        return this.name + ' [' + this.code + ']: ' + this.message;
      }
      [SymbolFor('nodejs.util.inspect.custom')](recurseTimes, ctx) {
        // Long strings are cut short, and actual and expected shown one level deep.
        const tmpActual = this.actual;
        const tmpExpected = this.expected;
        if (typeof this.actual === 'string') this.actual = addEllipsis(this.actual);
        if (typeof this.expected === 'string') this.expected = addEllipsis(this.expected);
        const result = inspect(this, { ...ctx, customInspect: false, depth: 0 });
        this.actual = tmpActual;
        this.expected = tmpExpected;
        return result;
      }
    }
    return AssertionError;
  }
  // readable-stream's export is Readable with the rest hung on it; Node's is the legacy Stream
  // (an EventEmitter with pipe), which older stream libraries call as their base constructor
  // (`Stream.call(this)`): with Readable there, it would replace their own stream state.
  registerBuiltin('stream', () => {
    const ours = npm('stream');
    const Stream = ours.Stream;
    for (const key of ['isDisturbed', 'isErrored', 'isReadable', 'Readable', 'Writable', 'Duplex',
      'Transform', 'PassThrough', 'pipeline', 'addAbortSignal', 'finished', 'destroy', 'compose',
      'isDestroyed', 'isWritable', 'setDefaultHighWaterMark', 'getDefaultHighWaterMark',
      '_isUint8Array', '_uint8ArrayToBuffer']) {
      if (ours[key] !== undefined) Stream[key] = ours[key];
    }
    Stream._isArrayBufferView = ArrayBufferIsView;
    Stream.duplexPair = (options) => duplexPair(ours.Duplex, options);
    lazyTransform.link(ours);
    lazyWritable.link(ours);
    Stream.Stream = Stream;
    // Enumerable, as Node's (readable-stream hides it behind a getter).
    ObjectDefineProperty(Stream, 'promises', { value: Stream.promises, enumerable: true, writable: true, configurable: true });
    return Stream;
  });
  // Node's LazyTransform: hashes, HMACs and ciphers are Transform streams (Sign and Verify
  // Writable ones), built as streams only when used as one, so `createHash(...).update(...)`
  // never loads the stream module. Their prototypes lead to one of these bases, which leads to
  // the stream class's prototype once `stream` is loaded (by the guest, or by the first stream
  // use of one of them).
  function lazyStreamBase(kind, states) {
    const base = {};
    let linked = false;
    const link = (streams) => {
      if (linked) return;
      linked = true;
      ObjectSetPrototypeOf(base, streams[kind].prototype);
    };
    const streamClass = () => {
      const streams = requireBuiltin('stream');
      link(streams);
      return streams[kind];
    };
    for (const name of states) {
      ObjectDefineProperty(base, name, {
        get() {
          call(streamClass(), this, this._options);
          if (kind === 'Transform') this._writableState.decodeStrings = false;
          return this[name];
        },
        set(value) {
          ObjectDefineProperty(this, name, { value, enumerable: true, configurable: true, writable: true });
        },
        enumerable: true,
        configurable: true,
      });
    }
    // The ways in: each links the prototype chain, then is the stream's own method.
    for (const name of ['pipe', 'write', 'end', 'read', 'on', 'once', 'addListener', 'prependListener',
      'setEncoding', 'resume', 'pause', 'destroy', 'cork', 'uncork', Symbol.asyncIterator]) {
      ObjectDefineProperty(base, name, {
        value: function (...args) {
          return ReflectApply(streamClass().prototype[name], this, args);
        },
        writable: true,
        configurable: true,
      });
    }
    return { base, link };
  }
  const lazyTransform = lazyStreamBase('Transform', ['_readableState', '_writableState']);
  const lazyWritable = lazyStreamBase('Writable', ['_writableState']);

  // `stream.duplexPair()`: two Duplex streams, what one writes the other reads (Node 22's,
  // lib/internal/streams/duplexpair.js).
  function duplexPair(Duplex, options) {
    const waiting = new WeakMap();
    const others = new WeakMap();
    class DuplexSide extends Duplex {
      _read() {
        const callback = call(WeakMapGet, waiting, this);
        if (callback) {
          call(WeakMapSet, waiting, this, null);
          callback();
        }
      }
      _write(chunk, encoding, callback) {
        const other = call(WeakMapGet, others, this);
        if (chunk.length === 0) {
          process.nextTick(callback);
        } else {
          other.push(chunk);
          call(WeakMapSet, waiting, other, callback);
        }
      }
      _final(callback) {
        const other = call(WeakMapGet, others, this);
        other.on('end', callback);
        other.push(null);
      }
    }
    const side0 = new DuplexSide(options);
    const side1 = new DuplexSide(options);
    call(WeakMapSet, others, side0, side1);
    call(WeakMapSet, others, side1, side0);
    return [side0, side1];
  }
  // Node's old names for the stream classes.
  for (const [name, key] of [['_stream_readable', 'Readable'], ['_stream_writable', 'Writable'],
    ['_stream_duplex', 'Duplex'], ['_stream_transform', 'Transform'], ['_stream_passthrough', 'PassThrough']]) {
    registerBuiltin(name, () => requireBuiltin('stream')[key]);
  }
  // The network (net.js): fetch and its classes, the http(s) clients, dns.lookup, web streams.
  let netModule;
  function net() {
    if (netModule === undefined) {
      netModule = native.loadNet(native, {
        netAsync: prelude.netAsync, process, web: prelude.loadWeb(), streams: webStreams,
        require: requireBuiltin, setTimeout: prelude.setTimeout, clearTimeout: prelude.clearTimeout,
        concat,
      });
    }
    return netModule;
  }
  registerBuiltin('http', () => net().httpModule('http:'));
  registerBuiltin('https', () => net().httpModule('https:'));
  registerBuiltin('dns', () => net().dns);
  registerBuiltin('dns/promises', () => net().dns.promises);
  registerBuiltin('stream/web', () => net().streamWeb);
  registerBuiltin('querystring', () => {
    const qs = ObjectAssign({}, npm('querystring'));
    // Node's escape keeps what encodeURIComponent keeps; unescape forgives malformed input.
    qs.escape = (text) => encodeURIComponent(StringCtor(text));
    // Percent-decoding into bytes (`+` as a space if asked), as Node's.
    qs.unescapeBuffer = (text, decodeSpaces) => {
      const source = StringCtor(text);
      const out = Buffer().allocUnsafe(source.length);
      const hex = (c) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);
      let index = 0;
      let outIndex = 0;
      let hasHex = false;
      const maxLength = source.length - 2;
      while (index < source.length) {
        let currentChar = call(StringPrototypeCharCodeAt, source, index);
        if (currentChar === 43 && decodeSpaces) {
          out[outIndex++] = 32;
          index++;
          continue;
        }
        if (currentChar === 37 && index < maxLength) {
          currentChar = call(StringPrototypeCharCodeAt, source, ++index);
          const hexHigh = hex(currentChar);
          if (hexHigh < 0) {
            out[outIndex++] = 37;
            continue;
          }
          const hexLow = hex(call(StringPrototypeCharCodeAt, source, ++index));
          if (hexLow < 0) {
            out[outIndex++] = 37;
            index--;
          } else {
            hasHex = true;
            currentChar = hexHigh * 16 + hexLow;
          }
        }
        out[outIndex++] = currentChar;
        index++;
      }
      return hasHex ? out.slice(0, outIndex) : out;
    };
    qs.unescape = (text) => {
      try {
        return decodeURIComponent(StringCtor(text));
      } catch {
        return unescape(StringCtor(text));
      }
    };
    return qs;
  });
  registerBuiltin('buffer', () => {
    const module = npm('buffer');
    renamed(module.Buffer, 'Buffer');
    return module;
  });
  registerBuiltin('path/posix', () => requireBuiltin('path').posix);
  registerBuiltin('assert/strict', () => requireBuiltin('assert').strict);
  registerBuiltin('stream/promises', () => requireBuiltin('stream').promises);
  // Whole-stream readers, over anything async-iterable (Node streams, web streams, generators).
  registerBuiltin('stream/consumers', () => {
    const collect = async (stream) => {
      const chunks = [];
      let total = 0;
      for await (const chunk of stream) {
        const bytes = typeof chunk === 'string' ? Buffer().from(chunk)
          : chunk instanceof ArrayBuffer ? new Uint8ArrayCtor(chunk) : dataBytes(chunk, undefined, 'chunk');
        call(ArrayPrototypePush, chunks, new Uint8ArrayCtor(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        total += bytes.byteLength;
      }
      return concat(chunks, total);
    };
    async function text(stream) {
      const decoder = new (prelude.loadWeb().TextDecoder)();
      let out = '';
      for await (const chunk of stream) {
        out += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      }
      return out + decoder.decode(undefined, { stream: false });
    }
    return {
      arrayBuffer: async (stream) => {
        const bytes = await collect(stream);
        return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer
          : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      },
      blob: async (stream) => new (requireBuiltin('buffer').Blob)([await collect(stream)]),
      buffer: async (stream) => toBuffer(await collect(stream)),
      text,
      json: async (stream) => JSONParse(await text(stream)),
    };
  });
  // Node's internal pieces of http, reachable by name; a few packages require them directly.
  const httpPart = (names) => () => {
    const http = requireBuiltin('http');
    const part = {};
    for (const name of names) part[name] = http[name];
    return part;
  };
  registerBuiltin('_http_agent', httpPart(['Agent', 'globalAgent']));
  registerBuiltin('_http_client', httpPart(['ClientRequest']));
  registerBuiltin('_http_incoming', httpPart(['IncomingMessage']));
  registerBuiltin('_http_outgoing', httpPart(['validateHeaderName', 'validateHeaderValue', 'OutgoingMessage']));
  registerBuiltin('_http_server', httpPart(['STATUS_CODES', 'Server', 'ServerResponse']));
  // A socket over a JavaScript stream (deprecated): nothing here has sockets to wrap.
  registerBuiltin('_stream_wrap', () => class JSStreamSocket {
    constructor() { throw notSupported('_stream_wrap (JSStreamSocket)'); }
  });
  registerBuiltin('_http_common', () => {
    const token = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
    const invalid = /[^\t\x20-\x7e\x80-\xff]/;
    return {
      _checkInvalidHeaderChar: (value) => call(RegExpPrototypeTest, invalid, value),
      _checkIsHttpToken: (value) => call(RegExpPrototypeTest, token, value),
      chunkExpression: /(?:^|\W)chunked(?:$|\W)/i,
      continueExpression: /(?:^|\W)100-continue(?:$|\W)/i,
      CRLF: '\r\n',
      methods: [...requireBuiltin('http').METHODS],
    };
  });
  registerBuiltin('util', () => {
    const util = npm('util');
    // Formatting as console.log does it (the prelude's), not the older one of the npm package.
    util.inspect = prelude.inspect;
    util.format = prelude.format;
    // Node's custom-promisify symbol is a registered one (the npm package keeps its own).
    const custom = SymbolFor('nodejs.util.promisify.custom');
    const promisify = util.promisify;
    util.promisify = function (original) {
      if (typeof original === 'function' && typeof original[custom] === 'function') {
        return original[custom];
      }
      return promisify(original);
    };
    util.promisify.custom = custom;
    // The web globals (web.js) cost a session a few hundred microseconds: built when first used.
    prelude.lazyProperties(util, ['TextEncoder', 'TextDecoder'], () => prelude.loadWeb(), true);
    util.isDeepStrictEqual = (a, b) => {
      try {
        requireBuiltin('assert').deepStrictEqual(a, b);
        return true;
      } catch {
        return false;
      }
    };
    return util;
  });
  registerBuiltin('util/types', () => requireBuiltin('util').types);
  registerBuiltin('sys', () => requireBuiltin('util'));
  registerBuiltin('url', () => {
    const web = prelude.loadWeb();
    const url = ObjectAssign({}, npm('url'));
    url.URL = web.URL;
    url.URLSearchParams = web.URLSearchParams;
    url.fileURLToPath = (value) => {
      const parsed = typeof value === 'string' ? new web.URL(value) : value;
      if (parsed.protocol !== 'file:') {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
      }
      return decodeURIComponent(parsed.pathname);
    };
    url.pathToFileURL = (path) => new web.URL(fileHref(resolvePath(path)));
    url.domainToASCII = (domain) => {
      try { return new web.URL('http://' + domain).hostname; } catch { return ''; }
    };
    url.domainToUnicode = (domain) => requireBuiltin('punycode').toUnicode(url.domainToASCII(domain));
    return url;
  });
  registerBuiltin('timers', () => ({
    setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval,
    setImmediate: globalThis.setImmediate, clearImmediate: globalThis.clearImmediate,
    promises: requireBuiltin('timers/promises'),
  }));
  // Node's AbortError (internal/errors): what an aborted operation rejects with, the signal's
  // reason as its cause.
  class AbortError extends ErrorCtor {
    constructor(message = 'The operation was aborted', options = undefined) {
      super(message, options);
      this.code = 'ABORT_ERR';
      this.name = 'AbortError';
    }
  }
  // timers/promises as Node's: options validated, a signal that aborts (before or during the
  // wait) rejects with an AbortError, `ref: false` lets the session end meanwhile.
  registerBuiltin('timers/promises', () => {
    const AbortSignalCtor = prelude.loadWeb().AbortSignal;
    function timerOptions(options) {
      if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
      const { signal, ref = true } = options;
      if (signal !== undefined && !(signal instanceof AbortSignalCtor)) {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE',
          'The "options.signal" property must be an instance of AbortSignal. ' + describeReceived(signal));
      }
      if (typeof ref !== 'boolean') {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE',
          'The "options.ref" property must be of type boolean. ' + describeReceived(ref));
      }
      return { signal, ref };
    }
    const aborted = (signal) => new AbortError(undefined, { cause: signal.reason });
    // One timer (`start(done)` gives its handle, `stop(handle)` clears it) as a promise.
    function wait(options, start, stop, value) {
      let checked;
      try {
        checked = timerOptions(options);
      } catch (err) {
        return PromiseCtor.reject(err);
      }
      const { signal, ref } = checked;
      if (signal !== undefined && signal.aborted) return PromiseCtor.reject(aborted(signal));
      return new PromiseCtor((resolve, reject) => {
        let onAbort;
        const handle = start(() => {
          if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
          resolve(value);
        });
        if (!ref) prelude.unrefTimer(handle);
        if (signal !== undefined) {
          onAbort = () => {
            stop(handle);
            reject(aborted(signal));
          };
          signal.addEventListener('abort', onAbort, { once: true });
        }
      });
    }
    const setTimeout = (delay, value, options = {}) =>
      wait(options, (done) => prelude.setTimeout(done, delay), prelude.clearTimeout, value);
    const setImmediate = (value, options = {}) =>
      wait(options, (done) => prelude.setImmediate(done), prelude.clearTimeout, value);
    // An async iterator yielding `value` every `delay` ms until it is returned from or its
    // signal aborts.
    function setInterval(delay, value, options = {}) {
      const { signal, ref } = timerOptions(options);
      let pending = 0;
      const waiting = new Fifo();
      let done = false;
      let failure = signal !== undefined && signal.aborted ? aborted(signal) : null;
      let id;
      const finish = () => {
        done = true;
        if (id !== undefined) prelude.clearTimeout(id);
        if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      };
      const onAbort = signal === undefined ? undefined : () => {
        failure = aborted(signal);
        finish();
        while (waiting.length > 0) waiting.shift()[1](failure);
      };
      if (failure === null) {
        id = prelude.setInterval(() => {
          const next = waiting.shift();
          if (next !== undefined) next[0]({ value, done: false });
          else pending++;
        }, delay);
        if (!ref) prelude.unrefTimer(id);
        if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true });
      }
      return {
        next() {
          if (pending > 0) {
            pending--;
            return PromiseCtor.resolve({ value, done: false });
          }
          if (failure !== null) {
            const err = failure;
            failure = null;
            done = true;
            return PromiseCtor.reject(err);
          }
          if (done) return PromiseCtor.resolve({ value: undefined, done: true });
          return new PromiseCtor((resolve, reject) => waiting.push([resolve, reject]));
        },
        return() {
          finish();
          while (waiting.length > 0) waiting.shift()[0]({ value: undefined, done: true });
          return PromiseCtor.resolve({ value: undefined, done: true });
        },
        [SymbolAsyncIterator]() { return this; },
      };
    }
    return {
      setTimeout,
      setImmediate,
      setInterval,
      scheduler: {
        wait: (delay, options) => setTimeout(delay, undefined, options),
        yield: () => setImmediate(),
      },
    };
  });
  registerBuiltin('perf_hooks', () => {
    const web = prelude.loadWeb();
    const perf = { performance: web.performance };
    for (const name of ['Performance', 'PerformanceEntry', 'PerformanceMark', 'PerformanceMeasure',
      'PerformanceObserver', 'PerformanceObserverEntryList', 'PerformanceResourceTiming']) {
      perf[name] = web[name];
    }
    perf.constants = ObjectFreeze({ __proto__: null, NODE_PERFORMANCE_GC_MAJOR: 4, NODE_PERFORMANCE_GC_MINOR: 1,
      NODE_PERFORMANCE_GC_INCREMENTAL: 8, NODE_PERFORMANCE_GC_WEAKCB: 16, NODE_PERFORMANCE_GC_FLAGS_NO: 0,
      NODE_PERFORMANCE_GC_FLAGS_CONSTRUCT_RETAINED: 2, NODE_PERFORMANCE_GC_FLAGS_FORCED: 4,
      NODE_PERFORMANCE_GC_FLAGS_SYNCHRONOUS_PHANTOM_PROCESSING: 8, NODE_PERFORMANCE_GC_FLAGS_ALL_AVAILABLE_GARBAGE: 16,
      NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY: 32, NODE_PERFORMANCE_GC_FLAGS_SCHEDULE_IDLE: 64 });
    for (const name of ['monitorEventLoopDelay', 'createHistogram']) {
      perf[name] = () => { throw notSupported('perf_hooks.' + name + '()'); };
    }
    return perf;
  });
  registerBuiltin('console', () => globalThis.console);
  // vm: contexts and scripts of the session's own isolate (vm.rs); no more reach than the
  // guest has, and under the session's limits. `timeout` is kept by the worker's watchdog.
  registerBuiltin('vm', () => {
    const contexts = new WeakMap();
    const scripts = new WeakMap();
    const WeakMapHas = WeakMap.prototype.has;
    const DONT_CONTEXTIFY = SymbolCtor('vm_context_no_contextify');
    const USE_MAIN_CONTEXT_DEFAULT_LOADER = SymbolCtor('vm_dynamic_import_main_context_default');
    const checkObject = (value, name) => {
      if (value === null || typeof value !== 'object') throw invalidArgType(name, 'of type object', value);
    };
    const checkType = (value, name, type) => {
      if (typeof value !== type) throw invalidArgType(name, 'of type ' + type, value);
    };
    // How a script's import() is served: 0 the session's loader, 1 refused as Node refuses it
    // without a callback, 2 a callback (not supported).
    const importMode = (importModuleDynamically) => {
      if (importModuleDynamically === USE_MAIN_CONTEXT_DEFAULT_LOADER) return 0;
      if (importModuleDynamically === undefined) return 1;
      if (typeof importModuleDynamically !== 'function') {
        throw invalidArgType('options.importModuleDynamically', 'of type function', importModuleDynamically);
      }
      return 2;
    };
    const checkCachedData = (cachedData) => {
      if (cachedData !== undefined && !ArrayBufferIsView(cachedData)) {
        throw invalidArgType('options.cachedData', 'an instance of Buffer, TypedArray, or DataView', cachedData);
      }
    };
    function isContext(object) {
      checkObject(object, 'object');
      return call(WeakMapHas, contexts, object);
    }
    function globalOf(contextifiedObject) {
      if (contextifiedObject === null || typeof contextifiedObject !== 'object' ||
        !call(WeakMapHas, contexts, contextifiedObject)) {
        throw invalidArgType('contextifiedObject', 'an vm.Context', contextifiedObject);
      }
      return call(WeakMapGet, contexts, contextifiedObject);
    }
    function createContext(contextObject = {}, options = {}) {
      if (contextObject !== DONT_CONTEXTIFY && contextObject !== null && typeof contextObject === 'object' &&
        call(WeakMapHas, contexts, contextObject)) {
        return contextObject;
      }
      checkObject(options, 'options');
      const { name, origin, codeGeneration, microtaskMode, importModuleDynamically } = options;
      if (name !== undefined) checkType(name, 'options.name', 'string');
      if (origin !== undefined) checkType(origin, 'options.origin', 'string');
      let strings = true;
      if (codeGeneration !== undefined) {
        checkObject(codeGeneration, 'options.codeGeneration');
        if (codeGeneration.strings !== undefined) {
          checkType(codeGeneration.strings, 'options.codeGeneration.strings', 'boolean');
          strings = codeGeneration.strings;
        }
        if (codeGeneration.wasm !== undefined) {
          checkType(codeGeneration.wasm, 'options.codeGeneration.wasm', 'boolean');
          if (!codeGeneration.wasm) throw notSupported("vm's codeGeneration.wasm: false");
        }
      }
      if (microtaskMode !== undefined) {
        if (microtaskMode !== 'afterEvaluate') {
          throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE', "The property 'options.microtaskMode' must be " +
            "one of: 'afterEvaluate', undefined. Received " + prelude.inspect(microtaskMode));
        }
        throw notSupported("vm's microtaskMode 'afterEvaluate'");
      }
      importMode(importModuleDynamically);
      if (contextObject === DONT_CONTEXTIFY) {
        const global = native.vmContext({}, false, strings);
        call(WeakMapSet, contexts, global, global);
        return global;
      }
      if (contextObject === null || typeof contextObject !== 'object') {
        throw invalidArgType('contextObject', 'of type object', contextObject);
      }
      call(WeakMapSet, contexts, contextObject, native.vmContext(contextObject, true, strings));
      return contextObject;
    }
    // A script's run options: `[timeout (0 for none), displayErrors]`.
    function runOptions(options) {
      if (options === undefined || typeof options === 'string') return [0, true];
      checkObject(options, 'options');
      const { timeout, displayErrors = true, breakOnSigint } = options;
      checkType(displayErrors, 'options.displayErrors', 'boolean');
      if (breakOnSigint !== undefined) checkType(breakOnSigint, 'options.breakOnSigint', 'boolean');
      if (timeout === undefined) return [0, displayErrors];
      integerArg(timeout, 'options.timeout', 1, 4294967295);
      return [timeout, displayErrors];
    }
    class Script {
      constructor(code, options = {}) {
        code = '' + code;
        if (typeof options === 'string') options = { filename: options };
        else checkObject(options, 'options');
        const { filename = 'evalmachine.<anonymous>', lineOffset = 0, columnOffset = 0, cachedData,
          produceCachedData = false, importModuleDynamically } = options;
        checkType(filename, 'options.filename', 'string');
        integerArg(lineOffset, 'options.lineOffset', -2147483648, 2147483647);
        integerArg(columnOffset, 'options.columnOffset', -2147483648, 2147483647);
        checkCachedData(cachedData);
        checkType(produceCachedData, 'options.produceCachedData', 'boolean');
        const imports = importMode(importModuleDynamically);
        const [cache, sourceMapURL] = native.vmCompile(code, filename, lineOffset, columnOffset, imports,
          produceCachedData);
        call(WeakMapSet, scripts, this, { code, filename, lineOffset, columnOffset, imports });
        this.sourceMapURL = sourceMapURL;
        // A cache the guest hands in is never consumed (V8 trusts a cache's bytes).
        if (cachedData !== undefined) this.cachedDataRejected = true;
        if (produceCachedData) {
          this.cachedDataProduced = cache !== undefined;
          if (cache !== undefined) this.cachedData = toBuffer(cache);
        }
      }
      runInThisContext(options) {
        return run(this, undefined, runOptions(options));
      }
      runInContext(contextifiedObject, options) {
        return run(this, globalOf(contextifiedObject), runOptions(options));
      }
      runInNewContext(contextObject, options) {
        const context = createContext(contextObject, contextOptions(options));
        return this.runInContext(context, options);
      }
      createCachedData() {
        const script = call(WeakMapGet, scripts, this);
        const [cache] = native.vmCompile(script.code, script.filename, script.lineOffset, script.columnOffset,
          script.imports, true);
        return toBuffer(cache === undefined ? new Uint8ArrayCtor(0) : cache);
      }
    }
    function run(self, global, [timeout, displayErrors]) {
      const script = call(WeakMapGet, scripts, self);
      if (script === undefined) throw new TypeErrorCtor('Illegal invocation');
      return native.vmRun(global, script.code, script.filename, script.lineOffset, script.columnOffset,
        script.imports, timeout, displayErrors);
    }
    // The context options of runInNewContext's options (`contextName`, ...).
    function contextOptions(options) {
      if (options === undefined || typeof options === 'string') return {};
      checkObject(options, 'options');
      return { name: options.contextName, origin: options.contextOrigin, codeGeneration: options.contextCodeGeneration,
        microtaskMode: options.microtaskMode, importModuleDynamically: options.importModuleDynamically };
    }
    function compileFunction(code, params = [], options = {}) {
      checkType(code, 'code', 'string');
      if (!ArrayIsArray(params)) throw invalidArgType('params', 'an instance of Array', params);
      for (let i = 0; i < params.length; i++) checkType(params[i], 'params[' + i + ']', 'string');
      checkObject(options, 'options');
      const { filename = '', columnOffset = 0, lineOffset = 0, cachedData, produceCachedData = false,
        parsingContext, contextExtensions = [], importModuleDynamically } = options;
      checkType(filename, 'options.filename', 'string');
      integerArg(columnOffset, 'options.columnOffset', -2147483648, 2147483647);
      integerArg(lineOffset, 'options.lineOffset', -2147483648, 2147483647);
      checkCachedData(cachedData);
      checkType(produceCachedData, 'options.produceCachedData', 'boolean');
      const global = parsingContext === undefined ? undefined : globalOfParsing(parsingContext);
      if (!ArrayIsArray(contextExtensions)) {
        throw invalidArgType('options.contextExtensions', 'an instance of Array', contextExtensions);
      }
      for (let i = 0; i < contextExtensions.length; i++) {
        checkObject(contextExtensions[i], 'options.contextExtensions[' + i + ']');
      }
      const [fn, cache] = native.vmCompileFunction(code, filename, lineOffset, columnOffset,
        importMode(importModuleDynamically), params, global, contextExtensions, produceCachedData);
      if (cachedData !== undefined) fn.cachedDataRejected = true;
      if (produceCachedData) {
        fn.cachedDataProduced = cache !== undefined;
        if (cache !== undefined) fn.cachedData = toBuffer(cache);
      }
      return fn;
    }
    function globalOfParsing(parsingContext) {
      if (parsingContext === null || typeof parsingContext !== 'object' ||
        !call(WeakMapHas, contexts, parsingContext)) {
        throw invalidArgType('options.parsingContext', 'an instance of Context', parsingContext);
      }
      return call(WeakMapGet, contexts, parsingContext);
    }
    return {
      Script,
      createScript: (code, options) => new Script(code, options),
      createContext,
      isContext,
      compileFunction,
      runInThisContext: (code, options) => new Script(code, options).runInThisContext(options),
      runInContext: (code, contextifiedObject, options) => {
        globalOf(contextifiedObject);
        return new Script(code, options).runInContext(contextifiedObject, options);
      },
      runInNewContext: (code, contextObject, options) => {
        const context = createContext(contextObject, contextOptions(options));
        return new Script(code, options).runInContext(context, options);
      },
      measureMemory(options = {}) {
        checkObject(options, 'options');
        const usage = process.memoryUsage();
        const estimate = usage.heapUsed;
        const result = { total: { jsMemoryEstimate: estimate, jsMemoryRange: [estimate, usage.heapTotal] } };
        return new PromiseCtor((resolve) => resolve(result));
      },
      constants: ObjectFreeze({ __proto__: null, USE_MAIN_CONTEXT_DEFAULT_LOADER, DONT_CONTEXTIFY }),
    };
  });
  // node:test (test_runner.js), only by its `node:` name, as in Node.
  registerBuiltin('test', () => {
    const web = prelude.loadWeb();
    const timers = requireBuiltin('timers');
    return native.loadTestRunner({
      AsyncLocalStorage: requireBuiltin('async_hooks').AsyncLocalStorage, inspect: prelude.inspect, process,
      setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout, nextTick: process.nextTick,
      now: () => web.performance.now(), AbortController: web.AbortController, assert: requireBuiltin('assert'),
      codedError, invalidArgType, integerArg, notSupported,
    });
  });
  registerBuiltin('tty', () => {
    const noTerminal = () => { throw notSupported('A terminal'); };
    return { isatty: () => false, ReadStream: noTerminal, WriteStream: noTerminal };
  });
  // Honest values for a sandbox: no host name, users, network interfaces or load to reveal.
  registerBuiltin('os', () => ({
    EOL: '\n',
    arch: () => 'x64',
    availableParallelism: () => 1,
    cpus: () => [],
    endianness: () => 'LE',
    freemem: () => 0,
    getPriority: () => 0,
    homedir: () => '/',
    hostname: () => 'secure-exec',
    loadavg: () => [0, 0, 0],
    machine: () => 'x86_64',
    networkInterfaces: () => ({}),
    platform: () => 'linux',
    release: () => '',
    setPriority: () => { throw notSupported('os.setPriority()'); },
    tmpdir: () => '/tmp',
    totalmem: () => 0,
    type: () => 'Linux',
    uptime: () => 0,
    userInfo: () => ({ uid: -1, gid: -1, username: 'secure-exec', homedir: '/', shell: null }),
    version: () => '',
    devNull: '/dev/null',
    constants: ObjectFreeze({ signals: ObjectFreeze({}), errno: ObjectFreeze({}), priority: ObjectFreeze({}) }),
  }));
  registerBuiltin('crypto', () => makeCrypto());
  registerBuiltin('zlib', () => makeZlib());

  // ---------------------------------------------------------------- async_hooks
  // AsyncLocalStorage and AsyncResource over one frame: an immutable map from storage to
  // store, current while code runs and carried to its continuations (promise jobs by V8,
  // timers, ticks and host callbacks by the prelude). Async resource ids and hooks are not
  // offered.
  function makeAsyncHooks() {
    prelude.useAsyncContext();
    const current = () => native.asyncContext();
    const runIn = (frame, fn, self, args) => {
      const prior = native.asyncContext();
      native.setAsyncContext(frame);
      try {
        return ReflectApply(fn, self, args);
      } finally {
        native.setAsyncContext(prior);
      }
    };
    const withStore = (storage, store, keep) => {
      const frame = new SafeMap(current() || []);
      if (keep) call(MapPrototypeSet, frame, storage, store);
      else call(MapPrototypeDelete, frame, storage);
      return frame;
    };
    let lastAsyncId = 1;
    class AsyncResource {
      constructor(type) {
        if (typeof type !== 'string') throw invalidArgType('type', 'of type string', type);
        this._frame = current();
        this._type = type;
        // Numbers of the session's own, in creation order (no async hooks run here).
        this._asyncId = ++lastAsyncId;
      }
      asyncId() { return this._asyncId; }
      triggerAsyncId() { return 0; }
      runInAsyncScope(fn, thisArg, ...args) {
        return runIn(this._frame, fn, thisArg, args);
      }
      bind(fn, thisArg) {
        if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn);
        const resource = this;
        const bound = function (...args) {
          return resource.runInAsyncScope(fn, thisArg === undefined ? this : thisArg, ...args);
        };
        ObjectDefineProperty(bound, 'length', { value: fn.length, configurable: true });
        bound.asyncResource = resource;
        return bound;
      }
      emitDestroy() { return this; }
      static bind(fn, type, thisArg) {
        return new AsyncResource(type || fn.name || 'bound-anonymous-fn').bind(fn, thisArg);
      }
    }
    class AsyncLocalStorage {
      constructor() { this._enabled = true; }
      static bind(fn) { return AsyncResource.bind(fn); }
      static snapshot() {
        const frame = current();
        return (fn, ...args) => runIn(frame, fn, undefined, args);
      }
      getStore() {
        if (!this._enabled) return undefined;
        const frame = current();
        return frame === undefined ? undefined : call(MapPrototypeGet, frame, this);
      }
      enterWith(store) {
        this._enabled = true;
        native.setAsyncContext(withStore(this, store, true));
      }
      run(store, callback, ...args) {
        this._enabled = true;
        return runIn(withStore(this, store, true), callback, undefined, args);
      }
      exit(callback, ...args) {
        return runIn(withStore(this, undefined, false), callback, undefined, args);
      }
      disable() { this._enabled = false; }
    }
    const hooks = unavailableModule('async_hooks');
    hooks.AsyncLocalStorage = AsyncLocalStorage;
    hooks.AsyncResource = AsyncResource;
    return hooks;
  }
  registerBuiltin('async_hooks', makeAsyncHooks);

  // ---------------------------------------------------------------- diagnostics_channel
  // Named publish/subscribe channels (and tracing channels: start, end, asyncStart, asyncEnd,
  // error around a call), as Node's: nothing leaves the session.
  function makeDiagnosticsChannel() {
    const channels = new SafeMap();
    const fnArg = (fn, name) => {
      if (typeof fn !== 'function') throw invalidArgType(name, 'of type function', fn);
      return fn;
    };
    // A subscriber's exception is the process's, on the next tick, not the publisher's.
    const rethrowLater = (err) => process.nextTick(() => { throw err; });
    class Channel {
      constructor(name) {
        this._subscribers = [];
        this._stores = new SafeMap();
        this.name = name;
      }
      get hasSubscribers() { return this._subscribers.length > 0 || this._stores.size > 0; }
      subscribe(subscription) {
        this._subscribers = [...this._subscribers, fnArg(subscription, 'subscription')];
      }
      unsubscribe(subscription) {
        const at = call(ArrayPrototypeIndexOf, this._subscribers, subscription);
        if (at === -1) return false;
        const rest = [...this._subscribers];
        call(ArrayPrototypeSplice, rest, at, 1);
        this._subscribers = rest;
        return true;
      }
      bindStore(store, transform) { call(MapPrototypeSet, this._stores, store, transform); }
      unbindStore(store) { return call(MapPrototypeDelete, this._stores, store); }
      publish(data) {
        for (const subscriber of this._subscribers) {
          try {
            subscriber(data, this.name);
          } catch (err) {
            rethrowLater(err);
          }
        }
      }
      runStores(data, fn, thisArg, ...args) {
        let run = () => {
          this.publish(data);
          return ReflectApply(fn, thisArg, args);
        };
        for (const [store, transform] of this._stores) {
          const inner = run;
          run = () => {
            let value = data;
            if (typeof transform === 'function') {
              try {
                value = transform(data);
              } catch (err) {
                rethrowLater(err);
                return inner();
              }
            }
            return store.run(value, inner);
          };
        }
        return run();
      }
    }
    function channel(name) {
      if (typeof name !== 'string' && typeof name !== 'symbol') {
        throw invalidArgType('channel', 'of type string or symbol', name);
      }
      let found = call(MapPrototypeGet, channels, name);
      if (found === undefined) {
        found = new Channel(name);
        call(MapPrototypeSet, channels, name, found);
      }
      return found;
    }
    const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];
    class TracingChannel {
      constructor(nameOrChannels) {
        for (const event of EVENTS) {
          if (typeof nameOrChannels === 'string') {
            this[event] = channel('tracing:' + nameOrChannels + ':' + event);
          } else if (nameOrChannels !== null && typeof nameOrChannels === 'object' &&
            nameOrChannels[event] instanceof Channel) {
            this[event] = nameOrChannels[event];
          } else {
            throw invalidArgType('nameOrChannels', 'of type string or an instance of TracingChannel or Object', nameOrChannels);
          }
        }
      }
      get hasSubscribers() {
        for (const event of EVENTS) if (this[event].hasSubscribers) return true;
        return false;
      }
      subscribe(handlers) {
        for (const event of EVENTS) if (handlers[event]) this[event].subscribe(handlers[event]);
      }
      unsubscribe(handlers) {
        let all = true;
        for (const event of EVENTS) {
          if (handlers[event] && !this[event].unsubscribe(handlers[event])) all = false;
        }
        return all;
      }
      traceSync(fn, context = {}, thisArg, ...args) {
        if (!this.hasSubscribers) return ReflectApply(fn, thisArg, args);
        const { start, end, error } = this;
        return start.runStores(context, () => {
          try {
            const result = ReflectApply(fn, thisArg, args);
            context.result = result;
            return result;
          } catch (err) {
            context.error = err;
            error.publish(context);
            throw err;
          } finally {
            end.publish(context);
          }
        });
      }
      tracePromise(fn, context = {}, thisArg, ...args) {
        if (!this.hasSubscribers) return ReflectApply(fn, thisArg, args);
        const { start, end, asyncStart, asyncEnd, error } = this;
        const settle = (result) => {
          context.result = result;
          asyncStart.publish(context);
          asyncEnd.publish(context);
          return result;
        };
        const fail = (err) => {
          context.error = err;
          error.publish(context);
          asyncStart.publish(context);
          asyncEnd.publish(context);
          return PromiseCtor.reject(err);
        };
        return start.runStores(context, () => {
          try {
            let promise = ReflectApply(fn, thisArg, args);
            if (!(promise instanceof PromiseCtor)) promise = PromiseCtor.resolve(promise);
            return promise.then(settle, fail);
          } catch (err) {
            context.error = err;
            error.publish(context);
            throw err;
          } finally {
            end.publish(context);
          }
        });
      }
      traceCallback(fn, position = -1, context = {}, thisArg, ...args) {
        if (!this.hasSubscribers) return ReflectApply(fn, thisArg, args);
        const { start, end, asyncStart, asyncEnd, error } = this;
        const at = position < 0 ? args.length + position : position;
        const callback = fnArg(args[at], 'callback');
        args[at] = function (err, result) {
          if (err) {
            context.error = err;
            error.publish(context);
          } else {
            context.result = result;
          }
          return asyncStart.runStores(context, () => {
            try {
              return ReflectApply(callback, this, arguments);
            } finally {
              asyncEnd.publish(context);
            }
          });
        };
        return start.runStores(context, () => {
          try {
            return ReflectApply(fn, thisArg, args);
          } catch (err) {
            context.error = err;
            error.publish(context);
            throw err;
          } finally {
            end.publish(context);
          }
        });
      }
    }
    return {
      channel,
      hasSubscribers(name) {
        const found = call(MapPrototypeGet, channels, name);
        return found !== undefined && found.hasSubscribers;
      },
      subscribe(name, subscription) { channel(name).subscribe(subscription); },
      tracingChannel: (nameOrChannels) => new TracingChannel(nameOrChannels),
      unsubscribe(name, subscription) { return channel(name).unsubscribe(subscription); },
      Channel,
    };
  }
  registerBuiltin('diagnostics_channel', makeDiagnosticsChannel);

  // ---------------------------------------------------------------- MessageChannel
  // MessageChannel, MessagePort and BroadcastChannel within the session: a message is a
  // structured clone, delivered as a macrotask to the other end's 'message' listeners (and
  // `onmessage`). A port waiting for messages does not keep the session alive; a message on
  // its way does.
  let messaging;
  function makeMessaging() {
    if (messaging !== undefined) return messaging;
    const web = prelude.loadWeb();
    const { EventTarget, Event, structuredClone } = web;
    const peers = new WeakMap();
    const closed = new WeakSet();
    class MessageEvent extends Event {
      constructor(type, init = {}) {
        super(type, init);
        this.data = init.data;
        this.origin = init.origin === undefined ? '' : StringCtor(init.origin);
        this.lastEventId = '';
        this.source = init.source === undefined ? null : init.source;
        this.ports = init.ports === undefined ? [] : [...init.ports];
      }
    }
    const deliver = (target, data) => prelude.setImmediate(() => {
      if (closed.has(target)) return;
      const event = new MessageEvent('message', { data });
      if (typeof target.onmessage === 'function') call(target.onmessage, target, event);
      target.dispatchEvent(event);
    });
    // Node's ports and channels take EventEmitter-style listeners too.
    const emitterStyle = (Class) => {
      Class.prototype.on = Class.prototype.addListener = function (type, listener) {
        this.addEventListener(type, type === 'message' ? (event) => listener(event.data) : listener);
        return this;
      };
      Class.prototype.once = function (type, listener) {
        this.addEventListener(type, type === 'message' ? (event) => listener(event.data) : listener, { once: true });
        return this;
      };
      Class.prototype.ref = function () { return this; };
      Class.prototype.unref = function () { return this; };
      Class.prototype.hasRef = () => false;
    };
    let constructing = false;
    class MessagePort extends EventTarget {
      constructor() {
        if (!constructing) throw codedError(TypeErrorCtor, 'ERR_CONSTRUCT_CALL_INVALID', 'Constructor cannot be called');
        super();
        this.onmessage = null;
      }
      postMessage(message, transfer) {
        if (transfer !== undefined && (ArrayIsArray(transfer) ? transfer.length > 0 : transfer.transfer)) {
          throw new web.DOMException('Transferring is not supported in secure-exec', 'DataCloneError');
        }
        const peer = peers.get(this);
        const data = structuredClone(message);
        if (peer !== undefined && !closed.has(this)) deliver(peer, data);
      }
      start() {}
      close() {
        const peer = peers.get(this);
        for (const port of peer === undefined ? [this] : [this, peer]) {
          if (closed.has(port)) continue;
          closed.add(port);
          prelude.setImmediate(() => port.dispatchEvent(new Event('close')));
        }
      }
    }
    emitterStyle(MessagePort);
    class MessageChannel {
      constructor() {
        constructing = true;
        try {
          this.port1 = new MessagePort();
          this.port2 = new MessagePort();
        } finally {
          constructing = false;
        }
        peers.set(this.port1, this.port2);
        peers.set(this.port2, this.port1);
      }
    }
    const channels = new SafeMap();
    class BroadcastChannel extends EventTarget {
      constructor(name) {
        if (arguments.length === 0) throw invalidArgType('name', 'of type string', name);
        super();
        this.name = StringCtor(name);
        this.onmessage = null;
        const members = call(MapPrototypeGet, channels, this.name) || [];
        call(ArrayPrototypePush, members, this);
        call(MapPrototypeSet, channels, this.name, members);
      }
      postMessage(message) {
        if (closed.has(this)) throw new web.DOMException('BroadcastChannel is closed.', 'InvalidStateError');
        const data = structuredClone(message);
        for (const member of call(MapPrototypeGet, channels, this.name)) {
          if (member !== this) deliver(member, data);
        }
      }
      close() {
        if (closed.has(this)) return;
        closed.add(this);
        const members = call(MapPrototypeGet, channels, this.name);
        call(ArrayPrototypeSplice, members, call(ArrayPrototypeIndexOf, members, this), 1);
      }
    }
    emitterStyle(BroadcastChannel);
    messaging = { MessageChannel, MessagePort, MessageEvent, BroadcastChannel };
    return messaging;
  }

  // ---------------------------------------------------------------- path.win32
  // Windows paths, as Node's path.win32 treats them (drive letters, UNC roots, either slash),
  // for packages that take apart paths from Windows (archives, uploads). Its cwd is the
  // guest's, as Node's on Linux.
  let win32Path;
  function makeWin32Path() {
    if (win32Path !== undefined) return win32Path;
    const BACKSLASH = 92;
    const isSep = (code) => code === 47 || code === 92;
    const isDriveLetter = (code) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    const str = (value, name) => {
      if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
      return value;
    };
    const at = (text, i) => call(StringPrototypeCharCodeAt, text, i);
    const slice = (text, a, b) => call(StringPrototypeSlice, text, a, b);
    const lower = (text) => call(StringPrototypeToLowerCase, text);
    // Resolves '.' and '..' segments; `aboveRoot` keeps '..' that climb past the start.
    function normalizeString(path, aboveRoot) {
      let res = '';
      let lastSegmentLength = 0;
      let lastSlash = -1;
      let dots = 0;
      let code = 0;
      for (let i = 0; i <= path.length; ++i) {
        if (i < path.length) code = at(path, i);
        else if (isSep(code)) break;
        else code = 47;
        if (isSep(code)) {
          if (lastSlash === i - 1 || dots === 1) {
            // An empty segment or '.'.
          } else if (dots === 2) {
            if (res.length < 2 || lastSegmentLength !== 2 || at(res, res.length - 1) !== 46 ||
                at(res, res.length - 2) !== 46) {
              if (res.length > 2) {
                const lastSlashIndex = call(StringPrototypeLastIndexOf, res, '\\');
                if (lastSlashIndex === -1) {
                  res = '';
                  lastSegmentLength = 0;
                } else {
                  res = slice(res, 0, lastSlashIndex);
                  lastSegmentLength = res.length - 1 - call(StringPrototypeLastIndexOf, res, '\\');
                }
                lastSlash = i;
                dots = 0;
                continue;
              } else if (res.length !== 0) {
                res = '';
                lastSegmentLength = 0;
                lastSlash = i;
                dots = 0;
                continue;
              }
            }
            if (aboveRoot) {
              res += res.length > 0 ? '\\..' : '..';
              lastSegmentLength = 2;
            }
          } else {
            if (res.length > 0) res += '\\' + slice(path, lastSlash + 1, i);
            else res = slice(path, lastSlash + 1, i);
            lastSegmentLength = i - lastSlash - 1;
          }
          lastSlash = i;
          dots = 0;
        } else if (code === 46 && dots !== -1) {
          ++dots;
        } else {
          dots = -1;
        }
      }
      return res;
    }
    // The end of a UNC root (`\\server\share`) that starts `path`: [index after the share,
    // server, share, whether the path ends there], or undefined.
    function uncRoot(path) {
      const len = path.length;
      let j = 2;
      let last = j;
      while (j < len && !isSep(at(path, j))) j++;
      if (j >= len || j === last) return undefined;
      const server = slice(path, last, j);
      last = j;
      while (j < len && isSep(at(path, j))) j++;
      if (j >= len || j === last) return undefined;
      last = j;
      while (j < len && !isSep(at(path, j))) j++;
      if (j !== len && j === last) return undefined;
      return [j, server, slice(path, last, j), j === len];
    }
    function scanExtension(path, from) {
      let startDot = -1;
      let startPart = from;
      let end = -1;
      let matchedSlash = true;
      let preDotState = 0;
      for (let i = path.length - 1; i >= from; --i) {
        const code = at(path, i);
        if (isSep(code)) {
          if (!matchedSlash) {
            startPart = i + 1;
            break;
          }
          continue;
        }
        if (end === -1) {
          matchedSlash = false;
          end = i + 1;
        }
        if (code === 46) {
          if (startDot === -1) startDot = i;
          else if (preDotState !== 1) preDotState = 1;
        } else if (startDot !== -1) {
          preDotState = -1;
        }
      }
      const noExt = startDot === -1 || end === -1 || preDotState === 0 ||
        (preDotState === 1 && startDot === end - 1 && startDot === startPart + 1);
      return { startDot, startPart, end, noExt };
    }
    const win32 = {
      sep: '\\',
      delimiter: ';',
      resolve(...args) {
        let resolvedDevice = '';
        let resolvedTail = '';
        let resolvedAbsolute = false;
        for (let i = args.length - 1; i >= -1; i--) {
          let path;
          if (i >= 0) {
            path = str(args[i], 'paths[' + i + ']');
            if (path.length === 0) continue;
          } else if (resolvedDevice.length === 0) {
            path = process.cwd();
          } else {
            path = process.env['=' + resolvedDevice] || process.cwd();
            if (path === undefined || (lower(slice(path, 0, 2)) !== lower(resolvedDevice) && at(path, 2) === BACKSLASH)) {
              path = resolvedDevice + '\\';
            }
          }
          const len = path.length;
          let rootEnd = 0;
          let device = '';
          let isAbsolute = false;
          const code = at(path, 0);
          if (len === 1) {
            if (isSep(code)) {
              rootEnd = 1;
              isAbsolute = true;
            }
          } else if (isSep(code)) {
            isAbsolute = true;
            if (isSep(at(path, 1))) {
              const unc = uncRoot(path);
              if (unc !== undefined) {
                device = '\\\\' + unc[1] + '\\' + unc[2];
                rootEnd = unc[0];
              }
            } else {
              rootEnd = 1;
            }
          } else if (isDriveLetter(code) && at(path, 1) === 58) {
            device = slice(path, 0, 2);
            rootEnd = 2;
            if (len > 2 && isSep(at(path, 2))) {
              isAbsolute = true;
              rootEnd = 3;
            }
          }
          if (device.length > 0) {
            if (resolvedDevice.length > 0) {
              if (lower(device) !== lower(resolvedDevice)) continue;
            } else {
              resolvedDevice = device;
            }
          }
          if (resolvedAbsolute) {
            if (resolvedDevice.length > 0) break;
          } else {
            resolvedTail = slice(path, rootEnd) + '\\' + resolvedTail;
            resolvedAbsolute = isAbsolute;
            if (isAbsolute && resolvedDevice.length > 0) break;
          }
        }
        resolvedTail = normalizeString(resolvedTail, !resolvedAbsolute);
        return resolvedAbsolute ? resolvedDevice + '\\' + resolvedTail : (resolvedDevice + resolvedTail) || '.';
      },
      normalize(path) {
        str(path, 'path');
        const len = path.length;
        if (len === 0) return '.';
        let rootEnd = 0;
        let device;
        let isAbsolute = false;
        const code = at(path, 0);
        if (len === 1) return code === 47 ? '\\' : path;
        if (isSep(code)) {
          isAbsolute = true;
          if (isSep(at(path, 1))) {
            const unc = uncRoot(path);
            if (unc !== undefined) {
              if (unc[3]) return '\\\\' + unc[1] + '\\' + unc[2] + '\\';
              device = '\\\\' + unc[1] + '\\' + unc[2];
              rootEnd = unc[0];
            }
          } else {
            rootEnd = 1;
          }
        } else if (isDriveLetter(code) && at(path, 1) === 58) {
          device = slice(path, 0, 2);
          rootEnd = 2;
          if (len > 2 && isSep(at(path, 2))) {
            isAbsolute = true;
            rootEnd = 3;
          }
        }
        let tail = rootEnd < len ? normalizeString(slice(path, rootEnd), !isAbsolute) : '';
        if (tail.length === 0 && !isAbsolute) tail = '.';
        if (tail.length > 0 && isSep(at(path, len - 1))) tail += '\\';
        if (device === undefined) return isAbsolute ? '\\' + tail : tail;
        return isAbsolute ? device + '\\' + tail : device + tail;
      },
      isAbsolute(path) {
        str(path, 'path');
        const len = path.length;
        if (len === 0) return false;
        const code = at(path, 0);
        return isSep(code) || (len > 2 && isDriveLetter(code) && at(path, 1) === 58 && isSep(at(path, 2)));
      },
      join(...args) {
        if (args.length === 0) return '.';
        let joined;
        let firstPart;
        for (let i = 0; i < args.length; ++i) {
          const arg = str(args[i], 'path');
          if (arg.length > 0) {
            if (joined === undefined) joined = firstPart = arg;
            else joined += '\\' + arg;
          }
        }
        if (joined === undefined) return '.';
        // Keep a UNC root only when the first part starts as one.
        let needsReplace = true;
        let slashCount = 0;
        if (isSep(at(firstPart, 0))) {
          ++slashCount;
          if (firstPart.length > 1 && isSep(at(firstPart, 1))) {
            ++slashCount;
            if (firstPart.length > 2) {
              if (isSep(at(firstPart, 2))) ++slashCount;
              else needsReplace = false;
            }
          }
        }
        if (needsReplace) {
          while (slashCount < joined.length && isSep(at(joined, slashCount))) slashCount++;
          if (slashCount >= 2) joined = '\\' + slice(joined, slashCount);
        }
        return win32.normalize(joined);
      },
      relative(from, to) {
        str(from, 'from');
        str(to, 'to');
        if (from === to) return '';
        const fromOrig = win32.resolve(from);
        const toOrig = win32.resolve(to);
        if (fromOrig === toOrig) return '';
        from = lower(fromOrig);
        to = lower(toOrig);
        if (from === to) return '';
        let fromStart = 0;
        while (fromStart < from.length && at(from, fromStart) === BACKSLASH) fromStart++;
        let fromEnd = from.length;
        while (fromEnd - 1 > fromStart && at(from, fromEnd - 1) === BACKSLASH) fromEnd--;
        const fromLen = fromEnd - fromStart;
        let toStart = 0;
        while (toStart < to.length && at(to, toStart) === BACKSLASH) toStart++;
        let toEnd = to.length;
        while (toEnd - 1 > toStart && at(to, toEnd - 1) === BACKSLASH) toEnd--;
        const toLen = toEnd - toStart;
        const length = fromLen < toLen ? fromLen : toLen;
        let lastCommonSep = -1;
        let i = 0;
        for (; i < length; i++) {
          const fromCode = at(from, fromStart + i);
          if (fromCode !== at(to, toStart + i)) break;
          else if (fromCode === BACKSLASH) lastCommonSep = i;
        }
        if (i !== length) {
          if (lastCommonSep === -1) return toOrig;
        } else {
          if (toLen > length) {
            if (at(to, toStart + i) === BACKSLASH) return slice(toOrig, toStart + i + 1);
            if (i === 2) return slice(toOrig, toStart + i);
          }
          if (fromLen > length) {
            if (at(from, fromStart + i) === BACKSLASH) lastCommonSep = i;
            else if (i === 2) lastCommonSep = 3;
          }
          if (lastCommonSep === -1) lastCommonSep = 0;
        }
        let out = '';
        for (i = fromStart + lastCommonSep + 1; i <= fromEnd; ++i) {
          if (i === fromEnd || at(from, i) === BACKSLASH) out += out.length === 0 ? '..' : '\\..';
        }
        toStart += lastCommonSep;
        if (out.length > 0) return out + slice(toOrig, toStart, toEnd);
        if (at(toOrig, toStart) === BACKSLASH) ++toStart;
        return slice(toOrig, toStart, toEnd);
      },
      toNamespacedPath(path) {
        if (typeof path !== 'string' || path.length === 0) return path;
        const resolved = win32.resolve(path);
        if (resolved.length <= 2) return path;
        if (at(resolved, 0) === BACKSLASH) {
          if (at(resolved, 1) === BACKSLASH) {
            const code = at(resolved, 2);
            if (code !== 63 && code !== 46) return '\\\\?\\UNC\\' + slice(resolved, 2);
          }
        } else if (isDriveLetter(at(resolved, 0)) && at(resolved, 1) === 58 && at(resolved, 2) === BACKSLASH) {
          return '\\\\?\\' + resolved;
        }
        return path;
      },
      dirname(path) {
        str(path, 'path');
        const len = path.length;
        if (len === 0) return '.';
        let rootEnd = -1;
        let offset = 0;
        const code = at(path, 0);
        if (len === 1) return isSep(code) ? path : '.';
        if (isSep(code)) {
          rootEnd = offset = 1;
          if (isSep(at(path, 1))) {
            const unc = uncRoot(path);
            if (unc !== undefined) {
              if (unc[3]) return path;
              rootEnd = offset = unc[0] + 1;
            }
          }
        } else if (isDriveLetter(code) && at(path, 1) === 58) {
          rootEnd = len > 2 && isSep(at(path, 2)) ? 3 : 2;
          offset = rootEnd;
        }
        let end = -1;
        let matchedSlash = true;
        for (let i = len - 1; i >= offset; --i) {
          if (isSep(at(path, i))) {
            if (!matchedSlash) {
              end = i;
              break;
            }
          } else {
            matchedSlash = false;
          }
        }
        if (end === -1) {
          if (rootEnd === -1) return '.';
          end = rootEnd;
        }
        return slice(path, 0, end);
      },
      basename(path, suffix) {
        if (suffix !== undefined) str(suffix, 'suffix');
        str(path, 'path');
        let start = 0;
        let end = -1;
        let matchedSlash = true;
        if (path.length >= 2 && isDriveLetter(at(path, 0)) && at(path, 1) === 58) start = 2;
        if (suffix !== undefined && suffix.length > 0 && suffix.length <= path.length) {
          if (suffix === path) return '';
          let extIdx = suffix.length - 1;
          let firstNonSlashEnd = -1;
          for (let i = path.length - 1; i >= start; --i) {
            const code = at(path, i);
            if (isSep(code)) {
              if (!matchedSlash) {
                start = i + 1;
                break;
              }
            } else {
              if (firstNonSlashEnd === -1) {
                matchedSlash = false;
                firstNonSlashEnd = i + 1;
              }
              if (extIdx >= 0) {
                if (code === at(suffix, extIdx)) {
                  if (--extIdx === -1) end = i;
                } else {
                  extIdx = -1;
                  end = firstNonSlashEnd;
                }
              }
            }
          }
          if (start === end) end = firstNonSlashEnd;
          else if (end === -1) end = path.length;
          return slice(path, start, end);
        }
        for (let i = path.length - 1; i >= start; --i) {
          if (isSep(at(path, i))) {
            if (!matchedSlash) {
              start = i + 1;
              break;
            }
          } else if (end === -1) {
            matchedSlash = false;
            end = i + 1;
          }
        }
        return end === -1 ? '' : slice(path, start, end);
      },
      extname(path) {
        str(path, 'path');
        const start = path.length >= 2 && at(path, 1) === 58 && isDriveLetter(at(path, 0)) ? 2 : 0;
        const found = scanExtension(path, start);
        return found.noExt ? '' : slice(path, found.startDot, found.end);
      },
      format(pathObject) {
        if (pathObject === null || typeof pathObject !== 'object') {
          throw invalidArgType('pathObject', 'of type object', pathObject);
        }
        const dir = pathObject.dir || pathObject.root;
        const ext = pathObject.ext ? (pathObject.ext[0] === '.' ? '' : '.') + pathObject.ext : '';
        const base = pathObject.base || (pathObject.name || '') + ext;
        if (!dir) return base;
        return dir === pathObject.root ? dir + base : dir + '\\' + base;
      },
      parse(path) {
        str(path, 'path');
        const ret = { root: '', dir: '', base: '', ext: '', name: '' };
        if (path.length === 0) return ret;
        const len = path.length;
        let rootEnd = 0;
        const code = at(path, 0);
        if (len === 1) {
          if (isSep(code)) {
            ret.root = ret.dir = path;
            return ret;
          }
          ret.base = ret.name = path;
          return ret;
        }
        if (isSep(code)) {
          rootEnd = 1;
          if (isSep(at(path, 1))) {
            const unc = uncRoot(path);
            if (unc !== undefined) rootEnd = unc[3] ? unc[0] : unc[0] + 1;
          }
        } else if (isDriveLetter(code) && at(path, 1) === 58) {
          if (len <= 2) {
            ret.root = ret.dir = path;
            return ret;
          }
          rootEnd = 2;
          if (isSep(at(path, 2))) {
            if (len === 3) {
              ret.root = ret.dir = path;
              return ret;
            }
            rootEnd = 3;
          }
        }
        if (rootEnd > 0) ret.root = slice(path, 0, rootEnd);
        const { startDot, startPart, end, noExt } = scanExtension(path, rootEnd);
        if (end !== -1) {
          if (noExt) {
            ret.base = ret.name = slice(path, startPart, end);
          } else {
            ret.name = slice(path, startPart, startDot);
            ret.base = slice(path, startPart, end);
            ret.ext = slice(path, startDot, end);
          }
        }
        ret.dir = startPart > 0 && startPart !== rootEnd ? slice(path, 0, startPart - 1) : ret.root;
        return ret;
      },
    };
    win32.matchesGlob = globMatcher({ ...GLOB_OPTIONS, platform: 'win32' });
    win32.win32 = win32;
    win32.posix = requireBuiltin('path');
    win32._makeLong = win32.toNamespacedPath;
    win32Path = inPathOrder(win32);
    win32Path.win32 = win32Path;
    return win32Path;
  }

  // ---------------------------------------------------------------- readline
  // Lines from any readable stream (a file, process.stdin, a PassThrough), as Node's
  // readline does for input that is not a terminal: 'line' events, `question()`, async
  // iteration, and the cursor helpers writing their escape sequences.
  function makeReadline(promised) {
    const EventEmitter = requireBuiltin('events');
    const { StringDecoder } = requireBuiltin('string_decoder');
    const CSI = '\u001b[';
    const done = (stream, data, callback) => {
      if (stream === null || stream === undefined) {
        if (typeof callback === 'function') prelude.queueMicrotask(() => callback(null));
        return true;
      }
      return stream.write(data, callback);
    };
    const useAfterClose = () => codedError(ErrorCtor, 'ERR_USE_AFTER_CLOSE', 'readline was closed');
    class Interface extends EventEmitter {
      constructor(input, output, completer, terminal) {
        super();
        const options = input !== null && typeof input === 'object' && typeof input.on !== 'function' &&
          input.input !== undefined ? input : { input, output, completer, terminal };
        this.input = options.input;
        this.output = options.output;
        this.terminal = false;
        this.line = '';
        this.cursor = 0;
        this.closed = false;
        this.history = [];
        this._prompt = options.prompt === undefined ? '> ' : StringCtor(options.prompt);
        this._pending = '';
        this._afterReturn = false;
        this._questions = [];
        this._decoder = new StringDecoder('utf8');
        this._onData = (chunk) => this._feed(typeof chunk === 'string' ? chunk : this._decoder.write(chunk));
        this._onEnd = () => {
          const rest = this._pending + this._decoder.end();
          this._pending = '';
          if (rest.length > 0) this._onLine(rest);
          this.close();
        };
        if (this.input !== undefined && this.input !== null) {
          this.input.on('data', this._onData);
          this.input.on('end', this._onEnd);
          if (typeof this.input.resume === 'function') this.input.resume();
        }
      }
      _feed(text) {
        let start = 0;
        for (let i = 0; i < text.length; i++) {
          const c = text[i];
          if (c === '\n' && this._afterReturn && i === 0 && this._pending === '') {
            // The \n of a \r\n split across two chunks.
            start = 1;
            this._afterReturn = false;
            continue;
          }
          if (c === '\n' || c === '\r') {
            const line = this._pending + call(StringPrototypeSlice, text, start, i);
            this._pending = '';
            if (c === '\r' && text[i + 1] === '\n') i++;
            this._afterReturn = c === '\r' && i === text.length - 1;
            start = i + 1;
            // As Node's: the rest of a chunk's lines are delivered even after a close.
            this._onLine(line);
          }
        }
        if (start < text.length) {
          this._pending += call(StringPrototypeSlice, text, start);
          this._afterReturn = false;
        }
      }
      _onLine(line) {
        const answer = call(ArrayPrototypeShift, this._questions);
        if (answer !== undefined) answer(line);
        else this.emit('line', line);
      }
      close() {
        if (this.closed) return;
        this.closed = true;
        if (this.input !== undefined && this.input !== null) {
          this.input.removeListener('data', this._onData);
          this.input.removeListener('end', this._onEnd);
          if (typeof this.input.pause === 'function') this.input.pause();
        }
        this.emit('close');
      }
      pause() {
        if (this.input && typeof this.input.pause === 'function') this.input.pause();
        this.emit('pause');
        return this;
      }
      resume() {
        if (this.input && typeof this.input.resume === 'function') this.input.resume();
        this.emit('resume');
        return this;
      }
      setPrompt(prompt) { this._prompt = StringCtor(prompt); }
      getPrompt() { return this._prompt; }
      prompt() {
        if (this.closed) throw useAfterClose();
        if (this.output) this.output.write(this._prompt);
      }
      write(data) {
        if (this.closed) throw useAfterClose();
        if (typeof data === 'string') this._feed(data);
      }
      getCursorPos() { return { rows: 0, cols: this.cursor }; }
      _ask(query, answer) {
        if (this.closed) throw useAfterClose();
        if (this.output) this.output.write(StringCtor(query));
        call(ArrayPrototypePush, this._questions, answer);
      }
      [SymbolAsyncIterator]() {
        if (this._lines === undefined) {
          this._lines = EventEmitter.on(this, 'line');
          this.once('close', () => this._lines.return());
        }
        const lines = this._lines;
        return {
          next: () => lines.next().then((step) => (step.done ? step : { value: step.value[0], done: false })),
          return: () => {
            this.close();
            return lines.return();
          },
          [SymbolAsyncIterator]() { return this; },
        };
      }
    }
    if (promised) {
      Interface.prototype.question = function (query, options) {
        return new PromiseCtor((resolve) => this._ask(query, resolve));
      };
    } else {
      Interface.prototype.question = function (query, options, callback) {
        this._ask(query, typeof options === 'function' ? options : callback);
      };
    }
    const readline = {
      Interface,
      createInterface: (input, output, completer, terminal) => new Interface(input, output, completer, terminal),
      clearLine: (stream, dir, callback) =>
        done(stream, dir < 0 ? CSI + '1K' : dir > 0 ? CSI + '0K' : CSI + '2K', callback),
      clearScreenDown: (stream, callback) => done(stream, CSI + '0J', callback),
      cursorTo(stream, x, y, callback) {
        if (typeof y === 'function') { callback = y; y = undefined; }
        if (typeof x !== 'number') return done(null, '', callback);
        return done(stream, typeof y === 'number' ? CSI + (y + 1) + ';' + (x + 1) + 'H' : CSI + (x + 1) + 'G', callback);
      },
      moveCursor(stream, dx, dy, callback) {
        let data = '';
        if (dx < 0) data += CSI + -dx + 'D';
        else if (dx > 0) data += CSI + dx + 'C';
        if (dy < 0) data += CSI + -dy + 'A';
        else if (dy > 0) data += CSI + dy + 'B';
        return done(data === '' ? null : stream, data, callback);
      },
      // Key presses come only from a terminal.
      emitKeypressEvents() {},
    };
    return readline;
  }
  registerBuiltin('readline', () => {
    const readline = makeReadline(false);
    prelude.lazyProperties(readline, ['promises'], () => ({ promises: requireBuiltin('readline/promises') }), true);
    return readline;
  });
  registerBuiltin('readline/promises', () => makeReadline(true));

  // ---------------------------------------------------------------- the rest of Node's surface
  // Members the npm implementations (or the modules above) lack, added as each module is
  // built; checked against Node in tests/it/node_surface.rs.
  function extend(name, add) {
    const factory = call(MapPrototypeGet, builtinFactories, name);
    registerBuiltin(name, () => {
      const module = factory();
      add(module);
      return module;
    });
  }

  // Linux's numbers (x86-64), as Node reports them: the ABI, not anything of the host.
  let linux;
  function linuxConstants() {
    if (linux !== undefined) return linux;
    const errno = ObjectFreeze({ E2BIG: 7, EACCES: 13, EADDRINUSE: 98, EADDRNOTAVAIL: 99,
      EAFNOSUPPORT: 97, EAGAIN: 11, EALREADY: 114, EBADF: 9, EBADMSG: 74, EBUSY: 16,
      ECANCELED: 125, ECHILD: 10, ECONNABORTED: 103, ECONNREFUSED: 111, ECONNRESET: 104,
      EDEADLK: 35, EDESTADDRREQ: 89, EDOM: 33, EDQUOT: 122, EEXIST: 17, EFAULT: 14, EFBIG: 27,
      EHOSTUNREACH: 113, EIDRM: 43, EILSEQ: 84, EINPROGRESS: 115, EINTR: 4, EINVAL: 22, EIO: 5,
      EISCONN: 106, EISDIR: 21, ELOOP: 40, EMFILE: 24, EMLINK: 31, EMSGSIZE: 90, EMULTIHOP: 72,
      ENAMETOOLONG: 36, ENETDOWN: 100, ENETRESET: 102, ENETUNREACH: 101, ENFILE: 23,
      ENOBUFS: 105, ENODATA: 61, ENODEV: 19, ENOENT: 2, ENOEXEC: 8, ENOLCK: 37, ENOLINK: 67,
      ENOMEM: 12, ENOMSG: 42, ENOPROTOOPT: 92, ENOSPC: 28, ENOSR: 63, ENOSTR: 60, ENOSYS: 38,
      ENOTCONN: 107, ENOTDIR: 20, ENOTEMPTY: 39, ENOTSOCK: 88, ENOTSUP: 95, ENOTTY: 25, ENXIO: 6,
      EOPNOTSUPP: 95, EOVERFLOW: 75, EPERM: 1, EPIPE: 32, EPROTO: 71, EPROTONOSUPPORT: 93,
      EPROTOTYPE: 91, ERANGE: 34, EROFS: 30, ESPIPE: 29, ESRCH: 3, ESTALE: 116, ETIME: 62,
      ETIMEDOUT: 110, ETXTBSY: 26, EWOULDBLOCK: 11, EXDEV: 18 });
    const signals = ObjectFreeze({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5,
      SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11,
      SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17, SIGSTKFLT: 16, SIGCONT: 18,
      SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25,
      SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31 });
    const priority = ObjectFreeze({ PRIORITY_LOW: 19, PRIORITY_BELOW_NORMAL: 10,
      PRIORITY_NORMAL: 0, PRIORITY_ABOVE_NORMAL: -7, PRIORITY_HIGH: -14, PRIORITY_HIGHEST: -20 });
    const dlopen = ObjectFreeze({ RTLD_LAZY: 1, RTLD_NOW: 2, RTLD_GLOBAL: 256, RTLD_LOCAL: 0,
      RTLD_DEEPBIND: 8 });
    linux = { errno, signals, priority, dlopen };
    return linux;
  }

  // libuv's error names and messages, by (negative) errno: util.getSystemErrorName/Map.
  let systemErrors;
  function systemErrorMap() {
    if (systemErrors !== undefined) return systemErrors;
    systemErrors = new SafeMap([
      [-7, ['E2BIG', 'argument list too long']], [-13, ['EACCES', 'permission denied']],
      [-98, ['EADDRINUSE', 'address already in use']],
      [-99, ['EADDRNOTAVAIL', 'address not available']],
      [-97, ['EAFNOSUPPORT', 'address family not supported']],
      [-11, ['EAGAIN', 'resource temporarily unavailable']],
      [-3000, ['EAI_ADDRFAMILY', 'address family not supported']],
      [-3001, ['EAI_AGAIN', 'temporary failure']], [-3002, ['EAI_BADFLAGS', 'bad ai_flags value']],
      [-3013, ['EAI_BADHINTS', 'invalid value for hints']],
      [-3003, ['EAI_CANCELED', 'request canceled']], [-3004, ['EAI_FAIL', 'permanent failure']],
      [-3005, ['EAI_FAMILY', 'ai_family not supported']], [-3006, ['EAI_MEMORY', 'out of memory']],
      [-3007, ['EAI_NODATA', 'no address']], [-3008, ['EAI_NONAME', 'unknown node or service']],
      [-3009, ['EAI_OVERFLOW', 'argument buffer overflow']],
      [-3014, ['EAI_PROTOCOL', 'resolved protocol is unknown']],
      [-3010, ['EAI_SERVICE', 'service not available for socket type']],
      [-3011, ['EAI_SOCKTYPE', 'socket type not supported']],
      [-114, ['EALREADY', 'connection already in progress']],
      [-9, ['EBADF', 'bad file descriptor']], [-16, ['EBUSY', 'resource busy or locked']],
      [-125, ['ECANCELED', 'operation canceled']],
      [-4080, ['ECHARSET', 'invalid Unicode character']],
      [-103, ['ECONNABORTED', 'software caused connection abort']],
      [-111, ['ECONNREFUSED', 'connection refused']],
      [-104, ['ECONNRESET', 'connection reset by peer']],
      [-89, ['EDESTADDRREQ', 'destination address required']],
      [-17, ['EEXIST', 'file already exists']],
      [-14, ['EFAULT', 'bad address in system call argument']], [-27, ['EFBIG', 'file too large']],
      [-113, ['EHOSTUNREACH', 'host is unreachable']], [-4, ['EINTR', 'interrupted system call']],
      [-22, ['EINVAL', 'invalid argument']], [-5, ['EIO', 'i/o error']],
      [-106, ['EISCONN', 'socket is already connected']],
      [-21, ['EISDIR', 'illegal operation on a directory']],
      [-40, ['ELOOP', 'too many symbolic links encountered']],
      [-24, ['EMFILE', 'too many open files']], [-90, ['EMSGSIZE', 'message too long']],
      [-36, ['ENAMETOOLONG', 'name too long']], [-100, ['ENETDOWN', 'network is down']],
      [-101, ['ENETUNREACH', 'network is unreachable']], [-23, ['ENFILE', 'file table overflow']],
      [-105, ['ENOBUFS', 'no buffer space available']], [-19, ['ENODEV', 'no such device']],
      [-2, ['ENOENT', 'no such file or directory']], [-12, ['ENOMEM', 'not enough memory']],
      [-64, ['ENONET', 'machine is not on the network']],
      [-92, ['ENOPROTOOPT', 'protocol not available']],
      [-28, ['ENOSPC', 'no space left on device']], [-38, ['ENOSYS', 'function not implemented']],
      [-107, ['ENOTCONN', 'socket is not connected']], [-20, ['ENOTDIR', 'not a directory']],
      [-39, ['ENOTEMPTY', 'directory not empty']],
      [-88, ['ENOTSOCK', 'socket operation on non-socket']],
      [-95, ['ENOTSUP', 'operation not supported on socket']],
      [-75, ['EOVERFLOW', 'value too large for defined data type']],
      [-1, ['EPERM', 'operation not permitted']], [-32, ['EPIPE', 'broken pipe']],
      [-71, ['EPROTO', 'protocol error']], [-93, ['EPROTONOSUPPORT', 'protocol not supported']],
      [-91, ['EPROTOTYPE', 'protocol wrong type for socket']],
      [-34, ['ERANGE', 'result too large']], [-30, ['EROFS', 'read-only file system']],
      [-108, ['ESHUTDOWN', 'cannot send after transport endpoint shutdown']],
      [-29, ['ESPIPE', 'invalid seek']], [-3, ['ESRCH', 'no such process']],
      [-110, ['ETIMEDOUT', 'connection timed out']], [-26, ['ETXTBSY', 'text file is busy']],
      [-18, ['EXDEV', 'cross-device link not permitted']], [-4094, ['UNKNOWN', 'unknown error']],
      [-4095, ['EOF', 'end of file']], [-6, ['ENXIO', 'no such device or address']],
      [-31, ['EMLINK', 'too many links']], [-112, ['EHOSTDOWN', 'host is down']],
      [-121, ['EREMOTEIO', 'remote I/O error']],
      [-25, ['ENOTTY', 'inappropriate ioctl for device']],
      [-4028, ['EFTYPE', 'inappropriate file type or format']],
      [-84, ['EILSEQ', 'illegal byte sequence']],
      [-94, ['ESOCKTNOSUPPORT', 'socket type not supported']],
      [-61, ['ENODATA', 'no data available']], [-49, ['EUNATCH', 'protocol driver not attached']],
    ]);
    return systemErrors;
  }

  // Node's .env parser (util.parseEnv, process.loadEnvFile), quirks included: a key runs to
  // the next `=` (even across lines), `export ` before it is dropped; a value in quotes ('',
  // "", ``) may span lines and `\n` is expanded in double quotes only; an unquoted value ends
  // at the line's end or a `#`, trimmed of spaces; the last one of a key wins.
  function parseEnv(input) {
    const store = new SafeMap();
    const trimSpaces = (text) => {
      let a = 0;
      let b = text.length;
      while (a < b && text[a] === ' ') a++;
      while (b > a && text[b - 1] === ' ') b--;
      return call(StringPrototypeSlice, text, a, b);
    };
    const from = (text, at) => (at < 0 ? '' : call(StringPrototypeSlice, text, at));
    let content = trimSpaces(call(StringPrototypeReplace, StringCtor(input), /\r/g, ''));
    while (content.length > 0) {
      if (content[0] === '\n' || content[0] === '#') {
        const newline = call(StringPrototypeIndexOf, content, '\n');
        if (newline >= 0) {
          content = call(StringPrototypeSlice, content, newline + 1);
          continue;
        }
      }
      const equal = call(StringPrototypeIndexOf, content, '=');
      if (equal < 0) break;
      let key = trimSpaces(call(StringPrototypeSlice, content, 0, equal));
      content = call(StringPrototypeSlice, content, equal + 1);
      if (key === '') break;
      if (call(StringPrototypeStartsWith, key, 'export ')) key = call(StringPrototypeSlice, key, 7);
      if (content.length === 0) {
        call(MapPrototypeSet, store, key, '');
        break;
      }
      const quote = content[0];
      if (quote === '"' || quote === "'" || quote === '`') {
        const closing = call(StringPrototypeIndexOf, content, quote, 1);
        if (closing < 0) {
          // Unclosed: the rest of the line, quote and all.
          const newline = call(StringPrototypeIndexOf, content, '\n');
          if (newline < 0) break;
          call(MapPrototypeSet, store, key, call(StringPrototypeSlice, content, 0, newline));
          content = call(StringPrototypeSlice, content, newline);
          continue;
        }
        let value = call(StringPrototypeSlice, content, 1, closing);
        if (quote === '"') value = call(StringPrototypeReplace, value, /\\n/g, '\n');
        call(MapPrototypeSet, store, key, value);
        content = from(content, call(StringPrototypeIndexOf, content, '\n', closing + 1));
        continue;
      }
      const newline = call(StringPrototypeIndexOf, content, '\n');
      let value = newline < 0 ? content : call(StringPrototypeSlice, content, 0, newline);
      const hash = call(StringPrototypeIndexOf, value, '#');
      if (hash >= 0) value = call(StringPrototypeSlice, value, 0, hash);
      call(MapPrototypeSet, store, key, trimSpaces(value));
      content = from(content, newline);
    }
    // In key order, as Node's (a sorted map).
    const out = {};
    for (const name of [...store.keys()].sort()) out[name] = call(MapPrototypeGet, store, name);
    return out;
  }

  function loadEnvFile(path = '.env') {
    const parsed = parseEnv(fs.readFileSync(path, 'utf8'));
    // As Node's: what the environment already has is kept.
    for (const name of ObjectKeys(parsed)) {
      if (!ObjectPrototypeHasOwnProperty(process.env, name)) process.env[name] = parsed[name];
    }
  }

  function getBuiltinModule(id) {
    if (typeof id !== 'string') throw invalidArgType('id', 'of type string', id);
    let name;
    try {
      name = builtinName(id);
    } catch {
      return undefined;
    }
    return name === undefined ? undefined : requireBuiltin(name);
  }

  function stdin() {
    const { Readable } = requireBuiltin('stream');
    const stream = new Readable({ read() { this.push(null); } });
    stream.fd = 0;
    stream.isTTY = false;
    return stream;
  }

  // `new Console(stdout[, stderr])` or `new Console({ stdout, stderr })`: console's methods,
  // writing to the given streams.
  function Console(stdout, stderr) {
    if (!new.target) return new Console(stdout, stderr);
    const streams = stdout !== null && typeof stdout === 'object' && typeof stdout.write !== 'function'
      ? stdout : { stdout, stderr };
    const out = streams.stdout;
    if (out === null || typeof out !== 'object' || typeof out.write !== 'function') {
      throw invalidArgType('stdout', 'an instance of Stream', out);
    }
    const err = streams.stderr === undefined ? out : streams.stderr;
    const inspectOptions = streams.inspectOptions;
    let indent = '';
    const counts = new SafeMap();
    const times = new SafeMap();
    const print = (stream, args) => {
      let text = prelude.formatWithOptions(inspectOptions, ...args);
      if (indent !== '') text = indent + call(StringPrototypeReplace, text, /\n/g, '\n' + indent);
      stream.write(text + '\n');
    };
    const self = this;
    ObjectAssign(self, {
      log: (...args) => print(out, args),
      info: (...args) => print(out, args),
      debug: (...args) => print(out, args),
      dirxml: (...args) => print(out, args),
      table: (data, properties) => {
        if (data === null || typeof data !== 'object') return print(out, [data]);
        let text = prelude.renderTable(data, properties);
        if (indent !== '') text = indent + call(StringPrototypeReplace, text, /\n/g, '\n' + indent);
        out.write(text + '\n');
      },
      warn: (...args) => print(err, args),
      error: (...args) => print(err, args),
      trace: (...args) => {
        const trace = new ErrorCtor(prelude.format(...args));
        trace.name = 'Trace';
        print(err, [trace.stack]);
      },
      dir: (value, options) => print(out, [prelude.inspect(value, ObjectAssign({}, inspectOptions, options))]),
      assert: (condition, ...args) => {
        if (!condition) print(err, ['Assertion failed' + (args.length ? ':' : ''), ...args]);
      },
      count: (label = 'default') => {
        const n = (call(MapPrototypeGet, counts, label) || 0) + 1;
        call(MapPrototypeSet, counts, label, n);
        print(out, [label + ': ' + n]);
      },
      countReset: (label = 'default') => { call(MapPrototypeDelete, counts, label); },
      time: (label = 'default') => { call(MapPrototypeSet, times, label, DateCtor.now()); },
      timeEnd: (label = 'default') => {
        const start = call(MapPrototypeGet, times, label);
        if (start === undefined) return;
        call(MapPrototypeDelete, times, label);
        print(out, [label + ': ' + (DateCtor.now() - start) + 'ms']);
      },
      timeLog: (label = 'default', ...args) => {
        const start = call(MapPrototypeGet, times, label);
        if (start !== undefined) print(out, [label + ': ' + (DateCtor.now() - start) + 'ms', ...args]);
      },
      group: (...args) => { if (args.length) print(out, args); indent += '  '; },
      groupEnd: () => { indent = call(StringPrototypeSlice, indent, 2); },
      profile() {}, profileEnd() {}, timeStamp() {},
    });
    self.groupCollapsed = self.group;
  }

  extend('os', (os) => {
    const { errno, signals, priority, dlopen } = linuxConstants();
    os.constants = ObjectFreeze({ UV_UDP_REUSEADDR: 4, dlopen, errno, signals, priority });
  });
  registerBuiltin('constants', () => {
    const { errno, signals, priority, dlopen } = linuxConstants();
    return ObjectAssign({}, dlopen, errno, priority, signals, fs.constants, cryptoConstants());
  });
  // crypto.constants as Node 20 gives them (OpenSSL 3's numbers; the TLS ones are names only
  // here, there being no TLS in the guest).
  let cryptoConstantsTable;
  function cryptoConstants() {
    if (cryptoConstantsTable !== undefined) return cryptoConstantsTable;
    const table = { __proto__: null, OPENSSL_VERSION_NUMBER: 805306672, SSL_OP_ALL: 2147485776,
      SSL_OP_ALLOW_NO_DHE_KEX: 1024, SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION: 262144,
      SSL_OP_CIPHER_SERVER_PREFERENCE: 4194304, SSL_OP_CISCO_ANYCONNECT: 32768, SSL_OP_COOKIE_EXCHANGE: 8192,
      SSL_OP_CRYPTOPRO_TLSEXT_BUG: 2147483648, SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS: 2048,
      SSL_OP_LEGACY_SERVER_CONNECT: 4, SSL_OP_NO_COMPRESSION: 131072, SSL_OP_NO_ENCRYPT_THEN_MAC: 524288,
      SSL_OP_NO_QUERY_MTU: 4096, SSL_OP_NO_RENEGOTIATION: 1073741824,
      SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION: 65536, SSL_OP_NO_SSLv2: 0, SSL_OP_NO_SSLv3: 33554432,
      SSL_OP_NO_TICKET: 16384, SSL_OP_NO_TLSv1: 67108864, SSL_OP_NO_TLSv1_1: 268435456,
      SSL_OP_NO_TLSv1_2: 134217728, SSL_OP_NO_TLSv1_3: 536870912, SSL_OP_PRIORITIZE_CHACHA: 2097152,
      SSL_OP_TLS_ROLLBACK_BUG: 8388608, ENGINE_METHOD_RSA: 1, ENGINE_METHOD_DSA: 2, ENGINE_METHOD_DH: 4,
      ENGINE_METHOD_RAND: 8, ENGINE_METHOD_EC: 2048, ENGINE_METHOD_CIPHERS: 64, ENGINE_METHOD_DIGESTS: 128,
      ENGINE_METHOD_PKEY_METHS: 512, ENGINE_METHOD_PKEY_ASN1_METHS: 1024, ENGINE_METHOD_ALL: 65535,
      ENGINE_METHOD_NONE: 0, DH_CHECK_P_NOT_SAFE_PRIME: 2, DH_CHECK_P_NOT_PRIME: 1,
      DH_UNABLE_TO_CHECK_GENERATOR: 4, DH_NOT_SUITABLE_GENERATOR: 8, RSA_PKCS1_PADDING: 1, RSA_NO_PADDING: 3,
      RSA_PKCS1_OAEP_PADDING: 4, RSA_X931_PADDING: 5, RSA_PKCS1_PSS_PADDING: 6, RSA_PSS_SALTLEN_DIGEST: -1,
      RSA_PSS_SALTLEN_MAX_SIGN: -2, RSA_PSS_SALTLEN_AUTO: -2,
      defaultCoreCipherList: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:' +
        'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:' +
        'ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:' +
        'DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA256:' +
        'DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA',
      TLS1_VERSION: 769, TLS1_1_VERSION: 770, TLS1_2_VERSION: 771, TLS1_3_VERSION: 772,
      POINT_CONVERSION_COMPRESSED: 2, POINT_CONVERSION_UNCOMPRESSED: 4, POINT_CONVERSION_HYBRID: 6 };
    let defaultCipherList = table.defaultCoreCipherList;
    ObjectDefineProperty(table, 'defaultCipherList', { get: () => defaultCipherList,
      set: (value) => { defaultCipherList = value; }, enumerable: true, configurable: false });
    cryptoConstantsTable = ObjectFreeze(table);
    return cryptoConstantsTable;
  }

  // util.MIMEType / MIMEParams: the WHATWG MIME type parser of Node's lib/internal/mime.js
  // (MIT), as it is.
  function makeMime() {
    const NOT_HTTP_TOKEN_CODE_POINT = /[^!#$%&'*+\-.^_`|~A-Za-z0-9]/;
    const NOT_HTTP_QUOTED_STRING_CODE_POINT = /[^\t\u0020-~\u0080-\u00FF]/;
    const END_BEGINNING_WHITESPACE = /[^\r\n\t ]|$/;
    const START_ENDING_WHITESPACE = /[\r\n\t ]*$/;
    const EQUALS_SEMICOLON_OR_END = /[;=]|$/;
    const QUOTED_VALUE_PATTERN = /^(?:([\\]$)|[\\][\s\S]|[^"])*(?:(")|$)/u;
    const search = (str, re) => str.search(re);
    const syntax = (production, str, invalidIndex) => codedError(TypeErrorCtor, 'ERR_INVALID_MIME_SYNTAX',
      'The MIME syntax for a ' + production + ' in "' + str + '" is invalid' +
      (invalidIndex !== -1 ? ' at ' + invalidIndex : ''));
    const toASCIILower = (str) => {
      let result = '';
      for (let i = 0; i < str.length; i++) {
        const char = str[i];
        result += char >= 'A' && char <= 'Z' ? char.toLowerCase() : char;
      }
      return result;
    };
    function parseTypeAndSubtype(str) {
      let position = search(str, END_BEGINNING_WHITESPACE);
      const typeEnd = str.indexOf('/', position);
      const trimmedType = typeEnd === -1 ? str.slice(position) : str.slice(position, typeEnd);
      const invalidTypeIndex = search(trimmedType, NOT_HTTP_TOKEN_CODE_POINT);
      if (trimmedType === '' || invalidTypeIndex !== -1 || typeEnd === -1) throw syntax('type', str, invalidTypeIndex);
      position = typeEnd + 1;
      const type = toASCIILower(trimmedType);
      const subtypeEnd = str.indexOf(';', position);
      const rawSubtype = subtypeEnd === -1 ? str.slice(position) : str.slice(position, subtypeEnd);
      position += rawSubtype.length;
      if (subtypeEnd !== -1) position += 1;
      const trimmedSubtype = rawSubtype.slice(0, search(rawSubtype, START_ENDING_WHITESPACE));
      const invalidSubtypeIndex = search(trimmedSubtype, NOT_HTTP_TOKEN_CODE_POINT);
      if (trimmedSubtype === '' || invalidSubtypeIndex !== -1) throw syntax('subtype', str, invalidSubtypeIndex);
      return [type, toASCIILower(trimmedSubtype), position];
    }
    function removeBackslashes(str) {
      let ret = '';
      let i;
      for (i = 0; i < str.length - 1; i++) {
        const c = str[i];
        if (c === '\\') {
          i++;
          ret += str[i];
        } else {
          ret += c;
        }
      }
      if (i === str.length - 1) ret += str[i];
      return ret;
    }
    const escapeQuoteOrSolidus = (str) => {
      let result = '';
      for (let i = 0; i < str.length; i++) result += str[i] === '"' || str[i] === '\\' ? '\\' + str[i] : str[i];
      return result;
    };
    const encode = (value) => {
      if (value.length === 0) return '""';
      if (search(value, NOT_HTTP_TOKEN_CODE_POINT) === -1) return value;
      return '"' + escapeQuoteOrSolidus(value) + '"';
    };
    class MIMEParams {
      #data = new SafeMap();
      #processed = true;
      #string = null;
      static lazy(str) {
        const instance = new MIMEParams();
        instance.#string = str;
        instance.#processed = false;
        return instance;
      }
      delete(name) {
        this.#parse();
        this.#data.delete(name);
      }
      get(name) {
        this.#parse();
        return this.#data.has(name) ? this.#data.get(name) : null;
      }
      has(name) {
        this.#parse();
        return this.#data.has(name);
      }
      set(name, value) {
        this.#parse();
        name = '' + name;
        value = '' + value;
        const invalidNameIndex = search(name, NOT_HTTP_TOKEN_CODE_POINT);
        if (name.length === 0 || invalidNameIndex !== -1) throw syntax('parameter name', name, invalidNameIndex);
        const invalidValueIndex = search(value, NOT_HTTP_QUOTED_STRING_CODE_POINT);
        if (invalidValueIndex !== -1) throw syntax('parameter value', value, invalidValueIndex);
        this.#data.set(name, value);
      }
      *entries() {
        this.#parse();
        yield* this.#data.entries();
      }
      *keys() {
        this.#parse();
        yield* this.#data.keys();
      }
      *values() {
        this.#parse();
        yield* this.#data.values();
      }
      toString() {
        this.#parse();
        let ret = '';
        for (const [key, value] of this.#data) {
          if (ret.length) ret += ';';
          ret += key + '=' + encode(value);
        }
        return ret;
      }
      // Parsed on first use, as Node defers it.
      #parse() {
        if (this.#processed) return;
        const paramsMap = this.#data;
        let position = 0;
        const str = this.#string;
        const endOfSource = search(str.slice(position), START_ENDING_WHITESPACE) + position;
        while (position < endOfSource) {
          position += search(str.slice(position), END_BEGINNING_WHITESPACE);
          const afterParameterName = search(str.slice(position), EQUALS_SEMICOLON_OR_END) + position;
          const parameterString = toASCIILower(str.slice(position, afterParameterName));
          position = afterParameterName;
          if (position < endOfSource) {
            const char = str.charAt(position);
            position += 1;
            if (char === ';') continue;
          }
          if (position >= endOfSource) break;
          const char = str.charAt(position);
          let parameterValue = null;
          if (char === '"') {
            position += 1;
            const insideMatch = QUOTED_VALUE_PATTERN.exec(str.slice(position));
            position += insideMatch[0].length;
            const inside = insideMatch[1] || insideMatch[2] ? insideMatch[0].slice(0, -1) : insideMatch[0];
            parameterValue = removeBackslashes(inside);
            if (insideMatch[1]) parameterValue += '\\';
          } else {
            const valueEnd = str.indexOf(';', position);
            const rawValue = valueEnd === -1 ? str.slice(position) : str.slice(position, valueEnd);
            position += rawValue.length;
            const trimmedValue = rawValue.slice(0, search(rawValue, START_ENDING_WHITESPACE));
            if (trimmedValue === '') continue;
            parameterValue = trimmedValue;
          }
          if (parameterString !== '' && search(parameterString, NOT_HTTP_TOKEN_CODE_POINT) === -1 &&
            search(parameterValue, NOT_HTTP_QUOTED_STRING_CODE_POINT) === -1 && !paramsMap.has(parameterString)) {
            paramsMap.set(parameterString, parameterValue);
          }
          position++;
        }
        this.#processed = true;
      }
    }
    const paramsToString = MIMEParams.prototype.toString;
    ObjectDefineProperty(MIMEParams.prototype, SymbolIterator, { configurable: true, writable: true,
      value: MIMEParams.prototype.entries });
    ObjectDefineProperty(MIMEParams.prototype, 'toJSON', { configurable: true, writable: true, value: paramsToString });
    const lazyParams = MIMEParams.lazy;
    delete MIMEParams.lazy;
    class MIMEType {
      #type;
      #subtype;
      #parameters;
      constructor(string) {
        string = '' + string;
        const data = parseTypeAndSubtype(string);
        this.#type = data[0];
        this.#subtype = data[1];
        this.#parameters = lazyParams(string.slice(data[2]));
      }
      get type() { return this.#type; }
      set type(v) {
        v = '' + v;
        const invalidTypeIndex = search(v, NOT_HTTP_TOKEN_CODE_POINT);
        if (v.length === 0 || invalidTypeIndex !== -1) throw syntax('type', v, invalidTypeIndex);
        this.#type = toASCIILower(v);
      }
      get subtype() { return this.#subtype; }
      set subtype(v) {
        v = '' + v;
        const invalidSubtypeIndex = search(v, NOT_HTTP_TOKEN_CODE_POINT);
        if (v.length === 0 || invalidSubtypeIndex !== -1) throw syntax('subtype', v, invalidSubtypeIndex);
        this.#subtype = toASCIILower(v);
      }
      get essence() { return this.#type + '/' + this.#subtype; }
      get params() { return this.#parameters; }
      toString() {
        let ret = this.#type + '/' + this.#subtype;
        const paramStr = call(paramsToString, this.#parameters);
        if (paramStr.length) ret += ';' + paramStr;
        return ret;
      }
    }
    ObjectDefineProperty(MIMEType.prototype, 'toJSON', { configurable: true, writable: true,
      value: MIMEType.prototype.toString });
    return { MIMEType, MIMEParams };
  }

  extend('util', (util) => {
    prelude.lazyProperties(util, ['MIMEType', 'MIMEParams'], makeMime, true);
    // Nothing crosses to another thread here: a transferable signal is a new one that follows
    // the given one, as Node's is a new object.
    util.transferableAbortSignal = (signal) => {
      const { AbortSignal } = prelude.loadWeb();
      if (!(signal instanceof AbortSignal)) throw invalidArgType('signal', 'an instance of AbortSignal', signal);
      return AbortSignal.any([signal]);
    };
    util.transferableAbortController = () => new (prelude.loadWeb().AbortController)();
    util.debug = util.debuglog;
    util.formatWithOptions = (inspectOptions, ...args) => {
      if (inspectOptions === null || typeof inspectOptions !== 'object') {
        throw invalidArgType('inspectOptions', 'of type object', inspectOptions);
      }
      return prelude.formatWithOptions(inspectOptions, ...args);
    };
    // The escape sequences Node strips (its own pattern: CSI and OSC sequences).
    const ANSI = new RegExpCtor('[\\u001B\\u009B][[\\]()#;?]*' +
      '(?:(?:(?:(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]+)*' +
      '|[a-zA-Z\\d]+(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]*)*)?' +
      '(?:\\u0007|\\u001B\\u005C|\\u009C))' +
      '|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PR-TZcf-ntqry=><~]))', 'g');
    util.stripVTControlCharacters = (text) => {
      if (typeof text !== 'string') throw invalidArgType('str', 'of type string', text);
      return call(StringPrototypeReplace, text, ANSI, '');
    };
    util.toUSVString = (text) => call(StringPrototypeToWellFormed, StringCtor(text));
    const STYLES = { reset: [0, 0], bold: [1, 22], dim: [2, 22], italic: [3, 23], underline: [4, 24],
      blink: [5, 25], inverse: [7, 27], hidden: [8, 28], strikethrough: [9, 29],
      doubleunderline: [21, 24], black: [30, 39], red: [31, 39], green: [32, 39], yellow: [33, 39],
      blue: [34, 39], magenta: [35, 39], cyan: [36, 39], white: [37, 39], bgBlack: [40, 49],
      bgRed: [41, 49], bgGreen: [42, 49], bgYellow: [43, 49], bgBlue: [44, 49], bgMagenta: [45, 49],
      bgCyan: [46, 49], bgWhite: [47, 49], framed: [51, 54], overlined: [53, 55], gray: [90, 39],
      redBright: [91, 39], greenBright: [92, 39], yellowBright: [93, 39], blueBright: [94, 39],
      magentaBright: [95, 39], cyanBright: [96, 39], whiteBright: [97, 39], bgGray: [100, 49],
      bgRedBright: [101, 49], bgGreenBright: [102, 49], bgYellowBright: [103, 49],
      bgBlueBright: [104, 49], bgMagentaBright: [105, 49], bgCyanBright: [106, 49],
      bgWhiteBright: [107, 49] };
    // Styles only for a terminal (never here) unless FORCE_COLOR says so, or the caller
    // asks for them regardless (`validateStream: false`).
    util.styleText = (format, text, { validateStream = true, stream = process.stdout } = {}) => {
      if (typeof text !== 'string') throw invalidArgType('text', 'of type string', text);
      const formats = ArrayIsArray(format) ? [...format].reverse() : [format];
      for (const name of formats) {
        if (!ObjectPrototypeHasOwnProperty(STYLES, name)) {
          throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE', "The argument 'format' must be one of: " +
            ObjectKeys(STYLES).map((s) => "'" + s + "'").join(', ') + '. Received ' + prelude.inspect(name));
        }
      }
      const force = process.env.FORCE_COLOR;
      const colors = (stream && stream.isTTY) ||
        (force !== undefined && force !== '0' && force !== 'false');
      if (validateStream && !colors) return text;
      let out = text;
      for (const name of formats) {
        const style = STYLES[name];
        out = '\u001b[' + style[0] + 'm' + out + '\u001b[' + style[1] + 'm';
      }
      return out;
    };
    util.aborted = (signal, resource) => {
      if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) {
        throw invalidArgType('signal', 'an instance of AbortSignal', signal);
      }
      if (resource === null || (typeof resource !== 'object' && typeof resource !== 'function')) {
        throw invalidArgType('resource', 'of type object', resource);
      }
      if (signal.aborted) return PromiseCtor.resolve();
      return new PromiseCtor((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    };
    util.getSystemErrorName = (err) => {
      if (typeof err !== 'number') throw invalidArgType('err', 'of type number', err);
      if (err >= 0 || !NumberIsInteger(err)) {
        throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE',
          'The value of "err" is out of range. It must be a negative integer. Received ' + err);
      }
      const entry = call(MapPrototypeGet, systemErrorMap(), err);
      return entry === undefined ? 'Unknown system error ' + err : entry[0];
    };
    util.getSystemErrorMap = () => new SafeMap(systemErrorMap());
    // Built on first use (the reference implementation, bundled).
    prelude.lazyProperties(util, ['parseArgs'], () => npm('parse_args'), true);
    util.parseEnv = (content) => {
      if (typeof content !== 'string') throw invalidArgType('content', 'of type string', content);
      return parseEnv(content);
    };
  });

  extend('events', (EventEmitter) => {
    // An EventEmitter whose listeners run in the async context it was made in, as Node's.
    let EventEmitterAsyncResource;
    ObjectDefineProperty(EventEmitter, 'EventEmitterAsyncResource', {
      enumerable: true,
      configurable: true,
      get() {
        if (EventEmitterAsyncResource !== undefined) return EventEmitterAsyncResource;
        const { AsyncResource } = requireBuiltin('async_hooks');
        const resources = new WeakMap();
        const resourceOf = (self) => {
          const resource = call(WeakMapGet, resources, self);
          if (resource === undefined) {
            throw codedError(TypeErrorCtor, 'ERR_INVALID_THIS', 'Value of "this" must be of type EventEmitterAsyncResource');
          }
          return resource;
        };
        EventEmitterAsyncResource = class EventEmitterAsyncResource extends EventEmitter {
          constructor(options = undefined) {
            let name;
            if (typeof options === 'string') {
              name = options;
              options = undefined;
            } else {
              if (new.target === EventEmitterAsyncResource && typeof options?.name !== 'string') {
                throw invalidArgType('options.name', 'of type string', options?.name);
              }
              name = options?.name || new.target.name;
            }
            super(options);
            const resource = new AsyncResource(name);
            resource.eventEmitter = this;
            call(WeakMapSet, resources, this, resource);
          }
          emit(event, ...args) {
            const resource = resourceOf(this);
            return resource.runInAsyncScope(super.emit, this, event, ...args);
          }
          emitDestroy() { resourceOf(this).emitDestroy(); }
          get asyncId() { return resourceOf(this).asyncId(); }
          get triggerAsyncId() { return resourceOf(this).triggerAsyncId(); }
          get asyncResource() { return resourceOf(this); }
        };
        return EventEmitterAsyncResource;
      },
    });
    const errorMonitor = EventEmitter.errorMonitor || SymbolCtor('events.errorMonitor');
    EventEmitter.errorMonitor = errorMonitor;
    EventEmitter.captureRejectionSymbol = SymbolFor('nodejs.rejection');
    EventEmitter.captureRejections = false;
    EventEmitter.usingDomains = false;
    // 'error' listeners-to-be see it first through errorMonitor, as in Node.
    const emit = EventEmitter.prototype.emit;
    EventEmitter.prototype.emit = function (type, ...args) {
      if (type === 'error' && this._events !== undefined && this._events[errorMonitor] !== undefined) {
        ReflectApply(emit, this, [errorMonitor, ...args]);
      }
      return ReflectApply(emit, this, [type, ...args]);
    };
    const maxListenersKey = SymbolCtor('events.maxEventTargetListeners');
    const isTarget = (value) => value !== null && typeof value === 'object' &&
      typeof value.addEventListener === 'function' && typeof value.listeners !== 'function';
    EventEmitter.getEventListeners = (target, type) => {
      if (isTarget(target)) return prelude.loadWeb().eventListeners(target, type);
      if (target !== null && typeof target === 'object' && typeof target.listeners === 'function') {
        return target.listeners(type);
      }
      throw invalidArgType('emitter', 'an instance of EventEmitter or EventTarget', target);
    };
    EventEmitter.getMaxListeners = (target) => {
      if (target !== null && typeof target === 'object' && typeof target.getMaxListeners === 'function') {
        return target.getMaxListeners();
      }
      if (isTarget(target)) return target[maxListenersKey] === undefined ? EventEmitter.defaultMaxListeners : target[maxListenersKey];
      throw invalidArgType('emitter', 'an instance of EventEmitter or EventTarget', target);
    };
    EventEmitter.setMaxListeners = (n = EventEmitter.defaultMaxListeners, ...targets) => {
      if (typeof n !== 'number' || n < 0 || n !== n) {
        throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE',
          'The value of "n" is out of range. It must be a non-negative number. Received ' + prelude.inspect(n));
      }
      if (targets.length === 0) EventEmitter.defaultMaxListeners = n;
      for (const target of targets) {
        if (target !== null && typeof target === 'object' && typeof target.setMaxListeners === 'function') {
          target.setMaxListeners(n);
        } else if (isTarget(target)) {
          target[maxListenersKey] = n;
        } else {
          throw invalidArgType('eventTargets', 'an instance of EventEmitter or EventTarget', target);
        }
      }
    };
    EventEmitter.addAbortListener = (signal, listener) => {
      if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) {
        throw invalidArgType('signal', 'an instance of AbortSignal', signal);
      }
      if (typeof listener !== 'function') throw invalidArgType('listener', 'of type function', listener);
      let removed = false;
      const onAbort = () => { if (!removed) listener(); };
      if (signal.aborted) prelude.queueMicrotask(onAbort);
      else signal.addEventListener('abort', onAbort, { once: true });
      const dispose = () => {
        removed = true;
        signal.removeEventListener('abort', onAbort);
      };
      return { [SymbolDispose || SymbolFor('nodejs.dispose')]: dispose };
    };
    // events.on(emitter, name): an async iterator over the events, ending with an 'error'.
    EventEmitter.on = function on(emitter, event, options) {
      const signal = options !== null && typeof options === 'object' ? options.signal : undefined;
      const abortError = () => new AbortError();
      if (signal !== undefined && signal.aborted) throw abortError();
      const events = new Fifo();
      const waiting = new Fifo();
      let failure = null;
      let finished = false;
      const add = (name, fn) => (isTarget(emitter) ? emitter.addEventListener(name, fn) : emitter.on(name, fn));
      const remove = (name, fn) => (isTarget(emitter) ? emitter.removeEventListener(name, fn)
        : emitter.removeListener(name, fn));
      const onEvent = (...args) => {
        const next = waiting.shift();
        if (next !== undefined) next.resolve({ value: args, done: false });
        else events.push(args);
      };
      const onError = (err) => {
        finished = true;
        const next = waiting.shift();
        if (next !== undefined) next.reject(err);
        else failure = err;
        iterator.return();
      };
      const onAbort = () => onError(abortError());
      const close = () => {
        remove(event, onEvent);
        if (event !== 'error') remove('error', onError);
        if (signal !== undefined) signal.removeEventListener('abort', onAbort);
        finished = true;
        while (waiting.length > 0) waiting.shift().resolve({ value: undefined, done: true });
      };
      const iterator = {
        next() {
          if (events.length > 0) return PromiseCtor.resolve({ value: events.shift(), done: false });
          if (failure !== null) {
            const err = failure;
            failure = null;
            return PromiseCtor.reject(err);
          }
          if (finished) return PromiseCtor.resolve({ value: undefined, done: true });
          return new PromiseCtor((resolve, reject) => waiting.push({ resolve, reject }));
        },
        return() {
          close();
          return PromiseCtor.resolve({ value: undefined, done: true });
        },
        throw(err) {
          failure = err;
          close();
          return PromiseCtor.reject(err);
        },
        [SymbolAsyncIterator]() { return this; },
      };
      add(event, onEvent);
      if (event !== 'error') add('error', onError);
      if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true });
      return iterator;
    };
  });

  // Node's comparison, search, fill and byte swaps (lib/buffer.js), over the natives of
  // buffer.rs: the package's are byte loops in JavaScript, and differ from Node on empty
  // needles, ranges, two-byte searches and errors.
  const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8ArrayCtor.prototype);
  const TypedArrayTag = Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get;
  const TypedArrayPrototypeFill = TypedArrayPrototype.fill;
  const isUint8 = (value) => call(TypedArrayTag, value) === 'Uint8Array';
  const MathTrunc = Math.trunc;
  const NumberMAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
  // Node 20's `kMaxLength`, the bound of its offset checks.
  const MAX_OFFSET = 2 ** 32;
  // Node's `normalizeEncoding`: the canonical name, or undefined for none it knows.
  function normalEncoding(encoding) {
    if (encoding === undefined || encoding === null || encoding === '') return 'utf8';
    switch (call(StringPrototypeToLowerCase, `${encoding}`)) {
      case 'utf8': case 'utf-8': return 'utf8';
      case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
      case 'latin1': case 'binary': return 'latin1';
      case 'base64': return 'base64';
      case 'base64url': return 'base64url';
      case 'hex': return 'hex';
      case 'ascii': return 'ascii';
      default: return undefined;
    }
  }
  const unknownEncoding = (encoding) =>
    codedError(TypeErrorCtor, 'ERR_UNKNOWN_ENCODING', 'Unknown encoding: ' + encoding);
  const NOT_BYTES = 'an instance of Buffer or Uint8Array';
  function nodeBufferMethods(B) {
    const proto = B.prototype;
    function indexOf(buf, value, byteOffset, encoding, forward) {
      if (!ArrayBufferIsView(buf)) throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buf);
      if (typeof byteOffset === 'string') {
        encoding = byteOffset;
        byteOffset = undefined;
      } else if (byteOffset > 0x7fffffff) {
        byteOffset = 0x7fffffff;
      } else if (byteOffset < -0x80000000) {
        byteOffset = -0x80000000;
      }
      byteOffset = +byteOffset;
      if (byteOffset !== byteOffset) byteOffset = forward ? 0 : buf.byteLength;
      if (typeof value === 'number') return native.bufferIndexOf(buf, value >>> 0, byteOffset, false, forward);
      const name = encoding === undefined ? 'utf8' : normalEncoding(encoding);
      if (typeof value === 'string') {
        if (name === undefined) throw unknownEncoding(encoding);
        return native.bufferIndexOf(buf, B.from(value, name), byteOffset, name === 'utf16le', forward);
      }
      if (isUint8(value)) return native.bufferIndexOf(buf, value, byteOffset, name === 'utf16le', forward);
      throw invalidArgType('value', 'one of type number or string or ' + NOT_BYTES, value);
    }
    function swap(buf, size, bits) {
      if (buf.length % size !== 0) {
        throw codedError(RangeErrorCtor, 'ERR_INVALID_BUFFER_SIZE', 'Buffer size must be a multiple of ' + bits);
      }
      native.bufferSwap(buf, size);
      return buf;
    }
    const methods = {
      swap16() { return swap(this, 2, '16-bits'); },
      swap32() { return swap(this, 4, '32-bits'); },
      swap64() { return swap(this, 8, '64-bits'); },
      indexOf(value, byteOffset, encoding) { return indexOf(this, value, byteOffset, encoding, true); },
      lastIndexOf(value, byteOffset, encoding) { return indexOf(this, value, byteOffset, encoding, false); },
      includes(value, byteOffset, encoding) { return indexOf(this, value, byteOffset, encoding, true) !== -1; },
      equals(otherBuffer) {
        if (!isUint8(otherBuffer)) throw invalidArgType('otherBuffer', NOT_BYTES, otherBuffer);
        if (this === otherBuffer) return true;
        const length = this.byteLength;
        if (length !== otherBuffer.byteLength) return false;
        return length === 0 || native.bufferCompare(this, 0, length, otherBuffer, 0, length) === 0;
      },
      compare(target, targetStart, targetEnd, sourceStart, sourceEnd) {
        if (!isUint8(target)) throw invalidArgType('target', NOT_BYTES, target);
        if (arguments.length === 1) return native.bufferCompare(this, 0, this.length, target, 0, target.length);
        targetStart = targetStart === undefined ? 0 : integerArg(targetStart, 'targetStart', 0, MAX_OFFSET);
        targetEnd = targetEnd === undefined ? target.length : integerArg(targetEnd, 'targetEnd', 0, target.length);
        sourceStart = sourceStart === undefined ? 0 : integerArg(sourceStart, 'sourceStart', 0, MAX_OFFSET);
        sourceEnd = sourceEnd === undefined ? this.length : integerArg(sourceEnd, 'sourceEnd', 0, this.length);
        if (sourceStart >= sourceEnd) return targetStart >= targetEnd ? 0 : -1;
        if (targetStart >= targetEnd) return 1;
        return native.bufferCompare(this, sourceStart, sourceEnd, target, targetStart, targetEnd);
      },
      fill(value, offset, end, encoding) {
        if (typeof value === 'string') {
          if (offset === undefined || typeof offset === 'string') {
            encoding = offset;
            offset = 0;
            end = this.length;
          } else if (typeof end === 'string') {
            encoding = end;
            end = this.length;
          }
          const name = normalEncoding(encoding);
          if (name === undefined) {
            if (typeof encoding !== 'string') throw invalidArgType('encoding', 'of type string', encoding);
            throw unknownEncoding(encoding);
          }
          if (value.length === 0) {
            value = 0;
          } else if (value.length === 1) {
            // One byte: a plain fill.
            const code = call(StringPrototypeCharCodeAt, value, 0);
            if ((name === 'utf8' && code < 128) || name === 'latin1') value = code;
          }
          encoding = name;
        }
        if (offset === undefined) {
          offset = 0;
          end = this.length;
        } else {
          integerArg(offset, 'offset', 0, MAX_OFFSET);
          end = end === undefined ? this.length : integerArg(end, 'end', 0, this.length);
          if (offset >= end) return this;
        }
        if (typeof value === 'number') {
          call(TypedArrayPrototypeFill, this, value, offset, end);
        } else if (typeof value === 'string' || ArrayBufferIsView(value)) {
          const pattern = typeof value === 'string' ? B.from(value, encoding) : value;
          if (native.bufferFill(this, pattern, offset, end) === -1) {
            throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
              "The argument 'value' is invalid. Received " + prelude.inspect(value));
          }
        } else {
          call(TypedArrayPrototypeFill, this, (value >>> 0) & 255, offset, end);
        }
        return this;
      },
    };
    // Node's: an offset as Math.trunc takes it, negative from the end, clamped to the length.
    const adjustOffset = (offset, length) => {
      offset = MathTrunc(offset);
      if (offset === 0 || offset !== offset) return 0;
      if (offset < 0) return offset + length > 0 ? offset + length : 0;
      return offset < length ? offset : length;
    };
    methods.subarray = function subarray(start, end) {
      const length = this.length;
      start = adjustOffset(start, length);
      end = end !== undefined ? adjustOffset(end, length) : length;
      return B.from(this.buffer, this.byteOffset + start, end > start ? end - start : 0);
    };
    methods.slice = function slice(start, end) { return this.subarray(start, end); };
    for (const name of ObjectKeys(methods)) {
      ObjectDefineProperty(proto, name, { value: methods[name], writable: true, configurable: true, enumerable: true });
    }
    // Unpooled, as Node's.
    B.of = (...items) => {
      const out = B.allocUnsafeSlow(items.length);
      for (let k = 0; k < items.length; k++) out[k] = items[k];
      return out;
    };
    B.copyBytesFrom = function copyBytesFrom(view, offset, length) {
      if (!ArrayBufferIsView(view) || call(TypedArrayTag, view) === undefined) {
        throw invalidArgType('view', 'an instance of TypedArray', view);
      }
      const viewLength = view.length;
      if (viewLength === 0) return B.alloc(0);
      if (offset !== undefined || length !== undefined) {
        if (offset !== undefined) {
          integerArg(offset, 'offset', 0, NumberMAX_SAFE_INTEGER);
          if (offset >= viewLength) return B.alloc(0);
        } else {
          offset = 0;
        }
        const end = length !== undefined ? offset + integerArg(length, 'length', 0, NumberMAX_SAFE_INTEGER) : viewLength;
        view = call(TypedArrayPrototype.slice, view, offset, end);
      }
      return B.from(new Uint8ArrayCtor(view.buffer, view.byteOffset, view.byteLength));
    };
    B.compare = function compare(buf1, buf2) {
      if (!isUint8(buf1)) throw invalidArgType('buf1', NOT_BYTES, buf1);
      if (!isUint8(buf2)) throw invalidArgType('buf2', NOT_BYTES, buf2);
      if (buf1 === buf2) return 0;
      return native.bufferCompare(buf1, 0, buf1.length, buf2, 0, buf2.length);
    };
  }

  extend('buffer', (buffer) => {
    buffer.resolveObjectURL = (url) => prelude.loadWeb().resolveObjectURL(url);
    nodeBufferMethods(buffer.Buffer);
    // Node's per-encoding slices and writes, and the lowercase `Uint` spellings of the BigInt
    // readers and writers, which some packages call directly.
    const proto = buffer.Buffer.prototype;
    for (const encoding of ['ascii', 'base64', 'base64url', 'hex', 'latin1', 'ucs2', 'utf8']) {
      const slice = function (start = 0, end = this.length) { return this.toString(encoding, start, end); };
      const write = function (string, offset = 0, length = this.length - offset) {
        return this.write(string, offset, length, encoding);
      };
      ObjectDefineProperty(slice, 'name', { value: encoding + 'Slice' });
      ObjectDefineProperty(write, 'name', { value: encoding + 'Write' });
      for (const [name, fn] of [[encoding + 'Slice', slice], [encoding + 'Write', write]]) {
        if (proto[name] === undefined) ObjectDefineProperty(proto, name, { value: fn, writable: true, configurable: true });
      }
    }
    for (const [alias, name] of [['readBigUint64BE', 'readBigUInt64BE'], ['readBigUint64LE', 'readBigUInt64LE'],
      ['writeBigUint64BE', 'writeBigUInt64BE'], ['writeBigUint64LE', 'writeBigUInt64LE']]) {
      if (proto[alias] === undefined && proto[name] !== undefined) {
        ObjectDefineProperty(proto, alias, { value: proto[name], writable: true, configurable: true });
      }
    }
    // The web globals are built when these are first used, not with every Buffer.
    prelude.lazyProperties(buffer, ['atob', 'btoa'], () => prelude.loadWeb(), true);
    prelude.lazyProperties(buffer, ['Blob', 'File'], () => net(), true);
    buffer.kStringMaxLength = STRING_MAX_LENGTH;
    buffer.constants = ObjectFreeze({ MAX_LENGTH: buffer.kMaxLength, MAX_STRING_LENGTH: STRING_MAX_LENGTH });
    buffer.isUtf8 = (input) => {
      try {
        new (prelude.loadWeb().TextDecoder)('utf-8', { fatal: true }).decode(input);
        return true;
      } catch {
        return false;
      }
    };
    buffer.isAscii = (input) => {
      const bytes = dataBytes(input, undefined, 'input');
      for (let i = 0; i < bytes.byteLength; i++) if (bytes[i] > 127) return false;
      return true;
    };
    const TRANSCODE = ['ascii', 'latin1', 'binary', 'ucs2', 'ucs-2', 'utf16le', 'utf-16le', 'utf8', 'utf-8'];
    buffer.transcode = (source, from, to) => {
      const f = StringCtor(from).toLowerCase();
      const t = StringCtor(to).toLowerCase();
      if (!call(ArrayPrototypeIncludes, TRANSCODE, f) || !call(ArrayPrototypeIncludes, TRANSCODE, t)) {
        throw codedError(ErrorCtor, 'U_ILLEGAL_ARGUMENT_ERROR', 'Unable to transcode Buffer [U_ILLEGAL_ARGUMENT_ERROR]');
      }
      return buffer.Buffer.from(buffer.Buffer.from(source).toString(f), t);
    };
  });

  // Node's path module's members in Node's order (path.posix and path.win32 alike).
  const PATH_KEYS = ['resolve', 'normalize', 'isAbsolute', 'join', 'relative', 'toNamespacedPath', 'dirname',
    'basename', 'extname', 'format', 'parse', 'matchesGlob', 'sep', 'delimiter', 'win32', 'posix', '_makeLong'];
  function inPathOrder(members) {
    const out = {};
    for (const key of PATH_KEYS) if (key in members) out[key] = members[key];
    return out;
  }
  const globMatcher = (options) => (target, pattern) => {
    if (typeof target !== 'string') throw invalidArgType('path', 'of type string', target);
    if (typeof pattern !== 'string') throw invalidArgType('pattern', 'of type string', pattern);
    return npm('minimatch').minimatch(target, pattern, options);
  };
  registerBuiltin('path', () => {
    const npmPath = npm('path');
    const members = { ...npmPath,
      // No namespaces on POSIX: the path itself, as Node's path.posix.
      toNamespacedPath: (p) => p,
      matchesGlob: globMatcher(GLOB_OPTIONS) };
    const path = {};
    for (const key of PATH_KEYS) {
      if (key === 'win32') {
        // Built on first use.
        prelude.lazyProperties(path, ['win32'], () => ({ win32: makeWin32Path() }), true);
      } else if (key === 'posix') {
        path.posix = path;
      } else if (key === '_makeLong') {
        path._makeLong = path.toNamespacedPath;
      } else {
        path[key] = members[key];
      }
    }
    return path;
  });
  registerBuiltin('path/win32', () => requireBuiltin('path').win32);

  extend('zlib', (zlib) => {
    // Node's old names for the constants (deprecated, still read by older packages): hidden
    // and read-only on the module itself, Brotli's left out.
    if (zlib.constants) {
      for (const key of ObjectKeys(zlib.constants)) {
        if (call(StringPrototypeStartsWith, key, 'BROTLI') || ObjectHasOwn(zlib, key)) continue;
        ObjectDefineProperty(zlib, key, { value: zlib.constants[key], enumerable: false, writable: false });
      }
    }
    for (const name of ['deflate', 'inflate', 'gzip', 'gunzip', 'deflateRaw', 'inflateRaw', 'unzip',
      'brotliCompress', 'brotliDecompress']) {
      const className = name[0].toUpperCase() + name.slice(1);
      const create = zlib['create' + className];
      if (create !== undefined) zlib[className] = function (opts) { return create(opts); };
    }
    const codes = { Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2,
      Z_DATA_ERROR: -3, Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6 };
    for (const key of ObjectKeys(codes)) codes[codes[key]] = key;
    zlib.codes = ObjectFreeze(codes);
    let table;
    zlib.crc32 = (data, value = 0) => {
      if (table === undefined) {
        table = new Int32Array(256);
        for (let n = 0; n < 256; n++) {
          let c = n;
          for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
          table[n] = c;
        }
      }
      const bytes = dataBytes(data, 'utf8', 'data');
      let crc = (value ^ -1) >>> 0;
      for (let i = 0; i < bytes.byteLength; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
      return (crc ^ -1) >>> 0;
    };
  });

  extend('url', (url) => {
    url.urlToHttpOptions = (target) => {
      const options = {
        protocol: target.protocol,
        hostname: typeof target.hostname === 'string' && call(StringPrototypeStartsWith, target.hostname, '[')
          ? call(StringPrototypeSlice, target.hostname, 1, -1) : target.hostname,
        hash: target.hash,
        search: target.search,
        pathname: target.pathname,
        path: (target.pathname || '') + (target.search || ''),
        href: target.href,
      };
      if (target.port !== '') options.port = Number(target.port);
      if (target.username || target.password) {
        options.auth = decodeURIComponent(target.username) + ':' + decodeURIComponent(target.password);
      }
      return options;
    };
  });


  // The bundler renamed a few of the npm modules' classes (a name clash across the bundle:
  // `Buffer2`); they get Node's names back.
  function renamed(fn, name) {
    ObjectDefineProperty(fn, 'name', { value: name, configurable: true });
  }

  // ---------------------------------------------------------------- zlib
  // Deflate, gzip and their inverses by pako (zlib ported to JavaScript), Brotli by the
  // worker's native coder (brotli.rs), in Node's shapes: `*Sync`, callbacks, and Transform
  // streams.
  const BROTLI = { BROTLI_DECODE: 8, BROTLI_ENCODE: 9, BROTLI_OPERATION_PROCESS: 0,
    BROTLI_OPERATION_FLUSH: 1, BROTLI_OPERATION_FINISH: 2, BROTLI_OPERATION_EMIT_METADATA: 3,
    BROTLI_PARAM_MODE: 0, BROTLI_MODE_GENERIC: 0, BROTLI_MODE_TEXT: 1, BROTLI_MODE_FONT: 2,
    BROTLI_DEFAULT_MODE: 0, BROTLI_PARAM_QUALITY: 1, BROTLI_MIN_QUALITY: 0, BROTLI_MAX_QUALITY: 11,
    BROTLI_DEFAULT_QUALITY: 11, BROTLI_PARAM_LGWIN: 2, BROTLI_MIN_WINDOW_BITS: 10,
    BROTLI_MAX_WINDOW_BITS: 24, BROTLI_LARGE_MAX_WINDOW_BITS: 30, BROTLI_DEFAULT_WINDOW: 22,
    BROTLI_PARAM_LGBLOCK: 3, BROTLI_MIN_INPUT_BLOCK_BITS: 16, BROTLI_MAX_INPUT_BLOCK_BITS: 24,
    BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING: 4, BROTLI_PARAM_SIZE_HINT: 5,
    BROTLI_PARAM_LARGE_WINDOW: 6, BROTLI_PARAM_NPOSTFIX: 7, BROTLI_PARAM_NDIRECT: 8,
    BROTLI_DECODER_RESULT_ERROR: 0, BROTLI_DECODER_RESULT_SUCCESS: 1,
    BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT: 2, BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: 3,
    BROTLI_DECODER_PARAM_DISABLE_RING_BUFFER_REALLOCATION: 0, BROTLI_DECODER_PARAM_LARGE_WINDOW: 1,
    BROTLI_DECODER_NO_ERROR: 0, BROTLI_DECODER_SUCCESS: 1, BROTLI_DECODER_NEEDS_MORE_INPUT: 2,
    BROTLI_DECODER_NEEDS_MORE_OUTPUT: 3, BROTLI_DECODER_ERROR_FORMAT_EXUBERANT_NIBBLE: -1,
    BROTLI_DECODER_ERROR_FORMAT_RESERVED: -2, BROTLI_DECODER_ERROR_FORMAT_EXUBERANT_META_NIBBLE: -3,
    BROTLI_DECODER_ERROR_FORMAT_SIMPLE_HUFFMAN_ALPHABET: -4,
    BROTLI_DECODER_ERROR_FORMAT_SIMPLE_HUFFMAN_SAME: -5, BROTLI_DECODER_ERROR_FORMAT_CL_SPACE: -6,
    BROTLI_DECODER_ERROR_FORMAT_HUFFMAN_SPACE: -7, BROTLI_DECODER_ERROR_FORMAT_CONTEXT_MAP_REPEAT: -8,
    BROTLI_DECODER_ERROR_FORMAT_BLOCK_LENGTH_1: -9, BROTLI_DECODER_ERROR_FORMAT_BLOCK_LENGTH_2: -10,
    BROTLI_DECODER_ERROR_FORMAT_TRANSFORM: -11, BROTLI_DECODER_ERROR_FORMAT_DICTIONARY: -12,
    BROTLI_DECODER_ERROR_FORMAT_WINDOW_BITS: -13, BROTLI_DECODER_ERROR_FORMAT_PADDING_1: -14,
    BROTLI_DECODER_ERROR_FORMAT_PADDING_2: -15, BROTLI_DECODER_ERROR_FORMAT_DISTANCE: -16,
    BROTLI_DECODER_ERROR_DICTIONARY_NOT_SET: -19, BROTLI_DECODER_ERROR_INVALID_ARGUMENTS: -20,
    BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES: -21, BROTLI_DECODER_ERROR_ALLOC_TREE_GROUPS: -22,
    BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MAP: -25, BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_1: -26,
    BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_2: -27, BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES: -30,
    BROTLI_DECODER_ERROR_UNREACHABLE: -31 };
  // Input handed to one native step, and the output buffer it fills: a stop reaches the
  // session between steps, and a decompression bomb comes out a buffer at a time.
  const BROTLI_STEP = 65536;
  // The pako engines' shape (`push(data, flush)`, `onData`, `err`, `msg`) over a native
  // Brotli stream.
  class BrotliEngine {
    constructor(encode, opts) {
      const params = opts !== undefined && opts !== null && opts.params !== undefined ? opts.params : {};
      const values = [11, 22, 0, 0, 0];
      const at = { [BROTLI.BROTLI_PARAM_QUALITY]: 0, [BROTLI.BROTLI_PARAM_LGWIN]: 1,
        [BROTLI.BROTLI_PARAM_MODE]: 2, [BROTLI.BROTLI_PARAM_SIZE_HINT]: 3,
        [BROTLI.BROTLI_PARAM_LGBLOCK]: 4 };
      for (const key of ObjectKeys(params)) {
        const value = params[key];
        const known = encode ? at[key] !== undefined || (key >= 4 && key <= 8)
          : key === '0' || key === '1';
        if (!known) {
          throw codedError(RangeErrorCtor, 'ERR_BROTLI_INVALID_PARAM', key + ' is not a valid Brotli parameter');
        }
        if (typeof value !== 'number') {
          throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE',
            'The "options.params[key]" property must be of type number. ' + describeReceived(value));
        }
        if (at[key] !== undefined) values[at[key]] = value >>> 0;
      }
      this.encode = encode;
      this.id = native.brotliOpen(encode, values[0], values[1], values[2], values[3], values[4]);
      this.out = new Uint8ArrayCtor(BROTLI_STEP);
      this.done = false;
      this.closed = false;
      this.err = 0;
      this.msg = '';
      this.onData = () => {};
    }
    fail(err) {
      this.err = err.errno;
      this.msg = err;
      this.close();
      return false;
    }
    push(data, flush) {
      if (this.closed) return this.done || this.fail(codedError(ErrorCtor, 'ERR_ZLIB_BINDING_CLOSED', 'zlib binding closed'));
      const op = flush === true ? BROTLI.BROTLI_OPERATION_FINISH
        : typeof flush === 'number' ? flush : BROTLI.BROTLI_OPERATION_PROCESS;
      let offset = 0;
      for (;;) {
        const last = offset + BROTLI_STEP >= data.length;
        const slice = data.subarray(offset, last ? data.length : offset + BROTLI_STEP);
        const [consumed, produced, result, error] =
          native.brotliStep(this.id, slice, last ? op : BROTLI.BROTLI_OPERATION_PROCESS, this.out);
        offset += consumed;
        if (produced > 0) this.onData(call(Uint8ArrayCtor.prototype.slice, this.out, 0, produced));
        if (result === BROTLI.BROTLI_DECODER_RESULT_ERROR) {
          if (this.encode) return this.fail(codedError(ErrorCtor, 'ERR_ZLIB_INITIALIZATION_FAILED', 'Compression failed'));
          let name = '_ERROR_UNREACHABLE';
          for (const key of ObjectKeys(BROTLI)) {
            if (BROTLI[key] === error && call(StringPrototypeStartsWith, key, 'BROTLI_DECODER_ERROR')) {
              name = call(StringPrototypeSlice, key, 'BROTLI_DECODER'.length);
            }
          }
          const err = new ErrorCtor('Decompression failed');
          err.errno = error;
          err.code = 'ERR_' + name;
          return this.fail(err);
        }
        if (result === BROTLI.BROTLI_DECODER_RESULT_SUCCESS) {
          this.done = true;
          if (!this.encode || op === BROTLI.BROTLI_OPERATION_FINISH) break;
        }
        if (result === BROTLI.BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT || offset < data.length) continue;
        // All input taken and no output left: an encoder told to finish goes on until it has.
        if (this.encode && op === BROTLI.BROTLI_OPERATION_FINISH && !this.done) continue;
        break;
      }
      if (!this.encode && op === BROTLI.BROTLI_OPERATION_FINISH && !this.done) {
        const err = new ErrorCtor('unexpected end of file');
        err.errno = -5;
        err.code = 'Z_BUF_ERROR';
        return this.fail(err);
      }
      if (op === BROTLI.BROTLI_OPERATION_FINISH) this.close();
      return true;
    }
    close() {
      if (!this.closed) {
        this.closed = true;
        native.brotliClose(this.id);
      }
    }
  }
  function brotliOnce(encode, input, opts) {
    const engine = new BrotliEngine(encode, opts);
    const chunks = [];
    let total = 0;
    engine.onData = (chunk) => {
      call(ArrayPrototypePush, chunks, chunk);
      total += chunk.byteLength;
    };
    if (!engine.push(input, true)) throw engine.msg;
    return concat(chunks, total);
  }

  function makeZlib() {
    const pako = npm('pako');
    const { Transform } = requireBuiltin('stream');
    const ERRORS = { 'incorrect header check': -3, 'invalid stored block lengths': -3,
      'unexpected end of file': -5, 'invalid distance too far back': -3 };
    function zlibError(message) {
      if (message instanceof ErrorCtor && message.code !== undefined) return message;
      const text = typeof message === 'string' ? message : (message && message.message) || 'zlib error';
      const errno = ERRORS[text] === undefined ? -3 : ERRORS[text];
      const err = new ErrorCtor(text);
      err.errno = errno;
      err.code = errno === -5 ? 'Z_BUF_ERROR' : 'Z_DATA_ERROR';
      return err;
    }
    function bytes(data) {
      if (data instanceof ArrayBuffer) return new Uint8ArrayCtor(data);
      return dataBytes(data, 'utf8', 'buffer');
    }
    const isGzip = (input) => input.length > 1 && input[0] === 0x1f && input[1] === 0x8b;
    const ENGINES = {
      deflate: [(input, o) => pako.deflate(input, o), (o) => new pako.Deflate(o)],
      inflate: [(input, o) => pako.inflate(input, o), (o) => new pako.Inflate(o)],
      gzip: [(input, o) => pako.gzip(input, o), (o) => new pako.Deflate(ObjectAssign({ gzip: true }, o))],
      gunzip: [(input, o) => pako.ungzip(input, o), (o) => new pako.Inflate(o)],
      deflateRaw: [(input, o) => pako.deflateRaw(input, o), (o) => new pako.Deflate(ObjectAssign({ raw: true }, o))],
      inflateRaw: [(input, o) => pako.inflateRaw(input, o), (o) => new pako.Inflate(ObjectAssign({ raw: true }, o))],
      unzip: [(input, o) => (isGzip(input) ? pako.ungzip(input, o) : pako.inflate(input, o)), (o) => new pako.Inflate(o)],
      brotliCompress: [(input, o) => brotliOnce(true, input, o), (o) => new BrotliEngine(true, o)],
      brotliDecompress: [(input, o) => brotliOnce(false, input, o), (o) => new BrotliEngine(false, o)],
    };
    // Node's zlib constants (zlib 1.3's numbers, Node's limits), then Brotli's.
    const ZLIB_CONSTANTS = { Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4,
      Z_BLOCK: 5, Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3,
      Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6, Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1,
      Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1, Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4,
      Z_DEFAULT_STRATEGY: 0, ZLIB_VERNUM: 4880, DEFLATE: 1, INFLATE: 2, GZIP: 3, GUNZIP: 4, DEFLATERAW: 5,
      INFLATERAW: 6, UNZIP: 7, BROTLI_DECODE: 8, BROTLI_ENCODE: 9, Z_MIN_WINDOWBITS: 8, Z_MAX_WINDOWBITS: 15, Z_DEFAULT_WINDOWBITS: 15, Z_MIN_CHUNK: 64,
      Z_MAX_CHUNK: Infinity, Z_DEFAULT_CHUNK: 16384, Z_MIN_MEMLEVEL: 1, Z_MAX_MEMLEVEL: 9, Z_DEFAULT_MEMLEVEL: 8,
      Z_MIN_LEVEL: -1, Z_MAX_LEVEL: 9, Z_DEFAULT_LEVEL: -1 };
    const zlib = { constants: ObjectFreeze(ObjectAssign({}, ZLIB_CONSTANTS, BROTLI)) };
    for (const name of ObjectKeys(ENGINES)) {
      const [once, streaming] = ENGINES[name];
      const run = (data, opts) => {
        let out;
        try {
          out = once(bytes(data), opts || {});
        } catch (err) {
          throw zlibError(err);
        }
        return toBuffer(out);
      };
      zlib[name + 'Sync'] = run;
      zlib[name] = (data, opts, callback) => {
        if (typeof opts === 'function') { callback = opts; opts = {}; }
        let result;
        let failure = null;
        try {
          result = run(data, opts);
        } catch (err) {
          failure = err;
        }
        prelude.setImmediate(() => callback(failure, result));
      };
      const className = name[0].toUpperCase() + name.slice(1);
      zlib['create' + className] = (opts) => {
        const engine = streaming(opts || {});
        // Output goes to the stream as the engine makes it (a small input can inflate to
        // far more than the session holds at once); `_processChunk` collects it instead.
        const chunks = [];
        let target;
        engine.onData = (chunk) => {
          if (target !== undefined) target.push(toBuffer(chunk));
          else call(ArrayPrototypePush, chunks, toBuffer(chunk));
        };
        const run = (stream, input, flush, callback) => {
          target = stream;
          const ok = engine.push(input, flush);
          target = undefined;
          if (!ok && engine.err) return callback(zlibError(engine.msg));
          callback();
        };
        const stream = new Transform({
          transform(chunk, encoding, callback) { run(this, bytes(chunk), false, callback); },
          flush(callback) { run(this, new Uint8ArrayCtor(0), true, callback); },
          destroy(err, callback) {
            if (engine.close !== undefined) engine.close();
            callback(err);
          },
        });
        // Node's internals that stream libraries (minizlib, under tar) drive directly: one chunk
        // through the engine at once with a zlib flush flag, the output handed back.
        stream._handle = { close() {} };
        stream._processChunk = (chunk, flushFlag) => {
          if (!engine.push(bytes(chunk), flushFlag) && engine.err) throw zlibError(engine.msg);
          return call(ArrayPrototypeSplice, chunks, 0, chunks.length);
        };
        stream.close = (callback) => {
          if (typeof callback === 'function') prelude.queueMicrotask(callback);
          stream.destroy();
        };
        return stream;
      };
    }
    return zlib;
  }

  // ---------------------------------------------------------------- crypto
  // Keys as KeyObjects. A secret key (crypto.createSecretKey) is accepted wherever key
  // material is: HMAC, ciphers, key derivation. An asymmetric key (RSA, EC on P-256 and P-384,
  // Ed25519) is held as DER in one canonical form, PKCS #8 or SubjectPublicKeyInfo, which the
  // natives (keys.rs) read again for every use.
  const secretKeys = new WeakMap();
  const asymmetricKeys = new WeakMap();
  // Where a KeyObject keeps its type, as Node does (so it inspects the same).
  const kKeyType = SymbolCtor('kKeyType');
  class KeyObject {
    constructor(type) {
      if (type !== 'secret' && type !== 'private' && type !== 'public') {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
          "The argument 'type' is invalid. Received " + prelude.inspect(type));
      }
      this[kKeyType] = type;
    }
    get _type() { return this[kKeyType]; }
    get [Symbol.toStringTag]() { return 'KeyObject'; }
    get type() { return this[kKeyType]; }
    get symmetricKeySize() {
      const bytes = secretKeys.get(this);
      return bytes === undefined ? undefined : bytes.byteLength;
    }
    get asymmetricKeyType() {
      const key = asymmetricKeys.get(this);
      return key === undefined ? undefined : key.kind;
    }
    get asymmetricKeyDetails() {
      const key = asymmetricKeys.get(this);
      return key === undefined ? undefined : ObjectAssign({}, key.details);
    }
    export(options) {
      const key = asymmetricKeys.get(this);
      if (key !== undefined) return exportAsymmetric(key, options);
      const bytes = secretKeys.get(this);
      if (options !== undefined && options !== null && options.format === 'jwk') {
        return { kty: 'oct', k: toBuffer(bytes).toString('base64url') };
      }
      return toBuffer(new Uint8ArrayCtor(bytes));
    }
    equals(other) {
      if (!(other instanceof KeyObject)) throw invalidArgType('otherKeyObject', 'an instance of KeyObject', other);
      if (other._type !== this._type) return false;
      const a = this._type === 'secret' ? secretKeys.get(this) : asymmetricKeys.get(this).der;
      const b = other._type === 'secret' ? secretKeys.get(other) : asymmetricKeys.get(other).der;
      if (a.byteLength !== b.byteLength) return false;
      let diff = 0;
      for (let i = 0; i < a.byteLength; i++) diff |= a[i] ^ b[i];
      return diff === 0;
    }
    static from() { throw notSupported('KeyObject.from()'); }
  }
  // Node's classes of the three kinds (their names show in errors and inspection).
  class SecretKeyObject extends KeyObject {}
  class PrivateKeyObject extends KeyObject {}
  class PublicKeyObject extends KeyObject {}
  function createSecretKey(key, encoding) {
    const bytes = new Uint8ArrayCtor(dataBytes(key, encoding === undefined ? 'utf8' : encoding, 'key'));
    const object = new SecretKeyObject('secret');
    secretKeys.set(object, bytes);
    return object;
  }

  // An asymmetric KeyObject over canonical DER.
  function asymmetricKey(der, isPrivate) {
    const object = isPrivate ? new PrivateKeyObject('private') : new PublicKeyObject('public');
    const described = native.keyDescribe(der, isPrivate);
    const kind = described[0];
    let details = {};
    if (kind === 'rsa') {
      let exponent = 0n;
      for (const byte of described[2]) exponent = (exponent << 8n) | BigInt(byte);
      details = { modulusLength: described[1], publicExponent: exponent };
    } else if (kind === 'ec') {
      details = { namedCurve: described[1] };
    }
    asymmetricKeys.set(object, { der, isPrivate, kind, details });
    return object;
  }
  const isPlainKeyOptions = (input) => input !== null && typeof input === 'object' &&
    !(input instanceof KeyObject) && !ArrayBufferIsView(input) && !(input instanceof ArrayBuffer);
  // Node's key inputs: a KeyObject, PEM (a string or bytes), or `{ key, format, type,
  // encoding }` with `format` 'pem', 'der' or 'jwk'. A private key read as a public one gives
  // its public half.
  function asymmetricInput(input, wantPrivate) {
    if (input instanceof KeyObject) {
      if (input._type === 'secret' || (wantPrivate && input._type !== 'private')) {
        throw codedError(TypeErrorCtor, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE',
          'Invalid key object type ' + input._type + ', expected ' + (wantPrivate ? 'private.' : 'public.'));
      }
      if (!wantPrivate && input._type === 'private') {
        const key = asymmetricKeys.get(input);
        return asymmetricKey(native.keyRead(key.der, 'der', 'pkcs8', false), false);
      }
      return input;
    }
    let data = input;
    let format = 'pem';
    let type = '';
    if (isPlainKeyOptions(input)) {
      if (input.key instanceof KeyObject) return asymmetricInput(input.key, wantPrivate);
      if (input.passphrase !== undefined) throw notSupported('Encrypted private keys (a passphrase)');
      data = input.key;
      if (input.format !== undefined) format = input.format;
      if (input.type !== undefined) type = StringCtor(input.type);
      if (typeof data === 'string' && input.encoding !== undefined) data = Buffer().from(data, input.encoding);
    }
    if (format === 'jwk') {
      if (data === null || typeof data !== 'object') throw invalidArgType('key.key', 'of type object', data);
      const parts = {};
      for (const name of ['n', 'e', 'd', 'p', 'q', 'x', 'y']) {
        if (typeof data[name] === 'string') parts[name] = Buffer().from(data[name], 'base64url');
      }
      const der = native.keyFromJwk(StringCtor(data.kty), StringCtor(data.crv), parts, wantPrivate);
      return asymmetricKey(der, wantPrivate);
    }
    if (format !== 'pem' && format !== 'der') {
      throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
        "The property 'key.format' is invalid. Received " + prelude.inspect(format));
    }
    if (typeof data !== 'string' && !ArrayBufferIsView(data) && !(data instanceof ArrayBuffer)) {
      throw invalidArgType('key', 'of type string or an instance of ArrayBuffer, Buffer, TypedArray, ' +
        'DataView, KeyObject, or CryptoKey', data);
    }
    if (format === 'der' && type === '') {
      throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
        "The property 'key.type' is invalid. Received undefined");
    }
    const bytes = data instanceof ArrayBuffer ? new Uint8ArrayCtor(data) : dataBytes(data, 'utf8', 'key');
    return asymmetricKey(native.keyRead(bytes, format, type, wantPrivate), wantPrivate);
  }
  function exportAsymmetric(key, options) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    if (options.format === 'jwk') {
      const parts = native.keyJwk(key.der, key.isPrivate);
      const members = {};
      for (let i = 0; i < parts.length; i += 2) members[parts[i]] = toBuffer(parts[i + 1]).toString('base64url');
      if (key.kind === 'rsa') {
        const jwk = { kty: 'RSA' };
        for (const name of ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi']) if (members[name] !== undefined) jwk[name] = members[name];
        return jwk;
      }
      if (key.kind === 'ec') {
        const jwk = { kty: 'EC', x: members.x, y: members.y, crv: key.details.namedCurve === 'prime256v1' ? 'P-256' : 'P-384' };
        if (members.d !== undefined) jwk.d = members.d;
        return jwk;
      }
      const jwk = { crv: key.kind === 'x25519' ? 'X25519' : 'Ed25519' };
      if (members.d !== undefined) jwk.d = members.d;
      jwk.x = members.x;
      jwk.kty = 'OKP';
      return jwk;
    }
    if (options.cipher !== undefined || options.passphrase !== undefined) {
      throw notSupported('Encrypting an exported private key');
    }
    for (const name of ['format', 'type']) {
      const value = options[name];
      const allowed = name === 'format' ? ['pem', 'der'] : key.isPrivate ? ['pkcs1', 'pkcs8', 'sec1'] : ['pkcs1', 'spki'];
      if (!call(ArrayPrototypeIncludes, allowed, value)) {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
          "The property 'options." + name + "' is invalid. Received " + prelude.inspect(value));
      }
    }
    const out = native.keyWrite(key.der, key.isPrivate, options.type, options.format === 'pem');
    return options.format === 'pem' ? out : toBuffer(out);
  }
  // What a signing key's options ask for: RSA's padding and PSS salt, ECDSA's encoding.
  function signingOptions(input) {
    const options = isPlainKeyOptions(input) ? input : {};
    const dsaEncoding = options.dsaEncoding === undefined ? 'der' : options.dsaEncoding;
    if (dsaEncoding !== 'der' && dsaEncoding !== 'ieee-p1363') {
      throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
        "The property 'options.dsaEncoding' is invalid. Received " + prelude.inspect(dsaEncoding));
    }
    return [options.padding === undefined ? 1 : options.padding,
      options.saltLength === undefined ? -2 : options.saltLength, dsaEncoding];
  }
  // RSA and ECDSA without a named digest use SHA-256, as OpenSSL does; Ed25519 takes none.
  function digestFor(key, algorithm) {
    if (algorithm !== undefined && algorithm !== null) return StringCtor(algorithm);
    return key.kind === 'ed25519' ? '' : 'sha256';
  }
  // With `hashedFor` (the key `input` names, looked up by createSign / createVerify), `bytes`
  // is the data's digest.
  function signWith(algorithm, bytes, input, hashedFor) {
    const key = hashedFor === undefined ? asymmetricKeys.get(asymmetricInput(input, true)) : hashedFor;
    const [padding, saltLength, dsaEncoding] = signingOptions(input);
    return toBuffer(native.keySign(key.der, true, bytes, digestFor(key, algorithm), padding, saltLength,
      dsaEncoding, hashedFor !== undefined));
  }
  function verifyWith(algorithm, bytes, input, signature, hashedFor) {
    const key = hashedFor === undefined ? asymmetricKeys.get(asymmetricInput(input, false)) : hashedFor;
    const [padding, saltLength, dsaEncoding] = signingOptions(input);
    return native.keyVerify(key.der, false, bytes, signature, digestFor(key, algorithm), padding, saltLength,
      dsaEncoding, hashedFor !== undefined);
  }
  function checkDigest(algorithm) {
    const name = StringCtor(algorithm).toLowerCase().replace(/^rsa-/, '').replace(/withrsaencryption$/, '').replace('-', '');
    if (!call(ArrayPrototypeIncludes, ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'], name)) {
      throw codedError(ErrorCtor, 'ERR_CRYPTO_INVALID_DIGEST', 'Invalid digest');
    }
    return name;
  }
  // createSign / createVerify: Writable streams (lazily, as above) of the data they sign or
  // verify, hashed as it comes (as OpenSSL's EVP_DigestSign does), so that none of it is held;
  // then one signature or verification, after which the object is spent, as in Node.
  const notInitialised = () => codedError(ErrorCtor, 'ERR_CRYPTO_INVALID_STATE', 'Not initialised');
  class SignatureData {
    constructor(algorithm, options) {
      this._options = options;
      this._digest = checkDigest(algorithm);
      this._hash = requireBuiltin('crypto').createHash(this._digest);
    }
    update(data, encoding) {
      if (this._hash === undefined) throw notInitialised();
      this._hash.update(dataBytes(data, encoding, 'data'));
      return this;
    }
    _write(chunk, encoding, callback) {
      this.update(chunk, encoding);
      callback();
    }
    // The key `input` names and the digest of all the data, which spends the object; a key
    // that signs without a digest (Ed25519) is refused first, leaving the data as it was.
    _finish(input, wantPrivate) {
      if (this._hash === undefined) throw notInitialised();
      const key = asymmetricKeys.get(asymmetricInput(input, wantPrivate));
      if (key.kind === 'ed25519') {
        throw codedError(ErrorCtor, 'ERR_CRYPTO_UNSUPPORTED_OPERATION', 'Unsupported crypto operation');
      }
      const digest = this._hash.digest();
      this._hash = undefined;
      return [key, digest];
    }
  }
  ObjectSetPrototypeOf(SignatureData.prototype, lazyWritable.base);
  class Sign extends SignatureData {
    sign(key, encoding) {
      const [signer, digest] = this._finish(key, true);
      const signature = signWith(this._digest, digest, key, signer);
      return encoding === undefined || encoding === 'buffer' ? signature : signature.toString(encoding);
    }
  }
  class Verify extends SignatureData {
    verify(key, signature, encoding) {
      const bytes = typeof signature === 'string' ? Buffer().from(signature, encoding) : dataBytes(signature, undefined, 'signature');
      const [verifier, digest] = this._finish(key, false);
      return verifyWith(this._digest, digest, key, bytes, verifier);
    }
  }
  function generateKeyPairSync(type, options) {
    if (typeof type !== 'string') throw invalidArgType('type', 'of type string', type);
    const opts = options === undefined ? {} : options;
    if (opts === null || typeof opts !== 'object') throw invalidArgType('options', 'of type object', options);
    let bits = 0;
    let exponent = 65537;
    let curve = '';
    const property = (name, expected, value) => codedError(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE',
      'The "options.' + name + '" property must be of type ' + expected + '. ' + describeReceived(value));
    if (type === 'rsa') {
      if (typeof opts.modulusLength !== 'number') throw property('modulusLength', 'number', opts.modulusLength);
      bits = opts.modulusLength;
      if (opts.publicExponent !== undefined) {
        if (typeof opts.publicExponent !== 'number') throw property('publicExponent', 'number', opts.publicExponent);
        exponent = opts.publicExponent;
      }
    } else if (type === 'ec') {
      if (typeof opts.namedCurve !== 'string') throw property('namedCurve', 'string', opts.namedCurve);
      curve = opts.namedCurve;
    } else if (type !== 'ed25519' && type !== 'x25519') {
      throw notSupported('Generating ' + type + ' key pairs');
    }
    const [privateDer, publicDer] = native.keyGenerate(type, bits, exponent, curve);
    let privateKey = asymmetricKey(privateDer, true);
    let publicKey = asymmetricKey(publicDer, false);
    if (opts.publicKeyEncoding !== undefined) publicKey = publicKey.export(opts.publicKeyEncoding);
    if (opts.privateKeyEncoding !== undefined) privateKey = privateKey.export(opts.privateKeyEncoding);
    return { publicKey, privateKey };
  }
  // publicEncrypt and its three siblings: RSA with OAEP (Node's default for encryption, SHA-1
  // unless `oaepHash` says otherwise), PKCS #1 v1.5 or no padding. Node 20 refuses PKCS #1
  // v1.5 for private decryption (CVE-2023-46809), and so does this.
  function rsaCrypt(op, input, buffer, defaultPadding) {
    const options = isPlainKeyOptions(input) ? input : {};
    const key = asymmetricKeys.get(asymmetricInput(input, op === 1 || op === 2));
    const padding = options.padding === undefined ? defaultPadding : options.padding;
    if (op === 1 && padding === 1) {
      throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE', 'RSA_PKCS1_PADDING is no longer supported ' +
        'for private decryption, this can be reverted with --security-revert=CVE-2023-46809');
    }
    let hash = 'sha1';
    if (options.oaepHash !== undefined) {
      if (typeof options.oaepHash !== 'string') {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE', 'The "key.oaepHash" property must be of type string. ' +
          describeReceived(options.oaepHash));
      }
      hash = options.oaepHash;
    }
    let label;
    if (options.oaepLabel !== undefined) {
      label = new Uint8ArrayCtor(options.oaepLabel instanceof ArrayBuffer ? new Uint8ArrayCtor(options.oaepLabel)
        : dataBytes(options.oaepLabel, undefined, 'key.oaepLabel'));
    }
    const data = buffer instanceof ArrayBuffer ? new Uint8ArrayCtor(buffer)
      : dataBytes(buffer, options.encoding, 'buffer');
    return toBuffer(native.keyCrypt(key.der, key.isPrivate, op, new Uint8ArrayCtor(data), padding, hash, label));
  }
  const PADDING = { OAEP: 4, PKCS1: 1 };

  // A digest, secret or cipher output as a Buffer, or as a string in `encoding`; no encoding
  // (undefined, null, '') and 'buffer' give the Buffer, as Node's.
  function encodedOutput(bytes, encoding) {
    const buffer = toBuffer(bytes);
    return !encoding || encoding === 'buffer' ? buffer : buffer.toString(encoding);
  }

  // ECDH on raw keys (createECDH, natives in ecdh.rs), and diffieHellman over EC and X25519
  // KeyObjects (keyAgree in keys.rs). An ECDH object's keys are kept here, out of the guest's reach but its own.
  const ECDH_CURVES = ['prime256v1', 'secp256k1', 'secp384r1'];
  const ecdhKeys = new WeakMap();
  function ecdhCurve(curve) {
    if (typeof curve !== 'string') throw invalidArgType('curve', 'of type string', curve);
    if (call(ArrayPrototypeIncludes, ECDH_CURVES, curve)) return curve;
    if (call(ArrayPrototypeIncludes, ['secp521r1', 'secp224r1', 'prime192v1', 'brainpoolP256r1',
      'brainpoolP384r1', 'brainpoolP512r1'], curve)) {
      throw notSupported('The curve ' + curve);
    }
    throw codedError(TypeErrorCtor, 'ERR_CRYPTO_INVALID_CURVE', 'Invalid EC curve name');
  }
  const keyBytesIn = (key, encoding, name) => new Uint8ArrayCtor(typeof key === 'string'
    ? Buffer().from(key, encoding === undefined || encoding === null ? 'utf8' : encoding)
    : key instanceof ArrayBuffer ? new Uint8ArrayCtor(key) : dataBytes(key, undefined, name));
  class ECDH {
    constructor(curve) {
      ecdhKeys.set(this, { curve: ecdhCurve(curve), privateKey: undefined, publicKey: undefined });
    }
    static convertKey(key, curve, inputEncoding, outputEncoding, format) {
      const point = keyBytesIn(key, inputEncoding, 'key');
      return encodedOutput(native.ecdhConvert(ecdhCurve(curve), point, format), outputEncoding);
    }
    computeSecret(key, inputEncoding, outputEncoding) {
      const state = ecdhKeys.get(this);
      const point = keyBytesIn(key, inputEncoding, 'key');
      if (state.privateKey === undefined) {
        throw codedError(ErrorCtor, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state: no private key was set or generated');
      }
      return encodedOutput(native.ecdhSecret(state.curve, state.privateKey, point), outputEncoding);
    }
    setPrivateKey(key, encoding) {
      const state = ecdhKeys.get(this);
      const scalar = keyBytesIn(key, encoding, 'key');
      state.publicKey = native.ecdhPublic(state.curve, scalar, undefined);
      state.privateKey = scalar;
      return this;
    }
    setPublicKey(key, encoding) {
      const state = ecdhKeys.get(this);
      state.publicKey = native.ecdhConvert(state.curve, keyBytesIn(key, encoding, 'key'), undefined);
      return this;
    }
    getPrivateKey(encoding) {
      const state = ecdhKeys.get(this);
      if (state.privateKey === undefined) {
        throw codedError(ErrorCtor, 'ERR_CRYPTO_OPERATION_FAILED', 'Failed to get ECDH private key');
      }
      return encodedOutput(new Uint8ArrayCtor(state.privateKey), encoding);
    }
    generateKeys(encoding, format) {
      const state = ecdhKeys.get(this);
      const scalar = native.ecdhGenerate(state.curve);
      state.publicKey = native.ecdhPublic(state.curve, scalar, undefined);
      state.privateKey = scalar;
      return this.getPublicKey(encoding, format);
    }
    getPublicKey(encoding, format) {
      const state = ecdhKeys.get(this);
      if (state.publicKey === undefined) {
        throw codedError(ErrorCtor, 'ERR_CRYPTO_OPERATION_FAILED', 'Failed to get ECDH public key');
      }
      return encodedOutput(native.ecdhConvert(state.curve, state.publicKey, format), encoding);
    }
  }
  function diffieHellman(options) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const { privateKey, publicKey } = options;
    for (const [name, value] of [['privateKey', privateKey], ['publicKey', publicKey]]) {
      if (!(value instanceof KeyObject)) {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
          "The property 'options." + name + "' is invalid. Received " + prelude.inspect(value));
      }
    }
    if (privateKey._type !== 'private') {
      throw codedError(TypeErrorCtor, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE',
        'Invalid key object type ' + privateKey._type + ', expected private.');
    }
    if (publicKey._type !== 'public' && publicKey._type !== 'private') {
      throw codedError(TypeErrorCtor, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE',
        'Invalid key object type ' + publicKey._type + ', expected public.');
    }
    const mine = asymmetricKeys.get(privateKey);
    const theirs = asymmetricKeys.get(publicKey);
    const agreeing = mine.kind === theirs.kind && (mine.kind === 'ec' || mine.kind === 'x25519');
    if (!agreeing) {
      if (mine.kind === theirs.kind) throw notSupported('Diffie-Hellman with ' + mine.kind + ' keys');
      throw codedError(ErrorCtor, 'ERR_CRYPTO_INCOMPATIBLE_KEY',
        'Incompatible key types for Diffie-Hellman: ' + mine.kind + ' and ' + theirs.kind);
    }
    if (mine.kind === 'ec' && mine.details.namedCurve !== theirs.details.namedCurve) {
      throw osslError('ERR_OSSL_MISMATCHING_DOMAIN_PARAMETERS',
        'error:1C8000CB:Provider routines::mismatching domain parameters');
    }
    return toBuffer(native.keyAgree(mine.der, true, theirs.der, theirs.isPrivate));
  }

  // generateKey(Sync) of secret keys: 'hmac' (8 bits to 2^31 - 1, whole bytes kept) and 'aes'.
  function generateKeySync(type, options) {
    if (typeof type !== 'string') throw invalidArgType('type', 'of type string', type);
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const { length } = options;
    if (type === 'hmac') {
      if (typeof length !== 'number') {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_TYPE', 'The "options.length" property must be of type number. ' +
          describeReceived(length));
      }
      if (!NumberIsInteger(length) || length < 8 || length > 2147483647) {
        throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE', 'The value of "options.length" is out of range. ' +
          (NumberIsInteger(length) ? 'It must be >= 8 && <= 2147483647. ' : 'It must be an integer. ') +
          'Received ' + prelude.inspect(length));
      }
    } else if (type === 'aes') {
      if (length !== 128 && length !== 192 && length !== 256) {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
          "The property 'options.length' must be one of: 128, 192, 256. Received " + prelude.inspect(length));
      }
    } else {
      throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
        "The argument 'type' must be a supported key type. Received " + prelude.inspect(type));
    }
    const bytes = requireBuiltin('crypto').randomBytes(MathFloor(length / 8));
    return createSecretKey(bytes);
  }

  function asymmetricCrypto() {
    const later = (callback, work) => prelude.setImmediate(() => {
      let result;
      try {
        result = work();
      } catch (err) {
        callback(err);
        return;
      }
      callback(null, result);
    });
    return {
      createPrivateKey: (key) => {
        if (key instanceof KeyObject) throw invalidArgType('key', 'of type string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView', key);
        return asymmetricInput(key, true);
      },
      createPublicKey: (key) => asymmetricInput(key, false),
      sign(algorithm, data, key, callback) {
        const bytes = dataBytes(data, 'utf8', 'data');
        if (typeof callback === 'function') return later(callback, () => signWith(algorithm, bytes, key));
        return signWith(algorithm, bytes, key);
      },
      verify(algorithm, data, key, signature, callback) {
        const bytes = dataBytes(data, 'utf8', 'data');
        const sig = dataBytes(signature, 'utf8', 'signature');
        if (typeof callback === 'function') return later(callback, () => verifyWith(algorithm, bytes, key, sig));
        return verifyWith(algorithm, bytes, key, sig);
      },
      publicEncrypt: (key, buffer) => rsaCrypt(0, key, buffer, PADDING.OAEP),
      privateDecrypt: (key, buffer) => rsaCrypt(1, key, buffer, PADDING.OAEP),
      privateEncrypt: (key, buffer) => rsaCrypt(2, key, buffer, PADDING.PKCS1),
      publicDecrypt: (key, buffer) => rsaCrypt(3, key, buffer, PADDING.PKCS1),
      ECDH,
      createECDH: (curve) => new ECDH(curve),
      getCurves: () => [...ECDH_CURVES],
      diffieHellman,
      generateKeySync,
      generateKey(type, options, callback) {
        if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
        const key = generateKeySync(type, options);
        prelude.setImmediate(() => callback(null, key));
      },
      createSign: (algorithm, options) => new Sign(algorithm, options),
      createVerify: (algorithm, options) => new Verify(algorithm, options),
      Sign,
      Verify,
      generateKeyPairSync,
      generateKeyPair(type, options, callback) {
        if (typeof options === 'function') { callback = options; options = undefined; }
        if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
        prelude.setImmediate(() => {
          let pair;
          try {
            pair = generateKeyPairSync(type, options);
          } catch (err) {
            callback(err);
            return;
          }
          callback(null, pair.publicKey, pair.privateKey);
        });
      },
    };
  }
  // The bytes of key material: a secret KeyObject's, or a string's or buffer's own.
  function keyMaterial(key, name) {
    if (key instanceof KeyObject) {
      if (key._type !== 'secret') {
        throw codedError(TypeErrorCtor, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE',
          'Invalid key object type ' + key._type + ', expected secret.');
      }
      return secretKeys.get(key);
    }
    return dataBytes(key, 'utf8', name);
  }

  function makeCrypto() {
    const web = prelude.loadWeb().crypto;
    const HASHES = { md5: ['MD5', 16, 64], sha1: ['SHA-1', 20, 64], sha224: ['SHA-224', 28, 64],
      sha256: ['SHA-256', 32, 64], sha384: ['SHA-384', 48, 128], sha512: ['SHA-512', 64, 128] };
    function hashInfo(algorithm) {
      const info = HASHES[StringCtor(algorithm).toLowerCase().replace('-', '')];
      if (info === undefined) {
        throw codedError(ErrorCtor, 'ERR_OSSL_EVP_UNSUPPORTED', 'Digest method not supported');
      }
      return info;
    }
    function digestBytes(info, bytes) {
      const out = new Uint8ArrayCtor(info[1]);
      native.digest(info[0], bytes, out);
      return out;
    }
    // Past this much input, a hash runs in a native hasher (hashers.rs) fed as data comes, so
    // that a stream of any length is not held; below it, the data is gathered and digested in
    // one call, the cheaper way for the many small hashes.
    const RUNNING_AFTER = 64 * 1024;
    // A hash collected unfinished gives its native hasher back.
    const runningHashes = new FinalizationRegistry((id) => native.hashClose(id));
    const hashName = (info) => call(StringPrototypeReplace, call(StringPrototypeToLowerCase, info[0]), '-', '');
    // What a hash and an HMAC share: the data gathered (or the running hasher), one digest,
    // the stream's two ends.
    class Digesting {
      constructor(algorithm, options) {
        this._options = options;
        this._info = hashInfo(algorithm);
        this._chunks = [];
        this._length = 0;
        this._done = false;
        this._running = 0;
      }
      _transform(chunk, encoding, callback) {
        this.update(chunk, encoding);
        callback();
      }
      _flush(callback) {
        this.push(this.digest());
        callback();
      }
      // The HMAC's key, or undefined for a plain hash.
      _key() { return undefined; }
      update(data, encoding) {
        if (this._done) throw codedError(ErrorCtor, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
        const bytes = dataBytes(data, encoding, 'data');
        if (this._running !== 0) {
          native.hashUpdate(this._running, bytes);
          return this;
        }
        call(ArrayPrototypePush, this._chunks, new Uint8ArrayCtor(bytes));
        this._length += bytes.byteLength;
        if (this._length > RUNNING_AFTER) {
          this._startRunning(native.hashOpen(hashName(this._info), this._key()));
          for (let i = 0; i < this._chunks.length; i++) native.hashUpdate(this._running, this._chunks[i]);
          this._chunks = [];
          this._length = 0;
        }
        return this;
      }
      _startRunning(id) {
        this._running = id;
        runningHashes.register(this, id, this);
      }
      // The digest, from the running hasher if there is one.
      _finish() {
        if (this._done) throw codedError(ErrorCtor, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
        this._done = true;
        if (this._running === 0) return undefined;
        const out = new Uint8ArrayCtor(this._info[1]);
        runningHashes.unregister(this);
        native.hashDigest(this._running, out);
        this._running = 0;
        return out;
      }
      digest(encoding) {
        const out = this._finish();
        return encodedOutput(out !== undefined ? out : digestBytes(this._info, concat(this._chunks, this._length)),
          encoding);
      }
    }
    ObjectSetPrototypeOf(Digesting.prototype, lazyTransform.base);
    class Hash extends Digesting {
      // A hash of what this one has had so far, which goes on by itself.
      copy(options) {
        if (this._done) throw codedError(ErrorCtor, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
        const copy = new Hash(this._info[0], options);
        copy._info = this._info;
        copy._chunks = [...this._chunks];
        copy._length = this._length;
        if (this._running !== 0) copy._startRunning(native.hashCopy(this._running));
        return copy;
      }
    }
    class Hmac extends Digesting {
      constructor(algorithm, key, options) {
        super(algorithm, options);
        this._keyBytes = new Uint8ArrayCtor(keyMaterial(key, 'key'));
      }
      _key() { return this._keyBytes; }
      digest(encoding) {
        let out = this._finish();
        if (out === undefined) {
          out = new Uint8ArrayCtor(this._info[1]);
          native.hmac(hashName(this._info), this._keyBytes, concat(this._chunks, this._length), out);
        }
        return encodedOutput(out, encoding);
      }
    }
    function randomBytes(size, callback) {
      if (typeof size !== 'number' || size < 0 || size > 2147483647 || !NumberIsInteger(size)) {
        throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE',
          'The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ' + size);
      }
      const bytes = Buffer().alloc(size);
      for (let at = 0; at < size; at += 65536) {
        web.getRandomValues(bytes.subarray(at, at + 65536 < size ? at + 65536 : size));
      }
      if (typeof callback === 'function') {
        prelude.queueMicrotask(() => callback(null, bytes));
        return undefined;
      }
      return bytes;
    }
    return {
      createHash: (algorithm, options) => new Hash(algorithm, options),
      createHmac: (algorithm, key, options) => new Hmac(algorithm, key, options),
      getHashes: () => ObjectKeys(HASHES),
      randomBytes,
      randomFillSync(buffer, offset = 0, size) {
        const view = new Uint8ArrayCtor(buffer.buffer, buffer.byteOffset, buffer.byteLength);
        const end = size === undefined ? view.byteLength : offset + size;
        for (let at = offset; at < end; at += 65536) {
          web.getRandomValues(view.subarray(at, at + 65536 < end ? at + 65536 : end));
        }
        return buffer;
      },
      randomInt(min, max, callback) {
        if (max === undefined || typeof max === 'function') { callback = max; max = min; min = 0; }
        const range = max - min;
        if (!NumberIsInteger(min) || !NumberIsInteger(max) || range <= 0 || range > 2 ** 48) {
          throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE', 'The value of "max" is out of range.');
        }
        // Rejection sampling over 48 random bits: no modulo bias.
        const limit = 2 ** 48 - (2 ** 48 % range);
        let value;
        do {
          const b = randomBytes(6);
          value = b.readUIntBE(0, 6);
        } while (value >= limit);
        const result = min + (value % range);
        if (typeof callback === 'function') {
          prelude.queueMicrotask(() => callback(null, result));
          return undefined;
        }
        return result;
      },
      randomUUID: () => web.randomUUID(),
      getRandomValues: (array) => web.getRandomValues(array),
      timingSafeEqual(a, b) {
        const x = dataBytes(a, undefined, 'buf1');
        const y = dataBytes(b, undefined, 'buf2');
        if (x.byteLength !== y.byteLength) {
          throw codedError(RangeErrorCtor, 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH',
            'Input buffers must have the same byte length');
        }
        let diff = 0;
        for (let i = 0; i < x.byteLength; i++) diff |= x[i] ^ y[i];
        return diff === 0;
      },
      webcrypto: web,
      subtle: web.subtle,
      Hash,
      Hmac,
      ...keyDerivation(hashInfo, digestBytes),
      ...aesCiphers(),
      KeyObject,
      createSecretKey,
      ...asymmetricCrypto(),
    };
  }

  // AES in Node's shapes (createCipheriv / createDecipheriv: cbc, ecb, ctr, gcm, PKCS#7
  // padding). A mode's running state is kept here between calls: the chained IV or counter, a
  // partial block, unused key stream, and for gcm the data its tag covers; the block work is
  // native (cipher.rs).
  function aesCiphers() {
    const KEY_BYTES = { 128: 16, 192: 24, 256: 32 };
    const ALIASES = { aes128: 'aes-128-cbc', aes192: 'aes-192-cbc', aes256: 'aes-256-cbc' };
    const NAMES = [];
    for (const bits of ['128', '192', '256']) {
      for (const mode of ['cbc', 'ctr', 'ecb', 'gcm']) call(ArrayPrototypePush, NAMES, 'aes-' + bits + '-' + mode);
    }
    call(ArrayPrototypePush, NAMES, 'aes128', 'aes192', 'aes256');
    const BLOCK = 16;
    const empty = new Uint8ArrayCtor(0);
    const failed = (code, reason) => osslError(code, 'error:' + reason);
    const wrongLength = () => failed('ERR_OSSL_WRONG_FINAL_BLOCK_LENGTH',
      '1C80006B:Provider routines::wrong final block length');
    const invalidState = (what) => codedError(ErrorCtor, 'ERR_CRYPTO_INVALID_STATE',
      what === undefined ? 'Invalid state' : 'Invalid state for operation ' + what);
    const join = (a, b) => {
      if (a.byteLength === 0) return b;
      const out = new Uint8ArrayCtor(a.byteLength + b.byteLength);
      out.set(a);
      out.set(b, a.byteLength);
      return out;
    };
    // The caller's bytes, not a copy: each call is done with them before it returns (what is
    // kept, a partial block, is copied).
    const inputBytes = (data, encoding) => (typeof data === 'string'
      ? dataBytes(data, encoding || 'utf8', 'data') : dataBytes(data, undefined, 'data'));

    class AesCipher {
      constructor(algorithm, key, iv, options, decrypt) {
        if (typeof algorithm !== 'string') throw invalidArgType('cipher', 'of type string', algorithm);
        const lower = StringCtor(algorithm).toLowerCase();
        const match = /^aes-(128|192|256)-(cbc|ecb|ctr|gcm)$/.exec(ALIASES[lower] || lower);
        if (match === null) throw codedError(ErrorCtor, 'ERR_CRYPTO_UNKNOWN_CIPHER', 'Unknown cipher');
        const mode = match[2];
        const keyBytes = new Uint8ArrayCtor(keyMaterial(key, 'key'));
        if (keyBytes.byteLength !== KEY_BYTES[match[1]]) {
          throw codedError(RangeErrorCtor, 'ERR_CRYPTO_INVALID_KEYLEN', 'Invalid key length');
        }
        const ivBytes = iv === null || iv === undefined ? empty : new Uint8ArrayCtor(dataBytes(iv, 'utf8', 'iv'));
        const ivOk = mode === 'ecb' ? ivBytes.byteLength === 0
          : mode === 'gcm' ? ivBytes.byteLength > 0 : ivBytes.byteLength === BLOCK;
        if (!ivOk) throw codedError(TypeErrorCtor, 'ERR_CRYPTO_INVALID_IV', 'Invalid initialization vector');
        this._options = options;
        this._key = keyBytes;
        this._mode = mode;
        this._decrypt = decrypt;
        this._padding = true;
        this._pending = empty;
        this._finished = false;
        // Key stream left over from a partial block (ctr, gcm).
        this._stream = new Uint8ArrayCtor(BLOCK);
        this._used = BLOCK;
        if (mode === 'gcm') {
          this._j0 = new Uint8ArrayCtor(BLOCK);
          native.aesGcmJ0(keyBytes, ivBytes, this._j0);
          this._counter = new Uint8ArrayCtor(this._j0);
          for (let i = BLOCK - 1; i >= BLOCK - 4; i--) {
            this._counter[i] = (this._counter[i] + 1) & 0xff;
            if (this._counter[i] !== 0) break;
          }
          this._aad = empty;
          // The tag's running GHASH (aesGcmAbsorb), over the padded AAD, then the text a block
          // at a time; a partial block waits in `_partial`.
          this._ghash = new Uint8ArrayCtor(BLOCK);
          this._partial = empty;
          this._aadAbsorbed = false;
          this._coveredBytes = 0;
          this._tag = undefined;
          const length = options !== null && typeof options === 'object' ? options.authTagLength : undefined;
          this._tagLength = length === undefined ? BLOCK : length;
        } else {
          this._counter = new Uint8ArrayCtor(ivBytes);
        }
      }
      setAutoPadding(padding = true) {
        this._padding = !!padding;
        return this;
      }
      update(data, inputEncoding, outputEncoding) {
        if (this._finished) throw invalidState();
        const bytes = inputBytes(data, inputEncoding);
        const out = this._mode === 'cbc' || this._mode === 'ecb' ? this._blocks(bytes) : this._xor(bytes);
        return encodedOutput(out, outputEncoding);
      }
      final(outputEncoding) {
        if (this._finished) throw invalidState();
        this._finished = true;
        let out = empty;
        if (this._mode === 'cbc' || this._mode === 'ecb') out = this._lastBlock();
        else if (this._mode === 'gcm') this._closeGcm();
        return encodedOutput(out, outputEncoding);
      }
      // cbc and ecb: whole blocks now; a decipher with padding holds its last block back.
      _blocks(bytes) {
        const all = join(this._pending, bytes);
        let whole = all.byteLength - (all.byteLength % BLOCK);
        if (this._decrypt && this._padding && whole === all.byteLength && whole > 0) whole -= BLOCK;
        this._pending = all.slice(whole);
        return this._run(all.subarray(0, whole));
      }
      _run(blocks) {
        const out = new Uint8ArrayCtor(blocks.byteLength);
        if (blocks.byteLength === 0) return out;
        if (this._mode === 'cbc') native.aesCbc(this._key, this._counter, blocks, out, this._decrypt);
        else native.aesEcb(this._key, blocks, out, this._decrypt);
        return out;
      }
      _lastBlock() {
        const pending = this._pending;
        this._pending = empty;
        if (!this._padding) {
          if (pending.byteLength !== 0) throw wrongLength();
          return empty;
        }
        if (!this._decrypt) {
          const pad = BLOCK - pending.byteLength;
          const block = new Uint8ArrayCtor(BLOCK).fill(pad);
          block.set(pending);
          return this._run(block);
        }
        if (pending.byteLength !== BLOCK) throw wrongLength();
        const block = this._run(pending);
        const pad = block[BLOCK - 1];
        let good = pad >= 1 && pad <= BLOCK;
        for (let i = BLOCK - pad; good && i < BLOCK; i++) good = block[i] === pad;
        if (!good) throw failed('ERR_OSSL_BAD_DECRYPT', '1C800064:Provider routines::bad decrypt');
        return block.subarray(0, BLOCK - pad);
      }
      // ctr and gcm: every byte now, with the key stream carried across calls.
      _xor(bytes) {
        const out = new Uint8ArrayCtor(bytes.byteLength);
        const inc32 = this._mode === 'gcm';
        let at = 0;
        while (at < bytes.byteLength && this._used < BLOCK) {
          out[at] = bytes[at] ^ this._stream[this._used++];
          at++;
        }
        const whole = at + ((bytes.byteLength - at) - ((bytes.byteLength - at) % BLOCK));
        if (whole > at) {
          native.aesCtr(this._key, this._counter, bytes.subarray(at, whole), out.subarray(at, whole), inc32);
          at = whole;
        }
        if (at < bytes.byteLength) {
          this._stream.fill(0);
          native.aesCtr(this._key, this._counter, new Uint8ArrayCtor(BLOCK), this._stream, inc32);
          this._used = 0;
          while (at < bytes.byteLength) {
            out[at] = bytes[at] ^ this._stream[this._used++];
            at++;
          }
        }
        if (inc32) this._absorb(this._decrypt ? bytes : out);
        return out;
      }
      // Pads `bytes` with zeros to whole blocks.
      _padded(bytes) {
        const rest = bytes.byteLength % BLOCK;
        if (rest === 0) return bytes;
        const out = new Uint8ArrayCtor(bytes.byteLength + BLOCK - rest);
        out.set(bytes, 0);
        return out;
      }
      _absorbAad() {
        if (this._aadAbsorbed) return;
        this._aadAbsorbed = true;
        if (this._aad.byteLength > 0) native.aesGcmAbsorb(this._key, this._ghash, this._padded(this._aad));
      }
      _absorb(text) {
        this._absorbAad();
        this._coveredBytes += text.byteLength;
        const joined = this._partial.byteLength === 0 ? text : join(this._partial, text);
        const whole = joined.byteLength - (joined.byteLength % BLOCK);
        if (whole > 0) native.aesGcmAbsorb(this._key, this._ghash, joined.subarray(0, whole));
        // A copy: the caller may reuse its buffer.
        this._partial = new Uint8ArrayCtor(joined.subarray(whole));
      }
      setAAD(buffer) {
        if (this._mode !== 'gcm' || this._finished) throw invalidState('setAAD');
        this._aad = join(this._aad, new Uint8ArrayCtor(dataBytes(buffer, undefined, 'buffer')));
        return this;
      }
      _closeGcm() {
        const tag = new Uint8ArrayCtor(BLOCK);
        this._absorbAad();
        if (this._partial.byteLength > 0) {
          native.aesGcmAbsorb(this._key, this._ghash, this._padded(this._partial));
          this._partial = empty;
        }
        native.aesGcmFinish(this._key, this._j0, this._ghash, this._aad.byteLength, this._coveredBytes, tag);
        if (!this._decrypt) {
          this._tag = tag.slice(0, this._tagLength);
          return;
        }
        const given = this._tag;
        let diff = given === undefined ? 1 : 0;
        if (given !== undefined) for (let i = 0; i < given.byteLength; i++) diff |= given[i] ^ tag[i];
        if (diff !== 0) throw new ErrorCtor('Unsupported state or unable to authenticate data');
      }
      getAuthTag() {
        if (this._mode !== 'gcm' || this._decrypt || !this._finished) throw invalidState('getAuthTag');
        return toBuffer(this._tag);
      }
      setAuthTag(tag) {
        if (this._mode !== 'gcm' || !this._decrypt || this._finished) throw invalidState('setAuthTag');
        const bytes = new Uint8ArrayCtor(dataBytes(tag, undefined, 'buffer'));
        const n = bytes.byteLength;
        if (!(n === 4 || n === 8 || (n >= 12 && n <= 16))) {
          throw codedError(TypeErrorCtor, 'ERR_CRYPTO_INVALID_AUTH_TAG', 'Invalid authentication tag length: ' + n);
        }
        this._tag = bytes;
        return this;
      }
    }
    // As a Transform stream: what goes in comes out enciphered (or deciphered), the final
    // block at the end.
    AesCipher.prototype._transform = function _transform(chunk, encoding, callback) {
      this.push(this.update(chunk, encoding));
      callback();
    };
    AesCipher.prototype._flush = function _flush(callback) {
      try {
        this.push(this.final());
      } catch (err) {
        callback(err);
        return;
      }
      callback();
    };
    ObjectSetPrototypeOf(AesCipher.prototype, lazyTransform.base);
    function Cipheriv(algorithm, key, iv, options) {
      return new AesCipher(algorithm, key, iv, options, false);
    }
    function Decipheriv(algorithm, key, iv, options) {
      return new AesCipher(algorithm, key, iv, options, true);
    }
    return {
      Cipheriv,
      Decipheriv,
      createCipheriv: Cipheriv,
      createDecipheriv: Decipheriv,
      getCiphers: () => [...NAMES].sort(),
    };
  }

  // pbkdf2 and hkdf (natively, kdf.rs), crypto.hash, and a clear ERR_NOT_SUPPORTED for what
  // the guest's crypto does not offer (signatures, key pairs and key objects, scrypt, ...).
  function keyDerivation(hashInfo, digestBytes) {
    const MAX_INT = 2147483647;
    const digestName = (digest) => {
      if (typeof digest !== 'string') throw invalidArgType('digest', 'of type string', digest);
      const key = StringCtor(digest).toLowerCase().replace('-', '');
      try {
        hashInfo(key);
      } catch {
        throw codedError(TypeErrorCtor, 'ERR_CRYPTO_INVALID_DIGEST', 'Invalid digest: ' + digest);
      }
      return key;
    };
    const intIn = (value, name, min) => integerArg(value, name, min, MAX_INT);
    const keyBytes = (value, name) => new Uint8ArrayCtor(keyMaterial(value, name));
    const later = (callback, run) => {
      if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
      let result;
      try {
        result = run();
      } catch (err) {
        prelude.setImmediate(() => callback(err));
        return;
      }
      prelude.setImmediate(() => callback(null, result));
    };
    function pbkdf2Sync(password, salt, iterations, keylen, digest) {
      // Only hkdf takes a KeyObject, as in Node.
      const pass = new Uint8ArrayCtor(dataBytes(password, 'utf8', 'password'));
      const saltBytes = new Uint8ArrayCtor(dataBytes(salt, 'utf8', 'salt'));
      intIn(iterations, 'iterations', 1);
      intIn(keylen, 'keylen', 0);
      const out = Buffer().alloc(keylen);
      native.pbkdf2(digestName(digest), pass, saltBytes, iterations, out);
      return out;
    }
    function hkdfSync(digest, ikm, salt, info, keylen) {
      const name = digestName(digest);
      const key = keyBytes(ikm, 'ikm');
      const saltBytes = keyBytes(salt, 'salt');
      const infoBytes = keyBytes(info, 'info');
      intIn(keylen, 'keylen', 0);
      if (infoBytes.byteLength > 1024) {
        throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE', 'The value of "info" is out of range. ' +
          // Node's own wording, doubled verb and all.
          'It must be must not contain more than 1024 bytes. Received ' + infoBytes.byteLength);
      }
      if (keylen > 255 * hashInfo(name)[1]) {
        throw codedError(RangeErrorCtor, 'ERR_CRYPTO_INVALID_KEYLEN', 'Invalid key length');
      }
      const out = new Uint8ArrayCtor(keylen);
      native.hkdf(name, key, saltBytes, infoBytes, out);
      return out.buffer;
    }
    // scrypt's parameters as Node takes them (N/cost, r/blockSize, p/parallelization; 0 for
    // the default), its working memory bounded by `maxmem` as OpenSSL counts it.
    function scryptSync(password, salt, keylen, options = {}) {
      const pass = new Uint8ArrayCtor(dataBytes(password, 'utf8', 'password'));
      const saltBytes = new Uint8ArrayCtor(dataBytes(salt, 'utf8', 'salt'));
      intIn(keylen, 'keylen', 0);
      const invalid = (detail) => codedError(RangeErrorCtor, 'ERR_CRYPTO_INVALID_SCRYPT_PARAMS',
        'Invalid scrypt params' + (detail === undefined ? '' : ': ' + detail));
      const pick = (a, b, name) => {
        const x = options[a];
        const y = options[b];
        if (x !== undefined && y !== undefined) {
          throw codedError(ErrorCtor, 'ERR_CRYPTO_SCRYPT_INVALID_PARAMETER', 'Invalid scrypt parameter');
        }
        const value = x === undefined ? y : x;
        if (value === undefined) return 0;
        if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
        if (!NumberIsInteger(value) || value < 0 || value > 4294967295) {
          throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE', 'The value of "' + name +
            '" is out of range. It must be >= 0 && <= 4294967295. Received ' + value);
        }
        return value;
      };
      const n = pick('N', 'cost', 'N') || 16384;
      const r = pick('r', 'blockSize', 'r') || 8;
      const p = pick('p', 'parallelization', 'p') || 1;
      const maxmem = options.maxmem === undefined ? 32 * 1024 * 1024 : options.maxmem;
      if (n < 2 || (n & (n - 1)) !== 0 || r * p >= 2 ** 30) throw invalid();
      if (128 * r * p + 128 * r * (n + 2) > maxmem) {
        throw invalid('error:030000AC:digital envelope routines::memory limit exceeded');
      }
      const out = Buffer().alloc(keylen);
      native.scrypt(pass, saltBytes, n, r, p, out);
      return out;
    }
    const api = {
      scryptSync,
      scrypt(password, salt, keylen, options, callback) {
        if (typeof options === 'function') { callback = options; options = undefined; }
        later(callback, () => scryptSync(password, salt, keylen, options));
      },
      pbkdf2Sync,
      pbkdf2(password, salt, iterations, keylen, digest, callback) {
        later(callback, () => pbkdf2Sync(password, salt, iterations, keylen, digest));
      },
      hkdfSync,
      hkdf(digest, ikm, salt, info, keylen, callback) {
        later(callback, () => hkdfSync(digest, ikm, salt, info, keylen));
      },
      hash(algorithm, data, outputEncoding = 'hex') {
        if (typeof data !== 'string' && !ArrayBufferIsView(data)) {
          throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
        }
        return encodedOutput(digestBytes(hashInfo(algorithm), dataBytes(data, 'utf8', 'data')), outputEncoding);
      },
      randomFill(buffer, offset, size, callback) {
        if (typeof offset === 'function') { callback = offset; offset = 0; size = undefined; }
        else if (typeof size === 'function') { callback = size; size = undefined; }
        later(callback, () => requireBuiltin('crypto').randomFillSync(buffer, offset, size));
      },
      getFips: () => 0,
      secureHeapUsed: () => ({ total: 0, min: 0, used: 0, utilization: 0 }),
      constants: cryptoConstants(),
    };
    for (const name of ['createDiffieHellman', 'createDiffieHellmanGroup', 'getDiffieHellman',
      'generatePrime', 'generatePrimeSync',
      'getCipherInfo', 'checkPrime', 'checkPrimeSync', 'setFips', 'setEngine', 'Cipher',
      'Decipher', 'DiffieHellman', 'DiffieHellmanGroup',
      'Certificate', 'X509Certificate']) {
      api[name] = function () { throw notSupported('crypto.' + name + '()'); };
    }
    return api;
  }

  // WHATWG streams (npm's web-streams-polyfill), shown by util.inspect as Node shows its own:
  // their public state, not the polyfill's fields.
  function webStreams() {
    const streams = npm('web_streams');
    const { inspectFields } = prelude.loadWeb();
    inspectFields(streams.ReadableStream, (stream) => ({ locked: stream.locked, state: stream._state,
      supportsBYOB: stream._readableStreamController instanceof streams.ReadableByteStreamController }));
    inspectFields(streams.WritableStream, (stream) => ({ locked: stream.locked, state: stream._state }));
    inspectFields(streams.TransformStream, (stream) => ({ readable: stream.readable, writable: stream.writable,
      backpressure: stream._backpressure }));
    return streams;
  }

  // Built-ins reached only by their `node:` name: a bare `test` is an npm package.
  const SCHEME_ONLY = ['test'];
  function builtinName(id) {
    if (call(StringPrototypeStartsWith, id, 'node:')) {
      const name = call(StringPrototypeSlice, id, 5);
      if (!call(MapPrototypeHas, builtinFactories, name)) {
        throw codedError(ErrorCtor, 'ERR_UNKNOWN_BUILTIN_MODULE', 'No such built-in module: ' + id);
      }
      return name;
    }
    if (call(ArrayPrototypeIncludes, SCHEME_ONLY, id)) return undefined;
    return call(MapPrototypeHas, builtinFactories, id) ? id : undefined;
  }

  function requireBuiltin(name) {
    if (call(MapPrototypeHas, builtinCache, name)) return call(MapPrototypeGet, builtinCache, name);
    const exports = call(MapPrototypeGet, builtinFactories, name)();
    call(MapPrototypeSet, builtinCache, name, exports);
    return exports;
  }

  const moduleCache = { __proto__: null };
  // Where `require(id)` from a directory resolved before: the next require of it from there
  // costs no host call.
  const resolved = new SafeMap();

  // A module's parent is kept aside, as in Node (`module.parent` is an inherited accessor, so
  // it is not among a module's own keys).
  const parents = new WeakMap();
  const WeakMapGet = WeakMap.prototype.get;
  const WeakMapSet = WeakMap.prototype.set;
  class Module {
    constructor(id, parent) {
      this.id = id;
      this.path = dirname(id);
      this.exports = {};
      this.filename = id;
      this.loaded = false;
      this.children = [];
      this.paths = nodeModulePaths(this.path);
      call(WeakMapSet, parents, this, parent);
      if (parent && parent.children) call(ArrayPrototypePush, parent.children, this);
    }
    get parent() { return call(WeakMapGet, parents, this); }
    set parent(value) { call(WeakMapSet, parents, this, value); }
    // As Node's: a module's `require` goes through here and `Module._load`, so that a guest
    // (an instrumentation library, a require hook) may replace either.
    require(id) {
      validateId(id);
      return Module._load(id, this, false);
    }
    _compile(content, filename) {
      let body = stripBOM(content);
      // A `#!` line is a comment to Node.
      if (call(StringPrototypeStartsWith, body, '#!')) body = '//' + body;
      const compiled = native.compileFunction(body, filename);
      if (!call(MapPrototypeHas, scanned, filename)) prefetchRequires(filename, body);
      const require = makeRequire(this);
      return call(compiled, this.exports, this.exports, require, this, filename, dirname(filename));
    }
    load(filename) {
      this.filename = filename;
      this.paths = nodeModulePaths(dirname(filename));
      Module._extensions[registeredExtension(filename)](this, filename);
      this.loaded = true;
    }
  }

  function nodeModulePaths(from) {
    const paths = [];
    let dir = from;
    for (;;) {
      if (!call(StringPrototypeStartsWith, dir.slice(dir.lastIndexOf('/') + 1), 'node_modules')) {
        call(ArrayPrototypePush, paths, (dir === '/' ? '' : dir) + '/node_modules');
      }
      if (dir === '/') break;
      dir = dirname(dir);
    }
    return paths;
  }

  function requireStack(parent) {
    const stack = [];
    for (let m = parent; m && stack.length < 32; m = m.parent) {
      if (m.filename) call(ArrayPrototypePush, stack, m.filename);
    }
    return stack;
  }

  function notFound(reply, id, parent) {
    const stack = requireStack(parent);
    let message = reply.message;
    if (reply.error === 'MODULE_NOT_FOUND') {
      message = "Cannot find module '" + id + "'";
      if (stack.length > 0) message += '\nRequire stack:\n- ' + call(ArrayPrototypeJoin, stack, '\n- ');
    }
    if (reply.error === 'ERR_PACKAGE_IMPORT_NOT_DEFINED' && parent && parent.filename) {
      message += ' imported from ' + parent.filename;
    }
    const err = codedError(ErrorCtor, reply.error, message);
    if (reply.error === 'MODULE_NOT_FOUND') err.requireStack = stack;
    return err;
  }

  function validateId(id) {
    if (typeof id !== 'string') throw invalidArgType('id', 'of type string', id);
    if (id === '') {
      throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
        "The argument 'id' must be a non-empty string. Received ''");
    }
  }

  // Where a module's relative requires start.
  function moduleDir(parent) {
    return parent && parent.filename ? dirname(parent.filename) : session.cwd;
  }

  function resolveFrom(parent, id, load) {
    const dir = moduleDir(parent);
    const reply = hostSync([OP.RESOLVE, id, dir, undefined, 0, 0, load ? FLAG.LOAD : 0]);
    if (reply.error) throw notFound(reply, id, parent);
    return reply;
  }

  // `Module._load`'s own work: a built-in, a cached module, or one resolved, read and run.
  function requireFrom(parent, id) {
    validateId(id);
    const builtin = builtinName(id);
    if (builtin !== undefined) return requireBuiltin(builtin);
    // A guest's own resolution (module aliases, say) replaces the host's.
    if (Module._resolveFilename !== resolveFilename) return requireResolved(parent, Module._resolveFilename(id, parent, false));
    const dir = moduleDir(parent);
    const key = dir + '\u0000' + id;
    const known = call(MapPrototypeGet, resolved, key);
    // An answer the walk already has, else one sent ahead, else a call now.
    let early = call(MapPrototypeGet, ready, key);
    if (early !== undefined) call(MapPrototypeDelete, ready, key);
    else {
      const reply = takeAhead(prefetched, key);
      if (reply !== undefined) early = { reply, text: undefined };
    }
    const release = () => {
      if (early !== undefined && early.text === undefined) dropData(early.reply);
    };
    if (known !== undefined && moduleCache[known] !== undefined) {
      release();
      return moduleCache[known].exports;
    }
    let reply;
    if (early !== undefined && !early.reply.error) {
      reply = early.reply;
    } else {
      early = undefined;
      reply = resolveFrom(parent, id, true);
    }
    if (reply.format === 'builtin') return requireBuiltin(builtinName(reply.path));
    const filename = reply.path;
    call(MapPrototypeSet, resolved, key, filename);
    const cached = moduleCache[filename];
    if (cached !== undefined) {
      if (early !== undefined) release();
      else dropData(reply);
      return cached.exports;
    }
    let source;
    if (early !== undefined && early.text !== undefined) source = early.text;
    else source = reply.size > 0 ? native.takeText(reply.id) : '';
    return instantiate(parent, filename, source, reply.format);
  }

  // A module by the filename a guest's `Module._resolveFilename` gave.
  function requireResolved(parent, filename) {
    if (typeof filename !== 'string') throw invalidArgType('filename', 'of type string', filename);
    const builtin = builtinName(filename);
    if (builtin !== undefined) return requireBuiltin(builtin);
    const cached = moduleCache[filename];
    if (cached !== undefined) return cached.exports;
    const reply = hostSync([OP.RESOLVE, filename, '/', undefined, 0, 0, FLAG.LOAD]);
    if (reply.error) throw notFound(reply, filename, parent);
    if (reply.format === 'builtin') return requireBuiltin(builtinName(reply.path));
    const known = moduleCache[reply.path];
    if (known !== undefined) {
      dropData(reply);
      return known.exports;
    }
    return instantiate(parent, reply.path, reply.size > 0 ? native.takeText(reply.id) : '', reply.format);
  }

  function instantiate(parent, filename, source, format) {
    const module = new Module(filename, parent);
    moduleCache[filename] = module;
    try {
      loadModule(module, source, format);
    } catch (err) {
      delete moduleCache[filename];
      if (parent && parent.children) {
        const at = parent.children.indexOf(module);
        if (at >= 0) parent.children.splice(at, 1);
      }
      throw err;
    }
    module.loaded = true;
    return module.exports;
  }

  function stripBOM(source) {
    return call(StringPrototypeCharCodeAt, source, 0) === 0xFEFF ? call(StringPrototypeSlice, source, 1) : source;
  }

  // The extension whose handler loads `filename`: the longest registered one that ends it
  // (`.test.js` before `.js`), else `.js`, as Node's.
  function registeredExtension(filename) {
    const name = call(StringPrototypeSlice, filename, call(StringPrototypeLastIndexOf, filename, '/') + 1);
    let at = 0;
    for (;;) {
      at = call(StringPrototypeIndexOf, name, '.', at + 1);
      if (at === -1) return '.js';
      const ext = call(StringPrototypeSlice, name, at);
      if (Module._extensions[ext] !== undefined) return ext;
    }
  }
  // The source the loader already has for a module whose extension handler the guest
  // replaced; the default handlers take it instead of reading the file again.
  const pendingSources = new WeakMap();
  const WeakMapDelete = WeakMap.prototype.delete;
  function sourceOf(module, filename) {
    const pending = call(WeakMapGet, pendingSources, module);
    if (pending !== undefined) {
      call(WeakMapDelete, pendingSources, module);
      return pending;
    }
    return fs.readFileSync(filename, 'utf8');
  }
  const extensionHandlers = {
    __proto__: null,
    '.js'(module, filename) {
      module._compile(sourceOf(module, filename), filename);
    },
    '.json'(module, filename) {
      const source = sourceOf(module, filename);
      try {
        module.exports = JSONParse(stripBOM(source));
      } catch (err) {
        err.message = filename + ': ' + err.message;
        throw err;
      }
    },
    '.node'() {
      throw notSupported('Native addons (.node)');
    },
  };
  const moduleExtensions = { __proto__: null, ...extensionHandlers };

  function loadModule(module, source, format) {
    const filename = module.filename;
    if (format !== 'module' && format !== 'wasm') {
      const ext = registeredExtension(filename);
      const handler = Module._extensions[ext];
      if (handler !== extensionHandlers[ext]) {
        // A handler the guest registered (a transpiler's, say) loads the module.
        call(WeakMapSet, pendingSources, module, source);
        try {
          handler(module, filename);
        } finally {
          call(WeakMapDelete, pendingSources, module);
        }
        return;
      }
    }
    if (format === 'json') {
      try {
        module.exports = JSONParse(stripBOM(source));
      } catch (err) {
        err.message = filename + ': ' + err.message;
        throw err;
      }
      return;
    }
    if (format === 'module') {
      // require() of an ES module, as current Node allows for graphs without top-level await:
      // the result is its namespace.
      let record = call(MapPrototypeGet, esmRecords, filename);
      if (record === undefined) {
        record = makeRecord(filename, 'module', source, undefined);
        call(MapPrototypeSet, esmRecords, filename, record);
      }
      linkGraph(record);
      native.instantiateModule(record.id);
      const [state, value] = native.promiseState(native.evaluateModule(record.id));
      if (state === 2) throw value;
      if (state === 0) {
        throw codedError(ErrorCtor, 'ERR_REQUIRE_ASYNC_MODULE', 'require() cannot be used on an ' +
          'ESM graph with top-level await. Use import() instead. To see where the top-level ' +
          'await comes from, use --experimental-print-required-tla.\n  From ' +
          (module.parent && module.parent.filename ? module.parent.filename : '') +
          ' \n  Requiring ' + filename);
      }
      const namespace = native.moduleNamespace(record.id);
      // As Node's: a module that exports the name 'module.exports' gives that to require().
      module.exports = 'module.exports' in namespace ? namespace['module.exports'] : namespace;
      return;
    }
    if (format === 'wasm') throw notSupported('Loading a .wasm file with require()');
    module._compile(source, filename);
  }

  function makeRequire(module) {
    const require = function require(id) { return module.require(id); };
    require.resolve = (id, opts) => {
      validateId(id);
      return Module._resolveFilename(id, module, false, opts);
    };
    require.resolve.paths = (id) => (builtinName(id) !== undefined ? null : module.paths);
    require.cache = moduleCache;
    require.main = mainModule;
    require.extensions = Module._extensions;
    return require;
  }

  // `Module._resolveFilename`: where `id` required from `parent` is (a built-in as it was
  // named), with `options.paths` as lookup starts.
  function resolveFilename(id, parent, isMain, opts) {
    validateId(id);
    const builtin = builtinName(id);
    if (builtin !== undefined) return id;
    if (opts !== null && typeof opts === 'object' && opts.paths !== undefined) {
      if (!ArrayIsArray(opts.paths)) throw invalidArgType('options.paths', 'an instance of Array', opts.paths);
      // Each path is where a lookup starts, as from a module there (node_modules upwards).
      let failed;
      for (const start of opts.paths) {
        const reply = hostSync([OP.RESOLVE, id, resolvePath(toPathString(start, 'paths')), undefined, 0, 0, 0]);
        if (!reply.error) return reply.path;
        failed = reply;
      }
      if (failed !== undefined) throw notFound(failed, id, parent);
    }
    return resolveFrom(parent, id, false).path;
  }

  // ---------------------------------------------------------------- ES modules
  // Records by path: `{ id, path, requests, linked }` (requests only for source modules).
  const esmRecords = new SafeMap();
  // Where a specifier from a directory resolved before.
  const esmResolved = new SafeMap();
  // Resolutions sent ahead for the next wave of a graph.
  const esmAhead = new SafeMap();

  function fileHref(path) {
    let encoded = '';
    for (const ch of path) {
      encoded += /[A-Za-z0-9\/\-._~!$&'()*+,;=:@]/.test(ch) ? ch : encodeURIComponent(ch);
    }
    return 'file://' + encoded;
  }

  function esmNotFound(reply, specifier, parentPath) {
    if (reply.error !== 'ERR_MODULE_NOT_FOUND') {
      let message = reply.message;
      if (reply.error === 'ERR_PACKAGE_IMPORT_NOT_DEFINED') message += ' imported from ' + parentPath;
      return codedError(ErrorCtor, reply.error, message);
    }
    const relative = call(StringPrototypeStartsWith, specifier, './') ||
      call(StringPrototypeStartsWith, specifier, '../') || call(StringPrototypeStartsWith, specifier, '/');
    const message = relative
      ? "Cannot find module '" + resolvePathFrom(dirname(parentPath), specifier) + "' imported from " + parentPath
      : "Cannot find package '" + packageName(specifier) + "' imported from " + parentPath;
    const err = codedError(ErrorCtor, 'ERR_MODULE_NOT_FOUND', message);
    err.url = undefined;
    return err;
  }

  function resolvePathFrom(dir, specifier) {
    return normalizeParts(call(StringPrototypeStartsWith, specifier, '/') ? specifier : dir + '/' + specifier);
  }

  function packageName(specifier) {
    const parts = call(StringPrototypeSplit, specifier, '/');
    return call(StringPrototypeStartsWith, specifier, '@') && parts.length > 1 ? parts[0] + '/' + parts[1] : parts[0];
  }

  let lexer;
  // The names a CommonJS module exports, found by reading it as Node does (cjs-module-lexer),
  // with re-exports followed a few levels deep.
  function cjsExportNames(source, path, depth) {
    if (lexer === undefined) lexer = npm('cjs_module_lexer');
    let parsed;
    try {
      parsed = lexer.parse(source);
    } catch {
      return [];
    }
    const names = [];
    for (const name of parsed.exports) call(ArrayPrototypePush, names, name);
    if (depth < 8) {
      for (const specifier of parsed.reexports) {
        try {
          const reply = resolveFrom(new Module(path, undefined), specifier, true);
          if (reply.format !== 'commonjs') continue;
          const text = reply.size > 0 ? native.takeText(reply.id) : '';
          for (const name of cjsExportNames(text, reply.path, depth + 1)) call(ArrayPrototypePush, names, name);
        } catch {
          // Node ignores re-exports it cannot follow.
        }
      }
    }
    return names;
  }

  function namespaceOf(value, names) {
    const out = { default: value };
    for (const name of names) {
      if (name !== 'default') out[name] = value === null || value === undefined ? undefined : value[name];
    }
    return out;
  }

  function loadCommonJsAt(path, source) {
    const cached = moduleCache[path];
    if (cached !== undefined) return cached.exports;
    const module = new Module(path, undefined);
    moduleCache[path] = module;
    try {
      loadModule(module, source, 'commonjs');
    } catch (err) {
      delete moduleCache[path];
      throw err;
    }
    module.loaded = true;
    return module.exports;
  }

  function builtinRecord(name) {
    const path = 'node:' + name;
    let record = call(MapPrototypeGet, esmRecords, path);
    if (record === undefined) {
      const exports = requireBuiltin(name);
      const names = exports !== null && (typeof exports === 'object' || typeof exports === 'function')
        ? ObjectKeys(exports) : [];
      const id = native.syntheticModule(path, ['default', ...names], () => namespaceOf(exports, names));
      record = { id, path, format: 'builtin', requests: undefined, linked: true };
      call(MapPrototypeSet, esmRecords, path, record);
    }
    return record;
  }

  // Node's check of an import's `type` attribute, made on every import of a module (the
  // first one and any later one alike): 'json' exactly for JSON modules, none for the rest.
  function checkImportType(href, format, type) {
    if (format === 'json') {
      if (type === 'json') return;
      if (type === undefined) {
        throw codedError(TypeErrorCtor, 'ERR_IMPORT_ATTRIBUTE_MISSING',
          'Module "' + href + '" needs an import attribute of "type: json"');
      }
    } else if (type === undefined) {
      return;
    }
    if (type !== 'json') {
      throw codedError(TypeErrorCtor, 'ERR_IMPORT_ATTRIBUTE_UNSUPPORTED',
        'Import attribute "type" with value "' + StringCtor(type) + '" is not supported');
    }
    throw codedError(TypeErrorCtor, 'ERR_IMPORT_ATTRIBUTE_TYPE_INCOMPATIBLE',
      'Module "' + href + '" is not of type "' + type + '"');
  }

  function makeRecord(path, format, source, type) {
    checkImportType(fileHref(path), format, type);
    if (format === 'json') {
      const id = native.syntheticModule(path, ['default'], () => {
        try {
          return { default: JSONParse(stripBOM(source)) };
        } catch (err) {
          err.message = path + ': ' + err.message;
          throw err;
        }
      });
      return { id, path, format, requests: undefined, linked: true };
    }
    if (format === 'module') {
      const [id, requests] = native.compileModule(source, path, fileHref(path));
      return { id, path, format, requests, linked: false };
    }
    if (format === 'commonjs') {
      const names = cjsExportNames(source, path, 0);
      const id = native.syntheticModule(path, ['default', ...names],
        () => namespaceOf(loadCommonJsAt(path, source), names));
      return { id, path, format, requests: undefined, linked: true };
    }
    throw notSupported('Importing ' + path + ' (' + format + ')');
  }

  function builtinImport(name, type) {
    checkImportType('node:' + name, 'builtin', type);
    return builtinRecord(name);
  }

  function esmRecordFor(specifier, parentPath, type) {
    const builtin = builtinName(specifier);
    if (builtin !== undefined) return builtinImport(builtin, type);
    const dir = dirname(parentPath);
    const key = dir + '\u0000' + specifier;
    let path = call(MapPrototypeGet, esmResolved, key);
    let record = path === undefined ? undefined : call(MapPrototypeGet, esmRecords, path);
    const ahead = takeAhead(esmAhead, key);
    if (record !== undefined) {
      if (ahead !== undefined) dropData(ahead);
      checkImportType(fileHref(record.path), record.format, type);
      return record;
    }
    const reply = ahead !== undefined && !ahead.error ? ahead
      : hostSync([OP.RESOLVE, specifier, dir, undefined, 0, 0, FLAG.ESM | FLAG.LOAD]);
    if (reply.error) throw esmNotFound(reply, specifier, parentPath);
    if (reply.format === 'builtin') return builtinImport(builtinName(reply.path), type);
    path = reply.path;
    call(MapPrototypeSet, esmResolved, key, path);
    record = call(MapPrototypeGet, esmRecords, path);
    if (record !== undefined) {
      native.takeData(reply.id, new Uint8ArrayCtor(0));
      checkImportType(fileHref(record.path), record.format, type);
      return record;
    }
    const source = reply.size > 0 ? native.takeText(reply.id) : '';
    record = makeRecord(path, reply.format, source, type);
    call(MapPrototypeSet, esmRecords, path, record);
    return record;
  }

  // Resolves and compiles every module the graph under `root` needs, and links them.
  // A wave at a time: every request of the wave's modules is sent at once, so loading a graph
  // costs about as many round trips as it is deep.
  function linkGraph(root) {
    let wave = [root];
    while (wave.length > 0) {
      for (const record of wave) {
        if (record.linked) continue;
        const dir = dirname(record.path);
        for (const [specifier] of record.requests) {
          const key = aheadKey(dir, specifier, esmResolved);
          if (key === undefined) continue;
          sendAhead(esmAhead, key, [OP.RESOLVE, specifier, dir, undefined, 0, 0, FLAG.ESM | FLAG.LOAD]);
        }
      }
      const next = [];
      for (const record of wave) {
        if (record.linked) continue;
        for (const [specifier, type] of record.requests) {
          const dependency = esmRecordFor(specifier, record.path, type);
          native.linkModule(record.id, specifier, dependency.id);
          if (!dependency.linked) call(ArrayPrototypePush, next, dependency);
        }
        record.linked = true;
      }
      wave = next;
    }
  }

  function runEntryModule(source, filename) {
    const [id, requests] = native.compileModule(source, filename, fileHref(filename));
    const record = { id, path: filename, format: 'module', requests, linked: false };
    call(MapPrototypeSet, esmRecords, filename, record);
    linkGraph(record);
    native.instantiateModule(id);
    const evaluation = native.evaluateModule(id);
    native.trackEntry(evaluation);
    // A failure of the entry is an uncaught exception, as in Node (not an unhandled rejection).
    call(PromisePrototypeThen, evaluation, undefined, (err) => native.reportError(err));
    mainModule.exports = native.moduleNamespace(id);
  }

  function importDynamic(specifier, referrer, type) {
    return new PromiseCtor((resolve, reject) => {
      // A module names itself by its file URL, a CommonJS script by its path.
      let parentPath = session.cwd + '/[eval]';
      if (typeof referrer === 'string' && call(StringPrototypeStartsWith, referrer, 'file://')) {
        parentPath = decodeURIComponent(call(StringPrototypeSlice, referrer, 7));
      } else if (typeof referrer === 'string' && call(StringPrototypeStartsWith, referrer, '/')) {
        parentPath = referrer;
      }
      const record = esmRecordFor(StringCtor(specifier), parentPath, type);
      if (record.requests !== undefined) linkGraph(record);
      native.instantiateModule(record.id);
      call(PromisePrototypeThen, native.evaluateModule(record.id),
        () => resolve(native.moduleNamespace(record.id)), reject);
    });
  }

  function initMeta(meta, path) {
    meta.dirname = dirname(path);
    meta.filename = path;
    meta.resolve = (specifier) => {
      const builtin = builtinName(specifier);
      if (builtin !== undefined) return 'node:' + builtin;
      const reply = hostSync([OP.RESOLVE, StringCtor(specifier), dirname(path), undefined, 0, 0, FLAG.ESM]);
      if (reply.error) throw esmNotFound(reply, specifier, path);
      return reply.format === 'builtin' ? reply.path : fileHref(reply.path);
    };
    meta.url = fileHref(path);
  }

  const builtinModules = [];
  for (const [name] of builtinFactories) {
    if (!call(ArrayPrototypeIncludes, SCHEME_ONLY, name)) call(ArrayPrototypePush, builtinModules, name);
  }
  // In Node's order.
  call(ArrayPrototypeSort, builtinModules);
  // `require('module')` is the Module class itself, as in Node, with its static helpers.
  const moduleBuiltin = ObjectAssign(Module, {
    builtinModules: ObjectFreeze(builtinModules),
    createRequire(filename) {
      let path = filename;
      if (path !== null && typeof path === 'object' && path.href !== undefined) path = toPathString(path);
      if (typeof path === 'string' && call(StringPrototypeStartsWith, path, 'file://')) {
        path = decodeURIComponent(call(StringPrototypeSlice, path, 7));
      }
      if (typeof path !== 'string' || !call(StringPrototypeStartsWith, path, '/')) {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
          "The argument 'filename' must be a file URL object, file URL string, or absolute " +
          'path string. Received ' + prelude.inspect(filename));
      }
      // A path ending in / is a directory: requires start there.
      const anchor = call(StringPrototypeSlice, path, -1) === '/' ? path + 'noop.js' : path;
      return makeRequire(new Module(anchor, undefined));
    },
    isBuiltin(id) {
      try {
        return typeof id === 'string' && builtinName(id) !== undefined;
      } catch {
        return false;
      }
    },
    Module,
    _cache: moduleCache,
    _extensions: moduleExtensions,
    _load(request, parent, isMain) { return requireFrom(parent, request); },
    _resolveFilename: resolveFilename,
    _nodeModulePaths: nodeModulePaths,
    // The first file `request` names from one of `paths` (as a file, with an extension, or as a
    // directory), or false.
    _findPath(request, paths) {
      const absolute = call(StringPrototypeStartsWith, request, '/');
      const starts = absolute ? [''] : paths;
      if (!ArrayIsArray(starts)) return false;
      for (const start of starts) {
        const base = absolute ? request : resolvePath(start + '/' + request);
        const reply = hostSync([OP.RESOLVE, base, '/', undefined, 0, 0, 0]);
        if (!reply.error && reply.format !== 'builtin') return reply.path;
      }
      return false;
    },
    _pathCache: { __proto__: null },
    _initPaths() {},
    _preloadModules(requests) {
      if (ArrayIsArray(requests)) for (const request of requests) requireFrom(undefined, request);
    },
    _debug: () => {},
    runMain(main = process.argv[1]) {
      requireFrom(undefined, resolvePath(main));
    },
    // The directories a request is looked up from (null for a built-in), as Node's.
    _resolveLookupPaths(request, parent) {
      if (builtinName(request) !== undefined) return null;
      if (call(StringPrototypeStartsWith, request, './') || call(StringPrototypeStartsWith, request, '../') ||
        request === '.' || request === '..') {
        return [parent && parent.filename ? dirname(parent.filename) : '.'];
      }
      return parent && ArrayIsArray(parent.paths) ? [...parent.paths] : nodeModulePaths(session.cwd);
    },
    SourceMap: class SourceMap {
      constructor() { throw notSupported('module.SourceMap'); }
    },
    // No global folders: modules come from node_modules and the paths given.
    globalPaths: [],
    // Source maps are not read; built-in modules have no ES-module bindings to refresh.
    findSourceMap: () => undefined,
    syncBuiltinESMExports: () => {},
    register() { throw notSupported('module.register() (loader hooks)'); },
    // Node 22's on-disk compile cache: the worker keeps compiled code itself (by content, in
    // memory), so this one stays off.
    constants: ObjectFreeze({ __proto__: null,
      compileCacheStatus: ObjectFreeze({ __proto__: null, FAILED: 0, ENABLED: 1, ALREADY_ENABLED: 2, DISABLED: 3 }) }),
    enableCompileCache() {
      return { status: 3, message: 'Disabled: secure-exec caches compiled code in its worker' };
    },
    getCompileCacheDir: () => undefined,
  });

  // The CommonJS wrapper as Node shows it (its compiler takes the parameters, not this text).
  let wrapper = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'];
  ObjectDefineProperty(moduleBuiltin, 'wrapper', { get: () => wrapper, set: (value) => { wrapper = value; } });
  let wrap = (script) => wrapper[0] + script + wrapper[1];
  ObjectDefineProperty(moduleBuiltin, 'wrap', { get: () => wrap, set: (value) => { wrap = value; } });
  for (const ext of ['.js', '.json', '.node']) ObjectDefineProperty(extensionHandlers[ext], 'name', { value: '' });

  // Everything above may be built before the session is known (in a spare); what reads the
  // session (the entry module's filename) or is seen by the guest is done on first use.
  function attach() {
    native.moduleHooks(importDynamic, initMeta);
    // The entry module, as the worker made it (its paths included), becomes a Module.
    ObjectSetPrototypeOf(mainModule, Module.prototype);
    if (mainModule.filename) moduleCache[mainModule.filename] = mainModule;
    const mainRequire = makeRequire(mainModule);
    return { mainRequire, requireBuiltin, runEntryModule, fs, net, Console, stdin,
      getBuiltinModule, loadEnvFile, messaging: makeMessaging };
  }
  return { attach, buildVendor };
})
