import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InvalidScriptError, parseScript } from '../../src/testing/index.js';

const directories: string[] = [];

afterEach(async () => {
  await Promise.all(
    directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

async function scriptFile(text: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'agentry-script-'));
  directories.push(directory);
  const path = join(directory, 'script.yml');
  await writeFile(path, text);
  return path;
}

function failureOf(value: unknown): InvalidScriptError {
  try {
    parseScript(value);
  } catch (error) {
    if (error instanceof InvalidScriptError) return error;
    throw error;
  }
  throw new Error('parseScript accepted an invalid script');
}

describe('parseScript', () => {
  it('reads every kind of step from a YAML file', async () => {
    const path = await scriptFile(`
- toolCalls:
    - name: run_sql_query
      arguments: { sql: "select count(*) from orders" }
    - name: read_file
      arguments: '{"path": "models/orders.sql"}'
      id: call_read
  text: Checking the table first.
  delayMs: 10
- error: { status: 429, message: Rate limit reached, retryAfterMs: 0 }
- text: The orders model has 3 rows with a negative amount.
  usage: { inputTokens: 900, outputTokens: 40 }
  finishReason: length
`);

    const script = parseScript(parse(await readFile(path, 'utf8')));

    expect(script).toEqual([
      {
        toolCalls: [
          { name: 'run_sql_query', arguments: { sql: 'select count(*) from orders' } },
          { name: 'read_file', arguments: '{"path": "models/orders.sql"}', id: 'call_read' },
        ],
        text: 'Checking the table first.',
        delayMs: 10,
      },
      { error: { status: 429, message: 'Rate limit reached', retryAfterMs: 0 } },
      {
        text: 'The orders model has 3 rows with a negative amount.',
        usage: { inputTokens: 900, outputTokens: 40 },
        finishReason: 'length',
      },
    ]);
  });

  it('refuses something that is not a list', () => {
    const error = failureOf({ text: 'hi' });

    expect(error.code).toBe('testing.invalid-script');
    expect(error.kind).toBe('user');
    expect(error.message).toMatch(/must be a list of steps/);
  });

  it('names the step and field that is wrong', () => {
    expect(failureOf([{ text: 'ok' }, { toolCalls: [{ arguments: {} }] }]).message).toMatch(
      /^script step 2 \(toolCalls\.0\.name\)/,
    );
    expect(failureOf([{ error: { status: 200, message: 'fine' } }]).message).toMatch(
      /^script step 1 \(error\.status\)/,
    );
    expect(failureOf([{ text: 'hi', delayMs: -5 }]).message).toMatch(/^script step 1 \(delayMs\)/);
  });

  it('refuses a step that mixes kinds or misspells a key', () => {
    expect(failureOf([{ text: 'hi', error: { status: 500, message: 'boom' } }]).message).toMatch(
      /script step 1/,
    );
    expect(failureOf([{ txt: 'hi' }]).message).toMatch(/script step 1 needs one of text, toolCalls or error/);
    expect(failureOf([{ text: 'hi', delay_ms: 10 }]).message).toMatch(/delay_ms/);
  });
});
