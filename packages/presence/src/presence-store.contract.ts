import type { PresenceStore } from './presence-store';

export interface PresenceStoreFixture {
  store: PresenceStore;
  /** Closes the store and removes whatever it wrote. */
  cleanup(): Promise<void>;
}

/**
 * Short TTL that the suite waits out; long enough that a loaded CI machine does not expire it
 * before the checks that expect it alive (150 ms did: six Redis round trips took longer in a CI run).
 */
const SHORT_TTL_MS = 1000;
/** How long the suite sleeps to see a SHORT_TTL_MS entry gone. */
const EXPIRE_WAIT_MS = 1300;
const LONG_TTL_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sorted = (xs: string[] | undefined): string[] => [...(xs ?? [])].sort();

/**
 * The one suite every PresenceStore twin must pass. `factory` gives a fresh, empty store per
 * test (for Redis: a unique key prefix).
 */
export function describePresenceStoreContract(
  name: string,
  factory: () => Promise<PresenceStoreFixture>,
): void {
  describe(`PresenceStore contract: ${name}`, () => {
    let fixture: PresenceStoreFixture;
    let store: PresenceStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('user -> gateway', () => {
      it('stores, overwrites on reconnect, and returns null for unknown users', async () => {
        await store.setUserGateway('user:1', 'gw-a', LONG_TTL_MS);
        expect(await store.getUserGateway('user:1')).toBe('gw-a');
        expect(await store.getUserGateway('user:2')).toBeNull();
        await store.setUserGateway('user:1', 'gw-b', LONG_TTL_MS);
        expect(await store.getUserGateway('user:1')).toBe('gw-b');
      });

      it('expires after ttl unless refreshed by the owning gateway', async () => {
        await store.setUserGateway('u1', 'gw-a', SHORT_TTL_MS);
        await store.setUserGateway('u2', 'gw-a', SHORT_TTL_MS);
        await store.setUserGateway('u3', 'gw-b', SHORT_TTL_MS);
        await store.setUserGateway('u4', 'gw-a', SHORT_TTL_MS);
        await store.refreshUsers(['u1', 'u2', 'u3', 'never-seen'], 'gw-a', LONG_TTL_MS);
        await store.refreshUsers([], 'gw-a', LONG_TTL_MS);
        expect(await store.getUserGateway('u4')).toBe('gw-a');
        await sleep(EXPIRE_WAIT_MS);
        expect(await store.getUserGateway('u1')).toBe('gw-a');
        expect(await store.getUserGateway('u2')).toBe('gw-a');
        // owned by another gateway: not refreshed by gw-a
        expect(await store.getUserGateway('u3')).toBeNull();
        // not in the refresh list
        expect(await store.getUserGateway('u4')).toBeNull();
        // refresh does not resurrect or create entries
        expect(await store.getUserGateway('never-seen')).toBeNull();
      });

      it('removes a user only for the gateway that owns it', async () => {
        await store.setUserGateway('u1', 'gw-a', LONG_TTL_MS);
        await store.removeUser('u1', 'gw-b');
        expect(await store.getUserGateway('u1')).toBe('gw-a');
        await store.removeUser('u1', 'gw-a');
        expect(await store.getUserGateway('u1')).toBeNull();

        // reconnect to gw-b, then gw-a's late disconnect arrives: gw-b keeps the user
        await store.setUserGateway('u2', 'gw-a', LONG_TTL_MS);
        await store.setUserGateway('u2', 'gw-b', LONG_TTL_MS);
        await store.removeUser('u2', 'gw-a');
        expect(await store.getUserGateway('u2')).toBe('gw-b');
        await store.removeUser('never-seen', 'gw-a');
      });
    });

    describe('room -> gateways', () => {
      it('tracks gateways across several rooms, read in one call', async () => {
        await store.touchRoomGateways(['room:1', 'room:2'], 'gw-a', LONG_TTL_MS);
        await store.touchRoomGateways(['room:2', 'room:3'], 'gw-b', LONG_TTL_MS);
        await store.touchRoomGateways(['room:2'], 'gw-b', LONG_TTL_MS);
        await store.touchRoomGateways([], 'gw-c', LONG_TTL_MS);
        const rooms = ['room:3', 'room:1', 'room:2', 'room:4'];
        const got = await store.getRoomGateways(rooms);
        expect([...got.keys()]).toEqual(rooms);
        expect(sorted(got.get('room:1'))).toEqual(['gw-a']);
        expect(sorted(got.get('room:2'))).toEqual(['gw-a', 'gw-b']);
        expect(sorted(got.get('room:3'))).toEqual(['gw-b']);
        expect(got.get('room:4')).toEqual([]);
        expect((await store.getRoomGateways([])).size).toBe(0);
      });

      it('removes a gateway from one room only', async () => {
        await store.touchRoomGateways(['r1', 'r2'], 'gw-a', LONG_TTL_MS);
        await store.touchRoomGateways(['r1'], 'gw-b', LONG_TTL_MS);
        await store.removeRoomGateway('r1', 'gw-a');
        await store.removeRoomGateway('r9', 'gw-a');
        const got = await store.getRoomGateways(['r1', 'r2']);
        expect(got.get('r1')).toEqual(['gw-b']);
        expect(got.get('r2')).toEqual(['gw-a']);
      });

      it('drops gateways whose entry was not refreshed within ttl', async () => {
        await store.touchRoomGateways(['r1', 'r2'], 'gw-crashed', SHORT_TTL_MS);
        await store.touchRoomGateways(['r1'], 'gw-alive', LONG_TTL_MS);
        expect(sorted((await store.getRoomGateways(['r1'])).get('r1'))).toEqual(['gw-alive', 'gw-crashed']);
        await sleep(EXPIRE_WAIT_MS);
        const got = await store.getRoomGateways(['r1', 'r2']);
        expect(got.get('r1')).toEqual(['gw-alive']);
        expect(got.get('r2')).toEqual([]);
        // a gateway that comes back is listed again
        await store.touchRoomGateways(['r2'], 'gw-crashed', LONG_TTL_MS);
        expect((await store.getRoomGateways(['r2'])).get('r2')).toEqual(['gw-crashed']);
      });
    });

    describe('online counts', () => {
      it('sums per-gateway reports, replaces a gateway own count, and removes on 0', async () => {
        expect(
          await store.reportOnline(
            'gw-a',
            new Map([
              ['r1', 3],
              ['r2', 5],
            ]),
            LONG_TTL_MS,
          ),
        ).toEqual(
          new Map([
            ['r1', 3],
            ['r2', 5],
          ]),
        );
        expect(await store.reportOnline('gw-b', new Map([['r1', 4]]), LONG_TTL_MS)).toEqual(
          new Map([['r1', 7]]),
        );
        // gw-a's new report replaces its old one, it does not add to it
        expect(
          await store.reportOnline(
            'gw-a',
            new Map([
              ['r1', 1],
              ['r3', 2],
            ]),
            LONG_TTL_MS,
          ),
        ).toEqual(
          new Map([
            ['r1', 5],
            ['r3', 2],
          ]),
        );
        expect(await store.reportOnline('gw-b', new Map([['r1', 0]]), LONG_TTL_MS)).toEqual(
          new Map([['r1', 1]]),
        );
        expect(await store.reportOnline('gw-a', new Map([['r2', 0]]), LONG_TTL_MS)).toEqual(
          new Map([['r2', 0]]),
        );
        expect((await store.reportOnline('gw-a', new Map(), LONG_TTL_MS)).size).toBe(0);
      });

      it('does not sum the counts of a gateway that stopped reporting', async () => {
        await store.reportOnline(
          'gw-crashed',
          new Map([
            ['r1', 100],
            ['r2', 7],
          ]),
          SHORT_TTL_MS,
        );
        expect(await store.reportOnline('gw-alive', new Map([['r1', 2]]), LONG_TTL_MS)).toEqual(
          new Map([['r1', 102]]),
        );
        await sleep(EXPIRE_WAIT_MS);
        expect(
          await store.reportOnline(
            'gw-alive',
            new Map([
              ['r1', 2],
              ['r2', 1],
            ]),
            LONG_TTL_MS,
          ),
        ).toEqual(
          new Map([
            ['r1', 2],
            ['r2', 1],
          ]),
        );
      });
    });

    describe('likes', () => {
      it('accumulates per room and reads 0 for unknown rooms', async () => {
        expect(await store.getLikes(['r1'])).toEqual(new Map([['r1', 0]]));
        expect(
          await store.addLikes(
            new Map([
              ['r1', 2],
              ['r:2', 5],
            ]),
          ),
        ).toEqual(
          new Map([
            ['r1', 2],
            ['r:2', 5],
          ]),
        );
        expect(await store.addLikes(new Map([['r1', 3]]))).toEqual(new Map([['r1', 5]]));
        await Promise.all(Array.from({ length: 20 }, () => store.addLikes(new Map([['r:2', 1]]))));
        expect(await store.getLikes(['r1', 'r:2', 'r3'])).toEqual(
          new Map([
            ['r1', 5],
            ['r:2', 25],
            ['r3', 0],
          ]),
        );
        expect((await store.addLikes(new Map())).size).toBe(0);
        expect((await store.getLikes([])).size).toBe(0);
      });
    });

    describe('token buckets', () => {
      it('gives the burst, then refuses without taking, per key; a cost takes that many', async () => {
        const results: boolean[] = [];
        for (let i = 0; i < 5; i++) results.push(await store.takeTokens('chat:alice', 0.001, 3, 1));
        expect(results).toEqual([true, true, true, false, false]);
        expect(await store.takeTokens('chat:bob', 0.001, 3, 1)).toBe(true);
        expect(await store.takeTokens('likes:r1:alice', 0.001, 100, 60)).toBe(true);
        expect(await store.takeTokens('likes:r1:alice', 0.001, 100, 60)).toBe(false);
        expect(await store.takeTokens('likes:r1:alice', 0.001, 100, 40)).toBe(true);
      });

      it('refills at the rate', async () => {
        expect(await store.takeTokens('fast', 1000, 1, 1)).toBe(true);
        await new Promise((r) => setTimeout(r, 20));
        expect(await store.takeTokens('fast', 1000, 1, 1)).toBe(true);
      });
    });

    describe('connection caps', () => {
      const admit = (gw: string, id = 'u1', cap = 3, ttlMs = LONG_TTL_MS, kind: 'user' | 'ip' = 'user') =>
        store.admitConnection(kind, id, gw, cap, ttlMs);
      const counts = (user: [string, number][], ip: [string, number][] = []) => ({ user: new Map(user), ip: new Map(ip) });

      it('admits up to the cap summed over gateways, per kind and id; a release frees a slot on any gateway', async () => {
        expect([await admit('gw-a'), await admit('gw-a'), await admit('gw-b')]).toEqual([true, true, true]);
        expect([await admit('gw-b'), await admit('gw-a'), await admit('gw-c')]).toEqual([false, false, false]);
        // Another id, or the same id as a client address, has a count of its own.
        expect(await admit('gw-a', 'u2')).toBe(true);
        expect(await admit('gw-a', 'u1', 1, LONG_TTL_MS, 'ip')).toBe(true);
        expect(await admit('gw-a', 'u1', 1, LONG_TTL_MS, 'ip')).toBe(false);

        await store.releaseConnection('user', 'u1', 'gw-a');
        expect(await admit('gw-b')).toBe(true);
        expect(await admit('gw-a')).toBe(false);
        // gw-b holds 2 now: two releases free two slots, a third release of gw-b finds nothing left.
        await store.releaseConnection('user', 'u1', 'gw-b');
        await store.releaseConnection('user', 'u1', 'gw-b');
        await store.releaseConnection('user', 'u1', 'gw-b');
        // Releases of what was never admitted change nothing (no count goes below 0).
        await store.releaseConnection('user', 'u1', 'gw-c');
        await store.releaseConnection('user', 'never-seen', 'gw-a');
        expect([await admit('gw-c'), await admit('gw-c'), await admit('gw-c')]).toEqual([true, true, false]);
      });

      it("does not sum the counts of a gateway that stopped refreshing them", async () => {
        expect(await admit('gw-crashed', 'u1', 3, SHORT_TTL_MS)).toBe(true);
        expect(await admit('gw-crashed', 'u1', 3, SHORT_TTL_MS)).toBe(true);
        expect(await admit('gw-alive')).toBe(true);
        expect(await admit('gw-alive')).toBe(false);
        await sleep(EXPIRE_WAIT_MS);
        expect([await admit('gw-alive'), await admit('gw-alive'), await admit('gw-alive')]).toEqual([true, true, false]);
        // The crashed gateway's late release does not take a slot from the live one.
        await store.releaseConnection('user', 'u1', 'gw-crashed');
        expect(await admit('gw-alive')).toBe(false);
      });

      it("sets a gateway's counts on report (replacing, not adding), keeps them live, and removes them at 0", async () => {
        await store.reportConnections('gw-a', counts([['u1', 2]], [['203.0.113.7', 1]]), SHORT_TTL_MS);
        // A report refreshes the expiry, so the counts outlive the first ttl.
        await store.reportConnections('gw-a', counts([['u1', 2]], [['203.0.113.7', 1]]), LONG_TTL_MS);
        await store.reportConnections('gw-b', counts([]), LONG_TTL_MS);
        await sleep(EXPIRE_WAIT_MS);
        expect(await admit('gw-b')).toBe(true);
        expect(await admit('gw-b')).toBe(false);
        expect(await admit('gw-b', '203.0.113.7', 2, LONG_TTL_MS, 'ip')).toBe(true);
        expect(await admit('gw-b', '203.0.113.7', 2, LONG_TTL_MS, 'ip')).toBe(false);
        // gw-a's own tally says 1: it replaces gw-a's 2, gw-b's admits stay.
        await store.reportConnections('gw-a', counts([['u1', 1]], [['203.0.113.7', 0]]), LONG_TTL_MS);
        expect(await admit('gw-b')).toBe(true);
        expect(await admit('gw-b')).toBe(false);
        expect(await admit('gw-b', '203.0.113.7', 2, LONG_TTL_MS, 'ip')).toBe(true);
        await store.reportConnections('gw-a', counts([['u1', 0]]), LONG_TTL_MS);
        // A release after the report of 0 (a socket that closed late) finds nothing.
        await store.releaseConnection('user', 'u1', 'gw-a');
        expect(await admit('gw-a')).toBe(true);
        expect(await admit('gw-a')).toBe(false);
      });

      it("forgets a reported count ttl after the gateway's last report", async () => {
        await store.reportConnections('gw-crashed', counts([['u1', 3]]), SHORT_TTL_MS);
        expect(await admit('gw-alive')).toBe(false);
        await sleep(EXPIRE_WAIT_MS);
        expect(await admit('gw-alive')).toBe(true);
      });

      it('reports many ids in one call', async () => {
        const many = Array.from({ length: 1200 }, (_, i): [string, number] => [`u${i}`, 1]);
        await store.reportConnections('gw-a', counts(many), LONG_TTL_MS);
        expect(await admit('gw-b', 'u0', 1)).toBe(false);
        expect(await admit('gw-b', 'u1199', 1)).toBe(false);
        expect(await admit('gw-b', 'u1200', 1)).toBe(true);
      });
    });

    it('reports healthy while open', async () => {
      expect(await store.healthy()).toBe(true);
    });
  });
}
