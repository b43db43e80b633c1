import { describe, expect, it } from 'vitest';
import { DEVICE_FORMATS } from '../../../../events/adapters/device-adapter.ts';
import { adapterFor, DEVICE_ADAPTERS } from '../../../../events/adapters/registry.ts';

describe('device adapter registry', () => {
  it.each(DEVICE_FORMATS)('has the %s adapter under its own format', (format) => {
    expect(adapterFor(format)).toBe(DEVICE_ADAPTERS[format]);
    expect(adapterFor(format).format).toBe(format);
  });

  it('lists media types in lower case, without parameters', () => {
    for (const adapter of Object.values(DEVICE_ADAPTERS)) {
      for (const type of adapter.contentTypes) expect(type).toMatch(/^[a-z]+\/[a-z0-9.+-]+$/);
    }
  });
});
