import { describe, expect, it } from 'vitest';
import { benchServerSettings } from '../../bench/support/bench-database.js';

describe('BENCH_PG_SETTINGS', () => {
  it('reads name=value entries separated by semicolons', () => {
    expect(benchServerSettings('')).toEqual({});
    expect(benchServerSettings(' synchronous_commit=off ; autovacuum=off;')).toEqual({ synchronous_commit: 'off', autovacuum: 'off' });
    expect(benchServerSettings('pg_stat_statements.max=10000;work_mem=64MB')).toEqual({ 'pg_stat_statements.max': '10000', work_mem: '64MB' });
  });

  it('stops on an entry that is not name=value, naming it', () => {
    expect(() => benchServerSettings('autovacuum')).toThrow('got "autovacuum"');
    expect(() => benchServerSettings('=off')).toThrow('got "=off"');
    expect(() => benchServerSettings('fsync=off; drop table x=1')).toThrow('got "drop table x=1"');
  });
});
