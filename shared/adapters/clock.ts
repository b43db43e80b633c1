/** Where the functions read the time. Domain code never reads a clock: it is handed `now` from here. */
export interface Clock {
  now(): Date;
}

/** The machine's own clock: what every Lambda function runs on. */
export const systemClock: Clock = { now: () => new Date() };

// On globalThis, not in this module: local mode runs handlers as bundles, each with a copy of this module, and the
// clock installed in a thread must reach every copy in it.
const INSTALLED = Symbol.for('sanwang.clock');
type WithClock = typeof globalThis & { [INSTALLED]?: Clock };

/** The clock in use in this thread; handlers read it on every call, so an installed clock takes effect at once. */
export const clock: Clock = { now: () => ((globalThis as WithClock)[INSTALLED] ?? systemClock).now() };

/**
 * Replaces the clock of every handler in this thread. Only local mode calls it, to play a demo night faster than
 * real time; Lambda never does.
 */
export function installClock(next: Clock): void {
  (globalThis as WithClock)[INSTALLED] = next;
}
