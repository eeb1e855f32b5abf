import type { AgentTrigger, LoadedAgent } from '../spec/index.js';
import { lookupPath, renderTemplate, truncate } from './template.js';
import { compactMetadata, messageLines, numberAt, type TriggerMatch, textAt } from './trigger-match.js';

/** A verified Linear webhook delivery. */
export interface LinearDelivery {
  /** `Linear-Delivery` when sent, else a stand-in that is the same for the same body. */
  deliveryId: string;
  payload: Record<string, unknown>;
}

type LinearFilter = NonNullable<AgentTrigger['linear']>;

interface IssueLabel {
  id: string | undefined;
  name: string;
}

/** How much of an issue's description a default message carries. */
const DESCRIPTION_CHARS = 4000;

/**
 * The agents a Linear delivery starts. Only issues start runs: an issue created that passes a
 * trigger's filters, or an issue updated so that it now passes them when it did not before (a
 * listed label added, or the issue moved into a listed team). A filter left out passes every
 * issue; a trigger with neither `labels` nor `teams` starts on every created issue. Labels and
 * team keys compare without regard to case (team names are accepted too). One match per agent.
 */
export function matchLinearDelivery(agents: Iterable<LoadedAgent>, delivery: LinearDelivery): TriggerMatch[] {
  const { payload } = delivery;
  if (textAt(payload, 'type') !== 'Issue') return [];
  const action = textAt(payload, 'action');
  if (action !== 'create' && action !== 'update') return [];
  const matches: TriggerMatch[] = [];
  for (const agent of agents) {
    const triggerIndex = agent.spec.triggers.findIndex(
      (trigger) => trigger.linear !== undefined && issueStarts(trigger.linear, action, payload),
    );
    if (triggerIndex < 0) continue;
    const template = agent.spec.triggers[triggerIndex]!.message;
    matches.push({
      agent: agent.name,
      triggerIndex,
      message:
        template === undefined
          ? defaultLinearMessage(payload)
          : renderTemplate(template, templateValues(delivery)),
      source: `linear:${issueIdentifier(payload) ?? textAt(payload, 'data.id') ?? 'issue'}`,
      metadata: compactMetadata({
        linear_action: action,
        linear_type: 'Issue',
        linear_delivery: delivery.deliveryId,
        issue_id: textAt(payload, 'data.id'),
        issue_identifier: issueIdentifier(payload),
        team: textAt(payload, 'data.team.key'),
        labels: issueLabels(payload)
          .map((label) => label.name)
          .join(', '),
        url: textAt(payload, 'url'),
      }),
    });
  }
  return matches;
}

function issueStarts(
  filter: LinearFilter,
  action: 'create' | 'update',
  payload: Record<string, unknown>,
): boolean {
  const labels = issueLabels(payload);
  const wantedLabels = filter.labels?.map((label) => label.toLowerCase());
  const matchingLabels =
    wantedLabels === undefined
      ? labels
      : labels.filter((label) => wantedLabels.includes(label.name.toLowerCase()));
  const labelsPass = wantedLabels === undefined || matchingLabels.length > 0;
  const teamPasses = filter.teams === undefined || teamMatches(filter.teams, payload);
  if (!labelsPass || !teamPasses) return false;
  if (action === 'create') return true;
  // An update starts a run only when it is what made the issue pass: a filter that already passed
  // before would start a run on every edit of the issue.
  const previousLabelIds = lookupPath(payload, 'updatedFrom.labelIds');
  const labelAdded =
    wantedLabels !== undefined &&
    Array.isArray(previousLabelIds) &&
    matchingLabels.some((label) => label.id !== undefined && !previousLabelIds.includes(label.id));
  const teamChanged = filter.teams !== undefined && textAt(payload, 'updatedFrom.teamId') !== undefined;
  return labelAdded || teamChanged;
}

function teamMatches(teams: readonly string[], payload: Record<string, unknown>): boolean {
  const names = [textAt(payload, 'data.team.key'), textAt(payload, 'data.team.name')]
    .filter((name): name is string => name !== undefined)
    .map((name) => name.toLowerCase());
  return teams.some((team) => names.includes(team.toLowerCase()));
}

function issueLabels(payload: Record<string, unknown>): IssueLabel[] {
  const labels = lookupPath(payload, 'data.labels');
  if (!Array.isArray(labels)) return [];
  return labels.flatMap((label) => {
    const name = textAt(label, 'name');
    return name === undefined ? [] : [{ id: textAt(label, 'id'), name }];
  });
}

/** `WEB-44`: the payload's identifier, or the team key and number it is made of. */
export function issueIdentifier(payload: Record<string, unknown>): string | undefined {
  const identifier = textAt(payload, 'data.identifier');
  if (identifier !== undefined) return identifier;
  const team = textAt(payload, 'data.team.key');
  const number = numberAt(payload, 'data.number');
  return team !== undefined && number !== undefined ? `${team}-${number}` : undefined;
}

/** What a template sees: the payload, plus `webhook.*` unless the payload has its own. */
function templateValues(delivery: LinearDelivery): Record<string, unknown> {
  const { payload } = delivery;
  if (Object.hasOwn(payload, 'webhook')) return payload;
  return {
    ...payload,
    webhook: {
      source: 'linear',
      event: textAt(payload, 'type') ?? null,
      action: textAt(payload, 'action') ?? null,
      delivery: delivery.deliveryId,
      identifier: issueIdentifier(payload) ?? null,
    },
  };
}

/** The message an agent gets from a Linear issue when its trigger has no `message:`. */
export function defaultLinearMessage(payload: Record<string, unknown>): string {
  const action = textAt(payload, 'action') === 'create' ? 'created' : 'updated';
  const team = textAt(payload, 'data.team.name');
  const teamKey = textAt(payload, 'data.team.key');
  const description = textAt(payload, 'data.description');
  const header = messageLines([
    ['', `Linear issue ${issueIdentifier(payload) ?? ''} ${action}: ${textAt(payload, 'data.title') ?? ''}`],
    ['Team', team && teamKey ? `${team} (${teamKey})` : (team ?? teamKey)],
    [
      'Labels',
      issueLabels(payload)
        .map((label) => label.name)
        .join(', '),
    ],
    ['Priority', textAt(payload, 'data.priorityLabel')],
    ['State', textAt(payload, 'data.state.name')],
    ['Assignee', textAt(payload, 'data.assignee.name')],
    ['URL', textAt(payload, 'url')],
  ]);
  return description ? `${header}\n\nDescription:\n${truncate(description, DESCRIPTION_CHARS)}` : header;
}
