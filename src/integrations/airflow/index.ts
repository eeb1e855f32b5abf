/**
 * Airflow: task logs from the REST API (Airflow 2 and 3) or a log folder, and the streaming
 * readers that find a failure in them without holding a log in memory.
 */
export {
  type AirflowApiOptions,
  type AirflowApiVersion,
  type AirflowCredentials,
  ApiLogSource,
} from './api-log-source.js';
export { AirflowError, type AirflowErrorCode } from './errors.js';
export {
  type ExceptionSeen,
  FailureFinder,
  type FailureFinderOptions,
  type FailureReport,
} from './failure-finder.js';
export {
  type FakeAirflow,
  type FakeAirflowOptions,
  type FakeTaskLog,
  type RecordedRequest,
  startFakeAirflow,
} from './fake-airflow.js';
export { FolderLogSource } from './folder-log-source.js';
export { LineSplitter, MAX_KEPT_LINE_CHARS } from './line-splitter.js';
export {
  type CollectedRanges,
  type DroppedRanges,
  type KeptLine,
  LineRole,
  type LogRange,
  RangeBuilder,
  RangeCollector,
} from './log-ranges.js';
export { type LogStream, openLogFile, type TaskLogSource } from './log-stream.js';
export { LogWindow, type WindowRequest } from './log-window.js';
export {
  type LineMatcher,
  RegexFinder,
  type RegexFinderOptions,
  type RegexReport,
} from './regex-finder.js';
export { type LineVisitor, type ScanResult, scanLog } from './scan-log.js';
export { type AirflowLogSettings, type TaskLogSources, taskLogSourcesFromSettings } from './sources.js';
export {
  renderStructuredLine,
  renderStructuredRecord,
  structuredAsText,
  textOrStructured,
} from './structured-log.js';
export { checkTaskLogRef, describeTaskLogRef, type TaskLogRef } from './task-log-ref.js';
