"""The programs of the fidelity suite: small JavaScript programs, each printing what it observes of
one corner of the language, so that the same program run by plain Node and by the service can be
compared line by line.

Every program starts with PRELUDE, whose `p(label, thunk)` prints `label -> <what the thunk gave>`
with a rendering of its own (not console formatting, which is compared separately), or the
error it threw. The programs are of four kinds:
- surfaces: every standard global, its own properties and those of its prototype, with their
  descriptors (what exists, writable/enumerable/configurable, function names and lengths);
- calls: every method of the main built-ins, called on sample receivers with sample arguments;
- semantics: hand-written checks of what the sandbox could plausibly change (eval and Function,
  __proto__, the global Error, stack traces and Error.prepareStackTrace, timers, the event loop,
  the global object, syntax);
- console: how console.log prints common values.
"""

from __future__ import annotations

import json

PRELUDE = r"""
const __show = (v, depth = 0) => {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined': return 'undefined';
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint': return String(v) + 'n';
    case 'string': return JSON.stringify(v.length > 200 ? v.slice(0, 200) + '...' : v);
    case 'symbol': return String(v);
    case 'boolean': return String(v);
    case 'function': return 'function ' + JSON.stringify(v.name) + '/' + v.length;
  }
  if (depth > 2) return '...';
  if (Array.isArray(v)) return '[' + v.slice(0, 20).map((x) => __show(x, depth + 1)).join(',') + (v.length > 20 ? ',...' : '') + ']';
  const tag = Object.prototype.toString.call(v);
  if (v instanceof Date) return tag + ' ' + (isNaN(v) ? 'invalid' : v.toISOString());
  if (v instanceof RegExp) return tag + ' ' + String(v);
  if (v instanceof Error) return tag + ' ' + v.name + ': ' + v.message;
  if (v instanceof Map) return tag + ' ' + __show([...v], depth + 1);
  if (v instanceof Set) return tag + ' ' + __show([...v], depth + 1);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return tag + ' ' + __show(Array.from(v), depth + 1);
  if (v instanceof Promise) return tag;
  const keys = Reflect.ownKeys(v).slice(0, 20);
  return tag + ' {' + keys.map((k) => String(k) + ':' + __show(Reflect.getOwnPropertyDescriptor(v, k)?.value, depth + 1)).join(',') + '}';
};
const __descr = (o, k) => {
  const d = Reflect.getOwnPropertyDescriptor(o, k);
  if (!d) return 'absent';
  const kind = 'get' in d ? 'get=' + __show(d.get) + ' set=' + __show(d.set) : 'value=' + __show(d.value) + ' w=' + d.writable;
  return kind + ' e=' + d.enumerable + ' c=' + d.configurable;
};
const p = (label, thunk) => {
  let shown;
  try { shown = __show(thunk()); } catch (e) { shown = 'throws ' + (e && e.name) + ': ' + (e && e.message); }
  console.log(label + ' -> ' + shown);
};
const pa = (label, thunk) => {
  let result;
  try { result = thunk(); } catch (e) { return p(label, () => { throw e; }); }
  Promise.resolve(result).then((v) => console.log(label + ' ~> ' + __show(v)),
    (e) => console.log(label + ' ~> rejects ' + (e && e.name) + ': ' + (e && e.message)));
};
const surface = (label, o) => {
  if (o === null || (typeof o !== 'object' && typeof o !== 'function')) return p(label, () => o);
  const keys = Reflect.ownKeys(o).map((k) => [typeof k === 'symbol' ? String(k) : k, k])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [name, key] of keys) console.log(label + '.' + name + ' :: ' + __descr(o, key));
  console.log(label + ' [[Prototype]] ' + __show(Object.getPrototypeOf(o)) + ' extensible=' + Object.isExtensible(o));
};
"""

# The standard globals (ECMA-262 and ECMA-402, as V8 ships them in a fresh context).
GLOBALS = [
    "AggregateError", "Array", "ArrayBuffer", "AsyncDisposableStack", "Atomics", "BigInt",
    "BigInt64Array", "BigUint64Array", "Boolean", "DataView", "Date", "DisposableStack", "Error",
    "EvalError", "FinalizationRegistry", "Float16Array", "Float32Array", "Float64Array", "Function",
    "Infinity", "Int16Array", "Int32Array", "Int8Array", "Intl", "Iterator", "JSON", "Map", "Math",
    "NaN", "Number", "Object", "Promise", "Proxy", "RangeError", "ReferenceError", "Reflect",
    "RegExp", "Set", "SharedArrayBuffer", "String", "SuppressedError", "Symbol", "SyntaxError",
    "Temporal", "TypeError", "URIError", "Uint16Array", "Uint32Array", "Uint8Array",
    "Uint8ClampedArray", "WeakMap", "WeakRef", "WeakSet", "WebAssembly", "decodeURI",
    "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "eval", "globalThis",
    "isFinite", "isNaN", "parseFloat", "parseInt", "undefined", "unescape",
]
INTL = ["Collator", "DateTimeFormat", "DisplayNames", "DurationFormat", "ListFormat", "Locale",
        "NumberFormat", "PluralRules", "RelativeTimeFormat", "Segmenter"]
TEMPORAL = ["Duration", "Instant", "Now", "PlainDate", "PlainDateTime", "PlainMonthDay",
            "PlainTime", "PlainYearMonth", "ZonedDateTime"]
HIDDEN = {
    "%TypedArray%": "Object.getPrototypeOf(Uint8Array)",
    "%IteratorPrototype%": "Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()))",
    "%ArrayIteratorPrototype%": "Object.getPrototypeOf([][Symbol.iterator]())",
    "%MapIteratorPrototype%": "Object.getPrototypeOf(new Map().entries())",
    "%SetIteratorPrototype%": "Object.getPrototypeOf(new Set().values())",
    "%StringIteratorPrototype%": "Object.getPrototypeOf(''[Symbol.iterator]())",
    "%RegExpStringIteratorPrototype%": "Object.getPrototypeOf('a'.matchAll(/a/g))",
    "%GeneratorFunction%": "Object.getPrototypeOf(function* () {}).constructor",
    "%GeneratorPrototype%": "Object.getPrototypeOf(function* () {}).prototype",
    "%AsyncFunction%": "Object.getPrototypeOf(async function () {}).constructor",
    "%AsyncGeneratorFunction%": "Object.getPrototypeOf(async function* () {}).constructor",
    "%AsyncIteratorPrototype%": "Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype)",
    "%ThrowTypeError%": "Object.getOwnPropertyDescriptor(function () { 'use strict'; return arguments; }(), 'callee').get",
    "Object.prototype": "Object.prototype",
}


