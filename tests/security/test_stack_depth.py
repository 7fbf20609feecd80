"""Through the real service: no host value at any stack depth.

A stack overflow that happens on entry to a function is an error of that function's realm. So a
program that recurses to the limit and, while unwinding, calls every crossing it can reach (console,
timers, queueMicrotask, import() in every form, stack formatting, promise rejections, completion
formatting through a custom inspect hook) at every depth of a window near the limit, catches one
host-realm RangeError if any crossing enters host code unprotected. Each program counts the calls
it made, those that succeeded, those that overflowed, and every caught value or rejection reason
whose prototype chain does not end in its own realm's Object.prototype.

The window and the frame paddings make the crossing's entry land on every offset near the limit;
`calls`, `succeeded` and `overflowed` must all be positive, or the sweep did not test anything."""

from __future__ import annotations

import json

import pytest

from tests.security.conftest import run_all
from tests.support.stack import RunningStack

SWEEP = r"""
const WINDOW = 3000, FRAME_SIZES = 16, ENOUGH = 25;
Error.stackTraceLimit = 2; // console.trace prints a line or two, not ten, at every depth
const intervals = new Array(100000).fill(0); let intervalCount = 0;
const crossings = CROSSINGS;
const names = Object.keys(crossings), fns = names.map((name) => crossings[name]);
const values = new Array(300000).fill(0), labels = new Array(300000).fill(''); let stored = 0;
const keep = (label, v) => { if (stored < values.length) { values[stored] = v; labels[stored++] = label; } };
// Per crossing: calls made, calls that returned, calls that threw (caught and kept).
const made = names.map(() => 0), returned = names.map(() => 0), threw = names.map(() => 0);
// Walking back up from the limit, each crossing is called at every depth until it has gone
// through ENOUGH times in a row: the depths where it is entered with the stack nearly full.
const streak = names.map(() => 0);
const at = { max: 0, keep, cross() {
  for (let i = 0; i < fns.length; i++) {
    if (streak[i] >= ENOUGH) continue;
    made[i]++;
    try {
      const r = fns[i]();
      returned[i]++;
      streak[i]++;
      if (r !== null && typeof r === 'object') keep(names[i] + ' (value)', r);
    } catch (x) { threw[i]++; streak[i] = 0; keep(names[i], x); }
  }
} };
// Dives with 0..FRAME_SIZES-1 extra parameters: 8 bytes more frame each, so that across them the
// crossings are entered at every offset of the last frames before the limit.
for (let k = 0; k < FRAME_SIZES; k++) {
  const params = Array.from({ length: k }, (_, i) => ', p' + i).join('');
  const dive = new Function('at', 'WINDOW', `return function dive(d${params}) {
    if (d > at.max) at.max = d;
    try { dive(d + 1${params}); } catch (x) { at.keep('overflow', x); }
    if (at.max - d < WINDOW) at.cross();
  }`)(at, WINDOW);
  at.max = 0;
  streak.fill(0);
  dive(0);
}
const foreign = (v) => {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
  let p = v, last = v;
  while ((p = Object.getPrototypeOf(p)) !== null) last = p;
  return last !== Object.prototype;
};
const host = {};
const mark = (label) => { host[label] = (host[label] || 0) + 1; };
let settled = 0, promises = 0;
for (let i = 0; i < stored; i++) {
  const v = values[i];
  if (foreign(v)) mark(labels[i]);
  if (v instanceof Promise) {
    promises++;
    v.then(() => { settled++; }, (r) => { settled++; if (foreign(r)) mark(labels[i] + ' (reason)'); });
  }
}
const byName = (counts) => Object.fromEntries(names.map((name, i) => [name, counts[i]]));
// Reported after a few dozen microtask turns, not with Promise.allSettled (a few Array.fromAsync
// promises started at the very edge of the stack never settle) nor with a timer (an overflow
// inside Node's own timer bookkeeping can leave none that keeps the process alive; plain Node too).
for (let i = 0; i < intervalCount; i++) clearInterval(intervals[i]);
let turns = 0;
const report = () => {
  if (++turns < 50) return void Promise.resolve().then(report);
  console.log(JSON.stringify({ made: byName(made), returned: byName(returned), threw: byName(threw),
    stored, promises, settled, host }));
};
report();
"""

