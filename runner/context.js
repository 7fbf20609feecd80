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
  const StringPadEnd = uncurry(String.prototype.padEnd);
  const StringToUpperCase = uncurry(String.prototype.toUpperCase);
  const StringToString = uncurry(String.prototype.toString);
  const NumberCtor = Number;
  const NumberIsNaN = Number.isNaN;
  const NumberParseFloat = Number.parseFloat;
  const NumberParseInt = Number.parseInt;
  const NumberToString = uncurry(Number.prototype.toString);
  const MathTrunc = Math.trunc;
  const MathMin = Math.min;
  const MathMax = Math.max;
  const MathSqrt = Math.sqrt;
  const MathRound = Math.round;
  const MathFloor = Math.floor;
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
  const MapCtor = Map;
  const MapGet = uncurry(Map.prototype.get);
  const MapSet = uncurry(Map.prototype.set);
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
  const Uint8ArrayCtor = Uint8Array;
  const SharedArrayBufferByteLength = getter(SharedArrayBuffer.prototype, 'byteLength');
  const DataViewByteLength = getter(DataView.prototype, 'byteLength');
  const DataViewByteOffset = getter(DataView.prototype, 'byteOffset');
  const DataViewBuffer = getter(DataView.prototype, 'buffer');
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
  const MAX_ITEMS = 100;
  const MAX_STRING = 10000;

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

  // ---- formatting: Node's util.inspect, rewritten for this realm -----------------------------
  // The layout rules are Node's (lib/internal/util/inspect.js): breakLength 80, compact 3, depth 2,
  // 100 items, 10,000 characters, grouping of long arrays into columns, `<ref *n>` for cycles,
  // `Proxy(...)`, getters shown as [Getter]. Type checks come from V8 (hostTypeTag), so no trap
  // or getter of the program runs to classify a value; a custom inspect hook does run, as in Node.
  const BREAK_LENGTH = 80;
  const COMPACT = 3;
  const MIN_LINE_WIDTH = 16;
  const ARRAY_TYPE = 1;
  const OBJECT_TYPE = 0;

  function hex(code, width) {
    return StringPadStart(NumberToString(code, 16), width, '0');
  }

  // A string in quotes with Node's escapes: single quotes unless the text has some and no double
  // quotes (then double), or has both and no backtick (then backtick).
  function strEscape(s) {
    let q = 39;
    if (StringIndexOf(s, "'") !== -1) {
      if (StringIndexOf(s, '"') === -1) q = 34;
      else if (StringIndexOf(s, '`') === -1 && StringIndexOf(s, '${') === -1) q = 96;
    }
    const out = list();
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = StringCharCodeAt(s, i);
      let escape = null;
      if (c === q || c === 92) escape = '\\' + StringCtor.fromCharCode(c);
      else if (c === 10) escape = '\\n';
      else if (c === 9) escape = '\\t';
      else if (c === 13) escape = '\\r';
      else if (c === 8) escape = '\\b';
      else if (c === 12) escape = '\\f';
      else if (c === 11) escape = '\\v';
      else if (c < 32 || (c >= 127 && c <= 159)) escape = '\\x' + StringToUpperCase(hex(c, 2));
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
    const quote = StringCtor.fromCharCode(q);
    return quote + ArrayJoin(out, '') + quote;
  }

  function isIdentifier(key) {
    if (key.length === 0) return false;
    for (let i = 0; i < key.length; i++) {
      const c = StringCharCodeAt(key, i);
      const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
      if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
    }
    return true;
  }

  function isIndex(key) {
    if (typeof key !== 'string' || key.length === 0 || key.length > 10) return false;
    if (key.length > 1 && StringCharCodeAt(key, 0) === 48) return false;
    for (let i = 0; i < key.length; i++) {
      const c = StringCharCodeAt(key, i);
      if (c < 48 || c > 57) return false;
    }
    return key.length < 10 || key < '4294967295';
  }

  function formatNumber(n) {
    return ObjectIs(n, -0) ? '-0' : '' + n;
  }

  function formatPrimitive(ctx, value) {
    switch (typeof value) {
      case 'string': {
        let trailer = '';
        let s = value;
        if (s.length > MAX_STRING) {
          const rest = s.length - MAX_STRING;
          s = bounded(s, MAX_STRING);
          trailer = '... ' + rest + ' more character' + (rest > 1 ? 's' : '');
        }
        if (s.length > MIN_LINE_WIDTH && s.length > BREAK_LENGTH - ctx.indentation - 4 &&
          StringIndexOf(s, '\n') !== -1 && StringIndexOf(s, '\n') < s.length - 1) {
          const lines = list();
          let start = 0;
          for (let i = StringIndexOf(s, '\n'); i !== -1 && i < s.length - 1; i = StringIndexOf(s, '\n', i + 1)) {
            ArrayPush(lines, strEscape(StringSlice(s, start, i + 1)));
            start = i + 1;
          }
          ArrayPush(lines, strEscape(StringSlice(s, start)));
          return ArrayJoin(lines, ' +\n' + StringRepeat(' ', ctx.indentation + 2)) + trailer;
        }
        return strEscape(s) + trailer;
      }
      case 'number': return formatNumber(value);
      case 'bigint': return '' + value + 'n';
      case 'symbol': return SymbolToString(value);
      case 'undefined': return 'undefined';
      case 'boolean': return value ? 'true' : 'false';
      default: return 'null';
    }
  }

  function newContext(options) {
    const ctx = record();
    ctx.seen = list();
    ctx.circular = null;       // value -> reference number, made when a cycle is first seen
    ctx.indentation = 0;
    ctx.currentDepth = 0;
    ctx.depth = options && typeof options.depth === 'number' ? options.depth : 2;
    ctx.showProxy = !!(options && options.showProxy);
    ctx.showHidden = !!(options && options.showHidden);
    ctx.budget = MAX_TEXT;
    return ctx;
  }

  // The name Node puts before an object: the nearest own `constructor` on its prototype chain
  // that the object is an instance of; null for an object without prototype; for a chain with
  // no such constructor, "Object <what its prototype is>".
  function constructorName(value, nested) {
    let object = value;
    let first;
    for (let hops = 0; hops < 1000; hops++) {
      const ctor = ownDataValue(object, 'constructor');
      if (typeof ctor === 'function') {
        const name = ownDataValue(ctor, 'name');
        const proto = ownDataValue(ctor, 'prototype');
        if (typeof name === 'string' && name !== '' && isObject(proto) && inherits(value, proto)) {
          return bounded(name, 1000);
        }
      }
      try { object = ReflectGetPrototypeOf(object); } catch { return ''; }
      if (hops === 0) first = object;
      if (object === null) break;
    }
    if (first === null) return null;
    if (nested || !isObject(first)) return 'Object';
    const parent = constructorName(first, true);
    return parent === null ? 'Object <[Object: null prototype] {}>' : 'Object <' + parent + '>';
  }

  function prefixFor(constructor, tag, fallback, size) {
    const sized = size === undefined ? '' : size;
    if (constructor === null) {
      if (tag !== '' && fallback !== tag) return '[' + fallback + sized + ': null prototype] [' + tag + '] ';
      return '[' + fallback + sized + ': null prototype] ';
    }
    if (tag !== '' && constructor !== tag) return constructor + sized + ' [' + tag + '] ';
    return constructor + sized + ' ';
  }

  // Own keys to show: enumerable strings and symbols (all of them with showHidden).
  function keysOf(value, ctx, skipIndices) {
    const out = list();
    let keys;
    try { keys = ReflectOwnKeys(value); } catch { return out; }
    const symbols = list();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (skipIndices && isIndex(key)) continue;
      const desc = ownProperty(value, key);
      if (!desc || (!desc.enumerable && !ctx.showHidden)) continue;
      ArrayPush(typeof key === 'symbol' ? symbols : out, key);
    }
    for (let i = 0; i < symbols.length; i++) ArrayPush(out, symbols[i]);
    return out;
  }

  function formatProperty(ctx, value, depth, key, type, desc) {
    let shown;
    if (desc === undefined) desc = ownProperty(value, key);
    if (desc === undefined) {
      shown = 'undefined';
    } else if (!desc.accessor) {
      ctx.indentation += 2;
      shown = formatValue(ctx, desc.value, depth);
      ctx.indentation -= 2;
    } else if (desc.get !== undefined) {
      shown = desc.set !== undefined ? '[Getter/Setter]' : '[Getter]';
    } else {
      shown = desc.set !== undefined ? '[Setter]' : 'undefined';
    }
    if (type === ARRAY_TYPE) return shown;
    let name;
    if (typeof key === 'symbol') name = SymbolToString(key);
    else if (key === '__proto__') name = "['__proto__']";
    else if (desc !== undefined && desc.enumerable === false) name = '[' + key + ']';
    else name = isIdentifier(key) ? key : strEscape(key);
    return name + ': ' + shown;
  }

  function remaining(count) {
    return '... ' + count + ' more item' + (count > 1 ? 's' : '');
  }

  function formatArray(ctx, value, depth) {
    const output = list();
    const length = value.length;
    const shown = MathMin(length, MAX_ITEMS);
    let holes = 0;
    for (let i = 0; i < shown && ctx.budget > 0; i++) {
      const desc = ownProperty(value, '' + i);
      if (desc === undefined) { holes++; continue; }
      if (holes) { ArrayPush(output, '<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>'); holes = 0; }
      ArrayPush(output, spend(ctx, formatProperty(ctx, value, depth, i, ARRAY_TYPE, desc)));
    }
    if (holes) ArrayPush(output, '<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>');
    if (length > shown) ArrayPush(output, remaining(length - shown));
    return output;
  }

  function formatTypedArray(ctx, value) {
    const output = list();
    const length = TypedArrayLength(value);
    const shown = MathMin(length, MAX_ITEMS);
    for (let i = 0; i < shown; i++) {
      const desc = ownProperty(value, '' + i);
      ArrayPush(output, formatPrimitive(ctx, desc ? desc.value : undefined));
    }
    if (length > shown) ArrayPush(output, remaining(length - shown));
    return output;
  }

  function formatCollection(ctx, value, depth, isMap) {
    const output = list();
    const size = isMap ? MapSize(value) : SetSize(value);
    const iterator = isMap ? MapEntries(value) : SetValues(value);
    ctx.indentation += 2;
    for (;;) {
      const step = isMap ? MapIteratorNext(iterator) : SetIteratorNext(iterator);
      if (step.done) break;
      if (output.length >= MAX_ITEMS || ctx.budget <= 0) { ArrayPush(output, remaining(size - output.length)); break; }
      const item = step.value;
      ArrayPush(output, spend(ctx, isMap
        ? formatValue(ctx, item[0], depth) + ' => ' + formatValue(ctx, item[1], depth)
        : formatValue(ctx, item, depth)));
    }
    ctx.indentation -= 2;
    return output;
  }

  function spend(ctx, s) {
    ctx.budget -= s.length;
    return s;
  }

  // Node's groupArrayElements: more than six short entries are laid out in aligned columns.
  function groupArrayElements(ctx, output, value) {
    let totalLength = 0;
    let maxLength = 0;
    let outputLength = output.length;
    const last = output[outputLength - 1];
    if (typeof last === 'string' && StringStartsWith(last, '... ') && value !== null &&
      ArrayIsArray(value) && value.length > MAX_ITEMS) outputLength--;
    const separatorSpace = 2;
    const dataLen = list();
    for (let i = 0; i < outputLength; i++) {
      const len = output[i].length;
      ArrayPush(dataLen, len);
      totalLength += len + separatorSpace;
      if (maxLength < len) maxLength = len;
    }
    const actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + ctx.indentation < BREAK_LENGTH &&
      (totalLength / actualMax > 5 || maxLength <= 6)) {
      const averageBias = MathSqrt(actualMax - totalLength / output.length);
      const biasedMax = MathMax(actualMax - 3 - averageBias, 1);
      const columns = MathMin(
        MathRound(MathSqrt(2.5 * biasedMax * outputLength) / biasedMax),
        MathFloor((BREAK_LENGTH - ctx.indentation) / actualMax),
        COMPACT * 4,
        15);
      if (columns <= 1) return output;
      const grouped = list();
      const maxLineLength = list();
      for (let i = 0; i < columns; i++) {
        let lineLength = 0;
        for (let j = i; j < output.length; j += columns) if (dataLen[j] > lineLength) lineLength = dataLen[j];
        ArrayPush(maxLineLength, lineLength + separatorSpace);
      }
      let padStart = true;
      if (value !== null) {
        for (let i = 0; i < output.length; i++) {
          const desc = ownProperty(value, '' + i);
          const item = desc && !desc.accessor ? desc.value : undefined;
          if (typeof item !== 'number' && typeof item !== 'bigint') { padStart = false; break; }
        }
      }
      for (let i = 0; i < outputLength; i += columns) {
        const max = MathMin(i + columns, outputLength);
        let line = '';
        let j = i;
        for (; j < max - 1; j++) {
          const cell = output[j] + ', ';
          line += padStart ? StringPadStart(cell, maxLineLength[j - i], ' ') : StringPadEnd(cell, maxLineLength[j - i], ' ');
        }
        line += padStart ? StringPadStart(output[j], maxLineLength[j - i] - separatorSpace, ' ') : output[j];
        ArrayPush(grouped, line);
      }
      if (outputLength < output.length) ArrayPush(grouped, output[outputLength]);
      return grouped;
    }
    return output;
  }

  function isBelowBreakLength(output, start, base) {
    let totalLength = output.length + start;
    if (totalLength + output.length > BREAK_LENGTH) return false;
    for (let i = 0; i < output.length; i++) {
      totalLength += output[i].length;
      if (totalLength > BREAK_LENGTH) return false;
    }
    return base === '' || StringIndexOf(base, '\n') === -1;
  }

  // Node's reduceToSingleString: one line when it fits and the nesting below is shallow,
  // otherwise one entry per line.
  function reduceToSingleString(ctx, output, base, open, close, type, depth, value) {
    const entries = output.length;
    let lines = output;
    if (type === ARRAY_TYPE && entries > 6) lines = groupArrayElements(ctx, output, value);
    if (ctx.currentDepth - depth < COMPACT && entries === lines.length) {
      const start = lines.length + ctx.indentation + open.length + base.length + 10;
      if (isBelowBreakLength(lines, start, base)) {
        const joined = ArrayJoin(lines, ', ');
        if (StringIndexOf(joined, '\n') === -1) {
          return (base ? base + ' ' : '') + open + ' ' + joined + ' ' + close;
        }
      }
    }
    const indentation = '\n' + StringRepeat(' ', ctx.indentation);
    return (base ? base + ' ' : '') + open + indentation + '  ' + ArrayJoin(lines, ',' + indentation + '  ') +
      indentation + close;
  }

  function functionBase(value, constructor, tag, kind) {
    let source = '';
    try { source = FunctionToString(value); } catch { /* a revoked proxy and the like */ }
    const name = ownDataValue(value, 'name');
    if (StringStartsWith(source, 'class') && source[source.length - 1] === '}') {
      let base = 'class ' + (typeof name === 'string' && name ? bounded(name, 1000) : '(anonymous)');
      if (constructor !== 'Function' && constructor !== null) base += ' [' + constructor + ']';
      if (tag !== '' && constructor !== tag) base += ' [' + tag + ']';
      if (constructor !== null) {
        let parent;
        try { parent = ReflectGetPrototypeOf(value); } catch { parent = null; }
        const superName = isObject(parent) ? ownDataValue(parent, 'name') : undefined;
        if (typeof superName === 'string' && superName) base += ' extends ' + bounded(superName, 1000);
      } else {
        base += ' extends [null prototype]';
      }
      return '[' + base + ']';
    }
    let type = 'Function';
    if (kind === 'generatorfunction' || kind === 'asyncgeneratorfunction') type = 'Generator' + type;
    if (kind === 'asyncfunction' || kind === 'asyncgeneratorfunction') type = 'Async' + type;
    let base = '[' + type;
    if (constructor === null) base += ' (null prototype)';
    base += typeof name === 'string' && name !== '' ? ': ' + bounded(name, 1000) : ' (anonymous)';
    base += ']';
    if (constructor !== type && constructor !== null && constructor !== 'Function') base += ' ' + constructor;
    if (tag !== '' && constructor !== tag) base += ' [' + tag + ']';
    return base;
  }

  // An error as Node shows it: its stack (or [Name: message] when the stack has no frames),
  // indented to where it is printed.
  function errorBase(ctx, value) {
    let stack = errorText(value);
    if (StringIndexOf(stack, '\n    at ') === -1) stack = '[' + stack + ']';
    if (ctx.indentation !== 0) {
      const parts = list();
      let start = 0;
      for (let i = StringIndexOf(stack, '\n'); i !== -1; i = StringIndexOf(stack, '\n', i + 1)) {
        ArrayPush(parts, StringSlice(stack, start, i));
        start = i + 1;
      }
      ArrayPush(parts, StringSlice(stack, start));
      stack = ArrayJoin(parts, '\n' + StringRepeat(' ', ctx.indentation));
    }
    return stack;
  }

  function formatValue(ctx, value, depth) {
    if (!isObject(value)) return formatPrimitive(ctx, value);
    if (ctx.budget <= 0) return '...';
    const tag0 = typeTag(value);
    if (tag0 === 'proxy') {
      const details = askHost(hostProxyDetails, value);
      if (details === null || details[0] === null) return '<Revoked Proxy>';
      if (ctx.showProxy) {
        if (depth > ctx.depth) return 'Proxy [Array]';
        ctx.indentation += 2;
        const parts = list();
        ArrayPush(parts, formatValue(ctx, details[0], depth + 1), formatValue(ctx, details[1], depth + 1));
        ctx.indentation -= 2;
        return reduceToSingleString(ctx, parts, '', 'Proxy [', ']', ARRAY_TYPE, depth, null);
      }
      return 'Proxy(' + formatValue(ctx, details[0], depth) + ')';
    }
    // A custom inspect hook, as Node calls it: the program's code on the program's value, given
    // an options object and an inspect of this realm.
    let custom;
    try { custom = value[INSPECT_CUSTOM]; } catch { custom = undefined; }
    if (typeof custom === 'function' && custom !== inspectForHooks) {
      const options = { depth: ctx.depth - depth, colors: false, showHidden: ctx.showHidden,
        showProxy: ctx.showProxy, stylize: (s) => s };
      const shown = ReflectApply(custom, value, [ctx.depth - depth, options, inspectForHooks]);
      if (shown !== value) {
        if (typeof shown === 'string') return bounded(shown, MAX_TEXT);
        return formatValue(ctx, shown, depth);
      }
    }
    const seen = ctx.seen;
    for (let i = 0; i < seen.length; i++) {
      if (seen[i] === value) {
        if (ctx.circular === null) ctx.circular = new MapCtor();
        let index = MapGet(ctx.circular, value);
        if (index === undefined) {
          index = MapSize(ctx.circular) + 1;
          MapSet(ctx.circular, value, index);
        }
        return '[Circular *' + index + ']';
      }
    }
    return formatRaw(ctx, value, depth, tag0);
  }

  function formatRaw(ctx, value, depth, kind) {
    const constructor = constructorName(value);
    let tag = ownOrInheritedTag(value);
    if (tag !== '' && ctx.showHidden ? ObjectHasOwn(value, SymbolToStringTag)
      : (ownProperty(value, SymbolToStringTag) || { enumerable: false }).enumerable) tag = '';
    let base = '';
    let open = '{';
    const close = kind === 'typedarray' || ArrayIsArray(value) ? ']' : '}';
    let type = OBJECT_TYPE;
    let keys;
    let entries = null; // how the body's own entries are made
    if (ArrayIsArray(value)) {
      const prefix = constructor !== 'Array' || tag !== '' ? prefixFor(constructor, tag, 'Array', '(' + value.length + ')') : '';
      keys = keysOf(value, ctx, true);
      open = prefix + '[';
      if (value.length === 0 && keys.length === 0) return open + ']';
      type = ARRAY_TYPE;
      entries = formatArray;
    } else if (kind === 'set' || kind === 'map') {
      const isMap = kind === 'map';
      const size = isMap ? MapSize(value) : SetSize(value);
      const prefix = prefixFor(constructor, tag, isMap ? 'Map' : 'Set', '(' + size + ')');
      keys = keysOf(value, ctx, false);
      if (size === 0 && keys.length === 0) return prefix + '{}';
      open = prefix + '{';
      entries = (c, v, d) => formatCollection(c, v, d, isMap);
    } else if (kind === 'typedarray') {
      keys = keysOf(value, ctx, true);
      const size = TypedArrayLength(value);
      const prefix = prefixFor(constructor, tag, constructor === null ? TypedArrayName(value) : '', '(' + size + ')');
      open = prefix + '[';
      if (size === 0 && keys.length === 0 && !ctx.showHidden) return open + ']';
      entries = formatTypedArray;
      type = ARRAY_TYPE;
    } else {
      keys = keysOf(value, ctx, kind === 'boxed');
      if (typeof value === 'function') {
        base = functionBase(value, constructor, tag, kind);
        const visible = list();
        for (let i = 0; i < keys.length; i++) if (keys[i] !== 'prototype' || ctx.showHidden) ArrayPush(visible, keys[i]);
        keys = visible;
        if (keys.length === 0) return base;
      } else if (kind === 'regexp') {
        let flags = '';
        for (let i = 0; i < REGEXP_FLAGS.length; i++) if (REGEXP_FLAGS[i][0](value)) flags += REGEXP_FLAGS[i][1];
        base = '/' + RegExpSource(value) + '/' + flags;
        const prefix = prefixFor(constructor, tag, 'RegExp');
        if (prefix !== 'RegExp ') base = prefix + base;
        if (keys.length === 0 || depth > ctx.depth) return base;
      } else if (kind === 'date') {
        const time = DateGetTime(value);
        base = NumberIsNaN(time) ? 'Invalid Date' : DateToISOString(value);
        const prefix = prefixFor(constructor, tag, 'Date');
        if (prefix !== 'Date ') base = prefix + base;
        if (keys.length === 0) return base;
      } else if (kind === 'error' || (kind === '' && inherits(value, ErrorPrototype))) {
        base = errorBase(ctx, value);
        const cause = ownProperty(value, 'cause');
        const visible = list();
        for (let i = 0; i < keys.length; i++) {
          if (keys[i] !== 'stack' && keys[i] !== 'message' && keys[i] !== 'cause') ArrayPush(visible, keys[i]);
        }
        if (cause !== undefined && !cause.enumerable) ArrayPush(visible, 'cause');
        else if (cause !== undefined) ArrayPush(visible, 'cause');
        keys = visible;
        if (keys.length === 0) return base;
      } else if (kind === 'arraybuffer' || kind === 'sharedarraybuffer') {
        const bytes = kind === 'arraybuffer' ? ArrayBufferByteLength(value) : SharedArrayBufferByteLength(value);
        const prefix = prefixFor(constructor, tag, kind === 'arraybuffer' ? 'ArrayBuffer' : 'SharedArrayBuffer');
        const view = new Uint8ArrayCtor(value, 0, MathMin(bytes, 50));
        const hexes = list();
        for (let i = 0; i < view.length; i++) ArrayPush(hexes, hex(view[i], 2));
        let contents = '[Uint8Contents]: <' + ArrayJoin(hexes, ' ') + (bytes > 50 ? ' ... ' + (bytes - 50) + ' more bytes' : '') + '>';
        const parts = list();
        ArrayPush(parts, contents, '[byteLength]: ' + bytes);
        for (let i = 0; i < keys.length; i++) ArrayPush(parts, formatProperty(ctx, value, depth + 1, keys[i], OBJECT_TYPE));
        contents = reduceToSingleString(ctx, parts, '', prefix + '{', '}', OBJECT_TYPE, depth, value);
        return contents;
      } else if (kind === 'promise') {
        open = prefixFor(constructor, tag, 'Promise') + '{';
        entries = formatPromise;
      } else if (kind === 'weakmap' || kind === 'weakset') {
        open = prefixFor(constructor, tag, kind === 'weakmap' ? 'WeakMap' : 'WeakSet') + '{';
        entries = () => { const out = list(); ArrayPush(out, '<items unknown>'); return out; };
      } else if (kind === 'boxed') {
        for (let i = 0; i < UNBOX.length; i++) {
          try {
            const primitive = ReflectApply(UNBOX[i], value, []);
            base = '[' + BOXED_NAMES[i];
            if (BOXED_NAMES[i] !== constructor && constructor !== null) base += ' (' + constructor + ')';
            base += ': ' + formatPrimitive(newContext(), primitive) + ']';
            break;
          } catch { /* not this kind */ }
        }
        if (keys.length === 0) return base;
      } else if (kind === 'module') {
        open = '[Module: null prototype] {';
      } else if (kind === 'generator') {
        open = 'Object [Generator] {';
        if (keys.length === 0) return 'Object [Generator] {}';
      } else if (kind === 'dataview') {
        open = prefixFor(constructor, tag, 'DataView') + '{';
        entries = (c, v, d) => {
          const out = list();
          ArrayPush(out, '[byteLength]: ' + DataViewByteLength(v), '[byteOffset]: ' + DataViewByteOffset(v));
          c.indentation += 2;
          ArrayPush(out, '[buffer]: ' + formatValue(c, DataViewBuffer(v), d));
          c.indentation -= 2;
          return out;
        };
      } else if (constructor === 'Object' && tag === '') {
        if (keys.length === 0) return '{}';
      } else {
        if (keys.length === 0) return prefixFor(constructor, tag, 'Object') + '{}';
        open = prefixFor(constructor, tag, 'Object') + '{';
      }
    }
    if (depth > ctx.depth) {
      const name = StringSlice(prefixFor(constructor, tag, 'Object'), 0, -1);
      return constructor !== null ? '[' + name + ']' : name;
    }
    const next = depth + 1;
    ArrayPush(ctx.seen, value);
    ctx.currentDepth = next;
    const output = entries === null ? list() : entries(ctx, value, next);
    for (let i = 0; i < keys.length; i++) {
      if (ctx.budget <= 0) { ArrayPush(output, remaining(keys.length - i)); break; }
      ArrayPush(output, spend(ctx, formatProperty(ctx, value, next, keys[i], OBJECT_TYPE)));
    }
    ctx.seen.length--;
    if (ctx.circular !== null) {
      const index = MapGet(ctx.circular, value);
      if (index !== undefined) base = base === '' ? '<ref *' + index + '>' : '<ref *' + index + '> ' + base;
    }
    return reduceToSingleString(ctx, output, base, open, close, type, next, value);
  }

  function formatPromise(ctx, value, depth) {
    const output = list();
    const details = askHost(hostPromiseDetails, value);
    if (!details || details[0] === 0) {
      ArrayPush(output, '<pending>');
    } else {
      ctx.indentation += 2;
      const shown = formatValue(ctx, details[1], depth);
      ctx.indentation -= 2;
      ArrayPush(output, details[0] === 2 ? '<rejected> ' + shown : shown);
    }
    return output;
  }

  // Symbol.toStringTag as Node reads it (a plain Get; a getter of the program may run).
  function ownOrInheritedTag(value) {
    let tag;
    try { tag = value[SymbolToStringTag]; } catch { tag = undefined; }
    return typeof tag === 'string' ? bounded(tag, 1000) : '';
  }

  function inspect(value, options) {
    return bounded(formatValue(newContext(options), value, 0), MAX_TEXT);
  }
  const inspectForHooks = { inspect(value, options) { return inspect(value, isObject(options) ? options : undefined); } }.inspect;

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

  // ---- errors and stack traces --------------------------------------------------------------
  // V8 formats a stack when it is first read, by calling the embedder; the harness makes that
  // call land here (setPrepareStackTraceCallback), for every error of the process. For the
  // program's errors the frames of this file, the harness and Node's internals are left out; a
  // program that sets Error.prepareStackTrace gets call sites of its own realm that carry only
  // primitives, never V8's CallSite objects.
  const INTERNAL_PREFIXES = ['node:', 'evaluator:'];
  let callSite = null; // V8's CallSite methods, captured from the first trace (see ready())
  const CALL_SITE_METHODS = ['getThis', 'getFunction', 'getFileName', 'getLineNumber', 'getColumnNumber', 'getFunctionName',
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

  // What a CallSite method returns, if it is a primitive, or (for getThis and getFunction) a
  // value of the program's own realm; never an engine or host object.
  function siteValue(site, method) {
    try {
      const value = callSite[method](site);
      return isObject(value) && !ofThisRealm(value) ? undefined : value;
    } catch {
      return undefined;
    }
  }

  function ofThisRealm(value) {
    let proto = value;
    for (let hops = 0; hops < 10000; hops++) {
      try { proto = ReflectGetPrototypeOf(proto); } catch { return false; }
      if (proto === ObjectPrototype) return true;
      if (proto === null) return false;
    }
    return false;
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

  // "Name: message" as Error.prototype.toString makes it (a Symbol throws, as in Node); the
  // program's getters and toString run, and what they throw is the program's own error.
  function strictHeader(error) {
    if (!isObject(error)) return text(error);
    const name = error.name;
    const message = error.message;
    if (typeof name === 'symbol' || typeof message === 'symbol') {
      throw new TypeErrorCtor('Cannot convert a Symbol value to a string');
    }
    const n = name === undefined ? 'Error' : text(name);
    const m = message === undefined ? '' : text(message);
    return bounded(!n ? m : !m ? n : n + ': ' + m, MAX_TEXT);
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
      if (typeof custom === 'function' && custom !== ErrorPrepareStackTrace) {
        return ReflectApply(custom, ErrorCtor, [error, copySites(trace)]);
      }
    }
    const stack = own ? strictHeader(error) : errorHeader(error);
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

  // Node's own default, which Node installs as Error.prepareStackTrace: a program may call it
  // with call sites of its own (the stand-ins above, or anything with a toString).
  const ErrorPrepareStackTrace = {
    ErrorPrepareStackTrace(error, trace) {
      let stack = strictHeader(error);
      for (let i = 0; i < trace.length; i++) stack += '\n    at ' + text(trace[i]);
      return bounded(stack, MAX_TEXT);
    },
  }.ErrorPrepareStackTrace;
  ReflectDefineProperty(ErrorCtor, 'prepareStackTrace', {
    __proto__: null, value: ErrorPrepareStackTrace, writable: true, enumerable: false, configurable: true,
  });

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

  // Node's ERR_INVALID_ARG_TYPE, word for word: "Received type string ('x')" and the like.
  function invalidCallback(value) {
    let received;
    if (value === null || value === undefined) received = '' + value;
    else if (typeof value === 'string') {
      const shown = value.length > 28 ? StringSlice(value, 0, 25) + '...' : value;
      received = 'type string (' + (StringIndexOf(shown, "'") === -1 ? "'" + shown + "'" : JSONStringify(shown)) + ')';
    } else if (typeof value === 'object') {
      let ctor;
      try { ctor = value.constructor; } catch { ctor = undefined; }
      let name;
      try { name = isObject(ctor) && 'name' in ctor ? ctor.name : undefined; } catch { name = undefined; }
      received = name !== undefined ? 'an instance of ' + text(name) : inspect(value, { depth: -1 });
    } else {
      received = 'type ' + typeof value + ' (' + formatPrimitive(newContext(), value) + ')';
    }
    const error = new TypeErrorCtor('The "callback" argument must be of type function. Received ' + received);
    ReflectDefineProperty(error, 'code', { __proto__: null, value: 'ERR_INVALID_ARG_TYPE', writable: true, enumerable: true, configurable: true });
    ReflectDefineProperty(error, 'name', { __proto__: null, value: 'TypeError [ERR_INVALID_ARG_TYPE]', writable: true, enumerable: false, configurable: true });
    errorText(error); // the stack is made now, with the code in its header, as Node's is
    delete error.name;
    return error;
  }

  function addTimer(callback, delay, args, kind) {
    if (typeof callback !== 'function') throw invalidCallback(callback);
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
    if (typeof callback !== 'function') throw invalidCallback(callback);
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
  const PROTO_GET_ON_NULL = 'Cannot convert undefined or null to object';
  const PROTO_SET_ON_NULL = 'set Object.prototype.__proto__ called on null or undefined';
  const protoAccessor = ReflectGetOwnPropertyDescriptor({
    get __proto__() {
      if (this === undefined || this === null) throw new TypeErrorCtor(PROTO_GET_ON_NULL);
      return ReflectGetPrototypeOf(ObjectCtor(this));
    },
    set __proto__(proto) {
      if (this === undefined || this === null) throw new TypeErrorCtor(PROTO_SET_ON_NULL);
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
  // V8 lays Object.prototype out with toLocaleString after __proto__: keep its key order.
  const toLocaleString = ReflectGetOwnPropertyDescriptor(ObjectPrototype, 'toLocaleString');
  delete ObjectPrototype.toLocaleString;
  ReflectDefineProperty(ObjectPrototype, 'toLocaleString', toLocaleString);
  // Node's global object says what it is.
  ReflectDefineProperty(contextGlobal, SymbolToStringTag, {
    __proto__: null, value: 'global', writable: false, enumerable: false, configurable: true,
  });

  function formatResult(value) {
    let shown;
    try {
      shown = typeof value === 'string' ? bounded(value, MAX_TEXT) : inspect(value, { showProxy: true });
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
