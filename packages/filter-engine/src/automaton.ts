/**
 * Aho–Corasick automaton over a compact alphabet (symbol ids 1..alphabetSize; 0 = a character no key
 * contains), compiled to a double-array trie: the child of state s on symbol c is t = base[s] + c when
 * check[t] === s. Failure links, depths and outputs are parallel Int32Arrays, so matching touches only
 * typed arrays.
 */
export interface Automaton {
  readonly base: Int32Array;
  readonly check: Int32Array;
  readonly fail: Int32Array;
  readonly depth: Int32Array;
  /** Key id ending at this state, or -1. */
  readonly out: Int32Array;
  /** First state with an output in the suffix chain starting at this state itself, or -1. */
  readonly firstOut: Int32Array;
  /**
   * The hot fields interleaved per state, 4 Int32 each: [base, check, firstOut, fail] at 4*s.
   * One step of the matcher then touches one cache line instead of four arrays (measured: the
   * separate arrays cost ~3 cache misses per character on a 50 000-word dictionary).
   */
  readonly packed: Int32Array;
  /** Next state with an output strictly down the suffix chain, or -1. */
  readonly nextOut: Int32Array;
  readonly states: number;
  readonly root: number;
}

export interface AutomatonKey {
  /** Symbol ids, each in 1..alphabetSize. */
  readonly symbols: ArrayLike<number>;
  readonly id: number;
}

const ROOT = 0;
const FREE = -1;
/** No node / no key: the "null" value of the trie's link and output arrays. */
const NONE = -1;
/** Fields of a trie node during the build: its symbol, first child, next sibling and key id. */
const TRIE_FIELDS = 4;
const LABEL = 0;
const FIRST_CHILD = 1;
const NEXT_SIBLING = 2;
const OUT = 3;

/**
 * Builds the automaton. Keys with identical symbol sequences keep the first key's id (callers merge
 * duplicates before, so this only guards against misuse).
 *
 * Everything lives in typed arrays (no per-node objects or lists), so building the benchmark
 * dictionary (~100 000 keys, ~400 000 states) makes almost no garbage.
 */
