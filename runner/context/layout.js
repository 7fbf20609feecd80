// How Node lays formatted values out: quoting and escapes, breakLength 80, compact 3, grouping
// of long arrays into columns (lib/internal/util/inspect.js). See primordials.js for the rules
// every part keeps.
(function layout(shared) {
  'use strict';
  const { ArrayIsArray, ArrayJoin, ArrayPush, MAX_ITEMS, MAX_STRING, MathFloor, MathMax, MathMin,
    MathRound, MathSqrt, NumberToString, ObjectIs, StringCharCodeAt, StringCtor, StringIndexOf,
    StringPadEnd, StringPadStart, StringRepeat, StringSlice, StringStartsWith, StringToUpperCase,
    SymbolToString, bounded, list, ownProperty } = shared;

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

  function remaining(count) {
    return '... ' + count + ' more item' + (count > 1 ? 's' : '');
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

  shared.ARRAY_TYPE = ARRAY_TYPE;
  shared.OBJECT_TYPE = OBJECT_TYPE;
  shared.formatNumber = formatNumber;
  shared.formatPrimitive = formatPrimitive;
  shared.hex = hex;
  shared.isIdentifier = isIdentifier;
  shared.isIndex = isIndex;
  shared.reduceToSingleString = reduceToSingleString;
  shared.remaining = remaining;
  shared.spend = spend;
  shared.strEscape = strEscape;
})
