/**
 * Who is where. Gateways write; notification reads.
 * - user -> owning gateway (TTL, refreshed by the gateway's heartbeat)
 * - room -> gateways with viewers in it (each entry expires unless refreshed, so a crashed
 *   gateway drops out by itself)
 * - per-room online counts, reported per gateway and summed
 * - per-room like totals
 * - token buckets shared by every gateway (limits per user, not per socket)
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

  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
