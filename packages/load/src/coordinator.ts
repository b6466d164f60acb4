import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { AppError } from '@roomcast/errors';
import { consolidateRooms, expectedFromReports } from './accounting';
import { addEncoded, createHistogram, percentilesMs, type Histogram } from './histogram';
import type {
  CoordinatorMessage,
  ResultMessage,
  RoomReport,
  Sample,
  WorkerCounters,
  WorkerMessage,
} from './ipc';
import type { LoadOptions } from './options';
import { buildPlan } from './plan';
import { buildReport, sumByCode, sumCounters, type LoadReport, type TimelinePoint } from './report';

const WORKER_MAIN = join(__dirname, 'worker-main.ts');
const BOOT_TIMEOUT_MS = 30_000;
const SEND_LEAD_MS = 250;
/** Drain ends early when no new message (or thinned seq) arrived for this long. */
const DRAIN_IDLE_MS = 2000;
const DRAIN_POLL_MS = 200;
const RESULT_TIMEOUT_MS = 20_000;
const EXIT_GRACE_MS = 3000;

/** What the live display gets once per second. */
export interface LiveStatus {
  phase: 'ramp' | 'send' | 'drain' | 'finish';
  point: TimelinePoint;
  plannedConnections: number;
  totalSent: number;
  totalDelivered: number;
}

export interface RunHooks {
  onSecond?(status: LiveStatus): void;
  /** Replaces `fork` (tests). */
  forkWorker?(index: number): ChildProcess;
}

/** The run could not be carried out (exit code 3), as opposed to a run that measured problems. */
export class RunFailure extends AppError {
  constructor(message: string, cause?: unknown) {
    super('INTERNAL', message, { cause });
  }
}

