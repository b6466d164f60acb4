import * as automaton from './automaton';
import type { Automaton } from './automaton';
import * as table from './unicode-table';

// Module-local copies (see normaliser.ts: imported bindings may become getters in a hot loop).
const C_IGNORE = table.C_IGNORE;
const C_SOFT = table.C_SOFT;
const C_SPACE = table.C_SPACE;
const C_HARD = table.C_HARD;
const C_ALPHA = table.C_ALPHA;
const C_DIGIT = table.C_DIGIT;
const C_CJK = table.C_CJK;
const C_LEET = table.C_LEET;
const TABLE_SIZE = table.TABLE_SIZE;
const WORD_GAP = table.WORD_GAP;
const astralClass = table.astralClass;
const sigBit = automaton.sigBit;
/**
 * Code units are read with String.prototype.charCodeAt called directly, not looked up on each text: a
 * property lookup records the kind of string it met (flat, sliced, internalised, one- or two-byte),
 * and once texts of many kinds have passed, V8 recompiles mayMatch into code ~40% slower on English.
 */
const charCodeAt = String.prototype.charCodeAt;

// Kinds of a UTF-16 code unit for the prescan, in the low 4 bits of its `lane` entry. 0–6 are the
// Unicode table's classes.
const K_IGNORE = 0;
const K_SOFT = 1;
const K_SPACE = 2;
const K_HARD = 3;
const K_ALPHA = 4;
const K_DIGIT = 5;
const K_CJK = 6;
/** `!`, `|`, `+` (and their full-width forms): a letter only strictly inside a word. */
const K_LEET_INNER = 7;
/** Anything the prescan does not model (expansions such as ﬁ or ㎏): the exact path decides. */
const K_COMPLEX = 8;
/** A high surrogate: the code point decides. */
const K_HIGH = 9;
/** `$`, `@`: a letter next to a letter. */
const K_LEET_EDGE = 10;

const CH_DOLLAR = 0x24;
const CH_AT = 0x40;

/** Outputs deeper than this cannot be told apart in the 32-bit start mask: any start is assumed valid. */
const MASK_BITS = 32;
/** log2 of the sizes, in bits, of the hash sets. */
// (at most; a small dictionary gets sets sized to its automaton: 16 bits per state, at least 4 Kibit)
const PAIR_BITS = 21; // first two units of keys (256 KiB)
const WORD_BITS = 22; // Latin pieces that are whole keys (512 KiB)
const PREFIX_BITS = 23; // Latin pieces that are key prefixes (1 MiB)
const MIN_SET_BITS = 12;

/**
 * A conservative one-pass screen in front of the exact matcher: it answers "no entry can match this
 * text" (false) or "maybe" (true), and only "maybe" texts pay for normalisation into buffers, the
 * word-boundary bookkeeping and the repeat passes.
 *
 * It reads the UTF-16 code units in one pass, with one table lookup per unit giving its kind and the
 * automaton symbol of its normal form, and allocates nothing. It models the normaliser's common path exactly —
 * letters and CJK, separators skipped inside words, the word gap between Latin words (and the "f u c k"
 * join of single letters), hard breaks, zero-width characters, emoji, edge punctuation such as `wow!!`,
 * numbers — and answers "maybe" for everything it does not model (leet inside words, expansions, astral
 * letters, runs of three identical letters, keys with digits).
 *
 * Its Aho–Corasick transitions are written out in place rather than calling automaton.step(): in
 * this large loop V8 did not inline the call, and check() measured ~20% slower with it.
 *
 * The Aho–Corasick automaton of the exact matcher is walked only while a key prefix of two or more units
 * is alive ("deep"); most text never gets there:
 *  - CJK: a pair (previous unit, this unit) must be the first two units of a key. It is tested against a
 *    32-bit signature of the previous unit's successors, which sits in the same table entry, then
 *    against a hash set of pairs, and only then in the automaton.
 *  - Latin: a key may only start where a word piece starts and end where one ends, so a piece matters
 *    only as a whole. Its hash, rolled along its letters, is looked up when it ends: in the set of
 *    pieces that are whole keys, and, when the next unit is known, in the set of pieces that a key
 *    continues (with a word gap, or joined to what follows). A hit is confirmed in the automaton.
 * Within deep mode, match ends are checked as the exact matcher does: the start of a possible match
 * through a 32-bit mask of the units that may start one, its end when the Latin piece ends; an output
 * state counts only if a real entry (not an allow-list word) ends there.
 *
 * Correctness rests on one property, tested by differential fuzzing against the exact matcher: whenever
 * the exact matcher finds an entry, `mayMatch` returns true.
 */
