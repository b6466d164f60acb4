/**
 * The chaos suite's accounting: what the senders were told, what MongoDB holds and what each
 * viewer emitted, compared with one another. Three independent sources; the system's own
 * counters (the SDK's `stats()`) are reported beside them, never instead of them.
 */

/** One chat message a sender tried to get acked (every resend reuses its clientMsgId). */
export interface SentMessage {
  userId: string;
  clientMsgId: string;
  roomId: string;
  /** Carries a blocked word: the filter must reject it (never stored, a `rejected` frame). */
  blocked: boolean;
  /** `chat()` calls for it, the first included. */
  attempts: number;
  acked: boolean;
  /** The sender got a `rejected` frame for it. */
  rejected: boolean;
  /** First `chat()` call and first ack, epoch ms (for the report of a lost message). */
  firstSentAt: number;
  ackedAt?: number;
}

/** One document of the messages collection. */
export interface StoredMessage {
  roomId: string;
  seq: number;
  userId: string;
  clientMsgId: string;
  /** When the filter accepted it, epoch ms (for the report's timelines). */
  acceptedAt: number;
}

/** One `message` event a client emitted, in the order emitted. */
export interface ReceivedMessage {
  roomId: string;
  seq: number;
  userId: string;
  clientMsgId: string;
}

/** What one client saw: its `message` events and the SDK's own account. */
export interface ViewerLog {
  id: string;
  rooms: string[];
  received: ReceivedMessage[];
  /** `lost` events: ranges the SDK gave up. */
  lostRanges: { roomId: string; fromSeq: number; toSeq: number }[];
  /** `stats()` at the end. */
  sdk: {
    recovered: number;
    lost: number;
    gaps: number;
    duplicatesDropped: number;
    reconnects: number;
    thinned: number;
  };
}

export interface ViewerReport {
  id: string;
  rooms: number;
  received: number;
  /** Stored seqs of its rooms between its first and last seen that it never emitted. */
  gapsAfterRecovery: number;
  /** Stored seqs of its rooms before the first it emitted (it joined before the first message). */
  missedAtStart: number;
  /** Stored seqs of its rooms after the last it emitted (not caught up when the run ended). */
  behindAtEnd: number;
  /** Seqs it emitted more than once (each extra emission counts). */
  deliveredTwice: number;
  /** Seqs it emitted whose message differs from the stored one (same room, same seq). */
  seqConflicts: number;
  /** The SDK's `stats().lost`, and the seqs its `lost` events named. */
  sdkLost: number;
  sdkLostRanges: { roomId: string; fromSeq: number; toSeq: number }[];
  sdk: ViewerLog['sdk'];
  /** Up to 20 missing seqs per room, for the report. */
  missingSample: Record<string, number[]>;
}

export interface Audit {
  counts: {
    /** Distinct messages the senders generated. */
    sent: number;
    /** `chat()` calls, resends included. */
    attempts: number;
    acked: number;
    /** Generated but never acked when the run ended (a sender gave up): not counted as lost. */
    unacked: number;
    /** Distinct (userId, clientMsgId) stored or emitted by a client, with a seq. */
    accepted: number;
    /** Distinct messages their sender got a `rejected` frame for. */
    rejected: number;
    /** Documents in the messages collection. */
    persisted: number;
    /** Acked, yet neither stored nor rejected. */
    lost: number;
    /** Stored twice (extra documents with one (userId, clientMsgId)) plus delivered twice to one client. */
    duplicated: number;
    duplicatedStored: number;
    duplicatedDelivered: number;
    /** Sum over clients of `gapsAfterRecovery + missedAtStart + behindAtEnd`. */
    gapsAfterRecovery: number;
    /** Sum over clients of the SDK's `stats().lost`. */
    sdkLost: number;
    /** Emitted under a seq whose stored message is another one. */
    seqConflicts: number;
  };
  /** Consistency beyond the pass criteria, reported for diagnosis. */
  checks: {
    /** Stored messages of a blocked text (the filter should have rejected them). */
    blockedStored: number;
    /** Acked blocked messages whose sender never got a `rejected` frame (they count as lost). */
    blockedUnnotified: number;
    /** Of the lost: ones the filter did reject (on the rejected topic), whose `rejected` frame never reached the sender. */
    lostRejectionUndelivered: number;
    /** Stored seqs missing in 1..max of a room (a seq handed out, no message stored under it). */
    storedSeqHoles: number;
    /** Stored messages no sender of this run sent. */
    storedUnknown: number;
  };
  /** Up to 20 lost messages and 20 duplicates, for diagnosis. */
  lostSample: Pick<
    SentMessage,
    'userId' | 'clientMsgId' | 'roomId' | 'attempts' | 'blocked' | 'firstSentAt' | 'ackedAt'
  >[];
  duplicateSample: { userId: string; clientMsgId: string; seqs: number[] }[];
  viewers: ViewerReport[];
}

