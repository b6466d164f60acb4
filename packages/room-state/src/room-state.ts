import type { RoomStateKey } from '@roomcast/contracts';

/**
 * The state of live rooms that viewers see as `room-state` frames — the gift leaderboard, the Q&A
 * board, the poll, the pinned message, the product on sale — kept in Redis so that every gateway
 * pushes the same values (docs/live-room.md).
 *
 * Layout (under the key prefix): `room-state:<roomId>` is a hash, one field per key, each the JSON
 * of its value as viewers get it (ROOM_STATE_SCHEMAS; `null` = nothing); `room-state-v:<roomId>`
 * counts the room's writes. Every writer changes its own structures (e.g. the leaderboard's sorted
 * set) and the rendered field and the version in ONE Lua script (`STATE_WRITE`), so the rendered
 * value never lags its structure. Gateways read the versions of their rooms every tick (one MGET)
 * and a changed room's hash (one HGETALL).
 */
export interface RoomStateReader {
  /** The write counters of the rooms, in order (0 = never written). */
  versions(roomIds: string[]): Promise<number[]>;
  /** The room's rendered values (JSON text) by key; keys never written are absent. */
  snapshot(roomId: string): Promise<Partial<Record<RoomStateKey, string>>>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** Keys of a room's rendered state and its version, under `prefix`. */
export function roomStateKeys(prefix: string, roomId: string): { state: string; version: string } {
  return { state: `${prefix}room-state:${roomId}`, version: `${prefix}room-state-v:${roomId}` };
}

/**
 * Lua: writes the rendered value of one key and bumps the room's version. Expects `stateKey`,
 * `versionKey` (Lua expressions naming the two keys), `field` (the state key, a Lua string
 * expression) and `json` (a Lua expression evaluating to the JSON text). Writers paste it at the
 * end of their script after changing their own structures.
 */
export function stateWriteLua(stateKey: string, versionKey: string, field: string, json: string): string {
  return `redis.call('HSET', ${stateKey}, ${field}, ${json})
redis.call('INCR', ${versionKey})`;
}

/**
 * The in-memory side of room state for the twins (embedded start, unit tests): the rendered values
 * and versions every feature twin writes into, read by the gateway through `reader()`.
 */
export class InMemoryRoomStateHub {
  private readonly states = new Map<string, Map<RoomStateKey, string>>();
  private readonly versionOf = new Map<string, number>();

  /** Writes the rendered value of `key` (any JSON value; null = nothing) and bumps the version. */
  put(roomId: string, key: RoomStateKey, value: unknown): void {
    let s = this.states.get(roomId);
    if (s === undefined) this.states.set(roomId, (s = new Map()));
    s.set(key, JSON.stringify(value));
    this.versionOf.set(roomId, (this.versionOf.get(roomId) ?? 0) + 1);
  }

  /** The value of `key` as last put (parsed), or undefined. */
  get(roomId: string, key: RoomStateKey): unknown {
    const text = this.states.get(roomId)?.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }

  reader(): RoomStateReader {
    return {
      versions: async (roomIds) => roomIds.map((r) => this.versionOf.get(r) ?? 0),
      snapshot: async (roomId) => Object.fromEntries(this.states.get(roomId) ?? []),
      healthy: async () => true,
      close: async () => {},
    };
  }
}
