import { Annotations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Who hears the alarms: each list comes from CDK context (`opsEmail`, `opsHttps`, `opsSms`). */
export interface OpsContacts {
  readonly email: readonly string[];
  readonly https: readonly string[];
  readonly sms: readonly string[];
}

/**
 * Subscribes the on-call contacts to the ops topic. With none, the synth still works (a first `cdk synth` has no
 * context) but warns: an alarm that reaches nobody is a pipeline that fails silently.
 */
export class OpsSubscriptions extends Construct {
  constructor(scope: Construct, id: string, props: { topic: sns.ITopic; contacts: OpsContacts }) {
    super(scope, id);
    const { email, https, sms } = props.contacts;
    const protocols = [
      [sns.SubscriptionProtocol.EMAIL, 'email', email],
      [sns.SubscriptionProtocol.HTTPS, 'https', https],
      [sns.SubscriptionProtocol.SMS, 'sms', sms],
    ] as const;
    for (const [protocol, name, endpoints] of protocols) {
      // Ids carry a position, never the address: ids end up in logical ids and logs.
      endpoints.forEach((endpoint, i) => {
        new sns.Subscription(this, `${name}-${i + 1}`, { topic: props.topic, protocol, endpoint });
      });
    }
    if (email.length + https.length + sms.length === 0) {
      Annotations.of(props.topic).addWarningV2(
        'sanwang:ops-topic-unsubscribed',
        'Nobody is subscribed to the ops topic, so alarms reach no one: deploy with -c opsEmail=<address> or ' +
          '-c opsHttps=<https URL> (-c opsSms=<+number> outside the China regions). See README, Deploy.',
      );
    }
  }
}
