/**
 * Paradime's DinoAI "Programmable Agents" (`.dinoai/agents/NAME.yml`) use the same field names
 * as ours: name, version, role, goal, backstory, tools { mode, list }, agents_squad and
 * slack { channel }. Their files therefore validate against our schema as they are, with one
 * difference in meaning: Paradime gives an agent without a `tools` block every tool, where we
 * give it none. The file's author meant "every tool", so that is what it gets.
 */
export function fromDinoai(agent: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (agent['tools'] !== undefined) return { ...agent };
  return { ...agent, tools: { mode: 'denylist', list: [] } };
}
