import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import express, { Router } from 'express';
import { createTokenVerifier, signUserToken } from '@roomcast/auth';
import { InMemoryMessageBus } from '@roomcast/bus';
import { resolveFilterTopics, resolveTopics, RolesClaim } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { createChatIngestApp } from '@roomcast/chat-ingest';
import { createFilterApp, DEFAULT_DICTIONARY_FILE, loadBaseDictionary } from '@roomcast/filter';
import { createGatewayApp, gatewayOptionsFromConfig } from '@roomcast/gateway';
import type { Logger } from '@roomcast/logger';
import { createNotificationApp } from '@roomcast/notification';
import { InMemoryGiftLedger, InMemoryPollBox, InMemoryQuestionBoard, InMemoryShowcaseStore, LiveActions, pollFeatures, questionFeatures, ShowcaseFeature } from '@roomcast/live';
import { InMemoryModerationStore } from '@roomcast/moderation';
import { InMemoryRoomStateHub } from '@roomcast/room-state';
import { createPersistenceApp } from '@roomcast/persistence';
import { InMemoryInboxCounters, InMemoryPresenceStore } from '@roomcast/presence';
import { InMemoryRecentMessages, InMemorySequencerBackend, InMemorySequencerState } from '@roomcast/sequencer';
import { createHttpApp, MetricsRegistry, readinessGauge } from '@roomcast/service-kit';
import { InMemoryDictionaryStore, InMemoryInboxStore, InMemoryMessageStore, InMemoryModerationAuditStore, InMemoryReviewStore, InMemoryRoomRoleStore } from '@roomcast/store';
import { z } from 'zod';
import type { EmbeddedConfig } from './config';

