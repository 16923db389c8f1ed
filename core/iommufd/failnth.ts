/**
 * Allocation-failure injection modelled on the kernel's fail_nth
 * (tools/testing/selftests/iommu/iommufd_fail_nth.c, /proc/self/task/<tid>/fail-nth):
 * arm with n, and the n-th allocation made afterwards fails (returns ENOMEM at that site).
 * Every allocation point in iommufd, the mock driver and (when wired) core/pt's table pool
 * calls {@link FailNth.should} with a site name, so a test can walk n = 1, 2, ... over one
 * ioctl and see every failure path. Deterministic; no randomness.
 */
export interface AllocFailInjector {
  /** Called at an allocation point; true means "fail this allocation". */
  should(site: string): boolean;
}

/** fail_nth state: `arm(n)` makes the n-th following allocation fail (1-based). */
export class FailNth implements AllocFailInjector {
  private armed = 0;
  private count = 0;
  /** Site that failed in the current armed window, or null. */
  failedSite: string | null = null;
  /** Allocation calls seen per site since the last reset (for coverage reports). */
  readonly sites = new Map<string, number>();

  /** Arm: the n-th allocation from now fails (n >= 1); 0 disarms. */
  arm(n: number): void {
    this.armed = n;
    this.count = 0;
    this.failedSite = null;
  }

  /** Disarm and return how many allocation calls were made while armed. */
  disarm(): number {
    const c = this.count;
    this.armed = 0;
    this.count = 0;
    return c;
  }

  should(site: string): boolean {
    this.sites.set(site, (this.sites.get(site) ?? 0) + 1);
    if (this.armed === 0) return false;
    this.count++;
    if (this.count === this.armed) {
      this.failedSite = site;
      return true;
    }
    return false;
  }
}

/** An injector that never fails. */
export const NO_FAIL: AllocFailInjector = { should: () => false };
