/**
 * `npm run cfn-validate`: both stages' synthesized templates against CloudFormation's own resource schemas (the
 * registry schemas as cfn-lint vendors them), outside `npm test` because the schemas live outside the repo:
 * CFN_SCHEMAS_DIR, default ../shared/cfn-schemas (see its README.md). Checks, per template:
 *  - the template's sections, Resources, Outputs and Parameters against cfn-lint's template schemas;
 *  - every resource's Properties against its type's schema (a type without a vendored schema fails), skipping values
 *    that are intrinsic functions (Ref, Fn::*), which only CloudFormation can resolve; no read-only property set;
 *  - every policy document (key, queue and topic policies, role trust and inline policies) against the IAM policy
 *    schemas, and every action it names against the service's list of actions;
 *  - no property the raw registry schema describes as deprecated; the Lambda runtime against its lifecycle dates.
 * Exit code 1 on any error; warnings (a runtime near its deprecation) are printed only.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Ajv2020, type AnySchema, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { App } from "aws-cdk-lib";
import { addStage } from "../lib/app";

const SCHEMAS = resolve(process.env.CFN_SCHEMAS_DIR ?? "../shared/cfn-schemas");
const LINT = join(SCHEMAS, "cfn-lint");
const REGISTRY = join(SCHEMAS, "aws-registry");
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, "utf8"));
if (!existsSync(join(LINT, "Policies.actions.json"))) {
  console.error(`No CloudFormation schemas in ${SCHEMAS}: set CFN_SCHEMAS_DIR to the cfn-schemas folder.`);
  process.exit(2);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A value CloudFormation computes at deploy time: `{"Ref": …}` or `{"Fn::…": …}`. */
const isIntrinsic = (v: unknown) =>
  isObject(v) && Object.keys(v).length === 1 && /^(Ref|Fn::[A-Za-z0-9]+)$/.test(Object.keys(v)[0] as string);
const INTRINSIC: Schema = {
  type: "object",
  minProperties: 1,
  maxProperties: 1,
  propertyNames: { pattern: "^(Ref|Fn::[A-Za-z0-9]+)$" },
};

// Keywords whose value is one schema, a map of schemas, or a list of schemas.
const ONE = new Set(["additionalProperties", "items", "contains", "propertyNames", "if", "then", "else", "not"]);
const MAP = new Set(["properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies"]);
const LIST = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);

/**
 * Every subschema but the root becomes `if intrinsic then valid else <itself>`, so an intrinsic function stands in
 * for any value. That moves each subschema's keywords one level down (under `else`); JSON pointers in $ref are
 * rewritten to match.
 */
function wrapIntrinsics(node: Json, root = true): Json {
  if (!isObject(node)) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node as Schema)) {
    if (k === "$schema") continue; // the registry's provider meta-schema, not vendored; the draft's own applies
    if (k === "$ref" && typeof v === "string") out[k] = rewriteRef(v);
    else if (ONE.has(k) && isObject(v)) out[k] = wrapIntrinsics(v, false);
    else if (MAP.has(k) && isObject(v))
      out[k] = Object.fromEntries(
        Object.entries(v).map(([n, s]) => [n, Array.isArray(s) ? s : wrapIntrinsics(s, false)]),
      );
    else if (LIST.has(k) && Array.isArray(v)) out[k] = v.map((s) => wrapIntrinsics(s, false));
    else if (k === "type" && Array.isArray(v))
      out[k] = v.filter((t) => t !== "date"); // YAML's date: not JSON's
    else out[k] = v;
  }
  return root ? out : { if: INTRINSIC, then: true, else: out };
}

function rewriteRef(ref: string): string {
  const hash = ref.indexOf("#");
  if (hash < 0) return ref;
  const segments = ref
    .slice(hash + 1)
    .split("/")
    .filter(Boolean);
  const out: string[] = [];
  for (let i = 0, atRoot = true; i < segments.length; atRoot = false) {
    const keyword = segments[i++] as string;
    if (!atRoot) out.push("else");
    out.push(keyword);
    if (MAP.has(keyword) || LIST.has(keyword)) out.push(segments[i++] as string);
    else if (!ONE.has(keyword)) {
      out.push(...segments.slice(i)); // into a non-schema keyword: nothing below is wrapped
      break;
    }
  }
  return `${ref.slice(0, hash)}#${out.length ? `/${out.join("/")}` : ""}`;
}

