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
export { IOCTL, TEST_OP } from './uapi';
export { FailNth } from './failnth';
export type { AllocFailInjector } from './failnth';
export { createMockPlatform, createVendorPlatform } from './platform';
export { runIoctlScript, parseScript } from './script';
export type { CallResult, ScriptResult, RunScriptOptions } from './script';
