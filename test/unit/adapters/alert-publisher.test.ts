import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type OutgoingAlert, SnsAlertPublisher } from '../../../shared/adapters/alert-publisher.ts';

const TOPIC = 'arn:aws-cn:sns:cn-north-1:123456789012:sanwang-alerts';
const sns = mockClient(SNSClient);
const publisher = new SnsAlertPublisher({ client: new SNSClient({ region: 'cn-north-1' }), topicArn: TOPIC });

function alert(n: number): OutgoingAlert {
  const id = `sky.intrusion|1405811000132000${String(n).padStart(4, '0')}|20261124T1800`;
  return {
    id,
    sms: `【特急】米山镇第一小学 区域入侵 11-25 02:03起 02:13前确认 码K7Q${n}`,
    json: JSON.stringify({ kind: 'sanwang.alert', incidentId: id }),
    attributes: {
      jurisdiction: ['140581', '140581100'],
      severity: 1,
      network: 'sky',
      ruleId: 'sky.intrusion',
      county: '140581',
    },
  };
}
const alerts = (count: number) => Array.from({ length: count }, (_, i) => alert(i));
const allSucceed = (input: { PublishBatchRequestEntries?: { Id?: string }[] }) => ({
  Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}` })),
});

beforeEach(() => {
  sns.reset();
});

describe('SnsAlertPublisher', () => {
  it('publishes each alert as a JSON message with an SMS text and the attributes desks filter on', async () => {
    sns.on(PublishBatchCommand).callsFake(allSucceed);
    const one = alert(7);

    const results = await publisher.publish([one]);

    expect(results).toEqual([{ id: one.id, ok: true, messageId: 'msg-a0' }]);
    expect(sns).toHaveReceivedCommandExactlyOnceWith(PublishBatchCommand, {
      TopicArn: TOPIC,
      PublishBatchRequestEntries: [
        {
          Id: 'a0',
          Message: JSON.stringify({ default: one.json, sms: one.sms }),
          MessageStructure: 'json',
          MessageAttributes: {
            jurisdiction: { DataType: 'String.Array', StringValue: '["140581","140581100"]' },
            severity: { DataType: 'Number', StringValue: '1' },
            network: { DataType: 'String', StringValue: 'sky' },
            ruleId: { DataType: 'String', StringValue: 'sky.intrusion' },
            county: { DataType: 'String', StringValue: '140581' },
          },
        },
      ],
    });
  });

  it('publishes in batches of at most 10 and answers for every alert in order', async () => {
    sns.on(PublishBatchCommand).callsFake(allSucceed);
    const many = alerts(23);

    const results = await publisher.publish(many);

    const sizes = sns.commandCalls(PublishBatchCommand).map((c) => c.args[0].input.PublishBatchRequestEntries?.length);
    expect(sizes).toEqual([10, 10, 3]);
    expect(results.map((r) => r.id)).toEqual(many.map((a) => a.id));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(
      sns.commandCalls(PublishBatchCommand)[2]?.args[0].input.PublishBatchRequestEntries?.map((e) => e.Id),
    ).toEqual(['a0', 'a1', 'a2']);
  });

  it('reads back each entry of a batch that SNS answered with partial failures', async () => {
    sns.on(PublishBatchCommand).resolves({
      Successful: [
        { Id: 'a2', MessageId: 'msg-2' },
        { Id: 'a0', MessageId: 'msg-0' },
      ],
      Failed: [{ Id: 'a1', Code: 'InternalError', Message: 'try again', SenderFault: false }],
    });
    const three = alerts(4).slice(0, 3);

    const results = await publisher.publish(three);

    expect(results).toEqual([
      { id: three[0]!.id, ok: true, messageId: 'msg-0' },
      { id: three[1]!.id, ok: false, error: 'InternalError: try again' },
      { id: three[2]!.id, ok: true, messageId: 'msg-2' },
    ]);
  });

  it('counts an entry SNS said nothing about as failed', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [{ Id: 'a0', MessageId: 'msg-0' }] });
    const two = alerts(2);

    const results = await publisher.publish(two);

    expect(results[1]).toEqual({ id: two[1]!.id, ok: false, error: 'no result for entry' });
  });

  it('fails every alert of a batch whose call threw, and still publishes the other batches', async () => {
    sns
      .on(PublishBatchCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }))
      .callsFake(allSucceed);
    const twelve = alerts(12);

    const results = await publisher.publish(twelve);

    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 2);
    expect(results.slice(0, 10)).toEqual(
      twelve.slice(0, 10).map((a) => ({ id: a.id, ok: false, error: expect.stringContaining('Rate exceeded') })),
    );
    expect(results.slice(10)).toEqual([
      { id: twelve[10]!.id, ok: true, messageId: 'msg-a0' },
      { id: twelve[11]!.id, ok: true, messageId: 'msg-a1' },
    ]);
  });

  it('publishes nothing for no alerts', async () => {
    await expect(publisher.publish([])).resolves.toEqual([]);
    expect(sns).not.toHaveReceivedAnyCommand();
  });
});