/** The schemas' patterns are Python's (cfn-lint's): \A and \Z anchors, escapes JavaScript's u flag refuses. */
const pythonRegExp = Object.assign(
  (pattern: string, flags: string) => {
    const js = pattern.replace(/\\A/g, "^").replace(/\\Z/g, "$");
    try {
      return new RegExp(js, flags);
    } catch {
      return new RegExp(js);
    }
  },
  { code: "pythonRegExp" },
);

/** cfn-lint's extra keywords, as cfn-lint defines them, and the registry's annotations (no validation). */
function cfnLintAjv(): Ajv2020 {
  // Strict, so a keyword this script does not know fails loudly instead of passing silently.
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    strictTuples: false,
    allowMatchingProperties: true,
    code: { regExp: pythonRegExp },
  });
  addFormats(ajv);
  ajv.addVocabulary([
    "cfnLint",
    "relationshipRef",
    "insertionOrder",
    "tagging",
    "taggable",
    "primaryIdentifier",
    "additionalIdentifiers",
    "readOnlyProperties",
    "writeOnlyProperties",
    "createOnlyProperties",
    "conditionalCreateOnlyProperties",
    "deprecatedProperties",
    "propertyTransform",
    "sourceUrl",
    "typeName",
    "handlers",
    "replacementStrategy",
  ]);
  const keys = (data: unknown) => (isObject(data) ? Object.keys(data) : []);
  ajv.addKeyword({
    keyword: "requiredXor",
    schemaType: "array",
    error: { message: ({ schema }) => `must have exactly one of ${(schema as string[]).join(", ")}` },
    validate: (names: string[], data: unknown) =>
      !isObject(data) || names.filter((n) => keys(data).includes(n)).length === 1,
  });
  ajv.addKeyword({
    keyword: "dependentExcluded",
    schemaType: "object",
    error: { message: "has properties that exclude each other" },
    validate: (excluded: Record<string, string[]>, data: unknown) =>
      !isObject(data) ||
      Object.entries(excluded).every(([k, others]) => !(k in data) || others.every((o) => !(o in data))),
  });
  ajv.addKeyword({
    keyword: "uniqueKeys",
    schemaType: "array",
    error: { message: ({ schema }) => `items must be unique by ${(schema as string[]).join(", ")}` },
    validate: (names: string[], data: unknown) => {
      if (!Array.isArray(data)) return true;
      // As cfn-lint: items that lack one of the keys (a statement without a Sid) are not compared.
      const seen = data
        .filter((item) => isObject(item) && names.every((n) => item[n] !== undefined))
        .map((item) => JSON.stringify(names.map((n) => (item as Record<string, unknown>)[n])));
      return new Set(seen).size === seen.length;
    },
  });
  ajv.addKeyword({
    keyword: "maxUniqueItems",
    schemaType: "number",
    error: { message: ({ schema }) => `must have at most ${String(schema)} distinct items` },
    validate: (max: number, data: unknown) =>
      !Array.isArray(data) || new Set(data.map((d) => JSON.stringify(d))).size <= max,
  });
  // The registry's own formats: the values a template gives are ARNs, names and ids of those resources.
  const awsFormats: Record<string, RegExp> = {
    "AWS::IAM::Role.Arn": /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/,
    "AWS::KMS::Key.Arn": /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/,
    "AWS::KMS::Key.Id": /^(arn:aws[a-z-]*:kms:.+|[0-9a-f-]{36}|mrk-[0-9a-f]{32}|alias\/.+)$/,
    "AWS::KMS::Alias.AliasName": /^alias\/[A-Za-z0-9/_-]+$/,
    "AWS::Lambda::Function.Arn": /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:.+$/,
    "AWS::SNS::Topic.Arn": /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+$/,
    "AWS::SQS::Queue.Arn": /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:.+$/,
    "AWS::Logs::LogGroup.Name": /^[.\-_/#A-Za-z0-9]{1,512}$/,
    "AWS::S3::Bucket.Name": /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    "AWS::EC2::SecurityGroup.Id": /^sg-[0-9a-f]+$/,
    "AWS::EC2::SecurityGroup.Ids": /^sg-[0-9a-f]+$/,
    "AWS::EC2::Subnet.Id": /^subnet-[0-9a-f]+$/,
    "AWS::EC2::Subnet.Ids": /^subnet-[0-9a-f]+$/,
  };
  for (const [name, re] of Object.entries(awsFormats)) ajv.addFormat(name, re);
  ajv.addFormat("json", { type: "string", validate: (s: string) => isJson(s) });
  return ajv;
}