export class Prescanner {
  /**
   * Per code unit, 2 Int32: [(symbol << 5) | (alone << 4) | kind, successors]. `alone`: the symbol by
   * itself is an entry. `successors`: a signature of the symbols that follow it as the first two units
   * of some key (bit `sigBit(next)`).
   */
  private readonly lane!: Int32Array;
  /**
   * The automaton's own per-state array, [base, check, firstOut, fail] (shared with the exact path, so
   * the states the prescan reads are still in cache when the exact path reads them).
   */
  private readonly states!: Int32Array;
  /** Per state: bit d-1 = an entry (not an allow-list word) of depth d ends here (-1: one deeper than 32). */
  private readonly endMask!: Int32Array;
  private readonly pairs!: Int32Array;
  /** 32 - log2(bits) of each hash set: a hash's top bits index it. */
  private readonly pairShift!: number;
  private readonly wordShift!: number;
  private readonly prefixShift!: number;
  private readonly words!: Int32Array;
  private readonly prefixes!: Int32Array;
  /** Hash of a Latin piece that a key continues with a word gap -> the state after that gap (-1: walk). */
  private readonly gapKeys!: Int32Array;
  private readonly gapStates!: Int32Array;
  private readonly gapSymbol!: number;
  private readonly runLimit!: number;
  /** The Unicode table (for the code points of surrogate pairs). */
  private readonly astralPacked!: Int32Array;

  /**
   * `normOfSym`: the normalised code point of each automaton symbol (index 0 unused);
   * `keyEntry`: per key id, its entry or -1 for an allow-list word; `successors`: pairSignatures(ac).
   */
  constructor(
    ac: Automaton,
    normOfSym: Int32Array,
    keyEntry: Int32Array,
    successors: Int32Array,
    repeats: boolean,
    restore?: Readonly<Record<string, unknown>>,
  ) {
    if (restore !== undefined) {
      // fromData: through this constructor, so that the object gets the same hidden class as one
      // built here (see CompiledWordFilter's constructor)
      Object.assign(this, restore);
      this.astralPacked = table.unicodeTable().packed;
      return;
    }
    const t = table.unicodeTable();
    const units = unitIndex();
    const { packed, check, firstOut, nextOut, out, depth } = ac;
    const size = check.length;
    const rootBase = packed[0] as number;
    const gapSymbol = Math.max(0, normOfSym.indexOf(WORD_GAP, 1));

    // End masks per state (read only where firstOut says some key ends).
    const endMask = new Int32Array(size);
    for (let st = 0; st < size; st++) {
      if (check[st] === -1) continue;
      let mask = 0;
      for (let o = firstOut[st] as number; o >= 0; o = nextOut[o] as number) {
        if ((keyEntry[out[o] as number] as number) < 0) continue; // an allow-list word only
        const d = depth[o] as number;
        mask |= d > MASK_BITS ? -1 : 1 << (d - 1);
      }
      endMask[st] = mask;
    }
    this.states = packed;
    this.endMask = endMask;

    // Hash sets over the states of depth >= 2, parents before children.
    const byDepth: number[][] = [];
    for (let st = 1; st < size; st++)
      if ((check[st] as number) >= 0) (byDepth[depth[st] as number] ??= []).push(st);
    const hashOf = new Int32Array(size);
    const hasChild = new Uint8Array(size);
    const hasGapChild = new Uint8Array(size);
    for (let st = 1; st < size; st++) {
      const parent = check[st] as number;
      if (parent < 0) continue;
      hasChild[parent] = 1;
      if (st - (packed[4 * parent] as number) === gapSymbol) hasGapChild[parent] = 1;
    }
    // Which symbols are letters (Latin pieces are made of them and nothing else).
    const letterSym = new Uint8Array(size + 1);
    for (let sym = 1; sym < normOfSym.length && sym <= size; sym++) {
      const n = normOfSym[sym] as number;
      if (n <= units.maxNorm && units.normClass[n] === C_ALPHA) letterSym[sym] = 1;
    }
    const allLetters = new Uint8Array(size);
    const gappedKeys: number[] = [];
    const gappedStates: number[] = [];
    const want = Math.max(MIN_SET_BITS, 32 - Math.clz32(ac.states) + 4);
    const pairShift = 32 - Math.min(PAIR_BITS, want);
    const wordShift = 32 - Math.min(WORD_BITS, want);
    const prefixShift = 32 - Math.min(PREFIX_BITS, want);
    const pairs = new Int32Array(1 << (27 - pairShift));
    const words = new Int32Array(1 << (27 - wordShift));
    const prefixes = new Int32Array(1 << (27 - prefixShift));
    for (const level of byDepth) {
      if (level === undefined) continue;
      for (const st of level) {
        const parent = check[st] as number;
        const sym = st - (packed[4 * parent] as number);
        const h = wordHash(hashOf[parent] as number, sym);
        hashOf[st] = h;
        const letters = letterSym[sym] === 1 && (parent === 0 || allLetters[parent] === 1);
        if (letters) allLetters[st] = 1;
        if (parent === 0) continue;
        if (check[parent] === 0) setBit(pairs, pairHash(parent - rootBase, sym), pairShift);
        if (!letters) continue; // a Latin piece never spells this prefix
        const o = out[st] as number;
        if (o >= 0 && (keyEntry[o] as number) >= 0) setBit(words, h, wordShift);
        if (hasChild[st] === 1) setBit(prefixes, h, prefixShift);
        if (hasGapChild[st] === 1) {
          gappedKeys.push(h);
          gappedStates.push((packed[4 * st] as number) + gapSymbol);
        }
      }
    }
    // Pieces a key continues with a word gap -> the state after the gap (few: pinyin syllables and the
    // first words of phrases). Open addressing on the piece hash; a hash two pieces share maps to -1.
    let cap = 16;
    while (cap < gappedKeys.length * 4) cap *= 2;
    const gapKeys = new Int32Array(cap);
    const gapStates = new Int32Array(cap); // 0 = empty slot
    for (let k = 0; k < gappedKeys.length; k++) {
      const key = gappedKeys[k] as number;
      let slot = (Math.imul(key, 0x9e3779b1) >>> 0) & (cap - 1);
      while (gapStates[slot] !== 0 && gapKeys[slot] !== key) slot = (slot + 1) & (cap - 1);
      if (gapStates[slot] !== 0) gapStates[slot] = -1;
      else {
        gapKeys[slot] = key;
        gapStates[slot] = gappedStates[k] as number;
      }
    }
    this.gapKeys = gapKeys;
    this.gapStates = gapStates;
    this.pairs = pairs;
    this.pairShift = pairShift;
    this.wordShift = wordShift;
    this.prefixShift = prefixShift;
    this.words = words;
    this.prefixes = prefixes;

    const aloneOf = (sym: number): number => {
      if (sym <= 0) return 0;
      const s1 = rootBase + sym;
      return s1 < size && check[s1] === 0 && ((endMask[s1] as number) & 1) !== 0 ? 1 : 0;
    };
    // The code-unit table: the shared kinds, plus symbol, alone bit and successors for the code units
    // whose normal form is in some key (found through the per-process index from normal form to units).
    const lane = new Int32Array(units.baseLane);
    let digitSymbols = false;
    for (let sym = 1; sym < normOfSym.length; sym++) {
      const n = normOfSym[sym] as number;
      if (n > units.maxNorm) continue; // astral, or a normal form no code unit has
      if (units.normClass[n] === C_DIGIT) digitSymbols = true;
      const head = (sym << 5) | (aloneOf(sym) << 4);
      const succ = sym < successors.length ? (successors[sym] as number) : 0;
      for (let k = units.normStart[n] as number; k < (units.normStart[n + 1] as number); k++) {
        const cu = units.units[k] as number;
        lane[2 * cu] = head | ((lane[2 * cu] as number) & 15);
        lane[2 * cu + 1] = succ;
      }
    }
    // When some key spells a digit, numbers matter to matching: leave every digit to the exact path.
    if (digitSymbols) {
      for (let cu = 0; cu < 0x10000; cu++) {
        if (((lane[2 * cu] as number) & 15) === K_DIGIT) lane[2 * cu] = K_COMPLEX;
      }
    }
    this.lane = lane;
    this.astralPacked = t.packed;
    this.gapSymbol = gapSymbol;
    this.runLimit = repeats ? 3 : 0x7fffffff;
  }

