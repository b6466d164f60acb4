import { pinyin } from 'pinyin-pro';
import * as automaton from './automaton';
import type { Automaton, AutomatonKey } from './automaton';
import { FilterError } from './errors';
import { maskSpans } from './mask';
import * as normaliser from './normaliser';
import { Prescanner } from './prescan';
import type {
  CheckResult,
  FilterEntry,
  FilterMatch,
  FilterStats,
  MatchKind,
  Policy,
  Verdict,
  WordFilter,
  WordFilterOptions,
} from './types';
import * as table from './unicode-table';

// Module-local copies of hot constants (see normaliser.ts: imported bindings may become getters).
const Normaliser = normaliser.Normaliser;
type Normaliser = normaliser.Normaliser;
const F_LATIN = normaliser.F_LATIN;
const F_PIECE_END = normaliser.F_PIECE_END;
const F_PIECE_START = normaliser.F_PIECE_START;
const F_RESET = normaliser.F_RESET;
const TABLE_SIZE = table.TABLE_SIZE;
const buildAutomaton = automaton.buildAutomaton;
const pairSignatures = automaton.pairSignatures;
const sigBit = automaton.sigBit;
const step = automaton.step;

/** Default for `maxTextLength`, in UTF-16 code units. */
export const DEFAULT_MAX_TEXT_LENGTH = 2000;
const DEFAULT_PINYIN_MIN_LETTERS = 5;

const POLICY_RANK: Readonly<Record<Verdict, number>> = { allow: 0, mask: 1, review: 2, reject: 3 };
const RANK_VERDICT: readonly Verdict[] = ['allow', 'mask', 'review', 'reject'];
const KIND_EXACT = 0;
const KIND_REPEAT = 1;
const KIND_NAMES: readonly MatchKind[] = ['exact', 'repeat', 'pinyin'];
const KIND_PINYIN = 2;
const EMPTY_MATCHES: readonly FilterMatch[] = Object.freeze([]);
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

interface EntryRecord {
  readonly word: string;
  readonly policy: Policy;
  readonly category: string | undefined;
  readonly kind: number;
}

interface KeyRecord {
  readonly norms: readonly number[];
  entry: number;
  allow: boolean;
}

/**
 * Compiles a dictionary into a filter. Synchronous: the OpenCC and pinyin tables ship as JavaScript.
 * Throws `FilterError` `BAD_DICTIONARY` listing every unusable entry, `BAD_OPTIONS` for bad options.
 */
export function createWordFilter(options: WordFilterOptions): WordFilter {
  return new CompiledWordFilter(options);
}

const DATA_FORMAT = 'roomcast.filter.v1';

/** A compiled filter as plain data: what a compile worker posts back (see compiler.ts). */
export interface CompiledFilterData {
  readonly format: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A filter made by createWordFilter, as plain data (structured-clone friendly). */
export function filterToData(filter: WordFilter): CompiledFilterData {
  if (!(filter instanceof CompiledWordFilter)) throw new TypeError('not a filter made by createWordFilter');
  return filter.toData();
}

/** A filter from filterToData's output, possibly made in another thread of the same program. */
export function filterFromData(data: CompiledFilterData): WordFilter {
  return CompiledWordFilter.fromData(data);
}

class CompiledWordFilter implements WordFilter {
  readonly stats!: FilterStats;

  private readonly maxTextLength!: number;
  private readonly repeats!: boolean;
  private readonly entries!: readonly EntryRecord[];
  private readonly entryRank!: Uint8Array;
  private readonly keyEntry!: Int32Array;
  private readonly keyAllow!: Uint8Array;
  private readonly ac!: Automaton;
  /** pairSignatures(ac): proves that no key begins with a pair of symbols, without reading the automaton. */
  private readonly successors!: Int32Array;
  /** Depth of each state, 255 for 255 and deeper. */
  private readonly depth8!: Uint8Array;
  private readonly symOfNorm!: Int32Array;
  private readonly symAstral!: ReadonlyMap<number, number>;
  private readonly normaliser!: Normaliser;
  private readonly prescanner!: Prescanner | undefined;

