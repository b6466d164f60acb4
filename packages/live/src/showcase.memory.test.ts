import { InMemoryRoomStateHub } from '@roomcast/room-state';
import { describeShowcaseStoreContract } from './showcase.contract';
import { InMemoryShowcaseStore } from './showcase.memory';

describeShowcaseStoreContract('InMemoryShowcaseStore', async () => {
  const hub = new InMemoryRoomStateHub();
  const reader = hub.reader();
  return {
    store: new InMemoryShowcaseStore(hub),
    readState: async (roomId, key) => hub.get(roomId, key),
    version: async (roomId) => (await reader.versions([roomId]))[0] ?? 0,
    cleanup: async () => {},
  };
});
