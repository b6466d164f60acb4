import type { ModerationStore } from './moderation-store';

export interface ModerationStoreFixture {
  store: ModerationStore;
  /** Closes the store and removes whatever it wrote. */
  cleanup(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The one suite every ModerationStore twin must pass; `factory` gives a fresh, empty store per test. */
export function describeModerationStoreContract(
  name: string,
  factory: () => Promise<ModerationStoreFixture>,
): void {
  describe(`ModerationStore contract: ${name}`, () => {
    let fixture: ModerationStoreFixture;
    let store: ModerationStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('starts empty for any room', async () => {
      const s = await store.state('room-a');
      expect(s.slowModeMs).toBe(0);
      expect(s.mutes.size).toBe(0);
      expect(s.bans.size).toBe(0);
    });

    it('records mutes and bans with their end, lifts them, and keeps rooms apart', async () => {
      const until = Date.now() + 60_000;
      await store.apply('room-a', { kind: 'mute', userId: 'u1', durationMs: 60_000 }, until);
      await store.apply('room-a', { kind: 'ban', userId: 'u2' });
      await store.apply('room-a', { kind: 'ban', userId: 'u3', durationMs: 60_000 }, until);
      let s = await store.state('room-a');
      expect([...s.mutes]).toEqual([['u1', until]]);
      expect(s.bans.get('u2')).toBe(Number.POSITIVE_INFINITY);
      expect(s.bans.get('u3')).toBe(until);
      expect((await store.state('room-b')).mutes.size).toBe(0);
      await store.apply('room-a', { kind: 'unmute', userId: 'u1' });
      await store.apply('room-a', { kind: 'unban', userId: 'u2' });
      // idempotent
      await store.apply('room-a', { kind: 'unban', userId: 'u2' });
      s = await store.state('room-a');
      expect(s.mutes.size).toBe(0);
      expect([...s.bans.keys()]).toEqual(['u3']);
    });

    it('leaves out mutes and bans whose time has passed', async () => {
      const soon = Date.now() + 150;
      await store.apply('room-a', { kind: 'mute', userId: 'u1', durationMs: 1000 }, soon);
      await store.apply('room-a', { kind: 'ban', userId: 'u2', durationMs: 1000 }, soon);
      expect((await store.state('room-a')).mutes.has('u1')).toBe(true);
      await sleep(300);
      const s = await store.state('room-a');
      expect(s.mutes.has('u1')).toBe(false);
      expect(s.bans.has('u2')).toBe(false);
      // a later mute of the same user counts again
      await store.apply('room-a', { kind: 'mute', userId: 'u1', durationMs: 60_000 }, Date.now() + 60_000);
      expect((await store.state('room-a')).mutes.has('u1')).toBe(true);
    });

    it('sets and clears slow mode; other kinds change nothing', async () => {
      await store.apply('room-a', { kind: 'slow-mode', intervalMs: 5000 });
      expect((await store.state('room-a')).slowModeMs).toBe(5000);
      await store.apply('room-a', { kind: 'delete', seq: 3 });
      await store.apply('room-a', { kind: 'set-role', userId: 'u1', role: 'moderator' });
      const s = await store.state('room-a');
      expect(s.slowModeMs).toBe(5000);
      expect(s.mutes.size + s.bans.size).toBe(0);
      await store.apply('room-a', { kind: 'slow-mode', intervalMs: 0 });
      expect((await store.state('room-a')).slowModeMs).toBe(0);
    });

    it('gives one slow-mode slot per room and user per interval', async () => {
      const results = await Promise.all(
        Array.from({ length: 5 }, () => store.takeSlowSlot('room-a', 'u1', 300)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.takeSlowSlot('room-a', 'u2', 300)).toBe(true);
      expect(await store.takeSlowSlot('room-b', 'u1', 300)).toBe(true);
      await sleep(450);
      expect(await store.takeSlowSlot('room-a', 'u1', 300)).toBe(true);
    });

    it('reports healthy', async () => {
      expect(await store.healthy()).toBe(true);
    });
  });
}
