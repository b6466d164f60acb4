import type { ChatAcceptedV1 } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { tombstone } from './recent-messages';

const message: ChatAcceptedV1 = {
  id: 'm-1',
  roomId: 'r',
  seq: 9_007_199_254_740_991,
  userId: 'u-1',
  clientMsgId: 'c-1',
  text: 'something to delete',
  masked: true,
  sentAt: 1_700_000_000_000,
  acceptedAt: 1_700_000_000_010,
};

describe('tombstone', () => {
  it('keeps ids, seq, sender, times and priority; empties the text; drops any other field', () => {
    const withExtra = { ...message, priority: 'high', attachment: 'https://example.test/secret.png' };
    expect(JSON.parse(tombstone(JSON.stringify(withExtra)))).toEqual({
      ...message,
      priority: 'high',
      text: '',
      masked: false,
      deleted: true,
    });
    expect(JSON.parse(tombstone(JSON.stringify(message)))).not.toHaveProperty('priority');
  });

  it('is its own tombstone, byte for byte (a replayed delete rewrites nothing)', () => {
    const once = tombstone(JSON.stringify(message));
    expect(tombstone(once)).toBe(once);
  });

  it('refuses what is not a cached message with INTERNAL', () => {
    for (const data of ['{"roomId":"r","seq":1}', 'not json']) {
      let caught: unknown;
      try {
        tombstone(data);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(AppError);
      expect((caught as AppError).code).toBe('INTERNAL');
    }
  });
});
