import { Converter } from 'opencc-js';
import { pinyin } from 'pinyin-pro';
import { generateDictionary, mulberry32 as rng } from '../bench/corpus';
import type { FilterEntry, WordFilter } from './types';
import { createWordFilter } from './word-filter';

/**
 * The prescan may only ever clear texts in which the exact matcher finds nothing: checked here by
 * differential fuzzing (the same filter with and without the prescan must give identical results) over
 * texts built to sit on every rule the prescan models or hands over — word gaps, single-letter joins,
 * edge and inner leet, numbers, zero-width and astral characters, hard breaks, repeats, mixed scripts.
 */

const ENTRIES: FilterEntry[] = [
  { word: '赌博', policy: 'reject', category: 'gambling' },
  { word: '傻逼', policy: 'mask' },
  { word: '微信', policy: 'review' },
  { word: '操你妈', policy: 'mask' },
  { word: '习', policy: 'review' }, // a one-character CJK entry
  { word: 'fuck', policy: 'mask' },
  { word: 'shit', policy: 'mask' },
  { word: 'ass', policy: 'mask' },
  { word: 'spam', policy: 'review' },
  { word: 'kill yourself', policy: 'reject' },
  { word: 'x', policy: 'mask' }, // a one-letter entry
  { word: 'qq群', policy: 'review' }, // Latin then CJK
  { word: '加v', policy: 'review' }, // CJK then Latin
  { word: 'boob', policy: 'mask' },
  { word: 'sex', policy: 'review' },
  { word: 'tit', policy: 'mask' },
  { word: 'nigga', policy: 'reject' },
  { word: '𠵾好', policy: 'mask' }, // astral (Extension B): 㗲 (U+35F2) folds to it
  { word: '阿里巴巴', policy: 'review' }, // pinyin "a li ba ba": a key that begins with a one-letter word
  { word: '额外', policy: 'mask' }, // pinyin "e wai"
  { word: 'a hole', policy: 'mask' }, // a Latin phrase that begins with a one-letter word
  // overlapping phrases: in "big red dog" the one begun at "big" dies where the one begun at "red" ends
  { word: 'big red car', policy: 'mask' },
  { word: 'red dog', policy: 'mask' },
];
const ALLOW = ['classic', 'assassin', 'scunthorpe', 'titan'];

const PIECES = [
  ...ENTRIES.map((e) => e.word),
  ...ALLOW,
  'f',
  'u',
  'c',
  'k',
  'sh',
  'it',
  'a',
  'i',
  's',
  'the',
  'this',
  'hit',
  'song',
  'hello',
  'everyone',
  'nice',
  'stream',
  'mode',
  'spa',
  'class',
  'qq', // key prefixes that continue past a space: "qq 群", "kill yourself"
  '群',
  'kill',
  'your',
  'yourself',
  '赌',
  '博',
  '傻',
  '逼',
  '的',
  '我',
  '你',
  '好',
  '賭博',
  'ＦＵＣＫ',
  'ⓕⓤⓒⓚ',
  '𝐟𝐮𝐜𝐤',
  'ѕhit',
  'sh1t',
  'a$$',
  '$hit',
  '@ss',
  'b00b',
  '5hit',
  'fuuuck',
  'asssss',
  'dubo',
  'du bo',
  'a li ba ba',
  'e wai',
  'e',
  'o',
  'li',
  'ba',
  'wai',
  'hole',
  'big',
  'red',
  'dog',
  'car',
  'shabi',
  'ﬁ',
  '2024',
  '666',
  '1',
  '3pm',
  '1,000',
  '😀',
  '🎲',
  '❤️',
];
const SEPARATORS = [
  ' ',
  ' ',
  ' ',
  '',
  '',
  '.',
  '-',
  '*',
  '!',
  '!!',
  '?',
  '+',
  '|',
  '$',
  '@',
  '\u200b',
  '\ufe0f',
  '\n',
  '。',
  '，',
  '🔥',
  '\ud83d',
  '\udc00',
  '\u0301',
  '  ',
  ' . ',
];

