import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bundleModule } from './bundle.ts';
import type { FunctionInvoker, LocalFunctionRunner } from './function-invoker.ts';
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
  /** The platform's clock (local/shared-clock.ts), installed in the environment before Init. */
  clock?: SharedArrayBuffer;
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

/** A handler an environment loads: its function's settings and the bundled module. */
interface HostedFunction {
  options: LambdaFunctionOptions;
  handler: URL;
}

interface Pending {
  functionName: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One execution environment: a worker thread that imported its handler modules (Init) and runs invocations with a
 * fresh context each. A dedicated environment hosts one function and runs one invocation at a time (its pool sees
 * to that); the shared one hosts every function and runs their invocations side by side.
 */
class Environment {
  readonly worker: Worker;
  /** Resolves once the modules are imported (Init done); rejects with the init error. */
  readonly ready: Promise<void>;
  alive = true;
  /** CPU milliseconds this environment's thread has used (Linux), as last read. */
  lastCpuMs = 0;
  readonly #pending = new Map<number, Pending>();
  #next = 0;

  constructor(
    code: URL,
    hosted: HostedFunction[],
    settings: { env: Record<string, string>; memoryMB: number; label: string; clock?: SharedArrayBuffer },
    private readonly onGone: (env: Environment) => void,
  ) {
    const label = settings.label;
    this.worker = new Worker(code, {
      execArgv: workerExecArgv(),
      workerData: {
        ...(settings.clock ? { clock: settings.clock } : {}),
        functions: Object.fromEntries(
          hosted.map((h) => [
            h.options.functionName,
            { module: h.handler.href, exportName: h.options.exportName ?? 'handler' },
          ]),
        ),
      },
      env: settings.env,
      // Lambda's memory setting bounds the heap: a handler that outgrows it fails as Runtime.OutOfMemory.
      resourceLimits: { maxOldGenerationSizeMb: settings.memoryMB },
    });
    this.ready = new Promise((resolveReady, rejectReady) => {
      this.worker.on('message', (message: EnvironmentMessage) => {
        if (message.type === 'ready') resolveReady();
        else if (message.type === 'result') this.#settle(message);
      });
      this.worker.on('error', (error) => {
        rejectReady(new FunctionError('Runtime.InitError', `${label}: ${error.message}`, error.stack));
        const gone =
          (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new FunctionError('Runtime.OutOfMemory', `${label}: ${error.message}`)
            : new FunctionError(error.name, error.message, error.stack);
        this.#fail(() => gone);
      });
      this.worker.on('exit', (code) => {
        const gone = new FunctionError('Runtime.ExitError', `${label}: exited with code ${code}`);
        rejectReady(gone);
        this.#fail(() => gone);
      });
    });
    // An init error is reported by the invocation that waited for it.
    this.ready.catch(() => {});
  }

  /** Runs one invocation; rejects with FunctionTimeoutError and stops the environment when it overruns. */
  run(options: LambdaFunctionOptions, event: unknown): Promise<unknown> {
    const spec = invocationSpec(toLocalFunction(options));
    const id = this.#next++;
    return new Promise((resolveRun, rejectRun) => {
      const timer = setTimeout(() => {
        // What Lambda does: the invocation fails and the environment is reset; nothing it was doing goes on. In the
        // shared environment that stops what the other functions were doing too: their invocations fail and are
        // retried (streams) or answered 500 (HTTP API).
        const timedOut = new FunctionTimeoutError(options.functionName, options.timeoutMs);
        this.#fail((p) =>
          p === id
            ? timedOut
            : new FunctionError('Runtime.ExitError', `the shared environment was reset: ${timedOut.message}`),
        );
      }, options.timeoutMs);
      this.#pending.set(id, { functionName: options.functionName, resolve: resolveRun, reject: rejectRun, timer });
      this.worker.postMessage({
        type: 'invoke',
        id,
        functionName: options.functionName,
        spec,
        event,
      } satisfies InvokeMessage);
    });
  }

  stop(): Promise<number> {
    this.alive = false;
    return this.worker.terminate();
  }

  async cpuMs(): Promise<number> {
    this.lastCpuMs = (await workerCpuMs(this.worker)) ?? this.lastCpuMs;
    return this.lastCpuMs;
  }

  #settle(message: Extract<EnvironmentMessage, { type: 'result' }>): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(JSON.parse(message.json));
    else pending.reject(new FunctionError(message.error.name, message.error.message, message.error.stack));
  }

