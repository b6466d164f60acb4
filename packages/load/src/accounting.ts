import type { RoomReport } from './ipc';

/** Per room after merging every worker's view. */
export interface RoomAccounting {
  roomId: string;
  /** Connections (viewers + senders) joined and open when sending started. */
  members: number;
  acked: number;
  rejected: number;
  /** acked - rejected: the messages every member must receive. */
  accepted: number;
  /** Highest seq the room reached: max(seen by anyone, accepted) — rooms are fresh, seq starts at 1. */
  finalSeq: number;
  /** accepted x members. */
  expected: number;
  /** Seqs the server thinned for members (protocol v2): neither delivered nor missing. */
  thinned: number;
  /** Seqs a member skipped: a later seq arrived, this one never did (holes still open at the end). */
  gaps: number;
  /** Seqs after a still-open member's last one that had not arrived when the drain ended (lagging or lost). */
  undelivered: number;
  /** Seqs after the last one of a member the server closed mid-run. */
  lostToCloses: number;
  closedMembers: number;
}

export interface Accounting {
  expected: number;
  thinned: number;
  gaps: number;
  undelivered: number;
  lostToCloses: number;
  rooms: RoomAccounting[];
}

/**
 * Merges the per-worker room reports into the run's expected-delivery accounting:
 *
 *   expected = Σ over rooms of (acked - rejected) × members
 *
 * where `members` are the viewer and sender connections that had joined the room and were open
 * when sending started (nobody joins later: the ramp finishes first). A message received by one
 * of them counts as `delivered`. For every member, each seq in (baseline, finalSeq] is exactly one
 * of: received (once: extra copies are `duplicates`); `thinned` (a v2 `messages` frame covered it
 * and left it out); skipped while later ones arrived (`gaps`); after the member's last received or
 * thinned seq when the drain ended (`undelivered` if it was still open, `lostToCloses` if the
 * server had closed it; the close is in `closesByCode`). So, barring duplicates and
 * unacked-but-accepted chats: delivered + thinned + gaps + undelivered + lostToCloses = expected.
 */
export function consolidateRooms(reports: readonly RoomReport[]): Accounting {
  const byRoom = new Map<number, RoomReport[]>();
  for (const r of reports) {
    let list = byRoom.get(r.room);
    if (list === undefined) byRoom.set(r.room, (list = []));
    list.push(r);
  }
  const rooms: RoomAccounting[] = [];
  let expected = 0;
  let thinned = 0;
  let gaps = 0;
  let undelivered = 0;
  let lostToCloses = 0;
  for (const [room, parts] of [...byRoom.entries()].sort((a, b) => a[0] - b[0])) {
    let members = 0;
    let acked = 0;
    let rejected = 0;
    let maxSeq = 0;
    for (const p of parts) {
      members += p.members;
      acked += p.acked;
      rejected += p.rejected;
      maxSeq = Math.max(maxSeq, p.maxSeq);
    }
    const accepted = Math.max(0, acked - rejected);
    const finalSeq = Math.max(maxSeq, accepted);
    let roomGaps = 0;
    let roomThinned = 0;
    let roomUndelivered = 0;
    let roomLost = 0;
    let closedMembers = 0;
    for (const p of parts) {
      for (const end of p.ends) {
        const tail = Math.max(0, finalSeq - end.max);
        roomGaps += end.holes;
        roomThinned += end.thinned;
        if (end.closed) {
          closedMembers++;
          roomLost += tail;
        } else roomUndelivered += tail;
      }
    }
    const roomExpected = accepted * members;
    expected += roomExpected;
    thinned += roomThinned;
    gaps += roomGaps;
    undelivered += roomUndelivered;
    lostToCloses += roomLost;
    rooms.push({
      roomId: parts[0]?.roomId ?? String(room),
      members,
      acked,
      rejected,
      accepted,
      finalSeq,
      expected: roomExpected,
      thinned: roomThinned,
      gaps: roomGaps,
      undelivered: roomUndelivered,
      lostToCloses: roomLost,
      closedMembers,
    });
  }
  return { expected, thinned, gaps, undelivered, lostToCloses, rooms };
}

/** Expected deliveries from the send-phase reports alone (no member ends yet): the drain target. */
export function expectedFromReports(reports: readonly RoomReport[]): number {
  return consolidateRooms(reports.map((r) => ({ ...r, ends: [] }))).expected;
}
