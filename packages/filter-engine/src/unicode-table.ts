import { buildCjkFoldMap } from './cjk-fold';

/*
 * The per-code-point normalisation table. Built once per process (130–250 ms on the 2-core bench machine
 * for the 131 072 code points of planes 0 and 1) and shared by every filter; the hot path only indexes typed arrays.
 *
 * For each code point: a class (what it is for matching) and a normalised code point:
 *   NFKC (width, compatibility forms: ｆ ⓕ 𝐟 ᶠ ① ...) -> lower case (+ ß -> ss) -> diacritics stripped for
 *   non-CJK letters (é -> e) -> confusables of other scripts folded to Latin (Cyrillic с -> c, Greek ο -> o,
 *   small capitals ᴀ -> a) -> CJK Traditional folded to Simplified (OpenCC tables).
 * A code point whose normal form has several letters (ﬁ, ß, ㎏, Ⅻ) is class EXPAND and points into
 * an expansion pool of (class, code point) pairs.
 */

/** Zero-width, format, combining and most control characters: skipped as if absent. */
export const C_IGNORE = 0;
/** Punctuation, symbols, emoji, unassigned, lone surrogates: a separator that may be skipped. */
export const C_SOFT = 1;
/** Whitespace within a line. */
export const C_SPACE = 2;
/** Line breaks and CJK sentence punctuation (。，、！？；：): nothing ever matches across them. */
export const C_HARD = 3;
/** A letter of a script that separates words with spaces (Latin, Cyrillic, Greek, ...). */
export const C_ALPHA = 4;
/** An ASCII digit after NFKC (０ ① 𝟏 -> 1). */
export const C_DIGIT = 5;
/** Han, kana, Hangul, Bopomofo: scripts without word boundaries. */
export const C_CJK = 6;
/** `$ @ ! | +`: a letter in leet spelling inside a word, otherwise a separator. */
export const C_LEET = 7;
/** Normalises to several characters; `norm` is an offset into the expansion pool. */
export const C_EXPAND = 8;

/** Normalised code point of the word-gap marker (a noncharacter, so it never comes from input). */
export const WORD_GAP = 0xffff;

/** Code points 0..TABLE_SIZE-1 are tabulated; planes 2+ are classified by range. */
export const TABLE_SIZE = 0x20000;
const MAX_EXPANSION = 4;

export interface UnicodeTable {
  readonly cls: Uint8Array;
  readonly norm: Int32Array;
  /** `(norm << 4) | cls` in one Int32: the normaliser's single lookup per code point. */
  readonly packed: Int32Array;
  /** [count, cls1, cp1, cls2, cp2, ...] records; `norm[cp]` of an EXPAND code point is its offset. */
  readonly expansions: Int32Array;
  /** Normalised code points of plane 2's CJK Compatibility Ideographs Supplement (2F800–2FA1F). */
  readonly astralCompat: ReadonlyMap<number, number>;
  /** Leet reading of an ASCII normalised code point (0 = none), e.g. '$' -> 's', '1' -> 'i'. */
  readonly leet: Int32Array;
}

/** Cyrillic/Greek/IPA/small-capital look-alikes of Latin letters, applied after lower-casing. */
const CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a',
  в: 'b',
  г: 'r',
  е: 'e',
  і: 'i',
  ј: 'j',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  п: 'n',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ѕ: 's',
  һ: 'h',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ь: 'b',
  ӏ: 'l',
  ү: 'y',
  ɡ: 'g',
  // Greek
  α: 'a',
  β: 'b',
  γ: 'y',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  μ: 'u',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  ϲ: 'c',
  ϳ: 'j',
  // Latin extensions and IPA
  ı: 'i',
  ȷ: 'j',
  ɑ: 'a',
  ɩ: 'i',
  ɪ: 'i',
  ʀ: 'r',
  ʏ: 'y',
  ɴ: 'n',
  ʟ: 'l',
  ʜ: 'h',
  ɢ: 'g',
  ʙ: 'b',
  // small capitals (U+1D00 block)
  ᴀ: 'a',
  ᴄ: 'c',
  ᴅ: 'd',
  ᴇ: 'e',
  ꜰ: 'f',
  ᴊ: 'j',
  ᴋ: 'k',
  ᴍ: 'm',
  ᴏ: 'o',
  ᴘ: 'p',
  ꜱ: 's',
  ᴛ: 't',
  ᴜ: 'u',
  ᴠ: 'v',
  ᴡ: 'w',
  ᴢ: 'z',
};

/** Leet readings. Digits only inside words (see normaliser); `$`/`@` also at word edges. */
const LEET: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  $: 's',
  '@': 'a',
  '!': 'i',
  '|': 'l',
  '+': 't',
};

/** Checked on the raw code point, before NFKC folds the full-width forms into ASCII. */
const HARD_BREAKS =
  '\n\r\u000b\u000c\u0085\u2028\u2029\u3002\uff61\uff0c\u3001\uff64\uff01\uff1f\uff1b\uff1a';
/** Invisible characters that are not Cf/Mn/Cc but are used as invisible fillers. */
const EXTRA_IGNORABLE = [0x115f, 0x1160, 0x17b4, 0x17b5, 0x3164, 0xffa0, 0x034f];
/** Blank-looking characters used as spaces. */
const EXTRA_SPACE = [0x2800, 0x0009];

let cached: UnicodeTable | undefined;

/** The shared table, built on first use. */
export function unicodeTable(): UnicodeTable {
  cached ??= buildTable();
  return cached;
}

