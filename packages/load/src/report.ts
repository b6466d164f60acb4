import { availableParallelism, totalmem } from 'node:os';
import type { Accounting, RoomAccounting } from './accounting';
import { encodeHistogram, percentilesMs, type Histogram, type PercentilesMs } from './histogram';
import type { WorkerCounters } from './ipc';
import type { LoadOptions } from './options';

/**
 * 2: protocol v2 — `delivered` and `deliveredPerSec` count messages (not frames), plus frames,
 * thinned, unscannedFrames. 3: `resume` (reconnects, resumes, recovered messages and their
 * latency); `latencyMs` and the timeline leave out messages recovered by a resume. 4: `gifts`
 * (`--gifts`: sent, delivered, their latency); `latencyMs` and the timeline are chat's only.
 */
export const REPORT_VERSION = 4;

/** One second of the run (the interval ((t-1) s, t s] after the start), summed over workers. */
export interface TimelinePoint {
  t: number;
  /** Open connections at the end of the second. */
  connections: number;
  sentPerSec: number;
  ackedPerSec: number;
  /** Messages delivered in that second (a v2 `messages` frame counts once per item). */
  deliveredPerSec: number;
  /** Frames carrying messages delivered in that second (v1 `message` + v2 `messages`). */
  deliveredFramesPerSec: number;
  /** Seqs the server thinned (left out of `messages` frames) in that second. */
  thinnedPerSec: number;
  likesPerSec: number;
  /** Delivery latency percentiles of the messages delivered in that second, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Everything a run measured. `--json` writes exactly this. */
export interface LoadReport {
  tool: 'roomcast-load';
  reportVersion: number;
  runId: string;
  label: string | null;
  target: LoadOptions['target'];
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; node: string; platform: string; arch: string; totalMemoryMb: number };
  scenario: {
    urls: string[];
    rooms: number;
    viewersPerRoom: number;
    sendersPerRoom: number;
    ratePerSender: number;
    /** `--gifts`: gifts per second per sender beside the chats. */
    giftsPerSecPerSender: number;
    durationSec: number;
    rampSec: number;
    likesPerSecPerRoom: number;
    sizeBytes: number;
    workers: number;
    sourceAddresses: string[];
    tokens: 'secret' | 'dev-endpoint';
    drainSec: number;
    /** roomcast protocol declared (`--protocol`); null for Centrifugo. */
    protocol: number | null;
    /** `--resume`: connections reconnect and resume their room with afterSeq. */
    resume: boolean;
  };
  connections: {
    planned: number;
    attempted: number;
    connected: number;
    joined: number;
    failed: number;
    peakOpen: number;
    failuresByCode: Record<string, number>;
    /** Connections by the protocol version their `welcome` announced (roomcast), e.g. {"2": 100}. */
    welcomeProtocols: Record<string, number>;
  };
  chats: { sent: number; acked: number; failed: number; unacked: number; rejected: number; accepted: number };
  likesSent: number;
  /**
   * `--gifts`: gifts sent and received (both also in chats.sent and delivered: gifts are messages
   * of the stream) and their delivery latency, sentAt to arrival — apart from `latencyMs`: gifts
   * are high priority (never thinned, never held by the delivery window).
   */
  gifts: { sent: number; delivered: number; latencyMs: PercentilesMs };
  /** Messages received (one per v1 frame, one per item of a v2 frame), duplicates included. */
  delivered: number;
  /** Frames that carried them: v1 `message` frames + v2 `messages` frames. */
  deliveredFrames: number;
  /** Of deliveredFrames, v2 `messages` batch frames. */
  batchFrames: number;
  /** Σ accepted messages × members of their room (see docs/load.md). */
  expected: number;
  /**
   * Messages the server thinned for expected receivers (covered by a `messages` frame's range,
   * left out of it): not delivered, not missing. delivered + thinned = expected when nothing was lost.
   */
  thinned: number;
  /**
   * Frames that looked like message(s) frames but did not scan (their shape is not the one the
   * scanner reads): counted through JSON instead, and a verdict problem.
   */
  unscannedFrames: number;
  /** Messages a member skipped: later ones arrived, these never did. */
  gaps: number;
  /** Messages after a still-connected member's last one, not arrived when the drain ended (lag or loss). */
  undelivered: number;
  /** Times a member's seq stream skipped ahead. */
  gapEvents: number;
  duplicates: number;
  outOfOrder: number;
  /** Messages members missed after the server closed them (closes are in closesByCode). */
  lostToCloses: number;
  /** Message frames without a seq (Centrifugo without history): delivered but not seq-checked. */
  unsequenced: number;
  /**
   * Sender clock (sentAt) to arrival at a receiver, every delivered chat message but those
   * recovered by a resume's catch-up (`resume.recoveredLatencyMs`) and gifts (`gifts.latencyMs`).
   */
  latencyMs: PercentilesMs;
  /** Socket open -> welcome (roomcast) / connect reply (Centrifugo). */
  connectMs: PercentilesMs;
  joinMs: PercentilesMs;
  /** chat sent -> ack (roomcast: Kafka has it) / publish reply (Centrifugo). */
  ackMs: PercentilesMs;
  /** Closes the tool did not ask for, by close code. */
  closesByCode: Record<string, number>;
  /** What reconnecting cost and recovered (`--resume`; zeros without it). */
  resume: {
    /** Reconnects that got a `welcome` again (each after a close in closesByCode). */
    reconnects: number;
    /** Reconnect attempts closed before their `welcome` (e.g. a gateway not listening). */
    reconnectsFailed: number;
    /** Rejoins with afterSeq answered by `joined`. */
    resumes: number;
    /** Of resumes, those whose `joined` named a `missing` range; `missing`: the seqs in them. */
    incomplete: number;
    missing: number;
    /** Messages received during a resume's catch-up (included in `delivered`). */
    recovered: number;
    /** Σ joined.recoveredCount: what the gateways say their catch-ups sent. */
    recoveredByGateway: number;
    /**
     * sentAt to arrival of the recovered messages: how long a viewer was away (drain spread,
     * backoff, rejoin) more than delivery speed, so not mixed into `latencyMs`.
     */
    recoveredLatencyMs: PercentilesMs;
    /** Chats rejected by a close and sent again with their clientMsgId after the resume. */
    chatsResent: number;
  };
  errorsByCode: Record<string, number>;
  throughput: {
    /** Send start to the last chat sent and acked, s. */
    sendWindowSec: number;
    /** Send start to the end of the drain, s: the window deliveredPerSec is averaged over. */
    deliveryWindowSec: number;
    sentPerSec: number;
    /** Messages per second. */
    deliveredPerSec: number;
    /** Frames carrying messages per second. */
    deliveredFramesPerSec: number;
    peakDeliveredPerSec: number;
    peakDeliveredFramesPerSec: number;
  };
  timeline: TimelinePoint[];
  /** Latency percentile spectrum of the whole run: [percentile, ms]. */
  latencySpectrum: [number, number][];
  rooms: RoomAccounting[];
  /** Exact merged histograms (HdrHistogram compressed base64, µs), to merge runs later. */
  histograms: {
    latencyUs: string;
    connectUs: string;
    joinUs: string;
    ackUs: string;
    recoveredLatencyUs: string;
    giftLatencyUs: string;
  };
  verdict: { ok: boolean; problems: string[] };
}

