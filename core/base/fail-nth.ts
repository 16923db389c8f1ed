/**
 * Allocation-site fault injection, modelled on the kernel's fail_nth
 * (Documentation/fault-injection/fault-injection.rst, /proc/self/task/<tid>/fail-nth) as the
 * iommufd selftests use it: arm with N, and the N-th subsequent allocation attempt fails once.
 * The selftest pattern is "for N = 1, 2, ...: arm(N); run the ioctl; stop when !fired".
 *
 * One instance can be shared by every allocator of a simulated system (table pool, iommufd
 * objects, io_pagetable areas) so that "the N-th allocation" counts across layers, like the
 * kernel's per-task counter. Pure and deterministic; no randomness.
 *
 * Every allocation point in iommufd, the drivers and the table pool takes an
 * {@link AllocFailInjector} (structurally FailNth) and calls shouldFail(site) before it
 * allocates; on true it returns -ENOMEM and unwinds
 * (tools/testing/selftests/iommu/iommufd_fail_nth.c).
 */
export class FailNth {
  private countdown = 0;
  /** Allocation attempts seen since the last arm() (for reports and tests). */
  attempts = 0;
  /** True once the armed failure has been delivered (the kernel reads fail-nth back as 0). */
  fired = false;
  /** Site label of the allocation that failed, when the caller passed one. */
  firedAt: string | null = null;

  /**
   * Arm: the n-th following call to {@link shouldFail} (1-based) returns true, once.
   * n <= 0 disarms.
   */
  arm(n: number): void {
    this.countdown = n > 0 ? Math.floor(n) : 0;
    this.attempts = 0;
    this.fired = false;
    this.firedAt = null;
  }

  /** Disarm without firing. */
  disarm(): void {
    this.countdown = 0;
  }

  /** Whether a failure is still pending. */
  get armed(): boolean {
    return this.countdown > 0;
  }

  /**
   * Count one allocation attempt at `site`; returns true when this attempt must fail
   * (the caller then returns -ENOMEM and unwinds).
   */
  shouldFail(site?: string): boolean {
    this.attempts++;
    if (this.countdown === 0) return false;
    if (--this.countdown > 0) return false;
    this.fired = true;
    this.firedAt = site ?? null;
    return true;
  }
}

/** What an allocation point needs (structurally {@link FailNth}). */
export interface AllocFailInjector {
  /** Count one allocation attempt at `site`; true means "fail this allocation". */
  shouldFail(site?: string): boolean;
}

/** An injector that never fails. */
export const NO_FAIL: AllocFailInjector = { shouldFail: () => false };
