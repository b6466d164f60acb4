import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface CreateLoggerOptions {
  /** Service name, put on every line as `service`. */
  name: string;
  /** pino level; default `info`. */
  level?: string;
  /** Extra paths to redact; tokens, secrets and authorization headers are always redacted. */
  redact?: string[];
  /** Where lines go; default stdout. Tests pass a stream to read lines back. */
  destination?: pino.DestinationStream;
}

const ALWAYS_REDACT = [
  'token',
  '*.token',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.JWT_SECRET',
  'JWT_SECRET',
];

/** A pino logger that redacts credentials and stamps the active trace and span ids on every line. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const pinoOptions: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    base: { service: options.name },
    redact: { paths: [...ALWAYS_REDACT, ...(options.redact ?? [])], censor: '***' },
    // The active span's ids; a line that names them itself (a batch handler logging about one
    // of its messages: `traceFields(span)` in @roomcast/telemetry) keeps its own.
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const ctx = span.spanContext();
      if (!isSpanContextValid(ctx)) return {};
      return { trace_id: ctx.traceId, span_id: ctx.spanId };
    },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** A logger that writes nothing, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
