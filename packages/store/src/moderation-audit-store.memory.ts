import type { ModerationEventV1 } from '@roomcast/contracts';
import { DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT, type AuditQuery, type ModerationAuditStore } from './moderation-audit-store';

/** The in-memory twin of MongoModerationAuditStore (embedded start, unit tests). */
export class InMemoryModerationAuditStore implements ModerationAuditStore {
  private readonly byId = new Map<string, ModerationEventV1>();

  async init(): Promise<void> {}

  async append(events: ModerationEventV1[]): Promise<number> {
    let added = 0;
    for (const e of events) {
      if (this.byId.has(e.id)) continue;
      this.byId.set(e.id, structuredClone(e));
      added++;
    }
    return added;
  }

  async list(roomId: string, query: AuditQuery = {}): Promise<ModerationEventV1[]> {
    const limit = auditLimit(query.limit);
    return [...this.byId.values()]
      .filter((e) => e.roomId === roomId && (query.before === undefined || e.at < query.before))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit)
      .map((e) => structuredClone(e));
  }

  async healthy(): Promise<boolean> {
    return true;
  }
}

/** Clamps a limit the same way in every store: default 100, truncated, 1..500. */
export function auditLimit(limit: number | undefined): number {
  if (limit === undefined || Number.isNaN(limit)) return DEFAULT_AUDIT_LIMIT;
  return Math.min(MAX_AUDIT_LIMIT, Math.max(1, Math.trunc(limit)));
}
