import type { ConnectionCounts, ConnectionKind, PresenceStore } from './presence-store';

export interface InMemoryPresenceStoreOptions {
  /** Clock in ms; default `Date.now`. Tests inject one to expire entries without waiting. */
  now?: () => number;
}

/** Counts and deltas are whole numbers; NaN and infinities count as 0 (as in the Redis twin). */
const toInt = (n: number): number => (Number.isFinite(n) ? Math.trunc(n) : 0);

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/**
 * The in-process twin of RedisPresenceStore with the same semantics: entries are live while
 * `expiresAt > now()`, checked on read (nothing runs in the background).
 */
export class InMemoryPresenceStore implements PresenceStore {
  private readonly now: () => number;
  private readonly users = new Map<string, Expiring<string>>();
  /** roomId -> gatewayId -> expiresAt */
  private readonly roomGateways = new Map<string, Map<string, number>>();
  /** roomId -> gatewayId -> { count, expiresAt } */
  private readonly online = new Map<string, Map<string, Expiring<number>>>();
  private readonly likes = new Map<string, number>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** `kind:id` -> gatewayId -> { count, expiresAt } */
  private readonly connections = new Map<string, Map<string, Expiring<number>>>();
  private closed = false;

  constructor(options: InMemoryPresenceStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async setUserGateway(userId: string, gatewayId: string, ttlMs: number): Promise<void> {
    this.users.set(userId, { value: gatewayId, expiresAt: this.now() + ttlMs });
  }

  async refreshUsers(userIds: string[], gatewayId: string, ttlMs: number): Promise<void> {
    const now = this.now();
    for (const userId of userIds) {
      const entry = this.liveUser(userId, now);
      if (entry?.value === gatewayId) entry.expiresAt = now + ttlMs;
    }
  }

  async removeUser(userId: string, gatewayId: string): Promise<void> {
    if (this.liveUser(userId, this.now())?.value === gatewayId) this.users.delete(userId);
  }

  async getUserGateway(userId: string): Promise<string | null> {
    return this.liveUser(userId, this.now())?.value ?? null;
  }

  async touchRoomGateways(roomIds: string[], gatewayId: string, ttlMs: number): Promise<void> {
    const now = this.now();
    for (const roomId of roomIds) {
      let gateways = this.roomGateways.get(roomId);
      if (!gateways) this.roomGateways.set(roomId, (gateways = new Map()));
      gateways.set(gatewayId, now + ttlMs);
      for (const [gw, expiresAt] of gateways) if (expiresAt <= now) gateways.delete(gw);
    }
  }

  async removeRoomGateway(roomId: string, gatewayId: string): Promise<void> {
    const gateways = this.roomGateways.get(roomId);
    if (!gateways) return;
    gateways.delete(gatewayId);
    if (gateways.size === 0) this.roomGateways.delete(roomId);
  }

  async getRoomGateways(roomIds: string[]): Promise<Map<string, string[]>> {
    const now = this.now();
    const out = new Map<string, string[]>();
    for (const roomId of roomIds) {
      const live: string[] = [];
      for (const [gw, expiresAt] of this.roomGateways.get(roomId) ?? []) if (expiresAt > now) live.push(gw);
      out.set(roomId, live);
    }
    return out;
  }

  async reportOnline(
    gatewayId: string,
    counts: Map<string, number>,
    ttlMs: number,
  ): Promise<Map<string, number>> {
    const now = this.now();
    const out = new Map<string, number>();
    for (const [roomId, rawCount] of counts) {
      const count = Math.max(0, toInt(rawCount));
      let perGateway = this.online.get(roomId);
      if (!perGateway) this.online.set(roomId, (perGateway = new Map()));
      if (count > 0) perGateway.set(gatewayId, { value: count, expiresAt: now + ttlMs });
      else perGateway.delete(gatewayId);
      let sum = 0;
      for (const [gw, entry] of perGateway) {
        if (entry.expiresAt > now) sum += entry.value;
        else perGateway.delete(gw);
      }
      if (perGateway.size === 0) this.online.delete(roomId);
      out.set(roomId, sum);
    }
    return out;
  }

  async addLikes(deltas: Map<string, number>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [roomId, delta] of deltas) {
      const total = (this.likes.get(roomId) ?? 0) + toInt(delta);
      this.likes.set(roomId, total);
      out.set(roomId, total);
    }
    return out;
  }

  async getLikes(roomIds: string[]): Promise<Map<string, number>> {
    return new Map(roomIds.map((roomId) => [roomId, this.likes.get(roomId) ?? 0]));
  }

  async takeTokens(key: string, ratePerSec: number, burst: number, cost: number): Promise<boolean> {
    const now = this.now();
    const b = this.buckets.get(key);
    let tokens = b === undefined ? burst : Math.min(burst, b.tokens + ((now - b.at) * ratePerSec) / 1000);
    const ok = tokens >= cost;
    if (ok) tokens -= cost;
    this.buckets.set(key, { tokens, at: now });
    if (this.buckets.size > 10_000) for (const [k, v] of this.buckets) if (now - v.at > 60_000) this.buckets.delete(k);
    return ok;
  }

  async admitConnection(kind: ConnectionKind, id: string, gatewayId: string, cap: number, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const key = `${kind}:${id}`;
    const perGateway = this.connections.get(key) ?? new Map<string, Expiring<number>>();
    let sum = 0;
    for (const [gw, entry] of perGateway) {
      if (entry.expiresAt > now) sum += entry.value;
      else perGateway.delete(gw);
    }
    if (sum >= cap) {
      if (perGateway.size === 0) this.connections.delete(key);
      return false;
    }
    perGateway.set(gatewayId, { value: (perGateway.get(gatewayId)?.value ?? 0) + 1, expiresAt: now + ttlMs });
    this.connections.set(key, perGateway);
    return true;
  }

  async releaseConnection(kind: ConnectionKind, id: string, gatewayId: string): Promise<void> {
    const key = `${kind}:${id}`;
    const perGateway = this.connections.get(key);
    const entry = perGateway?.get(gatewayId);
    if (perGateway === undefined || entry === undefined) return;
    if (entry.value > 1 && entry.expiresAt > this.now()) entry.value -= 1;
    else perGateway.delete(gatewayId);
    if (perGateway.size === 0) this.connections.delete(key);
  }

  async reportConnections(gatewayId: string, counts: ConnectionCounts, ttlMs: number): Promise<void> {
    const expiresAt = this.now() + ttlMs;
    for (const kind of ['user', 'ip'] as const) {
      for (const [id, rawCount] of counts[kind]) {
        const key = `${kind}:${id}`;
        const count = Math.max(0, toInt(rawCount));
        let perGateway = this.connections.get(key);
        if (count > 0) {
          if (!perGateway) this.connections.set(key, (perGateway = new Map()));
          perGateway.set(gatewayId, { value: count, expiresAt });
        } else if (perGateway) {
          perGateway.delete(gatewayId);
          if (perGateway.size === 0) this.connections.delete(key);
        }
      }
    }
  }

  async healthy(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private liveUser(userId: string, now: number): Expiring<string> | undefined {
    const entry = this.users.get(userId);
    if (!entry) return undefined;
    if (entry.expiresAt > now) return entry;
    this.users.delete(userId);
    return undefined;
  }
}
