/** Where the functions read the time. Domain code never reads a clock: it is handed `now` from here. */
export interface Clock {
  now(): Date;
}

/** The machine's own clock: what every Lambda function runs on. */
export const systemClock: Clock = { now: () => new Date() };

let installed: Clock = systemClock;

/** The clock in use in this process; handlers read it on every call, so an installed clock takes effect at once. */
export const clock: Clock = { now: () => installed.now() };

/**
 * Replaces the clock of every handler in this process. Only local mode calls it, to play a demo night faster than
 * real time; Lambda never does.
 */
export function installClock(next: Clock): void {
  installed = next;
}
