// Entry point of `roomcast-load`: the only file of the package with process-level side effects.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AppError } from '@roomcast/errors';
import { USAGE, parseCli } from './args';
import { RunFailure, runLoad } from './coordinator';
import { createLiveDisplay } from './progress';
import { formatSummary } from './report';
import { renderHtmlReport } from './report-html';

const EXIT_OK = 0;
const EXIT_STREAM_PROBLEMS = 1;
const EXIT_USAGE = 2;
const EXIT_RUN_FAILED = 3;

function write(path: string, text: string): void {
  const full = resolve(path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`roomcast-load: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.help) {
    console.log(USAGE);
    return EXIT_OK;
  }
  const options = parsed.options;
  const live = createLiveDisplay(process.stderr);
  const report = await runLoad(options, { onSecond: (s) => live.update(s) }).finally(() => live.done());
  console.log(formatSummary(report));
  if (options.jsonPath) write(options.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  if (options.htmlPath) write(options.htmlPath, renderHtmlReport(report));
  if (report.connections.joined === 0) {
    console.error('roomcast-load: no connection joined a room; nothing was measured');
    return EXIT_RUN_FAILED;
  }
  return report.verdict.ok ? EXIT_OK : EXIT_STREAM_PROBLEMS;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const what = err instanceof RunFailure || err instanceof AppError ? err.message : String(err);
    console.error(`roomcast-load: run failed: ${what}`);
    if (err instanceof Error && err.cause) console.error(err.cause);
    process.exitCode = EXIT_RUN_FAILED;
  },
);
