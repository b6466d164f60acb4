import { InMemoryRoomStateHub } from './room-state';

describe('InMemoryRoomStateHub', () => {
  it('bumps the room version on every put and serves the rendered values', async () => {
    const hub = new InMemoryRoomStateHub();
    const reader = hub.reader();
    expect(await reader.versions(['r1', 'r2'])).toEqual([0, 0]);
    hub.put('r1', 'pinned', { text: 'hi', by: 'h', at: 1 });
    hub.put('r1', 'poll', null);
    expect(await reader.versions(['r1', 'r2'])).toEqual([2, 0]);
    expect(await reader.snapshot('r1')).toEqual({ pinned: '{"text":"hi","by":"h","at":1}', poll: 'null' });
    expect(hub.get('r1', 'pinned')).toEqual({ text: 'hi', by: 'h', at: 1 });
    expect(await reader.snapshot('r2')).toEqual({});
  });
});
