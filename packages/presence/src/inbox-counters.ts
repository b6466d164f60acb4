/**
 * A hint of how many unread inbox items each user has, so a gateway can skip the MongoDB inbox
 * read at connect for the (many) users with none. Persistence keeps it: `add` after each batch's
 * new inbox entries, `set` after a mark-read with the store's true unread count. The inbox in
 * MongoDB stays the record; a counter that fell short (a failed write, a key that expired) is put
 * right by the user's next mark-read. `RedisInboxCounters` in production, `InMemoryInboxCounters`
 * as the twin; both pass `describeInboxCountersContract`.
 */
export interface InboxCounters {
  /** Adds each user's delta (new unread entries) to their counter; zero and negative deltas are skipped. */
  add(deltas: ReadonlyMap<string, number>): Promise<void>;
  /** Sets a user's counter to `unread` (the store's count after a mark-read); 0 removes it. */
  set(userId: string, unread: number): Promise<void>;
  /** The counters of `userIds`, in order; 0 for users without one. */
  get(userIds: readonly string[]): Promise<number[]>;
}