const isJson = (s: string) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

const schemaFileOf = (type: string) => join(LINT, `${type.toLowerCase().replaceAll("::", "-")}.json`);

class Validators {
  private readonly ajv = cfnLintAjv();
  private readonly byType = new Map<string, { validate: ValidateFunction; readOnly: string[] } | undefined>();
  readonly template: ValidateFunction;
  readonly resources: ValidateFunction;
  readonly outputs: ValidateFunction;
  readonly parameters: ValidateFunction;
  readonly description: ValidateFunction;
  readonly policies: Record<"identity" | "resource" | "trust", ValidateFunction>;

  constructor() {
    for (const f of readdirSync(join(LINT, "iam")))
      this.ajv.addSchema(wrapIntrinsics(readJson(join(LINT, "iam", f)) as Json) as AnySchema);
    const compile = (file: string) => this.ajv.compile(wrapIntrinsics(readJson(file) as Json) as AnySchema);
    this.template = compile(join(LINT, "template", "template-configuration.json"));
    this.resources = compile(join(LINT, "template", "resources-configuration.json"));
    this.outputs = compile(join(LINT, "template", "outputs-configuration.json"));
    this.parameters = compile(join(LINT, "template", "parameters-configuration.json"));
    this.description = compile(join(LINT, "template", "template-description.json"));
    const policy = (id: string) => this.ajv.getSchema(id) as ValidateFunction;
    this.policies = { identity: policy("identity"), resource: policy("resource"), trust: policy("trust") };
  }

