import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Platform } from '../../local/platform.ts';
import type { Incident } from '../../shared/domain/incident.ts';

/** The incidents of Gaoping (140581) that `source` fed, read from the by-county index as a desk's console would. */
export async function incidentsOf(platform: Platform, source: string): Promise<Incident[]> {
  const out = await platform.clients.documents.send(
    new QueryCommand({
      TableName: platform.resources.tableName,
      IndexName: 'by-county',
      KeyConditionExpression: 'gsi2pk = :pk',
      ExpressionAttributeValues: { ':pk': 'COUNTY#140581' },
    }),
  );
  return ((out.Items ?? []) as Incident[]).filter((i) => i.sources.includes(source));
}
