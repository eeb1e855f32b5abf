import { Hono } from 'hono';
import { AgentNotFoundError } from '../../engine/errors.js';
import type { Project } from '../../spec/index.js';
import type { AppEnv } from '../auth.js';
import { requireScope } from '../auth.js';
import type { RouteDeps } from '../deps.js';
import { agentDetailView, agentSummaryView } from '../views.js';

/** `/agents`: the agents this server runs (those that passed validation when it started). */
export function agentRoutes(deps: RouteDeps, project: Project): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const names = () => [...project.agents.keys()].sort();

  routes.get('/', requireScope(deps.auth, 'runs:read'), (context) =>
    context.json({ agents: names().map((name) => agentSummaryView(project.agents.get(name)!)) }),
  );

  routes.get('/:name', requireScope(deps.auth, 'runs:read'), (context) => {
    const name = context.req.param('name');
    const agent = project.agents.get(name);
    if (!agent) throw new AgentNotFoundError(name, names());
    return context.json(agentDetailView(agent, project.root));
  });

  return routes;
}
