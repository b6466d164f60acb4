import type { RoomRoleStore } from './room-role-store';

export interface RoomRoleStoreFixture {
  /** A store that init() has not been called on yet, on empty storage of its own. */
  store: RoomRoleStore;
  /** A second store on the SAME storage (another service instance), or undefined if not supported. */
  sibling?: () => Promise<RoomRoleStore>;
  /** Closes the store(s) and removes whatever they stored. */
  cleanup(): Promise<void>;
}

/**
 * The behaviour every RoomRoleStore must have. Runs against `InMemoryRoomRoleStore` (unit) and
 * `MongoRoomRoleStore` on the real Mongo-wire server (integration).
 */
export function describeRoomRoleStoreContract(
  name: string,
  factory: () => Promise<RoomRoleStoreFixture>,
): void {
  describe(`RoomRoleStore contract: ${name}`, () => {
    let fixture: RoomRoleStoreFixture | undefined;
    let store: RoomRoleStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
      await store.init();
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('answers viewer for a user without a grant, and the granted role after set', async () => {
      await expect(store.get('room-a', 'ann')).resolves.toBe('viewer');
      await store.set('room-a', 'ann', 'moderator', 'admin', 1000);
      await expect(store.get('room-a', 'ann')).resolves.toBe('moderator');
      // Per room and per user: nothing leaks to another room or another user.
      await expect(store.get('room-b', 'ann')).resolves.toBe('viewer');
      await expect(store.get('room-a', 'bob')).resolves.toBe('viewer');
    });

    it('lists a grant exactly as it was made', async () => {
      await store.set('room-a', 'ann', 'host', 'admin', 1_764_000_000_123);
      await expect(store.list('room-a')).resolves.toStrictEqual([
        { roomId: 'room-a', userId: 'ann', role: 'host', grantedBy: 'admin', grantedAt: 1_764_000_000_123 },
      ]);
      await expect(store.list('room-b')).resolves.toEqual([]);
    });

    it('replaces an earlier grant, and set-role viewer removes it', async () => {
      await store.set('room-a', 'ann', 'moderator', 'admin', 1000);
      await store.set('room-a', 'ann', 'host', 'bob', 2000);
      await expect(store.get('room-a', 'ann')).resolves.toBe('host');
      await expect(store.list('room-a')).resolves.toStrictEqual([
        { roomId: 'room-a', userId: 'ann', role: 'host', grantedBy: 'bob', grantedAt: 2000 },
      ]);
      await store.set('room-a', 'ann', 'viewer', 'bob', 3000);
      await expect(store.get('room-a', 'ann')).resolves.toBe('viewer');
      await expect(store.list('room-a')).resolves.toEqual([]);
      // Removing a grant that is not there is not an error.
      await store.set('room-a', 'ann', 'viewer', 'bob', 4000);
      await expect(store.list('room-a')).resolves.toEqual([]);
    });

    it('is idempotent: the same grant twice is one grant', async () => {
      await store.set('room-a', 'ann', 'moderator', 'admin', 1000);
      await store.set('room-a', 'ann', 'moderator', 'admin', 1000);
      await expect(store.list('room-a')).resolves.toHaveLength(1);
    });

    it('lists hosts first, then moderators, each by userId in code-unit order (not locale order)', async () => {
      // 'Zed' < 'amy' < 'bob' by code unit; a locale compare would put 'Zed' last.
      for (const [userId, role] of [
        ['bob', 'moderator'],
        ['amy', 'host'],
        ['Zed', 'moderator'],
        ['carl', 'host'],
        ['amy.2', 'moderator'],
      ] as const)
        await store.set('room-a', userId, role, 'admin', 1000);
      await store.set('room-b', 'aaron', 'host', 'admin', 1000);
      const listed = await store.list('room-a');
      expect(listed.map((g) => `${g.role}:${g.userId}`)).toEqual([
        'host:amy',
        'host:carl',
        'moderator:Zed',
        'moderator:amy.2',
        'moderator:bob',
      ]);
    });

    it('does not share objects with the caller', async () => {
      await store.set('room-a', 'ann', 'host', 'admin', 1000);
      const [grant] = await store.list('room-a');
      if (grant) grant.userId = 'changed by the reader';
      await expect(store.list('room-a')).resolves.toMatchObject([{ userId: 'ann' }]);
    });

    it('two instances granting the same user at once leave one grant', async () => {
      const other = fixture?.sibling ? await fixture.sibling() : store;
      await Promise.all([
        store.set('room-a', 'ann', 'moderator', 'x', 1000),
        other.set('room-a', 'ann', 'moderator', 'y', 1000),
        store.set('room-a', 'ann', 'moderator', 'z', 1000),
      ]);
      const listed = await store.list('room-a');
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ userId: 'ann', role: 'moderator' });
    });

    it('init is idempotent and keeps the grants', async () => {
      await store.set('room-a', 'ann', 'host', 'admin', 1000);
      await store.init();
      await expect(store.get('room-a', 'ann')).resolves.toBe('host');
    });

    it('reports healthy while open', async () => {
      await expect(store.healthy()).resolves.toBe(true);
    });
  });
}
