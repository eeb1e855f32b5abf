export { costUsd } from './cost.js';
export { ModelCallError, ModelConfigError, ModelUnreachableError } from './errors.js';
export { toModelError } from './model-error.js';
export { type ResolvedModel, resolveModel } from './resolve-model.js';
