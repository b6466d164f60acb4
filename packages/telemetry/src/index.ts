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

/** Parses a W3C traceparent header into its trace id (undefined if malformed). */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  if (!traceparent) return undefined;
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent);
  return m?.[1];
}
