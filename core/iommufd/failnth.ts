/**
 * Allocation-failure injection modelled on the kernel's fail_nth
 * (tools/testing/selftests/iommu/iommufd_fail_nth.c): arm with n and the n-th allocation made
 * afterwards fails once (its site returns -ENOMEM and unwinds). Every allocation point in
 * iommufd and the mock driver calls {@link AllocFailInjector.shouldFail} with a site name;
 * the class is core/pt's FailNth, so one instance shared with the page-table pool counts
 * "the n-th allocation" across layers like the kernel's per-task counter.
 */
export { FailNth } from '../pt/fail-nth';

/** What an allocation point needs (structurally core/pt FailNth). */
export interface AllocFailInjector {
  /** Count one allocation attempt at `site`; true means "fail this allocation". */
  shouldFail(site?: string): boolean;
}

/** An injector that never fails. */
export const NO_FAIL: AllocFailInjector = { shouldFail: () => false };
