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

  it('handles an empty key set', () => {
    const ac = buildAutomaton([], 0);
    expect(occurrences(ac, [1, 2, 3])).toEqual([]);
  });
});