export function buildAutomaton(keys: readonly AutomatonKey[], alphabetSize: number): Automaton {
  // 1. The trie, as first-child / next-sibling links over node ids (root = 0, others numbered in
  //    creation order), the fields of node n interleaved at TRIE_FIELDS * n so that following a link
  //    costs one cache miss, not three. Sibling lists are kept sorted by symbol, so placement below
  //    reads each node's children in ascending order without sorting. The root has thousands of
  //    children, so they are found through a dense row indexed by symbol instead and linked into a
  //    list once at the end; below the root the fan-out is small and a linear walk is cheapest.
  // Node capacity: a first guess (the benchmark dictionary has ~4 nodes per key), doubled as needed.
  let capacity = Math.max(1024, keys.length * 4);
  let trie = new Int32Array(capacity * TRIE_FIELDS).fill(NONE);
  // Symbols above alphabetSize (a caller's mistake) widen the alphabet instead of breaking the build.
  let maxSymbol = alphabetSize;
  let rootChild = new Int32Array(alphabetSize + 1).fill(NONE);
  let nodes = 1;
  /** Appends a childless node for symbol c whose next sibling is `sibling`. */
  const newNode = (c: number, sibling: number): number => {
    if (nodes === capacity) {
      const grown = new Int32Array(capacity * 2 * TRIE_FIELDS).fill(NONE);
      grown.set(trie);
      trie = grown;
      capacity *= 2;
    }
    const n = nodes++;
    trie[n * TRIE_FIELDS + LABEL] = c;
    trie[n * TRIE_FIELDS + NEXT_SIBLING] = sibling;
    return n;
  };
  for (const key of keys) {
    const syms = key.symbols;
    let node = ROOT;
    for (let i = 0; i < syms.length; i++) {
      const c = syms[i] as number;
      let next: number;
      if (node === ROOT) {
        if (c > maxSymbol) {
          maxSymbol = c;
          const row = new Int32Array(c + 1).fill(NONE);
          row.set(rootChild);
          rootChild = row;
        }
        next = rootChild[c] as number;
        if (next === NONE) {
          next = newNode(c, NONE);
          rootChild[c] = next;
        }
      } else {
        // Find c in the sorted sibling list, or the place to insert it: the link field that points
        // to the first sibling with a larger symbol (node's FIRST_CHILD or a sibling's NEXT_SIBLING).
        let link = node * TRIE_FIELDS + FIRST_CHILD;
        let x = trie[link] as number;
        while (x !== NONE && (trie[x * TRIE_FIELDS + LABEL] as number) < c) {
          link = x * TRIE_FIELDS + NEXT_SIBLING;
          x = trie[link] as number;
        }
        if (x !== NONE && trie[x * TRIE_FIELDS + LABEL] === c) {
          next = x;
        } else {
          if (c > maxSymbol) maxSymbol = c;
          next = newNode(c, x);
          trie[link] = next;
        }
      }
      node = next;
    }
    if (trie[node * TRIE_FIELDS + OUT] === NONE) trie[node * TRIE_FIELDS + OUT] = key.id;
  }
  // The root's children as a sorted list, like every other node's.
  let rootHead = NONE;
  for (let c = rootChild.length - 1; c >= 1; c--) {
    const n = rootChild[c] as number;
    if (n !== NONE) {
      trie[n * TRIE_FIELDS + NEXT_SIBLING] = rootHead;
      rootHead = n;
    }
  }
  trie[ROOT * TRIE_FIELDS + FIRST_CHILD] = rootHead;
  const stride = maxSymbol + 1;

  // 2. Place nodes in the double array, breadth first. The array ends up almost dense (measured:
  //    ~98% of the cells below the highest base are used), so start a little above the node count.
  //    `skip` jumps over occupied cells: following skip[i] -> skip[skip[i]] -> ... from any cell ends
  //    at the first free cell at or after it (a free cell points to itself; an occupied one to some
  //    later cell, never past a free one). Paths are shortened as they are followed, so a run of
  //    occupied cells costs about one step however often it is crossed. The entry at index `size`
  //    is a free sentinel standing for everything beyond the arrays.
  let size = nodes + stride + (nodes >> 4) + 1024;
  let base = new Int32Array(size);
  let check = new Int32Array(size).fill(FREE);
  let skip = new Int32Array(size + 1);
  for (let i = 0; i <= size; i++) skip[i] = i;
  check[ROOT] = -2;
  skip[ROOT] = 1;
  const growTo = (need: number): void => {
    let newSize = size;
    while (newSize <= need) newSize = Math.ceil(newSize * 1.5);
    const b2 = new Int32Array(newSize);
    b2.set(base);
    const c2 = new Int32Array(newSize).fill(FREE);
    c2.set(check);
    const s2 = new Int32Array(newSize + 1);
    s2.set(skip);
    for (let i = size + 1; i <= newSize; i++) s2[i] = i;
    base = b2;
    check = c2;
    skip = s2;
    size = newSize;
  };
  /** The first free cell at or after i (may be `size`, i.e. past the arrays). */
  const freeFrom = (i: number): number => {
    let r = i;
    while (skip[r] !== r) r = skip[r] as number;
    while (i !== r) {
      const n = skip[i] as number;
      skip[i] = r;
      i = n;
    }
    return r;
  };

  // `queue` is the breadth-first order of trie nodes (reused by step 3); `pos` maps a node to its cell.
  const queue = new Int32Array(nodes);
  const pos = new Int32Array(nodes);
  const kidSyms = new Int32Array(stride);
  queue[0] = ROOT;
  pos[ROOT] = ROOT;
  let tail = 1;
  let maxBase = 0;
  // darts-style first fit: the first child goes to the lowest free cell p, at or after the mark
  // nextCheckPos, such that the other children's cells are free too. The mark is the lowest cell that
  // may still be free; it moves forward once the stretch scanned from it is 95% full, so placement
  // stays near linear. (The same choices as a cell-by-cell scan; `skip` only makes it cheaper.)
  let nextCheckPos = 1;
  for (let head = 0; head < tail; head++) {
    const node = queue[head] as number;
    let kids = 0;
    for (let x = trie[node * TRIE_FIELDS + FIRST_CHILD] as number; x !== NONE; ) {
      kidSyms[kids++] = trie[x * TRIE_FIELDS + LABEL] as number;
      x = trie[x * TRIE_FIELDS + NEXT_SIBLING] as number;
    }
    if (kids === 0) continue;
    const c0 = kidSyms[0] as number;
    const span = (kidSyms[kids - 1] as number) - c0;
    const start = Math.max(c0 + 1, nextCheckPos);
    let freeSeen = 0;
    let p = start - 1;
    let b: number;
    for (;;) {
      p = freeFrom(p + 1);
      if (p + span >= size) growTo(p + span + 1);
      if (freeSeen++ === 0) nextCheckPos = p;
      // Cell p takes the first child; the others must land on free cells too.
      const cand = p - c0;
      let j = 1;
      while (j < kids && check[cand + (kidSyms[j] as number)] === FREE) j++;
      if (j === kids) {
        b = cand;
        break;
      }
    }
    const occupied = p - start + 1 - freeSeen;
    if (occupied / (p - nextCheckPos + 1) >= 0.95) nextCheckPos = p;
    const from = pos[node] as number;
    base[from] = b;
    if (b > maxBase) maxBase = b;
    for (let x = trie[node * TRIE_FIELDS + FIRST_CHILD] as number; x !== NONE; ) {
      const t = b + (trie[x * TRIE_FIELDS + LABEL] as number);
      check[t] = from;
      skip[t] = t + 1;
      pos[x] = t;
      queue[tail++] = x;
      x = trie[x * TRIE_FIELDS + NEXT_SIBLING] as number;
    }
  }

  // Pad so that base[s] + c never runs past the arrays for any state and symbol (every used cell is
  // some base + symbol, so this also covers all of them); the unused tail of the work arrays is cut.
  const finalSize = maxBase + stride + 1;
  if (finalSize > size) growTo(finalSize);
  const fBase = base.slice(0, finalSize);
  const fCheck = check.slice(0, finalSize);

  // 3. Outputs, depths, failure links, one pass in breadth-first order (a state's parent and every
  //    state on its suffix chain are shallower, so already done).
  const out = new Int32Array(finalSize).fill(-1);
  const depth = new Int32Array(finalSize);
  const fail = new Int32Array(finalSize);
  const firstOut = new Int32Array(finalSize).fill(-1);
  const nextOut = new Int32Array(finalSize).fill(-1);
  out[ROOT] = trie[ROOT * TRIE_FIELDS + OUT] as number;
  for (let i = 1; i < nodes; i++) {
    const node = queue[i] as number;
    const t = pos[node] as number;
    const s = fCheck[t] as number;
    const c = trie[node * TRIE_FIELDS + LABEL] as number;
    out[t] = trie[node * TRIE_FIELDS + OUT] as number;
    depth[t] = (depth[s] as number) + 1;
    let f = ROOT;
    if (s !== ROOT) {
      let g = fail[s] as number;
      for (;;) {
        const u = (fBase[g] as number) + c;
        if (fCheck[u] === g) {
          f = u;
          break;
        }
        if (g === ROOT) break;
        g = fail[g] as number;
      }
    }
    fail[t] = f;
    nextOut[t] = (out[f] as number) >= 0 ? f : (nextOut[f] as number);
    firstOut[t] = (out[t] as number) >= 0 ? t : (nextOut[t] as number);
  }
  const packed = new Int32Array(finalSize * 4);
  for (let s = 0; s < finalSize; s++) {
    packed[4 * s] = fBase[s] as number;
    packed[4 * s + 1] = fCheck[s] as number;
    packed[4 * s + 2] = firstOut[s] as number;
    packed[4 * s + 3] = fail[s] as number;
  }
  return {
    base: fBase,
    check: fCheck,
    fail,
    depth,
    out,
    firstOut,
    nextOut,
    packed,
    states: nodes,
    root: ROOT,
  };
}

