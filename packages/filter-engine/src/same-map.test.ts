import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

/**
 * A speed property, checked in a child process because it needs V8's natives syntax: a filter compiled
 * in the worker and one built in this thread must share hidden classes (filter, prescanner,
 * normaliser), or check() runs ~15% slower where the filter service uses both (test/same-map.ts).
 */
test('filters compiled in the worker and inline share V8 hidden classes', async () => {
  const { stdout } = await run(
    process.execPath,
    ['--allow-natives-syntax', '--import', 'tsx', join('packages', 'filter-engine', 'test', 'same-map.ts')],
    { cwd: ROOT, timeout: 60_000 },
  );
  expect(JSON.parse(stdout)).toEqual({
    compilerMode: 'worker',
    sameResult: true,
    filter: true,
    twoInline: true,
    prescanner: true,
    normaliser: true,
  });
});