def surface_programs() -> dict[str, str]:
    programs = {}
    for name in GLOBALS:
        if name == "globalThis":
            continue
        body = f"console.log('global ' + __descr(globalThis, {name!r}));\n"
        body += f"surface({name!r}, globalThis[{name!r}]);\n"
        body += (f"if (typeof globalThis[{name!r}] === 'function' && globalThis[{name!r}].prototype)"
                 f" surface({name + '.prototype'!r}, globalThis[{name!r}].prototype);\n")
        programs[f"surface {name}"] = body
    for name in INTL:
        programs[f"surface Intl.{name}"] = (f"surface('Intl.{name}', Intl.{name});\n"
                                            f"surface('Intl.{name}.prototype', Intl.{name}.prototype);\n")
    for name in TEMPORAL:
        programs[f"surface Temporal.{name}"] = (
            f"surface('Temporal.{name}', Temporal.{name});\n"
            f"if (Temporal.{name}.prototype) surface('Temporal.{name}.prototype', Temporal.{name}.prototype);\n")
    for name, expr in HIDDEN.items():
        programs[f"surface {name}"] = f"surface({name!r}, {expr});\n"
    programs["surface globalThis"] = (
        "for (const name of " + json.dumps(GLOBALS) + ") console.log('globalThis.' + name + ' :: ' +"
        " __descr(globalThis, name));\n"
        "console.log('globalThis [[Prototype]] ' + __show(Object.getPrototypeOf(globalThis)));\n"
        "console.log('globalThis tag ' + __descr(globalThis, Symbol.toStringTag));\n"
        "const extra = Reflect.ownKeys(globalThis).filter((k) => !" + json.dumps(GLOBALS) + ".includes(k));\n"
        "console.log('non-standard globals: ' + extra.map(String).sort().join(','));\n")
    programs["surface the global object's standard names"] = (
        "const standard = " + json.dumps(GLOBALS) + ";\n"
        "console.log('missing: ' + standard.filter((n) => !(n in globalThis)).join(','));\n"
        "console.log('this is globalThis: ' + (this === globalThis));\n"
        "console.log('prototype chain: ' + __show(Object.getPrototypeOf(globalThis)));\n")
    return programs


# Sample receivers and argument lists for calling every method of a prototype or namespace.
# `make` builds a fresh receiver for each call (methods may mutate it).
CALLS = {
    "String.prototype": ("String.prototype", ["'Hello, World'", "'  ǅemo ß İ 🎉 '", "'a-b-c'", "''"],
                         ["[]", "[1]", "[-2, 5]", "['l']", "['-', 2]", "[/l/g, 'L']", "[/o/]",
                          "['l', 'L']", "[10, '*']", "[3]", "['NFD']", "['de']", "[{}]"]),
    "Array.prototype": ("Array.prototype", ["[3, 1, 2]", "[1, [2, [3, [4]]], , 'x', null]", "[]",
                                             "Array.from({ length: 3 }, (_, i) => ({ i }))"],
                        ["[]", "[1]", "[(x) => x]", "[(a, b) => (a > b) - (a < b)]", "[-1, 1]",
                         "[0, 1, 'ins']", "[(x, i) => i % 2]", "[(acc, x) => String(acc) + x, '']",
                         "[Infinity]", "[',']", "[2, 0]", "[(x) => [x, x]]"]),
    "Number.prototype": ("Number.prototype", ["255.255", "-0", "1e21", "NaN", "0.000001234"],
                         ["[]", "[2]", "[16]", "[0]", "[100]", "['de-DE']", "['en-US', { style: 'percent' }]"]),
    "BigInt.prototype": ("BigInt.prototype", ["2n ** 70n", "-255n", "0n"], ["[]", "[16]", "[2]", "['en-US']"]),
    "Symbol.prototype": ("Symbol.prototype", ["Symbol('desc')", "Symbol.iterator", "Symbol()"], ["[]"]),
    "Boolean.prototype": ("Boolean.prototype", ["true", "false"], ["[]"]),
    "Date.prototype": ("Date.prototype", ["new Date(Date.UTC(2026, 11, 1, 8, 23, 50, 123))", "new Date(NaN)",
                                          "new Date(-1e12)"],
                       ["[]", "[2030]", "[0]", "['en-US', { timeZone: 'UTC' }]", "['de-DE', { timeZone: 'Asia/Tokyo' }]",
                        "['default']", "[1, 2, 3]"]),
    "RegExp.prototype": ("RegExp.prototype", ["/(?<y>\\d{4})-(\\d\\d)/gd", "/a|b/iy", "/\\p{L}+/v", "/x/s"],
                         ["[]", "['2026-12 and 1999-01']", "['aAbB']", "['xyz', '$<y>/$2']"]),
    "Map.prototype": ("Map.prototype", ["new Map([[1, 'a'], ['k', { v: 2 }], [NaN, null]])", "new Map()"],
                      ["[]", "[1]", "[NaN]", "['k', 9]", "[(v, k) => void k]"]),
    "Set.prototype": ("Set.prototype", ["new Set([1, 2, 3, NaN])", "new Set()"],
                      ["[]", "[2]", "[NaN]", "[new Set([2, 4])]", "[(v) => void v]"]),
    "Promise": ("Promise", None, ["[[1, Promise.resolve(2), 3]]", "[Promise.reject(new Error('r'))]", "[7]"]),
    "Math": ("Math", None, ["[]", "[0]", "[-0.5]", "[2, 10]", "[1e300, 1e300]", "[-Infinity]", "[[0.1, 0.2, 0.3]]"]),
    "Object": ("Object", None, ["[{ b: 1, a: 2, 1: 'x', [Symbol('s')]: 3 }]", "[[1, 2]]", "['str']",
                                "[Object.freeze({ f: 1 })]", "[{}, { q: 1 }]", "[[['a', 1], ['b', 2]]]",
                                "[[1, 2, 3, 4], (x) => x % 2 ? 'odd' : 'even']", "[null]"]),
    "Reflect": ("Reflect", None, ["[{ a: 1 }, 'a']", "[Math.max, null, [1, 3, 2]]", "[Array, [3]]",
                                  "[Object.preventExtensions({})]", "[{}, 'x', { value: 1 }]"]),
    "Array": ("Array", None, ["[[1, 2]]", "['abc']", "[{ length: 2, 0: 'x' }]", "[3]", "[1, 2, 3]",
                              "[[1, 2], (x) => x * 10]"]),
    "String": ("String", None, ["[65, 66]", "[0x1F389]", "[{ raw: ['a', 'b'] }, 1]", "['x']"]),
    "Number": ("Number", None, ["['42']", "['0x1f']", "[2 ** 53]", "[0.5]", "['1e3x']", "[NaN]"]),
    "JSON": ("JSON", None, ["['{\"a\":[1,2,{\"b\":null}],\"c\":\"\\u00e9\"}']", "[{ a: [1, { b: 2n }] }]",
                            "[{ b: [1, 2], a: 'x' }, null, 2]", "['[1,2', null]", "[new Date(0)]"]),
    "Date": ("Date", None, ["[]", "[2026, 11, 1]", "['2026-12-01T08:23:50Z']", "['Tue, 01 Dec 2026 08:23:50 GMT']"]),
    "Symbol": ("Symbol", None, ["['app.key']", "[Symbol.for('app.key')]", "[Symbol.iterator]"]),
    "BigInt": ("BigInt", None, ["[64, 2n ** 70n + 5n]", "[8, -1n]", "['123']", "[1.5]"]),
    "ArrayBuffer.prototype": ("ArrayBuffer.prototype", ["new ArrayBuffer(8, { maxByteLength: 16 })", "new ArrayBuffer(4)"],
                              ["[]", "[2]", "[1, 3]", "[12]"]),
    "DataView.prototype": ("DataView.prototype", ["new DataView(new ArrayBuffer(16))"],
                           ["[0]", "[1, 255]", "[0, 1.5, true]", "[4, 2n ** 40n]"]),
    "Uint8Array": ("Uint8Array", None, ["['aGVsbG8=']", "['68656c6c6f']", "[[1, 2, 300]]", "[4]"]),
    "Iterator": ("Iterator", None, ["[[1, 2, 3]]", "[[1], [2, 3]]", "[{ next() { return { done: true } } }]"]),
    "Intl": ("Intl", None, ["['currency']", "['en-US']", "[['de', 'en-GB', 'xx']]"]),
    "globalThis": ("globalThis", None, ["['3.5abc']", "['%E2%9C%93']", "['✓ a b']", "[Infinity]", "['0x10']"]),
    "WeakMap.prototype": ("WeakMap.prototype", ["new WeakMap([[Object, 1]])"], ["[Object]", "[{}, 2]", "[1]"]),
    "Error": ("Error", None, ["[new Error('x')]", "[{}]", "[Object.create(Error.prototype)]", "[new Proxy(new Error('p'), {})]"]),
}
# The typed array methods are shared (%TypedArray%.prototype): called on a few element types.
TYPED = ["Uint8ClampedArray", "Float16Array", "Float64Array", "BigInt64Array"]
# The standard functions of the global object (plain Node's global has many more of its own).
GLOBAL_FUNCTIONS = ["decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape",
                    "eval", "isFinite", "isNaN", "parseFloat", "parseInt", "unescape"]


