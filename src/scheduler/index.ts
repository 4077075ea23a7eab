export { Scheduler, DEFAULT_SCHEDULER_NAME } from './scheduler.js';
export type { SchedulerOptions, SchedulerStats } from './scheduler.js';
export { schedulePod } from './algorithm.js';
export { defaultProfile } from './profile.js';
export { fitErrorMessage } from './fit-error.js';
