import { FilterError } from './errors';
import type { FilterEntry, MatchKind, Verdict } from './types';
import { createWordFilter } from './word-filter';

const ENTRIES: FilterEntry[] = [
  { word: '赌博', policy: 'reject', category: 'gambling' },
  { word: '傻逼', policy: 'mask', category: 'insult' },
  { word: '微信', policy: 'review', category: 'contact' },
  { word: '台独', policy: 'reject', category: 'politics' },
  { word: '妈的', policy: 'mask' },
  { word: '操你妈', policy: 'mask' },
  { word: 'fuck', policy: 'mask', category: 'profanity' },
  { word: 'shit', policy: 'mask', category: 'profanity' },
  { word: 'spam', policy: 'review' },
  { word: 'ass', policy: 'mask' },
  { word: 'cunt', policy: 'mask' },
  { word: 'boob', policy: 'mask' },
  { word: 'cum', policy: 'mask' },
  { word: 'sex', policy: 'review' },
  { word: 'kill yourself', policy: 'reject', category: 'harm' },
  // artificial words that only numbers would spell if digits were read as letters
  { word: 'iooo', policy: 'reject' },
  { word: 'sss', policy: 'reject' },
  { word: 'ioi', policy: 'reject' },
  { word: 'epm', policy: 'reject' },
  { word: 'mpe', policy: 'reject' },
];
const ALLOW = ['classic', 'scunthorpe', '平台独家', 'cum laude'];

const filter = createWordFilter({ entries: ENTRIES, allow: ALLOW });

/** [text, expected word] — each must be caught with that word. */
type Dirty = readonly [text: string, word: string];

function expectCaught(text: string, word: string, kind: MatchKind = 'exact'): void {
  const r = filter.check(text);
  const hit = r.matches.find((m) => m.word === word);
  if (hit === undefined)
    throw new Error(`expected ${JSON.stringify(text)} to match ${word}, got ${JSON.stringify(r)}`);
  expect(hit.kind).toBe(kind);
  expect(r.verdict).not.toBe('allow');
}

function expectClean(text: string): void {
  const r = filter.check(text);
  expect({ text, matches: r.matches }).toEqual({ text, matches: [] });
  expect(r.verdict).toBe('allow');
  expect(r.text).toBe(text);
  expect(filter.verdictOf(text)).toBe('allow');
}

describe('createWordFilter: API shape', () => {
  it('reports verdict, masked text and matches with offsets into the original text', () => {
    const r = filter.check('you FUCK, 去赌博吧');
    expect(r.verdict).toBe('reject');
    expect(r.text).toBe('you ****, 去赌博吧');
    expect(r.matches).toEqual([
      { word: 'fuck', policy: 'mask', category: 'profanity', start: 4, end: 8, kind: 'exact' },
      { word: '赌博', policy: 'reject', category: 'gambling', start: 11, end: 13, kind: 'exact' },
    ]);
    expect(filter.verdictOf('you FUCK, 去赌博吧')).toBe('reject');
  });

  it('returns allow with the text untouched and a shared empty match list when clean', () => {
    const a = filter.check('hello everyone 大家好');
    const b = filter.check('good game');
    expect(a).toEqual({ verdict: 'allow', text: 'hello everyone 大家好', matches: [] });
    expect(a.matches).toBe(b.matches);
    expect(Object.isFrozen(a.matches)).toBe(true);
  });

  it.each<[string, Verdict]>([
    ['shit', 'mask'],
    ['spam', 'review'],
    ['shit spam', 'review'],
    ['spam 赌博 shit', 'reject'],
    ['nothing here', 'allow'],
  ])('verdict of %j is the strongest policy: %s', (text, verdict) => {
    expect(filter.check(text).verdict).toBe(verdict);
    expect(filter.verdictOf(text)).toBe(verdict);
  });

  it('masks only mask-policy matches, one star per visible character', () => {
    expect(filter.check('f\u200Bu\u200Bc\u200Bk off').text).toBe('**** off');
    expect(filter.check('fu🎲ck').text).toBe('*****');
    expect(filter.check('𝐟𝐮𝐜𝐤!').text).toBe('****!');
    expect(filter.check('傻逼 spam').text).toBe('** spam');
    expect(filter.check('傻逼傻逼').text).toBe('****');
  });
});

