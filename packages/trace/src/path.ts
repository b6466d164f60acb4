import type { JaegerSpan, JaegerTrace } from './jaeger';

/**
 * Span names of one chat message's hops, in path order (docs/architecture.md "Tracing"). A
 * message's trace is complete when it has each of them once, plus one `gateway.deliver` per
 * gateway notification routed it to.
 */
export const HOP_SPANS = [
  'gateway.chat.submit',
  'chat-ingest.check',
  'filter.check',
  'persistence.store',
  'notification.route',
  'gateway.deliver',
] as const;

// The attributes roomcast sets (@roomcast/telemetry ATTR); read back from Jaeger's tags.
const TAG_GATEWAY_ID = 'roomcast.gateway_id';
const TAG_FANOUT = 'roomcast.fanout';
const TAG_GATEWAYS = 'roomcast.gateways';
const TAG_RECORD_TIMESTAMP_MS = 'roomcast.kafka.timestamp_ms';
const TAG_TOPIC = 'messaging.destination.name';
const TAG_SAMPLED_BY = 'roomcast.sampled_by';

/** One span of the path, times in ms relative to the trace's first span. */
export interface Hop {
  service: string;
  /** The gateway of a gateway span (`roomcast.gateway_id`). */
  gatewayId?: string;
  span: string;
  spanId: string;
  /** Undefined for the root. */
  parentSpanId?: string;
  /** 0 for the root, 1 for its children, ... (the tree the parent links make). */
  depth: number;
  startMs: number;
  durationMs: number;
  /** The Kafka topic a consumer hop read its record from. */
  topic?: string;
  /**
   * Time the record waited between the producer handing it to Kafka (the record's timestamp)
   * and this hop starting on it: broker write, fetch wait, the consumer's earlier batches.
   */
  queueMs?: number;
  /** gateway.deliver: sockets of this gateway the message was written to (one span, never one per socket). */
  fanout?: number;
  /** notification.route: gateways the message was routed to. */
  gateways?: number;
}

export interface FanoutAtGateway {
  gatewayId: string;
  sockets: number;
}

/** One message's path, built from its Jaeger trace. */
export interface MessagePath {
  traceId: string;
  /** Epoch ms of the first span's start. */
  startedAt: number;
  /** From the first span's start to the last span's end, ms. */
  totalMs: number;
  /** Spans in path order: depth-first from the root, siblings by start time. */
  hops: Hop[];
  fanout: FanoutAtGateway[];
  /** Why the head sampler kept the trace when a debugging list did (`room` / `user`). */
  sampledBy?: string;
  /** Hops the path lacks: a span name once per missing span (e.g. a delivery to a gateway). */
  missing: string[];
  /**
   * Spans whose parent is not in the trace (other than the root): the trace context was lost on
   * the way, e.g. a hop that did not continue the record's traceparent. Empty when intact.
   */
  orphans: string[];
  complete: boolean;
}

function tag(span: JaegerSpan, key: string): unknown {
  return span.tags?.find((t) => t.key === key)?.value;
}

function numberTag(span: JaegerSpan, key: string): number | undefined {
  const v = tag(span, key);
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function stringTag(span: JaegerSpan, key: string): string | undefined {
  const v = tag(span, key);
  return typeof v === 'string' ? v : undefined;
}

function parentOf(span: JaegerSpan): string | undefined {
  return span.references?.find((r) => r.refType === 'CHILD_OF' && r.traceID === span.traceID)?.spanID;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/** The path of one message from its trace: the span tree, queue times, fan-out, gaps. */
export function buildPath(trace: JaegerTrace): MessagePath {
  const spans = [...trace.spans].sort(
    (a, b) => a.startTime - b.startTime || a.spanID.localeCompare(b.spanID),
  );
  const ids = new Set(spans.map((s) => s.spanID));
  const children = new Map<string | undefined, JaegerSpan[]>();
  const roots: JaegerSpan[] = [];
  const orphans: string[] = [];
  for (const s of spans) {
    const parent = parentOf(s);
    if (parent !== undefined && ids.has(parent)) {
      const list = children.get(parent) ?? [];
      list.push(s);
      children.set(parent, list);
    } else {
      roots.push(s);
    }
  }
  // The message's root is the submit span (else the earliest); every other root lost its parent.
  const root = roots.find((s) => s.operationName === HOP_SPANS[0]) ?? roots[0];
  for (const s of roots) if (s !== root) orphans.push(s.operationName);

  const t0 = spans[0]?.startTime ?? 0;
  const hops: Hop[] = [];
  const visit = (s: JaegerSpan, depth: number): void => {
    const parentSpanId = parentOf(s);
    const startMs = (s.startTime - t0) / 1000;
    const recordTs = numberTag(s, TAG_RECORD_TIMESTAMP_MS);
    const hop: Hop = {
      service: trace.processes[s.processID]?.serviceName ?? '?',
      span: s.operationName,
      spanId: s.spanID,
      depth,
      startMs: round(startMs),
      durationMs: round(s.duration / 1000),
    };
    if (parentSpanId !== undefined && depth > 0) hop.parentSpanId = parentSpanId;
    const gatewayId = stringTag(s, TAG_GATEWAY_ID);
    if (gatewayId !== undefined) hop.gatewayId = gatewayId;
    const topic = stringTag(s, TAG_TOPIC);
    if (topic !== undefined) hop.topic = topic;
    if (recordTs !== undefined) hop.queueMs = round(s.startTime / 1000 - recordTs);
    const fanout = numberTag(s, TAG_FANOUT);
    if (fanout !== undefined) hop.fanout = fanout;
    const gateways = numberTag(s, TAG_GATEWAYS);
    if (gateways !== undefined) hop.gateways = gateways;
    hops.push(hop);
    for (const c of children.get(s.spanID) ?? []) visit(c, depth + 1);
  };
  for (const r of [root, ...roots.filter((s) => s !== root)]) if (r) visit(r, r === root ? 0 : 1);

  const end = Math.max(...spans.map((s) => s.startTime + s.duration), t0);
  const fanout = hops
    .filter((h) => h.span === 'gateway.deliver' && h.fanout !== undefined)
    .map((h) => ({ gatewayId: h.gatewayId ?? h.service, sockets: h.fanout ?? 0 }));

  const missing: string[] = [];
  for (const name of HOP_SPANS) {
    if (name === 'gateway.deliver') continue;
    if (!hops.some((h) => h.span === name)) missing.push(name);
  }
  const routedTo = hops.find((h) => h.span === 'notification.route')?.gateways ?? 1;
  const delivered = hops.filter((h) => h.span === 'gateway.deliver').length;
  for (let i = delivered; i < routedTo; i++) missing.push('gateway.deliver');

  const sampledBy = root ? stringTag(root, TAG_SAMPLED_BY) : undefined;
  return {
    traceId: trace.traceID,
    startedAt: Math.round(t0 / 1000),
    totalMs: round((end - t0) / 1000),
    hops,
    fanout,
    ...(sampledBy !== undefined ? { sampledBy } : {}),
    missing,
    orphans,
    complete: missing.length === 0 && orphans.length === 0,
  };
}
