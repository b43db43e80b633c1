import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bundleModule } from './bundle.ts';
import type { FunctionInvoker } from './function-invoker.ts';
import { FunctionTimeoutError, invocationSpec, type LocalFunction } from './lambda-context.ts';
import type { EnvironmentMessage, InvokeMessage } from './lambda-environment.ts';
import { workerCpuMs } from './thread-cpu.ts';
import { workerExecArgv } from './worker-thread.ts';

/** A handler module run the way Lambda runs it. */
export interface LambdaFunctionOptions {
  functionName: string;
  /** The handler module (a path from the working directory, or a URL) and its export, as Lambda's handler setting. */
  module: string | URL;
  exportName?: string;
  timeoutMs: number;
  memoryMB: number;
  /** The function's environment variables; an environment sees these and Lambda's own, nothing of this process. */
  environment: Record<string, string>;
  region?: string;
  /**
   * Execution environments at most. An invocation that finds them all busy waits for one (Lambda would start
   * another, or throttle past the function's concurrency). Default 4.
   */
  maxEnvironments?: number;
}

/** Counters of one function since it started. */
export interface LambdaFunctionStats {
  invocations: number;
  errors: number;
  timeouts: number;
  /** Environments started (each one an Init: the handler module imported afresh). */
  coldStarts: number;
  /** Environments alive now. */
  environments: number;
}

/** An invocation that failed inside the function: the error as the handler threw it (name and message kept). */
export class FunctionError extends Error {
  constructor(name: string, message: string, stack?: string) {
    super(message);
    this.name = name;
    if (stack) this.stack = stack;
  }
}

/** The code an environment loads: the environment itself and the function's handler module, both bundled. */
interface Bundles {
  environment: URL;
  handler: URL;
}

/** One execution environment: a worker thread that imported the handler module and runs one invocation at a time. */
class Environment {
  readonly worker: Worker;
  /** Resolves once the module is imported (Init done); rejects with the init error. */
  readonly ready: Promise<void>;
  alive = true;
  #pending?: { resolve(value: unknown): void; reject(error: Error): void; timer: NodeJS.Timeout };

  constructor(
    options: LambdaFunctionOptions,
    code: Bundles,
    private readonly onGone: (env: Environment) => void,
  ) {
    this.worker = new Worker(code.environment, {
      execArgv: workerExecArgv(),
      workerData: { module: code.handler.href, exportName: options.exportName ?? 'handler' },
      env: lambdaEnvironment(options),
      // Lambda's memory setting bounds the heap: a handler that outgrows it fails as Runtime.OutOfMemory.
      resourceLimits: { maxOldGenerationSizeMb: options.memoryMB },
    });
    this.ready = new Promise((resolveReady, rejectReady) => {
      this.worker.on('message', (message: EnvironmentMessage) => {
        if (message.type === 'ready') resolveReady();
        else if (message.type === 'result') this.#settle(message);
      });
      this.worker.on('error', (error) => {
        rejectReady(new FunctionError('Runtime.InitError', `${options.functionName}: ${error.message}`, error.stack));
        this.#fail(
          (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new FunctionError('Runtime.OutOfMemory', `${options.functionName}: ${error.message}`)
            : new FunctionError(error.name, error.message, error.stack),
        );
      });
      this.worker.on('exit', (code) => {
        rejectReady(new FunctionError('Runtime.ExitError', `${options.functionName}: exited with code ${code}`));
        this.#fail(new FunctionError('Runtime.ExitError', `${options.functionName}: exited with code ${code}`));
      });
    });
    // An init error is reported by the invocation that waited for it.
    this.ready.catch(() => {});
  }

  /** Runs one invocation; rejects with FunctionTimeoutError and stops the environment when it overruns. */
  run(options: LambdaFunctionOptions, event: unknown): Promise<unknown> {
    const spec = invocationSpec(toLocalFunction(options));
    return new Promise((resolveRun, rejectRun) => {
      const timer = setTimeout(() => {
        // What Lambda does: the invocation fails and the environment is reset; nothing it was doing goes on.
        this.#fail(new FunctionTimeoutError(options.functionName, options.timeoutMs));
      }, options.timeoutMs);
      this.#pending = { resolve: resolveRun, reject: rejectRun, timer };
      this.worker.postMessage({ type: 'invoke', spec, event } satisfies InvokeMessage);
    });
  }

  stop(): Promise<number> {
    this.alive = false;
    return this.worker.terminate();
  }

  /** CPU milliseconds this environment's thread has used (Linux), as last read. */
  lastCpuMs = 0;

  async cpuMs(): Promise<number> {
    this.lastCpuMs = (await workerCpuMs(this.worker)) ?? this.lastCpuMs;
    return this.lastCpuMs;
  }

