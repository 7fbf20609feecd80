"""Through the real service: whatever the program installs on its realm's prototypes, no engine
object (V8's CallSite) and no host value reaches program code, and the trusted code in the
program's realm (console, formatting, stack traces, timers, import()) never hands its own
internals to a program function.

The program replaces or wraps, before anything else runs, the methods, getters, setters and
protocols that trusted code in its realm could stumble into (iteration, ToPrimitive, toString,
index setters, Map/Set/WeakMap/Promise/RegExp/String/Array methods, Reflect, descriptor keys on
Object.prototype). Each wrapper checks its receiver and arguments and prints SUSPICIOUS for a
value of another realm, a V8 CallSite, or a prototype-less list (the shape of the trusted code's
internal lists), then behaves as the original. The program then uses every feature of the
sandbox, and proves the wrappers are live by calling a few of them itself."""

from __future__ import annotations

import pytest

from tests.security.conftest import run_all
from tests.support.stack import RunningStack

POISON = r"""
const log = console.log;
const apply = Reflect.apply, construct = Reflect.construct;
let hits = 0, inside = false;
const suspicious = (v) => {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return '';
  let p = v, last = v;
  try { while ((p = Reflect.getPrototypeOf(p)) !== null) last = p; } catch { return ''; }
  if (last !== Object.prototype && last !== v) return 'a value of another realm';
  if (last === v && Array.isArray(v)) return 'a list without prototype';
  try {
    if (typeof v.getFileName === 'function' &&
        Function.prototype.toString.call(v.getFileName).includes('[native code]')) return 'a V8 CallSite';
  } catch {}
  return '';
};
// The checks use the very functions they wrap: while one runs, the wrappers pass straight through.
const check = (where, self, args) => {
  if (inside) return;
  inside = true;
  try {
    hits++;
    for (const v of [self, ...args]) {
      const why = suspicious(v);
      if (why) log('SUSPICIOUS ' + where + ': ' + why);
    }
  } finally {
    inside = false;
  }
};
// Descriptors without a prototype: the getters installed below on Object.prototype would make
// any ordinary descriptor object look like it had every field.
const wrap = (object, key, where = String(key)) => {
  const desc = Object.getOwnPropertyDescriptor(object, key);
  if (!desc || !desc.configurable) return;
  if (typeof desc.value === 'function') {
    const original = desc.value;
    Object.defineProperty(object, key, { __proto__: null, ...desc, value: { [original.name || 'f'](...args) {
      check(where, this, args);
      return new.target ? construct(original, args, new.target) : apply(original, this, args);
    } }[original.name || 'f'] });
  } else if (desc.get || desc.set) {
    Object.defineProperty(object, key, { __proto__: null, ...desc,
      get: desc.get && function () { check(where + ' getter', this, []); return apply(desc.get, this, []); },
      set: desc.set && function (v) { check(where + ' setter', this, [v]); apply(desc.set, this, [v]); } });
  }
};
const wrapAll = (object, name) => {
  for (const key of Reflect.ownKeys(object)) {
    if (key !== 'constructor') wrap(object, key, name + '.' + String(key));
  }
};
const ArrayIterator = Object.getPrototypeOf([][Symbol.iterator]());
const MapIterator = Object.getPrototypeOf(new Map().entries());
const SetIterator = Object.getPrototypeOf(new Set().values());
const StringIterator = Object.getPrototypeOf(''[Symbol.iterator]());
const TypedArray = Object.getPrototypeOf(Uint8Array.prototype);
for (const [object, name] of [
  [Array.prototype, 'Array.prototype'], [ArrayIterator, 'ArrayIterator'], [String.prototype, 'String.prototype'],
  [StringIterator, 'StringIterator'], [RegExp.prototype, 'RegExp.prototype'], [Map.prototype, 'Map.prototype'],
  [MapIterator, 'MapIterator'], [Set.prototype, 'Set.prototype'], [SetIterator, 'SetIterator'],
  [WeakMap.prototype, 'WeakMap.prototype'], [Promise.prototype, 'Promise.prototype'], [Promise, 'Promise'],
  [Function.prototype, 'Function.prototype'], [Object.prototype, 'Object.prototype'], [Object, 'Object'],
  [Reflect, 'Reflect'], [JSON, 'JSON'], [Math, 'Math'], [Number.prototype, 'Number.prototype'],
  [Symbol.prototype, 'Symbol.prototype'], [Date.prototype, 'Date.prototype'], [Date, 'Date'],
  [Error.prototype, 'Error.prototype'], [Error, 'Error'], [TypedArray, 'TypedArray.prototype'],
  [ArrayBuffer.prototype, 'ArrayBuffer.prototype'], [Array, 'Array'], [String, 'String'], [Number, 'Number'],
]) wrapAll(object, name);
// Keys trusted code might read off an object that lacks them, and index setters it might hit.
for (const key of ['value', 'get', 'set', 'enumerable', 'writable', 'configurable', 'then', 'done',
                   'name', 'message', 'stack', 'length', 'next', 'accessor', 'line', 'column',
                   'callback', 'args', 'kind', 'handle', 'seen', 'budget', 'showProxy',
                   Symbol.toPrimitive, Symbol.toStringTag, Symbol.iterator, Symbol.species,
                   ...Array.from({ length: 40 }, (_, i) => String(i))]) {
  if (Object.prototype.hasOwnProperty(key)) continue;
  Object.defineProperty(Object.prototype, key, { __proto__: null, configurable: true,
    get() { check('Object.prototype[' + String(key) + '] getter', this, []); return undefined; },
    set(v) { check('Object.prototype[' + String(key) + '] setter', this, [v]);
      Object.defineProperty(this, key, { __proto__: null, value: v, writable: true, enumerable: true, configurable: true }); } });
}
for (const key of Array.from({ length: 40 }, (_, i) => String(i))) {
  Object.defineProperty(Array.prototype, key, { __proto__: null, configurable: true,
    get() { check('Array.prototype[' + key + '] getter', this, []); return undefined; },
    set(v) { check('Array.prototype[' + key + '] setter', this, [v]);
      Object.defineProperty(this, key, { __proto__: null, value: v, writable: true, enumerable: true, configurable: true }); } });
}
const before = hits;
String([1, 2]); [...'ab']; new Map([[1, 2]]).get(1); Reflect.ownKeys({});
const selfTest = hits - before;
"""

