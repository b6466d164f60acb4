/**
 * Where a chat message's time goes on the real stack, hop by hop. Starts every service as its own
 * process (`startRealStack`), puts ONE sender (gateway A) and ONE viewer (gateway B) in each of R
 * rooms, so fan-out costs nothing, and sends N msgs/s spread round-robin over the rooms for D
 * seconds after a warm-up. Afterwards it reads the four Kafka topics back from the start and joins
 * each message's timestamps by clientMsgId:
 *
 *   sentAt (sender) -> submittedAt (gateway) -> [submitted record] -> ingestedAt (chat-ingest)
 *   -> [ingested record] -> acceptedAt (filter) -> [accepted record] -> [delivery record]
 *   (notification) -> arrival at the viewer
 *
 * A `[... record]` time is the Kafka record timestamp, which kafkajs sets when it encodes the
 * produce request: `record - event time` is the producer's queue (linger, the send in flight),
 * `next event time - record` is the produce round trip + the consumer's fetch + the handler up
 * to its publish. Reading the topics after the run keeps the measurement off the measured path.
 * One host clock for all processes. Prints JSON.
 *
 *   eval "$(bash scripts/infra.sh env)"
 *   pnpm exec tsx bench/kafka-path.ts --rate 200 --rooms 20 --duration 20
 *   pnpm exec tsx bench/kafka-path.ts --rate 1000 --rooms 100 --duration 20
 *
 * Service settings (e.g. KAFKA_LINGER_MS) are read from the environment of this program, which
 * every service process inherits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import WebSocket from 'ws';
import { KafkaMessageBus, type BusRecord } from '@roomcast/bus';
import { RoomcastClient, type WebSocketConstructor } from '@roomcast/client';
import {
  ChatAcceptedV1,
  ChatIngestedV1,
  ChatSubmittedV1,
  GatewayDeliveryV1,
  parseJson,
  resolveTopics,
} from '@roomcast/contracts';
import { createLogger } from '@roomcast/logger';
import { infraEnv, uniqueId, waitFor } from '@roomcast/testing';
import { startRealStack, type Stack } from '../test/harness/stacks';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

/** How long the read-back of the topics and the history may take before the run is reported as incomplete. */
const DRAIN_TIMEOUT_MS = 120_000;

/** What the bench learns about one measured message. */
interface Trace {
  room: number;
  sentAt: number;
  ackAt?: number;
  arrivalAt?: number;
  submittedAt?: number;
  submittedTs?: number;
  ingestedAt?: number;
  ingestedTs?: number;
  acceptedAt?: number;
  acceptedTs?: number;
  deliveryTs?: number;
}

interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function summarise(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => {
    if (sorted.length === 0) return NaN;
    return sorted[
      Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))
    ] as number;
  };
  return { n: sorted.length, p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1] ?? NaN };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux x64). */
const USER_HZ = 100;

/** CPU seconds (user + system) used so far by `pid` and its descendants (tsx runs the service as a child). */
function treeCpuSeconds(pid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // the process ended between readdir and read
    }
    // Fields after the parenthesised command: state ppid ... utime(14) stime(15).
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  let ticks = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.pop() as number;
    ticks += stats.get(p)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === p) queue.push(child);
  }
  return ticks / USER_HZ;
}

async function connect(stack: Stack, url: string, userId: string): Promise<RoomcastClient> {
  const c = new RoomcastClient({
    url,
    token: await stack.token(userId),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    reconnect: { enabled: false },
  });
  await c.connect();
  return c;
}

/** Reads `topics` from the beginning until `done()` says everything wanted has been seen. */
async function readBack(
  topics: string[],
  onRecord: (record: BusRecord) => void,
  done: () => boolean,
): Promise<void> {
  const bus = new KafkaMessageBus({
    brokers: infraEnv().kafkaBrokers,
    clientId: 'kafka-path-bench',
    logger: createLogger({ name: 'kafka-path-bench', level: 'warn' }),
  });
  try {
    const sub = await bus.subscribe({
      groupId: uniqueId('kafka-path-readback'),
      topics,
      fromBeginning: true,
      handler: async (records) => {
        for (const r of records) onRecord(r);
      },
    });
    await sub.ready;
    await waitFor(done, 'the topics to be read back', DRAIN_TIMEOUT_MS, 100);
  } finally {
    await bus.close();
  }
}

