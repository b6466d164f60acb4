import type { BusRecord } from '@roomcast/bus';
import { parseJson } from '@roomcast/contracts';
import { extractTraceContext, getTracer, SpanKind, withSpan, type Span } from '@roomcast/telemetry';
import type { z } from 'zod';

const tracer = getTracer('roomcast');

/**
 * Parses a record's value against its topic schema (AppError BAD_EVENT when it does not fit,
 * which the bus dead-letters) and runs `fn` in a CONSUMER span that continues the record's
 * trace, so anything `fn` publishes carries the same trace.
 */
export function processRecord<S extends z.ZodType, T>(
  spanName: string,
  schema: S,
  record: BusRecord,
  fn: (event: z.infer<S>, span: Span) => Promise<T>,
): Promise<T> {
  return withSpan(
    tracer,
    spanName,
    {
      kind: SpanKind.CONSUMER,
      parent: extractTraceContext(record.headers),
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': record.topic,
        'messaging.kafka.partition': record.partition,
        'messaging.kafka.offset': record.offset,
        'messaging.kafka.message.key': record.key,
      },
    },
    (span) => fn(parseJson(schema, record.value, 'BAD_EVENT'), span),
  );
}

/** `topic/partition/offset`: identifies one record, e.g. to tell a replay from a resend. */
export function recordSource(record: BusRecord): string {
  return `${record.topic}/${record.partition}/${record.offset}`;
}
