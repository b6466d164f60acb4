import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import {
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import { ATTR } from './index';

/** Head sampling of new traces (a message's trace starts at the gateway's `gateway.chat.submit`). */
export interface SamplingOptions {
  /** Fraction of new traces kept, 0..1. */
  ratio: number;
  /** Rooms whose every message is traced, whatever the ratio (debugging one live room). */
  rooms?: readonly string[];
  /** Users whose every message is traced, whatever the ratio. */
  users?: readonly string[];
}

const FORCED_BY_ROOM: SamplingResult = Object.freeze({
  decision: SamplingDecision.RECORD_AND_SAMPLED,
  attributes: Object.freeze({ [ATTR.sampledBy]: 'room' }),
});
const FORCED_BY_USER: SamplingResult = Object.freeze({
  decision: SamplingDecision.RECORD_AND_SAMPLED,
  attributes: Object.freeze({ [ATTR.sampledBy]: 'user' }),
});

/**
 * The decision for a ROOT span: sampled when its `roomcast.room_id` or `roomcast.user_id`
 * attribute (given at span start) is on a list, else by trace-id ratio. Two Set lookups per new
 * trace; the lists are fixed at start.
 */
export class RoomOrRatioSampler implements Sampler {
  private readonly rooms: ReadonlySet<string>;
  private readonly users: ReadonlySet<string>;
  private readonly ratio: TraceIdRatioBasedSampler;

  constructor(private readonly options: SamplingOptions) {
    this.rooms = new Set(options.rooms ?? []);
    this.users = new Set(options.users ?? []);
    this.ratio = new TraceIdRatioBasedSampler(options.ratio);
  }

  shouldSample(
    context: Context,
    traceId: string,
    _spanName: string,
    _spanKind: SpanKind,
    attributes: Attributes,
    _links: Link[],
  ): SamplingResult {
    const room = attributes[ATTR.roomId];
    if (typeof room === 'string' && this.rooms.has(room)) return FORCED_BY_ROOM;
    const user = attributes[ATTR.userId];
    if (typeof user === 'string' && this.users.has(user)) return FORCED_BY_USER;
    return this.ratio.shouldSample(context, traceId);
  }

  toString(): string {
    return `RoomOrRatioSampler{ratio=${this.options.ratio}, rooms=${this.rooms.size}, users=${this.users.size}}`;
  }
}

/**
 * The sampler every service runs: a span with a parent follows its parent's decision (the
 * traceparent's sampled flag, so a message is traced at every hop or at none), a new trace is
 * decided by {@link RoomOrRatioSampler}.
 */
export function createSampler(options: SamplingOptions): Sampler {
  return new ParentBasedSampler({ root: new RoomOrRatioSampler(options) });
}
