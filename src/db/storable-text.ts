/**
 * What PostgreSQL refuses in text and jsonb: the NUL character (`text` cannot hold it, `jsonb`
 * refuses the `\u0000` escape) and UTF-16 surrogates without their pair (node writes U+FFFD for them
 * in a `text` parameter, but `JSON.stringify` keeps them as `\ud800` escapes, which `jsonb` refuses).
 * One such character in one value would fail the whole write it is part of, again on every retry.
 */
const SUSPECT = /[\0\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const UNSTORABLE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * Whether JSON text may decode to something `storableJson` would change. Without a `\u0000` or
 * surrogate escape it cannot: JSON refuses a raw NUL in a string, and decoded UTF-8 holds no lone
 * surrogate. (An escaped backslash before `u0000` also matches: a false alarm only costs the walk.)
 * The `\u` search is native and cheap; the pattern runs only on text that has escapes at all.
 */
export function mayHoldUnstorableText(json: string): boolean {
  return json.includes('\\u') && UNSTORABLE_ESCAPE.test(json);
}

/** Whether PostgreSQL can store `value` as text and inside jsonb. */
export function isStorableText(value: string): boolean {
  if (!SUSPECT.test(value)) return true;
  if (value.includes('\0')) return false;
  LONE_SURROGATE.lastIndex = 0;
  return !LONE_SURROGATE.test(value);
}

/** `value` with NUL removed and each unpaired surrogate replaced by U+FFFD (what node's UTF-8 encoder writes). */
export function storableText(value: string): string {
  if (!SUSPECT.test(value)) return value;
  return value.replaceAll('\0', '').replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * Makes every string of a parsed JSON value storable, keys included, in place (responses are
 * parsed for this use only) and without recursion, so no nesting depth can overflow the stack.
 */
export function storableJson<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const element: unknown = node[i];
        if (typeof element === 'string') node[i] = storableText(element);
        else if (element !== null && typeof element === 'object') stack.push(element);
      }
      continue;
    }
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const element = record[key];
      const cleanKey = storableText(key);
      const clean = typeof element === 'string' ? storableText(element) : element;
      if (cleanKey !== key) {
        delete record[key];
        record[cleanKey] = clean;
      } else if (clean !== element) {
        record[key] = clean;
      }
      if (clean !== null && typeof clean === 'object') stack.push(clean);
    }
  }
  return value;
}

/** Whether a parsed JSON value can be stored as jsonb as it is: every string and key storable, at most `maxDepth` levels deep. */
export function isStorableJson(value: unknown, maxDepth: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (typeof node === 'string') {
      if (!isStorableText(node)) return false;
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) return false;
    if (Array.isArray(node)) {
      for (const element of node) stack.push({ node: element, depth: depth + 1 });
      continue;
    }
    for (const [key, element] of Object.entries(node)) {
      if (!isStorableText(key)) return false;
      stack.push({ node: element, depth: depth + 1 });
    }
  }
  return true;
}
