import { AppError } from '@roomcast/errors';
import type { DictionaryStore } from './dictionary-store';

export interface DictionaryStoreFixture {
  /** A store that init() has not been called on yet, on empty storage of its own. */
  store: DictionaryStore;
  /** A second store on the SAME storage (another service instance), or undefined if not supported. */
  sibling?: () => Promise<DictionaryStore>;
  /** Closes the stores and removes whatever they stored. */
  cleanup(): Promise<void>;
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err: unknown = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

/**
 * The behaviour every DictionaryStore must have. Runs against `InMemoryDictionaryStore` (unit) and
 * `MongoDictionaryStore` on the real Mongo-wire server (integration).
 */
export function describeDictionaryStoreContract(name: string, factory: () => Promise<DictionaryStoreFixture>): void {
  describe(`DictionaryStore contract: ${name}`, () => {
    let fixture: DictionaryStoreFixture | undefined;
    let store: DictionaryStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
      await store.init();
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('starts empty at version 0', async () => {
      await expect(store.load()).resolves.toEqual({ roomId: undefined, version: 0, entries: [], allow: [] });
      await expect(store.load({ roomId: 'r1' })).resolves.toEqual({ roomId: 'r1', version: 0, entries: [], allow: [] });
      const v = await store.versions();
      expect(v.global).toBe(0);
      expect([...v.rooms]).toEqual([]);
    });

    it('bumps the version on every change and lists words sorted', async () => {
      await expect(store.putEntry({ word: 'zeta', policy: 'mask' })).resolves.toEqual({ changed: true, version: 1 });
      await expect(store.putEntry({ word: '赌博', policy: 'reject', category: 'gambling' })).resolves.toEqual({ changed: true, version: 2 });
      await expect(store.addAllow({ word: 'classic' })).resolves.toEqual({ changed: true, version: 3 });
      await expect(store.putEntry({ word: 'alpha', policy: 'review', category: 'spam' })).resolves.toEqual({ changed: true, version: 4 });
      await expect(store.load()).resolves.toEqual({
        roomId: undefined,
        version: 4,
        entries: [
          { word: 'alpha', policy: 'review', category: 'spam' },
          { word: 'zeta', policy: 'mask' },
          { word: '赌博', policy: 'reject', category: 'gambling' },
        ],
        allow: ['classic'],
      });
    });

    it('treats a repeated identical write as no change, but a new policy or category as one', async () => {
      await store.putEntry({ word: 'spam', policy: 'mask' });
      await expect(store.putEntry({ word: 'spam', policy: 'mask' })).resolves.toEqual({ changed: false, version: 1 });
      await expect(store.putEntry({ word: ' spam ', policy: 'mask' })).resolves.toEqual({ changed: false, version: 1 });
      await expect(store.putEntry({ word: 'spam', policy: 'reject', category: 'spam' })).resolves.toEqual({ changed: true, version: 2 });
      await expect(store.putEntry({ word: 'spam', policy: 'reject' })).resolves.toEqual({ changed: true, version: 3 });
      expect((await store.load()).entries).toEqual([{ word: 'spam', policy: 'reject' }]);
      await store.addAllow({ word: 'classic' });
      await expect(store.addAllow({ word: 'classic' })).resolves.toEqual({ changed: false, version: 4 });
    });

    it('removes entries and allow words; removing an absent word changes nothing', async () => {
      await store.putEntry({ word: 'spam', policy: 'mask' });
      await store.addAllow({ word: 'spam' });
      await expect(store.removeEntry({ word: 'spam' })).resolves.toEqual({ changed: true, version: 3 });
      await expect(store.removeEntry({ word: 'spam' })).resolves.toEqual({ changed: false, version: 3 });
      // The allow word of the same spelling is a different thing and is still there.
      expect((await store.load()).allow).toEqual(['spam']);
      await expect(store.removeAllow({ word: 'spam' })).resolves.toEqual({ changed: true, version: 4 });
      await expect(store.removeAllow({ word: 'nothing' })).resolves.toEqual({ changed: false, version: 4 });
      await expect(store.load()).resolves.toMatchObject({ version: 4, entries: [], allow: [] });
    });

    it('keeps scopes apart, each with its own version', async () => {
      await store.putEntry({ word: 'global-word', policy: 'reject' });
      await store.putEntry({ word: 'room-word', policy: 'mask', roomId: 'room-a' });
      await store.putEntry({ word: 'other', policy: 'mask', roomId: 'room-a' });
      await store.addAllow({ word: 'fine', roomId: 'room-b' });
      await expect(store.load()).resolves.toEqual({ roomId: undefined, version: 1, entries: [{ word: 'global-word', policy: 'reject' }], allow: [] });
      await expect(store.load({ roomId: 'room-a' })).resolves.toEqual({
        roomId: 'room-a',
        version: 2,
        entries: [
          { word: 'other', policy: 'mask' },
          { word: 'room-word', policy: 'mask' },
        ],
        allow: [],
      });
      await expect(store.load({ roomId: 'room-b' })).resolves.toEqual({ roomId: 'room-b', version: 1, entries: [], allow: ['fine'] });
      // The same word in two scopes is two entries.
      await store.putEntry({ word: 'global-word', policy: 'mask', roomId: 'room-a' });
      await store.removeEntry({ word: 'global-word' });
      expect((await store.load({ roomId: 'room-a' })).entries.map((e) => e.word)).toContain('global-word');
      const v = await store.versions();
      expect(v.global).toBe(2);
      expect(Object.fromEntries(v.rooms)).toEqual({ 'room-a': 3, 'room-b': 1 });
    });

    it('keeps a room version when its last word is removed (the room still needs reloading)', async () => {
      await store.putEntry({ word: 'w', policy: 'mask', roomId: 'room-a' });
      await store.removeEntry({ word: 'w', roomId: 'room-a' });
      expect(Object.fromEntries((await store.versions()).rooms)).toEqual({ 'room-a': 2 });
    });

    it('refuses empty words and bad room ids with BAD_REQUEST', async () => {
      expect((await rejection(store.putEntry({ word: '  ', policy: 'mask' }))).code).toBe('BAD_REQUEST');
      expect((await rejection(store.addAllow({ word: '' }))).code).toBe('BAD_REQUEST');
      expect((await rejection(store.putEntry({ word: 'w', policy: 'mask', roomId: '' }))).code).toBe('BAD_REQUEST');
      expect((await rejection(store.load({ roomId: 'a/b' }))).code).toBe('BAD_REQUEST');
      await expect(store.versions()).resolves.toMatchObject({ global: 0 });
    });

    it('does not share objects with the caller', async () => {
      await store.putEntry({ word: 'w', policy: 'mask', category: 'c' });
      const first = await store.load();
      const entry = first.entries[0];
      if (entry) entry.word = 'changed';
      first.allow.push('x');
      await expect(store.load()).resolves.toMatchObject({ entries: [{ word: 'w', policy: 'mask', category: 'c' }], allow: [] });
    });

    it('gives concurrent writers distinct versions, and a second instance sees every change', async () => {
      const other = fixture?.sibling ? await fixture.sibling() : store;
      const writes = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? store : other).putEntry({ word: `w${i}`, policy: 'mask' }));
      const results = await Promise.all(writes);
      expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      const seen = await other.load();
      expect(seen.version).toBe(12);
      expect(seen.entries).toHaveLength(12);
    });

    it('init is idempotent and keeps what is stored', async () => {
      await store.putEntry({ word: 'w', policy: 'mask' });
      await store.init();
      await expect(store.load()).resolves.toMatchObject({ version: 1, entries: [{ word: 'w', policy: 'mask' }] });
    });

    it('reports healthy while open, refuses work with SHUTTING_DOWN after close', async () => {
      await expect(store.healthy()).resolves.toBe(true);
      await store.close();
      await expect(store.healthy()).resolves.toBe(false);
      expect((await rejection(store.load())).code).toBe('SHUTTING_DOWN');
    });
  });
}
