/**
 * Platforms an iommufd ctx can drive: the selftest mock IOMMU, or a vendor model built by
 * core/iommu's registry. A platform is one IOMMU driver plus a device factory; the
 * selftest's MOCK_DOMAIN creates its devices through it, so the same scripts and
 * conformance tests run on every vendor.
 */
import type { SimClock } from '../hw/clock';
import { MockDriver } from '../iommu/mock';
import type { Recorder } from '../trace/types';
import type { IommufdPlatform } from './ctx';
import type { AllocFailInjector } from './failnth';

/** Options shared by platform factories. */
export interface PlatformOptions {
  clock: SimClock;
  recorder?: Recorder;
  fail?: AllocFailInjector;
}

/** The mock platform: MockDriver devices, each in its own group unless groupId is given. */
export function createMockPlatform(opts: PlatformOptions): IommufdPlatform & { driver: MockDriver } {
  const driver = new MockDriver({ clock: opts.clock, recorder: opts.recorder, failNth: opts.fail });
  return {
    driver,
    createDevice: (flags: number, groupId?: number) => driver.createDevice(flags, groupId),
  };
}
