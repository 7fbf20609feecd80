"""Through the real service: the published vm2 escapes and the host-realm error tricks from
SANDBOX.md, each as its own program. None may reach the host's process; some exhaust the stack on
purpose and may run into the time limit, which is a fine outcome."""

from __future__ import annotations

import pytest

from tests.security.attacks import REPORT, VM2_PROOFS
from tests.security.conftest import ESCAPED, run_all
from tests.support.stack import RunningStack

TRICKS = {
    "this.constructor.constructor": REPORT + "reached('this', this.constructor.constructor)",
    "dynamic import() error": REPORT + """
import('child_process').then(() => console.log('ESCAPED import'),
  (e) => { console.log('realm ' + (e instanceof Error)); reached('import', e.constructor.constructor); })""",
    "Symbol-named error": REPORT + """
const e = new Error('x'); e.name = Symbol('s');
try { console.log('stack ' + typeof e.stack); } catch (x) { reached('symbol', x.constructor.constructor); }""",
    "Promise species": REPORT + """
class P extends Promise { static get [Symbol.species]() { return function (executor) {
  executor(() => {}, (e) => reached('species', e.constructor.constructor)); }; } }
P.reject(new Error('x')).then(() => {});""",
    "Proxy traps on host calls": REPORT + """
const trap = new Proxy(function () {}, { apply(t, self, args) {
  for (const a of args) if (a && a.constructor) reached('apply arg', a.constructor.constructor);
  if (self && self.constructor) reached('apply this', self.constructor.constructor); } });
setTimeout(trap, 1); queueMicrotask(trap); console.log(new Proxy({}, { get: (t, k) => trap }));""",
    "Error.prepareStackTrace": REPORT + """
let seen = [];
Error.prepareStackTrace = (e, sites) => { seen = sites; return sites.map((s) => s.getThis()); };
const frames = new Error().stack;
console.log('stack is ' + typeof frames);
const mine = (v) => v === undefined || v instanceof Object;
const ok = seen.length > 0 && seen.every((s) => s instanceof Object && mine(s.getThis()) &&
  mine(s.getFunction()) && Object.getPrototypeOf(Object.getPrototypeOf(s)) === Object.prototype &&
  !Function.prototype.toString.call(s.getFileName).includes('[native code]'));
if (ok) console.log('sites: own realm, this and function of its own');
for (const s of seen) for (const k of ['getThis', 'getFunction']) if (s[k]()) reached('site', s[k]().constructor);
Error.captureStackTrace({});""",
    "callee.caller from a host call": REPORT + """
setTimeout(function cb() { try { const c = cb.caller; if (c) reached('caller', c.constructor); } catch (e) {} }, 1);
const o = { get x() { try { return arguments.callee.caller; } catch (e) { return null; } } };
console.log(typeof o.x);""",
    "custom inspect hook": REPORT + """
console.log({ [Symbol.for('nodejs.util.inspect.custom')](d, o, inspect) {
  console.log('hook called with ' + [inspect instanceof Function, o instanceof Object].join(' '));
  reached('inspect', inspect.constructor); return 'hooked'; } });""",
    "getters run while an error is formatted": REPORT + """
throw { get stack() { reached('getter', this.constructor.constructor); return 'x'; },
        get message() { return 'm'; } }""",
    "globalThis holds no host object": """
for (const k of Reflect.ownKeys(globalThis)) {
  const v = globalThis[k];
  if (v && (typeof v === 'object' || typeof v === 'function') && ('pid' in v || 'binding' in v))
    console.log('ESCAPED ' + String(k));
}
Reflect.ownKeys(globalThis).length""",
}


@pytest.fixture(scope="module")
def records(service: RunningStack) -> dict[str, dict]:
    return run_all(service, {**TRICKS, **VM2_PROOFS})


# What each program shows when it ran and was stopped; by default a "<route> blocked: <error>"
# line from REPORT's reached(), printed when the route was tried and gave no host process.
RAN = {
    "dynamic import() error": lambda r: "realm true" in r["stdout"],
    "Proxy traps on host calls": lambda r: "Proxy({})" in r["stdout"],
    "Error.prepareStackTrace": lambda r: "stack is object" in r["stdout"],
    "callee.caller from a host call": lambda r: r["stdout"] == "object\n",
    "custom inspect hook": lambda r: "hook called with" in r["stdout"],
    "getters run while an error is formatted":
        lambda r: r["error"] == "Uncaught { stack: [Getter], message: [Getter] }",
    "globalThis holds no host object": lambda r: str(r["result"]).isdigit(),
    "CVE-2022-36067 Error replaced on the global": lambda r: "stack is string" in r["stdout"],
    # It formats a stack at every depth on the way down: on a busy machine the limit comes first.
    "CVE-2023-37466 promise species": lambda r: " blocked: " in r["stdout"] or r["reason"] == "time_limit",
}


@pytest.mark.parametrize("name", list(TRICKS) + list(VM2_PROOFS))
def test_the_escape_fails(records: dict[str, dict], name: str) -> None:
    record = records[name]
    output = record["stdout"] + str(record["result"]) + str(record["error"])
    assert ESCAPED not in output, record
    assert "pid" not in record["stdout"]
    ran = RAN.get(name, lambda r: " blocked: " in r["stdout"])
    assert ran(record), record  # a positive sign that the attempt ran


def test_a_custom_inspect_hook_gets_only_values_of_the_programs_realm(
        records: dict[str, dict]) -> None:
    assert records["custom inspect hook"]["stdout"].startswith("hook called with true true\n")
    assert "hooked" in records["custom inspect hook"]["stdout"]


def test_dynamic_import_is_refused_with_an_error_of_the_programs_own_realm(
        records: dict[str, dict]) -> None:
    assert "realm true" in records["dynamic import() error"]["stdout"]


def test_a_custom_stack_formatter_gets_only_call_sites_of_the_programs_realm(
        records: dict[str, dict]) -> None:
    """Error.prepareStackTrace works as in Node, but hands over stand-ins of the program's own
    realm holding what V8's CallSites said (a frame's receiver and function only when they are
    the program's own values), never V8's CallSite objects."""
    assert "stack is object" in records["Error.prepareStackTrace"]["stdout"]
    assert "sites: own realm, this and function of its own" in records["Error.prepareStackTrace"]["stdout"]
