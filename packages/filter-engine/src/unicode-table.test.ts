import { buildCjkFoldMap } from './cjk-fold';
import { Normaliser, F_LATIN, F_PIECE_END, F_PIECE_START, F_RESET } from './normaliser';
import { C_ALPHA, C_CJK, C_HARD, C_IGNORE, C_SOFT, C_SPACE, WORD_GAP, unicodeTable } from './unicode-table';

function normalised(text: string): string {
  const n = new Normaliser(16);
  n.run(text);
  let out = '';
  for (let i = 0; i < n.count; i++) {
    const c = n.norm[i] as number;
    out += c === WORD_GAP ? '⎵' : String.fromCodePoint(c);
  }
  return out;
}

describe('Traditional -> Simplified folding from the OpenCC tables', () => {
  const fold = buildCjkFoldMap();

  it('is the OpenCC character table, not a hand list', () => {
    expect(fold.size).toBeGreaterThan(3000);
  });

  it.each([
    ['賭', '赌'],
    ['龍', '龙'],
    ['後', '后'],
    ['髮', '发'],
    ['發', '发'],
    ['臺', '台'],
    ['為', '为'], // Taiwan variant of 爲
    ['溫', '温'],
    ['峯', '峰'],
  ])('%s -> %s', (t, s) => {
    expect(String.fromCodePoint(fold.get(t.codePointAt(0) as number) as number)).toBe(s);
  });

  it('leaves simplified characters alone', () => {
    for (const ch of '赌博发后台么干') {
      const to = fold.get(ch.codePointAt(0) as number);
      expect(to === undefined || String.fromCodePoint(to) === ch).toBe(true);
    }
  });
});

describe('the per-code-point table', () => {
  const t = unicodeTable();
  const cls = (ch: string): number => t.cls[ch.codePointAt(0) as number] as number;

  it.each([
    ['\u200B', C_IGNORE],
    ['\u200D', C_IGNORE],
    ['\uFE0F', C_IGNORE],
    ['\u0301', C_IGNORE],
    ['\u3164', C_IGNORE],
    ['\u0000', C_IGNORE],
    [' ', C_SPACE],
    ['\u3000', C_SPACE],
    ['\n', C_HARD],
    ['。', C_HARD],
    ['，', C_HARD],
    [',', C_SOFT],
    ['🎲', C_SOFT],
    ['*', C_SOFT],
    ['Ω', C_ALPHA],
    ['赌', C_CJK],
    ['か', C_CJK],
    ['한', C_CJK],
  ])('class of %j', (ch, c) => expect(cls(ch)).toBe(c));

  it.each([
    ['ＡＢＣ', 'abc'],
    ['ⓐⓑⓒ', 'abc'],
    ['𝐚𝐛𝐜', 'abc'],
    ['ß', 'ss'],
    ['ﬁ', 'fi'],
    ['㎏', 'kg'],
    ['Ⅻ', 'xii'],
    ['①', '1'],
    ['éèê', 'eee'],
    ['ЅОАРСЕ', 'soapce'],
    ['賭博', '赌博'],
    ['が', 'が'],
    ['\uF900', '岂'], // CJK compatibility ideograph -> unified (豈) -> simplified
  ])('%j normalises to %j', (text, want) => expect(normalised(text)).toBe(want));
});

describe('Normaliser separator rule', () => {
  it.each([
    ['f u c k', 'fuck'],
    ['f.u.c.k', 'fuck'],
    ['fu.ck', 'fuck'],
    ['this hit', 'this⎵hit'],
    ['a bit', 'a⎵bit'],
    ['fu ck', 'fu⎵ck'],
    ['赌 博', '赌博'],
    ['赌 x 博', '赌x博'],
    ['wow!', 'wow'],
    ['sh1t 2024', 'shit⎵2024'],
    ['a55', 'a55'],
    ['5hit', 'shit'],
  ])('%j -> %j', (text, want) => expect(normalised(text)).toBe(want));

  it('flags piece boundaries and resets with original offsets', () => {
    const n = new Normaliser(16);
    n.run('ab.c\n赌');
    const rows = Array.from({ length: n.count }, (_, i) => [
      String.fromCodePoint(n.norm[i] as number),
      n.start[i],
      n.end[i],
      ((n.flags[i] as number) & F_LATIN) !== 0,
      ((n.flags[i] as number) & F_PIECE_START) !== 0,
      ((n.flags[i] as number) & F_PIECE_END) !== 0,
      ((n.flags[i] as number) & F_RESET) !== 0,
    ]);
    expect(rows).toEqual([
      ['a', 0, 1, true, true, false, false],
      ['b', 1, 2, true, false, true, false],
      ['c', 3, 4, true, true, true, false],
      ['赌', 5, 6, false, true, true, true],
    ]);
  });

  it('grows its buffers for long input', () => {
    const n = new Normaliser(4);
    n.run('x'.repeat(1000));
    expect(n.count).toBe(1000);
    expect(n.end[999]).toBe(1000);
  });
});
