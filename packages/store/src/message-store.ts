import type { ChatAcceptedV1 } from '@roomcast/contracts';

/**
 * The trace a message belongs to, from the `traceparent` header of the record persistence
 * stored it from. Absent for messages stored before trace ids were kept, or whose record had no
 * trace context. `traceSampled: false` = sampled out: the trace id is real (logs carry it), but
 * no span of it was exported.
 */
export interface MessageTrace {
  traceId?: string;
  traceSampled?: boolean;
}

/** An accepted message as stored: the event, plus the trace it belongs to when known. */
export type StoredMessage = ChatAcceptedV1 & MessageTrace;

/** One message named three ways: its id, its room and seq, or its sender and clientMsgId. */
export type MessageRef =
  | { id: string }
  | { roomId: string; seq: number }
  | { userId: string; clientMsgId: string };

export interface HistoryQuery {
  /** Only messages with seq > afterSeq. Default 0. */
  afterSeq?: number;
  /** 1..500, default 50. */
  limit?: number;
}

/**
 * Accepted messages, by room. `MongoMessageStore` (mongoose) in production,
 * `InMemoryMessageStore` as the twin; both pass `describeMessageStoreContract`.
 */
export interface MessageStore {
  /** Creates indexes (idempotent). */
  init(): Promise<void>;
  /**
   * Inserts messages; a message whose id is already stored is skipped, not an error.
   * Returns how many were new. Throws AppError(STORE_UNAVAILABLE) when the store fails.
   */
  insertMany(messages: StoredMessage[]): Promise<{ inserted: number; duplicates: number }>;
  /** Messages of one room in seq order. */
  listByRoom(roomId: string, query?: HistoryQuery): Promise<StoredMessage[]>;
  /**
   * One message by id, by room and seq, or by sender and clientMsgId (the newest, should a
   * sender have reused a clientMsgId after its dedup window); undefined when none is stored.
   * For operators (roomcast-trace), not for the delivery path.
   */
  findMessage(ref: MessageRef): Promise<StoredMessage | undefined>;
  /**
   * Turns message `seq` of the room into a tombstone (a moderator deleted it): `deleted: true`,
   * `text` emptied, `masked` false; its id, seq, sender and times stay, so history keeps the seq
   * without a gap. True when a message changed; false when it was a tombstone already (a replayed
   * delete) or no such message is stored. Throws AppError(STORE_UNAVAILABLE) when the store fails.
   */
  markDeleted(roomId: string, seq: number): Promise<boolean>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** Page size when `HistoryQuery.limit` is not given. */
export const DEFAULT_HISTORY_LIMIT = 50;
/** Largest page `listByRoom` returns; bigger limits are clamped to this. */
export const MAX_HISTORY_LIMIT = 500;

/**
 * Normalises a history query the same way in every store: `afterSeq` defaults to 0;
 * `limit` defaults to 50, is truncated to an integer and clamped to 1..500 (a bad limit
 * from an HTTP query should page, not fail).
 */
export function resolveHistoryQuery(query: HistoryQuery = {}): { afterSeq: number; limit: number } {
  const afterSeq = query.afterSeq !== undefined && Number.isFinite(query.afterSeq) ? query.afterSeq : 0;
  const raw = query.limit;
  const limit =
    raw === undefined || Number.isNaN(raw)
      ? DEFAULT_HISTORY_LIMIT
      : Math.min(MAX_HISTORY_LIMIT, Math.max(1, Math.trunc(raw)));
  return { afterSeq, limit };
}
