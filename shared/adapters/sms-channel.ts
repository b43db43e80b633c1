import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { maskPersonalData } from '../domain/personal-data-masking.ts';

/** One text to one phone. `key` names the recipient everywhere else; `to` is personal data and goes nowhere else. */
export interface SmsMessage {
  key: string;
  to: string;
  text: string;
}

export type SmsResult = { key: string; ok: true; messageId: string } | { key: string; ok: false; error: string };

/**
 * Where SMS go out: one result per message, in order, never a throw for one message's failure. Errors are masked
 * (a provider may quote the number back).
 */
export interface SmsChannel {
  readonly name: string;
  send(messages: readonly SmsMessage[]): Promise<SmsResult[]>;
}

/** Sends at a time: SNS direct SMS takes one number per call. */
const CONCURRENCY = 8;

/**
 * SMS through Amazon SNS to a phone number (Publish with `PhoneNumber`), as transactional messages. Outside the AWS
 * China regions only: there SNS has no SMS, and the next channel is a domestic provider with registered templates.
 */
export class SnsSmsChannel implements SmsChannel {
  readonly name = 'sns-sms';
  readonly #client: SNSClient;
  readonly #senderId: string | undefined;

  constructor(options: { client: SNSClient; senderId?: string }) {
    this.#client = options.client;
    this.#senderId = options.senderId;
  }

  async send(messages: readonly SmsMessage[]): Promise<SmsResult[]> {
    const results: SmsResult[] = new Array(messages.length);
    let next = 0;
    const worker = async () => {
      while (next < messages.length) {
        const i = next++;
        const message = messages[i]!;
        try {
          const out = await this.#client.send(
            new PublishCommand({
              PhoneNumber: message.to,
              Message: message.text,
              MessageAttributes: {
                'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
                ...(this.#senderId
                  ? { 'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: this.#senderId } }
                  : {}),
              },
            }),
          );
          results[i] = { key: message.key, ok: true, messageId: out.MessageId ?? '' };
        } catch (error) {
          results[i] = { key: message.key, ok: false, error: maskPersonalData(describe(error)) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, messages.length) }, worker));
    return results;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