export interface ReportInput {
  options: LoadOptions;
  runId: string;
  startedAt: number;
  finishedAt: number;
  sendWindowSec: number;
  /** Send start to the end of the drain: deliveries that lag behind the sends still count. */
  deliveryWindowSec: number;
  plannedConnections: number;
  counters: WorkerCounters;
  closesByCode: Record<string, number>;
  connectFailuresByCode: Record<string, number>;
  errorsByCode: Record<string, number>;
  welcomeProtocols: Record<string, number>;
  latency: Histogram;
  connect: Histogram;
  join: Histogram;
  ack: Histogram;
  /** Latency of messages recovered by a resume's catch-up. */
  recovered: Histogram;
  /** Latency of gifts (`--gifts`). */
  gift: Histogram;
  timeline: TimelinePoint[];
  accounting: Accounting;
}

const SPECTRUM = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

/** Sums counters of several workers. */
export function sumCounters(list: readonly WorkerCounters[]): WorkerCounters {
  const out = { ...(list[0] as WorkerCounters) };
  for (const key of Object.keys(out) as (keyof WorkerCounters)[]) {
    out[key] = list.reduce((acc, c) => acc + c[key], 0);
  }
  return out;
}

/** Adds counts of several by-code maps. */
export function sumByCode(list: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of list) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/**
 * What makes the run fail (exit code 1): stream problems the server did not announce as drops,
 * and message frames the scanner could not read (the figures then came from a slower path than
 * the one the tool is meant to measure with). Thinning is announced by the server: not a problem.
 */