def call_program(holder: str, receivers: list[str] | None, args: list[str], method: str) -> str:
    """One method of `holder`, called on each receiver (or on the holder itself), with each
    argument list; impure methods get a fresh receiver every time."""
    receiver_list = "[" + ", ".join(f"() => ({r})" for r in receivers) + "]" if receivers else "[() => H]"
    return f"""
const H = {holder};
const receivers = {receiver_list};
const argSets = [{", ".join(f"() => {a}" for a in args)}];
receivers.forEach((make, r) => argSets.forEach((args, a) => {{
  pa({method!r} + ' r' + r + ' a' + a, () => Reflect.apply(H[{method!r}], make(), args()));
}}));
"""


# Methods not called: Atomics.pause spins, Atomics.wait blocks, and two give a different answer
# every time they are called.
NOT_CALLED = {"pause", "wait", "waitAsync", "random", "now"}
TYPED_ARGS = ["[]", "[1]", "[-1]", "[(x) => x]", "[0, 1]", "[(a, b) => (a > b) - (a < b)]", "[',']"]


def holders() -> dict[str, tuple[str, list[str] | None, list[str]]]:
    """Every holder whose methods are called: name -> (expression, receivers, argument lists)."""
    out = dict(CALLS)
    for name in TYPED:
        sample = "[1n, -2n, 3n]" if "Big" in name else "[1, -2.5, 300, 0.1]"
        out[f"{name}.prototype"] = ("Object.getPrototypeOf(Uint8Array.prototype)",
                                    [f"new {name}({sample})"], TYPED_ARGS)
    return out


# Prints {holder: [method names]}: run by the pinned Node to know which programs to make.
LIST_METHODS = "console.log(JSON.stringify({" + ", ".join(
    f"{json.dumps(name)}: Reflect.ownKeys({expr}).filter((k) => typeof k === 'string' && k !== 'constructor'"
    f" && typeof Reflect.getOwnPropertyDescriptor({expr}, k).value === 'function').sort()"
    for name, (expr, _, _) in holders().items()) + "}))"


def call_programs(methods: dict[str, list[str]]) -> dict[str, str]:
    """One program per method of every holder (`methods` as LIST_METHODS prints them)."""
    programs = {}
    for name, (holder, receivers, args) in holders().items():
        for method in methods.get(name, []):
            if method not in NOT_CALLED and (name != "globalThis" or method in GLOBAL_FUNCTIONS):
                programs[f"calls {name}.{method}"] = call_program(holder, receivers, args, method)
    return programs


