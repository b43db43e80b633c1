import type { Clock } from '../shared/adapters/clock.ts';

/**
 * Local mode's clock, shared by every thread of the platform (its event sources, the functions' environments and
 * the demo): a SharedArrayBuffer holds where it stands, so setting it in one thread moves it in all. It runs from a
 * chosen instant at a chosen speed, or on the system clock (the default).
 * @example const c = new SharedClock(); c.set(new Date('2026-11-25T02:00:00+08:00'), 60); // a minute a second
 */
export class SharedClock implements Clock {
  /** [version, realAnchorMs, clockAnchorMs, speed × 1e6]; version is odd while a writer is halfway. */
  readonly #view: BigInt64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4 * 8)) {
    this.#view = new BigInt64Array(buffer);
  }

  now(): Date {
    for (;;) {
      const version = Atomics.load(this.#view, 0);
      if (version % 2n === 1n) continue;
      const realAnchor = Atomics.load(this.#view, 1);
      const clockAnchor = Atomics.load(this.#view, 2);
      const speed = Atomics.load(this.#view, 3);
      if (Atomics.load(this.#view, 0) !== version) continue;
      if (version === 0n) return new Date();
      const real = BigInt(Date.now());
      return new Date(Number(clockAnchor + ((real - realAnchor) * speed) / 1_000_000n));
    }
  }

  /** From now on the clock shows `at`, and runs `speed` times as fast as real time. */
  set(at: Date, speed = 1): void {
    this.#write(BigInt(Date.now()), BigInt(at.getTime()), BigInt(Math.round(speed * 1_000_000)));
  }

  /** Back to the system clock (a jump forward, when it ran behind). */
  real(): void {
    const now = BigInt(Date.now());
    this.#write(now, now, 1_000_000n);
  }

  #write(realAnchor: bigint, clockAnchor: bigint, speed: bigint): void {
    Atomics.add(this.#view, 0, 1n);
    Atomics.store(this.#view, 1, realAnchor);
    Atomics.store(this.#view, 2, clockAnchor);
    Atomics.store(this.#view, 3, speed);
    Atomics.add(this.#view, 0, 1n);
  }
}
