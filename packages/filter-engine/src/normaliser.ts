import * as table from './unicode-table';

// Module-local copies: a bundler/transpiler may turn imported bindings into getter calls, which costs
// ~20 ns per access in a per-character loop (measured with tsx).
const C_ALPHA = table.C_ALPHA;
const C_CJK = table.C_CJK;
const C_DIGIT = table.C_DIGIT;
const C_EXPAND = table.C_EXPAND;
const C_HARD = table.C_HARD;
const C_IGNORE = table.C_IGNORE;
const C_LEET = table.C_LEET;
const C_SOFT = table.C_SOFT;
const C_SPACE = table.C_SPACE;
const TABLE_SIZE = table.TABLE_SIZE;
const WORD_GAP = table.WORD_GAP;
const astralClass = table.astralClass;
/** Called directly, not looked up on each text: see the same constant in prescan.ts. */
const charCodeAt = String.prototype.charCodeAt;

/** The unit is a Latin-like letter or digit: word boundaries apply to it. */
export const F_LATIN = 1;
/** First unit of a piece (a run of letters, or of digits, with nothing between). */
export const F_PIECE_START = 2;
/** Last unit of a piece. */
export const F_PIECE_END = 4;
/** A hard break precedes this unit: the automaton restarts from the root. */
export const F_RESET = 8;

const GAP_SOFT = 1;
const GAP_SPACE = 2;
const GAP_HARD = 4;

const K_NONE = 0;
const K_ALPHA = 1;
const K_DIGIT = 2;
const K_CJK = 3;

const CH_DOLLAR = 0x24;
const CH_AT = 0x40;
const CH_BANG = 0x21;
const CH_PIPE = 0x7c;
const CH_PLUS = 0x2b;

/**
 * Turns text into a stream of normalised units, each with its original UTF-16 range and boundary flags.
 * The same code normalises dictionary words and chat text, so both sides always agree.
 *
 * Pass A maps every code point through the shared table (ignorables vanish, expansions fan out).
 * Pass B reads letters+digits+leet symbols as tokens (to decide leet readings with look-ahead), then
 * applies the separator rule:
 *   - CJK: any run of separators (space, punctuation, symbols, emoji) between characters is skipped;
 *   - Latin: non-space separators inside a token are skipped (f.u.c.k, fu-ck); a space joins two pieces
 *     only when both are single letters (f u c k); otherwise a WORD_GAP unit is emitted, so "this hit"
 *     is t h i s ⎵ h i t and can only match a dictionary phrase that has a space there;
 *   - hard breaks (line breaks, 。，、！？；：) reset the automaton: nothing matches across them.
 * A match may start on a Latin unit only at a piece start and end on one only at a piece end, which
 * is the word-boundary rule (classic, assassin, Scunthorpe stay clean).
 *
 * Buffers are allocated once and grown on demand; a call allocates nothing.
 */
export class Normaliser {
  count = 0;
  /** A run of 3+ identical letters was seen (the repeat pass is worth running). */
  hasLongRun = false;
  norm: Int32Array;
  start: Int32Array;
  end: Int32Array;
  flags: Uint8Array;

  private rCls: Uint8Array;
  private rNorm: Int32Array;
  private rStart: Int32Array;
  private rEnd: Int32Array;
  private capacityChars = 0;

  private readonly packed: Int32Array;
  private readonly expansions: Int32Array;
  private readonly astralCompat: ReadonlyMap<number, number>;
  private readonly leet: Int32Array;

  constructor(initialChars = 256) {
    const t = table.unicodeTable();
    this.packed = t.packed;
    this.expansions = t.expansions;
    this.astralCompat = t.astralCompat;
    this.leet = t.leet;
    this.rCls = new Uint8Array(0);
    this.rNorm = this.rStart = this.rEnd = new Int32Array(0);
    this.norm = this.start = this.end = new Int32Array(0);
    this.flags = new Uint8Array(0);
    this.grow(initialChars);
  }