/**
 * One Aho–Corasick transition over `packed` ([base, check, ·, fail] per state, root 0): the child of
 * `s` on symbol `c`, following failure links until one has it; the root when none does.
 */
export function step(packed: Int32Array, s: number, c: number): number {
  for (;;) {
    const t = (packed[4 * s] as number) + c;
    if (packed[4 * t + 1] === s) return t;
    if (s === ROOT) return ROOT;
    s = packed[4 * s + 3] as number;
  }
}

/** The bit a symbol sets in a successor signature (see pairSignatures). */
export function sigBit(sym: number): number {
  return 1 << (Math.imul(sym, 0x9e3779b1) >>> 27);
}

/**
 * Per symbol, a 32-bit signature of the symbols that follow it as the first two of some key: bit
 * `sigBit(next)` is set for every key that begins with (symbol, next). A clear bit proves that no key
 * begins with the pair, i.e. that the symbol's depth-1 state has no child on `next`. Indexed by symbol
 * (0 .. the largest symbol); symbols beyond it have no successors.
 */
export function pairSignatures(ac: Automaton): Int32Array {
  const { packed, check } = ac;
  const rootBase = packed[4 * ROOT] as number;
  let maxSymbol = 0;
  for (let st = 1; st < check.length; st++) {
    if (check[st] === ROOT && st - rootBase > maxSymbol) maxSymbol = st - rootBase;
  }
  const sig = new Int32Array(maxSymbol + 1);
  for (let st = 1; st < check.length; st++) {
    const parent = check[st] as number;
    if (parent <= ROOT || check[parent] !== ROOT) continue; // only children of depth-1 states
    const first = parent - rootBase;
    sig[first] = (sig[first] as number) | sigBit(st - (packed[4 * parent] as number));
  }
  return sig;
}