const SAMPLE = 20;

const msgKey = (userId: string, clientMsgId: string): string => `${userId}\u0000${clientMsgId}`;

/**
 * Accounts one run. Pure: everything it needs is in its arguments. `rejectedOnTopic`: the
 * (userId, clientMsgId) of every record on the rejected topic, to tell a rejection that was never
 * made from one that never reached its sender.
 */
export function audit(
  sent: SentMessage[],
  stored: StoredMessage[],
  viewers: ViewerLog[],
  rejectedOnTopic: { userId: string; clientMsgId: string }[] = [],
): Audit {
  const onTopic = new Set(rejectedOnTopic.map((r) => msgKey(r.userId, r.clientMsgId)));
  const sentByKey = new Map(sent.map((m) => [msgKey(m.userId, m.clientMsgId), m]));

  // MongoDB: per (userId, clientMsgId) the seqs it is stored under; per room seq -> message.
  const storedByKey = new Map<string, StoredMessage[]>();
  const storedByRoom = new Map<string, Map<number, StoredMessage>>();
  for (const doc of stored) {
    const key = msgKey(doc.userId, doc.clientMsgId);
    const list = storedByKey.get(key) ?? [];
    list.push(doc);
    storedByKey.set(key, list);
    let room = storedByRoom.get(doc.roomId);
    if (!room) storedByRoom.set(doc.roomId, (room = new Map()));
    room.set(doc.seq, doc);
  }
  let duplicatedStored = 0;
  const duplicateSample: Audit['duplicateSample'] = [];
  for (const list of storedByKey.values()) {
    if (list.length < 2) continue;
    duplicatedStored += list.length - 1;
    const first = list[0] as StoredMessage;
    if (duplicateSample.length < SAMPLE) {
      duplicateSample.push({
        userId: first.userId,
        clientMsgId: first.clientMsgId,
        seqs: list.map((d) => d.seq),
      });
    }
  }
  let storedSeqHoles = 0;
  for (const room of storedByRoom.values()) storedSeqHoles += Math.max(...room.keys()) - room.size;

  // Accepted: stored, or emitted with a seq by any client.
  const accepted = new Set(storedByKey.keys());
  for (const v of viewers) for (const m of v.received) accepted.add(msgKey(m.userId, m.clientMsgId));

  const viewerReports = viewers.map((v) => viewerReport(v, storedByRoom));

  let acked = 0;
  let rejected = 0;
  let lost = 0;
  let blockedUnnotified = 0;
  let lostRejectionUndelivered = 0;
  const lostSample: Audit['lostSample'] = [];
  for (const m of sent) {
    if (m.acked) acked++;
    if (m.rejected) rejected++;
    const isStored = storedByKey.has(msgKey(m.userId, m.clientMsgId));
    if (m.acked && !isStored && !m.rejected) {
      lost++;
      if (m.blocked) blockedUnnotified++;
      if (onTopic.has(msgKey(m.userId, m.clientMsgId))) lostRejectionUndelivered++;
      if (lostSample.length < SAMPLE) {
        const { userId, clientMsgId, roomId, attempts, blocked, firstSentAt, ackedAt } = m;
        lostSample.push({ userId, clientMsgId, roomId, attempts, blocked, firstSentAt, ackedAt });
      }
    }
  }
  let blockedStored = 0;
  let storedUnknown = 0;
  for (const key of storedByKey.keys()) {
    const m = sentByKey.get(key);
    if (m === undefined) storedUnknown++;
    else if (m.blocked) blockedStored++;
  }

  const sum = (f: (r: ViewerReport) => number): number => viewerReports.reduce((s, r) => s + f(r), 0);
  const duplicatedDelivered = sum((r) => r.deliveredTwice);
  return {
    counts: {
      sent: sent.length,
      attempts: sent.reduce((s, m) => s + m.attempts, 0),
      acked,
      unacked: sent.length - acked,
      accepted: accepted.size,
      rejected,
      persisted: stored.length,
      lost,
      duplicated: duplicatedStored + duplicatedDelivered,
      duplicatedStored,
      duplicatedDelivered,
      gapsAfterRecovery: sum((r) => r.gapsAfterRecovery + r.missedAtStart + r.behindAtEnd),
      sdkLost: sum((r) => r.sdkLost),
      seqConflicts: sum((r) => r.seqConflicts),
    },
    checks: { blockedStored, blockedUnnotified, lostRejectionUndelivered, storedSeqHoles, storedUnknown },
    lostSample,
    duplicateSample,
    viewers: viewerReports,
  };
}