const RE_MARK = /\p{M}/u;
const RE_FORMAT = /[\p{Cf}\p{Cc}]/u;
const RE_SPACE = /\p{Zs}/u;
const RE_LETTER = /\p{L}/u;
const RE_NUMBER_LETTER = /\p{Nl}/u;
const RE_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}]/u;
const RE_MARKS_G = /\p{M}+/gu;

function buildTable(): UnicodeTable {
  const cjkFold = buildCjkFoldMap();
  const cls = new Uint8Array(TABLE_SIZE);
  const norm = new Int32Array(TABLE_SIZE);
  const pool: number[] = [0]; // offset 0 unused so an offset is never 0
  const leet = new Int32Array(128);
  for (const [from, to] of Object.entries(LEET)) leet[from.charCodeAt(0)] = to.charCodeAt(0);

  const classifyOne = (s: string): [number, number] => {
    const cp = s.codePointAt(0) ?? 0;
    if (cp < 128) {
      if (cp >= 0x30 && cp <= 0x39) return [C_DIGIT, cp];
      if (cp >= 0x61 && cp <= 0x7a) return [C_ALPHA, cp];
      if (LEET[s] !== undefined) return [C_LEET, cp];
      if (s === ' ' || s === '\t') return [C_SPACE, cp];
      return [C_SOFT, cp];
    }
    if (RE_CJK.test(s)) return [C_CJK, cjkFold.get(cp) ?? cp];
    if (RE_LETTER.test(s) || RE_NUMBER_LETTER.test(s)) {
      const conf = CONFUSABLES[s];
      if (conf !== undefined) return classifyOne(conf);
      return [C_ALPHA, cp];
    }
    if (RE_SPACE.test(s)) return [C_SPACE, cp];
    return [C_SOFT, cp];
  };

  for (let cp = 0; cp < TABLE_SIZE; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) {
      cls[cp] = C_SOFT; // a lone surrogate: one code unit wide, separates like a symbol
      norm[cp] = cp;
      continue;
    }
    const raw = String.fromCodePoint(cp);
    if (HARD_BREAKS.includes(raw)) {
      cls[cp] = C_HARD;
      norm[cp] = cp;
      continue;
    }
    if (EXTRA_SPACE.includes(cp)) {
      cls[cp] = C_SPACE;
      norm[cp] = 0x20;
      continue;
    }
    if (EXTRA_IGNORABLE.includes(cp) || RE_FORMAT.test(raw) || RE_MARK.test(raw) || isVariationSelector(cp)) {
      cls[cp] = C_IGNORE;
      norm[cp] = cp;
      continue;
    }
    const folded = foldString(raw);
    const cps = Array.from(folded);
    if (cps.length === 0) {
      cls[cp] = C_IGNORE;
      norm[cp] = cp;
      continue;
    }
    if (cps.length === 1) {
      const [c, n] = classifyOne(cps[0] ?? '');
      cls[cp] = c;
      norm[cp] = n;
      continue;
    }
    // Several characters: keep the content ones (letters, digits, CJK); ⑴ -> 1, ㎏ -> kg, ß -> ss.
    const parts: [number, number][] = [];
    for (const ch of cps) {
      const [c, n] = classifyOne(ch);
      if (c === C_ALPHA || c === C_DIGIT || c === C_CJK) parts.push([c, n]);
    }
    if (parts.length === 0) {
      cls[cp] = C_SOFT;
      norm[cp] = cp;
    } else if (parts.length === 1) {
      const only = parts[0] as [number, number];
      cls[cp] = only[0];
      norm[cp] = only[1];
    } else {
      const kept = parts.slice(0, MAX_EXPANSION);
      cls[cp] = C_EXPAND;
      norm[cp] = pool.length;
      pool.push(kept.length);
      for (const [c, n] of kept) pool.push(c, n);
    }
  }
  // Enclosed "negative" circled/squared capitals (🅐 🅰) have no NFKC mapping but read as letters.
  for (let i = 0; i < 26; i++) {
    for (const base of [0x1f150, 0x1f170]) {
      cls[base + i] = C_ALPHA;
      norm[base + i] = 0x61 + i;
    }
  }

  const astralCompat = new Map<number, number>();
  for (let cp = 0x2f800; cp <= 0x2fa1f; cp++) {
    const n = String.fromCodePoint(cp).normalize('NFKC').codePointAt(0) ?? cp;
    astralCompat.set(cp, cjkFold.get(n) ?? n);
  }
  const packed = new Int32Array(TABLE_SIZE);
  for (let cp = 0; cp < TABLE_SIZE; cp++) packed[cp] = ((norm[cp] as number) << 4) | (cls[cp] as number);
  return { cls, norm, packed, expansions: Int32Array.from(pool), astralCompat, leet };
}

function isVariationSelector(cp: number): boolean {
  return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0x180b && cp <= 0x180f) || (cp >= 0x1d173 && cp <= 0x1d17a);
}

/** NFKC + lower case + ß -> ss; diacritics stripped unless the result is CJK (keeps が, 한). */
function foldString(raw: string): string {
  let s = raw.normalize('NFKC').toLowerCase().replaceAll('ß', 'ss');
  const first = s.codePointAt(0);
  if (first !== undefined && RE_CJK.test(String.fromCodePoint(first))) return s;
  s = s.normalize('NFD').replace(RE_MARKS_G, '').normalize('NFC');
  return s;
}

/** Class of a code point >= TABLE_SIZE (planes 2..16). */
export function astralClass(cp: number): number {
  if (cp < 0x40000) return C_CJK; // planes 2 and 3: CJK Unified Ideographs Extensions B..H
  if (cp >= 0xe0000 && cp <= 0xe0fff) return C_IGNORE; // tags, variation selectors supplement
  return C_SOFT;
}
