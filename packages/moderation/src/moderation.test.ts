import { InMemoryMessageBus } from '@roomcast/bus';
import { ModerationEventV1, resolveTopics, type ModerationAction } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { InMemoryRoomRoleStore } from '@roomcast/store';
import { authorize } from './authorize';
import { InMemoryModerationStore } from './moderation-store.memory';
import { ModerationView } from './moderation-view';
import { RoomModeration } from './room-moderation';

const topics = resolveTopics('');

describe('authorize', () => {
  it('lets viewers do nothing, moderators moderate, hosts also grant roles and edit room words', () => {
    for (const kind of ['mute', 'ban', 'delete', 'slow-mode', 'set-role', 'room-words'] as const)
      expect(authorize('viewer', kind)?.code).toBe('FORBIDDEN');
    for (const kind of ['mute', 'unmute', 'ban', 'unban', 'delete', 'slow-mode'] as const) {
      expect(authorize('moderator', kind)).toBeUndefined();
      expect(authorize('host', kind)).toBeUndefined();
    }
    expect(authorize('moderator', 'set-role')?.code).toBe('FORBIDDEN');
    expect(authorize('moderator', 'room-words')?.code).toBe('FORBIDDEN');
    expect(authorize('host', 'set-role', { role: 'viewer', granting: 'moderator' })).toBeUndefined();
    expect(authorize('host', 'room-words')).toBeUndefined();
  });

  it('refuses acting on an equal or higher role, and a host granting host; the admin may do all', () => {
    expect(authorize('moderator', 'mute', { role: 'moderator' })?.code).toBe('FORBIDDEN');
    expect(authorize('moderator', 'ban', { role: 'host' })?.code).toBe('FORBIDDEN');
    expect(authorize('host', 'ban', { role: 'host' })?.code).toBe('FORBIDDEN');
    expect(authorize('host', 'ban', { role: 'moderator' })).toBeUndefined();
    expect(authorize('host', 'set-role', { role: 'viewer', granting: 'host' })?.code).toBe('FORBIDDEN');
    expect(authorize('admin', 'set-role', { role: 'host', granting: 'host' })).toBeUndefined();
  });
});

function setup() {
  let now = 1_000_000;
  const bus = new InMemoryMessageBus();
  const store = new InMemoryModerationStore(() => now);
  const roles = new InMemoryRoomRoleStore();
  const published: ModerationEventV1[] = [];
  const moderation = new RoomModeration({ store, roles, bus, topics, clock: () => now });
  const origPublish = bus.publish.bind(bus);
  bus.publish = async (topic, records) => {
    if (topic === topics.moderation)
      for (const r of records) published.push(ModerationEventV1.parse(JSON.parse(String(r.value))));
    return origPublish(topic, records);
  };
  return { bus, store, roles, moderation, published, advance: (ms: number) => (now += ms), now: () => now };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof AppError ? e.code : String(e)),
  );
}

