/**
 * The selftest mock as a registered vendor: no hardware model, devices probed with the
 * DeviceSpec's group (sid numbering is the mock's own, as mock_dev_create does).
 */
import type { HwSystemOptions, IommuSystem, VendorEntry } from '../system';
import { MOCK_FLAGS_DEVICE_NO_DIRTY } from './constants';
import { MockDriver } from './driver';

/** Build the selftest mock IOMMU system. `opts.caps.flags` sets MOCK_FLAGS_DEVICE_* on new devices. */
export function createMockSystem(opts: HwSystemOptions): IommuSystem {
  const driver = new MockDriver({ clock: opts.clock, recorder: opts.recorder, failNth: opts.pool?.failNth });
  const flags = Number(opts.caps?.flags ?? 0);
  return {
    vendor: 'mock',
    driver,
    hw: null,
    addDevice: (spec) => driver.createDevice(flags, spec.groupId ?? spec.sid),
    stats: () => ({ faults: driver.faults.length }),
  };
}

export const mockVendor = {
  name: 'mock',
  title: 'iommufd selftest mock',
  color: '#999999',
  scenarios: false,
  create: createMockSystem,
  noDirtyCaps: { flags: MOCK_FLAGS_DEVICE_NO_DIRTY },
} as const satisfies VendorEntry<'mock'>;
