import { parseDictionary } from './dictionary';
import { FilterError } from './errors';
import { createWordFilter } from './word-filter';

describe('parseDictionary', () => {
  it('reads the text format: word[,policy[,category]], comments, allow lines', () => {
    const text = [
      '# roomcast dictionary',
      '赌博, reject, gambling',
      'fuck',
      '  spam , review   # inline comment',
      '',
      'classic,allow',
      '#hashtag,reject', // a whole-line comment
      'c#,review', // a # not preceded by a space belongs to the word
      'tail,mask\r',
    ].join('\n');
    expect(parseDictionary(text, 'text')).toEqual({
      entries: [
        { word: '赌博', policy: 'reject', category: 'gambling' },
        { word: 'fuck', policy: 'mask' },
        { word: 'spam', policy: 'review' },
        { word: 'c#', policy: 'review' },
        { word: 'tail', policy: 'mask' },
      ],
      allow: ['classic'],
    });
  });

  it('applies defaultPolicy', () => {
    expect(parseDictionary('a\nb,review', 'text', { defaultPolicy: 'reject' }).entries).toEqual([
      { word: 'a', policy: 'reject' },
      { word: 'b', policy: 'review' },
    ]);
  });

  it('reads the JSON format: strings and objects', () => {
    const json = JSON.stringify([
      '傻逼',
      { word: 'shit', policy: 'mask', category: 'profanity' },
      { word: 'a, b', policy: 'review' },
      { word: 'scunthorpe', policy: 'allow' },
    ]);
    expect(parseDictionary(json, 'json')).toEqual({
      entries: [
        { word: '傻逼', policy: 'mask' },
        { word: 'shit', policy: 'mask', category: 'profanity' },
        { word: 'a, b', policy: 'review' },
      ],
      allow: ['scunthorpe'],
    });
  });

  it('feeds createWordFilter directly', () => {
    const f = createWordFilter(parseDictionary('赌博,reject\nass\nclassic,allow', 'text'));
    expect(f.check('賭博').verdict).toBe('reject');
    expect(f.check('a$$').verdict).toBe('mask');
  });

  it('lists every problem of a text file with its line number', () => {
    const err = capture(() => parseDictionary('ok\n,mask\nx,bogus\na,b,c,d\nfine', 'text'));
    expect(err).toBeInstanceOf(FilterError);
    expect(err).toMatchObject({ code: 'BAD_DICTIONARY' });
    expect((err as FilterError).details?.problems).toEqual([
      'line 2: empty word',
      'line 3: unknown policy "bogus" (mask, review, reject or allow)',
      'line 4: expected word[,policy[,category]], got 4 fields',
    ]);
  });

  it.each([
    ['not json', 'not valid JSON'],
    ['{"word":"x"}', 'not an array'],
  ])('rejects %j as BAD_DICTIONARY', (text, problem) => {
    const err = capture(() => parseDictionary(text, 'json'));
    expect(err).toMatchObject({ code: 'BAD_DICTIONARY', details: { problems: [problem] } });
  });

  it('lists every bad JSON item', () => {
    const err = capture(() =>
      parseDictionary(JSON.stringify([1, { word: 2 }, { word: 'x', policy: 3 }, 'ok']), 'json'),
    );
    expect((err as FilterError).details?.problems).toEqual([
      'item 0: expected a string or an object',
      'item 1: "word" must be a string',
      'item 2: "policy" must be a string',
    ]);
  });

  it('rejects an unknown format as BAD_OPTIONS', () => {
    expect(capture(() => parseDictionary('', 'csv' as never))).toMatchObject({ code: 'BAD_OPTIONS' });
  });
});

function capture(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
