"""Building blocks for hostile programs.

``with_host_access(action)`` is a program that tries every known route from the sandbox to the
host's ``process`` (globals, constructor chains, host-realm errors from import(), Symbol names,
stack overflows, the vm2 proofs of concept) and, for each route that yields something, runs
``action(process)`` and prints ``ESCAPED`` with the outcome. A test then asserts that ``ESCAPED``
never appears and that the action left no trace on the host.

``VM2_PROOFS`` are the published vm2 escapes, as close to their proofs of concept as this sandbox
allows (their payload replaced by a report). Some exhaust the stack on purpose, which with this
sandbox's deep stack takes seconds: they run as programs of their own.
"""

from __future__ import annotations

ROUTES = r"""
const found = [];
const late = [];
// A host process: what Node's `process` has and nothing of the program's realm does.
const isProcess = (p) => !!p && typeof p === 'object' && typeof p.pid === 'number' &&
  (typeof p.getBuiltinModule === 'function' || typeof p.binding === 'function');
const report = (route, p) => { if (isProcess(p)) found.push([route, p]); };
// Code generation is on in the program's realm: its own Function constructors work there and
// find no `process`; a host Function must not generate code at all. Async and generator
// constructors hand their result over as a promise or an iterator.
const viaFunction = (route, F) => {
  for (const body of ['return process', 'return this.process', 'return globalThis.process']) {
    try {
      let value = F(body)();
      if (value && typeof value.then === 'function') {
        late.push(Promise.resolve(value).then((p) => report(route, p), () => {}));
        continue;
      }
      if (value && typeof value.next === 'function') value = value.next().value;
      report(route, value);
    } catch (e) {}
  }
};
const viaError = (route, e) => {
  try { viaFunction(route, e.constructor.constructor); } catch (x) {}
  try { viaFunction(route + '/proto', Object.getPrototypeOf(e).constructor.constructor); } catch (x) {}
};
// Globals a careless sandbox would leave.
for (const name of ['process', 'require', 'module', 'global', 'Buffer']) {
  try { const v = globalThis[name]; if (v) report('global ' + name, v.process || v); } catch (e) {}
}
// Constructor chains from the program's own objects.
viaFunction('this.constructor', this.constructor.constructor);
viaFunction('object', ({}).constructor.constructor);
viaFunction('async', (async () => {}).constructor);
viaFunction('generator', (function* () {}).constructor);
viaFunction('console', console.log.constructor);
viaFunction('timer', setTimeout.constructor);
// Host-realm errors.
try { null.x; } catch (e) { viaError('TypeError', e); }
try { (function f() { f(); })(); } catch (e) { viaError('stack overflow', e); }
{ const e = new Error('x'); e.name = Symbol('s'); try { String(e.stack); } catch (x) { viaError('symbol name', x); } }
{ const e = new Error(); e.name = { toString: new Proxy(() => '', { apply(t, self, args) {
    viaFunction('proxy apply (CVE-2023-32314)', args.constructor.constructor); return ''; } }) };
  try { String(e.stack); } catch (x) { viaError('proxy apply throw', x); } }
try {
  Error.prepareStackTrace = (e, frames) => {
    viaFunction('prepareStackTrace frames (CVE-2023-29017)', frames.constructor.constructor);
    for (const f of frames) {
      try { const fn = f.getFunction(); if (fn) viaFunction('frame function', fn.constructor); } catch (x) {}
      try { const t = f.getThis(); if (t && t !== globalThis) report('frame this', t.process); } catch (x) {}
    }
    return '';
  };
  String(new Error().stack);
} catch (e) { viaError('prepareStackTrace', e); }
console.log({ [Symbol.for('nodejs.util.inspect.custom')]: (depth, options, inspect) => {
  viaFunction('inspect hook (CVE-2023-37903)', inspect.constructor); return 'hooked'; } });
const pending = [
  ...late,
  import('fs').then((fs) => found.push(['import fs', { getBuiltinModule: () => fs }]),
                    (e) => viaError('import()', e)),
  (async () => {
    const p = (async () => { (function f() { f(); })(); })();
    p.constructor = { [Symbol.species]: class { constructor(executor) {
      executor((x) => x, (e) => viaError('promise species', e)); } } };
    try { p.then(); } catch (e) { viaError('species throw', e); }
  })().catch((e) => viaError('async', e)),
];
"""


