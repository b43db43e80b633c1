import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';

/** One alert ready to go: the SMS text, the JSON for everything else, and the attributes desks filter on. */
export interface OutgoingAlert {
  id: string;
  sms: string;
  json: string;
  attributes: { jurisdiction: string[]; severity: number; network: string; ruleId: string; county: string };
}

export type PublishResult = { id: string; ok: true; messageId: string } | { id: string; ok: false; error: string };

/** What the notifier needs from SNS: publish alerts, learn per alert whether it went out. */
export interface AlertPublisher {
  readonly topicArn: string;
  publish(alerts: readonly OutgoingAlert[]): Promise<PublishResult[]>;
}

const PUBLISH_BATCH_LIMIT = 10;

/**
 * Publishes through one SNS topic; each desk's subscription filter policy picks its alerts by jurisdiction and
 * severity. PublishBatch answers 200 with per-entry failures, so every entry's fate is read back.
 */
export class SnsAlertPublisher implements AlertPublisher {
  readonly topicArn: string;
  readonly #client: SNSClient;

  constructor(options: { client: SNSClient; topicArn: string }) {
    this.#client = options.client;
    this.topicArn = options.topicArn;
  }

  async publish(alerts: readonly OutgoingAlert[]): Promise<PublishResult[]> {
    const results: PublishResult[] = [];
    for (let i = 0; i < alerts.length; i += PUBLISH_BATCH_LIMIT) {
      const chunk = alerts.slice(i, i + PUBLISH_BATCH_LIMIT);
      // Entry ids allow only letters, digits, - and _ (80 max): index them and map back.
      const entries = chunk.map((alert, n) => ({
        Id: `a${n}`,
        // `default` reaches queues, HTTP and e-mail; `sms` is what phones receive.
        Message: JSON.stringify({ default: alert.json, sms: alert.sms }),
        MessageStructure: 'json',
        MessageAttributes: {
          jurisdiction: { DataType: 'String.Array', StringValue: JSON.stringify(alert.attributes.jurisdiction) },
          severity: { DataType: 'Number', StringValue: String(alert.attributes.severity) },
          network: { DataType: 'String', StringValue: alert.attributes.network },
          ruleId: { DataType: 'String', StringValue: alert.attributes.ruleId },
          county: { DataType: 'String', StringValue: alert.attributes.county },
        },
      }));
      try {
        const out = await this.#client.send(
          new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: entries }),
        );
        const failed = new Map((out.Failed ?? []).map((f) => [f.Id, `${f.Code ?? 'Error'}: ${f.Message ?? ''}`]));
        const ok = new Map((out.Successful ?? []).map((s) => [s.Id, s.MessageId ?? '']));
        chunk.forEach((alert, n) => {
          const messageId = ok.get(`a${n}`);
          results.push(
            messageId !== undefined
              ? { id: alert.id, ok: true, messageId }
              : { id: alert.id, ok: false, error: failed.get(`a${n}`) ?? 'no result for entry' },
          );
        });
      } catch (error) {
        for (const alert of chunk) results.push({ id: alert.id, ok: false, error: String(error) });
      }
    }
    return results;
  }
}
