import { describe, expect, it } from 'vitest';
import { resolvePointIndex } from '../../../core/sweep/point-index';

describe('point index: --index, SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX', () => {
  it('takes --index first, even when a scheduler variable is set', () => {
    expect(resolvePointIndex('4', { SLURM_ARRAY_TASK_ID: '7' })).toEqual({ ok: true, index: 4, source: '--index 4' });
  });
  it('reads a Slurm array task id', () => {
    expect(resolvePointIndex(undefined, { SLURM_ARRAY_TASK_ID: '12' })).toEqual({ ok: true, index: 12, source: 'SLURM_ARRAY_TASK_ID=12' });
  });
  it('reads a Kubernetes Indexed Job completion index', () => {
    expect(resolvePointIndex(undefined, { JOB_COMPLETION_INDEX: '0' })).toEqual({ ok: true, index: 0, source: 'JOB_COMPLETION_INDEX=0' });
  });
  it('adds the offset of a chunked array', () => {
    expect(resolvePointIndex(undefined, { SLURM_ARRAY_TASK_ID: '5' }, '1000')).toEqual({ ok: true, index: 1005, source: 'SLURM_ARRAY_TASK_ID=5 + offset 1000' });
  });
  it('accepts both variables when they agree, refuses when they disagree', () => {
    expect(resolvePointIndex(undefined, { SLURM_ARRAY_TASK_ID: '3', JOB_COMPLETION_INDEX: '3' })).toMatchObject({ ok: true, index: 3 });
    expect(resolvePointIndex(undefined, { SLURM_ARRAY_TASK_ID: '3', JOB_COMPLETION_INDEX: '4' })).toEqual({ ok: false, message: 'SLURM_ARRAY_TASK_ID=3 and JOB_COMPLETION_INDEX=4 disagree; give --index' });
  });
  it('refuses no index, negative, fractional and non-decimal values', () => {
    expect(resolvePointIndex(undefined, {})).toMatchObject({ ok: false, message: expect.stringMatching(/^no point index: give --index N/) });
    expect(resolvePointIndex(undefined, { SLURM_ARRAY_TASK_ID: '' })).toMatchObject({ ok: false });
    for (const bad of ['-1', '1.5', '0x10', '01', ' 2', '1e3']) {
      expect(resolvePointIndex(bad, {})).toMatchObject({ ok: false });
      expect(resolvePointIndex(undefined, { JOB_COMPLETION_INDEX: bad })).toMatchObject({ ok: false, message: expect.stringContaining('JOB_COMPLETION_INDEX') });
    }
    expect(resolvePointIndex('1', {}, '-3')).toMatchObject({ ok: false });
  });
});
