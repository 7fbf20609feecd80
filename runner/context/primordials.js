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
// This part captures the intrinsics and holds the small helpers every other part uses. harness.js
// evaluates the parts (runner/context/*.js) in the fresh context, in order; each is a function
// expression that uses nothing but the ECMAScript built-ins, and shares what it makes through
// `shared`, an object without prototype that never leaves the trusted code.
(function primordials(hostWrite, hostSchedule, hostCancel, hostControl, hostMicrotask, hostFail,
  hostTypeTag, hostProxyDetails, hostPromiseDetails, hostHeapRoom, hostExit, nodeVersion) {
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
  const JSONParse = JSON.parse;
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
  const PromiseResolve = Promise.resolve;
  const ObjectKeys = Object.keys;
  const BigIntCtor = BigInt;
  const SymbolAsyncIterator = Symbol.asyncIterator;
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

  // `s` with `pad` after every line break.
  function indentLines(s, pad) {
    const parts = list();
    let start = 0;
    for (let i = StringIndexOf(s, '\n'); i !== -1; i = StringIndexOf(s, '\n', i + 1)) {
      ArrayPush(parts, StringSlice(s, start, i));
      start = i + 1;
    }
    ArrayPush(parts, StringSlice(s, start));
    return ArrayJoin(parts, '\n' + pad);
  }

  const shared = record();
  shared.hostWrite = hostWrite;
  shared.hostExit = hostExit;
  shared.nodeVersion = typeof nodeVersion === 'string' ? nodeVersion : '';
  shared.hostSchedule = hostSchedule;
  shared.hostCancel = hostCancel;
  shared.hostControl = hostControl;
  shared.hostMicrotask = hostMicrotask;
  shared.hostFail = hostFail;
  shared.hostTypeTag = hostTypeTag;
  shared.hostProxyDetails = hostProxyDetails;
  shared.hostPromiseDetails = hostPromiseDetails;
  shared.hostHeapRoom = hostHeapRoom;
  shared.ArrayBufferByteLength = ArrayBufferByteLength;
  shared.ArrayIsArray = ArrayIsArray;
  shared.ArrayJoin = ArrayJoin;
  shared.ArrayPush = ArrayPush;
  shared.BOXED_NAMES = BOXED_NAMES;
  shared.DataViewBuffer = DataViewBuffer;
  shared.DataViewByteLength = DataViewByteLength;
  shared.DataViewByteOffset = DataViewByteOffset;
  shared.DateGetTime = DateGetTime;
  shared.DateNow = DateNow;
  shared.DateToISOString = DateToISOString;
  shared.ErrorCtor = ErrorCtor;
  shared.ErrorIsError = ErrorIsError;
  shared.ErrorPrototype = ErrorPrototype;
  shared.FunctionToString = FunctionToString;
  shared.INSPECT_CUSTOM = INSPECT_CUSTOM;
  shared.JSONStringify = JSONStringify;
  shared.MAX_ITEMS = MAX_ITEMS;
  shared.MAX_STRING = MAX_STRING;
  shared.MAX_TEXT = MAX_TEXT;
  shared.MapCtor = MapCtor;
  shared.MapEntries = MapEntries;
  shared.MapGet = MapGet;
  shared.MapIteratorNext = MapIteratorNext;
  shared.MapSet = MapSet;
  shared.MapSize = MapSize;
  shared.MathFloor = MathFloor;
  shared.MathMax = MathMax;
  shared.MathMin = MathMin;
  shared.MathRound = MathRound;
  shared.MathSqrt = MathSqrt;
  shared.MathTrunc = MathTrunc;
  shared.JSONParse = JSONParse;
  shared.NumberCtor = NumberCtor;
  shared.NumberIsNaN = NumberIsNaN;
  shared.NumberParseFloat = NumberParseFloat;
  shared.NumberParseInt = NumberParseInt;
  shared.NumberToString = NumberToString;
  shared.ObjectCtor = ObjectCtor;
  shared.ObjectHasOwn = ObjectHasOwn;
  shared.ObjectIs = ObjectIs;
  shared.ObjectPrototype = ObjectPrototype;
  shared.PromiseCtor = PromiseCtor;
  shared.PromiseReject = PromiseReject;
  shared.PromiseResolve = PromiseResolve;
  shared.ObjectKeys = ObjectKeys;
  shared.BigIntCtor = BigIntCtor;
  shared.SymbolAsyncIterator = SymbolAsyncIterator;
  shared.REGEXP_FLAGS = REGEXP_FLAGS;
  shared.RangeErrorPrototype = RangeErrorPrototype;
  shared.ReflectApply = ReflectApply;
  shared.ReflectDefineProperty = ReflectDefineProperty;
  shared.ReflectGetOwnPropertyDescriptor = ReflectGetOwnPropertyDescriptor;
  shared.ReflectGetPrototypeOf = ReflectGetPrototypeOf;
  shared.ReflectIsExtensible = ReflectIsExtensible;
  shared.ReflectOwnKeys = ReflectOwnKeys;
  shared.ReflectSetPrototypeOf = ReflectSetPrototypeOf;
  shared.RegExpSource = RegExpSource;
  shared.SetIteratorNext = SetIteratorNext;
  shared.SetSize = SetSize;
  shared.SetValues = SetValues;
  shared.SharedArrayBufferByteLength = SharedArrayBufferByteLength;
  shared.StringCharCodeAt = StringCharCodeAt;
  shared.StringCtor = StringCtor;
  shared.StringIndexOf = StringIndexOf;
  shared.StringPadEnd = StringPadEnd;
  shared.StringPadStart = StringPadStart;
  shared.StringRepeat = StringRepeat;
  shared.StringSlice = StringSlice;
  shared.StringStartsWith = StringStartsWith;
  shared.StringToUpperCase = StringToUpperCase;
  shared.SymbolToPrimitive = SymbolToPrimitive;
  shared.SymbolToString = SymbolToString;
  shared.SymbolToStringTag = SymbolToStringTag;
  shared.TypeErrorCtor = TypeErrorCtor;
  shared.TypedArrayLength = TypedArrayLength;
  shared.TypedArrayName = TypedArrayName;
  shared.UNBOX = UNBOX;
  shared.Uint8ArrayCtor = Uint8ArrayCtor;
  shared.WeakMapCtor = WeakMapCtor;
  shared.WeakMapGet = WeakMapGet;
  shared.WeakMapSet = WeakMapSet;
  shared.askHost = askHost;
  shared.bounded = bounded;
  shared.callHost = callHost;
  shared.contextGlobal = contextGlobal;
  shared.indentLines = indentLines;
  shared.inherits = inherits;
  shared.isObject = isObject;
  shared.list = list;
  shared.ownDataValue = ownDataValue;
  shared.ownProperty = ownProperty;
  shared.record = record;
  shared.text = text;
  shared.typeTag = typeTag;
  shared.uncurry = uncurry;
  return shared;
})
