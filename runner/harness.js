'use strict';
// The Node side of the sandbox: runs one untrusted program in a fresh V8 context, in a process
// started for this program alone, and reports how it ended.
//
// Protocol with the Python driver (chalicelib/sandbox.py):
//   argv    --result-fd=N --output-limit=BYTES
//   stdin   the program's source, UTF-8
//   fd 1    what the program prints (console.*), capped at BYTES
//   fd N    one JSON line: {"reason": "completed"|"error"|"output_limit", "result"?, "error"?}
// The program can write only through its console, which goes to fd 1, so nothing it prints can
// reach fd N and forge a result.
//
// Time and memory are enforced from outside (wall-clock kill of the process group, rlimits,
// V8 heap size): no in-process timeout can be trusted to fire.

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const USER_FILENAME = 'main.js';

function parseArgs(argv) {
  const options = { resultFd: 3, outputLimit: 1 << 20 };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--result-fd') options.resultFd = Number(value);
    else if (key === '--output-limit') options.outputLimit = Number(value);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
let reported = false;
let outputBytes = 0;

// Write the one result line and end the process at once: nothing the program scheduled may run
// after its outcome is decided.
function report(outcome) {
  if (reported) return;
  reported = true;
  fs.writeSync(options.resultFd, JSON.stringify(outcome) + '\n');
  process.exit(0);
}

// The result and the error travel as strings capped like the output.
function capped(text) {
  if (typeof text !== 'string') return '[not a string]';
  if (text.length <= options.outputLimit / 3 || Buffer.byteLength(text) <= options.outputLimit) {
    return text;
  }
  return Buffer.from(text.slice(0, options.outputLimit)).subarray(0, options.outputLimit).toString();
}

// ---- the four host functions the context may call. They accept primitives only, and never
// throw into the context (a host-realm error would hand the program the host's constructors):
// `guarded` turns any failure, a stack overflow included, into a message string that the
// context turns into an error of its own realm.
function guarded(fn) {
  return (...args) => {
    try {
      fn(...args);
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

// Print one line. A string of n characters has at least n UTF-8 bytes, so only the part that can
// fit is ever copied: a 100 MB string costs the harness no more than the output cap.
function write(text) {
  if (typeof text !== 'string') return;
  const room = options.outputLimit - outputBytes;
  const line = text.length < room ? text + '\n' : text.slice(0, room) + '\n';
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length > room) {
    if (room > 0) fs.writeSync(1, bytes, 0, room);
    outputBytes = options.outputLimit;
    report({ reason: 'output_limit' });
    return;
  }
  fs.writeSync(1, bytes);
  outputBytes += bytes.length;
}

const hostTimers = new Map();
let fire = null;

function schedule(id, delay, repeat) {
  if (typeof id !== 'number' || typeof delay !== 'number') return;
  const callback = () => {
    if (!repeat) hostTimers.delete(id);
    fire(id);
  };
  hostTimers.set(id, repeat === true ? setInterval(callback, delay) : setTimeout(callback, delay));
}

function cancel(id) {
  const handle = hostTimers.get(id);
  if (handle === undefined) return;
  hostTimers.delete(id);
  clearTimeout(handle); // clears intervals too
}

function hostFail(message) {
  report({ reason: 'error', error: typeof message === 'string' ? capped(message) : 'Uncaught exception' });
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
  // program, off the program's clock.
  const context = vm.createContext(vm.constants.DONT_CONTEXTIFY, {
    name: 'submission',
    codeGeneration: { strings: false, wasm: false },
  });
  const installSource = fs.readFileSync(path.join(__dirname, 'context.js'), 'utf8');
  const install = new vm.Script(installSource, { filename: 'evaluator:context' })
    .runInContext(context);
  const sandbox = install(guarded(write), guarded(schedule), guarded(cancel), guarded(hostFail));
  const { formatResult, describeError, makeError, setSource } = sandbox;
  fire = sandbox.fire;

  process.on('uncaughtException', () => report({ reason: 'error', error: 'Uncaught exception' }));
  process.on('unhandledRejection', (reason) => hostFail(describeError(reason)));

  const code = fs.readFileSync(0, 'utf8');
  setSource(code);

  let script;
  try {
    script = new vm.Script(code, {
      filename: USER_FILENAME,
      // Without this hook Node rejects import() with a host-realm error; reject with one of the
      // program's own realm instead, so no host object ever reaches it.
      importModuleDynamically: () => {
        throw makeError('import() is not available: programs run without modules');
      },
    });
  } catch (err) {
    report({ reason: 'error', error: syntaxErrorText(err) });
    return;
  }

  let value;
  try {
    // displayErrors: false, or Node's C++ would read the thrown value's `stack` from the host.
    value = script.runInContext(context, { displayErrors: false });
  } catch (err) {
    hostFail(describeError(err));
    return;
  }
  // The completion value is fixed now, as a REPL would show it; the program may still have
  // timers and promises to settle, and it is done when Node's event loop has nothing left.
  const result = capped(formatResult(value));
  process.once('beforeExit', () => report({ reason: 'completed', result }));
}

main();
