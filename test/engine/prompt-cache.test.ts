import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, type ModelMessage, tool } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PromptCache } from '../../src/engine/prompt-cache.js';
import { type ScriptedModelServer, type ScriptStep, startScriptedModel } from '../../src/testing/index.js';

/**
 * The engine keeps the provider's form of the conversation from step to step and hands the SDK only
 * the new messages. The provider must receive exactly what it would have from the whole
 * conversation: the requests on the wire are compared, step by step.
 */

let servers: ScriptedModelServer[] = [];
afterEach(async () => {
  for (const server of servers) await server.close();
  servers = [];
});

const tools = {
  read_file: tool({ description: 'read a file', inputSchema: z.object({ path: z.string() }) }),
  list_directory: tool({ description: 'list a directory', inputSchema: z.object({ path: z.string() }) }),
};

const SCRIPT: ScriptStep[] = [
  {
    text: 'Reading both.',
    toolCalls: [
      { name: 'read_file', arguments: { path: 'models/orders.sql' }, id: 'call_a' },
      { name: 'list_directory', arguments: { path: 'models' }, id: 'call_b' },
    ],
    usage: { inputTokens: 10, outputTokens: 5 },
  },
  { text: 'It counts paid orders, I think.', usage: { inputTokens: 20, outputTokens: 5 } },
  { toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' }, id: 'call_c' }] },
  { text: '{"summary": "counts paid orders"}' },
];

/** Drive a conversation the way the engine's loop does, with or without the cache. */
async function converse(server: ScriptedModelServer, cached: boolean): Promise<number[]> {
  const model = createOpenAICompatible({ name: 'scripted', baseURL: server.url }).chatModel('scripted');
  const cache = new PromptCache(model);
  const handed: number[] = [];
  // A follow-up turn: the earlier turn's messages come first.
  const messages: ModelMessage[] = [
    { role: 'user', content: 'What does orders count?' },
    { role: 'assistant', content: [{ type: 'text', text: 'Paid orders.' }] },
    { role: 'user', content: 'Check again, with the files.' },
  ];
  for (let step = 0; step < SCRIPT.length; step++) {
    const fresh = cached ? cache.messagesFor(messages) : messages;
    handed.push(fresh.length);
    const result = await generateText({
      model: cached ? cache.model : model,
      system: 'You are analyst. Answer with JSON at the end.',
      messages: fresh,
      tools,
    });
    if (cached) cache.keep(messages);
    messages.push(...result.response.messages.filter((message) => message.role === 'assistant'));
    const calls = result.content.filter((part) => part.type === 'tool-call');
    if (calls.length > 0) {
      messages.push({
        role: 'tool',
        content: calls.map((call) => ({
          type: 'tool-result' as const,
          toolCallId: call.toolCallId,
          toolName: call.toolName,
          output: { type: 'text' as const, value: `contents of ${JSON.stringify(call.input)}` },
        })),
      });
    } else if (step === 1) {
      messages.push({ role: 'user', content: 'Reply again with only the JSON value.' });
    }
  }
  return handed;
}

describe('PromptCache', () => {
  it('sends the provider the same requests as the whole conversation would, handing the SDK only new messages', async () => {
    const plain = await startScriptedModel({ script: SCRIPT });
    const cached = await startScriptedModel({ script: SCRIPT });
    servers.push(plain, cached);
    expect(await converse(plain, false)).toEqual([3, 5, 7, 9]);
    // The first call converts the whole conversation; each later one only the step's two messages.
    expect(await converse(cached, true)).toEqual([3, 2, 2, 2]);
    expect(cached.requests).toHaveLength(4);
    for (const [index, request] of cached.requests.entries()) {
      expect(request.body).toEqual(plain.requests[index]!.body);
    }
    expect(cached.requests[3]!.messages).toHaveLength(11);
  });

  it('hands over everything when the conversation does not simply continue', async () => {
    const server = await startScriptedModel({ script: [{ text: 'a' }, { text: 'b' }] });
    servers.push(server);
    const model = createOpenAICompatible({ name: 'scripted', baseURL: server.url }).chatModel('scripted');
    const cache = new PromptCache(model);
    const messages: ModelMessage[] = [{ role: 'user', content: 'one' }];
    await generateText({ model: cache.model, messages: cache.messagesFor(messages) });
    cache.keep(messages);
    // A conversation rebuilt shorter (or continuing with a tool message) starts over.
    const rebuilt: ModelMessage[] = [{ role: 'user', content: 'two' }];
    expect(cache.messagesFor(rebuilt)).toEqual(rebuilt);
    expect(new PromptCache('openai/gpt-4.1').messagesFor(messages)).toEqual(messages);
  });
});
