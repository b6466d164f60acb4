import { describeModerationStoreContract } from './moderation-store.contract';
import { InMemoryModerationStore } from './moderation-store.memory';

describeModerationStoreContract('InMemoryModerationStore', async () => ({
  store: new InMemoryModerationStore(),
  cleanup: async () => {},
}));