  forType(type: string) {
    if (!this.byType.has(type)) {
      let entry: { validate: ValidateFunction; readOnly: string[] } | undefined;
      try {
        const schema = readJson(schemaFileOf(type)) as Schema;
        entry = {
          validate: this.ajv.compile(wrapIntrinsics(schema) as AnySchema),
          readOnly: ((schema.readOnlyProperties as string[] | undefined) ?? []).map((p) =>
            p.replace(/^\/properties\//, ""),
          ),
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
      this.byType.set(type, entry);
    }
    return this.byType.get(type);
  }
}

/** Actions per service, lower case, from cfn-lint's copy of the IAM policy reference. */
const ACTIONS = readJson(join(LINT, "Policies.actions.json")) as Record<string, { Actions: string[] }>;
function unknownActions(actions: string[]): string[] {
  return actions.filter((action) => {
    if (action === "*") return false;
    const [service = "", name] = action.toLowerCase().split(":");
    const known = ACTIONS[service]?.Actions;
    if (!known || name === undefined) return true;
    const re = new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    return !known.some((a) => re.test(a));
  });
}

/** Property paths (dot-separated, from Properties) that the raw registry schema calls deprecated. */
function deprecatedProperties(type: string): string[] {
  let schema: Schema;
  try {
    schema = readJson(join(REGISTRY, `${type.replaceAll("::", "_")}.json`)) as Schema;
  } catch {
    return []; // non-registry types (IAM::Policy, QueuePolicy, TopicPolicy, CDK::Metadata): cfn-lint's copy only
  }
  const out: string[] = [];
  const walk = (props: Json | undefined, prefix: string, depth: number) => {
    if (!isObject(props) || depth > 6) return;
    for (const [name, s] of Object.entries(props)) {
      if (!isObject(s)) continue;
      const description = typeof s.description === "string" ? s.description : "";
      if (/(^|\.\s+)(this (property|field|parameter) is )?deprecated\b|\(deprecated\)/i.test(description))
        out.push(`${prefix}${name}`);
      const ref = typeof s.$ref === "string" ? s.$ref.replace("#/definitions/", "") : undefined;
      const target = ref ? (schema.definitions as Schema | undefined)?.[ref] : s;
      if (isObject(target)) walk(target.properties, `${prefix}${name}.`, depth + 1);
    }
  };
  walk(schema.properties, "", 0);
  return out;
}
const hasPath = (props: Record<string, unknown>, path: string): boolean => {
  const [head, ...rest] = path.split(".");
  const value = props[head as string];
  if (value === undefined) return false;
  if (!rest.length) return true;
  return (Array.isArray(value) ? value : [value]).some((v) => isObject(v) && hasPath(v, rest.join(".")));
};

const RUNTIMES = readJson(join(LINT, "LmbdRuntimeLifecycle.json")) as Record<
  string,
  { deprecated: string | null; "create-block": string | null; "update-block": string | null; successor: string | null }
>;

/** The policy documents in a resource's properties, with the policy schema each is validated against. */
function policyDocuments(type: string, props: Record<string, unknown>) {
  const docs: { where: string; kind: "identity" | "resource" | "trust"; doc: unknown }[] = [];
  const add = (where: string, kind: "identity" | "resource" | "trust", doc: unknown) => {
    if (doc === undefined || isIntrinsic(doc)) return;
    docs.push({ where, kind, doc: typeof doc === "string" && isJson(doc) ? JSON.parse(doc) : doc });
  };
  if (type === "AWS::IAM::Policy") add("PolicyDocument", "identity", props.PolicyDocument);
  if (type === "AWS::IAM::Role") {
    add("AssumeRolePolicyDocument", "trust", props.AssumeRolePolicyDocument);
    ((props.Policies as { PolicyDocument?: unknown }[] | undefined) ?? []).forEach((p, i) =>
      add(`Policies/${i}/PolicyDocument`, "identity", p.PolicyDocument),
    );
  }
  if (type === "AWS::KMS::Key") add("KeyPolicy", "resource", props.KeyPolicy);
  if (type === "AWS::SQS::QueuePolicy" || type === "AWS::SNS::TopicPolicy")
    add("PolicyDocument", "resource", props.PolicyDocument);
  return docs;
}

const describe = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? [])
    // The wrapper's own "must match else schema" repeats the error below it.
    .filter((e) => e.keyword !== "if")
    .map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`);

function validateTemplate(v: Validators, template: Record<string, unknown>) {
  const errors: string[] = [];
  const warnings = new Set<string>();
  const check = (where: string, fn: ValidateFunction, value: unknown) => {
    if (!fn(value)) errors.push(...describe(fn.errors).map((e) => `${where}: ${e}`));
  };
  check("template", v.template, template);
  if (template.Description !== undefined) check("Description", v.description, template.Description);
  check("Resources", v.resources, template.Resources);
  if (template.Outputs) check("Outputs", v.outputs, template.Outputs);
  if (template.Parameters) check("Parameters", v.parameters, template.Parameters);

  const types = new Map<string, number>();
  for (const [id, resource] of Object.entries((template.Resources ?? {}) as Record<string, Record<string, unknown>>)) {
    const type = String(resource.Type);
    types.set(type, (types.get(type) ?? 0) + 1);
    const props = (resource.Properties ?? {}) as Record<string, unknown>;
    const schema = v.forType(type);
    if (!schema) {
      errors.push(`${id} (${type}): every resource type has a vendored AWS schema; ${schemaFileOf(type)} is missing`);
      continue;
    }
    check(`${id} (${type})`, schema.validate, props);
    for (const p of schema.readOnly) if (p in props) errors.push(`${id} (${type}): sets read-only property ${p}`);
    for (const { where, kind, doc } of policyDocuments(type, props)) {
      check(`${id} ${where} (${kind} policy)`, v.policies[kind], doc);
      const statements = ((doc as { Statement?: unknown }).Statement ?? []) as Record<string, unknown>[];
      const actions = (Array.isArray(statements) ? statements : [statements]).flatMap((st) =>
        [st.Action, st.NotAction].flatMap((a) => (a === undefined ? [] : Array.isArray(a) ? a : [a])),
      );
      for (const a of unknownActions(actions.filter((a): a is string => typeof a === "string")))
        errors.push(`${id} ${where}: unknown action ${a}`);
    }
    for (const path of deprecatedProperties(type))
      if (hasPath(props, path))
        errors.push(`${id} (${type}): sets ${path}, which the registry schema calls deprecated`);
    if (type === "AWS::Lambda::Function" && typeof props.Runtime === "string") {
      const life = RUNTIMES[props.Runtime];
      const today = new Date().toISOString().slice(0, 10);
      if (!life) errors.push(`${id}: runtime ${props.Runtime} is not in Lambda's runtime list`);
      else if (life["update-block"] && life["update-block"] <= today)
        errors.push(`${id}: runtime ${props.Runtime} can no longer be updated (since ${life["update-block"]})`);
      else if (life.deprecated && Date.parse(life.deprecated) - Date.now() < 180 * 86_400_000)
        warnings.add(
          `runtime ${props.Runtime} is deprecated on ${life.deprecated}` +
            (life.successor ? ` (successor ${life.successor})` : ""),
        );
    }
  }
  return { errors, warnings, types };
}

