export { Redactor, secretEnvNames } from './redactor.js';
