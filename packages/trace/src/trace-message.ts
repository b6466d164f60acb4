import type { MessageStore, StoredMessage } from '@roomcast/store';
import { fetchJaegerTrace, jaegerTraceUrl } from './jaeger';
import { describeRef, findFirst, type Target } from './lookup';
import { buildPath, type MessagePath } from './path';

/**
 * - `ok`: the whole path is in Jaeger, every hop's parent link intact.
 * - `incomplete`: the trace is there but hops are missing or a parent link is broken (still in
 *   flight, spans not exported yet, or the trace context was lost on the way).
 * - `not-found`: no stored message by that name (rejected messages are not stored).
 * - `no-trace-id`: the message was stored without a trace id (before they were kept, or its
 *   record carried no trace context).
 * - `sampled-out`: head sampling left the message out; no span of it was exported.
 * - `not-in-jaeger`: sampled, but Jaeger has none of its spans.
 */
export type TraceStatus = 'ok' | 'incomplete' | 'not-found' | 'no-trace-id' | 'sampled-out' | 'not-in-jaeger';

/** The message as the report shows it: everything but its text. */
export type MessageSummary = Omit<StoredMessage, 'text'>;

export interface TraceReport {
  status: TraceStatus;
  /** The argument as given. */
  query: string;
  /** Which reading of the argument found the message, e.g. `room live-1 seq 42`. */
  matched?: string;
  message?: MessageSummary;
  traceId?: string;
  /** The trace in Jaeger's UI. */
  jaegerUrl?: string;
  path?: MessagePath;
  /** For every status but `ok`: what it means and what to do, in a sentence or two. */
  explanation?: string;
}

export interface TraceMessageOptions {
  /** Needed for a message target; a trace id target goes to Jaeger directly. */
  store?: Pick<MessageStore, 'findMessage'>;
  jaegerUrl: string;
  /**
   * Keep asking Jaeger until the path is complete or this many ms passed: services export
   * their spans in batches (OTEL_BSP_SCHEDULE_DELAY, 5 s by default). Default 0 = ask once.
   */
  waitMs?: number;
  /** Default 500. */
  pollMs?: number;
}

function summary({ text: _text, ...rest }: StoredMessage): MessageSummary {
  return rest;
}

/** Finds the message, then its trace in Jaeger, and builds its path. */
export async function traceMessage(
  query: string,
  target: Target,
  options: TraceMessageOptions,
): Promise<TraceReport> {
  let traceId: string;
  const report: TraceReport = { status: 'ok', query };
  if (target.kind === 'trace') {
    traceId = target.traceId;
  } else {
    if (!options.store) throw new Error('traceMessage: a message target needs a store');
    const found = await findFirst(options.store, target.refs);
    if (!found) {
      return {
        status: 'not-found',
        query,
        explanation: `no stored message is ${target.refs.map(describeRef).join(', or ')}. Only accepted messages are stored (a rejected one: find its trace_id in the chat-ingest or filter logs and pass that); check MONGO_URL / MONGO_DB.`,
      };
    }
    report.matched = describeRef(found.matched);
    report.message = summary(found.message);
    if (found.message.traceId === undefined) {
      return {
        ...report,
        status: 'no-trace-id',
        explanation:
          'the message was stored without a trace id: it was stored before roomcast kept them, or its record carried no trace context.',
      };
    }
    traceId = found.message.traceId;
    report.traceId = traceId;
    if (found.message.traceSampled === false) {
      return {
        ...report,
        status: 'sampled-out',
        explanation: `the message was sampled out (OTEL_SAMPLE_RATIO): its trace id ${traceId} is on the services' log lines about it, but no span of it was exported. To trace every message of a room or user, list it in OTEL_SAMPLE_ROOMS / OTEL_SAMPLE_USERS.`,
      };
    }
  }
  report.traceId = traceId;
  report.jaegerUrl = jaegerTraceUrl(options.jaegerUrl, traceId);

  const deadline = Date.now() + (options.waitMs ?? 0);
  let path: MessagePath | undefined;
  for (;;) {
    const trace = await fetchJaegerTrace(options.jaegerUrl, traceId);
    path = trace && buildPath(trace);
    if ((path?.complete ?? false) || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
  if (!path) {
    return {
      ...report,
      status: 'not-in-jaeger',
      explanation: `Jaeger at ${options.jaegerUrl} has no span of trace ${traceId}: tracing export was off when the message went through (OTEL_TRACES_EXPORTER=none, the default) or pointed elsewhere, the spans are still in the services' export buffers (try --wait 10), or Jaeger dropped them (restarted, or evicted from its in-memory store).`,
    };
  }
  report.path = path;
  if (!path.complete) {
    const what = [
      ...(path.missing.length ? [`no span for ${path.missing.join(', ')}`] : []),
      ...(path.orphans.length ? [`parent not in the trace for ${path.orphans.join(', ')}`] : []),
    ].join('; ');
    return {
      ...report,
      status: 'incomplete',
      explanation: `the trace is incomplete (${what}): the message may still be on its way or those spans not exported yet (try --wait 10); a hop that persists is one where the trace context was lost (check that its records carry traceparent).`,
    };
  }
  return report;
}
