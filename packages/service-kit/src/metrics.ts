import {
  collectDefaultMetrics,
  Counter as PromCounter,
  Gauge as PromGauge,
  Registry,
  type Histogram as PromHistogram,
} from 'prom-client';

/** Label values of one series, by label name. */
export type Labels<L extends string> = Readonly<Record<L, string>>;

/**
 * A monotonically increasing count. `inc` is one addition (hot paths call it per flush or per
 * frame); prom-client reads `value` when `/metrics` is scraped.
 */
export class Counter {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

/**
 * One histogram series. `observe` is a scan of the bounds and three additions, no allocation:
 * it runs once per delivered message on the gateway's fan-out, where prom-client's own
 * `Histogram.observe` cost 350 ns (700 ns with labels) and allocated per call — +17% CPU on the
 * fan-out bench's v2 path for a two-socket room. prom-client renders the series at scrape time.
 */
export class Histogram {
  count = 0;
  sum = 0;
  /** Observations per bucket, not cumulative: `counts[i]` ≤ `bounds[i]`, the last one above them all. */
  readonly counts: Float64Array;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.count += 1;
    this.sum += value;
  }
}

/** A metric with labels: one child per label set, made at the first `labels()` and kept. */
export interface Family<L extends string, T> {
  labels(values: Labels<L>): T;
}

/** Emits one gauge series; called by a gauge family's `collect` once per label set. */
export type GaugeEmit<L extends string> = (labels: Labels<L>, value: number) => void;

/** Buckets of latencies, seconds: 1 ms to 30 s. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
/** Buckets of counts (records per batch, sockets per flush): 1 to 20 000. */
export const SIZE_BUCKETS: readonly number[] = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000,
];

/**
 * `roomcast_rate_limited_total{service, limit}`: frames or requests a rate limit refused (the
 * gateway's `chat` and `catchup` per connection and `user-chat` and `user-likes` per user, the
 * admin APIs' `admin` per client address).
 */
export function rateLimitedCounter(metrics: MetricsRegistry, service: string, limit: string): Counter {
  return metrics
    .counterFamily(
      'roomcast_rate_limited_total',
      'frames or requests refused by a rate limit (RATE_LIMITED)',
      ['service', 'limit'],
    )
    .labels({ service, limit });
}

type Kind = 'counter' | 'gauge' | 'histogram';

interface FamilyState {
  kind: Kind;
  labelNames: readonly string[];
  /** Counters and histograms: children by label values; for gauges, unused. */
  children: Map<string, { labels: Record<string, string>; child: Counter | Histogram }>;
  /** Gauges: every source registered under this name (values of equal label sets add up). */
  sources: ((emit: GaugeEmit<string>) => void | Promise<void>)[];
  prom: PromCounter | PromGauge | HistogramCollector;
}

/** One sample line as prom-client's registry formats it. */
interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A histogram family as prom-client's registry reads any metric: name, help, type, aggregator
 * and `get()` with the series' cumulative buckets, `_sum` and `_count` — read from the
 * children's fields. (prom-client's typings declare `type` as a numeric enum; at run time it is
 * the string its exposition prints, as here.)
 */
class HistogramCollector {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly family: FamilyState,
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, child } of this.family.children.values()) {
      const h = child as Histogram;
      let cumulative = 0;
      h.bounds.forEach((le, i) => {
        cumulative += h.counts[i] as number;
        values.push({ metricName: bucket, labels: { ...labels, le }, value: cumulative });
      });
      values.push(
        { metricName: bucket, labels: { ...labels, le: '+Inf' }, value: h.count },
        { metricName: `${this.name}_sum`, labels, value: h.sum },
        { metricName: `${this.name}_count`, labels, value: h.count },
      );
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const { child } of this.family.children.values()) {
      const h = child as Histogram;
      h.counts.fill(0);
      h.count = 0;
      h.sum = 0;
    }
  }
}

/**
 * A service's metrics in a prom-client Registry, which renders them in Prometheus format. Each
 * service makes its own registry; the embedded start passes one to every service, so a name
 * registered again returns the metric already there (same kind and labels, else it throws):
 * shared metrics tell the services apart by a `service` label.
 *
 * Counters and histograms count in plain fields that prom-client reads at scrape time (its
 * `collect`, and `get()` for histograms), so a hot path pays an addition or a short bucket scan;
 * gauges are read at scrape time. Queue depths, drops and slow-consumer closes are metrics here,
 * not log lines.
 */
export class MetricsRegistry {
  /** The prom-client registry behind this one. */
  readonly prom = new Registry();
  private readonly families = new Map<string, FamilyState>();
  private processMetrics = false;

  /** The `Content-Type` of `render()`: Prometheus text format 0.0.4. */
  get contentType(): string {
    return this.prom.contentType;
  }

  /** A counter without labels. */
  counter(name: string, help: string): Counter {
    return this.counterFamily(name, help, []).labels({});
  }

  /** A counter with labels, e.g. `counterFamily('roomcast_dlq_writes_total', '…', ['service', 'topic', 'code'])`. */
  counterFamily<L extends string>(name: string, help: string, labelNames: readonly L[]): Family<L, Counter> {
    const family = this.family(name, 'counter', labelNames, (state) => {
      const prom: PromCounter = new PromCounter({
        name,
        help,
        labelNames: [...labelNames],
        registers: [this.prom],
        collect: () => {
          prom.reset();
          for (const { labels, child } of state.children.values()) prom.inc(labels, (child as Counter).value);
        },
      });
      return prom;
    });
    return { labels: (values) => this.child(family, values, () => new Counter()) as Counter };
  }