  private grow(chars: number): void {
    // One code unit yields at most 4 raw items (expansion); each raw item at most one unit plus a gap.
    const raw = chars * 4 + 4;
    this.rCls = new Uint8Array(raw);
    this.rNorm = new Int32Array(raw);
    this.rStart = new Int32Array(raw);
    this.rEnd = new Int32Array(raw);
    this.norm = new Int32Array(raw * 2);
    this.start = new Int32Array(raw * 2);
    this.end = new Int32Array(raw * 2);
    this.flags = new Uint8Array(raw * 2);
    this.capacityChars = chars;
  }

  run(text: string): void {
    const len = text.length;
    if (len > this.capacityChars) this.grow(Math.max(len, this.capacityChars * 2));
    const packed = this.packed;
    const rCls = this.rCls;
    const rNorm = this.rNorm;
    const rStart = this.rStart;
    const rEnd = this.rEnd;
    const uNorm = this.norm;
    const uStart = this.start;
    const uEnd = this.end;
    const uFlags = this.flags;

    // Stream state carried across characters and chunks.
    let u = 0;
    let gap = 0;
    let prevKind = K_NONE;
    let lastContent = -1;
    let pieceLen = 0;
    let runNorm = -1;
    let runLen = 0;
    let longRun = false;
    this.longRunSeen = false;

    let i = 0;
    while (i < len) {
      let cp = charCodeAt.call(text, i);
      let w = 1;
      if ((cp & 0xfc00) === 0xd800 && i + 1 < len) {
        const lo = charCodeAt.call(text, i + 1);
        if ((lo & 0xfc00) === 0xdc00) {
          cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
          w = 2;
        }
      }
      let c: number;
      let nm: number;
      if (cp < TABLE_SIZE) {
        const e = packed[cp] as number;
        c = e & 15;
        nm = e >> 4;
      } else {
        c = astralClass(cp);
        nm = c === C_CJK ? (this.astralCompat.get(cp) ?? cp) : cp;
      }
      if (c === C_CJK) {
        // CJK: every character is its own piece; separators before it are skipped unless hard.
        if (lastContent >= 0) uFlags[lastContent] = (uFlags[lastContent] as number) | F_PIECE_END;
        uNorm[u] = nm;
        uStart[u] = i;
        uEnd[u] = i + w;
        uFlags[u] = (gap & GAP_HARD) !== 0 ? F_PIECE_START | F_RESET : F_PIECE_START;
        lastContent = u;
        u++;
        prevKind = K_CJK;
        gap = 0;
        runNorm = -1;
        i += w;
        continue;
      }
      if (c <= C_HARD) {
        if (c === C_SOFT) gap |= GAP_SOFT;
        else if (c === C_SPACE) gap |= GAP_SPACE;
        else if (c === C_HARD) gap |= GAP_HARD;
        i += w;
        continue;
      }

      // A chunk of letters, digits, leet symbols and expansions (ignorables inside vanish). It always
      // follows a separator, a CJK character or the start, so it opens a new piece. Probe its extent
      // first: a chunk of plain letters (the common case) is emitted straight from the text.
      const chunkEnd = this.probeChunk(text, i, c, w);
      const letters = this.chunkLetters;
      const pure = this.chunkPure;

      if (pure) {
        if (letters === 0) {
          i = chunkEnd; // only ignorables
          continue;
        }
        let flags = F_LATIN | F_PIECE_START;
        if ((gap & GAP_HARD) !== 0) {
          flags |= F_RESET;
          runNorm = -1;
        } else if ((gap & GAP_SPACE) !== 0 && (prevKind === K_ALPHA || prevKind === K_DIGIT)) {
          // A space joins Latin pieces only when both are single letters: "f u c k".
          if (!(pieceLen === 1 && letters === 1)) {
            uNorm[u] = WORD_GAP;
            uStart[u] = uEnd[lastContent] as number;
            uEnd[u] = i;
            uFlags[u] = 0;
            u++;
            runNorm = -1;
          }
        }
        if (lastContent >= 0) uFlags[lastContent] = (uFlags[lastContent] as number) | F_PIECE_END;
        u = this.emitLetters(text, i, chunkEnd, u, flags, runNorm, runLen);
        i = chunkEnd;
        runNorm = this.lastRunNorm;
        runLen = this.lastRunLen;
        lastContent = u - 1;
        pieceLen = letters;
        prevKind = K_ALPHA;
        gap = 0;
        continue;
      }

      // Not plain letters: copy the chunk into the token buffer (expansions fan out).
      let n = 0;
      while (i < chunkEnd) {
        cp = charCodeAt.call(text, i);
        w = 1;
        if ((cp & 0xfc00) === 0xd800 && i + 1 < len) {
          const lo = charCodeAt.call(text, i + 1);
          if ((lo & 0xfc00) === 0xdc00) {
            cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
            w = 2;
          }
        }
        if (cp < TABLE_SIZE) {
          const e = packed[cp] as number;
          c = e & 15;
          nm = e >> 4;
        } else {
          c = astralClass(cp);
          nm = cp;
        }
        if (c === C_EXPAND) {
          const ex = this.expansions;
          const count = ex[nm] as number;
          for (let k = 0; k < count; k++) {
            rCls[n] = ex[nm + 1 + 2 * k] as number;
            rNorm[n] = ex[nm + 2 + 2 * k] as number;
            rStart[n] = i;
            rEnd[n++] = i + w;
          }
        } else if (c !== C_IGNORE) {
          rCls[n] = c;
          rNorm[n] = nm;
          rStart[n] = i;
          rEnd[n++] = i + w;
        }
        i += w;
      }

      // General path: tokens with digits, leet symbols or expansions (which may hold CJK parts).
      let lastSrc = -1;
      let k = 0;
      while (k < n) {
        const ck = rCls[k] as number;
        let t = k + 1;
        if (ck !== C_CJK) {
          let alpha = ck === C_ALPHA ? 1 : 0;
          let other = ck !== C_ALPHA;
          while (t < n) {
            const ct = rCls[t] as number;
            if (ct === C_ALPHA) alpha++;
            else if (ct === C_DIGIT || ct === C_LEET) other = true;
            else break;
            t++;
          }
          if (other) this.resolveLeet(k, t, alpha);
        }
        for (let x = k; x < t; x++) {
          const cx = rCls[x] as number;
          if (cx === C_SOFT) {
            gap |= GAP_SOFT;
            continue;
          }
          const kind = cx === C_ALPHA ? K_ALPHA : cx === C_DIGIT ? K_DIGIT : K_CJK;
          const latin = kind !== K_CJK;
          const src = rStart[x] as number;
          let flags = latin ? F_LATIN : 0;
          // Punctuation between two digits stays inside the number (1,000.50; 8.9.6.4), so "8964.5" is
          // one piece and does not match 8964.
          const newPiece =
            kind !== prevKind || kind === K_CJK || (gap !== 0 && !(gap === GAP_SOFT && kind === K_DIGIT));
          let gapUnit = false;
          if ((gap & GAP_HARD) !== 0) {
            flags |= F_RESET;
          } else if ((gap & GAP_SPACE) !== 0 && latin && (prevKind === K_ALPHA || prevKind === K_DIGIT)) {
            if (!(pieceLen === 1 && this.pieceIsSingle(x, t))) gapUnit = true;
          }
          if (newPiece) {
            flags |= F_PIECE_START;
            if (lastContent >= 0) uFlags[lastContent] = (uFlags[lastContent] as number) | F_PIECE_END;
            pieceLen = 1;
          } else if (src !== lastSrc) {
            pieceLen++;
          }
          if (gapUnit) {
            uNorm[u] = WORD_GAP;
            uStart[u] = lastContent >= 0 ? (uEnd[lastContent] as number) : src;
            uEnd[u] = src;
            uFlags[u] = 0;
            u++;
          }
          if (kind === K_ALPHA && (flags & F_RESET) === 0 && !gapUnit && rNorm[x] === runNorm) {
            if (++runLen >= 3) longRun = true;
          } else {
            runNorm = kind === K_ALPHA ? (rNorm[x] as number) : -1;
            runLen = 1;
          }
          uNorm[u] = rNorm[x] as number;
          uStart[u] = src;
          uEnd[u] = rEnd[x] as number;
          uFlags[u] = flags;
          lastContent = u;
          lastSrc = src;
          prevKind = kind;
          gap = 0;
          u++;
        }
        k = t;
      }
    }
    if (lastContent >= 0) uFlags[lastContent] = (uFlags[lastContent] as number) | F_PIECE_END;
    this.count = u;
    this.hasLongRun = longRun || this.longRunSeen;
  }