# Hand-written checks of what the sandbox could plausibly change. One program each.
SEMANTICS: dict[str, str] = {
    "eval: direct eval sees the caller's scope": """
function f() { const local = 41; return eval('local + 1'); }
p('direct', () => f());
p('indirect global', () => { var g = 1; return (0, eval)('typeof g'); });
p('var leaks from sloppy eval', () => { eval('var leaked = 5'); return typeof leaked; });
p('strict eval keeps its vars', () => { 'use strict'; eval('var kept = 5'); return typeof kept; });
p('eval completion value', () => eval('if (true) { 7 } else { 8 }'));
p('eval of a non-string', () => eval({ a: 1 }).a);
p('eval syntax error', () => eval('let let = 1'));
p('global eval this', () => (0, eval)('this') === globalThis);
""",
    "eval: new Function and its source": """
const add = new Function('a', 'b = 2', 'return a + b');
p('call', () => add(1));
p('length', () => add.length);
p('name', () => add.name);
p('toString', () => add.toString());
p('this in sloppy function', () => Function('return this')() === globalThis);
p('strict body', () => Function('"use strict"; return this')());
p('syntax error', () => Function('return )'));
p('async function constructor', () => typeof Object.getPrototypeOf(async function () {}).constructor('return 1'));
p('generator constructor', () => [...Object.getPrototypeOf(function* () {}).constructor('yield 1; yield 2')()]);
p('async generator constructor', () => typeof Object.getPrototypeOf(async function* () {}).constructor('yield 1')().next);
""",
    "eval: generated code runs in the program's realm": """
p('process is', () => eval('typeof process'));
p('require is', () => Function('return typeof require')());
p('same Object', () => eval('Object') === Object);
p('same globalThis', () => new Function('return globalThis')() === globalThis);
p('eval in eval', () => eval('eval("1 + 1")'));
p('constructor chain', () => ({}).constructor.constructor('return 3')());
p('setTimeout with a string', () => { try { setTimeout('1'); } catch (e) { return e.name; } return 'accepted'; });
""",
    "__proto__: the accessor": """
const d = Object.getOwnPropertyDescriptor(Object.prototype, '__proto__');
p('kind', () => typeof d.get + ' ' + typeof d.set);
p('get name', () => d.get.name);
p('set name', () => d.set.name);
p('lengths', () => d.get.length + ' ' + d.set.length);
p('flags', () => d.enumerable + ' ' + d.configurable);
p('read', () => ({}).__proto__ === Object.prototype);
p('read a primitive', () => (1).__proto__ === Number.prototype);
p('write', () => { const o = {}; o.__proto__ = Array.prototype; return Array.isArray(o) + ' ' + (o instanceof Array); });
p('write a primitive is ignored', () => { const o = {}; o.__proto__ = 5; return Object.getPrototypeOf(o) === Object.prototype; });
p('cycle', () => { const a = {}; const b = Object.create(a); a.__proto__ = b; });
p('non-extensible', () => { const o = Object.preventExtensions({}); o.__proto__ = {}; });
p('get on null', () => d.get.call(null));
p('set on undefined', () => d.set.call(undefined, {}));
p('Object.prototype is immutable', () => { Object.prototype.__proto__ = {}; });
p('null-prototype objects have none', () => Object.create(null).__proto__);
""",
    "__proto__: literals and JSON": """
p('literal sets the prototype', () => Object.getPrototypeOf({ __proto__: Array.prototype }) === Array.prototype);
p('literal null', () => Object.getPrototypeOf({ __proto__: null }));
p('computed key is a property', () => Object.keys({ ['__proto__']: 1 }));
p('shorthand is a property', () => { const __proto__ = 2; return Object.keys({ __proto__ }); });
p('JSON.parse makes an own property', () => Object.keys(JSON.parse('{"__proto__": {"x": 1}}')));
p('JSON.parse keeps the prototype', () => Object.getPrototypeOf(JSON.parse('{"__proto__": []}')) === Object.prototype);
p('delete and restore', () => { const d = Object.getOwnPropertyDescriptor(Object.prototype, '__proto__');
  delete Object.prototype.__proto__; const gone = ({}).__proto__; Object.defineProperty(Object.prototype, '__proto__', d);
  return String(gone) + ' ' + (({}).__proto__ === Object.prototype); });
p('legacy accessors', () => typeof Object.prototype.__defineGetter__ + typeof Object.prototype.__lookupSetter__);
""",
    "Error: the global and its hooks": """
p('global Error', () => Object.getOwnPropertyDescriptor(globalThis, 'Error').writable);
p('replace and restore', () => { const E = Error; globalThis.Error = function Fake() {}; const ok = Error.name;
  globalThis.Error = E; return ok; });
p('prepareStackTrace is unset', () => Error.prepareStackTrace);
p('stackTraceLimit', () => Error.stackTraceLimit);
p('captureStackTrace', () => { const o = {}; Error.captureStackTrace(o); return typeof o.stack; });
p('isError', () => [Error.isError(new TypeError()), Error.isError({ __proto__: Error.prototype })]);
p('cause', () => new Error('x', { cause: 'why' }).cause);
p('AggregateError', () => new AggregateError([new Error('a')], 'agg').errors.length);
p('SuppressedError', () => new SuppressedError(1, 2, 'm').suppressed);
p('toString', () => String(new RangeError('r')));
p('name on prototype', () => Object.getOwnPropertyDescriptor(TypeError.prototype, 'name').value);
""",
    "Error: stack text": """
function thrower() { throw new TypeError('from thrower'); }
let e; try { thrower(); } catch (x) { e = x; }
const lines = e.stack.split('\\n');
p('header', () => lines[0]);
p('first frame', () => lines[1]);
p('second frame', () => lines[2]);
p('stack is own', () => Object.prototype.hasOwnProperty.call(e, 'stack'));
p('stack descriptor', () => typeof Object.getOwnPropertyDescriptor(e, 'stack').get);
p('stack is writable', () => { e.stack = 'replaced'; return e.stack; });
p('eval frame', () => { try { eval('null.f()'); } catch (x) { return x.stack.split('\\n')[1]; } });
p('anonymous frame', () => { try { [1].map(() => { throw new Error('m'); }); } catch (x) { return x.stack.split('\\n')[1]; } });
p('class frame', () => { class K { m() { throw new Error('k'); } } try { new K().m(); } catch (x) { return x.stack.split('\\n')[1]; } });
p('async frame', () => (async function af() { await null; throw new Error('a'); })().catch((x) => x.stack.split('\\n')[1]));
p('symbol name', () => { const x = new Error('s'); x.name = Symbol('sym'); return x.stack; });
p('name and message getters', () => { const x = new Error(); Object.defineProperty(x, 'message', { get() { return 'dyn'; } }); return x.stack.split('\\n')[0]; });
""",
    "Error: prepareStackTrace": """
Error.prepareStackTrace = (err, sites) => sites.slice(0, 2).map((s) => [
  typeof s, s.getFileName(), s.getLineNumber(), s.getColumnNumber(), s.getFunctionName(), s.getTypeName(),
  s.getMethodName(), s.isToplevel(), s.isEval(), s.isNative(), s.isConstructor(), s.isAsync(),
  s.isPromiseAll(), s.getPromiseIndex(), s.getScriptNameOrSourceURL(), s.getEvalOrigin(), String(s)].join('|'));
function inner() { return new Error('x').stack; }
p('sites', () => inner());
p('in eval', () => eval('new Error("e").stack'));
p('toplevel', () => new Error('t').stack);
Error.prepareStackTrace = (err, sites) => typeof sites[0].getThis() + ' ' + typeof sites[0].getFunction();
p('this and function', () => (function sloppy() { return new Error('s').stack; })());
Error.prepareStackTrace = (err) => 'custom ' + err.message;
p('any value', () => new RangeError('rv').stack);
Error.prepareStackTrace = () => { throw new Error('in prepare'); };
p('throwing prepare', () => new Error('z').stack);
Error.prepareStackTrace = undefined;
p('back to default', () => new Error('d').stack.split('\\n')[0]);
""",
    "Error: messages of common mistakes": """
p('null property', () => null.x);
p('undefined call', () => { const o = {}; o.missing(); });
p('not a constructor', () => new (() => {})());
p('undeclared', () => notDeclared);
p('const assignment', () => { const c = 1; c = 2; });
p('tdz', () => { x; let x = 1; });
p('bigint mix', () => 1n + 1);
p('symbol to string', () => Symbol() + '');
p('invalid array length', () => new Array(-1));
p('toFixed range', () => (1).toFixed(101));
p('JSON', () => JSON.parse('{"a":'));
p('BigInt of a fraction', () => BigInt(1.5));
p('cyclic JSON', () => { const o = {}; o.o = o; JSON.stringify(o); });
p('read-only in strict', () => { 'use strict'; Object.freeze([1])[0] = 2; });
p('in operator', () => 'x' in 1);
p('instanceof', () => ({}) instanceof 5);
p('regexp', () => new RegExp('['));
p('private brand', () => { class A { #p = 1; static get(o) { return o.#p; } } return A.get({}); });
p('super in object', () => ({ __proto__: { m() { return 'base'; } }, m() { return super.m(); } }).m());
p('stack overflow', () => { const f = () => f(); f(); });
""",
    "global object: declarations and this": """
var declared = 1; let lexical = 2; function fn() {} class Klass {}
p('var is a global property', () => Object.getOwnPropertyDescriptor(globalThis, 'declared'));
p('let is not', () => 'lexical' in globalThis);
p('function is', () => typeof globalThis.fn);
p('class is not', () => 'Klass' in globalThis);
p('this', () => this === globalThis);
p('sloppy function this', () => (function () { return this; })() === globalThis);
p('strict function this', () => (function () { 'use strict'; return this; })());
p('arguments at the top', () => typeof arguments);
p('delete a var', () => delete globalThis.declared);
p('implicit global', () => { implicitGlobal = 3; return Object.getOwnPropertyDescriptor(globalThis, 'implicitGlobal').configurable; });
p('globalThis descriptor', () => Object.getOwnPropertyDescriptor(globalThis, 'globalThis'));
p("Node's module names here", () => ['process', 'require', 'module', 'exports', '__dirname'].filter((n) => typeof globalThis[n] !== 'undefined'));
""",
    "timers: values and arguments": """
const t = setTimeout(function (a, b) { console.log('timeout args ' + a + ' ' + b + ' this ' + (this === t)); }, 50, 'x', 'y');
p('type', () => typeof t);
p('constructor', () => t.constructor.name);
p('methods', () => ['ref', 'unref', 'hasRef', 'refresh', 'close', Symbol.toPrimitive].map((k) => typeof t[k]));
p('hasRef', () => t.hasRef());
p('unref returns itself', () => t.unref() === t && !t.hasRef());
t.ref();
p('primitive', () => typeof +t);
const i = setImmediate((v) => console.log('immediate ' + v), 'arg');
p('immediate type', () => i.constructor.name);
p('immediate methods', () => ['ref', 'unref', 'hasRef'].map((k) => typeof i[k]));
p('clear with the primitive', () => { const c = setTimeout(() => console.log('CLEARED ONE RAN'), 1); clearTimeout(+c); return 'ok'; });
p('clear with a string id', () => { const c = setTimeout(() => console.log('CLEARED TWO RAN'), 1); clearTimeout(String(+c)); return 'ok'; });
p('clear nonsense', () => [clearTimeout(null), clearTimeout({}), clearInterval('x'), clearImmediate(undefined)]);
p('bad callback', () => setTimeout('code'));
p('bad callback object', () => setTimeout({}));
p('bad microtask', () => queueMicrotask(1));
p('no callback', () => setImmediate());
p('names', () => [setTimeout.name, setInterval.name, setImmediate.name, clearTimeout.name, queueMicrotask.name]);
""",
    "timers: order of the event loop": """
const order = [];
setTimeout(() => order.push('timeout 0'), 0);
setTimeout(() => order.push('timeout 5'), 5);
setImmediate(() => order.push('immediate'));
queueMicrotask(() => order.push('microtask'));
Promise.resolve().then(() => order.push('promise'));
(async () => { order.push('async start'); await null; order.push('after await'); })();
const iv = setInterval(() => { order.push('interval'); if (order.filter((x) => x === 'interval').length === 2) clearInterval(iv); }, 10);
setTimeout(() => { queueMicrotask(() => order.push('microtask in timer')); order.push('timeout 1'); }, 1);
setTimeout(() => console.log(order.filter((x) => x !== 'timeout 0' && x !== 'immediate' && x !== 'timeout 1' && x !== 'microtask in timer').join(', ')), 60);
order.push('sync');
""",
    "timers: delays out of range": """
const started = Date.now();
setTimeout(() => console.log('infinity ran ' + (Date.now() - started < 1000 ? 'soon' : 'late')), Infinity);
setTimeout(() => console.log('negative ran'), -5);
setTimeout(() => console.log('NaN ran'), NaN);
setTimeout(() => console.log('string delay ran'), '3');
setTimeout(() => console.log('object delay ran'), { valueOf() { return 2; } });
""",
    "promises and async": """
pa('withResolvers', () => { const r = Promise.withResolvers(); r.resolve(4); return r.promise; });
pa('try', () => Promise.try(() => 5));
pa('any', () => Promise.any([Promise.reject(1), Promise.resolve(2)]));
pa('any rejects', () => Promise.any([Promise.reject(1)]));
pa('allSettled', () => Promise.allSettled([1, Promise.reject(2)]).then((r) => r.map((x) => x.status)));
pa('race', () => Promise.race([new Promise((r) => setTimeout(() => r('late'), 20)), 'now']));
pa('fromAsync', () => Array.fromAsync((async function* () { yield 1; yield 2; })()));
pa('for await', async () => { let s = 0; for await (const x of [Promise.resolve(1), 2]) s += x; return s; });
pa('thenable', () => Promise.resolve({ then(r) { r('thenable'); } }));
pa('await in async generator', async () => { const g = (async function* () { yield await 7; })(); return (await g.next()).value; });
pa('unhandled then handled', () => { const r = Promise.reject(new Error('later')); return new Promise((ok) => setTimeout(() => ok(r.catch((e) => e.message)), 5)); });
""",
    "syntax: classes": """
class Base { #secret = 1; static #count = 0; static { Base.ready = true; } constructor() { Base.#count++; }
  get secret() { return this.#secret; } #hidden() { return 'hidden'; } reveal() { return this.#hidden(); }
  static has(o) { return #secret in o; } static count() { return Base.#count; } }
class Derived extends Base { field = this.constructor.name; constructor() { super(); this.target = new.target.name; } }
const d = new Derived();
p('private getter', () => d.secret);
p('private method', () => d.reveal());
p('brand check', () => [Base.has(d), Base.has({})]);
p('static block', () => Base.ready);
p('static private', () => Base.count());
p('field initializer', () => d.field);
p('new.target', () => d.target);
p('class toString', () => Base.toString().slice(0, 10));
p('class without new', () => Base());
p('accessor names', () => Object.getOwnPropertyDescriptor(Base.prototype, 'secret').get.name);
p('class fields order', () => Object.keys(new (class { a = 1; b = 2; constructor() { this.c = 3; } })()));
p('auto accessor or decorators', () => { try { return eval('(class { accessor x = 1 })') ? 'accessor' : ''; } catch (e) { return e.name; } });
""",
    "syntax: operators and literals": """
p('optional chaining', () => [null?.a, ({ a: { b: 1 } })?.a?.b, (void 0)?.()]);
p('nullish', () => [null ?? 'd', 0 ?? 'd', '' || 'or']);
p('logical assignment', () => { let a = null, b = 1, c = 0; a ??= 5; b &&= 7; c ||= 9; return [a, b, c]; });
p('numeric separators', () => 1_000_000 + 0b1010_1010 + 0o7_7 + 0xF_F);
p('exponent', () => [2 ** 10, (-2) ** 3, 2 ** -1]);
p('bigint', () => [2n ** 64n, -7n / 2n, -7n % 2n, BigInt.asIntN(8, 255n)]);
p('tagged template', () => ((s, ...v) => s.raw.join('|') + v.join(','))`a${1}\\n${2}c`);
p('String.raw', () => String.raw`\\u{1F600}${1}`);
p('destructuring', () => { const { a = 1, b: { c } = { c: 2 }, ...rest } = { x: 3, y: 4 }; return [a, c, rest]; });
p('array holes', () => { const [a, , b = 'def', ...r] = [1, 2, undefined, 4, 5]; return [a, b, r]; });
p('spread', () => [...'héllo', ...new Set([1, 1, 2])]);
p('labels', () => { let n = 0; outer: for (;;) { for (;;) { n++; if (n > 2) break outer; continue outer; } } return n; });
p('with', () => { const o = { w: 'with' }; with (o) { return w; } });
p('comma and void', () => [(1, 2), void 0]);
p('typeof undeclared', () => typeof nothingHere);
p('getters in literals', () => { const o = { get g() { return 'g'; }, set s(v) { this._s = v; } }; o.s = 1; return [o.g, o._s]; });
p('computed keys', () => ({ ['a' + 1]: 1, [Symbol.for('s')]: 2 }));
p('octal escapes in sloppy strings', () => '\\101');
p('html comments', () => eval('1 <!-- comment\\n + 1'));
p('using declarations', () => { try { return eval('{ using x = { [Symbol.dispose]() {} }; "using" }'); } catch (e) { return e.name; } });
""",
    "syntax: functions and generators": """
p('default params scope', () => ((a, b = a * 2) => b)(3));
p('arguments object', () => (function () { return [arguments.length, Array.isArray(arguments)]; })(1, 2));
p('arguments mapping', () => (function (a) { arguments[0] = 9; return a; })(1));
p('callee in strict', () => (function () { 'use strict'; return arguments.callee; })());
p('caller', () => { function f() { return f.caller; } return typeof f(); });
p('generator return', () => { function* g() { const x = yield 1; return x * 2; } const it = g(); it.next(); return it.next(5); });
p('generator throw', () => { function* g() { try { yield 1; } catch (e) { yield 'caught ' + e; } } const it = g(); it.next(); return it.throw('t').value; });
p('yield*', () => [...(function* () { yield* [1, 2]; yield* 'ab'; })()]);
p('iterator protocol', () => [...{ *[Symbol.iterator]() { yield 'own'; } }]);
p('function name inference', () => [(() => {}).name, ({ m() {} }).m.name, ({ ['c' + 1]: () => {} }).c1.name]);
p('bound', () => { const b = function (x, y) { return this.v + x + y; }.bind({ v: 1 }, 2); return [b(3), b.name, b.length]; });
p('toString of native', () => Math.max.toString());
p('toString of user function', () => (function named(a) { return a; }).toString());
p('recursion depth', () => { const f = (n) => (n === 0 ? 0 : 1 + f(n - 1)); return f(10000); });
""",
    "regexp features": """
p('named groups', () => '2026-12-01'.match(/(?<y>\\d+)-(?<m>\\d+)/).groups);
p('lookbehind', () => 'price: $42'.match(/(?<=\\$)\\d+/)[0]);
p('dotAll', () => /a.b/s.test('a\\nb'));
p('unicode sets', () => /[\\p{L}--[a-z]]/v.test('A') + ' ' + /[\\p{L}--[a-z]]/v.test('a'));
p('indices', () => /b(c)/d.exec('abc').indices);
p('sticky', () => { const r = /a/y; r.lastIndex = 1; return r.test('ba'); });
p('matchAll', () => [...'a1b2'.matchAll(/\\d/g)].map((m) => m[0] + m.index));
p('replace with function', () => 'a-b'.replace(/(\\w)/g, (m, c, i) => c.toUpperCase() + i));
p('escape', () => RegExp.escape('a.b*c'));
p('modifiers', () => { try { return new RegExp('(?i:a)b').test('Ab'); } catch (e) { return e.name; } });
p('duplicate named groups', () => { try { return new RegExp('(?<x>a)|(?<x>b)').exec('b').groups.x; } catch (e) { return e.name; } });
p('flags', () => /x/dgimsuy.flags);
p('lastIndex', () => { const r = /o/g; r.test('foo'); return r.lastIndex; });
p('Symbol.split', () => 'a1b2c'.split(/\\d/));
""",
    "Intl and locales": """
p('number', () => new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(1234.5));
p('compact', () => new Intl.NumberFormat('en', { notation: 'compact' }).format(1234567));
p('date', () => new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'long', timeZone: 'UTC' }).format(Date.UTC(2026, 11, 1, 8, 23)));
p('date in a zone', () => new Date(Date.UTC(2026, 11, 1)).toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo' }));
p('default time zone', () => Intl.DateTimeFormat().resolvedOptions().timeZone);
p('default locale', () => Intl.DateTimeFormat().resolvedOptions().locale);
p('collator', () => ['ä', 'a', 'z'].sort(new Intl.Collator('sv').compare));
p('plural', () => ['one', 'few', 'many'].map((_, i) => new Intl.PluralRules('pl').select(i + 1)));
p('relative', () => new Intl.RelativeTimeFormat('en', { numeric: 'auto' }).format(-1, 'day'));
p('list', () => new Intl.ListFormat('en', { type: 'disjunction' }).format(['a', 'b', 'c']));
p('segmenter', () => [...new Intl.Segmenter('en', { granularity: 'word' }).segment('Hi, you!')].filter((s) => s.isWordLike).map((s) => s.segment));
p('display names', () => new Intl.DisplayNames('en', { type: 'region' }).of('JP'));
p('duration', () => new Intl.DurationFormat('en', { style: 'long' }).format({ hours: 1, minutes: 2 }));
p('locale', () => new Intl.Locale('en-Latn-US-u-ca-gregory').maximize().toString());
p('supported', () => Intl.supportedValuesOf('calendar').length > 5);
p('toLocaleString', () => (1234567.891).toLocaleString());
p('localeCompare', () => 'a'.localeCompare('B', 'en', { sensitivity: 'base' }));
p('upper in Turkish', () => 'i'.toLocaleUpperCase('tr'));
p('timezone offset', () => new Date(0).getTimezoneOffset());
""",
    "Temporal": """
p('plain date', () => Temporal.PlainDate.from('2026-12-01').add({ months: 1, days: 31 }).toString());
p('day of week', () => Temporal.PlainDate.from('2026-12-01').dayOfWeek);
p('duration', () => Temporal.Duration.from({ hours: 36 }).round({ largestUnit: 'day' }).toString());
p('instant', () => Temporal.Instant.fromEpochMilliseconds(0).toString());
p('zoned', () => Temporal.ZonedDateTime.from('2026-03-29T00:30[Europe/Berlin]').add({ hours: 2 }).toString());
p('until', () => Temporal.PlainDate.from('2026-01-01').until('2026-12-01', { largestUnit: 'month' }).toString());
p('compare', () => Temporal.PlainTime.compare('10:00', '09:59:59.999'));
p('year month', () => Temporal.PlainYearMonth.from('2026-02').daysInMonth);
p('calendar', () => Temporal.PlainDate.from('2026-12-01[u-ca=japanese]').era);
p('now is a function', () => typeof Temporal.Now.instant);
p('invalid', () => Temporal.PlainDate.from('2026-13-01'));
""",
    "iterator helpers and collections": """
p('map filter take', () => Iterator.from([1, 2, 3, 4, 5]).map((x) => x * 2).filter((x) => x > 2).take(2).toArray());
p('drop flatMap', () => [1, 2].values().drop(1).flatMap((x) => [x, x]).toArray());
p('reduce some every find', () => { const it = () => [3, 4].values(); return [it().reduce((a, b) => a + b), it().some((x) => x > 3), it().every((x) => x > 3), it().find((x) => x > 3)]; });
p('forEach', () => { const seen = []; [1, 2].values().forEach((x) => seen.push(x)); return seen; });
p('concat', () => Iterator.concat([1], new Set([2])).toArray());
p('toStringTag', () => Object.prototype.toString.call(Iterator.prototype));
p('set algebra', () => { const a = new Set([1, 2, 3]), b = new Set([2, 3, 4]); return [a.union(b), a.intersection(b), a.difference(b), a.symmetricDifference(b), a.isSubsetOf(b), new Set([2]).isSubsetOf(a), a.isDisjointFrom(new Set([9]))]; });
p('groupBy', () => [Object.groupBy([1, 2, 3], (x) => (x % 2 ? 'odd' : 'even')), Map.groupBy([1, 2], (x) => x > 1)]);
p('getOrInsert', () => { const m = new Map(); m.getOrInsert('k', 1); m.getOrInsertComputed('j', () => 2); return [...m]; });
p('change array by copy', () => { const a = [3, 1, 2]; return [a.toSorted(), a.toReversed(), a.with(0, 9), a.toSpliced(1, 1), a]; });
p('findLast', () => [[1, 2, 3].findLast((x) => x < 3), [1, 2, 3].findLastIndex((x) => x > 5)]);
p('at', () => [[1, 2].at(-1), 'ab'.at(-2)]);
p('flat', () => [1, [2, [3, [4]]]].flat(Infinity));
p('weakref', () => typeof new WeakRef({}).deref());
p('finalization registry', () => typeof new FinalizationRegistry(() => {}).register);
p('sort stability', () => [{ k: 1, v: 'a' }, { k: 0, v: 'b' }, { k: 1, v: 'c' }].sort((x, y) => x.k - y.k).map((x) => x.v).join(''));
p('map order', () => [...new Map([[3, 'c'], [1, 'a'], [2, 'b']]).keys()]);
p('object key order', () => Object.keys({ b: 1, 2: 1, a: 1, 1: 1, [-1]: 1 }));
""",
    "typed arrays and memory": """
p('float16', () => Array.from(new Float16Array([1.337, 65504, 65520])));
p('f16round', () => Math.f16round(1.337));
p('resizable', () => { const b = new ArrayBuffer(2, { maxByteLength: 8 }); const v = new Uint8Array(b); b.resize(6); return [v.length, b.resizable]; });
p('transfer', () => { const b = new ArrayBuffer(4); const c = b.transfer(8); return [b.detached, c.byteLength]; });
p('detached access', () => { const b = new ArrayBuffer(4); const v = new Uint8Array(b); b.transfer(); return [v.length, v[0]]; });
p('base64', () => [new Uint8Array([104, 105]).toBase64(), Array.from(Uint8Array.fromBase64('aGk='))]);
p('hex', () => new Uint8Array([255, 1]).toHex());
p('atomics', () => { const a = new Int32Array(new SharedArrayBuffer(8)); Atomics.add(a, 0, 5); return [Atomics.load(a, 0), Atomics.compareExchange(a, 0, 5, 7), a[0]]; });
p('atomics wait is allowed', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0));
p('dataview endianness', () => { const d = new DataView(new ArrayBuffer(4)); d.setUint16(0, 0x1234); return [d.getUint8(0), d.getUint16(0, true)]; });
p('bigint arrays', () => Array.from(new BigInt64Array([-1n, 2n ** 63n - 1n])));
p('clamped', () => Array.from(new Uint8ClampedArray([-5, 300, 1.5])));
p('typed sort', () => Array.from(new Float64Array([3, -0, 0, NaN, -1]).sort()));
p('WebAssembly.Memory', () => { const m = new WebAssembly.Memory({ initial: 1, maximum: 2 }); m.grow(1); return m.buffer.byteLength; });
p('WebAssembly namespace', () => Object.keys(WebAssembly).sort());
p('WebAssembly.validate', () => WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])));
p('WebAssembly.Module', () => typeof new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])));
""",
    "proxies and reflection": """
const log = [];
const handler = Object.fromEntries(['get', 'set', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'defineProperty', 'deleteProperty', 'getPrototypeOf'].map((t) => [t, (...a) => { log.push(t); return Reflect[t](...a); }]));
const prox = new Proxy({ a: 1 }, handler);
p('traps', () => { prox.b = 2; 'a' in prox; Object.keys(prox); delete prox.b; Object.getPrototypeOf(prox); return log; });
p('revoked', () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy.x; });
p('invariant', () => Object.keys(new Proxy(Object.preventExtensions({ a: 1 }), { ownKeys: () => [] })));
p('typeof function proxy', () => typeof new Proxy(function () {}, {}));
p('array proxy', () => Array.isArray(new Proxy([], {})));
p('JSON through a proxy', () => JSON.stringify(new Proxy({ a: [1] }, {})));
p('Reflect.ownKeys order', () => Reflect.ownKeys({ b: 1, 1: 2, [Symbol.iterator]: 3, a: 4 }));
p('freeze', () => { const o = Object.freeze({ n: { m: 1 } }); o.n.m = 2; return [Object.isFrozen(o), o.n.m]; });
p('defineProperty failure', () => Object.defineProperty(Object.freeze({}), 'x', { value: 1 }));
p('Symbol.hasInstance', () => ({}) instanceof { [Symbol.hasInstance]: () => true });
p('Symbol.toPrimitive', () => +{ [Symbol.toPrimitive]: (h) => (h === 'number' ? 42 : 0) });
p('Symbol.species', () => { class A extends Array { static get [Symbol.species]() { return Array; } } return new A(1, 2).map((x) => x).constructor.name; });
p('well-known symbols', () => Object.getOwnPropertyNames(Symbol).filter((k) => typeof Symbol[k] === 'symbol').sort());
""",
    "strings and numbers": """
p('well formed', () => ['a\\uD800'.isWellFormed(), 'a\\uD800'.toWellFormed().charCodeAt(1)]);
p('normalize', () => ['\\u00e9'.normalize('NFD').length, 'e\\u0301'.normalize().length]);
p('replaceAll', () => 'a.b.c'.replaceAll('.', '/'));
p('code points', () => [...'🎉a'].map((c) => c.codePointAt(0)));
p('number to string', () => [0.1 + 0.2, 1e21, 2 ** 53 + 1, (255).toString(36), (-0).toString(), 5e-7]);
p('parse', () => [parseInt('08'), parseInt('0x1f'), parseFloat('1e3x'), Number(''), Number(' 12 '), Number('1_0')]);
p('precision', () => [(1.005).toFixed(2), (123.456).toPrecision(4), (0.00001).toExponential()]);
p('Math', () => [Math.max(), Math.min(), Math.round(-0.5), Math.sign(-0), Math.hypot(3, 4), Math.clz32(1), Math.fround(5.5)]);
p('sumPrecise', () => Math.sumPrecise([1e20, 0.1, -1e20]));
p('safe integers', () => [Number.MAX_SAFE_INTEGER, Number.EPSILON > 0, Number.isSafeInteger(2 ** 53)]);
p('string comparison', () => ['a' < 'B', 'ä' > 'z', '10' < '9']);
p('date parse', () => [Date.parse('2026-12-01'), Date.parse('2026-12-01T00:00'), Date.parse('Dec 1, 2026')]);
p('date local', () => new Date(2026, 11, 1, 12).toString());
p('date methods', () => { const d = new Date(Date.UTC(2026, 11, 1)); return [d.getUTCDay(), d.toUTCString(), d.toJSON()]; });
p('JSON rawJSON', () => JSON.stringify({ big: JSON.rawJSON('12345678901234567890') }));
p('JSON reviver source', () => JSON.parse('{"n": 1.0}', (k, v, ctx) => (k === 'n' ? ctx.source : v)).n);
p('escape and unescape', () => [escape('ä b'), unescape('%E4%20b')]);
p('URI', () => [encodeURIComponent('ä/?'), decodeURI('%E2%9C%93')]);
p('URI error', () => decodeURIComponent('%'));
""",
    "disposables": """
p('DisposableStack', () => { const log = []; const s = new DisposableStack(); s.defer(() => log.push('a')); s.adopt(1, () => log.push('b')); s.dispose(); return [log, s.disposed]; });
pa('AsyncDisposableStack', async () => { const s = new AsyncDisposableStack(); let done = false; s.defer(async () => { done = true; }); await s.disposeAsync(); return done; });
p('Symbol.dispose', () => typeof Symbol.dispose + typeof Symbol.asyncDispose);
p('SuppressedError', () => { const e = new SuppressedError(new Error('a'), new Error('b'), 'both'); return [e.error.message, e.suppressed.message, e.message]; });
""",
}

