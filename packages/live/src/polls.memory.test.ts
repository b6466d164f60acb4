import { InMemoryRoomStateHub } from '@roomcast/room-state';
import type { PollValue } from './polls';
import { describePollBoxContract } from './polls.contract';
import { InMemoryPollBox } from './polls.memory';

describePollBoxContract('InMemoryPollBox', async () => {
  const hub = new InMemoryRoomStateHub();
  return {
    box: new InMemoryPollBox(hub),
    rendered: async (roomId) => hub.get(roomId, 'poll') as PollValue | null | undefined,
    cleanup: async () => {},
  };
});