describe('case, width and compatibility forms', () => {
  it.each<Dirty>([
    ['FUCK', 'fuck'],
    ['FuCk', 'fuck'],
    ['ＦＵＣＫ', 'fuck'],
    ['ｆｕｃｋ', 'fuck'],
    ['ⓕⓤⓒⓚ', 'fuck'],
    ['ⒻⓊⒸⓀ', 'fuck'],
    ['𝐟𝐮𝐜𝐤', 'fuck'],
    ['𝕗𝕦𝕔𝕜', 'fuck'],
    ['𝓯𝓾𝓬𝓴', 'fuck'],
    ['🅵🆄🅲🅺', 'fuck'],
    ['🄵🅄🄲🄺', 'fuck'],
    ['ᶠᵘᶜᵏ', 'fuck'],
    ['fúck', 'fuck'],
    ['fu\u0301ck', 'fuck'],
    ['ꜱʜɪᴛ', 'shit'],
    ['ＳＰＡＭ', 'spam'],
    ['赌\uFE0F博', '赌博'],
  ])('%j -> %s', (text, word) => expectCaught(text, word));
});

describe('separators between the characters of a word', () => {
  it.each<Dirty>([
    ['f.u.c.k', 'fuck'],
    ['f u c k', 'fuck'],
    ['f  u  c  k', 'fuck'],
    ['f-u-c-k', 'fuck'],
    ['f_u_c_k', 'fuck'],
    ['f*u*c*k', 'fuck'],
    ['fu.ck', 'fuck'],
    ['fu-ck you', 'fuck'],
    ['f\u200Bu\u200Cc\u200Dk', 'fuck'],
    ['f\u2060uck', 'fuck'],
    ['s🔥h🔥i🔥t', 'shit'],
    ['s.hit', 'shit'],
    ['加我微*信', '微信'],
    ['加我微 信', '微信'],
    ['加我微\u3000信', '微信'],
    ['赌🎲博', '赌博'],
    ['赌 博', '赌博'],
    ['赌---博', '赌博'],
    ['赌\u200B博', '赌博'],
    ['傻.逼', '傻逼'],
    ['傻😂逼', '傻逼'],
    ['傻❤️逼', '傻逼'],
    ['kill   yourself', 'kill yourself'],
    ['KILL YOURSELF', 'kill yourself'],
  ])('%j -> %s', (text, word) => expectCaught(text, word));

  it.each([
    'this hit song',
    'spa mode',
    'as spam mer', // "as", "spam" is a word on its own: must match spam, not be joined
    'grass sit',
    'I bought a boo bottle',
    'the fu check',
    'killyourself is one token', // a phrase entry needs its space
  ])('does not join letters across real words: %j', (text) => {
    const r = filter.check(text);
    expect(r.matches.filter((m) => m.word !== 'spam')).toEqual([]);
  });

  it('still finds a whole word next to the spaced words', () => {
    expect(filter.check('as spam mer').matches.map((m) => m.word)).toEqual(['spam']);
  });

  it.each(['我要去赌。博物馆', '赌\n博', '赌，博物馆', '傻！逼', '微、信'])(
    'never matches across line breaks or CJK sentence punctuation: %j',
    (text) => expectClean(text),
  );
});

describe('confusables and leet', () => {
  it.each<Dirty>([
    ['ѕһіt', 'shit'], // Cyrillic ѕ һ і
    ['shіt', 'shit'], // Cyrillic і only
    ['аss', 'ass'], // Cyrillic а
    ['сunt', 'cunt'], // Cyrillic с
    ['ѕрам', 'spam'], // Cyrillic ѕ р а м
    ['fυck', 'fuck'], // Greek υ
    ['$hit', 'shit'],
    ['sh1t', 'shit'],
    ['sh!t', 'shit'],
    ['5hit', 'shit'],
    ['a$$', 'ass'],
    ['@ss', 'ass'],
    ['b00b', 'boob'],
    ['$ex', 'sex'],
    ['S3X', 'sex'],
    ['ＳＨ１Ｔ', 'shit'],
  ])('%j -> %s', (text, word) => expectCaught(text, word));

  it.each([
    'I paid 1000 dollars',
    'call 555 0134',
    'room 101 at 3pm',
    'my mp3 player',
    'Samsung A55 is cheap',
    'US$5 only',
    '5 hits in a row',
    'wow! what a save!',
    'email me@example.com',
    'score 3:1',
    '1000', // alone
  ])('digits in ordinary numbers stay digits: %j', (text) => expectClean(text));
});

