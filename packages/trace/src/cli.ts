// Entry point of `roomcast-trace`: the only file of the package with process-level side effects.
import { AppError } from '@roomcast/errors';
import { MongoMessageStore } from '@roomcast/store';
import { USAGE, parseTraceCli } from './args';
import { JaegerError } from './jaeger';
import { parseTarget } from './lookup';
import { formatReport } from './report';
import { traceMessage, type TraceStatus } from './trace-message';

const EXIT_USAGE = 2;
const EXIT_UNREACHABLE = 5;
const EXIT_BY_STATUS: Record<TraceStatus, number> = {
  ok: 0,
  'not-found': 1,
  'no-trace-id': 3,
  'sampled-out': 3,
  'not-in-jaeger': 3,
  incomplete: 4,
};
/** How long a lookup waits for a reachable MongoDB before giving up, ms. */
const MONGO_SERVER_SELECTION_TIMEOUT_MS = 5000;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseTraceCli(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`roomcast-trace: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  const o = parsed.options;
  const target = parseTarget(o.target);
  if (target.kind === 'message' && o.mongoUrl === undefined) {
    console.error('roomcast-trace: set --mongo-url or MONGO_URL to look a message up (or pass a trace id)');
    return EXIT_USAGE;
  }
  const store =
    target.kind === 'message' && o.mongoUrl !== undefined
      ? new MongoMessageStore({
          uri: o.mongoUrl,
          dbName: o.mongoDb,
          serverSelectionTimeoutMS: MONGO_SERVER_SELECTION_TIMEOUT_MS,
        })
      : undefined;
  try {
    const report = await traceMessage(o.target, target, {
      ...(store ? { store } : {}),
      jaegerUrl: o.jaegerUrl,
      waitMs: o.waitMs,
    });
    // A verdict other than ok is the report's last line (and the exit code).
    console.log(o.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return EXIT_BY_STATUS[report.status];
  } finally {
    await store?.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const what = err instanceof AppError || err instanceof JaegerError ? err.message : String(err);
    console.error(`roomcast-trace: ${what}`);
    process.exitCode = EXIT_UNREACHABLE;
  },
);
