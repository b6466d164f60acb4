import { hostname } from 'node:os';
import { loadConfig, describeConfig } from '@roomcast/config';
import { resolveTopics } from '@roomcast/contracts';
import { createLogger } from '@roomcast/logger';
import { createHttpApp, handleSignals, listen, closeServer } from '@roomcast/service-kit';
import { createKafkaBus, createRedisPresence } from '@roomcast/service-kit/infra';
import { startTelemetry } from '@roomcast/telemetry/sdk';
import { createGatewayApp, gatewayOptionsFromConfig } from './app';
import { configSchema } from './config';

async function main(): Promise<void> {
  const config = loadConfig(configSchema, process.env);
  const gatewayId = config.GATEWAY_ID ?? `gw-${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}`;
  const telemetry = startTelemetry({ serviceName: 'gateway', exporter: config.OTEL_TRACES_EXPORTER, otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, sampleRatio: config.OTEL_SAMPLE_RATIO });
  const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL }).child({ gatewayId });
  logger.info({ config: describeConfig(configSchema, config) }, 'starting');
  const bus = createKafkaBus(config, `gateway-${gatewayId}`, logger);
  const presence = createRedisPresence(config);
  const app = createGatewayApp({ bus, presence, logger, topics: resolveTopics(config.KAFKA_TOPIC_PREFIX), options: gatewayOptionsFromConfig(config, gatewayId) });
  const http = createHttpApp({ readiness: app.readiness, logger, metrics: app.metrics, info: () => ({ gatewayId }) });
  await app.start();
  const { server, port } = await listen(http, config.PORT, config.HOST);
  app.attach(server);
  logger.info({ port }, 'gateway ready');
  handleSignals(
    {
      async stop() {
        await app.stop();
        await closeServer(server);
        await bus.close();
        await presence.close();
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