describe('traditional and simplified Chinese', () => {
  it.each<Dirty>([
    ['賭博', '赌博'],
    ['賭 博', '赌博'],
    ['傻逼', '傻逼'],
    ['傻.逼', '傻逼'],
    ['媽的', '妈的'],
    ['操你媽', '操你妈'],
    ['加我微信', '微信'],
    ['臺獨', '台独'], // 臺 -> 台 via OpenCC TSCharacters
    ['台獨', '台独'],
  ])('%j -> %s', (text, word) => expectCaught(text, word));

  it('matches a traditional dictionary entry in simplified text', () => {
    const f = createWordFilter({ entries: [{ word: '龍門陣', policy: 'review' }] });
    expect(f.check('摆龙门阵').verdict).toBe('review');
  });
});

describe('word boundaries (Latin) and none (CJK)', () => {
  it.each([
    'classic',
    'a classic assassin',
    'Scunthorpe United',
    'SCUNTHORPE',
    'passage',
    'cucumber',
    'document',
    'shitake', // a single token that only starts with the word
    'sussex',
    'essex',
    'spammy',
    'grasshopper',
    'hello everyone',
    'massive',
  ])('clean: %j', (text) => expectClean(text));

  it('finds CJK words inside CJK text without boundaries', () => {
    expectCaught('你们都是傻逼吗', '傻逼');
    expectCaught('加我微信号', '微信');
    expectCaught('赌博网站', '赌博');
  });

  it('treats a CJK neighbour as a Latin word boundary', () => {
    expectCaught('你fuck吗', 'fuck');
    expectCaught('操shit操', 'shit');
  });

  it('needs the boundaries digits and letters give', () => {
    expectCaught('fuck123', 'fuck');
    expectClean('fuckyou');
  });
});

describe('entries with digits', () => {
  const f = createWordFilter({
    entries: [
      { word: '8964', policy: 'review' },
      { word: 'qq123', policy: 'review' },
    ],
  });

  it.each(['8964', '8 9 6 4', '8.9.6.4', '８９６４', '纪念8964', 'a8964', 'QQ123'])('matches %j', (text) => {
    expect(f.check(text).verdict).toBe('review');
  });

  it.each(['89640', '189645', '8964.5', 'qq1234'])('keeps number boundaries: %j', (text) => {
    expect(f.check(text).verdict).toBe('allow');
  });
});

describe('URLs and handles', () => {
  it.each<Dirty>([
    ['www.fuck.com', 'fuck'],
    ['@shit_lord', 'shit'],
    ['#spam', 'spam'],
  ])('%j -> %s', (text, word) => expectCaught(text, word));
});

describe('allow-list', () => {
  it('suppresses matches fully inside an allowed occurrence', () => {
    expectClean('平台独家内容');
    expectClean('magna cum laude');
    expectClean('Magna CUM   Laude');
  });

  it('keeps matches outside or only partly inside an allowed occurrence', () => {
    expectCaught('平台独家 台独', '台独');
    expectCaught('cum laude? no, cum', 'cum');
    expectCaught('cum', 'cum');
    expectCaught('台独立场', '台独');
  });

  it('is normalised like the text', () => {
    expectClean('平臺獨家');
    expectClean('ＳＣＵＮＴＨＯＲＰＥ');
  });
});

