/**
 * A scenario: one reference agent's run on the example project, with the decisions of a model
 * written down (a script per agent) so it runs without a model, and what its result must show.
 * `agentry demo` plays one; `test/scenarios` plays them all and checks their `expect`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { AgentryError } from '../../errors.js';
import { parseScript, type ScriptStep } from '../../testing/index.js';

/** The scenarios, shipped in the package beside dist/. */
export const SCENARIOS_DIR = fileURLToPath(new URL('../../../examples/scenarios/', import.meta.url));

const metadataValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const scenarioSchema = z.strictObject({
  /** The reference agent the scenario runs (its squad comes along). */
  agent: z.string().min(1),
  /** One line for `agentry demo --list`. */
  about: z.string().min(1),
  /** The trigger's message, as the system that starts the agent would send it. */
  message: z.string().min(1),
  trigger: z
    .strictObject({
      kind: z.enum(['cli', 'api', 'cron', 'github', 'linear', 'airflow', 'webhook']),
      source: z.string().optional(),
      metadata: z.record(z.string(), metadataValue).optional(),
    })
    .optional(),
  /** Local stand-ins the scenario needs, seeded with its fixtures: a GitHub pull request, Linear issues. */
  services: z
    .strictObject({
      github: z
        .strictObject({
          pull_request: z.strictObject({
            number: z.number().int().positive(),
            title: z.string(),
            body: z.string().default(''),
            author: z.string(),
            /** The change, as files to write on a branch made from the example's HEAD. */
            branch: z.string(),
            files: z.record(z.string(), z.string()),
            commit_message: z.string(),
            /** Merged with a merge commit before the run, as for an agent triggered by the merge. */
            merged: z.boolean().default(false),
          }),
        })
        .optional(),
      /** Seeds for the Linear stand-in: teams, users, labels, issues (see `startFakeLinear`). */
      linear: z
        .strictObject({
          teams: z.array(z.record(z.string(), z.unknown())).optional(),
          users: z.array(z.record(z.string(), z.unknown())).optional(),
          labels: z.array(z.record(z.string(), z.unknown())).optional(),
          issues: z.array(z.record(z.string(), z.unknown())).optional(),
        })
        .optional(),
    })
    .default({}),
  /** The model's part: what each agent of the run decides, step by step. */
  scripts: z.record(z.string(), z.array(z.unknown())),
  /** What the run must show, checked by the scenario tests. */
  expect: z.strictObject({
    status: z.enum(['COMPLETED', 'FAILED', 'CANCELLED']).default('COMPLETED'),
    /** Tools called, anywhere in the run's tree. */
    tools: z.array(z.string()).default([]),
    /** Agents of child runs, in any order. */
    children: z.array(z.string()).default([]),
    /** Keys the structured output must have. */
    output_keys: z.array(z.string()).default([]),
    /** Artifacts the run must keep (e.g. a staged pull request). */
    artifacts: z.array(z.string()).default([]),
    /** Notification kinds sent (`thread-start`, `report`), to Slack or the outbox. */
    notifications: z.array(z.string()).default([]),
  }),
});

/** A scenario as written in `examples/scenarios/NAME.yml`, its scripts validated. */
export type Scenario = Omit<z.infer<typeof scenarioSchema>, 'scripts'> & {
  name: string;
  scripts: Record<string, ScriptStep[]>;
};

/** A scenario file does not describe a scenario. */
export class InvalidScenarioError extends AgentryError {
  readonly code = 'demo.invalid-scenario';
  readonly kind = 'user' as const;
}

/** The scenario named `name` (its file name without `.yml`). */
export async function loadScenario(name: string, dir: string = SCENARIOS_DIR): Promise<Scenario> {
  const file = join(dir, `${name}.yml`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    const known = await listScenarios(dir);
    throw new InvalidScenarioError(`no demo scenario '${name}': choose one of ${known.join(', ')}`);
  }
  const parsed = scenarioSchema.safeParse(parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidScenarioError(`${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const scripts: Record<string, ScriptStep[]> = {};
  for (const [agent, steps] of Object.entries(parsed.data.scripts)) {
    try {
      scripts[agent] = parseScript(steps);
    } catch (error) {
      throw new InvalidScenarioError(`${file}: scripts.${agent}: ${(error as Error).message}`);
    }
  }
  return { ...parsed.data, name, scripts };
}

/** The names of the scenarios in `dir`. */
export async function listScenarios(dir: string = SCENARIOS_DIR): Promise<string[]> {
  return (await readdir(dir))
    .filter((file) => file.endsWith('.yml'))
    .map((file) => file.slice(0, -'.yml'.length))
    .sort();
}
