/** createIommufd: open an iommufd ctx on a platform with every destroy hook registered. */
import { SimClock } from '../hw/clock';
import type { Recorder } from '../trace/types';
import { registerAccess } from './access';
import type { IommufdOptions, IommufdPlatform } from './ctx';
import { IommufdCtx } from './ctx';
import { registerDeviceDestroyers } from './device';
import type { AllocFailInjector } from './failnth';
import { registerFault } from './fault';
import { createMockPlatform } from './platform';
import { registerSelftest } from './selftest';

/** Options of {@link createIommufd}. */
export interface CreateIommufdOptions {
  /** The IOMMU side; the selftest mock when absent. */
  platform?: IommufdPlatform;
  clock?: SimClock;
  recorder?: Recorder;
  fail?: AllocFailInjector;
  options?: Partial<IommufdOptions>;
}

/** Open an iommufd ctx with every object type's destroy hooks registered. */
export function createIommufd(o: CreateIommufdOptions = {}): IommufdCtx {
  const clock = o.clock ?? new SimClock();
  const platform = o.platform ?? createMockPlatform({ clock, recorder: o.recorder, fail: o.fail });
  const ctx = new IommufdCtx({ platform, clock, recorder: o.recorder, fail: o.fail, options: o.options });
  registerDeviceDestroyers(ctx);
  registerAccess(ctx);
  registerFault(ctx);
  registerSelftest(ctx);
  return ctx;
}