describe('RoomModeration', () => {
  it('resolves a role as the higher of the token claim and the room-admin store', async () => {
    const { moderation, roles } = setup();
    expect(await moderation.roleOf('r1', 'u1', undefined)).toBe('viewer');
    expect(await moderation.roleOf('r1', 'u1', { r1: 'moderator' })).toBe('moderator');
    expect(await moderation.roleOf('r1', 'u1', { 'r*': 'host' })).toBe('host');
    await roles.set('r1', 'u1', 'host', 'admin', 1);
    expect(await moderation.roleOf('r1', 'u1', { r1: 'moderator' })).toBe('host');
    expect(await moderation.roleOf('r2', 'u1', undefined)).toBe('viewer');
  });

  it('writes the state, then publishes the event keyed by room with the computed end', async () => {
    const { moderation, store, published, now } = setup();
    const event = await moderation.perform(
      'r1',
      { userId: 'mod', roles: { r1: 'moderator' } },
      { kind: 'mute', userId: 'v1', durationMs: 60_000 },
    );
    expect(event).toMatchObject({
      roomId: 'r1',
      actorId: 'mod',
      actorRole: 'moderator',
      until: now() + 60_000,
    });
    expect(published).toEqual([event]);
    expect((await store.state('r1')).mutes.get('v1')).toBe(now() + 60_000);
  });

  it('refuses viewers, acting on a protected target, and acting on oneself — and then writes and publishes nothing', async () => {
    const { moderation, roles, store, published } = setup();
    await roles.set('r1', 'mod2', 'moderator', 'admin', 1);
    const mute: ModerationAction = { kind: 'mute', userId: 'mod2', durationMs: 60_000 };
    expect(await codeOf(moderation.perform('r1', { userId: 'v' }, mute))).toBe('FORBIDDEN');
    expect(await codeOf(moderation.perform('r1', { userId: 'mod', roles: { r1: 'moderator' } }, mute))).toBe(
      'FORBIDDEN',
    );
    expect(
      await codeOf(
        moderation.perform('r1', { userId: 'h', roles: { r1: 'host' } }, { kind: 'ban', userId: 'h' }),
      ),
    ).toBe('FORBIDDEN');
    expect(
      await codeOf(
        moderation.perform(
          'r1',
          { userId: 'h', roles: { r1: 'host' } },
          { kind: 'set-role', userId: 'x', role: 'host' },
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(published).toEqual([]);
    expect((await store.state('r1')).mutes.size).toBe(0);
    // the host may mute the moderator; the admin may grant host
    await moderation.perform('r1', { userId: 'h', roles: { r1: 'host' } }, mute);
    await moderation.perform('r1', { admin: true }, { kind: 'set-role', userId: 'x', role: 'host' });
    expect(await roles.get('r1', 'x')).toBe('host');
    expect(published.map((e) => [e.action.kind, e.actorRole])).toEqual([
      ['mute', 'host'],
      ['set-role', 'admin'],
    ]);
  });
});

describe('ModerationView', () => {
  it('loads a room once, applies events to it, and reloads after refreshMs', async () => {
    const { store, now, advance } = setup();
    let reads = 0;
    const counted = {
      ...store,
      state: (r: string) => (reads++, store.state(r)),
    } as unknown as InMemoryModerationStore;
    const view = new ModerationView(counted, { refreshMs: 1000, maxRooms: 10 }, now);
    await Promise.all([view.room('r1'), view.room('r1'), view.room('r1')]);
    expect(reads).toBe(1);
    view.apply({
      id: 'e1',
      roomId: 'r1',
      actorId: 'm',
      actorRole: 'moderator',
      at: now(),
      until: now() + 5000,
      action: { kind: 'mute', userId: 'v', durationMs: 5000 },
    });
    expect(view.peek('r1')?.mutes.get('v')).toBe(now() + 5000);
    view.apply({
      id: 'e2',
      roomId: 'r1',
      actorId: 'm',
      actorRole: 'moderator',
      at: now(),
      action: { kind: 'slow-mode', intervalMs: 3000 },
    });
    expect((await view.room('r1')).slowModeMs).toBe(3000);
    expect(reads).toBe(1);
    advance(1001);
    await view.room('r1');
    expect(reads).toBe(2);
  });

  it('keeps an event that arrives while its room is loading (the read may predate it)', async () => {
    const { store, now } = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = {
      state: async (r: string) => {
        const s = await store.state(r);
        await gate;
        return s;
      },
    } as unknown as InMemoryModerationStore;
    const view = new ModerationView(slow, { refreshMs: 60_000, maxRooms: 10 }, now);
    const loading = view.room('r1');
    view.apply({
      id: 'e1',
      roomId: 'r1',
      actorId: 'm',
      actorRole: 'moderator',
      at: now(),
      action: { kind: 'ban', userId: 'v' },
    });
    release();
    expect((await loading).bans.get('v')).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps at most maxRooms rooms', async () => {
    const { store, now } = setup();
    const view = new ModerationView(store, { refreshMs: 60_000, maxRooms: 2 }, now);
    for (const r of ['a', 'b', 'c']) await view.room(r);
    expect(view.size).toBe(2);
    expect(view.peek('a')).toBeUndefined();
  });
});
