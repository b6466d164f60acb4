import type { ModerationEventV1 } from '@roomcast/contracts';
import type { ModerationAuditStore } from './moderation-audit-store';

export interface ModerationAuditStoreFixture {
  /** A store that init() has not been called on yet, on empty storage of its own. */
  store: ModerationAuditStore;
  /** A second store on the SAME storage (another service instance), or undefined if not supported. */
  sibling?: () => Promise<ModerationAuditStore>;
  /** Closes the store(s) and removes whatever they stored. */
  cleanup(): Promise<void>;
}

/** A realistic applied action: a one-minute mute (with its `until`) unless `overrides.action` says otherwise. */
export function makeModerationEvent(
  id: string,
  overrides: Partial<ModerationEventV1> = {},
): ModerationEventV1 {
  const event: ModerationEventV1 = {
    id,
    roomId: 'room-a',
    actorId: 'mod-1',
    actorRole: 'moderator',
    at: 1_764_000_000_000 + Number(id.replace(/\D/g, '') || 0),
    action: { kind: 'mute', userId: 'user-1', durationMs: 60_000 },
    ...overrides,
  };
  if (overrides.action === undefined && overrides.until === undefined) event.until = event.at + 60_000;
  return event;
}

const ids = (events: ModerationEventV1[]): string[] => events.map((e) => e.id);

/**
 * The behaviour every ModerationAuditStore must have. Runs against `InMemoryModerationAuditStore`
 * (unit) and `MongoModerationAuditStore` on the real Mongo-wire server (integration).
 */
