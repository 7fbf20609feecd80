'use strict';
// The Node side of the sandbox: runs one untrusted program in a fresh V8 context, in a process
// started for this program alone, and reports how it ended.
//
// Protocol with the Python driver (chalicelib/sandbox.py):
//   argv    --result-fd=N --stderr-fd=E --memory-limit-mb=MB
//   stdin   one JSON object, UTF-8: {"code", "stdin", "args", "output_limit"}
//   fd 1    the program's stdout (console.log/info/debug, process.stdout.write), capped
//   fd E    the program's stderr (console.error/warn/trace, process.stderr.write), capped
//   fd N    JSON lines: {"started": true, "cpu_us"} when the program begins (the CPU time spent
//           before it is the harness's, not the program's), then one of
//           {"reason": "completed"|"error"|"output_limit", "result"?, "error"?,
//            "memory_exhausted"?, "exit_code"?, "stream"?}
// Node's own stderr (fd 2) is left to V8 and Node. The program can write only through the
// functions that go to fd 1 and fd E, so nothing it prints can reach fd N and forge a result.
//
// Time and memory are enforced from outside (wall-clock kill of the process group, rlimits,
// V8 heap size): no in-process timeout can be trusted to fire.
//
// Why Node's internals: V8 calls two embedder hooks straight from program code, error-stack
// formatting and dynamic import(). Node answers both with JavaScript of the host realm, and a
// program that calls them with its stack nearly full makes that JavaScript overflow on entry,
// which hands the program a RangeError of the host realm (and with it the host's constructors).
// So both hooks are replaced, before the program arrives, by functions of the program's own
// realm (runner/context/): whatever overflows there is an error of the program's realm.
// `--expose-internals` is what makes the two setters reachable; the program never sees them.

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { types } = require('node:util');
const { internalBinding } = require('internal/test/binding');

const USER_FILENAME = 'main.js';
// The parts of the code that runs in the program's realm, in the order they build on each other.
const CONTEXT_PARTS = ['primordials', 'layout', 'inspect', 'errors', 'console', 'timers', 'process',
  'globals'];
const { getProxyDetails, getPromiseDetails } = internalBinding('util');
const { setPrepareStackTraceCallback } = internalBinding('errors');
const { setImportModuleDynamicallyCallback } = internalBinding('module_wrap');

