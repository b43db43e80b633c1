import { dahuaAdapter } from './dahua.ts';
import type { DeviceAdapter, DeviceFormat } from './device-adapter.ts';
import { frigateAdapter } from './frigate.ts';
import { gb28181Adapter } from './gb28181.ts';
import { hikvisionAdapter } from './hikvision.ts';
import { onvifAdapter } from './onvif.ts';

/** Every device adapter by format: the ingest picks one from the URL (`/ingest/{format}`). */
export const DEVICE_ADAPTERS: Readonly<Record<DeviceFormat, DeviceAdapter>> = {
  hikvision: hikvisionAdapter,
  onvif: onvifAdapter,
  gb28181: gb28181Adapter,
  dahua: dahuaAdapter,
  frigate: frigateAdapter,
};

/** The adapter for a format. @example adapterFor('onvif').parse(request) */
export function adapterFor(format: DeviceFormat): DeviceAdapter {
  return DEVICE_ADAPTERS[format];
}
