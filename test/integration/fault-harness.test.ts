import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyArbitrary } from '../harness/history.ts';
import { type Harness, runHistory, startHarness } from '../harness/run-history.ts';

// Histories of events, redeliveries, resends, shards, crashes, throttling and SNS outages, on the real use cases and
// adapters against the local servers. The counts are fixed in advance: every distinct event applied to exactly one
// incident exactly once, no alert left pending, and an SMS twice only where the notifier died between publishing
// and recording. `npm run soak` runs a thousand of them.
let harness: Harness;
let n = 0;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
});

describe('the pipeline under generated fault histories', () => {
  it('applies every accepted event exactly once and sends every alert, whatever the history', async () => {
    await fc.assert(
      fc.asyncProperty(historyArbitrary(30), async (spec) => {
        const result = await runHistory(harness, spec, `history-${++n}`);
        expect(result).toMatchObject({ lost: 0, countedTwice: 0, countMismatch: 0, stuck: 0 });
        expect(result.applied).toBe(result.expected);
        expect(result.duplicateSms).toBeLessThanOrEqual(result.crashWindowAlerts);
      }),
      { numRuns: 20, endOnFailure: true },
    );
  }, 600_000);
});
