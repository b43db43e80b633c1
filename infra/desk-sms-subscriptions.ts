import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type DutyDesk, deskFilterPolicy } from '../shared/domain/duty-desks.ts';

/** Subscribes each desk's SMS numbers to the alert topic, filtered to the desk's jurisdiction and severities. */
export class DeskSmsSubscriptions extends Construct {
  constructor(scope: Construct, id: string, props: { topic: sns.ITopic; desks: readonly DutyDesk[] }) {
    super(scope, id);
    for (const desk of props.desks) {
      // The domain owns the policy shape; SubscriptionFilter only wraps each attribute's condition list.
      const filterPolicy = Object.fromEntries(
        Object.entries(deskFilterPolicy(desk)).map(([attribute, conditions]) => [
          attribute,
          new sns.SubscriptionFilter(conditions),
        ]),
      );
      desk.sms.forEach((number, i) => {
        // Ids carry the desk id and a position, never the number: ids end up in logical ids and logs.
        new sns.Subscription(this, `${desk.id}-sms-${i + 1}`, {
          topic: props.topic,
          protocol: sns.SubscriptionProtocol.SMS,
          endpoint: number,
          filterPolicy,
        });
      });
    }
  }
}
