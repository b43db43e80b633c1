import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * S3 on-failure destination that grants only what Lambda needs to write a failed batch (s3:PutObject, s3:ListBucket
 * and the bucket key), where `S3OnFailureDestination` grants read and delete on the whole bucket.
 */
export class QuarantineDestination implements lambda.IEventSourceDlq {
  constructor(private readonly bucket: s3.IBucket) {}

  bind(_mapping: lambda.IEventSourceMapping, target: lambda.IFunction): lambda.DlqDestinationConfig {
    target.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('*')] }),
    );
    target.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    this.bucket.encryptionKey?.grant(target, 'kms:GenerateDataKey', 'kms:Decrypt');
    return { destination: this.bucket.bucketArn };
  }
}
