import { maskSpans } from './mask';
import { createWordFilter } from './word-filter';

describe('maskSpans', () => {
  const filter = createWordFilter({
    entries: [
      { word: 'fuck', policy: 'mask' },
      { word: '傻逼', policy: 'mask' },
      { word: 'shit', policy: 'mask' },
      { word: 'spam', policy: 'review' },
    ],
  });

  it("masks check()'s mask matches: one star per visible character, zero-width and astral included", () => {
    const cases: [string, string][] = [
      ['ＦＵＣＫ you', '**** you'],
      ['f\u200bu\u200bck', '****'],
      ['f.u.c.k', '*******'],
      ['傻🔥逼', '***'],
      ['shit fuck shit', '**** **** ****'],
      ['spam fuck', 'spam ****'],
      ['𝐟𝐮𝐜𝐤!', '****!'],
      ['clean', 'clean'],
    ];
    for (const [text, masked] of cases) {
      const spans = filter.check(text).matches.filter((m) => m.policy === 'mask');
      expect(maskSpans(text, spans)).toBe(masked);
      expect(filter.check(text).text).toBe(masked); // check() masks through maskSpans
    }
  });

  it('merges overlapping spans and keeps text outside them', () => {
    expect(
      maskSpans('abcdefgh', [
        { start: 1, end: 4 },
        { start: 3, end: 6 },
      ]),
    ).toBe('a*****gh');
    expect(
      maskSpans('abcdefgh', [
        { start: 6, end: 8 },
        { start: 0, end: 1 },
      ]),
    ).toBe('*bcdef**');
    expect(maskSpans('a\u200bb', [{ start: 0, end: 3 }])).toBe('**');
    expect(maskSpans('x😀y', [{ start: 1, end: 3 }])).toBe('x*y');
    expect(maskSpans('same', [])).toBe('same');
  });
});
