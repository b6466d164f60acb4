import {
  context,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';

export { SpanKind, SpanStatusCode, context, trace, type Context, type Span, type Tracer, type Attributes };

/**
 * Span attributes roomcast sets, and the sampler reads (a root span's room and user decide
 * whether a debugging list forces it in: `OTEL_SAMPLE_ROOMS`, `OTEL_SAMPLE_USERS`).
 */
export const ATTR = {
  roomId: 'roomcast.room_id',
  userId: 'roomcast.user_id',
  clientMsgId: 'roomcast.client_msg_id',
  messageId: 'roomcast.message_id',
  seq: 'roomcast.seq',
  gatewayId: 'roomcast.gateway_id',
  /** Sockets of this gateway the message is written to (one span per delivery, never per socket). */
  fanout: 'roomcast.fanout',
  /** Gateways notification routed the message to. */
  gateways: 'roomcast.gateways',
  /** Producer timestamp of the record a CONSUMER span handles, ms since epoch: queue time = span start − this. */
  recordTimestampMs: 'roomcast.kafka.timestamp_ms',
  /** Why a root span was sampled although the ratio might have left it out: `room` or `user`. */
  sampledBy: 'roomcast.sampled_by',
} as const;

/** Kafka header values arrive as Buffer | string | (Buffer|string)[] | undefined. */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

const headerGetter: TextMapGetter<RecordHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const v = carrier[key];
    if (v === undefined) return undefined;
    if (Array.isArray(v)) return v.map((x) => x.toString());
    return v.toString();
  },
};

const headerSetter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/** W3C trace headers (`traceparent`, `tracestate`) for the given (default: active) context. */
export function injectTraceHeaders(ctx: Context = context.active(), into: Record<string, string> = {}): Record<string, string> {
  propagation.inject(ctx, into, headerSetter);
  return into;
}

/** The context carried by a record's W3C trace headers (the active context if none). */
export function extractTraceContext(headers: RecordHeaders | undefined, base: Context = context.active()): Context {
  if (!headers) return base;
  return propagation.extract(base, headers, headerGetter);
}

export function getTracer(name: string): Tracer {
  return trace.getTracer(name);
}

/**
 * Runs `fn` inside a new span (child of `parent`, default the active context); records
 * exceptions and ends the span when the promise settles.
 */
export async function withSpan<T>(
  tracer: Tracer,
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.recordException(err instanceof Error ? err : new Error(String(err)));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}

/** The trace id of the active span, or undefined. */
export function activeTraceId(): string | undefined {
  return trace.getActiveSpan()?.spanContext().traceId;
}

/** What a W3C `traceparent` header says. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  /** The sampled flag: false = the trace was left out by sampling, nothing of it is exported. */
  sampled: boolean;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE_ID = '0'.repeat(32);

/** Parses a W3C traceparent header (undefined if malformed or the all-zero invalid id). */
export function parseTraceparent(traceparent: string | undefined): TraceParent | undefined {
  if (!traceparent) return undefined;
  const m = TRACEPARENT.exec(traceparent);
  if (!m || m[1] === INVALID_TRACE_ID) return undefined;
  return { traceId: m[1] as string, spanId: m[2] as string, sampled: (parseInt(m[3] as string, 16) & 1) === 1 };
}

/** Parses a W3C traceparent header into its trace id (undefined if malformed). */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return parseTraceparent(traceparent)?.traceId;
}

/**
 * `trace_id` / `span_id` of a span for a log line about the message it traces, when the line is
 * written outside that span's context (a batch handler handles many messages, so the logger's
 * own stamp — the active span — is not the message's). Empty for an invalid (no-op) span.
 */
export function traceFields(span: Span | undefined): { trace_id?: string; span_id?: string } {
  const ctx = span?.spanContext();
  if (ctx === undefined || ctx.traceId === INVALID_TRACE_ID) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}
