/**
 * Local stand-ins for the SaaS a scenario needs: the fakes `agentry/testing` ships, speaking the
 * real wire protocols, seeded with the scenario's fixtures. The production clients talk to them.
 */
import type { Document } from 'yaml';
import { type FakeLinear, type FakeLinearOptions, startFakeLinear } from '../../testing/index.js';
import type { Scenario } from './scenario.js';

const LINEAR_KEY_ENV = 'AGENTRY_DEMO_LINEAR_API_KEY';
const LINEAR_KEY = 'lin_api_agentry_demo_stand_in_key';

/** The stand-ins a scenario runs with. */
export interface ScenarioServices {
  /** What runs, for the demo's banner. */
  names: string[];
  /** Credentials of the stand-ins, for the engine's environment (and its redactor). */
  env: Record<string, string>;
  linear?: FakeLinear;
  /** Comments the Linear stand-in was seeded with (not the run's). */
  linearSeedCommentIds?: string[];
  /** Point `.agentry/config.yml` at the stand-ins. */
  configure(config: Document): void;
  close(): Promise<void>;
}

export async function startScenarioServices(
  scenario: Scenario,
  _paths: { projectDir: string; servicesDir: string },
): Promise<ScenarioServices> {
  const names: string[] = [];
  const env: Record<string, string> = {};
  const configurers: ((config: Document) => void)[] = [];
  const closers: (() => Promise<void>)[] = [];
  let linear: FakeLinear | undefined;
  try {
    if (scenario.services.linear) {
      linear = await startFakeLinear({
        ...(scenario.services.linear as Omit<FakeLinearOptions, 'apiKey'>),
        apiKey: LINEAR_KEY,
      });
      closers.push(() => linear!.close());
      env[LINEAR_KEY_ENV] = LINEAR_KEY;
      const url = linear.url;
      configurers.push((config) => {
        config.setIn(['integrations', 'linear', 'api_url'], url);
        config.setIn(['integrations', 'linear', 'token_env'], LINEAR_KEY_ENV);
      });
      names.push(`Linear (a local stand-in at ${url})`);
    }
  } catch (error) {
    for (const close of closers.reverse()) await close();
    throw error;
  }
  return {
    names,
    env,
    linear,
    linearSeedCommentIds: linear?.comments.map((comment) => comment.id),
    configure: (config) => {
      for (const each of configurers) each(config);
    },
    close: async () => {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}