EXERCISE = r"""
console.log('%s %d %i %f %j %o %O %c %%', 'a', 1, 2.5, '3.5', { j: 1 }, [1], { o: 1 }, 'css');
console.log({ a: [1, { b: new Map([[1, new Set([2])]]) }], d: new Date(0), r: /x/gi, f() {},
  s: Symbol('s'), n: null, u: undefined, big: 1n, neg: -0, deep: { a: { b: { c: {} } } },
  [Symbol('k')]: 'v', 'quoted key': "it's" }, [1, , 3], new Proxy({ p: 1 }, {}), Promise.resolve(1),
  Promise.reject(new Error('r')).catch(() => {}), new Uint8Array(3), new ArrayBuffer(8),
  Object.create(null), new (class X {})(), new Error('inner'), new WeakMap(), Object(1), Object('s'),
  function named() {}, class K {}, async () => {}, function* g() {}, [new Array(200).fill(0)]);
console.info('info'); console.debug('debug'); console.warn('warn'); console.error('error');
console.trace('trace'); console.dir({ dir: 1 }); console.table([{ t: 1 }]); console.group('g');
console.log('in group\nsecond line'); console.groupEnd(); console.count(); console.count('c');
console.countReset('c'); console.time('t'); console.timeLog('t', 'x'); console.timeEnd('t');
console.assert(false, 'assertion %s', 'text');
console.log({ [Symbol.for('nodejs.util.inspect.custom')](depth, options, inspect) {
  return 'custom ' + inspect({ nested: [1] }); } });
new Error('x').stack; new TypeError('t').stack; try { null.x; } catch (e) { e.stack; }
const captured = {}; Error.captureStackTrace(captured); captured.stack;
{ const e = new Error('symbol'); e.name = Symbol('named'); try { e.stack; } catch (x) { x.stack; } }
Error.prepareStackTrace = (err, sites) => { for (const s of sites) check('prepareStackTrace site', s, []);
  return sites.map((s) => s.getFileName() + ':' + s.getLineNumber() + ' ' + s).join('|'); };
console.log(new Error('custom').stack.length > 0);
Error.prepareStackTrace = undefined;
eval('1 + 1'); new Function('return 1')();
const t = setTimeout(() => console.log('timeout fired'), 1); t.ref().unref().ref(); t.hasRef(); +t;
const i = setInterval(() => { clearInterval(i); console.log('interval fired'); }, 1);
setImmediate(() => console.log('immediate fired')); clearTimeout(setTimeout(() => {}, 1000));
queueMicrotask(() => console.log('microtask fired'));
import('fs').catch((e) => check('import rejection', e, []));
(async () => { throw new RangeError('async'); })().catch((e) => e.stack);
setTimeout(() => log('self-test hits ' + selfTest + ', total hits ' + hits), 20);
"""

PROGRAMS = {
    "every feature, then a completion value": POISON + EXERCISE + """
({ map: new Map([[{ k: 1 }, [1, 2]]]), set: new Set(['s']), err: new Error('in result'),
   proxy: new Proxy([1], {}), revoked: (() => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; })() })
""",
    "every feature, then an uncaught error": POISON + EXERCISE + """
setTimeout(() => { const e = new Error('last'); e.name = 'Custom'; throw e; }, 40);
""",
    "every feature, then a thrown object": POISON + EXERCISE + """
setTimeout(() => { throw { thrown: [1, { deep: true }], when: new Date(0) }; }, 40);
""",
}


