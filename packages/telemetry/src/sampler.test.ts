import { randomBytes } from 'node:crypto';
import { context, SpanKind } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { ATTR } from './index';
import { RoomOrRatioSampler } from './sampler';

const TRACE_IDS = Array.from({ length: 200 }, () => randomBytes(16).toString('hex'));

function decide(sampler: RoomOrRatioSampler, traceId: string, attributes: Record<string, string>) {
  return sampler.shouldSample(
    context.active(),
    traceId,
    'gateway.chat.submit',
    SpanKind.PRODUCER,
    attributes,
    [],
  );
}

describe('RoomOrRatioSampler (root spans)', () => {
  it('keeps every trace of a listed room or user at ratio 0, and says why', () => {
    const sampler = new RoomOrRatioSampler({ ratio: 0, rooms: ['debug-room'], users: ['debug-user'] });
    for (const id of TRACE_IDS.slice(0, 20)) {
      expect(decide(sampler, id, { [ATTR.roomId]: 'debug-room', [ATTR.userId]: 'u' })).toEqual({
        decision: SamplingDecision.RECORD_AND_SAMPLED,
        attributes: { [ATTR.sampledBy]: 'room' },
      });
      expect(decide(sampler, id, { [ATTR.roomId]: 'other', [ATTR.userId]: 'debug-user' })).toEqual({
        decision: SamplingDecision.RECORD_AND_SAMPLED,
        attributes: { [ATTR.sampledBy]: 'user' },
      });
      expect(decide(sampler, id, { [ATTR.roomId]: 'other', [ATTR.userId]: 'u' }).decision).toBe(
        SamplingDecision.NOT_RECORD,
      );
    }
  });

  it('samples the rest by trace-id ratio', () => {
    const kept = (ratio: number) => {
      const sampler = new RoomOrRatioSampler({ ratio, rooms: ['debug-room'] });
      return TRACE_IDS.filter(
        (id) => decide(sampler, id, { [ATTR.roomId]: 'r' }).decision === SamplingDecision.RECORD_AND_SAMPLED,
      ).length;
    };
    expect(kept(1)).toBe(TRACE_IDS.length);
    expect(kept(0)).toBe(0);
    expect(kept(0.5)).toBeGreaterThan(0);
    expect(kept(0.5)).toBeLessThan(TRACE_IDS.length);
  });
});
