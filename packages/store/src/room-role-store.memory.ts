import type { RoomRole } from '@roomcast/contracts';
import type { RoomRoleGrant, RoomRoleStore } from './room-role-store';

/** The in-memory twin of MongoRoomRoleStore (embedded start, unit tests). */
export class InMemoryRoomRoleStore implements RoomRoleStore {
  private readonly grants = new Map<string, RoomRoleGrant>();

  async init(): Promise<void> {}

  async get(roomId: string, userId: string): Promise<RoomRole> {
    return this.grants.get(key(roomId, userId))?.role ?? 'viewer';
  }

  async set(roomId: string, userId: string, role: RoomRole, grantedBy: string, at: number): Promise<void> {
    if (role === 'viewer') this.grants.delete(key(roomId, userId));
    else this.grants.set(key(roomId, userId), { roomId, userId, role, grantedBy, grantedAt: at });
  }

  async list(roomId: string): Promise<RoomRoleGrant[]> {
    return [...this.grants.values()]
      .filter((g) => g.roomId === roomId)
      // By code unit, as MongoDB compares strings: localeCompare put 'Zed' after 'amy' (found by the
      // contract suite).
      .sort((a, b) => (a.role === b.role ? (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0) : a.role === 'host' ? -1 : 1))
      .map((g) => ({ ...g }));
  }

  async healthy(): Promise<boolean> {
    return true;
  }
}

function key(roomId: string, userId: string): string {
  return `${roomId}\u0000${userId}`;
}