/** The templates `npm run synth` writes (`-c stage=dev`, `-c stage=prod`), synthesized in process, bundling skipped. */
function synthesize(stage: string) {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), `cfn-validate-${stage}-`)),
    context: { stage, "aws:cdk:bundling-stacks": [] },
  });
  const { stateful, stateless } = addStage(app);
  const assembly = app.synth();
  return [stateful, stateless].map((s) => ({
    name: s.stackName,
    template: assembly.getStackByName(s.stackName).template,
  }));
}

/** The check checks: a template broken in known ways must fail in each of them, or every "ok" below means nothing. */
function selfTest(v: Validators, template: Record<string, unknown>) {
  const broken = structuredClone(template) as { Resources: Record<string, { Type: string; Properties: Schema }> };
  const byType = (type: string) =>
    Object.values(broken.Resources).find((r) => r.Type === type) as { Properties: Schema };
  byType("AWS::KMS::Key").Properties.KeySpec = "AES_128"; // not in the enum
  delete (byType("AWS::DynamoDB::Table").Properties.StreamSpecification as Schema).StreamViewType; // required, via $ref
  byType("AWS::SQS::Queue").Properties.VisibilityTimeoutSeconds = 30; // no such property
  const key = byType("AWS::KMS::Key").Properties.KeyPolicy as { Statement: Schema[] };
  key.Statement.push({ Effect: "Allow", Principal: "*", Action: "kms:Decrypts", Resource: "*" }); // no such action
  key.Statement.push({ Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }); // a key policy names a principal
  broken.Resources.Extra = { Type: "AWS::S3::Bucket", Properties: {} }; // no vendored schema
  const { errors } = validateTemplate(v, broken);
  const expected = [
    /KeySpec.*allowed values/,
    /StreamSpecification.*StreamViewType/,
    /VisibilityTimeoutSeconds/,
    /kms:Decrypts/,
    /Principal/,
    /S3::Bucket/,
  ];
  const missed = expected.filter((re) => !errors.some((e) => re.test(e)));
  if (missed.length) {
    console.log(`FAIL self-test: a broken template passed checks ${missed.join(", ")}; errors: ${errors.join("; ")}`);
    process.exit(1);
  }
}

const validators = new Validators();
let failed = false;
selfTest(validators, synthesize("dev")[0]?.template as Record<string, unknown>);
for (const stage of ["dev", "prod"]) {
  for (const { name, template } of synthesize(stage)) {
    const { errors, warnings, types } = validateTemplate(validators, template as Record<string, unknown>);
    const count = [...types.values()].reduce((a, b) => a + b, 0);
    console.log(`${errors.length ? "FAIL" : "ok  "} ${name}: ${count} resources of ${types.size} types`);
    for (const e of errors) console.log(`     error: ${e}`);
    for (const w of warnings) console.log(`     warning: ${w}`);
    failed ||= errors.length > 0;
  }
}
console.log(`schemas: ${SCHEMAS}`);
process.exit(failed ? 1 : 0);
