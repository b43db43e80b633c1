/**
 * Faults for the history harness, injected where a Lambda invocation meets AWS: its SDK clients. Each execution
 * environment (a "container") has its own clients, and each invocation in it a plan saying which call it dies after,
 * or which calls are throttled. A crash makes every later call of the invocation fail at once, as a process that died
 * would make no more calls; the harness then treats the invocation as failed, whatever the handler returned.
 */

/** What one invocation suffers: nothing, a crash after its n-th AWS call, or n calls throttled from its k-th. */
export type Fault =
  | { kind: 'none' }
  | { kind: 'crash'; afterCall: number }
  | { kind: 'throttle'; fromCall: number; calls: number };

export class CrashError extends Error {
  override name = 'CrashError';
}

/** The invocation in progress in a container: counts its calls and applies its fault. */
export class InvocationPlan {
  calls = 0;
  dead = false;
  /** The call after which the invocation died. */
  crashedAfter?: string;
  /**
   * Texts the container has sent whose outcome is not in the delivery records yet: this invocation's, and those an
   * earlier invocation of the same container sent, failed to record and remembers (lost with it if it dies).
   */
  readonly unrecorded: { texts: number };

  constructor(
    readonly fault: Fault,
    unrecorded: { texts: number } = { texts: 0 },
  ) {
    this.unrecorded = unrecorded;
  }

  /** Before a call: throws what the call should meet instead of AWS. */
  before(command: string): number {
    if (this.dead) throw new CrashError(`the invocation died before ${command}`);
    const n = ++this.calls;
    const f = this.fault;
    if (f.kind === 'throttle' && n >= f.fromCall && n < f.fromCall + f.calls) {
      // Past the SDK's own retries: what the handler sees when throttling outlasts them.
      throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
        name: command.startsWith('Publish') ? 'Throttled' : 'ProvisionedThroughputExceededException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    return n;
  }

  /** After a call reached AWS and came back: the invocation may die here. */
  after(command: string, n: number, input: unknown): void {
    // One text per Publish to a phone number; a delivery records' write records the outcome of the texts it names
    // (incidents are notified side by side, so one incident's write records nothing of another's texts).
    if (command.startsWith('Publish')) this.unrecorded.texts++;
    if (command.startsWith('BatchWrite'))
      this.unrecorded.texts = Math.max(0, this.unrecorded.texts - sentRecords(input));
    if (this.fault.kind === 'crash' && n === this.fault.afterCall && !this.dead) {
      this.dead = true;
      this.crashedAfter = command;
    }
  }

  /** The texts that may go out twice because the invocation died: sent, outcome not yet in the records. */
  get crashWindowAlerts(): number {
    return this.dead ? this.unrecorded.texts : 0;
  }
}

/** An execution environment: its clients are built once, its plan changes with every invocation. */
export class Container {
  /** Lives as long as the container: a crash replaces it, and what it remembered is gone. */
  readonly unrecorded = { texts: 0 };
  plan = new InvocationPlan({ kind: 'none' }, this.unrecorded);
  /** While true, every SNS call fails as during a regional outage. */
  snsDown: () => boolean = () => false;
}

/** Puts the container's plan in front of every call the client makes (outside the SDK's retry loop). */
export function withFaults<C extends { middlewareStack: unknown }>(
  client: C,
  container: Container,
  service: 'dynamodb' | 'sns',
): C {
  const stack = client.middlewareStack as {
    add(middleware: unknown, options: { step: 'initialize'; name: string; priority: 'high' }): void;
  };
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const command = context.commandName ?? 'Command';
      if (service === 'sns' && container.snsDown()) {
        throw Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', $metadata: {} });
      }
      const n = container.plan.before(command);
      const out = await next(args);
      container.plan.after(command, n, (args as { input?: unknown }).input);
      return out;
    },
    { step: 'initialize', name: 'harnessFaults', priority: 'high' },
  );
  return client;
}

/** Delivery records written as sent in a BatchWriteItem input, marshalled or not. */
function sentRecords(input: unknown): number {
  const requests = (input as { RequestItems?: Record<string, { PutRequest?: { Item?: Record<string, unknown> } }[]> })
    ?.RequestItems;
  let n = 0;
  for (const writes of Object.values(requests ?? {})) {
    for (const w of writes) {
      const item = w.PutRequest?.Item;
      const status = item?.status as unknown;
      const sk = item?.sk as unknown;
      const text = (v: unknown) => (typeof v === 'string' ? v : (v as { S?: string } | undefined)?.S);
      if (text(sk)?.startsWith('ALERT#') && text(status) === 'sent') n++;
    }
  }
  return n;
}
