/**
 * Allocation-failure injection modelled on the kernel's fail_nth
 * (tools/testing/selftests/iommu/iommufd_fail_nth.c): arm with n and the n-th allocation made
 * afterwards fails once (its site returns -ENOMEM and unwinds). Every allocation point in
 * iommufd and the mock driver calls {@link AllocFailInjector.shouldFail} with a site name.
 * The interface is structurally the one of core/pt's FailNth (core/pt/fail-nth.ts), so one
 * instance can be shared with the page-table pool and "the n-th allocation" counts across
 * layers, like the kernel's per-task counter.
 */
export interface AllocFailInjector {
  /** Count one allocation attempt at `site`; true means "fail this allocation". */
  shouldFail(site?: string): boolean;
}

/** An injector that never fails. */
export const NO_FAIL: AllocFailInjector = { shouldFail: () => false };

/** fail_nth state (same shape and semantics as core/pt FailNth). */
export class FailNth implements AllocFailInjector {
  private countdown = 0;
  /** Allocation attempts since the last arm(). */
  attempts = 0;
  /** True once the armed failure was delivered. */
  fired = false;
  /** Site of the failed allocation. */
  firedAt: string | null = null;

  /** The n-th following allocation (1-based) fails; n <= 0 disarms. */
  arm(n: number): void {
    this.countdown = n > 0 ? Math.floor(n) : 0;
    this.attempts = 0;
    this.fired = false;
    this.firedAt = null;
  }

  disarm(): void {
    this.countdown = 0;
  }

  get armed(): boolean {
    return this.countdown > 0;
  }

  shouldFail(site?: string): boolean {
    this.attempts++;
    if (this.countdown === 0) return false;
    if (--this.countdown > 0) return false;
    this.fired = true;
    this.firedAt = site ?? null;
    return true;
  }
}
