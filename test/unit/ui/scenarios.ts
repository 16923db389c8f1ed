/** Scenarios for UI tests: small enough to run all three vendors in a few seconds. */

/** 256 MiB guest, one NIC at 200 kpps into 4096 buffers, at most 4 pre-copy rounds. */
export const SMALL_SCENARIO = JSON.stringify(
  {
    name: 'ui-small',
    seed: 3,
    guest: { memory: '256MiB' },
    devices: [{ name: 'nic0', workload: { kind: 'nic-rx', ringBuffers: 4096, packetsPerSec: 200000 } }],
    migration: { maxRounds: 4, downtimeMs: 1 },
  },
  null,
  2,
);
