import type { Place } from '../common.ts';
import type { SanwangEventInput } from '../envelope.ts';
import type { FieldIssue } from '../validation.ts';

/** One HTTP request from a device or platform, as the ingest API hands it to an adapter. */
export interface DeviceRequest {
  /** The raw body, exactly as received. */
  body: Buffer;
  /** The full Content-Type header, parameters included (boundary, charset). */
  contentType: string;
  /** Query parameters; `device` names the source when the payload does not (Dahua, ONVIF). */
  query: Readonly<Record<string, string | undefined>>;
  receivedAt: Date;
  /** The deployment's zone: devices that send local time without an offset are read in it. */
  timeZone: string;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A canonical event before enrichment: `receivedAt` is set by the ingest, and the place may be partial or missing
 * (the device registry fills it; GB/T 28181 ids carry the county).
 */
export type DraftEvent = DistributiveOmit<SanwangEventInput, 'place' | 'receivedAt'> & { place?: Partial<Place> };

export interface AdapterOutcome {
  events: DraftEvent[];
  /** Messages acknowledged but not turned into events: heartbeats, states going back to normal, Stop actions. */
  ignored: { reason: string; count: number }[];
  /** Parts of a valid body that could not be read (one bad NotificationMessage among several, a bad Dahua part). */
  rejected: FieldIssue[];
}

/** The body as a whole cannot be read (not XML, not JSON, no parts): the ingest answers 400 with this message. */
export class MalformedBodyError extends Error {
  override name = 'MalformedBodyError';
  constructor(
    /** What is wrong, without the position. */
    readonly reason: string,
    readonly position?: { line: number; column: number },
  ) {
    super(position ? `${reason} (line ${position.line}, column ${position.column})` : reason);
  }
}

export const DEVICE_FORMATS = ['hikvision', 'onvif', 'gb28181', 'dahua', 'frigate'] as const;
export type DeviceFormat = (typeof DEVICE_FORMATS)[number];

/** Turns one device payload into canonical draft events. Pure: no clock, no I/O; never throws but MalformedBodyError. */
export interface DeviceAdapter {
  format: DeviceFormat;
  /** Media types (without parameters) this adapter reads; anything else is 415. */
  contentTypes: readonly string[];
  parse(request: DeviceRequest): AdapterOutcome;
}
