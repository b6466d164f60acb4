import type { ChatAcceptedV1 } from '@roomcast/contracts';

export type StoredMessage = ChatAcceptedV1;

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
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
