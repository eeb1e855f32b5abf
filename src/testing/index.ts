/**
 * Test doubles for agents built on Agentry, shipped as `agentry/testing`.
 *
 * `startScriptedModel` runs a local server that speaks OpenAI's chat completions protocol and
 * answers from a script, so the production model client runs in tests without a real model.
 */
export {
  type ErrorStep,
  InvalidScriptError,
  parseScript,
  type ScriptedToolCall,
  type ScriptStep,
  type StepUsage,
  type TextStep,
  type ToolCallStep,
} from './script.js';
export {
  type RecordedRequest,
  type ScriptedModelOptions,
  type ScriptedModelServer,
  startScriptedModel,
} from './scripted-model-server.js';
