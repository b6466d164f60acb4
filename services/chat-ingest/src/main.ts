import { loadConfig, describeConfig } from '@roomcast/config';
import { resolveTopics } from '@roomcast/contracts';
import { createLogger } from '@roomcast/logger';
import { createHttpApp, handleSignals, listen, closeServer } from '@roomcast/service-kit';
import { createKafkaBus, createRedisSequencer } from '@roomcast/service-kit/infra';
import { startTelemetry } from '@roomcast/telemetry/sdk';
import { createChatIngestApp } from './app';
import { configSchema } from './config';

async function main(): Promise<void> {
  const config = loadConfig(configSchema, process.env);
  const telemetry = startTelemetry({ serviceName: 'chat-ingest', exporter: config.OTEL_TRACES_EXPORTER, otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, sampleRatio: config.OTEL_SAMPLE_RATIO });
  const logger = createLogger({ name: 'chat-ingest', level: config.LOG_LEVEL });
  logger.info({ config: describeConfig(configSchema, config) }, 'starting');
  const bus = createKafkaBus(config, 'chat-ingest', logger);
  const sequencer = createRedisSequencer(config);
  const app = createChatIngestApp({
    bus,
    deduper: sequencer.deduper,
    logger,
    topics: resolveTopics(config.KAFKA_TOPIC_PREFIX),
    groupId: config.INGEST_GROUP_ID,
    dedupTtlMs: config.INGEST_DEDUP_TTL_MS,
    maxTextChars: config.INGEST_MAX_TEXT_CHARS,
  });
  const http = createHttpApp({ readiness: app.readiness, logger, metrics: app.metrics });
  const { server, port } = await listen(http, config.PORT, config.HOST);
  await app.start();
  logger.info({ port }, 'chat-ingest ready');
  handleSignals(
    {
      async stop() {
        await closeServer(server);
        await app.stop();
        await bus.close();
        await sequencer.close();
        await telemetry.shutdown();
      },
    },
    logger,
    config.SHUTDOWN_TIMEOUT_MS,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
