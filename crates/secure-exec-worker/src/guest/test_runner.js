// Node's test runner, `node:test`: test / describe / it and their skip, todo and only forms,
// hooks, subtests, timeouts, plans, mock functions and methods, reported in TAP as Node
// reports to a stdout that is not a terminal. Loaded on the first `require('node:test')`
// (node.js).
//
// It follows Node's own runner (lib/internal/test_runner): the same tree of tests, the same
// failure types and messages, the same counters and report order. Tests of one parent run one
// at a time (the `concurrency` option is accepted and changes nothing); the report is written
// a tick later, as Node's reporter stream writes it. The test a call belongs to is found
// through an AsyncLocalStorage, as Node finds it through async hooks.
(function testRunner(deps) {
  'use strict';

  const { AsyncLocalStorage, AbortController, inspect, process, setTimeout, clearTimeout, nextTick, now,
    assert, codedError, invalidArgType, integerArg, notSupported } = deps;
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectEntries = Object.entries;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ReflectApply = Reflect.apply;
  const ReflectConstruct = Reflect.construct;
  const ReflectGet = Reflect.get;
  const PromiseCtor = Promise;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const ProxyCtor = Proxy;
  const SafeSet = Set;
  const SafeMap = Map;
  const ErrorCaptureStackTrace = Error.captureStackTrace;
  const RangeErrorCtor = RangeError;
  const DateCtor = Date;

  const kCancelledByParent = 'cancelledByParent';
  const kParentAlreadyFinished = 'parentAlreadyFinished';
  const kSubtestsFailed = 'subtestsFailed';
  const kTestCodeFailure = 'testCodeFailure';
  const kTestTimeoutFailure = 'testTimeoutFailure';
  const kHookFailure = 'hookFailed';
  const kCallbackAndPromisePresent = 'callbackAndPromisePresent';
  const kMultipleCallbackInvocations = 'multipleCallbackInvocations';
  const kUnwrapErrors = new SafeSet([kTestCodeFailure, kHookFailure, 'uncaughtException', 'unhandledRejection']);
  const TIMEOUT_MAX = 2147483647;
  const noop = () => {};

  // Node's ERR_TEST_FAILURE: the message of what failed, its type, and the original as cause.
  // Its own frames are the runner's, which Node hides: it has none.
  class TestFailure extends ErrorCtor {
    constructor(error, failureType) {
      let message = error === null || error === undefined ? error : error.message;
      if (message === undefined || message === null) message = error;
      if (typeof message !== 'string') message = inspect(message);
      super(message);
      this.code = 'ERR_TEST_FAILURE';
      this.failureType = failureType;
      this.cause = error;
      this.stack = 'Error [ERR_TEST_FAILURE]: ' + message;
    }
  }
  const isTestFailure = (error) => error instanceof TestFailure;

  // ------------------------------------------------------------------ the TAP reporter
  const kFrameStartRegExp = /^ {4}at /;
  const kLineBreakRegExp = /\n|\r\n/;
  const inspectOptions = { __proto__: null, colors: false, breakLength: Infinity };
  let pending = '';
  let flushing = false;
  let started = false;
  function emit(text) {
    if (!started) {
      started = true;
      pending += 'TAP version 13\n';
    }
    pending += text;
    if (!flushing) {
      flushing = true;
      nextTick(flush);
    }
  }
  function flush() {
    flushing = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    process.stdout.write(text);
  }
  const indents = new SafeMap();
  function indent(nesting) {
    let value = indents.get(nesting);
    if (value === undefined) {
      value = '    '.repeat(nesting);
      indents.set(nesting, value);
    }
    return value;
  }
  // In certain places, # and \ need to be escaped as \# and \\.
  function tapEscape(input) {
    let result = input.replaceAll('\b', '\\b');
    result = result.replaceAll('\f', '\\f');
    result = result.replaceAll('\t', '\\t');
    result = result.replaceAll('\n', '\\n');
    result = result.replaceAll('\r', '\\r');
    result = result.replaceAll('\v', '\\v');
    result = result.replaceAll('\\', '\\\\');
    return result.replaceAll('#', '\\#');
  }
  function reportTest(nesting, testNumber, status, name, skip, todo) {
    let line = indent(nesting) + status + ' ' + testNumber;
    if (name) line += ' ' + tapEscape('- ' + name);
    if (skip !== undefined) {
      line += ' # SKIP' + (typeof skip === 'string' && skip.length ? ' ' + tapEscape(skip) : '');
    } else if (todo !== undefined) {
      line += ' # TODO' + (typeof todo === 'string' && todo.length ? ' ' + tapEscape(todo) : '');
    }
    return line + '\n';
  }
  function reportDetails(nesting, data, location) {
    const { error, duration_ms } = data;
    const prefix = indent(nesting);
    let details = prefix + '  ---\n';
    details += jsToYaml(prefix, 'duration_ms', duration_ms);
    details += jsToYaml(prefix, 'type', data.type);
    if (location) details += jsToYaml(prefix, 'location', location);
    details += jsToYaml(prefix, null, error, new SafeSet());
    return details + prefix + '  ...\n';
  }
  const isErrorValue = (value) => value instanceof ErrorCtor ||
    Object.prototype.toString.call(value) === '[object Error]';
  const isAssertionLike = (value) => value && typeof value === 'object' && 'expected' in value && 'actual' in value;
  function jsToYaml(prefix, name, value, seen) {
    if (value === undefined) return '';
    const head = prefix + '  ' + name + ':';
    if (value === null) return head + ' ~\n';
    if (typeof value !== 'object') {
      if (typeof value !== 'string') return head + ' ' + inspect(value, inspectOptions) + '\n';
      const lines = value.split(kLineBreakRegExp);
      if (lines.length === 1) return head + ' ' + inspect(value, inspectOptions) + '\n';
      let text = head + ' |-\n';
      for (let i = 0; i < lines.length; i++) text += prefix + '    ' + lines[i] + '\n';
      return text;
    }
    seen.add(value);
    const entries = ObjectEntries(value);
    const isError = isErrorValue(value);
    let propsPrefix = prefix;
    let result = '';
    if (name !== null && name !== undefined) {
      result += head;
      if (value instanceof DateCtor) result += ' ' + value.toISOString();
      result += '\n';
      propsPrefix += '  ';
    }
    for (let i = 0; i < entries.length; i++) {
      const [key, entry] = entries[i];
      if (isError && (key === 'cause' || key === 'code')) continue;
      if (seen.has(entry)) {
        result += propsPrefix + '  ' + key + ': <Circular>\n';
        continue;
      }
      result += jsToYaml(propsPrefix, key, entry, seen);
    }
    if (isError) {
      const { cause, code, failureType, message, expected, actual, operator, stack, name: errorName } = value;
      let errMsg = message ?? '<unknown error>';
      let errName = errorName;
      let errStack = stack;
      let errCode = code;
      let errExpected = expected;
      let errActual = actual;
      let errOperator = operator;
      let errIsAssertion = isAssertionLike(value);
      // An ERR_TEST_FAILURE from the guest's own error shows that error.
      if (code === 'ERR_TEST_FAILURE' && kUnwrapErrors.has(failureType)) {
        errStack = cause?.stack ?? errStack;
        errCode = cause?.code ?? errCode;
        errName = cause?.name ?? errName;
        errMsg = cause?.message ?? errMsg;
        if (isAssertionLike(cause)) {
          errExpected = cause.expected;
          errActual = cause.actual;
          errOperator = cause.operator ?? errOperator;
          errIsAssertion = true;
        }
      }
      result += jsToYaml(prefix, 'error', errMsg, seen);
      if (errCode) result += jsToYaml(prefix, 'code', errCode, seen);
      if (errName && errName !== 'Error') result += jsToYaml(prefix, 'name', errName, seen);
      if (errIsAssertion) {
        result += jsToYaml(prefix, 'expected', errExpected, new SafeSet(seen));
        result += jsToYaml(prefix, 'actual', errActual, new SafeSet(seen));
        if (errOperator) result += jsToYaml(prefix, 'operator', errOperator, seen);
      }
      if (typeof errStack === 'string') {
        const frames = [];
        for (const frame of errStack.split(kLineBreakRegExp)) {
          const processed = frame.replace(kFrameStartRegExp, '');
          if (processed.length > 0 && processed.length !== frame.length) frames.push(processed);
        }
        if (frames.length > 0) {
          const delimiter = '\n' + prefix + '    ';
          result += prefix + '  stack: |-' + delimiter + frames.join(delimiter) + '\n';
        }
      }
    }
    return result;
  }

  // Where a test was declared: the caller of `fn`, as `[line, column, file]`.
  function callerLocation(fn) {
    const holder = {};
    ErrorCaptureStackTrace(holder, fn);
    const frame = String(holder.stack).split('\n')[1] || '';
    const match = /\(?([^\s()]+):(\d+):(\d+)\)?$/.exec(frame.trim());
    if (match === null) return undefined;
    let file = match[1];
    if (file.startsWith('file://')) file = decodeURIComponent(file.slice(7));
    if (file.startsWith('secure-exec:')) return undefined;
    return { line: Number(match[2]), column: Number(match[3]), file };
  }

  // ------------------------------------------------------------------ the test tree
  const current = new AsyncLocalStorage();
  let root;
  const counters = { all: 0, failed: 0, passed: 0, cancelled: 0, skipped: 0, todo: 0, topLevel: 0, suites: 0 };
  function countCompletedTest(test) {
    if (test.nesting === 0) counters.topLevel++;
    if (test.reportedType === 'suite') {
      counters.suites++;
      return;
    }
    if (test.skipped) counters.skipped++;
    else if (test.isTodo) counters.todo++;
    else if (test.cancelled) counters.cancelled++;
    else if (!test.passed) counters.failed++;
    else counters.passed++;
    counters.all++;
  }

  // A duration as Node gives it: milliseconds, to the nanosecond (without float noise).
  const milliseconds = (ms) => Math.round(ms * 1e6) / 1e6;
  function deferred() {
    let resolve;
    let reject;
    const promise = new PromiseCtor((yes, no) => { resolve = yes; reject = no; });
    return { promise, resolve, reject };
  }
  // A timer that fails the test at its timeout; unref'd, as Node's, so it keeps nothing alive.
  function stopTest(timeout) {
    const stop = deferred();
    let timer;
    if (timeout !== Infinity) {
      timer = setTimeout(() => stop.reject(new TestFailure('test timed out after ' + timeout + 'ms',
        kTestTimeoutFailure)), timeout);
      timer.unref();
    }
    stop.promise.catch(noop);
    stop.dispose = () => { if (timer !== undefined) clearTimeout(timer); };
    return stop;
  }
  function race(promise, stop) {
    return PromiseCtor.race([PromiseCtor.resolve(promise), stop.promise]);
  }
  // A test body's `done`: the second call fails the test, as Node's.
  function deferredCallback() {
    let calls = 0;
    const { promise, resolve, reject } = deferred();
    const cb = (error) => {
      calls++;
      if (calls > 1) {
        if (calls === 2) throw new TestFailure('callback invoked multiple times', kMultipleCallbackInvocations);
        return;
      }
      if (error) return reject(error);
      resolve();
    };
    return { promise, cb };
  }
  const validateFunction = (value, name) => {
    if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  };
  const validateObject = (value, name) => {
    if (value === null || typeof value !== 'object') throw invalidArgType(name, 'of type object', value);
  };

  class Test {
    constructor(options) {
      const { name, parent = null, skip, todo, only, signal, loc, plan } = options;
      let { fn = noop, timeout, concurrency } = options;
      this.parent = parent;
      this.root = parent === null ? this : parent.root;
      this.nesting = parent === null ? -1 : parent.nesting + 1;
      this.testNumber = parent === null ? 0 : parent.subtests.length + 1;
      this.timeout = parent === null ? Infinity : parent.timeout;
      if (timeout !== undefined && timeout !== null && timeout !== Infinity) {
        if (typeof timeout !== 'number') throw invalidArgType('options.timeout', 'of type number', timeout);
        if (!(timeout >= 0 && timeout <= TIMEOUT_MAX)) {
          throw codedError(RangeErrorCtor, 'ERR_OUT_OF_RANGE', 'The value of "options.timeout" is out of range. ' +
            'It must be >= 0 && <= ' + TIMEOUT_MAX + '. Received ' + inspect(timeout));
        }
        this.timeout = timeout;
      }
      if (concurrency !== undefined && concurrency !== null && typeof concurrency !== 'number' &&
        typeof concurrency !== 'boolean') {
        throw invalidArgType('options.concurrency', 'of type number or boolean', concurrency);
      }
      if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn);
      this.name = typeof name === 'string' && name !== '' ? name : fn.name || '<anonymous>';
      if (skip) fn = noop;
      this.fn = fn;
      this.outerSignal = signal;
      this.abortController = new AbortController();
      this.signal = this.abortController.signal;
      this.mock = null;
      this.plan = null;
      this.expectedAssertions = plan;
      this.cancelled = false;
      this.skipped = skip !== undefined && skip !== false;
      this.isTodo = todo !== undefined && todo !== false;
      this.startTime = null;
      this.endTime = null;
      this.passed = false;
      this.error = null;
      this.diagnostics = [];
      this.message = typeof skip === 'string' ? skip : typeof todo === 'string' ? todo : null;
      this.activeSubtests = 0;
      this.pendingSubtests = [];
      this.subtests = [];
      this.finished = false;
      this.reportedStart = false;
      this.hooks = {
        before: [], after: [],
        beforeEach: parent === null ? [] : [...parent.hooks.beforeEach],
        afterEach: parent === null ? [] : [...parent.hooks.afterEach],
        ownAfterEachCount: 0,
      };
      if (only) this.diagnostic("'only' and 'runOnly' require the --test-only command-line option.");
      this.loc = loc;
    }
    createSubtest(Factory, name, options, fn, overrides) {
      if (typeof name === 'function') fn = name;
      else if (name !== null && typeof name === 'object') { fn = options; options = name; }
      else if (typeof options === 'function') fn = options;
      if (options === null || typeof options !== 'object') options = {};
      let parent = this;
      // A test made after its parent ended goes to the root, failed, so that it shows.
      const late = this.finished || this.buildPhaseFinished;
      if (late) while (parent.parent !== null) parent = parent.parent;
      const test = new Factory({ ...options, ...overrides, fn, name, parent });
      if (late) {
        test.fail(new TestFailure('test could not be started because its parent finished', kParentAlreadyFinished));
      }
      parent.subtests.push(test);
      return test;
    }
    createHook(name, fn, options) {
      validateFunction(fn, 'fn');
      const hook = new Hook(fn, options, name);
      if (name === 'before' && this.startTime !== null) {
        // The test has started: its before hook runs now.
        hook.run(new TestContext(this)).then(() => { if (hook.error !== null) this.fail(hook.error); });
      }
      if (name === 'afterEach') {
        // This test's afterEach hooks run in their order, before its ancestors'.
        this.hooks.afterEach.splice(this.hooks.ownAfterEachCount, 0, hook);
        this.hooks.ownAfterEachCount++;
      } else {
        this.hooks[name].push(hook);
      }
      return hook;
    }
    fail(error) {
      if (this.error !== null) return;
      this.passed = false;
      this.error = error;
    }
    pass() {
      if (this.error !== null) return;
      this.passed = true;
    }
    cancel(error) {
      if (this.endTime !== null || this.error !== null) return;
      this.fail(error || new TestFailure('test did not finish before its parent and was cancelled', kCancelledByParent));
      this.cancelled = true;
      this.abortController.abort();
    }
    diagnostic(message) {
      this.diagnostics.push(message);
    }
    start() {
      if (!this.root.allowTestsToRun || this.parent.activeSubtests > 0) {
        const waiting = deferred();
        waiting.test = this;
        this.parent.pendingSubtests.push(waiting);
        return waiting.promise;
      }
      return this.run();
    }
    async processPendingSubtests() {
      while (this.pendingSubtests.length > 0 && this.activeSubtests === 0) {
        const waiting = this.pendingSubtests.shift();
        await waiting.test.run();
        waiting.resolve();
      }
    }
    async runHook(name, ctx) {
      try {
        const hooks = this.hooks[name];
        for (let i = 0; i < hooks.length; i++) {
          await hooks[i].run(ctx);
          if (hooks[i].error !== null) {
            if (this.parent === null && name === 'after') this.reportAfterHook(hooks[i]);
            throw hooks[i].error;
          }
        }
      } catch (err) {
        const error = new TestFailure('failed running ' + name + ' hook', kHookFailure);
        error.cause = isTestFailure(err) ? err.cause : err;
        throw error;
      }
    }
    // A failing top-level `after` hook is reported on a line of its own, named by its file.
    reportAfterHook(hook) {
      if (hook.reported) return;
      hook.reported = true;
      const { error, loc } = hook;
      error.failureType = kHookFailure;
      const file = loc === undefined ? undefined : loc.file;
      const location = loc === undefined ? null : loc.file + ':' + loc.line + ':' + loc.column;
      emit(reportTest(0, this.subtests.length + 1, 'not ok', file));
      emit(reportDetails(0, { duration_ms: hook.duration, error }, location));
      process.exitCode = 1;
    }
    async run() {
      if (this.parent !== null) this.parent.activeSubtests++;
      this.startTime ??= now();
      const ctx = new TestContext(this);
      if (this.plan === null && this.expectedAssertions) ctx.plan(this.expectedAssertions);
      let afterEachRan = false;
      const afterEach = async () => {
        if (afterEachRan) return;
        afterEachRan = true;
        if (this.parent !== null && this.parent.hooks.afterEach.length > 0 && !this.skipped) {
          await this.parent.runHook('afterEach', ctx);
        }
      };
      const after = async () => {
        if (this.hooks.after.length > 0) await this.runHook('after', ctx);
      };
      let stop;
      try {
        if (this.parent !== null && this.parent.hooks.before.length > 0) {
          await this.parent.runHook('before', new TestContext(this.parent));
        }
        if (this.parent !== null && this.parent.hooks.beforeEach.length > 0 && !this.skipped) {
          await this.parent.runHook('beforeEach', ctx);
        }
        stop = stopTest(this.timeout);
        if (this.fn.length === 2) {
          // Node's error-first callback style: the test ends when `done` is called.
          const { promise, cb } = deferredCallback();
          const returned = current.run(this, () => ReflectApply(this.fn, ctx, [ctx, cb]));
          if (returned !== null && typeof returned === 'object' && typeof returned.then === 'function') {
            this.fail(new TestFailure('passed a callback but also returned a Promise', kCallbackAndPromisePresent));
            await race(returned, stop);
          } else {
            await race(promise, stop);
          }
        } else {
          await race(current.run(this, () => ReflectApply(this.fn, ctx, [ctx])), stop);
        }
        if (this.plan !== null) this.plan.check();
        this.pass();
        await afterEach();
        await after();
      } catch (err) {
        if (isTestFailure(err)) {
          if (err.failureType === kTestTimeoutFailure) this.cancel(err);
          else this.fail(err);
        } else {
          this.fail(new TestFailure(err, kTestCodeFailure));
        }
        try { await afterEach(); } catch { /* the test is failing already */ }
        try { await after(); } catch { /* the test is failing already */ }
      } finally {
        if (stop !== undefined) stop.dispose();
        if (this.parent !== null) this.abortController.abort();
      }
      // The root reports when the session is about to end (`beforeExit`).
      if (this.parent !== null) this.postRun();
    }
    postRun(pendingError) {
      this.endTime ??= now();
      this.startTime ??= this.endTime;
      this.pendingSubtests = [];
      let failed = 0;
      for (let i = 0; i < this.subtests.length; i++) {
        const subtest = this.subtests[i];
        if (!subtest.finished) {
          subtest.cancel(pendingError);
          subtest.postRun(pendingError);
        }
        if (!subtest.passed && !subtest.isTodo) failed++;
      }
      if ((this.passed || this.parent === null) && failed > 0) {
        this.fail(new TestFailure(failed + ' subtest' + (failed > 1 ? 's' : '') + ' failed', kSubtestsFailed));
      }
      if (this.mock !== null) this.mock.reset();
      if (this.parent !== null) {
        if (this.finished) return;
        this.finished = true;
        this.report();
        this.parent.activeSubtests--;
        this.parent.processPendingSubtests();
        const top = this.root;
        if (this.parent === top && top.activeSubtests === 0 && top.pendingSubtests.length === 0) {
          // Every test has ended: the root's after hooks run now, while the session may
          // still hold handles they would close.
          top.run();
        }
      } else if (!this.reported) {
        this.reported = true;
        emit(indent(0) + '1..' + counters.topLevel + '\n');
        const lines = [...this.diagnostics, 'tests ' + counters.all, 'suites ' + counters.suites,
          'pass ' + counters.passed, 'fail ' + counters.failed, 'cancelled ' + counters.cancelled,
          'skipped ' + counters.skipped, 'todo ' + counters.todo, 'duration_ms ' + this.duration()];
        for (const line of lines) emit('# ' + tapEscape(line) + '\n');
      }
    }
    duration() {
      return milliseconds(this.endTime - this.startTime);
    }
    reportStarted() {
      if (this.reportedStart || this.parent === null) return;
      this.reportedStart = true;
      this.parent.reportStarted();
      emit(indent(this.nesting) + '# Subtest: ' + tapEscape(this.name) + '\n');
    }
    report() {
      countCompletedTest(this);
      if (this.subtests.length > 0) emit(indent(this.subtests[0].nesting) + '1..' + this.subtests.length + '\n');
      else this.reportStarted();
      const details = { duration_ms: this.duration() };
      if (this.reportedType) details.type = this.reportedType;
      if (!this.passed) details.error = this.error;
      const skip = this.skipped ? this.message ?? true : undefined;
      const todo = !this.skipped && this.isTodo ? this.message ?? true : undefined;
      emit(reportTest(this.nesting, this.testNumber, this.passed ? 'ok' : 'not ok', this.name, skip, todo));
      const location = !this.passed && this.loc !== undefined
        ? this.loc.file + ':' + this.loc.line + ':' + this.loc.column : null;
      emit(reportDetails(this.nesting, details, location));
      for (const message of this.diagnostics) emit(indent(this.nesting) + '# ' + tapEscape(message) + '\n');
      if (!this.passed && todo === undefined) process.exitCode = 1;
    }
  }

  class Suite extends Test {
    constructor(options) {
      super(options);
      this.reportedType = 'suite';
      this.buildPhaseFinished = false;
      const ctx = new SuiteContext(this);
      try {
        const built = current.run(this, () => ReflectApply(this.fn, ctx, [ctx]));
        this.buildSuite = PromiseCtor.resolve(built)
          .then(undefined, (err) => this.fail(new TestFailure(err, kTestCodeFailure)))
          .finally(() => { this.buildPhaseFinished = true; });
      } catch (err) {
        this.fail(new TestFailure(err, kTestCodeFailure));
        this.buildPhaseFinished = true;
        this.buildSuite = PromiseCtor.resolve();
      }
      this.fn = noop;
    }
    async run() {
      const ctx = new SuiteContext(this);
      let afterRan = false;
      const after = async () => {
        if (afterRan) return;
        afterRan = true;
        await this.runHook('after', ctx);
      };
      let stop;
      try {
        this.parent.activeSubtests++;
        await this.buildSuite;
        this.startTime = now();
        if (this.parent.hooks.before.length > 0) {
          await this.parent.runHook('before', new TestContext(this.parent));
        }
        await this.runHook('before', ctx);
        stop = stopTest(this.timeout);
        const subtests = this.skipped || this.error ? [] : this.subtests;
        await race(PromiseCtor.all(subtests.map((subtest) => subtest.start())), stop);
        await after();
        this.pass();
      } catch (err) {
        try { await after(); } catch { /* the suite is failing already */ }
        if (isTestFailure(err)) this.fail(err);
        else this.fail(new TestFailure(err, kTestCodeFailure));
      } finally {
        if (stop !== undefined) stop.dispose();
      }
      this.postRun();
    }
  }

  // A hook: run like a test body (a `done` callback, a timeout), once for before and after.
  class Hook {
    constructor(fn, options, type) {
      if (options === null || typeof options !== 'object') options = {};
      this.fn = fn;
      this.loc = options.loc;
      this.duration = 0;
      this.timeout = options.timeout ?? Infinity;
      this.once = type === 'before' || type === 'after';
      this.running = undefined;
      this.error = null;
    }
    run(ctx) {
      if (this.once && this.running !== undefined) return this.running;
      this.error = null;
      this.running = this.execute(ctx);
      return this.running;
    }
    async execute(ctx) {
      const started = now();
      const stop = stopTest(this.timeout);
      try {
        if (this.fn.length === 2) {
          const { promise, cb } = deferredCallback();
          ReflectApply(this.fn, ctx, [ctx, cb]);
          await race(promise, stop);
        } else {
          await race(ReflectApply(this.fn, ctx, [ctx]), stop);
        }
      } catch (err) {
        this.error = isTestFailure(err) ? err : new TestFailure(err, kTestCodeFailure);
      } finally {
        stop.dispose();
        this.duration = milliseconds(now() - started);
      }
    }
  }

  // `t.plan(count)`: the test fails unless exactly `count` assertions (through `t.assert`)
  // or subtests ran.
  class TestPlan {
    constructor(count) {
      if (typeof count !== 'number') throw invalidArgType('count', 'of type number', count);
      this.expected = count;
      this.actual = 0;
    }
    check() {
      if (this.actual !== this.expected) {
        throw new TestFailure('plan expected ' + this.expected + ' assertions but received ' + this.actual,
          kTestCodeFailure);
      }
    }
  }
  const ASSERTIONS = ['deepEqual', 'deepStrictEqual', 'doesNotMatch', 'doesNotReject', 'doesNotThrow', 'equal',
    'fail', 'ifError', 'match', 'notDeepEqual', 'notDeepStrictEqual', 'notEqual', 'notStrictEqual', 'partialDeepStrictEqual',
    'rejects', 'strictEqual', 'throws', 'ok'];

  const tests = new WeakMap();
  function testOf(ctx) {
    const test = tests.get(ctx);
    if (test === undefined) throw new TypeErrorCtor('Illegal invocation');
    return test;
  }
  function fullName(test) {
    let name = test.name;
    for (let t = test.parent; t !== null && t !== t.root; t = t.parent) name = t.name + ' > ' + name;
    return name;
  }
  class TestContext {
    constructor(test) {
      tests.set(this, test);
    }
    get signal() { return testOf(this).signal; }
    get name() { return testOf(this).name; }
    get fullName() { return fullName(testOf(this)); }
    get error() { return testOf(this).error; }
    get passed() { return testOf(this).passed; }
    diagnostic(message) { testOf(this).diagnostic(message); }
    plan(count) {
      const test = testOf(this);
      if (test.plan !== null) throw new TestFailure('cannot set plan more than once', kTestCodeFailure);
      test.plan = new TestPlan(count);
    }
    get assert() {
      const test = testOf(this);
      const counted = { __proto__: null };
      for (const method of ASSERTIONS) {
        if (typeof assert[method] !== 'function') continue;
        counted[method] = (...args) => {
          if (test.plan !== null) test.plan.actual++;
          return ReflectApply(assert[method], this, args);
        };
      }
      return counted;
    }
    get mock() {
      const test = testOf(this);
      test.mock ??= new MockTracker();
      return test.mock;
    }
    runOnly(value) {
      if (typeof value !== 'boolean') throw invalidArgType('shouldRunOnlyTests', 'of type boolean', value);
      if (value) testOf(this).diagnostic("'only' and 'runOnly' require the --test-only command-line option.");
    }
    skip(message) { const test = testOf(this); test.skipped = true; test.message = message; }
    todo(message) { const test = testOf(this); test.isTodo = true; test.message = message; }
    test(name, options, fn) {
      const test = testOf(this);
      const subtest = test.createSubtest(Test, name, options, fn, { loc: callerLocation(this.test) });
      if (test.plan !== null) test.plan.actual++;
      return subtest.start();
    }
    before(fn, options) { testOf(this).createHook('before', fn, { ...options, loc: callerLocation(this.before) }); }
    after(fn, options) { testOf(this).createHook('after', fn, { ...options, loc: callerLocation(this.after) }); }
    beforeEach(fn, options) { testOf(this).createHook('beforeEach', fn, options); }
    afterEach(fn, options) { testOf(this).createHook('afterEach', fn, options); }
  }
  class SuiteContext {
    constructor(suite) {
      tests.set(this, suite);
    }
    get signal() { return testOf(this).signal; }
    get name() { return testOf(this).name; }
    get fullName() { return fullName(testOf(this)); }
  }

  // ------------------------------------------------------------------ the harness
  function getRoot() {
    if (root === undefined) {
      root = new Test({ name: '<root>', parent: null });
      root.allowTestsToRun = false;
      root.bootstrapComplete = false;
      root.startTime = now();
      const exitHandler = () => {
        process.removeListener('beforeExit', exitHandler);
        const finish = () => {
          root.postRun(new TestFailure('Promise resolution is still pending but the event loop has already resolved',
            kCancelledByParent));
          flush();
        };
        if (root.subtests.length === 0 && (root.hooks.before.length > 0 || root.hooks.after.length > 0)) {
          root.run().then(finish);
        } else {
          finish();
        }
      };
      process.on('beforeExit', exitHandler);
    }
    return root;
  }
  async function startSubtest(subtest) {
    const top = getRoot();
    if (!top.bootstrapComplete) {
      top.bootstrapComplete = true;
      PromiseCtor.resolve().then(() => {
        top.allowTestsToRun = true;
        top.processPendingSubtests();
      });
    }
    await subtest.start();
  }
  function runInParentContext(Factory) {
    function run(name, options, fn, overrides) {
      const parent = current.getStore() || getRoot();
      const subtest = parent.createSubtest(Factory, name, options, fn, overrides);
      if (!(parent instanceof Suite)) return startSubtest(subtest);
      return PromiseCtor.resolve();
    }
    const test = (name, options, fn) => run(name, options, fn, { loc: callerLocation(test) });
    for (const keyword of ['skip', 'todo', 'only']) {
      const variant = (name, options, fn) => run(name, options, fn, { [keyword]: true, loc: callerLocation(variant) });
      test[keyword] = variant;
    }
    return test;
  }
  function hook(name) {
    const add = (fn, options) => {
      const parent = current.getStore() || getRoot();
      parent.createHook(name, fn, { ...options, loc: callerLocation(add) });
    };
    return add;
  }

  // ------------------------------------------------------------------ mocks
  function findMethodOnPrototypeChain(instance, methodName) {
    let host = instance;
    let descriptor;
    while (host !== null) {
      descriptor = ObjectGetOwnPropertyDescriptor(host, methodName);
      if (descriptor) break;
      host = ObjectGetPrototypeOf(host);
    }
    return descriptor;
  }
  const validateTimes = (times, name) => {
    if (times !== Infinity) integerArg(times, name, 1, Number.MAX_SAFE_INTEGER);
  };
  const mockState = new WeakMap();
  class MockFunctionContext {
    constructor(implementation, restore, times) {
      mockState.set(this, { calls: [], mocks: new SafeMap(), implementation, restore, times });
    }
    get calls() { return mockState.get(this).calls.slice(0); }
    callCount() { return mockState.get(this).calls.length; }
    mockImplementation(implementation) {
      validateFunction(implementation, 'implementation');
      mockState.get(this).implementation = implementation;
    }
    mockImplementationOnce(implementation, onCall) {
      validateFunction(implementation, 'implementation');
      const state = mockState.get(this);
      const call = onCall ?? state.calls.length;
      integerArg(call, 'onCall', state.calls.length, Number.MAX_SAFE_INTEGER);
      state.mocks.set(call, implementation);
    }
    restore() {
      const state = mockState.get(this);
      const { descriptor, object, original, methodName } = state.restore;
      if (typeof methodName === 'string' || typeof methodName === 'symbol') {
        ObjectDefineProperty(object, methodName, descriptor);
      } else {
        state.implementation = original;
      }
    }
    resetCalls() { mockState.get(this).calls = []; }
  }
  function nextImplementation(ctx) {
    const state = mockState.get(ctx);
    const nextCall = state.calls.length;
    const implementation = state.mocks.get(nextCall) ?? state.implementation;
    if (nextCall + 1 === state.times) ctx.restore();
    state.mocks.delete(nextCall);
    return implementation;
  }
  const trackCall = (ctx, call) => mockState.get(ctx).calls.push(call);
  const kDefaultFunction = function() {};
  const trackers = new WeakMap();
  class MockTracker {
    constructor() {
      trackers.set(this, []);
    }
    get timers() {
      throw notSupported("node:test's mock timers");
    }
    fn(original = function() {}, implementation = original, options = {}) {
      if (original !== null && typeof original === 'object') {
        options = original;
        original = function() {};
        implementation = original;
      } else if (implementation !== null && typeof implementation === 'object') {
        options = implementation;
        implementation = original;
      }
      validateFunction(original, 'original');
      validateFunction(implementation, 'implementation');
      validateObject(options, 'options');
      const { times = Infinity } = options;
      validateTimes(times, 'options.times');
      const ctx = new MockFunctionContext(implementation, { __proto__: null, original }, times);
      return setupMock(this, ctx, original);
    }
    method(objectOrFunction, methodName, implementation = kDefaultFunction, options = {}) {
      if (typeof methodName !== 'string' && typeof methodName !== 'symbol') {
        throw invalidArgType('methodName', 'of type string or symbol', methodName);
      }
      if (typeof objectOrFunction !== 'function') validateObject(objectOrFunction, 'object');
      if (implementation !== null && typeof implementation === 'object') {
        options = implementation;
        implementation = kDefaultFunction;
      }
      validateFunction(implementation, 'implementation');
      validateObject(options, 'options');
      const { getter = false, setter = false, times = Infinity } = options;
      validateTimes(times, 'options.times');
      if (setter && getter) {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
          "The property 'options.setter' cannot be used with 'options.getter'. Received true");
      }
      const descriptor = findMethodOnPrototypeChain(objectOrFunction, methodName);
      const original = getter ? descriptor?.get : setter ? descriptor?.set : descriptor?.value;
      if (typeof original !== 'function') {
        throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
          "The argument 'methodName' must be a method. Received " + inspect(original));
      }
      const restore = { __proto__: null, descriptor, object: objectOrFunction, methodName };
      const impl = implementation === kDefaultFunction ? original : implementation;
      const ctx = new MockFunctionContext(impl, restore, times);
      const mock = setupMock(this, ctx, original);
      const mockDescriptor = { __proto__: null, configurable: descriptor.configurable, enumerable: descriptor.enumerable };
      if (getter) {
        mockDescriptor.get = mock;
        mockDescriptor.set = descriptor.set;
      } else if (setter) {
        mockDescriptor.get = descriptor.get;
        mockDescriptor.set = mock;
      } else {
        mockDescriptor.writable = descriptor.writable;
        mockDescriptor.value = mock;
      }
      ObjectDefineProperty(objectOrFunction, methodName, mockDescriptor);
      return mock;
    }
    getter(object, methodName, implementation = kDefaultFunction, options = {}) {
      return accessorMock(this, 'getter', object, methodName, implementation, options);
    }
    setter(object, methodName, implementation = kDefaultFunction, options = {}) {
      return accessorMock(this, 'setter', object, methodName, implementation, options);
    }
    reset() {
      this.restoreAll();
      trackers.set(this, []);
    }
    restoreAll() {
      for (const ctx of trackers.get(this)) ctx.restore();
    }
    module() {
      throw notSupported("node:test's module mocks");
    }
  }
  // `mock.getter` / `mock.setter`: `mock.method` of that accessor (`kind` may not be false).
  function accessorMock(tracker, kind, object, methodName, implementation, options) {
    if (implementation !== null && typeof implementation === 'object') {
      options = implementation;
      implementation = kDefaultFunction;
    }
    validateObject(options, 'options');
    if (options[kind] === false) {
      throw codedError(TypeErrorCtor, 'ERR_INVALID_ARG_VALUE',
        "The property 'options." + kind + "' cannot be false. Received false");
    }
    return tracker.method(object, methodName, implementation, { ...options, [kind]: true });
  }
  function setupMock(tracker, ctx, fnToMatch) {
    const mock = new ProxyCtor(fnToMatch, {
      __proto__: null,
      apply(_fn, thisArg, argList) {
        const fn = nextImplementation(ctx);
        let result;
        let error;
        try {
          result = ReflectApply(fn, thisArg, argList);
        } catch (err) {
          error = err;
          throw err;
        } finally {
          trackCall(ctx, { __proto__: null, arguments: argList, error, result, stack: new ErrorCtor(),
            target: undefined, this: thisArg });
        }
        return result;
      },
      construct(target, argList, newTarget) {
        const realTarget = nextImplementation(ctx);
        let result;
        let error;
        try {
          result = ReflectConstruct(realTarget, argList, newTarget);
        } catch (err) {
          error = err;
          throw err;
        } finally {
          trackCall(ctx, { __proto__: null, arguments: argList, error, result, stack: new ErrorCtor(),
            target, this: result });
        }
        return result;
      },
      get(target, property, receiver) {
        if (property === 'mock') return ctx;
        return ReflectGet(target, property, receiver);
      },
    });
    trackers.get(tracker).push(ctx);
    return mock;
  }

  // ------------------------------------------------------------------ the module
  const test = runInParentContext(Test);
  const suite = runInParentContext(Suite);
  let globalMock;
  const exports = test;
  Object.assign(exports, {
    after: hook('after'),
    afterEach: hook('afterEach'),
    before: hook('before'),
    beforeEach: hook('beforeEach'),
    describe: suite,
    it: test,
    run() { throw notSupported("node:test's run() (test files in their own processes)"); },
    suite,
    test,
  });
  ObjectDefineProperty(exports, 'mock', {
    __proto__: null,
    configurable: true,
    enumerable: true,
    get() {
      globalMock ??= new MockTracker();
      return globalMock;
    },
  });
  return exports;
});
