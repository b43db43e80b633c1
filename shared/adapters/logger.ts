import { Logger } from '@aws-lambda-powertools/logger';
import { personalDataReplacer } from '../domain/personal-data-masking.ts';

/**
 * The Powertools logger every function uses. Its JSON replacer masks personal data, so a payload logged by
 * mistake still shows no ID number, phone or name.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, jsonReplacerFn: personalDataReplacer });
}
