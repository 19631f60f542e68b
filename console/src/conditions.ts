import { type Condition, type Operator, OPERATOR_LABEL } from "./api";
import { h, replace, uid } from "./dom";

const KEYS = ["severity", "type", "cluster", "env", "team"];

export interface ConditionsEditor {
  el: HTMLElement;
  /** The conditions as the API takes them, or the first field to fix (its message already shown). */
  read(): { conditions: Condition[] } | { invalid: HTMLElement };
}

/**
 * Key, Operator and Values rows (KubeSphere's notification conditions): every condition must hold. Values are
 * comma-separated and only asked for by Includes values / Does not include values.
 */
export function conditionsEditor(opts: { legend: string; hint: string; initial: Condition[] }): ConditionsEditor {
  const listId = uid("keys");
  const rows: { el: HTMLElement; key: HTMLInputElement; op: HTMLSelectElement; values: HTMLInputElement }[] = [];
  const list = h("div", { class: "conditions" });
  const empty = h("p", { class: "muted" }, "No conditions: every event is sent.");

  const render = () => {
    rows.forEach((r, i) => {
      r.el.setAttribute("aria-label", `Condition ${i + 1}`);
      r.el.querySelector("button")?.setAttribute("aria-label", `Remove condition ${i + 1}`);
    });
    replace(
      list,
      rows.length ? rows.map((r) => r.el) : empty,
      h("datalist", { id: listId }, ...KEYS.map((k) => h("option", { value: k }))),
    );
  };

  const addRow = (c?: Condition) => {
    const keyId = uid("key");
    const opId = uid("op");
    const valuesId = uid("values");
    const errorId = uid("cond-error");
    const key = h("input", {
      id: keyId,
      type: "text",
      list: listId,
      value: c?.key ?? "",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "severity",
    });
    const op = h(
      "select",
      { id: opId },
      ...(Object.keys(OPERATOR_LABEL) as Operator[]).map((o) =>
        h("option", { value: o, selected: (c?.operator ?? "In") === o }, OPERATOR_LABEL[o]),
      ),
    );
    const values = h("input", {
      id: valuesId,
      type: "text",
      value: (c?.values ?? []).join(", "),
      autocomplete: "off",
      placeholder: "critical, high",
      "aria-describedby": `${valuesId}-hint`,
    });
    const valuesField = h(
      "div",
      { class: "field" },
      h("label", { for: valuesId }, "Values"),
      values,
      h("span", { id: `${valuesId}-hint`, class: "hint" }, "Separated by commas"),
    );
    const error = h("p", { id: errorId, class: "field-error", hidden: true });
    const sync = () => {
      valuesField.hidden = op.value === "Exists" || op.value === "DoesNotExist";
    };
    op.addEventListener("change", sync);
    sync();
    const row = {
      el: h(
        "div",
        { class: "condition", role: "group" },
        h("div", { class: "field" }, h("label", { for: keyId }, "Key"), key),
        h("div", { class: "field" }, h("label", { for: opId }, "Operator"), op),
        valuesField,
        h(
          "button",
          {
            type: "button",
            class: "icon-button",
            onclick: () => {
              rows.splice(rows.indexOf(row), 1);
              render();
              addButton.focus();
            },
          },
          "Remove",
        ),
        error,
      ),
      key,
      op,
      values,
    };
    rows.push(row);
    render();
    return row;
  };

  const addButton = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: () => addRow().key.focus(),
    },
    "Add condition",
  );
  for (const c of opts.initial) addRow(c);
  render();

  const hintId = uid("cond-hint");
  const el = h(
    "fieldset",
    { class: "conditions-set", "aria-describedby": hintId },
    h("legend", {}, opts.legend),
    h("p", { id: hintId, class: "hint" }, opts.hint),
    list,
    addButton,
  );

  const fail = (row: (typeof rows)[number], field: HTMLInputElement, message: string) => {
    const error = row.el.querySelector(".field-error") as HTMLElement;
    error.textContent = message;
    error.hidden = false;
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", `${field.getAttribute("aria-describedby") ?? ""} ${error.id}`.trim());
    return { invalid: field };
  };

  return {
    el,
    read() {
      const conditions: Condition[] = [];
      for (const row of rows) {
        const error = row.el.querySelector(".field-error") as HTMLElement;
        error.hidden = true;
        for (const f of [row.key, row.values]) {
          f.removeAttribute("aria-invalid");
          f.setAttribute(
            "aria-describedby",
            (f.getAttribute("aria-describedby") ?? "").replace(error.id, "").trim() || "",
          );
          if (!f.getAttribute("aria-describedby")) f.removeAttribute("aria-describedby");
        }
        const key = row.key.value.trim();
        const operator = row.op.value as Operator;
        if (!key) return fail(row, row.key, "Give the label key this condition tests, e.g. severity.");
        if (operator === "In" || operator === "NotIn") {
          const values = row.values.value
            .split(",")
            .map((v) => v.trim())
            .filter(Boolean);
          if (!values.length) return fail(row, row.values, `${OPERATOR_LABEL[operator]} needs at least one value.`);
          conditions.push({ key, operator, values });
        } else conditions.push({ key, operator });
      }
      return { conditions };
    },
  };
}

/** One line per condition, for the connection details: `severity Does not include values low`. */
export function describeConditions(conditions: Condition[]): string {
  if (!conditions.length) return "None: every event";
  return conditions
    .map((c) => `${c.key} ${OPERATOR_LABEL[c.operator]}${c.values?.length ? ` ${c.values.join(", ")}` : ""}`)
    .join("; ");
}