function viewerReport(v: ViewerLog, storedByRoom: Map<string, Map<number, StoredMessage>>): ViewerReport {
  let gaps = 0;
  let atStart = 0;
  let behind = 0;
  let twice = 0;
  let conflicts = 0;
  const missingSample: Record<string, number[]> = {};
  for (const roomId of v.rooms) {
    const seen = new Set<number>();
    let first = Infinity;
    let last = 0;
    for (const m of v.received) {
      if (m.roomId !== roomId) continue;
      if (seen.has(m.seq)) twice++;
      seen.add(m.seq);
      first = Math.min(first, m.seq);
      last = Math.max(last, m.seq);
      const doc = storedByRoom.get(roomId)?.get(m.seq);
      if (doc && (doc.userId !== m.userId || doc.clientMsgId !== m.clientMsgId)) conflicts++;
    }
    const missing: number[] = [];
    for (const seq of storedByRoom.get(roomId)?.keys() ?? []) {
      if (seen.has(seq)) continue;
      // A client that emitted nothing of a room with messages is behind by all of them.
      if (seq > last) behind++;
      else if (seq < first) atStart++;
      else gaps++;
      missing.push(seq);
    }
    if (missing.length > 0) missingSample[roomId] = missing.sort((a, b) => a - b).slice(0, SAMPLE);
  }
  return {
    id: v.id,
    rooms: v.rooms.length,
    received: v.received.length,
    gapsAfterRecovery: gaps,
    missedAtStart: atStart,
    behindAtEnd: behind,
    deliveredTwice: twice,
    seqConflicts: conflicts,
    sdkLost: v.sdk.lost,
    sdkLostRanges: v.lostRanges.slice(0, SAMPLE),
    sdk: v.sdk,
    missingSample,
  };
}

/** Why a run fails; empty when it passes (lost, duplicated, gaps after recovery and DLQ all 0). */
export function failures(a: Audit, dlqRecords: number, faultErrors: string[]): string[] {
  const out: string[] = [];
  if (a.counts.lost > 0) out.push(`lost: ${a.counts.lost} acked messages neither stored nor rejected`);
  if (a.counts.duplicatedStored > 0)
    out.push(`duplicated: ${a.counts.duplicatedStored} messages stored twice`);
  if (a.counts.duplicatedDelivered > 0)
    out.push(`duplicated: ${a.counts.duplicatedDelivered} seqs emitted twice to one client`);
  if (a.counts.gapsAfterRecovery > 0)
    out.push(
      `gaps after recovery: ${a.counts.gapsAfterRecovery} stored seqs a client never emitted (between its first and last, before its first, or after its last)`,
    );
  if (a.counts.sdkLost > 0)
    out.push(`gaps after recovery: the SDK gave up ${a.counts.sdkLost} messages (stats().lost)`);
  if (a.counts.seqConflicts > 0)
    out.push(
      `seq conflicts: ${a.counts.seqConflicts} emitted messages differ from the stored one of that seq`,
    );
  if (dlqRecords > 0) out.push(`dlq: ${dlqRecords} records in this run's *.dlq topics`);
  if (a.counts.acked === 0) out.push('no message was acked: the load did not run');
  out.push(...faultErrors);
  return out;
}
