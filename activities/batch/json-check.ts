// Whether bytes are one JSON text (RFC 8259), without building the value. The export checks every
// Kafka value before copying it into a raw line as it is: JSON.parse costs ~3.5 µs for a 400-byte
// record because it allocates the objects, where a scan of the bytes costs a fraction of that.
// It accepts exactly what `JSON.parse(bytes.toString('latin1'))` accepts: bytes above 0x7f are
// allowed inside strings (UTF-8 text is not decoded, as there), and nowhere else.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/** The characters JSON allows after a backslash, `u` (four hex digits follow) included. */
const ESCAPES = new Uint8Array(256);
for (const c of '"\\/bfnrtu') ESCAPES[c.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/** Bytes that stand for themselves inside a string: not a quote, a backslash or a control character. */
const PLAIN = new Uint8Array(256).fill(1, 0x20);
PLAIN[QUOTE] = 0;
PLAIN[BACKSLASH] = 0;

const isDigit = (c: number) => c >= ZERO && c <= NINE;

function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i] as number;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** From just after an opening quote to just after the closing one; -1 when the string is not valid. */
function scanString(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    while (i < end && PLAIN[b[i] as number] === 1) i++;
    if (i >= end) return -1;
    const c = b[i++] as number;
    if (c === QUOTE) return i;
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      if (i >= end || ESCAPES[b[i] as number] === 0) return -1;
      if (b[i++] === 0x75) {
        if (i + 4 > end) return -1;
        for (let k = 0; k < 4; k++) if (HEX[b[i++] as number] === 0) return -1;
      }
    }
  }
  return -1;
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; -1 when there is no such number at i. */
function scanNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === MINUS) i++;
  if (i >= end || !isDigit(b[i] as number)) return -1;
  if (b[i] === ZERO) i++;
  else while (i < end && isDigit(b[i] as number)) i++;
  if (i < end && b[i] === DOT) {
    i++;
    if (i >= end || !isDigit(b[i] as number)) return -1;
    while (i < end && isDigit(b[i] as number)) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === PLUS || b[i] === MINUS)) i++;
    if (i >= end || !isDigit(b[i] as number)) return -1;
    while (i < end && isDigit(b[i] as number)) i++;
  }
  return i;
}

function scanWord(b: Uint8Array, i: number, end: number, word: number[]): number {
  if (i + word.length > end) return -1;
  for (const c of word) if (b[i++] !== c) return -1;
  return i;
}

/** Whether `bytes` hold exactly one JSON value, with optional whitespace around it. */
export function isJsonBytes(bytes: Uint8Array): boolean {
  const end = bytes.length;
  /** The containers open around the current position: OPEN_OBJECT or OPEN_ARRAY. */
  const open: number[] = [];
  let i = skipSpace(bytes, 0, end);
  for (;;) {
    // A value starts at i.
    if (i >= end) return false;
    const c = bytes[i] as number;
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const close = c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
      i = skipSpace(bytes, i + 1, end);
      if (bytes[i] === close) {
        i++;
      } else {
        open.push(c);
        if (c === OPEN_OBJECT) {
          i = scanKey(bytes, i, end);
          if (i < 0) return false;
        }
        continue;
      }
    } else if (c === QUOTE) i = scanString(bytes, i + 1, end);
    else if (c === 0x74) i = scanWord(bytes, i, end, TRUE);
    else if (c === 0x66) i = scanWord(bytes, i, end, FALSE);
    else if (c === 0x6e) i = scanWord(bytes, i, end, NULL);
    else i = scanNumber(bytes, i, end);
    if (i < 0) return false;
    // A value ended at i: close containers until one goes on with a comma, or the text ends.
    for (;;) {
      i = skipSpace(bytes, i, end);
      const container = open.at(-1);
      if (container === undefined) return i === end;
      const next = bytes[i];
      if (next === COMMA) {
        i = skipSpace(bytes, i + 1, end);
        if (container === OPEN_OBJECT) {
          i = scanKey(bytes, i, end);
          if (i < 0) return false;
        }
        break;
      }
      if (next !== (container === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) return false;
      open.pop();
      i++;
    }
  }
}

/** `"key" :` and the space after it; returns where the member's value starts, or -1. */
function scanKey(b: Uint8Array, i: number, end: number): number {
  if (b[i] !== QUOTE) return -1;
  i = scanString(b, i + 1, end);
  if (i < 0) return -1;
  i = skipSpace(b, i, end);
  if (b[i] !== COLON) return -1;
  return skipSpace(b, i + 1, end);
}
