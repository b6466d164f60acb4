/**
 * What one consumer has already handled, per partition. Offsets are committed in the background
 * (BackgroundCommitter), so a rebalance can hand a partition back to the same member at a
 * committed offset below records it already handled; kafkajs then fetches them again. Those are
 * pure repeats for this member — its handler ran and succeeded — so they are skipped (and
 * resolved, so the next commit moves past them). A record handled by another member is not
 * known here and is still delivered: across members the bus stays at-least-once.
 */
export class HandledOffsets {
  /** `topic/partition` → the offset after the last one handled. */
  private readonly next = new Map<string, bigint>();

  /** Splits a partition's batch (in offset order) into the repeats to skip and the rest. */
  split<T extends { offset: string }>(
    topic: string,
    partition: number,
    messages: readonly T[],
  ): { repeats: T[]; fresh: T[] } {
    const next = this.next.get(`${topic}/${partition}`);
    if (next === undefined) return { repeats: [], fresh: [...messages] };
    const cut = messages.findIndex((m) => BigInt(m.offset) >= next);
    if (cut === -1) return { repeats: [...messages], fresh: [] };
    return { repeats: messages.slice(0, cut), fresh: messages.slice(cut) };
  }

  /** Records that `offset` of the partition was handled (or dead-lettered). */
  done(topic: string, partition: number, offset: string): void {
    const key = `${topic}/${partition}`;
    const after = BigInt(offset) + 1n;
    if ((this.next.get(key) ?? -1n) < after) this.next.set(key, after);
  }
}