export interface EmbeddedApp {
  http: express.Express;
  /** Every service's metrics, in one registry (served at /metrics). */
  metrics: MetricsRegistry;
  attach(server: Server): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const DAY_MS = 24 * 3600 * 1000;
/** Embedded mode mints any token asked for, roles included (try the host view: `{"userId": "h", "roles": {"lobby": "host"}}`). */
const TokenRequest = z.object({ userId: z.string().min(1).max(128), roles: RolesClaim.optional() });

/**
 * Every roomcast service, wired to in-memory twins of Kafka, Redis and MongoDB, behind one HTTP
 * server. The same createApp() functions the standalone services use — nothing here is a demo
 * copy of service logic.
 */
export function createEmbeddedApp(config: EmbeddedConfig, logger: Logger): EmbeddedApp {
  // The logger: dead-lettered records (undecodable, schema failures) are logged as warnings.
  const bus = new InMemoryMessageBus({ logger: logger.child({ component: 'bus' }) });
  const presence = new InMemoryPresenceStore();
  const seqState = new InMemorySequencerState();
  const seq = new InMemorySequencerBackend({ state: seqState });
  const recent = new InMemoryRecentMessages(seqState, { maxPerRoom: config.RECENT_MAX_PER_ROOM, ttlMs: config.RECENT_TTL_MS });
  const store = new InMemoryMessageStore();
  const moderationStore = new InMemoryModerationStore();
  const roleStore = new InMemoryRoomRoleStore();
  // Mentions and replies: persistence writes it, the gateway reads it at connect.
  const inbox = new InMemoryInboxStore();
  // Kept by persistence, read by the gateway at connect (one twin for both, as Redis in production).
  const inboxCounters = new InMemoryInboxCounters();
  // The live rooms' rendered state (leaderboard, Q&A, poll, pinned, product), as the gateway reads it.
  const roomStateHub = new InMemoryRoomStateHub();
  const topics = resolveTopics('');
  const questionBoard = new InMemoryQuestionBoard(roomStateHub);
  const showcase = new ShowcaseFeature({ store: new InMemoryShowcaseStore(roomStateHub), bus, topics, gatewayId: config.GATEWAY_ID, logger: logger.child({ svc: 'showcase' }) });
  const live = new LiveActions([
    questionFeatures(questionBoard),
    pollFeatures({ box: new InMemoryPollBox(roomStateHub), bus, topics, gatewayId: config.GATEWAY_ID }),
    showcase,
  ]);
  const metrics = new MetricsRegistry();
  const verifyToken = createTokenVerifier({ hs256Secret: config.JWT_SECRET });

  // Gifts' combos and leaderboards, rendered into the room state the gateway pushes.
  const giftLedger = new InMemoryGiftLedger(roomStateHub, { comboWindowMs: config.GIFT_COMBO_WINDOW_MS });
  const ingest = createChatIngestApp({ bus, deduper: seq.deduper, moderationStore, logger: logger.child({ svc: 'chat-ingest' }), topics, groupId: 'chat-ingest', dedupTtlMs: DAY_MS, maxTextChars: 500, adminToken: config.FILTER_ADMIN_TOKEN, metrics, giftLedger, giftValues: config.GIFT_VALUES });
  const base = loadBaseDictionary({
    blockedWords: config.FILTER_BLOCKED_WORDS,
    maskedWords: config.FILTER_MASKED_WORDS,
    file: config.FILTER_DICTIONARY_FILE ?? DEFAULT_DICTIONARY_FILE,
  });
  const filter = createFilterApp({
    bus,
    sequencer: seq.sequencer,
    dictionaryStore: new InMemoryDictionaryStore(),
    reviewStore: new InMemoryReviewStore(),
    base,
    logger: logger.child({ svc: 'filter' }),
    topics,
    dictionaryTopic: resolveFilterTopics('').dictionaryChanged,
    groupId: 'filter',
    instanceId: 'embedded',
    adminToken: config.FILTER_ADMIN_TOKEN,
    verifyToken,
    roles: roleStore,
    metrics,
  });
  const persistence = createPersistenceApp({ bus, store, moderationStore, audit: new InMemoryModerationAuditStore(), roles: roleStore, inbox, inboxCounters, logger: logger.child({ svc: 'persistence' }), topics, groupId: 'persistence', verifyToken, metrics });
  const notification = createNotificationApp({ bus, presence, recent, questions: questionBoard, logger: logger.child({ svc: 'notification' }), topics, groupId: 'notification', metrics });
  const gateway = createGatewayApp({ bus, presence, recent, verifyToken, moderationStore, roles: roleStore, live, roomState: roomStateHub.reader(), inbox, inboxCounters, logger: logger.child({ svc: 'gateway' }), topics, options: gatewayOptionsFromConfig(config, config.GATEWAY_ID), metrics });

  // Embedded mode only: mint tokens for whoever asks. Never part of the standalone gateway.
  const dev = Router();
  dev.post('/dev/token', express.json({ limit: '4kb' }), async (req, res) => {
    const body = TokenRequest.safeParse(req.body);
    if (!body.success) throw new AppError('BAD_REQUEST', 'body must be {"userId": "...", "roles"?: {"<roomId>": "host" | "moderator"}}');
    res.json({ token: await signUserToken(config.JWT_SECRET, body.data.userId, 12 * 3600, { roles: body.data.roles }) });
  });
  const publicDir = join(__dirname, '..', 'public');
  const pages = Router();
  if (existsSync(publicDir)) pages.use(express.static(publicDir));

  const http = createHttpApp({
    logger,
    metrics,
    routers: [dev, persistence.router, filter.router, ingest.router, gateway.router, pages],
    readiness: { ...gateway.readiness, ...persistence.readiness, filterDictionary: filter.readiness.dictionary ?? (() => false) },
    info: () => ({ mode: 'embedded', gatewayId: config.GATEWAY_ID, filter: filter.info() }),
  });
  const apps = [persistence, notification, filter, ingest, gateway];
  for (const [service, app] of Object.entries({ persistence, notification, filter, 'chat-ingest': ingest, gateway }))
    readinessGauge(metrics, service, app.readiness);

  return {
    http,
    metrics,
    attach: (server) => gateway.attach(server),
    async start() {
      // Downstream first, so nothing the gateway accepts waits for a consumer that is not there.
      for (const a of apps) await a.start();
    },
    async stop() {
      // Upstream first: stop taking messages, then drain the pipeline.
      for (const a of [...apps].reverse()) await a.stop();
      await bus.close();
      await presence.close();
      await seq.close();
      await store.close();
    },
  };
}