async function main(): Promise<void> {
  const rate = Number(arg('rate', '200'));
  const rooms = Number(arg('rooms', '20'));
  const durationS = Number(arg('duration', '20'));
  const warmupS = Number(arg('warmup', '3'));
  const prefix = `${uniqueId('kp')}.`;
  const topics = resolveTopics(prefix);
  const perConnRate = String(Math.max(10, Math.ceil((rate / rooms) * 4)));
  const loadStart = loadavg();
  const stack = await startRealStack({
    KAFKA_TOPIC_PREFIX: prefix,
    WS_CHAT_RATE_PER_SEC: perConnRate,
    WS_CHAT_BURST: perConnRate,
    LOG_LEVEL: 'warn',
  });
  const clients: RoomcastClient[] = [];
  try {
    const [urlA, urlB] = stack.gatewayUrls as [string, string];
    const roomIds = Array.from({ length: rooms }, (_, i) => `kp-${i}-${prefix.slice(3, 14)}`);
    const senders: RoomcastClient[] = [];
    const traces = new Map<string, Trace>();
    let warmDelivered = 0;
    for (let i = 0; i < rooms; i++) {
      const roomId = roomIds[i] as string;
      const sender = await connect(stack, urlA, `sender-${i}`);
      const viewer = await connect(stack, urlB, `viewer-${i}`);
      clients.push(sender, viewer);
      senders.push(sender);
      await Promise.all([sender.join(roomId), viewer.join(roomId)]);
      viewer.on('message', (m) => {
        const t = traces.get(m.clientMsgId);
        if (t) t.arrivalAt = Date.now();
        else warmDelivered += 1;
      });
    }

    // Paced sending: every ms, send what is due, round-robin over the rooms.
    let sentWarm = 0;
    const send = async (seconds: number, measured: boolean, tag: string): Promise<number> => {
      const total = Math.round(seconds * rate);
      const acks: Promise<unknown>[] = [];
      const start = Date.now();
      for (let i = 0; i < total; ) {
        const due = Math.min(total, Math.floor(((Date.now() - start) * rate) / 1000) + 1);
        for (; i < due; i++) {
          const room = i % rooms;
          const sender = senders[room] as RoomcastClient;
          const clientMsgId = `${tag}-${i}`;
          const sentAt = Date.now();
          const ack = sender.chat(roomIds[room] as string, `message ${i} ${'x'.repeat(20)}`, {
            clientMsgId,
            sentAt,
          });
          if (measured) {
            const t: Trace = { room, sentAt };
            traces.set(clientMsgId, t);
            acks.push(ack.then(() => (t.ackAt = Date.now())));
          } else acks.push(ack);
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all(acks);
      return total;
    };
    // Warm-up: connections, JIT, topic metadata, the delivery topics' consumers.
    sentWarm = await send(warmupS, false, 'warm');
    await waitFor(() => warmDelivered >= sentWarm, 'warm-up deliveries', DRAIN_TIMEOUT_MS, 50);
    const loadBefore = loadavg();
    const cpuOf = (): Record<string, number> =>
      Object.fromEntries(
        stack.processes.map((p) => [p.name, p.child.pid ? treeCpuSeconds(p.child.pid) : NaN]),
      );
    const cpuBefore = cpuOf();
    const sendStart = Date.now();
    const total = await send(durationS, true, 'm');
    const sendEnd = Date.now();
    const cpuAfter = cpuOf();
    const arrived = (): number => {
      let n = 0;
      for (const t of traces.values()) if (t.arrivalAt !== undefined) n += 1;
      return n;
    };
    const delivered = await waitFor(
      () => {
        const n = arrived();
        return n >= total ? n : undefined;
      },
      `${total} deliveries`,
      DRAIN_TIMEOUT_MS,
      50,
    ).catch(() => arrived());
    const loadAfter = loadavg();

    // Persistence is off the delivery path but must keep up: how long after the last send has it
    // stored every message? Read from its /metrics counter (the stack's database is fresh), not the
    // history API, whose queries would compete with the inserts for the database.
    const insertedSoFar = async (): Promise<number> => {
      const text = await (await fetch(`${stack.historyUrl}/metrics`)).text();
      return Number(/^roomcast_persistence_inserted_total (\d+)$/m.exec(text)?.[1] ?? NaN);
    };
    await waitFor(
      async () => (await insertedSoFar()) >= sentWarm + total,
      'persistence to store every message',
      DRAIN_TIMEOUT_MS * 3,
      100,
    );
    const persistedAfterLastSendMs = Date.now() - sendEnd;

    // Read the records back for their timestamps.
    const delivery = topics.delivery('gw-b');
    let seen = 0;
    const want = total * 4;
    await readBack(
      [topics.chatSubmitted, topics.chatIngested, topics.chatAccepted, delivery],
      (r) => {
        if (r.topic === topics.chatSubmitted) {
          const e = parseJson(ChatSubmittedV1, r.value, 'BAD_EVENT');
          const t = traces.get(e.clientMsgId);
          if (!t) return;
          t.submittedAt = e.submittedAt;
          t.submittedTs = r.timestamp;
        } else if (r.topic === topics.chatIngested) {
          const e = parseJson(ChatIngestedV1, r.value, 'BAD_EVENT');
          const t = traces.get(e.clientMsgId);
          if (!t) return;
          t.ingestedAt = e.ingestedAt;
          t.ingestedTs = r.timestamp;
        } else if (r.topic === topics.chatAccepted) {
          const e = parseJson(ChatAcceptedV1, r.value, 'BAD_EVENT');
          const t = traces.get(e.clientMsgId);
          if (!t) return;
          t.acceptedAt = e.acceptedAt;
          t.acceptedTs = r.timestamp;
        } else {
          const d = parseJson(GatewayDeliveryV1, r.value, 'BAD_EVENT');
          if (d.kind !== 'room.message') return;
          const t = traces.get(d.message.clientMsgId);
          if (!t) return;
          t.deliveryTs = r.timestamp;
        }
        seen += 1;
      },
      () => seen >= want,
    );

    const hop = (from: keyof Trace, to: keyof Trace): Summary => {
      const values: number[] = [];
      for (const t of traces.values()) {
        const a = t[from];
        const b = t[to];
        if (a !== undefined && b !== undefined) values.push(b - a);
      }
      return summarise(values);
    };
    const result = {
      bench: 'kafka-path',
      ratePerSec: rate,
      rooms,
      viewersPerRoom: 1,
      durationS,
      sent: total,
      delivered,
      actualRatePerSec: Math.round((total / (sendEnd - sendStart)) * 1000),
      hopsMs: {
        'ws in (sentAt -> submittedAt)': hop('sentAt', 'submittedAt'),
        'gateway producer queue (submittedAt -> submitted record)': hop('submittedAt', 'submittedTs'),
        'sender ack (sentAt -> ack)': hop('sentAt', 'ackAt'),
        'chat-ingest (submitted record -> ingestedAt)': hop('submittedTs', 'ingestedAt'),
        'chat-ingest producer queue (ingestedAt -> ingested record)': hop('ingestedAt', 'ingestedTs'),
        'filter (ingested record -> acceptedAt)': hop('ingestedTs', 'acceptedAt'),
        'filter producer queue (acceptedAt -> accepted record)': hop('acceptedAt', 'acceptedTs'),
        'notification (accepted record -> delivery record)': hop('acceptedTs', 'deliveryTs'),
        'gateway delivery (delivery record -> viewer)': hop('deliveryTs', 'arrivalAt'),
      },
      endToEndMs: hop('sentAt', 'arrivalAt'),
      persistedAfterLastSendMs,
      /** CPU seconds each service used per second of sending (1 = one core busy). */
      cpuCoresDuringRun: Object.fromEntries(
        Object.entries(cpuAfter).map(([name, after]) => [
          name,
          Math.round(((after - (cpuBefore[name] ?? 0)) / ((sendEnd - sendStart) / 1000)) * 100) / 100,
        ]),
      ),
      env: Object.fromEntries(
        Object.entries(process.env).filter(([k]) => k.startsWith('KAFKA_') && k !== 'KAFKA_BROKERS'),
      ),
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        node: process.version,
        loadavg: { start: loadStart, beforeRun: loadBefore, afterRun: loadAfter },
      },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const c of clients) c.close();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
