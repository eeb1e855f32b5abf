import type { LoadedAgent } from '../spec/index.js';
import { renderTemplate, truncate } from './template.js';
import { compactMetadata, type TriggerMatch } from './trigger-match.js';

/** How much of a payload a default message carries. */
const PAYLOAD_CHARS = 8000;

/** A verified delivery to `POST /webhooks/{agent}`. */
export interface GenericDelivery {
  /** `X-Agentry-Delivery` when sent, else the signature (the same for the same timestamp and body). */
  deliveryId: string;
  /** The parsed JSON body. */
  payload: unknown;
}

/** The indexes of an agent's `triggers: - webhook:` entries. */
export function webhookTriggerIndexes(agent: LoadedAgent): number[] {
  return agent.spec.triggers.flatMap((trigger, index) => (trigger.webhook ? [index] : []));
}

/** What the agent of `POST /webhooks/{agent}` is told, from the trigger whose secret signed the delivery. */
export function matchGenericDelivery(
  agent: LoadedAgent,
  triggerIndex: number,
  delivery: GenericDelivery,
): TriggerMatch {
  const template = agent.spec.triggers[triggerIndex]?.message;
  return {
    agent: agent.name,
    triggerIndex,
    message:
      template === undefined
        ? defaultWebhookMessage(agent.name, delivery)
        : renderTemplate(template, templateValues(delivery)),
    source: `webhook:${agent.name}`,
    metadata: compactMetadata({ webhook_delivery: delivery.deliveryId }),
  };
}

function templateValues(delivery: GenericDelivery): unknown {
  const { payload } = delivery;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { body: payload, webhook: { source: 'webhook', delivery: delivery.deliveryId } };
  }
  if (Object.hasOwn(payload, 'webhook')) return payload;
  return { ...payload, webhook: { source: 'webhook', delivery: delivery.deliveryId } };
}

/** The message of a generic webhook whose trigger has no `message:`: the payload as JSON. */
export function defaultWebhookMessage(agent: string, delivery: GenericDelivery): string {
  const body = truncate(JSON.stringify(delivery.payload, null, 2), PAYLOAD_CHARS);
  return `Webhook delivery ${delivery.deliveryId} to ${agent}. Payload:\n${body}`;
}
