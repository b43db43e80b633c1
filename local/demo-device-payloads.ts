/** A payload in a device's own format, posted to /v1/events/<format>. */
export interface DevicePayload {
  label: string;
  format: string;
  contentType: string;
  body: string | Buffer;
  device?: string;
}

// "东门围墙区域入侵" in GB2312, as an old GB/T 28181 platform sends it (Node can decode GB2312 but not encode it).
const GB2312_DESCRIPTION = Buffer.from('b6abc3c5cea7c7bdc7f8d3f2c8ebc7d6', 'hex');

/** One payload in each device format, from the demo's registered devices (config/devices.json) plus one unknown. */
export function devicePayloads(date: string): DevicePayload[] {
  const local = (hhmm: string) => `${date}T${hhmm}:00`;
  const epoch = (hhmm: string) => Date.parse(`${local(hhmm)}+08:00`) / 1000;
  const gb = Buffer.concat([
    Buffer.from(
      `<?xml version="1.0" encoding="GB2312"?>\n<Notify>\n<CmdType>Alarm</CmdType>\n<SN>20331</SN>\n` +
        `<DeviceID>14058110001320000099</DeviceID>\n<AlarmPriority>2</AlarmPriority>\n<AlarmMethod>5</AlarmMethod>\n` +
        `<AlarmTime>${local('02:47')}</AlarmTime>\n<AlarmDescription>`,
    ),
    GB2312_DESCRIPTION,
    Buffer.from(
      '</AlarmDescription>\n<Info>\n<AlarmType>6</AlarmType>\n<AlarmTypeParam><EventType>1</EventType></AlarmTypeParam>\n</Info>\n</Notify>\n',
    ),
  ]);
  return [
    {
      label: 'Hikvision ISAPI XML, 火车站广场 line crossing',
      format: 'hikvision',
      contentType: 'application/xml',
      body:
        '<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">\n' +
        '<ipAddress>10.14.5.81</ipAddress><portNo>80</portNo><protocol>HTTP</protocol><macAddress>44:a6:42:0b:2c:1d</macAddress>\n' +
        `<channelID>1</channelID><dateTime>${local('02:46')}+08:00</dateTime><activePostCount>1</activePostCount>\n` +
        '<eventType>linedetection</eventType><eventState>active</eventState><eventDescription>linedetection alarm</eventDescription>\n' +
        '<channelName>广场东侧</channelName>\n</EventNotificationAlert>\n',
    },
    {
      label: 'Hikvision heartbeat',
      format: 'hikvision',
      contentType: 'application/xml',
      body:
        '<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"><macAddress>44:a6:42:0b:2c:1d</macAddress>' +
        `<channelID>1</channelID><dateTime>${local('02:46')}+08:00</dateTime><activePostCount>0</activePostCount>` +
        '<eventType>videoloss</eventType><eventState>inactive</eventState><eventDescription>videoloss alarm</eventDescription></EventNotificationAlert>',
    },
    {
      label: 'ONVIF Notify, 出租屋 tamper',
      format: 'onvif',
      contentType: 'application/soap+xml',
      device: 'onvif-axis-0031',
      body:
        '<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:b="http://docs.oasis-open.org/wsn/b-2" xmlns:s="http://www.onvif.org/ver10/schema">\n' +
        '<env:Body><b:Notify><b:NotificationMessage>\n' +
        '<b:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet" xmlns:t1="http://www.onvif.org/ver10/topics">t1:RuleEngine/TamperDetector/Tamper</b:Topic>\n' +
        `<b:Message><s:Message UtcTime="${new Date(epoch('02:47') * 1000).toISOString()}" PropertyOperation="Changed">\n` +
        '<s:Source><s:SimpleItem Name="VideoSourceConfigurationToken" Value="1"/></s:Source>\n' +
        '<s:Data><s:SimpleItem Name="IsTamper" Value="true"/></s:Data></s:Message></b:Message>\n' +
        '</b:NotificationMessage></b:Notify></env:Body></env:Envelope>\n',
    },
    {
      label: 'GB/T 28181 alarm in GB2312, a camera nobody registered',
      format: 'gb28181',
      contentType: 'application/manscdp+xml',
      body: gb,
    },
    {
      label: 'Dahua event stream, 城郊路口 loitering + heartbeat',
      format: 'dahua',
      contentType: 'text/plain',
      device: 'dahua-nvr-07',
      body: `Heartbeat\nCode=WanderDetection;action=Start;index=0;data={"Name":"路口","UTC":${epoch('02:48')}}\n`,
    },
    {
      label: 'Frigate review, KTV 门口 person in zone',
      format: 'frigate',
      contentType: 'application/json',
      body: JSON.stringify({
        type: 'new',
        before: null,
        after: {
          id: `${epoch('02:48')}.5-ktv01`,
          camera: 'ktv-door',
          start_time: epoch('02:48') + 0.5,
          end_time: null,
          severity: 'alert',
          thumb_path: '/media/frigate/clips/review/thumb-ktv-door.webp',
          data: { detections: ['d1'], objects: ['person'], sub_labels: [], zones: ['door'], audio: [] },
        },
      }),
    },
    {
      label: 'Hikvision from a camera nobody registered',
      format: 'hikvision',
      contentType: 'application/xml',
      body:
        '<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"><ipAddress>10.9.9.9</ipAddress>' +
        `<macAddress>00:11:22:33:44:55</macAddress><channelID>1</channelID><dateTime>${local('02:49')}+08:00</dateTime>` +
        '<activePostCount>1</activePostCount><eventType>fielddetection</eventType><eventState>active</eventState></EventNotificationAlert>',
    },
  ];
}
