/**
 * core/iommufd: the iommufd uAPI and object model. Entry points: {@link createIommufd}
 * (open /dev/iommu on a platform), {@link iommufdIoctl} (ioctl on it) and
 * {@link runIoctlScript} (run a JSON ioctl script, for the CLI and tests).
 */
export { createIommufd } from './create';
export type { CreateIommufdOptions } from './create';
export { IommufdCtx } from './ctx';
export type { IommufdOptions, IommufdPlatform, ResvRegion } from './ctx';
export { iommufdIoctl, resultErrno } from './ioctl';
export type { IoctlResult } from './ioctl';
export { IOCTL } from '../uapi/iommufd';
export { TEST_OP } from '../uapi/iommufd-test';
export { FailNth } from '../base/fail-nth';
export type { AllocFailInjector } from '../base/fail-nth';
export { createPlatform, openIommufd } from './platform';
export type { Platform, PlatformOptions } from './platform';
export { runIoctlScript, parseScript } from './script';
export type { CallResult, ScriptResult, RunScriptOptions } from './script';
