/**
 * `invoke_agent`: an agent hands a question to a member of its squad. The child runs in its own
 * sandbox with its own tools and audit trail; its validated structured output is the result.
 */
import { z } from 'zod';
import { ToolError } from './errors.js';
import type { ChildRunResult } from './squad.js';
import { defineTool, type OfferContext } from './tool.js';

/** A squad member's output schema shown to the parent is cut beyond this many characters. */
const MAX_SCHEMA_CHARS = 4000;
const MAX_MESSAGE_CHARS = 20_000;

const invokeAgentInput = z.object({
  agent: z.string().min(1).describe('The squad member to invoke, by name.'),
  message: z
    .string()
    .min(1)
    .max(MAX_MESSAGE_CHARS)
    .describe(
      'What the member should do: the whole task with every fact it needs (ids, names, times). It sees nothing else of your conversation.',
    ),
});

const GENERIC_DESCRIPTION = [
  'Hand a task to another agent of your squad (agents_squad) and get its answer back.',
  'The agent works in its own sandbox with its own tools; it sees only your message.',
  'Call it several times in one step to run several agents in parallel.',
  "The result is the agent's structured output (JSON) when it declares one, else its text; a failed run comes back as an error saying why.",
].join(' ');

export const invokeAgentTool = defineTool({
  name: 'invoke_agent',
  description: GENERIC_DESCRIPTION,
  inputSchema: invokeAgentInput,
  concurrent: true,
  describeFor: squadDescription,
  deny(input, context) {
    const squad = context.spec.agents_squad;
    if (squad.includes(input.agent)) return undefined;
    return squad.length === 0
      ? `${context.agent} has no agents_squad: it may not invoke ${input.agent}`
      : `${input.agent} is not in ${context.agent}'s agents_squad (${squad.join(', ')}): invoke only those`;
  },
  async execute(input, context) {
    if (!context.squad) {
      throw new ToolError('squad.unavailable', 'invoke_agent cannot start runs here: no engine runs squads');
    }
    const child = await context.squad.invoke(input.agent, input.message, { callId: context.callId ?? '' });
    return childResult(child);
  },
});

/** The tool result: the child's output, or a ToolError the parent model can reason about. */
function childResult(child: ChildRunResult) {
  const summary = `${child.agent} ${child.status.toLowerCase()} in ${(child.durationMs / 1000).toFixed(1)}s (run ${child.runId})`;
  if (child.status !== 'COMPLETED' || !child.output) {
    const why = child.failureReason ? ` (${child.failureReason})` : '';
    throw new ToolError(
      'child-run.failed',
      `${child.agent} (run ${child.runId}) ended ${child.status}${why}: ${child.error ?? 'no answer'}. ` +
        'Go on without it and say what is missing, or invoke it again with a narrower task.',
    );
  }
  const answer = child.output.object !== undefined ? child.output.object : child.output.text;
  return {
    output: { agent: child.agent, run_id: child.runId, status: child.status, output: answer },
    summary,
  };
}

/** The description one agent is offered: its squad, each member's purpose and output schema. */
function squadDescription(context: OfferContext): string {
  const members = context.spec.agents_squad.map((name) => {
    const spec = context.agent(name);
    if (!spec) return `- ${name}`;
    const lines = [`- ${name}: ${(spec.description ?? spec.goal).trim().replace(/\s+/g, ' ')}`];
    if (spec.output) {
      const schema = JSON.stringify(spec.output.schema);
      lines.push(
        `  Returns JSON matching: ${schema.length > MAX_SCHEMA_CHARS ? `${schema.slice(0, MAX_SCHEMA_CHARS)}…` : schema}`,
      );
    } else {
      lines.push('  Returns: text.');
    }
    return lines.join('\n');
  });
  return [GENERIC_DESCRIPTION, 'Your squad:', ...members].join('\n');
}