export function describeModerationAuditStoreContract(
  name: string,
  factory: () => Promise<ModerationAuditStoreFixture>,
): void {
  describe(`ModerationAuditStore contract: ${name}`, () => {
    let fixture: ModerationAuditStoreFixture | undefined;
    let store: ModerationAuditStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
      await store.init();
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('returns every kind of action exactly as appended', async () => {
      const events: ModerationEventV1[] = [
        makeModerationEvent('e1'),
        makeModerationEvent('e2', { action: { kind: 'unmute', userId: 'user-1' } }),
        makeModerationEvent('e3', { actorRole: 'host', action: { kind: 'ban', userId: 'user-2' } }),
        makeModerationEvent('e4', {
          action: { kind: 'ban', userId: 'user-3', durationMs: 5000 },
          until: 1_764_000_005_004,
        }),
        makeModerationEvent('e5', { action: { kind: 'unban', userId: 'user-3' } }),
        makeModerationEvent('e6', { action: { kind: 'delete', seq: 42 } }),
        makeModerationEvent('e7', { action: { kind: 'slow-mode', intervalMs: 0 } }),
        makeModerationEvent('e8', {
          actorId: 'admin',
          actorRole: 'admin',
          action: { kind: 'set-role', userId: 'user-4', role: 'viewer' },
        }),
        makeModerationEvent('e9', {
          actorRole: 'host',
          action: { kind: 'room-words', added: ['spam ✓', '弹幕'], removed: [] },
        }),
      ];
      await expect(store.append(events)).resolves.toBe(events.length);
      const listed = await store.list('room-a');
      expect(listed).toStrictEqual([...events].reverse());
    });

    it('is idempotent by event id: a replayed event is not appended again and keeps the first copy', async () => {
      const first = makeModerationEvent('e1');
      await expect(store.append([first])).resolves.toBe(1);
      await expect(
        store.append([{ ...first, actorId: 'replayed' }, makeModerationEvent('e2')]),
      ).resolves.toBe(1);
      // Duplicates at the start, in the middle and at the end of one batch, and within the batch.
      const batch = ['e1', 'e3', 'e2', 'e3', 'e4', 'e2'].map((id) => makeModerationEvent(id));
      await expect(store.append(batch)).resolves.toBe(2);
      const listed = await store.list('room-a');
      expect(ids(listed)).toEqual(['e4', 'e3', 'e2', 'e1']);
      expect(listed[3]?.actorId).toBe('mod-1');
      await expect(store.append([])).resolves.toBe(0);
    });

    it('lists one room newest first, ties by id descending, at most limit (default 100, clamped 1..500)', async () => {
      await store.append([
        makeModerationEvent('a', { at: 10 }),
        makeModerationEvent('c', { at: 20 }),
        makeModerationEvent('b', { at: 20 }),
        makeModerationEvent('d', { at: 30 }),
        makeModerationEvent('x', { at: 25, roomId: 'room-b' }),
      ]);
      expect(ids(await store.list('room-a'))).toEqual(['d', 'c', 'b', 'a']);
      expect(ids(await store.list('room-a', { limit: 2 }))).toEqual(['d', 'c']);
      expect(ids(await store.list('room-a', { limit: 0 }))).toEqual(['d']);
      expect(ids(await store.list('room-a', { limit: 2.9 }))).toEqual(['d', 'c']);
      expect(ids(await store.list('room-b'))).toEqual(['x']);
      expect(await store.list('room-c')).toEqual([]);
    });

    it('pages back with before (entries strictly older than it)', async () => {
      await store.append(
        Array.from({ length: 7 }, (_, i) => makeModerationEvent(`e${i + 1}`, { at: (i + 1) * 10 })),
      );
      const page1 = await store.list('room-a', { limit: 3 });
      expect(ids(page1)).toEqual(['e7', 'e6', 'e5']);
      const page2 = await store.list('room-a', { limit: 3, before: page1.at(-1)?.at });
      expect(ids(page2)).toEqual(['e4', 'e3', 'e2']);
      expect(ids(await store.list('room-a', { limit: 3, before: page2.at(-1)?.at }))).toEqual(['e1']);
      expect(ids(await store.list('room-a', { before: 10 }))).toEqual([]);
      expect(ids(await store.list('room-a', { before: 35 }))).toEqual(['e3', 'e2', 'e1']);
    });

    it('pages through entries that share a millisecond with before + beforeId, none skipped or repeated', async () => {
      // Five entries in one millisecond (a burst of actions), two older, one newer.
      await store.append([
        makeModerationEvent('e1', { at: 10 }),
        makeModerationEvent('e2', { at: 20 }),
        ...['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => makeModerationEvent(id, { at: 30 })),
        makeModerationEvent('e9', { at: 40 }),
      ]);
      const seen: string[] = [];
      let cursor: { before?: number; beforeId?: string } = {};
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.list('room-a', { limit: 2, ...cursor });
        const last = page.at(-1);
        if (!last) break;
        seen.push(...ids(page));
        cursor = { before: last.at, beforeId: last.id };
      }
      expect(seen).toEqual(['e9', 'm5', 'm4', 'm3', 'm2', 'm1', 'e2', 'e1']);
      // before alone still means strictly older (the same-millisecond ones are left out)
      expect(ids(await store.list('room-a', { before: 30 }))).toEqual(['e2', 'e1']);
      // beforeId without before is ignored
      expect(ids(await store.list('room-a', { beforeId: 'm3' }))).toHaveLength(8);
    });

    it('returns the default 100 and at most 500', async () => {
      await store.append(Array.from({ length: 510 }, (_, i) => makeModerationEvent(`e${i + 1}`)));
      expect(await store.list('room-a')).toHaveLength(100);
      expect(await store.list('room-a', { limit: 10_000 })).toHaveLength(500);
    });

    it('does not share objects with the caller', async () => {
      const event = makeModerationEvent('e1');
      await store.append([event]);
      event.actorId = 'changed by the caller';
      if (event.action.kind === 'mute') event.action.userId = 'changed too';
      const [listed] = await store.list('room-a');
      expect(listed).toStrictEqual(makeModerationEvent('e1'));
      if (listed) listed.actorId = 'changed by the reader';
      await expect(store.list('room-a')).resolves.toStrictEqual([makeModerationEvent('e1')]);
    });

    it('two instances appending overlapping batches at once store each event once', async () => {
      const other = fixture?.sibling ? await fixture.sibling() : store;
      const all = Array.from({ length: 60 }, (_, i) => makeModerationEvent(`e${i + 1}`));
      const [x, y] = await Promise.all([store.append(all.slice(0, 40)), other.append(all.slice(20))]);
      expect(x + y).toBe(60);
      expect(await store.list('room-a', { limit: 500 })).toHaveLength(60);
    });

    it('init is idempotent and keeps the entries', async () => {
      await store.append([makeModerationEvent('e1')]);
      await store.init();
      expect(ids(await store.list('room-a'))).toEqual(['e1']);
    });

    it('reports healthy while open', async () => {
      await expect(store.healthy()).resolves.toBe(true);
    });
  });
}
