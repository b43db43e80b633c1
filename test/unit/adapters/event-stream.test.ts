import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { exampleEvent } from '../../../events/examples.ts';
import { KinesisEventStream } from '../../../shared/adapters/event-stream.ts';

const kinesis = mockClient(KinesisClient);
const stream = new KinesisEventStream({ client: new KinesisClient({}), streamName: 'sanwang-events', attempts: 3 });
const events = ['a', 'b', 'c'].map((id) =>
  exampleEvent('camera.tamper', { id, source: { id: `cam-${id}`, kind: 'camera' } }),
);

beforeEach(() => {
  kinesis.reset();
});

describe('KinesisEventStream', () => {
  it('puts each event with its source id as the partition key', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolves({ FailedRecordCount: 0, Records: events.map((_, i) => ({ SequenceNumber: `${i}`, ShardId: 's' })) });
    const outcomes = await stream.put(events);
    expect(outcomes).toEqual(events.map((e, i) => ({ id: e.id, ok: true, sequenceNumber: `${i}` })));
    const input = kinesis.commandCalls(PutRecordsCommand)[0]!.args[0].input;
    expect(input.StreamName).toBe('sanwang-events');
    expect(input.Records?.map((r) => r.PartitionKey)).toEqual(['cam-a', 'cam-b', 'cam-c']);
    expect(JSON.parse(Buffer.from(input.Records![1]!.Data!).toString())).toMatchObject({ id: 'b' });
  });

  it('retries only the records that failed inside an HTTP 200 answer', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { SequenceNumber: '1' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
          { SequenceNumber: '3' },
        ],
      })
      .resolvesOnce({ FailedRecordCount: 0, Records: [{ SequenceNumber: '4' }] });
    const outcomes = await stream.put(events);
    expect(outcomes.map((o) => o.ok && o.sequenceNumber)).toEqual(['1', '4', '3']);
    const retried = kinesis.commandCalls(PutRecordsCommand)[1]!.args[0].input.Records!;
    expect(retried.map((r) => r.PartitionKey)).toEqual(['cam-b']);
  });

  it('reports what still fails after every attempt as failed, never as accepted', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: input.Records.length,
      Records: input.Records.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'try later' })),
    }));
    const outcomes = await stream.put(events);
    expect(outcomes).toEqual(events.map((e) => ({ id: e.id, ok: false, error: 'InternalFailure: try later' })));
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(3);
  });

  it('treats a thrown call as a failure of every record in it', async () => {
    kinesis.on(PutRecordsCommand).rejects(new Error('socket hang up'));
    const outcomes = await stream.put(events.slice(0, 1));
    expect(outcomes).toEqual([{ id: 'a', ok: false, error: 'Error: socket hang up' }]);
  });

  it('splits more than 500 events into calls of 500', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map((_, i) => ({ SequenceNumber: String(i) })),
    }));
    const many = Array.from({ length: 1001 }, (_, i) => exampleEvent('camera.tamper', { id: `e${i}` }));
    const outcomes = await stream.put(many);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length)).toEqual([500, 500, 1]);
  });
});
