/**
 * createIommufd: open an iommufd ctx on a platform with every destroy hook registered. Callers
 * normally use openIommufd (core/iommufd/platform.ts), which builds the platform too.
 */
import type { SimClock } from '../base/clock';
import type { Recorder } from '../trace/types';
import { registerAccess } from './access';
import type { IommufdOptions, IommufdPlatform } from './ctx';
import { IommufdCtx } from './ctx';
import { registerDeviceDestroyers } from './device';
import type { AllocFailInjector } from '../base/fail-nth';
import { registerFault } from './fault';
import { registerSelftest } from './selftest';
import { registerEventq } from './eventq';
import { registerViommu } from './viommu';

/** Options of {@link createIommufd}. */
export interface CreateIommufdOptions {
  /** The IOMMU side (core/iommufd/platform.ts createPlatform). */
  platform: IommufdPlatform;
  clock: SimClock;
  recorder?: Recorder;
  fail?: AllocFailInjector;
  options?: Partial<IommufdOptions>;
}

/** Open an iommufd ctx with every object type's destroy hooks registered. */
export function createIommufd(o: CreateIommufdOptions): IommufdCtx {
  const ctx = new IommufdCtx({ platform: o.platform, clock: o.clock, recorder: o.recorder, fail: o.fail, options: o.options });
  registerDeviceDestroyers(ctx);
  registerAccess(ctx);
  registerFault(ctx);
  registerSelftest(ctx);
  registerViommu(ctx);
  registerEventq(ctx);
  return ctx;
}