export function verdictOf(
  r: Pick<LoadReport, 'gaps' | 'undelivered' | 'duplicates' | 'outOfOrder' | 'unscannedFrames'>,
): LoadReport['verdict'] {
  const problems: string[] = [];
  if (r.unscannedFrames > 0) {
    problems.push(
      `${r.unscannedFrames} message frame(s) did not scan (not the shape frame-scan.ts reads; counted through JSON)`,
    );
  }
  if (r.gaps > 0) problems.push(`${r.gaps} message(s) skipped in a connected viewer's seq stream (gaps)`);
  if (r.undelivered > 0) {
    problems.push(
      `${r.undelivered} message(s) not delivered to connected viewers by the end of the drain (lagging or lost)`,
    );
  }
  if (r.duplicates > 0) problems.push(`${r.duplicates} duplicate message frame(s)`);
  if (r.outOfOrder > 0) problems.push(`${r.outOfOrder} message(s) delivered out of seq order`);
  return { ok: problems.length === 0, problems };
}

/** Latency by percentile of a µs histogram, whole run: [percentile, ms]; [] when it is empty. */
export function spectrumMs(h: Histogram): [number, number][] {
  return h.totalCount === 0 ? [] : SPECTRUM.map((p): [number, number] => [p, Math.round(h.getValueAtPercentile(p)) / 1000]);
}