  /** Plain data for a compile worker's postMessage: every own field but the shared Unicode table. */
  toData(): Record<string, unknown> {
    const data = { ...this } as unknown as Record<string, unknown>;
    delete data.astralPacked;
    return data;
  }

  static fromData(data: Record<string, unknown>): Prescanner {
    const none = new Int32Array(0);
    return new Prescanner(undefined as unknown as Automaton, none, none, none, false, data);
  }

  /** False when no dictionary entry can match `text` (exact, repeat or pinyin); true when one may. */
  mayMatch(text: string): boolean {
    if (text.length > 0 && ((this.lane[2 * charCodeAt.call(text, 0)] as number) & 15) === K_ALPHA) {
      const r = this.prose(text);
      if (r >= 0) return r === 1;
    }
    return this.general(text);
  }

  /**
   * Plain prose in a loop of its own: words of letters separated by word gaps (separators with a space
   * among them: spaces, punctuation, emoji, zero-width characters). Each word is read once, rolling
   * its hash, and then looked up whole: is it a key (the whole-key set, confirmed in the automaton),
   * or the first word of a key that goes on after the gap (the gap table; a one-letter word through
   * its successor signature). Such phrase keys are followed in the automaton from their first word,
   * anchored there (at most two at a time). Returns 0 when nothing can match, 1 when a key may end
   * here, -1 when the text is not prose as modelled here (two one-letter words joined by a space, words
   * joined by punctuation alone, CJK, digits, leet, line breaks, long runs of one letter, ...):
   * mayMatch then reads it from the start. Like the general loop it may answer 1 where nothing
   * matches, never 0 where something does (the differential fuzz tests hold it to that). Measured on
   * the bench: check() ~10% and verdictOf() ~13% faster than with the general loop alone.
   */
  private prose(text: string): number {
    const lane = this.lane;
    const P = this.states;
    const endMask = this.endMask;
    const g = this.gapSymbol;
    const len = text.length;
    // phrase keys begun at earlier words: their automaton state (after the last gap) and depth
    let chainA = 0;
    let depthA = 0;
    let chainB = 0;
    let depthB = 0;
    let i = 0;
    for (;;) {
      // a word from text[i] (a letter): its hash, length and runs of one letter
      const from = i;
      const firstCu = charCodeAt.call(text, i);
      const first = lane[2 * firstCu] as number;
      const runSym = first >> 5;
      if (runSym === 0) return -1;
      // the rest of the word in latinRun (a small method: its loop keeps everything in registers)
      i = this.latinRun(text, i + 1, wordHash(0, runSym), runSym, 1);
      if (i < 0) return -1; // a long run of one letter
      const n = this.outCount + 1;
      const h = this.outHash;
      if (i < len && ((lane[2 * charCodeAt.call(text, i)] as number) & 15) === K_ALPHA) return -1; // a letter in no key
      if ((chainA | chainB) !== 0) {
        // the phrases alive go on through the word's letters (zero-width characters skipped)
        for (let j = from; j < i; j++) {
          const e = lane[2 * charCodeAt.call(text, j)] as number;
          if ((e & 15) !== K_ALPHA) continue;
          const c = e >> 5;
          if (chainA !== 0) chainA = child(P, chainA, c);
          if (chainB !== 0) chainB = child(P, chainB, c);
        }
      }
      if (n > MASK_BITS) return -1;
      // a phrase key that began at an earlier word and ends with this one
      if (chainA !== 0) {
        depthA += n;
        if (endsAtDepth(endMask, chainA, depthA)) return 1;
      }
      if (chainB !== 0) {
        depthB += n;
        if (endsAtDepth(endMask, chainB, depthB)) return 1;
      }
      // the word itself as a key
      if (n === 1) {
        if ((first & 16) !== 0) return 1;
      } else if (hasBit(this.words, h, this.wordShift)) {
        const w = this.walk(text, from, i);
        if (w > 0 && endsAtDepth(endMask, w, n)) return 1;
      }
      // the separators up to the next word
      let space = false;
      while (i < len) {
        const cu = charCodeAt.call(text, i);
        let k = (lane[2 * cu] as number) & 15;
        if (k === K_ALPHA) break;
        let width = 1;
        if (k === K_HIGH) {
          if (i + 1 >= len) return -1;
          const lo = charCodeAt.call(text, i + 1);
          if ((lo & 0xfc00) !== 0xdc00) return -1;
          const cp = ((cu - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
          k = cp < TABLE_SIZE ? (this.astralPacked[cp] as number) & 15 : astralClass(cp);
          width = 2;
        }
        if (k === K_SPACE) space = true;
        else if (k !== K_SOFT && k !== K_IGNORE) return -1;
        i += width;
      }
      if (i >= len) return 0; // no key ends inside separators, nor at the end of the text
      if (!space) return -1; // joined without a gap ("fu-ck")
      if (n === 1) {
        // one letter then a space: a gap only before a word of two or more letters (else "f u c k")
        const nk = i + 1 < len ? (lane[2 * charCodeAt.call(text, i + 1)] as number) & 15 : K_SOFT;
        if (nk !== K_ALPHA) return nk === K_IGNORE || nk === K_HIGH ? 1 : -1;
      }
      if (g === 0) {
        chainA = 0;
        chainB = 0;
        continue;
      }
      // the word gap: the phrases alive go on through it, and this word may begin one
      if (chainA !== 0) {
        chainA = child(P, chainA, g);
        depthA++;
      }
      if (chainB !== 0) {
        chainB = child(P, chainB, g);
        depthB++;
      }
      let start = 0;
      if (n === 1) {
        if (((lane[2 * firstCu + 1] as number) & sigBit(g)) !== 0)
          start = child(P, (P[0] as number) + (first >> 5), g);
      } else {
        start = this.gapStateOf(h);
        if (start < 0) return -1;
      }
      if (start !== 0) {
        if (chainA === 0) {
          chainA = start;
          depthA = n + 1;
        } else if (chainB === 0) {
          chainB = start;
          depthB = n + 1;
        } else return -1;
      }
    }
  }

  /** The general loop: every rule the prescan models, for any text (see the class comment). */
  private general(text: string): boolean {
    const lane = this.lane;
    const P = this.states;
    const rootBase = P[0] as number;
    const runLimit = this.runLimit;
    const len = text.length;

    let s = 0; // automaton state while deep
    let deep = false;
    let prevSym = 0; // previous unit's symbol (0 after a reset)
    let prevSucc = 0; // its successor signature
    let ok = 0; // bit k: the unit k places back may start a match
    let gap = 0; // separator kinds seen since the last content unit: 1 soft, 2 space, 4 hard
    let prevLatin = false; // the last content unit was a letter or digit
    let pieceLen = 0; // letters in the last Latin piece
    let inWord = false; // inside a Latin piece
    let letters = 0; // letters so far in the current piece
    let pend = false; // an entry ends at the piece's last letter, if the piece ends there
    let pieceAt = 0; // where the current piece starts in the text
    let pieceDead = false; // no key prefix starts at the current piece's start
    let h = 0; // wordHash of the current piece
    let held = false; // the last piece ended as a possible key prefix: the next unit decides
    let heldH = 0;
    let heldFrom = 0;
    let heldTo = 0;
    let runSym = -1;
    let runLen = 0;

    let i = 0;
    while (i < len) {
      const cu = charCodeAt.call(text, i);
      const e = lane[2 * cu] as number;
      let kind = e & 15;
      if (kind === K_ALPHA) {
        if (!inWord) {
          // A new piece: what the normaliser puts before it (a reset, a word gap or nothing).
          if ((gap & 4) !== 0) {
            deep = false;
            held = false;
            prevSym = 0;
            prevSucc = 0;
            ok = 0;
            runSym = -1;
          } else {
            let gapUnit = false;
            if ((gap & 2) !== 0 && prevLatin) {
              gapUnit = true;
              if (pieceLen === 1) {
                // "f u c k": two single letters separated by a space are joined, not gapped.
                const nk = i + 1 < len ? (lane[2 * charCodeAt.call(text, i + 1)] as number) & 15 : K_SOFT;
                if (nk === K_IGNORE || nk === K_HIGH) return true;
                gapUnit = nk === K_ALPHA;
              }
            }
            let gapDone = false;
            if (held) {
              // The previous piece may begin a key that goes on here.
              held = false;
              const r = this.heldState(text, heldH, heldFrom, heldTo, gapUnit);
              if (r !== 0) {
                deep = true;
                gapDone = r < 0;
                s = r < 0 ? -r : r;
              }
            }
            if (gapUnit) {
              // The word-gap unit: it starts nothing and ends nothing, it only continues a key.
              runSym = -1;
              const g = this.gapSymbol;
              if (!deep && g !== 0 && pieceLen === 1 && (ok & 1) !== 0 && (prevSucc & sigBit(g)) !== 0) {
                // After a one-letter word (never held) a key may begin with the pair (that letter, the
                // gap): "a li ba ba", the pinyin of 阿里巴巴.
                const t = child(P, rootBase + prevSym, g);
                if (t !== 0) {
                  s = t;
                  deep = true;
                  gapDone = true;
                }
              }
              ok = (ok << 1) | 1;
              if (g === 0) {
                deep = false;
                ok = 0;
              } else if (deep && !gapDone) {
                for (;;) {
                  const t = (P[4 * s] as number) + g;
                  if (P[4 * t + 1] === s) {
                    s = t;
                    break;
                  }
                  if (s === 0) break;
                  s = P[4 * s + 3] as number;
                }
                if (s === 0 || P[4 * s + 1] === 0) deep = false;
              }
              // no key starts with a gap: the pair (gap, letter) starts nothing
              prevSym = 0;
              prevSucc = 0;
            }
          }
          inWord = true;
          letters = 0;
          pieceAt = i;
          pieceDead = false;
          h = 0;
          ok = (ok << 1) | 1; // a piece start may start a match
        } else {
          ok <<= 1;
        }
        letters++;
        gap = 0;
        prevLatin = true;
        const c = e >> 5;
        if (c === 0) {
          deep = false;
          prevSym = 0;
          prevSucc = 0;
          ok = 0;
          runSym = -1;
          pend = false;
          pieceDead = true;
        } else {
          if (c === runSym) {
            if (++runLen >= runLimit) return true;
          } else {
            runSym = c;
            runLen = 1;
          }
          h = wordHash(h, c);
          if (deep) {
            for (;;) {
              const t = (P[4 * s] as number) + c;
              if (P[4 * t + 1] === s) {
                s = t;
                break;
              }
              if (s === 0) break;
              s = P[4 * s + 3] as number;
            }
            // Latin matches must end where the piece ends: decided when it does.
            pend = this.endsHere(s, ok);
            if (s === 0 || P[4 * s + 1] === 0) {
              deep = false;
              // nothing that started at or before the piece start is alive any more
              if (letters > 1) pieceDead = true;
            }
          } else if (letters === 1) {
            pend = (e & 16) !== 0;
            // The pair (previous unit, this letter) may start a key: after CJK or a one-letter piece.
            if (
              (prevSucc & sigBit(c)) !== 0 &&
              (ok & 2) !== 0 &&
              hasBit(this.pairs, pairHash(prevSym, c), this.pairShift)
            ) {
              const t = child(P, rootBase + prevSym, c);
              if (t !== 0) {
                s = t;
                deep = true;
                pend = this.endsHere(t, ok);
              }
            }
            if (!deep) {
              // The rest of the piece in a tight loop (a small method of its own, so that V8 keeps its
              // state in registers): nothing can start or end inside the piece, so only its hash, its
              // length and runs of one letter are kept. Anything unusual goes the long way.
              prevSym = c;
              prevSucc = lane[2 * cu + 1] as number;
              const j = this.latinRun(text, i + 1, h, runSym, runLen);
              if (j < 0) return true;
              const n = this.outCount;
              if (n > 0) {
                h = this.outHash;
                runSym = this.outSym;
                runLen = this.outLen;
                letters += n;
                ok = n >= MASK_BITS ? 0 : ok << n;
                pend = false;
              }
              i = j;
              continue;
            }
          } else {
            // Inside a piece nothing starts (word boundary): the piece is looked up as a whole at its end.
            pend = false;
          }
          prevSym = c;
          prevSucc = lane[2 * cu + 1] as number;
        }
        i++;
        continue;
      }

      let width = 1;
      if (kind === K_HIGH) {
        // A surrogate pair: emoji and other symbols separate, tags vanish; astral letters and CJK
        // (mathematical alphabets, Extension B) are left to the exact path.
        if (i + 1 >= len) return true;
        const lo = charCodeAt.call(text, i + 1);
        if ((lo & 0xfc00) !== 0xdc00) return true;
        const cp = ((cu - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        kind = cp < TABLE_SIZE ? (this.astralPacked[cp] as number) & 15 : astralClass(cp);
        if (kind !== C_IGNORE && kind !== C_SOFT && kind !== C_SPACE && kind !== C_HARD) return true;
        width = 2;
      }
      if (kind === K_IGNORE) {
        i += width;
        continue;
      }
      // Anything else ends the current piece.
      const afterWord = inWord;
      if (inWord) {
        if (pend) return true;
        if (!deep && !pieceDead && letters > 1) {
          if (hasBit(this.words, h, this.wordShift) && this.wholeKeyEnds(text, pieceAt, i, ok)) return true;
          // whether a key goes on from this piece (with a word gap, or into a CJK character as in
          // "qq群") depends on what comes next
          held = true;
          heldH = h;
          heldFrom = pieceAt;
          heldTo = i;
        }
        inWord = false;
        pieceLen = letters;
      }
      if (kind === K_CJK) {
        if (held) {
          held = false;
          const r = this.heldState(text, heldH, heldFrom, heldTo, false);
          if (r > 0) {
            s = r;
            deep = true;
          }
        }
        if ((gap & 4) !== 0) {
          deep = false;
          prevSym = 0;
          prevSucc = 0;
          ok = 0;
        }
        gap = 0;
        prevLatin = false;
        runSym = -1;
        ok = (ok << 1) | 1; // CJK has no word boundaries
        const c = e >> 5;
        if (c === 0) {
          deep = false;
          prevSym = 0;
          prevSucc = 0;
          ok = 0;
        } else {
          if (deep) {
            for (;;) {
              const t = (P[4 * s] as number) + c;
              if (P[4 * t + 1] === s) {
                s = t;
                break;
              }
              if (s === 0) break;
              s = P[4 * s + 3] as number;
            }
            if (this.endsHere(s, ok)) return true;
            if (s === 0 || P[4 * s + 1] === 0) deep = false;
          } else {
            if ((e & 16) !== 0) return true;
            if (
              (prevSucc & sigBit(c)) !== 0 &&
              (ok & 2) !== 0 &&
              hasBit(this.pairs, pairHash(prevSym, c), this.pairShift)
            ) {
              const t = child(P, rootBase + prevSym, c);
              if (t !== 0) {
                if (this.endsHere(t, ok)) return true;
                s = t;
                deep = true;
              }
            }
          }
          prevSym = c;
          prevSucc = lane[2 * cu + 1] as number;
          if (!deep) {
            // The rest of the CJK run, while no pair can begin a key (most Chinese text), in a small
            // method of its own: V8 compiles it to a tight loop with everything in registers.
            const j = this.cjkRun(text, i + 1, prevSym, prevSucc);
            const n = this.outCount;
            if (n > 0) {
              const last = charCodeAt.call(text, this.outLast);
              prevSym = (lane[2 * last] as number) >> 5;
              prevSucc = lane[2 * last + 1] as number;
              ok = n >= MASK_BITS ? -1 : (ok << n) | ((1 << n) - 1);
            }
            i = j;
            continue;
          }
        }
        i++;
        continue;
      }

      if (kind === K_SOFT) gap |= 1;
      else if (kind === K_SPACE) gap |= 2;
      else if (kind === K_HARD) gap |= 4;
      else if (kind === K_DIGIT) {
        // A number when no key spells digits: it only resets the automaton. Digits right after letters
        // stay digits (only digits inside or leading a word read as letters, and those have letters
        // after them, which is handed over below); how numbers group into pieces cannot matter after
        // the reset.
        let j = i + 1;
        while (j < len) {
          const k = (lane[2 * charCodeAt.call(text, j)] as number) & 15;
          if (k !== K_DIGIT) {
            if (k !== K_SOFT && k !== K_SPACE && k !== K_HARD && k !== K_CJK) return true;
            break;
          }
          j++;
        }
        deep = false;
        held = false;
        prevSym = 0;
        prevSucc = 0;
        ok = 0;
        gap = 0;
        prevLatin = true;
        pieceLen = 2;
        runSym = -1;
        i = j;
        continue;
      } else if (kind === K_LEET_INNER || kind === K_LEET_EDGE) {
        // Punctuation that leet may read as a letter: modelled only where it cannot be one.
        let edge = kind === K_LEET_EDGE;
        let j = i + 1;
        while (j < len) {
          const k = (lane[2 * charCodeAt.call(text, j)] as number) & 15;
          if (k === K_LEET_EDGE) edge = true;
          else if (k !== K_LEET_INNER) break;
          j++;
        }
        const nk = j < len ? (lane[2 * charCodeAt.call(text, j)] as number) & 15 : K_SOFT;
        const nextContent = nk !== K_SOFT && nk !== K_SPACE && nk !== K_HARD && nk !== K_CJK;
        if (nextContent && (afterWord || edge || nk !== K_ALPHA)) return true;
        if (edge && afterWord) return true;
        gap |= 1;
        i = j;
        continue;
      } else {
        return true; // K_COMPLEX
      }
      i += width;
    }
    if (!inWord) return false;
    if (pend) return true;
    return (
      !deep &&
      !pieceDead &&
      letters > 1 &&
      hasBit(this.words, h, this.wordShift) &&
      this.wholeKeyEnds(text, pieceAt, len, ok)
    );
  }

  // Results of latinRun and cjkRun besides the index they return: units passed, the last one's index,
  // the piece hash and the run of identical letters at its end.
  private outCount = 0;
  private outLast = 0;
  private outHash = 0;
  private outSym = 0;
  private outLen = 0;

  /**
   * From text[j], passes the letters of the current Latin piece (and zero-width characters inside it),
   * rolling its hash `h` and the run of identical letters (`runSym` x `runLen`); returns where the piece
   * ends, or -1 at a run of `runLimit` identical letters (the repeat pass decides).
   */
  private latinRun(text: string, j: number, h: number, runSym: number, runLen: number): number {
    const lane = this.lane;
    const runLimit = this.runLimit;
    const len = text.length;
    let n = 0;
    while (j < len) {
      const e = lane[2 * charCodeAt.call(text, j)] as number;
      const k = e & 15;
      if (k !== K_ALPHA) {
        if (k === K_IGNORE) {
          j++;
          continue;
        }
        break;
      }
      const c = e >> 5;
      if (c === 0) break;
      if (c === runSym) {
        if (++runLen >= runLimit) return -1;
      } else {
        runSym = c;
        runLen = 1;
      }
      h = wordHash(h, c);
      n++;
      j++;
    }
    this.outCount = n;
    this.outHash = h;
    this.outSym = runSym;
    this.outLen = runLen;
    return j;
  }

  /**
   * From text[j], passes CJK characters (and the spaces, soft separators and zero-width characters between
   * them) for as long as none may form, with the character before it, the first pair of a key (both the
   * signature and the pair set say so), is an entry by itself or is in no key; returns where it stopped
   * (the general path reads that unit again). The separators change nothing: CJK skips them, and a
   * letter after them follows no Latin piece, so gets no word gap. `prevSym`, `prevSucc`: the symbol
   * and successor signature of the CJK character before text[j].
   */
  private cjkRun(text: string, j: number, prevSym: number, prevSucc: number): number {
    const lane = this.lane;
    const len = text.length;
    let count = 0;
    let last = 0;
    while (j < len) {
      const cu = charCodeAt.call(text, j);
      const e = lane[2 * cu] as number;
      const k = e & 15;
      if (k !== K_CJK) {
        if (k === K_SPACE || k === K_SOFT || k === K_IGNORE) {
          j++;
          continue;
        }
        break;
      }
      const c = e >> 5;
      if (c === 0 || (e & 16) !== 0) break;
      if ((prevSucc & sigBit(c)) !== 0 && hasBit(this.pairs, pairHash(prevSym, c), this.pairShift)) break;
      prevSym = c;
      prevSucc = lane[2 * cu + 1] as number;
      last = j;
      count++;
      j++;
    }
    this.outCount = count;
    this.outLast = last;
    return j;
  }

  /**
   * Where a held Latin piece text[from, to) with hash `h` leads when the next unit is a word gap
   * (`gapUnit`) or joins it: minus the state after the piece and the gap, the state after the piece
   * (the gap, if any, still to be read), or 0 when no key goes on from it. A method of its own: the
   * walk is rare, and kept out of mayMatch's loop V8 compiles that loop to faster code.
   */
  private heldState(text: string, h: number, from: number, to: number, gapUnit: boolean): number {
    if (gapUnit) {
      const g = this.gapStateOf(h);
      if (g > 0) return -g;
      if (g === 0) return 0;
    } else if (!hasBit(this.prefixes, h, this.prefixShift)) return 0;
    return this.walk(text, from, to);
  }

  /** For a piece hash: the state after the piece and a word gap, 0 if no key goes on so, -1 if unsure. */
  private gapStateOf(h: number): number {
    const keys = this.gapKeys;
    const states = this.gapStates;
    const mask = keys.length - 1;
    let slot = (Math.imul(h, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const st = states[slot] as number;
      if (st === 0) return 0;
      if (keys[slot] === h) return st;
      slot = (slot + 1) & mask;
    }
  }

  /**
   * The state the Latin piece text[from, to) leads to from the root (its letters as symbols, zero-width
   * characters skipped), or 0 when it is not a key prefix.
   */
  private walk(text: string, from: number, to: number): number {
    const lane = this.lane;
    const P = this.states;
    let s = 0;
    for (let i = from; i < to; i++) {
      const e = lane[2 * charCodeAt.call(text, i)] as number;
      const kind = e & 15;
      if (kind === K_HIGH) {
        i++; // a zero-width astral character (anything else would have ended the piece)
        continue;
      }
      if (kind !== K_ALPHA) continue; // zero-width
      s = child(P, s, e >> 5);
      if (s === 0) return 0;
    }
    return s;
  }

  /**
   * An entry (not an allow-list word) ends at state s, and began where `ok` says a match may start.
   * firstOut (in the shared state array, so on the cache line the step just read) rules most states out
   * before the end mask is read.
   */
  private endsHere(s: number, ok: number): boolean {
    return (this.states[4 * s + 2] as number) >= 0 && ((this.endMask[s] as number) & ok) !== 0;
  }

  /** An entry spans exactly the piece text[from, to), which starts where `ok` says a match may start. */
  private wholeKeyEnds(text: string, from: number, to: number, ok: number): boolean {
    const w = this.walk(text, from, to);
    return w > 0 && this.endsHere(w, ok);
  }
}

interface UnitIndex {
  /** Per code unit, 2 Int32: the kind alone (no symbol). */
  readonly baseLane: Int32Array;
  /** Code units (letters, digits, CJK) grouped by normal form: units[normStart[n] .. normStart[n + 1]). */
  readonly normStart: Int32Array;
  readonly units: Int32Array;
  /** Unicode-table class of each normal form that has code units. */
  readonly normClass: Uint8Array;
  readonly maxNorm: number;
}

let cachedIndex: UnitIndex | undefined;

/** Built once per process (the Unicode table is shared): what every filter's code-unit table starts from. */
function unitIndex(): UnitIndex {
  if (cachedIndex !== undefined) return cachedIndex;
  const packed = table.unicodeTable().packed;
  const baseLane = new Int32Array(0x20000);
  let maxNorm = 0;
  for (let cu = 0; cu < 0x10000; cu++) {
    const e = packed[cu] as number;
    const cls = e & 15;
    const norm = e >> 4;
    let kind: number;
    if (cu >= 0xd800 && cu <= 0xdbff) kind = K_HIGH;
    else if ((cls === C_ALPHA || cls === C_CJK || cls === C_DIGIT) && norm >= TABLE_SIZE) {
      kind = K_COMPLEX; // a compatibility ideograph whose normal form is astral (the exact path maps it)
    } else if (cls === C_ALPHA || cls === C_CJK || cls === C_DIGIT) {
      kind = cls;
      if (norm > maxNorm) maxNorm = norm;
    } else if (cls === C_LEET) kind = norm === CH_DOLLAR || norm === CH_AT ? K_LEET_EDGE : K_LEET_INNER;
    else if (cls === C_IGNORE || cls === C_SOFT || cls === C_SPACE || cls === C_HARD) kind = cls;
    else kind = K_COMPLEX;
    baseLane[2 * cu] = kind;
  }
  const normStart = new Int32Array(maxNorm + 2);
  const normClass = new Uint8Array(maxNorm + 1);
  const isContent = (cu: number): boolean => {
    const k = baseLane[2 * cu] as number;
    return k === K_ALPHA || k === K_CJK || k === K_DIGIT;
  };
  for (let cu = 0; cu < 0x10000; cu++) {
    if (!isContent(cu)) continue;
    const e = packed[cu] as number;
    normStart[(e >> 4) + 1] = (normStart[(e >> 4) + 1] as number) + 1;
    normClass[e >> 4] = e & 15;
  }
  for (let n = 1; n < normStart.length; n++)
    normStart[n] = (normStart[n] as number) + (normStart[n - 1] as number);
  const fill = Int32Array.from(normStart);
  const units = new Int32Array(normStart[maxNorm + 1] as number);
  for (let cu = 0; cu < 0x10000; cu++) {
    if (!isContent(cu)) continue;
    const n = (packed[cu] as number) >> 4;
    units[fill[n] as number] = cu;
    fill[n] = (fill[n] as number) + 1;
  }
  cachedIndex = { baseLane, normStart, units, normClass, maxNorm };
  return cachedIndex;
}

/** The child of trie state `s` on `sym` in the double array `P` (no failure links), or 0 if none. */
function child(P: Int32Array, s: number, sym: number): number {
  const t = (P[4 * s] as number) + sym;
  return P[4 * t + 1] === s ? t : 0;
}

/** Hash of a Latin piece, one symbol at a time from 0; the same over the automaton's key prefixes. */
export function wordHash(h: number, sym: number): number {
  return Math.imul(h + sym, 0x2c1b3c6d) ^ (h >>> 15);
}

/** An entry (not an allow-list word) of exactly `depth` units ends at state `st`. */
function endsAtDepth(endMask: Int32Array, st: number, depth: number): boolean {
  const m = endMask[st] as number;
  return depth > MASK_BITS ? m === -1 : ((m >>> (depth - 1)) & 1) !== 0;
}

function pairHash(a: number, b: number): number {
  return Math.imul(Math.imul(a, 0x7feb352d) + b, 0x846ca68b);
}

function setBit(bits: Int32Array, h: number, shift: number): void {
  const b = h >>> shift;
  bits[b >>> 5] = (bits[b >>> 5] as number) | (1 << (b & 31));
}

function hasBit(bits: Int32Array, h: number, shift: number): boolean {
  const b = h >>> shift;
  return ((bits[b >>> 5] as number) & (1 << (b & 31))) !== 0;
}
