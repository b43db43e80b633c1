import { KinesisClient } from '@aws-sdk/client-kinesis';

/** The default Kinesis client (HTTP/2); local mode fronts kinesalite with an HTTP/2 proxy rather than change it. */
export function createKinesisClient(): KinesisClient {
  return new KinesisClient({});
}