function defaultFork(): ChildProcess {
  // Workers run the TypeScript sources like the CLI does: reuse tsx's loader flags when present.
  const execArgv = process.execArgv.some((a) => a.includes('tsx')) ? process.execArgv : ['--import', 'tsx'];
  return fork(WORKER_MAIN, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

interface SecondAgg {
  workers: number;
  open: number;
  sent: number;
  acked: number;
  delivered: number;
  deliveredFrames: number;
  thinned: number;
  likes: number;
  latency: Histogram;
}

class WorkerHandle {
  booted = false;
  ready = false;
  sendDone: RoomReport[] | null = null;
  delivered = 0;
  thinned = 0;
  counters: WorkerCounters | null = null;
  result: ResultMessage | null = null;
  exited = false;
  constructor(
    readonly index: number,
    readonly child: ChildProcess,
  ) {}
  send(m: CoordinatorMessage): void {
    if (!this.exited && this.child.connected) this.child.send(m);
  }
}

async function until(
  what: string,
  cond: () => boolean,
  timeoutMs: number,
  failed: () => string | null,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    const why = failed();
    if (why !== null) throw new RunFailure(`${what}: ${why}`);
    if (Date.now() > deadline) throw new RunFailure(`${what}: timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Runs one scenario: forks the workers, ramps every connection, sends for the duration once all
 * joined, drains until every expected frame arrived (or nothing moves), then merges the workers'
 * counters and histograms exactly and returns the report.
 */
export async function runLoad(options: LoadOptions, hooks: RunHooks = {}): Promise<LoadReport> {
  const plan = buildPlan(options);
  const startedAt = Date.now();
  const handles: WorkerHandle[] = [];
  const seconds = new Map<number, SecondAgg>();
  const totalLatency = createHistogram();
  let phase: LiveStatus['phase'] = 'ramp';
  let fatal: string | null = null;
  let totalSent = 0;
  let totalDelivered = 0;

  const addSample = (s: Sample): void => {
    let agg = seconds.get(s.k);
    if (agg === undefined) {
      agg = {
        workers: 0,
        open: 0,
        sent: 0,
        acked: 0,
        delivered: 0,
        deliveredFrames: 0,
        thinned: 0,
        likes: 0,
        latency: createHistogram(),
      };
      seconds.set(s.k, agg);
    }
    agg.workers++;
    agg.open += s.open;
    agg.sent += s.sent;
    agg.acked += s.acked;
    agg.delivered += s.delivered;
    agg.deliveredFrames += s.deliveredFrames;
    agg.thinned += s.thinned;
    agg.likes += s.likes;
    addEncoded(agg.latency, s.latency);
    addEncoded(totalLatency, s.latency);
    totalSent += s.sent;
    totalDelivered += s.delivered;
    if (agg.workers === handles.length && hooks.onSecond) {
      hooks.onSecond({
        phase,
        point: toPoint(s.k, agg),
        plannedConnections: plan.totalConnections,
        totalSent,
        totalDelivered,
      });
    }
  };

  const onMessage = (h: WorkerHandle, m: WorkerMessage): void => {
    switch (m.type) {
      case 'booted':
        h.booted = true;
        return;
      case 'ready':
        h.ready = true;
        return;
      case 'sample':
        h.counters = m.counters;
        addSample(m.sample);
        return;
      case 'sendDone':
        h.sendDone = m.rooms;
        return;
      case 'count':
        h.delivered = m.delivered;
        h.thinned = m.thinned;
        return;
      case 'result':
        h.result = m;
        h.counters = m.counters;
        return;
      case 'fatal':
        fatal = `worker ${h.index}: ${m.message}`;
        return;
    }
  };

  for (let w = 0; w < options.workers; w++) {
    const child = (hooks.forkWorker ?? defaultFork)(w);
    const h = new WorkerHandle(w, child);
    child.on('message', (m: WorkerMessage) => onMessage(h, m));
    child.on('exit', (code, signal) => {
      h.exited = true;
      if (h.result === null && fatal === null)
        fatal = `worker ${w} exited (${signal ?? code}) before reporting`;
    });
    child.on('error', (err) => {
      fatal ??= `worker ${w}: ${err.message}`;
    });
    handles.push(h);
  }
  const failed = () => fatal;
  const stopAll = () => {
    for (const h of handles) if (!h.exited) h.child.kill('SIGKILL');
  };

  try {
    await until('starting workers', () => handles.every((h) => h.booted), BOOT_TIMEOUT_MS, failed);
    const t0 = Date.now();
    handles.forEach((h) => h.send({ type: 'init', options, plan: plan.workers[h.index]!, t0 }));

    const rampBudget = options.rampSec * 1000 + options.requestTimeoutMs * 2 + 30_000;
    await until('opening connections', () => handles.every((h) => h.ready), rampBudget, failed);

    const sendStartAt = Date.now() + SEND_LEAD_MS;
    phase = 'send';
    handles.forEach((h) => h.send({ type: 'send', startAt: sendStartAt }));
    const sendBudget = SEND_LEAD_MS + options.durationSec * 1000 + options.requestTimeoutMs + 30_000;
    await until('sending', () => handles.every((h) => h.sendDone !== null), sendBudget, failed);
    const sendWindowSec = (Date.now() - sendStartAt) / 1000;

    phase = 'drain';
    const target = expectedFromReports(handles.flatMap((h) => h.sendDone ?? []));
    const drainDeadline = Date.now() + options.drainSec * 1000;
    let last = -1;
    let lastMoved = Date.now();
    for (;;) {
      handles.forEach((h) => h.send({ type: 'poll' }));
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
      if (fatal !== null) throw new RunFailure(fatal);
      // A thinned seq is settled for its receiver just like a delivered one.
      const delivered = handles.reduce((acc, h) => acc + h.delivered + h.thinned, 0);
      if (delivered >= target) break;
      if (delivered !== last) {
        last = delivered;
        lastMoved = Date.now();
      } else if (Date.now() - lastMoved > DRAIN_IDLE_MS) break;
      if (Date.now() > drainDeadline) break;
    }

    const deliveryWindowSec = (Date.now() - sendStartAt) / 1000;
    phase = 'finish';
    handles.forEach((h) => h.send({ type: 'finish' }));
    await until(
      'collecting results',
      () => handles.every((h) => h.result !== null),
      RESULT_TIMEOUT_MS,
      failed,
    );
    const results = handles.map((h) => h.result as ResultMessage);
    for (const r of results) addSample(r.finalSample);

    const connect = createHistogram();
    const joinH = createHistogram();
    const ack = createHistogram();
    const recovered = createHistogram();
    const gift = createHistogram();
    for (const r of results) {
      addEncoded(connect, r.connectUs);
      addEncoded(joinH, r.joinUs);
      addEncoded(ack, r.ackUs);
      addEncoded(recovered, r.recoveredUs);
      addEncoded(gift, r.giftUs);
    }
    const timeline = [...seconds.entries()].sort((a, b) => a[0] - b[0]).map(([k, agg]) => toPoint(k, agg));
    return buildReport({
      options,
      runId: plan.runId,
      startedAt,
      finishedAt: Date.now(),
      sendWindowSec,
      deliveryWindowSec,
      plannedConnections: plan.totalConnections,
      counters: sumCounters(results.map((r) => r.counters)),
      closesByCode: sumByCode(results.map((r) => r.closesByCode)),
      connectFailuresByCode: sumByCode(results.map((r) => r.connectFailuresByCode)),
      errorsByCode: sumByCode(results.map((r) => r.errorsByCode)),
      welcomeProtocols: sumByCode(results.map((r) => r.welcomeProtocols)),
      latency: totalLatency,
      connect,
      join: joinH,
      ack,
      recovered,
      gift,
      timeline,
      accounting: consolidateRooms(results.flatMap((r) => r.rooms)),
    });
  } finally {
    // Workers exit by themselves after reporting; anything still alive after a grace period is stuck.
    const deadline = Date.now() + EXIT_GRACE_MS;
    while (handles.some((h) => !h.exited) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    stopAll();
  }
}

function toPoint(k: number, agg: SecondAgg): TimelinePoint {
  const p = percentilesMs(agg.latency);
  return {
    t: k,
    connections: agg.open,
    sentPerSec: agg.sent,
    ackedPerSec: agg.acked,
    deliveredPerSec: agg.delivered,
    deliveredFramesPerSec: agg.deliveredFrames,
    thinnedPerSec: agg.thinned,
    likesPerSec: agg.likes,
    p50: p.p50,
    p90: p.p90,
    p99: p.p99,
    max: p.max,
  };
}