# console.log of values, compared as printed. Formatting is the part of the sandbox written
# anew (Node's util.inspect is host code), so this is where most differences would show.
CONSOLE = {
    "console: primitives": ["1", "-0", "1.5e300", "NaN", "10n", "'str'", "true", "null", "undefined",
                            "Symbol('s')", "Symbol.iterator", "''"],
    "console: format strings": ["'%s|%d|%i|%f', 'a', 42.9, 42.9, '1.5'", "'%j', { a: [1] }", "'%o', [1]",
                                "'%O', { a: 1 }", "'%c styled', 'color: red'", "'100%% %s', 'sure'",
                                "'%s', 5n", "'%d', '7'", "'%i', 2.9", "'%s %s', 'only one'", "'%x', 1"],
    "console: arrays and objects": ["[1, 'a', [2, [3, [4, [5]]]]]", "{ a: 1, 'b-c': 2, [Symbol('k')]: 3 }",
                                    "{ nested: { deeper: { deepest: { bottom: 1 } } } }", "[ , 1, , , 2]",
                                    "Object.create(null)", "[]", "{}", "{ f() {}, g: () => 1, h: function named() {} }",
                                    "Array.from({ length: 120 }, (_, i) => i)", "{ get g() { return 1; }, set s(v) {} }",
                                    "[undefined, null]", "{ 'quoted': \"it's\" }"],
    "console: built-ins": ["new Map([[1, { a: 1 }], ['k', [1]]])", "new Set([1, 'two'])", "new Date(0)",
                           "/re/gi", "new Uint8Array([1, 2, 3])", "new ArrayBuffer(4)", "new WeakMap()",
                           "Promise.resolve(42)", "new Promise(() => {})", "Object(1)", "Object('str')",
                           "Object(true)", "new (class Point { constructor() { this.x = 1; } })()",
                           "class A {}", "async function af() {}", "function* gen() {}", "Math.max"],
    "console: errors": ["new Error('boom').message", "new TypeError('t').name"],
    "console: strings": ["'line1\\nline2'", "['quote\\'s']", "['tab\\there']", "['x'.repeat(30)]",
                         "'héllo ✓ 🎉'"],
}


def console_programs() -> dict[str, str]:
    return {name: "\n".join(f"console.log({value});" for value in values) + "\n"
            for name, values in CONSOLE.items()}


def all_programs(methods: dict[str, list[str]]) -> dict[str, str]:
    """Every program of the suite, by name, each starting with PRELUDE."""
    programs = {**surface_programs(), **call_programs(methods),
                **{f"semantics {name}": body for name, body in SEMANTICS.items()},
                **console_programs()}
    return {name: PRELUDE + body for name, body in programs.items()}
