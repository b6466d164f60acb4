import { z } from 'zod';

/** Jaeger's query UI/API default address (`scripts/infra.sh` runs it there). */
export const DEFAULT_JAEGER_QUERY_URL = 'http://127.0.0.1:16686';

const Tag = z.object({ key: z.string(), type: z.string().optional(), value: z.unknown() });
const Reference = z.object({ refType: z.string(), traceID: z.string(), spanID: z.string() });

/** One span as Jaeger's query API (`GET /api/traces/<id>`) returns it. */
const JaegerSpan = z.object({
  traceID: z.string(),
  spanID: z.string(),
  operationName: z.string(),
  references: z.array(Reference).nullish(),
  /** µs since epoch. */
  startTime: z.number(),
  /** µs. */
  duration: z.number(),
  tags: z.array(Tag).nullish(),
  processID: z.string(),
});
export type JaegerSpan = z.infer<typeof JaegerSpan>;

const JaegerTrace = z.object({
  traceID: z.string(),
  spans: z.array(JaegerSpan),
  processes: z.record(z.string(), z.object({ serviceName: z.string(), tags: z.array(Tag).nullish() })),
});
export type JaegerTrace = z.infer<typeof JaegerTrace>;

const TracesResponse = z.object({ data: z.array(JaegerTrace).nullish() });

/** Why a trace could not be had from Jaeger. */
export class JaegerError extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'bad-response',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'JaegerError';
  }
}

/**
 * `GET <baseUrl>/api/traces/<traceId>` — the trace, or undefined when Jaeger has none of its
 * spans (404: never exported, sampled out, or evicted from its store). Throws JaegerError when
 * Jaeger cannot be reached or answers something else.
 */
export async function fetchJaegerTrace(
  baseUrl: string,
  traceId: string,
  timeoutMs = 10_000,
): Promise<JaegerTrace | undefined> {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/traces/${encodeURIComponent(traceId)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new JaegerError(
      `cannot reach Jaeger at ${baseUrl}: ${err instanceof Error ? err.message : String(err)}`,
      'unreachable',
      { cause: err },
    );
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new JaegerError(`Jaeger answered ${res.status} to ${url}`, 'bad-response');
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    throw new JaegerError(`Jaeger's answer to ${url} is not JSON`, 'bad-response', { cause: err });
  }
  const parsed = TracesResponse.safeParse(body);
  if (!parsed.success)
    throw new JaegerError(
      `Jaeger's answer to ${url} is not a trace: ${parsed.error.message}`,
      'bad-response',
    );
  const trace = parsed.data.data?.find((t) => t.traceID === traceId) ?? parsed.data.data?.[0];
  return trace && trace.spans.length > 0 ? trace : undefined;
}

/** The link to the trace in Jaeger's UI. */
export function jaegerTraceUrl(baseUrl: string, traceId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/trace/${traceId}`;
}
