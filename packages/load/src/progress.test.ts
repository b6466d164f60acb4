import { formatLiveLine } from './progress';

describe('live status line', () => {
  it('shows messages and frames out per second apart', () => {
    const line = formatLiveLine({
      phase: 'send',
      plannedConnections: 1002,
      totalSent: 500,
      totalDelivered: 501_000,
      point: {
        t: 5,
        connections: 1002,
        sentPerSec: 500,
        ackedPerSec: 500,
        deliveredPerSec: 501_000,
        deliveredFramesPerSec: 33_400,
        thinnedPerSec: 0,
        likesPerSec: 0,
        p50: 20,
        p90: 40,
        p99: 80.25,
        max: 120,
      },
    });
    expect(line).toContain('out 501.0k msg/s 33.4k frames/s');
    expect(line).toContain('conns 1002/1002');
    expect(line).toContain('p99 80.3 ms');
  });
});
