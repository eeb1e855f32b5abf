import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentSpec } from '../spec/agent-spec.js';

/** AGENTS.md beyond this is cut: it is guidance, not a corpus. */
const MAX_AGENTS_MD_BYTES = 32 * 1024;

export interface SystemPromptInput {
  spec: AgentSpec;
  /** The run's workspace: AGENTS.md is read from the commit the run works on. */
  workspaceRoot: string;
  baseCommit: string;
  toolNames: readonly string[];
}

/** The system prompt: who the agent is (role, goal, backstory), where it works, and the repo's AGENTS.md. */
export async function buildSystemPrompt(input: SystemPromptInput): Promise<string> {
  const { spec } = input;
  const parts = [`You are ${spec.name}, ${spec.role.trim()}`, `Your goal: ${spec.goal.trim()}`];
  if (spec.backstory) parts.push(`Background: ${spec.backstory.trim()}`);
  parts.push(
    `You work in a checkout of the repository at commit ${input.baseCommit.slice(0, 12)}. ` +
      `Paths are relative to the repository root.`,
  );
  parts.push(
    input.toolNames.length > 0
      ? `You may call these tools: ${input.toolNames.join(', ')}. Call no others. When you have the answer, reply without calling a tool.`
      : 'You have no tools: answer from what you are told.',
  );
  if (spec.output) {
    parts.push(
      'Your final reply must be a single JSON value, with no prose around it, that matches this JSON Schema:\n' +
        JSON.stringify(spec.output.schema),
    );
  }
  const agentsMd = await readAgentsMd(input.workspaceRoot);
  if (agentsMd) parts.push(`# Repository instructions (AGENTS.md)\n\n${agentsMd}`);
  return parts.join('\n\n');
}

async function readAgentsMd(root: string): Promise<string | undefined> {
  try {
    const text = await readFile(join(root, 'AGENTS.md'), 'utf8');
    if (Buffer.byteLength(text) <= MAX_AGENTS_MD_BYTES) return text.trim();
    return `${Buffer.from(text).subarray(0, MAX_AGENTS_MD_BYTES).toString('utf8')}\n[… AGENTS.md cut at 32 KB]`;
  } catch {
    return undefined;
  }
}
