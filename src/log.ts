import pino from 'pino';

/**
 * Structured logs. Message text of people's questions is never logged at info
 * level: log the kind of event and the topic, not what a young person typed
 * (the engine logs a question only at debug). Phone numbers are redacted.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream) {
  const options = { level, base: null, redact: { paths: ['phone', '*.phone'], censor: '[hidden]' } };
  return destination ? pino(options, destination) : pino(options);
}
export type Logger = ReturnType<typeof createLogger>;
