import { describe, expect, it } from 'vitest';
import { DbtArtifactInvalidError, DbtCatalog, DbtRunResults } from '../../src/integrations/dbt/index.js';
import { HAVE_REALDATA, REAL, readJson } from './realdata.js';

describe.skipIf(!HAVE_REALDATA)('DbtRunResults on real run_results (v4, v6)', () => {
  it('finds the one error of a dbt 1.0 build (v4), with its message, timing and thread', () => {
    const results = DbtRunResults.fromJson(readJson(REAL.jaffleRunResultsV4), 'target/run_results.json');
    expect(results.metadata).toMatchObject({ schemaVersion: 4, dbtVersion: '1.0.0', command: 'build' });
    expect(results.metadata.elapsedSeconds).toBeCloseTo(16.18, 1);
    expect(results.countByStatus()).toEqual({ pass: 20, success: 8, error: 1 });
    const [error, ...others] = results.withStatus(['error', 'fail', 'warn']);
    expect(others).toEqual([]);
    expect(error).toMatchObject({
      uniqueId: 'model.jaffle_shop.test_insert_overwrite',
      status: 'error',
      threadId: 'Thread-1',
    });
    expect(error?.message).toContain('No matching signature for function TIMESTAMP_TRUNC');
    expect(error?.executionSeconds).toBeCloseTo(9.39, 1);
  });

  it('reads a dbt 1.9 build (v6) with compile and execute timings', () => {
    const results = DbtRunResults.fromJson(readJson(REAL.jaffleRunResultsV6), 'run_results.json');
    expect(results.metadata).toMatchObject({ schemaVersion: 6, dbtVersion: '1.9.0', command: 'build' });
    expect(results.countByStatus()).toEqual({ success: 41, pass: 20 });
    const withTiming = results.results.find((result) => result.startedAt);
    expect(withTiming?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Compiled SQL is kept only for results that did not succeed.
    expect(results.results.every((result) => result.compiledCode === undefined)).toBe(true);
  });

  it('reads tuva docs generate (v4) and dbt 1.11 (v6)', () => {
    const tuva = DbtRunResults.fromJson(readJson(REAL.tuvaRunResults), 'run_results.json');
    expect(tuva.countByStatus()).toEqual({ success: 399 });
    expect(tuva.metadata.command).toBe('generate');
    const jaffle = DbtRunResults.fromJson(readJson(REAL.jaffleRunResults111), 'run_results.json');
    expect(jaffle.metadata.dbtVersion).toBe('1.11.7');
    expect(jaffle.results.length).toBe(40);
  });

  it('orders problems worst first and keeps the compiled SQL of a failure', () => {
    const raw = readJson(REAL.jaffleRunResultsV6);
    const list = raw['results'] as Array<Record<string, unknown>>;
    list[3] = { ...list[3], status: 'warn', message: 'Got 2 results, configured to warn if != 0' };
    list[5] = { ...list[5], status: 'fail', failures: 7, compiled_code: 'select * from broken' };
    const results = DbtRunResults.fromJson(raw, 'run_results.json');
    const problems = results.withStatus(['error', 'fail', 'warn']);
    expect(problems.map((result) => result.status)).toEqual(['fail', 'warn']);
    expect(problems[0]).toMatchObject({ failures: 7, compiledCode: 'select * from broken' });
  });

  it('refuses a manifest given as run results', () => {
    expect(() => DbtRunResults.fromJson(readJson(REAL.jaffleV8), 'target/run_results.json')).toThrow(
      DbtArtifactInvalidError,
    );
  });
});

describe.skipIf(!HAVE_REALDATA)('DbtCatalog', () => {
  it("lists a node's warehouse columns in warehouse order, with types", () => {
    const catalog = DbtCatalog.fromJson(readJson(REAL.hubspotCatalog), 'catalog.json');
    const someNode = Object.keys(catalog.data.nodes).find((id) => id.startsWith('model.'))!;
    const columns = catalog.columnsOf(someNode)!;
    expect(columns.length).toBeGreaterThan(0);
    expect(columns.every((column) => typeof column.type === 'string')).toBe(true);
    expect(catalog.columnsOf('model.nope.nope')).toBeUndefined();
  });
});
