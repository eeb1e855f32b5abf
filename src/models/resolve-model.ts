import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { AgentryConfig, ModelConfig } from '../spec/config.js';
import { ModelConfigError } from './errors.js';

/** A model ready to call, with what the engine needs to account for it and explain failures. */
export interface ResolvedModel {
  /** The name the agent used: a config name (`default`) or `provider:model`. */
  name: string;
  provider: ModelConfig['provider'];
  modelId: string;
  /** Where the model is reached, for error messages (`provider default` when not configured). */
  endpoint: string;
  /** The config key to point users at, e.g. `models.default`. */
  configKey: string;
  /** The environment variable holding the key, if any. */
  apiKeyEnv: string | undefined;
  model: LanguageModel;
  pricing: ModelConfig['pricing'];
  maxOutputTokens: number | undefined;
  temperature: number | undefined;
}

const DEFAULT_KEY_ENV: Record<ModelConfig['provider'], string | undefined> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  'openai-compatible': undefined,
};

const PROVIDERS = new Set<string>(['openai', 'anthropic', 'openai-compatible']);

/**
 * Builds the model an agent names: a key of `models:` in config.yml, or `provider:model`
 * (e.g. `openai:gpt-4o-mini`) with the provider's default endpoint and key variable.
 */
export function resolveModel(
  name: string,
  config: AgentryConfig,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedModel {
  const configured = config.models[name];
  if (configured) return build(name, `models.${name}`, configured, env);

  const separator = name.indexOf(':');
  const provider = separator > 0 ? name.slice(0, separator) : '';
  if (!PROVIDERS.has(provider)) {
    const known = Object.keys(config.models);
    throw new ModelConfigError(
      `model '${name}' is not defined: add it under models: in .agentry/config.yml` +
        (known.length > 0 ? ` (defined: ${known.join(', ')})` : '') +
        `, or write provider:model such as openai:gpt-4o-mini`,
    );
  }
  const modelConfig: ModelConfig = {
    provider: provider as ModelConfig['provider'],
    model: name.slice(separator + 1),
  };
  return build(name, `the agent's model: ${name}`, modelConfig, env);
}

function build(name: string, configKey: string, config: ModelConfig, env: NodeJS.ProcessEnv): ResolvedModel {
  const apiKeyEnv = config.api_key_env ?? DEFAULT_KEY_ENV[config.provider];
  const apiKey = apiKeyEnv ? env[apiKeyEnv] : undefined;
  if (apiKeyEnv && !apiKey) {
    const where = config.api_key_env
      ? `${configKey}.api_key_env`
      : `${configKey} (the ${config.provider} default)`;
    throw new ModelConfigError(
      `model '${name}' needs an API key: environment variable ${apiKeyEnv} is not set (${where} in .agentry/config.yml)`,
    );
  }
  const common = {
    name,
    provider: config.provider,
    modelId: config.model,
    configKey,
    apiKeyEnv,
    pricing: config.pricing,
    maxOutputTokens: config.max_output_tokens,
    temperature: config.temperature,
  };
  switch (config.provider) {
    case 'openai': {
      const provider = createOpenAI({ apiKey, baseURL: config.base_url });
      // Chat completions: the protocol every OpenAI-like endpoint and our test double speak.
      return { ...common, endpoint: config.base_url ?? 'the OpenAI API', model: provider.chat(config.model) };
    }
    case 'anthropic': {
      const provider = createAnthropic({ apiKey, baseURL: config.base_url });
      return { ...common, endpoint: config.base_url ?? 'the Anthropic API', model: provider(config.model) };
    }
    case 'openai-compatible': {
      if (!config.base_url) {
        throw new ModelConfigError(
          `model '${name}' is openai-compatible but has no base_url: set ${configKey}.base_url in .agentry/config.yml (Ollama: http://127.0.0.1:11434/v1)`,
        );
      }
      const provider = createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: config.base_url,
        apiKey,
        includeUsage: true,
      });
      return { ...common, endpoint: config.base_url, model: provider.chatModel(config.model) };
    }
  }
}
