import { afterEach, describe, expect, it } from 'vitest';
import { RunRecorder } from '../../src/engine/recorder.js';
import { Redactor } from '../../src/secrets/index.js';
import { SqliteRunStore } from '../../src/store/index.js';
import type { RunEvent } from '../../src/store/types.js';

const SECRET = 'hunter2-correct-horse';
const redactor = new Redactor([{ name: 'DB_PASSWORD', value: SECRET }]);
const long = (text: string) => `${text} ${'padding '.repeat(20)}`;

let store: SqliteRunStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function recorderFor(listener?: (event: RunEvent) => void) {
  store = new SqliteRunStore(':memory:');
  await store.migrate();
  const run = await store.createRun({ agent: 'a', agentHash: 'h', trigger: { kind: 'cli' } });
  await store.updateRun(run.id, ['PENDING'], { status: 'RUNNING' });
  return { recorder: new RunRecorder(store, redactor, run.id, listener ? [listener] : []), runId: run.id };
}

describe('RunRecorder', () => {
  it('redacts exactly as Redactor.redact does, remembered or not', async () => {
    const { recorder } = await recorderFor();
    const value = {
      short: `pw=${SECRET}`,
      long: long(`dsn postgres://u:${SECRET}@db`),
      again: long(`dsn postgres://u:${SECRET}@db`),
      [`key-${SECRET}`]: [
        1,
        null,
        true,
        long('clean text'),
        { nested: [`x${SECRET}`, Buffer.from('bytes')] },
      ],
      bytes: new Uint8Array([1, 2, 3]),
    };
    const expected = redactor.redact(value);
    expect(recorder.redact(value)).toEqual(expected);
    // Second time round every long string comes from the memo.
    expect(recorder.redact(value)).toEqual(expected);
    expect(JSON.stringify(recorder.redact(value))).not.toContain(SECRET);
  });

  it('writes what was staged with the next event, in order, in one batch, and tells listeners after', async () => {
    const heard: string[] = [];
    const { recorder, runId } = await recorderFor((event) => heard.push(event.type));
    recorder.stage('model.response', {
      turn: 1,
      step: 1,
      text: SECRET,
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: 1, outputTokens: 1 },
      durationMs: 1,
    });
    recorder.stageMessages(1, [{ role: 'assistant', content: `said ${SECRET}` }]);
    recorder.stageUpdate({ usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 } });
    expect(await store!.listEvents(runId)).toEqual([]);
    expect(heard).toEqual([]);
    const event = await recorder.event('tool-call.started', {
      step: 1,
      callId: 'c',
      tool: 'read_file',
      input: {},
    });
    expect(event).toMatchObject({ seq: 2, type: 'tool-call.started' });
    expect(heard).toEqual(['model.response', 'tool-call.started']);
    expect((await store!.listEvents(runId))[0]!.payload['text']).toBe('[REDACTED:DB_PASSWORD]');
    expect((await store!.listMessages(runId))[0]!.content).toBe('said [REDACTED:DB_PASSWORD]');
    expect((await store!.getRun(runId))!.usage.inputTokens).toBe(1);
  });

  it('keeps what was staged when a write fails, and writes it with the next one', async () => {
    const { recorder, runId } = await recorderFor();
    recorder.stage('model.request', { turn: 1, step: 1, model: 'm', tools: [], messageCount: 1 });
    recorder.stage('model.request', {
      turn: 1,
      step: 2,
      model: 'm',
      tools: [],
      messageCount: 1,
      bad: 1n,
    } as never);
    await expect(recorder.flush()).rejects.toThrow(/bigint/);
    expect(await store!.listEvents(runId)).toEqual([]);
    // Nothing is dropped: the good event and the bad one are still staged, in order.
    await expect(recorder.event('turn.started', { turn: 1, message: 'x' })).rejects.toThrow(/bigint/);
  });
});
