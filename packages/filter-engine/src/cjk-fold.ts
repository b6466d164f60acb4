import { Locale } from 'opencc-js';
import type { DictGroup, DictLike } from 'opencc-js';

/**
 * Per-character Traditional -> Simplified folding built from OpenCC's own tables (opencc-js ships them
 * as strings "T S|T S|..."), not from a hand list.
 *
 * Only single-character mappings are used: matching works per code point, and phrase rules (乾隆 vs 乾淨)
 * cannot be applied without segmentation. Folding both the dictionary and the text through the same
 * table is what matters: 賭博 and 赌博 both become 赌博.
 *
 * Order of precedence for a character c:
 *  1. OpenCC TSCharacters (to.cn): 賭 -> 赌, 臺 -> 台.
 *  2. a Taiwan/Hong Kong variant (from.tw / from.hk, e.g. 為 -> 爲) whose OpenCC-standard form has a
 *     TSCharacters mapping: 爲 -> 为. A variant whose standard form has no simplified mapping is left
 *     alone, so simplified text is never pushed towards a traditional variant (么 stays 么).
 * The result is iterated to a fixed point (at most 4 steps) so chains settle.
 */
export function buildCjkFoldMap(): Map<number, number> {
  const ts = new Map<number, number>();
  for (const group of Locale.to.cn ?? []) addSingles(group, ts);
  const variants = new Map<number, number>();
  for (const group of [...(Locale.from.tw ?? []), ...(Locale.from.hk ?? [])]) addSingles(group, variants);

  const fold = new Map<number, number>();
  const step = (c: number): number => {
    const direct = ts.get(c);
    if (direct !== undefined) return direct;
    const standard = variants.get(c);
    if (standard !== undefined) {
      const simplified = ts.get(standard);
      if (simplified !== undefined) return simplified;
    }
    return c;
  };
  const keys = new Set<number>([...ts.keys(), ...variants.keys()]);
  for (const c of keys) {
    let cur = c;
    for (let i = 0; i < 4; i++) {
      const next = step(cur);
      if (next === cur) break;
      cur = next;
    }
    if (cur !== c) fold.set(c, cur);
  }
  return fold;
}

function addSingles(group: DictGroup, into: Map<number, number>): void {
  for (const dict of group) addDict(dict, into);
}

function addDict(dict: DictLike, into: Map<number, number>): void {
  if (typeof dict === 'string') {
    // "T S|T S2 S3|..." — the first target is OpenCC's preferred conversion.
    let pos = 0;
    while (pos < dict.length) {
      let bar = dict.indexOf('|', pos);
      if (bar < 0) bar = dict.length;
      const pair = dict.slice(pos, bar);
      pos = bar + 1;
      const space = pair.indexOf(' ');
      if (space <= 0) continue;
      const from = pair.slice(0, space);
      const rest = pair.slice(space + 1);
      const end = rest.indexOf(' ');
      addPair(from, end < 0 ? rest : rest.slice(0, end), into);
    }
    return;
  }
  for (const [from, to] of dict) addPair(from, to, into);
}

function addPair(from: string, to: string, into: Map<number, number>): void {
  const f = from.codePointAt(0);
  const t = to.codePointAt(0);
  if (f === undefined || t === undefined) return;
  // single code point on both sides only
  if (from.length !== (f > 0xffff ? 2 : 1) || to.length !== (t > 0xffff ? 2 : 1)) return;
  if (f !== t && !into.has(f)) into.set(f, t);
}
