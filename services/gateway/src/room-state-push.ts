import { ROOM_STATE_KEYS, type RoomStateKey } from '@roomcast/contracts';
import type { Logger } from '@roomcast/logger';
import type { RoomStateReader } from '@roomcast/room-state';
import type { Connection } from './connection';
import type { RoomRegistry } from './room-registry';

/** What this gateway last pushed of a room: the version it read, and each key's JSON. */
interface Pushed {
  version: number;
  values: Map<RoomStateKey, string>;
}

/**
 * Pushes the live rooms' state (leaderboard, Q&A, poll, pinned message, product with stock) to
 * their viewers as `room-state` frames: every tick, one read of the versions of this gateway's
 * rooms; for each room whose version moved, one read of its rendered values; a frame per key whose
 * value changed, encoded once for the room's members. A joining socket gets the room's current
 * values at once. Values are whole (the latest value, not a delta), so a missed frame is repaired
 * by the next one.
 */
export class RoomStatePush {
  private readonly pushed = new Map<string, Pushed>();

  constructor(
    private readonly registry: RoomRegistry,
    private readonly reader: RoomStateReader,
    private readonly logger: Logger,
  ) {}

  async tick(): Promise<void> {
    // Forget rooms nobody here watches any more.
    for (const roomId of this.pushed.keys()) if (!this.registry.rooms.has(roomId)) this.pushed.delete(roomId);
    const roomIds = [...this.registry.rooms.keys()];
    if (roomIds.length === 0) return;
    let versions: number[];
    try {
      versions = await this.reader.versions(roomIds);
    } catch (err) {
      this.logger.warn({ err }, 'room state unavailable');
      return;
    }
    await Promise.all(
      roomIds.map(async (roomId, i) => {
        const version = versions[i] ?? 0;
        const last = this.pushed.get(roomId);
        if (version === 0 || (last !== undefined && last.version === version)) return;
        try {
          await this.pushChanges(roomId, version);
        } catch (err) {
          this.logger.warn({ err, roomId }, 'room state read failed');
        }
      }),
    );
  }

  /** Sends the room's current values to one socket (at join). */
  async sendTo(conn: Connection, roomId: string): Promise<void> {
    const values = await this.reader.snapshot(roomId);
    for (const key of ROOM_STATE_KEYS) {
      const json = values[key];
      if (json === undefined || json === 'null') continue;
      conn.send(frameText(roomId, key, json));
    }
  }

  private async pushChanges(roomId: string, version: number): Promise<void> {
    const values = await this.reader.snapshot(roomId);
    let last = this.pushed.get(roomId);
    if (last === undefined) this.pushed.set(roomId, (last = { version: 0, values: new Map() }));
    last.version = version;
    const members = this.registry.rooms.get(roomId)?.members;
    for (const key of ROOM_STATE_KEYS) {
      const json = values[key];
      if (json === undefined || last.values.get(key) === json) continue;
      last.values.set(key, json);
      // (The first read of a room sends what joiners got already: whole values, so harmless.)
      if (members === undefined) continue;
      const frame = frameText(roomId, key, json);
      for (const c of members) c.send(frame);
    }
  }
}

function frameText(roomId: string, key: RoomStateKey, json: string): string {
  return `{"type":"room-state","roomId":${JSON.stringify(roomId)},"key":"${key}","value":${json}}`;
}
