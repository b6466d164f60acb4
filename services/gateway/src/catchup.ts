import { ChatAcceptedV1, textFrame } from '@roomcast/contracts';
import type { RecentMessages } from '@roomcast/sequencer';
import type { Connection, HeldMessage, RoomHold } from './connection';
import { encodeItem, messageFrameText, messagesFrameText, parseJsonOrUndefined } from './wire';

export interface CatchupOptions {
  /** Most messages one catch-up sends (`CATCHUP_MAX_MESSAGES`); older missed ones are named in `missing`. */
  maxMessages: number;
  /** Catch-ups per second per connection, and the burst (a reconnect rejoins every room at once). */
  ratePerSec: number;
  burst: number;
}

/** What a catch-up sent, for the `joined` frame. */
export interface CatchupResult {
  /** Newest seq sent to the socket (afterSeq when none). Live delivery continues after it. */
  lastSeq: number;
  recovered: boolean;
  recoveredCount: number;
  missing?: { fromSeq: number; toSeq: number };
}

/** Largest number of messages in one catch-up frame (v2). */
const CATCHUP_FRAME_MESSAGES = 100;

/**
 * Starts holding the room's live messages for `conn`: from now on the room's flushes queue them
 * on the connection instead of writing them (fanout.ts), until `releaseHold`.
 */
export function hold(conn: Connection, roomId: string): void {
  (conn.holds ??= new Map()).set(roomId, { held: [], through: 0 });
}

/**
 * Ends the hold: writes the held live messages newer than `through` (the newest seq the catch-up
 * sent) and lets the room's flushes through again — except messages up to `through`, which this
 * socket already has (a room new on this gateway flushes from wherever its deliveries start).
 */
export function releaseHold(conn: Connection, roomId: string, through: number): void {
  const h = conn.holds?.get(roomId);
  if (h === undefined || h.held === null) return;
  const fresh = h.held.filter((m) => m.seq > through);
  h.held = null;
  h.through = fresh.length > 0 ? (fresh[fresh.length - 1] as HeldMessage).seq : through;
  writeMessages(conn, roomId, fresh);
}

/** Forgets the room's catch-up state (leave, or a failed join). */
export function dropHold(conn: Connection, roomId: string): void {
  if (conn.holds === null) return;
  conn.holds.delete(roomId);
  if (conn.holds.size === 0) conn.holds = null;
}

/**
 * A room flush meets a socket with catch-up state in that room: the run `items[from..to)` is
 * held, written without the seqs the socket has, or skipped. True when handled here; false when
 * the socket is past its catch-up and the flush should write to it as to any other (the state is
 * dropped then).
 */
export function deliverHeld(conn: Connection, roomId: string, items: readonly HeldMessage[], from: number, to: number): boolean {
  const h = (conn.holds as Map<string, RoomHold>).get(roomId);
  if (h === undefined) return false;
  if (h.held !== null) {
    for (let i = from; i < to; i++) h.held.push(items[i] as HeldMessage);
    return true;
  }
  if ((items[from] as HeldMessage).seq > h.through) {
    dropHold(conn, roomId);
    return false;
  }
  const fresh: HeldMessage[] = [];
  for (let i = from; i < to; i++) if ((items[i] as HeldMessage).seq > h.through) fresh.push(items[i] as HeldMessage);
  if (fresh.length > 0) {
    h.through = (fresh[fresh.length - 1] as HeldMessage).seq;
    writeMessages(conn, roomId, fresh);
  }
  return true;
}

/**
 * The catch-up of one socket in one room: sends what it missed after `afterSeq` from the
 * recent-message cache, newest `maxMessages` at most, in seq order, while the room's live
 * messages are held (`hold`), and says what could not be sent.
 *
 * Why nothing falls between catch-up and live: the socket was registered in the room (and the
 * room's gateway in presence) before the cache was read, and notification caches a message
 * before routing it. So a message either was cached before the read (and is sent here), or is
 * routed here after the registration (and is held, then released after the catch-up without the
 * seqs the catch-up already sent).
 */
export async function catchUp(
  recent: RecentMessages,
  conn: Connection,
  roomId: string,
  afterSeq: number,
  maxMessages: number,
): Promise<CatchupResult> {
  const { entries, headSeq } = await recent.after(roomId, afterSeq, maxMessages);
  const messages: HeldMessage[] = [];
  for (const e of entries) {
    const parsed = ChatAcceptedV1.safeParse(parseJsonOrUndefined(e.data));
    // A cache entry that is not a message (written by something else): what it held is missing.
    if (!parsed.success || parsed.data.seq !== e.seq || parsed.data.roomId !== roomId) {
      messages.length = 0;
      continue;
    }
    // Keep only the run that reaches the newest entry: live delivery continues from it.
    const prev = messages[messages.length - 1];
    if (prev !== undefined && e.seq !== prev.seq + 1) messages.length = 0;
    messages.push({ seq: e.seq, item: encodeItem(parsed.data) });
  }
  writeMessages(conn, roomId, messages);
  const first = messages[0];
  const lastSeq = messages.length > 0 ? (messages[messages.length - 1] as HeldMessage).seq : afterSeq;
  // Older than what was sent (cache trimmed, expired, or more than maxMessages), or — with nothing
  // cached — every seq up to the head that is not already on its way live.
  const firstHeld = conn.holds?.get(roomId)?.held?.find((m) => m.seq > afterSeq)?.seq;
  const missingTo = first !== undefined ? first.seq - 1 : Math.min(headSeq, (firstHeld ?? Infinity) - 1);
  const result: CatchupResult = { lastSeq, recovered: missingTo <= afterSeq, recoveredCount: messages.length };
  if (missingTo > afterSeq) result.missing = { fromSeq: afterSeq + 1, toSeq: missingTo };
  return result;
}

/** Writes messages of one room (seq order) to one socket: batch frames for v2, one frame each for v1. */
function writeMessages(conn: Connection, roomId: string, messages: readonly HeldMessage[]): void {
  if (messages.length === 0) return;
  const roomIdJson = JSON.stringify(roomId);
  if (conn.protocol < 2) {
    for (const m of messages) conn.sendFramed(textFrame(messageFrameText(roomIdJson, m.item)));
    return;
  }
  let start = 0;
  for (let i = 1; i <= messages.length; i++) {
    const gap = i < messages.length && (messages[i] as HeldMessage).seq !== (messages[i - 1] as HeldMessage).seq + 1;
    if (i === messages.length || gap || i - start === CATCHUP_FRAME_MESSAGES) {
      const run = messages.slice(start, i);
      const fromSeq = (run[0] as HeldMessage).seq;
      const toSeq = (run[run.length - 1] as HeldMessage).seq;
      conn.sendFramed(textFrame(messagesFrameText(roomIdJson, fromSeq, toSeq, 0, run.map((m) => m.item))));
      start = i;
    }
  }
}
