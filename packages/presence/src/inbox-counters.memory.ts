import type { InboxCounters } from './inbox-counters';

/** The in-process twin of RedisInboxCounters (embedded start, unit tests); counters never expire. */
export class InMemoryInboxCounters implements InboxCounters {
  private readonly counts = new Map<string, number>();

  async add(deltas: ReadonlyMap<string, number>): Promise<void> {
    for (const [userId, n] of deltas) {
      const delta = Math.trunc(n);
      if (delta > 0) this.counts.set(userId, (this.counts.get(userId) ?? 0) + delta);
    }
  }

  async set(userId: string, unread: number): Promise<void> {
    const n = Math.trunc(unread);
    if (n > 0) this.counts.set(userId, n);
    else this.counts.delete(userId);
  }

  async get(userIds: readonly string[]): Promise<number[]> {
    return userIds.map((id) => this.counts.get(id) ?? 0);
  }
}
