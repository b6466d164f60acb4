/**
 * The chaos suite (`pnpm chaos`): a steady chat load on the real stack while every service is
 * killed with -9 and restarted, and Kafka and Redis are restarted, one at a time. Then a quiet
 * tail, and an audit from three independent sources — what the senders were acked, what MongoDB
 * holds, what each client emitted. Prints the JSON (also written to bench/results/chaos-<time>.json)
 * and exits 0 only when nothing was lost, nothing duplicated, no client has a gap and the DLQ is
 * empty. docs/benchmarks.md, "Reliability (chaos suite)", explains every field.
 *
 *   pnpm chaos [--duration-s 60] [--rooms 4] [--senders 4] [--viewers 8] [--rate 30]
 *              [--blocked-every 20] [--fault-interval-s 7] [--tail-timeout-s 60] [--drop-every-s 3]
 *              [--catchup-max 20] [--keep-infra]
 *   pnpm chaos --down          stop the private infrastructure a killed run left behind
 *
 * It starts (and stops) its own Kafka, Redis and FerretDB through scripts/infra.sh on other ports
 * and another run dir (bench/chaos/infra.ts): restarting the instance the tests share would break
 * whatever runs on it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { KafkaMessageBus } from '@roomcast/bus';
import { silentLogger } from '@roomcast/logger';
import { ChatRejectedV1, resolveTopics } from '@roomcast/contracts';
import { MongoMessageStore } from '@roomcast/store';
import { uniqueId, waitFor } from '@roomcast/testing';
import { ROOT } from '../test/harness/processes';
import { startRealStack, type RealStack } from '../test/harness/stacks';
import { audit, failures, type StoredMessage } from './chaos/audit';
import { ChaosSender, ChaosViewer, type ClientSetup } from './chaos/clients';
import { runFaults, type FaultRecord, type FaultStep } from './chaos/faults';
import { CHAOS_PORTS, ChaosInfra } from './chaos/infra';

/** The word the stack's filter blocks (test tuning FILTER_BLOCKED_WORDS). */
const BLOCKED_WORD = 'badword';
/** History pages of the audit: the API's and the store's maximum. */
const PAGE = 500;
/** The tail ends early when nothing changed for this long, ms. */
const TAIL_QUIET_MS = 10_000;
const TAIL_POLL_MS = 1000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0)
    throw new Error(`--${name}: a non-negative number, got ${process.argv[i + 1]}`);
  return v;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const log = (line: string): void => void process.stderr.write(`[chaos] ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const options = {
  durationMs: arg('duration-s', 60) * 1000,
  rooms: arg('rooms', 4),
  senders: arg('senders', 4),
  viewers: arg('viewers', 8),
  ratePerSec: arg('rate', 30),
  blockedEvery: arg('blocked-every', 20),
  faultIntervalMs: arg('fault-interval-s', 7) * 1000,
  tailTimeoutMs: arg('tail-timeout-s', 60) * 1000,
  dropEveryMs: arg('drop-every-s', 3) * 1000,
  catchupMax: arg('catchup-max', 20),
};

/** Every document of `rooms`, read page by page straight from MongoDB. */
async function readStored(store: MongoMessageStore, rooms: string[]): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for (const roomId of rooms) {
    let afterSeq = 0;
    for (;;) {
      const page = await store.listByRoom(roomId, { afterSeq, limit: PAGE });
      for (const m of page) {
        out.push({
          roomId: m.roomId,
          seq: m.seq,
          userId: m.userId,
          clientMsgId: m.clientMsgId,
          acceptedAt: m.acceptedAt,
        });
      }
      const last = page[page.length - 1];
      if (page.length < PAGE || last === undefined) break;
      afterSeq = last.seq;
    }
  }
  return out;
}

/** The newest stored seq of each room (a cheap poll for the tail). */
async function storedHeads(
  store: MongoMessageStore,
  rooms: string[],
  heads: Map<string, number>,
): Promise<number> {
  let total = 0;
  for (const roomId of rooms) {
    let head = heads.get(roomId) ?? 0;
    for (;;) {
      const page = await store.listByRoom(roomId, { afterSeq: head, limit: PAGE });
      head = page[page.length - 1]?.seq ?? head;
      if (page.length < PAGE) break;
    }
    heads.set(roomId, head);
    total += head;
  }
  return total;
}

/**
 * Who the filter rejected: every record of the rejected topic, read from the start. Tells a lost
 * blocked message whose rejection never reached its sender from one that was never rejected.
 */
async function readRejections(bus: KafkaMessageBus, topic: string): Promise<ChatRejectedV1[]> {
  const expected = (await bus.topicRecordCounts((name) => name === topic))[topic] ?? 0;
  const out: ChatRejectedV1[] = [];
  if (expected === 0) return out;
  const sub = await bus.subscribe({
    groupId: uniqueId('chaos-audit'),
    topics: [topic],
    fromBeginning: true,
    handler: async (records) => {
      for (const r of records) {
        // Never throw here: a failing handler would send the record to a .dlq topic of this run.
        let value: unknown;
        try {
          value = JSON.parse(r.value.toString());
        } catch (err) {
          log(`${topic}: a record that is not JSON (${String(err)})`);
        }
        const parsed = ChatRejectedV1.safeParse(value);
        if (parsed.success) out.push(parsed.data);
      }
    },
  });
  try {
    await waitFor(() => out.length >= expected, `${expected} records of ${topic}`, 30_000, 100);
  } finally {
    await sub.stop();
  }
  return out;
}

function faultSteps(stack: RealStack, infra: ChaosInfra): FaultStep[] {
  const service = (name: string): FaultStep => {
    const proc = stack.processes.find((p) => p.name === name);
    if (!proc) throw new Error(`no process ${name}`);
    return {
      target: name,
      action: 'kill -9 + restart',
      run: async () => {
        await proc.kill();
        await proc.restart();
      },
    };
  };
  const server = (target: 'kafka' | 'redis'): FaultStep => ({
    target,
    action: 'restart',
    run: () => infra.restart(target),
  });
  return [
    service('gateway-a'),
    service('chat-ingest'),
    service('filter'),
    server('kafka'),
    service('persistence'),
    service('notification'),
    server('redis'),
  ];
}

interface Clients {
  viewers: ChaosViewer[];
  senders: ChaosSender[];
  all: ChaosViewer[];
}

/**
 * Viewers of two rooms each and senders in every room. Clients start on alternate gateways and
 * move to the other one on a reconnect; every fourth viewer knows only gateway A, so it waits for
 * the killed A to come back and resumes there.
 */
async function startClients(stack: RealStack, rooms: string[], into: ChaosViewer[]): Promise<Clients> {
  const [urlA, urlB] = stack.gatewayUrls as [string, string];
  const setupFor = (i: number, pinned: boolean): ClientSetup => ({
    token: stack.token,
    urls: pinned ? [urlA] : i % 2 === 0 ? [urlA, urlB] : [urlB, urlA],
    historyUrl: stack.historyUrl,
  });
  const viewers: ChaosViewer[] = [];
  const senders: ChaosSender[] = [];
  for (let i = 0; i < options.viewers; i++) {
    const mine = new Set([rooms[i % rooms.length] as string, rooms[(i + 1) % rooms.length] as string]);
    viewers.push(await ChaosViewer.start(`viewer-${i}`, [...mine], setupFor(i, i % 4 === 0)));
    into.push(viewers[i] as ChaosViewer);
  }
  for (let i = 0; i < options.senders; i++) {
    senders.push(await ChaosSender.start(`sender-${i}`, rooms, setupFor(i, false)));
    into.push(senders[i] as ChaosSender);
  }
  return { viewers, senders, all: into };
}

/**
 * The load, with the faults and the socket cuts running beside it: `ratePerSec` new messages,
 * round-robin over senders and rooms, every `blockedEvery`-th with the blocked word. Lasts at
 * least `durationMs`, and until the last fault has recovered and a few seconds of load have run
 * on the whole system again.
 */
async function runLoad(
  stack: RealStack,
  infra: ChaosInfra,
  rooms: string[],
  clients: Clients,
  loadStart: number,
): Promise<{ faults: FaultRecord[]; messages: number }> {
  const plan = {
    firstAtMs: Math.min(6000, options.faultIntervalMs),
    intervalMs: options.faultIntervalMs,
    settleMs: 2000,
  };
  const faultsDone = runFaults(faultSteps(stack, infra), plan, loadStart, log);
  let faults: FaultRecord[] | undefined;
  void faultsDone.then((f) => (faults = f));
  const since = (): string => `t=${((Date.now() - loadStart) / 1000).toFixed(1)}s`;
  const dropper =
    options.dropEveryMs > 0
      ? setInterval(() => {
          const victim = clients.all[Math.floor(Math.random() * clients.all.length)];
          if (victim?.drop()) log(`${since()} cut the socket of ${victim.id}`);
        }, options.dropEveryMs)
      : undefined;
  const { senders } = clients;
  const intervalMs = 1000 / options.ratePerSec;
  let loadUntil = loadStart + options.durationMs;
  let k = 0;
  for (;;) {
    if (faults !== undefined) {
      loadUntil = Math.max(loadUntil, faultsEnd(faults, loadStart) + 5000);
      if (Date.now() >= loadUntil) break;
    }
    const wait = loadStart + k * intervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    const sender = senders[k % senders.length] as ChaosSender;
    const room = rooms[Math.floor(k / senders.length) % rooms.length] as string;
    const blocked = options.blockedEvery > 0 && k % options.blockedEvery === options.blockedEvery - 1;
    sender.send(room, blocked ? BLOCKED_WORD : undefined);
    k++;
  }
  clearInterval(dropper);
  return { faults: await faultsDone, messages: k };
}

/**
 * The quiet tail: senders still resend what is unacked, nothing new is sent. Ends when every
 * message is acked, every acked blocked one rejected, and every client has the newest stored seq
 * of its rooms ('settled'); or when none of that moved for TAIL_QUIET_MS; or at the timeout.
 */
async function quietTail(store: MongoMessageStore, rooms: string[], clients: Clients): Promise<string> {
  const started = Date.now();
  const heads = new Map<string, number>();
  let lastChange = Date.now();
  let lastSignature = '';
  while (Date.now() - started < options.tailTimeoutMs) {
    const storedTotal = await storedHeads(store, rooms, heads).catch(() => -1);
    const pending = clients.senders.reduce((s, x) => s + x.pending, 0);
    const unrejected = clients.senders.reduce(
      (s, x) => s + x.messages.filter((m) => m.blocked && m.acked && !m.rejected).length,
      0,
    );
    const received = clients.all.reduce((s, c) => s + c.received.length, 0);
    const caughtUp = clients.all.every((c) => c.rooms.every((r) => c.lastSeq(r) >= (heads.get(r) ?? 0)));
    if (storedTotal >= 0 && pending === 0 && unrejected === 0 && caughtUp) return 'settled';
    const signature = `${storedTotal}/${pending}/${unrejected}/${received}`;
    if (signature !== lastSignature) {
      lastSignature = signature;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > TAIL_QUIET_MS) {
      return `nothing moved for ${TAIL_QUIET_MS} ms`;
    }
    await sleep(TAIL_POLL_MS);
  }
  return 'timeout';
}

async function main(): Promise<number> {
  const infra = new ChaosInfra();
  if (flag('down')) {
    await infra.down();
    return 0;
  }
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const resultsDir = join(ROOT, 'bench', 'results');
  const logDir = join(resultsDir, `chaos-${stamp}`);
  mkdirSync(logDir, { recursive: true });
  const phases: Record<string, number> = {};
  const loadBefore = loadavg()[0];
  let stack: RealStack | undefined;
  const opened: ChaosViewer[] = [];
  let bus: KafkaMessageBus | undefined;
  let store: MongoMessageStore | undefined;
  const cleanup = async (): Promise<void> => {
    for (const c of opened) c.close();
    await Promise.allSettled([stack?.stop(), bus?.close(), store?.close()]);
    if (!flag('keep-infra'))
      await infra.down().catch((err: unknown) => log(`infra down failed: ${String(err)}`));
  };
  const onSignal = (): void => {
    log('interrupted: stopping the stack and the private infrastructure');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    let t = Date.now();
    const { kafka, redis, ferretdb } = CHAOS_PORTS;
    log(
      `private infrastructure: kafka :${kafka}, redis :${redis}, ferretdb :${ferretdb}, run dir ${infra.runDir}`,
    );
    await infra.up();
    phases.infraUpMs = Date.now() - t;

    t = Date.now();
    const tuning = {
      // Resends come in bursts after a reconnect; the default 20/s with burst 40 would refuse them.
      WS_CHAT_RATE_PER_SEC: '100',
      WS_CHAT_BURST: '200',
      LIKES_TICK_MS: '1000',
      ONLINE_TICK_MS: '2000',
      // Small, so that a resume after a few seconds away also pages history (joined.missing),
      // not only the gateway's catch-up from the recent-message cache.
      CATCHUP_MAX_MESSAGES: String(options.catchupMax),
    };
    stack = await startRealStack(tuning, { infra: infra.urls, logDir });
    phases.stackStartMs = Date.now() - t;
    log(`stack up in ${phases.stackStartMs} ms (topic prefix ${stack.topicPrefix}, logs in ${logDir})`);
    const runId = uniqueId('chaos');
    const rooms = Array.from({ length: options.rooms }, (_, i) => `${runId}-r${i}`);
    const clients = await startClients(stack, rooms, opened);

    const loadStart = Date.now();
    log(
      `load: ${options.ratePerSec} msgs/s, ${rooms.length} rooms, ${clients.senders.length} senders, ${clients.viewers.length} viewers`,
    );
    const { faults, messages } = await runLoad(stack, infra, rooms, clients, loadStart);
    phases.loadMs = Date.now() - loadStart;
    log(
      `load over after ${phases.loadMs} ms, ${messages} messages; quiet tail (at most ${options.tailTimeoutMs} ms)`,
    );

    t = Date.now();
    store = new MongoMessageStore({ uri: infra.urls.mongoUrl, dbName: stack.mongoDb });
    const tailEnd = await quietTail(store, rooms, clients);
    // One more poll interval, so a message stored at the last moment is in the audit's read.
    await sleep(TAIL_POLL_MS);
    for (const s of clients.senders) s.stop();
    phases.tailMs = Date.now() - t;
    log(`tail over (${tailEnd}) after ${phases.tailMs} ms; auditing`);

    const stored = await readStored(store, rooms);
    bus = new KafkaMessageBus({
      brokers: infra.urls.kafkaBrokers,
      clientId: `${runId}-audit`,
      logger: silentLogger(),
    });
    const prefix = stack.topicPrefix;
    const dlqTopics = await bus.topicRecordCounts((name) => name.startsWith(prefix) && name.endsWith('.dlq'));
    const dlq = Object.values(dlqTopics).reduce((a, b) => a + b, 0);
    const rejections = await readRejections(bus, resolveTopics(prefix).chatRejected);
    const result = audit(
      clients.senders.flatMap((s) => s.messages),
      stored,
      clients.all.map((c) => c.log()),
      rejections,
    );
    const faultErrors = faults
      .filter((f) => f.error !== undefined)
      .map((f) => `fault ${f.target}: ${f.error}`);
    const why = failures(result, dlq, faultErrors);
    phases.totalMs = Date.now() - startedAt.getTime();

    const gatewayName = new Map(stack.gatewayUrls.map((u, i) => [u, i === 0 ? 'gateway-a' : 'gateway-b']));
    const acceptedAt = new Map(stored.map((m) => [`${m.roomId} ${m.seq}`, m.acceptedAt]));
    const report = {
      passed: why.length === 0,
      failures: why,
      counts: { ...result.counts, dlq },
      checks: result.checks,
      faults,
      viewers: result.viewers.map((v) => {
        const c = clients.all.find((x) => x.id === v.id);
        const troubled =
          v.gapsAfterRecovery + v.missedAtStart + v.behindAtEnd + v.deliveredTwice + v.sdkLost > 0;
        return {
          ...v,
          urls: c?.urls.map((u) => gatewayName.get(u) ?? u),
          drops: c?.drops,
          errors: c?.errorSummary(),
          // Only for a client that missed or doubled something, or sent a lost message: its
          // connection's story and when the seqs it misses were accepted, ms from the load's start.
          timeline: troubled ? c?.timeline.map((e) => `${e.at - loadStart} ${e.event}`) : undefined,
          missingAcceptedAtMs: troubled
            ? Object.entries(v.missingSample).flatMap(([room, seqs]) =>
                seqs.map((seq) => `${room} ${seq}: ${(acceptedAt.get(`${room} ${seq}`) ?? NaN) - loadStart}`),
              )
            : undefined,
        };
      }),
      dlqTopics,
      lostSample: result.lostSample.map((m) => ({
        ...m,
        firstSentAt: m.firstSentAt - loadStart,
        ackedAt: m.ackedAt === undefined ? undefined : m.ackedAt - loadStart,
      })),
      duplicateSample: result.duplicateSample,
      tailEnd,
      phases,
      options,
      startedAt: startedAt.toISOString(),
      loadStartedAt: new Date(loadStart).toISOString(),
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        node: process.version,
        loadavg1mBefore: loadBefore,
        loadavg1mAfter: loadavg()[0],
      },
      logs: logDir,
    };
    const json = JSON.stringify(report, null, 2);
    const file = join(resultsDir, `chaos-${stamp}.json`);
    writeFileSync(file, `${json}\n`);
    console.log(json);
    log(`${report.passed ? 'PASSED' : 'FAILED'}; written to ${file}`);
    if (!report.passed) {
      for (const reason of why) log(`  ${reason}`);
      for (const p of stack.processes) {
        const logFile = join(logDir, `${p.name}.log`);
        if (!existsSync(logFile)) continue;
        const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-8);
        log(`--- last lines of ${p.name} ---\n${tail.map((l) => l.slice(0, 300)).join('\n')}`);
      }
    }
    return report.passed ? 0 : 1;
  } finally {
    await cleanup();
  }
}

/** When the last fault's target answered again, epoch ms. */
function faultsEnd(faults: FaultRecord[], loadStart: number): number {
  return Math.max(loadStart, ...faults.map((f) => loadStart + f.atMs + (f.recoveredMs ?? 0)));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
