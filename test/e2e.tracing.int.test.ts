// One chat through the real stack (every service its own process, two gateways, real Kafka, Redis
// and FerretDB) exporting OTLP to the test Jaeger (scripts/infra.sh up jaeger): through Jaeger's
// query API the message is ONE trace with a span from every hop, each hop's parent the previous
// hop's span — so it fails when the trace context stops travelling in the Kafka headers. Then
// roomcast-trace, run as operators run it, prints that path; and a message left out by head
// sampling is stored as such and reported as sampled out.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoMessageStore, type StoredMessage } from '@roomcast/store';
import { tracingEnv, uniqueId, waitFor } from '@roomcast/testing';
import type { TraceReport } from '@roomcast/trace';
import { ROOT } from './harness/processes';
import { connectViewer, type Viewer } from './harness/scenario';
import { startRealStack, type RealStack } from './harness/stacks';

const run = promisify(execFile);
const { jaegerQueryUrl, otlpEndpoint } = tracingEnv();
const TRACED_ROOM = uniqueId('traced');
const OTHER_ROOM = uniqueId('untraced');

interface JSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[] | null;
  tags: { key: string; value: unknown }[] | null;
  processID: string;
}
interface JTrace {
  traceID: string;
  spans: JSpan[];
  processes: Record<string, { serviceName: string }>;
}

async function jaeger<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${jaegerQueryUrl}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

const tag = (s: JSpan, key: string): unknown => s.tags?.find((t) => t.key === key)?.value;
const parentOf = (s: JSpan): string | undefined =>
  s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID;

/** roomcast-trace as a process, the way an operator runs it; resolves with its exit code and output. */
async function roomcastTrace(stack: RealStack, ...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'packages', 'trace', 'src', 'cli.ts'), ...args],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          MONGO_URL: stack.infra.mongoUrl,
          MONGO_DB: stack.mongoDb,
          JAEGER_QUERY_URL: jaegerQueryUrl,
        },
        timeout: 60_000,
      },
    );
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '' };
  }
}