  // match and allow-span buffers, grown on demand (only dirty messages write to them)
  private mCount = 0;
  private mEntry: Int32Array<ArrayBuffer> = new Int32Array(32);
  private mStart: Int32Array<ArrayBuffer> = new Int32Array(32);
  private mEnd: Int32Array<ArrayBuffer> = new Int32Array(32);
  private mKind = new Uint8Array(32);
  private aCount = 0;
  private aStart: Int32Array<ArrayBuffer> = new Int32Array(16);
  private aEnd: Int32Array<ArrayBuffer> = new Int32Array(16);
  // collapsed stream for the repeat pass
  private vNorm = new Int32Array(0);
  private vStart = new Int32Array(0);
  private vEnd = new Int32Array(0);
  private vFlags = new Uint8Array(0);

  /**
   * Compiles `options`; or, with `restore` (fromData), takes the fields of a filter compiled elsewhere.
   * Both go through this constructor so that every filter has the same hidden class: filters made here
   * and in a compile worker are used side by side (the service's global filter and its room
   * overlays), and two classes made check()'s property reads polymorphic (~15% slower).
   */
  constructor(options: WordFilterOptions, restore?: Readonly<Record<string, unknown>>) {
    if (restore !== undefined) {
      Object.assign(this, restore);
      this.normaliser = new Normaliser(Math.min(this.maxTextLength, 4096));
      const p = restore.prescanner as Parameters<typeof Prescanner.fromData>[0] | undefined;
      this.prescanner = p === undefined ? undefined : Prescanner.fromData(p);
      return;
    }
    const t0 = performance.now();
    this.maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
    if (!Number.isInteger(this.maxTextLength) || this.maxTextLength < 1) {
      throw new FilterError(
        'BAD_OPTIONS',
        `maxTextLength must be a positive integer, got ${String(options.maxTextLength)}`,
      );
    }
    this.repeats = options.repeats ?? true;
    const pinyinMinLetters = options.pinyinMinLetters ?? DEFAULT_PINYIN_MIN_LETTERS;
    const pinyinCap = options.pinyinMaxPolicy ?? 'review';
    if (POLICY_RANK[pinyinCap] === undefined) {
      throw new FilterError(
        'BAD_OPTIONS',
        `pinyinMaxPolicy must be mask, review or reject, got ${String(pinyinCap)}`,
      );
    }
    this.normaliser = new Normaliser(Math.min(this.maxTextLength, 4096));

    const dictNorm = new Normaliser(64);
    const problems: string[] = [];
    // indices of the unusable items, for callers that drop them and compile the rest
    const badEntries: number[] = [];
    const badAllow: number[] = [];
    const unusableEntry = (index: number, problem: string): void => {
      problems.push(problem);
      badEntries.push(index);
    };
    const unusableAllow = (index: number, problem: string): void => {
      problems.push(problem);
      badAllow.push(index);
    };
    const entries: EntryRecord[] = [];
    const keys = new Map<string, KeyRecord>();

    const normalise = (word: string): number[] | string => {
      dictNorm.run(word);
      if (dictNorm.count === 0) return 'has no letters, digits or CJK characters after normalisation';
      const norms: number[] = [];
      for (let i = 0; i < dictNorm.count; i++) {
        if (i > 0 && ((dictNorm.flags[i] as number) & F_RESET) !== 0) {
          return 'contains a line break or CJK sentence punctuation, across which nothing matches';
        }
        norms.push(dictNorm.norm[i] as number);
      }
      return norms;
    };
    const addKey = (norms: number[], entry: number, allow: boolean, weak: boolean): void => {
      const id = norms.join(',');
      const existing = keys.get(id);
      if (existing === undefined) {
        keys.set(id, { norms, entry, allow });
        return;
      }
      if (allow) existing.allow = true;
      if (entry < 0) return;
      if (existing.entry < 0) {
        existing.entry = entry;
        return;
      }
      if (weak) return; // an exact entry beats a pinyin form of the same spelling
      const cur = entries[existing.entry] as EntryRecord;
      const next = entries[entry] as EntryRecord;
      if (cur.kind === KIND_PINYIN || POLICY_RANK[next.policy] > POLICY_RANK[cur.policy])
        existing.entry = entry;
    };

    const list = options.entries;
    if (!Array.isArray(list)) throw new FilterError('BAD_OPTIONS', 'entries must be an array');
    const cjkEntries: number[] = [];
    list.forEach((e: FilterEntry, index: number) => {
      if (e === null || typeof e !== 'object' || typeof e.word !== 'string') {
        unusableEntry(index, `entries[${index}]: word must be a string`);
        return;
      }
      if (POLICY_RANK[e.policy] === undefined || e.policy === ('allow' as Policy)) {
        unusableEntry(index, `entries[${index}] "${e.word}": policy must be mask, review or reject`);
        return;
      }
      if (e.category !== undefined && typeof e.category !== 'string') {
        unusableEntry(index, `entries[${index}] "${e.word}": category must be a string`);
        return;
      }
      const norms = normalise(e.word);
      if (typeof norms === 'string') {
        unusableEntry(index, `entries[${index}] "${e.word}": ${norms}`);
        return;
      }
      const id = entries.length;
      entries.push({ word: e.word, policy: e.policy, category: e.category, kind: KIND_EXACT });
      addKey(norms, id, false, false);
      if (options.pinyin === true && isAllCjk(dictNorm)) cjkEntries.push(id);
    });
    (options.allow ?? []).forEach((word: string, index: number) => {
      if (typeof word !== 'string') {
        unusableAllow(index, `allow[${index}]: must be a string`);
        return;
      }
      const norms = normalise(word);
      if (typeof norms === 'string') {
        unusableAllow(index, `allow[${index}] "${word}": ${norms}`);
        return;
      }
      addKey(norms, -1, true, false);
    });
    if (problems.length > 0) {
      throw new FilterError(
        'BAD_DICTIONARY',
        `${problems.length} unusable dictionary item(s): ${problems.slice(0, 5).join('; ')}`,
        { problems, badEntries, badAllow },
      );
    }
    for (const id of cjkEntries) {
      const e = entries[id] as EntryRecord;
      const syllables = pinyinSyllables(e.word);
      if (syllables === undefined) continue;
      let letters = 0;
      for (const s of syllables) letters += s.length;
      if (letters < pinyinMinLetters) continue;
      const policy = POLICY_RANK[e.policy] > POLICY_RANK[pinyinCap] ? pinyinCap : e.policy;
      const pid = entries.length;
      entries.push({ word: e.word, policy, category: e.category, kind: KIND_PINYIN });
      for (const form of [syllables.join(''), syllables.join(' ')]) {
        const norms = normalise(form);
        if (typeof norms !== 'string') addKey(norms, pid, false, true);
      }
    }

    // Alphabet: one symbol id per distinct normalised character of the keys.
    const symOfNorm = new Int32Array(TABLE_SIZE);
    const symAstral = new Map<number, number>();
    let alphabet = 0;
    const normOfSym: number[] = [0];
    const acKeys: AutomatonKey[] = [];
    const keyEntry = new Int32Array(keys.size);
    const keyAllow = new Uint8Array(keys.size);
    let k = 0;
    for (const rec of keys.values()) {
      const symbols = new Int32Array(rec.norms.length);
      rec.norms.forEach((n, i) => {
        let s = n < TABLE_SIZE ? (symOfNorm[n] as number) : (symAstral.get(n) ?? 0);
        if (s === 0) {
          s = ++alphabet;
          normOfSym.push(n);
          if (n < TABLE_SIZE) symOfNorm[n] = s;
          else symAstral.set(n, s);
        }
        symbols[i] = s;
      });
      acKeys.push({ symbols, id: k });
      keyEntry[k] = rec.entry;
      keyAllow[k] = rec.allow ? 1 : 0;
      k++;
    }
    this.ac = buildAutomaton(acKeys, alphabet);
    this.symOfNorm = symOfNorm;
    this.symAstral = symAstral;
    this.keyEntry = keyEntry;
    this.keyAllow = keyAllow;
    this.entries = entries;
    this.entryRank = Uint8Array.from(entries, (e) => POLICY_RANK[e.policy]);
    this.successors = pairSignatures(this.ac);
    this.depth8 = Uint8Array.from(this.ac.depth, (d) => Math.min(d, 255));
    this.prescanner =
      options.prescan === false
        ? undefined
        : new Prescanner(this.ac, Int32Array.from(normOfSym), keyEntry, this.successors, this.repeats);
    this.stats = Object.freeze({
      entries: list.length,
      keys: keys.size,
      states: this.ac.states,
      alphabet,
      buildMs: performance.now() - t0,
    });
  }

