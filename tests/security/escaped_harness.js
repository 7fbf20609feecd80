'use strict';
// A stand-in for a program that has ALREADY escaped the V8 context: it runs with the host's full
// `require` and `process`, launched by the real driver with the real flags, limits, user and
// environment. Tests use it to show that the layers below the context still hold on their own.
const fs = require('node:fs');
const vm = require('node:vm');

const option = (name) => Number((process.argv.find((a) => a.startsWith(name + '=')) || '=0').split('=')[1]);
const resultFd = option('--result-fd');
const report = (outcome) => {
  fs.writeSync(resultFd, JSON.stringify(outcome) + '\n');
  process.exit(0);
};
// As the real harness does: out of memory means half the limit can no longer be had.
const exhausted = () => { try { Buffer.allocUnsafeSlow((option('--memory-limit-mb') >> 1) << 20); return false; } catch { return true; } };
const fail = (err) => report({ reason: 'error', error: String((err && err.stack) || err), memory_exhausted: exhausted() });
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

globalThis.require = require;
const value = vm.runInThisContext(JSON.parse(fs.readFileSync(0, 'utf8')).code, { filename: 'escaped.js' });
Promise.resolve(value).then((v) => report({
  reason: 'completed', result: typeof v === 'string' ? v : JSON.stringify(v),
}), fail);
