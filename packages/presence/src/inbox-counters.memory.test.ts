import { describeInboxCountersContract } from './inbox-counters.contract';
import { InMemoryInboxCounters } from './inbox-counters.memory';

describeInboxCountersContract('InMemoryInboxCounters', async () => ({
  counters: new InMemoryInboxCounters(),
  cleanup: async () => {},
}));
