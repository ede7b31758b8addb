// Run by node-runtime.test.ts in a child process: sets up the WASM backend (threads of argv[2]),
// prints the process listeners it left, then fails the way argv[3] says ("throw": an uncaught
// error, "reject": an unhandled rejection), as a user's program would.
import { initBackend, tf } from "./node.js";

const [threads, how] = process.argv.slice(2);
await initBackend({ threads: Number(threads) });
tf.tensor([1, 2, 3]).dispose();
console.log(
  JSON.stringify({
    uncaughtException: process.listeners("uncaughtException").length,
    unhandledRejection: process.listeners("unhandledRejection").length,
  }),
);
if (how === "throw")
  setTimeout(() => {
    throw new Error("the user's own error");
  }, 0);
else void Promise.reject(new Error("the user's own rejection"));