  // Results of probeChunk and emitLetters besides the index they return. Small methods of their own for
  // the hot loops: V8 keeps their state in registers, which run() as a whole has too much of.
  private chunkLetters = 0;
  private chunkPure = true;
  private lastRunNorm = -1;
  private lastRunLen = 0;
  private longRunSeen = false;

  /**
   * The end of the chunk that starts at text[i] (class c, width w): letters, digits, leet symbols,
   * expansions and ignorables. Sets chunkLetters (letters in it) and chunkPure (letters and ignorables
   * only).
   */
  private probeChunk(text: string, i: number, c: number, w: number): number {
    const packed = this.packed;
    const len = text.length;
    let j = i;
    let letters = 0;
    let pure = true;
    for (;;) {
      if (c === C_ALPHA) letters++;
      else if (c !== C_IGNORE) pure = false;
      j += w;
      if (j >= len) break;
      let cp = charCodeAt.call(text, j);
      w = 1;
      if ((cp & 0xfc00) === 0xd800 && j + 1 < len) {
        const lo = charCodeAt.call(text, j + 1);
        if ((lo & 0xfc00) === 0xdc00) {
          cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
          w = 2;
        }
      }
      c = cp < TABLE_SIZE ? (packed[cp] as number) & 15 : astralClass(cp);
      if (c !== C_ALPHA && c !== C_DIGIT && c !== C_LEET && c !== C_EXPAND && c !== C_IGNORE) break;
    }
    this.chunkLetters = letters;
    this.chunkPure = pure;
    return j;
  }

