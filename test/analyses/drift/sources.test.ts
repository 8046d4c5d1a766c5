import { describe, expect, it } from 'vitest';
import { kindOfType } from '../../../src/analyses/drift/sources.js';

describe('kindOfType', () => {
  it('reads whole DuckDB type names: a list or struct of numbers is neither numeric nor categorical', () => {
    for (const t of ['INTEGER', 'BIGINT', 'UTINYINT', 'HUGEINT', 'FLOAT', 'DOUBLE', 'DECIMAL(2,1)', 'DECIMAL(18, 3)']) expect(kindOfType(t)).toBe('numeric');
    for (const t of ['VARCHAR', 'BOOLEAN', 'UUID', "ENUM('x', 'y')"]) expect(kindOfType(t)).toBe('categorical');
    for (const t of ['INTEGER[]', 'DOUBLE[3]', 'VARCHAR[]', "ENUM('x', 'y')[]", 'STRUCT(k INTEGER)', 'MAP(VARCHAR, INTEGER)', 'TIMESTAMP', 'DATE', 'BLOB'])
      expect(kindOfType(t)).toBeNull();
  });
});
