import type { BusRecord } from '@roomcast/bus';
import { parseJson } from '@roomcast/contracts';
import {
  ATTR,
  extractTraceContext,
  getTracer,
  SpanKind,
  SpanStatusCode,
  trace,
  withSpan,
  type Context,
  type Span,
  type Attributes,
} from '@roomcast/telemetry';
import type { z } from 'zod';

const tracer = getTracer('roomcast');

/** One record of a batch, decoded once by `decodeBatch`. */
export interface DecodedRecord<T> {
  readonly record: BusRecord;
  readonly event: T;
  /** The record's CONSUMER span, a child of the trace its headers carry; ended by `decodeBatch`. */
  readonly span: Span;
  /** The context of `span`: publish under it so the next hop continues this record's trace. */
  readonly context: Context;
}

/**
 * Decodes a batch: each record's value is parsed against its topic schema ONCE and gets ONE
 * CONSUMER span that continues the record's trace; then `fn` handles the whole batch (one Redis
 * or database round trip, one publish). A record that does not fit throws AppError BAD_EVENT
 * before `fn` runs, so nothing is published for the batch: the bus then handles it record by
 * record and dead-letters the bad one (consumer-runner.ts). Every span ends when `fn` settles,
 * marked with the error if it failed.
 */
export async function decodeBatch<S extends z.ZodType, T>(
  spanName: string,
  schema: S,
  records: readonly BusRecord[],
  fn: (batch: DecodedRecord<z.infer<S>>[]) => Promise<T>,
): Promise<T> {
  const spans: Span[] = [];
  try {
    const batch = records.map((record): DecodedRecord<z.infer<S>> => {
      const parent = extractTraceContext(record.headers);
      const span = tracer.startSpan(spanName, recordSpanOptions(record), parent);
      spans.push(span);
      return {
        record,
        event: parseJson(schema, record.value, 'BAD_EVENT'),
        span,
        context: trace.setSpan(parent, span),
      };
    });
    return await fn(batch);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    for (const span of spans) {
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    throw err;
  } finally {
    for (const span of spans) span.end();
  }
}

/**
 * Parses one record's value against its topic schema (AppError BAD_EVENT when it does not fit,
 * which the bus dead-letters) and runs `fn` in a CONSUMER span that continues the record's
 * trace, so anything `fn` publishes carries the same trace. For a handler that works record by
 * record; a batch handler uses `decodeBatch`.
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
    { ...recordSpanOptions(record), parent: extractTraceContext(record.headers) },
    (span) => fn(parseJson(schema, record.value, 'BAD_EVENT'), span),
  );
}

function recordSpanOptions(record: BusRecord): { kind: SpanKind; attributes: Attributes } {
  return {
    kind: SpanKind.CONSUMER,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.destination.name': record.topic,
      'messaging.kafka.partition': record.partition,
      'messaging.kafka.offset': record.offset,
      'messaging.kafka.message.key': record.key,
      // When the record was produced: the next hop's queue time is this span's start minus it.
      [ATTR.recordTimestampMs]: record.timestamp,
    },
  };
}

/** `topic/partition/offset`: identifies one record, e.g. to tell a replay from a resend. */
export function recordSource(record: BusRecord): string {
  return `${record.topic}/${record.partition}/${record.offset}`;
}
