import type { TestProject } from 'vitest/node';
import { type LocalEndpoints, startLocalServers } from '../../local/servers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    localEndpoints: LocalEndpoints;
  }
}

/** Starts the local DynamoDB, Kinesis and SNS/SQS servers once for the integration project. */
export default async function setup(project: TestProject) {
  const servers = await startLocalServers();
  project.provide('localEndpoints', servers.endpoints);
  return () => servers.stop();
}