  /**
   * Writes the plain letters of text[i, end) (ignorables skipped) as units from u on, `flags` on the
   * first; returns the next unit. Carries the run of identical letters (runNorm x runLen) through, and
   * leaves it in lastRunNorm/lastRunLen.
   */
  private emitLetters(
    text: string,
    i: number,
    end: number,
    u: number,
    flags: number,
    runNorm: number,
    runLen: number,
  ): number {
    const packed = this.packed;
    const len = text.length;
    const uNorm = this.norm;
    const uStart = this.start;
    const uEnd = this.end;
    const uFlags = this.flags;
    while (i < end) {
      let cp = charCodeAt.call(text, i);
      let w = 1;
      if ((cp & 0xfc00) === 0xd800 && i + 1 < len) {
        const lo = charCodeAt.call(text, i + 1);
        if ((lo & 0xfc00) === 0xdc00) {
          cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
          w = 2;
        }
      }
      let nm: number;
      if (cp < TABLE_SIZE) {
        const e = packed[cp] as number;
        if ((e & 15) === C_IGNORE) {
          i += w;
          continue;
        }
        nm = e >> 4;
      } else {
        if (astralClass(cp) === C_IGNORE) {
          i += w;
          continue;
        }
        nm = cp;
      }
      if (nm === runNorm) {
        if (++runLen >= 3) this.longRunSeen = true;
      } else {
        runNorm = nm;
        runLen = 1;
      }
      uNorm[u] = nm;
      uStart[u] = i;
      uEnd[u] = i + w;
      uFlags[u] = flags;
      flags = F_LATIN;
      u++;
      i += w;
    }
    this.lastRunNorm = runNorm;
    this.lastRunLen = runLen;
    return u;
  }

