import { Hono } from 'hono';
import { AgentNotFoundError } from '../../engine/errors.js';
import type { Project } from '../../spec/index.js';
import type { AgentProblem } from '../agent-reloader.js';
import type { AppEnv } from '../auth.js';
import { requireScope } from '../auth.js';
import type { RouteDeps } from '../deps.js';
import type { AgentListView } from '../schemas.js';
import { agentDetailView, agentProblemView, agentSummaryView } from '../views.js';

/**
 * `/agents`: the agents this server runs now (its agent files are reloaded as they change), and
 * the files that do not load (`problems`), from `problems()`.
 */
export function agentRoutes(
  deps: RouteDeps,
  project: Project,
  problems: () => readonly AgentProblem[] = () => [],
): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const names = () => [...project.agents.keys()].sort();

  routes.get('/', requireScope(deps.auth, 'runs:read'), (context) => {
    const body: AgentListView = {
      agents: names().map((name) => agentSummaryView(project.agents.get(name)!)),
      problems: problems().map((problem) => agentProblemView(problem, project.root)),
    };
    return context.json(body);
  });

  routes.get('/:name', requireScope(deps.auth, 'runs:read'), (context) => {
    const name = context.req.param('name');
    const agent = project.agents.get(name);
    if (!agent) throw new AgentNotFoundError(name, names());
    return context.json(agentDetailView(agent, project.root));
  });

  return routes;
}
