// What judge programs written for Node expect, made in the program's realm from the run's input:
// `process` (argv, env, exit, exitCode, stdin, stdout, stderr, hrtime, nextTick, 'exit'), and
// `require` of the few modules that are pure computation or the standard input: fs (reading
// stdin only), readline, events, util, assert. Nothing here holds a host value: stdin is a string
// the host handed over, and the only host calls are the guarded write and exit, with primitives.
// See primordials.js for the rules every part keeps; the program's own objects (the emitters,
// the streams) are the program's to break, and breaking them reaches nothing else.
(function processPart(shared) {
  'use strict';
  const { ArrayIsArray, ArrayPush, BigIntCtor, DateNow, ErrorCtor, JSONParse, MathFloor, MathTrunc,
    NumberCtor, ObjectHasOwn, ObjectIs, ObjectKeys, PromiseCtor, PromiseResolve, ReflectApply,
    ReflectDefineProperty, ReflectGetPrototypeOf, ReflectSetPrototypeOf, StringCharCodeAt,
    StringIndexOf, StringSlice, SymbolAsyncIterator, TypeErrorCtor, addMicrotask, addTimer,
    callHost, fail, formatArgs, hostExit, hostWrite, inspect, isObject, list, nodeVersion,
    text } = shared;
  const STARTED = DateNow();

  // ---- the run's input, handed over once by the harness ---------------------------------------
  let input = '';
  let inputTaken = false;
  // An ordinary array (programs slice it), filled before the program runs.
  const argv = ['node', '/main.js'];
  function setInput(stdin, argsJson) {
    input = typeof stdin === 'string' ? stdin : '';
    const args = JSONParse(typeof argsJson === 'string' ? argsJson : '[]');
    for (let i = 0; i < args.length; i++) argv[i + 2] = args[i];
  }
  // Standard input is read once, as from a pipe: whoever reads it first gets it all.
  function takeInput() {
    if (inputTaken) return '';
    inputTaken = true;
    return input;
  }
  const soon = (fn) => addTimer(fn, 0, [], 'immediate');
  const resolved = (value) => ReflectApply(PromiseResolve, PromiseCtor, [value]);

  function nodeError(Ctor, message, code) {
    const error = new Ctor(message);
    ReflectDefineProperty(error, 'code', {
      __proto__: null, value: code, writable: true, enumerable: true, configurable: true });
    return error;
  }

  // ---- events ---------------------------------------------------------------------------------
  class EventEmitter {
    #listeners = { __proto__: null };
    on(name, listener) { return this.addListener(name, listener); }
    addListener(name, listener) {
      if (typeof listener !== 'function') {
        throw nodeError(TypeErrorCtor, 'The "listener" argument must be of type function',
          'ERR_INVALID_ARG_TYPE');
      }
      const key = typeof name === 'symbol' ? name : text(name);
      if (this.#listeners[key] === undefined) this.#listeners[key] = list();
      ArrayPush(this.#listeners[key], listener);
      this.listenerAdded(key);
      return this;
    }
    prependListener(name, listener) { return this.addListener(name, listener); }
    once(name, listener) {
      if (typeof listener !== 'function') return this.addListener(name, listener);
      const self = this;
      function wrapper(...args) {
        self.removeListener(name, wrapper);
        return ReflectApply(listener, self, args);
      }
      wrapper.listener = listener;
      return this.addListener(name, wrapper);
    }
    off(name, listener) { return this.removeListener(name, listener); }
    removeListener(name, listener) {
      const key = typeof name === 'symbol' ? name : text(name);
      const current = this.#listeners[key];
      if (current === undefined) return this;
      const kept = list();
      let removed = false;
      for (let i = 0; i < current.length; i++) {
        const l = current[i];
        if (!removed && (l === listener || l.listener === listener)) { removed = true; continue; }
        ArrayPush(kept, l);
      }
      this.#listeners[key] = kept;
      return this;
    }
    removeAllListeners(name) {
      if (name === undefined) this.#listeners = { __proto__: null };
      else delete this.#listeners[typeof name === 'symbol' ? name : text(name)];
      return this;
    }
    emit(name, ...args) {
      const key = typeof name === 'symbol' ? name : text(name);
      const current = this.#listeners[key];
      if (current === undefined || current.length === 0) {
        if (key === 'error') throw args.length ? args[0] : new ErrorCtor('Unhandled error.');
        return false;
      }
      const snapshot = list();
      for (let i = 0; i < current.length; i++) ArrayPush(snapshot, current[i]);
      for (let i = 0; i < snapshot.length; i++) ReflectApply(snapshot[i], this, args);
      return true;
    }
    listenerCount(name) {
      const current = this.#listeners[typeof name === 'symbol' ? name : text(name)];
      return current === undefined ? 0 : current.length;
    }
    listeners(name) {
      const current = this.#listeners[typeof name === 'symbol' ? name : text(name)];
      const out = [];
      if (current !== undefined) for (let i = 0; i < current.length; i++) out[i] = current[i].listener || current[i];
      return out;
    }
    eventNames() { return ObjectKeys(this.#listeners); }
    setMaxListeners() { return this; }
    getMaxListeners() { return 10; }
    // A hook for the streams below: a listener was added for `name`.
    listenerAdded() {}
  }
  EventEmitter.EventEmitter = EventEmitter;
  EventEmitter.defaultMaxListeners = 10;

  // ---- process.stdin ---------------------------------------------------------------------------
  // A readable stream with the whole input: 'data' (one chunk, a string), 'end', 'close'; or
  // 'readable' and read(); or async iteration. It flows once a 'data' listener is added or
  // resume() is called, as Node's does, and only then keeps the run alive.
  class Socket extends EventEmitter {
    #scheduled = false;
    #ended = false;
    #pending = null;
    #encoding = null;
    fd = 0;
    isTTY = false;
    readable = true;
    setEncoding(encoding) { this.#encoding = encoding === undefined ? 'utf8' : encoding; return this; }
    resume() { this.#flow(); return this; }
    pause() { return this; }
    unref() { return this; }
    ref() { return this; }
    destroy() { this.#ended = true; return this; }
    read() {
      if (this.#pending === null) this.#pending = takeInput();
      const chunk = this.#pending;
      this.#pending = '';
      return chunk === '' ? null : chunk;
    }
    listenerAdded(name) {
      if (name === 'data' || name === 'end') this.#flow();
      else if (name === 'readable') this.#announce();
    }
    #flow() {
      if (this.#scheduled) return;
      this.#scheduled = true;
      soon(() => {
        const chunk = this.read();
        if (chunk !== null) this.emit('data', chunk);
        this.#end();
      });
    }
    #announce() {
      if (this.#scheduled) return;
      this.#scheduled = true;
      soon(() => {
        this.emit('readable');
        this.emit('readable');
        this.#end();
      });
    }
    #end() {
      if (this.#ended) return;
      this.#ended = true;
      this.readable = false;
      this.emit('end');
      this.emit('close');
    }
    [SymbolAsyncIterator]() {
      let done = false;
      const self = this;
      return {
        next() {
          if (done) return resolved({ value: undefined, done: true });
          done = true;
          const chunk = self.read();
          return resolved(chunk === null ? { value: undefined, done: true } : { value: chunk, done: false });
        },
        return() { done = true; return resolved({ value: undefined, done: true }); },
        [SymbolAsyncIterator]() { return this; },
      };
    }
  }

  // ---- process.stdout, process.stderr --------------------------------------------------------
  class WriteStream extends EventEmitter {
    #stream;
    isTTY = false;
    writable = true;
    constructor(stream) { super(); this.#stream = stream; this.fd = stream; }
    write(chunk, encoding, callback) {
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof chunk !== 'string' && !isObject(chunk)) {
        throw nodeError(TypeErrorCtor, 'The "chunk" argument must be of type string or an ' +
          'instance of Buffer, TypedArray, or DataView.' + ' Received ' + inspect(chunk),
        'ERR_INVALID_ARG_TYPE');
      }
      callHost(hostWrite, typeof chunk === 'string' ? chunk : text(chunk), this.#stream, true);
      if (typeof done === 'function') addMicrotask(done);
      return true;
    }
    end(chunk, encoding, callback) {
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') this.write(chunk, encoding);
      const done = typeof chunk === 'function' ? chunk : typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') addMicrotask(done);
      return this;
    }
    cork() {}
    uncork() {}
  }

  // ---- process --------------------------------------------------------------------------------
  let exiting = false;
  // An exit code as Node takes it: an integer (or a string of one); undefined and null mean 0.
  function exitCodeOf(value) {
    if (value === undefined || value === null) return 0;
    const n = typeof value === 'string' && value !== '' ? NumberCtor(value) : value;
    if (typeof n === 'number' && MathTrunc(n) === n && n === n) return n;
    throw nodeError(TypeErrorCtor, 'The "code" argument must be of type number. Received ' +
      inspect(value), 'ERR_INVALID_ARG_TYPE');
  }
  class Process extends EventEmitter {
    exitCode = undefined;
    exit(code) {
      const status = exitCodeOf(code === undefined ? process.exitCode : code);
      if (!exiting) {
        exiting = true;
        process.exitCode = status;
        try { process.emit('exit', status); } catch (err) { fail(err); }
      }
      callHost(hostExit, exitCodeOf(process.exitCode));
    }
    nextTick(callback, ...args) {
      if (typeof callback !== 'function') {
        throw nodeError(TypeErrorCtor, 'The "callback" argument must be of type function. ' +
          'Received ' + inspect(callback), 'ERR_INVALID_ARG_TYPE');
      }
      addMicrotask(() => ReflectApply(callback, undefined, args));
    }
    hrtime(previous) {
      const ms = DateNow();
      let seconds = MathFloor(ms / 1000);
      let nanos = (ms % 1000) * 1e6;
      if (ArrayIsArray(previous)) {
        seconds -= previous[0];
        nanos -= previous[1];
        if (nanos < 0) { seconds -= 1; nanos += 1e9; }
      }
      return [seconds, nanos];
    }
    cwd() { return '/'; }
    uptime() { return (DateNow() - STARTED) / 1000; }
    memoryUsage() { return { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }; }
    cpuUsage() { return { user: 0, system: 0 }; }
    emitWarning(warning) { callHost(hostWrite, '(node) Warning: ' + text(warning), 2, false); }
  }
  const process = new Process();
  process.hrtime.bigint = () => BigIntCtor(DateNow()) * 1000000n;
  process.argv = argv;
  process.argv0 = 'node';
  process.execArgv = [];
  process.execPath = '/usr/local/bin/node';
  process.env = {};
  process.platform = 'linux';
  process.arch = 'x64';
  process.version = nodeVersion;
  process.versions = { node: StringSlice(nodeVersion, 1) };
  process.release = { name: 'node' };
  process.title = 'node';
  process.stdin = new Socket();
  process.stdout = new WriteStream(1);
  process.stderr = new WriteStream(2);

  // At the end of a run that did not call process.exit: its 'exit' listeners, then its exit code
  // (reading process.exitCode runs only the program's own code, in its own realm).
  function beforeEnd() {
    try {
      if (!exiting) {
        exiting = true;
        process.emit('exit', exitCodeOf(process.exitCode));
      }
      return exitCodeOf(process.exitCode);
    } catch (err) {
      fail(err);
      return 1;
    }
  }

  // ---- modules ------------------------------------------------------------------------------
  const STDIN_PATHS = { __proto__: null, '/dev/stdin': true, '/proc/self/fd/0': true };
  function accessDenied(path) {
    const error = nodeError(ErrorCtor, 'Access to this API has been restricted', 'ERR_ACCESS_DENIED');
    error.permission = 'FileSystemRead';
    error.resource = text(path);
    return error;
  }
  const isStdin = (path) => path === 0 || (typeof path === 'string' && STDIN_PATHS[path] === true);
  const fs = {
    readFileSync(path) {
      if (!isStdin(path)) throw accessDenied(path);
      return takeInput();
    },
    existsSync(path) { return isStdin(path); },
    writeFileSync(path) { throw accessDenied(path); },
    appendFileSync(path) { throw accessDenied(path); },
    writeSync(fd, chunk) {
      if (fd !== 1 && fd !== 2) throw accessDenied(fd);
      callHost(hostWrite, typeof chunk === 'string' ? chunk : text(chunk), fd, true);
      return typeof chunk === 'string' ? chunk.length : 0;
    },
  };
  fs.promises = { readFile(path) { return resolved(fs.readFileSync(path)); } };

  // readline: lines of the input, as 'line' events then 'close', or by async iteration.
  class Interface extends EventEmitter {
    #lines = null;
    #next = 0;
    #closed = false;
    #output;
    #prompt = '> ';
    #scheduled = false;
    #questions = list();
    terminal = false;
    constructor(options) {
      super();
      const output = isObject(options) ? options.output : undefined;
      this.#output = isObject(output) && typeof output.write === 'function' ? output : null;
      soon(() => this.#deliver());
    }
    #all() {
      if (this.#lines === null) {
        this.#lines = list();
        const data = takeInput();
        let start = 0;
        for (let i = StringIndexOf(data, '\n'); i !== -1; i = StringIndexOf(data, '\n', i + 1)) {
          const end = i > start && StringCharCodeAt(data, i - 1) === 13 ? i - 1 : i;
          ArrayPush(this.#lines, StringSlice(data, start, end));
          start = i + 1;
        }
        if (start < data.length) ArrayPush(this.#lines, StringSlice(data, start));
      }
      return this.#lines;
    }
    #deliver() {
      if (this.#scheduled) return;
      this.#scheduled = true;
      const lines = this.#all();
      while (!this.#closed && this.#next < lines.length) {
        const line = lines[this.#next++];
        if (this.#questions.length) {
          const answer = this.#questions[0];
          const rest = list();
          for (let i = 1; i < this.#questions.length; i++) ArrayPush(rest, this.#questions[i]);
          this.#questions = rest;
          ReflectApply(answer, undefined, [line]);
        } else {
          this.emit('line', line);
        }
      }
      this.close();
    }
    close() {
      if (this.#closed) return;
      this.#closed = true;
      this.emit('close');
    }
    question(query, options, callback) {
      const answer = typeof options === 'function' ? options : callback;
      if (this.#output) this.#output.write(text(query));
      if (typeof answer === 'function') ArrayPush(this.#questions, answer);
    }
    setPrompt(prompt) { this.#prompt = text(prompt); }
    getPrompt() { return this.#prompt; }
    prompt() { if (this.#output) this.#output.write(this.#prompt); }
    write() {}
    pause() { return this; }
    resume() { return this; }
    [SymbolAsyncIterator]() {
      const lines = this.#all();
      const self = this;
      self.#scheduled = true; // iteration takes the lines: no 'line' events as well
      return {
        next() {
          if (self.#next < lines.length) return resolved({ value: lines[self.#next++], done: false });
          self.close();
          return resolved({ value: undefined, done: true });
        },
        return() { self.close(); return resolved({ value: undefined, done: true }); },
        [SymbolAsyncIterator]() { return this; },
      };
    }
  }
  const readline = {
    createInterface(input, output) {
      return new Interface(isObject(input) && !(input instanceof Socket) ? input : { input, output });
    },
    Interface,
  };

  const util = {
    format(...args) { return formatArgs(args); },
    inspect(value, options) { return inspect(value, isObject(options) ? options : undefined); },
    isDeepStrictEqual(a, b) { return deepEqual(a, b, 0); },
    inherits(ctor, superCtor) { ReflectSetPrototypeOf(ctor.prototype, superCtor.prototype); },
    promisify(fn) {
      return (...args) => new PromiseCtor((ok, no) => {
        ReflectApply(fn, undefined, [...args, (err, value) => (err ? no(err) : ok(value))]);
      });
    },
    types: {},
  };

  // ---- assert ---------------------------------------------------------------------------------
  class AssertionError extends ErrorCtor {
    constructor(options) {
      super(isObject(options) ? text(options.message) : 'Failed');
      this.name = 'AssertionError';
      this.code = 'ERR_ASSERTION';
      if (isObject(options)) {
        this.actual = options.actual;
        this.expected = options.expected;
        this.operator = options.operator;
      }
    }
  }
  function deepEqual(a, b, depth) {
    if (ObjectIs(a, b)) return true;
    if (!isObject(a) || !isObject(b) || depth > 100) return false;
    if (ReflectGetPrototypeOf(a) !== ReflectGetPrototypeOf(b)) return false;
    const keysA = ObjectKeys(a);
    const keysB = ObjectKeys(b);
    if (keysA.length !== keysB.length) return false;
    for (let i = 0; i < keysA.length; i++) {
      const key = keysA[i];
      if (!ObjectHasOwn(b, key) || !deepEqual(a[key], b[key], depth + 1)) return false;
    }
    return true;
  }
  function check(ok, message, actual, expected, operator, describe) {
    if (ok) return;
    if (isObject(message) && message instanceof ErrorCtor) throw message;
    throw new AssertionError({
      message: message !== undefined ? message : describe(), actual, expected, operator });
  }
  const show = (value) => inspect(value);
  function assert(value, message) {
    check(value, message, value, true, '==', () => 'The expression evaluated to a falsy value:\n\n  assert(' + show(value) + ')\n');
  }
  assert.ok = (value, message) => check(value, message, value, true, '==',
    () => 'The expression evaluated to a falsy value:\n\n  assert.ok(' + show(value) + ')\n');
  assert.equal = (a, b, message) => check(a == b, message, a, b, '==', () => show(a) + ' == ' + show(b));
  assert.notEqual = (a, b, message) => check(a != b, message, a, b, '!=', () => show(a) + ' != ' + show(b));
  assert.strictEqual = (a, b, message) => check(ObjectIs(a, b), message, a, b, 'strictEqual',
    () => 'Expected values to be strictly equal:\n\n' + show(a) + ' !== ' + show(b) + '\n');
  assert.notStrictEqual = (a, b, message) => check(!ObjectIs(a, b), message, a, b, 'notStrictEqual',
    () => 'Expected "actual" to be strictly unequal to: ' + show(b));
  assert.deepStrictEqual = (a, b, message) => check(deepEqual(a, b, 0), message, a, b, 'deepStrictEqual',
    () => 'Expected values to be strictly deep-equal:\n' + show(a) + '\n\nshould equal\n\n' + show(b));
  assert.deepEqual = assert.deepStrictEqual;
  assert.notDeepStrictEqual = (a, b, message) => check(!deepEqual(a, b, 0), message, a, b,
    'notDeepStrictEqual', () => 'Expected "actual" not to be strictly deep-equal to: ' + show(b));
  assert.fail = (message) => { throw new AssertionError({ message: message === undefined ? 'Failed' : message }); };
  assert.throws = (fn, expected, message) => {
    try { fn(); } catch { return; }
    throw new AssertionError({ message: typeof expected === 'string' ? expected : message !== undefined ? message : 'Missing expected exception.' });
  };
  assert.AssertionError = AssertionError;
  assert.strict = assert;

  const OFFERED = { __proto__: null, fs, readline, events: EventEmitter, util, assert };
  OFFERED['assert/strict'] = assert;
  const OFFERED_NAMES = 'fs (standard input only), readline, events, util, assert';
  const module = { id: '.', filename: '/main.js', loaded: false, children: [], paths: [], exports: {} };
  function require(name) {
    if (typeof name !== 'string') {
      throw nodeError(TypeErrorCtor, 'The "id" argument must be of type string. Received ' + inspect(name),
        'ERR_INVALID_ARG_TYPE');
    }
    const bare = StringIndexOf(name, 'node:') === 0 ? StringSlice(name, 5) : name;
    const found = OFFERED[bare];
    if (found !== undefined) return found;
    throw nodeError(ErrorCtor, "Cannot find module '" + name + "'\n" +
      'Programs here may require only: ' + OFFERED_NAMES + '.', 'MODULE_NOT_FOUND');
  }
  require.main = module;
  require.cache = {};
  require.resolve = (name) => { require(name); return name; };

  shared.beforeEnd = beforeEnd;
  shared.module = module;
  shared.process = process;
  shared.require = require;
  shared.setInput = setInput;
})
