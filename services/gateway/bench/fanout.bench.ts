/**
 * The gateway's fan-out alone: how many messages per second one room can hand to N member sockets,
 * by delivery path. Real loopback TCP sockets after a real WebSocket handshake; the far ends live in
 * a child process that only reads and discards bytes (no frame parsing), so the figure is the
 * gateway side's cost. Prints JSON.
 *
 *   pnpm --filter @roomcast/gateway bench [--sockets 1000] [--messages 500] [--batch 20]
 *
 * Every path costs about one loopback TCP write per frame per socket (~10-25 us on a 2-core VM),
 * so the unbatched paths take sockets x messages writes: keep --messages modest.
 *
 * Paths:
 *   ws.send    one `message` frame per message per socket through ws.send (the gateway before
 *              batching: JSON encoded once per message, framed by ws per socket)
 *   v1         RoomFanout to protocol-v1 sockets: one pre-framed `message` frame per message,
 *              the same bytes to every socket
 *   v2         RoomFanout to protocol-v2 sockets: one `messages` frame per flush of `--batch`
 *              messages, framed once, the same bytes to every socket
 * Each path enqueues `--batch` messages per event-loop turn (as one Kafka batch would) and waits
 * until every socket's buffer has drained into the kernel, then reports messages x sockets / s.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { cpus } from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ChatAcceptedV1, ProtocolVersion } from '@roomcast/contracts';
import { Counter, MetricsRegistry } from '@roomcast/service-kit';
import { Connection, type SendBudget } from '../src/connection';
import { fanoutMetrics, RoomFanout } from '../src/fanout';
import { RoomRegistry } from '../src/room-registry';
import { ThinningPolicy } from '../src/thinning';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const SOCKETS = arg('sockets', 1000);
const MESSAGES = arg('messages', 500);
const BATCH = arg('batch', 20);
const TEXT = 'x'.repeat(40);

// ------------------------------------------------------------------ the far ends (child)

/** Child: opens `count` WebSocket connections by hand and discards everything it reads. */
function child(port: number, count: number): void {
  let open = 0;
  for (let i = 0; i < count; i++) {
    const s = connect(port, '127.0.0.1', () => {
      s.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let upgraded = false;
    s.on('data', (chunk: Buffer) => {
      if (!upgraded && chunk.includes('\r\n\r\n')) {
        upgraded = true;
        if (++open === count) process.send?.({ open });
      }
    });
    s.on('error', () => process.exit(2));
  }
}

if (process.argv[2] === '--child') {
  child(Number(process.argv[3]), Number(process.argv[4]));
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

// ------------------------------------------------------------------ the gateway side

interface Side {
  server: Server;
  sockets: { ws: WebSocket; socket: Duplex }[];
  kid: ChildProcess;
}

async function openSockets(): Promise<Side> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const sockets: Side['sockets'] = [];
  const server = createServer();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws) => sockets.push({ ws, socket }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const kid = fork(__filename, ['--child', String(port), String(SOCKETS)], { execArgv: ['--import', 'tsx'] });
  await new Promise<void>((resolve, reject) => {
    kid.once('message', () => resolve());
    kid.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
  while (sockets.length < SOCKETS) await new Promise((r) => setTimeout(r, 10));
  return { server, sockets, kid };
}

function message(seq: number): ChatAcceptedV1 {
  return { id: `id-${seq}`, roomId: 'bench', seq, userId: 'u', clientMsgId: `c${seq}`, text: TEXT, masked: false, sentAt: Date.now(), acceptedAt: Date.now() };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function drained(side: Side): Promise<void> {
  for (;;) {
    if (side.sockets.every((s) => s.ws.bufferedAmount === 0)) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

interface PathResult {
  path: string;
  seconds: number;
  /** Messages handed to sockets per second (message x socket). */
  messagesPerSec: number;
  /** Socket writes (frames) per second. */
  framesPerSec: number;
  /** Process CPU (user + system) per million messages delivered, ms. */
  cpuMsPerMillion: number;
}

async function run(path: 'ws.send' | 'v1' | 'v2', side: Side, total: number): Promise<PathResult> {
  const budget: SendBudget = { softBytes: 64 << 20, hardBytes: 256 << 20, dropped: new Counter(), slowClosed: new Counter() };
  const registry = new RoomRegistry();
  const protocol: ProtocolVersion = path === 'v2' ? 2 : 1;
  side.sockets.forEach((s, i) => registry.join(new Connection(`c${i}`, `u${i}`, s.ws, s.socket, protocol, budget, { ratePerSec: 1, burst: 1 }), 'bench'));
  // The gateway's own metrics (prom-client histograms included), as in production.
  const metrics = fanoutMetrics(new MetricsRegistry());
  const frames = metrics.frames;
  const fanout = new RoomFanout(
    registry,
    { windowMs: 0, roomWritesPerSec: 1, maxBatch: BATCH, thinning: new ThinningPolicy() },
    metrics,
  );
  const members = registry.rooms.get('bench')?.members ?? new Set<Connection>();
  let legacyFrames = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let seq = 1; seq <= total; ) {
    for (let k = 0; k < BATCH && seq <= total; k++, seq++) {
      const m = message(seq);
      if (path === 'ws.send') {
        const frame = Buffer.from(JSON.stringify({ type: 'message', ...m }));
        for (const c of members) c.send(frame);
        legacyFrames += members.size;
      } else fanout.enqueue(m);
    }
    await tick();
    // Keep the socket buffers bounded, as the send budgets would.
    if (side.sockets[0] !== undefined && side.sockets[0].ws.bufferedAmount > 1 << 20) await drained(side);
  }
  fanout.flushAll();
  await drained(side);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const delivered = total * SOCKETS;
  return {
    path,
    seconds: round(seconds),
    messagesPerSec: Math.round(delivered / seconds),
    framesPerSec: Math.round((path === 'ws.send' ? legacyFrames : frames.value) / seconds),
    cpuMsPerMillion: round((cpu.user + cpu.system) / 1000 / (delivered / 1e6)),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

async function main(): Promise<void> {
  const side = await openSockets();
  const results: PathResult[] = [];
  // A short warm-up pass of each path (JIT), then the measured ones.
  for (const path of ['ws.send', 'v1', 'v2'] as const) await run(path, side, Math.ceil(MESSAGES / 10));
  for (const path of ['ws.send', 'v1', 'v2'] as const) results.push(await run(path, side, MESSAGES));
  console.log(
    JSON.stringify(
      {
        bench: 'gateway fan-out',
        sockets: SOCKETS,
        messages: MESSAGES,
        messagesPerFlush: BATCH,
        textBytes: TEXT.length,
        results,
        machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
      },
      null,
      2,
    ),
  );
  side.kid.kill();
  side.server.close();
  process.exit(0);
}