export function buildReport(i: ReportInput): LoadReport {
  const o = i.options;
  const c = i.counters;
  const sentPerSec = i.sendWindowSec > 0 ? c.chatsSent / i.sendWindowSec : 0;
  const deliveredPerSec = i.deliveryWindowSec > 0 ? c.delivered / i.deliveryWindowSec : 0;
  const deliveredFramesPerSec = i.deliveryWindowSec > 0 ? c.deliveredFrames / i.deliveryWindowSec : 0;
  const base = {
    gaps: i.accounting.gaps,
    undelivered: i.accounting.undelivered,
    duplicates: c.duplicates,
    outOfOrder: c.outOfOrder,
    unscannedFrames: c.unscannedFrames,
  };
  return {
    tool: 'roomcast-load',
    reportVersion: REPORT_VERSION,
    runId: i.runId,
    label: o.label ?? null,
    target: o.target,
    startedAt: new Date(i.startedAt).toISOString(),
    finishedAt: new Date(i.finishedAt).toISOString(),
    machine: {
      cpus: availableParallelism(),
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      totalMemoryMb: Math.round(totalmem() / 2 ** 20),
    },
    scenario: {
      urls: o.urls,
      rooms: o.rooms,
      viewersPerRoom: o.viewers,
      sendersPerRoom: o.senders,
      ratePerSender: o.rate,
      giftsPerSecPerSender: o.giftsPerSec,
      durationSec: o.durationSec,
      rampSec: o.rampSec,
      likesPerSecPerRoom: o.likesPerSec,
      sizeBytes: o.sizeBytes,
      workers: o.workers,
      sourceAddresses: o.sourceAddresses,
      tokens: o.tokenSecret === undefined ? 'dev-endpoint' : 'secret',
      drainSec: o.drainSec,
      protocol: o.target === 'roomcast' ? o.protocol : null,
      resume: o.resume,
    },
    connections: {
      planned: i.plannedConnections,
      attempted: c.connectAttempts,
      connected: c.connected,
      joined: c.joined,
      failed: c.connectFailed,
      peakOpen: i.timeline.reduce((m, p) => Math.max(m, p.connections), 0),
      failuresByCode: i.connectFailuresByCode,
      welcomeProtocols: i.welcomeProtocols,
    },
    chats: {
      sent: c.chatsSent,
      acked: c.chatsAcked,
      failed: c.chatsFailed,
      unacked: c.chatsUnacked,
      rejected: c.rejected,
      accepted: Math.max(0, c.chatsAcked - c.rejected),
    },
    likesSent: c.likesSent,
    gifts: { sent: c.giftsSent, delivered: c.giftsDelivered, latencyMs: percentilesMs(i.gift) },
    delivered: c.delivered,
    deliveredFrames: c.deliveredFrames,
    batchFrames: c.batchFrames,
    expected: i.accounting.expected,
    thinned: i.accounting.thinned,
    ...base,
    gapEvents: c.gapEvents,
    lostToCloses: i.accounting.lostToCloses,
    unsequenced: c.unsequenced,
    latencyMs: percentilesMs(i.latency),
    connectMs: percentilesMs(i.connect),
    joinMs: percentilesMs(i.join),
    ackMs: percentilesMs(i.ack),
    closesByCode: i.closesByCode,
    resume: {
      reconnects: c.reconnects,
      reconnectsFailed: c.reconnectsFailed,
      resumes: c.resumes,
      incomplete: c.resumesIncomplete,
      missing: c.resumeMissing,
      recovered: c.recovered,
      recoveredByGateway: c.recoveredByGateway,
      recoveredLatencyMs: percentilesMs(i.recovered),
      chatsResent: c.chatsResent,
    },
    errorsByCode: i.errorsByCode,
    throughput: {
      sendWindowSec: Math.round(i.sendWindowSec * 1000) / 1000,
      deliveryWindowSec: Math.round(i.deliveryWindowSec * 1000) / 1000,
      sentPerSec: Math.round(sentPerSec * 10) / 10,
      deliveredPerSec: Math.round(deliveredPerSec * 10) / 10,
      deliveredFramesPerSec: Math.round(deliveredFramesPerSec * 10) / 10,
      peakDeliveredPerSec: i.timeline.reduce((m, p) => Math.max(m, p.deliveredPerSec), 0),
      peakDeliveredFramesPerSec: i.timeline.reduce((m, p) => Math.max(m, p.deliveredFramesPerSec), 0),
    },
    timeline: i.timeline,
    latencySpectrum: spectrumMs(i.latency),
    rooms: i.accounting.rooms,
    histograms: {
      latencyUs: encodeHistogram(i.latency),
      connectUs: encodeHistogram(i.connect),
      joinUs: encodeHistogram(i.join),
      ackUs: encodeHistogram(i.ack),
      recoveredLatencyUs: encodeHistogram(i.recovered),
      giftLatencyUs: encodeHistogram(i.gift),
    },
    verdict: verdictOf(base),
  };
}

// ------------------------------------------------------------------ text summary

/** A number as the summary prints it: thousands separated, at most 2 decimals. */
export const fmt = (n: number): string =>
  Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 });

const pct = (p: PercentilesMs): string =>
  p.count === 0
    ? '-'
    : `p50 ${fmt(p.p50)}  p90 ${fmt(p.p90)}  p99 ${fmt(p.p99)}  p99.9 ${fmt(p.p999)}  max ${fmt(p.max)}  (n=${fmt(p.count)})`;

