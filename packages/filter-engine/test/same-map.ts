/*
 * Run by src/same-map.test.ts as `node --allow-natives-syntax --import tsx test/same-map.ts`: prints,
 * as JSON, whether filters (and their prescanners and normalisers) made in this thread and filters
 * compiled in the worker share V8 hidden classes. The filter service uses both side by side (its
 * global filter comes from the worker, small room overlays are built inline); two classes make
 * check()'s property reads polymorphic, ~15% slower (BENCHMARKS.md).
 */
import { FilterCompiler } from '../src/compiler';
import type { WordFilterOptions } from '../src/types';
import { createWordFilter } from '../src/word-filter';

// %HaveSameMap is V8 natives syntax: only a parser started with --allow-natives-syntax accepts it,
// and TypeScript never does, hence the Function constructor.
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

const OPTIONS: WordFilterOptions = {
  entries: [
    { word: '赌博', policy: 'reject', category: 'gambling' },
    { word: 'fuck', policy: 'mask' },
    { word: 'kill yourself', policy: 'review' },
  ],
  allow: ['classic'],
  pinyin: true,
};

type Inner = { prescanner: object; normaliser: object };

async function main(): Promise<void> {
  const inline = createWordFilter(OPTIONS);
  const other = createWordFilter({ entries: [{ word: 'spam', policy: 'mask' }] });
  const compiler = new FilterCompiler();
  const viaWorker = await compiler.compile(OPTIONS);
  const a = inline as unknown as Inner;
  const b = viaWorker as unknown as Inner;
  const result = {
    compilerMode: compiler.mode,
    sameResult:
      JSON.stringify(inline.check('ＦＵＣＫ 賭🎲博 kill  yourself')) ===
      JSON.stringify(viaWorker.check('ＦＵＣＫ 賭🎲博 kill  yourself')),
    filter: haveSameMap(inline, viaWorker),
    twoInline: haveSameMap(inline, other),
    prescanner: haveSameMap(a.prescanner, b.prescanner),
    normaliser: haveSameMap(a.normaliser, b.normaliser),
  };
  await compiler.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n');
  process.exit(1);
});
