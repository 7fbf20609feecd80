// Errors inside the program's realm: V8's stack-formatting hook and dynamic import() land here
// (the harness points them here), the stand-ins for CallSites, the throw mark, and how an
// uncaught error is described. See primordials.js for the rules every part keeps.
(function errors(shared) {
  'use strict';
  const { ArrayJoin, ArrayPush, ErrorCtor, ErrorIsError, ErrorPrototype, MAX_TEXT, MathMax,
    MathMin, ObjectPrototype, PromiseCtor, PromiseReject, RangeErrorPrototype, ReflectApply,
    ReflectDefineProperty, ReflectGetPrototypeOf, StringIndexOf, StringRepeat, StringSlice,
    StringStartsWith, TypeErrorCtor, WeakMapCtor, WeakMapGet, WeakMapSet, bounded, callHost,
    contextGlobal, hostFail, inherits, inspect, isObject, list, ownDataValue, record, text,
    uncurry } = shared;

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

  // Called by the harness once the hooks point here: captures V8's CallSite methods from a trace
  // of this realm, before the program can touch anything.
  function ready(harnessPath) {
    harnessFile = typeof harnessPath === 'string' ? harnessPath : null;
    errorText(new ErrorCtor('ready'));
  }

  shared.describeError = describeError;
  shared.errorText = errorText;
  shared.fail = fail;
  shared.importModule = importModule;
  shared.isRangeError = isRangeError;
  shared.prepareStackTrace = prepareStackTrace;
  shared.ready = ready;
  shared.setSource = setSource;
  shared.source = source;
})
