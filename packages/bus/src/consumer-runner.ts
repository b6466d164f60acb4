import { dlqTopic, HEADERS } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import { traceIdOf } from '@roomcast/telemetry';
import type { BatchHandler, BusRecord, ConsumerEvents, OutgoingRecord } from './message-bus';
import { headerValue } from './record-headers';

/**
 * Retries of a batch (and then of each record) that fails with an UNKNOWN error (not an AppError,
 * no `retriable` flag: most likely a bug) before that record is dead-lettered as HANDLER_FAILED.
 * Errors marked retriable are retried without a bound; see `runBatch`.
 */
export const DEFAULT_MAX_RETRIES = 5;
/** First retry backoff; doubles per retry, with jitter. */
export const DEFAULT_RETRY_BASE_MS = 100;
/**
 * Default cap of one backoff sleep, in ms. Short because it is also how late a consumer notices
 * that an outage (Kafka, Redis, MongoDB restarting) is over: one attempt per partition every 2 s
 * costs nothing, a 30 s cap cost up to 30 s of extra delay after every outage.
 */
export const DEFAULT_RETRY_MAX_BACKOFF_MS = 2_000;
/** Backoffs longer than this are slept in slices with a heartbeat between (Kafka session). */
const HEARTBEAT_SLICE_MS = 1_000;
/** `x-error-message` is cut to this many characters. */
const MAX_ERROR_MESSAGE_CHARS = 1_000;
/** A retriable failure still there after this many retries is logged once as a warning. */
const WARN_AFTER_RETRIES = 10;

export interface RetryPolicy {
  /** Retries of an unknown error (see DEFAULT_MAX_RETRIES) before it is dead-lettered. */
  maxRetries: number;
  /** First backoff in ms; attempt n sleeps base * 2^(n-1), half of it jittered, capped. */
  retryBaseMs: number;
  /** Cap of one backoff in ms. Default DEFAULT_RETRY_MAX_BACKOFF_MS. */
  maxBackoffMs?: number;
}

/** Counters the runner increments; the bus exposes them through `stats()`. */
export interface RunnerCounters {
  consumed: number;
  retried: number;
  deadLettered: number;
}

/** What a bus adapter gives the runner for one batch. */
export interface BatchRunContext {
  handler: BatchHandler;
  policy: RetryPolicy;
  /** Publishes one record (the bus's own `publish`); used for `<topic>.dlq`. */
  publish(topic: string, records: OutgoingRecord[]): Promise<void>;
  /** Called in offset order for every record that is finished (handled or dead-lettered). */
  markDone(record: BusRecord): void;
  /** Keeps a Kafka session alive during retries; its errors (rebalance) propagate. */
  heartbeat?(): Promise<void>;
  /** Aborted when the subscription stops: backoffs end at once and no new attempt starts. */
  signal: AbortSignal;
  /** Extra stop condition checked before each attempt (kafkajs isRunning / isStale). */
  isActive?(): boolean;
  counters: RunnerCounters;
  /** The subscription's metric hooks (SubscribeOptions.events). */
  events?: ConsumerEvents | undefined;
  logger?: Logger;
}

/**
 * How the runner treats a handler failure:
 * - `transient`: an AppError (or any error) marked `retriable: true` — the adapters' codes for an
 *   unreachable Kafka, Redis or MongoDB. Retried until it succeeds or the subscription stops;
 *   never dead-lettered, because the record is fine and the outage will end.
 * - `unknown`: no `retriable` flag (a plain Error, most likely a bug). Retried `maxRetries` times,
 *   then dead-lettered as HANDLER_FAILED: a bug must not stall every room of the partition.
 * - `bad`: marked `retriable: false` (BAD_EVENT: the record does not decode or fit its schema).
 *   Not retried; dead-lettered.
 */
export type FailureKind = 'transient' | 'unknown' | 'bad';

export function failureKind(error: unknown): FailureKind {
  const flag =
    error instanceof AppError
      ? error.retriable
      : error !== null && typeof error === 'object' && 'retriable' in error
        ? error.retriable
        : undefined;
  if (typeof flag !== 'boolean') return 'unknown';
  return flag ? 'transient' : 'bad';
}

type Attempt = { ok: true } | { ok: false; error: unknown };
const OK: Attempt = { ok: true };
/** Returned when the subscription stopped before the work was finished. */
const ABORTED = Symbol('aborted');

/**
 * Runs `handler` over one partition's batch with the bus's retry/DLQ policy (see FailureKind):
 *   1. the whole batch; a transient failure is retried with capped exponential backoff + jitter
 *      until it succeeds or the subscription stops, an unknown one up to `maxRetries` times;
 *   2. then (or at once, when the failure is `bad`) record by record, each with the same
 *      retries; a record that still fails goes to `<topic>.dlq` with the error in its headers
 *      (see `deadLetterRecord`) and a warning, and counts as done.
 * Returns how many records, from the start of the batch, are done; fewer than all only when
 * the subscription stopped meanwhile (the rest is redelivered to whoever owns the partition next).
 */