function randomText(rnd: () => number): string {
  const n = 1 + Math.floor(rnd() * 8);
  let out = '';
  for (let k = 0; k < n; k++) {
    if (k > 0 || rnd() < 0.2) out += SEPARATORS[Math.floor(rnd() * SEPARATORS.length)] as string;
    let piece = PIECES[Math.floor(rnd() * PIECES.length)] as string;
    const r = rnd();
    if (r < 0.15) piece = piece.toUpperCase();
    else if (r < 0.3) {
      // split a piece with a separator inside: f.u.c.k, 赌🎲博
      const chars = Array.from(piece);
      piece = chars.join(SEPARATORS[Math.floor(rnd() * SEPARATORS.length)] as string);
    }
    out += piece;
  }
  if (rnd() < 0.2) out += SEPARATORS[Math.floor(rnd() * SEPARATORS.length)] as string;
  return out;
}

function compare(withPrescan: WordFilter, exact: WordFilter, texts: Iterable<string>): number {
  let dirty = 0;
  for (const text of texts) {
    const a = exact.check(text);
    const b = withPrescan.check(text);
    if (a.matches.length > 0) dirty++;
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      throw new Error(
        `prescan changed the result for ${JSON.stringify(text)}:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`,
      );
    }
    expect(withPrescan.verdictOf(text)).toBe(a.verdict);
  }
  return dirty;
}

interface Internals {
  normaliser: {
    run(t: string): void;
    norm: Int32Array;
    start: Int32Array;
    end: Int32Array;
    flags: Uint8Array;
  };
  ac: { packed: Int32Array; nextOut: Int32Array; depth: Int32Array; out: Int32Array };
  symOfNorm: Int32Array;
  symAstral: ReadonlyMap<number, number>;
  repeats: boolean;
  mCount: number;
  aCount: number;
  mEntry: Int32Array;
  mStart: Int32Array;
  mEnd: Int32Array;
  mKind: Uint8Array;
  aStart: Int32Array;
  aEnd: Int32Array;
  vNorm: Int32Array;
  vStart: Int32Array;
  vEnd: Int32Array;
  vFlags: Uint8Array;
  scan(n: Int32Array, s: Int32Array, e: Int32Array, f: Uint8Array, count: number, kind: number): void;
  record(key: number, start: number, end: number, kind: number): void;
  collapseRuns(keep: number): number;
}

/**
 * The plain Aho–Corasick pass the exact path's scan() shortcuts must agree with: every unit read, every
 * output of every state checked against the word boundaries (F_LATIN 1, F_PIECE_START 2, F_PIECE_END 4,
 * F_RESET 8).
 */
function plainScan(
  f: Internals,
  uNorm: Int32Array,
  uStart: Int32Array,
  uEnd: Int32Array,
  uFlags: Uint8Array,
  count: number,
  kind: number,
): void {
  const { packed, nextOut, depth, out } = f.ac;
  let s = 0;
  for (let j = 0; j < count; j++) {
    const fl = uFlags[j] as number;
    if ((fl & 8) !== 0) s = 0;
    const nm = uNorm[j] as number;
    const c = nm < f.symOfNorm.length ? (f.symOfNorm[nm] as number) : (f.symAstral.get(nm) ?? 0);
    if (c === 0) {
      s = 0;
      continue;
    }
    for (;;) {
      const t = (packed[4 * s] as number) + c;
      if (packed[4 * t + 1] === s) {
        s = t;
        break;
      }
      if (s === 0) break;
      s = packed[4 * s + 3] as number;
    }
    const endOk = (fl & 1) === 0 || (fl & 4) !== 0;
    for (let o = packed[4 * s + 2] as number; o >= 0; o = nextOut[o] as number) {
      const i = j - (depth[o] as number) + 1;
      const fi = uFlags[i] as number;
      if (endOk && ((fi & 1) === 0 || (fi & 2) !== 0))
        f.record(out[o] as number, uStart[i] as number, uEnd[j] as number, kind);
    }
  }
}

/** What scan() (or the plain pass) records for a text, repeat passes included. */
function recorded(filter: WordFilter, text: string, plain: boolean): string {
  const f = filter as unknown as Internals;
  const scan = plain ? plainScan.bind(undefined, f) : f.scan.bind(f);
  f.mCount = 0;
  f.aCount = 0;
  const n = f.normaliser as Internals['normaliser'] & { count: number; hasLongRun: boolean };
  n.run(text);
  scan(n.norm, n.start, n.end, n.flags, n.count, 0);
  if (f.repeats && n.hasLongRun) {
    for (let keep = 1; keep <= 2; keep++) scan(f.vNorm, f.vStart, f.vEnd, f.vFlags, f.collapseRuns(keep), 1);
  }
  const parts: string[] = [];
  for (let m = 0; m < f.mCount; m++) parts.push(`${f.mEntry[m]}:${f.mStart[m]}-${f.mEnd[m]}/${f.mKind[m]}`);
  for (let a = 0; a < f.aCount; a++) parts.push(`allow ${f.aStart[a]}-${f.aEnd[a]}`);
  return parts.join(' ');
}

