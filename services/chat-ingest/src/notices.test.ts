import type { Server } from 'node:http';
import { InMemoryMessageBus, type BusRecord } from '@roomcast/bus';
import { ChatIngestedV1, parseJson, resolveTopics, type TopicNames } from '@roomcast/contracts';
import { silentLogger } from '@roomcast/logger';
import { InMemorySequencerBackend } from '@roomcast/sequencer';
import { closeServer, Counter, createHttpApp, listen } from '@roomcast/service-kit';
import { uniqueId, waitFor } from '@roomcast/testing';
import { noticeRouter, SYSTEM_USER_ID } from './notices';

const TOKEN = 'notice-admin-token-0123456789';

interface Harness {
  url: string;
  server: Server;
  bus: InMemoryMessageBus;
  topics: TopicNames;
  posted: Counter;
  /** Every record on the ingested topic. */
  ingested: BusRecord[];
}

const running: Harness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) {
    await closeServer(h.server);
    await h.bus.close();
  }
});

/** `adminToken` null: the API is off. */
async function start(adminToken: string | null = TOKEN): Promise<Harness> {
  const bus = new InMemoryMessageBus();
  const topics = resolveTopics(`${uniqueId('notice')}.`);
  const posted = new Counter();
  const ingested: BusRecord[] = [];
  await bus.ensureTopics([{ name: topics.chatIngested }]);
  const sub = await bus.subscribe({
    groupId: uniqueId('g'),
    topics: [topics.chatIngested],
    fromBeginning: true,
    handler: async (rs) => void ingested.push(...rs),
  });
  await sub.ready;
  const router = noticeRouter({
    bus,
    deduper: new InMemorySequencerBackend().deduper,
    topics,
    dedupTtlMs: 60_000,
    adminToken: adminToken ?? undefined,
    posted,
    rateLimited: new Counter(),
  });
  const { server, port } = await listen(
    createHttpApp({ logger: silentLogger(), readiness: {}, routers: [router] }),
    0,
    '127.0.0.1',
  );
  const h = { url: `http://127.0.0.1:${port}`, server, bus, topics, posted, ingested };
  running.push(h);
  return h;
}

async function post(
  h: Harness,
  roomId: string,
  body: unknown,
  token: string | null = TOKEN,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${h.url}/rooms/${roomId}/notices`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('POST /rooms/:roomId/notices', () => {
  it('publishes a high-priority message by `system` to the ingested topic, keyed by room, and answers 202 with its id', async () => {
    const h = await start();
    const r = await post(h, 'r1', { text: '  Stream starts in 5 minutes  ', id: 'n-1' });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ id: expect.any(String), roomId: 'r1', clientMsgId: 'n-1' });
    await waitFor(() => h.ingested.length === 1, 'the ingested record', 2000);
    const record = h.ingested[0] as BusRecord;
    expect(record.key).toBe('r1');
    const event = parseJson(ChatIngestedV1, record.value);
    expect(event).toMatchObject({
      id: r.body.id,
      roomId: 'r1',
      userId: SYSTEM_USER_ID,
      clientMsgId: 'n-1',
      text: 'Stream starts in 5 minutes',
      priority: 'high',
    });
    expect(h.posted.value).toBe(1);
  });

  it('keeps the message id when the same notice id is posted again, and refuses the id in another room with 409 ID_CONFLICT', async () => {
    const h = await start();
    const first = await post(h, 'r1', { text: 'hello', id: 'same' });
    const again = await post(h, 'r1', { text: 'hello', id: 'same' });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    const elsewhere = await post(h, 'r2', { text: 'hello', id: 'same' });
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.body.code).toBe('ID_CONFLICT');
  });

  it('answers bad input with 400 BAD_REQUEST and publishes nothing', async () => {
    const h = await start();
    for (const [room, body] of [
      ['r1', { text: '   ' }],
      ['r1', { text: 'x'.repeat(501) }],
      ['r1', { nope: 1 }],
      ['bad%20room', { text: 'hi' }],
    ] as const) {
      const r = await post(h, room, body);
      expect([r.status, r.body.code]).toEqual([400, 'BAD_REQUEST']);
    }
    expect(h.ingested).toEqual([]);
  });

  it('needs the admin token, and is off without one', async () => {
    const h = await start();
    expect((await post(h, 'r1', { text: 'hi' }, null)).body.code).toBe('UNAUTHORIZED');
    expect((await post(h, 'r1', { text: 'hi' }, 'wrong-token')).status).toBe(401);
    const off = await start(null);
    const r = await post(off, 'r1', { text: 'hi' });
    expect([r.status, r.body.code]).toEqual([403, 'ADMIN_DISABLED']);
    expect(h.ingested).toEqual([]);
  });
});
