import { describe, expect, it } from "vitest";
import { type Condition, conditionSchema, matchesAll } from "../../functions/core/conditions";

const labels = { env: "prod", team: "payments" };
const holds = (...c: Condition[]) => matchesAll(c, labels);

describe("conditions", () => {
  it("In / NotIn / Exists / DoesNotExist", () => {
    expect(holds({ key: "env", operator: "In", values: ["prod", "staging"] })).toBe(true);
    expect(holds({ key: "env", operator: "In", values: ["dev"] })).toBe(false);
    expect(holds({ key: "missing", operator: "In", values: ["x"] })).toBe(false);
    expect(holds({ key: "env", operator: "NotIn", values: ["dev"] })).toBe(true);
    expect(holds({ key: "env", operator: "NotIn", values: ["prod"] })).toBe(false);
    expect(holds({ key: "missing", operator: "NotIn", values: ["x"] })).toBe(true);
    expect(holds({ key: "team", operator: "Exists" })).toBe(true);
    expect(holds({ key: "missing", operator: "Exists" })).toBe(false);
    expect(holds({ key: "missing", operator: "DoesNotExist" })).toBe(true);
    expect(holds({ key: "team", operator: "DoesNotExist" })).toBe(false);
  });

  it("every condition must hold; none means everything passes", () => {
    expect(holds()).toBe(true);
    expect(holds({ key: "env", operator: "In", values: ["prod"] }, { key: "team", operator: "DoesNotExist" })).toBe(
      false,
    );
  });

  it("label keys are matched as own properties only", () => {
    expect(holds({ key: "constructor", operator: "Exists" })).toBe(false);
    expect(holds({ key: "__proto__", operator: "Exists" })).toBe(false);
  });

  it("values are required for In/NotIn and forbidden otherwise", () => {
    expect(conditionSchema.safeParse({ key: "a", operator: "In" }).success).toBe(false);
    expect(conditionSchema.safeParse({ key: "a", operator: "In", values: [] }).success).toBe(false);
    expect(conditionSchema.safeParse({ key: "a", operator: "Exists", values: ["x"] }).success).toBe(false);
    expect(conditionSchema.safeParse({ key: "a", operator: "DoesNotExist" }).success).toBe(true);
  });
});
