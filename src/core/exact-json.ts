import { randomBytes } from 'node:crypto';

/**
 * JSON with integers beyond 2^53 kept exact. `JSON.parse` turns 12345678901234567890 into
 * 12345678901234567000, and Node 20 offers no way to see a number's source text, so a line
 * that could hold such an integer (a run of 16 or more digits: 2^53 has 16) takes a slow path:
 * each integer token outside strings that is not a safe integer becomes a marked string before
 * parsing and a `bigint` after. Every other line is parsed by `JSON.parse` alone, at its speed:
 * whether a line needs the slow path is told from the parsed value (an integer beyond 2^53 parses
 * to a number of magnitude at least 2^53), not by scanning its text, which cost as much as 40%
 * of the parse on float-heavy lines (docs/performance.md).
 * On the way out, `stringifyExact` writes a bigint as a bare JSON number with its digits.
 */

/** A marker no parsed string can equal by chance: a NUL, a per-process nonce, the digits. */
const MARK = `\u0000${randomBytes(8).toString('hex')}:`;
/** MARK as JSON text writes it (the NUL escaped as \u0000). */
const MARK_TEXT = JSON.stringify(MARK).slice(1, -1);

/** A string (kept as it is) or an integer token of 16+ digits not inside a number's fraction or exponent. */
const TOKENS = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![.eE\d])/g;

/**
 * `JSON.parse`, except that integers outside the safe range (beyond ±2^53 - 1) are `bigint`s
 * holding the input's exact value.
 *
 * @example
 * parseJsonExact('{"id":12345678901234567890,"x":1}') // { id: 12345678901234567890n, x: 1 }
 */
export function parseJsonExact(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  if (!holdsUnsafeNumber(parsed)) return parsed;
  let marked = 0;
  const rewritten = text.replace(TOKENS, (token) => {
    if (token.charCodeAt(0) === 34 || Number.isSafeInteger(Number(token))) return token;
    marked++;
    return `"${MARK_TEXT}${token}"`;
  });
  // A large float (1e300, 12345678901234567890.5) is no integer token: the plain parse was exact.
  if (marked === 0) return parsed;
  return unmark(JSON.parse(rewritten));
}

/** 2^53: every number of at least this magnitude came from a token that may have lost digits. */
const UNSAFE = 9007199254740992;

/**
 * True when a parsed JSON value holds a number of magnitude 2^53 or more anywhere: only then
 * can an integer token have lost digits. Iterative, so deep nesting cannot overflow it; a
 * record's numbers are each looked at once, which costs far less than scanning its text.
 */
function holdsUnsafeNumber(value: unknown): boolean {
  if (typeof value === 'number') return value >= UNSAFE || value <= -UNSAFE;
  if (value === null || typeof value !== 'object') return false;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (typeof v === 'number') {
          if (v >= UNSAFE || v <= -UNSAFE) return true;
        } else if (v !== null && typeof v === 'object') stack.push(v);
      }
    } else {
      const holder = node as Record<string, unknown>;
      for (const k in holder) {
        const v = holder[k];
        if (typeof v === 'number') {
          if (v >= UNSAFE || v <= -UNSAFE) return true;
        } else if (v !== null && typeof v === 'object') stack.push(v);
      }
    }
  }
  return false;
}

function fromMark(v: unknown): unknown {
  return typeof v === 'string' && v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v;
}

/** Turns marked strings back into bigints, walking without recursion (records may nest deeply). */
function unmark(value: unknown): unknown {
  const top = fromMark(value);
  const stack: unknown[] = [top];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    const holder = node as Record<string, unknown>;
    for (const k of Object.keys(holder)) {
      const v = holder[k];
      if (typeof v === 'string') holder[k] = fromMark(v);
      else if (v !== null && typeof v === 'object') stack.push(v);
    }
  }
  return top;
}

/**
 * `JSON.stringify`, with a `bigint` written as a bare JSON number of its digits. Rows without
 * a bigint (nearly all) cost one `JSON.stringify`; `JSON.stringify` throws on a bigint, and only
 * then is the row written again with the bigints marked and unmarked in the text.
 *
 * @example
 * stringifyExact({ key: 12345678901234567890n }) // '{"key":12345678901234567890}'
 */
export function stringifyExact(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof TypeError) || !/BigInt/i.test(err.message)) throw err;
  }
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${MARK}${v}` : v));
  return text.split(`"${MARK_TEXT}`).map((part, i) => (i === 0 ? part : part.replace(/^(-?\d+)"/, '$1'))).join('');
}
