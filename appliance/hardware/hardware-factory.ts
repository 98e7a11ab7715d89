import type { Logger } from "../../shared/logger.js";
import { EvdevBadgeReader } from "./badge-reader.evdev.js";
import type { BadgeReader } from "./badge-reader.js";
import { SimBadgeReader } from "./badge-reader.sim.js";
import type { Camera } from "./camera.js";
import { RecordedCamera } from "./camera.recorded.js";
import { RpicamCamera } from "./camera.rpicam.js";
import { type ShelfRenderFn, SimCamera } from "./camera.sim.js";
import { GpiodDoorSensor } from "./door-sensor.gpiod.js";
import type { DoorSensor } from "./door-sensor.js";
import { SimDoorSensor } from "./door-sensor.sim.js";
import { SysfsDoorSensor } from "./door-sensor.sysfs.js";
import { type CameraConfig, cameraDriver, type HardwareConfig } from "./hardware-config.js";
import { Listeners, type Unsubscribe } from "./listeners.js";
import { GpiodLockOutput } from "./lock.gpiod.js";
import type { LockOutput } from "./lock.js";
import { SimLockOutput } from "./lock.sim.js";
import { SysfsLockOutput } from "./lock.sysfs.js";
import { LockController } from "./lock-controller.js";
import type { SimCabinet } from "./sim-cabinet.js";

export type {
  BadgeConfig,
  CameraConfig,
  GpioConfig,
  HardwareConfig,
  HardwareConfigInput,
  LockConfig,
} from "./hardware-config.js";
export { hardwareConfigSchema, parseHardwareConfig } from "./hardware-config.js";

export interface HardwareDeps {
  logger: Logger;
  /** Required in sim mode: the state shared with the simulator control API. */
  cabinet?: SimCabinet;
  /** Required by sim cameras (appliance/sim/shelf-renderer.ts renderShelf). */
  renderShelf?: ShelfRenderFn;
  /** Environment for spawned tools (PATH lookup of gpiod and rpicam binaries). */
  env?: NodeJS.ProcessEnv;
}

export interface Hardware {
  door: DoorSensor;
  lock: LockController;
  badge: BadgeReader;
  cameras: Camera[];
  /** Door first (the lock controller reads it), then lock, badge and cameras. */
  start(): Promise<void>;
  /** Reverse order; leaves the lock in its safe state. */
  stop(): Promise<void>;
}

class NullBadgeReader implements BadgeReader {
  private readonly listeners: Listeners<string>;
  constructor(logger: Logger) {
    this.listeners = new Listeners(logger, "badge");
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  onBadge(cb: (badge: string) => void): Unsubscribe {
    return this.listeners.add(cb);
  }
}

function createCamera(c: CameraConfig, mode: HardwareConfig["mode"], deps: HardwareDeps): Camera {
  const logger = deps.logger.child({ component: `camera:${c.id}` });
  switch (cameraDriver(c, mode)) {
    case "recorded":
      return new RecordedCamera({ id: c.id, dir: c.dir!, shelves: c.shelves, logger });
    case "sim": {
      if (!deps.cabinet || !deps.renderShelf)
        throw new Error("sim cameras need deps.cabinet and deps.renderShelf");
      return new SimCamera(deps.cabinet, deps.renderShelf, {
        id: c.id,
        shelves: c.shelves,
        width: c.width,
        height: c.height,
        logger,
      });
    }
    case "rpicam":
      return new RpicamCamera({
        id: c.id,
        index: c.index,
        shelves: c.shelves,
        width: c.width,
        height: c.height,
        timeoutMs: c.timeoutMs,
        retries: c.retries,
        backoffMs: c.backoffMs,
        settleMs: c.settleMs,
        env: deps.env,
        logger,
      });
  }
}

/** The single place that instantiates drivers. Nothing touches hardware until start(). */
export function createHardware(config: HardwareConfig, deps: HardwareDeps): Hardware {
  const log = (component: string) => deps.logger.child({ component });
  let door: DoorSensor;
  let output: LockOutput;
  let badge: BadgeReader;

  if (config.mode === "sim") {
    const cabinet = deps.cabinet;
    if (!cabinet) throw new Error("sim mode needs deps.cabinet (a SimCabinet)");
    door = new SimDoorSensor(cabinet, log("door"));
    output = new SimLockOutput(cabinet, config.lock.mode, log("lock"));
    badge = new SimBadgeReader(cabinet, log("badge"));
  } else {
    const g = config.gpio;
    if (!g) throw new Error("real mode needs gpio config");
    if (g.driver === "sysfs") {
      door = new SysfsDoorSensor({
        bcm: g.doorPin,
        sysfsRoot: g.sysfsRoot,
        debounceMs: g.debounceMs,
        pollMs: g.pollMs,
        openLevel: g.doorOpenLevel,
        logger: log("door"),
      });
      output = new SysfsLockOutput({
        bcm: g.lockPin,
        sysfsRoot: g.sysfsRoot,
        activeLow: g.activeLow,
        logger: log("lock"),
      });
    } else {
      door = new GpiodDoorSensor({
        chip: g.chip,
        line: g.doorPin,
        debounceMs: g.debounceMs,
        openLevel: g.doorOpenLevel,
        bias: g.doorBias,
        env: deps.env,
        logger: log("door"),
      });
      output = new GpiodLockOutput({
        chip: g.chip,
        line: g.lockPin,
        activeLow: g.activeLow,
        env: deps.env,
        logger: log("lock"),
      });
    }
    badge =
      config.badge.driver === "evdev"
        ? new EvdevBadgeReader({
            device: config.badge.device,
            interKeyMs: config.badge.interKeyMs,
            logger: log("badge"),
          })
        : new NullBadgeReader(log("badge"));
  }
  const cameras = config.cameras.map((c) => createCamera(c, config.mode, deps));

  const lock = new LockController({
    output,
    door,
    mode: config.lock.mode,
    autoRelockMs: config.lock.autoRelockMs,
    ajarAlarmMs: config.lock.ajarAlarmMs,
    logger: log("lock"),
  });

  return {
    door,
    lock,
    badge,
    cameras,
    async start() {
      await door.start();
      await lock.start();
      await badge.start();
      await Promise.all(cameras.map((c) => c.start()));
    },
    async stop() {
      await Promise.all(cameras.map((c) => c.stop()));
      await badge.stop();
      await lock.stop();
      await door.stop();
    },
  };
}
