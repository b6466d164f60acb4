import { consolidateRooms } from './accounting';
import type { ResultMessage, WorkerMessage } from './ipc';
import type { LoadOptions } from './options';
import { buildPlan, type ConnectionSpec } from './plan';
import { LoadConnection, type DriverContext, type RoomAccount } from './targets/load-connection';
import { LoadWorker } from './worker';

/** An in-process "server": a chat is acked and fanned out to every joined member of its room. */
class FakeServer {
  readonly rooms = new Map<string, FakeConnection[]>();
  readonly seq = new Map<string, number>();
  /** Deliver every n-th message twice to the first member (to see duplicates counted). */
  duplicateEvery = 0;
  /** Skip delivering this seq to the last member (to see a gap counted). */
  dropSeq = 0;
}

class FakeConnection extends LoadConnection {
  constructor(
    spec: ConnectionSpec,
    ctx: DriverContext,
    room: RoomAccount,
    private readonly server: FakeServer,
  ) {
    super(spec, ctx, room);
  }
  async start(): Promise<void> {
    this.onOpened(Date.now());
    const list = this.server.rooms.get(this.spec.roomId) ?? [];
    list.push(this);
    this.server.rooms.set(this.spec.roomId, list);
    this.onJoined(Date.now(), 0);
  }
  chat(_id: string, sentAtMs: number): void {
    this.ctx.stats.counters.chatsSent++;
    const seq = (this.server.seq.get(this.spec.roomId) ?? 0) + 1;
    this.server.seq.set(this.spec.roomId, seq);
    this.onAcked(sentAtMs);
    const members = this.server.rooms.get(this.spec.roomId) ?? [];
    members.forEach((m, i) => {
      if (seq === this.server.dropSeq && i === members.length - 1) return;
      m.deliver(seq, Math.round(sentAtMs));
      if (this.server.duplicateEvery > 0 && seq % this.server.duplicateEvery === 0 && i === 0)
        m.deliver(seq, Math.round(sentAtMs));
    });
  }
  deliver(seq: number, sentAt: number): void {
    this.onMessage(seq, sentAt);
  }
  like(): boolean {
    this.ctx.stats.counters.likesSent++;
    return true;
  }
  close(): void {
    this.closing = true;
    this.onClosed(1000);
  }
}

const options: LoadOptions = {
  urls: ['ws://127.0.0.1:1/ws'],
  rooms: 2,
  viewers: 3,
  senders: 1,
  rate: 20,
  durationSec: 0.5,
  rampSec: 0,
  likesPerSec: 40,
  sizeBytes: 10,
  tokenSecret: 'secret',
  workers: 1,
  target: 'roomcast',
  drainSec: 1,
  sourceAddresses: [],
  requestTimeoutMs: 1000,
  jsonPath: undefined,
  htmlPath: undefined,
  label: undefined,
};

async function run(server: FakeServer): Promise<{ result: ResultMessage; messages: WorkerMessage[] }> {
  const messages: WorkerMessage[] = [];
  const worker = new LoadWorker(
    (m) => messages.push(m),
    (spec, ctx, room) => new FakeConnection(spec, ctx, room, server),
  );
  const plan = buildPlan(options, 'w');
  worker.init({ type: 'init', options, plan: plan.workers[0]!, t0: Date.now() });
  const until = async (type: WorkerMessage['type']) => {
    const deadline = Date.now() + 5000;
    while (!messages.some((m) => m.type === type)) {
      if (Date.now() > deadline) throw new Error(`no ${type}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await until('ready');
  worker.startSending(Date.now() + 10);
  await until('sendDone');
  return { result: await worker.finish(), messages };
}

describe('LoadWorker', () => {
  it('sends rate x duration per sender, its like share, and accounts delivered == expected', async () => {
    const { result, messages } = await run(new FakeServer());
    expect(messages.find((m) => m.type === 'ready')).toEqual({ type: 'ready', joined: 8, failed: 0 });
    expect(result.counters.chatsSent).toBe(2 * 10);
    expect(result.counters.chatsAcked).toBe(20);
    // 40 likes/s per room for 0.5 s, 2 rooms (the last one may fall just short of the window).
    expect(result.counters.likesSent).toBeGreaterThanOrEqual(38);
    expect(result.counters.likesSent).toBeLessThanOrEqual(40);
    const acc = consolidateRooms(result.rooms);
    expect(acc.expected).toBe(2 * 10 * 4);
    expect(result.counters.delivered).toBe(acc.expected);
    expect(acc.gaps).toBe(0);
    expect(result.counters.duplicates).toBe(0);
  });

  it('counts duplicates and gaps the fake server injects', async () => {
    const server = new FakeServer();
    server.duplicateEvery = 5;
    server.dropSeq = 3;
    const { result } = await run(server);
    expect(result.counters.duplicates).toBe(2 * 2);
    const acc = consolidateRooms(result.rooms);
    // seq 3 skipped at one member per room, later seqs arrived: a hole (gap), not a lagging tail.
    expect(acc.gaps).toBe(2);
    expect(acc.undelivered).toBe(0);
    expect(result.counters.gapEvents).toBe(2);
  });
});
