import { cannot } from "@kerastore/core";
import { SavedModelError } from "./errors.js";
import type { PlannedNode } from "./function-plan.js";

/** The functional control flow ops the runner evaluates itself (their bodies are functions). */
export const CONTROL_FLOW_OPS: ReadonlySet<string> = new Set([
  "While",
  "StatelessWhile",
  "If",
  "StatelessIf",
  "Case",
  "StatelessCase",
]);

/** What control flow needs from the runner: calling a library function, reading a condition. */
export interface ControlFlowContext<T> {
  call(fn: string, inputs: readonly T[]): T[];
  /** The truth of a scalar condition tensor; control flow is unsupported without it. */
  truthy: ((t: T) => boolean) | undefined;
  /** The value of a scalar integer tensor (a `Case` branch index); `Case` is unsupported without it. */
  scalar: ((t: T) => number) | undefined;
  maxIterations: number;
  place: string;
}

/**
 * Runs a `While` (cond and body functions over the loop variables), an `If` (then or else
 * branch on the inputs after the condition) or a `Case` (the branch an index picks). A loop running past `maxIterations` is an error,
 * so a hostile condition cannot hang the caller.
 */
export function runControlFlow<T>(node: PlannedNode, inputs: readonly T[], ctx: ControlFlowContext<T>): T[] {
  if (node.op === "Case" || node.op === "StatelessCase") {
    const [index, ...rest] = inputs;
    if (ctx.scalar === undefined || index === undefined) {
      throw new SavedModelError(
        "unsupported",
        cannot("run", ctx.place, `op ${node.op} needs a backend that reads integers (backend.scalar)`),
      );
    }
    const branches = node.attrs.funcs("branches");
    if (branches.length === 0)
      throw new SavedModelError("corrupt", cannot("run", ctx.place, "a Case without branches"));
    const i = ctx.scalar(index);
    // As TensorFlow: an index out of range runs the last branch, the default.
    return ctx.call(branches[Number.isInteger(i) && i >= 0 && i < branches.length ? i : branches.length - 1]!, rest);
  }
  const truthy = ctx.truthy;
  if (truthy === undefined) {
    throw new SavedModelError(
      "unsupported",
      cannot("run", ctx.place, `op ${node.op} needs a backend that reads conditions (backend.truthy)`),
    );
  }
  if (node.op === "If" || node.op === "StatelessIf") {
    const [cond, ...rest] = inputs;
    if (cond === undefined) throw new SavedModelError("corrupt", cannot("run", ctx.place, "an If without a condition"));
    return ctx.call(node.attrs.func(truthy(cond) ? "then_branch" : "else_branch"), rest);
  }
  const cond = node.attrs.func("cond");
  const body = node.attrs.func("body");
  let vars = [...inputs];
  for (let i = 0; ; i++) {
    const [c] = ctx.call(cond, vars);
    if (c === undefined)
      throw new SavedModelError("corrupt", cannot("run", ctx.place, `loop condition ${cond} returns nothing`));
    if (!truthy(c)) return vars;
    if (i >= ctx.maxIterations) {
      throw new SavedModelError(
        "unsupported",
        cannot(
          "run",
          ctx.place,
          `the loop ran past ${ctx.maxIterations} iterations`,
          "raise maxIterations if it is meant to",
        ),
      );
    }
    const next = ctx.call(body, vars);
    if (next.length !== vars.length) {
      throw new SavedModelError(
        "corrupt",
        cannot("run", ctx.place, `loop body ${body} returns ${next.length} values for ${vars.length} loop variables`),
      );
    }
    vars = next;
  }
}
