// Value formatting inside the program's realm: Node's util.inspect, rewritten for this realm.
// See primordials.js for the rules every part keeps.
(function inspect(shared) {
  'use strict';
  const { ARRAY_TYPE, ArrayBufferByteLength, ArrayIsArray, ArrayJoin, ArrayPush, BOXED_NAMES, indentLines,
    DataViewBuffer, DataViewByteLength, DataViewByteOffset, DateGetTime, DateToISOString,
    ErrorPrototype, FunctionToString, INSPECT_CUSTOM, MAX_ITEMS, MAX_TEXT, MapCtor, MapEntries,
    MapGet, MapIteratorNext, MapSet, MapSize, MathMin, NumberIsNaN, OBJECT_TYPE, ObjectHasOwn,
    REGEXP_FLAGS, ReflectApply, ReflectGetPrototypeOf, ReflectOwnKeys, RegExpSource,
    SetIteratorNext, SetSize, SetValues, SharedArrayBufferByteLength, StringIndexOf, StringRepeat,
    StringSlice, StringStartsWith, SymbolToString, SymbolToStringTag, TypedArrayLength,
    TypedArrayName, UNBOX, Uint8ArrayCtor, askHost, bounded, formatPrimitive, hex,
    hostPromiseDetails, hostProxyDetails, inherits, isIdentifier, isIndex, isObject, list,
    ownDataValue, ownProperty, record, reduceToSingleString, remaining, spend, strEscape, typeTag } = shared;
  const errorText = (...args) => ReflectApply(shared.errorText, undefined, args); // made by a later part

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
    if (ctx.indentation !== 0) stack = indentLines(stack, StringRepeat(' ', ctx.indentation));
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

  shared.inspect = inspect;
  shared.newContext = newContext;
})