  /** Whether the piece starting at raw item x (within token end t) is one source character long. */
  private pieceIsSingle(x: number, t: number): boolean {
    const rCls = this.rCls;
    const rStart = this.rStart;
    const c = rCls[x];
    const src = rStart[x];
    for (let y = x + 1; y < t; y++) {
      if (rCls[y] !== c) return true;
      if (rStart[y] !== src) return false;
    }
    return true;
  }

  /**
   * Leet readings inside one token [k, t) that holds `alpha` letters:
   *  - a digit run is read as letters when every digit has a reading and the run is inside the word
   *    (letters on both sides: sh1t, b00b), or is a single digit starting a word of 3+ letters (5hit).
   *    Numbers (2024, 3pm, mp3, a55) stay digits.
   *  - `$` `@` are letters when next to a letter or another `$`/`@` of the token (a$$, $hit, @ss);
   *    a leading `@` followed by more than 3 letters is a mention marker instead (@shitlord).
   *  - `!` `|` `+` are letters only inside a word (sh!t); at an edge they are punctuation (wow!).
   * Whatever is not read as a letter becomes a soft separator (LEET) or stays a digit.
   */
  private resolveLeet(k: number, t: number, alpha: number): void {
    const rCls = this.rCls;
    const rNorm = this.rNorm;
    const leet = this.leet;
    if (alpha === 0) {
      for (let x = k; x < t; x++) if (rCls[x] === C_LEET) rCls[x] = C_SOFT;
      return;
    }
    let firstAlpha = -1;
    let lastAlpha = -1;
    for (let x = k; x < t; x++) {
      if (rCls[x] === C_ALPHA) {
        if (firstAlpha < 0) firstAlpha = x;
        lastAlpha = x;
      }
    }
    // digit runs
    let x = k;
    while (x < t) {
      if (rCls[x] !== C_DIGIT) {
        x++;
        continue;
      }
      let y = x;
      let convertible = true;
      while (y < t && rCls[y] === C_DIGIT) {
        const d = rNorm[y] as number;
        if (d >= 128 || leet[d] === 0) convertible = false;
        y++;
      }
      const interior = x > firstAlpha && y - 1 < lastAlpha;
      const leading = x === k && y - x === 1 && alpha >= 3;
      if (convertible && (interior || leading)) {
        for (let z = x; z < y; z++) {
          rCls[z] = C_ALPHA;
          rNorm[z] = leet[rNorm[z] as number] as number;
        }
      }
      x = y;
    }
    // symbols
    for (let z = k; z < t; z++) {
      if (rCls[z] !== C_LEET) continue;
      const ch = rNorm[z] as number;
      let convert = false;
      if (ch === CH_AT && z === k && alpha > 3) {
        // "@name" is a mention: a leading @ reads as "a" only in short tokens (@ss), not in @shit_lord.
        convert = false;
      } else if (ch === CH_DOLLAR || ch === CH_AT) {
        convert =
          (z > k && (rCls[z - 1] === C_ALPHA || isEdgeLeet(rCls[z - 1], rNorm[z - 1]))) ||
          (z + 1 < t && (rCls[z + 1] === C_ALPHA || isEdgeLeet(rCls[z + 1], rNorm[z + 1])));
      } else if (ch === CH_BANG || ch === CH_PIPE || ch === CH_PLUS) {
        convert = z > firstAlpha && z < lastAlpha;
      }
      if (convert) {
        rCls[z] = C_ALPHA;
        rNorm[z] = leet[ch] as number;
      } else {
        rCls[z] = C_SOFT;
      }
    }
  }
}

function isEdgeLeet(cls: number | undefined, norm: number | undefined): boolean {
  return cls === C_LEET && (norm === CH_DOLLAR || norm === CH_AT);
}
