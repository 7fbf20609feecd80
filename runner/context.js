// The code that runs *inside* the untrusted program's V8 context.
//
// Why it exists: the host must never touch a value the program made (host-side inspect, String(),
// instanceof ... would run the program's getters and Proxy traps with host privileges). So the
// console, the timers and all formatting live here, in the program's own realm, and only primitive
// strings and numbers cross to the host, through the four host functions handed to `install`.
//
// This file is read as text by harness.js and evaluated in the fresh context; it must be a single
// function expression and must not use anything but the ECMAScript built-ins. Each host function
// returns '' or a failure message, which `host` turns into an error of this realm.
(function install(hostWrite, hostSchedule, hostCancel, hostFail) {
  'use strict';

  // Captured now, before the program can replace them on the global object or prototypes.
  // The program can still replace methods that formatting uses later (String.prototype.slice,
  // say): that only garbles its own output, since the host checks that what it gets is a string.
  const { Object, Array, String, Number, Symbol, Map, Set, WeakMap, WeakSet, Date, RegExp,
    Error, TypeError, RangeError, Promise, Reflect, JSON, Function, Math, ArrayBuffer, Boolean,
    BigInt } = globalThis;
  const objectToString = Object.prototype.toString;
  const hasOwn = Object.prototype.hasOwnProperty;
  const fnToString = Function.prototype.toString;
  const symbolToString = Symbol.prototype.toString;
  const regExpTest = RegExp.prototype.test;
  const regExpExec = RegExp.prototype.exec;
  const regExpToString = RegExp.prototype.toString;
  const dateGetTime = Date.prototype.getTime;
  const dateToISOString = Date.prototype.toISOString;
  const mapEntries = Map.prototype.entries;
  const setValues = Set.prototype.values;
  const call = (fn, self, ...args) => Reflect.apply(fn, self, args);
  const host = (fn, ...args) => {
    const failure = fn(...args);
    if (failure) throw new RangeError(String(failure));
  };
  const unbox = {
    Symbol: Symbol.prototype.valueOf, Number: Number.prototype.valueOf,
    String: String.prototype.valueOf, Boolean: Boolean.prototype.valueOf,
    BigInt: BigInt.prototype.valueOf,
  };

  const MAX_DEPTH = 2;
  const MAX_ITEMS = 100;
  const BREAK_LENGTH = 72;
  const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

  // ---- formatting: a small, Node-like util.inspect ------------------------------------------
  function quote(s) {
    const q = s.includes("'") ? (s.includes('"') ? (s.includes('`') ? "'" : '`') : '"') : "'";
    let out = '';
    for (const ch of s) {
      if (ch === q || ch === '\\') out += '\\' + ch;
      else if (ch === '\n') out += '\\n';
      else if (ch === '\t') out += '\\t';
      else if (ch === '\r') out += '\\r';
      else if (ch < ' ') out += '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
      else out += ch;
    }
    return q + out + q;
  }

  function formatKey(key) {
    if (typeof key === 'symbol') return '[' + call(symbolToString, key) + ']';
    return call(regExpTest, IDENTIFIER, key) ? key : quote(key);
  }

  function formatPrimitive(value, nested) {
    switch (typeof value) {
      case 'string': return nested ? quote(value) : value;
      case 'number': return Object.is(value, -0) ? '-0' : String(value);
      case 'bigint': return String(value) + 'n';
      case 'symbol': return call(symbolToString, value);
      case 'undefined': return 'undefined';
      default: return String(value); // boolean, null
    }
  }

  function functionLabel(fn) {
    let source = '';
    try { source = call(fnToString, fn); } catch { /* revoked proxy and friends */ }
    const name = typeof fn.name === 'string' && fn.name ? fn.name : '';
    if (source.startsWith('class')) return name ? `[class ${name}]` : '[class (anonymous)]';
    const kind = objectToString.call(fn).slice(8, -1);
    const prefix = kind === 'AsyncFunction' ? 'AsyncFunction' :
      kind === 'GeneratorFunction' ? 'GeneratorFunction' :
        kind === 'AsyncGeneratorFunction' ? 'AsyncGeneratorFunction' : 'Function';
    return name ? `[${prefix}: ${name}]` : `[${prefix} (anonymous)]`;
  }

  function constructorName(value) {
    let proto;
    try { proto = Object.getPrototypeOf(value); } catch { return null; }
    if (proto === null) return null;
    const ctor = proto && hasOwn.call(proto, 'constructor') ? proto.constructor : undefined;
    return typeof ctor === 'function' && typeof ctor.name === 'string' ? ctor.name : '';
  }

  function wrap(open, parts, close, indent) {
    if (parts.length === 0) return open.trimEnd() + close.trimStart();
    const single = open + parts.join(', ') + close;
    if (single.length <= BREAK_LENGTH && !single.includes('\n')) return single;
    const pad = '  '.repeat(indent + 1);
    return open.trimEnd() + '\n' + pad + parts.join(',\n' + pad) + '\n' + '  '.repeat(indent) +
      close.trimStart();
  }

  function ownEntries(value, skipIndices) {
    const parts = [];
    const keys = Reflect.ownKeys(value);
    for (const key of keys) {
      if (skipIndices && typeof key === 'string' && /^(0|[1-9]\d*)$/.test(key)) continue;
      const desc = Reflect.getOwnPropertyDescriptor(value, key);
      if (!desc || !desc.enumerable) continue;
      parts.push([key, desc]);
    }
    return parts;
  }

  function formatValue(value, depth, seen, indent) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      return formatPrimitive(value, true);
    }
    if (seen.includes(value)) return '[Circular *1]';
    if (typeof value === 'function') {
      const label = functionLabel(value);
      const extra = ownEntries(value, false).filter(([k]) => k !== 'prototype');
      if (extra.length === 0 || depth > MAX_DEPTH) return label;
      return formatObjectBody(value, label + ' ', extra, depth, seen, indent);
    }
    const tag = objectToString.call(value).slice(8, -1);
    const name = constructorName(value);
    const prefix = name === null ? '[Object: null prototype] ' : '';

    if (Array.isArray(value)) {
      if (depth > MAX_DEPTH) return '[Array]';
      seen.push(value);
      const parts = [];
      const shown = Math.min(value.length, MAX_ITEMS);
      let holes = 0;
      for (let i = 0; i < shown; i++) {
        if (!hasOwn.call(value, i)) { holes++; continue; }
        if (holes) { parts.push(`<${holes} empty item${holes > 1 ? 's' : ''}>`); holes = 0; }
        parts.push(formatValue(value[i], depth + 1, seen, indent + 1));
      }
      if (holes) parts.push(`<${holes} empty item${holes > 1 ? 's' : ''}>`);
      if (value.length > shown) parts.push(`... ${value.length - shown} more items`);
      for (const [key, desc] of ownEntries(value, true)) {
        if (key === 'length') continue;
        parts.push(formatProperty(key, desc, depth, seen, indent));
      }
      seen.pop();
      const label = name && name !== 'Array' ? `${name}(${value.length}) ` : '';
      return wrap(label + '[ ', parts, ' ]', indent);
    }
    if (tag === 'Error' || value instanceof Error) return errorText(value);
    if (tag === 'Date') {
      const time = call(dateGetTime, value);
      return Number.isNaN(time) ? 'Invalid Date' : call(dateToISOString, value);
    }
    if (tag === 'RegExp') return call(regExpToString, value);
    if (tag === 'Promise') return (name || 'Promise') + ' { <unknown> }';
    if (tag === 'WeakMap' || tag === 'WeakSet') return `${tag} { <items unknown> }`;
    if (hasOwn.call(unbox, tag)) {
      const inner = formatPrimitive(call(unbox[tag], value), true);
      return `[${tag}: ${inner}]`;
    }
    if (depth > MAX_DEPTH) return `[${name || tag || 'Object'}]`;

    seen.push(value);
    try {
      if (tag === 'Map') {
        const size = call(Reflect.getOwnPropertyDescriptor(Map.prototype, 'size').get, value);
        const parts = [];
        for (const [k, v] of call(mapEntries, value)) {
          if (parts.length >= MAX_ITEMS) { parts.push(`... ${size - MAX_ITEMS} more items`); break; }
          parts.push(formatValue(k, depth + 1, seen, indent + 1) + ' => ' +
            formatValue(v, depth + 1, seen, indent + 1));
        }
        return wrap(`${prefix}${name || 'Map'}(${size}) { `, parts, ' }', indent);
      }
      if (tag === 'Set') {
        const size = call(Reflect.getOwnPropertyDescriptor(Set.prototype, 'size').get, value);
        const parts = [];
        for (const v of call(setValues, value)) {
          if (parts.length >= MAX_ITEMS) { parts.push(`... ${size - MAX_ITEMS} more items`); break; }
          parts.push(formatValue(v, depth + 1, seen, indent + 1));
        }
        return wrap(`${prefix}${name || 'Set'}(${size}) { `, parts, ' }', indent);
      }
      if (ArrayBuffer.isView(value) && tag !== 'DataView') {
        const parts = [];
        const shown = Math.min(value.length, MAX_ITEMS);
        for (let i = 0; i < shown; i++) parts.push(formatPrimitive(value[i], true));
        if (value.length > shown) parts.push(`... ${value.length - shown} more items`);
        return wrap(`${tag}(${value.length}) [ `, parts, ' ]', indent);
      }
      let label = '';
      if (name === null) label = '[Object: null prototype] ';
      else if (name !== 'Object') label = (name || tag) + ' ';
      const toStringTag = value[Symbol.toStringTag];
      if (typeof toStringTag === 'string' && toStringTag !== name && toStringTag !== tag) {
        label = `${name || 'Object'} [${toStringTag}] `;
      }
      if (tag === 'Generator' || tag === 'AsyncGenerator') label = `Object [${tag}] `;
      return formatObjectBody(value, label, ownEntries(value, false), depth, seen, indent);
    } finally {
      seen.pop();
    }
  }

  function formatProperty(key, desc, depth, seen, indent) {
    let text;
    if (desc.get || desc.set) text = desc.get && desc.set ? '[Getter/Setter]' : desc.get ? '[Getter]' : '[Setter]';
    else text = formatValue(desc.value, depth + 1, seen, indent + 1);
    return formatKey(key) + ': ' + text;
  }

  function formatObjectBody(value, label, entries, depth, seen, indent) {
    const parts = [];
    for (const [key, desc] of entries) {
      if (parts.length >= MAX_ITEMS) { parts.push(`... ${entries.length - MAX_ITEMS} more items`); break; }
      parts.push(formatProperty(key, desc, depth, seen, indent));
    }
    if (parts.length === 0) return label ? label + '{}' : '{}';
    return wrap(label + '{ ', parts, ' }', indent);
  }

  function inspect(value) {
    return formatValue(value, 0, [], 0);
  }

  // Node's console formatting: a string first argument with more arguments is a printf-like
  // format (%s %d %i %f %j %o %O %c %%); the rest are joined with spaces, strings bare.
  function formatSpec(spec, arg) {
    switch (spec) {
      case 's': return typeof arg === 'string' ? arg : inspect(arg);
      case 'd': return typeof arg === 'bigint' ? arg + 'n' : formatPrimitive(Number(arg), false);
      case 'i': return typeof arg === 'bigint' ? arg + 'n' : formatPrimitive(Math.trunc(Number(arg)), false);
      case 'f': return formatPrimitive(Number.parseFloat(arg), false);
      case 'j': try { return JSON.stringify(arg); } catch { return '[Circular]'; }
      case 'c': return '';
      default: return inspect(arg);
    }
  }

  function formatArgs(args) {
    const parts = [];
    let i = 0;
    if (typeof args[0] === 'string') {
      i = 1;
      parts.push(args.length === 1 ? args[0] : args[0].replace(/%[sdifjoOc%]/g, (spec) => {
        if (spec === '%%') return '%';
        return i < args.length ? formatSpec(spec[1], args[i++]) : spec;
      }));
    }
    for (; i < args.length; i++) parts.push(typeof args[i] === 'string' ? args[i] : inspect(args[i]));
    return parts.length === 1 ? parts[0] : parts.join(' ');
  }

  // ---- errors ---------------------------------------------------------------------------------
  // Stack traces are formatted here, by a fixed Error.prepareStackTrace: Node's default formatter
  // is host code, and some errors (a Symbol as name) make it throw a host-realm TypeError into the
  // program. Ours keeps the program's own frames and drops the harness and Node internals.
  const INTERNAL_FILE = /^(node:|evaluator:)|harness\.js$/;

  function errorHeader(error) {
    if (error === null || (typeof error !== 'object' && typeof error !== 'function')) {
      return String(error);
    }
    const name = error.name === undefined ? 'Error' : String(error.name);
    const message = error.message === undefined ? '' : String(error.message);
    return !name ? message : !message ? name : name + ': ' + message;
  }

  function prepareStackTrace(error, callSites) {
    let text;
    try { text = errorHeader(error); } catch { text = 'Error'; }
    // An index loop: for...of would hand the frames to a replaced Array iterator.
    for (let i = 0; i < callSites.length; i++) {
      const site = callSites[i];
      let file;
      try { file = site.getFileName(); } catch { file = undefined; }
      if (typeof file === 'string' && call(regExpTest, INTERNAL_FILE, file)) continue;
      text += '\n    at ' + String(site);
    }
    return text;
  }

  // Node marks where an uncaught error was thrown ("main.js:3", the line, a caret) when the host
  // formats it; the host no longer touches the error, so the mark is made here.
  let sourceLines = [];
  function setSource(code) {
    if (typeof code === 'string') sourceLines = code.split('\n');
  }
  const TOP_FRAME = /^\s+at (?:.*\()?main\.js:(\d+):(\d+)\)?$/m;
  function withThrowMark(stack) {
    const at = call(regExpExec, TOP_FRAME, stack);
    const line = at && sourceLines[Number(at[1]) - 1];
    if (typeof line !== 'string') return stack;
    return `main.js:${at[1]}\n${line}\n${' '.repeat(Number(at[2]) - 1)}^\n\n${stack}`;
  }
  Object.defineProperty(Error, 'prepareStackTrace', {
    value: prepareStackTrace, writable: false, configurable: false, enumerable: false,
  });
  // Node looks the hook up as globalThis.Error.prepareStackTrace: keep that path fixed too.
  Object.defineProperty(globalThis, 'Error', { writable: false, configurable: false });

  function errorText(err) {
    let stack;
    try { stack = err.stack; } catch { stack = undefined; }
    if (typeof stack === 'string' && stack) return stack;
    let name = 'Error';
    let message = '';
    try { name = String(err.name); message = String(err.message); } catch { /* unprintable */ }
    return message ? `${name}: ${message}` : name;
  }

  function describeError(err) {
    try {
      if (err !== null && typeof err === 'object' && (err instanceof Error ||
        objectToString.call(err) === '[object Error]')) {
        return withThrowMark(errorText(err));
      }
      return 'Uncaught ' + inspect(err);
    } catch {
      return 'Uncaught exception (it could not be formatted)';
    }
  }

  function fail(err) {
    host(hostFail, describeError(err));
  }

  // ---- console ----------------------------------------------------------------------------
  const counts = new Map();
  const timersStart = new Map();
  let groupIndent = '';
  function print(args) {
    let text = formatArgs(args);
    if (groupIndent) text = groupIndent + text.split('\n').join('\n' + groupIndent);
    host(hostWrite, text); // the host adds the newline, without copying a huge string to do it
  }
  const console = {
    log: (...args) => print(args),
    info: (...args) => print(args),
    debug: (...args) => print(args),
    warn: (...args) => print(args),
    error: (...args) => print(args),
    trace: (...args) => print(['Trace' + (args.length ? ': ' + formatArgs(args) : '')]),
    dir: (value) => print([inspect(value)]),
    assert: (ok, ...args) => { if (!ok) print(['Assertion failed' + (args.length ? ': ' + formatArgs(args) : '')]); },
    count: (label = 'default') => {
      const n = (counts.get(label) || 0) + 1;
      counts.set(label, n);
      print([`${label}: ${n}`]);
    },
    countReset: (label = 'default') => { counts.delete(label); },
    time: (label = 'default') => { timersStart.set(label, Date.now()); },
    timeLog: (label = 'default', ...args) => {
      if (timersStart.has(label)) print([`${label}: ${Date.now() - timersStart.get(label)}ms`, ...args]);
    },
    timeEnd: (label = 'default') => {
      if (timersStart.has(label)) print([`${label}: ${Date.now() - timersStart.get(label)}ms`]);
      timersStart.delete(label);
    },
    group: (...args) => { if (args.length) print(args); groupIndent += '  '; },
    groupEnd: () => { groupIndent = groupIndent.slice(2); },
    table: (value) => print([inspect(value)]),
  };
  console.groupCollapsed = console.group;

  // ---- timers -----------------------------------------------------------------------------
  // Callbacks stay in this realm; the host only learns an id and a delay.
  const timers = new Map();
  let nextTimerId = 0;
  function addTimer(callback, delay, args, repeat) {
    if (typeof callback !== 'function') {
      throw new TypeError('The "callback" argument must be of type function');
    }
    const id = ++nextTimerId;
    let ms = Number(delay);
    if (!(ms >= 1 && ms <= 2147483647)) ms = 1;
    timers.set(id, { callback, args, repeat });
    host(hostSchedule, id, Math.trunc(ms), repeat);
    return id;
  }
  function removeTimer(id) {
    if (typeof id === 'number' && timers.delete(id)) host(hostCancel, id);
  }
  function fire(id) {
    const timer = timers.get(id);
    if (!timer) return;
    if (!timer.repeat) timers.delete(id);
    try {
      Reflect.apply(timer.callback, undefined, timer.args);
    } catch (err) {
      fail(err);
    }
  }

  const globals = {
    console,
    setTimeout: (callback, delay, ...args) => addTimer(callback, delay, args, false),
    setInterval: (callback, delay, ...args) => addTimer(callback, delay, args, true),
    setImmediate: (callback, ...args) => addTimer(callback, 0, args, false),
    clearTimeout: removeTimer,
    clearInterval: removeTimer,
    clearImmediate: removeTimer,
    queueMicrotask: (callback) => {
      if (typeof callback !== 'function') {
        throw new TypeError('The "callback" argument must be of type function');
      }
      Promise.resolve().then(() => callback());
    },
  };
  // Node answers these two from host code (its fetch-based streaming compiler). Wasm compilation
  // is disabled in this context anyway; remove the door rather than rely on V8 refusing first.
  delete WebAssembly.compileStreaming;
  delete WebAssembly.instantiateStreaming;

  for (const key of Reflect.ownKeys(globals)) {
    Object.defineProperty(globalThis, key, {
      value: globals[key], writable: true, configurable: true, enumerable: false,
    });
  }

  function formatResult(value) {
    let text;
    try {
      text = typeof value === 'string' ? value : inspect(value);
    } catch (err) {
      text = describeError(err);
    }
    return typeof text === 'string' ? text : '[a value that could not be formatted]';
  }

  const makeError = (message) => new Error(message);

  return { formatResult, describeError, fire, makeError, setSource };
})
