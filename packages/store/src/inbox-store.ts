import type { InboxItem, NoticeReason } from '@roomcast/contracts';

/**
 * The inbox (MongoDB collection `inbox`): one entry per (user, message, reason) for every user a
 * message mentions or replies to — online or not, the inbox is the record; unread until the user
 * marks it read. Written by persistence from accepted messages, read by persistence's HTTP API
 * (`GET /inbox`, `POST /inbox/read`) and by the gateways at connect (`inbox` frame).
 * `MongoInboxStore` in production, `InMemoryInboxStore` as the twin; both pass
 * `describeInboxStoreContract`.
 */
export interface NewInboxEntry {
  /** Whose inbox. */
  userId: string;
  /** The message's id (ChatAcceptedV1.id): with `userId` and `reason`, what makes an entry unique. */
  messageId: string;
  reason: NoticeReason;
  roomId: string;
  seq: number;
  fromUserId: string;
  text: string;
  replyTo?: number | undefined;
  /** When the message was accepted (epoch ms). */
  at: number;
}

export interface InboxQuery {
  /** 1..MAX_INBOX_LIMIT, default DEFAULT_INBOX_LIMIT. */
  limit?: number | undefined;
  /** Only items older than the item with this id (its `id`: ids sort as the items do), for paging back. */
  before?: string | undefined;
  /** Only unread items (the gateway's `inbox` frame at connect). */
  unreadOnly?: boolean | undefined;
}

/** A page of the inbox, newest first, and how many items of the whole inbox are unread. */
export interface InboxPage {
  items: InboxItem[];
  unread: number;
}

export const DEFAULT_INBOX_LIMIT = 50;
export const MAX_INBOX_LIMIT = 200;

/** Clamps a limit the same way in every store: default 50, truncated, 1..200. */
export function inboxLimit(limit: number | undefined): number {
  if (limit === undefined || Number.isNaN(limit)) return DEFAULT_INBOX_LIMIT;
  return Math.min(MAX_INBOX_LIMIT, Math.max(1, Math.trunc(limit)));
}

/**
 * An entry's id: its acceptance time (zero-padded, so ids sort by time as strings), the message id
 * and the reason. Deterministic, so a replayed record makes the same id and adds nothing; a user's
 * ids sort newest-last, so `before` pages by id alone, ties in `at` (one filter batch shares its
 * acceptance time) included.
 */
export function inboxItemId(e: Pick<NewInboxEntry, 'at' | 'messageId' | 'reason'>): string {
  return `${String(e.at).padStart(15, '0')}-${e.messageId}-${e.reason}`;
}

/** What an `add` wrote: how many entries were new, and how many of them per user. */
export interface InboxAdded {
  added: number;
  /** userId -> new entries of that user (users with none are absent): the unread counters' deltas. */
  byUser: Map<string, number>;
}

/** Tallies the new entries of an add per user. */
export function inboxAdded(newEntries: Iterable<Pick<NewInboxEntry, 'userId'>>): InboxAdded {
  const byUser = new Map<string, number>();
  let added = 0;
  for (const e of newEntries) {
    byUser.set(e.userId, (byUser.get(e.userId) ?? 0) + 1);
    added++;
  }
  return { added, byUser };
}

export interface InboxStore {
  /** Creates indexes (idempotent). */
  init(): Promise<void>;
  /**
   * Adds entries, unread; idempotent by (user, message, reason): a replayed entry adds nothing and
   * keeps the first one's read state. Returns how many were new, in all and per user.
   */
  add(entries: NewInboxEntry[]): Promise<InboxAdded>;
  /** The user's items newest first (by id), and the user's unread count. */
  list(userId: string, query?: InboxQuery): Promise<InboxPage>;
  /** Marks the user's items read: those of `ids` (ids of other users' items change nothing), or all. Returns how many changed. */
  markRead(userId: string, which: { ids: string[] } | { all: true }): Promise<number>;
  /**
   * A moderator deleted message `seq` of the room: every user's entries of it keep their place and
   * read state but lose the text (`text: ''`, `deleted: true`). Idempotent; returns how many
   * entries changed.
   */
  markDeleted(roomId: string, seq: number): Promise<number>;
  /**
   * The users with unread entries and how many, by userId ascending, from after `afterUserId`,
   * at most `limit` (1..1000) — a page of the scan that rebuilds the unread counters.
   */
  unreadCounts(afterUserId: string | undefined, limit: number): Promise<{ userId: string; unread: number }[]>;
  healthy(): Promise<boolean>;
}

/** The most users one `unreadCounts` page returns. */
export const MAX_UNREAD_COUNTS_PAGE = 1000;