  #settle(message: Extract<EnvironmentMessage, { type: 'result' }>): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(JSON.parse(message.json));
    else pending.reject(new FunctionError(message.error.name, message.error.message, message.error.stack));
  }

  /** The environment is gone (timed out, crashed, out of memory): fail what it ran and never use it again. */
  #fail(error: Error): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    if (this.alive) {
      this.alive = false;
      this.onGone(this);
      void this.worker.terminate();
    }
  }
}

/**
 * A function as Lambda runs it: execution environments in worker threads, each importing the handler module once
 * (Init) and running one invocation at a time with a fresh context and the function's timeout. An invocation that
 * overruns fails with `Sandbox.Timedout` and its environment is terminated — the work stops, as Lambda's reset does —
 * and the next invocation gets a new environment (a cold start). Environments use both cores of this machine.
 */
export class LambdaFunction implements FunctionInvoker {
  readonly functionName: string;
  readonly timeoutMs: number;
  readonly #options: LambdaFunctionOptions;
  readonly #idle: Environment[] = [];
  readonly #all = new Set<Environment>();
  readonly #waiting: Array<() => void> = [];
  readonly #counters = { invocations: 0, errors: 0, timeouts: 0, coldStarts: 0 };
  /** CPU milliseconds of environments that are gone, as last read. */
  #goneCpuMs = 0;
  #stopped = false;
  #code?: Promise<Bundles>;
  #bundles?: Bundles;

  constructor(options: LambdaFunctionOptions) {
    this.#options = options;
    this.functionName = options.functionName;
    this.timeoutMs = options.timeoutMs;
  }

  get stats(): LambdaFunctionStats {
    return { ...this.#counters, environments: this.#all.size };
  }

  /** CPU milliseconds of all its environments so far, those gone as last read (Linux; 0 elsewhere). */
  async cpuMs(): Promise<number> {
    const alive = await Promise.all([...this.#all].map((env) => env.cpuMs()));
    return alive.reduce((sum, ms) => sum + ms, this.#goneCpuMs);
  }

  /**
   * Bundles the handler module and starts one environment, waiting for its Init, so that a handler that cannot
   * start fails here, naming the cause. invoke() does this itself when start() was not called.
   */
  async start(): Promise<void> {
    await this.#prepare();
    const env = this.#create();
    await env.ready;
    this.#release(env);
  }

  async invoke(event: unknown): Promise<unknown> {
    if (this.#stopped) throw new Error(`${this.functionName} is stopped`);
    this.#counters.invocations += 1;
    const env = await this.#acquire();
    try {
      await env.ready;
      return await env.run(this.#options, event);
    } catch (error) {
      this.#counters.errors += 1;
      if (error instanceof FunctionTimeoutError) this.#counters.timeouts += 1;
      throw error;
    } finally {
      this.#release(env);
    }
  }

  /** Terminates every environment, busy or not. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const all = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(all.map((env) => env.stop()));
  }

  async #prepare(): Promise<void> {
    const { module } = this.#options;
    this.#code ??= Promise.all([
      bundleModule(new URL('./lambda-environment.ts', import.meta.url)),
      bundleModule(module instanceof URL ? module : pathToFileURL(resolve(module))),
    ]).then(([environment, handler]) => ({ environment, handler }));
    this.#bundles = await this.#code;
  }

  async #acquire(): Promise<Environment> {
    if (!this.#bundles) await this.#prepare();
    for (;;) {
      const idle = this.#idle.pop();
      if (idle?.alive) return idle;
      if (idle) continue;
      if (this.#all.size < (this.#options.maxEnvironments ?? 4)) return this.#create();
      await new Promise<void>((wake) => this.#waiting.push(wake));
      if (this.#stopped) throw new Error(`${this.functionName} is stopped`);
    }
  }

  #create(): Environment {
    const env = new Environment(this.#options, this.#bundles as Bundles, (gone) => {
      this.#goneCpuMs += gone.lastCpuMs;
      this.#all.delete(gone);
      this.#waiting.shift()?.();
    });
    this.#all.add(env);
    this.#counters.coldStarts += 1;
    return env;
  }

  #release(env: Environment): void {
    if (env.alive && !this.#stopped) this.#idle.push(env);
    this.#waiting.shift()?.();
  }
}

function toLocalFunction(options: LambdaFunctionOptions): LocalFunction {
  return {
    functionName: options.functionName,
    timeoutMs: options.timeoutMs,
    memoryLimitInMB: options.memoryMB,
    ...(options.region ? { region: options.region } : {}),
  };
}

/** What an environment's process.env holds: the function's variables and the ones Lambda sets itself. */
function lambdaEnvironment(options: LambdaFunctionOptions): Record<string, string> {
  return {
    ...options.environment,
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMB),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.functionName}`,
  };
}