  /**
   * The compiled filter as plain, structured-clone friendly data (for `postMessage` from a compile
   * worker): every own field except the per-process Unicode tables and the scratch normaliser.
   */
  toData(): CompiledFilterData {
    const data = { ...this } as unknown as Record<string, unknown>;
    delete data.normaliser;
    data.prescanner = this.prescanner?.toData();
    return { format: DATA_FORMAT, fields: data };
  }

  /** The inverse of toData(), in this process: re-attaches the shared tables and a fresh normaliser. */
  static fromData(data: CompiledFilterData): CompiledWordFilter {
    if (data.format !== DATA_FORMAT)
      throw new TypeError(`unknown compiled filter format ${String(data.format)}`);
    return new CompiledWordFilter({ entries: [] }, data.fields);
  }

  check(text: string): CheckResult {
    if (this.scanText(text) === 0) return { verdict: 'allow', text, matches: EMPTY_MATCHES };
    return this.buildResult(text);
  }

  verdictOf(text: string): Verdict {
    if (this.scanText(text) === 0) return 'allow';
    let best = 0;
    for (let m = 0; m < this.mCount; m++) {
      if (this.isSuppressed(m)) continue;
      const r = this.entryRank[this.mEntry[m] as number] as number;
      if (r > best) best = r;
    }
    return RANK_VERDICT[best] as Verdict;
  }

