import type { ModerationEventV1 } from '@roomcast/contracts';
import { auditLimit, type AuditQuery, type ModerationAuditStore } from './moderation-audit-store';

/** The in-memory twin of MongoModerationAuditStore (embedded start, unit tests). */
export class InMemoryModerationAuditStore implements ModerationAuditStore {
  private readonly byId = new Map<string, ModerationEventV1>();

  async init(): Promise<void> {}

  async append(events: ModerationEventV1[]): Promise<number> {
    let added = 0;
    for (const e of events) {
      if (this.byId.has(e.id)) continue;
      this.byId.set(e.id, copy(e));
      added++;
    }
    return added;
  }

  async list(roomId: string, query: AuditQuery = {}): Promise<ModerationEventV1[]> {
    const limit = auditLimit(query.limit);
    return [...this.byId.values()]
      .filter((e) => e.roomId === roomId && olderThan(e, query))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit)
      .map(copy);
  }

  async healthy(): Promise<boolean> {
    return true;
  }
}

/** Whether `e` comes after the cursor (before, beforeId) in the list's order (at desc, id desc). */
function olderThan(e: ModerationEventV1, { before, beforeId }: AuditQuery): boolean {
  if (before === undefined) return true;
  return e.at < before || (beforeId !== undefined && e.at === before && e.id < beforeId);
}

/**
 * A deep copy through JSON, as a Kafka record or a Mongo document would make it: an `undefined`
 * field is left out. Not structuredClone: its objects come from the host realm, so under jest they
 * fail `toStrictEqual` against the same values (found by the contract suite).
 */
function copy(e: ModerationEventV1): ModerationEventV1 {
  return JSON.parse(JSON.stringify(e)) as ModerationEventV1;
}
