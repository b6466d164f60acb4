import { ChatAcceptedV1, parseJson } from '@roomcast/contracts';

/**
 * The recent accepted messages of each room, for the gateway's catch-up after a reconnect
 * (`join` with `afterSeq`). Written once per accepted message, by notification, before the message
 * is routed to any gateway (see docs/architecture.md "Resume"); read by gateways. Bounded per room
 * by count, and by age: a room's cache expires `ttlMs` after its last message.
 */
export interface RecentMessages {
  /**
   * Appends accepted messages (`data`: the message as JSON). One room's entries must come in seq
   * order; an entry whose seq is already cached is skipped, so a replayed batch changes nothing.
   */
  append(entries: RecentEntry[]): Promise<void>;
  /**
   * The NEWEST `limit` cached entries of the room with seq > `afterSeq`, oldest first, and the
   * room's head: the newest seq ever cached (kept RECENT_HEAD_TTL_MS, longer than the entries), or
   * — for a room with no such record — the sequencer's counter (0 if none). A seq above the head
   * is not lost: it was numbered but not cached yet, so it is still on its way to the gateways.
   */
  after(roomId: string, afterSeq: number, limit: number): Promise<RecentRange>;
  /**
   * A moderator deleted message `seq` of the room: if the room's cache holds it, its entry becomes
   * the tombstone (`tombstone(data)`), so a catch-up returns it without its text. Resolves whether
   * the entry was there (false: never cached, evicted or expired). Idempotent; the room's TTL and
   * head are left as they are (a delete is not a message).
   */
  markDeleted(roomId: string, seq: number): Promise<boolean>;
  /**
   * Keeps notices for one user each (`data`: JSON, e.g. a rejection of their chat) for `ttlMs`, at
   * most USER_NOTICES_MAX per user: a user who was between gateways when one was routed gets it
   * at the next connect. Written before the notice is routed, like messages.
   */
  appendUserNotices(entries: { userId: string; data: string }[]): Promise<void>;
  /** The user's kept notices, oldest first. */
  userNotices(userId: string): Promise<string[]>;
  /**
   * The cached entry (`data`) of each `{roomId, seq}`, in the order asked, undefined where the
   * cache does not hold it (never cached, evicted, expired). One round trip for the whole list:
   * notification resolves the authors of a batch's `replyTo`s with it.
   */
  get(refs: { roomId: string; seq: number }[]): Promise<(string | undefined)[]>;
}

/** Most notices kept per user. */
export const USER_NOTICES_MAX = 100;

export interface RecentEntry {
  roomId: string;
  seq: number;
  data: string;
}

export interface RecentRange {
  entries: { seq: number; data: string }[];
  headSeq: number;
}

export interface RecentMessagesOptions {
  /** Most messages kept per room. */
  maxPerRoom: number;
  /** A room's cache is dropped this long after its last message, ms. */
  ttlMs: number;
}

/** How long a room's head (newest cached seq) outlives its last append: 24 h. */
export const RECENT_HEAD_TTL_MS = 24 * 60 * 60 * 1000;

/** 1 000 messages per room, 10 minutes. */
export const DEFAULT_RECENT_MESSAGES: RecentMessagesOptions = { maxPerRoom: 1000, ttlMs: 10 * 60_000 };

/**
 * The tombstone of a cached message (`data`: a ChatAcceptedV1 as JSON): its ids, seq, sender,
 * times and priority kept, `text: ''`, `masked: false`, `deleted: true`; any other field dropped,
 * so no content survives the delete. A tombstone's tombstone is itself. Throws AppError INTERNAL
 * when `data` is not a ChatAcceptedV1 (notification caches nothing else).
 */
export function tombstone(data: string): string {
  const m = parseJson(ChatAcceptedV1, data, 'INTERNAL');
  const dead: ChatAcceptedV1 = {
    id: m.id,
    roomId: m.roomId,
    seq: m.seq,
    userId: m.userId,
    clientMsgId: m.clientMsgId,
    text: '',
    masked: false,
    sentAt: m.sentAt,
    acceptedAt: m.acceptedAt,
    ...(m.priority !== undefined ? { priority: m.priority } : {}),
    deleted: true,
  };
  return JSON.stringify(dead);
}