  /** A histogram without labels; `buckets` are upper bounds (seconds for latencies). */
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.histogramFamily(name, help, [], buckets).labels({});
  }

  /** A histogram with labels. */
  histogramFamily<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: readonly number[],
  ): Family<L, Histogram> {
    const bounds = [...buckets].sort((a, b) => a - b);
    const family = this.family(name, 'histogram', labelNames, (state) => {
      const collector = new HistogramCollector(name, help, state);
      // The registry reads any metric through get(); prom-client's types only name its own classes.
      this.prom.registerMetric(collector as unknown as PromHistogram);
      return collector;
    });
    const registered = family.children.values().next().value?.child;
    if (registered instanceof Histogram && registered.bounds.join() !== bounds.join())
      throw new Error(`metric ${name} is already registered with buckets [${registered.bounds.join(', ')}]`);
    return { labels: (values) => this.child(family, values, () => new Histogram(bounds)) as Histogram };
  }

  /** A gauge without labels, read when scraped. Registered again under the same name, the readings add up. */
  gauge(name: string, help: string, read: () => number): void {
    this.gaugeFamily(name, help, [], (emit) => emit({}, read()));
  }

  /**
   * A gauge with labels: `collect` emits the current value of each label set when scraped. It
   * may be async (prom-client awaits it; `snapshot()` leaves it out) and must not reject: a
   * reading that fails emits nothing, or 0. Every collect registered under one name contributes.
   */
  gaugeFamily<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (emit: GaugeEmit<L>) => void | Promise<void>,
  ): void {
    const family = this.family(name, 'gauge', labelNames, (state) => {
      const prom: PromGauge = new PromGauge({
        name,
        help,
        labelNames: [...labelNames],
        registers: [this.prom],
        collect: async () => {
          prom.reset();
          const emit: GaugeEmit<string> = (labels, value) => prom.inc(labels, value);
          for (const source of state.sources) await source(emit);
        },
      });
      return prom;
    });
    family.sources.push(collect as (emit: GaugeEmit<string>) => void | Promise<void>);
  }

  /**
   * Adds prom-client's process metrics (CPU, memory, event-loop lag, GC, handles). Only for a
   * process's own registry (main.ts): they start an event-loop monitor and a GC observer.
   */
  collectProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.prom });
  }

  /** Prometheus text exposition of every metric (gauges are read now). */
  render(): Promise<string> {
    return this.prom.metrics();
  }

  /** Names of every metric registered (histograms without the `_bucket`/`_sum`/`_count` suffixes). */
  names(): string[] {
    return this.describe().map((m) => m.name);
  }

  /** Every metric registered (prom-client's process metrics too): name, type and label names. */
  describe(): { name: string; type: string; labelNames: readonly string[] }[] {
    return this.prom.getMetricsAsArray().map((m) => {
      const own = this.families.get(m.name);
      const type = own?.kind ?? String((m as unknown as { type: unknown }).type);
      return {
        name: m.name,
        type,
        labelNames: own?.labelNames ?? (m as unknown as { labelNames?: string[] }).labelNames ?? [],
      };
    });
  }

  /**
   * The current values, for tests: `name` for a series without labels, `name{a="x",b="y"}` (labels
   * in their declared order) for each labelled one plus `name` = their sum; histograms as
   * `name_count` and `name_sum` likewise. Gauges whose collect is async are left out.
   */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    const add = (key: string, value: number): void => {
      out[key] = (out[key] ?? 0) + value;
    };
    for (const [name, family] of this.families) {
      const series = (labels: Record<string, string>): string =>
        family.labelNames.length === 0
          ? ''
          : `{${family.labelNames.map((l) => `${l}="${labels[l] ?? ''}"`).join(',')}}`;
      const put = (suffix: string, labels: Record<string, string>, value: number): void => {
        add(`${name}${suffix}`, value);
        if (family.labelNames.length > 0) add(`${name}${suffix}${series(labels)}`, value);
      };
      if (family.kind === 'gauge') {
        add(name, 0);
        for (const source of family.sources) {
          let sync = true;
          const pending = source((labels, value) => {
            if (sync) put('', labels, value);
          });
          sync = false;
          // An async source counts at scrape time only (it never rejects: see gaugeFamily).
          if (pending instanceof Promise) void pending;
        }
        continue;
      }
      for (const { labels, child } of family.children.values()) {
        if (child instanceof Counter) put('', labels, child.value);
        else {
          put('_count', labels, child.count);
          put('_sum', labels, child.sum);
        }
      }
    }
    return out;
  }

  private family(
    name: string,
    kind: Kind,
    labelNames: readonly string[],
    create: (state: FamilyState) => PromCounter | PromGauge | HistogramCollector,
  ): FamilyState {
    const existing = this.families.get(name);
    if (existing !== undefined) {
      if (existing.kind !== kind || existing.labelNames.join() !== labelNames.join())
        throw new Error(
          `metric ${name} is already registered as a ${existing.kind} with labels [${existing.labelNames.join(', ')}]`,
        );
      return existing;
    }
    const state = { kind, labelNames, children: new Map(), sources: [] } as unknown as FamilyState;
    this.families.set(name, state);
    state.prom = create(state);
    return state;
  }

  private child(
    family: FamilyState,
    values: Record<string, string>,
    make: (labels: Record<string, string>) => Counter | Histogram,
  ): Counter | Histogram {
    const key = family.labelNames.map((l) => values[l]).join('\u0000');
    let entry = family.children.get(key);
    if (entry === undefined) {
      const labels: Record<string, string> = {};
      for (const l of family.labelNames) {
        const v = values[l];
        if (v === undefined) throw new Error(`label ${l} missing`);
        labels[l] = v;
      }
      entry = { labels, child: make(labels) };
      family.children.set(key, entry);
    }
    return entry.child;
  }
}
