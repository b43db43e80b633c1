import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AlertPayload } from '../shared/domain/alert-message.ts';

/**
 * Reads and empties a desk's inbox queue. Each message is the JSON alert (the `default` of the SNS message); its
 * `sms` field is exactly what the desk's phones receive in AWS.
 */
export async function takeAlerts(sqs: SQSClient, queueUrl: string): Promise<AlertPayload[]> {
  const alerts: AlertPayload[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return alerts;
    for (const m of messages) alerts.push(JSON.parse(m.Body ?? '{}') as AlertPayload);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
}
