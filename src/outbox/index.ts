/** The outbox: every proactive message goes through here (see dispatcher.ts for the guarantees). */
export { cancelByPrefix, enqueue, enqueueSelect } from './enqueue.js';
export { Dispatcher, type BatchReport, type DispatcherOptions } from './dispatcher.js';
export { startDispatchers, type DispatcherDriver } from './driver.js';
export { postgresLeaderLock, senderLockName, singleProcessLock, type LeaderLock } from './leader.js';
export { deferQuietHours, deferQuietHoursSql, isQuietHour } from './quiet-hours.js';
export { defaultBurst, type RateLimits } from './rate-limit.js';
export { i18nRender } from './render.js';
export { cleanupOutbox, runOncePerCluster, startScheduler, type ClusterJob, type Scheduler } from './scheduler.js';
export { pauseChannel, readPause } from './store.js';
export { MAX_PRIORITY, PRIORITY, type ClaimedMessage, type NewMessage, type OutboxChannel, type OutboxPayload, type RenderOutbox, type SendResult, type Sender } from './types.js';
