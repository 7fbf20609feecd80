'use strict';
// The reference side of the fidelity suite: runs one program the way the service runs it (a
// classic script named main.js, sloppy mode, `this` the global object), but in plain Node, on the
// same pinned binary, with nothing in between. Prints what the program prints; exits 1 after
// printing an uncaught error's first line, as the service would end Failed.
const fs = require('node:fs');
const util = require('node:util');
const vm = require('node:vm');

// Written at once (warn and error to stderr), as the service's console is: Node's own stdout to a pipe is asynchronous, and
// what is still queued when the process exits is lost.
for (const name of ['log', 'info', 'debug', 'warn', 'error']) {
  const fd = name === 'warn' || name === 'error' ? 2 : 1;
  console[name] = (...args) => fs.writeSync(fd, util.format(...args) + '\n');
}

// An uncaught error ends the program as it ends a run of the service: its header (or, for a
// thrown non-error, "Uncaught" and how it looks), on a line of its own.
const fail = (err) => {
  let line;
  try {
    line = err instanceof Error && typeof err.stack === 'string' ? err.stack : 'Uncaught ' + util.inspect(err);
  } catch {
    line = 'Uncaught';
  }
  console.log('UNCAUGHT ' + line.split('\n')[0]);
  process.exit(1);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
try {
  vm.runInThisContext(fs.readFileSync(0, 'utf8'), { filename: 'main.js' });
} catch (err) {
  fail(err);
}
