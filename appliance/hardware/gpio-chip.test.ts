import { afterEach, describe, expect, it } from "vitest";
import { capturingLogger, FakeSysfs, PI4_CHIPS, PI5_CHIPS } from "../../test/support/hardware.js";
import { findHeaderChip, NoHeaderChipError, sysfsPinForBcm } from "./gpio-chip.js";

describe("gpio chip base mapping", () => {
  let fake: FakeSysfs | undefined;
  afterEach(() => fake?.dispose());

  it("maps BCM 17 to 529 on a Pi 4 (pinctrl-bcm2711, base 512) and logs the mapping", () => {
    fake = new FakeSysfs(PI4_CHIPS);
    const { logger, records } = capturingLogger();
    expect(sysfsPinForBcm(17, { sysfsRoot: fake.root, logger })).toEqual({
      bcm: 17,
      chip: "gpiochip512",
      base: 512,
      sysfs: 529,
    });
    expect(records).toContainEqual(
      expect.objectContaining({
        bcm: 17,
        chip: "gpiochip512",
        base: 512,
        sysfs: 529,
        msg: "gpio sysfs mapping",
      }),
    );
  });

  it("picks pinctrl-rp1 (base 571) on a Pi 5 even though other chips come first", () => {
    fake = new FakeSysfs(PI5_CHIPS);
    expect(findHeaderChip(fake.root).chip).toBe("gpiochip571");
    expect(sysfsPinForBcm(27, { sysfsRoot: fake.root }).sysfs).toBe(598);
  });

  it("handles legacy kernels with pinctrl-bcm2835 at base 0", () => {
    fake = new FakeSysfs([{ name: "gpiochip0", label: "pinctrl-bcm2835", base: 0, ngpio: 54 }]);
    expect(sysfsPinForBcm(4, { sysfsRoot: fake.root }).sysfs).toBe(4);
  });

  it("fails clearly when no header chip exists", () => {
    fake = new FakeSysfs([{ name: "gpiochip512", label: "gpio-brcmstb@107d508500", base: 512 }]);
    expect(() => sysfsPinForBcm(17, { sysfsRoot: fake!.root })).toThrow(NoHeaderChipError);
    expect(() => sysfsPinForBcm(17, { sysfsRoot: fake!.root })).toThrow(/gpiochip512=gpio-brcmstb/);
    expect(() => sysfsPinForBcm(17, { sysfsRoot: "/nonexistent/gpio" })).toThrow(/chips found: none/);
  });

  it("rejects a BCM number beyond the chip", () => {
    fake = new FakeSysfs(PI4_CHIPS);
    expect(() => sysfsPinForBcm(60, { sysfsRoot: fake!.root })).toThrow(/outside gpiochip512/);
  });
});
