import { parseArgs } from 'node:util';
import { AppError } from '@roomcast/errors';
import { DEFAULT_JAEGER_QUERY_URL } from './jaeger';

/** MongoDB database the services use by default (`MONGO_DB`). */
export const DEFAULT_MONGO_DB = 'roomcast';

export const USAGE = `roomcast-trace: where did this message go, and where did it wait?

  roomcast-trace <messageId | roomId:seq | userId:clientMsgId | traceId> [options]

  Looks the message up in MongoDB (its trace id is stored with it), fetches the trace from
  Jaeger and prints the path: each hop with service, span, start offset and duration, the Kafka
  queue time before each consumer hop, and the fan-out per gateway. A 32-hex trace id (a log
  line's trace_id) goes to Jaeger directly.

  --json               print the report as JSON
  --mongo-url URL      MongoDB of the services (default: $MONGO_URL)
  --mongo-db NAME      their database (default: $MONGO_DB, else ${DEFAULT_MONGO_DB})
  --jaeger-url URL     Jaeger query UI/API (default: $JAEGER_QUERY_URL, else ${DEFAULT_JAEGER_QUERY_URL})
  --wait S             keep asking Jaeger up to S seconds until the path is complete (services
                       export spans every OTEL_BSP_SCHEDULE_DELAY ms; default 0: ask once)
  -h, --help

Exit code: 0 the whole path is traced; 1 no such message; 2 bad usage; 3 no trace to show (no
trace id stored, sampled out, or not in Jaeger: tracing export was off); 4 the trace is
incomplete (hops missing, or a parent link broken); 5 MongoDB or Jaeger could not be reached.`;

export interface TraceCliOptions {
  target: string;
  json: boolean;
  mongoUrl?: string;
  mongoDb: string;
  jaegerUrl: string;
  waitMs: number;
}

/** Flags win over the environment (`MONGO_URL`, `MONGO_DB`, `JAEGER_QUERY_URL`). Throws AppError CONFIG_INVALID. */
export function parseTraceCli(
  argv: string[],
  env: Record<string, string | undefined>,
): { help: true } | { help: false; options: TraceCliOptions } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        'mongo-url': { type: 'string' },
        'mongo-db': { type: 'string' },
        'jaeger-url': { type: 'string' },
        wait: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new AppError('CONFIG_INVALID', err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length !== 1 || !positionals[0]) {
    throw new AppError(
      'CONFIG_INVALID',
      'name exactly one message: <messageId | roomId:seq | userId:clientMsgId | traceId>',
    );
  }
  const wait = values.wait === undefined ? 0 : Number(values.wait);
  if (!Number.isFinite(wait) || wait < 0)
    throw new AppError('CONFIG_INVALID', `--wait: not a number of seconds: ${values.wait}`);
  const mongoUrl = values['mongo-url'] ?? (env.MONGO_URL || undefined);
  return {
    help: false,
    options: {
      target: positionals[0],
      json: values.json,
      ...(mongoUrl !== undefined ? { mongoUrl } : {}),
      mongoDb: values['mongo-db'] ?? (env.MONGO_DB || DEFAULT_MONGO_DB),
      jaegerUrl: values['jaeger-url'] ?? (env.JAEGER_QUERY_URL || DEFAULT_JAEGER_QUERY_URL),
      waitMs: Math.round(wait * 1000),
    },
  };
}
