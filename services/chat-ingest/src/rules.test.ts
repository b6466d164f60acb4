import type { ChatSubmittedV1 } from '@roomcast/contracts';
import { checkSubmission } from './rules';

const submitted = (text: string): ChatSubmittedV1 => ({
  roomId: 'r',
  userId: 'u',
  clientMsgId: 'c',
  text,
  sentAt: 1,
  gatewayId: 'gw',
  submittedAt: 1,
});

describe('checkSubmission', () => {
  it.each([
    ['spaces and tabs', ' \t \n '],
    ['no-break and ideographic spaces', '\u00A0\u3000'],
    ['zero-width space, joiners, word joiner, BOM', '\u200B\u200C\u200D\u2060\uFEFF'],
    ['soft hyphen and bidi marks', '\u00AD\u200E\u200F\u202A\u2066'],
    ['zero-width characters around spaces', ' \u200B '],
  ])('refuses text that shows nothing (%s) as empty-text', (_name, text) => {
    expect(checkSubmission(submitted(text), 500)).toBe('empty-text');
  });

  it.each([
    ['a letter', 'a'],
    ['an emoji with a zero-width joiner', '👩\u200D💻'],
    ['CJK', '你好'],
    ['a word among zero-width spaces', '\u200Bhi\u200B'],
  ])('accepts text with something visible (%s)', (_name, text) => {
    expect(checkSubmission(submitted(text), 500)).toBeNull();
  });

  it('refuses text over the limit as text-too-long', () => {
    expect(checkSubmission(submitted('x'.repeat(11)), 10)).toBe('text-too-long');
    expect(checkSubmission(submitted('x'.repeat(10)), 10)).toBeNull();
  });
});
