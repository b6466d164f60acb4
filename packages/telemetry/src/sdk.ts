import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export type TraceExporterKind = 'none' | 'otlp' | 'console';

export interface TelemetryOptions {
  serviceName: string;
  /** `none` (default in tests): spans get real ids and propagate, but are not exported. */
  exporter: TraceExporterKind;
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. */
  otlpEndpoint?: string;
  /** Fraction of new root traces sampled, 0..1; children follow their parent. Default 1. */
  sampleRatio?: number;
}

export interface TelemetryHandle {
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK with the W3C trace-context propagator. Called from a
 * service's main.ts only (it installs globals).
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  const spanProcessors: SpanProcessor[] = [];
  if (options.exporter === 'otlp') {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter(options.otlpEndpoint ? { url: options.otlpEndpoint } : {})));
  } else if (options.exporter === 'console') {
    spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  }
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors,
    textMapPropagator: new W3CTraceContextPropagator(),
    contextManager: new AsyncLocalStorageContextManager(),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    instrumentations: [],
    // Metrics and logs go elsewhere (pino, /metrics); only traces here.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
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
