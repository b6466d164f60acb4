import { loadConfig, describeConfig } from '@roomcast/config';
import { createLogger } from '@roomcast/logger';
import { handleSignals, listen, closeServer, telemetryOptions } from '@roomcast/service-kit';
import { startTelemetry } from '@roomcast/telemetry/sdk';
import { createEmbeddedApp } from './app';
import { configSchema } from './config';

async function main(): Promise<void> {
  const config = loadConfig(configSchema, process.env);
  const telemetry = startTelemetry(telemetryOptions('roomcast-embedded', config));
  const logger = createLogger({ name: 'embedded', level: config.LOG_LEVEL });
  logger.info({ config: describeConfig(configSchema, config) }, 'starting');
  const app = createEmbeddedApp(config, logger);
  app.metrics.collectProcessMetrics();
  await app.start();
  const { server, port } = await listen(app.http, config.PORT, config.HOST);
  app.attach(server);
  logger.info({ port, url: `http://${config.HOST}:${port}/` }, 'roomcast embedded ready: open the URL in two tabs');
  handleSignals(
    {
      async stop() {
        await app.stop();
        await closeServer(server);
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