function parseArgs(argv) {
  const options = { resultFd: 3, stderrFd: 4, outputLimit: 1 << 20, memoryLimitMb: 256 };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--result-fd') options.resultFd = Number(value);
    else if (key === '--stderr-fd') options.stderrFd = Number(value);
    else if (key === '--memory-limit-mb') options.memoryLimitMb = Number(value);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
let reported = false;
// Bytes written so far to the program's stdout (1) and stderr (2), each capped at the limit.
const written = { 1: 0, 2: 0 };

// Write the one result line and stop at once: nothing the program scheduled may run after its
// outcome is decided. The process then waits to be killed, so that the driver can read its peak
// memory from the kernel (/proc/<pid>/status, gone once a process exits); it exits by itself
// only if no driver does so in time.
const HOLD_MS = 10000;
function report(outcome) {
  if (reported) return;
  reported = true;
  fs.writeSync(options.resultFd, JSON.stringify(outcome) + '\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, HOLD_MS);
  process.exit(0);
}

// The result and the error travel as strings capped like the output (the context bounds them
// first, so this never copies more than a few times the cap).
function capped(text) {
  if (typeof text !== 'string') return '[not a string]';
  if (text.length <= options.outputLimit / 3 || Buffer.byteLength(text) <= options.outputLimit) {
    return text;
  }
  return Buffer.from(text.slice(0, options.outputLimit)).subarray(0, options.outputLimit).toString();
}

// Whether the process is really out of memory, measured here rather than read from anything the
// program wrote: can the harness still get half of the run's memory limit? An ArrayBuffer is
// counted by RLIMIT_DATA as soon as it is mapped and costs no time (its pages are never touched).
function memoryExhausted() {
  try {
    new ArrayBuffer(Math.max(1, options.memoryLimitMb >> 1) * (1 << 20));
    return false;
  } catch {
    return true;
  }
}

// ---- the host functions the context may call. They accept primitives only (except `typeTag`
// and `proxyDetails`, which pass a program value to V8's own C++ type checks and run no
// JavaScript on it), and never throw into the context: `guarded` turns any failure inside them
// into a message string that the context turns into an error of its own realm. A failure on
// entry (a stack overflow before the `try`) is caught on the context's side of the call.
function guarded(fn) {
  return (a, b, c) => {
    try {
      fn(a, b, c);
      return '';
    } catch (err) {
      try {
        if (err && err.code === 'EPIPE') process.exit(0); // the driver stopped reading
        return typeof err.message === 'string' ? err.message : 'host call failed';
      } catch {
        return 'host call failed';
      }
    }
  };
}

// Print to the program's stdout (stream 1) or stderr (2): a console line (a newline added) or,
// `raw`, exactly the text (process.stdout.write). A string of n characters has at least n UTF-8
// bytes, so only the part that can fit is ever copied: a 100 MB string costs the harness no more
// than the output cap.
function write(text, stream, raw) {
  if (typeof text !== 'string') return;
  const which = stream === 2 ? 2 : 1;
  const fd = which === 2 ? options.stderrFd : 1;
  const end = raw === true ? '' : '\n';
  const room = options.outputLimit - written[which];
  const line = text.length < room ? text + end : text.slice(0, room) + end;
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length > room) {
    if (room > 0) fs.writeSync(fd, bytes, 0, room);
    written[which] = options.outputLimit;
    report({ reason: 'output_limit', stream: which });
    return;
  }
  if (bytes.length > 0) fs.writeSync(fd, bytes);
  written[which] += bytes.length;
}

// process.exit(code) from the program: its outcome is decided now (the code is a number the
// context has already checked). `completion` is the result shown, once the script has run.
let completion = null;
function exit(code) {
  report({ reason: 'completed', result: completion, exit_code: exitStatus(code) });
}

function exitStatus(code) {
  return typeof code === 'number' && Number.isInteger(code) ? ((code % 256) + 256) % 256 : 0;
}

// Timers: the context keeps the callbacks; the host only learns an id, a delay and a kind.
const TIMEOUT_MAX = 2 ** 31 - 1;
const hostTimers = new Map();
let fire = null;

function schedule(id, delay, kind) {
  if (typeof id !== 'number' || typeof delay !== 'number') return;
  const ms = delay >= 1 && delay <= TIMEOUT_MAX ? Math.trunc(delay) : 1;
  const callback = () => {
    if (kind !== 'interval') hostTimers.delete(id);
    fire(id);
  };
  const handle = kind === 'immediate' ? setImmediate(callback)
    : kind === 'interval' ? setInterval(callback, ms) : setTimeout(callback, ms);
  hostTimers.set(id, { handle, immediate: kind === 'immediate' });
}

function cancel(id) {
  const timer = hostTimers.get(id);
  if (timer === undefined) return;
  hostTimers.delete(id);
  if (timer.immediate) clearImmediate(timer.handle);
  else clearTimeout(timer.handle); // clears intervals too
}

// ref/unref/refresh of a timer, as Node's Timeout objects offer them.
function control(id, action) {
  const timer = hostTimers.get(id);
  if (timer === undefined) return;
  const { handle } = timer;
  if (action === 'ref') handle.ref();
  else if (action === 'unref') handle.unref();
  else if (action === 'refresh' && typeof handle.refresh === 'function') handle.refresh();
}

function microtask(id) {
  if (typeof id === 'number') queueMicrotask(() => fire(id));
}

function hostFail(message, rangeError) {
  report({
    reason: 'error',
    error: typeof message === 'string' ? capped(message) : 'Uncaught exception',
    memory_exhausted: rangeError === true && memoryExhausted(),
  });
}

// What kind of object a program value is, from V8's own type checks (no trap, getter or hook of
// the program runs). Returns a tag string.
function typeTag(value) {
  try {
    if (types.isProxy(value)) return 'proxy';
    if (types.isNativeError(value)) return 'error';
    if (types.isMap(value)) return 'map';
    if (types.isSet(value)) return 'set';
    if (types.isDate(value)) return 'date';
    if (types.isRegExp(value)) return 'regexp';
    if (types.isPromise(value)) return 'promise';
    if (types.isTypedArray(value)) return 'typedarray';
    if (types.isArrayBuffer(value)) return 'arraybuffer';
    if (types.isSharedArrayBuffer(value)) return 'sharedarraybuffer';
    if (types.isDataView(value)) return 'dataview';
    if (types.isWeakMap(value)) return 'weakmap';
    if (types.isWeakSet(value)) return 'weakset';
    if (types.isBoxedPrimitive(value)) return 'boxed';
    if (types.isMapIterator(value)) return 'mapiterator';
    if (types.isSetIterator(value)) return 'setiterator';
    if (types.isGeneratorObject(value)) return 'generator';
    if (types.isAsyncFunction(value)) return types.isGeneratorFunction(value) ? 'asyncgeneratorfunction' : 'asyncfunction';
    if (types.isGeneratorFunction(value)) return 'generatorfunction';
    if (types.isModuleNamespaceObject(value)) return 'module';
    return '';
  } catch {
    return '';
  }
}

// A proxy's target and handler (null for a revoked proxy), or a promise's state and value: what
// Node's inspect shows, read by V8 without running any of the program's code.
function proxyDetails(value) {
  return getProxyDetails(value, true);
}

function promiseDetails(value) {
  return getPromiseDetails(value);
}

// Bytes the JavaScript heap can still grow by (its limit is the run's memory limit): whether a
// long string can be flattened to cut it. (Not node:v8, which takes 6 ms to load.)
function heapRoom() {
  return options.memoryLimitMb * (1 << 20) - process.memoryUsage().heapUsed;
}

// A compile error is a host-realm object made by vm.Script from the program's text; it holds no
// program value, so reading its message and stack here is safe.
function syntaxErrorText(err) {
  const lines = String(err.stack).split('\n');
  const internal = lines.findIndex((line) => /^\s+at /.test(line));
  return (internal === -1 ? lines : lines.slice(0, internal)).join('\n').trimEnd();
}

function main() {
  // Build the context first: a process started ahead of need does this while it waits for its
  // program, off the program's clock. Code generation from strings is on in the program's realm
  // only (eval there creates nothing the program could not write itself); the host keeps it off
  // (--disallow-code-generation-from-strings), which is what makes any leaked host Function inert.
  const context = vm.createContext(vm.constants.DONT_CONTEXTIFY, {
    name: 'submission',
    codeGeneration: { strings: true, wasm: false },
  });
  let shared = null;
  for (const part of CONTEXT_PARTS) {
    const source = fs.readFileSync(path.join(__dirname, 'context', part + '.js'), 'utf8');
    const install = new vm.Script(source, { filename: `evaluator:context/${part}.js` })
      .runInContext(context);
    if (shared === null) {
      shared = install(guarded(write), guarded(schedule), guarded(cancel), guarded(control),
        guarded(microtask), guarded(hostFail), typeTag, proxyDetails, promiseDetails, heapRoom,
        guarded(exit), process.version);
    } else {
      install(shared);
    }
  }
  // What the host calls; read now, before the program can run (the object has no prototype).
  const sandbox = { formatResult: shared.formatResult, describeError: shared.describeError,
    isRangeError: shared.isRangeError, setSource: shared.setSource, fire: shared.fire,
    prepareStackTrace: shared.prepareStackTrace, importModule: shared.importModule,
    ready: shared.ready, setInput: shared.setInput, beforeEnd: shared.beforeEnd };
  shared = null;
  const { formatResult, describeError, isRangeError, setSource, prepareStackTrace, importModule,
    setInput, beforeEnd } = sandbox;
  fire = sandbox.fire;
  setPrepareStackTraceCallback(prepareStackTrace);
  setImportModuleDynamicallyCallback(importModule);
  sandbox.ready(__filename);

  process.on('uncaughtException', () => report({ reason: 'error', error: 'Uncaught exception' }));
  process.on('unhandledRejection', (reason) => hostFail(describeError(reason), isRangeError(reason)));

  const job = JSON.parse(fs.readFileSync(0, 'utf8'));
  const code = typeof job.code === 'string' ? job.code : '';
  if (Number.isInteger(job.output_limit) && job.output_limit > 0) options.outputLimit = job.output_limit;
  const args = Array.isArray(job.args) ? job.args.filter((a) => typeof a === 'string') : [];
  setInput(typeof job.stdin === 'string' ? job.stdin : '', JSON.stringify(args));
  const usage = process.cpuUsage();
  fs.writeSync(options.resultFd, JSON.stringify({ started: true, cpu_us: usage.user + usage.system }) + '\n');
  setSource(code);

  let script;
  try {
    script = new vm.Script(code, { filename: USER_FILENAME });
  } catch (err) {
    report({ reason: 'error', error: syntaxErrorText(err) });
    return;
  }

  let value;
  try {
    // displayErrors: false, or Node's C++ would read the thrown value's `stack` from the host.
    value = script.runInContext(context, { displayErrors: false });
  } catch (err) {
    hostFail(describeError(err), isRangeError(err));
    return;
  }
  // The completion value is fixed now, as a REPL would show it; the program may still have
  // timers and promises to settle, and it is done when Node's event loop has nothing left.
  completion = capped(formatResult(value));
  // Node's 'exit' event, then the exit code the program set (process.exitCode), both asked of the
  // context, which answers with a number (and prints what its listeners print).
  process.once('beforeExit', () => {
    const status = beforeEnd();
    report({ reason: 'completed', result: completion, exit_code: exitStatus(status) });
  });
}

main();