  /** Runs normalisation and the automaton; returns the number of (unsuppressed or not) entry matches. */
  private scanText(text: string): number {
    if (typeof text !== 'string') throw new TypeError('text must be a string');
    if (text.length > this.maxTextLength) {
      throw new FilterError(
        'TEXT_TOO_LONG',
        `text is ${text.length} UTF-16 code units, the limit is ${this.maxTextLength}`,
        {
          length: text.length,
          maxTextLength: this.maxTextLength,
        },
      );
    }
    this.mCount = 0;
    this.aCount = 0;
    if (this.prescanner !== undefined && !this.prescanner.mayMatch(text)) return 0;
    const n = this.normaliser;
    n.run(text);
    this.scan(n.norm, n.start, n.end, n.flags, n.count, KIND_EXACT);
    if (this.repeats && n.hasLongRun) {
      for (let keep = 1; keep <= 2; keep++) {
        const count = this.collapseRuns(keep);
        this.scan(this.vNorm, this.vStart, this.vEnd, this.vFlags, count, KIND_REPEAT);
      }
    }
    return this.mCount;
  }

  /**
   * One Aho–Corasick pass over a unit stream, recording every entry and allow-list match that respects
   * the word boundaries. Two shortcuts skip automaton reads (each is about one cache miss in the large
   * double array) without changing what is found:
   *  - from a depth-1 state, when the pair signature proves that no key begins with (its symbol, the
   *    next symbol), the step goes straight to the root's child, as the failure link would;
   *  - a match can only start where a Latin piece starts or on a non-Latin unit, so inside a Latin piece,
   *    once the longest live key prefix starts after the last such unit, no live prefix can ever become a
   *    match: the state drops to the root and the rest of the piece is skipped.
   */
  private scan(
    uNorm: Int32Array,
    uStart: Int32Array,
    uEnd: Int32Array,
    uFlags: Uint8Array,
    count: number,
    kind: number,
  ): void {
    const { packed, nextOut, depth, out, root } = this.ac;
    const symOfNorm = this.symOfNorm;
    const successors = this.successors;
    const depth8 = this.depth8;
    const rootBase = packed[4 * root] as number;
    let s = root;
    let from = 0; // the last unit a match may start at
    for (let j = 0; j < count; j++) {
      const f = uFlags[j] as number;
      if ((f & F_RESET) !== 0) s = root;
      if ((f & F_LATIN) === 0 || (f & F_PIECE_START) !== 0) from = j;
      else if (s === root) continue; // inside a Latin piece with no live prefix: nothing can start here
      const nm = uNorm[j] as number;
      const c = nm < TABLE_SIZE ? (symOfNorm[nm] as number) : (this.symAstral.get(nm) ?? 0);
      if (c === 0) {
        s = root;
        continue;
      }
      // s at depth 1 (its parent is the root) and no key begins with (its symbol, c): fail to the root
      if (packed[4 * s + 1] === root && ((successors[s - rootBase] as number) & sigBit(c)) === 0) s = root;
      s = step(packed, s, c);
      if (j !== from) {
        // inside a Latin piece: the live prefixes start after `from` when even the longest does
        const d = depth8[s] as number;
        if (d < j - from + 1 && d !== 255) {
          s = root;
          continue;
        }
      }
      let o = packed[4 * s + 2] as number;
      if (o < 0) continue;
      // Word boundaries: a Latin unit may only start a match at a piece start and end one at a piece end.
      const endOk = (f & F_LATIN) === 0 || (f & F_PIECE_END) !== 0;
      while (o >= 0) {
        const i = j - (depth[o] as number) + 1;
        const fi = uFlags[i] as number;
        if (endOk && ((fi & F_LATIN) === 0 || (fi & F_PIECE_START) !== 0)) {
          this.record(out[o] as number, uStart[i] as number, uEnd[j] as number, kind);
        }
        o = nextOut[o] as number;
      }
    }
  }