/** The exact path's scan() must record exactly what the plain pass records, in the same order. */
function compareScan(filter: WordFilter, texts: Iterable<string>): number {
  let dirty = 0;
  for (const text of texts) {
    const a = recorded(filter, text, true);
    const b = recorded(filter, text, false);
    if (a !== '') dirty++;
    if (a !== b)
      throw new Error(`scan shortcuts changed the matches of ${JSON.stringify(text)}:\n${a}\n${b}`);
  }
  return dirty;
}

function* fuzzTexts(seed: number, count: number): Generator<string> {
  const rnd = rng(seed);
  for (let i = 0; i < count; i++) yield randomText(rnd);
}

describe('prescan', () => {
  const options = { entries: ENTRIES, allow: ALLOW, pinyin: true, pinyinMinLetters: 4 };
  const fast = createWordFilter(options);
  const exact = createWordFilter({ ...options, prescan: false });

  it('never changes a result (differential fuzzing, 20 000 texts)', () => {
    const dirty = compare(fast, exact, fuzzTexts(1, 20_000));
    // the corpus must exercise matches, not just clean text
    expect(dirty).toBeGreaterThan(5_000);
  });

  it('never changes a result with repeats off and keys that spell digits', () => {
    const entries = [
      ...ENTRIES,
      { word: '8964', policy: 'reject' as const },
      { word: 'b2b', policy: 'review' as const },
    ];
    const a = createWordFilter({ entries, allow: ALLOW, repeats: false });
    const b = createWordFilter({ entries, allow: ALLOW, repeats: false, prescan: false });
    const extra = ['8964', '8 9 6 4', '89.64', '1989 6 4', 'b2b', 'b 2 b', '2024', 'fuuuck', 'x 8964 y'];
    expect(compare(a, b, extra)).toBeGreaterThan(0);
    compare(a, b, fuzzTexts(2, 10_000));
  });

  it("scan()'s shortcuts record what the plain automaton pass records (differential fuzzing)", () => {
    expect(compareScan(exact, fuzzTexts(3, 20_000))).toBeGreaterThan(5_000);
    const entries = [
      ...ENTRIES,
      { word: '8964', policy: 'reject' as const },
      { word: 'b2b', policy: 'review' as const },
    ];
    const digits = createWordFilter({ entries, allow: ALLOW, repeats: false, prescan: false });
    compareScan(digits, ['8964', '8 9 6 4', 'b2b', 'b 2 b', 'x 8964 y']);
    compareScan(digits, fuzzTexts(4, 5_000));
  });

  it('never changes a result over a generated dictionary, its entries written as chat writes them', () => {
    // The bench's dictionary generator (half CJK, half Latin) with pinyin forms, and texts that put its
    // entries between chat words: plain, disguised (upper case, full width, split by separators, leet,
    // a letter repeated, Traditional characters) or as pinyin (spaced, joined, and disguised too).
    const dictionary = generateDictionary(3000, 20240601);
    const withPinyin = { entries: dictionary, pinyin: true, repeats: true };
    const a = createWordFilter(withPinyin);
    const b = createWordFilter({ ...withPinyin, prescan: false });
    const rnd = rng(11);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
    const chat = [
      'hello',
      'a',
      'i',
      'the',
      'so',
      'e',
      'o',
      'he',
      'fan',
      'you',
      'ok',
      '好',
      '的',
      '😀',
      '666',
      'x',
      'wow!!',
    ];
    const seps = [
      ' ',
      ' ',
      '',
      '.',
      '-',
      ', ',
      '  ',
      '🔥',
      '\u200b',
      '!',
      '?',
      '\n',
      '，',
      '*',
      '$',
      '@',
      '。',
    ];
    const toTraditional = Converter({ from: 'cn', to: 'tw' });
    const leet: Readonly<Record<string, string>> = { a: '@', s: '$', i: '1', o: '0', e: '3', t: '7' };
    const disguise = (word: string): string => {
      const r = rnd();
      if (r < 0.15) return word.toUpperCase();
      if (r < 0.25) return word.replace(/[a-z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));
      if (r < 0.4) return Array.from(word).join(pick(seps));
      if (r < 0.5) return word.replace(/[aseiot]/g, (ch) => (rnd() < 0.5 ? (leet[ch] as string) : ch));
      if (r < 0.6) {
        const chars = Array.from(word);
        const k = Math.floor(rnd() * chars.length);
        chars[k] = (chars[k] as string).repeat(2 + Math.floor(rnd() * 3));
        return chars.join('');
      }
      if (r < 0.7) return toTraditional(word);
      return word;
    };
    function* texts(): Generator<string> {
      for (let n = 0; n < 20_000; n++) {
        const parts: string[] = [];
        for (let k = 1 + Math.floor(rnd() * 5); k > 0; k--) {
          if (rnd() < 0.5) {
            parts.push(pick(chat));
            continue;
          }
          const word = pick(dictionary).word;
          if (/^[\u4e00-\u9fff]+$/.test(word) && rnd() < 0.7) {
            const syllables = pinyin(word, { toneType: 'none', type: 'array' });
            const joined = syllables.join(rnd() < 0.5 ? ' ' : pick(seps));
            parts.push(rnd() < 0.3 ? disguise(joined) : joined);
          } else parts.push(disguise(word));
        }
        yield parts.join(pick(seps));
      }
    }
    expect(compare(a, b, texts())).toBeGreaterThan(10_000);
  });

  it('agrees on hand-picked edge cases', () => {
    const cases = [
      'f u c k',
      'f u c k you',
      'a b c',
      'this hit song',
      'spa mode',
      'wow!! nice',
      'sh!t',
      'sh!',
      '!shit',
      'a+b shit+',
      '@ss',
      'hi @alice',
      '$hit',
      '$5 shit',
      'kill  yourself',
      'kill\nyourself',
      'kill. yourself',
      'x',
      'x y',
      'ax',
      'qq群',
      'qq 群',
      'hello qq 群',
      'hello nice qq 群',
      'hello nice qq  群 song',
      'nice song kill yourself',
      'song the du bo',
      'hello song shit',
      'hello song shit fuck',
      'hello fuuuck song',
      'hello song x y',
      '加v',
      '加 v',
      '加vx',
      '习近平',
      '学习',
      'sh\u200bit',
      'sh\u{e0001}it',
      'sh\ud83dit',
      '\ud83d',
      'fu-ck',
      'f*ck',
      'fuuuuuuck',
      'shiiit',
      'titan tit',
      'classic ass',
      '666 fuck',
      '1 fuck',
      '12.5 shit',
      '2024shit',
      'shit2024',
      'ｓｈｉｔ',
      '𝐬𝐡𝐢𝐭',
      'du bo',
      'dubo',
      'a li ba ba',
      'hello a li ba ba',
      'A LI BA BA',
      'a.li ba ba',
      'e wai',
      'e e wai',
      'a a hole',
      'a hole',
      'song a hole',
      'big red dog',
      'big red car',
      'so big red dog!',
      'big red big red dog',
      'red big red car',
      'f u c k a hole',
      'shabi',
      '㗲好',
      '𠵾好',
      '说㗲好',
    ];
    compare(fast, exact, cases);
  });

  it('clears most clean chat without the exact matcher', () => {
    // Not a timing check: the share of clean messages the prescan can clear is what makes it useful.
    const clean = [
      'hello everyone, nice stream tonight!!',
      'love this song 666',
      '主播好厉害，今天的歌太好听了',
      'lol that was close 😂',
      'where are you from? 我在上海',
      'gg wp team',
      'first time here, followed ❤️',
      '哈哈哈哈 笑死我了',
    ];
    const p = (fast as unknown as { prescanner: { mayMatch(t: string): boolean } }).prescanner;
    const cleared = clean.filter((t) => !p.mayMatch(t));
    expect(cleared.length).toBeGreaterThanOrEqual(7);
    for (const t of clean) expect(exact.check(t).matches).toEqual([]);
  });
});
