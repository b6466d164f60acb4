import { FilterCompiler } from './compiler';
import { FilterError } from './errors';
import type { FilterEntry, WordFilterOptions } from './types';
import { createWordFilter } from './word-filter';

const OPTIONS: WordFilterOptions = {
  entries: [
    { word: '赌博', policy: 'reject', category: 'gambling' },
    { word: '傻逼', policy: 'mask' },
    { word: 'fuck', policy: 'mask' },
    { word: 'kill yourself', policy: 'reject' },
    { word: 'spam', policy: 'review' },
  ],
  allow: ['classic'],
  pinyin: true,
};
const TEXTS = [
  'hello everyone',
  'ＦＵＣＫ 賭🎲博',
  'f.u.c.k this',
  'kill   yourself',
  'classic spam',
  '傻 逼',
  'dubo la',
  'sha bi',
  'fuuuck',
  'nothing here 666',
];

/** Many entries, so that compiling takes long enough to watch the event loop meanwhile. */
function bigDictionary(n: number): FilterEntry[] {
  const out: FilterEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      word: String.fromCharCode(0x4e00 + ((i * 7919) % 20000), 0x4e00 + ((i * 104729) % 20000)),
      policy: 'mask',
    });
    out.push({ word: `zq${i.toString(36)}x`, policy: 'review' });
  }
  return out;
}

describe('FilterCompiler', () => {
  let compiler: FilterCompiler;
  let fallbacks: Error[];
  beforeEach(() => {
    fallbacks = [];
    compiler = new FilterCompiler({ onFallback: (e) => fallbacks.push(e) });
  });
  afterEach(async () => {
    await compiler.close();
  });

  it('compiles in a worker thread a filter that gives the same results as createWordFilter', async () => {
    const remote = await compiler.compile(OPTIONS);
    const local = createWordFilter(OPTIONS);
    expect(compiler.mode).toBe('worker');
    expect(fallbacks).toEqual([]);
    for (const t of TEXTS) {
      expect(remote.check(t)).toEqual(local.check(t));
      expect(remote.verdictOf(t)).toBe(local.verdictOf(t));
    }
    expect(remote.check('ＦＵＣＫ 賭🎲博').verdict).toBe('reject');
    expect(remote.stats.keys).toBe(local.stats.keys);
    // a second compile reuses the worker
    const again = await compiler.compile({ entries: [{ word: 'spam', policy: 'reject' }] });
    expect(again.check('spam').verdict).toBe('reject');
    expect(fallbacks).toEqual([]);
  });

  it('sends dictionary errors back as the same FilterError, details included', async () => {
    const err = await compiler
      .compile({
        entries: [
          { word: '!!!', policy: 'mask' },
          { word: 'ok', policy: 'nope' as 'mask' },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FilterError);
    expect(err).toMatchObject({ code: 'BAD_DICTIONARY' });
    expect((err as FilterError).details?.problems).toHaveLength(2);
    // the worker survives a failed compile
    await expect(compiler.compile(OPTIONS)).resolves.toBeDefined();
    expect(compiler.mode).toBe('worker');
  });

  it('leaves the event loop running while a large dictionary compiles', async () => {
    await compiler.compile(OPTIONS); // the worker is up and its tables are loaded
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const started = ticks;
      const filter = await compiler.compile({ entries: bigDictionary(15_000), pinyin: true });
      // Compiled on this thread, the interval could not have fired until the compile returned.
      expect(ticks - started).toBeGreaterThanOrEqual(3);
      expect(filter.stats.entries).toBe(30_000);
    } finally {
      clearInterval(timer);
    }
  });

  it('finishes outstanding compiles on the calling thread when the worker dies', async () => {
    await compiler.compile(OPTIONS);
    // large enough to be still compiling when the worker is killed
    const pending = compiler.compile({ ...OPTIONS, entries: [...OPTIONS.entries, ...bigDictionary(15_000)] });
    await (compiler as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const filter = await pending;
    expect(filter.stats.entries).toBe(30_005);
    expect(filter.check('ＦＵＣＫ').verdict).toBe('mask');
    expect(compiler.mode).toBe('inline');
    expect(fallbacks).toHaveLength(1);
  });

  it('compiles inline when asked to', async () => {
    const inline = new FilterCompiler({ inline: true });
    expect(inline.mode).toBe('inline');
    const f = await inline.compile(OPTIONS);
    expect(f.check('f.u.c.k').verdict).toBe('mask');
    await inline.close();
  });
});
