import { auditLimit } from './moderation-audit-store';
import { describeModerationAuditStoreContract } from './moderation-audit-store.contract';
import { InMemoryModerationAuditStore } from './moderation-audit-store.memory';

describeModerationAuditStoreContract('InMemoryModerationAuditStore', async () => ({
  store: new InMemoryModerationAuditStore(),
  cleanup: async () => {},
}));

describe('auditLimit', () => {
  it('defaults, truncates and clamps', () => {
    expect(auditLimit(undefined)).toBe(100);
    expect(auditLimit(Number.NaN)).toBe(100);
    expect(auditLimit(0)).toBe(1);
    expect(auditLimit(2.9)).toBe(2);
    expect(auditLimit(10_000)).toBe(500);
  });
});