def with_host_access(action: str) -> str:
    """A program that runs ``action`` (JS, with ``process`` and ``mod(name)`` in scope) on every
    host ``process`` it can reach, and prints ESCAPED with the result of each success."""
    return ROUTES + f"""
const act = (process) => {{
  const mod = (name) => process.getBuiltinModule ? process.getBuiltinModule(name)
                                                 : process.mainModule.require(name);
  return ({action});
}};
Promise.allSettled(pending).then(() => {{
  for (const [route, p] of found) {{
    try {{ console.log('ESCAPED via ' + route + ': ' + String(act(p))); }}
    catch (e) {{ console.log('reached host via ' + route + ' but the action failed: ' + e); }}
  }}
  console.log('routes tried; host objects reached: ' + found.length);
}});
"""


REPORT = """
const reached = (route, F) => {
  try {
    const p = F('return process')();
    if (p && (typeof p.binding === 'function' || typeof p.getBuiltinModule === 'function')) {
      console.log('ESCAPED via ' + route + ': ' + p.pid);
    } else {
      console.log(route + ' blocked: only the realm of the program, its own process');
    }
  } catch (e) { console.log(route + ' blocked: ' + e.name); }
};
"""

VM2_PROOFS = {
    "CVE-2023-37466 promise species": REPORT + """
async function fn() { (function stack() { new Error().stack; stack(); })(); }
const p = fn();
p.constructor = { [Symbol.species]: class FakePromise { constructor(executor) {
  executor((x) => x, (err) => reached('species', err.constructor.constructor)); } } };
p.then();
""",
    "CVE-2023-37903 custom inspect": REPORT + """
const obj = { [Symbol.for('nodejs.util.inspect.custom')]: (depth, opt, inspect) => {
  reached('inspect', inspect.constructor); }, valueOf: undefined, constructor: undefined };
console.log(obj);
if (typeof WebAssembly.compileStreaming === 'function') WebAssembly.compileStreaming(obj).catch(() => {});
""",
    "CVE-2023-32314 proxy apply on a host error": REPORT + """
const err = new Error();
err.name = { toString: new Proxy(() => '', { apply(target, thiz, args) {
  reached('proxy', args.constructor.constructor); return ''; } }) };
try { err.stack; } catch (stdout) { reached('thrown', stdout.constructor.constructor); }
""",
    "CVE-2023-29017 prepareStackTrace": REPORT + """
Error.prepareStackTrace = (e, frames) => { reached('frames', frames.constructor.constructor); };
// The PoC's `process` is undefined there; here it is the realm's own, which has no mainModule:
// the error still comes, and its stack is formatted.
(async () => {}).constructor('return process.mainModule.require')();
""",
    "CVE-2023-30547 handleException": REPORT + """
const handler = { getPrototypeOf(target) { (function stack() { new Error().stack; stack(); })(); } };
const proxiedErr = new Proxy({}, handler);
try { throw proxiedErr; } catch ({ constructor: c }) { reached('catch', c.constructor); }
""",
    "CVE-2022-36067 Error replaced on the global": REPORT + """
globalThis.OldError = globalThis.Error;
try { globalThis.Error = {}; } catch (e) {}
globalThis.Error.prepareStackTrace = (errStr, traces) => {
  traces.forEach((t) => { try { reached('trace', t.getThis().constructor.constructor); } catch (e) {} });
};
const { stack } = new OldError();
console.log('stack is ' + typeof stack);
""",
    "CVE-2019-10761 stack overflow to a host error": REPORT + """
function f() { const a = {}; try { f(); } catch (e) { reached('overflow', e.constructor.constructor); } }
try { f(); } catch (e) {}
""",
}