@pytest.fixture(scope="module")
def records(service: RunningStack) -> dict[str, dict]:
    return run_all(service, PROGRAMS)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_no_engine_object_or_host_value_reaches_program_code(records: dict[str, dict],
                                                             name: str) -> None:
    record = records[name]
    stdout = record["stdout"]
    assert "SUSPICIOUS" not in stdout, stdout
    assert "SUSPICIOUS" not in str(record["result"]) + str(record["error"])
    # The wrappers were live (the program's own calls went through them) and everything ran.
    assert "self-test hits " in stdout and "self-test hits 0," not in stdout, stdout
    for fired in ("timeout fired", "interval fired", "immediate fired", "microtask fired"):
        assert fired in stdout, stdout


def test_the_outcomes_are_the_ones_the_program_chose(records: dict[str, dict]) -> None:
    result = records["every feature, then a completion value"]
    assert result["status"] == "Completed" and "<Revoked Proxy>" in result["result"], result
    error = records["every feature, then an uncaught error"]
    assert error["reason"] == "error" and "Custom: last" in error["error"], error
    thrown = records["every feature, then a thrown object"]
    assert thrown["reason"] == "error" and thrown["error"].startswith("Uncaught { thrown:"), thrown


STEER = r"""
const log = console.log;
// Made before the program's realm is turned upside down below.
const values = { a: [1, 2], m: new Map([['k', 'v']]), s: new Set([3]), r: /re/g, d: new Date(0), e: 'str' };
const more = [Symbol('sym'), 10n, -0, [1, , 3], new Uint8Array([7, 8])];
const started = new Date().getTime();
const e = new Error('boom');
const ArrayIterator = Object.getPrototypeOf([][Symbol.iterator]());
// Every protocol and method trusted code could use, answering with a value of the program's
// choosing: Infinity for whatever is spread or iterated, HIJACKED for every string operation.
ArrayIterator.next = function () { return { value: Infinity, done: false }; };
Object.defineProperty(Array.prototype, Symbol.iterator, { value: function* () { yield Infinity; yield Infinity; } });
for (const key of ['slice', 'split', 'replace', 'repeat', 'padStart', 'trimEnd', 'toLowerCase',
                   'startsWith', 'indexOf', 'charCodeAt', 'concat', 'toString'])
  String.prototype[key] = function () { return 'HIJACKED'; };
for (const key of ['join', 'push', 'map', 'slice', 'indexOf', 'includes', 'filter'])
  Array.prototype[key] = function () { return 'HIJACKED'; };
for (const key of ['get', 'set', 'has', 'delete', 'entries', 'values', 'forEach'])
  Map.prototype[key] = Set.prototype[key] = WeakMap.prototype[key] = function () { return 'HIJACKED'; };
Object.getPrototypeOf(new Map().entries()).next = function () { return { value: ['HIJACKED', 'HIJACKED'], done: false }; };
RegExp.prototype.exec = function () { return ['HIJACKED']; };
RegExp.prototype[Symbol.replace] = RegExp.prototype[Symbol.split] = function () { return 'HIJACKED'; };
Object.prototype[Symbol.toPrimitive] = function () { return 'HIJACKED'; };
Object.prototype.toString = Number.prototype.toString = Symbol.prototype.toString = () => 'HIJACKED';
Function.prototype.call = Function.prototype.apply = Function.prototype.bind = function () { return 'HIJACKED'; };
Reflect.apply = Reflect.ownKeys = Reflect.getOwnPropertyDescriptor = () => { throw new Error('HIJACKED'); };
Promise.prototype.then = function () { return 'HIJACKED'; };
Object.defineProperty(Promise, Symbol.species, { get() { throw new Error('HIJACKED'); } });
Math.min = Math.max = Math.trunc = () => NaN;
JSON.stringify = () => 'HIJACKED';
Date.now = () => 0;
log('%s=%d', 'n', 42);
log(values);
log(more[0], more[1], more[2], more[3], more[4]);
setTimeout(() => { log('timer after ' + (new Date().getTime() - started >= 40 ? 'its delay' : 'too soon')); }, 50);
setImmediate(() => log('immediate'));
queueMicrotask(() => log('microtask'));
log(typeof e.stack === 'string' ? 'stack is a string' : 'stack is ' + typeof e.stack);
"""
STEERED_OUTPUT = [
    "n=42",
    "{",
    "  a: [ 1, 2 ],",
    "  m: Map(1) { 'k' => 'v' },",
    "  s: Set(1) { 3 },",
    "  r: /re/g,",
    "  d: 1970-01-01T00:00:00.000Z,",
    "  e: 'str'",
    "}",
    "Symbol(sym) 10n -0 [ 1, <1 empty item>, 3 ] Uint8Array(2) [ 7, 8 ]",
    "stack is a string",
    "microtask",
    "immediate",
    "timer after its delay",
]


def test_the_programs_overrides_do_not_steer_trusted_code(service: RunningStack) -> None:
    """What a crossing receives and what the console prints do not change when the program
    replaces the protocols and methods of its realm (a spread once let it pass Infinity as the
    host's timer delay)."""
    record = service.run(STEER)
    assert record["status"] == "Completed", record
    assert record["stdout"].splitlines() == STEERED_OUTPUT
