/**
 * A process that starts telemetry from its argument (JSON TelemetryOptions), makes four spans and
 * prints each root's traceparent as JSON, then shuts down (flushing the exporter). For
 * sdk-otlp.int.test.ts: the OTLP exporter loads its HTTP agent with a dynamic import(), which
 * jest's module sandbox cannot run, so the export is tested in a real process.
 */
import { ATTR, extractTraceContext, getTracer, injectTraceHeaders, SpanKind, withSpan } from '../src/index';
import { startTelemetry, type TelemetryOptions } from '../src/sdk';

async function main(): Promise<void> {
  const telemetry = startTelemetry(JSON.parse(process.argv[2] ?? '{}') as TelemetryOptions);
  const tracer = getTracer('fixture');
  const root = (name: string, room: string, user: string) =>
    withSpan(
      tracer,
      name,
      { kind: SpanKind.PRODUCER, attributes: { [ATTR.roomId]: room, [ATTR.userId]: user } },
      async () => injectTraceHeaders(),
    );
  const forcedRoom = await root('span-of-debug-room', 'debug-room', 'u1');
  const forcedUser = await root('span-of-debug-user', 'r1', 'debug-user');
  const left = await root('span-left-out', 'r1', 'u1');
  // A hop continuing the left-out trace stays out, even in a listed room: the head decided.
  await withSpan(
    tracer,
    'span-child-of-left-out',
    { parent: extractTraceContext(left), attributes: { [ATTR.roomId]: 'debug-room' } },
    async () => undefined,
  );
  await telemetry.shutdown();
  process.stdout.write(
    `${JSON.stringify({ forcedRoom: forcedRoom.traceparent, forcedUser: forcedUser.traceparent, left: left.traceparent })}\n`,
  );
}

void main();
