// The program's console, written in its realm, with Node's printf-like formats: everything it
// prints crosses to the host as one string per line, to stdout (log, info, debug, dir, table,
// ...) or stderr (error, warn, trace), as Node's console does. See primordials.js for the rules.
(function console(shared) {
  'use strict';
  const { ArrayJoin, ArrayPush, DateNow, ErrorCtor, ErrorPrototype, JSONStringify, MAX_TEXT, indentLines,
    NumberCtor, NumberParseFloat, NumberParseInt, ObjectPrototype, ReflectGetPrototypeOf,
    StringCharCodeAt, StringIndexOf, StringSlice, bounded, callHost, errorText, formatNumber,
    formatPrimitive, hostWrite, inspect, isObject, list, newContext, ownProperty, record, text } = shared;

  // Node's console formatting: a string first argument with more arguments is a printf-like
  // format (%s %d %i %f %j %o %O %c %%); the rest are joined with spaces, strings bare.
  function formatSpec(spec, arg) {
    switch (spec) {
      case 115: // %s
        if (typeof arg === 'string') return bounded(arg, MAX_TEXT);
        if (typeof arg === 'bigint') return arg + 'n';
        if (typeof arg === 'number') return formatNumber(arg);
        if (typeof arg === 'symbol' || !isObject(arg)) return formatPrimitive(newContext(), arg);
        return hasOwnToString(arg) ? text(arg) : inspect(arg, { depth: 0 });
      case 100: { // %d
        if (typeof arg === 'bigint') return '' + arg + 'n';
        if (typeof arg === 'symbol') return 'NaN';
        return formatNumber(NumberCtor(arg));
      }
      case 105: { // %i
        if (typeof arg === 'bigint') return '' + arg + 'n';
        if (typeof arg === 'symbol') return 'NaN';
        return formatNumber(NumberParseInt(text(arg)));
      }
      case 102: return typeof arg === 'symbol' ? 'NaN' : formatNumber(NumberParseFloat(text(arg)));
      case 106: try { return text(JSONStringify(arg)); } catch { return '[Circular]'; }
      case 111: return inspect(arg, { showHidden: true, showProxy: true, depth: 4 });
      case 99: return '';
      default: return inspect(arg);
    }
  }

  // Whether an object has a toString of its own making (not Object's or Error's built-in one).
  function hasOwnToString(value) {
    let object = value;
    for (let hops = 0; hops < 1000 && object !== null; hops++) {
      if (object === ObjectPrototype || object === ErrorPrototype) return false;
      if (ownProperty(object, 'toString') !== undefined) return true;
      try { object = ReflectGetPrototypeOf(object); } catch { return false; }
    }
    return false;
  }

  function formatArgs(args) {
    const parts = list();
    let next = 0;
    if (typeof args[0] === 'string') {
      const format = bounded(args[0], MAX_TEXT);
      next = 1;
      if (args.length === 1) {
        ArrayPush(parts, format);
      } else {
        const out = list();
        let start = 0;
        for (let i = 0; i < format.length - 1; i++) {
          if (StringCharCodeAt(format, i) !== 37) continue;
          const spec = StringCharCodeAt(format, i + 1);
          let replacement = null;
          if (spec === 37) replacement = '%';
          else if (next < args.length && (spec === 115 || spec === 100 || spec === 105 ||
            spec === 102 || spec === 106 || spec === 111 || spec === 79 || spec === 99)) {
            replacement = formatSpec(spec, args[next++]);
          }
          if (replacement === null) continue;
          ArrayPush(out, StringSlice(format, start, i), replacement);
          start = i + 2;
          i++;
        }
        ArrayPush(out, StringSlice(format, start));
        ArrayPush(parts, ArrayJoin(out, ''));
      }
    }
    for (; next < args.length; next++) {
      const arg = args[next];
      ArrayPush(parts, typeof arg === 'string' ? bounded(arg, MAX_TEXT) : inspect(arg));
    }
    return bounded(ArrayJoin(parts, ' '), MAX_TEXT);
  }

  // ---- console ------------------------------------------------------------------------------
  const counts = record();
  const timersStart = record();
  let groupIndent = '';
  const STDOUT = 1;
  const STDERR = 2;
  function print(line, stream) {
    const out = groupIndent ? groupIndent + indentLines(line, groupIndent) : line;
    // the host adds the newline, without copying a huge string to do it
    callHost(hostWrite, out, stream === STDERR ? STDERR : STDOUT, false);
  }
  const label = (value) => (value === undefined ? 'default' : text(value));
  const console = {
    log(...args) { print(formatArgs(args)); },
    info(...args) { print(formatArgs(args)); },
    debug(...args) { print(formatArgs(args)); },
    warn(...args) { print(formatArgs(args), STDERR); },
    error(...args) { print(formatArgs(args), STDERR); },
    trace(...args) {
      const stack = errorText(new ErrorCtor('x'));
      const frames = StringIndexOf(stack, '\n');
      print('Trace' + (args.length ? ': ' + formatArgs(args) : '') +
        (frames === -1 ? '' : StringSlice(stack, frames)), STDERR);
    },
    dir(value) { print(inspect(value)); },
    assert(ok, ...args) {
      if (!ok) print('Assertion failed' + (args.length ? ': ' + formatArgs(args) : ''), STDERR);
    },
    count(name) {
      const key = label(name);
      const n = (counts[key] || 0) + 1;
      counts[key] = n;
      print(key + ': ' + n);
    },
    countReset(name) { delete counts[label(name)]; },
    time(name) { timersStart[label(name)] = DateNow(); },
    timeLog(name, ...args) {
      const key = label(name);
      if (timersStart[key] !== undefined) {
        print(key + ': ' + (DateNow() - timersStart[key]) + 'ms' + (args.length ? ' ' + formatArgs(args) : ''));
      }
    },
    timeEnd(name) {
      const key = label(name);
      if (timersStart[key] !== undefined) print(key + ': ' + (DateNow() - timersStart[key]) + 'ms');
      delete timersStart[key];
    },
    group(...args) { if (args.length) print(formatArgs(args)); groupIndent += '  '; },
    groupCollapsed(...args) { if (args.length) print(formatArgs(args)); groupIndent += '  '; },
    groupEnd() { groupIndent = StringSlice(groupIndent, 2); },
    table(value) { print(inspect(value)); },
  };

  shared.console = console;
  shared.formatArgs = formatArgs;
})
