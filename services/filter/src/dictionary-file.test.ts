import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@roomcast/errors';
import { createWordFilter } from '@roomcast/filter-engine';
import { DEFAULT_DICTIONARY_FILE, loadBaseDictionary } from './dictionary-file';

const dir = mkdtempSync(join(tmpdir(), 'filter-dict-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function configError(fn: () => unknown): AppError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe('CONFIG_INVALID');
  return caught as AppError;
}

describe('loadBaseDictionary', () => {
  it('turns the env lists into reject/blocked and mask entries', () => {
    expect(loadBaseDictionary({ blockedWords: ['badword'], maskedWords: ['darn'] })).toEqual({
      entries: [
        { word: 'badword', policy: 'reject', category: 'blocked' },
        { word: 'darn', policy: 'mask' },
      ],
      allow: [],
    });
  });

  it('reads text and JSON files after the env words', () => {
    const text = file('d.txt', '# c\n赌博,reject,gambling\nspam,review # inline\nclassic,allow\nheck\n');
    expect(loadBaseDictionary({ blockedWords: ['x'], file: text })).toEqual({
      entries: [
        { word: 'x', policy: 'reject', category: 'blocked' },
        { word: '赌博', policy: 'reject', category: 'gambling' },
        { word: 'spam', policy: 'review' },
        { word: 'heck', policy: 'mask' },
      ],
      allow: ['classic'],
    });
    const json = file('d.JSON', JSON.stringify(['a', { word: 'b', policy: 'reject', category: 'c' }, { word: 'ok', policy: 'allow' }]));
    expect(loadBaseDictionary({ file: json })).toEqual({ entries: [{ word: 'a', policy: 'mask' }, { word: 'b', policy: 'reject', category: 'c' }], allow: ['ok'] });
  });

  it('refuses a malformed file with CONFIG_INVALID naming every bad line', () => {
    const bad = file('bad.txt', 'ok\nw,explode\na,b,c,d\n');
    const err = configError(() => loadBaseDictionary({ file: bad }));
    expect(err.message).toContain(bad);
    expect(err.message).toContain('line 2');
    expect(err.message).toContain('line 3');
    configError(() => loadBaseDictionary({ file: join(dir, 'missing.txt') }));
  });

  it('ships a default list that parses and compiles, without the words the e2e scenario sends', () => {
    const base = loadBaseDictionary({ file: DEFAULT_DICTIONARY_FILE });
    expect(base.entries.length).toBeGreaterThan(5);
    const filter = createWordFilter(base);
    expect(filter.check('来赌博').matches[0]?.category).toBe('gambling');
    for (const text of ['hello 1', 'only once', 'barrier', 'in S', 'well it']) expect(filter.check(text).verdict).toBe('allow');
  });
});
