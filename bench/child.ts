import { spawn } from "node:child_process";

/**
 * Runs `node --import tsx <script> <args>` and resolves with the JSON on the stdout line that starts with `marker`:
 * the benchmarks run each local stack in a process of its own (the handlers read their configuration once, at import).
 */
export function resultOfChild<T>(script: string, args: string[], marker: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      // The SDK's notices on an old local Node are noise here (Lambda runs Node 22).
      env: {
        ...process.env,
        AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: "1",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.once("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith(`${marker} `));
      if (code !== 0 || !line) reject(new Error(`${script} ${args[0] ?? ""} failed (exit ${code})`));
      else resolve(JSON.parse(line.slice(marker.length + 1)) as T);
    });
  });
}