CROSSINGS = {
    "console": """{
  log: () => console.log(''), info: () => console.info(''), debug: () => console.debug(''),
  warn: () => console.warn(''), error: () => console.error(''), trace: () => console.trace(),
  dir: () => console.dir(1), assert: () => console.assert(false), count: () => console.count(),
  countReset: () => console.countReset(), time: () => console.time(), timeLog: () => console.timeLog(),
  timeEnd: () => console.timeEnd(), group: () => console.group(), groupEnd: () => console.groupEnd(),
  table: () => console.table([1]), format: () => console.log('%s %d %j %o', 'a', 1, {}, [1]),
  inspectObject: () => console.log({ a: [new Map([[1, new Set([2])]])], d: new Date(0) }),
  inspectProxy: () => console.log(new Proxy({ a: 1 }, {})),
  inspectPromise: () => console.log(Promise.resolve(1)),
  customHook: () => console.log({ [Symbol.for('nodejs.util.inspect.custom')]: () => 'x' }),
}""",
    "timers": """{
  setTimeout: () => setTimeout(() => {}, 0),
  // An interval made at the edge whose clearInterval overflows would keep the run alive: every
  // one is recorded (no call, so no overflow) and cleared at the end.
  setInterval: () => { const h = setInterval(() => {}, 1000); intervals[intervalCount++] = h; clearInterval(h); },
  setImmediate: () => setImmediate(() => {}), clearTimeout: () => clearTimeout(setTimeout(() => {}, 5)),
  clearImmediate: () => clearImmediate(setImmediate(() => {})),
  refUnref: () => setTimeout(() => {}, 1).unref().ref(), refresh: () => setTimeout(() => {}, 1).refresh(),
  close: () => setTimeout(() => {}, 1).close(), primitive: () => +setTimeout(() => {}, 1),
  queueMicrotask: () => queueMicrotask(() => {}),
}""",
    "import": """{
  plain: () => import('fs'), attributes: () => import('x.json', { with: { type: 'json' } }),
  specifierObject: () => import({ toString() { return 'fs'; } }),
  inEval: () => eval("import('fs')"), inFunction: () => new Function("return import('fs')")(),
  inAsync: () => (async () => import('fs'))(),
}""",
    "errors": """{
  stack: () => new Error('x').stack, typeError: () => { try { null.x; } catch (e) { return e.stack; } },
  capture: () => { const o = {}; Error.captureStackTrace(o); return o.stack; },
  symbolName: () => { const e = new Error('x'); e.name = Symbol('s'); return e.stack; },
  customPrepare: () => { try { Error.prepareStackTrace = (e, s) => s; return new Error('y').stack; }
    finally { Error.prepareStackTrace = undefined; } },
  reject: () => Promise.reject(new Error('r')), asyncThrow: () => (async () => { throw new Error('a'); })(),
  thenThrow: () => Promise.resolve().then(() => { throw new Error('t'); }),
  fromAsync: () => Array.fromAsync([1]), withResolvers: () => { const r = Promise.withResolvers(); r.reject(new Error('w')); return r.promise; },
  evalCode: () => eval('1 + 1'), functionCode: () => new Function('return 1')(),
}""",
}


@pytest.fixture(scope="module")
def sweeps(service: RunningStack) -> dict[str, dict]:
    programs = {name: SWEEP.replace("CROSSINGS", crossings) for name, crossings in CROSSINGS.items()}
    return run_all(service, programs, 120)


@pytest.mark.parametrize("group", list(CROSSINGS))
def test_no_crossing_hands_the_program_a_host_value_at_any_depth(sweeps: dict[str, dict],
                                                                group: str) -> None:
    record = sweeps[group]
    assert record["status"] == "Completed", record
    summary = json.loads(record["stdout"].splitlines()[-1])
    # Every crossing was called near the limit: some calls overflowed (caught, as values of the
    # program's realm) and some went through, so the window spans the depth where it is entered.
    for name, made in summary["made"].items():
        assert made > 0 and summary["returned"][name] > 0 and summary["threw"][name] > 0, (name, summary)
    assert summary["settled"] >= 0.99 * summary["promises"], summary
    assert summary["host"] == {}, summary

