import { describeSequencerContract } from './sequencer.contract';
import { InMemorySequencerBackend, InMemorySequencerState } from './sequencer.memory';

describeSequencerContract('InMemorySequencerBackend', async () => {
  const state = new InMemorySequencerState();
  const backend = new InMemorySequencerBackend({ state });
  return {
    backend,
    openPeer: async () => new InMemorySequencerBackend({ state }),
    cleanup: () => backend.close(),
  };
});

describe('InMemorySequencerBackend with an injected clock', () => {
  it('forgets a messageId after assignmentTtlMs, so a late replay gets a new seq', async () => {
    let now = 1_000;
    const backend = new InMemorySequencerBackend({ now: () => now, assignmentTtlMs: 100 });
    expect(await backend.sequencer.assign([{ roomId: 'r', messageId: 'm1' }])).toEqual([1]);
    now = 1_099;
    expect(await backend.sequencer.assign([{ roomId: 'r', messageId: 'm1' }])).toEqual([1]);
    now = 1_100;
    expect(await backend.sequencer.assign([{ roomId: 'r', messageId: 'm1' }])).toEqual([2]);
  });

  it('expires claims exactly at expiresAt and stays bounded', async () => {
    let now = 1_000;
    const state = new InMemorySequencerState();
    const backend = new InMemorySequencerBackend({ state, now: () => now });
    const claim = (candidateId: string) =>
      backend.deduper.claim([{ userId: 'u', clientMsgId: 'c', candidateId, source: 's' }], 100);
    expect(await claim('a')).toEqual([{ status: 'new', id: 'a' }]);
    now = 1_099;
    expect(await claim('b')).toEqual([{ status: 'replay', id: 'a' }]);
    now = 1_100;
    expect(await claim('c')).toEqual([{ status: 'new', id: 'c' }]);

    for (let i = 0; i < 5000; i++) {
      await backend.deduper.claim([{ userId: `u${i}`, clientMsgId: 'c', candidateId: 'x', source: 's' }], 10);
      now += 1;
    }
    let live = 0;
    for (const perUser of state.claims.values()) live += perUser.size;
    expect(live).toBeLessThan(5000);
  });
});
