import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { DraftEvent } from '../../events/adapters/device-adapter.ts';
import { Place } from '../../events/common.ts';
import { maskPersonalData, pseudonymizeId } from '../domain/personal-data-masking.ts';
import { tableDesign } from '../table-design.ts';
import { batchGet, batchWrite } from './dynamo-batch.ts';

/** A registered device: where it is, so events that do not say it can be placed and routed. */
export const RegisteredDevice = z.object({
  sourceId: z.string(),
  status: z.literal('registered'),
  place: Place,
  name: z.string().optional(),
});
export type RegisteredDevice = z.infer<typeof RegisteredDevice>;

/** What an operator writes to register a device (config/devices.json is a list of these). */
export const DeviceRegistration = z.object({
  sourceId: z.string().min(1).max(64),
  name: z.string().max(40).optional(),
  place: Place,
});
export type DeviceRegistration = z.infer<typeof DeviceRegistration>;

/** Who sent held events and how: on release each is checked against that integration's registration. */
export interface HeldFrom {
  integrationId: string;
  /** The device format the events came in. */
  format: string;
}

/** One event kept for its device's registration. */
export interface HeldEvent {
  event: DraftEvent;
  receivedAt: string;
  /** Absent on events kept before sanwang recorded who sent them: those cannot be checked, so are not sent on. */
  from?: HeldFrom;
  key: { pk: string; sk: string };
}

/** What the ingest needs from the device registry. */
export interface DeviceRegistry {
  /** Registered devices among `sourceIds`; unknown or unregistered ids are absent. */
  find(sourceIds: readonly string[]): Promise<Map<string, RegisteredDevice>>;
  /** Keeps the events of an unregistered device until it is registered (then `takeHeld` hands them back). */
  hold(events: readonly DraftEvent[], receivedAt: string, from: HeldFrom): Promise<void>;
  /** Records that an unknown device sent events, so an operator sees it in the "needs registration" list. */
  noteUnregistered(
    sourceId: string,
    seen: { format: string; eventType: string; at: string; held: number },
  ): Promise<void>;
}

export const devicePk = (sourceId: string) => `DEVICE#${sourceId}`;
export const DEVICE_SK = 'DEVICE';
/** Partition of the unregistered devices in the by-county index: operators list them in one query. */
export const NEEDS_REGISTRATION = 'DEVICES#NEEDS-REGISTRATION';

/** Held events wait this long for an operator to register their device. */
export const HELD_RETENTION_DAYS = 14;

export class DynamoDeviceRegistry implements DeviceRegistry {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async hold(events: readonly DraftEvent[], receivedAt: string, from: HeldFrom): Promise<void> {
    const expiresAt = Math.floor(Date.parse(receivedAt) / 1000) + HELD_RETENTION_DAYS * 86_400;
    const requests = events.map((event) => ({
      PutRequest: {
        Item: {
          // The ingest pseudonymized the ids at the door; a key never holds personal data.
          pk: devicePk(pseudonymizeId(event.source.id)),
          sk: `HELD#${receivedAt}#${pseudonymizeId(event.id)}`,
          // Device payloads carry no personal fields by design; masking keeps it so if one ever does.
          event: maskPersonalData(event),
          receivedAt,
          integrationId: from.integrationId,
          format: from.format,
          expiresAt,
        },
      },
    }));
    await batchWrite(this.#client, this.#tableName, requests);
  }

  /** The held events of a device, oldest first, with a function that deletes the ones given. */
  async takeHeld(
    sourceId: string,
    now: Date,
  ): Promise<{ held: HeldEvent[]; remove(which: readonly HeldEvent[]): Promise<void> }> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :held)',
          ExpressionAttributeValues: { ':pk': devicePk(pseudonymizeId(sourceId)), ':held': 'HELD#' },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    const live = items.filter((i) => typeof i.expiresAt !== 'number' || i.expiresAt > now.getTime() / 1000);
    return {
      held: live.map((i) => ({
        event: i.event as DraftEvent,
        receivedAt: String(i.receivedAt),
        ...(typeof i.integrationId === 'string' && typeof i.format === 'string'
          ? { from: { integrationId: i.integrationId, format: i.format } }
          : {}),
        key: { pk: String(i.pk), sk: String(i.sk) },
      })),
      remove: async (which) => {
        if (which.length === 0) return;
        await batchWrite(
          this.#client,
          this.#tableName,
          which.map((h) => ({ DeleteRequest: { Key: h.key } })),
        );
      },
    };
  }

  async find(sourceIds: readonly string[]): Promise<Map<string, RegisteredDevice>> {
    const found = new Map<string, RegisteredDevice>();
    const keys = [...new Set(sourceIds)].map((id) => ({ pk: devicePk(id), sk: DEVICE_SK }));
    for (const item of await batchGet(this.#client, this.#tableName, keys)) {
      const device = RegisteredDevice.safeParse(item);
      if (device.success) found.set(device.data.sourceId, device.data);
    }
    return found;
  }

  /**
   * Registers (or re-registers) a device: its events are placed and routed from now on. A source id with personal
   * data is pseudonymized, as the ingest does with the events, so the two still meet.
   */
  async register(device: DeviceRegistration, now: Date): Promise<void> {
    const sourceId = pseudonymizeId(device.sourceId);
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          pk: devicePk(sourceId),
          sk: DEVICE_SK,
          ...device,
          sourceId,
          status: 'registered',
          registeredAt: now.toISOString(),
        },
      }),
    );
  }

  /** Devices that sent events but have no place yet, most recently seen last: what an operator must register. */
  async pending(): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: tableDesign.indexes.byCounty.name,
          KeyConditionExpression: `${tableDesign.indexes.byCounty.partitionKey} = :list`,
          ExpressionAttributeValues: { ':list': NEEDS_REGISTRATION },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.filter((item) => item.status === 'needs-registration');
  }

  async noteUnregistered(sourceId: string, seen: { format: string; eventType: string; at: string; held: number }) {
    await this.#client
      .send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { pk: devicePk(sourceId), sk: DEVICE_SK },
          UpdateExpression:
            'SET sourceId = :id, #status = if_not_exists(#status, :needs), gsi2pk = if_not_exists(gsi2pk, :list), ' +
            'gsi2sk = :sk, firstSeen = if_not_exists(firstSeen, :at), lastSeen = :at, lastFormat = :format, ' +
            'lastEventType = :type ADD heldEvents :held, postings :one',
          // A device an operator registered meanwhile is left alone.
          ConditionExpression: 'attribute_not_exists(#status) OR #status = :needs',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':id': sourceId,
            ':needs': 'needs-registration',
            ':list': NEEDS_REGISTRATION,
            ':sk': `${seen.at}#${sourceId}`,
            ':at': seen.at,
            ':format': seen.format,
            ':type': seen.eventType,
            ':held': seen.held,
            ':one': 1,
          },
        }),
      )
      .catch((error: { name?: string }) => {
        if (error.name !== 'ConditionalCheckFailedException') throw error;
      });
  }
}