export async function runBatch(records: BusRecord[], ctx: BatchRunContext): Promise<number> {
  if (records.length === 0 || !active(ctx)) return 0;
  const whole = await attemptWithRetries(records, ctx);
  if (whole === ABORTED) return 0;
  if (whole.ok) {
    for (const record of records) ctx.markDone(record);
    ctx.counters.consumed += records.length;
    return records.length;
  }

  let done = 0;
  for (const record of records) {
    if (!active(ctx)) return done;
    // A batch of one already had its retries.
    const single = records.length === 1 ? whole : await attemptWithRetries([record], ctx);
    if (single === ABORTED) return done;
    if (single.ok) {
      ctx.counters.consumed += 1;
    } else {
      const sent = await deadLetter(record, single.error, ctx);
      if (!sent) return done;
    }
    ctx.markDone(record);
    done += 1;
  }
  return done;
}

/** Attempts until success, a `bad` failure, an `unknown` one past `maxRetries`, or a stop. */
async function attemptWithRetries(
  records: BusRecord[],
  ctx: BatchRunContext,
): Promise<Attempt | typeof ABORTED> {
  let result = await attempt(records, ctx.handler);
  for (let retry = 1; !result.ok; retry++) {
    const kind = failureKind(result.error);
    if (kind === 'bad' || (kind === 'unknown' && retry > ctx.policy.maxRetries)) return result;
    const first = records[0];
    const where = { topic: first?.topic, partition: first?.partition, offset: first?.offset };
    if (retry === WARN_AFTER_RETRIES) {
      ctx.logger?.warn(
        { ...where, code: errorCode(result.error), retry, records: records.length },
        'handler keeps failing with a retriable error; retrying until it succeeds',
      );
    } else {
      ctx.logger?.debug(
        { ...where, err: result.error, retry, records: records.length },
        'handler failed, retrying',
      );
    }
    if (!(await backoff(retry, ctx))) return ABORTED;
    ctx.counters.retried += 1;
    if (first !== undefined) ctx.events?.retry?.(first.topic, errorCode(result.error));
    result = await attempt(records, ctx.handler);
  }
  return result;
}

async function attempt(records: BusRecord[], handler: BatchHandler): Promise<Attempt> {
  try {
    await handler(records);
    return OK;
  } catch (error) {
    return { ok: false, error };
  }
}

/** Publishes to the DLQ, retrying until it is accepted or the subscription stops (then false). */
async function deadLetter(record: BusRecord, error: unknown, ctx: BatchRunContext): Promise<boolean> {
  const letter = deadLetterRecord(record, error);
  const topic = dlqTopic(record.topic);
  // The code and the AppError's own message, never `err` with its cause chain: a JSON parser's
  // SyntaxError quotes the record's bytes. Only an unknown error (a bug) is logged whole, stack
  // included, since that is what fixing it takes.
  ctx.logger?.warn(
    {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      code: errorCode(error),
      ...(error instanceof AppError ? { error: error.message } : { err: error }),
      // The trace the record belongs to (its traceparent header), so the line leads to it.
      trace_id: traceIdOf(headerValue(record.headers[HEADERS.traceparent])),
    },
    'dead-lettering record',
  );
  for (let attemptNo = 1; ; attemptNo++) {
    try {
      await ctx.publish(topic, [letter]);
      ctx.counters.deadLettered += 1;
      ctx.events?.deadLettered?.(record, errorCode(error));
      return true;
    } catch (publishError) {
      // Losing the record is worse than stalling the partition: keep trying while we own it.
      ctx.logger?.error({ err: publishError, topic }, 'dead-letter publish failed, retrying');
      if (!(await backoff(attemptNo, ctx))) return false;
    }
  }
}

/** The AppError code of `error`, else HANDLER_FAILED (as in the DLQ headers). */
function errorCode(error: unknown): string {
  return error instanceof AppError ? error.code : 'HANDLER_FAILED';
}

/**
 * The `<topic>.dlq` record for `record` that failed with `error`: same key and value, the
 * original headers (so the trace continues), plus x-error-code (the AppError code, else
 * HANDLER_FAILED), x-error-message and x-source-topic/partition/offset.
 */
export function deadLetterRecord(record: BusRecord, error: unknown): OutgoingRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    const text = headerValue(value);
    if (text !== undefined) headers[name] = text;
  }
  const message = error instanceof Error ? error.message : String(error);
  headers[HEADERS.errorCode] = errorCode(error);
  headers[HEADERS.errorMessage] = message.slice(0, MAX_ERROR_MESSAGE_CHARS);
  headers[HEADERS.sourceTopic] = record.topic;
  headers[HEADERS.sourcePartition] = String(record.partition);
  headers[HEADERS.sourceOffset] = record.offset;
  return { key: record.key, value: record.value, headers };
}

/** Backoff before retry number `retry` (1-based): base * 2^(retry-1), the upper half jittered. */
export function backoffMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = policy.maxBackoffMs ?? DEFAULT_RETRY_MAX_BACKOFF_MS;
  const exp = Math.min(cap, policy.retryBaseMs * 2 ** Math.min(retry - 1, 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Sleeps the backoff for `retry`; false if the subscription stopped meanwhile. */
async function backoff(retry: number, ctx: BatchRunContext): Promise<boolean> {
  let remaining = backoffMs(retry, ctx.policy);
  while (remaining > 0) {
    const slice = ctx.heartbeat ? Math.min(remaining, HEARTBEAT_SLICE_MS) : remaining;
    if (!(await sleep(slice, ctx.signal))) return false;
    remaining -= slice;
    if (ctx.heartbeat) await ctx.heartbeat();
  }
  return active(ctx);
}

function active(ctx: BatchRunContext): boolean {
  return !ctx.signal.aborted && (ctx.isActive?.() ?? true);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
