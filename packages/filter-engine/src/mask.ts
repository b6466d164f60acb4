import * as table from './unicode-table';

const C_IGNORE = table.C_IGNORE;
const TABLE_SIZE = table.TABLE_SIZE;

/** A range of UTF-16 offsets, end exclusive (as in FilterMatch). */
export interface TextSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * Masks `spans` of `text` the way `check()` masks its `mask` matches: each span (overlapping ones
 * merged) becomes one `*` per visible code point; zero-width characters inside it are dropped.
 * For callers that decide themselves which matches to mask (e.g. after dropping some).
 */
export function maskSpans(text: string, spans: readonly TextSpan[]): string {
  if (spans.length === 0) return text;
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const cls = table.unicodeTable().cls;
  let out = '';
  let pos = 0;
  let i = 0;
  while (i < sorted.length) {
    const s = Math.max(pos, (sorted[i] as TextSpan).start);
    let e = (sorted[i] as TextSpan).end;
    i++;
    while (i < sorted.length && (sorted[i] as TextSpan).start <= e) {
      e = Math.max(e, (sorted[i] as TextSpan).end);
      i++;
    }
    if (e <= s) continue;
    out += text.slice(pos, s);
    let stars = 0;
    let x = s;
    while (x < e) {
      const cp = text.codePointAt(x) as number;
      const c = cp < TABLE_SIZE ? (cls[cp] as number) : table.astralClass(cp);
      if (c !== C_IGNORE) stars++;
      x += cp > 0xffff ? 2 : 1;
    }
    out += '*'.repeat(stars);
    pos = e;
  }
  return out + text.slice(pos);
}
