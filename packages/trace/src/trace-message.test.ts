import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemoryMessageStore } from '@roomcast/store';
import { makeStoredMessage } from '@roomcast/store/contract';
import { jaegerTrace, TRACE_ID, wholePath, type SpanSpec } from '../test/jaeger-trace';
import { JaegerError } from './jaeger';
import { parseTarget } from './lookup';
import { formatReport } from './report';
import { traceMessage } from './trace-message';

/** A Jaeger query API stand-in: `GET /api/traces/<id>` answers from `traces`, else 404. */
let server: Server;
let jaegerUrl = '';
const traces = new Map<string, SpanSpec[]>();
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests += 1;
    const id = /^\/api\/traces\/([0-9a-f]+)$/.exec(req.url ?? '')?.[1];
    const specs = id ? traces.get(id) : undefined;
    if (!id || !specs) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ data: null, errors: [{ code: 404, msg: 'trace not found' }] }));
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ data: [jaegerTrace(specs, id)], errors: null }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jaegerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  traces.clear();
  requests = 0;
});

async function storeWith(...messages: ReturnType<typeof makeStoredMessage>[]): Promise<InMemoryMessageStore> {
  const store = new InMemoryMessageStore();
  await store.insertMany(messages);
  return store;
}

const run = (arg: string, store: InMemoryMessageStore, waitMs = 0) =>
  traceMessage(arg, parseTarget(arg), { store, jaegerUrl, waitMs, pollMs: 20 });

describe('traceMessage', () => {
  it('finds the message by room and seq and shows its whole path', async () => {
    const store = await storeWith(
      makeStoredMessage('live-1', 42, { id: 'm-42', traceId: TRACE_ID, traceSampled: true }),
    );
    traces.set(TRACE_ID, wholePath());
    const report = await run('live-1:42', store);
    expect(report).toMatchObject({
      status: 'ok',
      query: 'live-1:42',
      matched: 'room live-1 seq 42',
      message: { id: 'm-42', roomId: 'live-1', seq: 42, traceId: TRACE_ID },
      traceId: TRACE_ID,
      jaegerUrl: `${jaegerUrl}/trace/${TRACE_ID}`,
      path: { complete: true },
    });
    // Operators get ids and times, never the words.
    expect(JSON.stringify(report)).not.toContain('message 42');
    const text = formatReport(report);
    expect(text).toContain('message m-42: room live-1 seq 42');
    expect(text).toMatch(/0\.0 ms +4\.0 ms +gateway\.chat\.submit +gateway gw-a/);
    expect(text).toMatch(
      /6\.0 ms +3\.0 ms +5\.0 ms +  chat-ingest\.check +chat-ingest +from chat\.message\.submitted\.v1/,
    );
    expect(text).toMatch(
      /gateway\.deliver +gateway gw-b +fan-out 1 socket, from delivery\.gateway\.gw-b\.v1/,
    );
    expect(text).toContain('fan-out: gw-a 2 sockets, gw-b 1 socket');
    expect(text).not.toContain('INCOMPLETE');
  });

  it('says so when the message was sampled out, without asking Jaeger', async () => {
    const store = await storeWith(
      makeStoredMessage('live-1', 1, {
        userId: 'ann',
        clientMsgId: 'c-1',
        traceId: TRACE_ID,
        traceSampled: false,
      }),
    );
    const report = await run('ann:c-1', store);
    expect(report).toMatchObject({
      status: 'sampled-out',
      traceId: TRACE_ID,
      matched: 'user ann clientMsgId c-1',
    });
    expect(report.explanation).toMatch(/sampled out .*OTEL_SAMPLE_RATIO.*OTEL_SAMPLE_ROOMS/);
    expect(requests).toBe(0);
    expect(formatReport(report)).toContain('SAMPLED-OUT: the message was sampled out');
  });

  it('says so when the trace is not in Jaeger: tracing export was off', async () => {
    const store = await storeWith(
      makeStoredMessage('live-1', 1, { id: 'm-1', traceId: TRACE_ID, traceSampled: true }),
    );
    const report = await run('m-1', store);
    expect(report).toMatchObject({ status: 'not-in-jaeger', traceId: TRACE_ID });
    expect(report.explanation).toMatch(/OTEL_TRACES_EXPORTER=none/);
  });

  it('says so when no trace id is stored with the message, or no message is stored', async () => {
    const store = await storeWith(makeStoredMessage('live-1', 1, { id: 'm-old' }));
    await expect(run('m-old', store)).resolves.toMatchObject({
      status: 'no-trace-id',
      message: { id: 'm-old' },
    });
    await expect(run('live-1:2', store)).resolves.toMatchObject({ status: 'not-found' });
  });

  it('reports an incomplete path, and with a wait asks again until it is complete', async () => {
    const store = await storeWith(
      makeStoredMessage('live-1', 1, { id: 'm-1', traceId: TRACE_ID, traceSampled: true }),
    );
    traces.set(
      TRACE_ID,
      wholePath().filter((s) => s.name !== 'persistence.store'),
    );
    const partial = await run('m-1', store);
    expect(partial).toMatchObject({ status: 'incomplete', path: { missing: ['persistence.store'] } });
    expect(formatReport(partial)).toContain(
      'INCOMPLETE: the trace is incomplete (no span for persistence.store)',
    );

    // The last service exports its span a moment later.
    setTimeout(() => traces.set(TRACE_ID, wholePath()), 100);
    await expect(run('m-1', store, 5000)).resolves.toMatchObject({ status: 'ok' });
    expect(requests).toBeGreaterThan(2);
  });

  it('goes to Jaeger directly for a trace id from a log line', async () => {
    traces.set(TRACE_ID, wholePath());
    const report = await traceMessage(TRACE_ID, parseTarget(TRACE_ID), { jaegerUrl });
    expect(report).toMatchObject({ status: 'ok', traceId: TRACE_ID });
    expect(report.message).toBeUndefined();
  });

  it('throws JaegerError when Jaeger cannot be reached', async () => {
    await expect(
      traceMessage(TRACE_ID, parseTarget(TRACE_ID), { jaegerUrl: 'http://127.0.0.1:1' }),
    ).rejects.toBeInstanceOf(JaegerError);
  });
});
