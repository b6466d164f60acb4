import type { ModerationEventV1 } from '@roomcast/contracts';
import { InMemoryRoomRoleStore } from '@roomcast/store';
import { RoleDirectory } from './role-directory';

function setRole(roomId: string, userId: string, role: 'viewer' | 'moderator' | 'host'): ModerationEventV1 {
  return { id: `e-${userId}-${role}`, roomId, actorId: 'h', actorRole: 'host', at: 1, action: { kind: 'set-role', userId, role } };
}

describe('RoleDirectory', () => {
  it('reads a room\'s grants once for any number of joins, and the claim wins when higher', async () => {
    const store = new InMemoryRoomRoleStore();
    await store.set('r1', 'mod', 'moderator', 'admin', 1);
    let reads = 0;
    const list = store.list.bind(store);
    store.list = (roomId) => (reads++, list(roomId));
    const dir = new RoleDirectory(store);
    const roles = await Promise.all(Array.from({ length: 500 }, (_, i) => dir.roleOf('r1', i === 0 ? 'mod' : `v${i}`, undefined)));
    expect(roles.filter((r) => r === 'moderator')).toHaveLength(1);
    expect(reads).toBe(1);
    expect(await dir.roleOf('r1', 'v1', { r1: 'host' })).toBe('host');
    expect(await dir.roleOf('r2', 'mod', undefined)).toBe('viewer');
    expect(reads).toBe(2);
  });

  it('follows set-role events without reading again, keeps one that came during the read, and reads again after the TTL', async () => {
    let now = 0;
    const store = new InMemoryRoomRoleStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const list = store.list.bind(store);
    let reads = 0;
    store.list = async (roomId) => {
      reads++;
      const grants = await list(roomId);
      if (reads === 1) await gate;
      return grants;
    };
    const dir = new RoleDirectory(store, 1000, () => now);
    const first = dir.roleOf('r1', 'ann', undefined);
    dir.apply(setRole('r1', 'ann', 'moderator'));
    release();
    expect(await first).toBe('moderator');
    dir.apply(setRole('r1', 'ann', 'viewer'));
    dir.apply(setRole('r1', 'bob', 'host'));
    expect(await dir.roleOf('r1', 'ann', undefined)).toBe('viewer');
    expect(await dir.roleOf('r1', 'bob', undefined)).toBe('host');
    expect(reads).toBe(1);
    now = 1001;
    await store.set('r1', 'carl', 'moderator', 'admin', 1);
    expect(await dir.roleOf('r1', 'carl', undefined)).toBe('moderator');
    expect(reads).toBe(2);
  });
});
