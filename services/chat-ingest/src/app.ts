import type { Router } from 'express';
import type { BusRecord, MessageBus } from '@roomcast/bus';
import { ChatSubmittedV1, type ChatIngestedV1, type ChatRejectedV1, type TopicNames } from '@roomcast/contracts';
import type { Logger } from '@roomcast/logger';
import type { SubmissionDeduper } from '@roomcast/sequencer';
import {
  ConsumerMetrics,
  consumerLifecycle,
  decodeBatch,
  MetricsRegistry,
  newMessageId,
  publishEvents,
  rateLimitedCounter,
  recordSource,
  type DecodedRecord,
  type OutgoingEvent,
  type ServiceApp,
} from '@roomcast/service-kit';
import { traceFields } from '@roomcast/telemetry';
import { noticeRouter } from './notices';
import { checkSubmission } from './rules';

export interface ChatIngestDeps {
  bus: MessageBus;
  deduper: SubmissionDeduper;
  logger: Logger;
  topics: TopicNames;
  groupId: string;
  dedupTtlMs: number;
  maxTextChars: number;
  /** Bearer token of the notice API (`POST /rooms/:roomId/notices`); undefined = off. */
  adminToken?: string | undefined;
  metrics?: MetricsRegistry;
}

export type ChatIngestApp = ServiceApp & { router: Router };

/**
 * chat-ingest: the authoritative checks on a submitted chat message, dedup by
 * (userId, clientMsgId), and the server message id. submitted.v1 -> ingested.v1, key roomId.
 * A submission the checks refuse (e.g. whitespace-only text) was acked by the gateway already,
 * so it goes to rejected.v1 with the reason, and notification tells its sender.
 */
export function createChatIngestApp(deps: ChatIngestDeps): ChatIngestApp {
  const metrics = deps.metrics ?? new MetricsRegistry();
  const ingested = metrics.counter('roomcast_ingest_ingested_total', 'messages passed to the filter');
  const duplicates = metrics.counter(
    'roomcast_ingest_duplicates_total',
    'resubmissions dropped by (userId, clientMsgId)',
  );
  const refused = metrics.counter(
    'roomcast_ingest_refused_total',
    'messages refused by the authoritative checks (each sender is told with a rejected frame)',
  );

  // One parse and one span per record; one Redis round trip claims the batch; one publish.
  function handle(records: BusRecord[]): Promise<void> {
    return decodeBatch('chat-ingest.check', ChatSubmittedV1, records, async (batch) => {
      const candidates: { submitted: DecodedRecord<ChatSubmittedV1>; id: string }[] = [];
      // The gateway acked these: the sender must hear why they go no further.
      const refusals: OutgoingEvent<ChatRejectedV1>[] = [];
      for (const submitted of batch) {
        const { event, span, context } = submitted;
        const problem = checkSubmission(event, deps.maxTextChars);
        if (problem) {
          span.setAttribute('roomcast.refused', problem);
          deps.logger.info(
            { roomId: event.roomId, userId: event.userId, clientMsgId: event.clientMsgId, problem, ...traceFields(span) },
            'submission refused',
          );
          refusals.push({
            event: {
              id: newMessageId(),
              roomId: event.roomId,
              userId: event.userId,
              clientMsgId: event.clientMsgId,
              reason: problem,
              rejectedAt: Date.now(),
            },
            context,
          });
          continue;
        }
        candidates.push({ submitted, id: newMessageId() });
      }
      if (refusals.length > 0) {
        await publishEvents(deps.bus, deps.topics, 'chatRejected', refusals);
        refused.inc(refusals.length);
      }
      if (candidates.length === 0) return;
      const claims = await deps.deduper.claim(
        candidates.map(({ submitted, id }) => ({
          userId: submitted.event.userId,
          clientMsgId: submitted.event.clientMsgId,
          candidateId: id,
          source: recordSource(submitted.record),
        })),
        deps.dedupTtlMs,
      );
      const ingestedAt = Date.now();
      const out: OutgoingEvent<ChatIngestedV1>[] = [];
      candidates.forEach(({ submitted }, i) => {
        const claim = claims[i];
        if (!claim || claim.status === 'duplicate') {
          duplicates.inc();
          submitted.span.setAttribute('roomcast.duplicate', true);
          return;
        }
        out.push({ event: { ...submitted.event, id: claim.id, ingestedAt }, context: submitted.context });
      });
      await publishEvents(deps.bus, deps.topics, 'chatIngested', out);
      ingested.inc(out.length);
    });
  }

  const consumer = consumerLifecycle(
    deps.bus,
    [{ name: deps.topics.chatSubmitted }, { name: deps.topics.chatIngested }, { name: deps.topics.chatRejected }],
    {
      groupId: deps.groupId,
      topics: [deps.topics.chatSubmitted],
      fromBeginning: true,
      handler: handle,
    },
    new ConsumerMetrics({ metrics, service: 'chat-ingest', logger: deps.logger }),
  );
  const router = noticeRouter({
    bus: deps.bus,
    deduper: deps.deduper,
    topics: deps.topics,
    dedupTtlMs: deps.dedupTtlMs,
    adminToken: deps.adminToken,
    posted: metrics.counter('roomcast_ingest_notices_total', 'system notices posted'),
    rateLimited: rateLimitedCounter(metrics, 'chat-ingest', 'admin'),
  });
  return {
    metrics,
    router,
    readiness: { bus: () => deps.bus.healthy(), consuming: consumer.consuming },
    start: consumer.start,
    stop: consumer.stop,
  };
}
