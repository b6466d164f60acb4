import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { createSampler } from './sampler';

export { createSampler, RoomOrRatioSampler, type SamplingOptions } from './sampler';

export type TraceExporterKind = 'none' | 'otlp' | 'console';

/** OTLP/HTTP collector port (Jaeger's and the OpenTelemetry Collector's default). */
export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';
/** OpenTelemetry's default export interval of the batch span processor, ms. */
export const DEFAULT_EXPORT_DELAY_MS = 5000;

export interface TelemetryOptions {
  serviceName: string;
  /**
   * `none` (the default of every service): spans get real ids, propagate in Kafka headers and
   * stamp log lines, but are not exported. `otlp`: OTLP/HTTP (JSON) to `otlpEndpoint`.
   */
  exporter: TraceExporterKind;
  /**
   * OTLP/HTTP base URL; traces go to `<base>/v1/traces`. Default {@link DEFAULT_OTLP_ENDPOINT}.
   * Ignored when `otlpTracesEndpoint` is given.
   */
  otlpEndpoint?: string;
  /** Full OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces (wins over `otlpEndpoint`). */
  otlpTracesEndpoint?: string;
  /** Fraction of new root traces sampled, 0..1; children follow their parent. Default 1. */
  sampleRatio?: number;
  /** Rooms whose every message is traced, whatever the ratio. */
  sampleRooms?: readonly string[];
  /** Users whose every message is traced, whatever the ratio. */
  sampleUsers?: readonly string[];
  /** Longest a finished span waits before it is exported, ms. Default {@link DEFAULT_EXPORT_DELAY_MS}. */
  exportDelayMs?: number;
}

export interface TelemetryHandle {
  /** Exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP traces URL the options name. */
export function otlpTracesUrl(options: Pick<TelemetryOptions, 'otlpEndpoint' | 'otlpTracesEndpoint'>): string {
  if (options.otlpTracesEndpoint) return options.otlpTracesEndpoint;
  return `${(options.otlpEndpoint ?? DEFAULT_OTLP_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Installs the tracer provider, the W3C trace-context propagator and the async context manager
 * as the process's globals. Called from a service's main.ts only.
 *
 * Not the NodeSDK: it registers no tracer provider at all when there is no span processor, so
 * with `none` every span was the no-op one (trace id 0…0): nothing propagated through Kafka and
 * no log line had a trace id. It also reads OTEL_* variables by itself; here everything comes
 * from the validated config.
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  const spanProcessors: SpanProcessor[] = [];
  if (options.exporter === 'otlp') {
    spanProcessors.push(
      new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpTracesUrl(options) }), {
        scheduledDelayMillis: options.exportDelayMs ?? DEFAULT_EXPORT_DELAY_MS,
      }),
    );
  } else if (options.exporter === 'console') {
    spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    sampler: createSampler({
      ratio: options.sampleRatio ?? 1,
      rooms: options.sampleRooms,
      users: options.sampleUsers,
    }),
    spanProcessors,
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    async shutdown() {
      await provider.shutdown();
    },
  };
}

/**
 * Installs an in-process tracer provider that records spans in memory, with the W3C
 * propagator and an async context manager. For tests and the embedded start's trace view.
 */
export function installInMemoryTracing(): { exporter: InMemorySpanExporter; shutdown(): Promise<void> } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const cm = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(cm);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    exporter,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
