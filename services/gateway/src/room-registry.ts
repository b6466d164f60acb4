import type { Connection } from './connection';
import type { RoomQueue } from './fanout';

export interface RoomState {
  members: Set<Connection>;
  /** Distinct users among the members, with how many of their sockets are in: `online` counts users, not sockets. */
  users: Map<string, number>;
  /** Newest seq flushed to this room's sockets on this gateway (what `joined.lastSeq` reports). */
  lastSeq: number;
  /** Messages waiting for the room's next flush (fanout.ts); created on the first delivery. */
  queue?: RoomQueue;
  /** Last like total / online count broadcast, to send only changes. */
  likes: number;
  online: number;
}

/** Rooms with viewers on this gateway, and users' connections by user id. */
export class RoomRegistry {
  readonly rooms = new Map<string, RoomState>();
  readonly users = new Map<string, Set<Connection>>();
  /** Rooms that emptied since the last online roll-up (reported once as 0). */
  readonly emptied = new Set<string>();

  addConnection(c: Connection): void {
    let set = this.users.get(c.userId);
    if (!set) this.users.set(c.userId, (set = new Set()));
    set.add(c);
  }

  /** Removes the connection from every room; returns the rooms it emptied. */
  removeConnection(c: Connection): string[] {
    const set = this.users.get(c.userId);
    if (set) {
      set.delete(c);
      if (set.size === 0) this.users.delete(c.userId);
    }
    const emptied: string[] = [];
    for (const roomId of c.rooms) if (this.leave(c, roomId)) emptied.push(roomId);
    return emptied;
  }

  /** Adds the connection to a room; returns true if the room was new on this gateway. */
  join(c: Connection, roomId: string): { state: RoomState; first: boolean } {
    let state = this.rooms.get(roomId);
    const first = !state;
    if (!state) {
      state = { members: new Set(), users: new Map(), lastSeq: 0, likes: -1, online: -1 };
      this.rooms.set(roomId, state);
      this.emptied.delete(roomId);
    }
    if (!state.members.has(c)) {
      state.members.add(c);
      state.users.set(c.userId, (state.users.get(c.userId) ?? 0) + 1);
    }
    c.rooms.add(roomId);
    return { state, first };
  }

  /** Removes the connection from a room; returns true if the room is now empty here. */
  leave(c: Connection, roomId: string): boolean {
    c.rooms.delete(roomId);
    const state = this.rooms.get(roomId);
    if (!state) return false;
    if (state.members.delete(c)) {
      const n = (state.users.get(c.userId) ?? 1) - 1;
      if (n > 0) state.users.set(c.userId, n);
      else state.users.delete(c.userId);
    }
    if (state.members.size > 0) return false;
    this.rooms.delete(roomId);
    this.emptied.add(roomId);
    return true;
  }

  connectionCount(): number {
    let n = 0;
    for (const set of this.users.values()) n += set.size;
    return n;
  }
}
