import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { Counter } from '@roomcast/service-kit';
import { Connection } from './connection';
import { RoomRegistry } from './room-registry';

const budget = {
  softBytes: 1024,
  hardBytes: 4096,
  dropped: new Counter(),
  slowClosed: new Counter(),
};
const conn = (id: string, userId: string): Connection =>
  new Connection(id, userId, {} as WebSocket, {} as Duplex, 2, budget, { ratePerSec: 1, burst: 1 });

describe('RoomRegistry', () => {
  it('reports the first join of a room and its last leave, and marks it emptied', () => {
    const registry = new RoomRegistry();
    const a = conn('a', 'alice');
    const b = conn('b', 'bob');
    expect(registry.join(a, 'r1').first).toBe(true);
    const { state, first } = registry.join(b, 'r1');
    expect(first).toBe(false);
    expect([...state.members]).toEqual([a, b]);
    expect(a.rooms.has('r1')).toBe(true);

    expect(registry.leave(a, 'r1')).toBe(false);
    expect(a.rooms.has('r1')).toBe(false);
    expect(registry.emptied.size).toBe(0);
    expect(registry.leave(b, 'r1')).toBe(true);
    expect(registry.rooms.has('r1')).toBe(false);
    expect([...registry.emptied]).toEqual(['r1']);
    // Rejoined before the roll-up: no longer reported as emptied, and starts fresh.
    const again = registry.join(a, 'r1');
    expect(again.first).toBe(true);
    expect(again.state.lastSeq).toBe(0);
    expect(registry.emptied.size).toBe(0);
  });

  it('counts distinct users per room: one user on several sockets is one viewer', () => {
    const registry = new RoomRegistry();
    const a1 = conn('a1', 'alice');
    const a2 = conn('a2', 'alice');
    const b = conn('b', 'bob');
    registry.join(a1, 'r1');
    registry.join(a2, 'r1');
    registry.join(a2, 'r1'); // a rejoin of the same socket counts once
    const { state } = registry.join(b, 'r1');
    expect(state.members.size).toBe(3);
    expect(state.users.size).toBe(2);
    registry.leave(a1, 'r1');
    expect(state.users.size).toBe(2);
    registry.leave(a2, 'r1');
    expect([...state.users.keys()]).toEqual(['bob']);
    registry.leave(a2, 'r1'); // leaving again changes nothing
    expect([...state.users.keys()]).toEqual(['bob']);
  });

  it('leaving a room never joined changes nothing', () => {
    const registry = new RoomRegistry();
    const a = conn('a', 'alice');
    const b = conn('b', 'bob');
    registry.join(a, 'r1');
    expect(registry.leave(b, 'r1')).toBe(false);
    expect(registry.leave(b, 'nowhere')).toBe(false);
    expect(registry.rooms.get('r1')?.members.size).toBe(1);
    expect(registry.emptied.size).toBe(0);
  });

  it('tracks connections per user and removes a connection from all its rooms', () => {
    const registry = new RoomRegistry();
    const a1 = conn('a1', 'alice');
    const a2 = conn('a2', 'alice');
    const b = conn('b', 'bob');
    for (const c of [a1, a2, b]) registry.addConnection(c);
    registry.join(a1, 'r1');
    registry.join(a1, 'r2');
    registry.join(b, 'r2');
    expect(registry.connectionCount()).toBe(3);

    expect(registry.removeConnection(a1)).toEqual(['r1']);
    expect(registry.rooms.has('r1')).toBe(false);
    expect([...(registry.rooms.get('r2')?.members ?? [])]).toEqual([b]);
    expect([...(registry.users.get('alice') ?? [])]).toEqual([a2]);
    expect(registry.removeConnection(a2)).toEqual([]);
    expect(registry.users.has('alice')).toBe(false);
    expect(registry.connectionCount()).toBe(1);
  });
});
