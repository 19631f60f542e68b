import * as z from "zod";

export const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

const WITH_VALUES: readonly string[] = ["In", "NotIn"];

export const conditionSchema = z
  .object({
    key: z.string().min(1).max(128),
    operator: z.enum(OPERATORS),
    values: z.array(z.string().max(256)).min(1).max(50).optional(),
  })
  .strict()
  // The rule below, as JSON Schema states it (the OpenAPI document).
  .meta({
    if: { properties: { operator: { enum: WITH_VALUES } } },
    then: { required: ["values"] },
    else: { not: { required: ["values"] } },
  })
  .superRefine((c, ctx) => {
    const needsValues = WITH_VALUES.includes(c.operator);
    if (needsValues && !c.values) {
      ctx.addIssue({ code: "custom", path: ["values"], message: `${c.operator} needs a non-empty values list` });
    }
    if (!needsValues && c.values !== undefined) {
      ctx.addIssue({ code: "custom", path: ["values"], message: `${c.operator} takes no values` });
    }
  });

export const conditionsSchema = z.array(conditionSchema).max(20);
export type Condition = z.infer<typeof conditionSchema>;

/**
 * Every condition must hold (KubeSphere semantics). `NotIn` holds when the key is absent, as in Kubernetes
 * label selectors.
 */
export function matchesAll(conditions: readonly Condition[], labels: Readonly<Record<string, string>>): boolean {
  return conditions.every((c) => {
    const has = Object.hasOwn(labels, c.key);
    const value = labels[c.key];
    switch (c.operator) {
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      case "In":
        return has && value !== undefined && (c.values ?? []).includes(value);
      case "NotIn":
        return !has || value === undefined || !(c.values ?? []).includes(value);
      default:
        return false;
    }
  });
}