  /** The environment is gone (timed out, crashed, out of memory): fail what it ran and never use it again. */
  #fail(errorFor: (id: number) => Error): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(errorFor(id));
    }
    this.#pending.clear();
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
  #code?: Promise<{ environment: URL; handler: URL }>;
  #bundles?: { environment: URL; handler: URL };

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
    // Invocations waiting for an environment fail now instead of waiting for ever.
    for (const wake of this.#waiting.splice(0)) wake();
    const all = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(all.map((env) => env.stop()));
  }

  async #prepare(): Promise<void> {
    this.#code ??= bundlesFor(this.#options);
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
    const { environment, handler } = this.#bundles as { environment: URL; handler: URL };
    const options = this.#options;
    const settings = {
      env: lambdaEnvironment(options),
      memoryMB: options.memoryMB,
      label: options.functionName,
      ...(options.clock ? { clock: options.clock } : {}),
    };
    const env = new Environment(environment, [{ options, handler }], settings, (gone) => {
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

/** The environment's code and the function's handler module, bundled. */
async function bundlesFor(options: LambdaFunctionOptions): Promise<{ environment: URL; handler: URL }> {
  const { module } = options;
  const [environment, handler] = await Promise.all([
    bundleModule(new URL('./lambda-environment.ts', import.meta.url)),
    bundleModule(module instanceof URL ? module : pathToFileURL(resolve(module))),
  ]);
  return { environment, handler };
}

/**
 * Every function in one execution environment (one worker thread), their invocations side by side: one isolate
 * compiles the SDK and the handlers once, which on a busy 2-core machine costs about a third less CPU per event
 * than an environment per function and invocation (README, Local mode under load). An invocation that overruns
 * still stops: the environment is terminated and replaced, and whatever else it was running fails with it. The
 * functions share one process.env (the union of their variables) and module scope per function.
 */
export class SharedEnvironment {
  readonly #functions: LambdaFunctionOptions[];
  readonly #counters = new Map<string, { invocations: number; errors: number; timeouts: number }>();
  #env?: Environment;
  #environments = 0;
  #goneCpuMs = 0;
  #code?: Promise<{ environment: URL; hosted: HostedFunction[] }>;
  #stopped = false;

  constructor(functions: LambdaFunctionOptions[]) {
    this.#functions = functions;
    for (const fn of functions) this.#counters.set(fn.functionName, { invocations: 0, errors: 0, timeouts: 0 });
  }

  /** Bundles the handlers and starts the environment, waiting for its Init. */
  async start(): Promise<void> {
    await (await this.#current()).ready;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#env?.stop();
    this.#env = undefined;
  }

  /** The runner of one hosted function, as the event sources and the HTTP API call it. */
  function(functionName: string): LocalFunctionRunner {
    const options = this.#functions.find((f) => f.functionName === functionName);
    if (!options) throw new Error(`${functionName} is not hosted here`);
    const counters = this.#counters.get(functionName)!;
    const host = this;
    return {
      functionName,
      timeoutMs: options.timeoutMs,
      start: () => this.start(),
      stop: () => this.stop(),
      get stats() {
        return { ...counters, coldStarts: host.#environments, environments: host.#env?.alive ? 1 : 0 };
      },
      // The environment's CPU is the host's, not one function's: usage() has it.
      cpuMs: async () => 0,
      invoke: async (event) => {
        counters.invocations += 1;
        try {
          const env = await this.#current();
          await env.ready;
          return await env.run(options, event);
        } catch (error) {
          counters.errors += 1;
          if (error instanceof FunctionTimeoutError) counters.timeouts += 1;
          throw error;
        }
      },
    };
  }

  /** Environments started so far (each one a cold start of every function) and the CPU they used. */
  async usage(): Promise<{ coldStarts: number; cpuMs: number }> {
    const alive = this.#env ? await this.#env.cpuMs() : 0;
    return { coldStarts: this.#environments, cpuMs: this.#goneCpuMs + alive };
  }

  async #current(): Promise<Environment> {
    if (this.#stopped) throw new Error('the shared environment is stopped');
    this.#code ??= (async () => {
      const bundled = await Promise.all(this.#functions.map((options) => bundlesFor(options)));
      return {
        environment: bundled[0]!.environment,
        hosted: this.#functions.map((options, i) => ({ options, handler: bundled[i]!.handler })),
      };
    })();
    const { environment, hosted } = await this.#code;
    if (this.#env?.alive) return this.#env;
    const env = Object.assign({}, ...this.#functions.map((f) => f.environment)) as Record<string, string>;
    const settings = {
      env: { ...env, AWS_LAMBDA_FUNCTION_VERSION: '$LATEST' },
      memoryMB: this.#functions.reduce((sum, f) => sum + f.memoryMB, 0),
      label: 'the shared environment',
      ...(this.#functions[0]?.clock ? { clock: this.#functions[0].clock } : {}),
    };
    this.#env = new Environment(environment, hosted, settings, (gone) => {
      this.#goneCpuMs += gone.lastCpuMs;
    });
    this.#environments += 1;
    return this.#env;
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