describe('tracing on the real stack, exported to Jaeger', () => {
  let stack: RealStack | undefined;
  let store: MongoMessageStore | undefined;
  const viewers: Viewer[] = [];

  beforeAll(async () => {
    const services = await fetch(`${jaegerQueryUrl}/api/services`).catch(() => undefined);
    if (!services?.ok)
      throw new Error(
        `no Jaeger at ${jaegerQueryUrl}: run bash scripts/infra.sh up jaeger (scripts/test.sh does)`,
      );
    stack = await startRealStack({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      // Head sampling keeps no message at random; the traced room is always kept.
      OTEL_SAMPLE_RATIO: '0',
      OTEL_SAMPLE_ROOMS: TRACED_ROOM,
    });
    store = new MongoMessageStore({ uri: stack.infra.mongoUrl, dbName: stack.mongoDb });
  }, 180_000);
  afterAll(async () => {
    for (const v of viewers) v.client.close();
    await store?.close();
    await stack?.stop();
  }, 60_000);

  /** Sends one chat from a sender on gateway A; resolves with the stored message once every viewer has it. */
  async function chat(s: RealStack, roomId: string, clientMsgId: string): Promise<StoredMessage> {
    const [urlA, urlB] = s.gatewayUrls as [string, string];
    // Two sockets in the room on gateway A (the sender is a member too), one on gateway B.
    const sender = await connectViewer(s, urlA, uniqueId('sender'));
    const viewerA = await connectViewer(s, urlA, uniqueId('viewer-a'));
    const viewerB = await connectViewer(s, urlB, uniqueId('viewer-b'));
    viewers.push(sender, viewerA, viewerB);
    for (const v of [sender, viewerA, viewerB]) await v.client.join(roomId);
    await sender.client.chat(roomId, 'follow this one', { clientMsgId });
    const frames = await waitFor(
      () => {
        const got = [sender, viewerA, viewerB].map((v) =>
          v.messages.find((m) => m.clientMsgId === clientMsgId),
        );
        return got.every(Boolean) ? got : undefined;
      },
      'the message at all three sockets',
      30_000,
    );
    const seq = frames[0]?.seq ?? 0;
    return waitFor(() => store?.findMessage({ roomId, seq }), 'the message stored', 30_000, 100);
  }

  it('makes one chat ONE trace in Jaeger: a span from every hop and both gateways, each parent the previous hop', async () => {
    if (!stack) throw new Error('stack did not start');
    const clientMsgId = uniqueId('c');
    const stored = await chat(stack, TRACED_ROOM, clientMsgId);
    expect(stored.traceSampled).toBe(true);
    expect(stored.traceId).toMatch(/^[0-9a-f]{32}$/);

    // The submit span, found by the message's own attribute (not by the id persistence stored),
    // is in the stored trace, and in no other.
    const tags = encodeURIComponent(JSON.stringify({ 'roomcast.client_msg_id': clientMsgId }));
    const search = await waitFor(
      async () => {
        const { data } = (
          await jaeger<{ data: JTrace[] | null }>(
            `/api/traces?service=gateway&tags=${tags}&lookback=1h&limit=20`,
          )
        ).body;
        return data?.length ? data : undefined;
      },
      'the trace searchable',
      30_000,
      250,
    );
    expect(search.map((t) => t.traceID)).toEqual([stored.traceId]);

    const wanted = [
      'gateway.chat.submit',
      'chat-ingest.check',
      'filter.check',
      'persistence.store',
      'notification.route',
      'gateway.deliver',
      'gateway.deliver',
    ];
    // Services export every 200 ms; persistence fetches in batches of up to 200 ms more.
    const trace = await waitFor(
      async () => {
        const { status, body } = await jaeger<{ data: JTrace[] | null }>(`/api/traces/${stored.traceId}`);
        const t = status === 200 ? body.data?.[0] : undefined;
        return t && t.spans.length >= wanted.length ? t : undefined;
      },
      'every span of the trace in Jaeger',
      30_000,
      250,
    );
    expect(trace.spans.map((s) => s.operationName).sort()).toEqual([...wanted].sort());
    for (const s of trace.spans) expect(s.traceID).toBe(stored.traceId);

    const one = (name: string): JSpan => {
      const found = trace.spans.filter((s) => s.operationName === name);
      expect(found).toHaveLength(1);
      return found[0] as JSpan;
    };
    const service = (s: JSpan): string | undefined => trace.processes[s.processID]?.serviceName;
    const submit = one('gateway.chat.submit');
    const ingest = one('chat-ingest.check');
    const filter = one('filter.check');
    const persist = one('persistence.store');
    const route = one('notification.route');
    const delivers = trace.spans.filter((s) => s.operationName === 'gateway.deliver');

    expect([submit, ingest, filter, persist, route, ...delivers].map(service)).toEqual([
      'gateway',
      'chat-ingest',
      'filter',
      'persistence',
      'notification',
      'gateway',
      'gateway',
    ]);
    // Each hop continues the previous one across Kafka.
    expect(parentOf(submit)).toBeUndefined();
    expect(parentOf(ingest)).toBe(submit.spanID);
    expect(parentOf(filter)).toBe(ingest.spanID);
    expect(parentOf(persist)).toBe(filter.spanID);
    expect(parentOf(route)).toBe(filter.spanID);
    for (const d of delivers) expect(parentOf(d)).toBe(route.spanID);
    expect(tag(submit, 'roomcast.sampled_by')).toBe('room');
    expect(tag(route, 'roomcast.gateways')).toBe(2);
    // One deliver span per gateway, the sockets as an attribute (never a span per socket).
    expect(
      Object.fromEntries(delivers.map((d) => [tag(d, 'roomcast.gateway_id'), tag(d, 'roomcast.fanout')])),
    ).toEqual({ 'gw-a': 2, 'gw-b': 1 });
    expect(tag(submit, 'roomcast.gateway_id')).toBe('gw-a');

    // roomcast-trace tells the same path, found by room:seq.
    const cli = await roomcastTrace(stack, `${TRACED_ROOM}:${stored.seq}`, '--json', '--wait', '20');
    expect(cli.code).toBe(0);
    const report = JSON.parse(cli.stdout) as TraceReport;
    expect(report).toMatchObject({
      status: 'ok',
      traceId: stored.traceId,
      message: { id: stored.id, roomId: TRACED_ROOM, seq: stored.seq },
    });
    // The tree, depth first; persistence and notification are siblings under the filter, in the
    // order they started (usually notification first — persistence fetches in batches — but not
    // always on a loaded box), so each subtree is checked whole, in either order.
    const hops = (report.path?.hops ?? []).map((h) => `${h.depth} ${h.span}`);
    expect(hops.slice(0, 3)).toEqual(['0 gateway.chat.submit', '1 chat-ingest.check', '2 filter.check']);
    const routeSubtree = ['3 notification.route', '4 gateway.deliver', '4 gateway.deliver'];
    expect([
      [...routeSubtree, '3 persistence.store'],
      ['3 persistence.store', ...routeSubtree],
    ]).toContainEqual(hops.slice(3));
    for (const h of report.path?.hops.slice(1) ?? []) expect(h.queueMs).toEqual(expect.any(Number));
    expect([...(report.path?.fanout ?? [])].sort((a, b) => a.gatewayId.localeCompare(b.gatewayId))).toEqual([
      { gatewayId: 'gw-a', sockets: 2 },
      { gatewayId: 'gw-b', sockets: 1 },
    ]);
    const text = await roomcastTrace(stack, `${stored.userId}:${clientMsgId}`);
    expect(text.code).toBe(0);
    // In delivery order: either gateway may have been first.
    expect(text.stdout).toMatch(/^fan-out: (gw-a 2 sockets, gw-b 1 socket|gw-b 1 socket, gw-a 2 sockets)$/m);
  }, 180_000);

  it('stores a message head sampling left out as sampled out, exports none of it, and roomcast-trace says so', async () => {
    if (!stack) throw new Error('stack did not start');
    const stored = await chat(stack, OTHER_ROOM, uniqueId('c'));
    expect(stored.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(stored.traceSampled).toBe(false);
    const cli = await roomcastTrace(stack, stored.id);
    expect(cli.code).toBe(3);
    expect(cli.stdout).toContain('SAMPLED-OUT: the message was sampled out');
    // Give the exporters time to have sent anything they would have: still nothing.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await jaeger(`/api/traces/${stored.traceId}`)).status).toBe(404);
  }, 120_000);
});