describe('repeated letters (kind repeat)', () => {
  it.each<Dirty>([
    ['fuuuuck', 'fuck'],
    ['FUUUCK', 'fuck'],
    ['fffuck', 'fuck'],
    ['shiiiiit', 'shit'],
    ['asssss', 'ass'],
    ['f.u.u.u.c.k', 'fuck'],
  ])('%j -> %s', (text, word) => expectCaught(text, word, 'repeat'));

  it('reports an occurrence found without collapsing as exact, once', () => {
    const r = filter.check('fuck fuuuck');
    expect(r.matches.map((m) => `${m.kind}@${m.start}-${m.end}`)).toEqual(['exact@0-4', 'repeat@5-11']);
  });

  it.each(['sooo good', 'classsssic', 'yesss', 'hmmm', 'aaaaah', 'grasss'])('clean: %j', (text) =>
    expectClean(text),
  );

  it('does not collapse a double letter (fuuck is not a repeat)', () => {
    expectClean('fuuck');
  });

  it('can be turned off', () => {
    const f = createWordFilter({ entries: ENTRIES, repeats: false });
    expect(f.check('fuuuuck').verdict).toBe('allow');
  });
});

describe('pinyin of CJK entries (kind pinyin)', () => {
  const f = createWordFilter({ entries: ENTRIES, pinyin: true, pinyinMinLetters: 4 });

  it('finds spaced pinyin whose first syllable is one letter (a li ba ba), with the prescan on', () => {
    const g = createWordFilter({
      entries: [
        { word: '阿里巴巴', policy: 'mask' },
        { word: '额外', policy: 'mask' },
      ],
      pinyin: true,
      pinyinMinLetters: 4,
    });
    for (const [text, word, start] of [
      ['a li ba ba', '阿里巴巴', 0],
      ['hello a li ba ba', '阿里巴巴', 6],
      ['e wai', '额外', 0],
      ['so e wai', '额外', 3],
    ] as const) {
      expect(g.check(text).matches).toEqual([
        expect.objectContaining({ word, kind: 'pinyin', start, end: text.length }),
      ]);
    }
  });

  it.each<[string, string]>([
    ['dubo', '赌博'],
    ['DuBo', '赌博'],
    ['du bo', '赌博'],
    ['d u b o', '赌博'],
    ['shabi', '傻逼'],
    ['sha bi', '傻逼'],
    ['taidu', '台独'],
    ['weixin', '微信'],
  ])('%j -> %s', (text, word) => {
    const r = f.check(text);
    expect(r.matches).toEqual([
      expect.objectContaining({ word, kind: 'pinyin', start: 0, end: text.length }),
    ]);
  });

  it('caps a pinyin match at review', () => {
    expect(f.check('dubo').verdict).toBe('review');
    expect(f.check('dubo').matches[0]?.policy).toBe('review');
    expect(f.check('shabi').verdict).toBe('mask');
    expect(f.check('shabi').text).toBe('*****');
  });

  it.each(['duboisia', 'weixing', 'dub o', 'sha bit'])('clean: %j', (text) => {
    expect(f.check(text).matches).toEqual([]);
  });

  it('accepts the false positives of short forms only when asked (made for 妈的)', () => {
    expect(f.check('I made it').matches).toEqual([expect.objectContaining({ word: '妈的', kind: 'pinyin' })]);
  });

  it('skips pinyin forms under 5 letters by default (made for 妈的, dubo for 赌博)', () => {
    const d = createWordFilter({ entries: ENTRIES, pinyin: true });
    expect(d.check('I made it').verdict).toBe('allow');
    expect(d.check('dubo').verdict).toBe('allow');
    expect(d.check('shabi').verdict).toBe('mask');
  });

  it('is off by default', () => {
    expect(filter.check('shabi').verdict).toBe('allow');
  });
});

