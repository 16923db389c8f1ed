/** The selftest mock IOMMU (xarray era): driver, domain and constants. */
export * from './constants';
export { MockDomain } from './domain';
export type { MockDomainStats } from './domain';
export { MockDriver } from './driver';
export type { MockDevice, MockDriverOptions, MockFault } from './driver';