const byCode = (m: Record<string, number>): string => {
  const entries = Object.entries(m).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k}×${fmt(v)}`).join('  ');
};

const welcomes = (m: Record<string, number>): string => {
  const entries = Object.entries(m).sort((a, b) => Number(a[0]) - Number(b[0]));
  return entries.length === 0 ? 'none' : entries.map(([v, n]) => `v${v} on ${fmt(n)}`).join(', ');
};

/** With --resume: what reconnecting cost, and the latency of the recovered messages. */
function resumeRows(r: LoadReport): [string, string][] {
  const m = r.resume;
  return [
    [
      'resume',
      `reconnects ${fmt(m.reconnects)} (failed attempts ${fmt(m.reconnectsFailed)})  ` +
        `resumes ${fmt(m.resumes)} (incomplete ${fmt(m.incomplete)}, missing ${fmt(m.missing)})  ` +
        `recovered ${fmt(m.recovered)} msgs (gateways sent ${fmt(m.recoveredByGateway)})  ` +
        `chats resent ${fmt(m.chatsResent)}`,
    ],
    ['recovered ms', pct(m.recoveredLatencyMs)],
  ];
}

/** The end-of-run table printed to stdout. */
export function formatSummary(r: LoadReport): string {
  const s = r.scenario;
  const rows: [string, string][] = [
    [
      'scenario',
      `${r.target}: ${s.rooms} room(s) × (${s.viewersPerRoom} viewers + ${s.sendersPerRoom} senders), ` +
        `${s.ratePerSender} msg/s per sender, ${s.likesPerSecPerRoom} likes/s per room, ${s.sizeBytes} B, ` +
        `${s.durationSec} s (+${s.rampSec} s ramp), ${s.workers} worker(s)`,
    ],
    [
      'connections',
      `planned ${fmt(r.connections.planned)}  joined ${fmt(r.connections.joined)}  failed ${fmt(r.connections.failed)}  peak open ${fmt(r.connections.peakOpen)}`,
    ],
    [
      'chats',
      `sent ${fmt(r.chats.sent)}  acked ${fmt(r.chats.acked)}  rejected ${fmt(r.chats.rejected)}  failed ${fmt(r.chats.failed)}  unacked ${fmt(r.chats.unacked)}`,
    ],
    ['likes sent', fmt(r.likesSent)],
    ...(r.scenario.giftsPerSecPerSender > 0
      ? ([
          ['gifts', `sent ${fmt(r.gifts.sent)}  delivered ${fmt(r.gifts.delivered)}  (${fmt(r.scenario.giftsPerSecPerSender)}/s per sender; in chats and delivered too)`],
          ['gift ms', pct(r.gifts.latencyMs)],
        ] as [string, string][])
      : []),
    [
      'delivered',
      `${fmt(r.delivered)} of expected ${fmt(r.expected)}  thinned ${fmt(r.thinned)}  gaps ${fmt(r.gaps)}  undelivered ${fmt(r.undelivered)}  duplicates ${fmt(r.duplicates)}  out-of-order ${fmt(r.outOfOrder)}  lost to closes ${fmt(r.lostToCloses)}`,
    ],
    [
      'frames',
      `${fmt(r.deliveredFrames)} (${fmt(r.batchFrames)} v2 messages frames, ` +
        `${fmt(r.deliveredFrames > 0 ? Math.round((r.delivered / r.deliveredFrames) * 100) / 100 : 0)} msgs/frame)  ` +
        `unscanned ${fmt(r.unscannedFrames)}  protocol ${r.scenario.protocol ?? '-'} (welcome: ${welcomes(r.connections.welcomeProtocols)})`,
    ],
    ['latency ms', pct(r.latencyMs)],
    ['connect ms', pct(r.connectMs)],
    ['join ms', pct(r.joinMs)],
    ['ack ms', pct(r.ackMs)],
    [
      'throughput',
      `in ${fmt(r.throughput.sentPerSec)} msg/s over ${fmt(r.throughput.sendWindowSec)} s  ` +
        `out ${fmt(r.throughput.deliveredPerSec)} msg/s, ${fmt(r.throughput.deliveredFramesPerSec)} frames/s over ${fmt(r.throughput.deliveryWindowSec)} s ` +
        `(peak second ${fmt(r.throughput.peakDeliveredPerSec)} msg/s, ${fmt(r.throughput.peakDeliveredFramesPerSec)} frames/s)`,
    ],
    ['closes', byCode(r.closesByCode)],
    ...(r.scenario.resume ? resumeRows(r) : []),
    ['connect fails', byCode(r.connections.failuresByCode)],
    ['errors', byCode(r.errorsByCode)],
    ['verdict', r.verdict.ok ? 'OK' : `FAIL: ${r.verdict.problems.join('; ')}`],
  ];
  if (r.unsequenced > 0) rows.splice(rows.findIndex(([k]) => k === 'frames') + 1, 0, ['unsequenced', `${fmt(r.unsequenced)} frames had no seq/offset`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
