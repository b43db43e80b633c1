import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Charset, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleOptions } from './bundle-options.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface HandlerFunctionProps {
  /** The folder under functions/ whose handler.ts exports `handler`; also names the Powertools service. */
  readonly name: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  /** What every function of the app shares. */
  readonly functionSettings: FunctionSettings;
}

/** Settings every function of the app shares, set once by the stack from the CDK context. */
export interface FunctionSettings {
  /** Write esbuild's metafile (`index.meta.json`) beside each bundle, to see what a bundle holds. */
  readonly bundleMetafile: boolean;
  /** How long the function's log group keeps its logs. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * One `functions/<name>/handler.ts` as a Node 24 arm64 Lambda: a minified ESM bundle with the AWS SDK inside, built
 * by the local esbuild (never Docker), its own log group, and a role without managed policies.
 */
export class HandlerFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    // Not under the data key: CloudWatch Logs already encrypts at rest, the shared logger masks personal data
    // (shared/adapters/logger.ts), and a CMK here would need a logs.<region> grant in the data key's policy.
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.functionSettings.logRetention });
    this.logGroup = logGroup;
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every group): write access to this one group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `sanwang-${props.name} execution role`,
    });
    logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: join(repoRoot, 'functions', props.name, 'handler.ts'),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: `sanwang-${props.name}`,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: bundleOptions.target,
        minify: bundleOptions.minify,
        keepNames: bundleOptions.keepNames,
        sourceMap: false,
        charset: Charset.UTF8,
        mainFields: [...bundleOptions.mainFields],
        banner: bundleOptions.banner,
        bundleAwsSDK: true,
        metafile: props.functionSettings.bundleMetafile,
        forceDockerBundling: false,
      },
    });
  }
}
