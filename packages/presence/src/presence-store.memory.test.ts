import { InMemoryPresenceStore } from './presence-store.memory';
import { describePresenceStoreContract } from './presence-store.contract';

describePresenceStoreContract('InMemoryPresenceStore', async () => {
  const store = new InMemoryPresenceStore();
  return { store, cleanup: () => store.close() };
});

describe('InMemoryPresenceStore with an injected clock', () => {
  it('expires users, room gateways and online counts exactly at expiresAt', async () => {
    let now = 1_000;
    const store = new InMemoryPresenceStore({ now: () => now });
    await store.setUserGateway('u1', 'gw-a', 100);
    await store.touchRoomGateways(['r1'], 'gw-a', 100);
    await store.reportOnline('gw-a', new Map([['r1', 4]]), 100);
    now = 1_099;
    expect(await store.getUserGateway('u1')).toBe('gw-a');
    expect((await store.getRoomGateways(['r1'])).get('r1')).toEqual(['gw-a']);
    expect(await store.reportOnline('gw-b', new Map([['r1', 1]]), 100)).toEqual(new Map([['r1', 5]]));
    now = 1_100;
    expect(await store.getUserGateway('u1')).toBeNull();
    expect((await store.getRoomGateways(['r1'])).get('r1')).toEqual([]);
    expect(await store.reportOnline('gw-b', new Map([['r1', 1]]), 100)).toEqual(new Map([['r1', 1]]));
  });

  it('stops summing a connection count exactly at its expiresAt', async () => {
    let now = 1_000;
    const store = new InMemoryPresenceStore({ now: () => now });
    expect(await store.admitConnection('user', 'u1', 'gw-a', 1, 100)).toBe(true);
    now = 1_099;
    expect(await store.admitConnection('user', 'u1', 'gw-b', 1, 100)).toBe(false);
    now = 1_100;
    expect(await store.admitConnection('user', 'u1', 'gw-b', 1, 100)).toBe(true);
  });

  it('is unhealthy after close', async () => {
    const store = new InMemoryPresenceStore();
    await store.close();
    expect(await store.healthy()).toBe(false);
  });
});
