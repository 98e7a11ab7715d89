// Child process for appliance/hardware/lock-safety.test.ts: unlocks a sysfs lock, installs the safety handlers and
// then dies the way argv[3] says, so the test can check the relay file afterwards.
import { SysfsLockOutput } from "../../appliance/hardware/lock.sysfs.js";
import { installLockSafetyHandlers } from "../../appliance/hardware/lock-safety.js";
import { silentLogger } from "../../shared/logger.js";
import { timerlessLock } from "./hardware.js";

const [root, how] = process.argv.slice(2);
const output = new SysfsLockOutput({ bcm: 27, sysfsRoot: root, logger: silentLogger });
const lock = timerlessLock(output);
await lock.start();
await lock.unlock();
installLockSafetyHandlers(lock, { logger: silentLogger });
process.stdout.write("unlocked\n");

// Crash only when the parent says so, after it has seen the relay energised.
const crash = () => {
  if (how === "throw") throw new Error("boom");
  if (how === "reject") void Promise.reject(new Error("boom"));
  if (how === "exit") process.exit(0);
};
if (how === "wait")
  setInterval(() => {}, 1000); // wait for a signal
else process.stdin.once("data", () => setTimeout(crash, 1));
