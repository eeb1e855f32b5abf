import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentReloader } from '../../src/server/agent-reloader.js';
import { loadProject } from '../../src/spec/index.js';
import { builtinToolRegistry } from '../../src/tools/index.js';
import { createProject, type TempProject } from '../helpers/project.js';
import { ECHO_AGENT } from './fixture.js';

let project: TempProject | undefined;
let reloader: AgentReloader | undefined;
afterEach(async () => {
  await reloader?.close();
  project?.cleanup();
  reloader = undefined;
  project = undefined;
});

const CONFIG =
  'version: 1\nmodels:\n  default: { provider: openai-compatible, model: m, base_url: http://127.0.0.1:9 }\n';

async function setup() {
  project = createProject({ '.agentry/config.yml': CONFIG, '.agentry/agents/echo.yml': ECHO_AGENT });
  const tools = builtinToolRegistry();
  const { project: loaded, issues } = await loadProject(project.root, { knownTools: tools.names() });
  expect(issues).toEqual([]);
  return { loaded, tools };
}

describe('AgentReloader', () => {
  it('sees an edit by polling alone, where the file system sends no events', async () => {
    const { loaded, tools } = await setup();
    const log: string[] = [];
    reloader = new AgentReloader({
      project: loaded,
      knownTools: tools.names(),
      log: (line) => log.push(line),
      watch: false,
      pollMs: 100,
      debounceMs: 10,
    });
    const before = loaded.agents.get('echo')!.hash;
    await sleep(150);
    project!.write('.agentry/agents/echo.yml', ECHO_AGENT.replace('terse assistant', 'careful assistant'));
    const deadline = Date.now() + 5000;
    while (loaded.agents.get('echo')!.hash === before && Date.now() < deadline) await sleep(20);
    expect(loaded.agents.get('echo')!.spec.role).toContain('careful assistant');
    expect(log.some((line) => line.startsWith('agents: reloaded echo'))).toBe(true);
  });

  it('reports an agent broken at start-up, keeps nothing for it, and says when config.yml changed', async () => {
    project = createProject({
      '.agentry/config.yml': CONFIG,
      '.agentry/agents/echo.yml': ECHO_AGENT,
      '.agentry/agents/bad.yml': 'name: bad\nrole: x\ngoal: y\nlimits: { timeout: soon }\n',
    });
    const { project: loaded, issues } = await loadProject(project.root);
    const log: string[] = [];
    reloader = new AgentReloader({
      project: loaded,
      initialIssues: issues,
      log: (line) => log.push(line),
      watch: false,
      pollMs: 0,
    });
    expect(reloader.problems()).toEqual([
      expect.objectContaining({
        agent: 'bad',
        keeping: null,
        issues: [expect.objectContaining({ line: 4 })],
      }),
    ]);
    project.write('.agentry/config.yml', `${CONFIG}sandbox: { driver: local }\n`);
    const reload = await reloader.reload();
    expect(reload).toEqual({ added: [], changed: [], removed: [], broken: ['bad'] });
    expect(log).toContain('agents: config.yml changed: it takes effect when agentry serve restarts');
    // The same problem is not logged again at every reload.
    expect(log.filter((line) => line.includes('bad.yml has errors'))).toHaveLength(0);
  });
});
