import { describeReviewStoreContract } from './review-store.contract';
import { InMemoryReviewStore } from './review-store.memory';
import { resolveReviewLimit } from './review-store';

describeReviewStoreContract('InMemoryReviewStore', async () => {
  const store = new InMemoryReviewStore();
  return { store, cleanup: () => store.close() };
});

describe('resolveReviewLimit', () => {
  it('defaults, truncates and clamps', () => {
    expect(resolveReviewLimit(undefined)).toBe(50);
    expect(resolveReviewLimit(Number.NaN)).toBe(50);
    expect(resolveReviewLimit(0)).toBe(1);
    expect(resolveReviewLimit(2.9)).toBe(2);
    expect(resolveReviewLimit(10_000)).toBe(500);
  });
});
