import pino from 'pino';

/**
 * Structured logs. Message text of people's questions is never logged at info
 * level: log the kind of event and the topic, not what a young person typed.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info') {
  return pino({ level, base: undefined, redact: { paths: ['phone', '*.phone'], censor: '[hidden]' } });
}
export type Logger = ReturnType<typeof createLogger>;
