import type { BusRecord, MessageBus, Subscription } from '@roomcast/bus';
import { ChatIngestedV1, type ChatAcceptedV1, type ChatRejectedV1, type TopicNames } from '@roomcast/contracts';
import type { Logger } from '@roomcast/logger';
import type { RoomSequencer } from '@roomcast/sequencer';
import { MetricsRegistry, processRecord } from '@roomcast/service-kit';
import type { WordChecker } from './word-check';

export interface FilterDeps {
  bus: MessageBus;
  sequencer: RoomSequencer;
  checker: WordChecker;
  logger: Logger;
  topics: TopicNames;
  groupId: string;
  metrics?: MetricsRegistry;
}

export interface FilterApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  readiness: Record<string, () => Promise<boolean> | boolean>;
  metrics: MetricsRegistry;
}

type Decision =
  | { record: BusRecord; event: ChatIngestedV1; accepted: true; text: string; masked: boolean }
  | { record: BusRecord; event: ChatIngestedV1; accepted: false; reason: string };

/**
 * filter: word check, then the room sequence number for accepted messages.
 * ingested.v1 -> accepted.v1 | rejected.v1, key roomId.
 *
 * Seq is assigned HERE, at the moment a message becomes accepted, because only accepted
 * messages may consume numbers (gapless). A room's records share one partition, so one filter
 * instance handles a room at a time, in order; the sequencer (Redis) remembers message id ->
 * seq, so a record replayed after a crash gets the same number again. See docs/architecture.md.
 */
export function createFilterApp(deps: FilterDeps): FilterApp {
  const metrics = deps.metrics ?? new MetricsRegistry();
  const acceptedCount = metrics.counter('roomcast_filter_accepted_total', 'messages accepted');
  const maskedCount = metrics.counter('roomcast_filter_masked_total', 'accepted messages with masked words');
  const rejectedCount = metrics.counter('roomcast_filter_rejected_total', 'messages rejected');
  let subscription: Subscription | undefined;

  async function handle(records: BusRecord[]): Promise<void> {
    const decisions: Decision[] = [];
    for (const record of records) {
      await processRecord('filter.check', ChatIngestedV1, record, async (event, span) => {
        const r = deps.checker.check(event.text);
        span.setAttribute('roomcast.verdict', r.verdict);
        if (r.verdict === 'reject' || r.verdict === 'review') {
          decisions.push({ record, event, accepted: false, reason: r.matches.find((m) => m.category)?.category ?? 'blocked' });
        } else {
          decisions.push({ record, event, accepted: true, text: r.text, masked: r.verdict === 'mask' });
        }
      });
    }
    const accepted = decisions.filter((d): d is Extract<Decision, { accepted: true }> => d.accepted);
    // One round trip numbers the whole batch, in offset order.
    const seqs = accepted.length > 0 ? await deps.sequencer.assign(accepted.map((d) => ({ roomId: d.event.roomId, messageId: d.event.id }))) : [];
    const seqById = new Map(accepted.map((d, i) => [d.event.id, seqs[i]]));
    await Promise.all(
      decisions.map((d) =>
        processRecord('filter.publish', ChatIngestedV1, d.record, async (event) => {
          if (d.accepted) {
            const seq = seqById.get(event.id);
            if (seq === undefined) throw new Error(`no seq assigned for ${event.id}`);
            const out: ChatAcceptedV1 = {
              id: event.id,
              roomId: event.roomId,
              seq,
              userId: event.userId,
              clientMsgId: event.clientMsgId,
              text: d.text,
              masked: d.masked,
              sentAt: event.sentAt,
              acceptedAt: Date.now(),
            };
            await deps.bus.publish(deps.topics.chatAccepted, [{ key: event.roomId, value: JSON.stringify(out) }]);
            acceptedCount.inc();
            if (d.masked) maskedCount.inc();
          } else {
            const out: ChatRejectedV1 = {
              id: event.id,
              roomId: event.roomId,
              userId: event.userId,
              clientMsgId: event.clientMsgId,
              reason: d.reason,
              rejectedAt: Date.now(),
            };
            await deps.bus.publish(deps.topics.chatRejected, [{ key: event.roomId, value: JSON.stringify(out) }]);
            rejectedCount.inc();
          }
        }),
      ),
    );
  }

  return {
    metrics,
    readiness: {
      bus: () => deps.bus.healthy(),
      consuming: () => subscription !== undefined,
    },
    async start() {
      await deps.bus.ensureTopics([{ name: deps.topics.chatIngested }, { name: deps.topics.chatAccepted }, { name: deps.topics.chatRejected }]);
      const sub = await deps.bus.subscribe({ groupId: deps.groupId, topics: [deps.topics.chatIngested], fromBeginning: true, handler: handle });
      await sub.ready;
      subscription = sub;
    },
    async stop() {
      const sub = subscription;
      subscription = undefined;
      await sub?.stop();
    },
  };
}

export { createSimpleWordChecker, type WordChecker, type WordCheckResult, type Verdict } from './word-check';
