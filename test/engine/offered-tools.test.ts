import { zodSchema } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileTool } from '../../src/tools/index.js';
import { type EngineProject, startEngineProject } from '../helpers/engine.js';

/**
 * The engine offers tools as JSON Schema made once per process (the AI SDK would convert the zod
 * schema again on every call); the request must be what the SDK itself would send, and invalid
 * input must still be refused — by the engine's executor.
 */

const AGENT = `name: reader
role: reader
goal: read
tools:
  list: [read_file]
limits:
  max_steps: 4
`;

let current: EngineProject | undefined;

afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe('offered tools', () => {
  it('sends the JSON Schema the AI SDK makes of the zod schema, on every step', async () => {
    current = await startEngineProject({
      agents: { reader: AGENT },
      model: {
        script: [{ toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' } }] }, { text: 'done' }],
      },
    });
    await current.engine.triggerRun('reader', 'read it');
    const expected = zodSchema(readFileTool.inputSchema as never).jsonSchema;
    for (const request of current.model.requests) {
      const offered = (request.tools as { function: { name: string; parameters: unknown } }[]).find(
        (each) => each.function.name === 'read_file',
      );
      expect(offered?.function.parameters).toEqual(expected);
    }
  });

  it('refuses input that does not fit the schema, and the run goes on', async () => {
    current = await startEngineProject({
      agents: { reader: AGENT },
      model: {
        script: [
          { toolCalls: [{ name: 'read_file', arguments: { path: 42, extra: true } }] },
          { text: 'done' },
        ],
      },
    });
    const run = await current.engine.triggerRun('reader', 'read it');
    expect(run.status).toBe('COMPLETED');
    const failed = (await current.store.listEvents(run.id)).filter(
      (event) => event.type === 'tool-call.failed',
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]!.payload).toMatchObject({ tool: 'read_file', code: 'tool.invalid-input' });
  });
});
