// The program's global object: console, timers, queueMicrotask, global, process, require,
// module, __proto__ restored, and how the completion value is shown. See primordials.js for the
// rules every part keeps.
(function globals(shared) {
  'use strict';
  const { MAX_TEXT, ObjectCtor, ObjectPrototype, ReflectDefineProperty,
    ReflectGetOwnPropertyDescriptor, ReflectGetPrototypeOf, ReflectIsExtensible, ReflectOwnKeys,
    ReflectSetPrototypeOf, SymbolToStringTag, TypeErrorCtor, addMicrotask, addTimer, bounded,
    console, contextGlobal, describeError, inspect, isObject, module, process, removeTimer,
    require } = shared;

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
    // What a CommonJS script sees (runner/context/process.js): Node's names, this realm's values.
    process,
    require,
    module,
    exports: module.exports,
    __filename: '/main.js',
    __dirname: '/',
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

  shared.formatResult = formatResult;
})
