/**
 * Who is where. Gateways write; notification reads.
 * - user -> owning gateway (TTL, refreshed by the gateway's heartbeat)
 * - room -> gateways with viewers in it (each entry expires unless refreshed, so a crashed
 *   gateway drops out by itself)
 * - per-room online counts, reported per gateway and summed
 * - per-room like totals
 * - token buckets shared by every gateway (limits per user, not per socket)
 * - open connections per user and per client address, counted per gateway and summed (caps over
 *   every gateway)
 */
export interface PresenceStore {
  /** Records that `userId` is connected to `gatewayId`, expiring after `ttlMs` unless refreshed. */
  setUserGateway(userId: string, gatewayId: string, ttlMs: number): Promise<void>;
  /** Refreshes the TTL of users owned by `gatewayId` (one round trip). Users now owned by another gateway are left alone. */
  refreshUsers(userIds: string[], gatewayId: string, ttlMs: number): Promise<void>;
  /** Removes the user's entry only if it still points at `gatewayId`. */
  removeUser(userId: string, gatewayId: string): Promise<void>;
  getUserGateway(userId: string): Promise<string | null>;

  /** Marks `gatewayId` as having viewers in these rooms until now + ttlMs. */
  touchRoomGateways(roomIds: string[], gatewayId: string, ttlMs: number): Promise<void>;
  /** Removes `gatewayId` from a room (its last viewer left). */
  removeRoomGateway(roomId: string, gatewayId: string): Promise<void>;
  /** Gateways with live (unexpired) entries for each room, in one round trip. */
  getRoomGateways(roomIds: string[]): Promise<Map<string, string[]>>;

  /**
   * Reports this gateway's viewer count per room (0 removes it); counts expire after ttlMs.
   * Returns the summed count over every gateway for each of those rooms.
   */
  reportOnline(gatewayId: string, counts: Map<string, number>, ttlMs: number): Promise<Map<string, number>>;

  /** Adds like deltas per room; returns the new totals. */
  addLikes(deltas: Map<string, number>): Promise<Map<string, number>>;
  /** Current like totals (0 for unknown rooms). */
  getLikes(roomIds: string[]): Promise<Map<string, number>>;

  /**
   * Takes `cost` tokens from the bucket `key` (`ratePerSec` refill, at most `burst` kept), shared by
   * every gateway: true when there were enough (they are taken), false when not (nothing taken).
   * A bucket nobody used for a while is full again, and forgotten.
   */
  takeTokens(key: string, ratePerSec: number, burst: number, cost: number): Promise<boolean>;

  /**
   * Admits one more connection of `kind` `id` on `gatewayId` under `cap`, atomically: when the live
   * counts of every gateway sum to less than `cap`, this gateway's count goes up by one and its
   * expiry to now + ttlMs, and the answer is true; otherwise nothing changes and the answer is false.
   * A gateway's count that was not refreshed within its ttl is not summed (a crashed gateway's
   * connections free their slots by themselves).
   */
  admitConnection(kind: ConnectionKind, id: string, gatewayId: string, cap: number, ttlMs: number): Promise<boolean>;
  /** Counts one connection of `kind` `id` fewer on `gatewayId` (never below 0; gone at 0). Its expiry is left as it was. */
  releaseConnection(kind: ConnectionKind, id: string, gatewayId: string): Promise<void>;
  /**
   * Sets `gatewayId`'s connection counts to these (0 removes one) with expiry now + ttlMs: the
   * gateway's periodic refresh, which also repairs a count an admit or release that failed left wrong.
   * Batched: one round trip however many ids.
   */
  reportConnections(gatewayId: string, counts: ConnectionCounts, ttlMs: number): Promise<void>;

  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** What a connection cap counts by: the user id, or the client address. */
export type ConnectionKind = 'user' | 'ip';

/** A gateway's open connections per user id and per client address. */
export interface ConnectionCounts {
  user: ReadonlyMap<string, number>;
  ip: ReadonlyMap<string, number>;
}