describe('bad input', () => {
  it('refuses text over maxTextLength with TEXT_TOO_LONG before matching', () => {
    const f = createWordFilter({ entries: ENTRIES, maxTextLength: 10 });
    expect(f.check('fuck fuck!').verdict).toBe('mask');
    const err = captureError(() => f.check('fuck fuck!!'));
    expect(err).toBeInstanceOf(FilterError);
    expect(err).toMatchObject({ code: 'TEXT_TOO_LONG', retriable: false });
    expect(captureError(() => f.verdictOf('x'.repeat(11)))).toMatchObject({ code: 'TEXT_TOO_LONG' });
  });

  it('defaults maxTextLength to 2000 UTF-16 code units', () => {
    expect(filter.check('a'.repeat(2000)).verdict).toBe('allow');
    expect(captureError(() => filter.check('a'.repeat(2001)))).toMatchObject({ code: 'TEXT_TOO_LONG' });
  });

  it('keeps offsets right around lone surrogates and control characters', () => {
    const t1 = '\uD800fuck\uDC00';
    expect(filter.check(t1).matches[0]).toMatchObject({ start: 1, end: 5 });
    expect(filter.check(t1).text).toBe('\uD800****\uDC00');
    const t2 = '\u0000\u0007sh\u0001it\u007F';
    expect(filter.check(t2).matches[0]).toMatchObject({ word: 'shit', start: 2, end: 7 });
    const t3 = '\uDC00\uD800赌\uDBFF博';
    expect(filter.check(t3).matches[0]).toMatchObject({ word: '赌博', start: 2, end: 5 });
    const t4 = '😀😀fuck';
    expect(filter.check(t4).matches[0]).toMatchObject({ start: 4, end: 8 });
  });

  it('survives any code unit sequence', () => {
    let seed = 7;
    for (let n = 0; n < 300; n++) {
      let s = '';
      for (let i = 0; i < 50; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        s += String.fromCharCode(seed % 3 === 0 ? 0xd800 + (seed % 0x800) : seed % 0x10000);
      }
      const r = filter.check(s + ' fuck');
      expect(r.matches.at(-1)).toMatchObject({ word: 'fuck', start: s.length + 1, end: s.length + 5 });
    }
  });

  it('lists every unusable entry at once as BAD_DICTIONARY', () => {
    const err = captureError(() =>
      createWordFilter({
        entries: [
          { word: '', policy: 'mask' },
          { word: '!!!', policy: 'mask' },
          { word: 'ok', policy: 'nope' as never },
          { word: 'a\nb', policy: 'mask' },
          { word: 'fine', policy: 'mask' },
        ],
      }),
    );
    expect(err).toBeInstanceOf(FilterError);
    expect(err).toMatchObject({ code: 'BAD_DICTIONARY' });
    expect((err as FilterError).details?.problems).toHaveLength(4);
  });

  it('names the unusable items by index, so the rest can be compiled', () => {
    const err = captureError(() =>
      createWordFilter({
        entries: [
          { word: 'fine', policy: 'mask' },
          { word: '***', policy: 'mask' },
          { word: 'good', policy: 'bad' as never },
        ],
        allow: ['classic', '...', 42 as never],
      }),
    );
    expect((err as FilterError).details).toMatchObject({ badEntries: [1, 2], badAllow: [1, 2] });
  });

  it('rejects a bad maxTextLength as BAD_OPTIONS', () => {
    expect(captureError(() => createWordFilter({ entries: [], maxTextLength: 0 }))).toMatchObject({
      code: 'BAD_OPTIONS',
    });
  });
});

describe('dictionary merging', () => {
  it('keeps the strongest policy when two entries normalise alike', () => {
    const f = createWordFilter({
      entries: [
        { word: 'Fuck', policy: 'mask' },
        { word: 'ＦＵＣＫ', policy: 'reject', category: 'x' },
        { word: 'f.u.c.k', policy: 'review' },
      ],
    });
    expect(f.check('fuck').matches).toEqual([
      { word: 'ＦＵＣＫ', policy: 'reject', category: 'x', start: 0, end: 4, kind: 'exact' },
    ]);
    expect(f.stats.keys).toBe(1);
  });

  it('reports overlapping matches of different entries', () => {
    const f = createWordFilter({
      entries: [
        { word: '操你妈', policy: 'reject' },
        { word: '你妈', policy: 'mask' },
      ],
    });
    const r = f.check('操你妈的');
    expect(r.matches.map((m) => [m.word, m.start, m.end])).toEqual([
      ['操你妈', 0, 3],
      ['你妈', 1, 3],
    ]);
    expect(r.verdict).toBe('reject');
    expect(r.text).toBe('操**的');
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