  private record(key: number, start: number, end: number, kind: number): void {
    if (this.keyAllow[key] === 1) {
      if (this.aCount === this.aStart.length) {
        this.aStart = grow32(this.aStart);
        this.aEnd = grow32(this.aEnd);
      }
      this.aStart[this.aCount] = start;
      this.aEnd[this.aCount] = end;
      this.aCount++;
    }
    const entry = this.keyEntry[key] as number;
    if (entry < 0) return;
    for (let m = 0; m < this.mCount; m++) {
      if (this.mEntry[m] === entry && this.mStart[m] === start && this.mEnd[m] === end) return;
    }
    if (this.mCount === this.mEntry.length) {
      this.mEntry = grow32(this.mEntry);
      this.mStart = grow32(this.mStart);
      this.mEnd = grow32(this.mEnd);
      const k2 = new Uint8Array(this.mKind.length * 2);
      k2.set(this.mKind);
      this.mKind = k2;
    }
    this.mEntry[this.mCount] = entry;
    this.mStart[this.mCount] = start;
    this.mEnd[this.mCount] = end;
    this.mKind[this.mCount] = kind;
    this.mCount++;
  }

  /**
   * Copies the unit stream with every run of 3+ identical letters shortened to `keep` units
   * (fuuuck -> fuck with keep 1, asssss -> ass with keep 2). Digits are left alone (1000).
   */
  private collapseRuns(keep: number): number {
    const n = this.normaliser;
    const cap = n.norm.length;
    if (this.vNorm.length < cap) {
      this.vNorm = new Int32Array(cap);
      this.vStart = new Int32Array(cap);
      this.vEnd = new Int32Array(cap);
      this.vFlags = new Uint8Array(cap);
    }
    const { norm, start, end, flags, count } = n;
    let v = 0;
    let j = 0;
    while (j < count) {
      const nm = norm[j] as number;
      let r = j + 1;
      if (((flags[j] as number) & F_LATIN) !== 0 && (nm < DIGIT_0 || nm > DIGIT_9)) {
        while (r < count && norm[r] === nm && ((flags[r] as number) & F_RESET) === 0) r++;
      }
      if (r - j >= 3) {
        const first = flags[j] as number;
        const last = flags[r - 1] as number;
        if (keep === 1) {
          this.putUnit(
            v++,
            nm,
            start[j] as number,
            end[r - 1] as number,
            (first & ~F_PIECE_END) | (last & F_PIECE_END),
          );
        } else {
          this.putUnit(v++, nm, start[j] as number, end[j] as number, first & ~F_PIECE_END);
          this.putUnit(v++, nm, start[j + 1] as number, end[r - 1] as number, F_LATIN | (last & F_PIECE_END));
        }
      } else {
        for (let x = j; x < r; x++)
          this.putUnit(v++, norm[x] as number, start[x] as number, end[x] as number, flags[x] as number);
      }
      j = r;
    }
    return v;
  }

