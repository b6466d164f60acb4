/** A monotonically increasing count. */
export class Counter {
  value = 0;
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(by = 1): void {
    this.value += by;
  }
}

/**
 * Counters and gauges exposed at `/metrics` in Prometheus text format. Queue depths, drops and
 * slow-consumer closes are metrics here, not log lines.
 */
export class MetricsRegistry {
  private readonly counters: Counter[] = [];
  private readonly gauges: { name: string; help: string; read: () => number }[] = [];

  counter(name: string, help: string): Counter {
    const c = new Counter(name, help);
    this.counters.push(c);
    return c;
  }

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.push({ name, help, read });
  }

  /** Prometheus text exposition. */
  render(): string {
    const lines: string[] = [];
    for (const c of this.counters) lines.push(`# HELP ${c.name} ${c.help}`, `# TYPE ${c.name} counter`, `${c.name} ${c.value}`);
    for (const g of this.gauges) lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`, `${g.name} ${g.read()}`);
    return lines.join('\n') + '\n';
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.counters) out[c.name] = c.value;
    for (const g of this.gauges) out[g.name] = g.read();
    return out;
  }
}
