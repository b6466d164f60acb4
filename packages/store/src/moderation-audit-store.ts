import type { ModerationEventV1 } from '@roomcast/contracts';

/**
 * The audit log of moderation (MongoDB collection `moderation_audit`): every action that took
 * effect, as its `room.moderation.applied.v1` event, written by persistence. `MongoModerationAuditStore`
 * in production, `InMemoryModerationAuditStore` as the twin; both pass
 * `describeModerationAuditStoreContract`.
 */
export interface AuditQuery {
  /** Only entries with `at` before this (epoch ms), for paging back. */
  before?: number | undefined;
  /**
   * With `before`: also the entries AT `before` whose id sorts before this one, i.e. the entries
   * after the (at, id) of the previous page's last entry in the list's order. Without it, entries
   * sharing that millisecond would be skipped by the next page.
   */
  beforeId?: string | undefined;
  /** 1..500, default 100. */
  limit?: number | undefined;
}

export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 500;

/** Clamps a limit the same way in every store: default 100, truncated, 1..500. */
export function auditLimit(limit: number | undefined): number {
  if (limit === undefined || Number.isNaN(limit)) return DEFAULT_AUDIT_LIMIT;
  return Math.min(MAX_AUDIT_LIMIT, Math.max(1, Math.trunc(limit)));
}

export interface ModerationAuditStore {
  /** Creates indexes (idempotent). */
  init(): Promise<void>;
  /** Appends events; idempotent by event id (a replayed record changes nothing). Returns how many were new. */
  append(events: ModerationEventV1[]): Promise<number>;
  /** A room's entries, newest first (by `at`, then id). */
  list(roomId: string, query?: AuditQuery): Promise<ModerationEventV1[]>;
  healthy(): Promise<boolean>;
}
