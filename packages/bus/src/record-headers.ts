import { HEADERS } from '@roomcast/contracts';
import { injectTraceHeaders, type RecordHeaders } from '@roomcast/telemetry';

/**
 * W3C trace headers of the active context, computed once per `publish` call (not per record:
 * every record of one call shares the caller's context).
 */
export function activeTraceHeaders(): Record<string, string> {
  return injectTraceHeaders();
}

/**
 * The headers a record is published with: its own, plus `trace` unless it already carries a
 * `traceparent` (a forwarded or dead-lettered record keeps the trace it came with).
 */
export function outgoingHeaders(
  own: Record<string, string> | undefined,
  trace: Record<string, string>,
): Record<string, string> {
  if (own === undefined) return { ...trace };
  if (own[HEADERS.traceparent] !== undefined) return { ...own };
  return { ...trace, ...own };
}

/** A received header value as a string (repeated headers joined with `,`), or undefined. */
export function headerValue(value: RecordHeaders[string]): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((v) => v.toString()).join(',');
  return value.toString();
}
