'use strict';
// A stand-in for the harness *before* the stack-limit fix: the program's context is built as the
// real harness builds it (no host objects, code generation on in the program's realm only), but
// one raw host function is handed in, with no protection around the call. A program that calls
// it with the stack nearly full gets host-realm errors from it: the door the fix closed. Tests use
// it to show that what comes through that door, the host's Function, still cannot generate code,
// under the driver's real flags (--disallow-code-generation-from-strings in the host realm).
const fs = require('node:fs');
const vm = require('node:vm');

const resultFd = Number(process.argv.find((a) => a.startsWith('--result-fd=')).split('=')[1]);
const report = (outcome) => {
  fs.writeSync(resultFd, JSON.stringify(outcome) + '\n');
  process.exit(0);
};
const context = vm.createContext(vm.constants.DONT_CONTEXTIFY, {
  codeGeneration: { strings: true, wasm: false },
});
// The context's only way out: one host function that returns its argument, and one that lets the
// program hand back a line of text as its result.
const install = vm.runInContext('(function (echo, done) { globalThis.hostEcho = echo; globalThis.done = done; })', context);
install((value) => value, (text) => report({ reason: 'completed', result: String(text) }));
try {
  vm.runInContext(JSON.parse(fs.readFileSync(0, 'utf8')).code, context, { filename: 'main.js', displayErrors: false });
} catch {
  report({ reason: 'error', error: 'the program threw' });
}
