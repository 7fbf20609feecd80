// The code that runs *inside* the untrusted program's V8 context: its console, timers, stack
// formatting, import() answer and all value formatting.
//
// Why it lives here: the host must never touch a value the program made (host-side inspect,
// String(), instanceof ... would run the program's getters and Proxy traps with host privileges),
// and every error the engine creates while this code runs is an error of the program's realm. Only
// primitive strings and numbers cross to the host, through the host functions handed to `install`.
//
// The rules this file keeps (each one is a class of attack that was found):
// - Everything it uses was captured when it was installed, before the program ran: methods are
//   called through `ReflectApply`, never looked up on the program's prototypes, and no program-
//   reachable or engine value goes through an overridable protocol (spread, for-of, destructuring
//   of arrays, template literals or `+` on objects, String(object), instanceof, getters on
//   descriptors). Lists it builds have no prototype, so even a setter on Array.prototype sees
//   nothing.
// - Engine objects (CallSites) and host values never reach program code.
// - Every string built from program data is bounded before it is built.
// - A call into the host can overflow the stack on entry, before its own `try`: `callHost`
//   catches that here and throws an error of this realm instead.
//
// harness.js reads this file as text and evaluates it in the fresh context; it must be a single
// function expression that uses nothing but the ECMAScript built-ins.
(function install(hostWrite, hostSchedule, hostCancel, hostControl, hostMicrotask, hostFail,
  hostTypeTag, hostProxyDetails, hostPromiseDetails, hostHeapRoom) {
  'use strict';

  // ---- primordials: captured now, used through ReflectApply ---------------------------------
  const contextGlobal = globalThis;
  const ReflectApply = Reflect.apply;
  const ReflectOwnKeys = Reflect.ownKeys;
  const ReflectDefineProperty = Reflect.defineProperty;
  const ReflectGetPrototypeOf = Reflect.getPrototypeOf;
  const ReflectSetPrototypeOf = Reflect.setPrototypeOf;
  const ReflectGetOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
  const uncurry = (fn) => (self, ...args) => ReflectApply(fn, self, args);
  const getter = (proto, key) => uncurry(ReflectGetOwnPropertyDescriptor(proto, key).get);

  const ObjectHasOwn = Object.hasOwn;
  const ObjectIs = Object.is;
  const ObjectFreeze = Object.freeze;
  const ObjectPrototype = Object.prototype;
  const ArrayIsArray = Array.isArray;
  const ArrayPush = uncurry(Array.prototype.push);
  const ArrayJoin = uncurry(Array.prototype.join);
  const StringCtor = String;
  const StringSlice = uncurry(String.prototype.slice);
  const StringCharCodeAt = uncurry(String.prototype.charCodeAt);
  const StringIndexOf = uncurry(String.prototype.indexOf);
  const StringStartsWith = uncurry(String.prototype.startsWith);
  const StringRepeat = uncurry(String.prototype.repeat);
  const StringPadStart = uncurry(String.prototype.padStart);
  const StringTrimEnd = uncurry(String.prototype.trimEnd);
  const StringToString = uncurry(String.prototype.toString);
  const NumberCtor = Number;
  const NumberIsNaN = Number.isNaN;
  const NumberParseFloat = Number.parseFloat;
  const NumberToString = uncurry(Number.prototype.toString);
  const MathTrunc = Math.trunc;
  const MathMin = Math.min;
  const MathMax = Math.max;
  const JSONStringify = JSON.stringify;
  const ObjectCtor = Object;
  const ReflectIsExtensible = Reflect.isExtensible;
  const DateNow = Date.now;
  const ErrorCtor = Error;
  const ErrorIsError = Error.isError;
  const ErrorPrototype = Error.prototype;
  const RangeErrorCtor = RangeError;
  const RangeErrorPrototype = RangeError.prototype;
  const TypeErrorCtor = TypeError;
  const PromiseCtor = Promise;
  const PromiseReject = Promise.reject;
  const FunctionToString = uncurry(Function.prototype.toString);
  const SymbolToString = uncurry(Symbol.prototype.toString);
  const DateGetTime = uncurry(Date.prototype.getTime);
  const DateToISOString = uncurry(Date.prototype.toISOString);
  const RegExpSource = getter(RegExp.prototype, 'source');
  const REGEXP_FLAGS = [['hasIndices', 'd'], ['global', 'g'], ['ignoreCase', 'i'],
    ['multiline', 'm'], ['dotAll', 's'], ['unicode', 'u'], ['unicodeSets', 'v'], ['sticky', 'y']];
  for (let i = 0; i < REGEXP_FLAGS.length; i++) {
    REGEXP_FLAGS[i][0] = getter(RegExp.prototype, REGEXP_FLAGS[i][0]);
  }
  const MapSize = getter(Map.prototype, 'size');
  const MapEntries = uncurry(Map.prototype.entries);
  const MapIteratorNext = uncurry(ReflectGetPrototypeOf(new Map().entries()).next);
  const SetSize = getter(Set.prototype, 'size');
  const SetValues = uncurry(Set.prototype.values);
  const SetIteratorNext = uncurry(ReflectGetPrototypeOf(new Set().values()).next);
  const TypedArrayPrototype = ReflectGetPrototypeOf(Uint8Array.prototype);
  const TypedArrayLength = getter(TypedArrayPrototype, 'length');
  const TypedArrayName = getter(TypedArrayPrototype, Symbol.toStringTag);
  const ArrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength');
  const SharedArrayBufferByteLength = getter(SharedArrayBuffer.prototype, 'byteLength');
  const DataViewByteLength = getter(DataView.prototype, 'byteLength');
  const WeakMapCtor = WeakMap;
  const WeakMapGet = uncurry(WeakMap.prototype.get);
  const WeakMapSet = uncurry(WeakMap.prototype.set);
  const SymbolToPrimitive = Symbol.toPrimitive;
  const INSPECT_CUSTOM = Symbol.for('nodejs.util.inspect.custom');
  const SymbolToStringTag = Symbol.toStringTag;
  const UNBOX = [Number.prototype.valueOf, String.prototype.valueOf, Boolean.prototype.valueOf,
    Symbol.prototype.valueOf, BigInt.prototype.valueOf];
  const BOXED_NAMES = ['Number', 'String', 'Boolean', 'Symbol', 'BigInt'];

  // A list no program code can observe: no prototype, so push and join see only own elements.
  const list = () => {
    const empty = [];
    ReflectSetPrototypeOf(empty, null);
    return empty;
  };
  const record = () => ({ __proto__: null });

  // The most that any one formatted text (a result, an error, a console line) may grow to before
  // it is cut: what the host keeps is capped lower still.
  const MAX_TEXT = 1 << 20;
  // Node's util.inspect defaults.
  const MAX_DEPTH = 2;
  const MAX_ITEMS = 100;
  const MAX_STRING = 10000;
  const BREAK_LENGTH = 72;

  // ---- calls into the host ------------------------------------------------------------------
  // Every host function is entered here. A stack overflow on entry is a host-realm RangeError
  // that must never reach the program: it is caught and replaced by one of this realm.
  const STACK_OVERFLOW = 'Maximum call stack size exceeded';
  function callHost(fn, a, b, c) {
    let failure;
    try {
      failure = fn(a, b, c);
    } catch {
      throw new RangeErrorCtor(STACK_OVERFLOW);
    }
    if (failure !== '') throw new RangeErrorCtor(typeof failure === 'string' ? failure : 'host call failed');
  }
  function askHost(fn, value) {
    try {
      return fn(value);
    } catch {
      throw new RangeErrorCtor(STACK_OVERFLOW);
    }
  }

  // ---- small safe helpers -------------------------------------------------------------------
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');

  // A program value as text, the way String(value) would (its own toString may run: that is
  // the program's code on the program's value), but never throwing and never unbounded.
  function text(value) {
    let s;
    try {
      s = typeof value === 'symbol' ? SymbolToString(value) : StringCtor(value);
    } catch {
      s = '[a value that could not be converted to a string]';
    }
    return typeof s === 'string' ? bounded(s, MAX_TEXT) : '';
  }

  // At most `max` characters of a string. Cutting a string the program built by concatenation
  // makes V8 flatten it first, which needs its whole length in memory: when the heap has not that
  // much room left, the text is described instead of shown.
  function bounded(s, max) {
    if (s.length <= max) return s;
    let room;
    try { room = hostHeapRoom(); } catch { room = 0; }
    if (!(typeof room === 'number' && s.length * 2 < room)) {
      return '[' + s.length + ' characters, too long to show]';
    }
    return StringSlice(s, 0, max);
  }

  // An own property as a record without prototype, or undefined. Reading `value` or `get` off
  // the descriptor itself would consult Object.prototype when the key is absent.
  function ownProperty(object, key) {
    let desc;
    try {
      desc = ReflectGetOwnPropertyDescriptor(object, key);
    } catch {
      return undefined;
    }
    if (desc === undefined) return undefined;
    const out = record();
    out.enumerable = desc.enumerable;
    if (ObjectHasOwn(desc, 'get')) {
      out.get = desc.get;
      out.set = desc.set;
      out.accessor = true;
    } else {
      out.value = desc.value;
      out.accessor = false;
    }
    return out;
  }

  function ownDataValue(object, key) {
    const desc = ownProperty(object, key);
    return desc && !desc.accessor ? desc.value : undefined;
  }

  function inherits(value, prototype) {
    let proto = value;
    for (let hops = 0; hops < 10000; hops++) {
      try {
        proto = ReflectGetPrototypeOf(proto);
      } catch {
        return false;
      }
      if (proto === null) return false;
      if (proto === prototype) return true;
    }
    return false;
  }

  const typeTag = (value) => askHost(hostTypeTag, value);

  // ---- formatting: a small, Node-like util.inspect -------------------------------------------
  function hex(code, width) {
    return StringPadStart(NumberToString(code, 16), width, '0');
  }

  // A string in quotes with Node's escapes, at most MAX_STRING characters of it.
  function quote(s) {
    let more = '';
    if (s.length > MAX_STRING) {
      const rest = s.length - MAX_STRING;
      more = '... ' + rest + ' more character' + (rest > 1 ? 's' : '');
      s = StringSlice(s, 0, MAX_STRING);
    }
    const q = StringIndexOf(s, "'") === -1 ? "'" : StringIndexOf(s, '"') === -1 ? '"'
      : StringIndexOf(s, '`') === -1 ? '`' : "'";
    const out = list();
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = StringCharCodeAt(s, i);
      let escape = null;
      if (c === StringCharCodeAt(q, 0) || c === 92) escape = '\\' + StringCtor.fromCharCode(c);
      else if (c === 10) escape = '\\n';
      else if (c === 9) escape = '\\t';
      else if (c === 13) escape = '\\r';
      else if (c === 8) escape = '\\b';
      else if (c === 12) escape = '\\f';
      else if (c === 11) escape = '\\v';
      else if (c < 32 || c === 127) escape = '\\x' + hex(c, 2);
      else if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? StringCharCodeAt(s, i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) { i++; continue; }
        escape = '\\u' + hex(c, 4);
      }
      if (escape !== null) {
        ArrayPush(out, StringSlice(s, start, i), escape);
        start = i + 1;
      }
    }
    ArrayPush(out, StringSlice(s, start));
    return q + ArrayJoin(out, '') + q + more;
  }

  function isIdentifier(key) {
    if (key.length === 0) return false;
    for (let i = 0; i < key.length; i++) {
      const c = StringCharCodeAt(key, i);
      const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
      if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
    }
    return true;
  }

  function isIndex(key) {
    if (key.length === 0 || key.length > 10) return false;
    if (key.length > 1 && StringCharCodeAt(key, 0) === 48) return false;
    for (let i = 0; i < key.length; i++) {
      const c = StringCharCodeAt(key, i);
      if (c < 48 || c > 57) return false;
    }
    return true;
  }

  function formatKey(key) {
    if (typeof key === 'symbol') return '[' + SymbolToString(key) + ']';
    return isIdentifier(key) ? key : quote(key);
  }

  function formatNumber(n) {
    return ObjectIs(n, -0) ? '-0' : '' + n;
  }

  function formatPrimitive(value, nested) {
    switch (typeof value) {
      case 'string': return nested ? quote(value) : bounded(value, MAX_TEXT);
      case 'number': return formatNumber(value);
      case 'bigint': return '' + value + 'n';
      case 'symbol': return SymbolToString(value);
      case 'undefined': return 'undefined';
      case 'boolean': return value ? 'true' : 'false';
      default: return 'null';
    }
  }

  // The state of one formatting: what is being formatted (for cycles) and how much text is left.
  function newState(showProxy) {
    const state = record();
    state.seen = list();
    state.budget = MAX_TEXT;
    state.showProxy = showProxy;
    return state;
  }

  function spend(state, s) {
    state.budget -= s.length;
    return s;
  }

  function functionLabel(fn, tag) {
    let source = '';
    try { source = FunctionToString(fn); } catch { /* a revoked proxy and the like */ }
    const name = ownDataValue(fn, 'name');
    const shown = typeof name === 'string' && name ? bounded(name, 1000) : '';
    if (StringStartsWith(source, 'class')) return shown ? '[class ' + shown + ']' : '[class (anonymous)]';
    const prefix = tag === 'asyncfunction' ? 'AsyncFunction'
      : tag === 'generatorfunction' ? 'GeneratorFunction'
        : tag === 'asyncgeneratorfunction' ? 'AsyncGeneratorFunction' : 'Function';
    return shown ? '[' + prefix + ': ' + shown + ']' : '[' + prefix + ' (anonymous)]';
  }

  // The name Node puts before an object: its nearest prototype's own `constructor` name.
  // null for an object with no prototype.
  function constructorName(value) {
    let proto;
    try { proto = ReflectGetPrototypeOf(value); } catch { return ''; }
    if (proto === null) return null;
    for (let hops = 0; proto !== null && hops < 1000; hops++) {
      const ctor = ownDataValue(proto, 'constructor');
      if (typeof ctor === 'function') {
        const name = ownDataValue(ctor, 'name');
        if (typeof name === 'string' && name) return bounded(name, 1000);
      }
      try { proto = ReflectGetPrototypeOf(proto); } catch { return ''; }
    }
    return '';
  }

  function wrap(open, parts, close, indent) {
    if (parts.length === 0) return StringTrimEnd(open) + (close === ' }' ? '}' : ']');
    const single = open + ArrayJoin(parts, ', ') + close;
    if (single.length <= BREAK_LENGTH && StringIndexOf(single, '\n') === -1) return single;
    const pad = StringRepeat('  ', indent + 1);
    return StringTrimEnd(open) + '\n' + pad + ArrayJoin(parts, ',\n' + pad) + '\n' +
      StringRepeat('  ', indent) + (close === ' }' ? '}' : ']');
  }

  // Own enumerable keys with their descriptors: [key, desc, key, desc, ...].
  function ownEntries(value, skipIndices) {
    const out = list();
    let keys;
    try { keys = ReflectOwnKeys(value); } catch { return out; }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (skipIndices && typeof key === 'string' && isIndex(key)) continue;
      const desc = ownProperty(value, key);
      if (!desc || !desc.enumerable) continue;
      ArrayPush(out, key, desc);
    }
    return out;
  }

  function formatProperty(key, desc, depth, state, indent) {
    let shown;
    if (desc.accessor) {
      shown = desc.get && desc.set ? '[Getter/Setter]' : desc.get ? '[Getter]' : '[Setter]';
    } else {
      shown = formatValue(desc.value, depth + 1, state, indent + 1);
    }
    return formatKey(key) + ': ' + shown;
  }

  function addEntries(parts, entries, depth, state, indent) {
    for (let i = 0; i < entries.length; i += 2) {
      if (parts.length >= MAX_ITEMS || state.budget <= 0) {
        ArrayPush(parts, '... ' + ((entries.length - i) / 2) + ' more items');
        break;
      }
      ArrayPush(parts, spend(state, formatProperty(entries[i], entries[i + 1], depth, state, indent)));
    }
  }

  function formatBody(value, label, entries, depth, state, indent) {
    const parts = list();
    addEntries(parts, entries, depth, state, indent);
    if (parts.length === 0) return label + '{}';
    return wrap(label + '{ ', parts, ' }', indent);
  }

  function formatValue(value, depth, state, indent) {
    if (!isObject(value)) return formatPrimitive(value, true);
    if (state.budget <= 0) return '...';
    let tag = typeTag(value);
    if (tag === 'proxy') {
      const details = askHost(hostProxyDetails, value);
      if (details === null || details[0] === null) return '<Revoked Proxy>';
      if (!state.showProxy) return formatValue(details[0], depth, state, indent);
      if (depth > MAX_DEPTH) return 'Proxy [Array]';
      const parts = list();
      ArrayPush(parts, formatValue(details[0], depth + 1, state, indent + 1),
        formatValue(details[1], depth + 1, state, indent + 1));
      return wrap('Proxy [ ', parts, ' ]', indent);
    }
    const seen = state.seen;
    for (let i = 0; i < seen.length; i++) if (seen[i] === value) return '[Circular *1]';
    // A custom inspect hook, as Node calls it: the program's code on the program's value, given
    // an options object and an inspect of this realm.
    let custom;
    try { custom = value[INSPECT_CUSTOM]; } catch { custom = undefined; }
    if (typeof custom === 'function' && custom !== inspectForHooks) {
      const options = { depth: MAX_DEPTH - depth, colors: false, showHidden: false, stylize: (s) => s };
      const shown = ReflectApply(custom, value, [MAX_DEPTH - depth, options, inspectForHooks]);
      if (shown !== value) {
        return typeof shown === 'string' ? bounded(shown, MAX_TEXT) : formatValue(shown, depth, state, indent);
      }
    }
    if (typeof value === 'function') {
      const label = functionLabel(value, tag);
      const extra = list();
      const entries = ownEntries(value, false);
      for (let i = 0; i < entries.length; i += 2) {
        if (entries[i] !== 'prototype') ArrayPush(extra, entries[i], entries[i + 1]);
      }
      if (extra.length === 0 || depth > MAX_DEPTH) return label;
      ArrayPush(seen, value);
      const body = formatBody(value, label + ' ', extra, depth, state, indent);
      seen.length--;
      return body;
    }
    if (tag === 'error' || (tag === '' && inherits(value, ErrorPrototype))) return errorText(value);
    if (tag === 'date') {
      const time = DateGetTime(value);
      return NumberIsNaN(time) ? 'Invalid Date' : DateToISOString(value);
    }
    if (tag === 'regexp') {
      let flags = '';
      for (let i = 0; i < REGEXP_FLAGS.length; i++) {
        if (REGEXP_FLAGS[i][0](value)) flags += REGEXP_FLAGS[i][1];
      }
      return '/' + RegExpSource(value) + '/' + flags;
    }
    if (tag === 'boxed') {
      for (let i = 0; i < UNBOX.length; i++) {
        try {
          return '[' + BOXED_NAMES[i] + ': ' + formatPrimitive(ReflectApply(UNBOX[i], value, []), true) + ']';
        } catch { /* not this kind */ }
      }
    }
    if (tag === 'weakmap' || tag === 'weakset') {
      return (tag === 'weakmap' ? 'WeakMap' : 'WeakSet') + ' { <items unknown> }';
    }
    const name = constructorName(value);
    if (tag === 'promise') {
      const details = askHost(hostPromiseDetails, value);
      const label = (name || 'Promise') + ' { ';
      if (!details || details[0] === 0) return label + '<pending> }';
      const shown = formatValue(details[1], depth + 1, state, indent + 1);
      return label + (details[0] === 2 ? '<rejected> ' : '') + shown + ' }';
    }
    if (ArrayIsArray(value)) {
      if (depth > MAX_DEPTH) return '[Array]';
      ArrayPush(seen, value);
      const parts = list();
      const length = value.length;
      const shown = MathMin(length, MAX_ITEMS);
      let holes = 0;
      for (let i = 0; i < shown && state.budget > 0; i++) {
        const desc = ownProperty(value, '' + i);
        if (!desc) { holes++; continue; }
        if (holes) { ArrayPush(parts, '<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>'); holes = 0; }
        ArrayPush(parts, spend(state, desc.accessor ? formatProperty(i, desc, depth, state, indent)
          : formatValue(desc.value, depth + 1, state, indent + 1)));
      }
      if (holes) ArrayPush(parts, '<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>');
      if (length > shown) ArrayPush(parts, '... ' + (length - shown) + ' more items');
      const extra = ownEntries(value, true);
      addEntries(parts, extra, depth, state, indent);
      seen.length--;
      const label = name !== 'Array' ? (name === null ? '[Array: null prototype] ' : name + '(' + length + ') ') : '';
      return wrap(label + '[ ', parts, ' ]', indent);
    }
    const prefix = name === null ? '[Object: null prototype] ' : '';
    if (depth > MAX_DEPTH) {
      return '[' + (name || (tag === 'map' ? 'Map' : tag === 'set' ? 'Set' : 'Object')) + ']';
    }
    ArrayPush(seen, value);
    try {
      if (tag === 'map' || tag === 'set') {
        const isMap = tag === 'map';
        const size = isMap ? MapSize(value) : SetSize(value);
        const iterator = isMap ? MapEntries(value) : SetValues(value);
        const parts = list();
        for (;;) {
          const step = isMap ? MapIteratorNext(iterator) : SetIteratorNext(iterator);
          if (step.done) break;
          if (parts.length >= MAX_ITEMS || state.budget <= 0) {
            ArrayPush(parts, '... ' + (size - parts.length) + ' more items');
            break;
          }
          const item = step.value;
          ArrayPush(parts, spend(state, isMap
            ? formatValue(item[0], depth + 1, state, indent + 1) + ' => ' +
              formatValue(item[1], depth + 1, state, indent + 1)
            : formatValue(item, depth + 1, state, indent + 1)));
        }
        addEntries(parts, ownEntries(value, false), depth, state, indent);
        return wrap(prefix + (name || (isMap ? 'Map' : 'Set')) + '(' + size + ') { ', parts, ' }', indent);
      }
      if (tag === 'typedarray') {
        const length = TypedArrayLength(value);
        const shown = MathMin(length, MAX_ITEMS);
        const parts = list();
        for (let i = 0; i < shown; i++) {
          const desc = ownProperty(value, '' + i);
          ArrayPush(parts, formatPrimitive(desc ? desc.value : undefined, true));
        }
        if (length > shown) ArrayPush(parts, '... ' + (length - shown) + ' more items');
        return wrap((name || TypedArrayName(value)) + '(' + length + ') [ ', parts, ' ]', indent);
      }
      if (tag === 'arraybuffer' || tag === 'sharedarraybuffer' || tag === 'dataview') {
        const bytes = tag === 'arraybuffer' ? ArrayBufferByteLength(value)
          : tag === 'dataview' ? DataViewByteLength(value) : SharedArrayBufferByteLength(value);
        return (name || 'ArrayBuffer') + ' { byteLength: ' + bytes + ' }';
      }
      let label = '';
      if (name === null) label = '[Object: null prototype] ';
      else if (name !== 'Object') label = (name || 'Object') + ' ';
      const toStringTag = ownDataValue(value, SymbolToStringTag);
      if (typeof toStringTag === 'string' && toStringTag !== name) {
        label = (name || 'Object') + ' [' + bounded(toStringTag, 1000) + '] ';
      }
      if (tag === 'generator') label = 'Object [Generator] ';
      if (tag === 'module') label = '[Module: null prototype] ';
      return formatBody(value, label, ownEntries(value, false), depth, state, indent);
    } finally {
      seen.length--;
    }
  }

  function inspect(value, showProxy) {
    return bounded(formatValue(value, 0, newState(showProxy === true), 0), MAX_TEXT);
  }
  const inspectForHooks = { inspect(value) { return inspect(value); } }.inspect;

  // Node's console formatting: a string first argument with more arguments is a printf-like
  // format (%s %d %i %f %j %o %O %c %%); the rest are joined with spaces, strings bare.
  function formatSpec(spec, arg) {
    switch (spec) {
      case 115: return typeof arg === 'string' ? bounded(arg, MAX_TEXT)
        : typeof arg === 'bigint' ? arg + 'n' : typeof arg === 'symbol' || !isObject(arg)
          ? formatPrimitive(arg, false) : inspect(arg);
      case 100: case 105: {
        if (typeof arg === 'bigint') return '' + arg + 'n';
        if (isObject(arg)) return 'NaN';
        const n = typeof arg === 'symbol' ? NaN : NumberCtor(arg);
        return formatNumber(spec === 105 ? MathTrunc(n) : n);
      }
      case 102: return typeof arg === 'symbol' ? 'NaN' : formatNumber(NumberParseFloat(text(arg)));
      case 106: try { return text(JSONStringify(arg)); } catch { return '[Circular]'; }
      case 99: return '';
      default: return inspect(arg);
    }
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

  // ---- errors and stack traces --------------------------------------------------------------
  // V8 formats a stack when it is first read, by calling the embedder; the harness makes that
  // call land here (setPrepareStackTraceCallback), for every error of the process. For the
  // program's errors the frames of this file, the harness and Node's internals are left out; a
  // program that sets Error.prepareStackTrace gets call sites of its own realm that carry only
  // primitives, never V8's CallSite objects.
  const INTERNAL_PREFIXES = ['node:', 'evaluator:'];
  let callSite = null; // V8's CallSite methods, captured from the first trace (see ready())
  const CALL_SITE_METHODS = ['getFileName', 'getLineNumber', 'getColumnNumber', 'getFunctionName',
    'getTypeName', 'getMethodName', 'getEvalOrigin', 'isToplevel', 'isEval', 'isNative',
    'isConstructor', 'isAsync', 'isPromiseAll', 'getPromiseIndex', 'getScriptNameOrSourceURL',
    'getEnclosingLineNumber', 'getEnclosingColumnNumber', 'getPosition', 'toString'];
  const throwPositions = new WeakMapCtor();

  function captureCallSite(site) {
    const proto = ReflectGetPrototypeOf(site);
    callSite = record();
    for (let i = 0; i < CALL_SITE_METHODS.length; i++) {
      const method = ownDataValue(proto, CALL_SITE_METHODS[i]);
      callSite[CALL_SITE_METHODS[i]] = typeof method === 'function' ? uncurry(method) : () => undefined;
    }
  }

  function siteValue(site, method) {
    try {
      const value = callSite[method](site);
      return isObject(value) ? undefined : value;
    } catch {
      return undefined;
    }
  }

  function isInternalFile(file) {
    if (typeof file !== 'string') return false;
    for (let i = 0; i < INTERNAL_PREFIXES.length; i++) if (StringStartsWith(file, INTERNAL_PREFIXES[i])) return true;
    return file === harnessFile;
  }
  let harnessFile = null;

  // A stand-in for V8's CallSite that holds only primitives copied out of it.
  let readSite = null;
  class CallSite {
    #data;
    constructor(data) { this.#data = isObject(data) ? data : record(); }
    getThis() { return undefined; }
    getFunction() { return undefined; }
    static {
      readSite = (site, key) => (isObject(site) && #data in site ? site.#data[key] : undefined);
    }
  }
  for (let i = 0; i < CALL_SITE_METHODS.length; i++) {
    const method = CALL_SITE_METHODS[i];
    ReflectDefineProperty(CallSite.prototype, method, {
      __proto__: null, writable: true, configurable: true, enumerable: false,
      value: { [method]() { return readSite(this, method); } }[method],
    });
  }

  function errorHeader(error) {
    if (!isObject(error)) return text(error);
    let name;
    let message;
    try { name = error.name; } catch { name = undefined; }
    try { message = error.message; } catch { message = undefined; }
    name = name === undefined ? 'Error' : text(name);
    message = message === undefined ? '' : text(message);
    return bounded(!name ? message : !message ? name : name + ': ' + message, MAX_TEXT);
  }

  function prepareStackTrace(globalObject, error, trace) {
    if (callSite === null && trace.length > 0) captureCallSite(trace[0]);
    const own = globalObject === contextGlobal;
    if (own && callSite !== null) {
      const custom = ownDataValue(ErrorCtor, 'prepareStackTrace');
      if (typeof custom === 'function') return ReflectApply(custom, ErrorCtor, [error, copySites(trace)]);
    }
    const stack = errorHeader(error);
    const lines = list();
    let room = MAX_TEXT - stack.length;
    let marked = false;
    for (let i = 0; i < trace.length && callSite !== null && room > 0; i++) {
      const site = trace[i];
      const file = siteValue(site, 'getFileName');
      if (own && isInternalFile(file)) continue;
      if (own && file === 'main.js' && !marked && isObject(error)) {
        const at = record();
        at.line = siteValue(site, 'getLineNumber');
        at.column = siteValue(site, 'getColumnNumber');
        WeakMapSet(throwPositions, error, at);
        marked = true;
      }
      const shown = siteValue(site, 'toString');
      const line = '\n    at ' + (typeof shown === 'string' ? bounded(shown, 1000) : '<unknown>');
      room -= line.length;
      ArrayPush(lines, line);
    }
    return stack + ArrayJoin(lines, '');
  }

  function copySites(trace) {
    const sites = [];
    for (let i = 0; i < trace.length; i++) {
      const site = trace[i];
      if (isInternalFile(siteValue(site, 'getFileName'))) continue;
      const data = record();
      for (let j = 0; j < CALL_SITE_METHODS.length; j++) {
        data[CALL_SITE_METHODS[j]] = siteValue(site, CALL_SITE_METHODS[j]);
      }
      ReflectDefineProperty(sites, sites.length, {
        __proto__: null, value: new CallSite(data), writable: true, enumerable: true, configurable: true,
      });
    }
    return sites;
  }

  // Node marks where an uncaught error was thrown ("main.js:3", the line, a caret). The place
  // comes from the engine's own frame (recorded while the stack was formatted), never from the
  // text of `stack`, which the program may have written; the caret is bounded by the line.
  let source = '';
  let lineStarts = [0];
  function setSource(code) {
    if (typeof code !== 'string') return;
    source = code;
    const starts = list();
    ArrayPush(starts, 0);
    for (let i = StringIndexOf(code, '\n'); i !== -1; i = StringIndexOf(code, '\n', i + 1)) ArrayPush(starts, i + 1);
    lineStarts = starts;
  }

  function throwMark(err) {
    const at = WeakMapGet(throwPositions, err);
    if (at === undefined || typeof at.line !== 'number' || typeof at.column !== 'number') return '';
    const index = at.line - 1;
    if (!(index >= 0 && index < lineStarts.length)) return '';
    const end = index + 1 < lineStarts.length ? lineStarts[index + 1] - 1 : source.length;
    const line = StringSlice(source, lineStarts[index], end);
    const column = MathMax(0, MathMin(at.column - 1, line.length));
    return 'main.js:' + at.line + '\n' + line + '\n' + StringRepeat(' ', column) + '^\n\n';
  }

  function errorText(err) {
    let stack;
    try { stack = err.stack; } catch { stack = undefined; }
    if (typeof stack === 'string' && stack) return bounded(stack, MAX_TEXT);
    return errorHeader(err);
  }

  function isErrorLike(value) {
    return isObject(value) && (ErrorIsError(value) || inherits(value, ErrorPrototype));
  }

  function describeError(err) {
    try {
      if (isErrorLike(err)) {
        const shown = errorText(err);
        return bounded(throwMark(err) + shown, MAX_TEXT);
      }
      return bounded('Uncaught ' + inspect(err), MAX_TEXT);
    } catch {
      return 'Uncaught exception (it could not be formatted)';
    }
  }

  function isRangeError(value) {
    try {
      return isObject(value) && inherits(value, RangeErrorPrototype);
    } catch {
      return false;
    }
  }

  function fail(err) {
    callHost(hostFail, describeError(err), isRangeError(err));
  }

  // import(): programs run as one script, without modules. The harness makes V8's dynamic-import
  // hook land here, so the promise, its rejection and anything that overflows are of this realm.
  const IMPORT_ERROR = 'import() is not available: programs run as a single script, without modules';
  function importModule() {
    return ReflectApply(PromiseReject, PromiseCtor, [new ErrorCtor(IMPORT_ERROR)]);
  }

  // ---- console ------------------------------------------------------------------------------
  const counts = record();
  const timersStart = record();
  let groupIndent = '';
  function print(line) {
    let out = line;
    if (groupIndent) {
      const parts = list();
      let start = 0;
      for (let i = StringIndexOf(out, '\n'); i !== -1; i = StringIndexOf(out, '\n', i + 1)) {
        ArrayPush(parts, StringSlice(out, start, i));
        start = i + 1;
      }
      ArrayPush(parts, StringSlice(out, start));
      out = groupIndent + ArrayJoin(parts, '\n' + groupIndent);
    }
    callHost(hostWrite, out); // the host adds the newline, without copying a huge string to do it
  }
  const label = (value) => (value === undefined ? 'default' : text(value));
  const console = {
    log(...args) { print(formatArgs(args)); },
    info(...args) { print(formatArgs(args)); },
    debug(...args) { print(formatArgs(args)); },
    warn(...args) { print(formatArgs(args)); },
    error(...args) { print(formatArgs(args)); },
    trace(...args) {
      const stack = errorText(new ErrorCtor('x'));
      const frames = StringIndexOf(stack, '\n');
      print('Trace' + (args.length ? ': ' + formatArgs(args) : '') +
        (frames === -1 ? '' : StringSlice(stack, frames)));
    },
    dir(value) { print(inspect(value)); },
    assert(ok, ...args) {
      if (!ok) print('Assertion failed' + (args.length ? ': ' + formatArgs(args) : ''));
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

  // ---- timers -------------------------------------------------------------------------------
  // Callbacks stay in this realm; the host only learns an id, a delay and a kind. setTimeout and
  // setInterval return Timeout objects and setImmediate an Immediate, as in Node (ref, unref,
  // hasRef, refresh, close, and the id as their primitive value).
  const timers = record();
  let nextTimerId = 0;

  let timerIdOf = null;
  class Timeout {
    #id;
    #refed = true;
    constructor(id) { this.#id = id; }
    static { timerIdOf = (value) => (isObject(value) && #id in value ? value.#id : undefined); }
    ref() { this.#refed = true; callHost(hostControl, this.#id, 'ref'); return this; }
    unref() { this.#refed = false; callHost(hostControl, this.#id, 'unref'); return this; }
    hasRef() { return this.#refed; }
    refresh() { callHost(hostControl, this.#id, 'refresh'); return this; }
    close() { removeTimer(this.#id); return this; }
    [SymbolToPrimitive]() { return this.#id; }
  }
  class Immediate extends Timeout {}

  function addTimer(callback, delay, args, kind) {
    if (typeof callback !== 'function') {
      throw new TypeErrorCtor('The "callback" argument must be of type function. Received ' +
        (callback === null ? 'null' : typeof callback === 'object' ? 'an instance of ' +
          (constructorName(callback) || 'Object') : 'type ' + typeof callback));
    }
    const id = ++nextTimerId;
    let ms = kind === 'immediate' ? 0 : typeof delay === 'number' ? delay : NumberCtor(delay);
    if (!(ms >= 1 && ms <= 2147483647)) ms = 1;
    const handle = kind === 'immediate' ? new Immediate(id) : new Timeout(id);
    const timer = record();
    timer.callback = callback;
    timer.args = args;
    timer.kind = kind;
    timer.handle = handle;
    timers[id] = timer;
    callHost(hostSchedule, id, MathTrunc(ms), kind);
    return handle;
  }

  function removeTimer(value) {
    let id = timerIdOf(value);
    if (id === undefined && (typeof value === 'number' || typeof value === 'string')) id = NumberCtor(value);
    if (typeof id === 'number' && timers[id] !== undefined) {
      delete timers[id];
      callHost(hostCancel, id);
    }
  }

  function fire(id) {
    const timer = timers[id];
    if (timer === undefined) return;
    if (timer.kind !== 'interval') delete timers[id];
    try {
      ReflectApply(timer.callback, timer.kind === 'microtask' ? undefined : timer.handle, timer.args);
    } catch (err) {
      fail(err);
    }
  }

  function addMicrotask(callback) {
    if (typeof callback !== 'function') {
      throw new TypeErrorCtor('The "callback" argument must be of type function. Received ' +
        (callback === null ? 'null' : 'type ' + typeof callback));
    }
    const id = ++nextTimerId;
    const task = record();
    task.callback = callback;
    task.args = [];
    task.kind = 'microtask';
    timers[id] = task;
    callHost(hostMicrotask, id);
  }

  const globals = {
    console,
    setTimeout(callback, delay, ...args) { return addTimer(callback, delay, args, 'timeout'); },
    setInterval(callback, delay, ...args) { return addTimer(callback, delay, args, 'interval'); },
    setImmediate(callback, ...args) { return addTimer(callback, 0, args, 'immediate'); },
    clearTimeout(timer) { removeTimer(timer); },
    clearInterval(timer) { removeTimer(timer); },
    clearImmediate(timer) { removeTimer(timer); },
    queueMicrotask(callback) { addMicrotask(callback); },
    global: contextGlobal,
  };
  // Node answers these two from host code (its fetch-based streaming compiler). Wasm compilation
  // is disabled in this context anyway; remove the door rather than rely on V8 refusing first.
  delete WebAssembly.compileStreaming;
  delete WebAssembly.instantiateStreaming;

  const globalKeys = ReflectOwnKeys(globals);
  for (let i = 0; i < globalKeys.length; i++) {
    const key = globalKeys[i];
    ReflectDefineProperty(contextGlobal, key, {
      __proto__: null, value: globals[key], writable: true, configurable: true, enumerable: false,
    });
  }

  // Object.prototype.__proto__, which the host's --disable-proto=delete removes from every
  // context, comes back in this one (the host keeps it deleted), as ECMAScript Annex B defines it.
  const PROTO_ON_NULL = 'Object.prototype.__proto__ called on null or undefined';
  const protoAccessor = ReflectGetOwnPropertyDescriptor({
    get __proto__() {
      if (this === undefined || this === null) throw new TypeErrorCtor(PROTO_ON_NULL);
      return ReflectGetPrototypeOf(ObjectCtor(this));
    },
    set __proto__(proto) {
      if (this === undefined || this === null) throw new TypeErrorCtor(PROTO_ON_NULL);
      if ((!isObject(proto) && proto !== null) || !isObject(this)) return;
      if (ReflectSetPrototypeOf(this, proto)) return;
      if (this === ObjectPrototype) {
        throw new TypeErrorCtor("Immutable prototype object 'Object.prototype' cannot have their prototype set");
      }
      throw new TypeErrorCtor(ReflectIsExtensible(this) ? 'Cyclic __proto__ value' : '#<Object> is not extensible');
    },
  }, '__proto__');
  ReflectDefineProperty(ObjectPrototype, '__proto__', {
    __proto__: null, get: protoAccessor.get, set: protoAccessor.set, enumerable: false, configurable: true,
  });

  function formatResult(value) {
    let shown;
    try {
      shown = typeof value === 'string' ? bounded(value, MAX_TEXT) : inspect(value, true);
    } catch (err) {
      shown = describeError(err);
    }
    return typeof shown === 'string' ? shown : '[a value that could not be formatted]';
  }

  // Called by the harness once the hooks point here: captures V8's CallSite methods from a trace
  // of this realm, before the program can touch anything.
  function ready(harnessPath) {
    harnessFile = typeof harnessPath === 'string' ? harnessPath : null;
    errorText(new ErrorCtor('ready'));
  }

  return ObjectFreeze({
    formatResult, describeError, isRangeError, fire, setSource, prepareStackTrace, importModule, ready,
  });
})
