import { describe, expect, it } from 'vitest';
import { onvifAdapter } from '../../../../events/adapters/onvif.ts';

const notify = (utcTime: string) =>
  Buffer.from(
    '<b:Notify xmlns:b="http://docs.oasis-open.org/wsn/b-2" xmlns:s="http://www.onvif.org/ver10/schema"><b:NotificationMessage>' +
      '<b:Topic xmlns:t="http://www.onvif.org/ver10/topics">t:RuleEngine/TamperDetector/Tamper</b:Topic>' +
      `<b:Message><s:Message UtcTime="${utcTime}" PropertyOperation="Changed"><s:Data><s:SimpleItem Name="IsTamper" Value="true"/></s:Data></s:Message></b:Message>` +
      '</b:NotificationMessage></b:Notify>',
  );

describe('ONVIF UtcTime', () => {
  it('reads a UtcTime without Z as UTC, not as the deployment zone', () => {
    const outcome = onvifAdapter.parse({
      body: notify('2026-11-25T18:03:00'),
      contentType: 'application/soap+xml',
      query: { device: 'cam-1' },
      receivedAt: new Date('2026-11-25T18:03:01Z'),
      timeZone: 'Asia/Shanghai',
    });
    expect(outcome.events).toHaveLength(1);
    expect(Date.parse(outcome.events[0]!.occurredAt)).toBe(Date.parse('2026-11-25T18:03:00Z'));
  });
});

describe('GB/T 28181 AlarmPriority', () => {
  it('becomes the envelope devicePriority', async () => {
    const { gb28181Adapter } = await import('../../../../events/adapters/gb28181.ts');
    const body = Buffer.from(
      '<?xml version="1.0" encoding="UTF-8"?><Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>14058110001320000099</DeviceID>' +
        '<AlarmPriority>1</AlarmPriority><AlarmMethod>5</AlarmMethod><AlarmTime>2026-11-26T02:00:00</AlarmTime>' +
        '<Info><AlarmType>6</AlarmType></Info></Notify>',
    );
    const outcome = gb28181Adapter.parse({
      body,
      contentType: 'Application/MANSCDP+xml',
      query: {},
      receivedAt: new Date('2026-11-25T18:00:01Z'),
      timeZone: 'Asia/Shanghai',
    });
    expect(outcome.events[0]).toMatchObject({
      type: 'camera.intrusion',
      devicePriority: 1,
      place: { county: '140581' },
    });
  });
});
