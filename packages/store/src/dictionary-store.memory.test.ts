import { describeDictionaryStoreContract } from './dictionary-store.contract';
import { InMemoryDictionaryStore } from './dictionary-store.memory';

describeDictionaryStoreContract('InMemoryDictionaryStore', async () => {
  const store = new InMemoryDictionaryStore();
  return { store, cleanup: () => store.close() };
});