  private putUnit(v: number, nm: number, s: number, e: number, f: number): void {
    this.vNorm[v] = nm;
    this.vStart[v] = s;
    this.vEnd[v] = e;
    this.vFlags[v] = f;
  }

  private isSuppressed(m: number): boolean {
    const s = this.mStart[m] as number;
    const e = this.mEnd[m] as number;
    for (let a = 0; a < this.aCount; a++) {
      if ((this.aStart[a] as number) <= s && e <= (this.aEnd[a] as number)) return true;
    }
    return false;
  }

  private buildResult(text: string): CheckResult {
    const matches: FilterMatch[] = [];
    let best = 0;
    for (let m = 0; m < this.mCount; m++) {
      if (this.isSuppressed(m)) continue;
      const e = this.entries[this.mEntry[m] as number] as EntryRecord;
      const start = this.mStart[m] as number;
      const end = this.mEnd[m] as number;
      const kind = e.kind === KIND_PINYIN ? KIND_PINYIN : (this.mKind[m] as number);
      matches.push({
        word: e.word,
        policy: e.policy,
        category: e.category,
        start,
        end,
        kind: KIND_NAMES[kind] as MatchKind,
      });
      const r = POLICY_RANK[e.policy];
      if (r > best) best = r;
    }
    if (matches.length === 0) return { verdict: 'allow', text, matches: EMPTY_MATCHES };
    matches.sort((a, b) => a.start - b.start || a.end - b.end);
    return {
      verdict: RANK_VERDICT[best] as Verdict,
      text: maskSpans(
        text,
        matches.filter((m) => m.policy === 'mask'),
      ),
      matches,
    };
  }
}

function grow32(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function isAllCjk(n: Normaliser): boolean {
  if (n.count < 2) return false;
  for (let i = 0; i < n.count; i++) if (((n.flags[i] as number) & F_LATIN) !== 0) return false;
  return true;
}

const PINYIN_SYLLABLE = /^[a-zü]{1,6}$/;

/** Toneless pinyin syllables of an all-CJK word, or undefined if some character has no reading. */
function pinyinSyllables(word: string): string[] | undefined {
  const syllables = pinyin(word, { toneType: 'none', type: 'array', nonZh: 'removed' });
  if (syllables.length === 0) return undefined;
  for (const s of syllables) if (!PINYIN_SYLLABLE.test(s)) return undefined;
  return syllables;
}
