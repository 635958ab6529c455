import { describe, expect, it } from 'vitest';
import { productionSettings } from '../../bench/support.js';

describe('the benchmarks’ throwaway Postgres', () => {
  it('runs with the settings compose.yaml gives the production server', () => {
    expect(productionSettings()).toMatchObject({ shared_buffers: '2GB', max_wal_size: '4GB' });
  });
});
