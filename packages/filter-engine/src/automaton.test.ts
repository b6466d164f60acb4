import { buildAutomaton, type Automaton } from './automaton';

/** Every (keyId, endIndex) the automaton reports on `text`, by walking it like the filter does. */
function occurrences(ac: Automaton, text: readonly number[]): string[] {
  const found: string[] = [];
  let s = ac.root;
  text.forEach((c, j) => {
    for (;;) {
      const t = (ac.base[s] as number) + c;
      if (ac.check[t] === s) {
        s = t;
        break;
      }
      if (s === ac.root) break;
      s = ac.fail[s] as number;
    }
    for (let o = ac.firstOut[s] as number; o >= 0; o = ac.nextOut[o] as number) {
      found.push(`${ac.out[o] as number}@${j - (ac.depth[o] as number) + 1}`);
    }
  });
  return found.sort();
}

function naive(keys: readonly (readonly number[])[], text: readonly number[]): string[] {
  const found: string[] = [];
  keys.forEach((k, id) => {
    for (let i = 0; i + k.length <= text.length; i++) {
      if (k.every((c, x) => text[i + x] === c)) found.push(`${id}@${i}`);
    }
  });
  return found.sort();
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('buildAutomaton', () => {
  it('finds the classic he/she/his/hers occurrences', () => {
    const enc = (w: string): number[] => [...w].map((ch) => ch.charCodeAt(0) - 96);
    const keys = ['he', 'she', 'his', 'hers'].map(enc);
    const ac = buildAutomaton(
      keys.map((symbols, id) => ({ symbols, id })),
      26,
    );
    expect(occurrences(ac, enc('ushers'))).toEqual(['0@2', '1@1', '3@2']);
  });

  it.each([
    [4, 30, 1],
    [20, 300, 2],
    [3000, 5000, 3],
  ])('agrees with a naive search (alphabet %i, %i keys)', (alphabet, keyCount, seed) => {
    const rnd = prng(seed);
    const seen = new Set<string>();
    const keys: number[][] = [];
    while (keys.length < keyCount) {
      const len = 1 + Math.floor(rnd() * 5);
      const k = Array.from({ length: len }, () => 1 + Math.floor(rnd() * alphabet));
      if (seen.has(k.join())) continue;
      seen.add(k.join());
      keys.push(k);
    }
    const ac = buildAutomaton(
      keys.map((symbols, id) => ({ symbols, id })),
      alphabet,
    );
    for (let n = 0; n < 50; n++) {
      // texts built partly from keys so that there are many overlapping hits
      const text: number[] = [];
      while (text.length < 200) {
        if (rnd() < 0.5) text.push(...(keys[Math.floor(rnd() * keys.length)] as number[]));
        else text.push(1 + Math.floor(rnd() * alphabet));
      }
      expect(occurrences(ac, text)).toEqual(naive(keys, text));
    }
  });

  it('keeps the first id of keys with identical symbols', () => {
    const ac = buildAutomaton(
      [
        { symbols: [1, 2], id: 5 },
        { symbols: [3], id: 6 },
        { symbols: [1, 2], id: 7 },
        { symbols: [3], id: 8 },
        { symbols: [2], id: 9 },
      ],
      3,
    );
    expect(occurrences(ac, [1, 2, 3])).toEqual(['5@0', '6@2', '9@1']);
  });

  /** Layout invariants the matcher relies on; returns the broken ones (checked cell by cell). */
  function layoutProblems(ac: Automaton, alphabet: number): string[] {
    const problems: string[] = [];
    const size = ac.base.length;
    for (const a of [ac.check, ac.fail, ac.depth, ac.out, ac.firstOut, ac.nextOut]) {
      if (a.length !== size) problems.push('array lengths differ');
    }
    if (ac.packed.length !== 4 * size) problems.push('packed length');
    if (ac.check[ac.root] !== -2) problems.push('check[root]');
    let states = 0;
    for (let s = 0; s < size && problems.length < 5; s++) {
      if (s === ac.root || (ac.check[s] as number) >= 0) {
        states++;
        // base[s] + c stays inside the arrays for every symbol, including 0
        if ((ac.base[s] as number) + alphabet >= size) problems.push(`padding at ${s}`);
      } else if (ac.check[s] !== -1 || ac.out[s] !== -1 || ac.firstOut[s] !== -1) {
        problems.push(`free cell ${s}`);
      }
      const p = 4 * s;
      if (
        ac.packed[p] !== ac.base[s] ||
        ac.packed[p + 1] !== ac.check[s] ||
        ac.packed[p + 2] !== ac.firstOut[s] ||
        ac.packed[p + 3] !== ac.fail[s]
      ) {
        problems.push(`packed at ${s}`);
      }
    }
    if (states !== ac.states) problems.push(`states ${states} != ${ac.states}`);
    return problems;
  }

  it('stays well formed and correct when its work arrays must grow', () => {
    // Children spread over the whole alphabet next to children in one dense block leave holes that
    // the blocks cannot use, so the double array outgrows its first estimate; the long keys outgrow
    // the trie's.
    const alphabet = 1000;
    const keys: number[][] = [];
    for (let i = 1; i <= 30; i++) {
      if (i % 2 === 1) for (let a = 1; a <= alphabet; a += 50) keys.push([i, a]);
      else for (let c = 1; c <= 60; c++) keys.push([i, c]);
    }
    for (let i = 0; i < 10; i++) {
      keys.push(Array.from({ length: 3000 }, (_, j) => 1 + ((i * 7 + j * 13) % 50)));
    }
    const ac = buildAutomaton(
      keys.map((symbols, id) => ({ symbols, id })),
      alphabet,
    );
    expect(layoutProblems(ac, alphabet)).toEqual([]);
    const rnd = prng(4);
    for (let n = 0; n < 20; n++) {
      const text: number[] = [];
      while (text.length < 300) {
        const k = keys[Math.floor(rnd() * (keys.length - 10))] as number[];
        if (rnd() < 0.5) text.push(...k);
        else text.push(Math.floor(rnd() * (alphabet + 1)));
      }
      expect(occurrences(ac, text)).toEqual(naive(keys, text));
    }
    const long = keys[keys.length - 1] as number[];
    expect(occurrences(ac, long)).toContain(`${keys.length - 1}@0`);
  });

  it('is well formed on a random key set', () => {
    const rnd = prng(5);
    const keys = Array.from({ length: 2000 }, (_, id) => ({
      symbols: Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => 1 + Math.floor(rnd() * 40)),
      id,
    }));
    expect(layoutProblems(buildAutomaton(keys, 40), 40)).toEqual([]);
  });

  it('handles an empty key set', () => {
    const ac = buildAutomaton([], 0);
    expect(occurrences(ac, [1, 2, 3])).toEqual([]);
  });
});
