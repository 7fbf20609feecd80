// Timers and microtasks: the callbacks stay in the program's realm, the host only learns an id,
// a delay and a kind. See primordials.js for the rules every part keeps.
(function timers(shared) {
  'use strict';
  const { MathTrunc, NumberCtor, ReflectApply, ReflectDefineProperty, StringIndexOf, StringSlice,
    SymbolToPrimitive, TypeErrorCtor, callHost, errorText, fail, formatPrimitive, hostCancel,
    hostControl, hostMicrotask, hostSchedule, inspect, isObject, newContext, record, text } = shared;

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

  shared.addMicrotask = addMicrotask;
  shared.addTimer = addTimer;
  shared.fire = fire;
  shared.removeTimer = removeTimer;
})
